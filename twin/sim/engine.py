"""The response engine: a SimPy discrete-event simulation over precomputed travel times.

One process feeds the pre-generated incidents at their alarm times; each alarm asks the
:class:`~twin.sim.dispatch.Dispatcher` for the units its type needs and starts one lean SimPy
process per busy spell of a unit::

    available → dispatched (turnout) → en route → on scene → [next queued incident …]
              → returning → available

Every state change is an event row ``(t_s, kind, incident, unit, node, from, to)``.

A run (:class:`Run`) wires five parts, each a small class with one job:

- :mod:`twin.sim.events` — the event log (:class:`~twin.sim.events.EventLog`);
- :mod:`twin.sim.lifecycle` — incidents: alarms, the start and end of the work, gas-leak
  escalation (:class:`~twin.sim.lifecycle.Lifecycle`);
- :mod:`twin.sim.queues` — requests: sent to a free unit or queued, and which queued
  request a freed unit serves next (:class:`~twin.sim.queues.Queues`);
- :mod:`twin.sim.crews` — units' busy spells and their counters (:class:`~twin.sim.crews.Crews`);
- :mod:`twin.sim.movement` and :mod:`twin.sim.rerouting` — legs over roads, on foot and in
  the air, and closures with the re-routing of units under way.

The parts call each other through the few methods named in their docstrings; the run
wires the two callbacks that close the loop (``Lifecycle.send`` → ``Queues.send``,
``Queues.start`` → ``Crews.start``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy

from twin.hazards.timeline import ClosureEvent, Timeline
from twin.model.city import City
from twin.model.roads import TravelTimes
from twin.model.traffic import Traffic
from twin.sim.crews import Crews
from twin.sim.dispatch import Dispatcher, Pool, Uniforms, build_pools
from twin.sim.events import KINDS, EventLog, K, Row
from twin.sim.floodlegs import flood_legs
from twin.sim.forces import DEFAULT_FORCES, FORCES, Fleet, ForceSpec, build_fleet
from twin.sim.gcpause import collector_off
from twin.sim.incidents import (
    CATALOGUE,
    Detection,
    IncidentArrays,
    IncidentType,
    Placement,
    build_placement,
    draw_incidents,
)
from twin.sim.lifecycle import COMMUNITY, FIRE, Inc, Lifecycle, hand_over
from twin.sim.movement import LEGS, Movement, Normals, Route, Trip
from twin.sim.nearest import DEFAULT_K, reachable_nodes, road_rows, road_tables, road_times
from twin.sim.params import AirLimits, TimeChain
from twin.sim.queues import Queues
from twin.sim.readiness import Readiness
from twin.sim.reinforcement import Arrivals, Reinforcement, with_reinforcements
from twin.sim.rerouting import Closures
from twin.sim.roster import Roster
from twin.sim.seasons import Calendar
from twin.sim.surge import Surge, SurgeRule
from twin.sim.turnouts import station_turnouts

__all__ = [
    "FORCES",
    "K",
    "KINDS",
    "LEGS",
    "Engine",
    "EngineConfig",
    "Inc",
    "Run",
    "SimResult",
    "Trip",
    "simulate",
]


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
    chain: TimeChain = field(default_factory=TimeChain)
    """Call handling, night hours and travel noise (:class:`twin.sim.params.TimeChain`)."""
    policy: str = "nearest"
    """Dispatch policy of district-level forces (:data:`twin.sim.dispatch.POLICIES`)."""
    crews: str = "station"
    crews_per_station: int = 0
    """Fire crews: ``station`` (by class, or ``crews_per_station`` > 0 each) or ``vehicle``."""
    air: AirLimits = field(default_factory=AirLimits)
    """When helicopters may not fly (dark hours, fog days); air requests from the scene."""
    calendar: Calendar = field(default_factory=Calendar)
    """The run's first date and the weekly and seasonal cycles (:mod:`twin.sim.seasons`)."""
    reinforcements: tuple[Reinforcement, ...] = ()
    """Teams from outside the study area and when they arrive (:mod:`twin.sim.reinforcement`)."""
    surge: SurgeRule = field(default_factory=SurgeRule)
    """When a surge is declared and units are released (:mod:`twin.sim.surge`)."""
    tables: str = "auto"
    """``dense``, ``nearest`` (K nearest bases per node) or ``auto`` (:mod:`twin.sim.nearest`);
    a run with traffic regimes (below) uses dense tables, one set per regime."""
    nearest_k: int = DEFAULT_K
    traffic: Traffic | None = None
    """Road multipliers per period from the traffic model, and the run's regimes (closures,
    weather) (:mod:`twin.model.traffic`); None: the fixed table
    :data:`twin.model.roads.CONGESTION` (hand-made test networks)."""


