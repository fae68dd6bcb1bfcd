"""The road network under a run's closures: CSR matrices per period, bounded and cached
Dijkstra searches, and reachability by strong components — everything of
:class:`twin.sim.road_times.RoadTimes` that needs no travel tables. Every cached result is
keyed by the closure state, so results survive closure changes (LRU, :data:`CACHE_BYTES`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order, connected_components, dijkstra

from twin.model.roads import PERIODS, RoadNetwork, period_of

CACHE_BYTES = 256e6
"""Memory for cached results (matrices, searches) per run; the oldest go first when full."""
SLACK_S = 600.0
"""A bounded search reaches at least this far (s) beyond the lower bound of its target."""


class ClosedNetwork:
    """The road network under a run's closures: CSR matrices per period and bounded,
    cached Dijkstra searches keyed by the closure state (the part of :class:`RoadTimes`
    that needs no travel tables)."""

    def __init__(self, net: RoadNetwork, directed: bool) -> None:
        self.net, self.directed = net, directed
        self.factors = [self.net.period_factors(p) for p in PERIODS]
        self.windows: list[tuple[float, float]] = []
        """Traffic regimes' (start, end) times (s); regime r's arrays are periods 3r+3 … 3r+5."""
        self.closed = np.zeros(len(self.net.edge_ids), bool)
        self.n_closed = 0
        self.state = b""
        """The closure state: the closed edges' indices as bytes (b"": none closed). Every
        cached result derived from the closures is keyed by it, so a result survives closure
        changes and is found again when the same roads are closed again (a closure's end
        restores the state before its start)."""
        self._cache: dict = {}
        self._bytes = 0
        self._bases: dict = {}
        self.searches = 0
        """Path searches run (bounded or not), for benchmarks."""

    def period(self, t_s: float) -> int:
        """Index of the travel-time arrays in force at time ``t_s``: the period of the day
        (:func:`twin.model.roads.period_of`), shifted to the first traffic regime that holds
        then (a closure or weather re-assigned by :mod:`twin.model.traffic`)."""
        p = period_of(t_s)
        for r, (start, end) in enumerate(self.windows):
            if start <= t_s < end:
                return p + len(PERIODS) * (r + 1)
        return p

    def set_closed(self, closed: np.ndarray) -> None:
        """A new closure mask (True = closed). Cached results of other states are kept."""
        self.closed = np.asarray(closed, bool).copy()
        self.n_closed = int(self.closed.sum())
        self.state = np.flatnonzero(self.closed).astype(np.int64).tobytes()

    def _cached(self, key: tuple, make: Callable[[], Any]) -> Any:
        key = (*key, self.state)
        v = self._cache.get(key)
        if v is None:
            v = make()
            self._store(key, v)
        return v

    def _store(self, key: tuple, value: Any) -> None:
        """Cache ``value``; the oldest entries go while the cache holds over
        :data:`CACHE_BYTES`."""
        old = self._cache.pop(key, None)
        if old is not None:
            self._bytes -= _nbytes(old)
        self._cache[key] = value
        self._bytes += _nbytes(value)
        while self._bytes > CACHE_BYTES and len(self._cache) > 1:
            first = next(iter(self._cache))
            self._bytes -= _nbytes(self._cache.pop(first))

    def _base(self, p: int) -> tuple[np.ndarray, ...]:
        """The open network's CSR arrays for period ``p`` (indptr, indices, data: fastest of
        parallel edges) and, per directed entry, its CSR position, edge and time."""
        base = self._bases.get(p)
        if base is None:
            net = self.net
            two = np.flatnonzero(~net.edge_oneway)
            k = np.concatenate([np.arange(len(net.edge_ids)), two])
            rows = np.concatenate([net.edge_u, net.edge_v[two]])
            cols = np.concatenate([net.edge_v, net.edge_u[two]])
            order = np.lexsort((cols, rows))
            k, rows, cols = k[order], rows[order], cols[order]
            w = (net.edge_time_s * self.factors[p])[k]
            first = np.ones(len(k), bool)
            first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
            pos = np.cumsum(first) - 1
            data = np.full(int(first.sum()), np.inf)
            np.minimum.at(data, pos, w)
            indptr = np.concatenate(
                [[0], np.cumsum(np.bincount(rows[first], minlength=net.n_nodes))]
            )
            base = self._bases[p] = (indptr, cols[first], data, pos, k, w)
        return base

    def matrix(self, p: int, reverse: bool = False) -> sp.csr_matrix:
        """CSR road matrix for period ``p`` under the closures (transposed if ``reverse``);
        a closed edge is an ``inf`` entry (csgraph never routes through it)."""
        rev = reverse and self.directed

        def make() -> sp.csr_matrix:
            indptr, indices, data, pos, k, w = self._base(p)
            if self.n_closed:
                shut = self.closed[k]
                hit = np.zeros(len(data), bool)
                hit[pos[shut]] = True
                data = np.where(hit, np.inf, data)
                still = ~shut & hit[pos]  # open parallel edges of a closed pair
                np.minimum.at(data, pos[still], w[still])
            n = self.net.n_nodes
            m = sp.csr_matrix((data, indices, indptr), shape=(n, n))
            return m.T.tocsr() if rev else m

        return self._cached(("m", p, rev), make)

    def tree(
        self, root: int, p: int, reverse: bool = False, limit: float = np.inf
    ) -> tuple[np.ndarray, np.ndarray]:
        """Times (s) and predecessors of a Dijkstra from ``root`` (to it if ``reverse``),
        under the current closures, bounded by ``limit`` (s): nodes farther are ``inf``
        (csgraph's ``limit=``; times and predecessors within it are exact). A cached search
        with at least this bound is reused."""
        rev = reverse and self.directed
        key = ("t", root, p, rev, self.state)  # the key _cached would make
        hit = self._cache.get(key)
        if hit is not None and hit[2] >= limit:
            return hit[0], hit[1]
        self.searches += 1
        dist, pred = dijkstra(
            self.matrix(p, rev), directed=True, indices=root, return_predecessors=True, limit=limit
        )
        self._store(key, (dist, pred, limit))
        return dist, pred

    def strong(self, p: int) -> tuple[np.ndarray, sp.csr_matrix]:
        """Per node, its strongly connected component under the current closures in period
        ``p``, and the condensation (component → component links); cached by closure state."""

        def make() -> tuple[np.ndarray, sp.csr_matrix]:
            m = self.matrix(p)
            keep = np.isfinite(m.data)
            # copies: eliminate_zeros prunes indices in place, and these are the cached matrix's
            open_ = sp.csr_matrix(
                (keep.astype(np.int8), m.indices.copy(), m.indptr.copy()), shape=m.shape
            )
            open_.eliminate_zeros()
            n, labels = connected_components(open_, directed=True, connection="strong")
            coo = open_.tocoo()
            a, b = labels[coo.row], labels[coo.col]
            cross = a != b
            ones = np.ones(int(cross.sum()), np.int8)
            dag = sp.csr_matrix((ones, (a[cross], b[cross])), shape=(n, n))
            return labels, dag

        return self._cached(("scc", p), make)

    def reaches(self, root: int, p: int) -> Callable[[int], bool]:
        """A test ``node → bool``: can a unit at ``root`` drive to ``node`` under the
        current closures in period ``p``? Exact: ``node``'s strong component is reachable
        from ``root``'s in the condensation (a search over components, cached per root's
        component and closure state)."""
        labels, dag = self.strong(p)
        own = int(labels[root])

        def make() -> np.ndarray:
            mask = np.zeros(dag.shape[0], bool)
            mask[breadth_first_order(dag, own, directed=True, return_predecessors=False)] = True
            return mask

        ok = self._cached(("sccr", p, own), make)
        return lambda node: bool(ok[labels[node]])

    def reached_from(self, roots: np.ndarray, p: int) -> Callable[[int], bool]:
        """A test ``node → bool``: can a unit at any of the nodes ``roots`` drive to ``node``
        under the current closures in period ``p``? Exact, as :meth:`reaches` for one root:
        the components reachable in the condensation from the roots' components (a root
        whose component is already reached adds nothing: reachability is transitive)."""
        labels, dag = self.strong(p)
        own = np.unique(labels[np.asarray(roots, np.int64)])
        ok = self._cached(("sccm", p, own.tobytes()), lambda: _reached_mask(dag, own))
        return lambda node: bool(ok[labels[node]])

    def tree_to(
        self, root: int, targets: np.ndarray | int, lower_s: float, p: int, reverse: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`tree` from ``root`` good for ``targets``: first bounded by
        max(2 × ``lower_s``, ``lower_s`` + :data:`SLACK_S`) (``lower_s``: a lower bound of
        the farthest target's time, e.g. its time on the open network), unbounded only when a
        target lies beyond that — the times of the targets are the exact ones either way."""
        bound = max(2.0 * lower_s, lower_s + SLACK_S) if np.isfinite(lower_s) else np.inf
        hit = self._cache.get(("t", root, p, reverse and self.directed, self.state))
        if hit is not None and np.isfinite(hit[0][targets]).all():
            return hit[0], hit[1]  # an earlier search already reached every target
        dist, pred = self.tree(root, p, reverse, bound)
        if np.isfinite(bound) and not np.isfinite(dist[targets]).all():
            dist, pred = self.tree(root, p, reverse)
        return dist, pred

    def closed_pairs(self, edges: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
        """Directed (a, b) node pairs of closed edges (or of ``edges``): both ways unless
        one-way; with the edge indices."""
        k = np.flatnonzero(self.closed) if edges is None else np.asarray(edges, np.int64)
        two = ~self.net.edge_oneway[k]
        a = np.concatenate([self.net.edge_u[k], self.net.edge_v[k][two]])
        b = np.concatenate([self.net.edge_v[k], self.net.edge_u[k][two]])
        return a, b, np.concatenate([k, k[two]])


def _reached_mask(dag: sp.csr_matrix, own: np.ndarray) -> np.ndarray:
    """Components of the condensation ``dag`` reachable from any of the components ``own``."""
    mask = np.zeros(dag.shape[0], bool)
    for c in own.tolist():
        if not mask[c]:
            mask[breadth_first_order(dag, c, directed=True, return_predecessors=False)] = True
    return mask


def _nbytes(value: Any) -> int:
    """Bytes held by a cached value (arrays, sparse matrices, tuples of them)."""
    if isinstance(value, tuple):
        return sum(_nbytes(v) for v in value)
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if sp.issparse(value):
        return int(value.data.nbytes + value.indices.nbytes + value.indptr.nbytes)
    return 64
