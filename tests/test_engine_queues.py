"""The queues and the crews' busy spells on the tiny city: who is served next, and when.

Times worked out by hand as in tests/test_engine.py (deterministic time chain, night):
119 call handling 60 s, fire turnout 90 s, set-up 60 s, every street 100 s, the short
bridge n21–n31 100 s, the long bridge n23–n33 200 s. One fire engine in the city (F1 at
n00): F2 and F3 have no units. With both bridges shut the east bank cannot be reached by
road from the west bank.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from test_disaster_response import config as dr_config
from test_disaster_response import named
from test_engine import config, fixed, rows, unit_index
from tinycity import simulate_script, tiny_city

from twin.hazards.timeline import ClosureEvent, ScheduledIncident, Timeline
from twin.sim.engine import KINDS, Engine
from twin.sim.surge import SurgeRule

BRIDGES = ["n21-n31", "n23-n33"]
WORK = 600.0
SETUP = 60.0


def bridges_shut(city, start_s: float, end_s: float = math.inf) -> ClosureEvent:
    return ClosureEvent(
        edges=tuple(city.roads.edge_index(BRIDGES).tolist()),
        start_s=start_s,
        end_s=end_s,
        reason="test",
        name="both bridges",
    )


def one_engine():
    return tiny_city(units={"F2": 0, "F3": 0})


def test_freed_engine_skips_a_queued_incident_it_cannot_reach():
    # a (n10) takes F1: on scene 60 + 90 + 100 = 250 s, cleared 250 + 60 + 600 = 910 s.
    # b (n31, east) queues at 10 s, c (n20, west) at 20 s. Both bridges shut at 500 s and
    # for good. At 910 s F1 cannot reach b from n10, so it serves c, the next in the queue:
    # turnout 90 + one street 100 → on scene at 1100 s; b is never served.
    city = one_engine()
    sim = simulate_script(
        city,
        [(0.0, "drill", "n10"), (10.0, "drill", "n31"), (20.0, "drill", "n20")],
        config=config(fixed(WORK)),
        closures=(bridges_shut(city, 500.0),),
    )
    a, b, c = sim.incidents
    assert a.cleared_s == pytest.approx(910.0)
    assert c.first[1] == pytest.approx(910.0 + 90.0 + 100.0)
    assert c.cleared_s == pytest.approx(1100.0 + SETUP + WORK)
    assert math.isnan(b.first[1]) and not b.cleared
    f1 = unit_index(sim, "F1/1")
    assert [(e[0], e[2]) for e in rows(sim, "dispatched")] == [
        (pytest.approx(60.0), 0),
        (pytest.approx(910.0), 2),
    ]
    # after c (cleared at 1760 s) only b is queued, still out of reach: F1 goes home,
    # n20 → n00 two streets = 200 s, available at 1960 s
    home = [e for e in rows(sim, "available") if e[3] == f1]
    assert [e[0] for e in home] == [pytest.approx(1760.0 + 200.0)]


def test_engine_home_serves_the_request_it_could_not_reach_from_the_scene():
    # Same a and b; the bridges are shut from 500 s to 1000 s only. At 910 s F1 (at n10)
    # cannot reach b: it drives home (one street, 100 s) and is at n00 at 1010 s; the
    # reopening at 1000 s found no free engine. At home it takes b at once: dispatched at
    # 1010 s, turnout 90 s, n00 → n31 via the short bridge 400 s → on scene at 1500 s.
    city = one_engine()
    sim = simulate_script(
        city,
        [(0.0, "drill", "n10"), (10.0, "drill", "n31")],
        config=config(fixed(WORK)),
        closures=(bridges_shut(city, 500.0, 1000.0),),
    )
    a, b = sim.incidents
    f1 = unit_index(sim, "F1/1")
    assert a.cleared_s == pytest.approx(910.0)
    returning = rows(sim, "returning")
    assert [(e[0], e[2], e[3]) for e in returning][0] == (pytest.approx(910.0), 0, f1)
    disp = rows(sim, "dispatched", 1)
    assert len(disp) == 1 and disp[0][0] == pytest.approx(1010.0) and disp[0][3] == f1
    assert b.first[1] == pytest.approx(1010.0 + 90.0 + 400.0)
    assert b.cleared_s == pytest.approx(1500.0 + SETUP + WORK)
    # one busy spell from the order of a (60 s) to home after b: 2160 + 400 s back
    assert sim.unit_busy_s[f1] == pytest.approx(2560.0 - 60.0)


def test_a_spell_ordered_in_the_drain_adds_no_busy_time():
    # A 1-hour run; the alarm at 3590 s orders F1 at 3650 s, after the run's end: all of
    # its spell lies in the drain, so F1's busy time within the run is exactly 0 s.
    # F2 is busy from its order at 60 s to its return: on scene at n40 after 90 + 100 s,
    # 60 + 60 s on scene, 100 s back → available at 60 + 90 + 100 + 120 + 100 = 470 s.
    city = tiny_city(units={"F3": 0})
    sim = simulate_script(
        city,
        [(0.0, "drill", "n40"), (3590.0, "drill", "n10")],
        config=config(fixed(60.0)),
        duration_s=3600.0,
    )
    f1, f2 = unit_index(sim, "F1/1"), unit_index(sim, "F2/1")
    assert sim.incidents[1].cleared  # served in the drain
    assert sim.unit_busy_s[f1] == 0.0
    assert sim.unit_busy_s[f2] == pytest.approx(470.0 - 60.0)
    assert sim.station_dispatches.dtype.kind == "i"  # whole counts


def test_grounded_air_request_logs_the_incident_not_a_unit():
    # 02:00 is dark: the helicopter request is refused; its row names the incident, its
    # node and district, and no unit (-1) and no origin district (-1).
    city = tiny_city()
    kind = fixed(600.0, (("fire", 1),), air_prob=1.0)
    sim = simulate_script(city, [(2 * 3600.0, "drill", "n53")], config=config(kind))
    inc = sim.incidents[0]
    (row,) = rows(sim, "grounded")
    node = city.roads.node_index(["n53"])[0]
    assert row[1:] == (KINDS.index("grounded"), 0, -1, node, -1, inc.district)
    assert row[0] >= 2 * 3600.0


def test_request_for_a_place_no_engine_can_ever_reach_is_dropped_not_queued():
    # The tiny city without its two bridges: the east bank has no road from the west bank.
    # With F1 (n00) the only fire engine, a drill at n31 can never get one: at its order
    # (alarm 0 + call 60 s) the request is logged as no_unit (no unit, no origin district)
    # and never queued; nobody arrives.
    full = tiny_city(units={"F2": 0, "F3": 0})
    keep = ~full.road_edges.apply(
        lambda r: {r["u"], r["v"]} in ({"n21", "n31"}, {"n23", "n33"}), axis=1
    )
    city = replace(full, road_edges=full.road_edges[keep].reset_index(drop=True))
    sim = simulate_script(city, [(0.0, "drill", "n31")], config=config(fixed(WORK)))
    inc = sim.incidents[0]
    node = city.roads.node_index(["n31"])[0]
    assert rows(sim, "no_unit") == [
        (pytest.approx(60.0), KINDS.index("no_unit"), 0, -1, node, -1, inc.district)
    ]
    assert not inc.queued and not rows(sim, "queued") and math.isnan(inc.first[1])


def surge_city_config(release_after_s: float):
    bc = named("building_collapse", 3600.0, (("fire", 2),))
    tr = named("technical_rescue", 86400.0, (("professional", 1),))
    rule = SurgeRule(trigger_open=1, check_s=100.0, release_after_s=release_after_s)
    # every vehicle its own crew (the model before twin.sim.turnouts): the surge rule defers
    # and releases vehicles; with F1's one crew (2 vehicles: 二级) the deferred engine could
    # not leave later on its own. Station crews: tests/test_crews.py.
    return replace(dr_config(bc, tr, surge=rule), crews="vehicle")


@pytest.mark.parametrize("drop", [(), ("A1", "C1", "C2", "C3")])
def test_surge_defers_the_second_engine_and_releases_one_crew_by_rule(drop):
    # Two engines at n00 (F1), none elsewhere. A surge is declared at the 100 s check (the
    # entrapment at n11 is an open life-risk site; trigger 1). Collapses need 2 engines:
    # - a at n10, alarm 200, order 260: the first engine goes (first crew; on scene at
    #   260 + 90 + 100 = 450 s), the second request is deferred (queued, stage 1) and the
    #   300 s check sends the other free engine (on scene 300 + 90 + 100 = 490 s);
    # - b at n20 (alarm 400, order 460) and c at n21 (alarm 700, order 760) find no free
    #   engine: their first crews queue (stage 0), their second engines are deferred.
    # Release after 300 s on scene where another ground unit stays: at the 800 s check the
    # first engine (800 − 450 = 350 s ≥ 300; the second is there too) is released — only
    # it: the second (310 s) would leave a without a crew. It drives from n10 to b, the
    # oldest site without a crew: turnout 90 + one street 100 → on scene at 990 s.
    # Without the air and community stations (units are numbered by station id) the first
    # engine is unit 0: it is released all the same.
    city = tiny_city(units={"F1": 2, "F2": 0, "F3": 0}, drop=drop)
    incs = [(0.0, "technical_rescue", "n11"), (200.0, "building_collapse", "n10")]
    incs += [(400.0, "building_collapse", "n20"), (700.0, "building_collapse", "n21")]
    sim = simulate_script(city, incs, config=surge_city_config(300.0))
    _, a, b, c = sim.incidents
    assert sim.surge_declared_s == [100.0]
    node = dict(zip(["n10", "n20"], city.roads.node_index(["n10", "n20"]).tolist()))
    fire = [e for e in rows(sim, "dispatched") if e[2] == 1]
    assert [e[0] for e in fire] == [pytest.approx(260.0), pytest.approx(300.0)]
    first, second = fire[0][3], fire[1][3]
    assert first != second
    assert first == unit_index(sim, "F1/1") == (0 if drop else 7)
    queued_a = rows(sim, "queued", 1)
    assert queued_a == [
        (pytest.approx(260.0), KINDS.index("queued"), 1, -1, node["n10"], -1, a.district)
    ]
    released = rows(sim, "released")
    assert released == [
        (pytest.approx(800.0), KINDS.index("released"), 1, first, node["n10"], -1, -1)
    ]
    to_b = [e for e in rows(sim, "dispatched", 2)]
    assert (to_b[0][0], to_b[0][3]) == (pytest.approx(800.0), first)
    assert b.first[1] == pytest.approx(990.0)
    assert c.first[1] > 990.0


def test_reopening_skips_a_cleared_queued_incident_and_sends_the_next():
    # One engine (F1, n00); both bridges shut from 500 s to 1500 s.
    # - a (n10, alarm 0): F1 on scene 250 s, cleared 250 + 60 + 600 = 910 s;
    # - x (n31, alarm 10) needs a community responder (who leads: the first need) and an
    #   engine: the engine request queues; C2 (n41) walks over, does the 60 s of work and
    #   x is cleared long before 1500 s (order 70 s + 60 s + 1 km × 1.4 at 1.40 m/s ≈ 1130 s
    #   + 60 s), its engine request still in the queue;
    # - y (n41, alarm 20) queues behind x.
    # At 910 s neither is reachable from n10: F1 goes home (n00 at 1010 s), free. The
    # reopening at 1500 s retries the queue: x is cleared and skipped, y gets F1: turnout
    # 90 s + n00 → n21 300 s + short bridge 100 s + n31 → n41 100 s → on scene at 2090 s.
    city = one_engine()
    x = named("x_job", 60.0, (("community", 1), ("fire", 1)))
    sim = simulate_script(
        city,
        [(0.0, "drill", "n10"), (10.0, "x_job", "n31"), (20.0, "drill", "n41")],
        config=config(fixed(WORK), x),
        closures=(bridges_shut(city, 500.0, 1500.0),),
    )
    a, xi, y = sim.incidents
    assert a.cleared_s == pytest.approx(910.0)
    assert xi.queued and xi.cleared_s < 1500.0 and math.isnan(xi.first[1])
    f1 = unit_index(sim, "F1/1")
    assert [e[0] for e in rows(sim, "available") if e[3] == f1][0] == pytest.approx(1010.0)
    disp = rows(sim, "dispatched", 2)
    assert len(disp) == 1 and disp[0][0] == pytest.approx(1500.0) and disp[0][3] == f1
    assert y.first[1] == pytest.approx(1500.0 + 90.0 + 300.0 + 100.0 + 100.0)


def test_work_starts_with_the_first_ground_unit_when_the_lead_force_is_cut_off():
    # S1 (social, n42) cut off: every street at n42 removed. A job needing social (its
    # lead: the first need), professional and fire at n11; only F3 (n53) has engines.
    # Social can never come (no_unit), so nobody leads and the first ground unit on scene
    # starts the work: P1 is at n11 itself, on scene at order 60 + turnout 300 = 360 s and
    # works 600 s → cleared at 960 s — not when F3 arrives (60 + 90 + n53 → n52 → n51 →
    # n41 → n31 → short bridge → n21 → n11 = 600 s: 750 s).
    full = tiny_city(units={"F1": 0, "F2": 0})
    keep = ~full.road_edges.apply(lambda r: "n42" in (r["u"], r["v"]), axis=1)
    city = replace(full, road_edges=full.road_edges[keep].reset_index(drop=True))
    job = named("cut_job", WORK, (("social", 1), ("professional", 1), ("fire", 1)))
    sim = simulate_script(city, [(0.0, "cut_job", "n11")], config=config(job))
    inc = sim.incidents[0]
    node = city.roads.node_index(["n11"])[0]
    assert rows(sim, "alarm") == [(0.0, KINDS.index("alarm"), 0, -1, node, -1, inc.district)]
    assert len(rows(sim, "no_unit")) == 1
    assert inc.first[2] == pytest.approx(360.0) and inc.first[1] == pytest.approx(750.0)
    assert inc.cleared_s == pytest.approx(360.0 + WORK)


def test_units_waiting_for_the_lead_go_home_when_the_work_is_done():
    # "rescue" is led by the professional team (its first need). F1 (n00) is on scene at
    # n10 at 60 + 90 + 100 = 250 s and waits; P1 (n11) at 60 + 300 + 100 = 460 s starts the
    # 600 s of work (no set-up): cleared at 1060 s. Both then drive home, one street each:
    # available at 1160 s — the engine that waited is freed by the clearing too.
    city = tiny_city()
    rescue = named("rescue", WORK, (("professional", 1), ("fire", 1)))
    sim = simulate_script(city, [(0.0, "rescue", "n10")], config=config(rescue))
    inc = sim.incidents[0]
    assert inc.first[1] == pytest.approx(250.0) and inc.first[2] == pytest.approx(460.0)
    assert inc.cleared_s == pytest.approx(460.0 + WORK)
    f1, p1 = unit_index(sim, "F1/1"), unit_index(sim, "P1/1")
    home = {e[3]: e[0] for e in rows(sim, "available")}
    assert home == {f1: pytest.approx(1160.0), p1: pytest.approx(1160.0)}


def test_progress_is_reported_at_every_alarm_of_a_small_run():
    # Fewer than 100 incidents: progress is reported at each alarm, as the share of the run
    # elapsed × 0.99 (the last 1 % is the drain): alarms at 0, 1 h and 2 h of a 4-hour run
    # → 0, 0.2475, 0.495; then 1.0 when the run is done.
    city = tiny_city()
    incs = [(0.0, "drill", "n10"), (3600.0, "drill", "n20"), (7200.0, "drill", "n21")]
    nodes = city.roads.node_index([n for _, _, n in incs])
    tl = Timeline(
        incidents=tuple(
            ScheduledIncident(t, kind, int(n), "script", alarm_delay_s=0.0)
            for (t, kind, _), n in zip(incs, nodes)
        )
    )
    engine = Engine(city, config(fixed(60.0)))
    rng = np.random.default_rng(0)
    arrays = engine.draw(rng, 4 * 3600.0, tl, random=False)
    seen: list[float] = []
    engine.run(arrays, rng, 4 * 3600.0, tl, seen.append)
    assert seen == pytest.approx([0.0, 0.2475, 0.495, 1.0])


def test_each_road_leg_takes_the_incidents_next_travel_normal():
    # Travel noise on (σ = 0.25): a road leg of d seconds is driven in d · e^(σ·z), z the
    # incident's pre-drawn normals in the order its road legs start (walks take none).
    # The job needs a community responder (ordered first, on foot) and two engines; F1
    # (n00) has both: F1/1 (taken first) drives n00 → n10 (100 s) with z0, F1/2 with z1.
    city = tiny_city(units={"F1": 2, "F2": 0, "F3": 0})
    job = named("noisy_job", WORK, (("community", 1), ("fire", 2)))
    cfg = config(job)
    cfg = replace(cfg, chain=replace(cfg.chain, travel_sigma=0.25))
    sim = simulate_script(city, [(0.0, "noisy_job", "n10")], config=cfg)
    z = sim.arrays.noise[0]
    on_scene = {e[3]: e[0] for e in rows(sim, "on_scene")}
    wheels = 60.0 + 90.0  # call + night turnout
    assert on_scene[unit_index(sim, "F1/1")] == pytest.approx(
        wheels + 100.0 * math.exp(0.25 * z[0])
    )
    assert on_scene[unit_index(sim, "F1/2")] == pytest.approx(
        wheels + 100.0 * math.exp(0.25 * z[1])
    )


def test_first_assignment_sends_vehicles_by_kind_and_their_kinds_come_back():
    # F1 with 4 vehicles holds (by its class) water tender, water tender, rescue, aerial:
    # F1/1, F1/2, F1/3, F1/4. A traffic accident's first assignment is a water tender and a
    # rescue vehicle (twin.sim.params.FIRST_ASSIGNMENT_KINDS): F1/1 (the first free water
    # tender) and F1/3 — not F1/2, the next free vehicle. Both come home (n10 → n00, 100 s)
    # and the second accident, hours later, gets the same two vehicles again.
    city = tiny_city(units={"F1": 4, "F2": 0, "F3": 0})
    acc = named("traffic_accident", WORK, (("fire", 2),))
    sim = simulate_script(
        city,
        [(0.0, "traffic_accident", "n10"), (7200.0, "traffic_accident", "n10")],
        config=config(acc),
    )
    want = {unit_index(sim, "F1/1"), unit_index(sim, "F1/3")}
    assert {e[3] for e in rows(sim, "dispatched", 0)} == want
    assert {e[3] for e in rows(sim, "dispatched", 1)} == want
    assert not rows(sim, "queued")
    b = sim.incidents[1]
    assert b.first[1] == pytest.approx(7200.0 + 60.0 + 90.0 + 100.0)


def test_a_retry_keeps_each_waiting_requests_stage_and_vehicle_kind():
    # Queues.retry on the tiny city's fire pool with one free engine (F1, a water tender):
    # queued are two first crews (stage 0: f1 at n31 alarm 5 s, f2 at n21 alarm 10 s) and
    # one reinforcement (stage 1: r at n20, alarm 0 s — older, but behind every first
    # crew), each waiting for a water tender. The retry sends F1 to f1 (the first in
    # serving order) for a water tender; f2 and r wait again as they were: f2 first at
    # stage 0, then r at stage 1, each still asking for a water tender.
    from twin.sim.dispatch import Dispatcher, Uniforms, build_pools
    from twin.sim.events import EventLog
    from twin.sim.lifecycle import Inc
    from twin.sim.queues import Queues
    from twin.sim.road_times import RoadTimes

    city = one_engine()
    eng = Engine(city, config(fixed(WORK)))
    pools = build_pools(eng.fleet, eng.config.forces, eng.station_row)
    fire = pools[1]
    rt = RoadTimes(eng.tt)
    disp = Dispatcher(pools, rt, Uniforms(np.random.default_rng(0)))
    drill = eng.config.catalogue["drill"]
    node = dict(zip(["n31", "n21", "n20"], city.roads.node_index(["n31", "n21", "n20"]).tolist()))

    def inc(i: int, n: str, alarm: float) -> Inc:
        x = Inc(i, 0, drill, node[n], 0, alarm, alarm, 0, WORK, math.inf, False, 1)
        x.kinds_q = [0]  # a water tender
        return x

    f1, f2, r = inc(0, "n31", 5.0), inc(1, "n21", 10.0), inc(2, "n20", 0.0)
    fire.queue.append(f1, 0)
    fire.queue.append(f2, 0)
    fire.queue.append(r, 1)
    # a community call waiting (nobody answered) while responders are free: a retry after
    # a closure change is for road forces only — it stays as it is
    comm = pools[0]
    c = inc(3, "n20", 1.0)
    comm.queue.append(c, 0)
    q = Queues(pools, disp, rt, EventLog(), None, [], lambda: 0.0)
    started = []

    def start(x, pool, i, kind):
        started.append((x.id, kind))
        pool.take(i, kind)

    q.start = start
    q.retry()
    assert started == [(0, 0)]
    assert list(fire.queue) == [f2, r]
    assert [fire.queue.stage(k) for k in range(2)] == [0, 1]
    assert fire.queue.first_crews() == 1
    assert f2.kinds_q == [0] and r.kinds_q == [0]
    assert list(comm.queue) == [c] and comm.free.tolist() == [2, 2, 2]


def test_surge_reinforcement_waits_for_the_vehicle_kind_it_asked_for():
    # F1 with 4 vehicles: F1/1, F1/2 water tenders, F1/3 rescue, F1/4 aerial. A surge is
    # declared at the 100 s check (the entrapment at n11; trigger 1). A traffic accident at
    # n10 (alarm 200, order 260) asks for a water tender and a rescue vehicle: the water
    # tender F1/1 goes as the site's first crew; the rescue request is deferred (stage 1)
    # and the 300 s check sends the rescue vehicle F1/3 — not F1/2, the next free vehicle.
    city = tiny_city(units={"F1": 4, "F2": 0, "F3": 0})
    acc = named("traffic_accident", 86400.0, (("fire", 2),))
    tr = named("technical_rescue", 86400.0, (("professional", 1),))
    rule = SurgeRule(trigger_open=1, check_s=100.0, release_after_s=86400.0)
    sim = simulate_script(
        city,
        [(0.0, "technical_rescue", "n11"), (200.0, "traffic_accident", "n10")],
        config=dr_config(acc, tr, surge=rule),
    )
    assert sim.surge_declared_s == [100.0]
    got = [(e[0], e[3]) for e in rows(sim, "dispatched", 1)]
    assert got == [
        (pytest.approx(260.0), unit_index(sim, "F1/1")),
        (pytest.approx(300.0), unit_index(sim, "F1/3")),
    ]


def test_a_request_served_by_one_kind_is_not_served_again_by_another_vehicle():
    # F1 with 3 vehicles: F1/1, F1/2 water tenders, F1/3 rescue. Three jobs at n10 take
    # them in that order (any kind; alarms 0, 10, 20 s → on scene 250, 260, 270 s; 60 s
    # set-up, work 1000, 2000, 3000 s → cleared 1310, 2320, 3330 s). An accident at n20
    # (alarm 30 s) asks for a water tender and a rescue vehicle: both wait. F1/1, freed at
    # 1310 s, takes the water-tender request; F1/2, freed at 2320 s, finds only the rescue
    # request left and goes home; F1/3, freed at 3330 s, takes it. Every vehicle its own
    # crew (crews = "vehicle"): with F1's one crew the three jobs could not go at once;
    # the point here is the vehicle kinds of queued requests.
    city = tiny_city(units={"F1": 3, "F2": 0, "F3": 0})
    jobs = [named(f"job{k}", 1000.0 * k, (("fire", 1),)) for k in (1, 2, 3)]
    acc = named("traffic_accident", 86400.0, (("fire", 2),))
    incs = [(10.0 * k, f"job{k + 1}", "n10") for k in range(3)] + [
        (30.0, "traffic_accident", "n20")
    ]
    sim = simulate_script(city, incs, config=replace(config(*jobs, acc), crews="vehicle"))
    assert [i.cleared_s for i in sim.incidents[:3]] == pytest.approx([1310.0, 2320.0, 3330.0])
    got = [(e[0], e[3]) for e in rows(sim, "dispatched", 3)]
    assert got == [
        (pytest.approx(1310.0), unit_index(sim, "F1/1")),
        (pytest.approx(3330.0), unit_index(sim, "F1/3")),
    ]
    f12 = unit_index(sim, "F1/2")
    assert [e[0] for e in rows(sim, "returning") if e[3] == f12] == [pytest.approx(2320.0)]


def test_a_closure_change_that_opens_no_way_leaves_the_request_waiting():
    # F1 (n00) free at home; both bridges shut 0–2000 s; the street n00–n01 shut 500–600 s.
    # b at n31 (alarm 10, order 70) cannot be reached: queued. The changes at 500 s and
    # 600 s retry the queue: F1 is free but still cannot reach it — b waits. The bridges'
    # reopening at 2000 s sends F1: turnout 90 + n00 → n21 300 + bridge 100 = 2490 s.
    city = one_engine()
    street = ClosureEvent(
        edges=tuple(city.roads.edge_index(["n00-n01"]).tolist()),
        start_s=500.0,
        end_s=600.0,
        reason="test",
        name="street",
    )
    sim = simulate_script(
        city,
        [(10.0, "drill", "n31")],
        config=config(fixed(WORK)),
        closures=(bridges_shut(city, 0.0, 2000.0), street),
    )
    b = sim.incidents[0]
    assert [e[0] for e in rows(sim, "queued")] == [pytest.approx(70.0)]
    disp = rows(sim, "dispatched")
    assert [(e[0], e[3]) for e in disp] == [(pytest.approx(2000.0), unit_index(sim, "F1/1"))]
    assert b.first[1] == pytest.approx(2000.0 + 90.0 + 300.0 + 100.0)


def test_a_crew_back_from_its_block_away_serves_the_queue_from_its_station():
    # Every fire crew away 09:00–11:00 (2 h blocks within 09–11 h: no room, so exactly
    # then). Only F2 (n50, east bank) has an engine; both bridges shut 09:00–12:00 (the
    # west bank cannot reach the east). A drill at n40 at 09:30 (order 09:31) queues. At
    # 11:00 F2 is ready again at its station and takes it at once (not at the reopening).
    # F2 has one vehicle, so one crew (twin.sim.turnouts): the block is the crew's, its
    # away/ready rows name F2's node (n50) and no vehicle.
    city = tiny_city(units={"F1": 0, "F3": 0})
    cfg = config(fixed(WORK))
    cfg = replace(cfg, chain=replace(cfg.chain, away_h_per_day=2.0, away_hours=(9, 11)))
    h = 3600.0
    sim = simulate_script(
        city,
        [(9.5 * h, "drill", "n40")],
        config=cfg,
        closures=(bridges_shut(city, 9 * h, 12 * h),),
    )
    f2 = unit_index(sim, "F2/1")
    n50 = int(city.roads.node_index(["n50"])[0])
    assert [(e[0], e[3], e[4]) for e in rows(sim, "away")] == [(9 * h, -1, n50)]
    assert [(e[0], e[3], e[4]) for e in rows(sim, "ready")] == [(11 * h, -1, n50)]
    assert [(e[0], e[3]) for e in rows(sim, "dispatched")] == [(pytest.approx(11 * h), f2)]


def test_release_breaks_a_tie_by_the_crew_that_started_work_first():
    # Two engines at F1 (n00) reach the collapse at n10 together (60 + 90 + 100 = 250 s);
    # F1/1, dispatched first, is first on scene and starts the work. A second collapse
    # at n20 (alarm 300, order 360) queues; with two life-risk sites open the 400 s check
    # declares a surge. At the 600 s check both have worked 350 s ≥ 300 s: the tie goes to
    # the crew first at work, F1/1, released to n20.
    city = tiny_city(units={"F1": 2, "F2": 0, "F3": 0})
    bc = named("building_collapse", 3600.0, (("fire", 2),))
    rule = SurgeRule(trigger_open=2, check_s=100.0, release_after_s=300.0)
    sim = simulate_script(
        city,
        [(0.0, "building_collapse", "n10"), (300.0, "building_collapse", "n20")],
        config=dr_config(bc, surge=rule),
    )
    assert sim.surge_declared_s == [400.0]
    f11 = unit_index(sim, "F1/1")
    assert [(e[0], e[3]) for e in rows(sim, "on_scene", 0)][0] == (pytest.approx(250.0), f11)
    assert [(e[0], e[3]) for e in rows(sim, "released")] == [(pytest.approx(600.0), f11)]


def test_unwired_callbacks_say_what_is_missing():
    from twin.sim import lifecycle, queues
    from twin.sim.dispatch import Dispatcher, Uniforms, build_pools
    from twin.sim.events import EventLog
    from twin.sim.road_times import RoadTimes

    with pytest.raises(RuntimeError, match="^Lifecycle.send is wired by the run before it starts$"):
        lifecycle._unset(None, 0)
    with pytest.raises(RuntimeError, match="^Queues.start is wired by the run before it starts$"):
        queues._unset(None, None, 0, 0)
    # the queues of a run not yet wired refuse to start a unit, saying so
    eng = Engine(one_engine(), config(fixed(WORK)))
    pools = build_pools(eng.fleet, eng.config.forces, eng.station_row)
    rt = RoadTimes(eng.tt)
    q = queues.Queues(
        pools,
        Dispatcher(pools, rt, Uniforms(np.random.default_rng(0))),
        rt,
        EventLog(),
        None,
        [],
        lambda: 0.0,
    )
    with pytest.raises(RuntimeError, match="^Queues.start is wired by the run before it starts$"):
        q.start(None, pools[1], 0, -1)


def test_a_crew_cut_off_on_scene_is_escorted_home_as_long_as_its_way_in_took():
    # F1 (n00) to n31 on the east bank: order 60, turnout 90, n00 → n21 300 + short bridge
    # 100 → on scene 550 s; set-up 60 + work 600 → cleared 1210 s. Both bridges shut from
    # 600 s for good: no road home. The crew is escorted back the way it came, as long as
    # its way in took (400 s): available at 1610 s; the blocked row names the incident,
    # the unit and the scene, no districts.
    city = one_engine()
    sim = simulate_script(
        city,
        [(0.0, "drill", "n31")],
        config=config(fixed(WORK)),
        closures=(bridges_shut(city, 600.0),),
    )
    f1 = unit_index(sim, "F1/1")
    n31 = int(city.roads.node_index(["n31"])[0])
    assert sim.incidents[0].cleared_s == pytest.approx(1210.0)
    assert rows(sim, "blocked") == [
        (pytest.approx(1210.0), KINDS.index("blocked"), 0, f1, n31, -1, -1)
    ]
    assert [e[0] for e in rows(sim, "available")] == [pytest.approx(1210.0 + 400.0)]


def test_a_community_call_nobody_can_answer_now_waits_for_the_next_responder():
    # One community responder in the city (C1 at n10; availability 1, always on duty).
    # a (n10, alarm 0) takes it; b (n10, alarm 10 s, order 70 s) finds nobody free: the
    # call is queued, not dropped, and the responder walks to it when a is cleared.
    city = tiny_city(units={"C1": 1}, drop=("C2", "C3"))
    job = named("comm_job", WORK, (("community", 1),))
    sim = simulate_script(
        city, [(0.0, "comm_job", "n10"), (10.0, "comm_job", "n10")], config=config(job)
    )
    a, b = sim.incidents
    assert [e[0] for e in rows(sim, "queued", 1)] == [pytest.approx(70.0)]
    assert not rows(sim, "no_unit")
    c1 = unit_index(sim, "C1/1")
    assert [(e[0], e[3]) for e in rows(sim, "dispatched", 1)] == [(pytest.approx(a.cleared_s), c1)]
    assert b.cleared
