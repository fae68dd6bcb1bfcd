"""The planner's commands behind ``twin compare``, ``twin sweep`` and ``twin site``:
argument handling, progress bars, printing. The work is in twin.analysis and twin.siting."""

from __future__ import annotations

import contextlib
from pathlib import Path

from rich.console import Console

from twin.analysis.compare import (
    compare_compliance,
    comparison_text,
    folder_warnings,
    run_comparison,
    unique_names,
    write_comparison,
)
from twin.analysis.compare_view import folder_table, paired_view, ranking_view, target_label
from twin.analysis.comparison import ranking
from twin.analysis.outdir import prepare_output
from twin.analysis.results import read_results
from twin.analysis.sweep import summarise, sweep, write_sweep
from twin.cli.job import print_sweep, sweep_prechecks
from twin.errors import TwinDataError
from twin.model.city import City, load_city
from twin.progress import counter
from twin.scenario.spec import Scenario, load_scenario


def district_names(city: City) -> dict[str, str]:
    """District id → its English name (the Chinese name when there is none)."""
    d = city.districts
    en = d["name_en"].astype(str) if "name_en" in d else d["name"].astype(str)
    return {
        str(i): (e if e and e != "nan" else str(n))
        for i, e, n in zip(d["district_id"], en, d["name"])
    }


def compare_command(
    paths: list[Path],
    *,
    replications: int,
    out: Path | None,
    workers: int,
    days: float | None,
    target: str,
    city_path: Path | None,
    address: str | None,
    cells: bool,
    console: Console,
) -> None:
    """Two results folders → the one-pair table with warnings; scenario files → paired
    replications over common seeds, the table(s), the summary, and ``--out``."""
    if len(paths) < 2:
        raise TwinDataError.one(
            "twin compare",
            "give a baseline and at least one option",
            "e.g. twin compare scenarios/baseline.toml "
            "scenarios/new-station.toml --replications 20",
        )
    dirs = [p.is_dir() for p in paths]
    if all(dirs):
        return _compare_folders(paths, target, city_path, console)
    if any(dirs):
        raise TwinDataError.one(
            "twin compare",
            "mix of results folders and scenario files",
            "give either two results folders or scenario TOML files",
        )
    scenarios = unique_names([load_scenario(p) for p in paths], [str(p) for p in paths])
    if days is not None:
        scenarios = [s.with_(days=days) for s in scenarios]
    if len({s.city for s in scenarios}) > 1:
        raise TwinDataError.one(
            "twin compare",
            "the scenarios name different cities",
            "compare scenarios of one city (the `city` key)",
        )
    seeds = {s.seed for s in scenarios}
    if len(seeds) > 1:
        console.print(
            f"note: the scenarios state different seeds {sorted(seeds)}; all run "
            f"with the baseline's seeds {scenarios[0].seed}… (common random numbers)"
        )
    city = load_city(city_path or scenarios[0].city)
    with counter("replications") as update:
        comp = run_comparison(
            scenarios,
            city,
            replications,
            workers=workers,
            address=address,
            cells=cells,
            progress=update,
        )
    names = district_names(city)
    label = target_label(target)
    for o in comp.options:
        console.print(paired_view(comp.table, o.name, target, names, comp.base.name))
    if len(comp.options) > 1:
        console.print(ranking_view(ranking(comp.table, target), target, comp.base.name))
    for line in comparison_text(comp, target, label, names):
        console.print(line, highlight=False, markup=False)
    if out is not None:
        console.print(f"written to {write_comparison(comp, out, target, label, names)}")


def _compare_folders(
    paths: list[Path], target: str, city_path: Path | None, console: Console
) -> None:
    if len(paths) != 2:
        raise TwinDataError.one(
            "twin compare",
            "results folders are compared two at a time",
            "give BASE_DIR OTHER_DIR, or scenario files for several options",
        )
    a, b = read_results(paths[0]), read_results(paths[1])
    diff = compare_compliance(a["compliance"], b["compliance"])
    c = load_city(city_path or (a.summary.get("city") or {}).get("source"))
    console.print(
        folder_table(
            diff,
            district_names(c),
            target,
            a.summary.get("scenario", {}).get("name", "base"),
            b.summary.get("scenario", {}).get("name", "other"),
        )
    )
    for w in folder_warnings(a.summary, b.summary):
        console.print(f"warning: {w}", style="yellow", highlight=False, markup=False)


def sweep_command(
    scenario: Path | None,
    *,
    replications: int,
    days: float | None,
    workers: int,
    address: str | None,
    out: Path | None,
    console: Console,
    allow_large: bool = False,
) -> None:
    """``twin sweep``: size prechecks, the output folder checked and locked before anything
    runs, replications with a progress bar, the summary table, ``--out``."""

    sc: Scenario = load_scenario(scenario)
    if days is not None:
        sc = sc.with_(days=days)
    with contextlib.ExitStack() as stack:
        if out is not None:
            out = stack.enter_context(prepare_output(out, kind="sweep")).final
        sweep_prechecks(sc, allow_large, console)
        with counter("replications") as update:
            rows = sweep(sc, replications, workers=workers, address=address, progress=update)
        summary = summarise(rows)
        print_sweep(summary, console)
        console.print(
            "intervals: Student t on per-replication shares (small-sample), or "
            "Wilson on pooled incidents where the share is near 0 %/100 % or does "
            "not vary",
            highlight=False,
        )
        if out is not None:
            console.print(f"written to {write_sweep(summary, rows, str(out))}")
