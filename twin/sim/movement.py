"""Movement of units: the legs they travel (to a scene, back home), their paths and routes.

Road units turn out (by day or night, :attr:`~twin.sim.forces.ForceSpec.turnout_night_s`)
and read the precomputed ``TravelTimes`` arrays (station → node and back, for the
period of the departure) through :class:`~twin.sim.road_times.RoadTimes`, which keeps them
exact under closures; a unit re-dispatched from a scene to a queued incident uses a
single-source Dijkstra from the scene node (rare; cached). Community responders walk
(straight line × circuity), helicopters fly straight; closures do not affect them.
A road leg as driven is the network's time × e^(σ·z) (``TimeChain.travel_sigma``,
z standard normal from the run's Generator): the dispatcher chooses on the expected time,
the unit arrives at the driven one.

:class:`Movement` plans legs (:class:`Trip`), keeps the road trips under way (``moving``:
what re-routing may touch), rebuilds a road trip's node path when needed and records the
routes. It logs nothing: the crews log departures and arrivals.
"""

from __future__ import annotations

import math

import numpy as np

from twin.sim.dispatch import Pool, Uniforms
from twin.sim.forces import ForceSpec
from twin.sim.params import TimeChain, walk_s
from twin.sim.road_times import RoadTimes

TO_SCENE, RETURN = 0, 1
LEGS = ("to_scene", "return")
ESCORT_M_S = 5.0
"""Speed of a road unit whose way is cut by closures and is escorted through (18 km/h,
over 1.4 × the straight-line distance) — a fallback that keeps units from being stranded."""

XY = tuple[float, float]
Route = tuple[int, int, int, float, float, bool, list, list]
"""A recorded leg: (unit, incident, leg, depart, arrive, road, path, times)."""


class Trip:
    """One leg a unit travels: origin → dest, departing ``depart`` (after turnout), arriving
    ``arrive``. Road trips carry ``period`` and, once needed, ``path`` (node indices) and
    ``times`` (s at each node); foot/air trips carry their end points ``xy0``, ``xy1``."""

    __slots__ = (
        "unit",
        "inc",
        "leg",
        "origin",
        "dest",
        "period",
        "depart",
        "arrive",
        "road",
        "path",
        "times",
        "xy0",
        "xy1",
        "ordered",
    )

    def __init__(
        self,
        unit: int,
        inc: int,
        leg: int,
        origin: int,
        dest: int,
        period: int,
        depart: float,
        arrive: float,
        road: bool,
        xy0: XY | None = None,
        xy1: XY | None = None,
    ) -> None:
        self.unit, self.inc, self.leg, self.origin, self.dest = unit, inc, leg, origin, dest
        self.period, self.depart, self.arrive, self.road = period, depart, arrive, road
        self.path: list[int] | None = None
        self.times: list[float] | None = None
        self.xy0, self.xy1 = xy0, xy1
        self.ordered = depart  # when the order reached the unit (set by the planner)


class Normals:
    """Standard normal numbers from the run's Generator, drawn in blocks (fast scalars)."""

    def __init__(self, rng: np.random.Generator, block: int = 1 << 14) -> None:
        self.rng, self.block = rng, block
        self.buf: list[float] = []
        self.i = 0

    def next(self) -> float:
        if self.i >= len(self.buf):
            self.buf = self.rng.standard_normal(self.block).tolist()
            self.i = 0
        self.i += 1
        return self.buf[self.i - 1]


