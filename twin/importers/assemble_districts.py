"""Districts of an OSM import (:mod:`twin.importers.assemble`, "Districts"): OSM
administrative areas taken as districts, and road nodes labelled with their district."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from twin.importers import assign_districts, note
from twin.importers.osm_features import Features

ADMIN_COVER = 0.9
"""Share of road nodes an OSM admin level must cover to be taken as the districts."""


def label_nodes(
    nodes: gpd.GeoDataFrame, districts: gpd.GeoDataFrame, notes: list[str]
) -> gpd.GeoDataFrame:
    """``nodes`` with the ``district_id`` each lies in ('' outside all, counted in the notes);
    unchanged when ``districts`` lacks a CRS or ids (the validator reports that)."""
    if districts.crs is None or "district_id" not in districts.columns:
        return nodes
    nodes = nodes.copy()
    nodes["district_id"] = assign_districts(nodes, districts).to_numpy()
    outside = int((nodes["district_id"] == "").sum())
    if outside:
        note(notes, f"{outside} road nodes lie outside every district (district_id '')")
    return nodes


def admin_districts(
    nodes: gpd.GeoDataFrame,
    features: Features,
    hull: shapely.Geometry,
    level: int | None,
    notes: list[str],
) -> gpd.GeoDataFrame | None:
    """OSM admin areas of ``level`` (None: chosen as the module says), clipped to ``hull``."""
    if not features.admin:
        if level is not None:
            note(
                notes,
                f"--admin-level {level}: the extract has no complete administrative boundaries",
            )
        return None
    table = gpd.GeoDataFrame(
        {
            "level": [a[0] for a in features.admin],
            "name": [a[1] for a in features.admin],
            "osm": [a[2] for a in features.admin],
        },
        geometry=[a[3] for a in features.admin],
        crs="EPSG:4326",
    ).to_crs(nodes.crs)
    levels = (
        [level]
        if level is not None
        else sorted({lv for lv in table["level"] if lv >= 4}, reverse=True)
    )
    for lv in levels:
        areas = table[table["level"] == lv].copy()
        areas["geometry"] = areas.geometry.intersection(hull)
        areas = areas[~areas.geometry.is_empty & (areas.geometry.area > 1.0)]
        if len(areas) < (1 if level is not None else 2):
            continue
        areas = areas.reset_index(drop=True)
        areas["district_id"] = [f"D{i + 1}" for i in range(len(areas))]
        cover = (assign_districts(nodes, areas) != "").mean()
        if level is None and cover < ADMIN_COVER:
            continue
        note(
            notes,
            f"districts: {len(areas)} OSM administrative areas of admin_level {lv} "
            f"({', '.join(areas['name'].head(5))}{'…' if len(areas) > 5 else ''}), clipped "
            f"to the roads; they hold {cover:.0%} of the road nodes",
        )
        return gpd.GeoDataFrame(
            {
                "district_id": areas["district_id"],
                "name": areas["name"],
                "name_en": areas["name"],
                "population": np.zeros(len(areas), np.int64),
                "level": "core",
                "osm_id": areas["osm"],
            },
            geometry=areas.geometry.values,
            crs=nodes.crs,
        )
    if level is not None:
        note(notes, f"--admin-level {level}: no complete boundary of that level in the extract")
    return None
