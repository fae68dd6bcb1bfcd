"""The City: districts, roads, pipes and stations as GeoDataFrames in a metric CRS.

``load_city()`` loads the embedded default twin of central Chongqing (``geodata/chongqing``);
``load_city(path)`` a folder of the same layout (see ARCHITECTURE.md, "A city folder").
Every layer is validated at the boundary (:mod:`twin.model.validate`) and projected to the
city's metric CRS. A ``City`` is immutable: :meth:`City.replace` returns a new one.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass, field, replace as dc_replace
from functools import cached_property
from importlib import resources
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
from pyproj import Transformer
import pyproj

from twin.errors import TwinDataError
from twin.model.roads import RoadNetwork, free_flow_time_s

CORE_LEVEL = "core"
"""``districts.level`` of the study area (the districts simulated); others are ``outer``."""
DEFAULT_CRS = "EPSG:32648"
"""UTM zone 48N: metres, right for Chongqing."""
WGS84 = "EPSG:4326"
FILE_EXTENSIONS = ("parquet", "gpkg", "geojson", "shp")
"""Layer file formats, in the order they are looked for."""

LAYERS: dict[str, dict[str, str]] = {
    "districts": {"district_id": "str", "name": "str", "name_en": "str", "population": "int",
                  "level": "str"},
    "road_nodes": {"node_id": "str", "elevation_m": "float", "district_id": "str"},
    "road_edges": {"edge_id": "str", "u": "str", "v": "str", "length_m": "float",
                   "road_class": "str", "speed_kph": "float", "bridge": "bool",
                   "tunnel": "bool", "oneway": "bool", "name": "str"},
    "pipes": {"pipe_id": "str", "network": "str", "u": "str", "v": "str", "diameter_mm": "float",
              "install_year": "int", "material": "str", "length_m": "float", "monitored": "bool"},
    "junctions": {"junction_id": "str", "network": "str", "kind": "str", "elevation_m": "float"},
    "stations": {"station_id": "str", "force": "str", "name": "str", "name_en": "str",
                 "district_id": "str", "units": "int"},
    "cells": {"cell_id": "str", "district_id": "str", "population": "float"},
}
"""Required columns and their kinds, per layer (plus ``geometry``)."""
ID_COLUMN = {"districts": "district_id", "road_nodes": "node_id", "road_edges": "edge_id",
             "pipes": "pipe_id", "junctions": "junction_id", "stations": "station_id",
             "cells": "cell_id"}
REQUIRED_LAYERS = ("districts", "road_nodes", "road_edges")
"""Layers a city folder must have; the others may be absent (then empty)."""
GEOMETRY_TYPES = {"districts": ("Polygon", "MultiPolygon"), "road_nodes": ("Point",),
                  "road_edges": ("LineString",), "pipes": ("LineString",),
                  "junctions": ("Point",), "stations": ("Point",),
                  "cells": ("Polygon", "MultiPolygon")}
OPTIONAL_DEFAULTS = {"road_edges": {"oneway": False, "bridge": False, "tunnel": False, "name": ""},
                     "road_nodes": {"elevation_m": 0.0, "district_id": ""},
                     "pipes": {"monitored": False}}
"""Columns filled in with a default when a layer lacks them."""


def embedded_path() -> Path:
    """The folder of the embedded default twin (central Chongqing)."""
    return Path(str(resources.files("twin.data") / "chongqing"))


@dataclass(frozen=True, eq=False)
class City:
    """A city model in a projected metric CRS (``crs``); see ARCHITECTURE.md for columns."""

    name: str
    crs: str
    districts: gpd.GeoDataFrame
    road_nodes: gpd.GeoDataFrame
    road_edges: gpd.GeoDataFrame
    pipes: gpd.GeoDataFrame
    junctions: gpd.GeoDataFrame
    stations: gpd.GeoDataFrame
    cells: gpd.GeoDataFrame
    source: str | None = None
    meta: dict = field(default_factory=dict)

    def xy_from_lonlat(self, lon: object, lat: object) -> np.ndarray:
        """WGS84 ``lon``/``lat`` (scalars or arrays, degrees) → city-CRS metres: shape (2,)
        for scalars, (n, 2) for arrays."""
        x, y = self._to_city.transform(lon, lat)
        return np.column_stack([x, y]) if np.ndim(x) else np.array([x, y], float)

    def lonlat_from_xy(self, xy: np.ndarray) -> np.ndarray:
        """City-CRS points ``xy`` (n × 2, metres) → WGS84 lon/lat (n × 2, degrees)."""
        xy = np.asarray(xy, float).reshape(-1, 2)
        if len(xy) == 0:
            return xy
        lon, lat = self._to_wgs84.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    @cached_property
    def _to_city(self) -> Transformer:
        return Transformer.from_crs(WGS84, self.crs, always_xy=True)

    @cached_property
    def _to_wgs84(self) -> Transformer:
        return Transformer.from_crs(self.crs, WGS84, always_xy=True)

    def replace(self, **changes: object) -> "City":
        """A new City with some layers or fields replaced (derived caches are rebuilt)."""
        return dc_replace(self, **changes)

    @property
    def core_districts(self) -> gpd.GeoDataFrame:
        """The study area: districts of level ``core`` (all districts when none is)."""
        core = self.districts[self.districts["level"] == CORE_LEVEL]
        return core if len(core) else self.districts

    @cached_property
    def roads(self) -> RoadNetwork:
        """The road graph as arrays (what the engine routes on)."""
        return road_network(self.road_nodes, self.road_edges)

    @cached_property
    def graph(self) -> nx.MultiDiGraph:
        """The road graph in NetworkX, edges with ``travel_time_s`` (free flow, seconds)."""
        g = nx.MultiDiGraph(crs=self.crs)
        nodes = self.road_nodes
        g.add_nodes_from((n, {"x": x, "y": y, "elevation_m": z}) for n, x, y, z in
                         zip(nodes["node_id"], nodes.geometry.x, nodes.geometry.y,
                             nodes["elevation_m"]))
        e = self.road_edges
        tt = self.roads.edge_time_s
        cols = ["edge_id", "length_m", "road_class", "speed_kph", "bridge", "tunnel", "name"]
        for i, row in enumerate(e[["u", "v", "oneway", *cols]].itertuples(index=False)):
            attrs = {c: getattr(row, c) for c in cols}
            attrs["travel_time_s"] = float(tt[i])
            g.add_edge(row.u, row.v, key=row.edge_id, **attrs)
            if not row.oneway:
                g.add_edge(row.v, row.u, key=row.edge_id, **attrs)
        return g

    def summary(self) -> dict[str, object]:
        """Headline figures: districts, population (and its source, from ``city.json``), road
        km, bridge and tunnel edges (and distinct names), pipes, stations."""
        core = self.core_districts
        e = self.road_edges
        return {
            "name": self.name,
            "districts": int(len(core)),
            "population": int(core["population"].sum()),
            "road_nodes": int(len(self.road_nodes)),
            "road_edges": int(len(e)),
            "road_km": round(float(e["length_m"].sum()) / 1000, 1),
            "population_source": str(self.meta.get("population_source", "not stated")),
            "population_estimate": bool(self.meta.get("population_estimate", False)),
            "bridges": int(e["bridge"].sum()),
            "tunnels": int(e["tunnel"].sum()),
            "bridge_names": int(e.loc[e["bridge"] & (e["name"] != ""), "name"].nunique()),
            "tunnel_names": int(e.loc[e["tunnel"] & (e["name"] != ""), "name"].nunique()),
            "pipes_km": {k: round(float(v) / 1000, 1) for k, v in
                         self.pipes.groupby("network")["length_m"].sum().items()},
            "stations": {k: int(v) for k, v in self.stations["force"].value_counts().sort_index().items()},
            "units": {k: int(v) for k, v in self.stations.groupby("force")["units"].sum().items()},
        }


def road_network(nodes: gpd.GeoDataFrame, edges: gpd.GeoDataFrame) -> RoadNetwork:
    """Build the array form of the road graph from the node and edge layers."""
    node_ids = nodes["node_id"].to_numpy(dtype=object)
    index = pd.Index(node_ids)
    u = index.get_indexer(edges["u"])
    v = index.get_indexer(edges["v"])
    elev = nodes["elevation_m"].to_numpy(float)
    flat = (edges["bridge"] | edges["tunnel"]).to_numpy(bool)
    t = free_flow_time_s(edges["length_m"].to_numpy(float), edges["speed_kph"].to_numpy(float),
                         elev[v] - elev[u], flat)
    return RoadNetwork(
        node_ids=node_ids,
        xy=np.column_stack([nodes.geometry.x.to_numpy(), nodes.geometry.y.to_numpy()]),
        edge_ids=edges["edge_id"].to_numpy(dtype=object),
        edge_u=u.astype(np.int64), edge_v=v.astype(np.int64), edge_time_s=t,
        edge_oneway=edges["oneway"].to_numpy(bool),
        edge_class=edges["road_class"].astype(str).to_numpy(dtype=object),
        edge_bridge=edges["bridge"].to_numpy(bool),
    )


def empty_layer(layer: str, crs: str) -> gpd.GeoDataFrame:
    """An empty GeoDataFrame with the layer's required columns."""
    cols = {c: pd.Series(dtype=_dtype(kind)) for c, kind in LAYERS[layer].items()}
    return gpd.GeoDataFrame(cols, geometry=gpd.GeoSeries([], crs=crs), crs=crs)


