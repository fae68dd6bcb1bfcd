"""Community responders (群防员, grid workers 网格员) allotted by households, not by area.

Urban grid management (网格化管理) draws a grid around a number of households and gives each
grid a grid worker. The posts of the twin's ``community`` force follow that rule:

- households of a cell = its population / :data:`HOUSEHOLD_SIZE` (persons per household);
- a district has ``round(households / HOUSEHOLDS_PER_WORKER)`` responders in all, shared
  among its populated cells by the largest-remainder (Hamilton) rule on each cell's exact
  quota households / :data:`HOUSEHOLDS_PER_WORKER` (ties: more people first, then the cell
  order), so the district's total is exact and no cell is rounded on its own;
- one post per cell with at least one responder, at the road node nearest the cell's
  representative point (a cell left with none is served from its neighbours' posts: its
  households belong to a grid that spans several cells).

Sources and ranges (docs/calibration.md, "Community responders"):

- :data:`HOUSEHOLD_SIZE` = **2.45** persons per family household: Chongqing, 2020 census
  (重庆市第七次全国人口普查公报 第一号, 重庆市统计局, 2021-05-13: 12,040,234 family households,
  29,477,069 people in them). Collective households (dormitories, 2,577,090 people) are
  counted at the same size, an assumption. Range 2.2–2.7 (assumption: the central
  districts' own figures were not checked; 2010's municipal figure was 2.70).
- :data:`HOUSEHOLDS_PER_WORKER` = **400**: **assumption**, one grid worker per grid of
  300–500 households, as urban grid management commonly draws its grids; no national or
  Chongqing norm could be checked offline. Counting part-time members and volunteers
  would lower it (more responders), which this range does not cover.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

HOUSEHOLD_SIZE = 2.45
"""Persons per household (Chongqing 2020 census, family households); range 2.2–2.7."""
HOUSEHOLDS_PER_WORKER = 400.0
"""Households per community responder (one grid worker per grid); assumption, 300–500."""


def allot_workers(
    population: np.ndarray,
    district: np.ndarray,
    household_size: float = HOUSEHOLD_SIZE,
    households_per_worker: float = HOUSEHOLDS_PER_WORKER,
) -> np.ndarray:
    """Responders per cell (int): each district's ``round(Σ households / N)`` shared among
    its cells by largest remainder of ``population / household_size / N`` (module
    docstring). ``population`` in persons, one entry per cell; ``district`` its district."""
    if household_size <= 0 or households_per_worker <= 0:
        raise ValueError("household size and households per worker must be positive")
    pop = np.asarray(population, float)
    quota = np.clip(pop, 0.0, None) / household_size / households_per_worker
    out = np.floor(quota).astype(np.int64)
    dist = np.asarray(district, object)
    for d in pd.unique(dist):
        idx = np.flatnonzero(dist == d)
        total = int(np.floor(quota[idx].sum() + 0.5))
        extra = total - int(out[idx].sum())
        if extra <= 0:
            continue
        # largest remainder first; ties: more people, then the cell order
        order = np.lexsort((idx, -pop[idx], -(quota[idx] - out[idx])))
        out[idx[order[:extra]]] += 1
    return out


def post_rows(
    cells: gpd.GeoDataFrame,
    node_xy: np.ndarray,
    household_size: float = HOUSEHOLD_SIZE,
    households_per_worker: float = HOUSEHOLDS_PER_WORKER,
) -> list[dict[str, Any]]:
    """Community posts of ``cells`` (projected metric CRS, columns ``cell_id``,
    ``district_id``, ``population``): one per cell with at least one responder, at the
    nearest of ``node_xy`` (m, same CRS) to the cell's representative point; rows with
    ``station_id``, ``force``, ``name``, ``name_en``, ``district_id``, ``units``, ``node``
    (index into ``node_xy``), ``cell_id``. A cell whose nearest node is more than 1 km
    outside it gets no post (its responders are not counted either)."""
    pop = cells[cells["population"] > 0]
    if pop.empty or len(node_xy) == 0:
        return []
    units = allot_workers(
        pop["population"].to_numpy(float),
        pop["district_id"].to_numpy(object),
        household_size,
        households_per_worker,
    )
    keep = units > 0
    pop, units = pop[keep], units[keep]
    pts = shapely.get_coordinates(pop.geometry.representative_point().values)
    k = cKDTree(node_xy).query(pts)[1] if len(pts) else np.zeros(0, np.int64)
    near = shapely.distance(shapely.points(node_xy[k]), pop.geometry.values) <= 1000.0
    pop, units, k = pop[near], units[near], k[near]
    width = max(4, len(str(len(pop))))
    return [
        dict(
            station_id=f"community-{i + 1:0{width}d}",
            force="community",
            name=f"群防员站 {cid}",
            name_en=f"Community responder post {cid}",
            district_id=str(dd),
            units=int(u),
            node=int(kk),
            cell_id=str(cid),
        )
        for i, (cid, dd, u, kk) in enumerate(zip(pop["cell_id"], pop["district_id"], units, k))
    ]
