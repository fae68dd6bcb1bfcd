"""Travel times on tiny hand-made road networks with answers computed by hand."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.model.roads import (
    PERIODS,
    RoadNetwork,
    TravelTimes,
    free_flow_time_s,
    grade_factor,
    period_of,
)


def net(edges, n_nodes, classes=None, oneway=None, bridge=None) -> RoadNetwork:
    """A RoadNetwork from (u, v, seconds) triples on nodes 0..n-1 laid on a line 100 m apart."""
    u = np.array([e[0] for e in edges])
    v = np.array([e[1] for e in edges])
    t = np.array([float(e[2]) for e in edges])
    k = len(edges)
    return RoadNetwork(
        node_ids=np.array([f"n{i}" for i in range(n_nodes)], dtype=object),
        xy=np.column_stack([np.arange(n_nodes) * 100.0, np.zeros(n_nodes)]),
        edge_ids=np.array([f"e{i}" for i in range(k)], dtype=object),
        edge_u=u,
        edge_v=v,
        edge_time_s=t,
        edge_oneway=np.zeros(k, bool) if oneway is None else np.array(oneway),
        edge_class=np.array(classes or ["local"] * k, dtype=object),
        edge_bridge=np.zeros(k, bool) if bridge is None else np.array(bridge),
    )


# A river between west bank {0, 1} and east bank {2, 3}: a short bridge 1–2 (60 s) and a
# long detour 0 → 4 → 3 (300 s + 300 s). Banks: 0–1 = 120 s, 2–3 = 90 s.
RIVER = [(0, 1, 120), (1, 2, 60), (2, 3, 90), (0, 4, 300), (4, 3, 300)]


def test_grade_factor_known_values():
    assert grade_factor(np.array([100.0]), np.array([1.0]))[0] == pytest.approx(1.0)
    assert grade_factor(np.array([100.0]), np.array([10.0]))[0] == pytest.approx(1.4)
    assert grade_factor(np.array([100.0]), np.array([-10.0]))[0] == pytest.approx(1.4)
    # capped at 30 %: 1 + 5 * 0.28
    assert grade_factor(np.array([100.0]), np.array([90.0]))[0] == pytest.approx(2.4)


def test_free_flow_time_flat_and_steep():
    t = free_flow_time_s(
        np.array([1000.0, 1000.0, 1000.0]),
        np.array([36.0, 36.0, 36.0]),
        np.array([0.0, 100.0, 100.0]),
        np.array([False, False, True]),
    )
    assert t.tolist() == pytest.approx([100.0, 140.0, 100.0])  # 10 m/s; 10 % grade; bridge flat


def test_times_from_sources_match_hand_computation(tmp_path, monkeypatch):
    monkeypatch.setenv("TWIN_CACHE_DIR", str(tmp_path))
    tt = TravelTimes(net(RIVER, 5), np.array([0]))
    night = tt.out[PERIODS.index("night")][0]
    assert night.tolist() == pytest.approx([0, 120, 180, 270, 300])


def test_closing_the_short_bridge_adds_exactly_the_detour(tmp_path, monkeypatch):
    monkeypatch.setenv("TWIN_CACHE_DIR", str(tmp_path))
    rn = net(RIVER, 5)
    night = PERIODS.index("night")
    open_ = TravelTimes(rn, np.array([0, 3]))
    closed = np.zeros(5, bool)
    closed[1] = True  # the bridge 1–2
    shut = TravelTimes(rn, np.array([0, 3]), closed=closed)
    assert open_.out[night][0, 3] == 270 and shut.out[night][0, 3] == 600
    assert shut.out[night][0, 3] - open_.out[night][0, 3] == 330  # the detour: exactly 330 s
    assert shut.out[night][1, 1] == 720  # from 3 back over the detour: 300 + 300 + 120


def test_peak_congestion_multiplies_by_class(tmp_path, monkeypatch):
    monkeypatch.setenv("TWIN_CACHE_DIR", str(tmp_path))
    rn = net([(0, 1, 100), (1, 2, 100)], 3, classes=["arterial", "local"], bridge=[True, False])
    tt = TravelTimes(rn, np.array([0]))
    peak = tt.out[PERIODS.index("peak")][0]
    assert peak[2] == pytest.approx(100 * 2.2 + 100 * 1.3)  # bridge factor beats class


def test_oneway_edges_give_different_back_times(tmp_path, monkeypatch):
    monkeypatch.setenv("TWIN_CACHE_DIR", str(tmp_path))
    # 0 → 1 one-way (10 s); back from 1 to 0 only via 1 → 2 → 0 (50 + 50)
    rn = net([(0, 1, 10), (1, 2, 50), (2, 0, 50)], 3, oneway=[True, False, False])
    tt = TravelTimes(rn, np.array([0]))
    assert tt.out[0][0, 1] == 10
    assert tt.back[0][0, 1] == 100


def test_parallel_edges_keep_the_fastest():
    rn = net([(0, 1, 50), (0, 1, 20), (1, 0, 30)], 2)
    m = rn.matrix(rn.edge_time_s)
    assert m[0, 1] == 20 and m[1, 0] == 20


def test_cache_is_reused_and_damaged_cache_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("TWIN_CACHE_DIR", str(tmp_path))
    rn = net(RIVER, 5)
    TravelTimes(rn, np.array([0]))
    files = sorted(tmp_path.glob("tt-*.npz"))
    assert len(files) == len(PERIODS)
    files[0].write_bytes(b"not a numpy file")
    tt = TravelTimes(rn, np.array([0]))
    assert tt.out[0][0].tolist() == pytest.approx([0, 120, 180, 270, 300])


def test_period_of_hours():
    assert PERIODS[period_of(3 * 3600)] == "night"
    assert PERIODS[period_of(8 * 3600)] == "peak"
    assert PERIODS[period_of(86400 + 12 * 3600)] == "offpeak"
    assert PERIODS[period_of(17.5 * 3600)] == "peak"


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 7), st.integers(0, 7), st.integers(1, 500)),
        min_size=1,
        max_size=25,
    ),
    st.lists(st.booleans(), min_size=25, max_size=25),
)
def test_times_under_closures_equal_networkx(edges, closed_flags):
    """Property: csgraph travel times with any set of closed edges equal NetworkX's."""
    edges = [(u, v, w) for u, v, w in edges if u != v] or [(0, 1, 5)]
    rn = net(edges, 8)
    closed = np.array(closed_flags[: len(edges)], bool)
    tt = TravelTimes(rn, np.arange(8), use_cache=False, closed=closed)
    g = nx.Graph()
    g.add_nodes_from(range(8))
    for k, (u, v, w) in enumerate(edges):
        if not closed[k] and (not g.has_edge(u, v) or g[u][v]["w"] > w):
            g.add_edge(u, v, w=w)
    for s in range(8):
        lengths = nx.single_source_dijkstra_path_length(g, s, weight="w")
        for t in range(8):
            assert tt.out[0][s, t] == pytest.approx(lengths.get(t, np.inf))


