"""Fragility (damage given shaking) and restoration of structures, pipes and buildings.

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
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import ndtr


def exceedance(im: np.ndarray, median: float | np.ndarray, beta: float) -> np.ndarray:
    """P(damage ≥ a state | intensity ``im``) for a lognormal fragility curve:
    Φ(ln(im / median) / β); 0 where ``im`` ≤ 0."""
    im = np.asarray(im, float)
    with np.errstate(divide="ignore"):
        z = np.log(np.maximum(im, 0.0) / np.asarray(median, float)) / beta
    return ndtr(z)


def damage_states(
    im: np.ndarray, medians: tuple[float, ...], beta: float, u: np.ndarray
) -> np.ndarray:
    """Damage state index (0 = none, 1 = slight, … len(medians)) for each intensity, drawn
    with the uniform numbers ``u``: the state is the number of curves with P(≥ ds) > u."""
    im = np.asarray(im, float)
    states = np.zeros(im.shape, np.int64)
    for med in medians:
        states += (np.asarray(u) < exceedance(im, med, beta)).astype(np.int64)
    return states


BRIDGE_BETA = 0.6
BRIDGE_CLASSES: dict[str, tuple[float, float, float, float]] = {
    "HWB1": (0.40, 0.50, 0.70, 0.90),  # major bridge (span > 150 m), conventional design
    "HWB2": (0.60, 0.90, 1.10, 1.70),  # major bridge, seismic design
    "HWB3": (0.80, 1.00, 1.20, 1.70),  # single span, conventional
    "HWB5": (0.25, 0.35, 0.45, 0.70),  # multi-column, simply supported concrete (non-CA)
    "HWB10": (0.60, 0.90, 1.10, 1.50),  # continuous concrete, conventional
}
"""HAZUS MR4 ch. 7: median Sa(1.0 s) in g for slight, moderate, extensive, complete."""
MAJOR_BRIDGE_M = 150.0
"""A named bridge at least this long (m, sum of its edges) counts as a major bridge (HWB1)."""
TUNNEL_BETA = 0.6
TUNNEL_CLASSES: dict[str, tuple[float, float]] = {
    "HTU1": (0.60, 0.80),  # bored / drilled
    "HTU2": (0.50, 0.70),  # cut and cover
}
"""HAZUS MR4 ch. 7: median PGA in g for slight and moderate damage of tunnels."""
STRUCTURE_RESTORATION_DAYS: dict[int, float] = {1: 0.6, 2: 2.5, 3: 75.0, 4: 230.0}
"""HAZUS MR4 ch. 7 mean restoration (days) of highway bridges by damage state; used for
tunnels too (assumption). Structures close from damage state 2 (moderate) up."""
CLOSE_FROM_STATE = 2

PIPE_K1: dict[str, float] = {
    # ALA (2001) wave-propagation factors K1 by material (typical joints; lower = more robust).
    "cast_iron": 1.0,
    "ci": 1.0,
    "grey_iron": 1.0,
    "ductile_iron": 0.5,
    "di": 0.5,
    "steel": 0.6,
    "welded_steel": 0.6,
    "asbestos_cement": 0.5,
    "ac": 0.5,
    "concrete": 1.0,
    "reinforced_concrete": 1.0,
    "pvc": 0.5,
    "upvc": 0.5,
    # Not in ALA 2001: fused polyethylene performs very well in earthquakes; assumption.
    "pe": 0.15,
    "hdpe": 0.15,
    "polyethylene": 0.15,
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


def pipe_k1(materials: np.ndarray) -> np.ndarray:
    """ALA 2001 K1 factor for each material name (case/space-insensitive)."""
    keys = pd.Series(materials, dtype=object).fillna("").astype(str).str.strip().str.lower()
    keys = keys.str.replace(r"[\s\-]+", "_", regex=True)
    return keys.map(PIPE_K1).fillna(DEFAULT_K1).to_numpy(float)


def pipe_repair_rate_per_km(pgv_cm_s: np.ndarray, materials: np.ndarray) -> np.ndarray:
    """ALA 2001 repairs per km: K1 × 0.002416 × PGV (cm/s)."""
    return pipe_k1(materials) * ALA_RR_PER_KM_PER_CM_S * np.asarray(pgv_cm_s, float)
