"""Roads from an OpenStreetMap extract → a :class:`~twin.City`.

``import_osm(path)`` reads ``.osm`` / ``.osm.bz2`` / ``.osm.gz`` (XML) and ``.osm.pbf``
extracts with **pyosmium** (``osmium.FileProcessor`` with node locations). One reader for
every format means an XML and a PBF copy of the same extract give identical cities;
libosmium reads compressed XML natively, so osmnx is not needed here (the tests use
``osmnx.graph_from_xml`` as an independent check of lengths and node counts).

Decisions (all assumptions are listed here, and repeated in ``city.meta["import_notes"]``
when they drop something):

Network
    Drivable ways only: ``highway`` in :data:`DRIVABLE` — motorway, trunk, primary,
    secondary, tertiary (and their ``_link`` roads), unclassified, residential,
    living_street and service. ``service`` roads are kept because fire engines use them
    to reach buildings and estates, except ``service=parking_aisle|parking|driveway|
    drive-through`` (:data:`EXCLUDED_SERVICE`). Dropped too: ``area=yes`` and ways closed
    to motor vehicles (``access``/``motor_vehicle``/``motorcar`` = ``no``) unless
    ``emergency=yes``. ``access=private`` is kept: emergency vehicles may enter.
Topology
    Each way is split at *intersections*: nodes shared by two or more drivable ways (or
    visited twice by one) and the ends of ways. An edge runs between two consecutive
    intersections along one way, with the way's shape in between, so every edge has one
    set of tags (osmnx's "simplified" graph, but never merging across ways). Edge ids are
    ``<way id>-<k>`` (k-th piece of the way), node ids the OSM node ids as strings. Ways
    that leave the extract are cut where their nodes are missing.
Lengths
    Metres, along the geometry, in the UTM zone of the data (``estimate_utm_crs``), which
    is also the city's CRS.
Direction
    ``oneway=yes|true|1`` one way along the way; ``-1``/``reverse`` one way against it (the
    edge is stored reversed, so u → v is always the travel direction); ``no|false|0``,
    ``reversible``, ``alternating`` two way. Without a tag, ``highway=motorway`` and
    ``junction=roundabout|circular`` are one way (the OSM implied defaults).
Bridges and tunnels
    ``bridge=*`` and ``tunnel=*`` other than ``no``/``false``/``0`` (so ``yes``, ``viaduct``,
    ``building_passage``, ``covered``, … all count).
Speeds
    ``maxspeed`` parsed by :func:`parse_maxspeed` ("50", "30 mph", "50;70" → the lowest,
    "RU:urban" → :data:`IMPLICIT_SPEED_KPH`); otherwise :data:`DEFAULT_SPEED_KPH` by road
    type. Emergency vehicles' ability to exceed limits is the engine's business, not data.
Classes
    motorway/trunk (+links) → ``expressway``; primary/secondary (+links) → ``arterial``;
    everything else → ``local`` (:data:`ROAD_CLASS`). The OSM type is kept in a ``highway``
    column and the way id in ``osm_way_id``.
Elevation
    OSM has none: ``elevation_m`` is 0 everywhere, so grades cost nothing — supply a DEM
    via another importer if hills matter (they do in Chongqing).
Districts, people, stations
    :mod:`twin.importers.assemble`: districts from a file, OSM administrative boundaries
    or one district over the roads; people in 1 km cells from a population file or
    estimated from buildings; stations from OSM, a file, or generated on request. Nodes
    get the ``district_id`` they lie in.
Connectivity
    ``largest_component=True`` (the default) keeps the largest weakly connected part of
    the graph, since an extract cut from a larger map always has stray fragments; what was
    dropped goes into the notes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from twin.errors import TwinDataError
from twin.importers import (
    city_from_layers,
    clip_roads,
    keep_largest_component,
    note,
    strip_suffixes,
)
from twin.importers.assemble import CityOptions, Given, assemble, check_generate, label_nodes
from twin.importers.osm_features import read_features
from twin.model.city import City

OSM_SUFFIXES = (".pbf", ".bz2", ".gz", ".osm", ".xml")
LINKS = ("motorway", "trunk", "primary", "secondary", "tertiary")
DRIVABLE = frozenset(
    [
        *LINKS,
        *(f"{h}_link" for h in LINKS),
        "unclassified",
        "residential",
        "living_street",
        "service",
    ]
)
"""``highway`` values kept as roads."""
EXCLUDED_SERVICE = frozenset(["parking_aisle", "parking", "driveway", "drive-through"])
"""``service`` values dropped: inside car parks and private driveways."""
ROAD_CLASS = {
    "motorway": "expressway",
    "trunk": "expressway",
    "primary": "arterial",
    "secondary": "arterial",
}
"""OSM ``highway`` (without ``_link``) → the twin's road class; anything else is ``local``."""

