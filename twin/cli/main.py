"""The ``twin`` command.

    twin run [SCENARIO] [--out DIR] [--seed N] [--days D]   simulate, print the 10/30/60 table
    twin summary [CITY]                                     the twin's headline figures
    twin validate PATH                                      check a city folder, list problems
    twin import osm|epanet|gis ...                          turn real data into a city folder
    twin sweep [SCENARIO] -n 8                              replications over seeds (Dask), with CIs
    twin compare BASE.toml OTHER.toml -n 20                 options vs the baseline, paired, with 95 % intervals
    twin compare BASE_DIR OTHER_DIR                         two finished runs (one pair: no interval)
    twin site --add 3                                       where new stations should go (spopt + HiGHS)
    twin map DIR / twin replay DIR                          redraw maps from a results folder
    twin cache info|clear                                   the travel-time cache
    twin --version

Bad input exits with status 2 and a list of problems (never a traceback).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pyarrow as pa
import typer

from twin.analysis.report import city_summary_table, print_tables
from twin.app.command import DEFAULT_PORT, serve
from twin.cli.cache_commands import cache_app
from twin.cli.common import console, reports_errors
from twin.cli.decide import compare_command, sweep_command
from twin.cli.import_commands import import_app
from twin.cli.job import run_and_write
from twin.cli.site import site_command
from twin.importers.commands import validate_command
from twin.model.city import load_city
from twin.progress import set_quiet
from twin.sim.prechecks import check_target
from twin.version import __version__
from twin.viz.commands import map_command, replay_command

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Shancheng Twin (山城孪生): emergency-response digital twin of Chongqing.",
)
app.add_typer(import_app, name="import")
app.add_typer(cache_app, name="cache")


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: object = None,
    line: str | None = None,
) -> None:
    """Warnings (an unusable cache, a pre-run finding) as one line, never a source dump."""
    console.print("warning:", style="bold yellow", end=" ")
    console.print(str(message), highlight=False, markup=False)


def _print_version(value: bool) -> None:
    if value:
        console.print(f"twin (shancheng-twin) {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def main_options(
    version: bool = typer.Option(
        False,
        "--version",
        callback=_print_version,
        is_eager=True,
        help="print the version and exit",
    ),
    quiet: bool = typer.Option(
        False,
        "--quiet",
        "-q",
        help="no progress bars (they go to stderr, and only when it is a terminal)",
    ),
) -> None:
    """Shancheng Twin (山城孪生): emergency-response digital twin of Chongqing."""
    warnings.showwarning = _show_warning
    set_quiet(quiet)
    # Ctrl-C is Python's alone: pyarrow otherwise sets a temporary SIGINT handler while it
    # reads or writes a file, and a signal that lands then can be lost (a run once went on
    # to the end after SIGINT in tests/test_bad_inputs.py). Without it, the interrupt is
    # raised as soon as the read returns, and the run stops leaving no results behind.
    pa.enable_signal_handlers(False)


@app.command()
@reports_errors
def summary(
    city: Path | None = typer.Argument(None, help="city folder (default: embedded Chongqing)"),
) -> None:
    """Print the twin's summary: districts, population, roads, bridges, tunnels, pipes, stations."""
    print_tables(city_summary_table(load_city(city).summary()), console=console)


@app.command()
@reports_errors
def run(
    scenario: Path | None = typer.Argument(None, help="scenario TOML (default: the baseline)"),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="results folder (default: results/<scenario name>)"
    ),
    seed: int | None = typer.Option(None, help="override the scenario's seed"),
    days: float | None = typer.Option(None, help="override the simulated duration (days)"),
    city: Path | None = typer.Option(
        None, help="city folder (default: the scenario's, else embedded Chongqing)"
    ),
    routes: bool | None = typer.Option(
        None,
        "--routes/--no-routes",
        help="record unit routes (default: on for drills and runs ≤ 1 day)",
    ),
    maps: bool = typer.Option(
        True, "--maps/--no-maps", help="write map.html, map.png and briefing.html"
    ),
    allow_large: bool = typer.Option(
        False, "--allow-large", help="run even if the size estimate exceeds the machine's memory"
    ),
    incidents: Path | None = typer.Option(
        None,
        help='your incident records (CSV/Parquet: time, lon/lat or node_id, type, optional dispatch/arrival/clear times) drive the run instead of random demand, and are compared with it; lon/lat WGS84 unless --incidents-map declares datum = "gcj02"/"bd09"',
    ),
    incidents_map: Path | None = typer.Option(
        None, help="TOML: [incidents] rename/constants/values/lonlat/datum for --incidents"
    ),
    skip_bad_rows: bool = typer.Option(
        False,
        "--skip-bad-rows",
        help="use the good incident records and list the bad ones (default: stop at any)",
    ),
) -> None:
    """Simulate a scenario; print the compliance table and write the results folder."""
    run_and_write(
        scenario,
        out=out,
        seed=seed,
        days=days,
        city=city,
        routes=routes,
        maps=maps,
        console=console,
        incidents=incidents,
        incidents_map=incidents_map,
        skip_bad_rows=skip_bad_rows,
        allow_large=allow_large,
    )


@app.command()
@reports_errors
def validate(path: Path = typer.Argument(..., help="a city folder")) -> None:
    """Check every layer of a city folder; list all problems (layer, ids, what, how to fix)."""
    raise typer.Exit(validate_command(path))


