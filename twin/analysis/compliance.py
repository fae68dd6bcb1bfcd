"""compliance.csv: every registered target (:mod:`twin.analysis.targets`) × scope.

One row per (target, from, scope) with ``count`` (incidents the target applies to),
``met_share`` (arrivals within the threshold / count; an incident never reached counts as
missed), and ``mean_s``, ``p50_s``, ``p90_s``, ``p95_s`` of the times of those reached
(``numpy.percentile``'s linear interpolation between order statistics).

Scopes: ``city``; ``district:<id>``; ``type:<name>``; ``cell:<id>`` (the 1 km cells; a cell
with fewer than :data:`~twin.analysis.targets.CELL_MIN_INCIDENTS` incidents shows its count
but NaN share and times); ``force:<name>`` for the headline targets (that force's own first
arrival, for the incidents needing it).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from twin.analysis.targets import (
    ARRIVAL_COLUMN,
    CELL_MIN_INCIDENTS,
    ORIGIN_COLUMN,
    PRIMARY_ORIGIN,
    RESCUE_TYPES,
    TARGETS,
    Target,
)
from twin.sim.forces import FORCE_TARGET
from twin.sim.incidents import CATALOGUE, IncidentType

COMPLIANCE_COLUMNS = [
    "target",
    "from",
    "scope",
    "count",
    "met_share",
    "mean_s",
    "p50_s",
    "p90_s",
    "p95_s",
]
SCOPES = (("district", "district_id"), ("type", "type"), ("cell", "cell_id"))


def types_needing(catalogue: dict[str, IncidentType], forces: tuple[str, ...]) -> list[str]:
    """Names of the incident types needing any of ``forces``."""
    return [name for name, t in catalogue.items() if any(f in forces for f, _ in t.needs)]


def applies(
    incidents: pd.DataFrame, arrival: str, catalogue: dict[str, IncidentType]
) -> np.ndarray:
    """Bool per incident: does a target measuring ``arrival`` apply to it."""
    if arrival == "rescue":
        return incidents["type"].isin(RESCUE_TYPES).to_numpy()
    flag = {"community": "met_10", "ground": "met_30", "full": "met_30", "air": "met_60"}
    col = flag.get(arrival)
    if col is not None and col in incidents:
        return incidents[col].notna().to_numpy()
    forces = {"community": ("community",), "fire": ("fire",), "air": ("air",)}.get(
        arrival, ("fire", "professional", "social")
    )
    return incidents["type"].isin(types_needing(catalogue, forces)).to_numpy()


def elapsed(incidents: pd.DataFrame, t: Target) -> np.ndarray | None:
    """Seconds from ``t``'s origin to its arrival per incident (NaN: never arrived);
    None when the table lacks the arrival or origin column (the engine does not record it)."""
    a, o = ARRIVAL_COLUMN[t.arrival], ORIGIN_COLUMN[t.origin]
    if a not in incidents or o not in incidents:
        return None
    return incidents[a].to_numpy(float) - incidents[o].to_numpy(float)


def stats(
    resp: np.ndarray, threshold_s: float, min_count: int = 1, known: bool = True
) -> tuple[int, float, float, float, float, float]:
    """(count, met_share, mean, p50, p90, p95) of ``resp`` (NaN = never reached, a miss).

    Fewer than ``min_count`` values, or ``known`` False: the count with NaN for the rest."""
    n = len(resp)
    if n < max(min_count, 1) or not known:
        return n, math.nan, math.nan, math.nan, math.nan, math.nan
    ok = resp[~np.isnan(resp)]
    met = float((ok <= threshold_s).sum()) / n
    if len(ok) == 0:
        return n, met, math.nan, math.nan, math.nan, math.nan
    p50, p90, p95 = np.percentile(ok, [50, 90, 95])
    return n, met, float(ok.mean()), float(p50), float(p90), float(p95)


def _grouped(
    t: Target, scope: str, keys: np.ndarray, resp: np.ndarray, known: bool, min_count: int
) -> list[tuple]:
    """Rows for every key of one scope (keys ``""`` and missing keys are skipped), sorted by
    key; each group's values in their original order (a stable sort, no pandas groupby:
    this runs for every target × scope of every run)."""
    keys = np.asarray(keys, dtype=object)
    ok = ~pd.isna(keys)
    k = keys[ok].astype(str)
    r = np.asarray(resp, float)[ok]
    keep = k != ""
    k, r = k[keep], r[keep]
    order = np.argsort(k, kind="stable")
    k, r = k[order], r[order]
    names, start = np.unique(k, return_index=True)
    stop = [*start[1:].tolist(), len(k)]
    return [
        (
            t.name,
            t.origin,
            f"{scope}:{key}",
            *stats(r[a:b], t.threshold_s, min_count, known),
        )
        for key, a, b in zip(names.tolist(), start.tolist(), stop)
    ]


def target_rows(
    incidents: pd.DataFrame,
    t: Target,
    catalogue: dict[str, IncidentType],
    cell_min: int = CELL_MIN_INCIDENTS,
) -> list[tuple]:
    """compliance rows of one target: city, districts, types, forces, cells."""
    mask = applies(incidents, t.arrival, catalogue)
    if not mask.any():
        return []
    full = elapsed(incidents, t)
    known = full is not None
    resp = (full if full is not None else np.full(len(incidents), math.nan))[mask]
    rows = [(t.name, t.origin, "city", *stats(resp, t.threshold_s, 1, known))]
    sub = incidents[mask]
    for scope, col in SCOPES:
        if col in sub:
            rows += _grouped(
                t, scope, sub[col].to_numpy(object), resp, known, cell_min if scope == "cell" else 1
            )
            if scope == "type":
                rows += _force_rows(incidents, t, catalogue)
    return rows


def _force_rows(
    incidents: pd.DataFrame, t: Target, catalogue: dict[str, IncidentType]
) -> list[tuple]:
    """``force:<name>`` rows of a headline target: that force's own first arrival."""
    rows = []
    for force, name in FORCE_TARGET.items():
        col, origin = f"first_{force}_s", ORIGIN_COLUMN[t.origin]
        if name != t.name or t.arrival == "full" or col not in incidents or origin not in incidents:
            continue
        mask = (
            incidents["met_60"].notna().to_numpy()
            if force == "air" and "met_60" in incidents
            else incidents["type"].isin(types_needing(catalogue, (force,))).to_numpy()
        )
        if mask.any():
            resp = (incidents[col].to_numpy(float) - incidents[origin].to_numpy(float))[mask]
            rows.append((t.name, t.origin, f"force:{force}", *stats(resp, t.threshold_s)))
    return rows


def compliance_table(
    incidents: pd.DataFrame,
    catalogue: dict[str, IncidentType] | None = None,
    targets: tuple[Target, ...] = TARGETS,
    cell_min: int = CELL_MIN_INCIDENTS,
) -> pd.DataFrame:
    """compliance.csv rows for every target × scope (module docstring).

    ``catalogue`` (default: the built-in one) says which types need which force."""
    catalogue = CATALOGUE if catalogue is None else catalogue
    rows: list[tuple] = []
    for t in targets:
        rows += target_rows(incidents, t, catalogue, cell_min)
    out = pd.DataFrame(rows, columns=COMPLIANCE_COLUMNS)
    return out.astype({"count": np.int64})


def primary_rows(compliance: pd.DataFrame) -> pd.DataFrame:
    """The rows measured from each target's primary origin. Rows without a ``from`` (tables
    written before the column, read with it empty) and rows of unregistered targets are kept."""
    if "from" not in compliance:
        return compliance
    want = compliance["target"].astype(str).map(PRIMARY_ORIGIN)
    origin = compliance["from"]
    keep = origin.isna() | (origin.astype(str) == want) | want.isna()
    return compliance[keep.to_numpy(bool)]
