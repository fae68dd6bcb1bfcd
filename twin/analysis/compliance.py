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
    codes, names = scope_keys(keys)
    return _grouped_codes(t, scope, codes, names, resp, known, min_count)


def scope_keys(keys: np.ndarray | pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(code per key, the distinct keys as text, sorted): keys compared as text, missing
    keys and ``""`` coded −1 (skipped). Done once per column for all targets."""
    k = np.asarray(keys, dtype=object)
    names, codes = np.unique(k.astype(str), return_inverse=True)
    codes = codes.astype(np.int64).reshape(-1)
    codes[pd.isna(k)] = -1
    empty = np.searchsorted(names, "")
    if empty < len(names) and names[empty] == "":
        codes[codes == empty] = -1
    return codes, names


def _grouped_codes(
    t: Target,
    scope: str,
    codes: np.ndarray,
    names: np.ndarray,
    resp: np.ndarray,
    known: bool,
    min_count: int,
) -> list[tuple]:
    """:func:`_grouped` of keys given as :func:`scope_keys` codes (one per value of ``resp``)."""
    keep = codes >= 0
    c, r = codes[keep], np.asarray(resp, float)[keep]
    order = stable_order(c, len(names))
    c, r = c[order], r[order]
    present, start = np.unique(c, return_index=True)
    bounds = np.append(start, len(c))
    return [
        (t.name, t.origin, f"{scope}:{key}", *row)
        for key, row in zip(
            names[present].tolist(),
            group_stats(r, bounds, t.threshold_s, min_count, known),
            strict=True,
        )
    ]


def stable_order(codes: np.ndarray, size: int) -> np.ndarray:
    """A stable argsort of ``codes`` in [0, ``size``): numpy's radix sort when they fit in
    16 bits (5 × faster than a merge sort on a million), else its stable sort."""
    if size <= np.iinfo(np.uint16).max + 1:
        return np.argsort(codes.astype(np.uint16), kind="stable")
    return np.argsort(codes, kind="stable")


def group_stats(
    r: np.ndarray, bounds: np.ndarray, threshold_s: float, min_count: int = 1, known: bool = True
) -> list[tuple[int, float, float, float, float, float]]:
    """:func:`stats` of every ``r[bounds[g]:bounds[g + 1]]`` (consecutive, non-empty
    groups; seconds), the same numbers to the bit: counts and met shares for all groups at
    once, the percentiles by ``numpy.percentile``'s own linear-interpolation arithmetic on
    one sort of all the values, each mean by ``ndarray.mean`` of the group in its order (a
    sum's rounding depends on the order). A year of the municipality has ~100 k groups."""
    start, n = bounds[:-1], np.diff(bounds)
    if len(n) == 0:
        return []
    nan = np.isnan(r)
    m = n - np.add.reduceat(nan.astype(np.int64), start)
    met = np.add.reduceat((r <= threshold_s).astype(np.int64), start) / n
    gid = np.repeat(np.arange(len(n)), n)
    by_value = np.argsort(r)  # NaN last; then by group, keeping that order within groups
    srt = r[by_value][stable_order(gid[by_value], len(n))]
    cols = [_quantile(srt, start, m, q) for q in (0.5, 0.9, 0.95)]
    full = (n >= max(min_count, 1)) & known
    rows = []
    for g, (c, k, a, b) in enumerate(
        zip(n.tolist(), m.tolist(), start.tolist(), bounds[1:].tolist())
    ):
        if not full[g]:
            rows.append((c, math.nan, math.nan, math.nan, math.nan, math.nan))
        elif k == 0:
            rows.append((c, float(met[g]), math.nan, math.nan, math.nan, math.nan))
        else:
            seg = r[a:b] if k == c else r[a:b][~nan[a:b]]
            mean = float(seg.mean())
            rows.append((c, float(met[g]), mean, *(float(col[g]) for col in cols)))
    return rows


def _quantile(srt: np.ndarray, start: np.ndarray, m: np.ndarray, q: float) -> np.ndarray:
    """The ``q`` quantile of each group's ``m`` sorted values at ``srt[start:start + m]``
    (NaN where ``m`` is 0), as ``numpy.percentile`` (method "linear") computes it: virtual
    index (m − 1)·q, neighbours at its floor and the next (both the last at or past the
    end), weight γ = index − floor, a + (b − a)·γ or, for γ ≥ 0.5, b − (b − a)·(1 − γ)."""
    have = m > 0
    v = (m - 1) * q
    prev = np.floor(v)
    last = v >= m - 1
    lo = np.where(last, m - 1, prev).astype(np.int64)
    hi = np.where(last, m - 1, prev + 1).astype(np.int64)
    gamma = v - np.where(last, -1.0, prev)
    a = srt[np.where(have, start + lo, 0)]
    b = srt[np.where(have, start + hi, 0)]
    diff = b - a
    out = np.where(gamma >= 0.5, b - diff * (1 - gamma), a + diff * gamma)
    return np.where(have, out, math.nan)


def target_rows(
    incidents: pd.DataFrame,
    t: Target,
    catalogue: dict[str, IncidentType],
    cell_min: int = CELL_MIN_INCIDENTS,
    keys: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
) -> list[tuple]:
    """compliance rows of one target: city, districts, types, forces, cells. ``keys``: the
    :func:`scope_keys` of the scope columns, when the caller made them once for all targets."""
    mask = applies(incidents, t.arrival, catalogue)
    if not mask.any():
        return []
    full = elapsed(incidents, t)
    known = full is not None
    resp = (full if full is not None else np.full(len(incidents), math.nan))[mask]
    rows = [(t.name, t.origin, "city", *stats(resp, t.threshold_s, 1, known))]
    keys = scope_columns(incidents) if keys is None else keys
    for scope, col in SCOPES:
        if col in keys:
            codes, names = keys[col]
            rows += _grouped_codes(
                t, scope, codes[mask], names, resp, known, cell_min if scope == "cell" else 1
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
    keys = scope_columns(incidents)
    for t in targets:
        rows += target_rows(incidents, t, catalogue, cell_min, keys)
    out = pd.DataFrame(rows, columns=COMPLIANCE_COLUMNS)
    return out.astype({"count": np.int64})


def scope_columns(incidents: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """:func:`scope_keys` of each scope column the table has."""
    return {col: scope_keys(incidents[col]) for _, col in SCOPES if col in incidents}


def primary_rows(compliance: pd.DataFrame) -> pd.DataFrame:
    """The rows measured from each target's primary origin. Rows without a ``from`` (tables
    written before the column, read with it empty) and rows of unregistered targets are kept."""
    if "from" not in compliance:
        return compliance
    want = compliance["target"].astype(str).map(PRIMARY_ORIGIN)
    origin = compliance["from"]
    keep = origin.isna() | (origin.astype(str) == want) | want.isna()
    return compliance[keep.to_numpy(bool)]
