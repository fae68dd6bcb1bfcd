"""Community responders placed by households (twin.build.posts, twin.model.posts), worked out by hand.

One responder (grid worker) per 400 households of 2.45 persons, i.e. one per 980 people;
each district's total is round(Σ quota), shared by largest remainder.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.tinycity import SPACING_M, X0, Y0, _gdf, _rect, tiny_city
from twin.build.posts import HOUSEHOLD_SIZE, HOUSEHOLDS_PER_WORKER, allot_workers
from twin.model.posts import with_posts


def test_the_rule_is_one_responder_per_980_people() -> None:
    assert HOUSEHOLD_SIZE * HOUSEHOLDS_PER_WORKER == pytest.approx(980.0)


def test_largest_remainder_by_hand() -> None:
    """District A: 50,000 and 30,000 people → quotas 51.0204 and 30.6122, total 81.6327 →
    82 responders; floors 51 + 30 = 81, the one left goes to the larger remainder (0.6122):
    [51, 31] (rounding each cell alone would give 51 + 31 too, but see B). District B: 300,
    500 and 0 people → quotas 0.3061, 0.5102, 0 → total round(0.8163) = 1, to the 500-person
    cell: [0, 1, 0] (rounding each alone would give 0 + 1; with 450 instead of 300 it would
    give 0 + 1 against a total of round(0.9694) = 1 either way)."""
    pop = np.array([50_000.0, 30_000.0, 300.0, 500.0, 0.0])
    dist = np.array(["A", "A", "B", "B", "B"], object)
    assert allot_workers(pop, dist).tolist() == [51, 31, 0, 1, 0]


def test_a_district_of_small_cells_keeps_its_total() -> None:
    """Four cells of 600 people: each quota 0.6122 would round to 1 alone (4 responders);
    the district has 2,400 / 980 = 2.449 → 2, to the first two cells (all tied)."""
    pop = np.full(4, 600.0)
    assert allot_workers(pop, np.array(["D"] * 4, object)).tolist() == [1, 1, 0, 0]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0.0, 60_000.0), st.sampled_from(["A", "B", "C"])),
        min_size=1,
        max_size=30,
    ),
    st.floats(2.0, 3.0),
    st.floats(250.0, 550.0),
)
def test_totals_and_bounds(cells: list[tuple[float, str]], h: float, n: float) -> None:
    """Each district gets round(Σ quota) in all; each cell its quota's floor or ceiling."""
    pop = np.array([c[0] for c in cells])
    dist = np.array([c[1] for c in cells], object)
    got = allot_workers(pop, dist, h, n)
    quota = pop / h / n
    assert (got >= np.floor(quota)).all() and (got <= np.floor(quota) + 1).all()
    for d in set(dist):
        m = dist == d
        assert got[m].sum() == int(np.floor(quota[m].sum() + 0.5))


def _cell(cell_id: str, district: str, col: int, row: int, pop: float) -> dict:
    """A 1 km square centred on node n<col><row> (its representative point is the node)."""
    return {
        "cell_id": cell_id,
        "district_id": district,
        "population": pop,
        "geometry": _rect(col, row, col, row),
    }


def _posts(households_per_worker: float = HOUSEHOLDS_PER_WORKER) -> pd.DataFrame:
    city = tiny_city()
    cells = _gdf(
        [
            _cell("a", "D1", 1, 0, 9_800.0),  # 9,800 / 980 = 10
            _cell("b", "D2", 4, 1, 4_900.0),  # 5
            _cell("c", "D3", 4, 3, 1_225.0),  # 1.25
            _cell("d", "D3", 5, 3, 200.0),  # 0.204 → D3: round(1.454) = 1, to c
            _cell("e", "D1", 0, 3, 0.0),  # nobody: no post
        ]
    )
    out = with_posts(city.replace(cells=cells), households_per_worker=households_per_worker)
    st_ = out.stations
    others = [s[s["force"] != "community"].reset_index(drop=True) for s in (st_, city.stations)]
    assert others[0].equals(others[1])
    com = st_[st_["force"] == "community"]
    col = np.rint((com.geometry.x - X0) / SPACING_M).astype(int)
    row = np.rint((com.geometry.y - Y0) / SPACING_M).astype(int)
    return pd.DataFrame(
        {
            "node": [f"n{c}{r}" for c, r in zip(col, row)],
            "district": com["district_id"],
            "units": com["units"],
        }
    )


def test_posts_on_the_tiny_city_by_hand() -> None:
    """Posts sit on the node at each cell's centre; the 200-person cell's households belong
    to the grid of its district's larger cell (no post), the empty cell has none."""
    p = _posts()
    assert p.to_dict(orient="list") == {
        "node": ["n10", "n41", "n43"],
        "district": ["D1", "D2", "D3"],
        "units": [10, 5, 1],
    }


def test_smaller_grids_give_more_responders_by_hand() -> None:
    """300 households per responder (735 people): 9,800 / 735 = 13.33 → 13; 4,900 / 735 =
    6.67 → 7; D3: 1.667 + 0.272 = 1.939 → 2, floors 1 + 0, the one left to the larger
    remainder (0.667, cell c): 2."""
    p = _posts(300.0)
    assert p["node"].tolist() == ["n10", "n41", "n43"]
    assert p["units"].tolist() == [13, 7, 2]


def test_a_city_without_cells_keeps_its_posts() -> None:
    city = tiny_city()
    assert with_posts(city.replace(cells=city.cells.iloc[:0])) is not None
    assert with_posts(city.replace(cells=city.cells.iloc[:0])).stations.equals(city.stations)