@dataclass(eq=False)
class SimResult:
    """What a run produced (raw): incidents, event rows, route rows, per-unit counters.

    ``unit_busy_s``: per unit, seconds busy (dispatched until available again) within
    [0, ``duration_s``] — the drain after the run is not counted, so busy time / duration
    is a utilisation ≤ 1. ``mutual_aid``: (from district, to district) → dispatches of
    district-level units out of their station's district (from stations and from scenes)."""

    incidents: list[Inc]
    events: list[Row]
    routes: list[Route]
    unit_busy_s: np.ndarray
    station_dispatches: np.ndarray
    mutual_aid: Counter
    cascades: int
    closures: list[ClosureEvent]
    duration_s: float
    end_s: float
    engine: Engine
    surge_rows: list[tuple] = field(default_factory=list)
    """The hourly record of the run (:data:`twin.sim.surge.SURGE_COLUMNS`)."""
    surge_declared_s: list[float] = field(default_factory=list)
    """Times (s) a surge was declared."""
    arrays: IncidentArrays | None = None
    """The run's pre-drawn incidents (depth and access of flood calls)."""
    station_crews: np.ndarray | None = None
    crew_busy_s: np.ndarray | None = None
    turnouts: np.ndarray | None = None
    """Per fleet station: crews, crew-seconds out on turnouts, turnouts (None: no crews)."""


class Engine:
    """A city prepared for simulation: fleet, travel times, placement (reusable per run)."""

    def __init__(self, city: City, config: EngineConfig = EngineConfig()) -> None:
        self.city, self.config = city, config
        traffic = config.traffic
        self.net = city.roads if traffic is None else city.roads.with_congestion(traffic.base)
        self.xy = self.net.xy
        self.types = list(config.catalogue.values())
        self.districts = _district_ids(city)
        self.fleet: Fleet
        self.fleet, self.arrive_s = with_reinforcements(
            build_fleet(city, self.districts), config.reinforcements
        )
        road = np.array(
            [config.forces[FORCES[f]].mode == "road" for f in self.fleet.station_force], bool
        )
        self.sources, row = np.unique(self.fleet.station_node[road], return_inverse=True)
        self.station_row = np.full(len(self.fleet.station_ids), -1, np.int64)
        self.station_row[road] = row
        regimes = traffic.regimes if traffic is not None else ()
        mode = "dense" if regimes else config.tables  # K-nearest tables are not per regime
        rows = road_rows(self.fleet.station_force, self.station_row, config.forces)
        self.tt, self.nearest = road_tables(  # nearest: K-nearest tables, or None (dense)
            self.net, self.sources, rows, mode, config.nearest_k, config.use_cache
        )
        nets = [(r.start_s, r.end_s, city.roads.with_congestion(r.factors)) for r in regimes]
        cached = config.use_cache
        self.regimes = [(a, b, TravelTimes(n, self.sources, use_cache=cached)) for a, b, n in nets]
        """Travel times while a traffic regime holds (closures, weather): (start, end, tt)."""
        self.placement: Placement = build_placement(
            city, self.districts, self._eligible(), config.detection, config.use_cache
        )
        self.node_district = self.placement.node_district

    def _eligible(self) -> np.ndarray:
        """Nodes where incidents may happen: in core districts and reachable by road units."""
        core = set(self.city.core_districts["district_id"])
        ids = self.city.road_nodes["district_id"].to_numpy(object)
        ok = np.isin(ids, list(core)) if core else np.ones(len(ids), bool)
        if len(self.sources):
            ok &= reachable_nodes(self.net, self.sources)
        return ok

    def draw(
        self,
        rng: np.random.Generator,
        duration_s: float,
        timeline: Timeline = Timeline(),
        **kw: Any,
    ) -> IncidentArrays:
        """The run's incidents (random + timeline): :func:`twin.sim.incidents.draw_incidents`."""
        return draw_incidents(
            self.config.catalogue,
            self.config.detection,
            self.placement,
            rng,
            duration_s,
            timeline.incidents,
            chain=self.config.chain,
            calendar=self.config.calendar,
            **kw,
        )

    def run(
        self,
        incidents: IncidentArrays,
        rng: np.random.Generator,
        duration_s: float,
        timeline: Timeline = Timeline(),
        progress: Callable[[float], None] | None = None,
    ) -> SimResult:
        """Simulate ``duration_s`` s (plus the drain); collector off (:mod:`twin.sim.gcpause`)."""
        with collector_off():
            return Run(self, incidents, rng, duration_s, timeline, progress).execute()


def simulate(
    city: City,
    rng: np.random.Generator,
    duration_s: float,
    timeline: Timeline = Timeline(),
    config: EngineConfig = EngineConfig(),
    *,
    random: bool = True,
    rate_multiplier: float = 1.0,
    type_multipliers: dict[str, float] | None = None,
    density_elasticity: float = 0.0,
    progress: Callable[[float], None] | None = None,
) -> SimResult:
    """Draw the incidents (random ones and the timeline's) and simulate ``duration_s`` s on
    ``city`` with the run's one Generator ``rng``."""
    engine = Engine(city, config)
    arrays = engine.draw(
        rng,
        duration_s,
        timeline,
        random=random,
        rate_multiplier=rate_multiplier,
        type_multipliers=type_multipliers,
        density_elasticity=density_elasticity,
    )
    return engine.run(arrays, rng, duration_s, timeline, progress)


