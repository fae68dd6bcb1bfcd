"""Where people live, for an imported city: 1 km grid cells (网格) with populations.

The embedded twin's cells are 1 km squares clipped by district (``geodata/build.py``); an
imported city gets the same: :func:`grid_cells` lays a :data:`CELL_M` grid in the city's
metric CRS over the districts, each square cut by the districts it touches. Their
``population`` comes from the first source available, and is stated in
``city.json`` (``population_source``, ``population_estimate``) and in ``twin summary``:

1. ``raster``: a GeoTIFF of people per pixel (WorldPop "unconstrained/constrained count"
   rasters, or a national grid), read with rasterio; each pixel's count goes to the cell
   its centre falls in (pixels outside every district are left out, and counted in the
   notes). Nodata and negative pixels count 0.
2. ``vector``: a layer file (GPKG/GeoJSON/SHP/GeoParquet) with a count column
   (``population`` unless told otherwise): polygons share their count among cells by
   area; points give theirs to the cell they lie in.
3. ``buildings`` (an **estimate**): residential floor area of the OSM buildings
   (footprint × storeys) / :data:`FLOOR_M2_PER_PERSON`. Storeys: ``building:levels``,
   else :data:`DEFAULT_LEVELS` (1 for house types). Buildings counted as homes: the
   :data:`RESIDENTIAL` types and untyped ``building=yes`` (so untagged shops and offices
   count as homes: an overestimate where they are common); other types are left out.
4. ``landuse`` (an **estimate**): ``landuse=residential`` area × :data:`RESIDENTIAL_DENSITY`.
5. none: population 0 — the pre-run checks then say there are no people.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from twin.errors import TwinDataError
from twin.model.city import read_layer_file

CELL_M = 1000.0
"""Grid cell side (m), as the embedded twin's."""
FLOOR_M2_PER_PERSON = 40.0
"""Residential floor area per resident (m²), **assumption**: national averages range
roughly 20–70 m²; give the figure for your country with ``--floor-m2-per-person``."""
DEFAULT_LEVELS = 2.0
"""Storeys of a building without ``building:levels`` (assumption; plausible 1–6)."""
HOUSE_LEVELS = 1.0
"""Storeys of an untagged house-type building (assumption)."""
RESIDENTIAL = frozenset(
    [
        "apartments",
        "residential",
        "house",
        "detached",
        "semidetached_house",
        "terrace",
        "dormitory",
        "bungalow",
        "farm",
        "cabin",
        "static_caravan",
        "houseboat",
        "yes",
        "mixed_use",
    ]
)
"""``building`` values counted as homes (``yes``: use not stated, counted)."""
HOUSES = frozenset(
    [
        "house",
        "detached",
        "semidetached_house",
        "bungalow",
        "cabin",
        "static_caravan",
        "houseboat",
        "farm",
    ]
)
RESIDENTIAL_DENSITY = 5000.0
"""Persons per km² of ``landuse=residential`` when there are no buildings (assumption;
plausible 1,000–30,000 from suburbs to high-rise estates)."""


@dataclass
class Population:
    """Cells with people, where the numbers came from, and whether they are an estimate."""

    cells: gpd.GeoDataFrame
    source: str
    estimate: bool
    notes: list[str] = field(default_factory=list)


def grid_cells(districts: gpd.GeoDataFrame, cell_m: float = CELL_M) -> gpd.GeoDataFrame:
    """A ``cell_m`` grid over ``districts`` (metric CRS), each square cut by district:
    columns ``cell_id`` (``c0000``…), ``district_id``, ``population`` (0.0)."""
    x0, y0, x1, y1 = districts.total_bounds
    x0, y0 = np.floor(x0 / cell_m) * cell_m, np.floor(y0 / cell_m) * cell_m
    gx, gy = np.meshgrid(np.arange(x0, x1, cell_m), np.arange(y0, y1, cell_m))
    boxes = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + cell_m, gy.ravel() + cell_m)
    rows = []
    for d, geom in zip(districts["district_id"], districts.geometry):
        hit = np.sort(shapely.STRtree(boxes).query(geom, predicate="intersects"))
        for k, piece in zip(hit, shapely.intersection(boxes[hit], geom)):
            piece = _polygonal(piece)
            if piece is not None and piece.area >= 1.0:
                rows.append((int(k), str(d), piece))
    rows.sort(key=lambda r: (r[0], r[1]))
    width = max(4, len(str(max(len(rows) - 1, 0))))
    return gpd.GeoDataFrame(
        {
            "cell_id": [f"c{i:0{width}d}" for i in range(len(rows))],
            "district_id": [r[1] for r in rows],
            "population": np.zeros(len(rows)),
        },
        geometry=[r[2] for r in rows],
        crs=districts.crs,
    )


