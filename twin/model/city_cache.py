"""A disk cache of loaded built-in cities: the embedded central twin (and the built
municipality) in a fraction of the time reading, validating and projecting its layers takes.

Loading the central twin reads seven GeoParquet layers, validates them and projects them
(about 4 CPU-s); every ``twin`` command and every worker process of a sweep pays that
again. The loaded :class:`~twin.model.city.City` is stored once in the cache folder
(:func:`twin.model.cache.cache_dir`) as ``city-<24 hex>.pkl`` and read back (well under a
CPU-second): attribute columns pickled as they are, geometries as flat coordinate arrays
(:func:`shapely.to_ragged_array`) where a layer holds only points or only lines, else WKB.

- **Key:** a hash of the folder's path, every file in it (bytes), the source of the
  loading code (``twin/model/*.py``), the package version and the versions of the
  libraries that build the frames; changed data or code is a different file, never a
  stale city. The key is stored inside the file too and checked on reading.
- **Damaged, unreadable or foreign files** are ignored: the city is loaded from its layers
  again and the file rewritten. Only the built-in cities are cached (a user's folder is
  read as it is, every time), and only after their layers were validated.
- **Written atomically** into the cache folder only (a temporary file there, then
  :func:`os.replace`); a cache that cannot be written is skipped with one
  :class:`~twin.model.cache.CacheWarning`. The files count towards the cache's size bound
  and ``twin cache clear`` removes them.
- The file is a pickle: it is read only from the user's own cache folder, which this tool
  alone writes (as for any pickle, do not point ``TWIN_CACHE_DIR`` at a folder others
  can write).
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from twin.model import cache
from twin.model.layers import LAYERS
from twin.version import __version__

FORMAT = 1
"""Bumped whenever the file's layout changes."""
LIBRARIES = ("numpy", "pandas", "geopandas", "shapely", "pyproj", "pyarrow")
"""Libraries whose version is part of the key (they build, pickle and project the frames)."""
PREFIX = "city-"
_RAGGED = {shapely.GeometryType.POINT, shapely.GeometryType.LINESTRING}
_FIELDS = ("name", "crs", "source", "meta")
"""The City's fields besides its layers."""
C = TypeVar("C")


def city_key(folder: Path) -> str:
    """The cache key of the city in ``folder``: 24 hex digits of a SHA-256 over the
    folder's path and files, the loading code and the library versions."""
    h = hashlib.sha256(f"format {FORMAT}\0twin {__version__}\0{folder.resolve()}\0".encode())
    for lib in LIBRARIES:
        try:
            h.update(f"{lib} {metadata.version(lib)}\0".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{lib} absent\0".encode())
    code = Path(__file__).resolve().parent
    for p in sorted(folder.iterdir()) + sorted(code.glob("*.py")):
        if p.is_file():
            h.update(f"{p.parent.name}/{p.name}\0".encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:24]


def cached_city(folder: Path, load: Callable[[], C], kind: type[C]) -> C:
    """The city of ``folder`` from the cache, else ``load()`` (which must validate it),
    stored for next time; ``kind`` is :class:`~twin.model.city.City` (a dataclass of
    :data:`~twin.model.layers.LAYERS` and name, crs, source, meta)."""
    key = city_key(folder)
    path = cache.cache_dir() / f"{PREFIX}{key}.pkl"
    city = read_city(path, key, kind)
    if city is None:
        city = load()
        write_city(path, key, city)
    return city


def read_city(path: Path, key: str, kind: type[C]) -> C | None:
    """The city stored at ``path`` under ``key``, or None when absent, unreadable, damaged
    or stored under another key."""
    try:
        with path.open("rb") as f:
            payload = pickle.load(f)  # noqa: S301 — our own cache folder (module docstring)
        if not isinstance(payload, dict) or payload.get("key") != key:
            return None
        fields = dict(payload["fields"])
        for layer, packed in payload["layers"].items():
            fields[layer] = _unpack(packed)
        city = kind(**fields)
        os.utime(path)  # least recently used goes first
    except Exception:  # noqa: BLE001 — any failure means: not usable, load again
        return None
    return city


def write_city(path: Path, key: str, city: object) -> bool:
    """Store ``city`` at ``path`` (a name in the cache folder) atomically; False (with one
    warning) when the cache cannot be written."""
    payload = {
        "key": key,
        "fields": {k: getattr(city, k) for k in _FIELDS},
        "layers": {layer: _pack(getattr(city, layer)) for layer in LAYERS},
    }
    return cache.save_file(
        path.name, lambda f: pickle.dump(payload, f, protocol=pickle.HIGHEST_PROTOCOL)
    )


def _pack(gdf: gpd.GeoDataFrame) -> dict[str, Any]:
    """A layer as its attribute columns and its geometry in the quickest form to rebuild."""
    name = gdf.geometry.name
    geoms = gdf.geometry.to_numpy()
    types = set(shapely.get_type_id(geoms).tolist())
    ragged = len(types) == 1 and types <= _RAGGED and not shapely.is_empty(geoms).any()
    return {
        "attrs": pd.DataFrame(gdf.drop(columns=name)),
        "columns": list(gdf.columns),
        "name": name,
        "crs": gdf.crs,
        "ragged": shapely.to_ragged_array(geoms) if ragged else None,
        "wkb": None if ragged else shapely.to_wkb(geoms),
    }


def _unpack(packed: dict[str, Any]) -> gpd.GeoDataFrame:
    """The layer :func:`_pack` packed."""
    if packed["ragged"] is not None:
        geoms: np.ndarray = shapely.from_ragged_array(*packed["ragged"])
    else:
        geoms = shapely.from_wkb(packed["wkb"])
    attrs: pd.DataFrame = packed["attrs"]
    name = packed["name"]
    series = gpd.GeoSeries(geoms, index=attrs.index, crs=packed["crs"], name=name)
    frame = pd.concat([attrs, series], axis=1)[packed["columns"]]
    return gpd.GeoDataFrame(frame, geometry=name, crs=packed["crs"])
