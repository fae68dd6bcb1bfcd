"""The ``twin import`` and ``twin validate`` commands, as plain functions returning exit codes.

``twin/cli.py`` registers them (typer); each prints a rich report and returns 0 on success,
2 when the data has problems (the CLI's exit status for bad input; every problem listed:
where, ids, what, how to fix).
Intended command lines::

    twin validate PATH
    twin import osm FILE OUT [--districts FILE | --admin-level N] [--stations FILE
                              [--map MAP.toml]] [--generate-stations fire,community,…]
                              [--population FILE.tif|LAYER [--population-column C]]
                              [--floor-m2-per-person M2] [--clip-embedded]
                              [--largest-component/--keep-all] [--name NAME]
    twin import epanet FILE --into CITY_DIR [--out DIR] (--crs CRS | --anchor LON,LAT
                              [--units-to-m M]) [--network water] [--id-prefix P]
    twin import gis SOURCE... OUT [--map MAPPING.json] [--largest-component] [--name NAME]
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast

from rich.console import Console
from rich.table import Table

from twin.analysis.report import city_summary_table
from twin.errors import MAX_IDS_SHOWN, Problem, TwinDataError
from twin.importers.assemble import CityOptions
from twin.importers.chongqing import import_chongqing
from twin.importers.epanet import import_epanet
from twin.importers.gis import import_gis, read_mapping
from twin.importers.osm import import_osm
from twin.model.city import FILE_EXTENSIONS, LAYERS, City, load_city, save_city
from twin.model.validate import MAX_SNAP_M, validate_folder

OK, BAD_DATA = 0, 2


def validate_command(path: str | Path) -> int:
    """``twin validate PATH``: check a city folder; print every problem, or "OK" and the
    city's summary. Returns the exit code (0 valid, 2 problems)."""
    console = Console()
    start = time.perf_counter()
    problems = validate_folder(path)
    took = time.perf_counter() - start
    if problems:
        print_problems(console, problems, f"{path} is invalid")
        return BAD_DATA
    city = load_city(path, validate=False)
    console.print(f"[bold green]OK[/]: {path} is a valid city (checked in {took:.2f} s)")
    print_summary(console, city)
    return OK


def import_osm_command(
    path: Path,
    out: Path,
    districts: Path | None = None,
    stations: Path | None = None,
    largest_component: bool = True,
    name: str | None = None,
    options: CityOptions | None = None,
    clip_embedded: bool = False,
) -> int:
    """``twin import osm FILE OUT [options]``: an OSM extract (.osm, .osm.bz2, .osm.pbf) →
    a working city folder OUT (roads, districts, cells with people, stations)."""

    def build() -> City:
        if clip_embedded:
            return import_chongqing(path, options=options, name=name)
        return import_osm(
            path,
            districts_path=districts,
            stations_path=stations,
            largest_component=largest_component,
            name=name,
            options=options,
        )

    return _run(build, out, f"OpenStreetMap {path}")


def import_epanet_command(
    path: Path,
    into: Path,
    out: Path | None = None,
    crs: str | None = None,
    anchor: str | None = None,
    units_to_m: float | None = None,
    network: str = "water",
    id_prefix: str = "",
    max_snap_m: float = MAX_SNAP_M,
) -> int:
    """``twin import epanet FILE --into CITY_DIR [--out DIR] (--crs CRS | --anchor LON,LAT
    [--units-to-m M]) [--network water] [--id-prefix P]``: replace the city's water (or
    ``--network``) pipes and junctions by an EPANET model's; writes OUT (default: CITY_DIR)."""

    def build() -> City:
        return import_epanet(
            path,
            into,
            crs=crs,
            anchor_lonlat=parse_lonlat(anchor),
            units_to_m=units_to_m,
            network=network,
            id_prefix=id_prefix,
            max_snap_m=max_snap_m,
        )

    return _run(build, out or into, f"EPANET {path} into {into}")


def import_gis_command(
    sources: Sequence[Path],
    out: Path,
    mapping: Path | None = None,
    largest_component: bool = False,
    name: str | None = None,
) -> int:
    """``twin import gis SOURCE... OUT [--map MAPPING.json|.toml] [--largest-component]
    [--name NAME]``: a GeoPackage, a folder of layer files, or layer files → city folder OUT."""

    def build() -> City:
        layers, rename = read_mapping(mapping) if mapping else ({}, {})
        return import_gis(
            sources, layers=layers, rename=rename, name=name, largest_component=largest_component
        )

    return _run(build, out, f"GIS {', '.join(map(str, sources))}")


