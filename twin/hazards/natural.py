"""Natural hazards as timeline events: rainstorms and earthquakes.

Every function here is pure: it reads a :class:`~twin.model.city.City` and a scenario hazard
spec and returns a :class:`~twin.hazards.timeline.Timeline` (closures, incidents, outages), drawing
randomness only from the ``numpy.random.Generator`` it is given.

Ground motion (earthquakes)
    Boore & Atkinson (2008), "Ground-motion prediction equations for the average horizontal
    component of PGA, PGV, and 5%-damped PSA at spectral periods between 0.01 s and 10.0 s",
    *Earthquake Spectra* 24(1), 99–138 ("BA08", an NGA-West1 model): median PGA and
    Sa(1.0 s) in g, PGV in cm/s, from moment magnitude, Joyner–Boore distance and Vs30;
    unspecified mechanism; coefficients from tables 3, 6, 7 (as tabulated in OpenQuake's
    ``boore_atkinson_2008.py``). We use medians (no ground-motion scatter): the randomness is
    in the damage draws. For a point source R_JB is approximated as the epicentral distance
    minus half the subsurface rupture length of Wells & Coppersmith (1994, BSSA 84(4),
    all slip types: log10 L = −2.44 + 0.59 M), i.e. a rupture pointing at the site
    (conservative). BA08 is fitted to shallow crustal events; it does not use focal depth
    (``depth_km`` only triggers a note when deeper than 25 km).

Fragility (damage probability given shaking): lognormal CDFs
    ``P(≥ ds | IM) = Φ(ln(IM / median) / β)``.

    * Highway bridges: HAZUS-MH MR4 Technical Manual (FEMA 2003) ch. 7, HWB classes: medians
      of Sa(1.0 s) with β = 0.6 (values as in the HAZUS 5.1 tables of SimCenter's pelicun
      damage database; the K_skew / K_3D modifiers are not applied). Major bridges
      (≥ :data:`MAJOR_BRIDGE_M` long: Chongqing's river crossings) are class HWB1
      (conventional design, main span > 150 m; Chongqing is a seismic-intensity-VI zone,
      so "conventional" fits); other bridges and viaducts HWB10 (continuous concrete,
      conventional).
    * Tunnels: HAZUS ch. 7, PGA medians, β = 0.6: HTU1 bored/drilled (Chongqing's
      mountain tunnels) slight 0.6 g, moderate 0.8 g.
    * Buried pipes: American Lifelines Alliance (2001), *Seismic Fragility Formulations for
      Water Systems*, wave-propagation backbone RR = K1 × 0.00187 × PGV (repairs per
      1000 ft, PGV in in/s) = K1 × 0.002416 × PGV (repairs per km, PGV in cm/s), with the
      material/joint factors K1 of its backbone tables (:data:`PIPE_K1`). Repairs are 20 % breaks and
      80 % leaks (HAZUS ch. 8 for wave-propagation damage). Applied to gas and drainage
      pipes too (an assumption; ALA 2001 is for water pipes).
    * Buildings: generic extensive/complete-damage curves on PGA (medians 0.45 g / 0.80 g,
      β 0.64, in the range of the HAZUS MR4 ch. 5 PGA-based structural fragilities for
      low/moderate-code mid-rise concrete), a collapse share of complete damage of ≈13 %
      (HAZUS ch. 13 collapse rates, concrete mid-rise) → ``building_collapse``; 5 % of extensively damaged buildings with people
      trapped → ``technical_rescue``; fire ignitions ``FIRE_IGNITIONS_PER_100K × PGA²`` per
      100 000 people,
      a rough fit to Northridge 1994 and Kobe 1995 ignition counts as compiled in
      Scawthorn, Eidinger & Schiff (2005), *Fire Following Earthquake*, ASCE TCLEE
      Monograph 26. These are documented assumptions, not a calibrated loss model.

Restoration
    Bridges and tunnels: HAZUS MR4 ch. 7 mean restoration times for highway bridges
    (moderate 2.5 days, extensive 75, complete 230). Pipe networks: HAZUS ch. 8 repair
    productivity, one crew mends 0.5 breaks or 1 leak per day, with
    :data:`REPAIR_CREWS` crews per network.

Rainstorms
    Drainage capacity :data:`DRAINAGE_CAPACITY_MM_H` = 40 mm/h: an assumption for older
    networks built to a 1–2-year design storm (GB 50014, *Standard for design of outdoor
    wastewater engineering*, now asks 3–5 years for central districts of large cities);
    Chongqing's storm-intensity formula puts the 60-minute rain of those return periods at
    roughly 35–50 mm/h.
    Where the intensity exceeds it, low ground waterlogs: in each district of the storm
    area the road nodes below a district-relative elevation quantile that grows with the
    excess, plus riverside nodes near drainage outfalls. Edges with both ends waterlogged
    (tunnels/underpasses: either end; bridges never) close from the moment the excess rain
    has ponded :data:`PONDING_MM` until :data:`DRAIN_TIME_S` after the rain stops.
    Landslides: each steep road edge (grade ≥ :data:`STEEP_GRADE`) in the area fails with a
    probability rising with the rain's ratio to the Caine (1980, *Geografiska Annaler* 62A)
    intensity–duration threshold I = 14.82 D^−0.39 (mm/h, h).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtr

from twin.model.pipes import pipe_midpoints, pipe_network, population_points
from twin.hazards.timeline import ClosureEvent, OutageEvent, ScheduledIncident, Timeline

HOUR = 3600.0
DAY = 86400.0

# ---------------------------------------------------------------------------- ground motion

VS30_M_S = 500.0
"""Site Vs30 (m/s) used everywhere: NEHRP class C, "very dense soil and soft rock" — an
assumption for Chongqing's urban core, built on Jurassic red-bed sandstone/mudstone under
thin fill."""

BA08: dict[str, dict[str, float]] = {
    # Boore & Atkinson (2008) tables 6/7 (unspecified mechanism: e1 = e_U) and table 3 (site).
    "pgv": dict(c1=-0.87370, c2=0.10060, c3=-0.00334, h=2.54, e1=5.00121, e5=0.18322,
                e6=-0.12736, e7=0.00000, mh=8.50, blin=-0.60, b1=-0.50, b2=-0.06),
    "pga": dict(c1=-0.66050, c2=0.11970, c3=-0.01151, h=1.35, e1=-0.53804, e5=0.28805,
                e6=-0.10164, e7=0.00000, mh=6.75, blin=-0.36, b1=-0.64, b2=-0.14),
    "sa1": dict(c1=-0.81830, c2=0.10270, c3=-0.00334, h=2.54, e1=-0.46896, e5=0.67880,
                e6=-0.18257, e7=0.05393, mh=6.75, blin=-0.70, b1=-0.44, b2=0.00),
}
"""BA08 coefficients for PGV (cm/s), PGA (g) and Sa(1.0 s) (g)."""


def rupture_length_km(magnitude: float) -> float:
    """Subsurface rupture length (km), Wells & Coppersmith (1994), all slip types."""
    return 10.0 ** (-2.44 + 0.59 * magnitude)


def joyner_boore_km(epicentral_km: np.ndarray, magnitude: float) -> np.ndarray:
    """Approximate R_JB (km) of a point source: epicentral distance less half the rupture."""
    return np.maximum(np.asarray(epicentral_km, float) - rupture_length_km(magnitude) / 2, 0.0)


def _ba08_source_path(c: dict[str, float], magnitude: float, rjb_km: np.ndarray) -> np.ndarray:
    dm = magnitude - c["mh"]
    fm = c["e1"] + (c["e5"] * dm + c["e6"] * dm ** 2 if dm <= 0 else c["e7"] * dm)
    r = np.sqrt(np.asarray(rjb_km, float) ** 2 + c["h"] ** 2)
    fd = (c["c1"] + c["c2"] * (magnitude - 4.5)) * np.log(r) + c["c3"] * (r - 1.0)
    return fm + fd


def _ba08_nonlinear_slope(c: dict[str, float], vs30: float) -> float:
    v1, v2, vref = 180.0, 300.0, 760.0
    if vs30 <= v1:
        return c["b1"]
    if vs30 <= v2:
        return (c["b1"] - c["b2"]) * math.log(vs30 / v2) / math.log(v1 / v2) + c["b2"]
    if vs30 < vref:
        return c["b2"] * math.log(vs30 / vref) / math.log(v2 / vref)
    return 0.0


def _ba08_site(c: dict[str, float], vs30: float, pga4nl: np.ndarray) -> np.ndarray:
    """Site amplification (ln units): linear + nonlinear terms, BA08 eqs. 6–13."""
    bnl = _ba08_nonlinear_slope(c, vs30)
    a1, a2, pga_low = 0.03, 0.09, 0.06
    dx = math.log(a2 / a1)
    dy = bnl * math.log(a2 / pga_low)
    cc = (3 * dy - bnl * dx) / dx ** 2
    dd = -(2 * dy - bnl * dx) / dx ** 3
    x = np.log(np.maximum(pga4nl, 1e-12) / a1)
    fnl = np.where(pga4nl <= a1, bnl * math.log(pga_low / 0.1),
                   np.where(pga4nl <= a2, bnl * math.log(pga_low / 0.1) + cc * x ** 2 + dd * x ** 3,
                            bnl * np.log(np.maximum(pga4nl, 1e-12) / 0.1)))
    return c["blin"] * math.log(vs30 / 760.0) + fnl


def ground_motion(magnitude: float, rjb_km: np.ndarray, vs30: float = VS30_M_S
                  ) -> dict[str, np.ndarray]:
    """Median shaking at Joyner–Boore distances ``rjb_km``: ``pga`` (g), ``pgv`` (cm/s),
    ``sa1`` (Sa at 1.0 s, g), by Boore & Atkinson (2008)."""
    rjb = np.asarray(rjb_km, float)
    pga4nl = np.exp(_ba08_source_path(BA08["pga"], magnitude, rjb))
    return {k: np.exp(_ba08_source_path(c, magnitude, rjb) + _ba08_site(c, vs30, pga4nl))
            for k, c in BA08.items()}


# -------------------------------------------------------------------------------- fragility

def exceedance(im: np.ndarray, median: float | np.ndarray, beta: float) -> np.ndarray:
    """P(damage ≥ a state | intensity ``im``) for a lognormal fragility curve:
    Φ(ln(im / median) / β); 0 where ``im`` ≤ 0."""
    im = np.asarray(im, float)
    with np.errstate(divide="ignore"):
        z = np.log(np.maximum(im, 0.0) / np.asarray(median, float)) / beta
    return ndtr(z)


def damage_states(im: np.ndarray, medians: tuple[float, ...], beta: float,
                  u: np.ndarray) -> np.ndarray:
    """Damage state index (0 = none, 1 = slight, … len(medians)) for each intensity, drawn
    with the uniform numbers ``u``: the state is the number of curves with P(≥ ds) > u."""
    im = np.asarray(im, float)
    states = np.zeros(im.shape, np.int64)
    for med in medians:
        states += (np.asarray(u) < exceedance(im, med, beta)).astype(np.int64)
    return states


BRIDGE_BETA = 0.6
BRIDGE_CLASSES: dict[str, tuple[float, float, float, float]] = {
    "HWB1": (0.40, 0.50, 0.70, 0.90),   # major bridge (span > 150 m), conventional design
    "HWB2": (0.60, 0.90, 1.10, 1.70),   # major bridge, seismic design
    "HWB3": (0.80, 1.00, 1.20, 1.70),   # single span, conventional
    "HWB5": (0.25, 0.35, 0.45, 0.70),   # multi-column, simply supported concrete (non-CA)
    "HWB10": (0.60, 0.90, 1.10, 1.50),  # continuous concrete, conventional
}
"""HAZUS MR4 ch. 7: median Sa(1.0 s) in g for slight, moderate, extensive, complete."""
MAJOR_BRIDGE_M = 150.0
"""A named bridge at least this long (m, sum of its edges) counts as a major bridge (HWB1)."""
TUNNEL_BETA = 0.6
TUNNEL_CLASSES: dict[str, tuple[float, float]] = {
    "HTU1": (0.60, 0.80),   # bored / drilled
    "HTU2": (0.50, 0.70),   # cut and cover
}
"""HAZUS MR4 ch. 7: median PGA in g for slight and moderate damage of tunnels."""
STRUCTURE_RESTORATION_DAYS: dict[int, float] = {1: 0.6, 2: 2.5, 3: 75.0, 4: 230.0}
"""HAZUS MR4 ch. 7 mean restoration (days) of highway bridges by damage state; used for
tunnels too (assumption). Structures close from damage state 2 (moderate) up."""
CLOSE_FROM_STATE = 2

PIPE_K1: dict[str, float] = {
    # ALA (2001) wave-propagation factors K1 by material (typical joints; lower = more robust).
    "cast_iron": 1.0, "ci": 1.0, "grey_iron": 1.0,
    "ductile_iron": 0.5, "di": 0.5,
    "steel": 0.6, "welded_steel": 0.6,
    "asbestos_cement": 0.5, "ac": 0.5,
    "concrete": 1.0, "reinforced_concrete": 1.0,
    "pvc": 0.5, "upvc": 0.5,
    # Not in ALA 2001: fused polyethylene performs very well in earthquakes; assumption.
    "pe": 0.15, "hdpe": 0.15, "polyethylene": 0.15,
}
DEFAULT_K1 = 1.0
"""K1 for materials the table does not know (the brittle default, conservative)."""
ALA_RR_PER_KM_PER_CM_S = 0.00187 / 0.3048 / 2.54
"""ALA 2001 backbone: 0.00187 repairs/1000 ft per in/s = 0.002416 repairs/km per cm/s."""
BREAK_SHARE = 0.2
"""Share of wave-propagation repairs that are breaks, not leaks (HAZUS ch. 8)."""
REPAIR_CREWS = 20
"""Repair crews per utility network (assumption for a city of several million)."""
BREAKS_PER_CREW_DAY = 0.5
LEAKS_PER_CREW_DAY = 1.0
"""HAZUS ch. 8 repair productivity (per crew of four per day)."""

BUILDING_COMPLETE_PGA_G = 0.80
BUILDING_EXTENSIVE_PGA_G = 0.45
BUILDING_BETA = 0.64
COLLAPSE_SHARE_OF_COMPLETE = 0.13
"""Generic structural fragility on PGA (g) and collapse share (see module docstring)."""
RESCUE_SHARE_OF_EXTENSIVE = 0.05
"""Share of buildings with extensive (or worse, not collapsed) damage where people are
trapped (lifts, jammed doors, partial collapse) and call for a technical rescue
(assumption)."""
PEOPLE_PER_BUILDING = 60.0
"""Average residents per building (assumption: Chongqing's mix of 6–8-storey walk-ups and
high-rise towers)."""
FIRE_IGNITIONS_PER_100K = 30.0
"""Ignitions per 100 000 people per g² of PGA (rough fit, see module docstring)."""
MIN_SHAKING_PGA_G = 0.05
"""Below this PGA no building collapses or fires are generated."""
COLLAPSE_CALL_WINDOW_S = 15 * 60.0
"""Collapses are reported uniformly within this window after the shock (assumption)."""
FIRE_ONSET_MEAN_S = 2 * HOUR
"""Post-earthquake ignitions: exponential onset delay with this mean (most in the first
hours; Scawthorn et al. 2005)."""
QUAKE_LEAK_DELAY_S = 30 * 60.0
"""Pipe damage is reported uniformly within this window after the shock (assumption)."""


def pipe_k1(materials: np.ndarray) -> np.ndarray:
    """ALA 2001 K1 factor for each material name (case/space-insensitive)."""
    keys = pd.Series(materials, dtype=object).fillna("").astype(str).str.strip().str.lower()
    keys = keys.str.replace(r"[\s\-]+", "_", regex=True)
    return keys.map(PIPE_K1).fillna(DEFAULT_K1).to_numpy(float)


def pipe_repair_rate_per_km(pgv_cm_s: np.ndarray, materials: np.ndarray) -> np.ndarray:
    """ALA 2001 repairs per km: K1 × 0.002416 × PGV (cm/s)."""
    return pipe_k1(materials) * ALA_RR_PER_KM_PER_CM_S * np.asarray(pgv_cm_s, float)


# ------------------------------------------------------------------------------- rainstorms

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
    return float(LANDSLIDE_P_MAX * exceedance(np.array([ratio]), LANDSLIDE_RATIO_50,
                                              LANDSLIDE_BETA)[0])


def waterlogged_share(intensity_mm_h: float,
                      capacity_mm_h: float = DRAINAGE_CAPACITY_MM_H) -> float:
    """Share (quantile) of each district's lowest nodes that waterlog at this intensity."""
    excess = (intensity_mm_h - capacity_mm_h) / capacity_mm_h
    return float(np.clip(excess, 0.0, 1.0) * LOW_QUANTILE_MAX)