def _dtype(kind: str) -> str:
    return {"str": "object", "int": "int64", "float": "float64", "bool": "bool"}[kind]


def find_layer_file(folder: Path, layer: str) -> Path | None:
    """The file holding ``layer`` in ``folder`` (first of :data:`FILE_EXTENSIONS`), if any."""
    for ext in FILE_EXTENSIONS:
        p = folder / f"{layer}.{ext}"
        if p.exists():
            return p
    return None


def read_layer_file(path: Path) -> gpd.GeoDataFrame:
    """Read one layer file with pyogrio / pyarrow; unreadable files become a TwinDataError."""
    try:
        if path.suffix == ".parquet":
            return gpd.read_parquet(path)
        return gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # noqa: BLE001 — any reader failure is bad input to report
        raise TwinDataError.one(str(path), f"cannot read this file: {exc}",
                                "check that it is a valid GeoParquet/GeoPackage/GeoJSON/"
                                "Shapefile; re-export it with QGIS or ogr2ogr",
                                title="unreadable city layer") from None


def read_folder(folder: Path) -> dict[str, gpd.GeoDataFrame]:
    """All layer files found in ``folder``, as read (no checks, no projection). Raises one
    :class:`TwinDataError` naming every unreadable file."""
    layers, problems = {}, []
    for layer in LAYERS:
        path = find_layer_file(folder, layer)
        if path is not None:
            try:
                layers[layer] = read_layer_file(path)
            except TwinDataError as exc:
                problems.extend(exc.problems)
    if problems:
        raise TwinDataError(problems, title="unreadable city layer")
    return layers


