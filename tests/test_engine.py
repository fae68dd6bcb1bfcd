"""The response engine on the tiny hand-made city: times worked out by hand.

Every street is 100 s and the short bridge 100 s at night (see tests/tinycity.py).
Incidents are scripted with the alarm at onset. The time chain runs in its deterministic
mode (``TimeChain.deterministic()``: no travel noise, call handling fixed at its median):

- the 119 centre handles the call for **60 s**: every unit is ordered at alarm + 60 s;
- fire engines turn out in **90 s at night** (22:00–06:00; the tiny city's clock starts at
  midnight, so every test before 06:00 is at night) and **60 s by day**;
- fire-led work starts after **60 s** of set-up on scene;
- community responders leave their post 60 s after the order; professional teams 300 s.

So a fire engine's wheels turn 60 + 90 = 150 s after a night alarm.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from tinycity import simulate_script, tiny_city

from twin.analysis.metrics import event_table, incident_table
from twin.hazards.timeline import ClosureEvent, ScheduledIncident, Timeline
from twin.sim.engine import KINDS, EngineConfig
from twin.sim.forces import DEFAULT_FORCES
from twin.sim.incidents import CATALOGUE, IncidentType, LogNormal
from twin.sim.params import AirLimits, TimeChain

CALL = 60.0  # 119 call handling (deterministic mode: the median)
NIGHT_TURNOUT = 90.0  # fire turnout at night
SETUP = 60.0  # fire set-up on scene before the work
ORDER_TO_WHEELS = CALL + NIGHT_TURNOUT  # 150 s from a night alarm to a fire engine rolling


def fixed(work_s: float, needs=(("fire", 1),), **kw) -> IncidentType:
    """A test incident type with a constant work time and no air call."""
    return IncidentType("drill", "演练", 0.0, tuple(needs), LogNormal(work_s, work_s), **kw)


def config(*types: IncidentType, community_availability: float = 1.0) -> EngineConfig:
    forces = dict(DEFAULT_FORCES)
    forces["community"] = replace(
        forces["community"],
        availability=community_availability,
        availability_night=community_availability,
    )
    cat = dict(CATALOGUE)
    cat.update({t.name: t for t in types})
    return EngineConfig(
        catalogue=cat, forces=forces, use_cache=False, chain=TimeChain.deterministic()
    )


def rows(sim, kind: str, inc: int | None = None) -> list[tuple]:
    k = KINDS.index(kind)
    return [e for e in sim.events if e[1] == k and (inc is None or e[2] == inc)]


def unit_index(sim, unit_id: str) -> int:
    return list(sim.engine.fleet.unit_ids).index(unit_id)


def test_arrival_is_turnout_plus_road_time_at_night():
    city = tiny_city()
    sim = simulate_script(
        city, [(0.0, "drill", "n21")], config=config(fixed(600.0, (("fire", 1), ("community", 1))))
    )
    inc = sim.incidents[0]
    # F1 at n00 → n21: call 60 s + night turnout 90 s + three streets 300 s = 450 s.
    assert inc.first[1] == pytest.approx(60.0 + 90.0 + 300.0)
    # community C1 at n10 → n21: call 60 s + 60 s to leave the post, then √2 km straight
    # × 1.4 circuity walked on the flat at Tobler's 6·e^(−3.5·0.05) = 5.037 km/h = 1.3991 m/s
    walk = math.hypot(1000, 1000) * 1.4 / (6.0 * math.exp(-0.175) / 3.6)  # 1415.1 s
    assert inc.first[0] == pytest.approx(60.0 + 60.0 + walk)
    # fire leads: 60 s set-up, then 600 s of work
    assert inc.cleared_s == pytest.approx(450.0 + 60.0 + 600.0)
    f1 = unit_index(sim, "F1/1")
    home = [e for e in rows(sim, "available") if e[3] == f1]
    assert home[0][0] == pytest.approx(inc.cleared_s + 300.0)  # drives back the same 300 s


def test_peak_hour_congestion_uses_the_departure_period():
    city = tiny_city()
    t0 = 8 * 3600.0  # 08:00, morning peak: local streets ×1.3 (twin.model.roads.CONGESTION)
    sim = simulate_script(city, [(t0, "drill", "n21")], config=config(fixed(60.0)))
    # call 60 s + day turnout 60 s + 300 s × 1.3
    assert sim.incidents[0].first[1] == pytest.approx(t0 + 60.0 + 60.0 + 300.0 * 1.3, abs=0.01)


def test_busy_district_borrows_from_the_nearest_neighbour():
    city = tiny_city()
    sim = simulate_script(
        city, [(0.0, "drill", "n40"), (60.0, "drill", "n41")], config=config(fixed(3600.0))
    )
    a, b = sim.incidents
    assert a.first[1] == pytest.approx(60.0 + 90.0 + 100.0)  # own F2 at n50
    # F2 busy: F3 (D3, n53 → n41 = 300 s) beats F1 (D1, n00 → n41 = 500 s).
    assert b.first[1] == pytest.approx(60.0 + 60.0 + 90.0 + 300.0)
    assert not a.mutual_aid and b.mutual_aid
    d = sim.engine.districts
    assert {(d[x], d[y]): n for (x, y), n in sim.mutual_aid.items()} == {("D3", "D2"): 1}
    ev = event_table(sim)
    ma = ev[ev["kind"] == "mutual_aid"]
    assert ma[["unit_id", "from_district", "to_district"]].astype(str).values.tolist() == [
        ["F3/1", "D3", "D2"]
    ]
    assert incident_table(sim)["mutual_aid"].tolist() == [False, True]


def test_queue_forms_when_incidents_outnumber_units_and_is_served_fifo():
    city = tiny_city(units={"F2": 0, "F3": 0})  # one fire engine in the city
    sim = simulate_script(
        city,
        [(0.0, "drill", "n10"), (10.0, "drill", "n20"), (20.0, "drill", "n21")],
        config=config(fixed(600.0)),
    )
    a, b, c = sim.incidents
    assert [len(rows(sim, "queued", i)) for i in range(3)] == [0, 1, 1]
    # a: ordered at 60, rolls at 150, one street: on scene 250; + 60 set-up + 600 work
    assert a.first[1] == pytest.approx(250.0) and a.cleared_s == pytest.approx(910.0)
    # the engine goes straight from scene to scene: night turnout 90 + one street each time
    assert b.first[1] == pytest.approx(910.0 + 190.0) and b.cleared_s == pytest.approx(1760.0)
    assert c.first[1] == pytest.approx(1760.0 + 190.0)
    home = rows(sim, "available")  # c cleared at 1950 + 660; n21 → n00 is 300 s
    assert len(home) == 1 and home[0][0] == pytest.approx(1950.0 + 660.0 + 300.0)
    assert incident_table(sim)["queued"].tolist() == [False, True, True]


SHORT_BRIDGE = "n21-n31"


def bridge_closure(city, start_s: float, end_s: float = math.inf) -> ClosureEvent:
    return ClosureEvent(
        edges=tuple(city.roads.edge_index([SHORT_BRIDGE]).tolist()),
        start_s=start_s,
        end_s=end_s,
        reason="test",
        name="Short Bridge",
    )


def test_closed_short_bridge_sends_later_dispatches_over_the_long_one():
    city = tiny_city(units={"F2": 0, "F3": 0})
    cfg = config(fixed(60.0))
    open_ = simulate_script(city, [(100.0, "drill", "n31")], config=cfg)
    assert open_.incidents[0].first[1] == pytest.approx(100.0 + ORDER_TO_WHEELS + 400.0)
    shut = simulate_script(
        city, [(100.0, "drill", "n31")], config=cfg, closures=(bridge_closure(city, 50.0),)
    )
    # n00 → n23 (500 s) → long bridge (200 s) → n33 → n31 (200 s) = 900 s
    assert shut.incidents[0].first[1] == pytest.approx(100.0 + ORDER_TO_WHEELS + 900.0)


def test_unit_en_route_keeps_its_progress_and_takes_the_detour():
    city = tiny_city(units={"F2": 0, "F3": 0})
    closure_t = ORDER_TO_WHEELS + 250.0  # half-way along the street before n21
    sim = simulate_script(
        city,
        [(0.0, "drill", "n31")],
        config=replace(config(fixed(60.0)), record_routes=True),
        closures=(bridge_closure(city, closure_t),),
    )
    inc = sim.incidents[0]
    # finishes its street to n21 (at 450 s), then n21 → n23 → long bridge → n31 = 600 s
    assert inc.first[1] == pytest.approx(ORDER_TO_WHEELS + 300.0 + 600.0)
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
    sim = simulate_script(
        city,
        [(3000.0, "drill", "n31")],
        config=config(fixed(60.0)),
        closures=(bridge_closure(city, 0.0, 1000.0),),
    )
    assert sim.incidents[0].first[1] == pytest.approx(3000.0 + ORDER_TO_WHEELS + 400.0)
    assert [KINDS[e[1]] for e in sim.events[:2]] == ["closure_start", "closure_end"]


def gas_config(deadline_s: float) -> EngineConfig:
    leak = replace(
        CATALOGUE["gas_leak"],
        deadline=LogNormal(deadline_s, deadline_s),
        work=LogNormal(600.0, 600.0),
    )
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
    # F1 rolls at 150 s and drives 300 s (P1 would be on scene at 60 + 300 + 100 = 460 s)
    assert sim.incidents[0].contained_s == pytest.approx(60.0 + 90.0 + 300.0)


def test_helicopter_flies_straight_and_leaves_after_its_time_on_scene():
    city = tiny_city()
    kind = fixed(7200.0, (("fire", 1),), air_prob=1.0)
    t0 = 10 * 3600.0  # 10:00, daylight; no fog days in this config
    sim = simulate_script(
        city,
        [(t0, "drill", "n53")],
        config=replace(config(kind), air=AirLimits(fog_days_per_year=0.0)),
    )
    inc = sim.incidents[0]
    flight = math.hypot(5000.0, 2000.0) / 60.0 + 180.0  # A1 at n01 → n53, approach 3 min
    launch = inc.first[4] - flight  # ordered at t0 + 60 s, then 600–900 s to lift off
    assert t0 + 60.0 + 600.0 <= launch <= t0 + 60.0 + 900.0
    a1 = unit_index(sim, "A1/1")
    left = [e for e in rows(sim, "returning") if e[3] == a1]
    assert left[0][0] == pytest.approx(inc.first[4] + 1800.0)  # capped: incident still on
    # F3 sits at n53: on scene at call 60 + day turnout 60 s, then 60 s set-up, 7200 s work
    assert inc.cleared_s == pytest.approx(t0 + 60.0 + 60.0 + 0.0 + 60.0 + 7200.0)


def test_helicopter_is_grounded_in_the_dark_and_on_a_fog_morning():
    city = tiny_city()
    kind = fixed(600.0, (("fire", 1),), air_prob=1.0)
    # 02:00 is dark (19:00–07:00): the call is refused, no helicopter ever arrives
    night = simulate_script(city, [(2 * 3600.0, "drill", "n53")], config=config(kind))
    assert len(rows(night, "grounded")) == 1 and math.isnan(night.incidents[0].first[4])
    assert not rows(night, "dispatched") or all(
        e[3] != unit_index(night, "A1/1") for e in rows(night, "dispatched")
    )
    # every day foggy (365 fog days a year): at 09:00 grounded, at 13:00 it flies
    fog = replace(config(kind), air=AirLimits(fog_days_per_year=365.0))
    morning = simulate_script(city, [(9 * 3600.0, "drill", "n53")], config=fog)
    assert len(rows(morning, "grounded")) == 1
    noon = simulate_script(city, [(13 * 3600.0, "drill", "n53")], config=fog)
    assert not rows(noon, "grounded") and noon.incidents[0].first[4] > 13 * 3600.0


def test_queued_request_served_from_another_districts_scene_is_mutual_aid():
    # One fire engine in the city (F1, D1). The D2 incident queues; F1 drives to it straight
    # from the D1 scene: a D1 unit into D2 is mutual aid, counted once everywhere.
    city = tiny_city(units={"F2": 0, "F3": 0})
    sim = simulate_script(
        city, [(0.0, "drill", "n10"), (10.0, "drill", "n41")], config=config(fixed(600.0))
    )
    a, b = sim.incidents
    assert b.queued and b.first[1] > a.cleared_s
    assert not a.mutual_aid and b.mutual_aid
    d = sim.engine.districts
    assert {(d[x], d[y]): n for (x, y), n in sim.mutual_aid.items()} == {("D1", "D2"): 1}
    assert len(rows(sim, "mutual_aid")) == 1
    assert incident_table(sim)["mutual_aid"].tolist() == [False, True]


def test_busy_time_counts_only_the_simulated_duration():
    # A 2-hour job in a 1-hour run: F1 is busy for the whole hour, not 2 h+ (utilisation 1).
    city = tiny_city()
    sim = simulate_script(
        city, [(0.0, "drill", "n10")], config=config(fixed(7200.0)), duration_s=3600.0
    )
    f1 = unit_index(sim, "F1/1")
    assert sim.unit_busy_s[f1] == pytest.approx(3600.0 - 60.0)  # busy from its order at 60 s
    assert sim.incidents[0].cleared_s > 3600.0  # the work itself still finishes in the drain


def test_units_still_busy_when_the_drain_is_cut_count_their_busy_time():
    city = tiny_city()
    cfg = replace(config(fixed(7200.0)), drain_s=600.0)  # F1 is still on scene at the cut
    sim = simulate_script(city, [(0.0, "drill", "n10")], config=cfg, duration_s=3600.0)
    assert not sim.incidents[0].cleared
    assert sim.unit_busy_s[unit_index(sim, "F1/1")] == pytest.approx(3600.0 - 60.0)


def named(name: str, work_s: float, needs) -> IncidentType:
    return IncidentType(name, name, 0.0, tuple(needs), LogNormal(work_s, work_s))


def test_ground_unit_starts_the_work_when_the_lead_force_is_only_queued():
    # "rescue" is led by the professional team. Both are ordered 60 s after the alarm; F1
    # (n00) reaches n10 at 60 + 90 + 100 = 250 s, P1 (n11; turnout 300 s, no set-up) at
    # 60 + 300 + 100 = 460 s. With P1 free, F1 waits on scene for it; with P1 tied up
    # elsewhere for hours (the request queues), F1 starts the work itself (after its 60 s
    # set-up) instead of standing idle.
    city = tiny_city()
    rescue = named("rescue", 600.0, (("professional", 1), ("fire", 1)))
    long_job = named("long_job", 20000.0, (("professional", 1),))
    cfg = config(rescue, long_job)
    free = simulate_script(city, [(0.0, "rescue", "n10")], config=cfg)
    assert free.incidents[0].cleared_s == pytest.approx(460.0 + 600.0)
    busy = simulate_script(city, [(0.0, "long_job", "n12"), (10.0, "rescue", "n10")], config=cfg)
    job, inc = busy.incidents
    assert inc.queued and inc.first[1] == pytest.approx(10.0 + 60.0 + 90.0 + 100.0)
    assert inc.cleared_s == pytest.approx(10.0 + 60.0 + 90.0 + 100.0 + 60.0 + 600.0)
    assert math.isnan(inc.first[2])  # the queued request lapsed with the incident
    f1 = unit_index(busy, "F1/1")
    home = [e for e in rows(busy, "available") if e[3] == f1]
    assert home[0][0] == pytest.approx(inc.cleared_s + 100.0)


# ---- how the engine is wired (tables, the incidents it draws, the run's closures) ----------


def test_k_nearest_tables_give_the_dense_times_and_fall_back_when_the_listed_are_busy():
    # K = 2 nearest fire bases per node. For n10 (night, every street 100 s): F1 (n00) one
    # street = 100 s; F2 (n50) n10 → n20 → n21 (200) + short bridge (100) + n31 → n30 →
    # n40 → n50 (300) = 600 s; F3 (n53) n21 (200) + bridge (100) + n31 → n41 → n51 → n52 →
    # n53 (400) = 700 s (via the long bridge 400 + 200 + 200 = 800 s). Listed: F1 100, F2 600.
    # a (n10, alarm 0) takes F1: listed, free and below the 2nd listed time (600): no search.
    # b (n10, alarm 10 s) finds F1 busy: F2's 600 s is not *below* the 2nd listed time, so an
    # unlisted base could tie — one full search (the fall-back) gives F2 600, F3 700 → F2,
    # on scene at 10 + 60 (call) + 90 (turnout) + 600 = 760 s, as dense tables would.
    from twin.sim.engine import Engine, Run
    from twin.sim.nearest import NearestRoadTimes

    city = tiny_city()
    cfg = replace(config(fixed(600.0)), tables="nearest", nearest_k=2)
    incs = [(0.0, "n10"), (10.0, "n10")]
    nodes = city.roads.node_index([n for _, n in incs])
    tl = Timeline(
        incidents=tuple(
            ScheduledIncident(t, "drill", int(n), "script", alarm_delay_s=0.0)
            for (t, _), n in zip(incs, nodes)
        )
    )
    engine = Engine(city, cfg)
    fire = 1
    assert engine.nearest is not None and engine.nearest[fire].row[0].shape == (24, 2)
    rng = np.random.default_rng(0)
    arrays = engine.draw(rng, 86400.0, tl, random=False)
    run = Run(engine, arrays, rng, 86400.0, tl, None)
    sim = run.execute()
    a, b = sim.incidents
    assert a.first[1] == pytest.approx(60.0 + 90.0 + 100.0)
    assert b.first[1] == pytest.approx(10.0 + 60.0 + 90.0 + 600.0)
    assert rows(sim, "dispatched", 1)[0][3] == unit_index(sim, "F2/1")
    assert isinstance(run.queues.rt, NearestRoadTimes)
    assert run.queues.rt.fallbacks == 1  # b only; with K = 8 every base is listed: none


def test_simulate_draws_with_the_multipliers_and_the_random_flag_it_is_given():
    # The tiny city's 600 000 people at the catalogue's rates: community_assist alone is
    # 8 / 100 000 / day → 48 a day. × 0 there are none; with every other type × 0 only
    # community calls are left; and simulate draws exactly what Engine.draw draws.
    from twin.sim.engine import Engine, simulate

    city = tiny_city()
    cfg = EngineConfig(use_cache=False, chain=TimeChain.deterministic())
    day = 86400.0
    none = simulate(city, np.random.default_rng(3), day, config=cfg, rate_multiplier=0.0)
    assert none.incidents == []
    only = {name: 0.0 for name in CATALOGUE if name != "community_assist"}
    comm = simulate(city, np.random.default_rng(3), day, config=cfg, type_multipliers=only)
    assert len(comm.incidents) > 20
    assert {inc.type.name for inc in comm.incidents} == {"community_assist"}
    # random=False: the timeline's incidents only
    n10 = int(city.roads.node_index(["n10"])[0])
    tl = Timeline(incidents=(ScheduledIncident(600.0, "outdoor_fire", n10, "script"),))
    script = simulate(city, np.random.default_rng(3), day, tl, config=cfg, random=False)
    assert [(i.type.name, i.onset) for i in script.incidents] == [("outdoor_fire", 600.0)]
    half = simulate(city, np.random.default_rng(3), day, config=cfg, rate_multiplier=0.5)
    drawn = Engine(city, cfg).draw(np.random.default_rng(3), day, rate_multiplier=0.5)
    assert len(half.incidents) == len(drawn)
    assert sorted(i.onset for i in half.incidents) == pytest.approx(sorted(drawn.onset_s))


def test_a_closure_starting_exactly_at_the_end_of_the_run_is_not_part_of_it():
    # A 1-hour run: a closure from 3599 s is part of the run (and reported); one from
    # 3600 s (the end) is not — the drain only finishes what the run started.
    city = tiny_city()
    inside = bridge_closure(city, 3599.0)
    at_end = bridge_closure(city, 3600.0)
    sim = simulate_script(
        city,
        [(0.0, "drill", "n10")],
        config=config(fixed(60.0)),
        closures=(inside, at_end),
        duration_s=3600.0,
    )
    assert sim.closures == [inside]
    assert [e[0] for e in rows(sim, "closure_start")] == [3599.0]


def test_incidents_happen_only_in_core_districts_and_where_road_units_reach():
    # D3 made a non-core district: its 6 nodes are outside the study area, D1's 12 and
    # D2's 6 are in. Without the bridges and with every road base on the west bank (F1, P1:
    # F2, F3 and S1 dropped) the east bank cannot be reached: only D1's 12 nodes are left.
    from twin.sim.engine import Engine

    city = tiny_city()
    d = city.districts.copy()
    d.loc[d["district_id"] == "D3", "level"] = "district"
    outer = replace(city, districts=d)
    ok = Engine(outer, config(fixed(60.0)))._eligible()
    districts = outer.road_nodes["district_id"].to_numpy()
    assert ok.tolist() == (districts != "D3").tolist()
    keep = ~city.road_edges["bridge"].to_numpy(bool)
    west = tiny_city(drop=("F2", "F3", "S1"))
    cut = replace(west, road_edges=west.road_edges[keep].reset_index(drop=True))
    ok = Engine(cut, config(fixed(60.0)))._eligible()
    assert ok.tolist() == (districts == "D1").tolist()
    assert int(ok.sum()) == 12
    # a city without a districts layer has no study-area bound: all 24 nodes (the nodes'
    # own district ids still name the districts)
    bare = replace(city, districts=city.districts.iloc[0:0])
    engine = Engine(bare, config(fixed(60.0)))
    assert engine._eligible().tolist() == [True] * 24
    assert engine.districts == ("D1", "D2", "D3")


def test_the_run_dispatches_by_the_configured_policy():
    # n32 moved into D2 (its node's district): its own F2 (n50 → n40 → n41 → n42 → n32 or
    # any 4-street way = 400 s) is farther than D3's F3 (n53 → n52 → n42 → n32 = 300 s).
    # "nearest" sends F3: on scene 60 + 90 + 300 = 450 s, mutual aid D3 → D2;
    # "district_first" sends own F2 (400 s + 90 s turnout is within the 30-min target):
    # 60 + 90 + 400 = 550 s, no mutual aid.
    city = tiny_city()
    nodes = city.road_nodes.copy()
    nodes.loc[nodes["node_id"] == "n32", "district_id"] = "D2"
    moved = replace(city, road_nodes=nodes)
    cfg = config(fixed(600.0))
    near = simulate_script(moved, [(0.0, "drill", "n32")], config=cfg)
    own = simulate_script(
        moved, [(0.0, "drill", "n32")], config=replace(cfg, policy="district_first")
    )
    assert near.incidents[0].first[1] == pytest.approx(450.0)
    assert rows(near, "dispatched")[0][3] == unit_index(near, "F3/1")
    assert near.incidents[0].mutual_aid
    assert own.incidents[0].first[1] == pytest.approx(550.0)
    assert rows(own, "dispatched")[0][3] == unit_index(own, "F2/1")
    assert not own.incidents[0].mutual_aid


def test_a_leak_contained_exactly_at_its_ignition_time_does_not_escalate():
    # escalate() at a leak's ignition time (onset 0 + deadline 600 s): a containing unit on
    # scene by then — at 600 s exactly included — stops it; on scene 1 µs later is too
    # late: one cascade, and the leak's two cascade types (gas explosion, building fire)
    # are raised at its node.
    from twin.sim.engine import Engine, Run
    from twin.sim.lifecycle import Inc, escalate

    city = tiny_city()
    engine = Engine(city, gas_config(600.0))
    rng = np.random.default_rng(0)
    arrays = engine.draw(rng, 3600.0, Timeline(), random=False)
    life = Run(engine, arrays, rng, 3600.0, Timeline(), None).life
    code = life.types.index(life.catalogue["gas_leak"])
    n21 = int(city.roads.node_index(["n21"])[0])

    def leak(contained_s: float) -> Inc:
        inc = Inc(0, code, life.types[code], n21, 0, 0.0, 0.0, 0, 600.0, 600.0, False, 1)
        inc.contained_s = contained_s
        life.incs = [inc]
        return inc

    escalate(life, leak(600.0))
    assert life.cascades == 0 and len(life.incs) == 1
    escalate(life, leak(600.0 + 1e-6))
    assert life.cascades == 1
    assert [(i.type.name, i.node, i.parent) for i in life.incs[1:]] == [
        ("gas_explosion", n21, 0),
        ("building_fire", n21, 0),
    ]


def test_units_are_ordered_when_the_call_is_handled_even_within_a_second():
    # 119 call handling of 0.5 s (deterministic chain: every call takes its median): the
    # order follows the alarm by 0.5 s, and F1 reaches n10 at 0.5 + 90 + 100 = 190.5 s.
    city = tiny_city()
    cfg = config(fixed(60.0))
    cfg = replace(cfg, chain=replace(cfg.chain, call_median_s=0.5, call_p90_s=0.5))
    sim = simulate_script(city, [(0.0, "drill", "n10")], config=cfg)
    inc = sim.incidents[0]
    assert inc.dispatch_s == 0.5
    assert inc.first[1] == pytest.approx(190.5)


def test_a_traffic_regime_sets_the_road_times_while_it_holds():
    # The traffic model's everyday multipliers all 1 (free flow in every period), and one
    # regime doubling every edge's time from 0 to 1 h (say, a storm). F1 (n00) to n10, one
    # street: at 00:10 (in the regime) 2 × 100 s → on scene 600 + 60 + 90 + 200 = 950 s; at
    # 02:00 (after it) 100 s → 7200 + 60 + 90 + 100 = 7450 s. F2 (n50) to n40, one street,
    # at 00:20 (F1 busy): 1200 + 60 + 90 + 200 = 1550 s.
    from twin.model.roads import PERIODS
    from twin.model.traffic import Regime, Traffic

    city = tiny_city()
    n = len(city.road_edges)
    ones = tuple(np.ones(n) for _ in PERIODS)
    storm = Regime(0.0, 3600.0, tuple(np.full(n, 2.0) for _ in PERIODS), "storm")
    cfg = replace(config(fixed(60.0)), traffic=Traffic(base=ones, regimes=(storm,)))
    incs = [(600.0, "drill", "n10"), (1200.0, "drill", "n40"), (7200.0, "drill", "n10")]
    sim = simulate_script(city, incs, config=cfg)
    a, c, b = sim.incidents
    assert a.first[1] == pytest.approx(950.0)
    assert b.first[1] == pytest.approx(7450.0)
    assert c.first[1] == pytest.approx(1550.0)
    assert rows(sim, "dispatched", 1)[0][3] == unit_index(sim, "F2/1")
