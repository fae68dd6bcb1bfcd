"""Incidents: the catalogue of types (as data), where and when they happen, how they are detected.

**Catalogue** (:data:`CATALOGUE`). Each :class:`IncidentType` has a base rate per 100 000
people per day, the units it needs on scene (``needs``: force → count; the first listed
force the city has units of *leads*: its first unit on scene starts the work, see
:mod:`twin.sim.engine`), the on-scene work time
(:class:`LogNormal` with a documented median and 90th percentile), the probability that
air rescue is called, where it tends to happen (``risk``) and, for gas leaks, escalation:
a leak not contained (no unit of ``contain_by`` on scene) within a drawn ``deadline`` from
its onset becomes a ``gas_explosion`` plus a ``building_fire`` at the same place.

**Rates.** Sized for a city of ~10 M people (central Chongqing), in line with national
figures: China's fire and rescue services attend ~2 million call-outs a year (≈ 0.4 per
100 000 people per day; National Fire and Rescue Administration yearly statistics, rounded),
about 40 % fires and most of the rest technical rescues; cities see more per head. Minor
incidents handled by community responders alone (``community_assist``: falls at home,
welfare checks, small hazards, neighbour disputes) dominate the count: 8 per 100 000 per
day is an assumption sized so that the year totals ~300 000 incidents. Pipe-main failures
(bursts, leaks) and rain/earthquake incidents come from :mod:`twin.hazards.lifelines` as timeline
incidents; the base rates here cover only everyday events (indoor and service-line gas
leaks, service-pipe bursts, blocked drains).

**Time.** Arrivals are a Poisson process whose rate follows an hourly profile (fraction
of the daily mean per hour, :data:`PROFILE_DEFAULT` etc.), pre-generated as arrays before
the run. **Place**: a road node drawn with weight = people represented by the node
(``cells`` population split over the nodes in each cell; else district population split
over its nodes) × the type's risk factor (:func:`risk_factor`).

**Detection** (:class:`Detection`): alarm = onset + delay; a sensor raises it in 1–3 min
where it watches the place (a node within :data:`SENSOR_RADIUS_M` of a monitored pipe of
the type's network; a timeline incident is sensed exactly when it is flagged ``monitored``);
otherwise citizens call, after a lognormal delay (median 6 min, p90 15 min; a type may set
its own, e.g. buried gas leaks), 1.5× longer at night and 1.3× in remote places.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree
from scipy.special import ndtri

from twin.model.city import City
from twin.errors import TwinDataError

Z90 = 1.2815515655446004
"""Standard normal 90th percentile."""
REFERENCE_YEAR = 2025
"""Pipe ages are counted up to this year."""
SENSOR_RADIUS_M = 150.0
"""A node is watched by a pipe sensor network when a monitored pipe passes within this
distance (m) — about one block: leaks and bursts show at the nearest meter or logger."""
PIPE_RADIUS_M = 150.0
"""Pipe age at a node = age of the nearest pipe of the network within this distance (m)."""


class Distribution(Protocol):
    """A positive random duration (s), drawn by inverse CDF from uniforms."""

    def quantile(self, u: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class LogNormal:
    """Lognormal duration given its median and 90th percentile (s); ``p90 == median`` is a
    constant."""

    median_s: float
    p90_s: float

    @property
    def sigma(self) -> float:
        return math.log(self.p90_s / self.median_s) / Z90

    def quantile(self, u: np.ndarray) -> np.ndarray:
        z = ndtri(np.clip(np.asarray(u, float), 1e-12, 1 - 1e-12))
        return self.median_s * np.exp(self.sigma * z)


@dataclass(frozen=True)
class Exponential:
    """Exponential duration with mean ``mean_s`` (for queueing checks: Erlang C)."""

    mean_s: float

    def quantile(self, u: np.ndarray) -> np.ndarray:
        return -self.mean_s * np.log1p(-np.asarray(u, float))


def _profile(values: list[float]) -> tuple[float, ...]:
    a = np.asarray(values, float)
    return tuple((a / a.mean()).round(4))


PROFILE_DEFAULT = _profile([0.70, 0.55, 0.45, 0.40, 0.40, 0.45, 0.60, 0.85, 1.05, 1.20, 1.30,
                            1.30, 1.20, 1.15, 1.20, 1.25, 1.30, 1.35, 1.40, 1.40, 1.30, 1.20,
                            1.05, 0.85])
"""Hourly share of the daily mean (00:00–01:00 first): emergency calls trough at 03–05 h
(~40 % of the mean) and peak late morning and 17–20 h (~140 %), the shape reported for 119/120
call volumes in Chinese cities (assumption: a smoothed typical profile)."""
PROFILE_TRAFFIC = _profile([0.50, 0.40, 0.35, 0.30, 0.30, 0.45, 0.80, 1.60, 1.70, 1.20, 1.00,
                            1.05, 1.10, 1.00, 1.05, 1.15, 1.30, 1.70, 1.80, 1.40, 1.10, 0.95,
                            0.80, 0.65])
"""Traffic accidents follow traffic: morning (07–09 h) and evening (17–19 h) peaks."""
PROFILE_FIRE = _profile([0.80, 0.70, 0.60, 0.55, 0.50, 0.55, 0.70, 0.85, 0.95, 1.00, 1.10,
                         1.25, 1.20, 1.10, 1.10, 1.15, 1.20, 1.35, 1.45, 1.40, 1.30, 1.20,
                         1.05, 0.90])
"""Fires and gas incidents peak at meal times (cooking) and in the evening."""
PROFILE_FLAT = _profile([1.0] * 24)


@dataclass(frozen=True)
class IncidentType:
    """One kind of incident; see the module docstring. ``rate`` is per 100 000 people/day."""

    name: str
    label_zh: str
    rate: float
    needs: tuple[tuple[str, int], ...]
    work: Distribution
    air_prob: float = 0.0
    risk: str = "population"
    sensor_network: str | None = None
    profile: tuple[float, ...] = PROFILE_DEFAULT
    contain_by: tuple[str, ...] = ()
    deadline: Distribution | None = None
    cascade: tuple[str, ...] = ()
    buried_call_delay: Distribution | None = None
    """Citizens' reporting delay when the incident is on a buried pipe (a timeline incident
    with a ``pipe_id``: a main's failure or a drill on a main); None: :attr:`Detection.call`."""