def _polygonal(g: shapely.Geometry) -> shapely.Geometry | None:
    if g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    parts = [p for p in shapely.get_parts(g) if p.geom_type == "Polygon"]
    if not parts:
        return None
    return shapely.MultiPolygon(parts) if len(parts) > 1 else parts[0]


def points_to_cells(
    cells: gpd.GeoDataFrame, xy: np.ndarray, counts: np.ndarray
) -> tuple[np.ndarray, float]:
    """Sum ``counts`` at points ``xy`` (cells' CRS) per cell; returns (per cell, left out)."""
    out = np.zeros(len(cells))
    if len(xy) == 0:
        return out, 0.0
    pts = shapely.points(xy)
    p_idx, c_idx = shapely.STRtree(cells.geometry.values).query(pts, predicate="intersects")
    first = pd.Series(c_idx).groupby(p_idx).first()  # a point on a shared edge counts once
    np.add.at(out, first.to_numpy(), counts[first.index.to_numpy()])
    return out, float(counts.sum() - out.sum())


def from_raster(path: Path, cells: gpd.GeoDataFrame) -> Population:
    """People per pixel of a GeoTIFF (band 1) summed into ``cells``."""
    import rasterio  # noqa: PLC0415 — optional extra (twin[osm])
    from rasterio.windows import from_bounds  # noqa: PLC0415

    try:
        with rasterio.open(path) as src:
            if src.crs is None:
                raise TwinDataError.one(
                    str(path),
                    "the raster has no CRS",
                    "save it as a GeoTIFF with its CRS (WorldPop's are EPSG:4326)",
                    title="cannot read population",
                )
            to_src = pyproj.Transformer.from_crs(cells.crs, src.crs, always_xy=True)
            bx, by = to_src.transform(*np.array(cells.total_bounds).reshape(2, 2).T)
            window = from_bounds(min(bx), min(by), max(bx), max(by), src.transform)
            window = window.round_offsets().round_lengths()
            data = src.read(1, window=window, boundless=True, masked=True, fill_value=0)
            transform = src.window_transform(window)
            src_crs = src.crs
    except rasterio.errors.RasterioError as exc:
        raise TwinDataError.one(
            str(path),
            f"cannot read the raster: {exc}",
            "give a GeoTIFF of people per pixel (e.g. WorldPop)",
            title="cannot read population",
        ) from None
    values = np.ma.filled(data.astype(float), 0.0)
    values[~np.isfinite(values) | (values < 0)] = 0.0
    rows, cols = np.nonzero(values)
    xs, ys = rasterio.transform.xy(transform, rows, cols)
    back = pyproj.Transformer.from_crs(src_crs, cells.crs, always_xy=True)
    xy = np.column_stack(back.transform(np.asarray(xs), np.asarray(ys)))
    per_cell, outside = points_to_cells(cells, xy, values[rows, cols])
    notes = [
        f"population from the raster {path.name}: {per_cell.sum():,.0f} people in the "
        f"districts ({outside:,.0f} more in pixels outside them, left out)"
    ]
    return Population(_with(cells, per_cell), f"raster {path.name}", False, notes)


