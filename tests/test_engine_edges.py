"""Edges of the engine that no other test reached, by hand on the tiny city or a 3-node ring.

Written against the real survivors of the seed-1626 mutation draw (docs/testing.md,
"Mutation testing"): the surge's record through a drain with one incident left, a second
release from the same scene, a retry joining a turnout forming at that instant, the
``blocked`` row of a departure towards a place cut off, and the landmark bound of a trip
under one-way streets. Times as in tests/test_engine.py (deterministic time chain, night):
119 call handling 60 s, fire turnout 90 s, set-up 60 s, every 1-km street 100 s; the social
team S1 (n42) turns out in 900 s and needs no set-up.
"""

from __future__ import annotations

import math
from dataclasses import replace
from itertools import product

import numpy as np
import pytest
from test_disaster_response import config as dr_config
from test_disaster_response import named
from test_engine import config, fixed
from tinycity import simulate_script, tiny_city

from twin.hazards.timeline import Timeline
from twin.model.roads import RoadNetwork, TravelTimes
from twin.sim.engine import KINDS, Engine, Run
from twin.sim.forces import FORCES
from twin.sim.lifecycle import Inc
from twin.sim.reinforcement import Reinforcement
from twin.sim.road_times import RoadTimes
from twin.sim.surge import SurgeRule

FIRE = FORCES.index("fire")


def _rows(sim, kind: str, inc: int) -> list[tuple]:
    return [e for e in sim.events if e[1] == KINDS.index(kind) and e[2] == inc]


# ---- the surge's record goes on through the drain while one incident is open ----------------


def test_the_hourly_record_goes_on_through_the_drain_while_a_single_incident_is_open():
    # A run of one hour (3600 s). One waterlogging (no life risk: no surge) at n42, alarm
    # 120 s: S1 (on its own node) ordered 180, turns out 900 s → on scene 1080, works
    # 9000 s → cleared 10 080 s, in the drain. The surge process checks every 600 s and
    # writes a row at every hour: at 0 and 3600 within the run, then on through the drain
    # while an incident is open — at 7200 one is (S1 at work) — and it stops at the first
    # check after the clearing (10 200 s: none open), before the 10 800 s row.
    city = tiny_city()
    water = named("waterlogging", 9000.0, (("social", 1),))
    sim = simulate_script(
        city, [(120.0, "waterlogging", "n42")], config=dr_config(water), duration_s=3600.0
    )
    assert sim.incidents[0].cleared_s == 10080.0
    rows = [tuple(r) for r in sim.surge_rows]
    assert [r[:2] for r in rows] == [(0, 0.0), (1, 3600.0), (2, 7200.0)]
    # hour, t, surge, open, life risk, without a crew, committed (all; fire, professional,
    # social), reinforcements arrived: at 7200 s the one open incident has S1 on it
    assert rows[2] == (2, 7200.0, False, 1, 0, 0, 1, 0, 0, 1, 0)


# ---- a crew released from a scene leaves the count of those who stay once --------------------


