"""Speed work that must not change answers: bounded searches, caches keyed by closure
state, the garbage collector paused around a run (issue #15)."""

from __future__ import annotations

import gc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import dijkstra

from twin.model.roads import PERIODS, RoadNetwork, TravelTimes
from twin.sim.gcpause import paused_gc
from twin.sim.road_times import RoadTimes


def grid(side: int, seed: int = 0, oneway: float = 0.0) -> RoadNetwork:
    """A side × side grid, streets of 30–120 s (seeded), 100 m apart; a share ``oneway``
    of them one-way (seeded)."""
    rng = np.random.default_rng(seed)
    idx = np.arange(side * side).reshape(side, side)
    u = np.concatenate([idx[:-1, :].ravel(), idx[:, :-1].ravel()])
    v = np.concatenate([idx[1:, :].ravel(), idx[:, 1:].ravel()])
    k = len(u)
    c, r = np.divmod(np.arange(side * side), side)
    return RoadNetwork(
        node_ids=np.array([f"n{i}" for i in range(side * side)], dtype=object),
        xy=np.column_stack([c * 100.0, r * 100.0]),
        edge_ids=np.array([f"e{i}" for i in range(k)], dtype=object),
        edge_u=u,
        edge_v=v,
        edge_time_s=rng.integers(30, 121, k).astype(float),
        edge_oneway=rng.random(k) < oneway,
        edge_class=np.array(["local"] * k, dtype=object),
        edge_bridge=np.zeros(k, bool),
    )


NET = grid(12)
SOURCES = np.array([0, 17, 40, 77, 100, 143])
TT = TravelTimes(NET, SOURCES, use_cache=False)
ONEWAY = grid(8, seed=1, oneway=0.4)
TT_ONEWAY = TravelTimes(ONEWAY, np.array([0, 27, 63]), use_cache=False)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, len(ONEWAY.edge_ids) - 1), max_size=25), st.integers(0, 63))
def test_reach_test_equals_a_finite_search(closed_edges, root):
    """Property: on a grid where 40 % of the streets are one-way, under any closures, the
    reach test a freed unit uses from a scene (strongly connected components, a search only
    across components) says "reachable" exactly where an unbounded Dijkstra from the scene
    on the closed network has a finite time — for every node."""
    rt = RoadTimes(TT_ONEWAY)
    closed = np.zeros(len(ONEWAY.edge_ids), bool)
    closed[closed_edges] = True
    rt.set_closed(closed)
    m = ONEWAY.matrix(ONEWAY.edge_times(PERIODS[0], closed))
    expect = np.isfinite(dijkstra(m, directed=True, indices=root))
    reach = rt.reaches(root, 0)
    assert [reach(j) for j in range(64)] == expect.tolist()


def test_reach_test_searches_only_across_components():
    """The open one-way grid has several strongly connected components (so the search
    fall-back is exercised), and a reach test within the root's component runs no search."""
    rt = RoadTimes(TT_ONEWAY)
    label = rt.components(0)
    assert len(set(label.tolist())) > 1
    every = np.isfinite(dijkstra(ONEWAY.matrix(ONEWAY.edge_times(PERIODS[0])), directed=True))
    for root in range(64):
        reach = rt.reaches(root, 0)
        same = [j for j in range(64) if label[j] == label[root]]
        n = rt.searches
        assert all(reach(j) for j in same) and rt.searches == n
        assert [reach(j) for j in range(64)] == every[root].tolist()


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.integers(0, len(NET.edge_ids) - 1), min_size=1, max_size=30),
    st.integers(0, 143),
    st.lists(st.booleans(), min_size=6, max_size=6),
)
def test_bounded_dispatch_equals_the_unbounded_answer(closed_edges, node, free_flags):
    """Property: under any closures, ``best`` (one search bounded by the best untouched
    time) picks the same station with the same time as the argmin of the exact times of
    every station (an unbounded Dijkstra on the closed network), and ``tree_to`` gives the
    exact time of its target."""
    rt = RoadTimes(TT)
    closed = np.zeros(len(NET.edge_ids), bool)
    closed[closed_edges] = True
    rt.set_closed(closed)
    rows = np.flatnonzero(free_flags) if any(free_flags) else np.arange(6)
    m = NET.matrix(NET.edge_times(PERIODS[0], closed))
    exact = dijkstra(m, directed=True, indices=SOURCES[rows])[:, node]
    k, t = rt.best(rows, node, 0)
    if np.isfinite(exact).any():
        assert t == pytest.approx(exact.min(), abs=1e-3)
        assert k == int(np.flatnonzero(np.isclose(exact, exact.min(), atol=1e-3))[0])
    else:
        assert t == np.inf
    target = int(SOURCES[rows[0]])
    dist = rt.tree_to(node, target, 0.0, 0)[0]
    assert dist[target] == pytest.approx(dijkstra(m, indices=node)[target])


def test_searches_are_kept_across_closure_changes():
    """A search made under closure state A is found again when A comes back (a closure's
    end restores the state before it), not recomputed; a bounded search is reused for any
    target it reached."""
    rt = RoadTimes(TT)
    closed = np.zeros(len(NET.edge_ids), bool)
    closed[[3, 9, 20]] = True
    rt.set_closed(closed)
    d1, _ = rt.tree(50, 0, limit=300.0)
    n = rt.searches
    rt.set_closed(np.zeros_like(closed))
    rt.tree(50, 0)
    assert rt.searches == n + 1  # another state: its own search
    rt.set_closed(closed)
    d2, _ = rt.tree(50, 0, limit=200.0)  # a smaller bound: the cached one serves
    assert rt.searches == n + 1 and d2 is d1
    reached = int(np.flatnonzero(np.isfinite(d1))[0])
    assert rt.tree_to(50, reached, 1e6, 0)[0] is d1  # reached already: no new search
    assert np.isinf(d1).any()  # the bound left far nodes out


def test_paused_gc_restores_the_collector_even_on_error():
    """Within a run the young-generation threshold is raised and older objects frozen;
    afterwards both are as they were, also when the run raised."""
    before = gc.get_threshold()
    frozen = gc.get_freeze_count()
    with pytest.raises(RuntimeError):
        with paused_gc(threshold=123_456):
            assert gc.get_threshold()[0] == max(123_456, before[0])
            assert gc.get_freeze_count() >= frozen
            raise RuntimeError("a run failed")
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == frozen
    assert gc.isenabled()
