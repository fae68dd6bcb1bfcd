"""Dispatch: which unit goes. Nearest = smallest estimated arrival, vectorised over stations.

Three levels (:attr:`twin.sim.forces.ForceSpec.level`):

- **street** (community responders): the nearest posts by straight line (a KD-tree over
  posts, queried for all pre-generated incidents at once), in order; a post with ``k``
  free responders answers with probability ``1 − (1 − a)^k`` (``a`` = the force's
  availability), else the next post is asked. Posts in any district may answer.
- **district** (fire brigades, social teams): under the ``nearest`` policy (default) the
  free unit with the smallest road time, any district; under ``district_first`` the
  incident district's own stations first — the one with the smallest road time among those
  with a free unit — and, when the district has no free unit or its best cannot arrive
  within the force's target (30 min), the nearest free unit of *any* district. Under both,
  a unit sent into another district than its station's is counted as **mutual aid**
  (from → to district). A request for ``n`` units is ``n`` picks in a row, so the nearest
  station sends what it has free and the rest comes from the next.
- **city** (professional teams, helicopters): the nearest free unit anywhere.

Road times come from :class:`twin.model.roads.TravelTimes` (``out[period][station_row, node]``)
for the period of the departure time (dispatch + turnout): one gather of a few hundred
floats per dispatch, no path search. :class:`RoadTimes` keeps them exact while roads are
closed (a path search only when a closure may lie on a candidate's way). When no suitable
unit is free anywhere, the request queues (FIFO per force) and is served by the next unit
of that force to free up (from the scene it clears), or by a free unit once a closure that
cut the place off ends.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from twin.model.roads import PERIODS, TravelTimes, period_of
from twin.sim.forces import FORCE_TARGET, FORCES, TARGETS_S, Fleet, ForceSpec
from twin.sim.roster import Roster

UNIFORM_BLOCK = 1 << 16
"""Uniform random numbers are drawn from the run's Generator in blocks this size."""
COMMUNITY_K = 8
"""Posts asked per incident before widening the search to every post (with the default
availability the 8 nearest posts all declining has probability ~1e-8)."""


class Uniforms:
    """Uniform [0, 1) numbers from the run's one Generator, drawn in blocks (fast scalars)."""

    def __init__(self, rng: np.random.Generator, block: int = UNIFORM_BLOCK) -> None:
        self.rng, self.block = rng, block
        self.buf: list[float] = []
        self.i = 0

    def next(self) -> float:
        if self.i >= len(self.buf):
            self.buf = self.rng.random(self.block).tolist()
            self.i = 0
        self.i += 1
        return self.buf[self.i - 1]