def test_a_scene_of_three_engines_gives_one_to_each_waiting_site_at_successive_checks():
    # Three engines at F1 (n00), each its own crew; no other fire station. Trigger 1, checks
    # every 100 s, release after 650 s on a scene.
    # - collapse (three engines) at n10, alarm 0: ordered 60, turnout 90 s + one street
    #   100 s → all three at work from 250 s (3 on the scene);
    # - entrapment a (one engine) at n11, alarm 10: ordered 70, no engine free: waits (stage
    #   0, before the surge); the surge is declared at the 100 s check;
    # - at the 900 s check (250 + 650) one site waits: one engine is released to it
    #   (3 → 2 on the collapse);
    # - entrapment b (one engine) at n20, alarm 900: ordered 960 under the surge as its
    #   site's first crew, no engine free: waits at stage 0;
    # - at the 1000 s check b waits and 2 engines are on the collapse (the released one
    #   counted off once): a second engine is released to b (2 → 1).
    city = tiny_city(units={"F1": 3, "F2": 0, "F3": 0})
    types = (
        named("building_collapse", 20000.0, (("fire", 3),)),
        named("technical_rescue", 20000.0, (("fire", 1),)),
    )
    incs = [
        (0.0, "building_collapse", "n10"),
        (10.0, "technical_rescue", "n11"),
        (900.0, "technical_rescue", "n20"),
    ]
    rule = SurgeRule(trigger_open=1, check_s=100.0, release_after_s=650.0)
    cfg = replace(dr_config(*types, surge=rule), crews="vehicle")
    sim = simulate_script(city, incs, config=cfg)
    collapse, a, b = sim.incidents
    assert sim.surge_declared_s == [100.0]
    assert [e[0] for e in _rows(sim, "on_scene", collapse.id)] == [250.0] * 3
    assert [e[0] for e in _rows(sim, "queued", a.id) + _rows(sim, "queued", b.id)] == [70.0, 960.0]
    assert [e[0] for e in _rows(sim, "released", collapse.id)] == [900.0, 1000.0]


# ---- a retry at the instant a station's turnout forms joins it --------------------------------


def _run(city, cfg, duration_s: float = 3600.0) -> Run:
    engine = Engine(city, cfg)
    rng = np.random.default_rng(0)
    arrays = engine.draw(rng, duration_s, Timeline(), random=False)
    return Run(engine, arrays, rng, duration_s, Timeline(), None)


def _inc(run: Run, id_: int, type_name: str, node: str, district: int) -> Inc:
    n = int(run.eng.city.roads.node_index([node])[0])
    t = run.eng.config.catalogue[type_name]
    return Inc(id_, 0, t, n, district, 0.0, 0.0, 0, 600.0, math.inf, False, FIRE)


def test_a_retry_at_the_instant_a_turnout_forms_sends_the_second_engine_with_it():
    # F1 (n00) has two engines and one crew (the station crew model: both leave together
    # as one turnout). At 0 s the crew takes engine 1 to x at n10: its turnout to x is
    # forming now, so F1 has no free crew. x's second engine was deferred (stage 1, as
    # under a surge). A retry at this same instant (a surge check, a closure change or an
    # arrival of reinforcements at 0 s) may send F1's other engine with the forming
    # turnout; it is the only station that can: both engines are dispatched to x at 0 s.
    city = tiny_city(units={"F1": 2, "F2": 0, "F3": 0})
    run = _run(city, config(fixed(600.0)))
    fire = run.pools[FIRE]
    assert fire.turnouts is not None and fire.turnouts.free[0] == 1  # one crew at F1
    x = _inc(run, 0, "drill", "n10", 0)
    run.crews.start(x, fire, 0)
    assert fire.turnouts.free[0] == 0 and not fire.sendable()  # the crew is out
    run.queues.defer(x, FIRE)
    assert list(fire.queue) == [x]
    run.queues.retry()
    dispatched = [e for e in run.log.rows if e[1] == KINDS.index("dispatched")]
    assert [(e[0], e[2]) for e in dispatched] == [(0.0, 0), (0.0, 0)]
    assert len({e[3] for e in dispatched}) == 2 and not fire.queue


# ---- a departure towards a place no road reaches: the blocked row -----------------------------