def from_vector(path: Path, cells: gpd.GeoDataFrame, column: str = "population") -> Population:
    """Counts of a layer file's ``column`` (polygons by area share, points by location)."""
    layer = read_layer_file(path)
    if column not in layer.columns:
        raise TwinDataError.one(
            str(path),
            f"no column {column!r} with people counts",
            f"name the column with --population-column (it has: "
            f"{', '.join(map(str, layer.columns))})",
            title="cannot read population",
        )
    counts = pd.to_numeric(layer[column], errors="coerce")
    bad = np.flatnonzero(~np.isfinite(counts.to_numpy(float)) | (counts.to_numpy(float) < 0))
    if len(bad):
        raise TwinDataError.one(
            str(path),
            f"{len(bad)} rows have no valid count in "
            f"{column!r} (rows {', '.join(str(i + 1) for i in bad[:10])})",
            "give every feature a count ≥ 0",
            title="cannot read population",
        )
    layer = layer.to_crs(cells.crs)
    values = counts.to_numpy(float)
    is_point = layer.geom_type.isin(["Point"]).to_numpy()
    per_cell, outside = points_to_cells(
        cells, shapely.get_coordinates(layer.geometry.values[is_point]), values[is_point]
    )
    polys = layer[~is_point]
    if len(polys):
        area = polys.geometry.area.to_numpy()
        c_idx, p_idx = shapely.STRtree(polys.geometry.values).query(
            cells.geometry.values, predicate="intersects"
        )
        share = shapely.area(
            shapely.intersection(cells.geometry.values[c_idx], polys.geometry.values[p_idx])
        )
        np.add.at(per_cell, c_idx, values[~is_point][p_idx] * share / np.maximum(area[p_idx], 1e-9))
    outside = float(values.sum() - per_cell.sum())
    notes = [
        f"population from {path.name} ({column}): {per_cell.sum():,.0f} people in the "
        f"districts ({outside:,.0f} outside them, left out)"
    ]
    return Population(_with(cells, per_cell), f"layer {path.name} ({column})", False, notes)


def from_buildings(
    buildings: list[tuple[str, float, shapely.Geometry]],
    cells: gpd.GeoDataFrame,
    floor_m2_per_person: float = FLOOR_M2_PER_PERSON,
) -> Population:
    """Estimate: residential floor area of OSM buildings / ``floor_m2_per_person``."""
    homes = [(kind, levels, g) for kind, levels, g in buildings if kind in RESIDENTIAL]
    if not homes:
        return Population(cells, "none", True, [])
    geoms = gpd.GeoSeries([g for _, _, g in homes], crs="EPSG:4326").to_crs(cells.crs)
    levels = np.array(
        [
            lv if np.isfinite(lv) else (HOUSE_LEVELS if kind in HOUSES else DEFAULT_LEVELS)
            for kind, lv, _ in homes
        ]
    )
    floor = geoms.area.to_numpy() * levels
    xy = shapely.get_coordinates(geoms.representative_point().values)
    per_cell, _ = points_to_cells(cells, xy, floor / floor_m2_per_person)
    tagged = int(sum(np.isfinite(lv) for _, lv, _ in homes))
    notes = [
        f"population ESTIMATED from {len(homes)} OSM buildings counted as homes "
        f"(footprint × storeys / {floor_m2_per_person:g} m² per person; storeys tagged on "
        f"{tagged}, else {DEFAULT_LEVELS:g} or {HOUSE_LEVELS:g} for houses): "
        f"{per_cell.sum():,.0f} people — give --population FILE for real figures"
    ]
    return Population(
        _with(cells, per_cell),
        f"estimate from OSM buildings (floor area / {floor_m2_per_person:g} m² per person)",
        True,
        notes,
    )


def from_landuse(
    residential: list[shapely.Geometry],
    cells: gpd.GeoDataFrame,
    density: float = RESIDENTIAL_DENSITY,
) -> Population:
    """Estimate: ``landuse=residential`` area × ``density`` (persons/km²)."""
    if not residential:
        return Population(cells, "none", True, [])
    geoms = gpd.GeoSeries(residential, crs="EPSG:4326").to_crs(cells.crs).values
    c_idx, r_idx = shapely.STRtree(geoms).query(cells.geometry.values, predicate="intersects")
    area = shapely.area(shapely.intersection(cells.geometry.values[c_idx], geoms[r_idx]))
    per_cell = np.zeros(len(cells))
    np.add.at(per_cell, c_idx, area / 1e6 * density)
    notes = [
        f"population ESTIMATED from {len(residential)} residential land-use areas × "
        f"{density:g} persons/km²: {per_cell.sum():,.0f} people — give --population "
        "FILE for real figures"
    ]
    return Population(
        _with(cells, per_cell),
        f"estimate from OSM residential land use ({density:g} persons/km²)",
        True,
        notes,
    )


def _with(cells: gpd.GeoDataFrame, population: np.ndarray) -> gpd.GeoDataFrame:
    out = cells.copy()
    out["population"] = population.astype(float)
    return out


def district_totals(districts: gpd.GeoDataFrame, cells: gpd.GeoDataFrame) -> np.ndarray:
    """Each district's population: the sum of its cells, rounded to whole people."""
    by = cells.groupby("district_id")["population"].sum()
    return np.round(districts["district_id"].map(by).fillna(0.0).to_numpy(float)).astype(np.int64)
