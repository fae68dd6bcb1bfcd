"""Road travel times during a run: the precomputed arrays, kept exact under closures.

:class:`RoadTimes` wraps :class:`twin.model.roads.TravelTimes` (``out[period][station_row,
node]``); while roads are closed it runs a path search only when a closure may lie on a
candidate's way (landmark lower bounds). The dispatcher (:mod:`twin.sim.dispatch`), the
movement of units and the re-routing of closures read road times through it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from twin.model.roads import PERIODS, TravelTimes
from twin.sim.closed_network import ClosedNetwork

OUTER_CELLS = 4e6
"""Landmarks × trips × pairs handled at once by :meth:`RoadTimes.may_use_many` (memory)."""


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
