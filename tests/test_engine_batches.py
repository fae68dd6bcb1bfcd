"""The engine's batched and cached tests give the answers of the one-at-a-time ones.

Speed-ups of the earthquake's hot paths (``bench/earthquake_speed.py``) must not change a
result: the re-routing test for many trips at once (:meth:`RoadTimes.may_use_many`) equals
:meth:`RoadTimes.may_use` trip by trip; the landmark tests cached per node and closure
state give what a fresh :class:`RoadTimes` gives after the closures change back and forth;
the roster's scan of many posts (:meth:`Roster.first_on`) makes the same looks, in the same
order, with the same draws, as asking each responder in turn.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from tinycity import tiny_city

from twin.sim.engine import Engine, EngineConfig
from twin.sim.road_times import RoadTimes
from twin.sim.roster import Roster

CITY = tiny_city()
ENGINE = Engine(CITY, EngineConfig(use_cache=False))
EDGES = list(CITY.road_edges["edge_id"])
N = CITY.roads.n_nodes


@settings(max_examples=30, deadline=None)
@given(
    changed=st.lists(st.sampled_from(EDGES), min_size=1, max_size=6, unique=True),
    trips=st.lists(
        st.tuples(st.integers(0, N - 1), st.integers(0, N - 1), st.floats(0.0, 2000.0)),
        min_size=1,
        max_size=12,
    ),
    period=st.integers(0, 2),
)
def test_many_trips_at_once_equal_one_at_a_time(changed, trips, period):
    rt = RoadTimes(ENGINE.tt)
    a, b, k = rt.closed_pairs(CITY.roads.edge_index(changed))
    w = (CITY.roads.edge_time_s * rt.factors[period])[k]
    o, d, s = (np.array(x) for x in zip(*trips, strict=True))
    got = rt.may_use_many(o.astype(np.int64), d.astype(np.int64), s.astype(float), a, b, w, period)
    want = [rt.may_use(int(x), int(y), float(z), a, b, w, period) for x, y, z in trips]
    assert got.tolist() == want


@settings(max_examples=20, deadline=None)
@given(
    first=st.lists(st.sampled_from(EDGES), min_size=1, max_size=6, unique=True),
    second=st.lists(st.sampled_from(EDGES), min_size=1, max_size=6, unique=True),
    period=st.integers(0, 2),
)
def test_cached_landmark_tests_survive_closures_changing_back_and_forth(first, second, period):
    """Times asked under closures A, then B, then A again (cached results of A found
    again) equal those of a fresh RoadTimes under A, exactly."""
    masks = []
    for edges in (first, second):
        m = np.zeros(len(EDGES), bool)
        m[CITY.roads.edge_index(edges)] = True
        masks.append(m)
    rows = np.arange(len(ENGINE.sources))
    rt = RoadTimes(ENGINE.tt)
    for m in (masks[0], masks[1], masks[0]):
        rt.set_closed(m)
        seen = [(rt.to_node(rows, j, period), rt.from_node(1, j, period)) for j in range(N)]
    fresh = RoadTimes(ENGINE.tt)
    fresh.set_closed(masks[0])
    for j in range(N):
        assert np.array_equal(seen[j][0], fresh.to_node(rows, j, period))
        assert seen[j][1] == fresh.from_node(1, j, period)
        assert rt.best(rows, j, period) == fresh.best(rows, j, period)


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    stacks=st.lists(st.lists(st.integers(0, 11), max_size=4, unique=True), min_size=1, max_size=5),
    times=st.lists(st.floats(0.0, 86_400.0), min_size=1, max_size=6),
)
def test_roster_scan_of_many_posts_makes_the_same_looks_and_draws(seed, stacks, times):
    def roster() -> tuple[Roster, list[int]]:
        rng, drawn = np.random.default_rng(seed), []

        def draw() -> float:
            drawn.append(0)
            return float(rng.random())

        return Roster(12, lambda t: 0.35 if t < 6 * 3600 else 0.7, 3600.0, draw), drawn

    (batch, n_batch), (single, n_single) = roster(), roster()
    posts = list(range(len(stacks)))
    for t in sorted(times):
        got = batch.first_on(stacks, posts, t)
        want = (-1, -1)
        for i in posts:
            hit = next(
                (k for k in range(len(stacks[i]) - 1, -1, -1) if single.on(stacks[i][k], t)), -1
            )
            if hit >= 0:
                want = (i, hit)
                break
        assert got == want
        assert (batch.state, batch.until, batch.seen) == (single.state, single.until, single.seen)
        assert len(n_batch) == len(n_single)