def import_command(
    kind: str, source: Path | Sequence[Path], out: Path | None = None, **options: Any
) -> int:
    """Dispatch ``twin import KIND ...`` (kind: osm, epanet, gis) to the commands above;
    ``options`` are their keyword arguments."""
    one = cast(Path, source)  # osm and epanet take a single source file
    if kind == "osm":
        return import_osm_command(Path(one), Path(cast(Path, out)), **options)
    if kind == "epanet":
        into = options.pop("into", None)
        if into is None:
            return _fail(
                TwinDataError.one(
                    "twin import epanet",
                    "no --into CITY_DIR given",
                    "an EPANET model has no roads: name the city folder it belongs to with --into",
                    title="cannot import EPANET",
                )
            )
        return import_epanet_command(Path(one), Path(into), out, **options)
    if kind == "gis":
        sources = [Path(source)] if isinstance(source, (str, Path)) else list(source)
        return import_gis_command(sources, Path(cast(Path, out)), **options)
    return _fail(
        TwinDataError.one(
            "twin import",
            f"unknown kind {kind!r}",
            "use one of: osm, epanet, gis",
            title="cannot import",
        )
    )


def parse_lonlat(text: str | None) -> tuple[float, float] | None:
    """``"106.55,29.56"`` → ``(106.55, 29.56)``; None stays None."""
    if text is None:
        return None
    try:
        lon, lat = (float(p) for p in text.split(","))
    except ValueError:
        raise TwinDataError.one(
            "--anchor",
            f"{text!r} is not LON,LAT",
            "write it like --anchor 106.55,29.56 (degrees, WGS84)",
            title="bad argument",
        ) from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise TwinDataError.one(
            "--anchor",
            f"{text!r} is outside lon -180..180, lat -90..90",
            "longitude comes first: --anchor 106.55,29.56",
            title="bad argument",
        )
    return lon, lat


def check_out_folder(out: Path) -> None:
    """Refuse to write over a folder that is not a city folder (save_city replaces it whole)."""
    out = Path(out)
    if out.is_file():
        raise TwinDataError.one(
            str(out),
            "is a file, not a folder",
            "give a folder path for the city",
            title="cannot write city",
        )
    if out.is_dir() and any(out.iterdir()) and not _is_city_folder(out):
        raise TwinDataError.one(
            str(out),
            "exists and is not a city folder: writing the city "
            "there would replace everything in it",
            "give a new folder (or an existing city folder to replace)",
            title="cannot write city",
        )


def _is_city_folder(folder: Path) -> bool:
    names = {p.name for p in folder.iterdir()}
    ours = {"city.json"} | {f"{layer}.{ext}" for layer in LAYERS for ext in FILE_EXTENSIONS}
    return bool(names) and names <= ours  # a user's file among them: not ours to replace


# ---------------------------------------------------------------------------- printing


def _run(build: Callable[[], City], out: Path, what: str) -> int:
    console = Console()
    start = time.perf_counter()
    try:
        check_out_folder(out)
        city = build()
    except TwinDataError as exc:
        return _fail(exc, console)
    final = save_city(city, out)
    console.print(f"[bold green]Imported[/] {what} → {final} ({time.perf_counter() - start:.1f} s)")
    for text in city.meta.get("import_notes", []):
        console.print(f"  • {text}")
    print_summary(console, city)
    return OK


def _fail(exc: TwinDataError, console: Console | None = None) -> int:
    print_problems(console or Console(), exc.problems, exc.title)
    return BAD_DATA


def print_problems(console: Console, problems: Sequence[Problem], title: str) -> None:
    """A table of problems (where, ids, what, how to fix) on a terminal; plain lines, one
    problem each, when the output goes to a file or pipe (so it can be searched)."""
    n = len(problems)
    if not console.is_terminal:
        console.print(
            str(TwinDataError(list(problems), title)), markup=False, highlight=False, soft_wrap=True
        )
        return
    table = Table(
        title=f"{title}: {n} problem{'s' if n != 1 else ''}",
        show_lines=True,
        title_style="bold red",
    )
    for col in ("where", "ids", "what", "how to fix"):
        table.add_column(col, overflow="fold")
    for p in problems:
        ids = ", ".join(p.ids[:MAX_IDS_SHOWN])
        if len(p.ids) > MAX_IDS_SHOWN:
            ids += f", … ({len(p.ids)} in all)"
        where = p.where if p.line is None else f"{p.where}:{p.line}"
        table.add_row(where, ids, p.what, p.fix)
    console.print(table)


def print_summary(console: Console, city: City) -> None:
    """City.summary() as the same table ``twin summary`` prints."""
    console.print(city_summary_table(city.summary()))