def area_nodes(city, district_ids: tuple[str, ...]) -> np.ndarray:
    """Boolean mask over road nodes in the given districts (empty tuple: every node)."""
    did = city.road_nodes["district_id"].astype(str)
    if not district_ids:
        return np.ones(len(did), bool)
    return did.isin(list(district_ids)).to_numpy()


def waterlogged_nodes(city, in_area: np.ndarray, intensity_mm_h: float,
                      capacity_mm_h: float = DRAINAGE_CAPACITY_MM_H) -> np.ndarray:
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


def _riverside(city, elev: np.ndarray) -> np.ndarray:
    j = city.junctions
    out = j[(j["network"] == "drainage") & (j["kind"] == "source")]
    if len(out) == 0 or len(elev) == 0:
        return np.zeros(len(elev), bool)
    from scipy.spatial import cKDTree

    oxy = np.column_stack([out.geometry.x.to_numpy(), out.geometry.y.to_numpy()])
    dist, k = cKDTree(oxy).query(city.roads.xy, distance_upper_bound=RIVERSIDE_M)
    near = np.isfinite(dist)
    oz = out["elevation_m"].to_numpy(float)
    rise = np.full(len(elev), np.inf)
    rise[near] = elev[near] - oz[k[near]]
    return near & (rise <= RIVERSIDE_RISE_M)


