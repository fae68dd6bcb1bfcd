"""A user's GIS layers (GeoPackage, GeoJSON, Shapefile, GeoParquet) → a :class:`~twin.City`.

``import_gis(source)`` where ``source`` is

- a GeoPackage file holding layers named like the twin's (``districts``, ``road_nodes``,
  ``road_edges``, ``pipes``, ``junctions``, ``stations``, ``cells``),
- a folder of files named ``<layer>.<ext>`` (ext: gpkg, geojson, json, shp, parquet), or
- a list of such files (each file's name says its layer).

Names that differ are mapped: ``layers={"road_edges": "streets"}`` (our layer → their layer
name in the GeoPackage, or their file name/stem in a folder) and ``rename={"road_edges":
{"fclass": "road_class"}, "*": {"id": "..."}}`` (per layer, their column → ours; ``"*"``
applies to every layer). On the command line both come from one JSON or TOML mapping file,
``{"layers": {...}, "rename": {...}}``. Files are read with pyogrio (GeoParquet with
pyarrow); any stated CRS is fine (layers are projected to the UTM zone of the road nodes).
The result is validated like any city folder; ``largest_component=True`` first drops
road-graph fragments (reported in ``city.meta["import_notes"]``).
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
from scipy.spatial import cKDTree

from twin.errors import ProblemList, TwinDataError
from twin.importers import city_from_layers, keep_largest_component, note
from twin.model.city import LAYERS, City, read_layer_file
from twin.model.validate import MAX_SNAP_M

EXTENSIONS = (".gpkg", ".geojson", ".json", ".shp", ".parquet")
TITLE = "cannot import GIS layers"


def import_gis(
    source: str | os.PathLike | Iterable[str | os.PathLike],
    *,
    layers: Mapping[str, str] | None = None,
    rename: Mapping[str, Mapping[str, str]] | None = None,
    name: str | None = None,
    largest_component: bool = False,
) -> City:
    """Import GIS layers as a validated City; see the module docstring for ``source``,
    ``layers`` (our layer → theirs) and ``rename`` (layer → {their column: ours})."""
    paths = [Path(source)] if isinstance(source, (str, os.PathLike)) else [Path(p) for p in source]
    where = ", ".join(map(str, paths))
    found = read_gis(paths, layers or {})
    notes: list[str] = []
    found = {layer: _rename(gdf, layer, rename or {}) for layer, gdf in found.items()}
    if largest_component and _has_graph(found):
        nodes, edges, dropped = keep_largest_component(found["road_nodes"], found["road_edges"])
        found["road_nodes"], found["road_edges"] = nodes, edges
        if dropped:
            note(notes, dropped)
    kept = _folder_meta(paths)
    name = (
        name
        or kept.pop("name", None)
        or (paths[0].stem if len(paths) == 1 else paths[0].parent.name)
    )
    kept.pop("crs", None)
    meta = {
        **kept,
        "source": where,
        "importer": "gis",
        "import_notes": [*kept.get("import_notes", []), *notes],
    }
    city = city_from_layers(found, name=name, where=where, source=where, meta=meta)
    check_pipes_near_roads(city, where, notes)
    return city


def _folder_meta(paths: list[Path]) -> dict:
    """The ``city.json`` of a source folder (name, population source, notes…), or {}."""
    for p in paths:
        f = p / "city.json"
        if p.is_dir() and f.is_file():
            try:
                data = json.loads(f.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return {}
            return dict(data) if isinstance(data, dict) else {}
    return {}


def check_pipes_near_roads(
    city: City, where: str, notes: list[str], max_m: float = MAX_SNAP_M
) -> None:
    """Pipes lie under or beside roads: refuse a network most of whose junctions are more
    than ``max_m`` from every road node (a wrong CRS or a network of another city); note
    the few that are."""
    j = city.junctions
    if j.empty or city.road_nodes.empty:
        return
    xy = np.column_stack([j.geometry.x, j.geometry.y])
    dist, _ = cKDTree(
        np.column_stack([city.road_nodes.geometry.x, city.road_nodes.geometry.y])
    ).query(xy)
    far = dist > max_m
    if far.mean() > 0.5:
        raise TwinDataError.one(
            f"{where} (junctions)",
            f"{int(far.sum())} of {len(far)} pipe "
            f"junctions are more than {max_m:.0f} m from every road node "
            f"(median {np.median(dist) / 1000:,.1f} km): the pipes do not "
            "lie in this city",
            "check the pipes' CRS, or that they belong to the same city as the roads",
            ids=j["junction_id"].astype(str)[far].head(20).tolist(),
            title=TITLE,
        )
    if far.any():
        note(
            notes,
            f"{int(far.sum())} of {len(far)} pipe junctions are more than "
            f"{max_m:.0f} m from every road node",
        )


def read_mapping(path: str | os.PathLike) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """``(layers, rename)`` from a JSON or TOML mapping file (``--map`` on the command line)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (OSError, ValueError) as exc:
        raise TwinDataError.one(
            str(path),
            f"cannot read the mapping file: {exc}",
            'write JSON like {"layers": {"road_edges": "streets"}, '
            '"rename": {"road_edges": {"fclass": "road_class"}}}',
            title=TITLE,
        ) from None
    problems = ProblemList()
    shape = (
        '{"layers": {"road_edges": "streets"}, "rename": {"road_edges": {"fclass": "road_class"}}}'
    )
    if not isinstance(data, dict):
        problems.add(
            str(path),
            f"must be an object with 'layers' and 'rename', not a {type(data).__name__}",
            f"write it like {shape}",
        )
        problems.raise_if_any(TITLE)
    unknown = set(data) - {"layers", "rename"}
    if unknown:
        problems.add(str(path), f"unknown keys {sorted(unknown)}", "use only 'layers' and 'rename'")
    layers, rename = data.get("layers", {}), data.get("rename", {})
    if not _str_map(layers):
        problems.add(
            str(path),
            f"'layers' must map our layer names to your layer or file names (text), not {layers!r}",
            f"write it like {shape}",
        )
        layers = {}
    if not (isinstance(rename, dict) and all(_str_map(v) for v in rename.values())):
        problems.add(
            str(path),
            "'rename' must map each layer (or '*') to {your column: our "
            f"column}} (text), not {rename!r}",
            f"write it like {shape}",
        )
        rename = {}
    bad = set(layers) - set(LAYERS)
    bad |= set(rename) - set(LAYERS) - {"*"}
    if bad:
        problems.add(
            str(path),
            f"unknown layers {sorted(bad)}",
            f"layers are: {', '.join(LAYERS)} (and '*' in rename)",
        )
    problems.raise_if_any(TITLE)
    return dict(layers), {k: dict(v) for k, v in rename.items()}


