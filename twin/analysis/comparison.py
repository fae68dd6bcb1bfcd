"""Paired comparison of scenarios over common seeds: the comparison table, the ranking of
several options and plain-language sentences.

Input: the replication rows of the baseline and of each option (``twin.analysis.sweep``;
columns ``target, scope, count, met_share, p90_s, seed``), over the same seeds. Generic over
whatever targets the compliance rows carry (``10min``, ``30min``, ``60min`` and any added
later). For each option × target × scope × measure (``met_share``, ``p90_s``):

- ``base``, ``other``: the measure under each scenario (pooled share met; mean p90 over the
  seeds where both have a p90), ``diff`` = other − base;
- ``low``/``high``: the interval at ``level`` — 95 % for the city and the local area (one
  comparison each, declared before the run); for districts, cells, types and forces the
  Bonferroni level 1 − 0.05/K over the K places of that family (simultaneous ≥ 95 %);
- ``p`` and ``p_holm`` (Holm over the family), ``significant`` = p_holm < 0.05.

Cells are tested all together (the family is every cell with incidents in both scenarios),
*then* the ones that changed most are shown: select after adjusting, never before.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from twin.analysis.paired import LEVEL, Interval, family_level, holm, paired_t, share_difference

MEASURES = ("met_share", "p90_s")
SINGLE = ("city", "local")
"""Scope families compared once each (no multiplicity adjustment)."""
COLUMNS = [
    "option",
    "target",
    "scope",
    "family",
    "measure",
    "base",
    "other",
    "diff",
    "low",
    "high",
    "level",
    "method",
    "seeds",
    "p",
    "p_holm",
    "family_size",
    "significant",
]


def family_of(scope: str) -> str:
    """``city``, ``local``, ``district``, ``cell``, ``type``, ``force``… from a scope."""
    return scope.split(":", 1)[0]


def _interval(g: pd.DataFrame, measure: str, level: float) -> tuple[float, float, Interval]:
    if measure == "met_share":
        nb, no = (
            g["count_base"].fillna(0).to_numpy(float),
            g["count_other"].fillna(0).to_numpy(float),
        )
        mb = np.round(g["met_share_base"].fillna(0).to_numpy(float) * nb)
        mo = np.round(g["met_share_other"].fillna(0).to_numpy(float) * no)
        base = mb.sum() / nb.sum() if nb.sum() else math.nan
        other = mo.sum() / no.sum() if no.sum() else math.nan
        return base, other, share_difference(mo, no, mb, nb, level)
    b, o = g[f"{measure}_base"].to_numpy(float), g[f"{measure}_other"].to_numpy(float)
    both = ~np.isnan(b) & ~np.isnan(o)
    if not both.any():
        return math.nan, math.nan, paired_t(np.empty(0))
    return float(b[both].mean()), float(o[both].mean()), paired_t(o[both] - b[both], level)


def paired_table(
    base: pd.DataFrame, other: pd.DataFrame, option: str, measures: tuple[str, ...] = MEASURES
) -> pd.DataFrame:
    """The comparison rows of ``other`` against ``base`` (see the module docstring)."""
    keep = ["target", "scope", "seed", "count", "met_share", "p90_s"]
    b = base[~base["target"].str.startswith("count:")].reindex(columns=keep)
    o = other[~other["target"].str.startswith("count:")].reindex(columns=keep)
    m = b.merge(o, on=["target", "scope", "seed"], how="outer", suffixes=("_base", "_other"))
    rows = []
    for (target, scope), g in m.groupby(["target", "scope"], sort=True):
        for measure in measures:
            base_v, other_v, iv = _interval(g, measure, LEVEL)
            if math.isnan(iv.estimate):
                continue
            rows.append(
                {
                    "option": option,
                    "target": target,
                    "scope": scope,
                    "family": family_of(scope),
                    "measure": measure,
                    "base": base_v,
                    "other": other_v,
                    "diff": iv.estimate,
                    "low": iv.low,
                    "high": iv.high,
                    "level": LEVEL,
                    "method": iv.method,
                    "seeds": iv.n,
                    "p": iv.p,
                    "_g": g,
                }
            )
    out = pd.DataFrame(rows)
    if out.empty:
        return pd.DataFrame(columns=COLUMNS)
    return _adjust(out)[COLUMNS]


def _adjust(out: pd.DataFrame) -> pd.DataFrame:
    """Holm p-values and Bonferroni intervals within each (target, family, measure)."""
    out = out.copy()
    out["p_holm"] = out["p"]
    out["family_size"] = 1
    for (_, fam, measure), idx in out.groupby(["target", "family", "measure"]).groups.items():
        if fam in SINGLE:
            continue
        sub = out.loc[idx]
        k = int(sub["p"].notna().sum())
        out.loc[idx, "p_holm"] = holm(sub["p"].to_numpy(float))
        out.loc[idx, "family_size"] = k
        lev = family_level(k)
        for i in idx:
            _, _, iv = _interval(out.at[i, "_g"], measure, lev)
            out.at[i, "low"], out.at[i, "high"], out.at[i, "level"] = iv.low, iv.high, lev
    out["significant"] = out["p_holm"] < 0.05
    return out.drop(columns="_g")


def ranking(table: pd.DataFrame, target: str) -> pd.DataFrame:
    """One row per option: city (and local) change in ``target``'s p90 and share met with
    95 % intervals, ranked by the city p90 change (largest cut first)."""
    rows = []
    for option, g in table[table["target"] == target].groupby("option", sort=False):
        row: dict[str, object] = {"option": option}
        for fam in ("city", "local"):
            for measure in MEASURES:
                r = g[(g["family"] == fam) & (g["measure"] == measure)]
                if r.empty:
                    continue
                r0 = r.iloc[0]
                row[f"{fam}_{measure}_diff"] = r0["diff"]
                row[f"{fam}_{measure}_low"] = r0["low"]
                row[f"{fam}_{measure}_high"] = r0["high"]
        sig = g[(g["family"] == "district") & g["significant"].astype(bool)]
        row["districts_changed"] = int(sig["scope"].nunique())
        rows.append(row)
    out = pd.DataFrame(rows)
    if "city_p90_s_diff" in out:
        out = out.sort_values("city_p90_s_diff", kind="stable")
    out.insert(0, "rank", range(1, len(out) + 1))
    return out.reset_index(drop=True)


def _fmt(measure: str, x: float) -> str:
    return f"{x * 100:.1f} pt" if measure == "met_share" else f"{x / 60:.1f} min"


def sentence(r: pd.Series, where: str, label: str, option: str) -> str:
    """One plain-language sentence for a comparison row."""
    m = str(r["measure"])
    what = "share met" if m == "met_share" else "p90"
    lev = f"{float(r['level']) * 100:.3g} %"
    if math.isnan(float(r["low"])):
        return (
            f"{option} changes {where}'s {label} {what} by {_fmt(m, float(r['diff']))} "
            f"(no interval: fewer than two seeds)"
        )
    ci = f"{lev} CI {_fmt(m, float(r['low']))} to {_fmt(m, float(r['high']))}"
    d = float(r["diff"])
    if not (float(r["low"]) > 0 or float(r["high"]) < 0):
        return (
            f"{option}: no clear change in {where}'s {label} {what} "
            f"({_fmt(m, d)}, {ci}, includes zero)"
        )
    if m == "met_share":
        verb = "raises" if d > 0 else "lowers"
    else:
        verb = "cuts" if d < 0 else "lengthens"
    return f"{option} {verb} {where}'s {label} {what} by {_fmt(m, abs(d))} ({ci})"


def summary_lines(
    table: pd.DataFrame, target: str, label: str, names: dict[str, str], top: int = 5
) -> list[str]:
    """Sentences per option: the city, the local area, then the districts whose change
    survives the Holm adjustment (largest first)."""
    lines = []
    t = table[table["target"] == target]
    for option, g in t.groupby("option", sort=False):
        for fam in ("city", "local"):
            for _, r in g[g["family"] == fam].iterrows():
                where = "the city" if fam == "city" else "the area around the change"
                lines.append(sentence(r, where, label, str(option)))
        sig = g[(g["family"] == "district") & g["significant"].astype(bool)]
        sig = sig.reindex(sig["diff"].abs().sort_values(ascending=False).index).head(top)
        for _, r in sig.iterrows():
            lines.append(sentence(r, _place(str(r["scope"]), names), label, str(option)))
        dist = g.loc[g["family"] == "district", "family_size"]
        k = int(dist.max()) if len(dist) else 0
        if k:
            lines.append(
                f"{option}: {len(sig)} of {k} districts changed beyond chance "
                f"(Holm-adjusted over {k} districts; district intervals are "
                f"simultaneous, Bonferroni {family_level(k) * 100:.3g} %)"
            )
    return lines


def _place(scope: str, names: dict[str, str]) -> str:
    fam, _, key = scope.partition(":")
    return names.get(key, key) if fam == "district" else f"{fam} {key}"