def flooded_edges(city, low: np.ndarray) -> np.ndarray:
    """Edge indices that close when nodes ``low`` waterlog: both ends low, or a tunnel /
    underpass with either end low; bridges never."""
    net = city.roads
    e = city.road_edges
    bridge = e["bridge"].to_numpy(bool)
    tunnel = e["tunnel"].to_numpy(bool)
    lu, lv = low[net.edge_u], low[net.edge_v]
    hit = ((lu & lv) | (tunnel & (lu | lv))) & ~bridge
    return np.flatnonzero(hit)


def edge_grades(city) -> np.ndarray:
    """|rise| / length of every road edge."""
    net = city.roads
    z = city.road_nodes["elevation_m"].to_numpy(float)
    length = np.maximum(city.road_edges["length_m"].to_numpy(float), 1.0)
    return np.abs(z[net.edge_v] - z[net.edge_u]) / length


def rainstorm_timeline(city, storm, district_ids: tuple[str, ...], run_s: float,
                       rng: np.random.Generator) -> Timeline:
    """Closures and incidents of one rainstorm (``storm``: a scenario ``Rainstorm``) over the
    road nodes of ``district_ids`` (already resolved; empty = whole city). Extra traffic
    accidents: :data:`RAIN_CRASH_INCREASE` × the catalogue's baseline ``traffic_accident``
    rate (``twin.sim.incidents.CATALOGUE``, per 100 000 people per day)."""
    from twin.sim.incidents import CATALOGUE  # noqa: PLC0415

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
        edges = flooded_edges(city, low)
        did = city.road_nodes["district_id"].astype(str).to_numpy(dtype=object)
        edge_d = did[city.roads.edge_u[edges]]
        for d in sorted(set(edge_d.tolist())):
            sel = edges[edge_d == d]
            closures.append(ClosureEvent(tuple(int(x) for x in sel), start + pond_s,
                                         end + DRAIN_TIME_S, "rainstorm: waterlogging",
                                         f"waterlogged roads, district {d}"))
        nodes = np.flatnonzero(low)
        ratio = min(excess / capacity, 1.0)
        window = (start + pond_s, end + HOUR)
        incidents += _scatter(rng, "waterlogging", nodes,
                              WATERLOGGING_CALLS_PER_NODE * len(nodes), window, "rainstorm")
        incidents += _scatter(rng, "water_rescue", nodes,
                              WATER_RESCUES_PER_NODE * ratio * len(nodes), window, "rainstorm")
        notes.append(f"rainstorm {storm.intensity_mm_h:g} mm/h: {len(nodes)} road nodes "
                     f"waterlogged, {len(edges)} edges closed")
    elif excess <= 0:
        notes.append(f"rainstorm {storm.intensity_mm_h:g} mm/h does not exceed the drainage "
                     f"capacity of {capacity:g} mm/h: no waterlogging")
    else:
        notes.append(f"rainstorm {storm.intensity_mm_h:g} mm/h exceeds the drainage capacity "
                     f"of {capacity:g} mm/h but the area has no low ground to waterlog")

    # landslides on steep roads
    p = landslide_probability(storm.intensity_mm_h, storm.duration_h)
    net = city.roads
    e = city.road_edges
    steep = ((edge_grades(city) >= STEEP_GRADE) & ~e["bridge"].to_numpy(bool)
             & ~e["tunnel"].to_numpy(bool) & in_area[net.edge_u])
    cand = np.flatnonzero(steep)
    hit = cand[rng.random(len(cand)) < p]
    if len(hit):
        onset = rng.uniform(start + dur / 2, end + 3 * HOUR, len(hit))
        clear = rng.lognormal(math.log(LANDSLIDE_CLEAR_MEDIAN_S), LANDSLIDE_CLEAR_SIGMA, len(hit))
        for k, t0, c in zip(hit, onset, clear):
            closures.append(ClosureEvent((int(k),), float(t0), float(t0 + c),
                                         "rainstorm: landslide", str(e["name"].iat[k]) or ""))
            incidents.append(ScheduledIncident(float(t0), "landslide", int(net.edge_u[k]),
                                               "rainstorm", label="landslide onto the road"))
    notes.append(f"rainstorm: {len(hit)} landslides on {len(cand)} steep road edges "
                 f"(p = {p:.4f} each)")

    # more traffic accidents in the rain
    rate = CATALOGUE["traffic_accident"].rate
    pop = _area_population(city, in_area)
    extra = RAIN_CRASH_INCREASE * rate * pop / 1e5 * (storm.duration_h / 24.0)
    incidents += _scatter(rng, "traffic_accident", np.flatnonzero(in_area), extra,
                          (start, end), "rainstorm")

    incidents = [i for i in incidents if i.onset_s < run_s]
    closures = [c for c in closures if c.start_s < run_s]
    return Timeline(incidents=tuple(sorted(incidents, key=lambda i: i.onset_s)),
                    closures=tuple(sorted(closures, key=lambda c: c.start_s)),
                    notes=tuple(notes))


