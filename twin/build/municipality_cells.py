"""The municipality twin's seats, grid cells and people: the 2020 census of each district
spread over a coarse grid by a stated rule (see ``geodata/README.md``, "The municipality").

Rules (all lengths in metres, densities in persons/km²):

- **Seat** of a district: the centre point given in the boundary file (``centerlng`` /
  ``centerlat``, Amap's district centre, normally the government seat) when it lies inside
  the district, else the boundary's representative point.
- **Cells** (网格): a :data:`MUNI_CELL_M` square grid over the municipality, cut by the
  district boundaries (the central twin uses 1 km; the whole municipality uses 3 km).
- **People**: the district's urban share ``POPU_URB`` (census) lives in a Gaussian around the
  seat whose σ makes the urban area hold :data:`URBAN_DENSITY` persons/km² on average
  (σ² = urban persons / (2π · URBAN_DENSITY), at least :data:`MIN_SIGMA_M`); the rest is spread
  evenly by area over the district. Each cell's share is its area × kernel at its
  representative point, normalised within the district, so the cells of a district sum
  exactly to its census population.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from twin.build.geo import to_utm
from twin.build.params import WORK_CRS
from twin.build.stations import polygonal

MUNI_CELL_M = 3000.0
"""Grid-cell size (m) of the municipality twin (assumption; the issue allows 2–5 km)."""
URBAN_DENSITY = 10000.0
"""Mean density (persons/km²) of a district's urban population (assumption: about 100 m² of
built-up land per urban resident; plausible range 6,500–15,000)."""
MIN_SIGMA_M = 1500.0
"""Smallest σ (m) of a seat's urban kernel."""


def urban_shares(sources: Path) -> dict[str, float]:
    """The census urban share (0–1) of each district by adcode (``POPU_URB``)."""
    pop = pd.read_csv(
        sources / "chongqing_population_2020.csv", encoding="utf-8-sig", dtype={"CODE": str}
    )
    return dict(zip(pop["CODE"], pop["POPU_URB"].astype(float).clip(0.0, 1.0)))


def seats(districts: gpd.GeoDataFrame) -> np.ndarray:
    """Each district's seat (m, EPSG:32648), shape (n, 2), in the order of ``districts``
    (EPSG:32648 with ``centerlng``/``centerlat``): the given centre if inside, else the
    representative point."""
    out = []
    for r in districts.itertuples():
        x, y = to_utm(r.centerlng, r.centerlat)
        if not r.geometry.contains(shapely.Point(x, y)):
            p = r.geometry.representative_point()
            x, y = p.x, p.y
        out.append((float(x), float(y)))
    return np.array(out)


def grid_cells(districts: gpd.GeoDataFrame, cell_m: float = MUNI_CELL_M) -> gpd.GeoDataFrame:
    """The ``cell_m`` grid cut by the districts (EPSG:32648): ``district_id``, geometry;
    pieces under 1 m² are dropped. Ordered by grid index, then district."""
    x0, y0, x1, y1 = districts.total_bounds
    x0, y0 = np.floor(x0 / cell_m) * cell_m, np.floor(y0 / cell_m) * cell_m
    nx, ny = int(np.ceil((x1 - x0) / cell_m)), int(np.ceil((y1 - y0) / cell_m))
    mx, my = np.meshgrid(np.arange(nx), np.arange(ny))
    gx, gy = mx.ravel(), my.ravel()
    boxes = shapely.box(
        x0 + gx * cell_m, y0 + gy * cell_m, x0 + (gx + 1) * cell_m, y0 + (gy + 1) * cell_m
    )
    tree = shapely.STRtree(boxes)
    rows = []
    for d, geom in zip(districts["district_id"], districts.geometry):
        hit = np.sort(tree.query(geom, predicate="intersects"))
        for k, piece in zip(hit, shapely.intersection(boxes[hit], geom)):
            if not piece.is_empty and piece.area >= 1.0:
                part = polygonal(piece)
                rows.append((int(k), d, part))
    rows.sort(key=lambda r: (r[0], r[1]))
    return gpd.GeoDataFrame(
        {"district_id": [r[1] for r in rows]}, geometry=[r[2] for r in rows], crs=WORK_CRS
    )


def spread_population(
    cells: gpd.GeoDataFrame,
    districts: gpd.GeoDataFrame,
    seat_xy: np.ndarray,
    urban: dict[str, float],
) -> np.ndarray:
    """Persons per cell by the rule of the module docstring (float, sums to each district's
    census population exactly up to rounding)."""
    area = cells.geometry.area.to_numpy() / 1e6
    rp = cells.geometry.representative_point()
    px, py = rp.x.to_numpy(), rp.y.to_numpy()
    out = np.zeros(len(cells))
    did = cells["district_id"].to_numpy()
    for k, r in enumerate(districts.itertuples()):
        m = did == r.district_id
        u = urban.get(r.district_id, 0.0)
        urban_p = u * r.population
        sigma = max(MIN_SIGMA_M, float(np.sqrt(urban_p / (2 * np.pi * URBAN_DENSITY)) * 1000.0))
        r2 = (px[m] - seat_xy[k, 0]) ** 2 + (py[m] - seat_xy[k, 1]) ** 2
        kern = area[m] * np.exp(-r2 / (2 * sigma**2))
        if kern.sum() <= 0:  # the seat far from every cell centre: fall back to area
            kern = area[m].copy()
        out[m] = urban_p * kern / kern.sum() + (r.population - urban_p) * area[m] / area[m].sum()
    return out


def municipality_cells(
    districts: gpd.GeoDataFrame, seat_xy: np.ndarray, urban: dict[str, float]
) -> gpd.GeoDataFrame:
    """Cells with ``cell_id``, ``district_id``, ``population`` (persons) and geometry."""
    cells = grid_cells(districts)
    cells["population"] = spread_population(cells, districts, seat_xy, urban)
    width = max(4, len(str(len(cells) - 1)))
    cells.insert(0, "cell_id", [f"c{i:0{width}d}" for i in range(len(cells))])
    return cells
