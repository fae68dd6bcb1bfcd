"""The ``twin`` command.

    twin run [SCENARIO] [--out DIR] [--seed N] [--days D]   simulate, print the 10/30/60 table
    twin summary [CITY]                                     the twin's headline figures
    twin validate PATH                                      check a city folder, list problems
    twin import osm|epanet|gis ...                          turn real data into a city folder
    twin sweep [SCENARIO] -n 8                              replications over seeds (Dask), with CIs
    twin compare BASE_DIR OTHER_DIR                         a scenario against the baseline, by district
    twin map DIR / twin replay DIR                          redraw maps from a results folder

Bad input exits with status 2 and a list of problems (never a traceback).
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Callable, Optional

import typer
from rich.console import Console

from twin.app.command import DEFAULT_PORT, serve
from twin.errors import TwinDataError
from twin.importers.assemble import CityOptions

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Shancheng Twin (山城孪生): emergency-response digital twin of Chongqing.")
import_app = typer.Typer(no_args_is_help=True, help="Import real data as a city folder.")
app.add_typer(import_app, name="import")
console = Console(width=None if sys.stdout.isatty() else 120)


def reports_errors(fn: Callable) -> Callable:
    """Turn a TwinDataError into a clear message and exit status 2."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except TwinDataError as exc:
            console.print("error:", style="bold red", end=" ")
            console.print(str(exc), highlight=False, markup=False)
            raise typer.Exit(2) from None

    return wrapper


@app.command()
@reports_errors
def summary(city: Optional[Path] = typer.Argument(None, help="city folder (default: embedded Chongqing)")) -> None:
    """Print the twin's summary: districts, population, roads, bridges, tunnels, pipes, stations."""
    from twin.model.city import load_city
    from twin.analysis.report import city_summary_table, print_tables

    print_tables(city_summary_table(load_city(city).summary()), console=console)


@app.command()
@reports_errors
def run(
    scenario: Optional[Path] = typer.Argument(None, help="scenario TOML (default: the baseline)"),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="results folder (default: results/<scenario name>)"),
    seed: Optional[int] = typer.Option(None, help="override the scenario's seed"),
    days: Optional[float] = typer.Option(None, help="override the simulated duration (days)"),
    city: Optional[Path] = typer.Option(None, help="city folder (default: the scenario's, else embedded Chongqing)"),
    routes: Optional[bool] = typer.Option(None, "--routes/--no-routes", help="record unit routes (default: on for drills and runs ≤ 1 day)"),
    maps: bool = typer.Option(True, "--maps/--no-maps", help="write map.html, map.png and briefing.html"),
    incidents: Optional[Path] = typer.Option(None, help="your incident records (CSV/Parquet: time, lon/lat or node_id, type, optional dispatch/arrival/clear times) drive the run instead of random demand, and are compared with it; lon/lat WGS84 unless --incidents-map declares datum = \"gcj02\"/\"bd09\""),
    incidents_map: Optional[Path] = typer.Option(None, help="TOML: [incidents] rename/constants/values/lonlat/datum for --incidents"),
    skip_bad_rows: bool = typer.Option(False, "--skip-bad-rows", help="use the good incident records and list the bad ones (default: stop at any)"),
) -> None:
    """Simulate a scenario; print the compliance table and write the results folder."""
    from twin.cli.job import run_and_write

    run_and_write(scenario, out=out, seed=seed, days=days, city=city, routes=routes,
                  maps=maps, console=console, incidents=incidents,
                  incidents_map=incidents_map, skip_bad_rows=skip_bad_rows)


@app.command()
@reports_errors
def validate(path: Path = typer.Argument(..., help="a city folder")) -> None:
    """Check every layer of a city folder; list all problems (layer, ids, what, how to fix)."""
    from twin.importers.commands import validate_command

    raise typer.Exit(validate_command(path))