def _min(m: float) -> float:
    return 60.0 * m


CATALOGUE_LIST: tuple[IncidentType, ...] = (
    IncidentType("community_assist", "社区求助", 8.0, (("community", 1),),
                 LogNormal(_min(20), _min(60))),
    IncidentType("building_fire", "建筑火灾", 0.05, (("fire", 2), ("community", 1)),
                 LogNormal(_min(60), _min(180)), profile=PROFILE_FIRE),
    IncidentType("outdoor_fire", "车辆/垃圾/草地火灾", 0.08, (("fire", 1),),
                 LogNormal(_min(25), _min(60)), profile=PROFILE_FIRE),
    IncidentType("traffic_accident", "交通事故救援", 0.06, (("fire", 1), ("community", 1)),
                 LogNormal(_min(30), _min(75)), profile=PROFILE_TRAFFIC),
    IncidentType("technical_rescue", "电梯困人等技术救援", 0.12, (("fire", 1), ("community", 1)),
                 LogNormal(_min(30), _min(90))),
    # Gas crews are part of the professional teams; either a fire crew or a gas crew on scene
    # contains a leak (isolate, ventilate, shut the valve). An uncontained leak ignites after
    # a lognormal time, median 90 min, p90 4 h (assumption). Everyday leaks (the random
    # ones: indoor appliances, service lines) are smelt at once and called in like any
    # incident (median 6 min): with units on scene ~15 min after the onset about 1 % ignite.
    # With the mains' failures added, the default city sees ~2 explosions a month (a 30-day
    # baseline run, seed 2026: 2 of 113 leaks) — the order of magnitude, though above the
    # few a year reported for Chongqing: read explosion counts against a baseline.
    # A leak from a buried main (a pipe failure or a drill on a main: an incident with a
    # pipe_id) is noticed late — gas must migrate into a building or a manhole and be
    # smelt — so citizens call after a median 20 min (p90 75 min; assumption), against
    # 1–3 min for a pressure/methane sensor on the main; some 15–20 % of those ignite.
    # That gap is what sensors buy: the ignition clock runs from the onset.
    IncidentType("gas_leak", "燃气泄漏", 0.03,
                 (("fire", 1), ("professional", 1), ("community", 1)),
                 LogNormal(_min(45), _min(120)), risk="pipe_age:gas", sensor_network="gas",
                 profile=PROFILE_FIRE, contain_by=("fire", "professional"),
                 deadline=LogNormal(_min(90), _min(240)),
                 cascade=("gas_explosion", "building_fire"),
                 buried_call_delay=LogNormal(_min(20), _min(75))),
    IncidentType("gas_explosion", "燃气爆炸", 0.0,
                 (("fire", 3), ("professional", 1), ("community", 2)),
                 LogNormal(_min(180), _min(480)), air_prob=0.1, risk="pipe_age:gas"),
    IncidentType("water_main_burst", "供水管爆管", 0.02, (("professional", 1), ("community", 1)),
                 LogNormal(_min(120), _min(360)), risk="pipe_age:water",
                 sensor_network="water"),
    IncidentType("waterlogging", "城市内涝", 0.005, (("fire", 1), ("community", 1)),
                 LogNormal(_min(90), _min(240)), risk="low_ground",
                 sensor_network="drainage"),
    IncidentType("landslide", "山体滑坡", 0.002,
                 (("professional", 1), ("fire", 1), ("community", 1)),
                 LogNormal(_min(180), _min(600)), air_prob=0.25, risk="steep"),
    IncidentType("water_rescue", "水域救援", 0.008, (("fire", 1), ("social", 1)),
                 LogNormal(_min(45), _min(120)), air_prob=0.3, risk="riverside"),
    IncidentType("hazmat", "危化品泄漏", 0.003, (("fire", 2), ("professional", 1)),
                 LogNormal(_min(120), _min(360))),
    IncidentType("building_collapse", "建筑坍塌", 0.0005,
                 (("professional", 2), ("fire", 2), ("social", 1), ("community", 2)),
                 LogNormal(_min(360), _min(1440)), air_prob=0.2),
    IncidentType("mountain_rescue", "山地救援", 0.004, (("social", 1), ("fire", 1)),
                 LogNormal(_min(180), _min(480)), air_prob=0.2, risk="steep"),
)
"""The default incident types. Rates: see the module docstring (sized to national totals;
the split between types is an assumption); work times and air-call probabilities:
assumptions from typical incident durations, not fitted to data."""
CATALOGUE: dict[str, IncidentType] = {t.name: t for t in CATALOGUE_LIST}


