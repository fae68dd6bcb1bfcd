"""Places in a city as users name them: districts by id or name, points inside the study
area and near a road (what scenario checks and the scenario's changes to a city use)."""

from __future__ import annotations

import numpy as np
import shapely

from twin.model.city import City
from twin.model.validate import MAX_SNAP_M


def _norm_district(s: str) -> str:
    s = str(s).strip().lower()
    for suffix in (" district", "district", " county", "区", "县"):
        if s.endswith(suffix) and len(s) > len(suffix):
            s = s[: -len(suffix)]
    return s.strip()


def resolve_district(city: City, key: str | None) -> str | None:
    """District id for ``key``: a district id, a Chinese name (渝中区 or 渝中) or an English
    name (Yuzhong or Yuzhong District, any case); None when nothing matches."""
    if key is None:
        return None
    d = city.districts
    ids = d["district_id"].astype(str).tolist()
    k = str(key).strip()
    if k in ids:
        return k
    target = _norm_district(k)
    for col in ("name", "name_en"):
        for did, name in zip(ids, d[col].astype(str)):
            if name.strip() == k or _norm_district(name) == target:
                return did
    return None


def district_choices(city: City) -> list[str]:
    """Every id, Chinese and English name of the city's districts (for suggestions)."""
    d = city.districts
    return [*d["district_id"].astype(str), *d["name"].astype(str), *d["name_en"].astype(str)]


def core_district_at(city: City, xy: np.ndarray) -> str | None:
    """Id of the core district whose polygon contains point ``xy`` (metres), if any."""
    core = city.core_districts
    if len(core) == 0:
        return None
    inside = shapely.contains_xy(core.geometry.values, float(xy[0]), float(xy[1]))
    hit = np.flatnonzero(inside)
    return str(core["district_id"].iat[hit[0]]) if len(hit) else None


def outside_city(city: City, xy: np.ndarray) -> str | None:
    """Why point ``xy`` (metres, city CRS) is not a usable place in the city — outside every
    core district, or farther than ``twin.model.validate.MAX_SNAP_M`` from a road node — or None."""
    if core_district_at(city, xy) is None:
        return "lies outside the city's core districts"
    if len(city.road_nodes) == 0:
        return "cannot be placed: the city has no road nodes"
    _, dist = city.roads.snap(np.asarray(xy, float))
    if not dist[0] <= MAX_SNAP_M:
        return f"is {dist[0]:.0f} m from the nearest road node (at most {MAX_SNAP_M:.0f} m)"
    return None
