"""Writing the city folder: GeoParquet layers in WGS84 (coordinates rounded to 1e-6°) and
city.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely.ops

from twin.build.geo import to_lonlat
from twin.build.params import FILE_CRS, SPEED_KPH, WORK_CRS
from twin.build.roads import Roads


def write_layer(gdf: gpd.GeoDataFrame, path: Path) -> None:
    """Write a GeoParquet file (zstd level 9), EPSG:4326, no index."""
    gdf.to_parquet(path, compression="zstd", compression_level=9, index=False)


def round_polys(geoms: Any, crs_from: str = WORK_CRS) -> gpd.GeoSeries:
    """Polygons to EPSG:4326 on a 1e-6 degree grid (validity kept)."""
    s = gpd.GeoSeries(geoms, crs=crs_from).to_crs(FILE_CRS)
    return gpd.GeoSeries(shapely.make_valid(shapely.set_precision(s.values, 1e-6)), crs=FILE_CRS)


def write_city(
    out: Path,
    seed: int,
    districts: gpd.GeoDataFrame,
    roads: Roads,
    cells: gpd.GeoDataFrame,
    stations: pd.DataFrame,
    pipes: pd.DataFrame,
    junctions: pd.DataFrame,
) -> None:
    """Write all layers and city.json into `out` (created if needed)."""
    ll = write_network(out, districts, roads, roads.length, np.round(roads.elevation, 1))
    p = pipes.copy()
    p["edge_id"] = [f"e{i:06d}" for i in p["edge_index"]]
    pg = gpd.GeoDataFrame(
        p.drop(columns=["edge_index", "nu", "nv"]),
        geometry=shapely.linestrings(np.stack([ll[p["nu"]], ll[p["nv"]]], axis=1)),
        crs=FILE_CRS,
    )
    write_layer(pg, out / "pipes.parquet")
    write_at_nodes(junctions, ll, out / "junctions.parquet")
    write_at_nodes(stations, ll, out / "stations.parquet")
    write_cells(cells, out / "cells.parquet")  # population unrounded: sums to the census
    meta = {
        "name": "Chongqing central city",
        "crs": WORK_CRS,
        "source": "geodata/build.py",
        "seed": seed,
        "population_source": "2020 census (Seventh National Population Census, by district)",
        "population_estimate": False,
        "generated": (
            "Real district boundaries (Amap-derived, 2020), 2020 census populations and Natural "
            "Earth river lines; synthetic road network, terrain, pipes, stations and grid cells "
            "over the nine central districts, built by geodata/build.py (see geodata/README.md)."
        ),
    }
    write_meta(meta, out)


def write_network(
    out: Path, districts: gpd.GeoDataFrame, roads: Roads, length_m: np.ndarray, elevation_m: Any
) -> np.ndarray:
    """Write districts, road nodes and road edges into ``out`` (created if needed); the
    nodes' (lon, lat) in degrees, for the layers placed at nodes."""
    out.mkdir(parents=True, exist_ok=True)
    ll = to_lonlat(roads.xy)
    nid = np.array([f"n{i:06d}" for i in range(len(ll))], dtype=object)
    d = districts.copy()
    d["geometry"] = shapely.set_precision(d.geometry.values, 1e-6)
    cols = ["district_id", "name", "name_en", "population", "level", "geometry"]
    write_layer(d[cols], out / "districts.parquet")
    nodes = {"node_id": nid, "elevation_m": elevation_m, "district_id": roads.district.astype(str)}
    write_layer(
        gpd.GeoDataFrame(nodes, geometry=shapely.points(ll), crs=FILE_CRS),
        out / "road_nodes.parquet",
    )
    e, klass = roads.e, roads.klass.astype(str)
    edges = {
        "edge_id": [f"e{i:06d}" for i in range(len(e))],
        "u": nid[e[:, 0]],
        "v": nid[e[:, 1]],
        "length_m": np.round(length_m, 1),
        "road_class": klass,
        "speed_kph": np.array([SPEED_KPH[k] for k in klass]),
        "bridge": roads.bridge,
        "tunnel": roads.tunnel,
        "oneway": np.zeros(len(e), bool),
        "name": roads.name.astype(str),
    }
    lines = shapely.linestrings(np.stack([ll[e[:, 0]], ll[e[:, 1]]], axis=1))
    write_layer(gpd.GeoDataFrame(edges, geometry=lines, crs=FILE_CRS), out / "road_edges.parquet")
    return ll


def write_at_nodes(df: pd.DataFrame, ll: np.ndarray, path: Path) -> None:
    """Write a layer of points at road nodes (its ``node`` column, dropped) to ``path``."""
    geometry = shapely.points(ll[df["node"]])
    write_layer(gpd.GeoDataFrame(df.drop(columns=["node"]), geometry=geometry, crs=FILE_CRS), path)


def write_cells(cells: gpd.GeoDataFrame, path: Path) -> None:
    """Write the cells (polygons on the 1e-6° grid, attributes as they are) to ``path``."""
    c = cells.drop(columns="geometry")
    write_layer(
        gpd.GeoDataFrame(c, geometry=round_polys(cells.geometry.values).values, crs=FILE_CRS), path
    )


def write_meta(meta: dict[str, Any], out: Path) -> None:
    """Write ``city.json`` (UTF-8, names unescaped) into ``out``."""
    (out / "city.json").write_text(
        json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
