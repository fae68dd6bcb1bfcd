"""Background traffic and what it does to road travel times, per time-of-day period.

A four-step model cut to what response times need (every figure is in
``docs/calibration.md`` with its source or range):

1. **Capacity** of each road edge and direction (veh/h): lanes × :data:`LANE_CAPACITY_VPH`
   of its class (lanes from an optional ``lanes`` column, else :data:`LANES`); bridges:
   their published lanes (:data:`BRIDGE_LANES`, else :data:`BRIDGE_LANES_DEFAULT`) ×
   :data:`BRIDGE_LANE_CAPACITY_VPH`; the street grid (:data:`CONNECTOR_CLASSES`, bridges
   excepted) is not capacity-limited.
2. **Demand** between zones (:mod:`twin.model.zones`) in the busiest hour of each period: a
   production-constrained gravity model, ``T_ij = O_i · P_j e^(−c_ij/τ) / Σ_k P_k
   e^(−c_ik/τ)``, with ``O_i`` = people × :data:`VEHICLE_TRIPS_PER_PERSON_DAY` ×
   :data:`HOUR_SHARE` of the period, ``c`` the free-flow time and τ = :data:`DETERRENCE_S`.
   Trips within a zone stay off the network.
3. **Assignment**: static user equilibrium with BPR delays (:mod:`twin.model.assignment`).
4. **Emergency vehicles** (:func:`emergency_factor`): they suffer :data:`EV_DELAY_SHARE` of
   the general traffic's delay on an edge, and are never faster than free flow.

The result is one travel-time multiplier per road edge and period — the engine's interface
(:attr:`twin.model.roads.RoadNetwork.congestion`): the engine's travel-time arrays are
built from it exactly as they were from the old fixed table. A two-way edge gets the mean of
its two directions. :func:`period_factors` caches each assignment on disk keyed by a hash
of the network, the zones, the parameters and the conditions (closures, weather).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse.csgraph import dijkstra

from twin.model import assignment, cache, zones
from twin.model.assignment import Links, assign
from twin.model.city import City
from twin.model.roads import PERIODS, RoadNetwork
from twin.model.zones import Zones, build_zones

LANE_CAPACITY_VPH: dict[str, float] = {
    "expressway": 1800.0,
    "arterial": 1000.0,
    "local": 600.0,
    "mountain": 600.0,
}
"""Capacity per lane (passenger-car units per hour) by road class; assumptions with ranges
in docs/calibration.md (expressway: uninterrupted flow; others: saturation flow × green
share at signals and side friction)."""
DEFAULT_LANE_CAPACITY_VPH = 400.0
"""Classes the table does not name (e.g. OSM ``service``)."""
CONNECTOR_CLASSES = ("local", "mountain")
"""Classes assigned without a capacity limit: the street grid by which zones reach the main
roads. A zone-level model loads each zone's trips at one node, so its one-lane streets there
would carry a whole zone (measured: the flow-weighted peak multiplier of all roads 80×, with
6 % of links over capacity); as in strategic models, congestion is kept to arterials,
expressways and the like."""
UNLIMITED_VPH = 1e9
LANES: dict[str, int] = {"expressway": 3, "arterial": 2, "local": 1, "mountain": 1}
"""Lanes per direction by class when the edges have no ``lanes`` column (assumption)."""
BRIDGE_LANES: dict[str, int] = {
    "千厮门嘉陵江大桥": 4,
    "东水门长江大桥": 4,
    "黄花园大桥": 6,
    "嘉华大桥": 8,
    "菜园坝长江大桥": 6,
    "石板坡长江大桥": 8,
    "郭家沱长江大桥": 8,
    "水土嘉陵江大桥": 6,
}
"""Published lanes (both directions) of river bridges, by the Chinese part of the edge's
``name``; sources in docs/calibration.md. An imported ``lanes`` column wins."""
BRIDGE_LANES_DEFAULT = 3
"""Lanes per direction of a bridge the table does not name (assumption, range 2–4: the
checked ones have 2–4)."""
BRIDGE_LANE_CAPACITY_VPH = 1800.0
"""Capacity per lane of a bridge span (pcu/h): uninterrupted flow, no signal on the span
(assumption, range 1,600–2,200; docs/calibration.md)."""
VEHICLE_TRIPS_PER_PERSON_DAY = 0.35
"""Motor-vehicle trips (pcu) per resident per day (from vehicles on the network per day ×
trips per vehicle, docs/calibration.md; range 0.25–0.5)."""
HOUR_SHARE: dict[str, float] = {"night": 0.01, "offpeak": 0.055, "peak": 0.09}
"""Share of the day's vehicle trips in the busiest hour of each period (assumption)."""
DETERRENCE_S = 900.0
"""τ of the gravity model's exp(−c/τ) deterrence, s of free-flow time (assumption)."""
EV_DELAY_SHARE = 0.5
"""Share of the general traffic's congestion delay an emergency vehicle suffers (assumption,
range 0.3–0.7)."""