def _str_map(value: object) -> bool:
    return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())


def read_gis(paths: list[Path], layers: Mapping[str, str]) -> dict[str, gpd.GeoDataFrame]:
    """Our layer name → GeoDataFrame as read, from GeoPackages, folders or single files."""
    found: dict[str, gpd.GeoDataFrame] = {}
    problems = ProblemList()
    for path in paths:
        if path.is_dir():
            found.update(_from_folder(path, layers))
        elif path.is_file() and path.suffix.lower() == ".gpkg" and _is_multi_layer(path, layers):
            found.update(_from_geopackage(path, layers))
        elif path.is_file():
            layer = _layer_of(path, layers)
            if layer is None:
                problems.add(
                    str(path),
                    "cannot tell which layer this file is",
                    f"name it <layer>{path.suffix} with layer one of "
                    f"{', '.join(LAYERS)}, or map it in the mapping file's 'layers'",
                )
            else:
                found[layer] = read_layer_file(path)
        else:
            problems.add(str(path), "no such file or folder", "check the path")
    problems.raise_if_any(TITLE)
    return found


def _from_folder(folder: Path, layers: Mapping[str, str]) -> dict[str, gpd.GeoDataFrame]:
    found = {}
    for layer in LAYERS:
        theirs = layers.get(layer, layer)
        candidates = [folder / theirs] + [folder / f"{theirs}{ext}" for ext in EXTENSIONS]
        path = next((p for p in candidates if p.is_file()), None)
        if path is not None:
            found[layer] = read_layer_file(path)
    return found


def _is_multi_layer(path: Path, layers: Mapping[str, str]) -> bool:
    """A GeoPackage holding our layers by name (rather than a single-layer file)."""
    names = set(_gpkg_layers(path))
    return bool(names & {layers.get(layer, layer) for layer in LAYERS})


def _gpkg_layers(path: Path) -> list[str]:
    try:
        return [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    except Exception as exc:  # noqa: BLE001 — any failure means an unreadable file
        raise TwinDataError.one(
            str(path),
            f"cannot read this GeoPackage: {exc}",
            "check it opens in QGIS; re-export it with ogr2ogr",
            title=TITLE,
        ) from None


def _from_geopackage(path: Path, layers: Mapping[str, str]) -> dict[str, gpd.GeoDataFrame]:
    names = set(_gpkg_layers(path))
    found = {}
    for layer in LAYERS:
        theirs = layers.get(layer, layer)
        if theirs in names:
            try:
                found[layer] = gpd.read_file(path, layer=theirs, engine="pyogrio")
            except Exception as exc:  # noqa: BLE001
                raise TwinDataError.one(
                    f"{path}:{theirs}",
                    f"cannot read this layer: {exc}",
                    "re-export it with QGIS or ogr2ogr",
                    title=TITLE,
                ) from None
    return found


def _layer_of(path: Path, layers: Mapping[str, str]) -> str | None:
    theirs = {v: k for k, v in layers.items()}
    for key in (path.name, path.stem):
        if key in theirs:
            return theirs[key]
        if key in LAYERS:
            return key
    return None


def _rename(
    gdf: gpd.GeoDataFrame, layer: str, rename: Mapping[str, Mapping[str, str]]
) -> gpd.GeoDataFrame:
    mapping = {**rename.get("*", {}), **rename.get(layer, {})}
    mapping = {k: v for k, v in mapping.items() if k in gdf.columns and k != v}
    return gdf.rename(columns=mapping) if mapping else gdf


def _has_graph(found: dict[str, gpd.GeoDataFrame]) -> bool:
    nodes, edges = found.get("road_nodes"), found.get("road_edges")
    return (
        nodes is not None
        and edges is not None
        and "node_id" in nodes.columns
        and {"u", "v"} <= set(edges.columns)
    )
