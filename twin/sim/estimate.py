"""What a run will create, estimated from the scenario and the city before anything runs.

A model, not a set of caps: expected counts from the same rates the engine draws from.

- **Incidents** = everyday ones (Σ over types of ``rate`` per 100 000 people per day ×
  the core population × ``rate_multiplier`` × the type's multiplier × days, the last
  part-day weighted by the type's hourly profile) + scripted
  ones + pipe failures (:func:`twin.hazards.lifelines.failure_rates` × pipe km × years) +
  rainstorm extras (waterlogging calls and water rescues per waterlogged node, more traffic
  accidents: the same constants as :mod:`twin.hazards.rain`) + earthquake extras
  (expected collapses, entrapments and fires over the population points, and pipe repairs,
  from the same ground-motion and fragility functions).
- **Events** = incidents × (1 alarm + :data:`EVENTS_PER_UNIT_SENT` × units sent per
  incident), the units sent being the catalogue's ``needs`` (and air called at the alarm)
  weighted by each type's rate; an earthquake's incidents are counted by their own types
  (a collapse asks for 11 units, an everyday call for about 2), each with its work's start
  and end, and one ``queued`` event per unit requested (the wave swamps the fleet:
  :data:`QUEUED_PER_UNIT_SENT`).
- **Units** = Σ station units after ``fleet.scale`` and ``fleet.station_units`` (as floats,
  so that 1e12 units never overflow before they are refused).
- **Wall time** = :data:`SECONDS_PER_EVENT` × events + :data:`SECONDS_PER_UNIT` × units
  (runs over :data:`MAX_WALL_S` are refused too: a hang is as bad as a crash).
- **Memory** (bytes, beyond what the process already holds with the city loaded) =
  travel-time arrays (road-based stations × nodes × 4 B × 3 periods, twice with one-way
  streets) + :data:`BYTES_PER_INCIDENT` × incidents + :data:`BYTES_PER_EVENT` × events +
  :data:`BYTES_PER_UNIT` × units + :data:`BYTES_PER_NODE` × road nodes (+ routes when recorded; + with closures, one float64
  row per node for each dispatch that may be re-routed, at most
  :data:`REROUTE_CACHE_ENTRIES`).

The per-row byte figures are measured (``bench/estimate_check.py``: tracemalloc peaks of
short shipped runs on the embedded twin); ``tests/test_bad_inputs.py`` checks the estimate
against what shipped scenarios really create (incidents, events and memory within ×2). A run whose estimate does not fit in the machine's available memory is refused by
:func:`check_fits` with one TwinDataError (``--allow-large`` lifts it).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np

from twin.errors import TwinDataError
from twin.hazards import fragility
from twin.hazards import rain as natural
from twin.hazards.ground_motion import shaking_at
from twin.hazards.lifelines import INCIDENT_OF_NETWORK, YEAR_S, failure_rates
from twin.hazards.quake import FIRE_ONSET_MEAN_S
from twin.model.city import City
from twin.model.pipes import population_points
from twin.model.places import resolve_district
from twin.scenario.spec import Earthquake, Rainstorm, Scenario
from twin.sim.forces import DEFAULT_FORCES
from twin.sim.incidents import CATALOGUE

EVENTS_PER_UNIT_SENT = 5.0
"""dispatched, en route, on scene, returning, available (the unit state changes)."""
QUEUED_PER_UNIT_SENT = 1.0
"""``queued`` events per unit requested by an earthquake's incidents: a request waits (and
is logged once) when no suitable unit is free. The shipped earthquake opens ~4 000 sites
asking ~8 ground units each within minutes against ~360 ground units, so nearly every
request waits (range 0–1: 0 when the fleet could serve the wave at once). Everyday
incidents rarely wait and are counted without it."""
DISASTER_EVENTS_PER_INCIDENT = 3.0
"""alarm, work started, cleared: the events of an earthquake's incident besides its units'
(the everyday term counts only the alarm: the two others are within its ×2)."""
BYTES_PER_INCIDENT = 2_000.0
"""Engine record + table row + Python objects per incident (measured; see module doc)."""
BYTES_PER_EVENT = 400.0
"""Event tuple + table row per unit state change (measured)."""
BYTES_PER_NODE = 1_500.0
"""The engine's own per-road-node state (walking times, dispatch tables, time-chain draws),
measured after the engine's rebuild: ``bench/estimate_check.py`` showed the peak growth of
short baseline and drill runs 60–69 MB above the other terms on the embedded twin's 39,223
nodes (≈ 1.5–1.8 kB a node)."""
BYTES_PER_UNIT = 250.0
"""Per unit in the fleet arrays and tables (measured: 9×10⁵ units on the tiny city raise
the peak RSS by ~180 MB)."""
SECONDS_PER_EVENT = 15e-6
"""Wall time per event, whole pipeline (README "Speed": a year, 2.6 M events, in 41 s)."""
SECONDS_PER_UNIT = 12e-6
"""Wall time per unit to set up and tabulate (measured: 9×10⁵ units add ~10 s)."""
MAX_WALL_S = 3600.0
"""Refuse (without ``--allow-large``) a run estimated to take longer than this."""
BYTES_PER_ROUTE_EVENT = 1_500.0
"""Recorded path per trip when routes are recorded (measured)."""
REROUTE_CACHE_ENTRIES = 8192
"""With closures, each re-routed dispatch may cache one float64 row of times to every node
(``twin.sim.road_times.RoadTimes``, cleared beyond 8192 entries)."""
HEADROOM = 0.8
"""Refuse a run that would need more than this share of the available memory."""
GIB = 1024.0**3


@dataclass(frozen=True)
class Estimate:
    """Expected sizes of a run (counts are expectations, not caps)."""

    incidents: float
    events: float
    units: float
    travel_time_bytes: float
    memory_bytes: float
    wall_s: float

    def describe(self) -> str:
        """One line for the terminal."""
        return (
            f"~{self.incidents:,.0f} incidents, ~{self.events:,.0f} events, "
            f"{self.units:,.0f} units, ~{self.memory_bytes / GIB:.2f} GiB of memory, "
            f"~{_duration(self.wall_s)}"
        )


def _duration(s: float) -> str:
    return f"{s:,.0f} s" if s < 120 else f"{s / 60:,.0f} min" if s < 7200 else f"{s / 3600:,.1f} h"


def estimate(scenario: Scenario, city: City, *, record_routes: bool = False) -> Estimate:
    """Expected incidents, events, units and extra memory of ``scenario`` on ``city``
    (the base city: the scenario's station changes are counted here, not applied)."""
    days = scenario.days
    inc = scenario.incidents
    pop = float(city.core_districts["population"].sum())
    rates = {
        t.name: t.rate / 1e5 * pop * inc.rate_multiplier * inc.type_multipliers.get(t.name, 1.0)
        for t in CATALOGUE.values()
    }
    everyday = (
        sum(r * profile_days(CATALOGUE[t].profile, days) for t, r in rates.items())
        if inc.random
        else 0.0
    )
    extra = len(inc.scripted) + _pipe_failures(scenario, city)
    run_h = days * 24.0
    extra += sum(_rainstorm(city, s, run_h) for s in scenario.rainstorm if s.start_h < run_h)
    quake: dict[str, float] = {}
    for q in scenario.earthquake:
        if q.t_h < run_h:
            for t, n in _earthquake(city, q, run_h).items():
                quake[t] = quake.get(t, 0.0) + n
    incidents = everyday + extra + sum(quake.values())
    weights = rates if sum(rates.values()) > 0 else {t: 1.0 for t in CATALOGUE}
    total = sum(weights.values())
    sent = sum(w * _units_sent(t) for t, w in weights.items()) / total
    events = (everyday + extra) * (1.0 + EVENTS_PER_UNIT_SENT * sent) + sum(
        n * _disaster_events(t) for t, n in quake.items()
    )
    units = _units(scenario, city)
    tt = _travel_time_bytes(scenario, city)
    closures = bool(scenario.closures or scenario.rainstorm or scenario.earthquake)
    reroutes = min(incidents * sent, REROUTE_CACHE_ENTRIES) if closures else 0.0
    memory = (
        tt
        + BYTES_PER_INCIDENT * incidents
        + BYTES_PER_EVENT * events
        + BYTES_PER_UNIT * units
        + BYTES_PER_NODE * len(city.road_nodes)
        + reroutes * 8.0 * len(city.road_nodes)
        + (BYTES_PER_ROUTE_EVENT * incidents * sent if record_routes else 0.0)
    )
    wall = SECONDS_PER_EVENT * events + SECONDS_PER_UNIT * units
    return Estimate(incidents, events, units, tt, memory, wall)


def _units_sent(type_name: str) -> float:
    """Units a type's first assignment asks for (its catalogue ``needs``; air when called
    at the alarm counted by its probability)."""
    t = CATALOGUE[type_name]
    return sum(n for _, n in t.needs) + t.air_prob


def _disaster_events(type_name: str) -> float:
    """Expected events of one incident of a disaster's swamping wave (an earthquake's
    collapses, entrapments, fires and pipe repairs): the alarm, the start and the end of
    the work (:data:`DISASTER_EVENTS_PER_INCIDENT`), and per unit its type asks for the
    :data:`EVENTS_PER_UNIT_SENT` state changes plus one ``queued`` (every request of the
    wave waits: see :data:`QUEUED_PER_UNIT_SENT`)."""
    per_unit = EVENTS_PER_UNIT_SENT + QUEUED_PER_UNIT_SENT
    return DISASTER_EVENTS_PER_INCIDENT + per_unit * _units_sent(type_name)


def profile_days(profile: tuple[float, ...], days: float) -> float:
    """Expected days' worth of incidents in a run of ``days`` starting at midnight, with the
    hourly ``profile`` (as :func:`twin.sim.incidents.random_incidents` draws them): whole
    days count 1, the part of the last day the share of its hours covered."""
    p = np.asarray(profile, float)
    p = p / p.sum()
    whole = math.floor(days)
    rest_h = (days - whole) * 24.0
    hours = np.clip(rest_h - np.arange(24), 0.0, 1.0)
    return whole + float((p * hours).sum())


def _units(scenario: Scenario, city: City) -> float:
    st = city.stations
    removed = set(scenario.stations.remove)
    units = 0.0
    for sid, force, n in zip(
        st["station_id"].astype(str), st["force"].astype(str), st["units"].to_numpy(float)
    ):
        if sid in removed:
            continue
        units += scenario.fleet.station_units.get(sid, n * scenario.fleet.scale.get(force, 1.0))
    for ad in scenario.stations.add:
        units += scenario.fleet.station_units.get(ad.station_id, ad.units)
    return float(units)


def _travel_time_bytes(scenario: Scenario, city: City) -> float:
    road = {f for f, spec in DEFAULT_FORCES.items() if spec.mode == "road"}
    forces = city.stations["force"].astype(str)
    sources = int(forces.isin(road).sum()) + sum(a.force in road for a in scenario.stations.add)
    oneway = bool(city.roads.edge_oneway.any())
    return float(sources) * len(city.road_nodes) * 4.0 * 3 * (2 if oneway else 1)


def _pipe_failures(scenario: Scenario, city: City) -> float:
    pipes = city.pipes
    if not scenario.pipes.failures or len(pipes) == 0:
        return 0.0
    rate = failure_rates(pipes, scenario.pipes.failure_rate_multiplier)
    return float(
        (rate * pipes["length_m"].to_numpy(float) / 1000.0).sum() * scenario.duration_s / YEAR_S
    )


def _rainstorm(city: City, storm: Rainstorm, run_h: float) -> float:
    found = {resolve_district(city, d) for d in storm.districts}
    ids = tuple(sorted(i for i in found if i is not None))
    in_area = natural.area_nodes(city, ids)
    capacity = storm.drainage_capacity_mm_h or natural.DRAINAGE_CAPACITY_MM_H
    excess = storm.intensity_mm_h - capacity
    n_low = 0
    if excess > 0:
        n_low = int(natural.waterlogged_nodes(city, in_area, storm.intensity_mm_h, capacity).sum())
    ratio = min(max(excess, 0.0) / capacity, 1.0)
    crash = (
        natural.RAIN_CRASH_INCREASE
        * CATALOGUE["traffic_accident"].rate
        * float(city.core_districts["population"].sum())
        / 1e5
        * (min(storm.start_h + storm.duration_h, run_h) - storm.start_h)
        / 24.0
    )
    pond_h = (natural.PONDING_MM / excess) if excess > 0 else 0.0
    w0 = storm.start_h + min(storm.duration_h, pond_h)
    w1 = storm.start_h + storm.duration_h + 1.0
    inside = min(max((run_h - w0) / (w1 - w0), 0.0), 1.0)  # calls come uniformly in [w0, w1)
    return (
        n_low
        * inside
        * (natural.WATERLOGGING_CALLS_PER_NODE + natural.WATER_RESCUES_PER_NODE * ratio)
        + crash
    )


def _earthquake(city: City, quake: Earthquake, run_h: float) -> dict[str, float]:
    """Expected incidents of an earthquake within the run, per incident type."""
    pts, pop, _ = population_points(city)
    epi = city.xy_from_lonlat(quake.lon, quake.lat)
    n: dict[str, float] = {}
    if len(pts):
        shake = shaking_at(pts, epi, quake.magnitude)
        pga = np.where(shake.pga >= fragility.MIN_SHAKING_PGA_G, shake.pga, 0.0)
        buildings = pop / fragility.PEOPLE_PER_BUILDING
        p_c = fragility.exceedance(pga, fragility.BUILDING_COMPLETE_PGA_G, fragility.BUILDING_BETA)
        p_e = fragility.exceedance(pga, fragility.BUILDING_EXTENSIVE_PGA_G, fragility.BUILDING_BETA)
        collapse = buildings * p_c * fragility.COLLAPSE_SHARE_OF_COMPLETE
        trapped = (
            buildings
            * np.maximum(p_e - p_c * fragility.COLLAPSE_SHARE_OF_COMPLETE, 0.0)
            * fragility.RESCUE_SHARE_OF_EXTENSIVE
        )
        fires = (
            fragility.FIRE_IGNITIONS_PER_100K
            * pga**2
            * pop
            / 1e5
            * -math.expm1(-(run_h - quake.t_h) * 3600.0 / FIRE_ONSET_MEAN_S)
        )  # onsets exponential
        n["building_collapse"] = float(collapse.sum())
        n["technical_rescue"] = float(trapped.sum())
        n["building_fire"] = float(fires.sum())
    pipes = city.pipes
    if len(pipes):
        mid = pipes.geometry.interpolate(0.5, normalized=True)
        xy = np.column_stack([mid.x.to_numpy(), mid.y.to_numpy()])
        pgv = shaking_at(xy, epi, quake.magnitude).pgv
        rr = fragility.pipe_repair_rate_per_km(pgv, pipes["material"].astype(str).to_numpy())
        repairs = rr * pipes["length_m"].to_numpy(float) / 1000.0
        nets = pipes["network"].astype(str).to_numpy(dtype=object)
        for net, kind in INCIDENT_OF_NETWORK.items():
            n[kind] = n.get(kind, 0.0) + float(repairs[nets == net].sum())
    return n


def available_memory_bytes() -> float:
    """Memory a run may still use: ``$TWIN_MEMORY_LIMIT_MB`` if set, else the kernel's
    ``MemAvailable`` (Linux), else physical memory."""
    env = os.environ.get("TWIN_MEMORY_LIMIT_MB")
    if env:
        return float(env) * 1e6
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024.0
    except OSError:
        pass
    return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))


def check_fits(
    scenario: Scenario, city: City, *, allow_large: bool = False, record_routes: bool = False
) -> Estimate:
    """The estimate; a TwinDataError if it would not fit in memory (unless ``allow_large``)."""
    est = estimate(scenario, city, record_routes=record_routes)
    avail = available_memory_bytes()
    where = scenario.source or f"scenario {scenario.name!r}"
    fix = (
        "lower the multipliers, fleet sizes, hazard sizes or days; or, if you know the "
        "machine can take it, run again with --allow-large"
    )
    if not allow_large and not est.memory_bytes <= HEADROOM * avail:
        raise TwinDataError.one(
            where,
            f"this run would need about {est.memory_bytes / GIB:,.1f} GiB of memory "
            f"({est.describe()}); this machine has {avail / GIB:,.1f} GiB available",
            fix,
            title="run too large",
        )
    if not allow_large and not est.wall_s <= MAX_WALL_S:
        raise TwinDataError.one(
            where,
            f"this run would take about {_duration(est.wall_s)} ({est.describe()}); "
            f"runs over {_duration(MAX_WALL_S)} need --allow-large",
            fix,
            title="run too large",
        )
    return est
