"""What a city folder holds: its layers, their required columns and geometry types, and
the CRS conventions (the data contract of ARCHITECTURE.md, "A city folder")."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

CORE_LEVEL = "core"
"""``districts.level`` of the study area (the districts simulated); others are ``outer``."""
DEFAULT_CRS = "EPSG:32648"
"""UTM zone 48N: metres, right for Chongqing."""
WGS84 = "EPSG:4326"
FILE_EXTENSIONS = ("parquet", "gpkg", "geojson", "shp")
"""Layer file formats, in the order they are looked for."""

LAYERS: dict[str, dict[str, str]] = {
    "districts": {
        "district_id": "str",
        "name": "str",
        "name_en": "str",
        "population": "int",
        "level": "str",
    },
    "road_nodes": {"node_id": "str", "elevation_m": "float", "district_id": "str"},
    "road_edges": {
        "edge_id": "str",
        "u": "str",
        "v": "str",
        "length_m": "float",
        "road_class": "str",
        "speed_kph": "float",
        "bridge": "bool",
        "tunnel": "bool",
        "oneway": "bool",
        "name": "str",
    },
    "pipes": {
        "pipe_id": "str",
        "network": "str",
        "u": "str",
        "v": "str",
        "diameter_mm": "float",
        "install_year": "int",
        "material": "str",
        "length_m": "float",
        "monitored": "bool",
    },
    "junctions": {"junction_id": "str", "network": "str", "kind": "str", "elevation_m": "float"},
    "stations": {
        "station_id": "str",
        "force": "str",
        "name": "str",
        "name_en": "str",
        "district_id": "str",
        "units": "int",
    },
    "cells": {"cell_id": "str", "district_id": "str", "population": "float"},
}
"""Required columns and their kinds, per layer (plus ``geometry``)."""
ID_COLUMN: dict[str, str] = {
    "districts": "district_id",
    "road_nodes": "node_id",
    "road_edges": "edge_id",
    "pipes": "pipe_id",
    "junctions": "junction_id",
    "stations": "station_id",
    "cells": "cell_id",
}
REQUIRED_LAYERS = ("districts", "road_nodes", "road_edges")
"""Layers a city folder must have; the others may be absent (then empty)."""
GEOMETRY_TYPES: dict[str, tuple[str, ...]] = {
    "districts": ("Polygon", "MultiPolygon"),
    "road_nodes": ("Point",),
    "road_edges": ("LineString",),
    "pipes": ("LineString",),
    "junctions": ("Point",),
    "stations": ("Point",),
    "cells": ("Polygon", "MultiPolygon"),
}
OPTIONAL_DEFAULTS: dict[str, dict[str, object]] = {
    "road_edges": {"oneway": False, "bridge": False, "tunnel": False, "name": ""},
    "road_nodes": {"elevation_m": 0.0, "district_id": ""},
    "pipes": {"monitored": False},
}
"""Columns filled in with a default when a layer lacks them."""


def empty_layer(layer: str, crs: str) -> gpd.GeoDataFrame:
    """An empty GeoDataFrame with the layer's required columns."""
    cols = {c: pd.Series(dtype=_dtype(kind)) for c, kind in LAYERS[layer].items()}
    return gpd.GeoDataFrame(cols, geometry=gpd.GeoSeries([], crs=crs), crs=crs)


def _dtype(kind: str) -> str:
    return {"str": "object", "int": "int64", "float": "float64", "bool": "bool"}[kind]
