"""``twin import osm|epanet|gis``: turn real data into a city folder (the ``import`` sub-app)."""

from __future__ import annotations

from pathlib import Path

import typer

from twin.cli.common import reports_errors
from twin.errors import TwinDataError
from twin.importers.assemble import CityOptions
from twin.importers.commands import (
    import_epanet_command,
    import_gis_command,
    import_osm_command,
)

import_app = typer.Typer(no_args_is_help=True, help="Import real data as a city folder.")


@import_app.command("osm")
@reports_errors
def import_osm(
    source: Path = typer.Argument(..., help=".osm, .osm.bz2 or .osm.pbf extract"),
    out: Path = typer.Argument(..., help="city folder to write"),
    districts: Path | None = typer.Option(
        None,
        help="district polygons (GPKG/GeoJSON/SHP); default: OSM admin boundaries, else one district",
    ),
    admin_level: int | None = typer.Option(
        None,
        help="OSM admin_level to take as districts (default: chosen, see twin.importers.assemble)",
    ),
    stations: Path | None = typer.Option(
        None,
        help='your stations (CSV with lon/lat, Parquet, GPKG/GeoJSON/SHP); lon/lat WGS84 unless the --map declares datum = "gcj02"/"bd09"',
    ),
    mapping: Path | None = typer.Option(
        None,
        "--map",
        help="TOML: [stations] rename/constants/values/scale/lonlat/datum for --stations",
    ),
    generate_stations: str | None = typer.Option(
        None,
        help="forces to generate by the planning rule where they have no stations, e.g. fire,community (marked generated)",
    ),
    population: Path | None = typer.Option(
        None,
        help="people: a GeoTIFF of people per pixel (WorldPop) or a layer with counts; default: estimated from OSM buildings",
    ),
    population_column: str = typer.Option(
        "population", help="count column of a --population layer"
    ),
    floor_m2_per_person: float = typer.Option(
        40.0,
        min=1.0,
        help="residential floor m² per person for the building estimate (assumption; 20-70)",
    ),
    clip_embedded: bool = typer.Option(
        False,
        "--clip-embedded",
        help="Chongqing: clip to the embedded nine districts and keep their census populations",
    ),
    largest_component: bool = typer.Option(
        True, "--largest-component/--keep-all", help="keep only the largest connected road network"
    ),
    name: str | None = typer.Option(None, help="city name"),
) -> None:
    """An OpenStreetMap extract → a working city folder: roads (bridges, tunnels, speeds from tags),
    districts, people in 1 km cells, stations from OSM (fire, ambulance, rescue, helipads)."""
    forces = (
        tuple(f.strip() for f in generate_stations.split(",") if f.strip())
        if generate_stations
        else ()
    )
    opts = CityOptions(
        districts_path=districts,
        admin_level=admin_level,
        stations_path=stations,
        map_path=mapping,
        generate=forces,
        population_path=population,
        population_column=population_column,
        floor_m2_per_person=floor_m2_per_person,
    )
    raise typer.Exit(
        import_osm_command(
            source,
            out,
            largest_component=largest_component,
            name=name,
            options=opts,
            clip_embedded=clip_embedded,
        )
    )


@import_app.command("epanet")
@reports_errors
def import_epanet(
    source: Path = typer.Argument(..., help="EPANET .inp file"),
    into: Path = typer.Option(..., help="the city folder the network belongs to"),
    out: Path | None = typer.Option(None, help="folder to write (default: --into)"),
    crs: str | None = typer.Option(None, help="CRS of the .inp coordinates, e.g. EPSG:32648"),
    anchor: str | None = typer.Option(
        None, help="LON,LAT to place a network with plane coordinates"
    ),
    units_to_m: float | None = typer.Option(
        None, help="metres per coordinate unit (with --anchor)"
    ),
    network: str = typer.Option("water", help="which pipe network it replaces"),
    id_prefix: str = typer.Option("", help="prefix for the imported ids"),
) -> None:
    """An EPANET water network (via wntr) → the pipes and junctions of an existing city."""
    raise typer.Exit(
        import_epanet_command(source, into, out, crs, anchor, units_to_m, network, id_prefix)
    )


@import_app.command("gis")
@reports_errors
def import_gis(
    sources: list[Path] = typer.Argument(
        ..., help="a GeoPackage, a folder, or layer files; last: OUT"
    ),
    mapping: Path | None = typer.Option(
        None, "--map", help="JSON/TOML: layer names and column renames"
    ),
    largest_component: bool = typer.Option(False, "--largest-component/--keep-all"),
    name: str | None = typer.Option(None, help="city name"),
) -> None:
    """Your own GIS layers (GeoPackage / GeoJSON / Shapefile) → a city folder (the last argument)."""
    if len(sources) < 2:
        raise TwinDataError.one(
            "twin import gis",
            "give the input(s) and then the output folder",
            "e.g. twin import gis mycity.gpkg cities/mycity",
        )
    raise typer.Exit(
        import_gis_command(sources[:-1], sources[-1], mapping, largest_component, name)
    )