@app.command()
@reports_errors
def compare(
    paths: list[Path] = typer.Argument(
        ...,
        help="BASE.toml OTHER.toml [MORE.toml …] (paired replications), or BASE_DIR OTHER_DIR (two finished runs)",
    ),
    replications: int = typer.Option(
        10,
        "--replications",
        "-n",
        min=1,
        help="seeds base.seed … +N−1, the same for every scenario",
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        help="folder for comparison.csv, summary.txt and each scenario's replications",
    ),
    workers: int = typer.Option(2, min=1, help="local worker processes (Dask)"),
    days: float | None = typer.Option(
        None, help="override every scenario's simulated duration (days)"
    ),
    target: str = typer.Option(
        "30min", help="the target the tables and summary lead with (any in compliance.csv)"
    ),
    city: Path | None = typer.Option(
        None, help="city folder (default: the scenarios' / the runs')"
    ),
    address: str | None = typer.Option(None, help="a dask.distributed scheduler address"),
    cells: bool = typer.Option(
        True, "--cells/--no-cells", help="also compare every 1 km cell (Holm-adjusted)"
    ),
) -> None:
    """Compare options against a baseline: paired replications over common seeds with 95 % intervals."""
    check_target(target)
    compare_command(
        paths,
        replications=replications,
        out=out,
        workers=workers,
        days=days,
        target=target,
        city_path=city,
        address=address,
        cells=cells,
        console=console,
    )


@app.command()
@reports_errors
def sweep(
    scenario: Path | None = typer.Argument(None, help="scenario TOML (default: the baseline)"),
    replications: int = typer.Option(
        8, "--replications", "-n", min=1, help="runs, seeds seed..seed+n-1"
    ),
    days: float | None = typer.Option(None, help="override the simulated duration (days)"),
    workers: int = typer.Option(2, min=1, help="local worker processes"),
    address: str | None = typer.Option(None, help="a dask.distributed scheduler address"),
    out: Path | None = typer.Option(None, "--out", "-o", help="folder for sweep.csv"),
    allow_large: bool = typer.Option(
        False, "--allow-large", help="run even if the size estimate exceeds the machine's memory"
    ),
) -> None:
    """Run a scenario under many seeds (with Dask); share met per district with 95 % intervals."""
    sweep_command(
        scenario,
        replications=replications,
        days=days,
        workers=workers,
        address=address,
        out=out,
        console=console,
        allow_large=allow_large,
    )


@app.command()
@reports_errors
def site(
    add: int = typer.Option(
        1, "--add", "-k", min=1, help="new stations to site (LSCP: found, not given)"
    ),
    force: str = typer.Option("fire", help="force of the new stations"),
    objective: str = typer.Option(
        "mclp",
        help="mclp (most people within --minutes), pmedian (least people-weighted time), lscp (fewest stations covering all), pcenter (least worst time)",
    ),
    minutes: float = typer.Option(
        5.0,
        help="coverage time by road (min); the national standard's 5 min includes ~1 min turnout",
    ),
    period: str = typer.Option("offpeak", help="road times of: peak, offpeak or night"),
    out: Path = typer.Option(
        Path("results/site"),
        "--out",
        "-o",
        help="folder for the scenario TOML, map, budget and check",
    ),
    budget_max: int = typer.Option(10, "--budget", help="budget view k = 1..N (0: skip)"),
    replications: int = typer.Option(
        10, "--replications", "-n", min=0, help="paired simulation check (0: skip)"
    ),
    days: float = typer.Option(7.0, help="simulated days per replication of the check"),
    workers: int = typer.Option(2, min=1, help="local worker processes (Dask)"),
    address: str | None = typer.Option(
        None, help="a dask.distributed scheduler address (the simulation check runs there)"
    ),
    city: Path | None = typer.Option(None, help="city folder (default: embedded Chongqing)"),
    move: bool = typer.Option(
        False, "--move", help="move --add existing stations instead of adding (heuristic)"
    ),
) -> None:
    """Where new stations should go (PySAL spopt + HiGHS), checked by paired simulation."""
    site_command(
        add=add,
        force=force,
        objective=objective,
        minutes=minutes,
        period=period,
        out=out,
        budget_max=budget_max,
        replications=replications,
        days=days,
        workers=workers,
        address=address,
        city_path=city,
        console=console,
        move=move,
    )


@app.command("map")
@reports_errors
def map_(
    results: Path = typer.Argument(..., help="a results folder written by `twin run`"),
    city: Path | None = typer.Option(None, help="city folder (default: the one the run used)"),
    against: Path | None = typer.Option(
        None,
        help="a baseline results folder: also difference.html, and the briefing answers against it",
    ),
    lang: str = typer.Option("both", help="briefing language: both, en or zh"),
) -> None:
    """Redraw map.html, map.png, briefing.html, results.gpkg and districts.csv."""
    for p in map_command(results, city, against=against, lang=lang):
        console.print(f"wrote {p}")


@app.command()
@reports_errors
def replay(
    results: Path = typer.Argument(..., help="a results folder written by `twin run --routes`"),
    city: Path | None = typer.Option(None, help="city folder (default: the one the run used)"),
) -> None:
    """Write replay.html: units moving to the incidents, minute by minute."""
    console.print(f"wrote {replay_command(results, city)}")


def main() -> None:  # pragma: no cover - console entry point
    app()


@app.command("app")
@reports_errors
def app_command(
    port: int = typer.Option(DEFAULT_PORT, help="port to listen on"),
    host: str = typer.Option("127.0.0.1", help="address to bind (default: this machine only)"),
    runs_dir: Path | None = typer.Option(
        None, "--runs-dir", help="where the app keeps its runs (default: the user data folder)"
    ),
    city: Path | None = typer.Option(None, help="city folder (default: embedded Chongqing)"),
) -> None:
    """Start the planners' app (a local web page): point at the map, run, compare."""
    serve(host=host, port=port, runs_dir=runs_dir, city=city, console=console)


if __name__ == "__main__":  # pragma: no cover
    app()
