"""The other tables of a results folder — worst places, routes, headline counts — on inputs
small enough to work out by hand (tinycity: every street 100 s at night, fire turnout 60 s).

The engine runs with the time chain switched off (:data:`PLAIN`: no call handling, no travel
noise, the day turnout at night too and no set-up on scene), so every time below is the
turnout plus whole streets; the chain's own segments are tested in test_engine_chain.py.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from tinycity import simulate_script, tiny_city

from twin.analysis.metrics import counts, event_table, incident_table, route_table, worst
from twin.hazards.timeline import ClosureEvent
from twin.sim.engine import EngineConfig
from twin.sim.forces import DEFAULT_FORCES
from twin.sim.params import TimeChain

NAN = math.nan
TURNOUT = DEFAULT_FORCES["fire"].turnout_s
_FORCES = dict(DEFAULT_FORCES)
_FORCES["fire"] = replace(_FORCES["fire"], turnout_night_s=None, setup_s=0.0)
PLAIN = EngineConfig(use_cache=False, chain=TimeChain.none(), forces=_FORCES)


def run(city, incidents, **kw):  # noqa: ANN001, ANN201 - a test helper
    """``simulate_script`` with the plain configuration (``record_routes`` on request)."""
    routes = kw.pop("record_routes", False)
    return simulate_script(city, incidents, config=replace(PLAIN, record_routes=routes), **kw)


def places(
    spec: dict[str, list[float]],
    col: str = "resp_ground_s",
    met: str = "met_30",
    target_s: float = 1800.0,
) -> pd.DataFrame:
    """One incident per response time (NaN: nobody came) in each cell."""
    rows = [
        {"cell_id": cell, col: t, met: (not math.isnan(t)) and t <= target_s}
        for cell, times in spec.items()
        for t in times
    ]
    df = pd.DataFrame(rows)
    df[met] = df[met].astype("boolean")
    for c in ("resp_community_s", "resp_ground_s", "resp_air_s"):
        if c not in df:
            df[c] = NAN
    for m in ("met_10", "met_30", "met_60"):
        if m not in df:
            df[m] = pd.array([pd.NA] * len(df), "boolean")
    return df


def test_worst_ranks_share_then_p90_then_name_and_rounds():
    df = places(
        {
            # share 4/5 = 0.8; p90 of 100..400, 2000.55 at h = 3.6: 400 + 0.6 · 1600.55 = 1360.33
            "a": [100, 200, 300, 400, 2000.55],
            # share 4/5, p90 of 100 ×4 and 1900 at h = 3.6: 100 + 0.6 · 1800 = 1180 → after "a"
            "b": [100, 100, 100, 100, 1900],
            # same share and p90 as "b": the name decides (b before c)
            "c": [100, 100, 100, 1900, 100],
            # 2 of 3 met → 0.6667 (rounded to 4 places); the NaN (nobody came) counts as missed
            "d": [100, 200, NAN],
            # nobody ever came: share 0, p90 unknown (None)
            "e": [NAN, NAN, NAN],
            "f": [100] * 6,  # all met
        }
    )
    df.loc[len(df)] = df.iloc[0].copy()
    df.loc[len(df) - 1, "cell_id"] = ""  # no cell: never ranked
    ranked = worst(df, "cell_id", "30min", top=10, min_count=3)
    assert [r["cell_id"] for r in ranked] == ["e", "d", "a", "b", "c", "f"]
    by = {r["cell_id"]: r for r in ranked}
    assert by["e"] == {"cell_id": "e", "count": 3, "met_share": 0.0, "p90_s": None}
    assert by["d"]["met_share"] == 0.6667 and by["d"]["count"] == 3
    assert by["d"]["p90_s"] == pytest.approx(190.0)  # of 100, 200: 100 + 0.9 · 100
    assert by["a"]["p90_s"] == 1360.3 and by["a"]["met_share"] == 0.8
    assert by["b"]["p90_s"] == 1180.0 and by["f"]["met_share"] == 1.0
    # top and min_count
    assert [r["cell_id"] for r in worst(df, "cell_id", "30min", top=2, min_count=3)] == ["e", "d"]
    assert [r["cell_id"] for r in worst(df, "cell_id", "30min", min_count=5)] == [
        "a",
        "b",
        "c",
        "f",
    ]
    # defaults: the 30-minute target, at most 10 places, at least 5 incidents each
    many = places({f"z{k:02d}": [100.0 * (k + 1)] * 5 for k in range(12)})
    default = worst(many, "cell_id")
    assert len(default) == 10 and default[0]["cell_id"] == "z11"  # 1 200 s: all met, p90 largest
    assert worst(places({"a": [100.0] * 4}), "cell_id") == []  # 4 < 5 incidents


def test_worst_judges_each_target_by_its_own_column():
    # the 10-min target: community times; incidents where it does not apply are left out
    df = places(
        {"a": [100, 700, 100, 100, 100], "b": [100] * 5}, "resp_community_s", "met_10", 600.0
    )
    df["met_30"] = pd.array([True] * len(df), "boolean")
    df["resp_ground_s"] = 5000.0  # would be a miss for 30 min, irrelevant for 10 min
    ranked = worst(df, "cell_id", "10min")
    assert [(r["cell_id"], r["met_share"]) for r in ranked] == [("a", 0.8), ("b", 1.0)]
    assert ranked[0]["p90_s"] == pytest.approx(100 + 0.6 * 600)
    df.loc[df.index[:5], "met_10"] = pd.NA  # the target no longer applies to "a"
    assert [r["cell_id"] for r in worst(df, "cell_id", "10min")] == ["b"]
    air = places({"a": [3000, 3700, 100, 100, 100]}, "resp_air_s", "met_60", 3600.0)
    assert worst(air, "cell_id", "60min")[0]["met_share"] == 0.8
    assert worst(air, "cell_id", "30min") == []  # no ground target applies


def test_route_table_of_one_trip_there_and_back():
    """F1 (n00) to an outdoor fire at n20: n00 → n10 → n20, 100 s a street, after 60 s
    turnout; back the same way when the work is done."""
    city = tiny_city()
    sim = run(city, [(0.0, "outdoor_fire", "n20")], record_routes=True)
    routes = route_table(sim)
    assert list(routes.columns) == [
        "unit_id",
        "force",
        "station_id",
        "incident_id",
        "leg",
        "depart_s",
        "arrive_s",
        "path",
        "times_s",
    ]
    assert routes["unit_id"].tolist() == ["F1/1", "F1/1"]
    assert routes["force"].tolist() == ["fire", "fire"]
    assert routes["station_id"].tolist() == ["F1", "F1"]
    assert routes["incident_id"].tolist() == [0, 0]
    assert routes["leg"].tolist() == ["to_scene", "return"]
    there, back = routes.iloc[0], routes.iloc[1]
    assert (there["depart_s"], there["arrive_s"]) == pytest.approx((TURNOUT, TURNOUT + 200))
    assert there["times_s"] == pytest.approx([TURNOUT, TURNOUT + 100, TURNOUT + 200])
    cleared = sim.incidents[0].cleared_s
    assert (back["depart_s"], back["arrive_s"]) == pytest.approx((cleared, cleared + 200))
    nodes = city.road_nodes.set_index("node_id")
    ll = (
        city.lonlat_from_xy(
            np.array([[nodes.geometry[n].x, nodes.geometry[n].y] for n in ("n00", "n10", "n20")])
        )
        .round(6)
        .tolist()
    )
    assert there["path"] == ll and back["path"] == ll[::-1]
    assert route_table(run(city, [(0.0, "outdoor_fire", "n20")])).empty


def test_counts_of_a_run_with_a_queue_mutual_aid_and_a_closure():
    """One fire engine (F1, D1) in the city and two outdoor fires at once, in D1 (n20) and
    D2 (n41): F1 takes its own district's fire, the other waits (queued) and is then served
    from D1 (mutual aid). A closure of the far n03–n13 street changes no route."""
    city = tiny_city(units={"F2": 0, "F3": 0})
    closure = ClosureEvent(tuple(city.roads.edge_index(["n03-n13"]).tolist()), 100.0, 200.0, "test")
    sim = run(
        city, [(0.0, "outdoor_fire", "n20"), (0.0, "outdoor_fire", "n41")], closures=(closure,)
    )
    inc, ev = incident_table(sim), event_table(sim)
    assert counts(sim, inc, ev) == {
        "incidents": 2,
        "dispatches": 2,
        "mutual_aid": 1,
        "queued": 1,
        "no_unit": 0,
        "cascades": 0,
        "reroutes": 0,
        "closures": 1,
        "events": len(ev),
    }
    assert inc["queued"].tolist() == [False, True]
    assert inc["mutual_aid"].tolist() == [False, True]


def test_event_table_of_one_trip_by_hand():
    """The outdoor fire at n20 at 00:00: alarm and dispatch of F1 at 0 s, en route from n00
    after the 60 s turnout, on scene 200 s later, cleared after the work, home 200 s later."""
    city = tiny_city()
    sim = run(city, [(0.0, "outdoor_fire", "n20")])
    ev = event_table(sim)
    assert list(ev.columns) == [
        "t_s",
        "kind",
        "incident_id",
        "unit_id",
        "node_id",
        "from_district",
        "to_district",
    ]
    cleared = sim.incidents[0].cleared_s
    assert ev["kind"].astype(str).tolist() == [
        "alarm",
        "dispatched",
        "en_route",
        "on_scene",
        "work_started",
        "cleared",
        "returning",
        "available",
    ]
    assert ev["t_s"].tolist() == pytest.approx(
        [0, 0, TURNOUT, TURNOUT + 200, TURNOUT + 200, cleared, cleared, cleared + 200]
    )
    assert ev["incident_id"].tolist()[:7] == [0] * 7 and ev["incident_id"].isna().tolist()[7]
    assert ev["unit_id"].astype(object).where(ev["unit_id"].notna(), None).tolist() == [
        None,
        "F1/1",
        "F1/1",
        "F1/1",
        "F1/1",
        None,
        "F1/1",
        "F1/1",
    ]
    assert ev["node_id"].astype(str).tolist() == [
        "n20",
        "n20",
        "n00",
        "n20",
        "n20",
        "n20",
        "n20",
        "n00",
    ]
    assert ev.loc[1, ["from_district", "to_district"]].astype(str).tolist() == ["D1", "D1"]
    # no events at all: the same columns, times as floats, incident ids as nullable ints
    # (crews' time away from readiness off: its away/ready rows are events too)
    quiet = EngineConfig(use_cache=False, chain=TimeChain(away_h_per_day=0.0))
    empty = event_table(simulate_script(city, [], config=quiet))
    assert list(empty.columns) == list(ev.columns) and len(empty) == 0
    assert empty["t_s"].dtype == np.float64 and str(empty["incident_id"].dtype) == "Int64"


def test_counts_of_a_run_without_events_and_of_one_nobody_can_serve():
    city = tiny_city()
    # time away from readiness off: its away/ready rows would be events of an empty run
    sim = simulate_script(
        city, [], config=EngineConfig(use_cache=False, chain=TimeChain(away_h_per_day=0.0))
    )
    zero = {
        k: 0
        for k in (
            "incidents",
            "dispatches",
            "mutual_aid",
            "queued",
            "no_unit",
            "cascades",
            "reroutes",
            "closures",
            "events",
        )
    }
    assert counts(sim, incident_table(sim), event_table(sim)) == zero
    # no fire engine anywhere: the outdoor fire's request finds no unit at all
    city = tiny_city(units={"F1": 0, "F2": 0, "F3": 0})
    sim = simulate_script(city, [(0.0, "outdoor_fire", "n21")])
    inc, ev = incident_table(sim), event_table(sim)
    got = counts(sim, inc, ev)
    assert (got["incidents"], got["dispatches"], got["no_unit"], got["queued"]) == (1, 0, 1, 0)
