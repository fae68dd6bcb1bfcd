"""Longitude/latitude as Chinese users have them: WGS84, GCJ-02 and BD-09.

Everything the twin stores and computes is WGS84 (EPSG:4326) at the edges and a metric
UTM CRS inside. But maps in China do not show WGS84: Amap (高德), Tencent and Google Maps
in China show **GCJ-02** (国测局坐标, the "Mars" offset of a few hundred metres), and Baidu
Maps shows **BD-09** (GCJ-02 shifted once more). A point copied from such an app and read
as WGS84 lands 300–600 m off in Chongqing — a street or a river away.

Wherever a user types lon/lat (a scenario's places, a station file, incident records) a
``datum`` may be declared: ``wgs84`` (the default), ``gcj02`` or ``bd09``; :func:`to_wgs84`
converts. The forward formulas are the maintained ``coordTransform`` package's (C
extension, vectorised); its inverses (GCJ-02 or BD-09 → WGS84) are one-step
approximations with errors of up to a metre or two, so :func:`to_wgs84` refines it by fixed-point iteration on the forward
transform until it reproduces the input to ~1e-9° (a few millimetres). Outside China the
GCJ-02 offset is zero (the package's ``out_of_china`` box), as in the apps; BD-09 keeps
Baidu's own small shift everywhere.
"""

from __future__ import annotations

import coordTransform
import numpy as np

DATUMS = ("wgs84", "gcj02", "bd09")
"""Datums a user may declare for lon/lat (``wgs84`` is the default)."""
DATUM_HELP = (
    'lon/lat are WGS84 (GPS, OpenStreetMap) unless datum = "gcj02" (Amap, '
    'Tencent, Google Maps in China) or "bd09" (Baidu Maps) is declared'
)
_TOL_DEG = 1e-10
_MAX_ITER = 10


def _arrays(lon: object, lat: object) -> tuple[np.ndarray, np.ndarray]:
    return (
        np.ascontiguousarray(np.atleast_1d(np.asarray(lon, float))),
        np.ascontiguousarray(np.atleast_1d(np.asarray(lat, float))),
    )


def _apply(fn_name: str, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if len(lon) == 0:
        return lon.copy(), lat.copy()
    x, y = getattr(coordTransform, fn_name)(np.ascontiguousarray(lon), np.ascontiguousarray(lat))
    return np.asarray(x, float), np.asarray(y, float)


def wgs84_to(lon: object, lat: object, datum: str) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 lon/lat (degrees) → ``datum`` (what a Chinese map app would show)."""
    lon_a, lat_a = _arrays(lon, lat)
    datum = check_datum(datum)
    if datum == "wgs84":
        return lon_a.copy(), lat_a.copy()
    return _apply("wgs84_to_gcj02" if datum == "gcj02" else "wgs84_to_bd09", lon_a, lat_a)


def to_wgs84(lon: object, lat: object, datum: str) -> tuple[np.ndarray, np.ndarray]:
    """Lon/lat in ``datum`` (``wgs84``, ``gcj02``, ``bd09``; degrees) → WGS84 (degrees).

    Exact inverse of :func:`wgs84_to` to ~1e-9° (iterated; see the module docstring)."""
    lon_a, lat_a = _arrays(lon, lat)
    datum = check_datum(datum)
    if datum == "wgs84":
        return lon_a.copy(), lat_a.copy()
    forward = "wgs84_to_gcj02" if datum == "gcj02" else "wgs84_to_bd09"
    # start from the package's one-step inverse, then x ← x − (forward(x) − target)
    x, y = _apply("gcj02_to_wgs84" if datum == "gcj02" else "bd09_to_wgs84", lon_a, lat_a)
    for _ in range(_MAX_ITER):
        fx, fy = _apply(forward, x, y)
        dx, dy = fx - lon_a, fy - lat_a
        x, y = x - dx, y - dy
        if np.all(np.abs(dx) < _TOL_DEG) and np.all(np.abs(dy) < _TOL_DEG):
            break
    return x, y


def check_datum(datum: str) -> str:
    """``datum`` lower-cased if it is one of :data:`DATUMS`; ValueError otherwise."""
    d = str(datum).lower().replace("-", "").replace("_", "")
    if d not in DATUMS:
        raise ValueError(f"unknown datum {datum!r}: use one of {', '.join(DATUMS)}")
    return d


def convert_tree(data: object, datum: str) -> object:
    """A copy of nested dicts/lists (a parsed TOML file) in which every table holding both
    numeric ``lon`` and ``lat`` has them converted from ``datum`` to WGS84."""
    if isinstance(data, list):
        return [convert_tree(v, datum) for v in data]
    if not isinstance(data, dict):
        return data
    out = {k: convert_tree(v, datum) for k, v in data.items()}
    lon, lat = out.get("lon"), out.get("lat")
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (lon, lat)):
        x, y = to_wgs84(lon, lat, datum)
        out["lon"], out["lat"] = round(float(x[0]), 7), round(float(y[0]), 7)
    return out