class Movement:
    """Plans the legs of units and tracks the road trips under way."""

    def __init__(
        self,
        rt: RoadTimes,
        uniforms: Uniforms,
        node_xy: list[XY],
        station_node: list[int],
        n_units: int,
        record: bool,
        chain: TimeChain = TimeChain(),
        normals: Normals | None = None,
        elevation: list[float] | None = None,
    ) -> None:
        self.rt, self.uniforms, self.node_xy = rt, uniforms, node_xy
        self.z = elevation if elevation is not None else [0.0] * len(node_xy)
        self.chain = chain
        self.sigma = chain.travel_sigma if normals is not None else 0.0
        self.normals = normals
        self.station_node, self.record = station_node, record
        self.moving: dict[int, Trip] = {}
        self.last_leg_s = [0.0] * n_units
        self.routes: list[Route] = []

    # ---- planning legs --------------------------------------------------------------------
    def turnout(self, spec: ForceSpec, now: float) -> float:
        """Turnout time (s) for an order at ``now``: by day or night, or uniform between
        ``turnout_s`` and ``turnout_max_s`` (air launch)."""
        if spec.turnout_max_s is None:
            if spec.turnout_night_s is None:
                return spec.turnout_s
            return spec.turnout_at(self.chain.is_night(now))
        return spec.turnout_s + (spec.turnout_max_s - spec.turnout_s) * self.uniforms.next()

    def noisy(self, travel_s: float, z: float | None = None) -> float:
        """A road time as driven: × e^(σ·z), z standard normal (the incident's, else the
        run's stream; median 1; σ = 0: as is)."""
        if self.sigma <= 0.0 or self.normals is None:
            return travel_s
        return travel_s * math.exp(self.sigma * (self.normals.next() if z is None else z))

    def to_scene(
        self,
        u: int,
        pool: Pool,
        i: int,
        inc: int,
        node: int,
        scene: int,
        now: float,
        z: float | None = None,
    ) -> tuple[Trip, int, bool]:
        """Unit ``u`` (local station ``i`` of ``pool``) leaves for incident ``inc`` at
        ``node`` from its station (``scene`` < 0) or from a scene: the trip, its origin
        node (−1 off-road) and whether closures cut the way (the unit is escorted)."""
        spec = pool.spec
        depart = now + self.turnout(spec, now)
        if spec.mode != "road":
            xy0 = pool.xy_l[i] if scene < 0 else self.node_xy[scene]
            xy1 = self.node_xy[node]
            start = self.station_node[pool.stations_l[i]] if scene < 0 else scene
            trip = Trip(
                u,
                inc,
                TO_SCENE,
                scene,
                node,
                0,
                depart,
                depart + self.off_road_s(spec, xy0, xy1, start, node),
                False,
                xy0,
                xy1,
            )
            trip.ordered = now
            return trip, -1, False
        p = self.rt.period(depart)
        if scene < 0:
            origin = self.station_node[pool.stations_l[i]]
            travel = float(self.rt.to_node(pool.rows[i : i + 1], node, p)[0])
        else:
            origin = scene
            lower = float(self.rt.lower_bound(scene, node, p)[0])
            travel = float(self.rt.tree_to(scene, node, lower, p)[0][node])
        blocked = not travel < math.inf
        if blocked:  # defensive: never strand a unit
            travel = self.escorted_s(origin, node)
        else:
            travel = self.noisy(travel, z)
        trip = Trip(u, inc, TO_SCENE, origin, node, p, depart, depart + travel, True)
        trip.ordered = now
        self.moving[u] = trip
        return trip, origin, blocked

    def home(
        self, u: int, pool: Pool, i: int, inc: int, scene: int, now: float
    ) -> tuple[Trip, bool]:
        """Unit ``u`` drives back from ``scene`` to its station: the trip and whether
        closures cut the way (then it goes back the way it came, as long as it took)."""
        home = self.station_node[pool.stations_l[i]]
        if pool.spec.mode != "road":
            xy0, xy1 = self.node_xy[scene], pool.xy_l[i]
            return Trip(
                u,
                inc,
                RETURN,
                scene,
                home,
                0,
                now,
                now + self.off_road_s(pool.spec, xy0, xy1, scene, home),
                False,
                xy0,
                xy1,
            ), False
        p = self.rt.period(now)
        travel = self.rt.from_node(int(pool.rows[i]), scene, p)
        blocked = not math.isfinite(travel)
        if blocked:  # cut off by closures: escorted out the way it came
            travel = self.last_leg_s[u]
        else:
            travel = self.noisy(travel)
        trip = Trip(u, inc, RETURN, scene, home, p, now, now + travel, True)
        self.moving[u] = trip
        return trip, blocked

    def off_road_s(self, spec: ForceSpec, xy0: XY, xy1: XY, a: int, b: int) -> float:
        """Time (s) of a foot leg (Tobler on the grade from node ``a`` to node ``b``) or an
        air leg (straight line at the force's speed, plus approach)."""
        if spec.mode != "foot":
            return fly_walk_s(spec, xy0, xy1)
        path = math.hypot(xy1[0] - xy0[0], xy1[1] - xy0[1]) * spec.circuity
        return walk_s(path, self.z[b] - self.z[a], spec.walk_pace) + spec.approach_s

    def escorted_s(self, a: int, b: int) -> float:
        """Time (s) for a unit cut off by closures, escorted through: straight line × 1.4
        at :data:`ESCORT_M_S`."""
        (x0, y0), (x1, y1) = self.node_xy[a], self.node_xy[b]
        return math.hypot(x1 - x0, y1 - y0) * 1.4 / ESCORT_M_S

    # ---- under way ------------------------------------------------------------------------
    def arrived(self, trip: Trip, now: float, to_scene: bool) -> None:
        """A leg ended at ``now``: the trip leaves the road (a leg to a scene remembers its
        duration, for an escorted way back)."""
        if trip.road:
            del self.moving[trip.unit]
            if to_scene:
                self.last_leg_s[trip.unit] = now - trip.depart

    def path_times(self, path: list[int], p: int) -> list[float]:
        """Cumulative travel time (s) at each node of ``path`` (period ``p``, current state)."""
        return [0.0] + np.cumsum(self.weights(path, p)).tolist()

    def weights(self, path: list[int], p: int) -> np.ndarray:
        """Travel time (s) of each step of ``path`` in period ``p`` under the current
        closures; ``inf`` where the edge is closed (0 where no edge joins the nodes)."""
        if len(path) < 2:
            return np.zeros(0)
        return np.asarray(self.rt.matrix(p)[path[:-1], path[1:]], float).ravel()

    def ensure_path(self, trip: Trip) -> None:
        """Rebuild a road trip's node path and node times (from predecessor arrays)."""
        if trip.path is not None:
            return
        span = trip.arrive - trip.depart  # the trip's time: the searches' bound
        if trip.leg == RETURN:
            pred = self.rt.tree_to(trip.dest, trip.origin, span, trip.period, reverse=True)[1]
            path = walk(pred, trip.origin, trip.dest, forward=True)
        else:
            pred = self.rt.tree_to(trip.origin, trip.dest, span, trip.period)[1]
            path = walk(pred, trip.dest, trip.origin, forward=False)
        if path[0] != trip.origin or path[-1] != trip.dest:  # no road path (blocked trip)
            path = [trip.origin, trip.dest]
            cum = [0.0, 1.0]
        else:
            cum = self.path_times(path, trip.period)
        scale = span / cum[-1] if cum[-1] > 0 else 0.0
        trip.path = path
        trip.times = [trip.depart + c * scale for c in cum]

    def record_route(self, trip: Trip) -> None:
        """Keep the leg's path and times (when routes are recorded)."""
        if not self.record:
            return
        path: list
        if trip.road:
            self.ensure_path(trip)
            path, times = trip.path or [], trip.times or []
        else:
            path, times = [trip.xy0, trip.xy1], [trip.depart, trip.arrive]
        self.routes.append(
            (trip.unit, trip.inc, trip.leg, trip.depart, trip.arrive, trip.road, path, times)
        )


def fly_walk_s(spec: ForceSpec, xy0: XY, xy1: XY) -> float:
    """Travel time (s) of a foot or air leg: straight line × circuity / speed (+ approach)."""
    d = math.hypot(xy1[0] - xy0[0], xy1[1] - xy0[1])
    return d * spec.circuity / spec.speed_m_s + spec.approach_s


def walk(pred: np.ndarray, start: int, stop: int, forward: bool) -> list[int]:
    """Follow predecessors from ``start`` until ``stop``. ``forward``: the chain already runs
    start → stop (a reverse tree); else it runs backwards and is reversed."""
    path = [start]
    j = start
    while j != stop:
        j = int(pred[j])
        if j < 0:
            break
        path.append(j)
    return path if forward else path[::-1]
