"""Roads of an OSM extract: drivable ways read with pyosmium, split at intersections into
road nodes and edges in the data's UTM zone (the "Topology", "Lengths" and "Direction"
decisions of :mod:`twin.importers.osm`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from twin.errors import TwinDataError
from twin.importers import note
from twin.importers.osm_tags import (
    DRIVABLE,
    TAGS,
    flag,
    is_drivable,
    oneway_of,
    road_class,
    speed_kph,
)


@dataclass
class Ways:
    """Drivable ways as read: ids, tags and, per way, node ids and lon/lat (NaN if missing)."""

    ids: list[int] = field(default_factory=list)
    tags: list[dict[str, str]] = field(default_factory=list)
    refs: list[np.ndarray] = field(default_factory=list)
    lonlat: list[np.ndarray] = field(default_factory=list)


# ---------------------------------------------------------------------------- reading


def read_ways(path: Path) -> Ways:
    """The drivable ways of an OSM file (any format libosmium reads), in file order."""
    import osmium  # noqa: PLC0415 — optional extra

    if not path.is_file():
        raise TwinDataError.one(
            str(path),
            "no such file",
            "give the path of an .osm, .osm.bz2 or .osm.pbf extract",
            title="cannot import OSM",
        )
    ways = Ways()
    try:
        processor = (
            osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        for obj in processor:
            if isinstance(obj, osmium.osm.Way):
                _add_way(ways, obj)
    except (RuntimeError, ValueError, OSError) as exc:
        raise TwinDataError.one(
            str(path),
            f"cannot read this OSM file: {exc}",
            "check it is an OSM XML (.osm, .osm.bz2) or PBF (.osm.pbf) "
            "extract, e.g. from download.geofabrik.de or "
            "extract.bbbike.org",
            title="cannot import OSM",
        ) from None
    return ways


def _add_way(ways: Ways, way: Any) -> None:
    tags = {k: way.tags[k] for k in TAGS if k in way.tags}
    if not is_drivable(tags):
        return
    refs = np.fromiter((n.ref for n in way.nodes), np.int64, len(way.nodes))
    lonlat = np.array(
        [(n.lon, n.lat) if n.location.valid() else (np.nan, np.nan) for n in way.nodes], float
    ).reshape(-1, 2)
    ways.ids.append(way.id)
    ways.tags.append(tags)
    ways.refs.append(refs)
    ways.lonlat.append(lonlat)


# ---------------------------------------------------------------------------- building


def build_roads(
    ways: Ways, where: str, notes: list[str]
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Road nodes and edges (UTM CRS) from drivable ways, split at intersections."""
    runs = _runs(ways)
    if not runs.way:
        raise TwinDataError.one(
            where,
            "no drivable roads in this extract (no ways with "
            f"highway = {', '.join(sorted(DRIVABLE))})",
            "use an extract of an area with streets",
            title="cannot import OSM",
        )
    refs = np.concatenate(runs.refs)
    lonlat = np.concatenate(runs.lonlat)
    run_of = np.repeat(np.arange(len(runs.refs)), [len(r) for r in runs.refs])
    crs = _utm_crs(lonlat)
    xy = np.column_stack(
        pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(
            lonlat[:, 0], lonlat[:, 1]
        )
    )
    start, end = _pieces(refs, run_of)
    seg = np.r_[np.hypot(*np.diff(xy, axis=0).T), 0.0]
    cum = np.r_[0.0, np.cumsum(seg)]
    length = cum[end] - cum[start]
    degenerate = length <= 0.0
    if degenerate.any():
        note(
            notes,
            f"dropped {int(degenerate.sum())} zero-length pieces (distinct OSM nodes "
            "at the same position)",
        )
        start, end, length = start[~degenerate], end[~degenerate], length[~degenerate]
    edges = _edge_table(runs, run_of[start], refs, xy, start, end, length, crs)
    used = np.unique(np.concatenate([start, end]))
    first = pd.Series(refs[used]).drop_duplicates().index.to_numpy()
    used = used[first]
    nodes = gpd.GeoDataFrame(
        {
            "node_id": refs[used].astype(str).astype(object),
            "elevation_m": np.zeros(len(used)),
            "district_id": "",
        },
        geometry=shapely.points(xy[used]),
        crs=crs,
    )
    _note_tags(edges, notes)
    return nodes, edges


@dataclass
class _Runs:
    """Ways cut into runs of nodes with known locations, oriented in travel direction."""

    way: list[int] = field(default_factory=list)
    tags: list[dict[str, str]] = field(default_factory=list)
    refs: list[np.ndarray] = field(default_factory=list)
    lonlat: list[np.ndarray] = field(default_factory=list)


