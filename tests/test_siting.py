"""Station siting on a line of villages where the best sites are worked out by hand.

Seven villages v0 … v6 on a straight road, 1 km apart; every road ``local`` at 36 km/h on
flat ground: 100 s per km at night (no congestion). One fire station at v0. People:

    village  v0   v1   v2   v3   v4   v5   v6
    people   500  500  100  300  900  300  100

With a 2-minute standard (120 s) a station covers its own village and the next one each
way. Today v0, v1 are covered (1 000 people); v2 … v6 (1 700) are not.

- **MCLP, k = 1**: a site at vj newly covers the uncovered villages among v(j−1), vj,
  v(j+1): v3 → 100+300+900 = 1 300, v4 → 300+900+300 = 1 500, v5 → 900+300+100 = 1 300,
  v2 → 100+300 = 400, v6 → 400. **v4** is the one best site (+1 500).
- **LSCP**: v2 … v6 are five villages in a row and one site covers at most three, so
  **two** sites are needed (e.g. v3 + v5, or v3 + v6), and then everyone is covered.
- **p-median, k = 1** (each village's time capped at v0's: 0, 100, … 600 s):
  v4 → 500·0 + 500·100 + 100·200 + 300·100 + 900·0 + 300·100 + 100·200 = 150 000;
  v3 → 50 000 + 100·100 + 0 + 900·100 + 300·200 + 100·300 = 240 000;
  v5 → 50 000 + 100·200 + 300·200 + 900·100 + 0 + 100·100 = 230 000. **v4** again.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, Point, box

from twin.model.city import City, empty_layer
from twin.scenario.spec import parse_scenario
from twin.siting.models import solve
from twin.siting.output import scenario_toml
from twin.siting.problem import build_problem

CRS = "EPSG:32648"
X0, Y0 = 660_000.0, 3_270_000.0
PEOPLE = [500, 500, 100, 300, 900, 300, 100]


def _gdf(rows: list[dict]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)


def line_city() -> City:
    n = len(PEOPLE)
    xy = [(X0 + 1000.0 * i, Y0) for i in range(n)]
    nodes = _gdf(
        [
            {"node_id": f"v{i}", "elevation_m": 200.0, "district_id": "L", "geometry": Point(xy[i])}
            for i in range(n)
        ]
    )
    edges = _gdf(
        [
            {
                "edge_id": f"e{i}",
                "u": f"v{i}",
                "v": f"v{i + 1}",
                "length_m": 1000.0,
                "road_class": "local",
                "speed_kph": 36.0,
                "bridge": False,
                "tunnel": False,
                "oneway": False,
                "name": "",
                "geometry": LineString([xy[i], xy[i + 1]]),
            }
            for i in range(n - 1)
        ]
    )
    cells = _gdf(
        [
            {
                "cell_id": f"c{i}",
                "district_id": "L",
                "population": float(PEOPLE[i]),
                "geometry": box(xy[i][0] - 500, Y0 - 500, xy[i][0] + 500, Y0 + 500),
            }
            for i in range(n)
        ]
    )
    districts = _gdf(
        [
            {
                "district_id": "L",
                "name": "线村",
                "name_en": "Line",
                "population": sum(PEOPLE),
                "level": "core",
                "geometry": box(X0 - 500, Y0 - 500, xy[-1][0] + 500, Y0 + 500),
            }
        ]
    )
    stations = _gdf(
        [
            {
                "station_id": "F0",
                "force": "fire",
                "name": "F0",
                "name_en": "F0",
                "district_id": "L",
                "units": 1,
                "geometry": Point(xy[0]),
            }
        ]
    )
    return City(
        name="line",
        crs=CRS,
        districts=districts,
        road_nodes=nodes,
        road_edges=edges,
        pipes=empty_layer("pipes", CRS),
        junctions=empty_layer("junctions", CRS),
        stations=stations,
        cells=cells,
        source=None,
        meta={"name": "line"},
    )


@pytest.fixture(scope="module")
def problem():
    return build_problem(line_city(), "fire", "night")


def _villages(p, chosen) -> list[str]:
    return sorted(f"v{int(n)}" for n in p.candidate_node[chosen])


def test_problem_has_the_villages_and_times_by_hand(problem):
    assert problem.demand_people.tolist() == [float(x) for x in PEOPLE]
    assert problem.existing_s.tolist() == pytest.approx([0, 100, 200, 300, 400, 500, 600])
    assert problem.times_s[4, 1] == pytest.approx(300.0)  # v1 → v4: 3 km at 10 m/s


@pytest.mark.parametrize("backend", ["spopt", "highs"])
def test_mclp_picks_the_one_best_village(problem, backend):
    sol = solve(problem, "mclp", 1, minutes=2.0, backend=backend)
    assert _villages(problem, sol.chosen) == ["v4"]
    assert sol.covered_before == 1000 and sol.coverage_gain == 1500


@pytest.mark.parametrize("backend", ["spopt", "highs"])
def test_mclp_with_two_sites_covers_everyone(problem, backend):
    """k = 2: v3 + v5 or v3 + v6 (or v2 + v5 …) reach all 1 700 uncovered people."""
    sol = solve(problem, "mclp", 2, minutes=2.0, backend=backend)
    assert len(sol.chosen) == 2 and sol.coverage_gain == 1700


@pytest.mark.parametrize("backend", ["spopt", "highs"])
def test_lscp_needs_two_sites_and_covers_everyone(problem, backend):
    sol = solve(problem, "lscp", 0, minutes=2.0, backend=backend)
    assert len(sol.chosen) == 2
    assert sol.covered_after == sum(PEOPLE)


def test_pmedian_picks_v4_with_the_hand_worked_cost(problem):
    sol = solve(problem, "pmedian", 1, minutes=2.0)
    assert _villages(problem, sol.chosen) == ["v4"]
    assert sol.mean_s_after * sum(PEOPLE) == pytest.approx(150_000.0)


def test_the_written_scenario_parses_and_adds_the_station(problem):
    sol = solve(problem, "mclp", 1, minutes=2.0)
    text = scenario_toml(
        "site-test",
        [{"station_id": "fire-site-1", "lon": 106.5, "lat": 29.5, "units": 2}],
        "fire",
        sol,
        2.0,
        "night",
        1.0,
        7,
    )
    sc = parse_scenario(text)
    assert sc.stations.add[0].station_id == "fire-site-1" and sc.stations.add[0].units == 2
    assert np.isclose(sc.stations.add[0].lon, 106.5)


def test_move_takes_the_least_needed_station_to_the_best_place(problem):
    """Moving F0 (the only station): with it gone, the best single site covers v3+v4+v5
    = 1 500 people (v1 would cover v0+v1+v2 = 1 100)."""
    from twin.siting.models import least_needed

    out = least_needed(problem, 1, minutes=2.0)
    assert [problem.existing_ids[i] for i in out] == ["F0"]
    moved = problem.without(out)
    sol = solve(moved, "mclp", 1, minutes=2.0)
    assert _villages(moved, sol.chosen) == ["v4"] and sol.covered_after == 1500


def test_twin_site_end_to_end_on_the_line_city(tmp_path):
    """`twin site` on the line city saved as a folder: prints the site and the optimiser's
    gain, writes the scenario, map and budget, then checks by paired simulation."""
    from typer.testing import CliRunner

    from twin.cli.main import app
    from twin.model.city import save_city

    folder = save_city(line_city(), tmp_path / "line")
    out = tmp_path / "site"
    res = CliRunner().invoke(
        app,
        [
            "site",
            "--add",
            "1",
            "--minutes",
            "2",
            "--period",
            "night",
            "--city",
            str(folder),
            "--out",
            str(out),
            "--budget",
            "2",
            "-n",
            "2",
            "--days",
            "0.5",
            "--workers",
            "1",
        ],
        catch_exceptions=False,
    )
    assert res.exit_code == 0, res.output
    assert "1,000 → 2,500 of 2,700 (+1,500)" in res.output
    assert "Budget view" in res.output  # the progress bar ("checking by simulation") only
    # shows on a terminal (twin.progress; tests/test_progress.py), not in this captured output
    toml = (out / "site-mclp-1.toml").read_text()
    assert "[[stations.add]]" in toml and "units = 1" in toml
    assert (out / "site-mclp-1-map.png").stat().st_size > 0 and (out / "budget.png").exists()
    assert (out / "check" / "comparison.csv").exists()
    assert "2 paired replications" in res.output
