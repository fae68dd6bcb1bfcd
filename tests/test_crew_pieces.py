"""The crews' pieces by hand: blocks away from readiness, the crews' rows, their counters.

Tests written against the survivors (and some predicted survivors) of the seed-1626
mutation draw (docs/testing.md, "Mutation testing"). Tiny city (``tests/tinycity.py``),
deterministic time chain, night: 119 call handling 60 s, fire turnout 90 s, every 1-km
street 100 s.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from scipy.spatial import cKDTree
from test_engine import config, fixed, rows, unit_index
from tinycity import simulate_script, tiny_city

from twin.sim import closed_network
from twin.sim.closed_network import ClosedNetwork
from twin.sim.dispatch import COMMUNITY_K, Dispatcher, Pool, Uniforms, build_pools
from twin.sim.engine import KINDS, Engine, EngineConfig
from twin.sim.events import EventLog
from twin.sim.forces import DEFAULT_FORCES, FORCES
from twin.sim.kinds import ANY, KIND_CODE
from twin.sim.lifecycle import Inc
from twin.sim.params import TimeChain
from twin.sim.queues import Queues
from twin.sim.readiness import schedule
from twin.sim.road_times import RoadTimes
from twin.sim.roster import Roster
from twin.sim.turnouts import Turnouts, crews_of, station_turnouts

H = 3600.0


# ---- blocks away from readiness --------------------------------------------------------------


def test_block_starts_by_hand_one_a_day_and_a_day_begun_counts():
    # 2 h a day within 09–17 h: room for the start = 8 h − 2 h = 21 600 s after 09:00
    # (32 400 s). A run of 86 401 s has begun a second day: ⌈86 401 / 86 400⌉ = 2 blocks
    # each. Start of unit k on day d = d·86 400 + 32 400 + u[k, d]·21 600, with u the
    # generator's first 2 × 2 uniforms.
    chain = replace(TimeChain(), away_h_per_day=2.0, away_hours=(9, 17))
    u = np.random.default_rng(7).random((2, 2))
    s = schedule(np.random.default_rng(7), 2, 86401.0, chain)
    want = np.array([[0.0, 86400.0]]) + 32400.0 + u * 21600.0
    assert s == pytest.approx(want, abs=1e-9)
    # exactly one day: one block each
    assert schedule(np.random.default_rng(7), 2, 86400.0, chain).shape == (2, 1)
    # a block of one second is a block (drawn), not "no time away"
    one_s = replace(chain, away_h_per_day=1.0 / 3600.0)
    assert schedule(np.random.default_rng(7), 3, 86400.0, one_s).shape == (3, 1)


def test_no_block_draws_nothing_from_the_runs_generator():
    # no units, or no time away: an empty (units × 0) array and the generator untouched
    # (the run's stream after it is the same: common random numbers)
    chain = replace(TimeChain(), away_h_per_day=2.0)
    first = np.random.default_rng(3).random()
    for n, c in ((0, chain), (4, replace(chain, away_h_per_day=0.0))):
        rng = np.random.default_rng(3)
        assert schedule(rng, n, 86400.0, c).shape == (n, 0)
        assert rng.random() == first


def test_away_and_ready_rows_in_full_per_crew_and_per_vehicle():
    # Only F1 (n00, 3 vehicles, one crew: 二级) has vehicles. Blocks of 2 h in the window
    # 00–02 h: no room, so every block starts at 00:00 and ends at exactly 7200 s.
    # Station crews: one block for the one crew, rows (t, kind, incident −1, unit −1,
    # F1's node, −1, −1). Every vehicle its own crew: one block per vehicle, the unit named.
    city = tiny_city(units={"F1": 3, "F2": 0, "F3": 0})
    n00 = int(city.roads.node_index(["n00"])[0])
    away, ready = KINDS.index("away"), KINDS.index("ready")
    base = config(fixed(600.0))
    chain = replace(base.chain, away_h_per_day=2.0, away_hours=(0, 2))
    sim = simulate_script(city, [], config=replace(base, chain=chain, crews="station"))
    assert rows(sim, "away") == [(0.0, away, -1, -1, n00, -1, -1)]
    assert rows(sim, "ready") == [(2 * H, ready, -1, -1, n00, -1, -1)]
    veh = simulate_script(city, [], config=replace(base, chain=chain, crews="vehicle"))
    units = sorted(unit_index(veh, f"F1/{k}") for k in (1, 2, 3))
    assert sorted(rows(veh, "away")) == [(0.0, away, -1, u, n00, -1, -1) for u in units]
    assert sorted(rows(veh, "ready")) == [(2 * H, ready, -1, u, n00, -1, -1) for u in units]


# ---- the crews' counters per station ----------------------------------------------------------


def test_per_station_counters_sit_at_the_fleet_stations_as_whole_numbers():
    # Two crewed stations at fleet indices 1 and 3 of 5: one turnout at station 1 from
    # 10 s to 40 s (30 crew-seconds); the others 0, whole numbers for crews and turnouts.
    t = Turnouts(np.array([2, 1]), n_units=3, duration_s=100.0)
    t.stations, t.n_stations = np.array([1, 3]), 5
    t.dispatch(0, inc=0, unit=2, now=10.0)
    assert t.home(2, 40.0)
    out = t.per_station()
    assert out["station_crews"].tolist() == [0, 2, 0, 1, 0]
    assert out["turnouts"].tolist() == [0, 1, 0, 0, 0]
    assert out["crew_busy_s"].tolist() == [0.0, 30.0, 0.0, 0.0, 0.0]
    assert out["station_crews"].dtype == np.int64 and out["turnouts"].dtype == np.int64
    assert out["crew_busy_s"].dtype == np.float64
    # crews by class unless told: 4 vehicles (5 bays, 一级) → 2 crews, 1 vehicle → 1
    assert crews_of(np.array([4, 1])).tolist() == [2, 1]


# ---- who may be sent: a vehicle and a crew at the same station -----------------------------------


def test_a_station_needs_a_free_vehicle_and_a_free_crew_at_once():
    # F1, F2, F3 with one engine and one crew each. F1's engine is out (its crew free: say
    # it came back without it); F2's and F3's crews are out (their engines in the bay).
    # No station has both: nothing may be sent, and no station is a candidate.
    eng = Engine(tiny_city(), EngineConfig(use_cache=False))
    fire = build_pools(eng.fleet, eng.config.forces, eng.station_row)[FORCES.index("fire")]
    fire.turnouts = station_turnouts(
        EngineConfig(), fire.stations, eng.fleet, np.zeros(len(eng.fleet.station_ids)), 1.0
    )
    assert fire.turnouts is not None and fire.turnouts.total.tolist() == [1, 1, 1]
    fire.take(0)
    fire.turnouts.free[:] = [1, 0, 0]
    assert fire.free.tolist() == [0, 1, 1]
    assert not fire.sendable()
    assert fire.free_of(ANY).tolist() == []
    fire.turnouts.free[1] = 1  # F2's crew is back: F2 may send
    assert fire.sendable() and fire.free_of(ANY).tolist() == [1]


def test_no_helicopter_base_means_none_answers():
    # a pool without bases: −1 (none), as when every helicopter is out
    eng = Engine(tiny_city(drop=("A1",)), EngineConfig(use_cache=False))
    air = build_pools(eng.fleet, eng.config.forces, eng.station_row)[FORCES.index("air")]
    assert len(air.stations) == 0
    assert Dispatcher.pick_air(air, (0.0, 0.0)) == -1


# ---- a spell's rows in full ----------------------------------------------------------------------


def test_a_spells_rows_in_full():
    # Only F1 (n00, one engine). A drill at n10 at 01:00 (3600 s, 600 s of work): ordered
    # 3660, turnout 90 s → en route 3750 from n00, on scene 3850 (one street), set-up 60 s
    # + work 600 s → returning from n10 at 4510, home at n00 at 4610 (available).
    city = tiny_city(units={"F2": 0, "F3": 0})
    n00, n10 = (int(n) for n in city.roads.node_index(["n00", "n10"]))
    sim = simulate_script(city, [(H, "drill", "n10")], config=config(fixed(600.0)))
    f1 = unit_index(sim, "F1/1")
    assert rows(sim, "en_route") == [(3750.0, KINDS.index("en_route"), 0, f1, n00, -1, -1)]
    assert rows(sim, "returning") == [(4510.0, KINDS.index("returning"), 0, f1, n10, -1, -1)]
    assert rows(sim, "available") == [(4610.0, KINDS.index("available"), -1, f1, n00, -1, -1)]


# ---- the next request by vehicle kind, for unit 0 too ---------------------------------------------


def test_unit_zero_serves_only_the_kinds_it_is():
    # Without air and community posts the fleet's unit 0 is F1/1, a water tender (F1 with 4
    # vehicles: water tender, water tender, rescue, aerial). Queued at n10: a request for a
    # rescue vehicle. Freed at F1, F1/1 (unit 0) may not take it; F1/3 (the rescue) does.
    city = tiny_city(units={"F1": 4, "F2": 0, "F3": 0}, drop=("A1", "C1", "C2", "C3"))
    eng = Engine(city, config(fixed(600.0)))
    assert str(eng.fleet.unit_ids[0]) == "F1/1" and str(eng.fleet.unit_kind[0]) == "water_tender"
    pools = build_pools(eng.fleet, eng.config.forces, eng.station_row)
    fire = pools[FORCES.index("fire")]
    rt = RoadTimes(eng.tt)
    q = Queues(
        pools,
        Dispatcher(pools, rt, Uniforms(np.random.default_rng(0))),
        rt,
        EventLog(),
        None,
        [],
        lambda: H,
    )
    n10 = int(city.roads.node_index(["n10"])[0])
    inc = Inc(0, 0, eng.config.catalogue["drill"], n10, 0, H, H, 0, 600.0, math.inf, False, 1)
    inc.kinds_q = [KIND_CODE["rescue"]]
    fire.queue.append(inc)
    assert q.next_for(fire, -1, 0, 0) is None
    assert list(fire.queue) == [inc] and inc.kinds_q == [KIND_CODE["rescue"]]
    rescue = list(eng.fleet.unit_ids).index("F1/3")
    assert q.next_for(fire, -1, 0, rescue) is inc
    assert not fire.queue and inc.kinds_q == []


# ---- widening a community call beyond the 8 nearest posts -----------------------------------------


def _posts_on_a_line(a: float, free: np.ndarray, stacks: list[list[int]]) -> Pool:
    """Ten community posts 1 km apart on a line (post k at x = k km), availability ``a``
    by day and night, ``free`` responders per post (unit ids in ``stacks``)."""
    spec = replace(DEFAULT_FORCES["community"], availability=a, availability_night=a)
    xy = np.array([[1000.0 * k, 0.0] for k in range(10)])
    zeros = np.zeros(10, np.int64)
    pool = Pool(0, spec, np.arange(10), zeros, zeros.copy(), xy, free, stacks, int(free.sum()))
    pool.tree = cKDTree(xy)
    return pool


def test_a_call_widens_to_posts_beyond_the_eight_nearest():
    # Ten community posts 1 km apart on a line (post k at x = k km); a call at x = 0 is put
    # to the 8 nearest (posts 0–7), where nobody is free; widening must reach posts 8 and 9
    # (1 responder each): post 8, the nearer, answers — on duty with a roster (everyone on
    # duty), and by coin without one (availability 1: 1 − 0¹ = 1 > any uniform).
    free = np.array([0] * 8 + [1, 1])
    assert COMMUNITY_K == 8
    for roster in (True, False):
        pool = _posts_on_a_line(1.0, free.copy(), [[] for _ in range(8)] + [[0], [1]])
        d = Dispatcher([pool], None, Uniforms(np.random.default_rng(0)))  # type: ignore[arg-type]
        if roster:
            d.roster = Roster(2, lambda t: 1.0, 7200.0, d.u.next)
        near = d.nearest_posts(pool, (0.0, 0.0))[1].tolist()
        assert near == list(range(8))
        assert d.pick_foot(pool, (0.0, 0.0), near, 0.0) == 8


# ---- the road times' cache keeps to its memory budget ---------------------------------------------


def test_the_cache_counts_every_entry_and_drops_the_oldest_over_budget(monkeypatch):
    # Budget 2 000 bytes; entries of 800 bytes (100 float64) each: after two, 1 600 bytes
    # held; the third makes 2 400 > 2 000, so the oldest goes (1 600 again, two entries).
    # Storing an equal key again replaces it (its old bytes are given back).
    monkeypatch.setattr(closed_network, "CACHE_BYTES", 2000)
    net = ClosedNetwork(tiny_city().roads, directed=True)
    for k in range(2):
        net._store(("x", k), np.zeros(100))
    assert net._bytes == 1600 and list(net._cache) == [("x", 0), ("x", 1)]
    net._store(("x", 1), np.zeros(100))
    assert net._bytes == 1600 and len(net._cache) == 2
    net._store(("x", 2), np.zeros(100))
    assert net._bytes == 1600 and list(net._cache) == [("x", 1), ("x", 2)]


def test_without_a_roster_a_free_responder_answers_only_by_the_availability_coin():
    # The same ten posts, one responder free at each; no roster: each post answers with
    # chance 1 − (1 − a)^k, k = 1 free. With a = 0 nobody ever answers (1 − 1¹ = 0, and no
    # uniform is < 0): −1, though every post has a free responder. With a = 1 the nearest
    # (post 0) answers at once.
    for a, expect in ((0.0, -1), (1.0, 0)):
        pool = _posts_on_a_line(a, np.ones(10, np.int64), [[k] for k in range(10)])
        d = Dispatcher([pool], None, Uniforms(np.random.default_rng(0)))  # type: ignore[arg-type]
        assert d.pick_foot(pool, (0.0, 0.0), None, 0.0) == expect
