"""Comparing two runs (a scenario against the baseline), district by district.

Both runs' ``compliance.csv`` rows are joined on (target, scope); the table shows each
side's share met and p50/p90 response times, and the differences (scenario − baseline).
"""

from __future__ import annotations

import pandas as pd
from rich.table import Table

from twin.analysis.compliance import primary_rows
from twin.analysis.report import TARGET_LABELS, minutes

VALUE_COLUMNS = ["count", "met_share", "mean_s", "p50_s", "p90_s", "p95_s"]


def compare_compliance(base: pd.DataFrame, other: pd.DataFrame) -> pd.DataFrame:
    """Rows for every (target, scope) in either run, with ``_base``/``_other`` values and
    ``d_met_share``, ``d_p50_s``, ``d_p90_s`` (other − base; seconds)."""
    base, other = _with_from(base), _with_from(other)
    keys = ["target", "from", "scope"]
    merged = base[keys + VALUE_COLUMNS].merge(other[keys + VALUE_COLUMNS], on=keys, how="outer",
                                              suffixes=("_base", "_other"))
    for col in ("met_share", "mean_s", "p50_s", "p90_s"):
        merged[f"d_{col}"] = merged[f"{col}_other"] - merged[f"{col}_base"]
    return merged.sort_values(keys).reset_index(drop=True)


def _with_from(c: pd.DataFrame) -> pd.DataFrame:
    """compliance rows with a ``from`` column (tables written before it: the alarm)."""
    return c if "from" in c else c.assign(**{"from": "alarm"})


def comparison_table(diff: pd.DataFrame, names: dict[str, str], target: str = "30min",
                     base_label: str = "baseline", other_label: str = "scenario") -> Table:
    """City row then districts, sorted by the change in share met (largest loss first)."""
    rows = primary_rows(diff)
    rows = rows[rows["target"] == target]
    city = rows[rows["scope"] == "city"]
    districts = rows[rows["scope"].str.startswith("district:")].sort_values(
        ["d_met_share", "scope"], na_position="last")
    t = Table(title=f"{TARGET_LABELS.get(target, target)}: {other_label} vs {base_label}")
    for col in ("where", f"met {base_label}", f"met {other_label}", "Δ met",
                f"p90 {base_label}", f"p90 {other_label}", "Δ p90 (min)"):
        t.add_column(col, justify="left" if col == "where" else "right")
    for r in pd.concat([city, districts]).itertuples(index=False):
        where = "city" if r.scope == "city" else names.get(r.scope.split(":", 1)[1], r.scope)
        t.add_row(where, _share(r.met_share_base), _share(r.met_share_other),
                  _delta_share(r.d_met_share), minutes(r.p90_s_base), minutes(r.p90_s_other),
                  _delta_min(r.d_p90_s))
    return t


def _share(x: float) -> str:
    return "–" if pd.isna(x) else f"{x:.1%}"


def _delta_share(x: float) -> str:
    if pd.isna(x):
        return "–"
    colour = "red" if x < -0.005 else "green" if x > 0.005 else "white"
    return f"[{colour}]{x * 100:+.1f} pt[/{colour}]"


def _delta_min(x: float) -> str:
    if pd.isna(x):
        return "–"
    colour = "red" if x > 30 else "green" if x < -30 else "white"
    return f"[{colour}]{x / 60:+.1f}[/{colour}]"
