"""Terminal tables (rich) for comparisons: two runs, paired replications, option ranking."""

from __future__ import annotations

import math

import pandas as pd
from rich.table import Table

from twin.analysis.compliance import primary_rows
from twin.analysis.report import TARGET_LABELS, minutes

CELLS_SHOWN = 10


def target_label(target: str) -> str:
    """A target's label, e.g. '30 min: ground rescue' (the name itself when unknown)."""
    return TARGET_LABELS.get(target, target)


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


def folder_table(
    diff: pd.DataFrame,
    names: dict[str, str],
    target: str = "30min",
    base_label: str = "baseline",
    other_label: str = "scenario",
) -> Table:
    """Two single runs: city row then districts, sorted by the change in share met (each
    target measured from its primary origin: the alarm, or the dispatch order for 5min)."""
    rows = primary_rows(diff)
    rows = rows[rows["target"] == target]
    city = rows[rows["scope"] == "city"]
    districts = rows[rows["scope"].str.startswith("district:")].sort_values(
        ["d_met_share", "scope"], na_position="last"
    )
    t = Table(
        title=f"{target_label(target)}: {other_label} vs {base_label} (one pair of runs, "
        "no interval)"
    )
    for col in (
        "where",
        f"met {base_label}",
        f"met {other_label}",
        "Δ met",
        f"p90 {base_label}",
        f"p90 {other_label}",
        "Δ p90 (min)",
    ):
        t.add_column(col, justify="left" if col == "where" else "right")
    for r in pd.concat([city, districts]).itertuples(index=False):
        where = "city" if r.scope == "city" else names.get(r.scope.split(":", 1)[1], r.scope)
        t.add_row(
            where,
            _share(r.met_share_base),
            _share(r.met_share_other),
            _delta_share(r.d_met_share),
            minutes(r.p90_s_base),
            minutes(r.p90_s_other),
            _delta_min(r.d_p90_s),
        )
    return t


def _ci(measure: str, low: float, high: float) -> str:
    if math.isnan(low):
        return "–"
    if measure == "met_share":
        return f"{low * 100:+.1f} to {high * 100:+.1f} pt"
    return f"{low / 60:+.1f} to {high / 60:+.1f}"


def _where(scope: str, names: dict[str, str]) -> str:
    fam, _, key = scope.partition(":")
    if fam == "district":
        return names.get(key, key)
    return scope


def paired_view(
    table: pd.DataFrame, option: str, target: str, names: dict[str, str], base_label: str
) -> Table:
    """City, local area, every district, and the cells that changed most (after the Holm
    adjustment over all cells): p90 and share met under both, the change and its interval;
    ``*`` marks an interval (Holm-adjusted for districts/cells) that excludes zero."""
    g = table[(table["option"] == option) & (table["target"] == target)]
    p90 = g[g["measure"] == "p90_s"].set_index("scope")
    share = g[g["measure"] == "met_share"].set_index("scope")
    order = [s for s in p90.index if s == "city"] + [s for s in p90.index if s.startswith("local:")]
    order += sorted(
        (s for s in p90.index if s.startswith("district:")), key=lambda s: p90.at[s, "diff"]
    )
    cells = p90[p90.index.str.startswith("cell:")]
    order += list(
        cells.reindex(cells["diff"].abs().sort_values(ascending=False).index)
        .head(CELLS_SHOWN)
        .index
    )
    t = Table(title=f"{target_label(target)}: {option} vs {base_label}, paired over seeds")
    for col in (
        "where",
        f"p90 {base_label}",
        f"p90 {option}",
        "Δ p90 (min)",
        "interval",
        "level",
        f"met {base_label}",
        f"met {option}",
        "Δ met",
        "interval ",
    ):
        t.add_column(col, justify="left" if col == "where" else "right")
    for s in order:
        r = p90.loc[s]
        mark = "*" if bool(r["significant"]) else ""
        sr = share.loc[s] if s in share.index else None
        smark = "*" if sr is not None and bool(sr["significant"]) else ""
        t.add_row(
            _where(s, names),
            minutes(r["base"]),
            minutes(r["other"]),
            _delta_min(r["diff"]) + mark,
            _ci("p90_s", r["low"], r["high"]),
            f"{r['level'] * 100:.3g} %",
            _share(sr["base"]) if sr is not None else "–",
            _share(sr["other"]) if sr is not None else "–",
            (_delta_share(sr["diff"]) + smark) if sr is not None else "–",
            _ci("met_share", sr["low"], sr["high"]) if sr is not None else "–",
        )
    return t


def ranking_view(rank: pd.DataFrame, target: str, base_label: str) -> Table:
    """Options ranked against the baseline (city p90 change, then local and districts)."""
    t = Table(title=f"Options vs {base_label}: {target_label(target)} (95 % intervals)")
    for col in (
        "rank",
        "option",
        "city Δ p90 (min)",
        "city Δ met",
        "local Δ p90 (min)",
        "districts changed (Holm)",
    ):
        t.add_column(col, justify="left" if col == "option" else "right")
    for _, r in rank.iterrows():

        def cell(prefix: str, measure: str, r: pd.Series = r) -> str:
            d = r.get(f"{prefix}_{measure}_diff")
            if d is None or pd.isna(d):
                return "–"
            f = (
                (lambda x: f"{x / 60:+.1f}")
                if measure == "p90_s"
                else (lambda x: f"{x * 100:+.1f} pt")
            )
            lo, hi = r.get(f"{prefix}_{measure}_low"), r.get(f"{prefix}_{measure}_high")
            return f"{f(d)} ({f(lo)} to {f(hi)})" if not pd.isna(lo) else f(d)

        t.add_row(
            str(r["rank"]),
            str(r["option"]),
            cell("city", "p90_s"),
            cell("city", "met_share"),
            cell("local", "p90_s"),
            str(r["districts_changed"]),
        )
    return t
