"""Reading a city folder as it is on disk: layer files and ``city.json``, no checks
beyond what reading needs (see :mod:`twin.model.validate` for the checks)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyproj

from twin.errors import TwinDataError
from twin.model.layers import FILE_EXTENSIONS, LAYERS


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
        raise TwinDataError.one(
            str(path),
            f"cannot read this file: {exc}",
            "check that it is a valid GeoParquet/GeoPackage/GeoJSON/"
            "Shapefile; re-export it with QGIS or ogr2ogr",
            title="unreadable city layer",
        ) from None


def read_folder(folder: Path) -> dict[str, gpd.GeoDataFrame]:
    """All layer files found in ``folder``, as read (no checks, no projection). Raises one
    :class:`TwinDataError` naming every unreadable file."""
    layers: dict[str, gpd.GeoDataFrame] = {}
    problems = []
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


def read_meta(folder: Path) -> dict[str, Any]:
    """The folder's ``city.json`` (``{}`` when absent). Raises :class:`TwinDataError` when it
    is not a JSON object or its ``crs`` is not a projected (metric) CRS: every distance in
    the twin is computed in ``City.crs``, so a geographic one (degrees) would be wrong."""
    p = folder / "city.json"
    if not p.exists():
        return {}
    try:
        meta = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise TwinDataError.one(
            str(p),
            f"not valid JSON: {exc.msg}",
            "fix the JSON syntax",
            line=exc.lineno,
            title="cannot load city",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TwinDataError.one(
            str(p),
            f"cannot read this file: {exc}",
            "check it is a UTF-8 JSON file",
            title="cannot load city",
        ) from None
    if not isinstance(meta, dict):
        raise TwinDataError.one(
            str(p),
            f"must be a JSON object, not a {type(meta).__name__}",
            'write it like {"name": "...", "crs": "EPSG:32648"}',
            title="cannot load city",
        )
    crs = meta.get("crs")
    if crs is not None:
        try:
            ok = isinstance(crs, str) and pyproj.CRS(crs).is_projected
        except pyproj.exceptions.CRSError:
            ok = False
        if not ok:
            raise TwinDataError.one(
                str(p),
                f"crs {crs!r} is not a projected (metric) CRS",
                "name a metric CRS such as 'EPSG:32648' (UTM 48N), or "
                "leave crs out to use the UTM zone of the data",
                title="cannot load city",
            )
    return meta