def _area_population(city, in_area: np.ndarray) -> float:
    """People living on the road nodes of the area (nearest-node assignment)."""
    pts, pop, _ = population_points(city)
    if len(pts) == 0 or not in_area.any():
        return 0.0
    idx, _ = city.roads.snap(pts)
    return float(pop[in_area[idx]].sum())


def _scatter(rng: np.random.Generator, kind: str, nodes: np.ndarray, expected: float,
             window: tuple[float, float], cause: str) -> list[ScheduledIncident]:
    """Poisson(expected) incidents of ``kind`` at random ``nodes``, onsets uniform in window."""
    if len(nodes) == 0 or expected <= 0:
        return []
    n = int(rng.poisson(expected))
    at = rng.choice(nodes, size=n, replace=True)
    onset = rng.uniform(window[0], window[1], n)
    return [ScheduledIncident(float(t), kind, int(k), cause) for t, k in zip(onset, at)]


# ------------------------------------------------------------------------------ earthquakes

@dataclass(frozen=True)
class Shaking:
    """Median shaking at a set of points: PGA and Sa(1 s) in g, PGV in cm/s, R_JB in km."""

    pga: np.ndarray
    pgv: np.ndarray
    sa1: np.ndarray
    rjb_km: np.ndarray


def shaking_at(xy: np.ndarray, epicentre_xy: np.ndarray, magnitude: float) -> Shaking:
    """Median ground motion at points ``xy`` (metres, city CRS) from an epicentre."""
    xy = np.asarray(xy, float).reshape(-1, 2)
    epi_km = np.hypot(*(xy - np.asarray(epicentre_xy, float)).T) / 1000.0
    rjb = joyner_boore_km(epi_km, magnitude)
    gm = ground_motion(magnitude, rjb)
    return Shaking(gm["pga"], gm["pgv"], gm["sa1"], rjb)


