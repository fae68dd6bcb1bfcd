"""Importers: other people's data (OpenStreetMap, EPANET, GIS files) → a :class:`~twin.City`.

- :func:`twin.importers.osm.import_osm` — a working city from an OSM extract (``.osm``,
  ``.osm.bz2``, ``.osm.gz``, ``.osm.pbf``): roads, districts, people in 1 km cells and
  stations (:mod:`twin.importers.assemble`); :func:`twin.importers.chongqing.import_chongqing`
  the same clipped to the embedded Chongqing districts;
- :func:`twin.importers.epanet.import_epanet` — a water network from an EPANET ``.inp``
  file, added to an existing city;
- :func:`twin.importers.gis.import_gis` — a user's GeoPackage / GeoJSON / Shapefile layers.

Each returns a validated ``City`` (in a metric CRS); :func:`twin.save_city` writes it as a
city folder that :func:`twin.load_city` reads back. What an importer dropped or assumed is
listed in ``city.meta["import_notes"]`` (and so in the folder's ``city.json``).
``twin/importers/commands.py`` holds the ``twin import`` / ``twin validate`` commands.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from twin.errors import TwinDataError
from twin.model.city import city_from_layers
from twin.model.validate import road_components

log = logging.getLogger("twin.importers")

__all__ = ["city_from_layers", "keep_largest_component", "log"]


def keep_largest_component(
    nodes: gpd.GeoDataFrame, edges: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, str | None]:
    """Keep the largest weakly connected part of the road graph.

    Returns the kept nodes and edges and a note saying what was dropped (None if nothing
    was). Edges whose ends are not both nodes are kept for the validator to report.
    """
    labels = road_components(
        nodes["node_id"].astype(str), edges["u"].astype(str), edges["v"].astype(str)
    )
    if labels.max(initial=0) == 0:
        return nodes, edges, None
    keep_nodes = labels == 0
    dropped_ids = set(nodes["node_id"].astype(str)[~keep_nodes])
    drop_edges = edges["u"].astype(str).isin(dropped_ids) | edges["v"].astype(str).isin(dropped_ids)
    note = (
        f"kept the largest connected part of the road graph ({int(keep_nodes.sum())} "
        f"nodes); dropped {int(labels.max())} smaller parts: {int((~keep_nodes).sum())} "
        f"nodes, {int(drop_edges.sum())} edges"
    )
    return (
        nodes[keep_nodes].reset_index(drop=True),
        edges[~drop_edges.to_numpy()].reset_index(drop=True),
        note,
    )


def note(notes: list[str], text: str) -> None:
    """Record an import note (kept in ``city.meta['import_notes']``) and log it."""
    notes.append(text)
    log.info(text)


def strip_suffixes(name: str, suffixes: Iterable[str]) -> str:
    """``'West-Oakland.osm.bz2'`` → ``'West-Oakland'`` (removing any of ``suffixes``)."""
    changed = True
    while changed:
        changed = False
        for s in suffixes:
            if name.lower().endswith(s) and len(name) > len(s):
                name, changed = name[: -len(s)], True
    return name


def districts_from_nodes(
    nodes: gpd.GeoDataFrame, name: str, margin_m: float = 50.0
) -> gpd.GeoDataFrame:
    """One district ``D1`` covering ``nodes`` (metric CRS): their convex hull grown by
    ``margin_m`` metres, population 0 (unknown), level ``core``."""
    hull = nodes.geometry.union_all().convex_hull.buffer(margin_m)
    return gpd.GeoDataFrame(
        {
            "district_id": ["D1"],
            "name": [name],
            "name_en": [name],
            "population": np.array([0], np.int64),
            "level": ["core"],
        },
        geometry=[hull],
        crs=nodes.crs,
    )


def assign_districts(points: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> pd.Series:
    """The ``district_id`` each point lies in ('' outside every district)."""
    d = districts[["district_id", "geometry"]].to_crs(points.crs)
    joined = gpd.sjoin(points[["geometry"]], d, how="left", predicate="within")
    first = joined[~joined.index.duplicated(keep="first")]
    return first["district_id"].reindex(points.index).fillna("").astype(str)


def clip_roads(
    nodes: gpd.GeoDataFrame,
    edges: gpd.GeoDataFrame,
    area: shapely.Geometry,
    where: str,
    notes: list[str],
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Road nodes inside ``area`` (WGS84) and the edges with both ends among them."""
    metric = gpd.GeoSeries([area], crs="EPSG:4326").to_crs(nodes.crs).iloc[0]
    inside = shapely.contains_xy(
        metric,
        shapely.get_coordinates(nodes.geometry.values)[:, 0],
        shapely.get_coordinates(nodes.geometry.values)[:, 1],
    )
    if not inside.any():
        raise TwinDataError.one(
            where,
            "no road of this extract lies inside the area to clip to",
            "use an extract that covers it (for Chongqing's nine "
            "central districts: the Chongqing extract of "
            "download.geofabrik.de or extract.bbbike.org)",
            title="cannot import OSM",
        )
    keep_ids = set(nodes.loc[inside, "node_id"])
    keep_e = edges["u"].isin(keep_ids) & edges["v"].isin(keep_ids)
    note(
        notes,
        f"clipped to the given area: kept {int(inside.sum())} of {len(nodes)} road "
        f"nodes and {int(keep_e.sum())} of {len(edges)} edges",
    )
    return (nodes[inside].reset_index(drop=True), edges[keep_e].reset_index(drop=True))
