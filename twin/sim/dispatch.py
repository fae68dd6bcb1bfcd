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
  station sends what it has free and the rest comes from the next. With fire crews
  (:mod:`twin.sim.turnouts`) a station may send only while one of its crews is free, or
  when its crew's turnout to this incident is forming at this instant (the same dispatch).
- **city** (professional teams, helicopters): the nearest free unit anywhere.

Road times come from :class:`twin.model.roads.TravelTimes` (``out[period][station_row, node]``)
for the period of the departure time (dispatch + turnout): one gather of a few hundred
floats per dispatch, no path search. :class:`twin.sim.road_times.RoadTimes` keeps them exact
while roads are closed (a path search only when a closure may lie on a candidate's way). When
no suitable unit is free anywhere, the request queues (per force, by priority then age:
:mod:`twin.sim.priority`) and is served by
the next unit of that force to free up (from the scene it clears), or by a free unit once a
closure that cut the place off ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from twin.sim.forces import FORCE_TARGET, FORCES, TARGETS_S, Fleet, ForceSpec
from twin.sim.kinds import ANY, KINDS, kind_codes
from twin.sim.priority import PriorityQueue
from twin.sim.road_times import RoadTimes
from twin.sim.roster import Roster
from twin.sim.turnouts import Turnouts

UNIFORM_BLOCK = 1 << 16
"""Uniform random numbers are drawn from the run's Generator in blocks this size."""
COMMUNITY_K = 8
"""Posts asked per incident before widening the search to every post (with the default
availability the 8 nearest posts all declining has probability ~1e-8)."""
WIDE_KEPT = 512
"""Places whose widened post order a run keeps (int32 arrays of every post: 32 KB each for
the municipality's 8,180 posts, 16 MB at most)."""
WIDE_RING = 56
"""Posts in a widening's first ring (a bounded query; a search size, not a model parameter)."""


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
    queue: PriorityQueue = field(default_factory=PriorityQueue)
    withheld: int = 0
    """Units of the pool not yet arrived (reinforcements on their way, :mod:`twin.sim.reinforcement`)."""
    target_s: float = 0.0
    tree: cKDTree | None = None
    free_l: list[int] = field(default_factory=list)
    xy_l: list[tuple[float, float]] = field(default_factory=list)
    kind: list[int] | None = None
    """Vehicle kind code of every unit of the fleet (:mod:`twin.sim.kinds`); None: the
    force's units have no kinds."""
    kind_free: np.ndarray | None = None
    """Free units per local station and kind (n_stations × len(KINDS))."""
    kind_total: np.ndarray | None = None
    """Units of the force per kind (busy or not)."""
    turnouts: Turnouts | None = None
    """The stations' crews (:mod:`twin.sim.turnouts`); None: every unit is its own crew."""
    stations_l: list[int] = field(default_factory=list)
    """``stations`` as Python ints (the hot path reads one at a time)."""

    def __post_init__(self) -> None:
        self.free_l = self.free.tolist()
        self.xy_l = [tuple(p) for p in self.xy.tolist()]
        self.stations_l = self.stations.tolist()

    def take(self, i: int, kind: int = ANY) -> int:
        """Take a free unit (of ``kind``; :data:`~twin.sim.kinds.ANY`: the last freed)
        from local station ``i``; returns the unit index."""
        stack = self.stack[i]
        k = len(stack) - 1
        if kind != ANY and self.kind is not None:
            while self.kind[stack[k]] != kind:
                k -= 1
        return self.take_unit(i, stack[k])

    def take_unit(self, i: int, unit: int) -> int:
        """Take the free unit ``unit`` from local station ``i`` (it must be free there)."""
        stack = self.stack[i]
        if stack[-1] == unit:
            stack.pop()
        else:
            stack.remove(unit)
        self.free[i] -= 1
        self.free_l[i] -= 1
        if self.kind_free is not None and self.kind is not None:
            self.kind_free[i, self.kind[unit]] -= 1
        return unit

    def give_back(self, i: int, unit: int) -> None:
        """Unit ``unit`` is free again at local station ``i``."""
        self.free[i] += 1
        self.free_l[i] += 1
        self.stack[i].append(unit)
        if self.kind_free is not None and self.kind is not None:
            self.kind_free[i, self.kind[unit]] += 1

    def sendable(self) -> bool:
        """Has the pool a free unit that may be sent (with crews: at a station with a free
        crew)?"""
        if self.turnouts is None:
            return any(self.free_l)
        return bool(np.any((self.free > 0) & (self.turnouts.free > 0)))

    def free_of(self, kind: int, join: list[int] | tuple[int, ...] = ()) -> np.ndarray:
        """Local stations with a free unit of ``kind`` (:data:`~twin.sim.kinds.ANY`: any)
        that may send it: with crews (:attr:`turnouts`), only stations with a free crew or
        in ``join`` (their turnout to this incident is forming now)."""
        if kind == ANY or self.kind_free is None:
            has = self.free > 0
        else:
            has = self.kind_free[:, kind] > 0
        if self.turnouts is not None:
            crew = self.turnouts.free > 0
            if join:
                crew[list(join)] = True
            has &= crew
        return np.flatnonzero(has)


def build_pools(fleet: Fleet, forces: dict[str, ForceSpec], station_row: np.ndarray) -> list[Pool]:
    """One :class:`Pool` per force in :data:`FORCES` order (empty pools for absent forces)."""
    pools = []
    by_station = _units_by_station(fleet.unit_station, len(fleet.station_ids))
    for code, name in enumerate(FORCES):
        st = fleet.of_force(name)
        stack = [by_station[s][::-1] for s in st.tolist()]
        pool = Pool(
            force=code,
            spec=forces[name],
            stations=st,
            rows=station_row[st],
            district=fleet.station_district[st],
            xy=fleet.station_xy[st],
            free=fleet.station_units[st].copy(),
            stack=stack,
            total=int(fleet.station_units[st].sum()),
            target_s=TARGETS_S[FORCE_TARGET[name]],
        )
        if forces[name].mode != "road" and len(st):
            pool.tree = cKDTree(pool.xy)
        if name == "fire" and fleet.unit_kind is not None:
            _add_kinds(pool, kind_codes(fleet.unit_kind, len(fleet.unit_station)))
        pools.append(pool)
    return pools


def _units_by_station(unit_station: np.ndarray, n_stations: int) -> list[list[int]]:
    """Per station index, its unit indices in ascending order (one sort, not one scan of
    every unit per station: the municipality has 12,006 stations and 26,388 units)."""
    order = np.argsort(unit_station, kind="stable")
    bounds = np.searchsorted(unit_station[order], np.arange(n_stations + 1))
    units = order.tolist()
    return [units[a:b] for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True)]