def structures(city, kind: str) -> pd.DataFrame:
    """Bridges or tunnels (``kind`` = "bridge" | "tunnel") as structures: edges grouped by
    name (unnamed edges each on their own), with the structure's edges, length and centre."""
    e = city.road_edges
    idx = np.flatnonzero(e[kind].to_numpy(bool))
    if len(idx) == 0:
        return pd.DataFrame({"key": [], "name": [], "edges": [], "length_m": [], "x": [], "y": []})
    names = e["name"].astype(str).to_numpy(dtype=object)[idx]
    keys = np.where(names != "", names, e["edge_id"].astype(str).to_numpy(dtype=object)[idx])
    mids = e.geometry.values[idx].interpolate(0.5, normalized=True)
    frame = pd.DataFrame({"key": keys, "name": names, "edge": idx,
                          "length_m": e["length_m"].to_numpy(float)[idx],
                          "x": mids.x, "y": mids.y})
    g = frame.groupby("key", sort=True)
    return pd.DataFrame({"key": g.size().index, "name": g["name"].first().to_numpy(),
                         "edges": g["edge"].apply(lambda s: tuple(int(v) for v in s)).to_numpy(),
                         "length_m": g["length_m"].sum().to_numpy(),
                         "x": g["x"].mean().to_numpy(), "y": g["y"].mean().to_numpy()})