@dataclass(frozen=True, eq=False)
class Conditions:
    """The state a network is assigned in: ``closed`` edges (mask), and per-edge factors on
    capacity and on free-flow speed (weather; 1 = unchanged). None = none."""

    closed: np.ndarray | None = None
    capacity_factor: np.ndarray | None = None
    speed_factor: np.ndarray | None = None

    def digest(self) -> bytes:
        """Bytes that identify these conditions (for the cache key)."""
        h = hashlib.sha256()
        for a in (self.closed, self.capacity_factor, self.speed_factor):
            h.update(b"-" if a is None else np.ascontiguousarray(a).tobytes())
        return h.digest()

    @property
    def is_clear(self) -> bool:
        """No closure and no weather."""
        return all(
            a is None or not np.any(a != v)
            for a, v in (
                (self.closed, False),
                (self.capacity_factor, 1.0),
                (self.speed_factor, 1.0),
            )
        )


@dataclass(frozen=True, eq=False)
class PeriodTraffic:
    """One period's equilibrium on a network: per edge the general-traffic time multiplier
    (``general``) and the emergency vehicles' (``emergency``), both on the engine's
    free-flow edge time; per edge and direction the flow (veh/h; column 0 u→v, 1 v→u)."""

    general: np.ndarray
    emergency: np.ndarray
    flow_vph: np.ndarray
    rgap: float
    backend: str
    wall_s: float


@dataclass(frozen=True, eq=False)
class Regime:
    """Emergency-vehicle multipliers (one array per period of :data:`PERIODS`) in force over
    [``start_s``, ``end_s``) of a run, e.g. while bridges are closed or rain falls."""

    start_s: float
    end_s: float
    factors: tuple[np.ndarray, ...]
    label: str = ""


@dataclass(frozen=True, eq=False)
class Traffic:
    """What the engine needs: the everyday multipliers per period and the regimes of a run."""

    base: tuple[np.ndarray, ...]
    regimes: tuple[Regime, ...] = field(default=())


def emergency_factor(general: np.ndarray, speed_factor: np.ndarray | float = 1.0) -> np.ndarray:
    """Emergency vehicles' multiplier on the free-flow edge time from the general traffic's
    (``general``, ≥ the weather's free flow ``1 / speed_factor``): they keep
    :data:`EV_DELAY_SHARE` of the congestion delay, and never beat free flow::

        ev = ff + EV_DELAY_SHARE · (general − ff),  ff = 1 / speed_factor
    """
    ff = 1.0 / np.asarray(speed_factor, float)
    return ff + EV_DELAY_SHARE * np.maximum(np.asarray(general, float) - ff, 0.0)


def lanes_per_direction(city: City) -> np.ndarray:
    """Lanes each way of every edge: the ``lanes`` column (total; half each way on two-way
    roads, at least 1) where given, else on bridges :data:`BRIDGE_LANES` (halved on two-way
    ones) or :data:`BRIDGE_LANES_DEFAULT`, else :data:`LANES` by class."""
    e = city.road_edges
    oneway = e["oneway"].to_numpy(bool)
    guess = np.array([LANES.get(c, 1) for c in e["road_class"].astype(str)], float)
    name = e["name"].fillna("").astype(str).str.split(" / ").str[0] if "name" in e else None
    if name is not None:
        total = name.map(BRIDGE_LANES).to_numpy(float)
        each = np.where(oneway, total, np.ceil(total / 2))
        bridge_each = np.where(np.isfinite(each), each, BRIDGE_LANES_DEFAULT)
        guess = np.where(e["bridge"].to_numpy(bool), bridge_each, guess)
    if "lanes" in e.columns:
        total = np.nan_to_num(np.asarray(e["lanes"], float), nan=0.0)
        each = np.where(oneway, total, np.ceil(total / 2))
        return np.where(each >= 1, each, guess)
    return guess


def capacity_vph(city: City) -> np.ndarray:
    """Capacity of every edge in each direction (veh/h): lanes × per-lane capacity (of its
    class; of a bridge span on bridges); unlimited on the street grid."""
    cls = city.road_edges["road_class"].astype(str)
    bridge = city.road_edges["bridge"].to_numpy(bool)
    per_lane = np.array([LANE_CAPACITY_VPH.get(c, DEFAULT_LANE_CAPACITY_VPH) for c in cls])
    per_lane = np.where(bridge, BRIDGE_LANE_CAPACITY_VPH, per_lane)
    connector = cls.isin(CONNECTOR_CLASSES).to_numpy() & ~bridge
    return np.where(connector, UNLIMITED_VPH, lanes_per_direction(city) * per_lane)


def links_of(net: RoadNetwork, cap: np.ndarray, cond: Conditions) -> tuple[Links, np.ndarray]:
    """Directed links of the open edges under ``cond``, and the edge index of each link:
    every open edge u→v first (in edge order), then v→u of the two-way ones."""
    open_ = np.ones(len(net.edge_ids), bool) if cond.closed is None else ~cond.closed
    k = np.flatnonzero(open_)
    two = k[~net.edge_oneway[k]]
    edge = np.concatenate([k, two])
    a = np.concatenate([net.edge_u[k], net.edge_v[two]])
    b = np.concatenate([net.edge_v[k], net.edge_u[two]])
    speed = 1.0 if cond.speed_factor is None else cond.speed_factor[edge]
    capf = 1.0 if cond.capacity_factor is None else cond.capacity_factor[edge]
    t0 = net.edge_time_s[edge] / speed
    return Links(a, b, t0, np.maximum(cap[edge] * capf, 1.0), net.n_nodes), edge