def load_city(path: str | os.PathLike | None = None, *, validate: bool = True) -> City:
    """Load a city folder (``None``: the embedded central-Chongqing twin).

    Raises :class:`TwinDataError` listing every problem found when the data is unusable.
    """
    folder = embedded_path() if path is None else Path(path)
    if not folder.is_dir():
        raise TwinDataError.one(str(folder), "no such city folder",
                                "give a folder holding districts/road_nodes/road_edges layer "
                                "files (see ARCHITECTURE.md), or omit the path for the "
                                "embedded Chongqing twin", title="cannot load city")
    meta = _read_meta(folder)
    return city_from_layers(read_folder(folder), name=meta.get("name", folder.name),
                            where=str(folder), crs=meta.get("crs"), source=str(folder),
                            meta=meta, validate=validate)


def city_from_layers(layers: dict[str, gpd.GeoDataFrame], *, name: str, where: str,
                     crs: str | None = None, source: str | None = None,
                     meta: dict | None = None, validate: bool = True) -> City:
    """Validate ``layers`` as read (raising one TwinDataError naming ``where``) and make a
    City: every layer projected to ``crs`` (default: the UTM zone of the road nodes),
    absent optional layers empty, optional columns filled with their defaults."""
    if validate:
        from twin.model.validate import validate_layers

        validate_layers(layers, where=where)
    crs = crs or _metric_crs(layers)
    projected = {layer: _prepare(layers.get(layer), layer, crs) for layer in LAYERS}
    return City(name=name, crs=crs, source=source, meta=dict(meta or {}), **projected)


