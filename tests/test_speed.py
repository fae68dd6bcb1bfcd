"""Speed work that must not change answers: bounded searches, caches keyed by closure
state, the garbage collector paused around a run (issue #15)."""

from __future__ import annotations

import gc
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import dijkstra

from twin.model.roads import PERIODS, RoadNetwork, TravelTimes
from twin.sim.gcpause import collector_off, paused_gc
from twin.sim.road_times import RoadTimes


def grid(side: int, seed: int = 0) -> RoadNetwork:
    """A side × side grid, two-way streets of 30–120 s (seeded), 100 m apart."""
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
        edge_oneway=np.zeros(k, bool),
        edge_class=np.array(["local"] * k, dtype=object),
        edge_bridge=np.zeros(k, bool),
    )


NET = grid(12)
SOURCES = np.array([0, 17, 40, 77, 100, 143])
TT = TravelTimes(NET, SOURCES, use_cache=False)


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


ONEWAY = np.random.default_rng(1).random(len(NET.edge_ids)) < 0.3
"""About 3 in 10 of the grid's streets one-way (u → v): reachability is not symmetric."""
TT_ONEWAY = TravelTimes(
    RoadNetwork(**{**NET.__dict__, "edge_oneway": ONEWAY}), SOURCES, use_cache=False
)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.integers(0, len(NET.edge_ids) - 1), min_size=0, max_size=40),
    st.integers(0, 143),
)
def test_reaches_agrees_with_a_full_search_under_one_way_streets(closed_edges, root):
    """Property: ``reaches(root)`` (strong components and their condensation) says a node
    is reachable exactly when an unbounded Dijkstra from ``root`` on the closed network
    reaches it — including nodes in another component that a one-way street leads into —
    and computing it leaves the cached road matrix intact (later searches stay exact)."""
    rt = RoadTimes(TT_ONEWAY)
    closed = np.zeros(len(NET.edge_ids), bool)
    closed[closed_edges] = True
    rt.set_closed(closed)
    m = rt.matrix(0)
    exact = np.isfinite(dijkstra(m, directed=True, indices=root))
    before = (m.indptr.copy(), m.indices.copy(), m.data.copy())
    test = rt.reaches(root, 0)
    assert [test(n) for n in range(len(exact))] == exact.tolist()
    after = rt.matrix(0)
    assert all(
        np.array_equal(x, y)
        for x, y in zip(before, (after.indptr, after.indices, after.data), strict=True)
    )
    assert np.isfinite(rt.tree(root, 0)[0]).tolist() == exact.tolist()


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.integers(0, len(NET.edge_ids) - 1), min_size=0, max_size=40),
    st.lists(st.integers(0, 5), min_size=1, max_size=6),
)
def test_reached_from_several_stations_is_what_best_finds(closed_edges, rows):
    """Property: ``reached_from(roots)`` (the retry's test before any search) says a node
    is reachable exactly when an unbounded Dijkstra from one of the roots reaches it, and
    so exactly when :meth:`RoadTimes.best` over those stations finds a finite time — a
    request it rejects is one ``best`` would have searched for and not found."""
    rt = RoadTimes(TT_ONEWAY)
    closed = np.zeros(len(NET.edge_ids), bool)
    closed[closed_edges] = True
    rt.set_closed(closed)
    rows = np.unique(np.asarray(rows))
    roots = SOURCES[rows]
    exact = np.isfinite(dijkstra(rt.matrix(0), directed=True, indices=roots)).any(axis=0)
    test = rt.reached_from(roots, 0)
    assert [test(n) for n in range(len(exact))] == exact.tolist()
    for node in range(0, len(exact), 7):
        assert np.isfinite(rt.best(rows, node, 0)[1]) == exact[node]


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


