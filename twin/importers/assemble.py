"""From roads to a working city: districts, people, cells and stations for an OSM import.

:func:`assemble` is the part of ``twin import osm`` after the roads are built. Every choice
it makes is written into the import notes (``city.json``'s ``import_notes``) and into
``city.json``'s ``population_source`` / ``population_estimate`` (shown by ``twin summary``).

Districts, in this order
    1. a user's file (``--districts``); 2. OSM administrative boundaries: ``--admin-level
    N``, or without it the finest level (≥ 4) whose areas (at least two) cover
    :data:`~twin.importers.assemble_districts.ADMIN_COVER` of the road nodes — clipped to the roads' hull; 3. one district
    ``D1`` over the roads' hull.
People
    :mod:`twin.importers.population` (raster, vector, else buildings or land use as an
    estimate); districts' ``population`` is the sum of their cells.
Stations
    OSM stations, plus a user's file (``--stations``, mapped with ``--map``), plus stations
    generated for the forces named in ``--generate-stations`` that have none
    (:mod:`twin.importers.stations`). Forces left without stations are named in the notes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from twin.errors import TwinDataError
from twin.importers import districts_from_nodes, note
from twin.importers.assemble_districts import admin_districts
from twin.importers.columns import read_map
from twin.importers.osm_features import Features
from twin.importers.population import (
    FLOOR_M2_PER_PERSON,
    Population,
    district_totals,
    from_buildings,
    from_landuse,
    from_raster,
    from_vector,
    grid_cells,
)
from twin.importers.stations import (
    FORCES,
    empty_stations,
    file_stations,
    generated_stations,
    inside,
    osm_stations,
)
from twin.model.city import read_layer_file

SAME_STATION_M = 150.0
"""An OSM station this close to a station of the same force in the user's file is the same."""


@dataclass(frozen=True)
class CityOptions:
    """What the user gave ``twin import osm`` besides the extract."""

    districts_path: Path | None = None
    admin_level: int | None = None
    stations_path: Path | None = None
    map_path: Path | None = None
    generate: tuple[str, ...] = ()
    population_path: Path | None = None
    population_column: str = "population"
    floor_m2_per_person: float = FLOOR_M2_PER_PERSON


def check_generate(forces: tuple[str, ...]) -> None:
    """Refuse unknown force names in ``--generate-stations``."""
    unknown = [f for f in forces if f not in FORCES]
    if unknown:
        raise TwinDataError.one(
            "--generate-stations",
            f"unknown forces {unknown}",
            f"name some of: {', '.join(FORCES)}",
            title="bad argument",
        )


def districts_for(
    nodes: gpd.GeoDataFrame, features: Features, name: str, opts: CityOptions, notes: list[str]
) -> gpd.GeoDataFrame:
    """The districts layer (module docstring, "Districts"), in the nodes' CRS."""
    if opts.districts_path is not None:
        d = read_layer_file(Path(opts.districts_path))
        note(notes, f"districts from {Path(opts.districts_path).name} ({len(d)})")
        return d
    hull = nodes.geometry.union_all().convex_hull.buffer(50.0)
    admin = admin_districts(nodes, features, hull, opts.admin_level, notes)
    if admin is not None:
        return admin
    note(
        notes,
        "no districts given and no usable OSM administrative boundaries: one "
        "district D1 covers the road network; pass --districts FILE for real ones",
    )
    return districts_from_nodes(nodes, name)


def population_for(cells: gpd.GeoDataFrame, features: Features, opts: CityOptions) -> Population:
    """Cells with people from the first available source (see twin.importers.population)."""
    path = opts.population_path
    if path is not None:
        path = Path(path)
        if path.suffix.lower() in (".tif", ".tiff"):
            return from_raster(path, cells)
        return from_vector(path, cells, opts.population_column)
    pop = from_buildings(features.buildings, cells, opts.floor_m2_per_person)
    if pop.cells["population"].sum() > 0:
        return pop
    pop = from_landuse(features.residential, cells)
    if pop.cells["population"].sum() > 0:
        return pop
    return Population(
        cells,
        "none (no population file, no buildings or residential land use in the extract)",
        True,
        ["no population: no people, so no random incidents; give --population FILE"],
    )


