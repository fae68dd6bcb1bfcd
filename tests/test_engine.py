"""The response engine on the tiny hand-made city: times worked out by hand.

Every street is 100 s and the short bridge 100 s at night (see tests/tinycity.py); fire
engines turn out in 60 s. Incidents are scripted with the alarm at onset.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from tinycity import simulate_script, tiny_city
from twin.engine import KINDS, EngineConfig
from twin.forces import DEFAULT_FORCES
from twin.incidents import CATALOGUE, IncidentType, LogNormal
from twin.metrics import event_table, incident_table
from twin.timeline import ClosureEvent

FIRE_TURNOUT = DEFAULT_FORCES["fire"].turnout_s


def fixed(work_s: float, needs=(("fire", 1),), **kw) -> IncidentType:
    """A test incident type with a constant work time and no air call."""
    return IncidentType("drill", "演练", 0.0, tuple(needs), LogNormal(work_s, work_s), **kw)


def config(*types: IncidentType, community_availability: float = 1.0) -> EngineConfig:
    forces = dict(DEFAULT_FORCES)
    forces["community"] = replace(forces["community"], availability=community_availability)
    cat = dict(CATALOGUE)
    cat.update({t.name: t for t in types})
    return EngineConfig(catalogue=cat, forces=forces, use_cache=False)


def rows(sim, kind: str, inc: int | None = None) -> list[tuple]:
    k = KINDS.index(kind)
    return [e for e in sim.events if e[1] == k and (inc is None or e[2] == inc)]


def unit_index(sim, unit_id: str) -> int:
    return list(sim.engine.fleet.unit_ids).index(unit_id)


def test_arrival_is_turnout_plus_road_time_at_night():
    city = tiny_city()
    sim = simulate_script(city, [(0.0, "drill", "n21")],
                          config=config(fixed(600.0, (("fire", 1), ("community", 1)))))
    inc = sim.incidents[0]
    # F1 at n00 → n21: three streets = 300 s; turnout 60 s.
    assert inc.first[1] == pytest.approx(FIRE_TURNOUT + 300.0)
    # community C1 at n10 → n21: √2 km straight × 1.4 / 3.5 m/s + 60 s turnout.
    assert inc.first[0] == pytest.approx(60.0 + math.hypot(1000, 1000) * 1.4 / 3.5)
    assert inc.cleared_s == pytest.approx(FIRE_TURNOUT + 300.0 + 600.0)
    f1 = unit_index(sim, "F1/1")
    home = [e for e in rows(sim, "available") if e[3] == f1]
    assert home[0][0] == pytest.approx(inc.cleared_s + 300.0)  # drives back the same 300 s


def test_peak_hour_congestion_uses_the_departure_period():
    city = tiny_city()
    t0 = 8 * 3600.0  # 08:00, morning peak: local streets ×1.3 (twin.roads.CONGESTION)
    sim = simulate_script(city, [(t0, "drill", "n21")], config=config(fixed(60.0)))
    assert sim.incidents[0].first[1] == pytest.approx(t0 + FIRE_TURNOUT + 300.0 * 1.3, abs=0.01)


def test_busy_district_borrows_from_the_nearest_neighbour():
    city = tiny_city()
    sim = simulate_script(city, [(0.0, "drill", "n40"), (60.0, "drill", "n41")],
                          config=config(fixed(3600.0)))
    a, b = sim.incidents
    assert a.first[1] == pytest.approx(FIRE_TURNOUT + 100.0)        # own F2 at n50
    # F2 busy: F3 (D3, n53 → n41 = 300 s) beats F1 (D1, n00 → n41 = 500 s).
    assert b.first[1] == pytest.approx(60.0 + FIRE_TURNOUT + 300.0)
    assert not a.mutual_aid and b.mutual_aid
    d = sim.engine.districts
    assert {(d[x], d[y]): n for (x, y), n in sim.mutual_aid.items()} == {("D3", "D2"): 1}
    ev = event_table(sim)
    ma = ev[ev["kind"] == "mutual_aid"]
    assert ma[["unit_id", "from_district", "to_district"]].astype(str).values.tolist() == [
        ["F3/1", "D3", "D2"]]
    assert incident_table(sim)["mutual_aid"].tolist() == [False, True]


def test_queue_forms_when_incidents_outnumber_units_and_is_served_fifo():
    city = tiny_city(units={"F2": 0, "F3": 0})  # one fire engine in the city
    sim = simulate_script(city, [(0.0, "drill", "n10"), (10.0, "drill", "n20"),
                                 (20.0, "drill", "n21")], config=config(fixed(600.0)))
    a, b, c = sim.incidents
    assert [len(rows(sim, "queued", i)) for i in range(3)] == [0, 1, 1]
    assert a.first[1] == pytest.approx(160.0) and a.cleared_s == pytest.approx(760.0)
    # the engine goes straight from scene to scene: turnout + one street each time
    assert b.first[1] == pytest.approx(760.0 + 160.0) and b.cleared_s == pytest.approx(1520.0)
    assert c.first[1] == pytest.approx(1520.0 + 160.0)
    home = rows(sim, "available")
    assert len(home) == 1 and home[0][0] == pytest.approx(1680.0 + 600.0 + 300.0)
    assert incident_table(sim)["queued"].tolist() == [False, True, True]


SHORT_BRIDGE = "n21-n31"


def bridge_closure(city, start_s: float, end_s: float = math.inf) -> ClosureEvent:
    return ClosureEvent(edges=tuple(city.roads.edge_index([SHORT_BRIDGE]).tolist()),
                        start_s=start_s, end_s=end_s, reason="test", name="Short Bridge")


def test_closed_short_bridge_sends_later_dispatches_over_the_long_one():
    city = tiny_city(units={"F2": 0, "F3": 0})
    cfg = config(fixed(60.0))
    open_ = simulate_script(city, [(100.0, "drill", "n31")], config=cfg)
    assert open_.incidents[0].first[1] == pytest.approx(100.0 + FIRE_TURNOUT + 400.0)
    shut = simulate_script(city, [(100.0, "drill", "n31")], config=cfg,
                           closures=(bridge_closure(city, 50.0),))
    # n00 → n23 (500 s) → long bridge (200 s) → n33 → n31 (200 s) = 900 s
    assert shut.incidents[0].first[1] == pytest.approx(100.0 + FIRE_TURNOUT + 900.0)


def test_unit_en_route_keeps_its_progress_and_takes_the_detour():
    city = tiny_city(units={"F2": 0, "F3": 0})
    closure_t = FIRE_TURNOUT + 250.0  # half-way along the street before n21
    sim = simulate_script(city, [(0.0, "drill", "n31")], config=replace(
        config(fixed(60.0)), record_routes=True), closures=(bridge_closure(city, closure_t),))
    inc = sim.incidents[0]
    # finishes its street to n21 (at 360 s), then n21 → n23 → long bridge → n31 = 600 s
    assert inc.first[1] == pytest.approx(FIRE_TURNOUT + 300.0 + 600.0)
    rr = rows(sim, "reroute")
    assert len(rr) == 1 and rr[0][0] == pytest.approx(closure_t)
    assert sim.engine.net.node_ids[rr[0][4]] == "n21"
    out, back = sorted(sim.routes, key=lambda r: r[2])
    names = [sim.engine.net.node_ids[n] for n in out[6]]
    assert names[0] == "n00" and names[3:] == ["n21", "n22", "n23", "n33", "n32", "n31"]
    assert out[7][-1] == pytest.approx(out[4]) and np.all(np.diff(out[7]) >= 0)
    # the bridge stays shut: the drive home takes the long way too (900 s)
    assert back[4] - back[3] == pytest.approx(900.0)


def test_reopening_is_used_by_later_dispatches():
    city = tiny_city(units={"F2": 0, "F3": 0})
    sim = simulate_script(city, [(3000.0, "drill", "n31")], config=config(fixed(60.0)),
                          closures=(bridge_closure(city, 0.0, 1000.0),))
    assert sim.incidents[0].first[1] == pytest.approx(3000.0 + FIRE_TURNOUT + 400.0)
    assert [KINDS[e[1]] for e in sim.events[:2]] == ["closure_start", "closure_end"]


def gas_config(deadline_s: float) -> EngineConfig:
    leak = replace(CATALOGUE["gas_leak"], deadline=LogNormal(deadline_s, deadline_s),
                   work=LogNormal(600.0, 600.0))
    return config(leak)


def test_gas_leak_escalates_when_containment_is_late():
    city = tiny_city()
    sim = simulate_script(city, [(0.0, "gas_leak", "n21")], config=gas_config(120.0))
    assert sim.cascades == 1
    kinds = [i.type.name for i in sim.incidents]
    assert kinds == ["gas_leak", "gas_explosion", "building_fire"]
    for new in sim.incidents[1:]:
        assert new.node == sim.incidents[0].node and new.onset == pytest.approx(120.0)
        assert new.parent == 0 and new.cause == "cascade:0"
        assert new.alarm >= new.onset
    assert len(rows(sim, "cascade")) == 1
    table = incident_table(sim)
    assert table["parent_id"].tolist()[1:] == [0, 0]


def test_gas_leak_contained_in_time_does_not_escalate():
    city = tiny_city()
    sim = simulate_script(city, [(0.0, "gas_leak", "n21")], config=gas_config(3600.0))
    assert sim.cascades == 0 and len(sim.incidents) == 1
    assert sim.incidents[0].contained_s == pytest.approx(FIRE_TURNOUT + 300.0)


def test_helicopter_flies_straight_and_leaves_after_its_time_on_scene():
    city = tiny_city()
    kind = fixed(7200.0, (("fire", 1),), air_prob=1.0)
    sim = simulate_script(city, [(0.0, "drill", "n53")], config=config(kind))
    inc = sim.incidents[0]
    flight = math.hypot(5000.0, 2000.0) / 60.0 + 180.0  # A1 at n01 → n53, approach 3 min
    launch = inc.first[4] - flight
    assert 600.0 <= launch <= 900.0
    a1 = unit_index(sim, "A1/1")
    left = [e for e in rows(sim, "returning") if e[3] == a1]
    assert left[0][0] == pytest.approx(inc.first[4] + 1800.0)  # capped: incident still on
    assert inc.cleared_s == pytest.approx(FIRE_TURNOUT + 0.0 + 7200.0)  # F3 sits at n53
