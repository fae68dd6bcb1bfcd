"""Road travel times during a run: the precomputed arrays, kept exact under closures.

:class:`RoadTimes` wraps :class:`twin.model.roads.TravelTimes` (``out[period][station_row,
node]``); while roads are closed it runs a path search only when a closure may lie on a
candidate's way (landmark lower bounds). The dispatcher (:mod:`twin.sim.dispatch`), the
movement of units and the re-routing of closures read road times through it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order, connected_components, dijkstra

from twin.model.roads import PERIODS, RoadNetwork, TravelTimes, period_of

CACHE_BYTES = 256e6
"""Memory for cached results (matrices, searches) per run; the oldest go first when full."""
OUTER_CELLS = 4e6
"""Landmarks × trips × pairs handled at once by :meth:`RoadTimes.may_use_many` (memory)."""
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


class RoadTimes(ClosedNetwork):
    """Road travel times as the engine sees them during a run: the precomputed
    :class:`TravelTimes` arrays, made exact under the run's current closures.

    The base arrays are never changed. Closures only lengthen paths, so a base time is still
    exact unless the base shortest path may cross a closed edge (a → b, time w). That is
    tested with landmark lower bounds (the "ALT" bound, Goldberg & Harrelson 2005, with
    every road station as a landmark L): d(x, y) ≥ max_L(d(L, y) − d(L, x), d(x, L) − d(y, L)).
    A station s can only be affected for node j when d(s, a) + w + LB(b, j) ≤ d(s, j); only
    then is one Dijkstra from j run on the closed network. Closing a street across town
    costs a dispatch nothing.

    Every search is bounded (csgraph's ``limit=``, :meth:`tree_to`: twice a lower bound of
    the target's time, unbounded only if the target lies beyond) and cached by what it
    depends on — root, period, direction and the closure state (:attr:`state`) — so results
    survive closure changes (LRU, :data:`CACHE_BYTES`).
    """

    TOL_S = 0.5
    """Slack (s) for float32 arrays: err towards checking exactly."""

    def __init__(
        self, tt: TravelTimes, regimes: Sequence[tuple[float, float, TravelTimes]] = ()
    ) -> None:
        super().__init__(tt.net, tt.directed)
        self.tt = tt
        self.out, self.back = list(tt.out), list(tt.back)
        self.source_nodes = tt.sources
        for start, end, rtt in regimes:  # traffic regimes: periods 3r+3 … 3r+5
            self.out += rtt.out
            self.back += rtt.back
            self.factors += [rtt.net.period_factors(p) for p in PERIODS]
            self.windows.append((start, end))

    def _closed(self, p: int) -> tuple[np.ndarray, ...]:
        """Per version and period: closed pairs a, b, base times w, and landmark columns."""

        def make() -> tuple[np.ndarray, ...]:
            a, b, k = self.closed_pairs()
            w = (self.net.edge_time_s * self.factors[p])[k]
            return (
                a,
                b,
                w,
                self.out[p][:, a],
                self.out[p][:, b],
                self.back[p][:, a],
                self.back[p][:, b],
            )

        return self._cached(("c", p), make)

    def lower_bound(self, x: np.ndarray | int, y: np.ndarray | int, p: int) -> np.ndarray:
        """Landmark lower bound of the road time x → y (s), elementwise over x and y."""
        o, bk = self.out[p], self.back[p]
        x, y = np.atleast_1d(x), np.atleast_1d(y)
        d1 = o[:, y] - o[:, x]
        d2 = bk[:, x] - bk[:, y]
        with np.errstate(invalid="ignore"):
            lb = np.fmax(np.fmax.reduce(d1, axis=0), np.fmax.reduce(d2, axis=0))
        return np.maximum(np.nan_to_num(lb, nan=0.0), 0.0)

    def _maybe(self, rows: np.ndarray, node: int, p: int, eta: np.ndarray) -> np.ndarray:
        """Which stations at ``rows`` may have a path to ``node`` through a closed edge
        (landmark test; False where ``node`` was unreachable anyway)."""
        first = self._cached(("mb", node, p), lambda: self._via_closed_to(node, p))
        return (first[rows] <= eta + self.TOL_S) & np.isfinite(eta)  # unreachable stays so

    def _via_closed_to(self, node: int, p: int) -> np.ndarray:
        """Per station: a lower bound of its shortest way to ``node`` through a closed pair,
        min over the pairs a → b of d(s, a) + w + LB(b, ``node``) (s) — for every station at
        once, cached per node, period and closure state (a queued request is tested again at
        every retry, and for one station after another)."""
        a, b, w, oa, ob, ba, bb = self._closed(p)
        o, bk = self.out[p], self.back[p]
        with np.errstate(invalid="ignore"):
            lb = np.fmax(
                np.fmax.reduce(o[:, node][:, None] - ob, axis=0),
                np.fmax.reduce(bb - bk[:, node][:, None], axis=0),
            )
        lb = np.maximum(np.nan_to_num(lb, nan=0.0), 0.0)
        return np.min(oa + (w + lb), axis=1)

    def to_node(self, rows: np.ndarray, node: int, p: int) -> np.ndarray:
        """Times (s) from the stations at travel-time ``rows`` to ``node``, exact under the
        current closures."""
        eta = self.out[p][rows, node]
        if self.n_closed == 0:
            return eta
        maybe = self._maybe(rows, node, p, eta)
        if not maybe.any():
            return eta
        targets = self.source_nodes[rows[maybe]]
        lower = float(eta[maybe].max())  # closures only lengthen: a lower bound
        exact = self.tree_to(node, targets, lower, p, reverse=True)[0][self.source_nodes[rows]]
        return np.where(maybe, exact, eta)

    def best(self, rows: np.ndarray, node: int, p: int, force: int = -1) -> tuple[int, float]:
        """The station (index into ``rows``) with the smallest exact time to ``node`` (the
        first of equals, as ``argmin`` of :meth:`to_node`) and that time (s; ``inf``: none
        reaches it). Under closures only the stations that could still win are searched
        for: one Dijkstra from ``node`` bounded by the best time no closure can touch.
        ``force`` is unused here (K-nearest tables are per force)."""
        eta = self.out[p][rows, node]
        if self.n_closed:
            maybe = self._maybe(rows, node, p, eta)
            if maybe.any():
                sure = np.where(maybe, np.inf, eta)
                u = float(sure.min())
                if not np.isfinite(u):
                    eta = self.to_node(rows, node, p)
                else:  # a station whose open time is above u cannot beat u once closed
                    cand = maybe & (eta <= u)
                    if cand.any():
                        dist = self.tree(node, p, reverse=True, limit=u)[0]
                        sure = np.where(cand, dist[self.source_nodes[rows]], sure)
                    eta = sure
        k = int(eta.argmin())
        return k, float(eta[k])

    def reachable(self, rows: np.ndarray, node: int, p: int, force: int = -1) -> bool:
        """Could any station at ``rows`` reach ``node`` on the open network?"""
        return bool(np.isfinite(self.out[p][rows, node]).any())

    def from_node(self, row: int, node: int, p: int) -> float:
        """Time (s) from ``node`` back to the station at travel-time ``row``, exact under the
        current closures."""
        base = float(self.back[p][row, node])
        if self.n_closed == 0:
            return base
        back = self._cached(("fb", node, p), lambda: self._via_closed_from(node, p))
        if not back[row] <= base + self.TOL_S:
            return base
        home = int(self.source_nodes[row])
        return float(self.tree_to(node, home, base, p)[0][home])

    def _via_closed_from(self, node: int, p: int) -> np.ndarray:
        """Per station: a lower bound of the way from ``node`` back to it through a closed
        pair, min over the pairs a → b of LB(``node``, a) + w + d(b, s) (s); cached per node,
        period and closure state."""
        a, b, w, oa, ob, ba, bb = self._closed(p)
        return np.min(self.lower_bound(node, a, p) + w + bb, axis=1)

    def may_use(
        self,
        origin: int,
        dest: int,
        budget_s: float,
        a: np.ndarray,
        b: np.ndarray,
        w: np.ndarray,
        p: int,
    ) -> bool:
        """Could a path origin → dest of at most ``budget_s`` use a pair (a → b, time w)?"""
        if len(a) == 0:
            return False
        lb = self.lower_bound(origin, a, p) + w + self.lower_bound(b, dest, p)
        return bool((lb <= budget_s + self.TOL_S).any())

    def may_use_many(
        self,
        origins: np.ndarray,
        dests: np.ndarray,
        budgets_s: np.ndarray,
        a: np.ndarray,
        b: np.ndarray,
        w: np.ndarray,
        p: int,
    ) -> np.ndarray:
        """:meth:`may_use` for many trips at once (the same figures, elementwise): per trip
        ``origins[i]`` → ``dests[i]`` with budget ``budgets_s[i]`` (s), could it use a pair?"""
        out = np.zeros(len(origins), bool)
        if len(a) == 0:
            return out
        step = max(1, int(OUTER_CELLS // (self.out[p].shape[0] * len(a))))
        for i in range(0, len(origins), step):
            j = slice(i, i + step)
            lb = self._lb_outer(origins[j], a, p) + w + self._lb_outer(dests[j], b, p, to=True)
            out[j] = (lb <= (budgets_s[j] + self.TOL_S)[:, None]).any(axis=1)
        return out

    def _lb_outer(self, x: np.ndarray, y: np.ndarray, p: int, to: bool = False) -> np.ndarray:
        """Landmark lower bounds x[i] → y[j] (``to``: y[j] → x[i]), shape (len x, len y)."""
        o, bk = self.out[p], self.back[p]
        ox, oy, bx, by = (
            o[:, x][:, :, None],
            o[:, y][:, None, :],
            bk[:, x][:, :, None],
            bk[:, y][:, None, :],
        )
        with np.errstate(invalid="ignore"):
            d1 = np.fmax.reduce(ox - oy if to else oy - ox, axis=0)
            d2 = np.fmax.reduce(by - bx if to else bx - by, axis=0)
        return np.maximum(np.nan_to_num(np.fmax(d1, d2), nan=0.0), 0.0)


def _nbytes(value: Any) -> int:
    """Bytes held by a cached value (arrays, sparse matrices, tuples of them)."""
    if isinstance(value, tuple):
        return sum(_nbytes(v) for v in value)
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if sp.issparse(value):
        return int(value.data.nbytes + value.indices.nbytes + value.indptr.nbytes)
    return 64