def bridge_class(length_m: np.ndarray) -> np.ndarray:
    """HAZUS class of each bridge structure from its length."""
    return np.where(np.asarray(length_m) >= MAJOR_BRIDGE_M, "HWB1", "HWB10")


def earthquake_timeline(city, quake, run_s: float, rng: np.random.Generator) -> Timeline:
    """Damage and incidents of one earthquake (``quake``: a scenario ``Earthquake``)."""
    t0 = quake.t_h * HOUR
    if t0 >= run_s:
        return Timeline(notes=(f"earthquake at {quake.t_h} h comes after the run ends",))
    epi = city.xy_from_lonlat(quake.lon, quake.lat)
    m = quake.magnitude
    notes = [f"earthquake M{m:g} at {quake.lon:.3f}E {quake.lat:.3f}N, depth "
             f"{quake.depth_km:g} km; ground motion Boore & Atkinson (2008), "
             f"Vs30 {VS30_M_S:g} m/s"]
    if quake.depth_km > 25:
        notes.append("earthquake deeper than 25 km: BA08 is fitted to shallow crustal events; "
                     "shaking may be overestimated")
    closures: list[ClosureEvent] = []
    incidents: list[ScheduledIncident] = []
    outages: list[OutageEvent] = []

    # bridges (Sa 1 s) and tunnels (PGA)
    for kind in ("bridge", "tunnel"):
        s = structures(city, kind)
        if len(s) == 0:
            continue
        shake = shaking_at(s[["x", "y"]].to_numpy(float), epi, m)
        u = rng.random(len(s))
        if kind == "bridge":
            cls = bridge_class(s["length_m"].to_numpy())
            state = np.zeros(len(s), np.int64)
            for c in np.unique(cls):
                sel = cls == c
                state[sel] = damage_states(shake.sa1[sel], BRIDGE_CLASSES[c], BRIDGE_BETA, u[sel])
        else:
            state = damage_states(shake.pga, TUNNEL_CLASSES["HTU1"], TUNNEL_BETA, u)
        labels = {1: "slight", 2: "moderate", 3: "extensive", 4: "complete"}
        for i in np.flatnonzero(state >= CLOSE_FROM_STATE):
            ds = int(state[i])
            days = STRUCTURE_RESTORATION_DAYS[min(ds, 4)]
            name = str(s["name"].iat[i]) or str(s["key"].iat[i])
            closures.append(ClosureEvent(tuple(s["edges"].iat[i]), t0, t0 + days * DAY,
                                         f"earthquake: {kind} damage {labels[ds]}", name))
        notes.append(f"earthquake: {int((state >= CLOSE_FROM_STATE).sum())} of {len(s)} "
                     f"{kind}s damaged (≥ moderate) and closed")

    # buried pipes
    p_inc, p_clo, p_out, p_notes = _quake_pipes(city, epi, m, t0, run_s, rng)
    incidents += p_inc
    closures += p_clo
    outages += p_out
    notes += p_notes

    # buildings: collapses (technical rescue) and fires
    incidents += _quake_buildings(city, epi, m, t0, rng)
    counts = {k: sum(1 for i in incidents if i.type == k and i.cause == "earthquake")
              for k in ("building_collapse", "technical_rescue", "building_fire")}
    notes.append("earthquake: " + ", ".join(f"{v} {k}" for k, v in counts.items()))

    incidents = [i for i in incidents if i.onset_s < run_s]
    closures = [c for c in closures if c.start_s < run_s]  # pipe cordons up to 30 min late
    return Timeline(incidents=tuple(sorted(incidents, key=lambda i: i.onset_s)),
                    closures=tuple(sorted(closures, key=lambda c: c.start_s)),
                    outages=tuple(outages), notes=tuple(notes))


