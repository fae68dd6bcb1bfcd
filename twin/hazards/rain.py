"""Rainstorms as timeline events: waterlogged low roads, landslides, rain crashes.

Pure: reads a :class:`~twin.model.city.City` and a scenario ``Rainstorm`` and returns a
:class:`~twin.hazards.timeline.Timeline`, drawing randomness only from the generator it
is given.

Rainstorms
    Drainage capacity :data:`DRAINAGE_CAPACITY_MM_H` = 40 mm/h: an assumption for older
    networks built to a 1–2-year design storm (GB 50014, *Standard for design of outdoor
    wastewater engineering*, now asks 3–5 years for central districts of large cities);
    Chongqing's storm-intensity formula puts the 60-minute rain of those return periods at
    roughly 35–50 mm/h.
    Where the intensity exceeds it, low ground waterlogs: in each district of the storm
    area the road nodes below a district-relative elevation quantile that grows with the
    excess, plus riverside nodes near drainage outfalls. The water has a depth
    (:mod:`twin.hazards.flood_depth`); edges with both ends waterlogged (tunnels/underpasses:
    either end; bridges never) and water deeper than ordinary traffic can ford close from
    the moment the excess rain has ponded :data:`PONDING_MM` until :data:`DRAIN_TIME_S`
    after the rain stops. Flood calls are placed at the nearest node still open to traffic,
    with the depth and distance crews cover by vehicle, boat or on foot
    (:mod:`twin.sim.access`).
    Landslides: each steep road edge (grade ≥ :data:`STEEP_GRADE`) in the area fails with a
    probability rising with the rain's ratio to the Caine (1980, *Geografiska Annaler* 62A)
    intensity–duration threshold I = 14.82 D^−0.39 (mm/h, h).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from twin.hazards.flood_depth import TRAFFIC_WADING_M, access_points, edge_depths, node_depths
from twin.hazards.fragility import exceedance
from twin.hazards.timeline import ClosureEvent, ScheduledIncident, Timeline
from twin.model.city import City
from twin.model.pipes import population_points
from twin.scenario.spec import Rainstorm
from twin.sim.incidents import CATALOGUE

HOUR = 3600.0

DRAINAGE_CAPACITY_MM_H = 40.0
"""Rain intensity (mm/h) the older drainage networks carry (see module docstring)."""
LOW_QUANTILE_MAX = 0.05
"""At twice the capacity (and beyond), the lowest 5 % of each district's road nodes
waterlog; the share grows linearly from 0 at capacity (assumption: on the embedded twin an
80 mm/h storm over five core districts then waterlogs ~1 000 road nodes, the order of the
hundreds of 积水点 reported after Chongqing's worst storms)."""
RIVERSIDE_M = 300.0
RIVERSIDE_RISE_M = 10.0
"""Riverside low ground: nodes within 300 m of a drainage outfall and at most 10 m above it
(outfalls discharge to the Yangtze and Jialing; backwater blocks them in storms)."""
PONDING_MM = 15.0
"""Excess rain (mm above capacity) before roads on low ground are impassable (assumption)."""
DRAIN_TIME_S = 2 * HOUR
"""Waterlogged roads reopen this long after the rain stops (assumption; 1–3 h reported)."""
STEEP_GRADE = 0.10
"""Road edges at least this steep (rise/length) can be cut by landslides."""
LANDSLIDE_P_MAX = 0.005
LANDSLIDE_RATIO_50 = 3.0
LANDSLIDE_BETA = 0.6
"""P(landslide on a steep edge) = P_MAX × Φ(ln(E / E50) / β), E = intensity over the Caine
threshold (assumptions shaped by the rainfall-threshold literature)."""
LANDSLIDE_CLEAR_MEDIAN_S = 12 * HOUR
LANDSLIDE_CLEAR_SIGMA = 0.5
"""Lognormal time to clear a landslide off a road (median 12 h; assumption)."""
WATERLOGGING_CALLS_PER_NODE = 0.10
"""Expected waterlogging calls per waterlogged road node (assumption)."""
WATER_RESCUES_PER_NODE = 0.02
"""Expected water rescues (vehicles/people trapped) per waterlogged node at 2× capacity
(scaled down linearly with the excess; assumption)."""
RAIN_CRASH_INCREASE = 0.71
"""Extra traffic accidents in rain: +71 % (Qiu & Nixon 2008, Transportation Research Record
2055, meta-analysis of weather effects on crash frequency)."""


def caine_threshold_mm_h(duration_h: float) -> float:
    """Caine (1980) rainfall intensity (mm/h) above which shallow landslides start."""
    return 14.82 * max(duration_h, 1e-3) ** -0.39


def landslide_probability(intensity_mm_h: float, duration_h: float) -> float:
    """Probability that one steep road edge is cut by a landslide during the storm."""
    ratio = intensity_mm_h / caine_threshold_mm_h(duration_h)
    return float(
        LANDSLIDE_P_MAX * exceedance(np.array([ratio]), LANDSLIDE_RATIO_50, LANDSLIDE_BETA)[0]
    )


def waterlogged_share(
    intensity_mm_h: float, capacity_mm_h: float = DRAINAGE_CAPACITY_MM_H
) -> float:
    """Share (quantile) of each district's lowest nodes that waterlog at this intensity."""
    excess = (intensity_mm_h - capacity_mm_h) / capacity_mm_h
    return float(np.clip(excess, 0.0, 1.0) * LOW_QUANTILE_MAX)


def area_nodes(city: City, district_ids: tuple[str, ...]) -> np.ndarray:
    """Boolean mask over road nodes in the given districts (empty tuple: every node)."""
    did = city.road_nodes["district_id"].astype(str)
    if not district_ids:
        return np.ones(len(did), bool)
    return did.isin(list(district_ids)).to_numpy()


def waterlogged_nodes(
    city: City,
    in_area: np.ndarray,
    intensity_mm_h: float,
    capacity_mm_h: float = DRAINAGE_CAPACITY_MM_H,
) -> np.ndarray:
    """Boolean mask over road nodes that waterlog: in the area, intensity above capacity, and
    low ground (district-relative elevation quantile, or riverside near an outfall)."""
    q = waterlogged_share(intensity_mm_h, capacity_mm_h)
    nodes = city.road_nodes
    low = np.zeros(len(nodes), bool)
    if q <= 0 or not in_area.any():
        return low
    elev = nodes["elevation_m"].to_numpy(float)
    did = nodes["district_id"].astype(str).to_numpy(dtype=object)
    frame = pd.DataFrame({"d": did[in_area], "z": elev[in_area]})
    cut = frame.groupby("d")["z"].quantile(q)
    top = frame.groupby("d")["z"].max()
    threshold = pd.Series(did).map(cut).to_numpy(float)
    highest = pd.Series(did).map(top).to_numpy(float)
    # below the quantile, and never in a perfectly flat district (no low ground there)
    low = in_area & (elev <= threshold) & (elev < highest)
    return low | (in_area & _riverside(city, elev))


def _riverside(city: City, elev: np.ndarray) -> np.ndarray:
    j = city.junctions
    out = j[(j["network"] == "drainage") & (j["kind"] == "source")]
    if len(out) == 0 or len(elev) == 0:
        return np.zeros(len(elev), bool)
    oxy = np.column_stack([out.geometry.x.to_numpy(), out.geometry.y.to_numpy()])
    dist, k = cKDTree(oxy).query(city.roads.xy, distance_upper_bound=RIVERSIDE_M)
    near = np.isfinite(dist)
    oz = out["elevation_m"].to_numpy(float)
    rise = np.full(len(elev), np.inf)
    rise[near] = elev[near] - oz[k[near]]
    return near & (rise <= RIVERSIDE_RISE_M)


def flooded_edges(city: City, low: np.ndarray) -> np.ndarray:
    """Edge indices that close when nodes ``low`` waterlog: both ends low, or a tunnel /
    underpass with either end low; bridges never."""
    net = city.roads
    e = city.road_edges
    bridge = e["bridge"].to_numpy(bool)
    tunnel = e["tunnel"].to_numpy(bool)
    lu, lv = low[net.edge_u], low[net.edge_v]
    hit = ((lu & lv) | (tunnel & (lu | lv))) & ~bridge
    return np.flatnonzero(hit)


def edge_grades(city: City) -> np.ndarray:
    """|rise| / length of every road edge."""
    net = city.roads
    z = city.road_nodes["elevation_m"].to_numpy(float)
    length = np.maximum(city.road_edges["length_m"].to_numpy(float), 1.0)
    return np.abs(z[net.edge_v] - z[net.edge_u]) / length


def rainstorm_timeline(
    city: City,
    storm: Rainstorm,
    district_ids: tuple[str, ...],
    run_s: float,
    rng: np.random.Generator,
) -> Timeline:
    """Closures and incidents of one rainstorm (``storm``: a scenario ``Rainstorm``) over the
    road nodes of ``district_ids`` (already resolved; empty = whole city). Extra traffic
    accidents: :data:`RAIN_CRASH_INCREASE` × the catalogue's baseline ``traffic_accident``
    rate (``twin.sim.incidents.CATALOGUE``, per 100 000 people per day)."""
    start = storm.start_h * HOUR
    dur = storm.duration_h * HOUR
    end = start + dur
    if start >= run_s:
        return Timeline(notes=(f"rainstorm at {storm.start_h} h starts after the run ends",))
    in_area = area_nodes(city, district_ids)
    incidents: list[ScheduledIncident] = []
    closures: list[ClosureEvent] = []
    notes: list[str] = []

    # waterlogging
    capacity = storm.drainage_capacity_mm_h or DRAINAGE_CAPACITY_MM_H
    low = waterlogged_nodes(city, in_area, storm.intensity_mm_h, capacity)
    excess = storm.intensity_mm_h - capacity
    if low.any():
        pond_s = min(dur, PONDING_MM / excess * HOUR)
        depth = node_depths(city, low, excess / capacity)
        e_depth = edge_depths(city, depth)
        wet = flooded_edges(city, low)
        edges = wet[e_depth[wet] > TRAFFIC_WADING_M]  # shallower water: passable
        closed = np.zeros(len(e_depth), bool)
        closed[edges] = True
        did = city.road_nodes["district_id"].astype(str).to_numpy(dtype=object)
        edge_d = did[city.roads.edge_u[edges]]
        for d in sorted(set(edge_d.tolist())):
            sel = edges[edge_d == d]
            closures.append(
                ClosureEvent(
                    tuple(int(x) for x in sel),
                    start + pond_s,
                    end + DRAIN_TIME_S,
                    "rainstorm: waterlogging",
                    f"waterlogged roads, district {d}",
                )
            )
        nodes = np.flatnonzero(low)
        ratio = min(excess / capacity, 1.0)
        window = (start + pond_s, end + HOUR)
        flood = _scatter(
            rng,
            "waterlogging",
            nodes,
            WATERLOGGING_CALLS_PER_NODE * len(nodes),
            window,
            "rainstorm",
        )
        flood += _scatter(
            rng,
            "water_rescue",
            nodes,
            WATER_RESCUES_PER_NODE * ratio * len(nodes),
            window,
            "rainstorm",
        )
        incidents += _at_access(city, flood, depth, closed)
        notes.append(
            f"rainstorm {storm.intensity_mm_h:g} mm/h: {len(nodes)} road nodes "
            f"waterlogged (water {depth[low].min():.2f}–{depth[low].max():.2f} m), "
            f"{len(edges)} of {len(wet)} wet edges deeper than {TRAFFIC_WADING_M:g} m closed"
        )
    elif excess <= 0:
        notes.append(
            f"rainstorm {storm.intensity_mm_h:g} mm/h does not exceed the drainage "
            f"capacity of {capacity:g} mm/h: no waterlogging"
        )
    else:
        notes.append(
            f"rainstorm {storm.intensity_mm_h:g} mm/h exceeds the drainage capacity "
            f"of {capacity:g} mm/h but the area has no low ground to waterlog"
        )

    # landslides on steep roads
    p = landslide_probability(storm.intensity_mm_h, storm.duration_h)
    net = city.roads
    e = city.road_edges
    steep = (
        (edge_grades(city) >= STEEP_GRADE)
        & ~e["bridge"].to_numpy(bool)
        & ~e["tunnel"].to_numpy(bool)
        & in_area[net.edge_u]
    )
    cand = np.flatnonzero(steep)
    hit = cand[rng.random(len(cand)) < p]
    if len(hit):
        onset = rng.uniform(start + dur / 2, end + 3 * HOUR, len(hit))
        clear = rng.lognormal(math.log(LANDSLIDE_CLEAR_MEDIAN_S), LANDSLIDE_CLEAR_SIGMA, len(hit))
        for k, t0, c in zip(hit, onset, clear):
            closures.append(
                ClosureEvent(
                    (int(k),),
                    float(t0),
                    float(t0 + c),
                    "rainstorm: landslide",
                    str(e["name"].iat[k]) or "",
                )
            )
            incidents.append(
                ScheduledIncident(
                    float(t0),
                    "landslide",
                    int(net.edge_u[k]),
                    "rainstorm",
                    label="landslide onto the road",
                )
            )
    notes.append(
        f"rainstorm: {len(hit)} landslides on {len(cand)} steep road edges (p = {p:.4f} each)"
    )

    # more traffic accidents in the rain
    rate = CATALOGUE["traffic_accident"].rate
    pop = _area_population(city, in_area)
    extra = RAIN_CRASH_INCREASE * rate * pop / 1e5 * (storm.duration_h / 24.0)
    incidents += _scatter(
        rng, "traffic_accident", np.flatnonzero(in_area), extra, (start, end), "rainstorm"
    )

    incidents = [i for i in incidents if i.onset_s < run_s]
    closures = [c for c in closures if c.start_s < run_s]
    return Timeline(
        incidents=tuple(sorted(incidents, key=lambda i: i.onset_s)),
        closures=tuple(sorted(closures, key=lambda c: c.start_s)),
        notes=tuple(notes),
    )


def _at_access(
    city: City, flood: list[ScheduledIncident], depth: np.ndarray, closed: np.ndarray
) -> list[ScheduledIncident]:
    """Flood calls moved to their access nodes, with the water depth at the place and the
    distance to it (:func:`twin.hazards.flood_depth.access_points`)."""
    if not flood:
        return []
    at = np.array([i.node for i in flood], np.int64)
    access, dist = access_points(city, depth, closed, at)
    return [
        replace(i, node=int(a), depth_m=float(depth[n]), access_m=float(m))
        for i, n, a, m in zip(flood, at.tolist(), access.tolist(), dist.tolist())
    ]


def _area_population(city: City, in_area: np.ndarray) -> float:
    """People living on the road nodes of the area (nearest-node assignment)."""
    pts, pop, _ = population_points(city)
    if len(pts) == 0 or not in_area.any():
        return 0.0
    idx, _ = city.roads.snap(pts)
    return float(pop[in_area[idx]].sum())


def _scatter(
    rng: np.random.Generator,
    kind: str,
    nodes: np.ndarray,
    expected: float,
    window: tuple[float, float],
    cause: str,
) -> list[ScheduledIncident]:
    """Poisson(expected) incidents of ``kind`` at random ``nodes``, onsets uniform in window."""
    if len(nodes) == 0 or expected <= 0:
        return []
    n = int(rng.poisson(expected))
    at = rng.choice(nodes, size=n, replace=True)
    onset = rng.uniform(window[0], window[1], n)
    return [ScheduledIncident(float(t), kind, int(k), cause) for t, k in zip(onset, at)]