DEFAULT_SPEED_KPH = {
    # Used when a way has no usable maxspeed. Mid-range design speeds of China's urban road
    # design code CJJ 37-2012 (expressway 60–100, arterial 40–60, secondary 30–50, branch
    # 20–40 km/h); link roads at about 60 % of their road; residential, service and living
    # streets lower than a branch road because they are narrow and shared with people.
    "motorway": 80.0,
    "motorway_link": 50.0,
    "trunk": 60.0,
    "trunk_link": 40.0,
    "primary": 50.0,
    "primary_link": 30.0,
    "secondary": 40.0,
    "secondary_link": 30.0,
    "tertiary": 30.0,
    "tertiary_link": 25.0,
    "unclassified": 30.0,
    "residential": 25.0,
    "living_street": 10.0,
    "service": 15.0,
}
IMPLICIT_SPEED_KPH = {
    # "maxspeed=<country>:<zone>" (OSM wiki, "Default speed limits"); country-specific
    # values first, then the zone alone for every other country.
    "ru:urban": 60.0,
    "ru:rural": 90.0,
    "ru:motorway": 110.0,
    "ru:living_street": 20.0,
    "by:urban": 60.0,
    "ua:urban": 50.0,
    "fr:rural": 80.0,
    "de:rural": 100.0,
    "at:rural": 100.0,
    "it:rural": 90.0,
    "gb:nsl_single": 60 * 1.609344,
    "gb:nsl_dual": 70 * 1.609344,
    "gb:motorway": 70 * 1.609344,
    "uk:nsl_single": 60 * 1.609344,
    "uk:nsl_dual": 70 * 1.609344,
    "urban": 50.0,
    "rural": 90.0,
    "trunk": 90.0,
    "motorway": 110.0,
    "living_street": 20.0,
    "bicycle_road": 30.0,
    "walk": 7.0,
}
UNITS_KPH = {
    "": 1.0,
    "km/h": 1.0,
    "kmh": 1.0,
    "kph": 1.0,
    "kmph": 1.0,
    "mph": 1.609344,
    "knots": 1.852,
}
FALSE_VALUES = frozenset(["no", "false", "0"])
TAGS = (
    "highway",
    "name",
    "ref",
    "maxspeed",
    "oneway",
    "junction",
    "bridge",
    "tunnel",
    "service",
    "access",
    "motor_vehicle",
    "motorcar",
    "emergency",
    "area",
)
"""The tags the importer reads."""
_SPEED = re.compile(r"(\d+(?:[.,]\d+)?)\s*([a-z/]*)")


@dataclass
class Ways:
    """Drivable ways as read: ids, tags and, per way, node ids and lon/lat (NaN if missing)."""

    ids: list[int] = field(default_factory=list)
    tags: list[dict[str, str]] = field(default_factory=list)
    refs: list[np.ndarray] = field(default_factory=list)
    lonlat: list[np.ndarray] = field(default_factory=list)