def _quake_pipes(city, epi: np.ndarray, m: float, t0: float, run_s: float,
                 rng: np.random.Generator):
    """Pipe repairs from PGV (ALA 2001) → outages per network, leak/burst incidents and the
    road closures around them."""
    from twin.hazards.lifelines import REPAIR_TIME, pipe_failure_events  # noqa: PLC0415

    incidents: list[ScheduledIncident] = []
    closures: list[ClosureEvent] = []
    outages: list[OutageEvent] = []
    notes: list[str] = []
    pipes = city.pipes
    for network in ("water", "gas", "drainage"):
        net = pipe_network(city, network)
        if net.n_pipes == 0:
            continue
        mids = pipe_midpoints(city, net.pipe_rows)
        shake = shaking_at(mids, epi, m)
        materials = pipes["material"].to_numpy(dtype=object)[net.pipe_rows]
        rr = pipe_repair_rate_per_km(shake.pgv, materials)
        repairs = rng.poisson(rr * net.length_m / 1000.0)
        damaged = repairs > 0
        n_rep = int(repairs.sum())
        if n_rep == 0:
            notes.append(f"earthquake: no {network} pipe repairs")
            continue
        breaks = rng.binomial(repairs, BREAK_SHARE)
        leaks = repairs - breaks
        crew_days = breaks.sum() / BREAKS_PER_CREW_DAY + leaks.sum() / LEAKS_PER_CREW_DAY
        days = crew_days / REPAIR_CREWS
        end = t0 + max(days * DAY, REPAIR_TIME[network][0])
        out = net.out_mask(damaged)
        imp = net.impact(out)
        ids = net.pipe_ids[damaged]
        outages.append(OutageEvent(network, ",".join(map(str, ids)), t0, end, imp.junctions_out,
                                   imp.people_out, imp.districts, "earthquake"))
        notes.append(f"earthquake: {n_rep} {network} pipe repairs on {int(damaged.sum())} pipes "
                     f"({int(breaks.sum())} breaks); {imp.junctions_out} junctions and "
                     f"{imp.people_out:.0f} people out for {days:.1f} days")
        # emergencies: every gas pipe with a repair leaks; water pipes with a break burst
        if network == "gas":
            emergency = damaged
        elif network == "water":
            emergency = breaks > 0
        else:
            emergency = np.zeros(net.n_pipes, bool)
        k = np.flatnonzero(emergency)
        if len(k):
            onset = t0 + rng.uniform(0, QUAKE_LEAK_DELAY_S, len(k))
            inc, clo = pipe_failure_events(city, net.pipe_rows[k], onset, rng, cause="earthquake")
            incidents += inc
            closures += clo
    return incidents, closures, outages, notes


