"""Paired differences between two scenarios' replications, with t intervals and Holm.

Replication ``i`` of both scenarios uses the same seed (common random numbers), so the
difference of a measure in replication ``i`` is one paired observation; the interval is
the t interval of the mean paired difference (``scipy.stats``), and the p-values of the
districts of one target and measure are adjusted together by Holm's step-down method.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from twin.analysis.paired import holm

__all__ = ["MEASURES", "holm", "paired_table"]

MEASURES = {"met_share": "share met", "p90_s": "p90 (s)", "mean_s": "mean (s)"}
"""The measures of ``compliance.csv`` compared, and their labels."""


def paired_table(
    reference: list[pd.DataFrame], scenario: list[pd.DataFrame], level: float = 0.95
) -> pd.DataFrame:
    """One row per target × scope × measure: both means, the paired difference, its interval.

    ``reference[i]`` and ``scenario[i]`` are the ``compliance`` tables of replication ``i``
    (same seed). Scopes are ``city`` and ``district:<id>``. Columns: ``target``, ``scope``,
    ``measure``, ``n`` (pairs with a value in both), ``reference``, ``scenario``, ``diff``,
    ``ci_low``, ``ci_high`` (NaN when ``n < 2``: one pair carries no interval), ``p``,
    ``p_holm`` (districts of one target and measure adjusted together) and ``significant``
    (the Holm-adjusted p below ``1 - level``).
    """
    if len(reference) != len(scenario) or not reference:
        raise ValueError("need the same number (≥ 1) of replications of both scenarios")
    keyed = [_values(r, s) for r, s in zip(reference, scenario)]
    rows = []
    for key in sorted(set().union(*(k.keys() for k in keyed))):
        pairs = np.array([k[key] for k in keyed if key in k], dtype=float).reshape(-1, 2)
        pairs = pairs[~np.isnan(pairs).any(axis=1)]
        rows.append(
            {"target": key[0], "scope": key[1], "measure": key[2], **_interval(pairs, level)}
        )
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    out["p_holm"] = np.nan
    for _, idx in out.groupby(["target", "measure"]).groups.items():
        out.loc[idx, "p_holm"] = holm(out.loc[idx, "p"].to_numpy())
    out["significant"] = out["p_holm"] < (1 - level)
    return out


def _values(
    ref: pd.DataFrame, scen: pd.DataFrame
) -> dict[tuple[str, str, str], tuple[float, float]]:
    keep = ["target", "scope", *MEASURES]
    a = ref[ref["scope"].str.match(r"^(city|district:)")][keep]
    b = scen[scen["scope"].str.match(r"^(city|district:)")][keep]
    both = a.merge(b, on=["target", "scope"], suffixes=("_ref", "_scen"))
    out = {}
    for row in both.itertuples(index=False):
        d = row._asdict()
        for m in MEASURES:
            out[(d["target"], d["scope"], m)] = (d[f"{m}_ref"], d[f"{m}_scen"])
    return out


def _interval(pairs: np.ndarray, level: float) -> dict[str, float]:
    """Means, the mean paired difference and its t interval for an ``n × 2`` array."""
    n = len(pairs)
    if n == 0:
        nan = math.nan
        return {
            "n": 0,
            "reference": nan,
            "scenario": nan,
            "diff": nan,
            "ci_low": nan,
            "ci_high": nan,
            "p": nan,
        }
    diff = pairs[:, 1] - pairs[:, 0]
    mean = float(diff.mean())
    low = high = p = math.nan
    if n >= 2:
        sd = float(diff.std(ddof=1))
        if sd == 0.0:
            low = high = mean
            p = 1.0 if mean == 0.0 else 0.0
        else:
            half = stats.t.ppf(0.5 + level / 2, n - 1) * sd / math.sqrt(n)
            low, high = mean - half, mean + half
            p = float(2 * stats.t.sf(abs(mean) / (sd / math.sqrt(n)), n - 1))
    return {
        "n": n,
        "reference": float(pairs[:, 0].mean()),
        "scenario": float(pairs[:, 1].mean()),
        "diff": mean,
        "ci_low": low,
        "ci_high": high,
        "p": p,
    }