@import_app.command("osm")
@reports_errors
def import_osm(
    source: Path = typer.Argument(..., help=".osm, .osm.bz2 or .osm.pbf extract"),
    out: Path = typer.Argument(..., help="city folder to write"),
    districts: Optional[Path] = typer.Option(None, help="district polygons (GPKG/GeoJSON/SHP); default: OSM admin boundaries, else one district"),
    admin_level: Optional[int] = typer.Option(None, help="OSM admin_level to take as districts (default: chosen, see twin.importers.assemble)"),
    stations: Optional[Path] = typer.Option(None, help="your stations (CSV with lon/lat, Parquet, GPKG/GeoJSON/SHP); lon/lat WGS84 unless the --map declares datum = \"gcj02\"/\"bd09\""),
    mapping: Optional[Path] = typer.Option(None, "--map", help="TOML: [stations] rename/constants/values/scale/lonlat/datum for --stations"),
    generate_stations: Optional[str] = typer.Option(None, help="forces to generate by the planning rule where they have no stations, e.g. fire,community (marked generated)"),
    population: Optional[Path] = typer.Option(None, help="people: a GeoTIFF of people per pixel (WorldPop) or a layer with counts; default: estimated from OSM buildings"),
    population_column: str = typer.Option("population", help="count column of a --population layer"),
    floor_m2_per_person: float = typer.Option(40.0, min=1.0, help="residential floor m² per person for the building estimate (assumption; 20-70)"),
    clip_embedded: bool = typer.Option(False, "--clip-embedded", help="Chongqing: clip to the embedded nine districts and keep their census populations"),
    largest_component: bool = typer.Option(True, "--largest-component/--keep-all",
                                           help="keep only the largest connected road network"),
    name: Optional[str] = typer.Option(None, help="city name"),
) -> None:
    """An OpenStreetMap extract → a working city folder: roads (bridges, tunnels, speeds from tags),
    districts, people in 1 km cells, stations from OSM (fire, ambulance, rescue, helipads)."""
    from twin.importers.commands import import_osm_command

    forces = tuple(f.strip() for f in generate_stations.split(",") if f.strip()) if generate_stations else ()
    opts = CityOptions(districts_path=districts, admin_level=admin_level, stations_path=stations,
                       map_path=mapping, generate=forces, population_path=population,
                       population_column=population_column,
                       floor_m2_per_person=floor_m2_per_person)
    raise typer.Exit(import_osm_command(source, out, largest_component=largest_component,
                                        name=name, options=opts, clip_embedded=clip_embedded))


@import_app.command("epanet")
@reports_errors
def import_epanet(
    source: Path = typer.Argument(..., help="EPANET .inp file"),
    into: Path = typer.Option(..., help="the city folder the network belongs to"),
    out: Optional[Path] = typer.Option(None, help="folder to write (default: --into)"),
    crs: Optional[str] = typer.Option(None, help="CRS of the .inp coordinates, e.g. EPSG:32648"),
    anchor: Optional[str] = typer.Option(None, help="LON,LAT to place a network with plane coordinates"),
    units_to_m: Optional[float] = typer.Option(None, help="metres per coordinate unit (with --anchor)"),
    network: str = typer.Option("water", help="which pipe network it replaces"),
    id_prefix: str = typer.Option("", help="prefix for the imported ids"),
) -> None:
    """An EPANET water network (via wntr) → the pipes and junctions of an existing city."""
    from twin.importers.commands import import_epanet_command

    raise typer.Exit(import_epanet_command(source, into, out, crs, anchor, units_to_m,
                                           network, id_prefix))


@import_app.command("gis")
@reports_errors
def import_gis(
    sources: list[Path] = typer.Argument(..., help="a GeoPackage, a folder, or layer files; last: OUT"),
    mapping: Optional[Path] = typer.Option(None, "--map", help="JSON/TOML: layer names and column renames"),
    largest_component: bool = typer.Option(False, "--largest-component/--keep-all"),
    name: Optional[str] = typer.Option(None, help="city name"),
) -> None:
    """Your own GIS layers (GeoPackage / GeoJSON / Shapefile) → a city folder (the last argument)."""
    from twin.importers.commands import import_gis_command

    if len(sources) < 2:
        raise TwinDataError.one("twin import gis", "give the input(s) and then the output folder",
                                "e.g. twin import gis mycity.gpkg cities/mycity")
    raise typer.Exit(import_gis_command(sources[:-1], sources[-1], mapping, largest_component, name))