def _add_kinds(pool: Pool, codes: np.ndarray) -> None:
    """Give ``pool`` its units' vehicle kinds (free per station and kind, totals)."""
    free = np.zeros((len(pool.stations), len(KINDS)), np.int64)
    for i, stack in enumerate(pool.stack):
        for u in stack:
            if codes[u] >= 0:
                free[i, codes[u]] += 1
    if free.sum() != pool.total:  # some units have no known kind: kinds are not used
        return
    pool.kind, pool.kind_free, pool.kind_total = codes.tolist(), free, free.sum(axis=0)


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
        self._wide: dict[tuple[int, tuple[float, float], int], list[Any]] = {}

    def pick_road(
        self,
        pool: Pool,
        node: int,
        district: int,
        t: float,
        kind: int = ANY,
        join: list[int] | tuple[int, ...] = (),
    ) -> tuple[int, bool]:
        """Local station index of the unit (of vehicle ``kind``) to send (−1: none free can
        reach ``node``) and whether any station of the force could reach it on the open
        network (else the place is cut off for good and the request is not queued).
        ``join``: stations whose crew's turnout to this incident is forming now
        (:meth:`Pool.free_of`)."""
        i, _, reach = self._road(pool, node, district, t, kind, join)
        return i, reach

    def pick_kind(
        self,
        pool: Pool,
        node: int,
        district: int,
        t: float,
        kind: int,
        join: list[int] | tuple[int, ...] = (),
    ) -> tuple[int, bool, int]:
        """As :meth:`pick_road`, and the kind the request is served as. A vehicle of
        ``kind`` (aerial, rescue, command) comes only from where it can arrive within the
        force's target (turnout + road time ≤ ``pool.target_s``); when none free can, the
        nearest free vehicle of any kind goes in its place (:data:`ANY`, as for a kind the
        fleet lacks): the nearby stations send what they have rather than a special vehicle
        from hours away (on the municipality, from another county 300 km off). When no
        vehicle of any kind is free, the request waits for ``kind`` as before."""
        i, eta, reach = self._road(pool, node, district, t, kind, join)
        if (
            kind == ANY
            or pool.kind is None
            or (i >= 0 and pool.spec.turnout_s + eta <= pool.target_s)
        ):
            return i, reach, kind
        j, _, reach_any = self._road(pool, node, district, t, ANY, join)
        return (j, reach_any, ANY) if j >= 0 else (i, reach, kind)

    def _road(
        self,
        pool: Pool,
        node: int,
        district: int,
        t: float,
        kind: int,
        join: list[int] | tuple[int, ...] = (),
    ) -> tuple[int, float, bool]:
        """:meth:`pick_road`'s choice, its road time (s; inf: none) and reachability."""
        turnout = pool.spec.turnout_s
        p = self.times.period(t + turnout)
        free = pool.free_of(kind, join)
        if len(free):
            if self.district_first and pool.spec.level == "district":
                eta = self.times.to_node(pool.rows[free], node, p)
                own = np.where(pool.district[free] == district, eta, np.inf)
                k = int(own.argmin())
                if turnout + own[k] <= pool.target_s:
                    return int(free[k]), float(own[k]), True
                k = int(eta.argmin())
                best = float(eta[k])
            else:
                k, best = self.times.best(pool.rows[free], node, p, pool.force)
            if best < np.inf:
                return int(free[k]), best, True
        return -1, np.inf, self.times.reachable(pool.rows, node, p, pool.force)

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
            for ring in self._beyond(pool, xy, len(near)):
                for i in ring:
                    k = free[i]
                    if k > 0 and draw() < 1.0 - (1.0 - a) ** k:
                        return i
        return -1

    def _on_duty(self, pool: Pool, xy: tuple[float, float], near: list[int], t: float) -> int:
        """The nearest post with a free responder on duty at ``t`` (−1: none); that
        responder is moved to the top of its post's stack."""
        assert self.roster is not None
        first_on = self.roster.first_on
        i, k = first_on(pool.stack, near, t)
        if i < 0 and len(near) < len(pool.stations):
            for ring in self._beyond(pool, xy, len(near)):
                i, k = first_on(pool.stack, ring, t)
                if i >= 0:
                    break
        if i < 0:
            return -1
        stack = pool.stack[i]
        stack.append(stack.pop(k))
        return i

    def _beyond(self, pool: Pool, xy: tuple[float, float], k: int) -> Iterator[list[int]]:
        """Local indices of the posts after the ``k`` nearest to ``xy`` (m), nearest first,
        in two rings: the next :data:`WIDE_RING` (a bounded query), then all the others (a
        query of every post, made only if the caller reads on): in turn, the full query's
        order. Kept per place for the run (widenings recur where posts are sparse: ~1,600
        a year in the municipality), for at most :data:`WIDE_KEPT` places."""
        key = (pool.force, (float(xy[0]), float(xy[1])), k)
        rings = self._wide.get(key)
        n = len(pool.stations)
        if rings is None:
            rings = [self.nearest_posts(pool, xy, min(k + WIDE_RING, n))[1][k:].tolist()]
            if len(self._wide) >= WIDE_KEPT:
                del self._wide[next(iter(self._wide))]  # the oldest
            self._wide[key] = rings
        yield rings[0]
        if k + len(rings[0]) >= n:
            return
        if len(rings) == 1:  # kept as int32 (32 KB for 8,180 posts), read out when asked
            rest = self.nearest_posts(pool, xy, n)[1][k:]
            rings.append(rest[~np.isin(rest, rings[0])].astype(np.int32))
        yield rings[1].tolist()

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