def test_a_unit_sent_towards_a_place_no_road_reaches_logs_blocked_and_is_escorted():
    # Defensive branch of the departure (the dispatcher sends only where a road leads): F1
    # (n00, west bank) leaves at 0 s for n31 (east bank) with both bridges shut. The way is
    # cut: a ``blocked`` row names the time, the incident, the unit and the node it leaves
    # from, and no districts (−1, −1), like the blocked row of a way home. The unit is
    # escorted: turnout 90 s, then the straight line n00 → n31 (3 km east, 1 km north:
    # √10 km) × 1.4 at 5 m/s = 885.4 s → on scene at 90 + 885.4 = 975.4 s.
    city = tiny_city(units={"F2": 0, "F3": 0})
    run = _run(city, config(fixed(600.0)))
    closed = np.zeros(len(city.roads.edge_ids), bool)
    closed[city.roads.edge_index(["n21-n31", "n23-n33"])] = True
    run.movement.rt.set_closed(closed)
    fire = run.pools[FIRE]
    n00 = int(city.roads.node_index(["n00"])[0])
    x = _inc(run, 0, "drill", "n31", 1)
    u = fire.take(0, -1)
    trip = run.crews.depart(u, fire, 0, x, -1)
    blocked = [e for e in run.log.rows if e[1] == KINDS.index("blocked")]
    assert blocked == [(0.0, KINDS.index("blocked"), 0, u, n00, -1, -1)]
    assert trip.depart == 90.0
    assert trip.arrive == pytest.approx(90.0 + math.sqrt(10.0) * 1000.0 * 1.4 / 5.0)


# ---- the landmark test of a trip: the bound from the closed pair to the destination ----------


def _ring() -> RoadTimes:
    """Nodes 0 → 1 → 2 → 0, three one-way streets of 100 s each; the one landmark (the
    travel-time source) is node 0."""
    return RoadTimes(
        TravelTimes(
            RoadNetwork(
                node_ids=np.array(["r0", "r1", "r2"], dtype=object),
                xy=np.array([[0.0, 0.0], [1000.0, 0.0], [500.0, 800.0]]),
                edge_ids=np.array(["e01", "e12", "e20"], dtype=object),
                edge_u=np.array([0, 1, 2]),
                edge_v=np.array([1, 2, 0]),
                edge_time_s=np.array([100.0, 100.0, 100.0]),
                edge_oneway=np.ones(3, bool),
                edge_class=np.array(["local"] * 3, dtype=object),
                edge_bridge=np.zeros(3, bool),
            ),
            np.array([0]),
            use_cache=False,
        )
    )


def test_a_trip_over_a_closed_one_way_street_is_found_by_the_landmark_test():
    # On the ring, d(x, y) = 100 · ((y − x) mod 3) s. From the landmark L = 0:
    # d(0, ·) = (0, 100, 200) and d(·, 0) = (0, 200, 100). The lower bound
    # LB(x → y) = max(d(L, y) − d(L, x), d(x, L) − d(y, L), 0), so LB(0 → 1) = 100 (exact)
    # and LB(1 → 0) = 200 (exact): not symmetric.
    # Street 2 → 0 (a = 2, b = 0, w = 100 s) closes while a unit drives 2 → 0 → 1
    # (200 s). Its way may use the pair: LB(2 → 2) + w + LB(0 → 1) = 0 + 100 + 100 = 200
    # ≤ 200 → True. Taken the wrong way, LB(1 → 0) = 200 would give 300 > 200: the unit
    # would not be re-planned though its way is cut.
    # A trip 1 → 2 (100 s) cannot use it: LB(1 → 2) + 100 + LB(0 → 2) = 100 + 100 + 200
    # = 400 > 100 → False.
    rt = _ring()
    night = 0
    assert rt.lower_bound(0, 1, night).tolist() == [100.0]
    assert rt.lower_bound(1, 0, night).tolist() == [200.0]
    a, b, w = np.array([2]), np.array([0]), np.array([100.0])
    got = rt.may_use_many(np.array([2, 1]), np.array([1, 2]), np.array([200.0, 100.0]), a, b, w, 0)
    assert got.tolist() == [True, False]
    # and, for every trip on the ring and every street closed, at the trip's own time:
    # whenever the shortest way uses the street, the test says it may (a lower bound never
    # rules out a way that is there), and the many-trip test agrees with the one-trip one
    edges = [(0, 1), (1, 2), (2, 0)]
    for (o, d), (ea, eb) in product(product(range(3), range(3)), edges):
        if o == d:
            continue
        path = [(o + k) % 3 for k in range((d - o) % 3 + 1)]
        uses = any(path[k : k + 2] == [ea, eb] for k in range(len(path) - 1))
        budget = 100.0 * ((d - o) % 3)
        many = rt.may_use_many(
            np.array([o]),
            np.array([d]),
            np.array([budget]),
            np.array([ea]),
            np.array([eb]),
            np.array([100.0]),
            night,
        )[0]
        assert bool(many) == rt.may_use(
            o, d, budget, np.array([ea]), np.array([eb]), np.array([100.0]), night
        )
        if uses:
            assert many