@dataclass(frozen=True)
class Detection:
    """Alarm delay model (s); see the module docstring. All defaults are assumptions, not
    fitted to data: sensors alarm 1–3 min after the onset (a pressure/methane logger's
    reporting interval plus confirmation); citizens call after a lognormal delay (median
    6 min, p90 15 min); ×1.5 at night (22:00–06:00, fewer people awake to notice), ×1.3 at
    remote nodes (the ``remote_share`` = 20 % of populated nodes representing the fewest
    people)."""

    sensor_min_s: float = 60.0
    sensor_max_s: float = 180.0
    call: Distribution = LogNormal(360.0, 900.0)
    night_factor: float = 1.5
    night_hours: tuple[int, int] = (22, 6)
    remote_factor: float = 1.3
    remote_share: float = 0.2
    cascade_min_s: float = 30.0
    cascade_max_s: float = 90.0
    """An explosion is heard by many: calls within 30–90 s."""

    def is_night(self, t_s: np.ndarray) -> np.ndarray:
        h = (np.asarray(t_s, float) // 3600) % 24
        a, b = self.night_hours
        return (h >= a) | (h < b)


@dataclass(frozen=True, eq=False)
class Placement:
    """Where incidents can happen: per road node, people represented, risk inputs,
    sensor coverage, remoteness, cell and district (indices)."""

    population: float
    node_people: np.ndarray
    node_district: np.ndarray
    node_cell: np.ndarray
    cell_ids: tuple[str, ...]
    elevation: np.ndarray
    grade: np.ndarray
    pipe_age: dict[str, np.ndarray]
    monitored: dict[str, np.ndarray]
    remote: np.ndarray
    _weights: dict = field(default_factory=dict, repr=False)

    def weights(self, risk: str) -> np.ndarray:
        """Cumulative placement weights over all nodes for a risk kind."""
        w = self._weights.get(risk)
        if w is None:
            w = np.cumsum(self.node_people * risk_factor(self, risk))
            self._weights[risk] = w
        return w


def risk_factor(p: Placement, risk: str) -> np.ndarray:
    """Relative likelihood per node beyond population (documented assumptions):

    - ``population``: 1;
    - ``pipe_age:<net>``: 0.5 + age/20 years of the nearest pipe (1980 pipe → 2.75), 0.5
      where the network is absent (bottled gas, private supplies);
    - ``low_ground``: exp(−(z − z₅)/25 m), capped at 1 (water ponds in the lowest places);
    - ``riverside``: exp(−(z − z₅)/15 m) (Chongqing's riverbanks are its lowest ground);
    - ``steep``: 0.05 + min((grade/8 %)², 10) of the steepest road at the node.
    """
    n = len(p.node_people)
    if risk == "population":
        return np.ones(n)
    if risk.startswith("pipe_age:"):
        age = p.pipe_age.get(risk.split(":", 1)[1])
        if age is None:
            return np.ones(n)
        return np.where(np.isnan(age), 0.5, 0.5 + np.nan_to_num(age) / 20.0)
    people = p.node_people > 0
    z = p.elevation
    z5 = np.percentile(z[people], 5) if people.any() else 0.0
    if risk == "low_ground":
        return np.minimum(np.exp(-(z - z5) / 25.0), 1.0)
    if risk == "riverside":
        return np.minimum(np.exp(-(z - z5) / 15.0), 1.0)
    if risk == "steep":
        return 0.05 + np.minimum((p.grade / 0.08) ** 2, 10.0)
    raise ValueError(f"unknown risk kind {risk!r}")


def build_placement(city: City, districts: tuple[str, ...], eligible: np.ndarray,
                    detection: Detection = Detection()) -> Placement:
    """Placement inputs for ``city``; ``eligible`` marks nodes where incidents may happen
    (core districts, reachable by road units). ``districts`` fixes district indices."""
    nodes = city.road_nodes
    n = len(nodes)
    index = {d: i for i, d in enumerate(districts)}
    node_district = np.array([index.get(d, -1) for d in nodes["district_id"]], np.int64)
    node_cell, cell_ids = _node_cells(city)
    people = _node_people(city, node_cell, node_district, eligible)
    core = _core_population(city)
    roads = city.roads
    xy = roads.xy
    ages, monitored = {}, {}
    for net in ("water", "gas", "drainage"):
        ages[net], monitored[net] = _pipe_info(city.pipes, net, xy)
    remote = np.zeros(n, bool)
    pos = people > 0
    if pos.any():
        remote[pos] = people[pos] < np.quantile(people[pos], detection.remote_share)
    return Placement(population=core if core > 0 else float(people.sum()), node_people=people,
                     node_district=node_district, node_cell=node_cell, cell_ids=cell_ids,
                     elevation=nodes["elevation_m"].to_numpy(float),
                     grade=_node_grade(city), pipe_age=ages, monitored=monitored,
                     remote=remote)


def _core_population(city: City) -> float:
    return float(city.core_districts["population"].sum())


def _node_cells(city: City) -> tuple[np.ndarray, tuple[str, ...]]:
    """Cell index of every road node (−1 outside every cell) and the cell ids."""
    cells = city.cells
    n = len(city.road_nodes)
    if cells.empty:
        return np.full(n, -1, np.int64), ()
    pts = gpd.GeoDataFrame(geometry=city.road_nodes.geometry.reset_index(drop=True),
                           crs=city.crs)
    hit = gpd.sjoin(pts, cells[["geometry"]].reset_index(drop=True), how="left",
                    predicate="within")
    hit = hit[~hit.index.duplicated(keep="first")]
    idx = hit["index_right"].fillna(-1).to_numpy(np.int64)
    return idx, tuple(cells["cell_id"].astype(str))


def _node_people(city: City, node_cell: np.ndarray, node_district: np.ndarray,
                 eligible: np.ndarray) -> np.ndarray:
    """People each eligible node stands for: its cell's population shared among the cell's
    eligible nodes (when cells cover most nodes), else its district's."""
    n = len(node_cell)
    people = np.zeros(n)
    cells = city.cells
    in_cell = eligible & (node_cell >= 0)
    if not cells.empty and cells["population"].sum() > 0 and in_cell.sum() >= 0.5 * eligible.sum():
        pop = cells["population"].to_numpy(float)
        count = np.bincount(node_cell[in_cell], minlength=len(pop))
        people[in_cell] = pop[node_cell[in_cell]] / count[node_cell[in_cell]]
        return people
    d = city.districts
    pop_by = dict(zip(d["district_id"], d["population"].astype(float)))
    ids = city.road_nodes["district_id"].to_numpy(object)
    count = pd.Series(ids[eligible]).value_counts()
    for i in np.flatnonzero(eligible):
        people[i] = pop_by.get(ids[i], 0.0) / count[ids[i]]
    return people


def _node_grade(city: City) -> np.ndarray:
    """Steepest grade (rise/run) of the road edges at each node."""
    r = city.roads
    z = city.road_nodes["elevation_m"].to_numpy(float)
    length = city.road_edges["length_m"].to_numpy(float)
    g = np.abs(z[r.edge_v] - z[r.edge_u]) / np.maximum(length, 1.0)
    g = np.where(r.edge_bridge, 0.0, np.minimum(g, 0.3))
    out = np.zeros(r.n_nodes)
    np.maximum.at(out, r.edge_u, g)
    np.maximum.at(out, r.edge_v, g)
    return out


def _pipe_info(pipes: gpd.GeoDataFrame, network: str, xy: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """Per node: age (years) of the nearest pipe of ``network`` within PIPE_RADIUS_M (NaN
    when none), and whether a monitored pipe passes within SENSOR_RADIUS_M."""
    n = len(xy)
    age = np.full(n, np.nan)
    watched = np.zeros(n, bool)
    p = pipes[pipes["network"] == network]
    if p.empty or n == 0:
        return age, watched
    pts, owner = _sample_lines(p.geometry.to_numpy(), 50.0)
    years = p["install_year"].to_numpy(float)
    dist, k = cKDTree(pts).query(xy, distance_upper_bound=PIPE_RADIUS_M)
    ok = np.isfinite(dist)
    age[ok] = np.maximum(REFERENCE_YEAR - years[owner[k[ok]]], 0.0)
    mon = p["monitored"].to_numpy(bool)
    if mon.any():
        mpts = pts[mon[owner]]
        d2, _ = cKDTree(mpts).query(xy, distance_upper_bound=SENSOR_RADIUS_M)
        watched = np.isfinite(d2)
    return age, watched


def _sample_lines(geoms: np.ndarray, step_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Points every ``step_m`` along each line (ends included) and the line each belongs to."""
    lengths = shapely.length(geoms)
    counts = np.maximum(np.ceil(lengths / step_m).astype(np.int64) + 1, 2)
    owner = np.repeat(np.arange(len(geoms)), counts)
    start = np.repeat(np.cumsum(counts) - counts, counts)
    frac = (np.arange(counts.sum()) - start) / np.repeat(counts - 1, counts)
    pts = shapely.line_interpolate_point(geoms[owner], frac, normalized=True)
    return np.column_stack([shapely.get_x(pts), shapely.get_y(pts)]), owner


@dataclass(frozen=True, eq=False)
class IncidentArrays:
    """Incidents as parallel arrays (index = incident id), sorted by onset.

    ``type`` indexes the catalogue list; ``node`` is a road node index; times in seconds
    since the start of the run; ``detected_by`` 0 sensor, 1 call, 2 script;
    ``deadline_s`` is the escalation time after onset (inf: never); ``cause`` and
    ``label`` come from the timeline (``""`` for random incidents).
    """

    onset_s: np.ndarray
    type: np.ndarray
    node: np.ndarray
    alarm_s: np.ndarray
    detected_by: np.ndarray
    work_s: np.ndarray
    deadline_s: np.ndarray
    air: np.ndarray
    cause: list[str]
    label: list[str]

    def __len__(self) -> int:
        return len(self.onset_s)


DETECTED_BY: tuple[str, ...] = ("sensor", "call", "script")


def check_types(names: list[str] | set[str], catalogue: dict[str, IncidentType],
                where: str) -> None:
    """Raise :class:`TwinDataError` naming any incident type not in ``catalogue``."""
    bad = sorted(set(names) - set(catalogue))
    if bad:
        raise TwinDataError.one(where, f"unknown incident type(s): {', '.join(bad)}",
                                f"use one of: {', '.join(catalogue)}", ids=bad,
                                title="bad scenario")


def random_incidents(catalogue: dict[str, IncidentType], placement: Placement,
                     rng: np.random.Generator, duration_s: float, rate_multiplier: float = 1.0,
                     type_multipliers: dict[str, float] | None = None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Onset times, type codes and nodes of the everyday random incidents (unsorted)."""
    type_multipliers = type_multipliers or {}
    check_types(list(type_multipliers), catalogue, "incidents.type_multipliers")
    days = max(int(math.ceil(duration_s / 86400.0)), 1)
    onset, kind, node = [], [], []
    for code, t in enumerate(catalogue.values()):
        per_day = t.rate / 1e5 * placement.population * rate_multiplier \
            * type_multipliers.get(t.name, 1.0)
        cum = placement.weights(t.risk)
        if per_day <= 0 or cum[-1] <= 0:
            continue
        n = int(rng.poisson(per_day * days))
        p = np.asarray(t.profile, float)
        hour = rng.choice(24, size=n, p=p / p.sum())
        day = rng.integers(0, days, size=n)
        ts = day * 86400.0 + hour * 3600.0 + rng.random(n) * 3600.0
        nd = np.searchsorted(cum, rng.random(n) * cum[-1], side="right")
        keep = ts < duration_s
        onset.append(ts[keep])
        kind.append(np.full(keep.sum(), code, np.int64))
        node.append(np.minimum(nd[keep], len(cum) - 1))
    if not onset:
        return np.empty(0), np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(onset), np.concatenate(kind), np.concatenate(node).astype(np.int64)


def alarm_delays(detection: Detection, placement: Placement, catalogue: list[IncidentType],
                 kind: np.ndarray, node: np.ndarray, onset: np.ndarray, monitored: np.ndarray,
                 scheduled: np.ndarray, on_pipe: np.ndarray, u: np.ndarray, v: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Detection delay (s) and ``detected_by`` code per incident, from uniforms ``u``, ``v``.

    Random incidents are sensed when a monitored pipe of the type's network is near their
    node; ``scheduled`` (timeline) incidents carry their own answer in ``monitored`` (a
    failed pipe is watched or not; a drill says "sensor" or "call"), never overridden.
    Incidents ``on_pipe`` (a buried pipe) use their type's ``buried_call_delay``.
    """
    net = np.array([t.sensor_network or "" for t in catalogue], dtype=object)[kind]
    sensed = monitored.copy()
    for name, watched in placement.monitored.items():
        sensed |= ~scheduled & (net == name) & watched[node]
    call = detection.call.quantile(u)
    for code, t in enumerate(catalogue):
        m = on_pipe & (kind == code)
        if t.buried_call_delay is not None and m.any():
            call[m] = t.buried_call_delay.quantile(u[m])
    call = call * np.where(detection.is_night(onset), detection.night_factor, 1.0)
    call = call * np.where(placement.remote[node], detection.remote_factor, 1.0)
    sensor = detection.sensor_min_s + v * (detection.sensor_max_s - detection.sensor_min_s)
    return np.where(sensed, sensor, call), np.where(sensed, 0, 1).astype(np.int64)


def draw_incidents(catalogue: dict[str, IncidentType], detection: Detection,
                   placement: Placement, rng: np.random.Generator, duration_s: float,
                   timeline_incidents: tuple = (), *, random: bool = True,
                   rate_multiplier: float = 1.0,
                   type_multipliers: dict[str, float] | None = None) -> IncidentArrays:
    """All incidents of a run as arrays: the random ones plus the timeline's, with their
    alarm times, work times, escalation deadlines and air calls drawn (one vectorised
    draw per quantity, in a fixed order: same seed, same incidents)."""
    types = list(catalogue.values())
    codes = {t.name: i for i, t in enumerate(types)}
    check_types({s.type for s in timeline_incidents}, catalogue, "timeline incidents")
    if random:
        onset, kind, node = random_incidents(catalogue, placement, rng, duration_s,
                                             rate_multiplier, type_multipliers)
    else:
        onset, kind, node = np.empty(0), np.empty(0, np.int64), np.empty(0, np.int64)
    n_rand = len(onset)
    sched = list(timeline_incidents)
    onset = np.concatenate([onset, [s.onset_s for s in sched]])
    kind = np.concatenate([kind, [codes[s.type] for s in sched]]).astype(np.int64)
    node = np.concatenate([node, [s.node for s in sched]]).astype(np.int64)
    monitored = np.concatenate([np.zeros(n_rand, bool), [s.monitored for s in sched]]).astype(bool)
    on_pipe = np.concatenate([np.zeros(n_rand, bool),
                              [s.pipe_id is not None for s in sched]]).astype(bool)
    order = np.lexsort((np.arange(len(onset)), onset))
    onset, kind, node = onset[order], kind[order], node[order]
    monitored, on_pipe = monitored[order], on_pipe[order]
    n = len(onset)
    u = rng.random((5, n))
    delay, by = alarm_delays(detection, placement, types, kind, node, onset, monitored,
                             order >= n_rand, on_pipe, u[0], u[1])
    cause = [""] * n
    label = [""] * n
    for pos in np.flatnonzero(order >= n_rand):
        s = sched[order[pos] - n_rand]
        cause[pos], label[pos] = s.cause, s.label
        if s.alarm_delay_s is not None:
            delay[pos] = s.alarm_delay_s
            by[pos] = 2 if s.cause == "script" else (0 if s.monitored else 1)
    work = np.empty(n)
    deadline = np.full(n, np.inf)
    for code, t in enumerate(types):
        m = kind == code
        if m.any():
            work[m] = t.work.quantile(u[2][m])
            if t.deadline is not None:
                deadline[m] = t.deadline.quantile(u[3][m])
    air = u[4] < np.array([t.air_prob for t in types])[kind]
    alarm = onset + delay
    # A leak that ignites before anyone reports it is reported by the explosion.
    early = onset + deadline < alarm
    alarm[early] = onset[early] + deadline[early] + detection.cascade_min_s
    return IncidentArrays(onset_s=onset, type=kind, node=node, alarm_s=alarm, detected_by=by,
                          work_s=work, deadline_s=deadline, air=air, cause=cause, label=label)
