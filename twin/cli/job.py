"""The main job behind ``twin run``: load, simulate, print the targets table, write results.

Kept apart from :mod:`twin.sim.runner` (which returns Results and prints nothing) so that the
engine stays usable as a library and the terminal output lives in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table

from twin.analysis.compliance import primary_rows
from twin.analysis.outdir import default_output, prepare_output
from twin.analysis.report import TARGET_LABELS, compliance_table, district_table, minutes
from twin.analysis.results import Results, write_results
from twin.analysis.sweep import shared_city
from twin.cli import records_job
from twin.importers.prechecks import import_findings
from twin.model.city import City
from twin.progress import fraction
from twin.scenario.apply import apply
from twin.scenario.checks import check_against, load_city_for
from twin.scenario.spec import Scenario, form_problems, load_scenario
from twin.sim.estimate import check_fits
from twin.sim.prechecks import check_run
from twin.sim.runner import run_scenario
from twin.viz.commands import write_all


def run_and_write(
    scenario_path: Path | None,
    *,
    out: Path | None = None,
    seed: int | None = None,
    days: float | None = None,
    city: Path | None = None,
    routes: bool | None = None,
    maps: bool = True,
    console: Console | None = None,
    incidents: Path | None = None,
    incidents_map: Path | None = None,
    skip_bad_rows: bool = False,
    allow_large: bool = False,
) -> Path:
    """Run a scenario file (None: baseline), print the compliance table, write ``out``.
    ``incidents``: a file of incident records driving the run instead of random demand,
    validated against it (:mod:`twin.cli.records_job`). ``out`` is checked and locked
    before the city is loaded (:mod:`twin.analysis.outdir`)."""
    console = console or Console()
    # lenient: problems of form are reported with those against the city, in one list
    scenario = load_scenario(scenario_path or _default_scenario(), strict=False)
    changes: dict[str, Any] = {k: v for k, v in (("seed", seed), ("days", days)) if v is not None}
    if city is not None:
        changes["city"] = str(city)
    if changes:
        scenario = scenario.with_(**changes)
    with prepare_output(out or default_output(scenario.name)) as lock:  # before anything runs
        the_city = load_city_for(scenario)
        records = None
        if incidents is not None:
            scenario, records = records_job.prepare(
                scenario, the_city, incidents, incidents_map, skip_bad_rows, days, console
            )
            routes = False if routes is None else routes
        for text in import_findings(the_city):
            console.print(f"note: {text}", markup=False)
        console.print(_heading(scenario, the_city), markup=False)
        results = _simulate(run_scenario, scenario, the_city, routes, console, allow_large)
        extra = _map_writer(the_city) if maps else None
        if records is not None:
            extra = records_job.writer(records, results["incidents"], extra)
        final = write_results(results, lock.final, extra=extra)
    print_run_report(results, the_city, console)
    if records is not None:
        records_job.print_validation(final, console)
    console.print(f"results written to [bold]{final}[/bold]")
    return final


def _heading(scenario: Scenario, city: City) -> str:
    """The run's first line; with a scenario file that has problems of form (a bad value
    left at its default by the lenient parse) it names no days or seed it will not run."""
    n = len(form_problems(scenario))
    if n:
        return f"{scenario.name} on {city.name}: checking the scenario ({n} problem(s) in its file)"
    return f"{scenario.name} on {city.name}: {scenario.days:g} days, seed {scenario.seed}"


def _default_scenario() -> Path | None:
    p = Path(str(resources.files("twin.data") / "scenarios" / "baseline.toml"))
    return p if p.exists() else None


def _simulate(
    run_scenario: Callable[..., Results],
    scenario: Scenario,
    city: City,
    routes: bool | None,
    console: Console,
    allow_large: bool,
) -> Results:
    with fraction("simulating") as update:
        return run_scenario(
            scenario,
            city,
            record_routes=routes,
            allow_large=allow_large,
            progress=update,
        )


def _map_writer(city: City) -> Callable[[Path], None]:
    def write_maps(folder: Path) -> None:
        write_all(folder, city)

    return write_maps


def print_run_report(results: Results, city: City, console: Console) -> None:
    """The city-wide 10/30/60 table, the worst districts, and the run's headline counts."""
    comp = results["compliance"]
    names = dict(
        zip(city.districts["district_id"], city.districts["name"] + " " + city.districts["name_en"])
    )
    console.print(compliance_table(comp))
    console.print(district_table(comp, names, "30min"))
    s = results.summary
    short = dict(zip(city.districts["district_id"], city.districts["name_en"]))
    cells = [c for c in s.get("worst_cells_30min", []) if c.get("met_share", 1) < 1][:5]
    cell_district = dict(zip(city.cells["cell_id"], city.cells["district_id"]))
    if cells:
        console.print(
            "grid cells missing the 30-minute target most: "
            + ", ".join(
                f"{c['cell_id']} {short.get(cell_district.get(c['cell_id']), '')} "
                f"({c['met_share']:.0%} of {c['count']})"
                for c in cells
            )
        )
    aid = s.get("mutual_aid_top", [])[:5]
    if aid:
        console.print(
            "mutual aid (一域出险、全域联动), units from → incidents in: "
            + ", ".join(
                f"{short.get(a['from_district'], a['from_district'])} → "
                f"{short.get(a['to_district'], a['to_district'])} {a['count']}"
                for a in aid
            )
        )
    counts = s.get("counts", {})
    if counts:
        console.print(
            ", ".join(
                f"{k.replace('_', ' ')}: {v:,}"
                if isinstance(v, int)
                else f"{k.replace('_', ' ')}: {v}"
                for k, v in counts.items()
            )
        )


def sweep_prechecks(scenario: Scenario, allow_large: bool, console: Console) -> None:
    """Before a sweep: the scenario against its city, the size estimate of one replication
    (workers run in parallel: several at once must fit) and the pre-run checks."""
    city = load_city_for(scenario, shared_city)  # the sweep's own load: once, not twice
    check_against(scenario, city)
    est = check_fits(scenario, city, allow_large=allow_large)
    console.print(f"each replication: {est.describe()}", highlight=False)
    check_run(scenario, apply(scenario, city))


def print_sweep(summary: pd.DataFrame, console: Console) -> None:
    """City-wide targets across replications: mean share met with its 95 % interval."""
    t = Table(title="Across replications (city-wide)")
    for col in ("target", "runs", "incidents/run", "met (mean)", "95 % interval", "p90 (min)"):
        t.add_column(col, justify="left" if col == "target" else "right")
    city = primary_rows(summary[summary["scope"] == "city"])
    for target, label in TARGET_LABELS.items():
        r = city[city["target"] == target]
        if r.empty:
            continue
        r = r.iloc[0]
        t.add_row(
            label,
            str(int(r["replications"])),
            f"{r['incidents']:,.0f}",
            f"{r['met_share']:.1%}",
            f"{r['ci_low']:.1%} – {r['ci_high']:.1%}",
            minutes(r["p90_s"]),
        )
    console.print(t)
    counts = city[city["target"].str.startswith("count:")]
    if not counts.empty:
        console.print(
            "per run (mean ± standard error): "
            + ", ".join(
                f"{r.target[6:].replace('_', ' ')} {r.incidents:,.1f} ± {r.count_se:,.1f}"
                for r in counts.itertuples(index=False)
            )
        )