@app.command()
@reports_errors
def compare(base: Path = typer.Argument(..., help="results folder of the baseline run"),
            other: Path = typer.Argument(..., help="results folder of the scenario run"),
            target: str = typer.Option("30min", help="10min, 30min or 60min"),
            city: Optional[Path] = typer.Option(None, help="city folder for district names")) -> None:
    """Compare two runs district by district: share met and p90, and the change."""
    from twin.model.city import load_city
    from twin.analysis.compare import compare_compliance, comparison_table
    from twin.analysis.results import read_results

    a, b = read_results(base), read_results(other)
    diff = compare_compliance(a["compliance"], b["compliance"])
    c = load_city(city or (a.summary.get("city") or {}).get("source"))
    names = dict(zip(c.districts["district_id"], c.districts["name"] + " " + c.districts["name_en"]))
    console.print(comparison_table(diff, names, target,
                                   a.summary.get("scenario", {}).get("name", "base"),
                                   b.summary.get("scenario", {}).get("name", "other")))


@app.command()
@reports_errors
def sweep(
    scenario: Optional[Path] = typer.Argument(None, help="scenario TOML (default: the baseline)"),
    replications: int = typer.Option(8, "--replications", "-n", min=1, help="runs, seeds seed..seed+n-1"),
    days: Optional[float] = typer.Option(None, help="override the simulated duration (days)"),
    workers: int = typer.Option(2, min=1, help="local worker processes"),
    address: Optional[str] = typer.Option(None, help="a dask.distributed scheduler address"),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="folder for sweep.csv"),
) -> None:
    """Run a scenario under many seeds (with Dask); share met per district with 95 % intervals."""
    from twin.cli.job import print_sweep
    from twin.scenario.spec import load_scenario
    from twin.analysis.sweep import summarise, sweep as run_sweep, write_sweep

    sc = load_scenario(scenario)
    if days is not None:
        sc = sc.with_(days=days)
    rows = run_sweep(sc, replications, workers=workers, address=address)
    summary = summarise(rows)
    print_sweep(summary, console)
    if out is not None:
        console.print(f"written to {write_sweep(summary, rows, out)}")


@app.command("map")
@reports_errors
def map_(results: Path = typer.Argument(..., help="a results folder written by `twin run`"),
         city: Optional[Path] = typer.Option(None, help="city folder (default: the one the run used)")) -> None:
    """Redraw map.html, map.png and briefing.html from a results folder."""
    from twin.viz.commands import map_command

    for p in map_command(results, city):
        console.print(f"wrote {p}")


@app.command()
@reports_errors
def replay(results: Path = typer.Argument(..., help="a results folder written by `twin run --routes`"),
           city: Optional[Path] = typer.Option(None, help="city folder (default: the one the run used)")) -> None:
    """Write replay.html: units moving to the incidents, minute by minute."""
    from twin.viz.commands import replay_command

    console.print(f"wrote {replay_command(results, city)}")


def main() -> None:  # pragma: no cover - console entry point
    app()



@app.command("app")
@reports_errors
def app_command(
    port: int = typer.Option(DEFAULT_PORT, help="port to listen on"),
    host: str = typer.Option("127.0.0.1", help="address to bind (default: this machine only)"),
    runs_dir: Optional[Path] = typer.Option(None, "--runs-dir", help="where the app keeps its runs (default: the user data folder)"),
    city: Optional[Path] = typer.Option(None, help="city folder (default: embedded Chongqing)"),
) -> None:
    """Start the planners' app (a local web page): point at the map, run, compare."""
    serve(host=host, port=port, runs_dir=runs_dir, city=city, console=console)


if __name__ == "__main__":  # pragma: no cover
    app()
