"""The population raster: census people spread over each district by kernels around its
centre and subcentres; the road-node intensity derived from it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely.ops

from twin.build.geo import to_utm
from twin.build.params import (
    CELL_M,
    CENTRE_SIGMA_KM,
    NODE_DENSITY_MAX,
    NODE_DENSITY_MIN,
    NODE_EXPONENT,
    NODE_TARGET,
    PIXEL_M,
    RIDGE_NODE_FACTOR,
    RIVER_CLEARANCE_M,
    RURAL_SHARE,
    SUBCENTRES,
)
from twin.build.terrain import Terrain


@dataclass
class Raster:
    """A PIXEL_M grid over the core area; arrays are flat, index = iy * nx + ix.

    district: index into `ids` (-1 outside); pop: persons per pixel (sums to each
    district's census population); lam: road-node density (nodes/km^2)."""

    x0: float
    y0: float
    nx: int
    ny: int
    ids: tuple
    district: np.ndarray
    pop: np.ndarray
    lam: np.ndarray
    ridge: np.ndarray

    def centres(self) -> np.ndarray:
        """Pixel centres (m), shape (nx*ny, 2)."""
        ix, iy = np.meshgrid(np.arange(self.nx), np.arange(self.ny))
        return np.stack(
            [self.x0 + (ix.ravel() + 0.5) * PIXEL_M, self.y0 + (iy.ravel() + 0.5) * PIXEL_M], axis=1
        )

    def lookup(self, xy: np.ndarray) -> np.ndarray:
        """Flat pixel index of each point (points must be inside the grid)."""
        ix = np.clip(((xy[:, 0] - self.x0) // PIXEL_M).astype(int), 0, self.nx - 1)
        iy = np.clip(((xy[:, 1] - self.y0) // PIXEL_M).astype(int), 0, self.ny - 1)
        return iy * self.nx + ix

    def density(self, xy: np.ndarray) -> np.ndarray:
        """Population density (persons/km^2) of the pixel under each point."""
        return self.pop[self.lookup(xy)] / (PIXEL_M * PIXEL_M / 1e6)


def density_kernels(d: str, row: Any) -> list[tuple[np.ndarray, float, float]]:
    """Gaussian population kernels (centre xy m, weight, sigma m) for district d."""
    ks = [(to_utm(row.centerlng, row.centerlat), 1.0, CENTRE_SIGMA_KM.get(d, 2.5) * 1000.0)]
    for dd, lon, lat, w, s, _ in SUBCENTRES:
        if dd == d:
            ks.append((to_utm(lon, lat), w, s * 1000.0))
    return ks


def population_raster(core: gpd.GeoDataFrame, terrain: Terrain) -> Raster:
    """Distribute each core district's census population over PIXEL_M pixels.

    Density = (1 - rural) * kernels + rural * uniform, times a terrain factor (0 on water
    within RIVER_CLEARANCE_M, down to 0.1 on ridge crests), normalised so every district's
    pixels sum to its population.  Pixels belong to the district holding their centre."""
    minx, miny, maxx, maxy = core.total_bounds
    x0, y0 = math.floor(minx / CELL_M) * CELL_M, math.floor(miny / CELL_M) * CELL_M
    nx, ny = (
        int(math.ceil((maxx - x0) / CELL_M) * CELL_M / PIXEL_M),
        int(math.ceil((maxy - y0) / CELL_M) * CELL_M / PIXEL_M),
    )
    r = Raster(
        x0,
        y0,
        nx,
        ny,
        tuple(core["district_id"]),
        np.full(nx * ny, -1),
        np.zeros(nx * ny),
        np.zeros(nx * ny),
        np.zeros(nx * ny),
    )
    c = r.centres()
    for k, geom in enumerate(core.geometry):
        r.district[(r.district < 0) & shapely.contains_xy(geom, c[:, 0], c[:, 1])] = k
    inside = np.flatnonzero(r.district >= 0)
    ci = c[inside]
    ridge = np.clip(terrain.ridge_weight(ci), 0, 1)
    r.ridge[inside] = ridge
    factor = (1.0 - 0.9 * ridge) * (terrain.river_distance(ci) > RIVER_CLEARANCE_M)
    for k, row in enumerate(core.itertuples()):
        m = r.district[inside] == k
        kern = np.zeros(m.sum())
        for xy, w, s in density_kernels(row.district_id, row):
            kern += w * np.exp(-((ci[m] - xy) ** 2).sum(1) / (2 * s * s))
        f = factor[m]
        share = RURAL_SHARE[row.district_id]
        dens = (1 - share) * kern * f / (kern * f).sum() + share * f / f.sum()
        r.pop[inside[m]] = row.population * dens / dens.sum()
    r.lam[:] = node_intensity(r)
    return r


def node_intensity(r: Raster, target: int = NODE_TARGET) -> np.ndarray:
    """Road-node density (nodes/km^2) per pixel: a * rho^NODE_EXPONENT clipped to
    [NODE_DENSITY_MIN, NODE_DENSITY_MAX], thinned on ridges, 0 on water; `a` is solved
    so that the expected node count is `target`."""
    km2 = PIXEL_M * PIXEL_M / 1e6
    rho = r.pop / km2
    land = (r.district >= 0) & (rho > 0)
    thin = 1.0 - (1.0 - RIDGE_NODE_FACTOR) * r.ridge

    def lam(a: float | np.ndarray) -> np.ndarray:
        return np.where(
            land, np.clip(a * rho**NODE_EXPONENT, NODE_DENSITY_MIN, NODE_DENSITY_MAX) * thin, 0.0
        )

    lo, hi = 1e-4, 100.0
    for _ in range(60):
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if lam(mid).sum() * km2 < target else (lo, mid)
    return lam(math.sqrt(lo * hi))
