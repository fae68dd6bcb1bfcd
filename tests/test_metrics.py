"""Metrics on hand-made incident tables and on a tiny run: counts, shares, percentiles."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from tinycity import simulate_script, tiny_city

from twin.analysis.compliance import primary_rows
from twin.analysis.metrics import (
    compliance_table,
    coverage_table,
    incident_table,
    mutual_aid_table,
    unit_table,
    worst,
)
from twin.sim.engine import EngineConfig
from twin.sim.forces import FORCES
from twin.sim.params import TimeChain

NAN = math.nan


def table(rows: list[dict]) -> pd.DataFrame:
    """Incidents with alarm at 0: rows give type, district, and first arrivals per force."""
    out = []
    for r in rows:
        first = {f: r.get(f, NAN) for f in FORCES}
        ground = np.nanmin([first["fire"], first["professional"], first["social"], np.inf])
        ground = NAN if ground == np.inf else ground
        out.append(
            {
                "type": r["type"],
                "district_id": r["district"],
                "alarm_s": 0.0,
                "onset_s": 0.0,
                "first_ground_s": ground,
                "resp_community_s": first["community"],
                "resp_ground_s": ground,
                "resp_air_s": first["air"],
                "met_10": r.get("met_10", pd.NA),
                "met_30": r.get("met_30", pd.NA),
                "met_60": r.get("met_60", pd.NA),
                "cell_id": r.get("cell", ""),
                **{f"first_{f}_s": v for f, v in first.items()},
            }
        )
    df = pd.DataFrame(out)
    for c in ("met_10", "met_30", "met_60"):
        df[c] = df[c].astype("boolean")
    return df


def test_compliance_counts_shares_and_percentiles():
    df = table(
        [
            {
                "type": "building_fire",
                "district": "D1",
                "community": 300,
                "fire": 900,
                "met_10": True,
                "met_30": True,
            },
            {
                "type": "building_fire",
                "district": "D1",
                "community": 700,
                "fire": 2000,
                "met_10": False,
                "met_30": False,
            },
            {
                "type": "building_fire",
                "district": "D2",
                "fire": 1200,  # no responder came
                "met_10": False,
                "met_30": True,
            },
            {"type": "community_assist", "district": "D2", "community": 500, "met_10": True},
        ]
    )
    c = primary_rows(compliance_table(df)).set_index(["target", "scope"])
    city10 = c.loc[("10min", "city")]
    assert city10["count"] == 4 and city10["met_share"] == pytest.approx(0.5)
    assert city10["mean_s"] == pytest.approx(500.0)  # of those who came: 300/700/500
    assert city10["p50_s"] == pytest.approx(500.0)
    assert city10["p90_s"] == pytest.approx(np.percentile([300, 500, 700], 90))
    city30 = c.loc[("30min", "city")]
    assert city30["count"] == 3 and city30["met_share"] == pytest.approx(2 / 3)
    assert c.loc[("30min", "district:D2"), "count"] == 1
    assert c.loc[("30min", "type:building_fire"), "met_share"] == pytest.approx(2 / 3)
    assert c.loc[("30min", "force:fire"), "count"] == 3
    assert c.loc[("10min", "force:community"), "count"] == 4
    assert ("60min", "city") not in c.index  # nobody called air: no row
    assert ("30min", "type:community_assist") not in c.index
    assert list(compliance_table(df).columns) == [
        "target",
        "from",
        "scope",
        "count",
        "met_share",
        "mean_s",
        "p50_s",
        "p90_s",
        "p95_s",
    ]


def test_worst_places_rank_by_share_then_p90():
    rows = []
    for cell, times in (
        ("a", [100, 200, 300, 400, 2000]),
        ("b", [100] * 5),
        ("c", [2000, 100, 100, 100, 100]),
        ("d", [3000]),
    ):
        rows += [
            {
                "type": "building_fire",
                "district": "D1",
                "fire": t,
                "cell": cell,
                "met_30": t <= 1800,
            }
            for t in times
        ]
    ranked = worst(table(rows), "cell_id", "30min", top=3)
    assert [r["cell_id"] for r in ranked] == ["a", "c", "b"]  # d: too few incidents
    assert ranked[0]["met_share"] == pytest.approx(0.8)


def test_tables_of_a_tiny_run():
    city = tiny_city()
    # deterministic time chain: every call handled in 60 s, no travel noise
    sim = simulate_script(
        city,
        [(0.0, "building_fire", "n21"), (60.0, "building_fire", "n20")],
        config=EngineConfig(use_cache=False, chain=TimeChain.deterministic()),
    )
    inc = incident_table(sim)
    assert len(inc) == 2 and inc["met_30"].iloc[0]
    # ordered at 60 s, night turnout 90 s, F1 n00 → n21 three streets 300 s
    assert inc["resp_ground_s"].iloc[0] == pytest.approx(60.0 + 90.0 + 300.0)
    assert inc["x"].between(103, 110).all() and inc["y"].between(29, 31).all()  # lon/lat
    assert inc["cell_id"].tolist() == ["D1-r0", "D1-r0"]
    # scripted: the alarm is the onset (no detection delay); neither is a cascade's child
    assert inc["onset_s"].tolist() == inc["alarm_s"].tolist() == [0.0, 60.0]
    assert inc["detection_delay_s"].tolist() == [0.0, 0.0]
    assert inc["parent_id"].dtype == "Int64" and inc["parent_id"].isna().all()
    units = unit_table(sim).set_index("station_id")
    # a building fire's first assignment is 4 engines; the city has 3. The first fire gets
    # F1, F2, F3 and its 4th request waits; the second fire's 4 requests wait. When the
    # first clears, its waiting request lapses and the 3 engines serve 3 of the second's;
    # the last lapses when the second clears: 3 + 3 = 6 dispatches.
    fire = units[units["force"] == "fire"]
    assert fire["dispatches"].sum() == 6 and inc["queued"].tolist() == [True, True]
    assert units["busy_s"].sum() > 0
    assert units["utilisation"].to_numpy() == pytest.approx(
        (units["busy_s"] / (units["units"] * 86400.0)).to_numpy(), abs=1e-5
    )
    # utilisation is rounded to 5 decimals (0.864 s of one unit's day), busy_s to 0.1 s
    u = units["utilisation"].to_numpy()
    assert (u > 0).sum() >= 3 and np.array_equal(u, np.round(u, 5))
    assert not np.array_equal(u, np.round(u, 4))  # (so the rounding is not coarser)
    assert np.array_equal(units["busy_s"], np.round(units["busy_s"], 1))
    ma = mutual_aid_table(sim)
    assert ma["count"].sum() >= 2 and set(ma["to_district"]) == {"D1"}


def test_coverage_is_turnout_plus_offpeak_road_time():
    city = tiny_city()
    sim = simulate_script(city, [])
    cov = coverage_table(sim).set_index("node_id")
    # off-peak local streets ×1.10 (twin.model.roads.CONGESTION): F1 → n21 = 300 × 1.1 + 60
    assert cov.loc["n21", "t_ground_s"] == pytest.approx(60 + 330.0)
    assert cov.loc["n00", "t_ground_s"] == pytest.approx(60.0)
    assert cov.loc["n10", "t_community_s"] == pytest.approx(60.0)
    # walked on the flat at Tobler's 6·e^(−3.5·0.05) km/h = 1.39911 m/s (no slope in the map)
    assert cov.loc["n20", "t_community_s"] == pytest.approx(
        60.0 + 1000 * 1.4 / 1.39911, abs=0.1
    )  # table rounds to 0.1 s


def test_incident_that_never_got_its_ground_unit_is_a_miss_not_dropped():
    # No fire engines at all: the outdoor fire (fire only) never gets a ground unit. It must
    # count as a 30-min miss (in the denominator); the community call is not a 30-min case.
    city = tiny_city(units={"F1": 0, "F2": 0, "F3": 0})
    sim = simulate_script(
        city,
        [
            (0.0, "outdoor_fire", "n21"),
            (0.0, "building_fire", "n41"),
            (0.0, "community_assist", "n10"),
        ],
    )
    inc = incident_table(sim)
    assert inc["resp_ground_s"].isna().tolist() == [True, True, True]
    assert inc["met_30"].tolist()[:2] == [False, False] and inc["met_30"].isna().tolist()[2]
    assert inc["met_10"].isna().tolist() == [True, False, False]  # outdoor fire: no community
    c = primary_rows(compliance_table(inc)).set_index(["target", "scope"])
    assert c.loc[("30min", "city"), "count"] == 2
    assert c.loc[("30min", "city"), "met_share"] == 0.0
    assert math.isnan(c.loc[("30min", "city"), "p90_s"])  # nobody reached: no percentile
    assert c.loc[("30min", "force:fire"), "count"] == 2
