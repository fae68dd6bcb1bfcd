"""Grid cells (网格) and stations: fire stations by the planning rule, other forces, community
posts."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import shapely.ops
from scipy.spatial import cKDTree

from twin.build.geo import to_utm
from twin.build.graph import segments
from twin.build.params import CELL_M, NAME_EN, PIXEL_M, SUBCENTRES, WORK_CRS
from twin.build.population import Raster
from twin.build.posts import post_rows
from twin.build.roads import Roads


def make_cells(core: gpd.GeoDataFrame, raster: Raster, roads: Roads) -> gpd.GeoDataFrame:
    """CELL_M grid clipped by district; population = sum of the raster pixels (whose centre
    lies in that district) inside the cell.  Keeps cells with people or road nodes/edges."""
    f = int(CELL_M / PIXEL_M)
    ncx, ncy = raster.nx // f, raster.ny // f
    ix = np.arange(raster.nx * raster.ny) % raster.nx // f
    iy = np.arange(raster.nx * raster.ny) // raster.nx // f
    rows = []
    lines = segments(roads.xy, roads.e)
    line_tree = shapely.STRtree(lines)
    for k, (d, geom) in enumerate(zip(core["district_id"], core.geometry)):
        m = raster.district == k
        pop = np.bincount((iy[m] * ncx + ix[m]), weights=raster.pop[m], minlength=ncx * ncy)
        gx, gy = np.meshgrid(np.arange(ncx), np.arange(ncy))
        boxes = shapely.box(
            raster.x0 + gx.ravel() * CELL_M,
            raster.y0 + gy.ravel() * CELL_M,
            raster.x0 + (gx.ravel() + 1) * CELL_M,
            raster.y0 + (gy.ravel() + 1) * CELL_M,
        )
        hit = shapely.STRtree(boxes).query(geom, predicate="intersects")
        hit = np.sort(hit)
        pieces = shapely.intersection(boxes[hit], geom)
        for cidx, piece in zip(hit, pieces):
            if piece.is_empty or piece.area < 1.0:
                continue
            if pop[cidx] > 0 or len(line_tree.query(piece, predicate="intersects")):
                rows.append((d, float(pop[cidx]), piece, cidx))
    rows.sort(key=lambda r: (r[3], r[0]))
    width = max(4, len(str(len(rows) - 1)))
    return gpd.GeoDataFrame(
        {
            "cell_id": [f"c{i:0{width}d}" for i in range(len(rows))],
            "district_id": [r[0] for r in rows],
            "population": [r[1] for r in rows],
        },
        geometry=[polygonal(r[2]) for r in rows],
        crs=WORK_CRS,
    )


def polygonal(g: shapely.Geometry) -> shapely.Geometry:
    """Only the polygon parts of an intersection result."""
    if g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    parts = [p for p in shapely.get_parts(g) if p.geom_type == "Polygon"]
    return shapely.MultiPolygon(parts) if len(parts) > 1 else parts[0]


def kmeans(
    pts: np.ndarray, w: np.ndarray, k: int, rng: np.random.Generator, iters: int = 25
) -> np.ndarray:
    """Weighted k-means++ / Lloyd centres (m) of points `pts` with weights `w`."""
    seeds = [pts[rng.choice(len(pts), p=w / w.sum())]]
    for _ in range(1, k):
        d2 = cKDTree(np.array(seeds)).query(pts)[0] ** 2 * w
        seeds.append(pts[rng.choice(len(pts), p=d2 / d2.sum())])
    c = np.array(seeds)
    for _ in range(iters):
        lab = cKDTree(c).query(pts)[1]
        sw = np.bincount(lab, weights=w, minlength=k)
        for dim in range(2):
            s = np.bincount(lab, weights=w * pts[:, dim], minlength=k)
            c[:, dim] = np.where(sw > 0, s / np.maximum(sw, 1e-12), c[:, dim])
    return c


FIRE_BUILT_UP = 5000.0  # persons/km^2: a cell this dense is built-up (1 station / 7 km^2)
FIRE_RURAL_KM2 = 200.0  # other populated area per station (per district, rounded)


def station_rows(
    force: str,
    pts_xy: np.ndarray,
    roads: Roads,
    names: list[tuple[str, str]],
    units: np.ndarray | list[int],
    width: int = 3,
    districts: np.ndarray | None = None,
) -> list[dict[str, Any]]:
    """Station records snapped to the nearest road node."""
    k = cKDTree(roads.xy).query(pts_xy)[1]
    d = roads.district[k] if districts is None else districts
    return [
        dict(
            station_id=f"{force}-{i + 1:0{width}d}",
            force=force,
            name=names[i][0],
            name_en=names[i][1],
            district_id=str(d[i]),
            units=int(units[i]),
            node=int(k[i]),
        )
        for i in range(len(k))
    ]


def fire_stations(
    cells: gpd.GeoDataFrame, roads: Roads, core: gpd.GeoDataFrame, rng: np.random.Generator
) -> list[dict[str, Any]]:
    """Fire stations: 1 per 7 km^2 of built-up cells (k-means over them) plus 1 per
    FIRE_RURAL_KM2 of other populated cells per district; units 4 in the densest,
    3 in built-up, 2 in rural areas."""
    c = cells.copy()
    c["area"] = c.area / 1e6
    c["rho"] = c["population"] / c["area"].clip(lower=0.05)
    pts = np.array([[p.x, p.y] for p in c.geometry.representative_point()])
    built = (c["rho"] >= FIRE_BUILT_UP).to_numpy()
    k = max(1, round(c.loc[built, "area"].sum() / 7.0))
    urban = kmeans(pts[built], c.loc[built, "area"].to_numpy(), k, rng)
    rho_at = np.array([c["rho"].to_numpy()[built][i] for i in cKDTree(pts[built]).query(urban)[1]])
    centres, unit_parts = [urban], [np.where(rho_at >= 15000, 4, 3)]
    for d in core["district_id"]:
        m = (~built) & (c["district_id"] == d).to_numpy() & (c["population"] > 0).to_numpy()
        kr = int(round(c.loc[m, "area"].sum() / FIRE_RURAL_KM2))
        if kr:
            centres.append(kmeans(pts[m], c.loc[m, "population"].to_numpy() + 1.0, kr, rng))
            unit_parts.append(np.full(kr, 2))
    xy = np.concatenate(centres)
    units = np.concatenate(unit_parts)
    node = cKDTree(roads.xy).query(xy)[1]
    dist = roads.district[node]
    order = np.lexsort((-roads.xy[node, 1], dist))
    counter: dict[str, int] = {}
    names = []
    for i in order:
        counter[dist[i]] = counter.get(dist[i], 0) + 1
        zh = core.set_index("district_id").loc[dist[i], "name"]
        names.append(
            (
                f"{zh}第{counter[dist[i]]}消防救援站",
                f"{NAME_EN[dist[i]]} Fire Station {counter[dist[i]]}",
            )
        )
    return station_rows("fire", roads.xy[node[order]], roads, names, units[order])


def other_stations(
    cells: gpd.GeoDataFrame, roads: Roads, core: gpd.GeoDataFrame, rng: np.random.Generator
) -> list[dict[str, Any]]:
    """Professional rescue bases (1 per district, 2 where population > 1 M), Blue Sky
    Rescue teams (1 per district), air bases (Jiangbei airport with 2 helicopters, and a
    hospital helipad in Shapingba with 1) and community posts (by households: :func:`community_posts`)."""
    rows = []
    prof_xy, prof_names, prof_units = [], [], []
    soc_xy, soc_names, soc_units = [], [], []
    for r in core.itertuples():
        d = r.district_id
        centre = to_utm(r.centerlng, r.centerlat)
        subs = [to_utm(lon, lat) for dd, lon, lat, w, *_ in SUBCENTRES if dd == d and w >= 0.3]
        prof_xy.append(centre)
        prof_names.append((f"{r.name}综合应急救援基地", f"{r.name_en} Emergency Rescue Base"))
        prof_units.append(3 if r.population > 1_000_000 else 2)
        if r.population > 1_000_000 and subs:
            prof_xy.append(subs[-1])
            prof_names.append(
                (f"{r.name}综合应急救援基地二站", f"{r.name_en} Emergency Rescue Base 2")
            )
            prof_units.append(2)
        soc_xy.append(subs[0] if subs else centre)
        soc_names.append(
            (f"重庆蓝天救援队{r.name[:-1]}分队", f"Blue Sky Rescue Chongqing {r.name_en} Team")
        )
        soc_units.append(2 if r.population > 1_000_000 else 1)
    # offset so social teams do not share the professional base's node
    rows += station_rows("professional", np.array(prof_xy), roads, prof_names, prof_units)
    rows += station_rows("social", np.array(soc_xy) + [400.0, 300.0], roads, soc_names, soc_units)
    air = to_utm(*np.array([[106.640, 29.720], [106.458, 29.548]]).T)
    rows += station_rows(
        "air",
        air,
        roads,
        [
            ("重庆江北国际机场航空救援基地", "Jiangbei Airport Air Rescue Base"),
            ("西南医院直升机停机坪", "Southwest Hospital Helipad"),
        ],
        [2, 1],
    )
    rows += community_posts(cells, roads)
    return rows


def community_posts(cells: gpd.GeoDataFrame, roads: Roads) -> list[dict[str, Any]]:
    """Community-responder posts (群防员) allotted by households
    (:func:`twin.build.posts.post_rows`: one responder per
    :data:`~twin.build.posts.HOUSEHOLDS_PER_WORKER` households of
    :data:`~twin.build.posts.HOUSEHOLD_SIZE` persons, shared per district by largest
    remainder; one post per cell with a responder, at the road node nearest the cell's
    representative point)."""
    rows = post_rows(cells, roads.xy)
    for r in rows:
        del r["cell_id"]
    return rows