def stations_for(
    features: Features,
    districts: gpd.GeoDataFrame,
    cells: gpd.GeoDataFrame,
    nodes: gpd.GeoDataFrame,
    opts: CityOptions,
    notes: list[str],
) -> gpd.GeoDataFrame:
    """OSM + file + generated stations (module docstring, "Stations")."""
    parts = []
    found = osm_stations(features.stations, districts)
    found, outside = inside(found)
    if outside:
        note(
            notes,
            f"{len(outside)} OSM stations lie outside the districts and were not "
            f"taken: {', '.join(outside[:5])}{'…' if len(outside) > 5 else ''}",
        )
    if len(found):
        by = found["force"].value_counts().to_dict()
        note(
            notes,
            f"stations from OSM: {', '.join(f'{v} {k}' for k, v in sorted(by.items()))}"
            f" (units per station assumed: twin.importers.stations.OSM_UNITS)",
        )
        parts.append(found)
    if opts.stations_path is not None:
        mine = file_stations(
            Path(opts.stations_path), read_map(opts.map_path, "stations"), districts
        )
        note(notes, f"stations from {Path(opts.stations_path).name}: {len(mine)}")
        if parts:
            parts[0] = _drop_duplicates(parts[0], mine, notes)
        parts.append(mine)
    have = set(pd.concat([p["force"] for p in parts]).unique()) if parts else set()
    wanted = [f for f in opts.generate if f not in have]
    skipped = [f for f in opts.generate if f in have]
    if skipped:
        note(notes, f"not generated (already have stations): {', '.join(skipped)}")
    if wanted:
        xy = shapely.get_coordinates(nodes.geometry.values)
        gen = generated_stations(wanted, cells, xy, districts)
        by = gen["force"].value_counts().to_dict()
        note(
            notes,
            f"GENERATED stations by the planning rule (column generated=True): "
            f"{', '.join(f'{v} {k}' for k, v in sorted(by.items()))} — see "
            "twin.importers.stations",
        )
        parts.append(gen)
    stations = (
        gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=districts.crs)
        if parts
        else empty_stations(districts.crs)
    )
    return stations


def _drop_duplicates(
    osm: gpd.GeoDataFrame, mine: gpd.GeoDataFrame, notes: list[str]
) -> gpd.GeoDataFrame:
    """OSM stations without a station of the same force of the user's file within
    :data:`SAME_STATION_M` (the user's list wins: it has the real unit counts)."""
    if osm.empty or mine.empty:
        return osm
    near = gpd.sjoin_nearest(
        osm[["force", "geometry"]],
        mine[["force", "geometry"]],
        max_distance=SAME_STATION_M,
        how="inner",
    )
    same = near.index[near["force_left"] == near["force_right"]].unique()
    if len(same):
        note(
            notes,
            f"{len(same)} OSM stations replaced by the file's stations within "
            f"{SAME_STATION_M:g} m: {', '.join(osm.loc[same, 'name'].astype(str)[:5])}",
        )
    return osm.drop(index=same).reset_index(drop=True)


def note_missing_forces(stations: gpd.GeoDataFrame, notes: list[str]) -> None:
    """Name the forces without any station (their incidents would get no unit)."""
    missing = [f for f in FORCES if f not in set(stations["force"])]
    if missing:
        note(
            notes,
            f"no stations of: {', '.join(missing)} — incidents needing them get no "
            f"unit; add --generate-stations {','.join(missing)} or --stations FILE",
        )