def _district_ids(city: City) -> tuple[str, ...]:
    """District ids in a fixed order: the districts layer, then any others nodes name."""
    ids = list(dict.fromkeys(city.districts["district_id"].astype(str)))
    extra = sorted(set(city.road_nodes["district_id"].astype(str)) - set(ids))
    return tuple(ids + extra)


class Run:
    """One simulation run: wires the event log, the incident lifecycle, the queues, the
    crews, their movement and the closures, and runs them to the end of the drain."""

    def __init__(
        self,
        eng: Engine,
        arr: IncidentArrays,
        rng: np.random.Generator,
        duration_s: float,
        timeline: Timeline,
        progress: Callable[[float], None] | None,
    ) -> None:
        self.eng, self.arr, self.rng = eng, arr, rng
        self.duration, self.timeline, self.progress = duration_s, timeline, progress
        env = self.env = simpy.Environment()
        fleet = eng.fleet
        self.pools: list[Pool] = build_pools(fleet, eng.config.forces, eng.station_row)
        fire = self.pools[FIRE]
        fire.turnouts = station_turnouts(eng.config, fire.stations, fleet, eng.arrive_s, duration_s)
        uniforms = Uniforms(rng)
        rt = road_times(eng.tt, eng.sources, eng.nearest, eng.regimes)
        chain = eng.config.chain
        disp = Dispatcher(self.pools, rt, uniforms, eng.config.policy)
        node_xy: list[tuple[float, float]] = [tuple(p) for p in eng.xy.tolist()]
        n_units = len(fleet.unit_ids)
        self.log = EventLog()
        det = eng.config.detection
        self.life = Lifecycle(
            env,
            self.log,
            self.pools,
            disp,
            eng.types,
            eng.config.catalogue,
            (det.cascade_min_s, det.cascade_max_s),
            rng,
            eng.xy,
            chain,
            eng.config.air.scene_request_s,
        )
        self.movement = Movement(
            rt,
            uniforms,
            node_xy,
            fleet.station_node.tolist(),
            n_units,
            eng.config.record_routes,
            chain,
            Normals(rng) if chain.travel_sigma > 0 else None,
            eng.placement.elevation.tolist(),
        )
        comm = self.pools[COMMUNITY]
        if comm.total:
            disp.roster = Roster(
                n_units, comm.spec.on_duty_share, comm.spec.duty_spell_s, Uniforms(rng).next
            )
        limits = eng.config.air
        fog = limits.fog_days(rng, int(np.ceil(duration_s / 86400.0)))
        self.queues = Queues(
            self.pools,
            disp,
            rt,
            self.log,
            self.life,
            node_xy,
            lambda: env.now,
            lambda t: limits.grounded(t, fog),
        )
        self.crews = Crews(
            env,
            self.log,
            self.movement,
            self.life,
            self.queues,
            fleet.station_district.tolist(),
            n_units,
            len(fleet.station_ids),
            duration_s,
        )
        self.closures = Closures(
            env, self.log, self.movement, eng.net.edge_time_s, self.crews.proc, self.queues.retry
        )
        self.life.send = self.queues.send
        self.queues.start = self.crews.start
        self.arrivals = Arrivals(env, self.log, self.pools, eng.arrive_s)
        self.surge = Surge(
            env,
            eng.config.surge,
            self.life,
            self.pools,
            self.queues.retry,
            self.crews.release,
            self.arrivals.count,
        )
        self.queues.surge_active = lambda: self.surge.active
        self.queues.opened = self.surge.opened
        self.crews.last_leg = flood_legs(arr, fleet, n_units)
        self.readiness = Readiness(
            env, self.log, fire, self.crews, fleet.station_node.tolist(), rng, chain, duration_s
        )

    def execute(self) -> SimResult:
        """Run to the end of the drain and collect the raw results."""
        env = self.env
        env.process(
            self.life.feed(self.arr, self.eng.node_district.tolist(), self.duration, self.progress)
        )
        closures = [c for c in self.timeline.closures if c.start_s < self.duration]
        for c in closures:
            env.process(self.closures.process(c, self.duration))
        if self.readiness.blocks:
            env.process(self.readiness.process())
        env.process(self.arrivals.process(self.duration, self.queues.retry))
        env.process(self.surge.process(self.duration))
        env.run(until=self.duration + self.eng.config.drain_s)
        self.crews.close_open_spells(self.pools)
        if self.progress is not None:
            self.progress(1.0)
        return SimResult(
            incidents=hand_over(self.life),  # type: ignore[arg-type]  # all alarmed
            events=self.log.hand_over(),
            routes=self.movement.routes,
            unit_busy_s=np.array(self.crews.busy_l, float),
            station_dispatches=np.array(self.crews.dispatch_l, np.int64),
            mutual_aid=self.crews.mutual,
            cascades=self.life.cascades,
            closures=closures,
            duration_s=self.duration,
            end_s=self.log.last_t,
            engine=self.eng,
            surge_rows=self.surge.rows,
            surge_declared_s=self.surge.declared_s,
            arrays=self.arr,
            **(t.per_station() if (t := self.pools[FIRE].turnouts) is not None else {}),
        )
