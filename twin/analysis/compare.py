"""Comparing scenarios: paired replications over common seeds, or two existing runs.

:func:`run_comparison` runs the baseline and every option over the same seeds (Dask, see
:mod:`twin.analysis.sweep`), checks that the everyday incidents really are shared (common
random numbers), measures each option's local area (declared from its change before the
run, :mod:`twin.analysis.local`) and builds the paired table
(:mod:`twin.analysis.comparison`). :func:`write_comparison` writes ``comparison.csv``,
``ranking.csv`` (several options), ``summary.txt`` and each scenario's replications beside
them, atomically. :func:`compare_compliance` joins two existing results folders (one pair,
no interval) and :func:`folder_warnings` says where they are not comparable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from twin.analysis.comparison import paired_table, ranking, summary_lines
from twin.analysis.local import LocalArea, local_area
from twin.analysis.results import Results, write_results
from twin.analysis.sweep import Replication, run_replications, summarise
from twin.model.city import City
from twin.scenario.spec import Scenario

VALUE_COLUMNS = ["count", "met_share", "mean_s", "p50_s", "p90_s", "p95_s"]


@dataclass
class Comparison:
    """The outcome of :func:`run_comparison`."""

    base: Scenario
    options: list[Scenario]
    seeds: list[int]
    rows: dict[str, pd.DataFrame]
    table: pd.DataFrame
    areas: dict[str, LocalArea]
    crn: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Per option: (seeds whose everyday incidents equal the baseline's, seeds)."""


def unique_names(scenarios: list[Scenario], sources: list[str]) -> list[Scenario]:
    """Scenarios renamed ``<name>-<file stem>`` where two share a name."""
    names = [s.name for s in scenarios]
    out = []
    for s, src in zip(scenarios, sources):
        out.append(s if names.count(s.name) == 1 else s.with_(name=f"{s.name}-{Path(src).stem}"))
    return out