def import_osm(
    path: str | Path,
    *,
    districts_path: str | Path | None = None,
    stations_path: str | Path | None = None,
    largest_component: bool = True,
    name: str | None = None,
    options: CityOptions | None = None,
    given: Given | None = None,
    clip: shapely.Geometry | None = None,
) -> City:
    """Import an OSM extract as a validated, working City (metric UTM CRS): drivable roads,
    districts, 1 km cells with people, and stations (:mod:`twin.importers.assemble`).

    ``path``: ``.osm``, ``.osm.bz2``, ``.osm.gz`` or ``.osm.pbf``. ``districts_path`` /
    ``stations_path``: optional layer files (shorthands for the same fields of
    ``options``). ``largest_component``: drop road-graph fragments. See the module
    docstrings for every assumption. ``given``: layers to use instead of deriving them;
    ``clip``: a WGS84 polygon the roads are cut to (nodes inside, edges with both ends
    inside). Raises TwinDataError on bad input.
    """
    path = Path(path)
    opts = options or CityOptions()
    if districts_path is not None or stations_path is not None:
        opts = replace(
            opts,
            districts_path=Path(districts_path) if districts_path else opts.districts_path,
            stations_path=Path(stations_path) if stations_path else opts.stations_path,
        )
    check_generate(opts.generate)
    name = name or strip_suffixes(path.name, OSM_SUFFIXES)
    notes: list[str] = []
    ways = read_ways(path)
    nodes, edges = build_roads(ways, str(path), notes)
    if clip is not None:
        nodes, edges = clip_roads(nodes, edges, clip, str(path), notes)
    if largest_component:
        nodes, edges, dropped = keep_largest_component(nodes, edges)
        if dropped:
            note(notes, dropped)
    features = read_features(path)
    layers, pop_meta = assemble(nodes, features, name, opts, notes, given)
    layers.update(
        {"road_nodes": label_nodes(nodes, layers["districts"], notes), "road_edges": edges}
    )
    meta = {"source": str(path), "importer": "osm", "import_notes": notes, **pop_meta}
    return city_from_layers(
        layers, name=name, where=str(path), crs=str(nodes.crs), source=str(path), meta=meta
    )


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


def is_drivable(tags: dict[str, str]) -> bool:
    """Whether a way with these tags is a road an emergency vehicle can drive."""
    if tags.get("highway") not in DRIVABLE or tags.get("area") == "yes":
        return False
    if tags.get("highway") == "service" and tags.get("service") in EXCLUDED_SERVICE:
        return False
    closed = any(tags.get(k) == "no" for k in ("access", "motor_vehicle", "motorcar"))
    return not closed or tags.get("emergency") in ("yes", "designated")


# ---------------------------------------------------------------------------- tags


def oneway_of(tags: dict[str, str]) -> tuple[bool, bool]:
    """``(oneway, reversed)`` of a way: one way only, and against its node order."""
    value = tags.get("oneway", "").strip().lower()
    if value in ("-1", "reverse"):
        return True, True
    if value in ("yes", "true", "1"):
        return True, False
    if value:  # no, false, 0, reversible, alternating, anything unknown
        return False, False
    implied = tags.get("highway") == "motorway" or tags.get("junction") in (
        "roundabout",
        "circular",
    )
    return implied, False


def flag(value: str | None) -> bool:
    """A ``bridge``/``tunnel`` tag value as a bool (absent, no, false, 0 → False)."""
    return value is not None and value.strip().lower() not in FALSE_VALUES


@lru_cache(maxsize=4096)
def parse_maxspeed(value: str | None) -> float | None:
    """A ``maxspeed`` tag in km/h, or None when it states no usable number.

    ``"50"`` → 50; ``"30 mph"`` → 48.3; ``"50;70"`` (several values) → the lowest;
    ``"RU:urban"`` → 60 (:data:`IMPLICIT_SPEED_KPH`); ``"DE:zone30"`` → 30;
    ``"none"``, ``"signals"``, ``"variable"`` → None (use the road type's default).
    """
    if not value:
        return None
    speeds = [s for part in re.split(r"[;|]", value) if (s := _one_speed(part)) is not None]
    return min(speeds) if speeds else None


def _one_speed(text: str) -> float | None:
    t = text.strip().lower()
    m = _SPEED.fullmatch(t)
    if m:
        factor = UNITS_KPH.get(m[2])
        speed = float(m[1].replace(",", ".")) * factor if factor else 0.0
        return speed if speed > 0 else None
    if t in IMPLICIT_SPEED_KPH:
        return IMPLICIT_SPEED_KPH[t]
    zone = t.split(":", 1)[-1]
    if z := re.fullmatch(r"zone:?(\d+)", zone):
        return float(z[1])
    return IMPLICIT_SPEED_KPH.get(zone)


def speed_kph(tags: dict[str, str]) -> tuple[float, bool]:
    """Speed (km/h) of a way and whether it came from its ``maxspeed`` tag."""
    parsed = parse_maxspeed(tags.get("maxspeed"))
    if parsed is not None:
        return parsed, True
    return DEFAULT_SPEED_KPH[tags["highway"]], False


def road_class(highway: str) -> str:
    """The twin's road class of an OSM ``highway`` value."""
    return ROAD_CLASS.get(highway.removesuffix("_link"), "local")


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
            "road-type defaults (twin.importers.osm.DEFAULT_SPEED_KPH)",
        )
    note(notes, "OSM has no elevations: elevation_m is 0 for every node (no grade costs)")