def _quake_buildings(city, epi: np.ndarray, m: float, t0: float,
                     rng: np.random.Generator) -> list[ScheduledIncident]:
    """Building collapses (``building_collapse``), entrapments (``technical_rescue``) and
    fires (``building_fire``) around the epicentre, Poisson per population point with means
    scaled by its people and its PGA."""
    pts, pop, _ = population_points(city)
    if len(pts) == 0:
        return []
    shake = shaking_at(pts, epi, m)
    pga = np.where(shake.pga >= MIN_SHAKING_PGA_G, shake.pga, 0.0)
    buildings = pop / PEOPLE_PER_BUILDING
    p_complete = exceedance(pga, BUILDING_COMPLETE_PGA_G, BUILDING_BETA)
    p_extensive = exceedance(pga, BUILDING_EXTENSIVE_PGA_G, BUILDING_BETA)
    collapses = rng.poisson(buildings * p_complete * COLLAPSE_SHARE_OF_COMPLETE)
    p_trapped = np.maximum(p_extensive - p_complete * COLLAPSE_SHARE_OF_COMPLETE, 0.0)
    rescues = rng.poisson(buildings * p_trapped * RESCUE_SHARE_OF_EXTENSIVE)
    fires = rng.poisson(FIRE_IGNITIONS_PER_100K * pga ** 2 * pop / 1e5)
    nodes, _ = city.roads.snap(pts)
    out: list[ScheduledIncident] = []
    trapped = "people trapped in a damaged building"
    for kind, counts, label in (("building_collapse", collapses, "building collapse"),
                                ("technical_rescue", rescues, trapped)):
        at = np.repeat(nodes, counts)
        for t, k in zip(t0 + rng.uniform(0, COLLAPSE_CALL_WINDOW_S, len(at)), at):
            out.append(ScheduledIncident(float(t), kind, int(k), "earthquake", label=label))
    at = np.repeat(nodes, fires)
    for t, k in zip(t0 + rng.exponential(FIRE_ONSET_MEAN_S, len(at)), at):
        out.append(ScheduledIncident(float(t), "building_fire", int(k), "earthquake",
                                     label="fire following earthquake"))
    return out
