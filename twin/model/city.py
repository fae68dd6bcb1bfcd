"""The City: districts, roads, pipes and stations as GeoDataFrames in a metric CRS.

``load_city()`` loads the embedded default twin of central Chongqing (``geodata/chongqing``);
``load_city(path)`` a folder of the same layout (see ARCHITECTURE.md, "A city folder");
``load_city("municipality")`` the whole municipality (built on first use and cached,
:mod:`twin.model.named`), ``load_city("central")`` the embedded twin by name.
Every layer is validated at the boundary (:mod:`twin.model.validate`) and projected to the
city's metric CRS. A ``City`` is immutable: :meth:`City.replace` returns a new one.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass, field
from dataclasses import replace as dc_replace
from functools import cached_property
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
from pyproj import Transformer

from twin.errors import TwinDataError
from twin.model.city_cache import cached_city
from twin.model.files import find_layer_file, read_folder, read_layer_file, read_meta
from twin.model.layers import (
    CORE_LEVEL,
    DEFAULT_CRS,
    FILE_EXTENSIONS,
    GEOMETRY_TYPES,
    ID_COLUMN,
    LAYERS,
    OPTIONAL_DEFAULTS,
    REQUIRED_LAYERS,
    WGS84,
    empty_layer,
)
from twin.model.named import embedded_path, named_city
from twin.model.roads import RoadNetwork, free_flow_time_s
from twin.model.validate import validate_layers

__all__ = [
    "CORE_LEVEL",
    "DEFAULT_CRS",
    "FILE_EXTENSIONS",
    "GEOMETRY_TYPES",
    "ID_COLUMN",
    "LAYERS",
    "OPTIONAL_DEFAULTS",
    "REQUIRED_LAYERS",
    "WGS84",
    "City",
    "city_from_layers",
    "embedded_path",
    "empty_layer",
    "find_layer_file",
    "load_city",
    "read_folder",
    "read_layer_file",
    "road_network",
    "save_city",
]
"""Names of the city folder's contract (:mod:`twin.model.layers`) and reader
(:mod:`twin.model.files`) are re-exported here for callers that know them as ``twin.model.city.*``."""


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
    meta: dict[str, Any] = field(default_factory=dict)

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

    def replace(self, **changes: Any) -> City:
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
        g.add_nodes_from(
            (n, {"x": x, "y": y, "elevation_m": z})
            for n, x, y, z in zip(
                nodes["node_id"], nodes.geometry.x, nodes.geometry.y, nodes["elevation_m"]
            )
        )
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
            "pipes_km": {
                k: round(float(v) / 1000, 1)
                for k, v in self.pipes.groupby("network")["length_m"].sum().items()
            },
            "stations": {
                k: int(v) for k, v in self.stations["force"].value_counts().sort_index().items()
            },
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
    t = free_flow_time_s(
        edges["length_m"].to_numpy(float),
        edges["speed_kph"].to_numpy(float),
        elev[v] - elev[u],
        flat,
    )
    return RoadNetwork(
        node_ids=node_ids,
        xy=np.column_stack([nodes.geometry.x.to_numpy(), nodes.geometry.y.to_numpy()]),
        edge_ids=edges["edge_id"].to_numpy(dtype=object),
        edge_u=u.astype(np.int64),
        edge_v=v.astype(np.int64),
        edge_time_s=t,
        edge_oneway=edges["oneway"].to_numpy(bool),
        edge_class=edges["road_class"].astype(str).to_numpy(dtype=object),
        edge_bridge=edges["bridge"].to_numpy(bool),
    )


def load_city(path: str | os.PathLike | None = None, *, validate: bool = True) -> City:
    """Load a city folder (``None`` or ``"central"``: the embedded central-Chongqing twin;
    ``"municipality"``: the whole municipality, built on first use and cached; a folder of
    that name, if it exists, wins over the name).

    The built-in cities are read from the city cache (:mod:`twin.model.city_cache`) once
    loaded and validated there (a fraction of the time; ``validate=False`` skips the cache).
    Raises :class:`TwinDataError` listing every problem found when the data is unusable.
    """
    named = embedded_path() if path is None else named_city(path)
    folder = named or Path(path or "")
    if not folder.is_dir():
        raise TwinDataError.one(
            str(folder),
            "no such city folder",
            "give a folder holding districts/road_nodes/road_edges layer "
            "files (see ARCHITECTURE.md), or omit the path for the "
            "embedded Chongqing twin, or name a built-in city ('central', 'municipality')",
            title="cannot load city",
        )
    if validate and (named is not None or folder.resolve() == embedded_path().resolve()):
        return cached_city(folder, lambda: _read_city(folder, validate), City)
    return _read_city(folder, validate)


def _read_city(folder: Path, validate: bool) -> City:
    """The city in ``folder`` read from its layer files (validated if ``validate``)."""
    meta = read_meta(folder)
    return city_from_layers(
        read_folder(folder),
        name=meta.get("name", folder.name),
        where=str(folder),
        crs=meta.get("crs"),
        source=str(folder),
        meta=meta,
        validate=validate,
    )


def city_from_layers(
    layers: dict[str, gpd.GeoDataFrame],
    *,
    name: str,
    where: str,
    crs: str | None = None,
    source: str | None = None,
    meta: dict | None = None,
    validate: bool = True,
) -> City:
    """Validate ``layers`` as read (raising one TwinDataError naming ``where``) and make a
    City: every layer projected to ``crs`` (default: the UTM zone of the road nodes),
    absent optional layers empty, optional columns filled with their defaults."""
    if validate:
        validate_layers(layers, where=where, crs=crs)
    crs = crs or _metric_crs(layers)
    projected = {layer: _prepare(layers.get(layer), layer, crs) for layer in LAYERS}
    return City(name=name, crs=crs, source=source, meta=dict(meta or {}), **projected)


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
        (tmp / "city.json").write_text(
            json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final
