"""The response engine: a SimPy discrete-event simulation over precomputed travel times.

One process feeds the pre-generated incidents at their alarm times; each alarm asks the
:class:`~twin.sim.dispatch.Dispatcher` for the units its type needs and starts one lean SimPy
process per busy spell of a unit::

    available → dispatched (turnout) → en route → on scene → [next queued incident …]
              → returning → available

Every state change is an event row ``(t_s, kind, incident, unit, node, from, to)``.
The first unit of the type's *lead* force on scene starts the work (a drawn duration).
While no unit of the lead force has been sent (its requests wait in the queue), the first
needed *ground* unit (fire, professional, social) on scene starts it instead: crews do not
stand idle at a scene for a team that may be days away (under an earthquake's load, fire
engines held at collapses for busy rescue teams starved every fire-led incident). When
the work ends the incident is cleared and its units leave (a capped force, e.g. air, may
leave earlier). A freed unit first serves the oldest queued request of its force (FIFO),
driving from where it is, otherwise it drives back to its station.

Travel: road units read the precomputed ``TravelTimes`` arrays (station → node and back,
for the period of the departure) through :class:`~twin.sim.dispatch.RoadTimes`, which keeps
them exact under closures; a unit re-dispatched from a scene to a queued incident uses a
single-source Dijkstra from the scene node (rare; cached). Community responders walk
(straight line × circuity), helicopters fly straight; closures do not affect them.

Closures (timeline :class:`~twin.hazards.timeline.ClosureEvent`): at each start/end the closed-edge
mask changes. Units on the road whose way the change may touch (landmark lower-bound test)
keep their progress: each one's path is rebuilt from predecessor arrays under the old
state; the unit completes the edge it is on (closures bar entry, they do not remove a
vehicle already on the edge) and from that node takes the new shortest path (one
Dijkstra per affected unit). A unit whose destination became unreachable keeps its plan
and a ``blocked`` event is logged (it is assumed escorted through). Queued requests that a
free unit can now reach are sent.

Gas leaks (types with ``deadline``): at onset + deadline, a leak without a containing unit
on scene escalates: the cascade types (explosion + fire) start at the same node.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import simpy
from simpy.events import Initialize

from twin.model.city import City
from twin.sim.dispatch import COMMUNITY_K, Dispatcher, Pool, RoadTimes, Uniforms, build_pools
from twin.sim.forces import DEFAULT_FORCES, FORCES, GROUND_FORCES, Fleet, ForceSpec, build_fleet
from twin.sim.incidents import (CATALOGUE, Detection, IncidentArrays, IncidentType, Placement,
                            build_placement, draw_incidents)
from twin.model.roads import PERIODS, TravelTimes, period_of
from twin.hazards.timeline import ClosureEvent, Timeline

KINDS: tuple[str, ...] = (
    "alarm", "dispatched", "en_route", "on_scene", "work_started", "cleared", "returning",
    "available", "queued", "mutual_aid", "no_unit", "reroute", "blocked", "cascade",
    "closure_start", "closure_end")
"""Event kinds (codes are indices). ``queued``: no suitable free unit can reach the place
(all busy, or closures cut it off), the request waits; ``no_unit``: the force has no units,
or none could reach the place even on the open network; ``mutual_aid``: a
district-level unit crosses into another district (from → to); ``cascade``: a gas leak
escalated (the leak's id; the new incidents follow with their own ``alarm``)."""
K = {k: i for i, k in enumerate(KINDS)}
(ALARM, DISPATCHED, EN_ROUTE, ON_SCENE, WORK_STARTED, CLEARED, RETURNING, AVAILABLE, QUEUED,
 MUTUAL_AID, NO_UNIT, REROUTE, BLOCKED, CASCADE, CLOSURE_START, CLOSURE_END) = range(len(KINDS))
TO_SCENE, RETURN = 0, 1
ESCORT_M_S = 5.0
"""Speed of a road unit whose way is cut by closures and is escorted through (18 km/h,
over 1.4 × the straight-line distance) — a fallback that keeps units from being stranded."""
LEGS = ("to_scene", "return")
COMMUNITY, AIR = FORCES.index("community"), FORCES.index("air")
GROUND = frozenset(FORCES.index(f) for f in GROUND_FORCES)


@dataclass(frozen=True)
class EngineConfig:
    """Engine settings; defaults are the documented catalogue, forces and detection."""

    catalogue: dict[str, IncidentType] = field(default_factory=lambda: dict(CATALOGUE))
    forces: dict[str, ForceSpec] = field(default_factory=lambda: dict(DEFAULT_FORCES))
    detection: Detection = Detection()
    record_routes: bool = False
    use_cache: bool = True
    drain_s: float = 30 * 86400.0
    """Units finish the incidents of the run; the run is cut this long after its end."""


class Inc:
    """One incident during the run (times in s; ``first[f]`` = first arrival of force f)."""

    __slots__ = ("id", "code", "type", "node", "district", "onset", "alarm", "by", "work",
                 "deadline", "air", "lead", "started", "cleared", "cleared_s", "done",
                 "contained_s", "mutual_aid", "queued", "first", "cause", "label", "parent",
                 "near", "lead_sent")

    def __init__(self, id: int, code: int, type: IncidentType, node: int, district: int,
                 onset: float, alarm: float, by: int, work: float, deadline: float,
                 air: bool, lead: int, cause: str = "", label: str = "",
                 parent: int = -1) -> None:
        self.id, self.code, self.type, self.node, self.district = id, code, type, node, district
        self.onset, self.alarm, self.by, self.work = onset, alarm, by, work
        self.deadline, self.air, self.lead = deadline, air, lead
        self.cause, self.label, self.parent = cause, label, parent
        self.started = self.cleared = self.mutual_aid = self.queued = False
        self.lead_sent = False  # a unit of the lead force has been dispatched
        self.cleared_s = self.contained_s = math.nan
        self.done: simpy.Event | None = None
        self.first = [math.nan] * len(FORCES)
        self.near = None


class Trip:
    """One leg a unit travels: origin → dest, departing ``depart`` (after turnout), arriving
    ``arrive``. Road trips carry ``period`` and, once needed, ``path`` (node indices) and
    ``times`` (s at each node); foot/air trips carry their end points ``xy0``, ``xy1``."""

    __slots__ = ("unit", "inc", "leg", "origin", "dest", "period", "depart", "arrive",
                 "road", "path", "times", "xy0", "xy1")

    def __init__(self, unit: int, inc: int, leg: int, origin: int, dest: int, period: int,
                 depart: float, arrive: float, road: bool, xy0=None, xy1=None) -> None:
        self.unit, self.inc, self.leg, self.origin, self.dest = unit, inc, leg, origin, dest
        self.period, self.depart, self.arrive, self.road = period, depart, arrive, road
        self.path: list[int] | None = None
        self.times: list[float] | None = None
        self.xy0, self.xy1 = xy0, xy1


@dataclass(eq=False)
class SimResult:
    """What a run produced (raw): incidents, event rows, route rows, per-unit counters.

    ``unit_busy_s``: per unit, seconds busy (dispatched until available again) within
    [0, ``duration_s``] — the drain after the run is not counted, so busy time / duration
    is a utilisation ≤ 1. ``mutual_aid``: (from district, to district) → dispatches of
    district-level units out of their station's district (from stations and from scenes)."""

    incidents: list[Inc]
    events: list[tuple]
    routes: list[tuple]
    unit_busy_s: np.ndarray
    station_dispatches: np.ndarray
    mutual_aid: Counter
    cascades: int
    closures: list[ClosureEvent]
    duration_s: float
    end_s: float
    engine: "Engine"


class Engine:
    """A city prepared for simulation: fleet, travel times, placement (reusable per run)."""

    def __init__(self, city: City, config: EngineConfig = EngineConfig()) -> None:
        self.city, self.config = city, config
        self.net = city.roads
        self.xy = self.net.xy
        self.types = list(config.catalogue.values())
        self.districts = _district_ids(city)
        self.fleet: Fleet = build_fleet(city, self.districts)
        road = np.array([config.forces[FORCES[f]].mode == "road"
                         for f in self.fleet.station_force], bool)
        self.sources, row = np.unique(self.fleet.station_node[road], return_inverse=True)
        self.station_row = np.full(len(self.fleet.station_ids), -1, np.int64)
        self.station_row[road] = row
        self.tt = TravelTimes(self.net, self.sources, use_cache=config.use_cache)
        self.placement: Placement = build_placement(city, self.districts,
                                                    self._eligible(), config.detection)
        self.node_district = self.placement.node_district

    def _eligible(self) -> np.ndarray:
        """Nodes where incidents may happen: in core districts and reachable by road units."""
        core = set(self.city.core_districts["district_id"])
        ids = self.city.road_nodes["district_id"].to_numpy(object)
        ok = np.isin(ids, list(core)) if core else np.ones(len(ids), bool)
        if len(self.sources):
            ok &= np.isfinite(self.tt.out[PERIODS.index("offpeak")]).any(axis=0)
        return ok

    def draw(self, rng: np.random.Generator, duration_s: float, timeline: Timeline = Timeline(),
             **kw: object) -> IncidentArrays:
        """The run's incidents (random + timeline), see :func:`twin.sim.incidents.draw_incidents`."""
        return draw_incidents(self.config.catalogue, self.config.detection, self.placement,
                              rng, duration_s, timeline.incidents, **kw)

    def run(self, incidents: IncidentArrays, rng: np.random.Generator, duration_s: float,
            timeline: Timeline = Timeline(),
            progress: Callable[[float], None] | None = None) -> SimResult:
        """Simulate ``duration_s`` seconds (plus the drain until units are home)."""
        return Run(self, incidents, rng, duration_s, timeline, progress).execute()


def simulate(city: City, rng: np.random.Generator, duration_s: float,
             timeline: Timeline = Timeline(), config: EngineConfig = EngineConfig(), *,
             random: bool = True, rate_multiplier: float = 1.0,
             type_multipliers: dict[str, float] | None = None,
             progress: Callable[[float], None] | None = None) -> SimResult:
    """Draw the incidents (random ones and the timeline's) and simulate ``duration_s`` s on
    ``city`` with the run's one Generator ``rng``."""
    engine = Engine(city, config)
    arrays = engine.draw(rng, duration_s, timeline, random=random,
                         rate_multiplier=rate_multiplier, type_multipliers=type_multipliers)
    return engine.run(arrays, rng, duration_s, timeline, progress)


def _district_ids(city: City) -> tuple[str, ...]:
    """District ids in a fixed order: the districts layer, then any others nodes name."""
    ids = list(dict.fromkeys(city.districts["district_id"].astype(str)))
    extra = sorted(set(city.road_nodes["district_id"].astype(str)) - set(ids))
    return tuple(ids + extra)


class Run:
    """One simulation run (state of units, incidents and the event log)."""

    def __init__(self, eng: Engine, arr: IncidentArrays, rng: np.random.Generator,
                 duration_s: float, timeline: Timeline,
                 progress: Callable[[float], None] | None) -> None:
        self.eng, self.arr, self.rng = eng, arr, rng
        self.duration, self.timeline, self.progress = duration_s, timeline, progress
        self.env = simpy.Environment()
        self.pools: list[Pool] = build_pools(eng.fleet, eng.config.forces, eng.station_row)
        self.uniforms = Uniforms(rng)
        self.rt = RoadTimes(eng.tt)
        self.disp = Dispatcher(self.pools, self.rt, self.uniforms)
        n_units = len(eng.fleet.unit_ids)
        self.busy_since = [0.0] * n_units
        self.last_leg_s = [0.0] * n_units
        self.busy = np.zeros(n_units)
        self.dispatches = np.zeros(len(eng.fleet.station_ids), np.int64)
        self.proc: list[simpy.Process | None] = [None] * n_units
        self.moving: dict[int, Trip] = {}
        self.events: list[tuple] = []
        self._ev = self.events.append
        self.node_xy: list[tuple[float, float]] = [tuple(p) for p in eng.xy.tolist()]
        self.station_node = eng.fleet.station_node.tolist()
        self.routes: list[tuple] = []
        self.incs: list[Inc | None] = [None] * len(arr)
        self.mutual: Counter = Counter()
        self.cascades = 0
        self.closed_count = np.zeros(len(eng.net.edge_ids), np.int64)
        self.lead = [self._lead(t) for t in eng.types]
        self.needs = [[(FORCES.index(name), n) for name, n in t.needs] for t in eng.types]
        self.station_district = eng.fleet.station_district.tolist()
        self.record = eng.config.record_routes
        self.last_t = 0.0

    # ---- set-up -----------------------------------------------------------------------
    def _lead(self, t: IncidentType) -> int:
        """The force leading the type's work: the first needed force that has units."""
        for name, _ in t.needs:
            if self.pools[FORCES.index(name)].total > 0:
                return FORCES.index(name)
        return -1

    def execute(self) -> SimResult:
        env = self.env
        env.process(self._feed())
        for c in self.timeline.closures:
            if c.start_s < self.duration:
                env.process(self._closure(c))
        env.run(until=self.duration + self.eng.config.drain_s)
        free = {u for pool in self.pools for stack in pool.stack for u in stack}
        for u in range(len(self.busy)):  # spells still open when the drain was cut
            if u not in free:
                self.busy[u] += max(self.duration - min(self.busy_since[u], self.duration), 0.0)
        if self.progress is not None:
            self.progress(1.0)
        return SimResult(incidents=self.incs, events=self.events, routes=self.routes,
                         unit_busy_s=self.busy, station_dispatches=self.dispatches,
                         mutual_aid=self.mutual, cascades=self.cascades,
                         closures=[c for c in self.timeline.closures if c.start_s < self.duration],
                         duration_s=self.duration, end_s=self.last_t, engine=self.eng)

    def _feed(self):
        """Process: raise every pre-generated incident's alarm at its time."""
        env, a, eng = self.env, self.arr, self.eng
        order = np.lexsort((np.arange(len(a)), a.alarm_s))
        near = self._community_candidates()
        types, lead = eng.types, self.lead
        district = eng.node_district.tolist()
        step = max(len(order) // 100, 1)
        cols = zip(order.tolist(), a.type[order].tolist(), a.node[order].tolist(),
                   a.onset_s[order].tolist(), a.alarm_s[order].tolist(),
                   a.detected_by[order].tolist(), a.work_s[order].tolist(),
                   a.deadline_s[order].tolist(), a.air[order].tolist())
        for j, (i, code, node, onset, alarm, by, work, deadline, air) in enumerate(cols):
            if alarm > env.now:
                yield env.timeout(alarm - env.now)
            inc = Inc(i, code, types[code], node, district[node], onset, alarm, by, work,
                      deadline, air, lead[code], a.cause[i], a.label[i])
            self.incs[i] = inc
            if near is not None:
                inc.near = near[i].tolist()
            self._alarm(inc)
            if self.progress is not None and j % step == 0:
                self.progress(min(env.now / self.duration, 1.0) * 0.99)

    def _community_candidates(self) -> np.ndarray | None:
        """The nearest posts (local indices, nearest first) of every pre-generated incident,
        in one KD-tree query."""
        pool = self.pools[COMMUNITY]
        if pool.tree is None or len(self.arr) == 0:
            return None
        k = min(COMMUNITY_K, len(pool.stations))
        _, i = pool.tree.query(self.eng.xy[self.arr.node], k=k)
        return i.reshape(len(self.arr), k)

    # ---- event log ----------------------------------------------------------------------
    def _log(self, t: float, kind: int, inc: int = -1, unit: int = -1, node: int = -1,
             frm: int = -1, to: int = -1) -> None:
        """Append an event row (hot paths append the tuple to ``self._ev`` directly)."""
        self._ev((t, kind, inc, unit, node, frm, to))

    # ---- alarms and dispatch --------------------------------------------------------------
    def _alarm(self, inc: Inc) -> None:
        self._ev((self.env.now, ALARM, inc.id, -1, inc.node, -1, inc.district))
        for f, count in self.needs[inc.code]:
            for _ in range(count):
                self._send(inc, f)
        if inc.air:
            self._send(inc, AIR)
        if inc.deadline < math.inf:
            t_dl = inc.onset + inc.deadline
            ev = self.env.timeout(max(t_dl - self.env.now, 0.0), value=inc)
            ev.callbacks.append(self._on_deadline)

    def _send(self, inc: Inc, f: int) -> None:
        """Dispatch one unit of force ``f`` to ``inc`` (or queue the request)."""
        pool = self.pools[f]
        now = self.env.now
        if pool.total == 0:
            self._no_unit(inc, f)
            return
        mode = pool.spec.mode
        if mode == "road":
            i, reach = self.disp.pick_road(pool, inc.node, inc.district, now)
        elif mode == "foot":
            i, reach = self.disp.pick_foot(pool, self.node_xy[inc.node], inc.near), True
        else:
            i, reach = self.disp.pick_air(pool, self.node_xy[inc.node]), True
        if i < 0:
            if reach:
                pool.queue.append(inc)
                inc.queued = True
                self._ev((now, QUEUED, inc.id, -1, inc.node, -1, inc.district))
            else:
                self._no_unit(inc, f)
            return
        self._dispatch(inc, pool, i)

    def _dispatch(self, inc: Inc, pool: Pool, i: int) -> None:
        """Send a free unit of local station ``i`` of ``pool`` to ``inc``."""
        now = self.env.now
        u = pool.take(i)
        self.busy_since[u] = now
        trip = self._depart(u, pool, i, inc, -1)  # planned now, under today's closures
        self.proc[u] = self.env.process(self._unit(u, pool, i, inc, trip))

    def _no_unit(self, inc: Inc, f: int) -> None:
        self._ev((self.env.now, NO_UNIT, inc.id, -1, inc.node, -1, inc.district))
        if inc.lead == f:
            inc.lead = -1  # nobody can lead: the first unit on scene starts the work

    # ---- a unit's busy spell ------------------------------------------------------------
    def _unit(self, u: int, pool: Pool, i: int, inc: Inc, trip: Trip):
        """Process: unit ``u`` drives ``trip`` to ``inc``, serves it (and queued incidents
        after it), then goes home."""
        env = self.env
        while True:
            while trip.arrive - env.now > 1e-9:
                try:
                    yield env.timeout(trip.arrive - env.now)
                except simpy.Interrupt:
                    pass
            self._arrive(u, pool, inc, trip)
            if not inc.cleared:
                cap = pool.spec.max_on_scene_s
                if cap is not None and pool.force != inc.lead:
                    yield env.any_of((self._done(inc), env.timeout(cap)))
                else:
                    yield self._done(inc)
            scene = inc.node
            if pool.queue:
                nxt = self._next_queued(pool, scene, i)
                if nxt is not None:
                    inc = nxt
                    trip = self._depart(u, pool, i, inc, scene)
                    continue
            trip = self._depart_home(u, pool, i, inc, scene)
            while trip.arrive - env.now > 1e-9:
                try:
                    yield env.timeout(trip.arrive - env.now)
                except simpy.Interrupt:
                    pass
            if trip.road:
                del self.moving[u]
            if self.record:
                self._record(trip)
            nxt = self._next_queued(pool, -1, i) if pool.queue else None
            if nxt is None:
                pool.give_back(i, u)
                end = self.duration  # busy time within the run, not the drain after it
                self.busy[u] += max(min(env.now, end) - min(self.busy_since[u], end), 0.0)
                self._ev((env.now, AVAILABLE, -1, u, trip.dest, -1, -1))
                self.last_t = env.now
                return
            inc = nxt
            trip = self._depart(u, pool, i, inc, -1)

    def _turnout(self, spec: ForceSpec) -> float:
        if spec.turnout_max_s is None:
            return spec.turnout_s
        return spec.turnout_s + (spec.turnout_max_s - spec.turnout_s) * self.uniforms.next()

    def _depart(self, u: int, pool: Pool, i: int, inc: Inc, scene: int) -> Trip:
        """Start unit ``u``'s leg to ``inc`` from its station (``scene`` < 0) or a scene."""
        now = self.env.now
        spec = pool.spec
        depart = now + (spec.turnout_s if spec.turnout_max_s is None else self._turnout(spec))
        station = int(pool.stations[i])
        frm = self.station_district[station]
        node = inc.node
        if spec.mode == "road":
            p = period_of(depart)
            if scene < 0:
                origin = self.station_node[station]
                travel = float(self.rt.to_node(pool.rows[i:i + 1], node, p)[0])
            else:
                origin = scene
                travel = float(self.rt.tree(scene, p)[0][node])
            blocked = not travel < math.inf
            if blocked:  # defensive: never strand a unit
                travel = self._escorted_s(origin, node)
            trip = Trip(u, inc.id, TO_SCENE, origin, node, p, depart, depart + travel, True)
            self.moving[u] = trip
        else:
            origin, blocked = -1, False
            xy0 = pool.xy_l[i] if scene < 0 else self.node_xy[scene]
            xy1 = self.node_xy[node]
            trip = Trip(u, inc.id, TO_SCENE, scene, node, 0, depart,
                        depart + self._fly_walk(spec, xy0, xy1), False, xy0, xy1)
        self.dispatches[station] += 1
        if pool.force == inc.lead:
            inc.lead_sent = True
        ev = self._ev
        ev((now, DISPATCHED, inc.id, u, node, frm, inc.district))
        if frm != inc.district and spec.level == "district":
            # counted here, for dispatches from a station and from a scene (queue) alike
            inc.mutual_aid = True
            self.mutual[(frm, inc.district)] += 1
            ev((now, MUTUAL_AID, inc.id, u, node, frm, inc.district))
        if blocked:
            ev((now, BLOCKED, inc.id, u, origin, -1, -1))
        ev((depart, EN_ROUTE, inc.id, u, origin, -1, -1))
        return trip

    def _escorted_s(self, a: int, b: int) -> float:
        """Time (s) for a unit cut off by closures, escorted through: straight line at
        :data:`ESCORT_M_S`."""
        (x0, y0), (x1, y1) = self.node_xy[a], self.node_xy[b]
        return math.hypot(x1 - x0, y1 - y0) * 1.4 / ESCORT_M_S

    @staticmethod
    def _fly_walk(spec: ForceSpec, xy0: tuple, xy1: tuple) -> float:
        """Travel time (s) of a foot or air leg: straight line × circuity / speed (+ approach)."""
        d = math.hypot(xy1[0] - xy0[0], xy1[1] - xy0[1])
        return d * spec.circuity / spec.speed_m_s + spec.approach_s

    def _arrive(self, u: int, pool: Pool, inc: Inc, trip: Trip) -> None:
        now = self.env.now
        if trip.road:
            del self.moving[u]
            self.last_leg_s[u] = now - trip.depart
        self._ev((now, ON_SCENE, inc.id, u, inc.node, -1, -1))
        f = pool.force
        if inc.first[f] != inc.first[f]:  # NaN: first of its force
            inc.first[f] = now
        if inc.contained_s != inc.contained_s and FORCES[f] in inc.type.contain_by:
            inc.contained_s = now
        if not inc.started and not inc.cleared and (
                inc.lead < 0 or f == inc.lead or (f in GROUND and not inc.lead_sent)):
            inc.started = True
            ev = self.env.timeout(inc.work, value=inc)
            ev.callbacks.append(self._on_clear)
            if inc.done is None:
                inc.done = ev
            self._ev((now, WORK_STARTED, inc.id, u, inc.node, -1, -1))
        if self.record:
            self._record(trip)

    def _done(self, inc: Inc) -> simpy.Event:
        if inc.done is None:
            inc.done = self.env.event()
        return inc.done

    def _on_clear(self, ev: simpy.Event) -> None:
        inc: Inc = ev.value
        inc.cleared = True
        inc.cleared_s = self.env.now
        self._ev((self.env.now, CLEARED, inc.id, -1, inc.node, -1, -1))
        if inc.done is not ev:
            inc.done.succeed()

    def _next_queued(self, pool: Pool, scene: int, i: int) -> Inc | None:
        """The oldest queued incident still waiting for this force that the unit of local
        station ``i``, at ``scene`` (−1: at its station), can reach; None if none."""
        q = pool.queue
        while q and q[0].cleared:
            q.popleft()
        if not q:
            return None
        if pool.spec.mode != "road":
            return q.popleft()
        p = period_of(self.env.now + pool.spec.turnout_s)
        if scene >= 0:
            times = self.rt.tree(scene, p)[0]
            reach = lambda node: times[node] < math.inf  # noqa: E731
        else:
            reach = lambda node: self.rt.to_node(pool.rows[i:i + 1], node, p)[0] < math.inf  # noqa: E731
        for k, inc in enumerate(q):
            if not inc.cleared and reach(inc.node):
                del q[k]
                return inc
        return None

    def _depart_home(self, u: int, pool: Pool, i: int, inc: Inc, scene: int) -> Trip:
        now = self.env.now
        station = int(pool.stations[i])
        home = self.station_node[station]
        self._ev((now, RETURNING, inc.id, u, scene, -1, -1))
        if pool.spec.mode == "road":
            p = period_of(now)
            travel = self.rt.from_node(int(pool.rows[i]), scene, p)
            if not math.isfinite(travel):  # cut off by closures: escorted out the way it came
                travel = self.last_leg_s[u]
                self._ev((now, BLOCKED, inc.id, u, scene, -1, -1))
            trip = Trip(u, inc.id, RETURN, scene, home, p, now, now + travel, True)
            self.moving[u] = trip
            return trip
        xy0, xy1 = self.node_xy[scene], pool.xy_l[i]
        return Trip(u, inc.id, RETURN, scene, home, 0, now,
                    now + self._fly_walk(pool.spec, xy0, xy1), False, xy0, xy1)

    # ---- cascades ---------------------------------------------------------------------------
    def _on_deadline(self, ev: simpy.Event) -> None:
        """A leak's ignition time: escalate unless a containing unit is on scene."""
        inc: Inc = ev.value
        t_ignite = inc.onset + inc.deadline
        if inc.contained_s == inc.contained_s and inc.contained_s <= t_ignite:
            return
        now = self.env.now
        self.cascades += 1
        self._log(now, CASCADE, inc.id, node=inc.node, to=inc.district)
        det = self.eng.config.detection
        cat = self.eng.config.catalogue
        for name in inc.type.cascade:
            code = self.eng.types.index(cat[name])
            t = cat[name]
            u = self.rng.random(3)
            delay = det.cascade_min_s + u[0] * (det.cascade_max_s - det.cascade_min_s)
            alarm = max(now, t_ignite + delay)
            new = Inc(len(self.incs), code, t, inc.node, inc.district, t_ignite, alarm, 1,
                      float(t.work.quantile(u[1:2])[0]), math.inf, bool(u[2] < t.air_prob),
                      self.lead[code], cause=f"cascade:{inc.id}", parent=inc.id)
            self.incs.append(new)
            if self.pools[COMMUNITY].tree is not None:
                new.near = self.disp.nearest_posts(self.pools[COMMUNITY],
                                                   self.eng.xy[inc.node])[1].tolist()
            self.env.timeout(alarm - now, value=new).callbacks.append(
                lambda e: self._alarm(e.value))

    # ---- closures and re-routing ------------------------------------------------------------
    def _closure(self, c: ClosureEvent):
        """Process: close the edges of ``c`` over [start, end)."""
        env = self.env
        edges = np.asarray(c.edges, np.int64)
        if c.start_s > env.now:
            yield env.timeout(c.start_s - env.now)
        self._closures_changed(CLOSURE_START, edges, +1)
        if c.end_s < self.duration:
            yield env.timeout(c.end_s - env.now)
            self._closures_changed(CLOSURE_END, edges, -1)

    def _closures_changed(self, kind: int, edges: np.ndarray, delta: int) -> None:
        """Apply a closure change; units on the road whose way it may touch re-plan."""
        now = self.env.now
        a, b, k = self.rt.closed_pairs(edges)
        suspects = []
        for u in sorted(self.moving):
            trip = self.moving[u]
            if trip.arrive <= now:
                continue
            w = (self.eng.net.edge_time_s * self.rt.factors[trip.period])[k]
            if self.rt.may_use(trip.origin, trip.dest, trip.arrive - trip.depart, a, b, w,
                               trip.period):
                self._ensure_path(trip)  # its path under the old closures
                suspects.append(trip)
        np.add.at(self.closed_count, edges, delta)
        self.rt.set_closed(self.closed_count > 0)
        self._log(now, kind)
        for trip in suspects:
            self._reroute(trip)
        self._retry_queues()

    def _retry_queues(self) -> None:
        """After a closure change, queued requests a free road unit can now reach are sent
        (in queue order)."""
        for pool in self.pools:
            if not pool.queue or pool.spec.mode != "road":
                continue
            waiting, pool.queue = pool.queue, deque()
            for inc in waiting:
                if inc.cleared:
                    continue
                if not pool.free.any():
                    pool.queue.append(inc)
                    continue
                i, _ = self.disp.pick_road(pool, inc.node, inc.district, self.env.now)
                if i < 0:
                    pool.queue.append(inc)
                else:
                    self._dispatch(inc, pool, i)

    def _weights(self, path: list[int], p: int) -> np.ndarray:
        """Travel time (s) of each step of ``path`` in period ``p`` under the current
        closures; ``inf`` where the edge is closed (0 where no edge joins the nodes)."""
        if len(path) < 2:
            return np.zeros(0)
        return np.asarray(self.rt.matrix(p)[path[:-1], path[1:]], float).ravel()

    def _path_times(self, path: list[int], p: int) -> list[float]:
        """Cumulative travel time (s) at each node of ``path`` (period ``p``, current state)."""
        return [0.0] + np.cumsum(self._weights(path, p)).tolist()

    def _ensure_path(self, trip: Trip) -> None:
        """Rebuild a road trip's node path and node times (from predecessor arrays)."""
        if trip.path is not None:
            return
        if trip.leg == RETURN:
            pred = self.rt.tree(trip.dest, trip.period, reverse=True)[1]
            path = _walk(pred, trip.origin, trip.dest, forward=True)
        else:
            pred = self.rt.tree(trip.origin, trip.period)[1]
            path = _walk(pred, trip.dest, trip.origin, forward=False)
        if path[0] != trip.origin or path[-1] != trip.dest:  # no road path (blocked trip)
            path = [trip.origin, trip.dest]
            cum = [0.0, 1.0]
        else:
            cum = self._path_times(path, trip.period)
        span = trip.arrive - trip.depart
        scale = span / cum[-1] if cum[-1] > 0 else 0.0
        trip.path = path
        trip.times = [trip.depart + c * scale for c in cum]

    def _reroute(self, trip: Trip) -> None:
        """Re-plan a road trip under the new closures, keeping its progress."""
        now = self.env.now
        if trip.arrive <= now or not trip.path:
            return
        if now <= trip.depart:
            k_idx = 0
        else:
            k_idx = min(bisect_right(trip.times, now), len(trip.path) - 1)
        t_pos, k = trip.times[k_idx], trip.path[k_idx]
        if k == trip.dest:
            return
        rest = trip.path[k_idx:]
        w = self._weights(rest, trip.period)
        dist, pred = self.rt.tree(k, trip.period)
        new = float(dist[trip.dest])
        if np.isfinite(w).all() and (w > 0).all() and new >= trip.arrive - t_pos - 0.5:
            return
        if not math.isfinite(new):
            self._log(now, BLOCKED, trip.inc, trip.unit, k)
            return
        tail = _walk(pred, trip.dest, k, forward=False)
        cum = self._path_times(tail, trip.period)
        trip.path = trip.path[:k_idx] + tail
        trip.times = trip.times[:k_idx] + [t_pos + c for c in cum]
        earlier = t_pos + new < trip.arrive
        trip.arrive = t_pos + new
        self._log(now, REROUTE, trip.inc, trip.unit, k)
        proc = self.proc[trip.unit]
        if earlier and not isinstance(proc.target, Initialize):
            proc.interrupt("reroute")  # wake it sooner; a later arrival needs no wake-up

    # ---- routes ---------------------------------------------------------------------------------
    def _record(self, trip: Trip) -> None:
        if trip.road:
            self._ensure_path(trip)
            path, times = trip.path, trip.times
        else:
            path, times = [trip.xy0, trip.xy1], [trip.depart, trip.arrive]
        self.routes.append((trip.unit, trip.inc, trip.leg, trip.depart, trip.arrive, trip.road,
                            path, times))


def _walk(pred: np.ndarray, start: int, stop: int, forward: bool) -> list[int]:
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
