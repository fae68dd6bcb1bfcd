"""Checks on city layers at the boundary: every problem found, reported at once.

:func:`validate_layers` is what :func:`twin.model.city.load_city` calls on the layers *as read*
from a city folder (before they are projected), and what the importers call on what they
built. It collects every problem into a :class:`~twin.errors.ProblemList` and raises one
:class:`~twin.errors.TwinDataError`. :func:`validate_folder` runs the same checks on a
folder and *returns* the problems (for ``twin validate PATH``).

Checks, each a small function below:

- the required layers are present and not empty (:data:`twin.model.city.REQUIRED_LAYERS`), and
  at least one district is ``core`` (the study area);
- every layer has its required columns (:data:`twin.model.city.LAYERS`, except the columns
  :data:`twin.model.city.OPTIONAL_DEFAULTS` fills in on load), numbers are numbers and
  true/false columns hold true/false; whole-number columns (``units``, ``population``,
  ``install_year``) hold whole numbers;
- every layer states a CRS, and its coordinates are possible in that CRS
  (longitude/latitude within range for a geographic CRS; for a projected one, within its
  area of use plus a wide margin, and not numbers that look like degrees when the CRS's
  area lies far from 0, 0 — the classic "lon/lat labelled as UTM" mistake);
- geometries are present, non-empty, valid (:func:`shapely.is_valid_reason`) and of the
  layer's type (:data:`twin.model.city.GEOMETRY_TYPES`);
- ids are present and unique;
- numbers are finite; ``length_m``, ``speed_kph`` and ``diameter_mm`` are > 0; ``units``
  and ``population`` are ≥ 0;
- road edges join road nodes; pipes join junctions of their own network;
- pipe networks, junction kinds, station forces and district levels are ones the twin
  knows;
- the road graph is one (weakly) connected piece;
- every station is within :data:`MAX_SNAP_M` metres of a road node, and every pipe within
  :data:`twin.model.network_checks.MAX_PIPE_FROM_ROAD_M` (its nearer end);
- elevations lie within ±9 000 m and road speeds at most 200 km/h
  (:data:`twin.model.layer_checks.PLAUSIBLE`);
- the CRS the city works in (``city.json``'s ``crs``) covers the data and is metric-true
  there (:func:`twin.model.crs_checks.check_city_crs`: not UTM zone 1 for China, not Web
  Mercator).

Checks that depend on columns already reported missing are skipped rather than crash.
Everything is vectorised (numpy/shapely/scipy): the embedded twin (~40k nodes, ~100k
edges) validates in well under a second once read.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd

from twin.errors import Problem, ProblemList, TwinDataError
from twin.model.crs_checks import check_city_crs
from twin.model.files import read_folder, read_meta
from twin.model.layer_checks import (
    DISTRICT_LEVELS,
    FORCES,
    JUNCTION_KINDS,
    PIPE_NETWORKS,
    check_layer,
    check_required_layers,
)
from twin.model.layers import LAYERS
from twin.model.network_checks import (
    MAX_SNAP_M,
    check_edge_endpoints,
    check_pipe_endpoints,
    check_pipes_near_roads,
    check_road_connectivity,
    check_stations_near_roads,
    road_components,
    validate_points_near_roads,
)

__all__ = [
    "DISTRICT_LEVELS",
    "FORCES",
    "JUNCTION_KINDS",
    "MAX_SNAP_M",
    "PIPE_NETWORKS",
    "check_layers",
    "road_components",
    "validate_folder",
    "validate_layers",
    "validate_points_near_roads",
]


def validate_layers(
    layers: dict[str, gpd.GeoDataFrame], where: str, crs: str | None = None
) -> None:
    """Check city ``layers`` (as read, any stated CRS) and the CRS the city will work in
    (``crs``, from city.json; None: the data's UTM zone); raise one :class:`TwinDataError`
    listing every problem, titled "city data at ``where`` is invalid"."""
    crs_where = str(Path(where) / "city.json") if Path(where).is_dir() else where
    check_layers(layers, crs, crs_where).raise_if_any(f"city data at {where} is invalid")


def validate_folder(path: str | os.PathLike[str]) -> list[Problem]:
    """Every problem with the city folder at ``path`` (empty list: the folder is fine).

    Unlike :func:`validate_layers` this never raises for bad data: unreadable files and a
    missing folder are reported as problems too. Used by ``twin validate PATH``.
    """
    folder = Path(path)
    if not folder.is_dir():
        return [
            Problem(
                str(folder),
                "no such city folder",
                "give a folder holding districts/road_nodes/road_edges layer files "
                "(see ARCHITECTURE.md, 'A city folder')",
            )
        ]
    problems = ProblemList()
    crs = None
    try:
        crs = read_meta(folder).get("crs")
    except TwinDataError as exc:
        problems.extend(exc.problems)
    try:
        layers = read_folder(folder)
    except TwinDataError as exc:
        return [*problems, *exc.problems]
    problems.extend(check_layers(layers, crs, str(folder / "city.json")))
    return list(problems)


def check_layers(
    layers: dict[str, gpd.GeoDataFrame], crs: str | None = None, crs_where: str = "city.json"
) -> ProblemList:
    """All problems with ``layers`` (layer name → GeoDataFrame as read), without raising;
    with ``crs`` (the city's CRS, from ``crs_where``), also whether it fits the data."""
    problems = ProblemList()
    check_required_layers(layers, problems)
    for name, gdf in layers.items():
        if name in LAYERS:
            check_layer(name, gdf, problems)
    if crs is not None:
        problems.extend(check_city_crs(crs, layers, crs_where))
    check_edge_endpoints(layers, problems)
    check_pipe_endpoints(layers, problems)
    check_road_connectivity(layers, problems)
    check_stations_near_roads(layers, problems)
    check_pipes_near_roads(layers, problems)
    return problems