@dataclass(eq=False)
class Pool:
    """The stations of one force and their free units.

    ``stations`` are fleet station indices; per local station ``i``: ``rows[i]`` its row in
    the travel-time arrays (road forces), ``district[i]``, ``xy[i]``, ``free[i]`` (count of
    free units) and ``stack[i]`` (the free unit indices). ``queue`` holds incidents waiting
    for a unit of this force.
    """

    force: int
    spec: ForceSpec
    stations: np.ndarray
    rows: np.ndarray
    district: np.ndarray
    xy: np.ndarray
    free: np.ndarray
    stack: list[list[int]]
    total: int
    queue: deque = field(default_factory=deque)
    target_s: float = 0.0
    tree: cKDTree | None = None
    free_l: list[int] = field(default_factory=list)
    xy_l: list[tuple[float, float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.free_l = self.free.tolist()
        self.xy_l = [tuple(p) for p in self.xy.tolist()]

    def take(self, i: int) -> int:
        """Take a free unit from local station ``i``; returns the unit index."""
        self.free[i] -= 1
        self.free_l[i] -= 1
        return self.stack[i].pop()

    def give_back(self, i: int, unit: int) -> None:
        """Unit ``unit`` is free again at local station ``i``."""
        self.free[i] += 1
        self.free_l[i] += 1
        self.stack[i].append(unit)


def build_pools(fleet: Fleet, forces: dict[str, ForceSpec], station_row: np.ndarray) -> list[Pool]:
    """One :class:`Pool` per force in :data:`FORCES` order (empty pools for absent forces)."""
    pools = []
    for code, name in enumerate(FORCES):
        st = fleet.of_force(name)
        stack = [list(np.flatnonzero(fleet.unit_station == s)[::-1]) for s in st]
        pool = Pool(
            force=code,
            spec=forces[name],
            stations=st,
            rows=station_row[st],
            district=fleet.station_district[st],
            xy=fleet.station_xy[st],
            free=fleet.station_units[st].copy(),
            stack=[[int(u) for u in s] for s in stack],
            total=int(fleet.station_units[st].sum()),
            target_s=TARGETS_S[FORCE_TARGET[name]],
        )
        if forces[name].mode != "road" and len(st):
            pool.tree = cKDTree(pool.xy)
        pools.append(pool)
    return pools


POLICIES: tuple[str, ...] = ("nearest", "district_first")
"""Dispatch policies for district-level forces (fire, social). ``nearest`` (the default):
the unified 119 centre sends the free unit with the smallest road time, whatever its
district — the rule of a city-wide dispatch centre, and the one that does not make people
wait for a farther unit because of a boundary. ``district_first``: the incident district's
own units first, another district's only when none of its own can make the force's target
(the rule the twin used before; kept to measure what a boundary costs)."""


class Dispatcher:
    """Chooses units; holds nothing but the pools, the travel times, a uniform stream and
    the dispatch policy (:data:`POLICIES`)."""

    def __init__(
        self, pools: list[Pool], times: RoadTimes, uniforms: Uniforms, policy: str = "nearest"
    ) -> None:
        if policy not in POLICIES:
            raise ValueError(f"unknown dispatch policy {policy!r}; use one of {POLICIES}")
        self.pools = pools
        self.times = times
        self.u = uniforms
        self.district_first = policy == "district_first"
        self.roster: Roster | None = None
        """Community responders on and off duty (set by a run); None: a coin per request."""

    def pick_road(self, pool: Pool, node: int, district: int, t: float) -> tuple[int, bool]:
        """Local station index of the unit to send (−1: none free can reach ``node``) and
        whether any station of the force could reach it on the open network (else the
        place is cut off for good and the request is not queued)."""
        turnout = pool.spec.turnout_s
        p = period_of(t + turnout)
        free = np.flatnonzero(pool.free > 0)
        if len(free):
            eta = self.times.to_node(pool.rows[free], node, p)
            if self.district_first and pool.spec.level == "district":
                own = np.where(pool.district[free] == district, eta, np.inf)
                k = int(own.argmin())
                if turnout + own[k] <= pool.target_s:
                    return int(free[k]), True
            k = int(eta.argmin())
            if eta[k] < np.inf:
                return int(free[k]), True
        return -1, bool(np.isfinite(self.times.out[p][pool.rows, node]).any())

    def pick_foot(
        self, pool: Pool, xy: tuple[float, float], near: list[int] | None = None, t: float = 0.0
    ) -> int:
        """Local post index of the community responder that answers (−1: none); ``near``:
        the posts nearest to ``xy``, nearest first (queried here when not given). With a
        :attr:`roster` (a run's), the first free responder on duty at ``t`` answers (and is
        the one :meth:`Pool.take` hands out); without, a fresh coin per post."""
        if near is None:
            near = self.nearest_posts(pool, xy)[1].tolist()
        if self.roster is not None:
            return self._on_duty(pool, xy, near, t)
        a = pool.spec.availability
        free, draw = pool.free_l, self.u.next
        for i in near:
            k = free[i]
            if k > 0 and draw() < 1.0 - (1.0 - a) ** k:
                return i
        if len(near) < len(pool.stations):  # widen to every post
            for i in self.nearest_posts(pool, xy, len(pool.stations))[1][len(near) :].tolist():
                k = free[i]
                if k > 0 and draw() < 1.0 - (1.0 - a) ** k:
                    return i
        return -1

    def _on_duty(self, pool: Pool, xy: tuple[float, float], near: list[int], t: float) -> int:
        """The nearest post with a free responder on duty at ``t`` (−1: none); that
        responder is moved to the top of its post's stack."""
        on = self.roster.on if self.roster is not None else None
        assert on is not None
        for rank in range(2):
            posts = (
                near
                if rank == 0
                else self.nearest_posts(pool, xy, len(pool.stations))[1][len(near) :].tolist()
            )
            for i in posts:
                stack = pool.stack[i]
                for k in range(len(stack) - 1, -1, -1):
                    if on(stack[k], t):
                        stack.append(stack.pop(k))
                        return i
            if len(near) >= len(pool.stations):
                break
        return -1

    @staticmethod
    def nearest_posts(
        pool: Pool, xy: tuple[float, float] | np.ndarray, k: int = COMMUNITY_K
    ) -> tuple[np.ndarray, np.ndarray]:
        """Distances (m) and local indices of the ``k`` posts nearest to ``xy``."""
        k = min(k, len(pool.stations))
        if pool.tree is None:
            raise ValueError(f"force {pool.spec.name} has no posts to search")
        d, i = pool.tree.query(np.asarray(xy, float), k=k)
        return np.atleast_1d(d), np.atleast_1d(i)

    @staticmethod
    def pick_air(pool: Pool, xy: tuple[float, float]) -> int:
        """Local base index of the nearest free helicopter (−1: none)."""
        d = np.hypot(pool.xy[:, 0] - xy[0], pool.xy[:, 1] - xy[1])
        if len(d) == 0:
            return -1
        d = np.where(pool.free > 0, d, np.inf)
        i = int(d.argmin())
        return i if d[i] < np.inf else -1


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

    def __init__(self, tt: TravelTimes) -> None:
        self.tt, self.net = tt, tt.net
        self.out, self.back = tt.out, tt.back
        self.directed = tt.directed
        self.source_nodes = tt.sources
        self.factors = [self.net.period_factors(p) for p in PERIODS]
        self.closed = np.zeros(len(self.net.edge_ids), bool)
        self.n_closed = 0
        self._cache: dict = {}
        self._bases: dict = {}

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
