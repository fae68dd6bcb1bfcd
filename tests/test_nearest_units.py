"""K-nearest tables piece by piece (twin.sim.nearest): the table's disk cache, the choice of
tables, the nodes sources reach, and what a K-nearest run refuses.

A 4 × 4 grid of two-way streets (tests/test_speed.py's ``grid``, 100 m apart); the bases'
lists are checked against a plain Dijkstra from every base.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra

from tests.test_speed import grid
from twin.model import cache
from twin.model.roads import PERIODS, RoadNetwork, TravelTimes
from twin.sim.nearest import NearestTable, choose_mode, reachable_nodes, road_times

NET = grid(4, seed=5)
SOURCES = np.array([0, 5, 15, 10])  # engine source rows 0–3 at these nodes


def test_a_table_lists_the_nearest_bases_and_is_kept_in_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWIN_CACHE_DIR", str(tmp_path))
    rows = np.array([3, 0, 2])  # the force's bases: rows 0, 2, 3 (nodes 0, 15, 10)
    table = NearestTable.build(NET, SOURCES, rows, k=2, limit_s=1e9, workers=1)
    assert table.sources.tolist() == [0, 2, 3] and table.k == 2
    for p, period in enumerate(PERIODS):
        m = NET.matrix(NET.edge_times(period))
        dense = dijkstra(m, indices=SOURCES[[0, 2, 3]])  # base → node, s
        for j in range(NET.n_nodes):
            want = np.sort(dense[:, j])[:2]
            assert table.time[p][j] == pytest.approx(want, abs=1e-3)
            listed = [[0, 2, 3].index(int(r)) for r in table.row[p][j]]
            assert dense[listed, j] == pytest.approx(want, abs=1e-3)
    # one file per period holding the rows and times as built
    files = sorted(tmp_path.glob("tt-*.npz"))
    assert len(files) == len(PERIODS)
    for p, period in enumerate(PERIODS):
        (name,) = [f.name for f in files if f.name.endswith(f"-{period}.npz")]
        z = cache.load(name)
        assert z is not None
        assert np.array_equal(z["row"], table.row[p]) and np.array_equal(z["time"], table.time[p])
    # a table found in the cache is used as it is (here: one period's rows made −1)
    name = [f.name for f in files if f.name.endswith(f"-{PERIODS[0]}.npz")][0]
    cache.save(name, {"row": np.full_like(table.row[0], -1), "time": table.time[0]})
    again = NearestTable.build(NET, SOURCES, rows, k=2, limit_s=1e9, workers=1)
    assert (again.row[0] == -1).all()
    assert all(np.array_equal(again.row[p], table.row[p]) for p in range(1, len(PERIODS)))


def test_the_table_choice_by_mode_and_size() -> None:
    assert choose_mode("dense", 4, NET) == "dense"
    assert choose_mode("nearest", 4, NET) == "nearest"
    assert choose_mode("auto", 4, NET) == "dense"  # 4 × 16 × periods × 4 bytes: tiny
    with pytest.raises(ValueError, match=r"unknown travel-time tables 'knn'; use one of \("):
        choose_mode("knn", 4, NET)


def test_nodes_some_source_reaches() -> None:
    # two islands: 0–1 and 2–3 (one street each)
    net = RoadNetwork(
        node_ids=np.array(["a", "b", "c", "d"], dtype=object),
        xy=np.array([[0.0, 0.0], [100.0, 0.0], [1000.0, 0.0], [1100.0, 0.0]]),
        edge_ids=np.array(["ab", "cd"], dtype=object),
        edge_u=np.array([0, 2]),
        edge_v=np.array([1, 3]),
        edge_time_s=np.array([10.0, 10.0]),
        edge_oneway=np.zeros(2, bool),
        edge_class=np.array(["local", "local"], dtype=object),
        edge_bridge=np.zeros(2, bool),
    )
    got = reachable_nodes(net, np.array([1]))
    assert got.dtype == bool and got.tolist() == [True, True, False, False]
    none = reachable_nodes(net, np.array([], np.int64))
    assert none.dtype == bool and none.tolist() == [False] * 4


def test_k_nearest_runs_refuse_traffic_regimes() -> None:
    tt = TravelTimes(NET, SOURCES, use_cache=False)
    table = NearestTable.build(NET, SOURCES, np.arange(4), k=2, use_cache=False, workers=1)
    with pytest.raises(
        ValueError, match="^K-nearest tables are built only for runs without traffic regimes$"
    ):
        road_times(tt, SOURCES, {1: table}, regimes=((0.0, 3600.0, tt),))