def run_comparison(
    scenarios: list[Scenario],
    city: City,
    replications: int,
    *,
    workers: int = 2,
    address: str | None = None,
    cells: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> Comparison:
    """The baseline ``scenarios[0]`` and each option over seeds base.seed … +N−1."""
    base, options = scenarios[0], scenarios[1:]
    seeds = [base.seed + i for i in range(replications)]
    areas, local = declared_areas(base.name, options, city)
    reps = run_replications(
        scenarios,
        seeds,
        workers=workers,
        address=address,
        local=local,
        cells=cells,
        progress=progress,
    )
    rows, table = paired_tables(reps, base.name, [o.name for o in options])
    return Comparison(base, options, seeds, rows, table, areas, _crn(reps, base, options))


def declared_areas(
    base: str, options: list[Scenario], city: City
) -> tuple[dict[str, LocalArea], dict[str, tuple[tuple[str, np.ndarray], ...]]]:
    """Each option's local area (declared before the run) and, per scenario name, the
    (scope, road node indices) its replications measure: an option its own area, the
    baseline ``base`` every option's."""
    areas = {o.name: a for o in options if (a := local_area(o, city)) is not None}
    local: dict[str, tuple[tuple[str, np.ndarray], ...]] = {
        o.name: ((areas[o.name].scope, areas[o.name].nodes),) if o.name in areas else ()
        for o in options
    }
    local[base] = tuple((a.scope, a.nodes) for a in areas.values())
    return areas, local


def paired_tables(
    reps: list[Replication], base: str, options: list[str]
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """The replications' rows per scenario name, and the paired table of every option in
    ``options`` against ``base`` (:func:`twin.analysis.comparison.paired_table`) — the
    table ``twin compare`` prints and the app shows."""
    rows = {
        name: pd.concat([r.rows for r in reps if r.scenario == name], ignore_index=True)
        for name in (base, *options)
    }
    tables = []
    for o in options:
        b = rows[base]
        b = b[~b["scope"].str.startswith("local:") | (b["scope"] == f"local:{o}")]
        tables.append(paired_table(b, rows[o], o))
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    return rows, table


def _crn(
    reps: list[Replication], base: Scenario, options: list[Scenario]
) -> dict[str, tuple[int, int]]:
    fp = {(r.scenario, r.seed): r.everyday for r in reps}
    seeds = sorted({r.seed for r in reps})
    return {
        o.name: (sum(fp[(o.name, s)] == fp[(base.name, s)] for s in seeds), len(seeds))
        for o in options
    }


def _local_scopes(comp: Comparison) -> dict[str, str]:
    return {a.scope: f"{name}: {a.what}" for name, a in comp.areas.items()}


def write_comparison(
    comp: Comparison, out: str | Path, target: str, label: str, names: dict[str, str]
) -> Path:
    """``comparison.csv``, ``ranking.csv`` (≥ 2 options), ``summary.txt`` and per scenario
    ``<name>/replications.csv`` and ``<name>/sweep.csv``, written atomically into ``out``."""
    lines = comparison_text(comp, target, label, names)

    def extra(tmp: Path) -> None:
        comp.table.to_csv(tmp / "comparison.csv", index=False)
        if len(comp.options) > 1:
            ranking(comp.table, target).to_csv(tmp / "ranking.csv", index=False)
        (tmp / "summary.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        for name, rows in comp.rows.items():
            folder = tmp / name
            folder.mkdir()
            rows.to_csv(folder / "replications.csv", index=False)
            summarise(rows).to_csv(folder / "sweep.csv", index=False)

    summary = {
        "kind": "comparison",
        "baseline": comp.base.name,
        "options": [o.name for o in comp.options],
        "seeds": comp.seeds,
        "days": comp.base.days,
        "target": target,
        "common_random_numbers": {
            k: {"identical_seeds": v[0], "seeds": v[1]} for k, v in comp.crn.items()
        },
        "local_areas": {
            n: {"scope": a.scope, "what": a.what, "nodes": int(len(a.nodes))}
            for n, a in comp.areas.items()
        },
    }
    return write_results(Results({}, summary), out, extra=extra, kind="comparison")


def comparison_text(comp: Comparison, target: str, label: str, names: dict[str, str]) -> list[str]:
    """The plain-language summary: set-up, common random numbers, sentences, method note."""
    n = len(comp.seeds)
    lines = [
        f"{', '.join(o.name for o in comp.options)} vs {comp.base.name}: {n} paired "
        f"replications (seeds {comp.seeds[0]}–{comp.seeds[-1]}), {comp.base.days:g} "
        f"simulated days each."
    ]
    for o, (same, total) in comp.crn.items():
        lines.append(
            f"{o}: everyday incidents identical to the baseline's in {same} of "
            f"{total} seeds (common random numbers)"
            + ("" if same == total else " — NOT all shared: intervals are wider")
        )
    for scope, what in _local_scopes(comp).items():
        lines.append(f"local area {scope} (declared before the run): {what}")
        if comp.table.empty or not (comp.table["scope"] == scope).any():
            lines.append(
                f"{scope}: no incidents in the area in any seed, so no local "
                "comparison: run more days or replications"
            )
    lines += summary_lines(comp.table, target, label, names)
    lines.append(
        "Intervals: paired t on per-seed differences (p90), or for shares met "
        "near 0 %/100 % Newcombe's score interval on pooled incidents. City and "
        "local rows: 95 %, one comparison each. Districts and cells: Holm-adjusted "
        "p-values over all of them, simultaneous Bonferroni intervals; the cells "
        "shown are picked after that adjustment."
    )
    return lines


def compare_compliance(base: pd.DataFrame, other: pd.DataFrame) -> pd.DataFrame:
    """Rows for every (target, scope) in either run, with ``_base``/``_other`` values and
    ``d_met_share``, ``d_p50_s``, ``d_p90_s`` (other − base; seconds)."""
    base, other = _with_from(base), _with_from(other)
    keys = ["target", "from", "scope"]
    merged = base[keys + VALUE_COLUMNS].merge(
        other[keys + VALUE_COLUMNS], on=keys, how="outer", suffixes=("_base", "_other")
    )
    for col in ("met_share", "mean_s", "p50_s", "p90_s"):
        merged[f"d_{col}"] = merged[f"{col}_other"] - merged[f"{col}_base"]
    return merged.sort_values(keys).reset_index(drop=True)


def folder_warnings(a: dict, b: dict) -> list[str]:
    """Why two runs' summaries (``summary.json``) are not a clean pair: seeds, lengths or
    cities differ; always the note that one pair carries no interval."""
    out = []
    if a.get("seed") != b.get("seed"):
        out.append(
            f"the runs used different seeds ({a.get('seed')} vs {b.get('seed')}): "
            "their incidents differ, so the differences mix the change with chance"
        )
    if a.get("duration_s") != b.get("duration_s"):
        out.append(f"the runs differ in length ({_days(a)} vs {_days(b)} days)")
    ca, cb = (a.get("city") or {}), (b.get("city") or {})
    if (ca.get("name"), ca.get("source")) != (cb.get("name"), cb.get("source")):
        out.append(f"the runs are of different cities ({ca.get('name')} vs {cb.get('name')})")
    out.append(
        "one pair of runs carries no interval: to know whether a difference is more "
        "than chance, run `twin compare BASE.toml OTHER.toml --replications 20`"
    )
    return out


def _with_from(c: pd.DataFrame) -> pd.DataFrame:
    """compliance rows with a ``from`` column (tables written before it: the alarm)."""
    return c if "from" in c else c.assign(**{"from": "alarm"})


def _days(s: dict) -> str:
    d = s.get("duration_s")
    return "?" if d is None else f"{float(d) / 86400:g}"
