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
from scipy.sparse.csgraph import dijkstra

from twin.model.roads import PERIODS, TravelTimes, period_of


class RoadTimes:
    """Road travel times as the engine sees them during a run: the precomputed
    :class:`TravelTimes` arrays, made exact under the run's current closures.

    The base arrays are never changed. Closures only lengthen paths, so a base time is still
    exact unless the base shortest path may cross a closed edge (a → b, time w). That is
    tested with landmark lower bounds (the "ALT" bound, Goldberg & Harrelson 2005, with
    every road station as a landmark L): d(x, y) ≥ max_L(d(L, y) − d(L, x), d(x, L) − d(y, L)).
    A station s can only be affected for node j when d(s, a) + w + LB(b, j) ≤ d(s, j); only
    then is one Dijkstra from j run on the closed network (cached per node, period and
    closure state). Closing a street across town costs a dispatch nothing.
    """

    TOL_S = 0.5
    """Slack (s) for float32 arrays: err towards checking exactly."""

    def __init__(
        self, tt: TravelTimes, regimes: Sequence[tuple[float, float, TravelTimes]] = ()
    ) -> None:
        self.tt, self.net = tt, tt.net
        self.out, self.back = list(tt.out), list(tt.back)
        self.directed = tt.directed
        self.source_nodes = tt.sources
        self.factors = [self.net.period_factors(p) for p in PERIODS]
        self.windows: list[tuple[float, float]] = []
        for start, end, rtt in regimes:  # traffic regimes: periods 3r+3 … 3r+5
            self.out += rtt.out
            self.back += rtt.back
            self.factors += [rtt.net.period_factors(p) for p in PERIODS]
            self.windows.append((start, end))
        self.closed = np.zeros(len(self.net.edge_ids), bool)
        self.n_closed = 0
        self._cache: dict = {}
        self._bases: dict = {}

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
        """A new closure mask (True = closed); drops everything derived from the old one."""
        self.closed = np.asarray(closed, bool).copy()
        self.n_closed = int(self.closed.sum())
        self._cache.clear()

    def _cached(self, key: tuple, make: Callable[[], Any]) -> Any:
        v = self._cache.get(key)
        if v is None:
            if len(self._cache) > 8192:
                self._cache.clear()
            v = self._cache[key] = make()
        return v

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

    def tree(self, root: int, p: int, reverse: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Times (s) and predecessors of a Dijkstra from ``root`` (to it if ``reverse``)."""
        rev = reverse and self.directed
        return self._cached(
            ("t", root, p, rev),
            lambda: dijkstra(
                self.matrix(p, rev), directed=True, indices=root, return_predecessors=True
            ),
        )

    def closed_pairs(self, edges: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
        """Directed (a, b) node pairs of closed edges (or of ``edges``): both ways unless
        one-way; with the edge indices."""
        k = np.flatnonzero(self.closed) if edges is None else np.asarray(edges, np.int64)
        two = ~self.net.edge_oneway[k]
        a = np.concatenate([self.net.edge_u[k], self.net.edge_v[k][two]])
        b = np.concatenate([self.net.edge_v[k], self.net.edge_u[k][two]])
        return a, b, np.concatenate([k, k[two]])

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

    def to_node(self, rows: np.ndarray, node: int, p: int) -> np.ndarray:
        """Times (s) from the stations at travel-time ``rows`` to ``node``, exact under the
        current closures."""
        eta = self.out[p][rows, node]
        if self.n_closed == 0:
            return eta
        a, b, w, oa, ob, ba, bb = self._closed(p)
        o, bk = self.out[p], self.back[p]
        with np.errstate(invalid="ignore"):
            lb = np.fmax(
                np.fmax.reduce(o[:, node][:, None] - ob, axis=0),
                np.fmax.reduce(bb - bk[:, node][:, None], axis=0),
            )
        lb = np.maximum(np.nan_to_num(lb, nan=0.0), 0.0)
        maybe = (oa[rows] + (w + lb) <= eta[:, None] + self.TOL_S).any(axis=1)
        if not maybe.any():
            return eta
        exact = self.tree(node, p, reverse=True)[0][self.source_nodes[rows]]
        return np.where(maybe, exact, eta)

    def from_node(self, row: int, node: int, p: int) -> float:
        """Time (s) from ``node`` back to the station at travel-time ``row``, exact under the
        current closures."""
        base = float(self.back[p][row, node])
        if self.n_closed == 0:
            return base
        a, b, w, oa, ob, ba, bb = self._closed(p)
        lb = self.lower_bound(node, a, p)
        if not (lb + w + bb[row] <= base + self.TOL_S).any():
            return base
        return float(self.tree(node, p)[0][self.source_nodes[row]])

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