# ---- reinforcements arrive in time order, whatever order the scenario lists them in ----------


def test_reinforcements_listed_latest_first_still_arrive_each_at_its_own_time():
    # Two fire reinforcements staged at F1, listed latest first: "national" (one engine)
    # at 7200 s, then "provincial" (one engine) at 1800 s. Their staging stations are
    # appended to the fleet in that order, but each group is freed at its own time: the
    # provincial engine at 1800 s, the national one at 7200 s (not both at 7200 s).
    city = tiny_city()
    reinf = (
        Reinforcement("national", "fire", 1, 7200.0, ("F1",)),
        Reinforcement("provincial", "fire", 1, 1800.0, ("F1",)),
    )
    sim = simulate_script(city, [], config=dr_config(reinforcements=reinf))
    arrived = [e for e in sim.events if e[1] == KINDS.index("reinforced")]
    ids = [str(sim.engine.fleet.unit_ids[e[3]]) for e in arrived]
    assert [e[0] for e in arrived] == [1800.0, 7200.0]
    assert ids == ["reinf:provincial@F1/1", "reinf:national@F1/1"]


# ---- under a surge a site's first crew comes from whichever force frees a unit first ----------


def test_a_freed_engine_opens_a_site_waiting_on_the_professionals_before_reinforcing():
    # One fire engine at F1 (n00), the professional team P1 (n11). Trigger 1, checks every
    # 100 s, no release (1e9 s). A collapse needs P1 first, then an engine.
    # - entrapment e (one engine, works 1000 s) at n10, alarm 0: ordered 60, turnout 90 s,
    #   one street 100 s → on scene 250, set-up 60 + work 1000 → cleared 1310; the surge
    #   is declared at the 100 s check (e open with life risk);
    # - collapse a at n20, alarm 200, ordered 260: P1 is free and goes (a has its crew);
    #   a's engine is deferred (stage 1);
    # - collapse b at n21, alarm 300, ordered 360: P1 is out and the engine busy, so b's
    #   first crew is asked of P1 (queued, stage 0) and its engine deferred (stage 1).
    # At 1310 the engine is free at n10. b has no crew and a has one: it goes to b, the
    # older request notwithstanding (at each check b's engine request was re-staged to 0,
    # a's stayed 1) — its turnout 90 s, then n10 → n20 → n21, 200 s: on scene at 1600.
    # Before the re-staging the engine reinforced a (older, both at stage 1) and b waited
    # for P1 for 20 000 s.
    city = tiny_city(units={"F1": 1, "F2": 0, "F3": 0})
    types = (
        named("technical_rescue", 1000.0, (("fire", 1),)),
        named("building_collapse", 20000.0, (("professional", 1), ("fire", 1))),
    )
    incs = [
        (0.0, "technical_rescue", "n10"),
        (200.0, "building_collapse", "n20"),
        (300.0, "building_collapse", "n21"),
    ]
    rule = SurgeRule(trigger_open=1, check_s=100.0, release_after_s=1e9)
    sim = simulate_script(city, incs, config=dr_config(*types, surge=rule))
    e, a, b = sim.incidents
    assert sim.surge_declared_s == [100.0]
    assert e.cleared_s == 1310.0
    engine_to = [(r[0], r[2]) for r in sim.events if r[1] == KINDS.index("dispatched")]
    assert engine_to[:3] == [(60.0, e.id), (260.0, a.id), (1310.0, b.id)]
    assert b.first[FIRE] == 1600.0
    assert b.first[FORCES.index("professional")] > 20000.0  # P1 works on a 20 000 s