def _read_meta(folder: Path) -> dict:
    """The folder's ``city.json`` (``{}`` when absent). Raises :class:`TwinDataError` when it
    is not a JSON object or its ``crs`` is not a projected (metric) CRS: every distance in
    the twin is computed in ``City.crs``, so a geographic one (degrees) would be wrong."""
    p = folder / "city.json"
    if not p.exists():
        return {}
    try:
        meta = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise TwinDataError.one(str(p), f"not valid JSON: {exc.msg}", "fix the JSON syntax",
                                line=exc.lineno, title="cannot load city") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TwinDataError.one(str(p), f"cannot read this file: {exc}",
                                "check it is a UTF-8 JSON file", title="cannot load city") from None
    if not isinstance(meta, dict):
        raise TwinDataError.one(str(p), f"must be a JSON object, not a {type(meta).__name__}",
                                'write it like {"name": "...", "crs": "EPSG:32648"}',
                                title="cannot load city")
    crs = meta.get("crs")
    if crs is not None:
        try:
            ok = isinstance(crs, str) and pyproj.CRS(crs).is_projected
        except pyproj.exceptions.CRSError:
            ok = False
        if not ok:
            raise TwinDataError.one(str(p), f"crs {crs!r} is not a projected (metric) CRS",
                                    "name a metric CRS such as 'EPSG:32648' (UTM 48N), or "
                                    "leave crs out to use the UTM zone of the data",
                                    title="cannot load city")
    return meta


def _metric_crs(layers: dict[str, gpd.GeoDataFrame]) -> str:
    """A UTM CRS fitting the data (for cities without a ``crs`` in city.json)."""
    gdf = layers.get("road_nodes")
    if gdf is None or gdf.empty or gdf.crs is None:
        return DEFAULT_CRS
    return str(gdf.estimate_utm_crs().to_string())


def _prepare(gdf: gpd.GeoDataFrame | None, layer: str, crs: str) -> gpd.GeoDataFrame:
    """Project to ``crs``, fill optional columns, normalise id columns to str."""
    if gdf is None:
        return empty_layer(layer, crs)
    gdf = gdf.to_crs(crs) if gdf.crs is not None else gdf.set_crs(crs)
    for col, default in OPTIONAL_DEFAULTS.get(layer, {}).items():
        if col not in gdf.columns:
            gdf[col] = default
    for col, kind in LAYERS[layer].items():
        if col in gdf.columns:
            if kind == "str":
                gdf[col] = gdf[col].fillna("").astype(str).astype(object)
            elif kind == "bool":
                gdf[col] = gdf[col].fillna(False).astype(bool)
    return gdf.reset_index(drop=True)


def save_city(city: City, path: str | os.PathLike) -> Path:
    """Write ``city`` as a city folder (GeoParquet in WGS84 + city.json), atomically."""
    final = Path(path)
    tmp = final.with_name(f".{final.name}.tmp-{uuid.uuid4().hex[:8]}")
    tmp.mkdir(parents=True)
    try:
        for layer in LAYERS:
            gdf: gpd.GeoDataFrame = getattr(city, layer)
            gdf.to_crs(WGS84).to_parquet(tmp / f"{layer}.parquet", compression="zstd")
        meta = {**city.meta, "name": city.name, "crs": city.crs}
        (tmp / "city.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2),
                                       encoding="utf-8")
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final
