"""Choosing units: own district first, mutual aid when busy or too far, community posts by
availability, helicopters by straight line."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tinycity import tiny_city

from twin.model.roads import TravelTimes
from twin.sim.dispatch import Dispatcher, Uniforms, build_pools
from twin.sim.engine import Engine, EngineConfig
from twin.sim.forces import FORCES
from twin.sim.road_times import RoadTimes

CITY = tiny_city()
ENGINE = Engine(CITY, EngineConfig(use_cache=False))


def dispatcher(seed: int = 0, policy: str = "district_first") -> Dispatcher:
    """The tests below describe the district-first policy unless they say otherwise."""
    pools = build_pools(ENGINE.fleet, ENGINE.config.forces, ENGINE.station_row)
    return Dispatcher(pools, RoadTimes(ENGINE.tt), Uniforms(np.random.default_rng(seed)), policy)


def node(n: str) -> int:
    return int(CITY.roads.node_index([n])[0])


def district(d: str) -> int:
    return ENGINE.districts.index(d)


def station(pool, i: int) -> str:
    return str(ENGINE.fleet.station_ids[pool.stations[i]])


def test_own_district_unit_goes_even_when_a_neighbour_is_nearer():
    d = dispatcher()
    fire = d.pools[FORCES.index("fire")]
    # n32 is D3's: own F3 (n53 → n32: 300 s) is also the nearest
    i, ok = d.pick_road(fire, node("n32"), district("D3"), 0.0)
    assert ok and station(fire, i) == "F3"
    # were n32 D2's, its own F2 (400 s, within 30 min) would go although F3 is nearer
    i, _ = d.pick_road(fire, node("n32"), district("D2"), 0.0)
    assert station(fire, i) == "F2"


def test_nearest_policy_sends_the_nearer_neighbour_across_the_boundary():
    d = dispatcher(policy="nearest")
    fire = d.pools[FORCES.index("fire")]
    # were n32 D2's: F3 (n53 → n32: n53 → n52 → n42 → n32 = 300 s) beats own F2 (n50 → n32:
    # 400 s); under the unified centre's nearest-unit rule F3 goes (mutual aid D3 → D2)
    i, ok = d.pick_road(fire, node("n32"), district("D2"), 0.0)
    assert ok and station(fire, i) == "F3"


def test_unknown_policy_is_refused():
    with pytest.raises(ValueError, match="dispatch policy"):
        dispatcher(policy="closest")


def test_mutual_aid_when_the_own_unit_is_busy():
    d = dispatcher()
    fire = d.pools[FORCES.index("fire")]
    own = fire.take(list(fire.stations).index(ENGINE.fleet.station_ids.tolist().index("F2")))
    i, ok = d.pick_road(fire, node("n41"), district("D2"), 0.0)
    assert ok and station(fire, i) == "F3"  # 300 s vs F1's 500 s
    assert fire.district[i] == district("D3")
    fire.give_back(list(fire.stations).index(ENGINE.fleet.station_ids.tolist().index("F2")), own)
    i, _ = d.pick_road(fire, node("n41"), district("D2"), 0.0)
    assert station(fire, i) == "F2"


def test_mutual_aid_when_the_own_unit_is_too_far():
    d = dispatcher()
    fire = d.pools[FORCES.index("fire")]
    fire.target_s = 250.0  # pretend the target were 250 s: F2 needs 60 + 300 s to n31
    i, _ = d.pick_road(fire, node("n31"), district("D2"), 0.0)
    # too far, so the nearest of all goes: F2 (300 s) beats F1 and F3 (400 s each)
    assert station(fire, i) == "F2"
    i, _ = d.pick_road(fire, node("n22"), district("D2"), 0.0)  # pretend n22 were D2's
    assert station(fire, i) == "F1"  # F2 would need 60 + 500 s; F1 60 + 400 s


def test_nothing_free_anywhere_means_queue():
    d = dispatcher()
    fire = d.pools[FORCES.index("fire")]
    for i in range(len(fire.stations)):
        fire.take(i)
    i, reachable = d.pick_road(fire, node("n21"), district("D1"), 0.0)
    assert i == -1 and reachable


def test_community_availability_decides_who_answers():
    d = dispatcher()
    comm = d.pools[FORCES.index("community")]
    xy = ENGINE.xy[node("n21")]
    comm.spec = replace(comm.spec, availability=1.0)
    assert station(comm, d.pick_foot(comm, xy)) == "C1"
    comm.spec = replace(comm.spec, availability=0.0)
    assert d.pick_foot(comm, xy) == -1
    comm.spec = replace(comm.spec, availability=0.7)
    answers = [station(comm, d.pick_foot(comm, xy)) for _ in range(2000)]
    # C1 has 2 free responders: answers with 1 − 0.3² = 0.91
    assert answers.count("C1") / 2000 == pytest.approx(0.91, abs=0.03)


def test_helicopter_nearest_free_base():
    d = dispatcher()
    air = d.pools[FORCES.index("air")]
    assert station(air, d.pick_air(air, ENGINE.xy[node("n53")])) == "A1"
    air.take(0)
    assert d.pick_air(air, ENGINE.xy[node("n53")]) == -1


def test_uniform_stream_is_the_generators_sequence():
    u = Uniforms(np.random.default_rng(5), block=4)
    got = [u.next() for _ in range(10)]
    rng = np.random.default_rng(5)
    want = np.concatenate([rng.random(4), rng.random(4), rng.random(4)])[:10]
    assert got == pytest.approx(want.tolist())


EDGES = list(CITY.road_edges["edge_id"])


def one_way_city():
    """The tiny city with some one-way streets (and a one-way long bridge, eastbound)."""
    e = CITY.road_edges.copy()
    e.loc[e["edge_id"].isin(["n23-n33", "n10-n20", "n41-n51", "n02-n12", "n32-n33"]), "oneway"] = (
        True
    )
    return CITY.replace(road_edges=e)


ONE_WAY = one_way_city()
ONE_WAY_ENGINE = Engine(ONE_WAY, EngineConfig(use_cache=False))


@settings(max_examples=60, deadline=None)
@given(
    closed=st.lists(st.sampled_from(EDGES), max_size=8, unique=True),
    period=st.integers(0, 2),
    directed=st.booleans(),
)
def test_road_times_under_closures_equal_a_full_recomputation(closed, period, directed):
    """The landmark-filtered times equal travel times computed from scratch on the closed
    network, for every station and node, both ways (two-way and one-way streets)."""
    city, engine = (ONE_WAY, ONE_WAY_ENGINE) if directed else (CITY, ENGINE)
    mask = np.zeros(len(EDGES), bool)
    mask[city.roads.edge_index(closed)] = True
    rt = RoadTimes(engine.tt)
    rt.set_closed(mask)
    fresh = TravelTimes(city.roads, engine.sources, use_cache=False, closed=mask)
    rows = np.arange(len(engine.sources))
    for j in range(city.roads.n_nodes):
        got = rt.to_node(rows, j, period)
        assert np.allclose(got, fresh.out[period][:, j], atol=1e-3, equal_nan=True)
        for r in rows:
            assert rt.from_node(int(r), j, period) == pytest.approx(
                float(fresh.back[period][r, j]), abs=1e-3
            )


def test_community_call_widens_to_every_post_when_the_near_ones_have_nobody_free():
    # The call at n21 is first put to its nearest post only (near = [C1], √2 km away);
    # both C1 responders are out, so it widens to every post by distance: C2 (n41, 2 km)
    # answers before C3 (n43, 2.8 km) (availability 1: the first post with a free
    # responder answers).
    d = dispatcher()
    comm = d.pools[FORCES.index("community")]
    comm.spec = replace(comm.spec, availability=1.0)
    c1 = [station(comm, i) for i in range(len(comm.stations))].index("C1")
    comm.take(c1)
    comm.take(c1)
    xy = ENGINE.xy[node("n21")]
    assert station(comm, d.pick_foot(comm, xy, [c1])) == "C2"


def test_nearest_is_the_default_policy():
    pools = build_pools(ENGINE.fleet, ENGINE.config.forces, ENGINE.station_row)
    d = Dispatcher(pools, RoadTimes(ENGINE.tt), Uniforms(np.random.default_rng(0)))
    assert not d.district_first


def test_a_special_vehicle_from_beyond_the_target_is_replaced_by_a_near_one():
    """A request for a vehicle kind (here an aerial unit) is served by that kind only from
    within the force's target; else by the nearest free vehicle of any kind (on the
    municipality aerial units were driven 300 km, 5-10 h, as first assignment).

    Tiny city, F2 (n50) = 2 water tenders, F3 (n53) = tender, tender, rescue, aerial (F3/4),
    F1 (n00) = 1 tender. Fire turnout by day 60 s; F3 → n50 is 3 streets of 100 s."""
    from twin.sim.kinds import ANY, KIND_CODE

    eng = Engine(tiny_city(units={"F2": 2, "F3": 4}), EngineConfig(use_cache=False))
    pools = build_pools(eng.fleet, eng.config.forces, eng.station_row)
    d = Dispatcher(pools, RoadTimes(eng.tt), Uniforms(np.random.default_rng(0)), "nearest")
    fire = d.pools[FORCES.index("fire")]
    ids = eng.fleet.station_ids
    aerial, n50 = KIND_CODE["aerial"], node("n50")
    # within the 30-min target (60 + 300 s ≤ 1800 s): F3's aerial unit goes
    i, ok, kind = d.pick_kind(fire, n50, district("D2"), 0.0, aerial)
    assert ok and ids[fire.stations[i]] == "F3" and kind == aerial
    # were the target 300 s, 60 + 300 s is beyond it: F2's tender (0 s) goes instead
    fire.target_s = 300.0
    i, ok, kind = d.pick_kind(fire, n50, district("D2"), 0.0, aerial)
    assert ok and ids[fire.stations[i]] == "F2" and kind == ANY
    # a request for any kind is untouched by the rule
    assert d.pick_kind(fire, n50, district("D2"), 0.0, ANY)[2] == ANY
    # with the only aerial unit busy, the nearest free vehicle of any kind goes (F2)
    fire.target_s = 1800.0
    f3 = list(ids[fire.stations]).index("F3")
    fire.take(f3, aerial)
    i, ok, kind = d.pick_kind(fire, n50, district("D2"), 0.0, aerial)
    assert ids[fire.stations[i]] == "F2" and kind == ANY
    # with nothing free at all, the request waits for an aerial unit, as before
    for j in range(len(fire.stations)):
        while fire.free[j]:
            fire.take(j)
    assert d.pick_kind(fire, n50, district("D2"), 0.0, aerial) == (-1, True, aerial)


def half_available_with_c1_out(d: Dispatcher):
    """The community pool at availability 0.5 with both of post C1's responders out; the
    pool and the rows of posts C1 and C2."""
    comm = d.pools[FORCES.index("community")]
    comm.spec = replace(comm.spec, availability=0.5)
    names = [station(comm, i) for i in range(len(comm.stations))]
    c1, c2 = names.index("C1"), names.index("C2")
    comm.take(c1)
    comm.take(c1)
    return comm, c1, c2


def test_a_post_with_nobody_free_is_passed_over_without_a_coin():
    # Availability a = 0.5: a post with k free responders answers with probability
    # 1 − 0.5^k; C1 has nobody free (both out), C2 two: 0.75. The run's first uniforms
    # (seed 1) are 0.5118, 0.9505, …: C1 is passed over without drawing, C2 draws 0.5118 <
    # 0.75 and answers — one coin in all. (Drawing a coin for C1 too would hand C2 0.9505:
    # no answer, and every later call's coins would shift.)
    d = dispatcher(seed=1)
    assert np.random.default_rng(1).random(2) == pytest.approx([0.51182162, 0.9504637])
    comm, c1, c2 = half_available_with_c1_out(d)
    xy = ENGINE.xy[node("n21")]
    assert station(comm, d.pick_foot(comm, xy, [c1, c2])) == "C2"
    assert d.u.i == 1  # coins drawn from the run's stream


def test_on_duty_call_widens_to_every_post_when_the_near_ones_have_nobody_on_duty():
    # With a roster (everyone on duty: share 1), the call at n21 is put to C1 only; both
    # C1 responders are out, so it widens to every post by distance: C2 (n41, 2 km) before
    # C3 (n43, 2.83 km); C2's responder on duty is moved to the top of its stack.
    from twin.sim.roster import Roster

    d = dispatcher()
    comm = d.pools[FORCES.index("community")]
    d.roster = Roster(len(ENGINE.fleet.unit_ids), lambda t: 1.0, 7200.0, d.u.next)
    names = [station(comm, i) for i in range(len(comm.stations))]
    c1 = names.index("C1")
    comm.take(c1)
    comm.take(c1)
    i = d.pick_foot(comm, ENGINE.xy[node("n21")], [c1], 0.0)
    assert names[i] == "C2"
    assert str(ENGINE.fleet.unit_ids[comm.take(i)]).startswith("C2/")


def test_a_widened_post_order_is_the_full_query_in_two_rings_kept_per_place(monkeypatch):
    # The posts beyond the k nearest, nearest first, come in two rings: the next WIDE_RING
    # from a bounded query, then the rest of a query of every post, made only when the
    # caller reads on. Read in turn, the rings are the full query's order. Asked again at
    # the same place in the same run they come from what was kept (no query), and at most
    # WIDE_KEPT places are kept (the oldest goes first).
    import twin.sim.dispatch as dispatch

    d = dispatcher()
    comm = d.pools[FORCES.index("community")]
    queries: list[int] = []
    real = d.nearest_posts

    def counting(pool, xy, k=dispatch.COMMUNITY_K):
        queries.append(k)
        return real(pool, xy, k)

    def read(rings) -> list[int]:
        return [i for ring in rings for i in ring]

    monkeypatch.setattr(d, "nearest_posts", counting)
    monkeypatch.setattr(dispatch, "WIDE_KEPT", 2)
    monkeypatch.setattr(dispatch, "WIDE_RING", 1)
    n = len(comm.stations)
    assert n == 3
    a, b, c = (ENGINE.xy[node(x)] for x in ("n21", "n30", "n43"))
    want = real(comm, a, n)[1][1:].tolist()
    assert len(want) == 2
    assert next(d._beyond(comm, a, 1)) == want[:1] and queries == [2]  # bounded: 1 + 1
    assert read(d._beyond(comm, a, 1)) == want and queries == [2, n]  # the rest: all posts
    assert read(d._beyond(comm, a, 1)) == want and queries == [2, n]  # kept
    next(d._beyond(comm, b, 1))
    next(d._beyond(comm, c, 1))  # a third place: the first is let go
    assert queries == [2, n, 2, 2]
    assert read(d._beyond(comm, a, 1)) == want and queries == [2, n, 2, 2, 2, n]
    # a ring that reaches the last post ends the widening: no query of all
    monkeypatch.setattr(dispatch, "WIDE_RING", 2)
    d._wide.clear()
    assert read(d._beyond(comm, a, 1)) == want and queries[6:] == [n]


def test_responders_given_back_answer_again_as_a_full_post():
    # Availability a = 0.5: C1 with both responders free answers with 1 − 0.5² = 0.75,
    # with one 0.5. Both go out and both come back: C1 counts two free again, and the
    # run's first uniform (seed 1) 0.5118 makes it answer (it would not with one: 0.5).
    d = dispatcher(seed=1)
    comm = d.pools[FORCES.index("community")]
    comm.spec = replace(comm.spec, availability=0.5)
    c1 = [station(comm, i) for i in range(len(comm.stations))].index("C1")
    units = [comm.take(c1), comm.take(c1)]
    for u in units:
        comm.give_back(c1, u)
    assert comm.free[c1] == 2 and comm.free_l[c1] == 2
    assert station(comm, d.pick_foot(comm, ENGINE.xy[node("n21")], [c1])) == "C1"


def test_widening_passes_over_a_post_with_nobody_free_without_a_coin():
    # a = 0.5, the call at n30 put first to its nearest post only: C2 (n41, √2 km; two
    # free: answers with 0.75). The run's uniforms (seed 4) are 0.9431, 0.5113, 0.9762: C2
    # declines (0.9431); widening to the other posts by distance, C1 (n10, 2 km, both
    # responders out) is passed over without a coin and C3 (n43, 3.16 km, two free)
    # answers with 0.5113 < 0.75 — two coins in all.
    d = dispatcher(seed=4)
    assert np.random.default_rng(4).random(3) == pytest.approx([0.94305611, 0.51132755, 0.97624371])
    comm, c1, c2 = half_available_with_c1_out(d)
    assert station(comm, d.pick_foot(comm, ENGINE.xy[node("n30")], [c2])) == "C3"
    assert d.u.i == 2
