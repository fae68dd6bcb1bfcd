"""A user's own table (stations, incident records) mapped onto our columns.

A mapping file (``--map FILE.toml`` or ``.json``) says, per table, how to turn the user's
columns into ours; every key is optional::

    [stations]
    rename = { NAME = "name", KIND = "force", ENGINES = "units" }   # theirs → ours
    constants = { units = 2 }                    # a column set to one value for every row
    values.force = { "Fire" = "fire", "EMS" = "professional" }      # value → value
    scale = { response_km = 1000.0 }             # multiply a numeric column (unit change)
    lonlat = ["LNG", "LAT"]                      # point columns of a CSV (degrees)
    datum = "gcj02"                              # wgs84 (default), gcj02 or bd09

``rename`` runs first, then ``values`` and ``scale`` (on our column names), then
``constants``. :func:`read_table` reads CSV, Parquet or any layer file and returns a
GeoDataFrame in WGS84 whose points were converted from the declared datum
(:mod:`twin.model.coords`).
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from twin.errors import TwinDataError
from twin.model.city import read_layer_file
from twin.model.coords import DATUMS, to_wgs84

TITLE = "cannot read the column mapping"
KEYS = frozenset(["rename", "constants", "values", "scale", "lonlat", "datum"])
LON_NAMES = ("lon", "lng", "longitude", "x")
LAT_NAMES = ("lat", "latitude", "y")


@dataclass(frozen=True)
class TableMap:
    """How one user table maps onto ours (see the module docstring)."""

    rename: dict[str, str] = field(default_factory=dict)
    constants: dict[str, Any] = field(default_factory=dict)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    scale: dict[str, float] = field(default_factory=dict)
    lonlat: tuple[str, str] | None = None
    datum: str = "wgs84"


def read_map(path: Path | None, table: str) -> TableMap:
    """The ``[table]`` section of a mapping file (None → an empty mapping)."""
    if path is None:
        return TableMap()
    try:
        text = Path(path).read_text(encoding="utf-8")
        data = json.loads(text) if Path(path).suffix == ".json" else tomllib.loads(text)
    except (OSError, ValueError) as exc:
        raise TwinDataError.one(
            str(path),
            f"cannot read the mapping file: {exc}",
            f'write TOML with a [{table}] table, e.g. rename = {{ NAME = "name" }}',
            title=TITLE,
        ) from None
    section = data.get(table, {})
    where = f"{path} [{table}]"
    if not isinstance(section, dict) or set(section) - KEYS:
        raise TwinDataError.one(
            where,
            f"unknown keys {sorted(set(section) - KEYS)}",
            f"use only {', '.join(sorted(KEYS))}",
            title=TITLE,
        )
    datum = str(section.get("datum", "wgs84")).lower()
    if datum not in DATUMS:
        raise TwinDataError.one(
            where, f"unknown datum {datum!r}", f"use one of {', '.join(DATUMS)}", title=TITLE
        )
    lonlat = section.get("lonlat")
    if lonlat is not None and not (isinstance(lonlat, list) and len(lonlat) == 2):
        raise TwinDataError.one(
            where,
            f"lonlat must be two column names, not {lonlat!r}",
            'write lonlat = ["LNG", "LAT"]',
            title=TITLE,
        )
    try:
        scale = {str(k): float(v) for k, v in section.get("scale", {}).items()}
    except (TypeError, ValueError):
        raise TwinDataError.one(
            where,
            "scale factors must be numbers",
            "write scale = { length_km = 1000.0 }",
            title=TITLE,
        ) from None
    return TableMap(
        dict(section.get("rename", {})),
        dict(section.get("constants", {})),
        {str(k): dict(v) for k, v in section.get("values", {}).items()},
        scale,
        tuple(lonlat) if lonlat else None,
        datum,
    )


def apply_map(df: pd.DataFrame, m: TableMap) -> pd.DataFrame:
    """Rename, map values, scale and set constants (a new frame)."""
    out = df.rename(columns=m.rename)
    for col, table in m.values.items():
        if col in out.columns:
            out[col] = out[col].map(lambda v, t=table: t.get(str(v), v))
    for col, factor in m.scale.items():
        if col in out.columns:
            out[col] = pd.to_numeric(out[col], errors="coerce") * factor
    for col, value in m.constants.items():
        out[col] = value
    return out


def read_table(path: Path, m: TableMap, what: str) -> gpd.GeoDataFrame:
    """A CSV/Parquet/layer file as a WGS84 GeoDataFrame after the mapping ``m``.

    Points come from the file's geometry or from lon/lat columns (``m.lonlat``, else the
    first of lon/lng/longitude/x and lat/latitude/y); rows without a usable point keep an
    empty geometry (the caller lists them by line). Coordinates are converted from
    ``m.datum`` to WGS84. Line numbers are kept in ``_line`` (CSV: the file's line)."""
    path = Path(path)
    if not path.is_file():
        raise TwinDataError.one(
            str(path),
            "no such file",
            f"give the path of the {what} file (CSV, Parquet, GeoPackage, GeoJSON)",
            title=f"cannot read {what}",
        )
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        df["_line"] = np.arange(len(df)) + 2  # header is line 1
    elif suffix == ".parquet" and not _is_geoparquet(path):
        df = pd.read_parquet(path)
        df["_line"] = np.arange(len(df)) + 1
    else:
        gdf = read_layer_file(path).to_crs("EPSG:4326")
        df = pd.DataFrame(gdf.drop(columns="geometry"))
        df["_line"] = np.arange(len(df)) + 1
        df["_lon"], df["_lat"] = gdf.geometry.x.to_numpy(), gdf.geometry.y.to_numpy()
    lonlat = m.lonlat
    df = apply_map(df, m)
    if "_lon" not in df.columns:
        lon_col, lat_col = lonlat or (_find(df, LON_NAMES), _find(df, LAT_NAMES))
        if lon_col is None or lat_col is None or lon_col not in df or lat_col not in df:
            df["_lon"], df["_lat"] = np.nan, np.nan
        else:
            df["_lon"] = pd.to_numeric(df[lon_col], errors="coerce")
            df["_lat"] = pd.to_numeric(df[lat_col], errors="coerce")
    lon, lat = df["_lon"].to_numpy(float), df["_lat"].to_numpy(float)
    ok = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90)
    wlon, wlat = np.full(len(df), np.nan), np.full(len(df), np.nan)
    if ok.any():
        wlon[ok], wlat[ok] = to_wgs84(lon[ok], lat[ok], m.datum)
    geometry = gpd.points_from_xy(wlon, wlat)
    geometry[~ok] = None
    return gpd.GeoDataFrame(df.drop(columns=["_lon", "_lat"]), geometry=geometry, crs="EPSG:4326")


def _find(df: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    lower = {str(c).lower(): c for c in df.columns}
    return next((lower[n] for n in names if n in lower), None)


def _is_geoparquet(path: Path) -> bool:
    return b"geo" in (pq.read_schema(path).metadata or {})
