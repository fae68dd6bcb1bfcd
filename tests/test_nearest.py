"""K-nearest travel tables (issue #15): the same dispatch decisions and times as dense
tables, on hand-checkable grids and on a day of the central twin's baseline."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra

from tests.test_speed import grid
from twin.hazards.build import build_timeline
from twin.model.city import load_city
from twin.model.roads import PERIODS
from twin.scenario.apply import apply
from twin.scenario.spec import load_scenario
from twin.sim.engine import Engine, EngineConfig
from twin.sim.nearest import k_nearest
from twin.sim.params import TimeChain


def test_k_nearest_lists_the_k_smallest_times_in_order():
    """Each node's list is the k smallest of the dense times, nearest first; a bound leaves
    out bases beyond it (−1, inf); parallel chunks give the same lists."""
    net = grid(9, seed=3)
    m = net.matrix(net.edge_times(PERIODS[0]))
    sources = np.array([0, 8, 40, 72, 80, 13, 67, 29, 51, 22])
    dense = dijkstra(m, indices=sources)
    rows, times = k_nearest(m, sources, 3)
    for j in range(net.n_nodes):
        want = np.sort(dense[:, j])[:3]
        assert times[j] == pytest.approx(want, abs=1e-3)
        assert dense[rows[j], j] == pytest.approx(want, abs=1e-3)
    r2, t2 = k_nearest(m, sources, 3, limit_s=200.0)
    assert np.all(np.isinf(t2[r2 < 0])) and np.all(t2[r2 >= 0] <= 200.0)
    assert np.array_equal(r2 >= 0, (times <= 200.0))
    r3, t3 = k_nearest(m, sources, 3, workers=2)
    assert np.array_equal(r3, rows) and np.array_equal(t3, times)


@pytest.fixture(scope="module")
def two_runs():
    """A day of the baseline (its incidents, random pipe failures and road closures) on
    the central twin, simulated with dense tables and with K-nearest tables of K = 2
    (small, so that every fall-back path runs), from the same seed."""
    city = load_city()
    scen = load_scenario("scenarios/baseline.toml").with_(days=1.0)
    applied = apply(scen, city)
    runs, engines = [], []
    for tables, k in (("dense", 8), ("nearest", 2)):
        rng = np.random.default_rng(scen.seed)
        timeline = build_timeline(scen, applied, rng)
        config = EngineConfig(chain=TimeChain.deterministic(), tables=tables, nearest_k=k)
        eng = Engine(applied, config)
        arrays = eng.draw(rng, scen.duration_s, timeline)
        runs.append(eng.run(arrays, rng, scen.duration_s, timeline))
        engines.append(eng)
    assert engines[0].nearest is None and engines[1].nearest is not None
    return runs


def test_nearest_tables_dispatch_exactly_as_dense_tables(two_runs):
    """Same incidents, same units sent in the same order, same times (to the millisecond:
    dense tables store float32, searches float64)."""
    dense, near = two_runs
    assert len(dense.closures) > 0  # closures were part of the day
    a, b = np.array(dense.events, float), np.array(near.events, float)
    assert a.shape == b.shape and len(a) > 1000
    assert np.array_equal(a[:, 1:], b[:, 1:])  # kind, incident, unit, node, from, to
    assert np.allclose(a[:, 0], b[:, 0], atol=1e-3, rtol=0)
