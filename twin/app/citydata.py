"""The city as compact JSON for the app's page (WGS84, 5 decimals ≈ 1 m).

Only what the page draws and clicks: the rivers (the static maps' water areas, shipped in
``twin/viz/data``), the study area's districts (simplified outlines), the
roads a planner closes (expressways, arterials, mountain roads, every bridge and tunnel;
local streets are left out — 84 k of 89 k edges on the embedded twin), and the stations of
every force but the community posts (6 k dots that say nothing at city scale).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import shapely

import twin.viz.style as style
from twin.model.city import City
from twin.viz.basemap import water

DECIMALS = 5
"""Coordinate decimals sent to the page (1e-5° ≈ 1.1 m)."""
SIMPLIFY_M = 60.0
"""District outlines simplified to this tolerance (metres) before projecting."""
CLICKABLE_CLASSES = ("expressway", "arterial", "mountain")
"""Road classes sent to the page besides every bridge and tunnel."""


def city_json(city: City) -> dict[str, Any]:
    """Districts, clickable roads, stations and bounds of ``city`` for the page."""
    core = city.core_districts
    return {
        "name": city.name,
        "crs": city.crs,
        "bounds": [round(v, DECIMALS) for v in core.to_crs(4326).total_bounds],
        "districts": _districts(core),
        "water": _water(),
        "roads": _roads(city),
        "stations": _stations(city),
        "palette": palette(),
    }


def palette() -> dict[str, Any]:
    """The static maps' colours (twin.viz.style), so the app draws with the same palette:
    forces, new/changed stations, closures, water, bridges and tunnels (RGB)."""
    forces = ("community", "fire", "professional", "social", "air")
    return {
        "forces": {f: list(style.force_style(f)["color"])[:3] for f in forces},
        "new": style.NEW_COLOR[:3],
        "closed": style.CLOSED_COLOR[:3],
        "water": style.WATER_COLOR[:3],
        "bridge": style.BRIDGE_COLOR[:3],
        "tunnel": style.TUNNEL_COLOR[:3],
    }


def _coords(geom: Any) -> Any:
    """Nested coordinate lists of a WGS84 geometry, rounded."""
    return np.round(np.asarray(shapely.get_coordinates(geom)), DECIMALS).tolist()


def _districts(core: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    simple = core.assign(geometry=core.geometry.simplify(SIMPLIFY_M)).to_crs(4326)
    out = []
    for row in simple.itertuples(index=False):
        polys = getattr(row.geometry, "geoms", [row.geometry])
        out.append(
            {
                "id": row.district_id,
                "name": row.name,
                "name_en": row.name_en,
                "population": int(row.population),
                "rings": [_coords(p.exterior) for p in polys],
            }
        )
    return out


def _water() -> list[list[list[float]]]:
    """The rivers as water areas (the static maps' base layer): outer rings, WGS84."""
    rings = []
    for geom in water().geometry:
        for poly in getattr(geom, "geoms", [geom]):
            rings.append(_coords(poly.exterior))
    return rings


def _roads(city: City) -> list[dict[str, Any]]:
    e = city.road_edges
    keep = e[e["road_class"].isin(CLICKABLE_CLASSES) | e["bridge"] | e["tunnel"]]
    geo = keep.to_crs(4326)
    return [
        {
            "id": r.edge_id,
            "name": r.name,
            "class": r.road_class,
            "bridge": bool(r.bridge),
            "tunnel": bool(r.tunnel),
            "path": _coords(r.geometry),
        }
        for r in geo.itertuples(index=False)
    ]


def _stations(city: City) -> list[dict[str, Any]]:
    s = city.stations[city.stations["force"] != "community"].to_crs(4326)
    return [
        {
            "id": r.station_id,
            "force": r.force,
            "name": r.name,
            "name_en": r.name_en,
            "units": int(r.units),
            "district": r.district_id,
            "lon": round(r.geometry.x, DECIMALS),
            "lat": round(r.geometry.y, DECIMALS),
        }
        for r in s.itertuples(index=False)
    ]


def city_summary(city: City) -> dict[str, Any]:
    """Counts the page and ``GET /api/city`` show."""
    e = city.road_edges
    return {
        "name": city.name,
        "crs": city.crs,
        "districts": int(len(city.core_districts)),
        "population": int(city.core_districts["population"].sum()),
        "road_nodes": int(len(city.road_nodes)),
        "road_edges": int(len(e)),
        "bridge_edges": int(e["bridge"].sum()),
        "tunnel_edges": int(e["tunnel"].sum()),
        "stations": {
            str(k): int(v) for k, v in city.stations["force"].value_counts().sort_index().items()
        },
    }