def _runs(ways: Ways) -> _Runs:
    runs = _Runs()
    for wid, tags, refs, lonlat in zip(ways.ids, ways.tags, ways.refs, ways.lonlat):
        keep = np.r_[True, refs[1:] != refs[:-1]]  # repeated consecutive node refs
        refs, lonlat = refs[keep], lonlat[keep]
        if oneway_of(tags)[1]:
            refs, lonlat = refs[::-1], lonlat[::-1]
        known = np.isfinite(lonlat).all(axis=1)
        for part in np.split(np.arange(len(refs)), np.flatnonzero(np.diff(known)) + 1):
            if len(part) >= 2 and known[part[0]]:
                runs.way.append(wid)
                runs.tags.append(tags)
                runs.refs.append(refs[part])
                runs.lonlat.append(lonlat[part])
    return runs


def _pieces(refs: np.ndarray, run_of: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end positions (into ``refs``) of the edges: runs split at intersections."""
    _, inverse, counts = np.unique(refs, return_inverse=True, return_counts=True)
    is_end = counts[inverse] >= 2  # shared by two runs, or visited twice by one
    first = np.r_[True, run_of[1:] != run_of[:-1]]
    last = np.r_[run_of[1:] != run_of[:-1], True]
    is_end |= first | last
    ends = np.flatnonzero(is_end)
    same_run = run_of[ends[:-1]] == run_of[ends[1:]]
    return ends[:-1][same_run], ends[1:][same_run]


def _edge_table(
    runs: _Runs,
    run: np.ndarray,
    refs: np.ndarray,
    xy: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    length: np.ndarray,
    crs: str,
) -> gpd.GeoDataFrame:
    n_pts = end - start + 1
    offsets = np.repeat(start - np.r_[0, np.cumsum(n_pts)[:-1]], n_pts)
    positions = np.arange(n_pts.sum()) + offsets
    lines = shapely.linestrings(xy[positions], indices=np.repeat(np.arange(len(start)), n_pts))
    way_ids = np.array(runs.way, np.int64)[run]
    piece = pd.Series(way_ids).groupby(way_ids).cumcount().to_numpy()
    per_run = pd.DataFrame([_way_columns(t) for t in runs.tags])
    cols = per_run.iloc[run].reset_index(drop=True)
    return gpd.GeoDataFrame(
        {
            "edge_id": [f"{w}-{k}" for w, k in zip(way_ids, piece)],
            "u": refs[start].astype(str).astype(object),
            "v": refs[end].astype(str).astype(object),
            "length_m": length,
            "road_class": cols["road_class"].to_numpy(),
            "speed_kph": cols["speed_kph"].to_numpy(float),
            "bridge": cols["bridge"].to_numpy(bool),
            "tunnel": cols["tunnel"].to_numpy(bool),
            "oneway": cols["oneway"].to_numpy(bool),
            "name": cols["name"].to_numpy(),
            "highway": cols["highway"].to_numpy(),
            "maxspeed_tagged": cols["maxspeed_tagged"].to_numpy(bool),
            "osm_way_id": way_ids,
        },
        geometry=lines,
        crs=crs,
    )


def _way_columns(tags: dict[str, str]) -> dict[str, object]:
    speed, tagged = speed_kph(tags)
    return {
        "road_class": road_class(tags["highway"]),
        "speed_kph": speed,
        "maxspeed_tagged": tagged,
        "bridge": flag(tags.get("bridge")),
        "tunnel": flag(tags.get("tunnel")),
        "oneway": oneway_of(tags)[0],
        "name": tags.get("name") or tags.get("ref") or "",
        "highway": tags["highway"],
    }


def _utm_crs(lonlat: np.ndarray) -> str:
    lon, lat = np.nanmedian(lonlat[:, 0]), np.nanmedian(lonlat[:, 1])
    found = pyproj.database.query_utm_crs_info(
        datum_name="WGS 84", area_of_interest=pyproj.aoi.AreaOfInterest(lon, lat, lon, lat)
    )
    return f"EPSG:{found[0].code}"


def _note_tags(edges: gpd.GeoDataFrame, notes: list[str]) -> None:
    untagged = (~edges["maxspeed_tagged"]).mean()
    if untagged > 0:
        note(
            notes,
            f"{untagged:.0%} of edges have no usable maxspeed: speed from the "
            "road-type defaults (twin.importers.osm_tags.DEFAULT_SPEED_KPH)",
        )
    note(notes, "OSM has no elevations: elevation_m is 0 for every node (no grade costs)")
