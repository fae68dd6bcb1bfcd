"""Geometry helpers shared by every deck.gl layer: WGS84 at this edge, rounded coordinates,
the view fitted to the city, and :class:`MapLayer` (a pydeck layer with its toggle group).

Geometry is simplified in the city's metric CRS, projected to WGS84 here, and rounded to
:data:`DECIMALS` (1e-5° ≈ 1 m; hidden layers use :data:`HIDDEN_DECIMALS`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pydeck as pdk
import shapely

from twin.model.city import City
from twin.viz.safe import packed_segments

WGS84 = "EPSG:4326"
DECIMALS = 5
"""Coordinates are rounded to 1e-5 degrees (≈ 1.1 m at Chongqing)."""
TIP_LIMIT = 20_000
"""Above this many features a layer ships without per-feature tooltips."""
HIDDEN_DECIMALS = 4
"""Layers hidden at first (pipes, coverage) are rounded to 1e-4 degrees (≈ 10 m)."""


@dataclass(frozen=True)
class MapLayer:
    """A deck layer with the toggle it belongs to."""

    layer: pdk.Layer
    group: str
    visible: bool = True
    packed: str | None = None
    """Segments packed by :func:`twin.viz.safe.packed_segments`, unpacked by the page when
    the layer is first shown (the layer's JSON data is empty)."""


GROUP_LABELS: dict[str, str] = {
    "districts": "Districts 区县 (compliance)",
    "cells": "1 km cells 网格 (compliance)",
    "coverage": "Coverage areas 覆盖范围",
    "relief": "Hill shading 地形晕渲",
    "water": "Rivers 江河",
    "roads": "Roads 道路",
    "roads_local": "Local streets 支路",
    "bridges": "Bridges & tunnels 桥隧",
    "closures": "Closed roads 封闭",
    "pipes_water": "Water mains 供水",
    "pipes_gas": "Gas mains 燃气",
    "pipes_drainage": "Drainage 排水",
    "routes": "Unit routes 出动路线",
    "community_posts": "Community posts 社区微型站",
    "stations": "Stations 站点",
    "changes": "Scenario changes 情景变化",
    "hazards": "Hazards 灾害",
    "incidents": "Incidents 事件",
    "drill": "Drill 演练",
    "outlines": "District outlines 区界",
    "labels": "Labels 标注",
}
"""Toggle groups in drawing order, with their checkbox labels."""


def lit(value: str) -> str:
    """A literal string prop for pydeck (unquoted strings become accessor expressions)."""
    return f"`{value}`"


# --- geometry helpers -------------------------------------------------------------------


def to_wgs84(gdf: gpd.GeoDataFrame, simplify_m: float = 0.0) -> gpd.GeoSeries:
    """The geometries of ``gdf`` simplified in its metric CRS, then in WGS84."""
    geom = gdf.geometry
    if simplify_m > 0 and len(geom):
        geom = geom.simplify(simplify_m, preserve_topology=False)
    return geom.to_crs(WGS84) if geom.crs is not None else geom


def line_paths(geoms: gpd.GeoSeries, decimals: int = 5) -> list[list[list[float]]]:
    """Each LineString as a list of [lon, lat] rounded to ``decimals`` (:data:`DECIMALS`)."""
    arr = np.asarray(geoms.values, dtype=object)
    if len(arr) == 0:
        return []
    coords, idx = shapely.get_coordinates(arr, return_index=True)
    flat = np.round(coords, decimals).tolist()
    ends = np.cumsum(np.bincount(idx, minlength=len(arr))).tolist()
    return [flat[a:b] for a, b in zip([0, *ends[:-1]], ends)]


def polygon_rings(geom: shapely.Geometry) -> list[list[list[list[float]]]]:
    """Each part of a (Multi)Polygon as [outer ring, *holes], vertices rounded."""
    parts = getattr(geom, "geoms", [geom])
    out = []
    for poly in parts:
        if poly.is_empty:
            continue
        rings = [poly.exterior, *poly.interiors]
        out.append([np.round(np.asarray(r.coords)[:, :2], DECIMALS).tolist() for r in rings])
    return out


def points(geoms: gpd.GeoSeries) -> list[list[float]]:
    """Point geometries as [lon, lat] rounded."""
    if len(geoms) == 0:
        return []
    return np.round(np.column_stack([geoms.x, geoms.y]), DECIMALS).tolist()


def bounds_wgs84(city: City) -> list[float]:
    """[west, south, east, north] of the core districts (all districts, or roads, if none)."""
    core = city.core_districts
    src = core if len(core) else city.road_nodes
    w, s, e, n = src.geometry.to_crs(WGS84).total_bounds
    return [float(w), float(s), float(e), float(n)]


def fit_view(
    bounds: list[float], width: int = 1600, height: int = 900, padding: int = 40
) -> pdk.ViewState:
    """A Web Mercator view showing ``bounds`` in a ``width``×``height`` pixel canvas."""

    def y(lat: float) -> float:  # Mercator ordinate
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    w, s, e, n = bounds
    lon = (w + e) / 2
    lat = math.degrees(2 * math.atan(math.exp((y(s) + y(n)) / 2)) - math.pi / 2)
    dx = max(e - w, 1e-6) / 360
    dy = max(y(n) - y(s), 1e-6) / (2 * math.pi)
    zoom = min(
        math.log2((width - 2 * padding) / 512 / dx), math.log2((height - 2 * padding) / 512 / dy)
    )
    return pdk.ViewState(
        longitude=lon, latitude=lat, zoom=round(min(zoom, 17), 2), pitch=0, bearing=0
    )


def segment_layer(layer_id: str, paths: list[list[list[float]]], **props: object) -> pdk.Layer:
    """Many lines without tooltips as a LineLayer of their segments.

    Big layers (a twin's ~85k local streets, ~95k pipes) draw several times faster as
    LineLayer segments than as PathLayer paths (software WebGL: 5 s instead of 15 s for the
    local streets of the embedded twin); without per-feature data they are also smaller.
    """
    data = [{"s": a, "t": b} for path in paths for a, b in zip(path, path[1:])]
    return pdk.Layer(
        "LineLayer",
        data,
        id=layer_id,
        get_source_position="s",
        get_target_position="t",
        pickable=False,
        **props,
    )


PACK_SCALE = 1e5
"""Packed coordinates are quantised to 1e-5 degrees (≈ 1 m)."""


def packed_segment_layer(
    layer_id: str, paths: list[list[list[float]]], group: str, **props: object
) -> MapLayer:
    """A LineLayer that starts hidden, its segments packed compactly into the page (a
    quarter of the JSON) and decoded only when it is first shown."""
    b64, n = packed_segments(paths, PACK_SCALE)
    layer = pdk.Layer(
        "LineLayer",
        [],
        id=layer_id,
        get_source_position="s",
        get_target_position="t",
        pickable=False,
        visible=False,
        **props,
    )
    return MapLayer(layer, group, visible=False, packed=b64 if n else None)