def test_a_run_builds_its_tables_with_the_run_frozen_and_restores_the_collector(monkeypatch):
    """The results tables are built while the run's objects (its log, its incidents) are
    frozen out of the collector's sight and with the raised threshold (a year's full
    collections walked them all: 5.6 CPU-s); after ``run_scenario`` the collector is as
    it was."""
    from tinycity import tiny_city

    import twin.sim.runner as runner
    from twin.scenario.spec import Scenario
    from twin.sim.gcpause import RUN_THRESHOLD

    seen: dict[str, tuple[int, int]] = {}
    for name in ("incident_table", "event_table", "compliance_table"):
        real = getattr(runner, name)

        def spy(*a, _real=real, _name=name, **k):
            seen[_name] = (gc.get_freeze_count(), gc.get_threshold()[0])
            return _real(*a, **k)

        monkeypatch.setattr(runner, name, spy)
    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    res = runner.run_scenario(Scenario(days=0.5, seed=3), tiny_city(), record_routes=False)
    assert len(res["incidents"]) > 0 and set(seen) == {
        "incident_table",
        "event_table",
        "compliance_table",
    }
    for count, threshold in seen.values():
        assert count > frozen and threshold == max(RUN_THRESHOLD, before[0])
    assert gc.get_threshold() == before and gc.get_freeze_count() == frozen


def test_the_collector_is_off_during_a_run_and_on_again_after_even_on_error(monkeypatch):
    """A run's simulation goes with the cyclic collector switched off (its passes found
    almost nothing and cost ~10 % of the engine: gcpause); afterwards, and after an error
    inside, it is on again; a collector the caller switched off stays off."""
    from tinycity import tiny_city

    import twin.sim.lifecycle as lifecycle
    from twin.scenario.spec import Scenario
    from twin.sim.runner import run_scenario

    with pytest.raises(RuntimeError):
        with collector_off():
            assert not gc.isenabled()
            raise RuntimeError("a run failed")
    assert gc.isenabled()
    # what the run made while it was off is not left young: switching the collector on
    # again does not start passes over all of it (a young pass at the next allocation,
    # then the middle generation's); it goes straight to the oldest generation
    frozen = gc.get_freeze_count()
    gc.collect()  # every generation's count at zero: the next pass is a young one
    with collector_off():
        made = [[i] for i in range(50_000)]
        assert gc.get_count()[0] >= 40_000
    junk = [[i] for i in range(2_000)]  # allocations after: no pass over `made`
    assert gc.get_freeze_count() == frozen and len(junk) == 2_000
    assert not any(o is made[0] or o is made[-1] for g in (0, 1) for o in gc.get_objects(g))
    gc.disable()
    try:
        with collector_off():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
    during: list[bool] = []
    real = lifecycle.Lifecycle.alarm

    def spy(self, inc):
        during.append(gc.isenabled())
        return real(self, inc)

    monkeypatch.setattr(lifecycle.Lifecycle, "alarm", spy)
    run_scenario(Scenario(days=0.5, seed=3), tiny_city(), record_routes=False)
    assert during and not any(during)
    assert gc.isenabled()


def test_a_runs_incidents_and_log_are_freed_with_its_result_without_the_collector():
    """The run hands its incidents and event log to its result alone, and an incident no
    longer refers to its work's event (which refers back to it): with the cyclic
    collector off, dropping the result frees them at once (a sweep's worker would
    otherwise carry each run until a full collection)."""
    from tinycity import tiny_city

    from twin.sim.engine import simulate
    from twin.sim.lifecycle import Inc

    city = tiny_city()
    gc.collect()
    gc.disable()
    try:
        sim = simulate(city, np.random.default_rng(5), 2 * 86400.0)
        n, rows = len(sim.incidents), sim.events
        mine = {id(i) for i in sim.incidents}  # (other tests' incidents may be alive)
        alive = sum(isinstance(o, Inc) and id(o) in mine for o in gc.get_objects())
        del sim
        left = sum(isinstance(o, Inc) and id(o) in mine for o in gc.get_objects())
        rows_refs = sys.getrefcount(rows)
    finally:
        gc.enable()
    assert n > 20 and alive == n
    assert left == 0
    assert rows_refs == 2  # only `rows` here (and getrefcount's argument): the log let go