def assemble(
    nodes: gpd.GeoDataFrame,
    features: Features,
    name: str,
    opts: CityOptions,
    notes: list[str],
    given: Given | None = None,
) -> tuple[dict[str, gpd.GeoDataFrame], dict[str, object]]:
    """Districts, cells and stations for the roads ``nodes`` (metric CRS), and the meta
    entries saying where the people came from. ``given``: layers a caller already has
    (the Chongqing path: embedded districts with census populations and their cells)."""
    if given is not None and given.districts is not None:
        districts = given.districts.to_crs(nodes.crs)
    else:
        districts = districts_for(nodes, features, name, opts, notes)
    if districts.crs is None or "district_id" not in districts.columns:
        return {"districts": districts}, {}  # the validator reports it
    districts = districts.to_crs(nodes.crs)
    if given is not None and given.cells is not None:
        pop = Population(
            given.cells.to_crs(nodes.crs),
            given.population_source,
            given.population_estimate,
            [f"people: the given cells ({given.population_source})"],
        )
    else:
        pop = population_for(grid_cells(districts), features, opts)
    for text in pop.notes:
        note(notes, text)
    cells = pop.cells
    districts = districts.copy()
    if _has_counts(districts) and opts.population_path is None and given is None:
        pop = scaled_to_districts(pop, districts)
        cells = pop.cells
        note(notes, f"population from the districts file: {pop.source}")
    elif given is None or not given.keep_population:
        districts["population"] = district_totals(districts, cells)
    stations = stations_for(features, districts, cells, nodes, opts, notes)
    if given is not None and given.stations is not None:
        stations = given.merge_stations(stations, nodes, notes)
    note_missing_forces(stations, notes)
    meta = {"population_source": pop.source, "population_estimate": pop.estimate}
    return {"districts": districts, "cells": cells, "stations": stations}, meta


def _has_counts(districts: gpd.GeoDataFrame) -> bool:
    if "population" not in districts.columns:
        return False
    values = pd.to_numeric(districts["population"], errors="coerce")
    return bool(values.notna().all() and values.sum() > 0)


def scaled_to_districts(pop: Population, districts: gpd.GeoDataFrame) -> Population:
    """Cells whose populations add up to each district's own ``population`` (a user's
    census figures), shared among the district's cells as ``pop`` has them (by area where
    ``pop`` has nobody in the district)."""
    cells = pop.cells.copy()
    target = dict(
        zip(
            districts["district_id"].astype(str),
            pd.to_numeric(districts["population"]).astype(float),
        )
    )
    for d, idx in cells.groupby("district_id").groups.items():
        weight = cells.loc[idx, "population"].to_numpy(float)
        if weight.sum() <= 0:
            weight = cells.loc[idx].geometry.area.to_numpy()
        cells.loc[idx, "population"] = target.get(str(d), 0.0) * weight / weight.sum()
    return Population(
        cells, f"districts' population column, shared among cells by {pop.source}", False, pop.notes
    )


@dataclass
class Given:
    """Layers supplied by the caller instead of derived (see :func:`assemble`).

    ``stations``: kept for every force OSM and the options gave none of (snapped to the
    new roads); ``keep_population``: the districts' own ``population`` stays."""

    districts: gpd.GeoDataFrame | None = None
    cells: gpd.GeoDataFrame | None = None
    stations: gpd.GeoDataFrame | None = None
    keep_population: bool = False
    population_source: str = "given"
    population_estimate: bool = False

    def merge_stations(
        self, found: gpd.GeoDataFrame, nodes: gpd.GeoDataFrame, notes: list[str]
    ) -> gpd.GeoDataFrame:
        """``found`` plus the given stations of forces ``found`` lacks, moved to the
        nearest new road node."""
        assert self.stations is not None
        have = set(found["force"])
        keep = self.stations[~self.stations["force"].isin(have)].to_crs(nodes.crs).copy()
        if keep.empty:
            return found
        xy = shapely.get_coordinates(nodes.geometry.values)
        idx = cKDTree(xy).query(shapely.get_coordinates(keep.geometry.values))[1]
        keep["geometry"] = shapely.points(xy[idx])
        keep["generated"] = True  # the embedded twin's stations are synthetic
        keep["source"] = "embedded twin (synthetic), snapped to the OSM roads"
        by = keep["force"].value_counts().to_dict()
        note(
            notes,
            "stations kept from the template city (synthetic in the embedded twin; "
            "OSM has none of these forces), moved to the nearest OSM road node: "
            + ", ".join(f"{v} {k}" for k, v in sorted(by.items())),
        )
        return gpd.GeoDataFrame(
            pd.concat([found, keep[found.columns]], ignore_index=True), crs=nodes.crs
        )
