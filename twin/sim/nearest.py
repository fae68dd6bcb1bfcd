"""K-nearest travel tables: for every road node, its K nearest bases by time, per period.

Dense tables (:class:`twin.model.roads.TravelTimes`) hold bases × nodes × periods floats:
at a million nodes and a few hundred bases that is gigabytes. A :class:`NearestTable`
holds, per period, for every node the K nearest bases *of one force* (``row``: the base's
row in the engine's source list, ``time``: the road time base → node, s, float32, nearest
first, ties by row), so its size grows with the nodes only (nodes × K × 8 bytes × periods).

Built with bounded searches: sources are taken in chunks, each a csgraph Dijkstra with
``limit=limit_s`` (a node farther than ``limit_s`` from every base has a short list), the
chunks' K best merged per node; chunks are mapped over worker processes
(:func:`k_nearest`, ``workers``), and tables are cached on disk by graph, layout (the
sources), K, limit and period (:mod:`twin.model.cache`).

**Dispatch with the table is exact** (:class:`NearestRoadTimes`): the nearest free unit of
a force for node j is among j's K listed bases whenever one of them is free and its time is
strictly below the K-th listed time (every unlisted base is at least that far) — or below
``limit_s`` when the list is short (every unlisted base is farther than the limit).
Closures only lengthen paths, so under closures one bounded Dijkstra from j (on the
reversed, closed network, ``limit`` = the K-th listed time) gives the exact closed times
of every base that could still win. **Fall-back when all K are busy** (or a tie at the
K-th time): one Dijkstra from j to every base (cached per node, period and closure state)
— the same answer the dense table gives, at the cost of one search.
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from twin.model import cache
from twin.model.roads import PERIODS, RoadNetwork, TravelTimes
from twin.sim.forces import FORCES, ForceSpec
from twin.sim.road_times import RoadTimes

DENSE_MAX_BYTES = 512e6
"""Above this size (bases × nodes × periods × 4 bytes, × 2 on one-way networks) the engine
uses K-nearest tables instead of dense ones (``EngineConfig.tables = "auto"``)."""
DEFAULT_K = 8
"""Bases listed per node and force (enough that all K being busy is rare)."""
DEFAULT_LIMIT_S = 7200.0
"""Bound of each search (s): bases farther than two hours by road are never listed."""
CHUNK = 8
"""Sources per bounded multi-source search (memory: CHUNK × nodes × 8 bytes)."""


def dense_bytes(n_sources: int, n_nodes: int, directed: bool) -> float:
    """Bytes of dense float32 tables for ``n_sources`` bases over all periods."""
    return float(n_sources) * n_nodes * len(PERIODS) * 4 * (2 if directed else 1)


def _merge(
    rows: np.ndarray, times: np.ndarray, new_rows: np.ndarray, new_times: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per node (axis 0), the ``k`` smallest times of both lists (stable: the earlier list,
    then lower column, wins ties; callers pass sources in ascending row order)."""
    t = np.concatenate([times, new_times], axis=1)
    r = np.concatenate([rows, new_rows], axis=1)
    order = np.argsort(t, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(r, order, 1), np.take_along_axis(t, order, 1)


_MATRIX: sp.csr_matrix | None = None


def _init(matrix: sp.csr_matrix) -> None:
    global _MATRIX
    _MATRIX = matrix


def _chunk_best(
    rows: np.ndarray, nodes: np.ndarray, k: int, limit: float, matrix: sp.csr_matrix | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``k`` best of one chunk of sources (bounded Dijkstras) at the nodes they reach:
    (reached node indices, their rows, their times)."""
    m = _MATRIX if matrix is None else matrix
    assert m is not None
    d = np.atleast_2d(dijkstra(m, directed=True, indices=nodes, limit=limit))
    hit = np.flatnonzero(np.isfinite(d).any(axis=0))  # a bounded search reaches few nodes
    d = d[:, hit].astype(np.float32).T
    r = np.broadcast_to(rows.astype(np.int32), d.shape)
    order = np.argsort(d, axis=1, kind="stable")[:, : min(k, d.shape[1])]
    return hit, np.take_along_axis(r, order, 1), np.take_along_axis(d, order, 1)


def k_nearest(
    matrix: sp.csr_matrix,
    sources: np.ndarray,
    k: int,
    limit_s: float = DEFAULT_LIMIT_S,
    workers: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """For every node, the ``k`` sources nearest by time along ``matrix`` (source → node):
    (``row`` int32 n × k: index into ``sources``, −1 where fewer than k are within
    ``limit_s``; ``time`` float32 n × k in s, ``inf`` there). ``workers`` > 1 maps the
    chunks of sources over that many processes."""
    n = matrix.shape[0]
    rows = np.full((n, k), -1, np.int32)
    times = np.full((n, k), np.inf, np.float32)
    src = np.asarray(sources, np.int64)
    chunks = [np.arange(i, min(i + CHUNK, len(src))) for i in range(0, len(src), CHUNK)]
    if workers > 1 and len(chunks) > 1:
        with ProcessPoolExecutor(workers, initializer=_init, initargs=(matrix,)) as pool:
            parts = pool.map(
                _chunk_best,
                chunks,
                [src[c] for c in chunks],
                [k] * len(chunks),
                [limit_s] * len(chunks),
            )
            for hit, r, t in parts:  # in chunk order: ties keep the lower row
                rows[hit], times[hit] = _merge(rows[hit], times[hit], r, t, k)
    else:
        for c in chunks:
            hit, r, t = _chunk_best(c, src[c], k, limit_s, matrix)
            rows[hit], times[hit] = _merge(rows[hit], times[hit], r, t, k)
    rows[~np.isfinite(times)] = -1
    return rows, times


@dataclass(frozen=True)
class NearestTable:
    """K nearest bases of one force per node and period (see the module docstring).

    ``row[p][j]``: engine source rows (ascending time, −1 = none), ``time[p][j]`` (s);
    ``limit_s``: the searches' bound."""

    sources: np.ndarray
    k: int
    limit_s: float
    row: list[np.ndarray]
    time: list[np.ndarray]

    @property
    def nbytes(self) -> int:
        """Memory held by the table (bytes)."""
        return sum(a.nbytes for a in self.row) + sum(a.nbytes for a in self.time)

    @classmethod
    def build(
        cls,
        net: RoadNetwork,
        source_nodes: np.ndarray,
        rows: np.ndarray,
        k: int = DEFAULT_K,
        limit_s: float = DEFAULT_LIMIT_S,
        *,
        workers: int | None = None,
        use_cache: bool = True,
    ) -> NearestTable:
        """The table of the bases at engine rows ``rows`` (``source_nodes[rows]``: their
        road nodes), from the disk cache when there (key: graph, layout, K, limit)."""
        rows = np.unique(np.asarray(rows, np.int64))
        nodes = np.asarray(source_nodes, np.int64)[rows]
        h = hashlib.sha256(f"knn:{net.fingerprint()}:{k}:{limit_s}".encode())
        h.update(nodes.tobytes())
        h.update(rows.tobytes())
        key = h.hexdigest()[:24]
        w = workers if workers is not None else min(os.cpu_count() or 1, 4)
        out_r, out_t = [], []
        for period in PERIODS:
            z = cache.load(f"tt-{key}-{period}.npz") if use_cache else None
            if z is not None and "row" in z and "time" in z:
                r, t = z["row"], z["time"]
            else:
                m = net.matrix(net.edge_times(period))
                local, t = k_nearest(m, nodes, k, limit_s, w)
                r = np.where(local >= 0, rows[np.maximum(local, 0)], -1).astype(np.int32)
                if use_cache:
                    cache.save(f"tt-{key}-{period}.npz", {"row": r, "time": t})
            out_r.append(r)
            out_t.append(t)
        return cls(rows, k, limit_s, out_r, out_t)


LANDMARKS = 16
"""Bases kept as dense landmarks in K-nearest mode (lower bounds for closures' tests)."""
MODES: tuple[str, ...] = ("auto", "dense", "nearest")
"""``EngineConfig.tables``: dense tables, K-nearest tables, or chosen by size."""


def choose_mode(mode: str, n_sources: int, net: RoadNetwork) -> str:
    """``dense`` or ``nearest`` for ``mode`` (``auto``: K-nearest above
    :data:`DENSE_MAX_BYTES` of dense tables)."""
    if mode not in MODES:
        raise ValueError(f"unknown travel-time tables {mode!r}; use one of {MODES}")
    if mode != "auto":
        return mode
    big = dense_bytes(n_sources, net.n_nodes, bool(net.edge_oneway.any())) > DENSE_MAX_BYTES
    return "nearest" if big else "dense"


def road_tables(
    net: RoadNetwork,
    sources: np.ndarray,
    force_rows: dict[int, np.ndarray],
    mode: str,
    k: int = DEFAULT_K,
    use_cache: bool = True,
) -> tuple[TravelTimes, dict[int, NearestTable] | None]:
    """The engine's travel tables: dense ``TravelTimes`` of every base (and None), or — in
    K-nearest mode — dense tables of :data:`LANDMARKS` bases only (lower bounds) and one
    :class:`NearestTable` per road force (``force_rows``: force → its bases' rows)."""
    if choose_mode(mode, len(sources), net) == "dense":
        return TravelTimes(net, sources, use_cache=use_cache), None
    pick = np.unique(np.linspace(0, len(sources) - 1, min(LANDMARKS, len(sources))).astype(int))
    marks = TravelTimes(net, np.asarray(sources)[pick], use_cache=use_cache)
    tables = {
        f: NearestTable.build(net, sources, rows, k, use_cache=use_cache)
        for f, rows in force_rows.items()
        if len(rows)
    }
    return marks, tables


def road_rows(
    station_force: np.ndarray, station_row: np.ndarray, forces: dict[str, ForceSpec]
) -> dict[int, np.ndarray]:
    """Per road force (its code), the engine source rows of its stations."""
    return {
        f: np.unique(station_row[station_force == f])
        for f, name in enumerate(FORCES)
        if forces[name].mode == "road"
    }


def road_times(
    tt: TravelTimes, sources: np.ndarray, tables: dict[int, NearestTable] | None
) -> RoadTimes:
    """A run's road times over the engine's tables: dense, or K-nearest (``tables``)."""
    return RoadTimes(tt) if tables is None else NearestRoadTimes(tt, sources, tables)


def reachable_nodes(net: RoadNetwork, sources: np.ndarray) -> np.ndarray:
    """Nodes some source reaches off-peak (one multi-source search)."""
    if len(sources) == 0:
        return np.zeros(net.n_nodes, bool)
    m = net.matrix(net.edge_times("offpeak"))
    return np.isfinite(dijkstra(m, directed=True, indices=sources, min_only=True))


class NearestRoadTimes(RoadTimes):
    """:class:`RoadTimes` over K-nearest tables: the same answers as dense tables (see the
    module docstring); ``fallbacks`` counts dispatches that needed a full search."""

    def __init__(
        self, landmarks: TravelTimes, sources: np.ndarray, tables: dict[int, NearestTable]
    ) -> None:
        super().__init__(landmarks)  # out/back: the landmarks' tables (lower bounds only)
        self.source_nodes = np.asarray(sources, np.int64)
        self.tables = tables
        self.fallbacks = 0
        self._memo: tuple = ()
        self._open: dict[int, sp.csr_matrix] = {}

    def _exact(self, rows: np.ndarray, node: int, p: int) -> np.ndarray:
        """Exact times from the bases at ``rows`` to ``node``: one search from ``node``."""
        d = self.tree(node, p, reverse=True)[0][self.source_nodes[rows]]
        return d.astype(np.float32) if self.n_closed == 0 else d

    def best(self, rows: np.ndarray, node: int, p: int, force: int = -1) -> tuple[int, float]:
        """As :meth:`RoadTimes.best`, from ``force``'s K nearest bases when that is exact,
        else from one search (the fall-back)."""
        table = self.tables.get(force)
        eta: np.ndarray | None = None
        if table is not None:
            r, t = table.row[p][node], table.time[p][node]
            full = bool(r[-1] >= 0)
            ok = r >= 0
            r, t = r[ok], t[ok]
            bound = float(t[-1]) if full else table.limit_s
            margin = self.TOL_S if self.n_closed else 1e-3
            if self.n_closed and len(r):
                t = self.tree(node, p, reverse=True, limit=bound + self.TOL_S)[0][
                    self.source_nodes[r]
                ]
            eq = rows[:, None] == r[None, :]
            cand = np.where(eq.any(axis=1), t[eq.argmax(axis=1)] if len(r) else np.inf, np.inf)
            k = int(cand.argmin()) if len(cand) else 0
            if len(cand) and cand[k] < bound - margin:
                eta = cand
        if eta is None:
            self.fallbacks += 1
            eta = self._exact(rows, node, p)
        k = int(eta.argmin())
        self._memo = (node, p, self.state, int(rows[k]), eta[k])
        return k, float(eta[k])

    def to_node(self, rows: np.ndarray, node: int, p: int) -> np.ndarray:
        """Exact times (s) from the bases at ``rows`` to ``node`` (the time :meth:`best`
        just found for its choice; else one search)."""
        m = self._memo
        if len(rows) == 1 and m and m[:3] == (node, p, self.state) and m[3] == rows[0]:
            return np.array([m[4]])
        return self._exact(rows, node, p)

    def from_node(self, row: int, node: int, p: int) -> float:
        """Exact time (s) from ``node`` back to the base at ``row``: the listed time on an
        open two-way network, else one bounded search from ``node``."""
        if self.n_closed == 0 and not self.directed:
            for table in self.tables.values():
                hit = np.flatnonzero(table.row[p][node] == row)
                if len(hit):
                    return float(table.time[p][node][hit[0]])
        home = int(self.source_nodes[row])
        lower = float(self.lower_bound(node, home, p)[0])
        d = float(self.tree_to(node, home, lower, p)[0][home])
        return float(np.float32(d)) if self.n_closed == 0 else d

    def reachable(self, rows: np.ndarray, node: int, p: int, force: int = -1) -> bool:
        """Could any base at ``rows`` reach ``node`` on the open network?"""
        table = self.tables.get(force)
        if table is not None and np.isin(table.row[p][node], rows).any():
            return True
        m = self._open.get(p)
        if m is None:
            net = self.net
            m = self._open[p] = net.matrix(net.edge_times(PERIODS[p])).T.tocsr()
        d = dijkstra(m, directed=True, indices=node)
        return bool(np.isfinite(d[self.source_nodes[rows]]).any())
