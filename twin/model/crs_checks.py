"""City checks on coordinates: every layer states a CRS and its coordinates are possible
in it (and not lon/lat labelled as a projected CRS); the CRS the city works in (city.json)
fits where the data is and measures true distances there."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from twin.errors import ProblemList
from twin.model.check_text import SHOW_EXAMPLES, count_of, have

CRS_MARGIN_M = 100_000.0
"""How far outside a projected CRS's area of use coordinates may still lie: this many
metres plus half the area's width (UTM is often used a few degrees outside its zone)."""

FIX_CRS = (
    "set it, e.g. gdf.set_crs('EPSG:4326') in Python or "
    "ogr2ogr -a_srs EPSG:4326 out.gpkg in.gpkg, naming the CRS the coordinates are in"
)


def check_crs(name: str, gdf: gpd.GeoDataFrame, ids: np.ndarray, problems: ProblemList) -> None:
    if gdf.crs is None:
        problems.add(
            name, "the layer has no CRS: its coordinates cannot be placed on Earth", FIX_CRS
        )
        return
    bounds = _feature_bounds(gdf)
    if bounds is None or len(bounds) == 0:
        return
    crs = pyproj.CRS(gdf.crs)
    if crs.is_geographic:
        _flag_outside(
            name, crs, bounds, ids, DEGREES, "longitude -180..180, latitude -90..90", problems
        )
        return
    area = _area_box(crs)
    if area is None:
        return
    x0, y0, x1, y1 = area
    mx = CRS_MARGIN_M / _unit_m(crs) + (x1 - x0) / 2
    my = CRS_MARGIN_M / _unit_m(crs) + (y1 - y0) / 2
    _flag_outside(
        name,
        crs,
        bounds,
        ids,
        (x0 - mx, y0 - my, x1 + mx, y1 + my),
        f"x {x0 - mx:.0f}..{x1 + mx:.0f}, y {y0 - my:.0f}..{y1 + my:.0f}: its area "
        "of use with a wide margin",
        problems,
    )
    if _disjoint(DEGREES, area):
        _flag_degrees(name, crs, bounds, ids, problems)


DEGREES = (-180.0, -90.0, 180.0, 90.0)
FIX_WRONG_CRS = (
    "state the CRS the coordinates are really in, e.g. "
    "gdf.set_crs('EPSG:4326', allow_override=True) or ogr2ogr -a_srs EPSG:4326"
)


def _flag_outside(
    name: str,
    crs: pyproj.CRS,
    bounds: np.ndarray,
    ids: np.ndarray,
    box: tuple[float, float, float, float],
    rule: str,
    problems: ProblemList,
) -> None:
    """Features not inside ``box``: coordinates impossible in ``crs``."""
    bad = np.flatnonzero(~(np.isnan(bounds[:, 0]) | _inside(bounds, box)))
    if len(bad):
        problems.add(
            name,
            f"{count_of(len(bad), 'feature')} {have(len(bad))} coordinates "
            f"impossible in the stated CRS {crs.to_string()} ({rule}): "
            f"{_coords(bounds, ids, bad)}",
            "the coordinates are probably in another CRS; " + FIX_WRONG_CRS,
            ids[bad],
        )


def _flag_degrees(
    name: str, crs: pyproj.CRS, bounds: np.ndarray, ids: np.ndarray, problems: ProblemList
) -> None:
    """Features whose numbers look like lon/lat although ``crs`` is projected."""
    bad = np.flatnonzero(_inside(bounds, DEGREES))
    if len(bad):
        problems.add(
            name,
            f"{count_of(len(bad), 'feature')} {have(len(bad))} coordinates that look "
            f"like longitude/latitude degrees, but the stated CRS {crs.to_string()} "
            f"is projected (its area of use is far from 0, 0): "
            f"{_coords(bounds, ids, bad)}",
            FIX_WRONG_CRS,
            ids[bad],
        )