def demand_vph(net: RoadNetwork, zones: Zones, period: str) -> np.ndarray:
    """Hourly vehicle trips between zones in ``period`` (gravity model, module docstring);
    zero on the diagonal and between zones that cannot reach each other."""
    if len(zones) < 2:
        return np.zeros((len(zones), len(zones)))
    c = dijkstra(net.matrix(net.edge_time_s), directed=True, indices=zones.node)[:, zones.node]
    off = c + np.diag(np.full(len(zones), np.inf))
    c = c.copy()
    np.fill_diagonal(c, np.min(off, axis=1) / 2)  # a trip within a zone: half the nearest
    w = zones.population[None, :] * np.exp(-c / DETERRENCE_S)
    w[~np.isfinite(c)] = 0.0
    share = w / np.maximum(w.sum(axis=1, keepdims=True), 1e-300)
    o = zones.population * VEHICLE_TRIPS_PER_PERSON_DAY * HOUR_SHARE[period]
    t = o[:, None] * share
    np.fill_diagonal(t, 0.0)
    return t


def _params() -> str:
    return repr(
        (
            LANE_CAPACITY_VPH,
            DEFAULT_LANE_CAPACITY_VPH,
            LANES,
            BRIDGE_LANES,
            BRIDGE_LANES_DEFAULT,
            BRIDGE_LANE_CAPACITY_VPH,
            VEHICLE_TRIPS_PER_PERSON_DAY,
            HOUR_SHARE,
            DETERRENCE_S,
            EV_DELAY_SHARE,
            CONNECTOR_CLASSES,
            assignment.RGAP,
            assignment.MAX_ITER,
            zones.ZONE_SIZE_M,
        )
    )


def _key(net: RoadNetwork, zones: Zones, cap: np.ndarray, period: str, cond: Conditions) -> str:
    h = hashlib.sha256(net.fingerprint().encode())
    for a in (zones.node, zones.population, cap):
        h.update(np.ascontiguousarray(a).tobytes())
    h.update(_params().encode())
    h.update(period.encode())
    h.update(cond.digest())
    return h.hexdigest()[:24]


def assign_period(
    city: City,
    period: str,
    cond: Conditions = Conditions(),
    *,
    use_cache: bool = True,
    backend: str = "auto",
) -> PeriodTraffic:
    """The equilibrium of ``period`` (one of :data:`PERIODS`) on ``city``'s roads under
    ``cond``; from the cache when the same network, demand and conditions were assigned."""
    net = city.roads
    zones = build_zones(city)
    cap = capacity_vph(city)
    key = _key(net, zones, cap, period, cond)
    name = f"tt-{key}-assigned.npz"
    got = cache.load(name) if use_cache else None
    if got is not None and {"general", "flow", "meta"} <= set(got):
        g = got["general"]
        return PeriodTraffic(
            g, _emergency(g, cond), got["flow"], float(got["meta"][0]), "cache", 0.0
        )
    links, edge = links_of(net, cap, cond)
    res = assign(links, zones.node, demand_vph(net, zones, period), backend=backend)
    n = len(net.edge_ids)
    flow = np.zeros((n, 2))
    first = np.arange(len(edge)) < _n_forward(net, cond)
    flow[edge[first], 0] = res.flow_vph[first]
    flow[edge[~first], 1] = res.flow_vph[~first]
    ratio = res.time_s / net.edge_time_s[edge]
    total = np.bincount(edge, weights=ratio, minlength=n)
    count = np.bincount(edge, minlength=n)
    general = np.where(count > 0, total / np.maximum(count, 1), 1.0)
    if use_cache:
        cache.save(name, {"general": general, "flow": flow, "meta": np.array([res.rgap])})
    return PeriodTraffic(
        general, _emergency(general, cond), flow, res.rgap, res.backend, res.wall_s
    )


def _n_forward(net: RoadNetwork, cond: Conditions) -> int:
    """How many of :func:`links_of`'s links are u→v (the open edges)."""
    return len(net.edge_ids) - (0 if cond.closed is None else int(cond.closed.sum()))


def _emergency(general: np.ndarray, cond: Conditions) -> np.ndarray:
    speed = 1.0 if cond.speed_factor is None else cond.speed_factor
    return emergency_factor(general, speed)


def traffic_factors(
    city: City, cond: Conditions = Conditions(), *, use_cache: bool = True
) -> tuple[np.ndarray, ...]:
    """Emergency-vehicle multipliers per period of :data:`PERIODS` under ``cond``."""
    return tuple(assign_period(city, p, cond, use_cache=use_cache).emergency for p in PERIODS)