def test_fingerprint_depends_on_the_number_of_nodes():
    # travel-time arrays are n_sources × n_nodes: a cache hit for a graph with another node
    # count would hand back arrays of the wrong width
    assert net(RIVER, 5).fingerprint() != net(RIVER, 6).fingerprint()
    assert net(RIVER, 5).fingerprint() == net(RIVER, 5).fingerprint()


def test_cache_files_are_read_back_not_recomputed(tmp_path, monkeypatch):
    """The second TravelTimes of the same graph reads the arrays the first one saved: a
    marker written into the files comes back (undirected: one array per period, ``back``
    is ``out``; with a one-way edge ``back`` is stored and read too)."""
    cache = tmp_path / "a" / "b"  # created on first save, parents included
    monkeypatch.setenv("TWIN_CACHE_DIR", str(cache))
    for oneway in (False, True):
        rn = net(RIVER, 5, oneway=[oneway] + [False] * 4)
        first = TravelTimes(rn, np.array([0]))
        key = first._cache_key()
        for k, p in enumerate(PERIODS):
            with np.load(cache / f"tt-{key}-{p}.npz") as z:
                assert sorted(z.files) == (["back", "out"] if oneway else ["out"])
                np.testing.assert_array_equal(z["out"], first.out[k])
            marker = {"out": np.full((1, 5), 7.0 + k, np.float32)}
            if oneway:
                marker["back"] = np.full((1, 5), 70.0 + k, np.float32)
            np.savez(cache / f"tt-{key}-{p}.npz", **marker)
        again = TravelTimes(rn, np.array([0]))
        for k in range(len(PERIODS)):
            assert again.out[k].tolist() == [[7.0 + k] * 5]
            if oneway:
                assert again.back[k].tolist() == [[70.0 + k] * 5]
            else:
                assert again.back[k] is again.out[k]
    assert not list(cache.glob(".tt-*"))  # no temporary file left behind
    assert TravelTimes(rn, np.array([0]), use_cache=False).out[0][0].tolist() == pytest.approx(
        [0, 120, 180, 270, 300]
    )  # use_cache=False ignores the files


def test_cache_dir_defaults_to_the_users_cache(monkeypatch, tmp_path):
    from twin.model.cache import cache_dir  # platformdirs: $XDG_CACHE_HOME, else ~/.cache

    monkeypatch.delenv("TWIN_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache_dir() == tmp_path / ".cache" / "shancheng-twin"
    monkeypatch.setenv("TWIN_CACHE_DIR", str(tmp_path / "elsewhere"))
    assert cache_dir() == tmp_path / "elsewhere"


def test_road_classes_the_table_does_not_name_take_the_default_factor():
    from twin.model.roads import DEFAULT_CONGESTION

    rn = net([(0, 1, 100), (1, 2, 100)], 3, classes=["service", "local"])
    for p in PERIODS:
        assert rn.period_factors(p).tolist() == pytest.approx(
            [DEFAULT_CONGESTION[p], {"night": 1.0, "offpeak": 1.10, "peak": 1.30}[p]]
        )
    assert rn.edge_times("peak").tolist() == pytest.approx([150.0, 130.0])


def test_no_sources_give_an_empty_table_of_the_graph_width():
    from twin.model.roads import shortest_times

    rn = net(RIVER, 5)
    m = rn.matrix(rn.edge_times())
    assert shortest_times(m, np.array([], np.int64)).shape == (0, 5)
    assert shortest_times(m, np.array([], np.int64), reverse=True).shape == (0, 5)


def test_shortest_times_stop_at_the_limit():
    """Dijkstra with a limit (what the engine's closure re-routing uses): nodes farther than
    the limit are inf. On RIVER from node 0: 1 at 120 s, 2 at 180 s, 3 at 270 s, 4 at 300 s."""
    from twin.model.roads import shortest_times

    m = net(RIVER, 5).matrix(net(RIVER, 5).edge_time_s)
    assert shortest_times(m, np.array([0])).tolist() == [[0.0, 120.0, 180.0, 270.0, 300.0]]
    assert shortest_times(m, np.array([0]), limit=180.0).tolist() == [
        [0.0, 120.0, 180.0, np.inf, np.inf]
    ]
