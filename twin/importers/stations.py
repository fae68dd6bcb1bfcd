"""Stations for an imported city: from OpenStreetMap, from a user's file, or generated.

From OSM (:func:`osm_stations`)
    What :func:`twin.importers.osm_features.station_force` recognises, with its name. OSM
    does not say how many vehicles a station has: ``units`` is :data:`OSM_UNITS` per force
    (an **assumption**, stated in the import notes; a station file with real figures, or
    the scenario's ``[fleet]``, replaces it).
From a file (:func:`file_stations`)
    CSV (lon/lat columns), Parquet or a layer file, mapped with ``--map FILE.toml``
    (:mod:`twin.importers.columns`: rename, constants, value maps, unit scales, datum).
    Missing ``station_id`` → ``S1``, ``S2``…; ``name_en`` → ``name``; ``district_id`` from
    the district each station lies in. Rows without a point or with an unknown force or a
    bad ``units`` are listed by line (nothing is dropped silently).
Generated (:func:`generated_stations`, only for forces named in ``--generate-stations``)
    The planning rule of the embedded twin (``geodata/build.py``), from the cells'
    population: ``fire`` — one station per 7 km² of built-up cells (≥
    :data:`BUILT_UP_PER_KM2` persons/km²; GB 51080-2015 / 建标152-2017: an ordinary
    station's area ≤ 7 km²), placed by weighted k-means over them, plus one per
    :data:`RURAL_KM2` of other populated area, 3 units (built-up) or 2; ``community`` — one
    responder per 400 households of 2.45 persons (Chongqing's 2020 census household size:
    state the figures of another city in its notes), shared per district by largest
    remainder, one post per cell with a responder (:func:`twin.build.posts.allot_workers`); ``professional``
    and ``social`` — one per district at its most populous cell (2 units / 1 unit);
    ``air`` — one base with 1 helicopter at the most populous cell. All are snapped to the
    nearest road node and marked ``generated = True``.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from twin.build.posts import allot_workers
from twin.errors import Problem, TwinDataError
from twin.importers import assign_districts
from twin.importers.columns import TableMap, read_table
from twin.importers.osm_features import OsmStation

FORCES = ("community", "fire", "professional", "social", "air")
OSM_UNITS = {"fire": 2, "professional": 1, "social": 1, "air": 1, "community": 2}
"""Units given to a station found in OSM (assumption: OSM has no vehicle counts; 建标152-2017
puts 2–4 engine bays in an ordinary (二级) station, 5–7 in a 一级)."""
BUILT_UP_PER_KM2 = 5000.0
"""A cell at least this dense (persons/km²) is built-up (as the embedded twin's rule)."""
BUILT_UP_KM2_PER_STATION = 7.0
RURAL_KM2 = 200.0
"""Populated non-built-up area per generated fire station (as the embedded twin's rule)."""
COLUMNS = ["station_id", "force", "name", "name_en", "district_id", "units", "generated", "source"]


def empty_stations(crs: str) -> gpd.GeoDataFrame:
    """A stations layer with no rows (and the import's extra columns)."""
    return gpd.GeoDataFrame(
        {c: pd.Series(dtype=object) for c in COLUMNS}, geometry=gpd.GeoSeries([], crs=crs), crs=crs
    )


def osm_stations(found: list[OsmStation], districts: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """OSM stations as a stations layer (districts' CRS); those outside every district are
    left out by the caller (see :func:`inside`)."""
    if not found:
        return empty_stations(districts.crs)
    gdf = gpd.GeoDataFrame(
        {
            "station_id": [f"{s.force}-osm-{s.osm}" for s in found],
            "force": [s.force for s in found],
            "name": [s.name for s in found],
            "name_en": [s.name_en for s in found],
            "units": np.array([OSM_UNITS[s.force] for s in found], np.int64),
            "generated": False,
            "source": [f"OSM {s.osm} {s.tag}" for s in found],
        },
        geometry=gpd.points_from_xy([s.lon for s in found], [s.lat for s in found]),
        crs="EPSG:4326",
    ).to_crs(districts.crs)
    gdf["district_id"] = assign_districts(gdf, districts).to_numpy()
    return gdf.drop_duplicates("station_id").reset_index(drop=True)[COLUMNS + ["geometry"]]


def inside(stations: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Stations inside a district, and the names of those outside (for the notes)."""
    out = stations["district_id"] == ""
    return stations[~out].reset_index(drop=True), stations.loc[out, "name"].astype(str).tolist()


def file_stations(path: Path, m: TableMap, districts: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A user's station file mapped onto the stations layer (districts' CRS)."""
    table = read_table(path, m, "stations")
    problems: list[Problem] = []
    lines = table["_line"].to_numpy()

    def bad(mask: np.ndarray, what: str, fix: str) -> None:
        for line in lines[mask]:
            problems.append(Problem(str(path), what, fix, line=int(line)))

    bad(
        table.geometry.isna().to_numpy(),
        "no usable lon/lat",
        "give lon and lat columns in "
        "degrees (or lonlat = [...] in the mapping); datum WGS84 unless declared",
    )
    if "force" not in table.columns:
        problems.append(
            Problem(
                str(path),
                "no 'force' column",
                'rename a column to force or set constants = { force = "fire" } in the mapping',
            )
        )
    else:
        bad(
            ~table["force"].isin(FORCES).to_numpy(),
            "unknown force",
            f"use one of {', '.join(FORCES)} (values.force = {{...}} maps yours)",
        )
    units = pd.to_numeric(
        table.get("units", pd.Series(np.nan, index=table.index)), errors="coerce"
    ).to_numpy(float)
    bad(
        ~(np.isfinite(units) & (units >= 0) & (units == np.round(units))),
        "no whole number of units ≥ 0",
        "give a units column or constants = { units = 2 }",
    )
    if problems:
        raise TwinDataError(problems, title="cannot read stations")
    table = table.to_crs(districts.crs)
    n = len(table)
    names = (
        table["name"].astype(str)
        if "name" in table
        else pd.Series([f"Station {i + 1}" for i in range(n)], index=table.index)
    )
    out = gpd.GeoDataFrame(
        {
            "station_id": table["station_id"].astype(str)
            if "station_id" in table
            else [f"S{i + 1}" for i in range(n)],
            "force": table["force"].astype(str),
            "name": names,
            "name_en": table["name_en"].astype(str) if "name_en" in table else names,
            "units": units.astype(np.int64),
            "generated": False,
            "source": f"file {path.name}",
        },
        geometry=table.geometry.values,
        crs=districts.crs,
    )
    out["district_id"] = assign_districts(out, districts).to_numpy()
    return out[COLUMNS + ["geometry"]].reset_index(drop=True)


def generated_stations(
    forces: list[str], cells: gpd.GeoDataFrame, node_xy: np.ndarray, districts: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """Stations of ``forces`` generated by the planning rule (module docstring)."""
    rows: list[dict] = []
    populated = cells[cells["population"] > 0].reset_index(drop=True)
    if populated.empty:
        return empty_stations(cells.crs)
    pts = shapely.get_coordinates(populated.geometry.representative_point().values)
    area = populated.geometry.area.to_numpy() / 1e6
    pop = populated["population"].to_numpy(float)
    for force in forces:
        if force == "fire":
            rows += _fire(pts, area, pop)
        elif force == "community":
            units = allot_workers(pop, populated["district_id"].to_numpy(object))
            rows += [
                {
                    "force": "community",
                    "xy": p,
                    "units": int(u),
                    "name": f"Community responder post {cid}",
                }
                for p, u, cid in zip(pts, units, populated["cell_id"])
                if u > 0
            ]
        else:
            rows += _per_district(force, populated, pts, pop)
    if not rows:
        return empty_stations(cells.crs)
    node = cKDTree(node_xy).query(np.array([r["xy"] for r in rows]))[1]
    count: dict[str, int] = {}
    ids = []
    for r in rows:
        count[r["force"]] = count.get(r["force"], 0) + 1
        ids.append(f"{r['force']}-gen-{count[r['force']]:03d}")
    gdf = gpd.GeoDataFrame(
        {
            "station_id": ids,
            "force": [r["force"] for r in rows],
            "name": [r["name"] for r in rows],
            "name_en": [r["name"] for r in rows],
            "units": np.array([r["units"] for r in rows], np.int64),
            "generated": True,
            "source": "generated by the planning rule",
        },
        geometry=shapely.points(node_xy[node]),
        crs=cells.crs,
    )
    gdf["district_id"] = assign_districts(gdf, districts).to_numpy()
    return gdf[COLUMNS + ["geometry"]]


def _fire(pts: np.ndarray, area: np.ndarray, pop: np.ndarray) -> list[dict]:
    rho = pop / np.maximum(area, 0.05)
    built = rho >= BUILT_UP_PER_KM2
    rows = []
    if built.any():
        k = max(1, int(round(area[built].sum() / BUILT_UP_KM2_PER_STATION)))
        rows += [
            {"force": "fire", "xy": c, "units": 3}
            for c in weighted_kmeans(pts[built], area[built], k)
        ]
    rural = ~built
    kr = int(round(area[rural].sum() / RURAL_KM2))
    if rural.any() and (kr or not built.any()):
        rows += [
            {"force": "fire", "xy": c, "units": 2}
            for c in weighted_kmeans(pts[rural], pop[rural] + 1.0, max(kr, 1))
        ]
    for i, r in enumerate(rows):
        r["name"] = f"Fire station {i + 1} (generated)"
    return rows


def _per_district(
    force: str, cells: gpd.GeoDataFrame, pts: np.ndarray, pop: np.ndarray
) -> list[dict]:
    label = {
        "professional": "Rescue base",
        "social": "Volunteer rescue team",
        "air": "Air rescue base",
    }[force]
    units = {"professional": 2, "social": 1, "air": 1}[force]
    if force == "air":
        return [
            {
                "force": force,
                "xy": pts[int(np.argmax(pop))],
                "units": units,
                "name": f"{label} (generated)",
            }
        ]
    rows = []
    for d in sorted(cells["district_id"].unique()):
        idx = np.flatnonzero(cells["district_id"].to_numpy() == d)
        best = idx[int(np.argmax(pop[idx]))]
        rows.append(
            {"force": force, "xy": pts[best], "units": units, "name": f"{label} {d} (generated)"}
        )
    return rows


def weighted_kmeans(pts: np.ndarray, w: np.ndarray, k: int, iters: int = 30) -> np.ndarray:
    """``k`` centres of points ``pts`` (n × 2) weighted by ``w``: deterministic k-means++
    seeding (generator seeded 0) and Lloyd iterations."""
    k = min(k, len(pts))
    rng = np.random.default_rng(0)
    centres = [pts[int(np.argmax(w))]]
    for _ in range(1, k):
        d2 = cKDTree(np.array(centres)).query(pts)[0] ** 2 * w
        centres.append(
            pts[rng.choice(len(pts), p=d2 / d2.sum())] if d2.sum() > 0 else pts[len(centres)]
        )
    c = np.array(centres, float)
    for _ in range(iters):
        lab = cKDTree(c).query(pts)[1]
        sw = np.bincount(lab, weights=w, minlength=k)
        for dim in range(2):
            s = np.bincount(lab, weights=w * pts[:, dim], minlength=k)
            c[:, dim] = np.where(sw > 0, s / np.maximum(sw, 1e-12), c[:, dim])
    return c