def _inside(bounds: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    xmin, ymin, xmax, ymax = box
    return (
        (bounds[:, 0] >= xmin)
        & (bounds[:, 2] <= xmax)
        & (bounds[:, 1] >= ymin)
        & (bounds[:, 3] <= ymax)
    )


def _disjoint(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[2] < b[0] or b[2] < a[0] or a[3] < b[1] or b[3] < a[1]


def _coords(bounds: np.ndarray, ids: np.ndarray, rows: np.ndarray) -> str:
    return "; ".join(
        f"{ids[i]}: x {bounds[i, 0]:.6g}, y {bounds[i, 1]:.6g}" for i in rows[:SHOW_EXAMPLES]
    )


def _area_box(crs: pyproj.CRS) -> tuple[float, float, float, float] | None:
    """A projected CRS's area of use in its own coordinates, or None if unknown."""
    area = crs.area_of_use
    if area is None or area.west > area.east:  # unknown, or across the antimeridian
        return None
    try:
        to_crs = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        box = to_crs.transform_bounds(area.west, area.south, area.east, area.north, densify_pts=21)
    except pyproj.exceptions.ProjError:
        return None
    ok = np.all(np.isfinite(box)) and box[0] < box[2] and box[1] < box[3]
    return (float(box[0]), float(box[1]), float(box[2]), float(box[3])) if ok else None


def _unit_m(crs: pyproj.CRS) -> float:
    """Metres per unit of the CRS's first axis (1 for metres, 0.3048 for feet)."""
    try:
        return float(crs.axis_info[0].unit_conversion_factor or 1.0)
    except IndexError:
        return 1.0


def _feature_bounds(gdf: gpd.GeoDataFrame) -> np.ndarray | None:
    try:
        geoms = np.asarray(gdf.geometry.array, dtype=object)
    except (AttributeError, ValueError):
        return None
    return shapely.bounds(geoms)


# ------------------------------------------------------------------- the city's own CRS

AREA_MARGIN_DEG = 3.0
"""How far (degrees) outside the area of use of ``city.json``'s CRS the data may lie (UTM
zones are often stretched a few degrees into the next zone)."""
MAX_SCALE_ERROR = 0.01
"""Largest scale error (|k − 1|) of ``city.json``'s CRS over the data: the twin measures
every distance in that CRS, so 1 % is the most it tolerates (UTM within its zone: ≤ 0.1 %;
Web Mercator at Chongqing's latitude: 15 %)."""
FIX_CITY_CRS = (
    "name the metric CRS of the data's UTM zone in city.json (e.g. 'EPSG:32648' "
    "for Chongqing), or leave crs out to use the UTM zone of the data"
)


def check_city_crs(crs: str, layers: dict[str, gpd.GeoDataFrame], where: str) -> ProblemList:
    """Problems with the CRS a city works in (``city.json``'s ``crs``) for the data of
    ``layers`` (its road nodes): the data must lie in the CRS's area of use (within
    :data:`AREA_MARGIN_DEG`) and the CRS must be metric-true there (scale error at most
    :data:`MAX_SCALE_ERROR`). Empty when it fits, or when the data cannot be located."""
    problems = ProblemList()
    box = _lonlat_box(layers.get("road_nodes"))
    try:
        city_crs = pyproj.CRS(crs)
    except pyproj.exceptions.CRSError:
        return problems  # reported by twin.model.files.read_meta
    if box is None or not city_crs.is_projected:
        return problems
    w, s, e, n = box
    area = city_crs.area_of_use
    name = city_crs.to_string()
    if (
        area is not None
        and area.west <= area.east
        and _disjoint(
            (w, s, e, n),
            (
                area.west - AREA_MARGIN_DEG,
                area.south - AREA_MARGIN_DEG,
                area.east + AREA_MARGIN_DEG,
                area.north + AREA_MARGIN_DEG,
            ),
        )
    ):
        problems.add(
            where,
            f"crs {name} ({city_crs.name}) is meant for longitude "
            f"{area.west:g}..{area.east:g}, latitude {area.south:g}..{area.north:g}, "
            f"but the city's road nodes lie at longitude {w:.2f}..{e:.2f}, latitude "
            f"{s:.2f}..{n:.2f}",
            FIX_CITY_CRS,
        )
        return problems
    error = _scale_error(city_crs, box)
    if error is not None and error > MAX_SCALE_ERROR:
        problems.add(
            where,
            f"crs {name} ({city_crs.name}) is not metric-true where the city "
            f"is: distances there are off by {error:.1%} (at most "
            f"{MAX_SCALE_ERROR:.0%}; Web Mercator is for drawing maps, not measuring)",
            FIX_CITY_CRS,
        )
    return problems


def _lonlat_box(gdf: gpd.GeoDataFrame | None) -> tuple[float, float, float, float] | None:
    """The WGS84 bounding box of a layer's features, or None when it cannot be told."""
    if gdf is None or gdf.crs is None:
        return None
    bounds = _feature_bounds(gdf)
    if bounds is None or len(bounds) == 0 or not np.isfinite(bounds).any():
        return None
    x0, y0 = np.nanmin(bounds[:, 0]), np.nanmin(bounds[:, 1])
    x1, y1 = np.nanmax(bounds[:, 2]), np.nanmax(bounds[:, 3])
    try:
        to_wgs = pyproj.Transformer.from_crs(gdf.crs, "EPSG:4326", always_xy=True)
        box = to_wgs.transform_bounds(x0, y0, x1, y1, densify_pts=5)
    except (pyproj.exceptions.ProjError, pyproj.exceptions.CRSError):
        return None
    if not (
        np.all(np.isfinite(box))
        and -180 <= box[0] <= box[2] <= 180
        and -90 <= box[1] <= box[3] <= 90
    ):
        return None
    return float(box[0]), float(box[1]), float(box[2]), float(box[3])


def _scale_error(crs: pyproj.CRS, box: tuple[float, float, float, float]) -> float | None:
    """The largest |k − 1| of the CRS's point scale over the box's corners and centre."""
    w, s, e, n = box
    lons = np.array([w, e, w, e, (w + e) / 2])
    lats = np.array([s, s, n, n, (s + n) / 2])
    try:
        f = pyproj.Proj(crs).get_factors(lons, lats)
    except (pyproj.exceptions.ProjError, pyproj.exceptions.CRSError, RuntimeError):
        return None
    k = np.concatenate([np.asarray(f.meridional_scale), np.asarray(f.parallel_scale)])
    if not np.isfinite(k).all():
        return float("inf")
    return float(np.max(np.abs(k - 1.0)))
