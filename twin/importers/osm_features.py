"""What an OSM extract says besides roads: stations, administrative areas, buildings, land use.

:func:`read_features` makes one pass over the file with pyosmium, assembling areas (closed
ways and multipolygon relations) with ``FileProcessor.with_areas``; it returns plain lists
in WGS84 lon/lat, which :mod:`twin.importers.stations`, :mod:`twin.importers.population` and
:func:`twin.importers.osm.import_osm` turn into layers.

Stations (:data:`STATION_TAGS`, the first matching rule wins)
    ``amenity=fire_station`` → ``fire``; ``emergency=ambulance_station`` → ``professional``;
    ``emergency=water_rescue|mountain_rescue|lifeboat_station|lifeguard_base|ses_station|
    rescue_station`` → ``social`` (volunteer rescue teams, the twin's 社会救援力量), or
    ``professional`` when ``operator:type`` is ``government``/``public``;
    ``aeroway=helipad|heliport`` and ``emergency=landing_site`` → ``air``. Nodes are taken
    as points, areas (buildings or sites drawn as polygons) by a point inside them
    (``representative_point``, the centroid when it lies inside).
Administrative areas
    ``boundary=administrative`` areas with their ``admin_level`` and ``name``; only those
    whose relation is complete in the extract can be assembled (an extract cut from a
    larger map often lacks the members of large boundaries: then there are none).
Buildings
    Every ``building=*`` area except ``building=no``: footprint polygon, ``building`` value,
    ``building:levels`` (parsed, else NaN).
Residential land use
    ``landuse=residential`` areas.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import shapely

from twin.errors import TwinDataError

if TYPE_CHECKING:
    import osmium

KEYS = ("amenity", "emergency", "aeroway", "building", "landuse", "boundary")
"""Tag keys the feature pass reads."""
RESCUE = frozenset(
    [
        "water_rescue",
        "mountain_rescue",
        "lifeboat_station",
        "lifeguard_base",
        "ses_station",
        "rescue_station",
    ]
)
"""``emergency`` values of rescue stations."""
PUBLIC_OPERATORS = frozenset(["government", "public"])
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


@dataclass
class OsmStation:
    """A station found in OSM: force, where (WGS84), name, and the OSM object it came from."""

    force: str
    lon: float
    lat: float
    name: str
    name_en: str
    osm: str  # "n123", "w45", "r6"
    tag: str  # the tag that made it a station, e.g. "amenity=fire_station"


@dataclass
class Features:
    """Non-road features of an extract, geometry in WGS84 lon/lat."""

    stations: list[OsmStation] = field(default_factory=list)
    admin: list[tuple[int, str, str, shapely.Geometry]] = field(default_factory=list)
    """(admin_level, name, OSM id, polygon)."""
    buildings: list[tuple[str, float, shapely.Geometry]] = field(default_factory=list)
    """(building value, levels or NaN, footprint)."""
    residential: list[shapely.Geometry] = field(default_factory=list)


def station_force(tags: dict[str, str]) -> tuple[str, str] | None:
    """The force a station with these tags belongs to and the tag that says so (None: not a
    station)."""
    if tags.get("amenity") == "fire_station":
        return "fire", "amenity=fire_station"
    emergency = tags.get("emergency", "")
    if emergency == "ambulance_station":
        return "professional", "emergency=ambulance_station"
    if emergency in RESCUE:
        public = tags.get("operator:type", "") in PUBLIC_OPERATORS
        return ("professional" if public else "social"), f"emergency={emergency}"
    if tags.get("aeroway") in ("helipad", "heliport"):
        return "air", f"aeroway={tags['aeroway']}"
    if emergency == "landing_site":
        return "air", "emergency=landing_site"
    return None


def parse_levels(text: str | None) -> float:
    """``building:levels`` → a number of storeys (``"5"``, ``"4.5"``, ``"3;5"`` → the
    largest); NaN when absent or unreadable."""
    if not text:
        return float("nan")
    found = [float(m) for m in _NUMBER.findall(text)]
    return max(found) if found and max(found) > 0 else float("nan")


def read_features(path: Path) -> Features:
    """One pass over an OSM file collecting stations, admin areas, buildings and residential
    land use (see the module docstring)."""
    import osmium  # noqa: PLC0415 — optional extra

    features = Features()
    try:
        processor = (
            osmium.FileProcessor(str(path))
            .with_areas(osmium.filter.KeyFilter(*KEYS))
            .with_filter(osmium.filter.KeyFilter(*KEYS))
        )
        for obj in processor:
            if isinstance(obj, osmium.osm.Node):
                _add_node(features, obj)
            elif isinstance(obj, osmium.osm.Area):
                _add_area(features, obj)
    except (RuntimeError, ValueError, OSError) as exc:
        raise TwinDataError.one(
            str(path),
            f"cannot read this OSM file: {exc}",
            "check it is an OSM XML or PBF extract",
            title="cannot import OSM",
        ) from None
    return features


def _names(tags: dict[str, str], fallback: str) -> tuple[str, str]:
    name = tags.get("name") or tags.get("name:zh") or tags.get("name:en") or fallback
    return name, tags.get("name:en") or name


def _add_node(features: Features, node: osmium.osm.Node) -> None:
    tags = dict(node.tags)
    found = station_force(tags)
    if found is None or not node.location.valid():
        return
    force, tag = found
    osm_id = f"n{node.id}"
    name, name_en = _names(tags, f"{tag} {osm_id}")
    features.stations.append(
        OsmStation(force, node.location.lon, node.location.lat, name, name_en, osm_id, tag)
    )


def _area_geometry(area: osmium.osm.Area) -> shapely.Geometry | None:
    polys = []
    for outer in area.outer_rings():
        shell = [(n.lon, n.lat) for n in outer]
        holes = [[(n.lon, n.lat) for n in inner] for inner in area.inner_rings(outer)]
        if len(shell) >= 4:
            polys.append(shapely.Polygon(shell, [h for h in holes if len(h) >= 4]))
    if not polys:
        return None
    geom = shapely.make_valid(shapely.MultiPolygon(polys) if len(polys) > 1 else polys[0])
    return geom if not geom.is_empty else None


def _add_area(features: Features, area: osmium.osm.Area) -> None:
    tags = dict(area.tags)
    geom = _area_geometry(area)
    if geom is None:
        return
    osm_id = f"{'w' if area.from_way() else 'r'}{area.orig_id()}"
    found = station_force(tags)
    if found is not None:
        force, tag = found
        point = geom.representative_point()
        name, name_en = _names(tags, f"{tag} {osm_id}")
        features.stations.append(OsmStation(force, point.x, point.y, name, name_en, osm_id, tag))
    if tags.get("boundary") == "administrative" and tags.get("admin_level", "").isdigit():
        features.admin.append((int(tags["admin_level"]), tags.get("name", osm_id), osm_id, geom))
    if tags.get("building", "no") != "no":
        features.buildings.append(
            (tags["building"], parse_levels(tags.get("building:levels")), geom)
        )
    if tags.get("landuse") == "residential":
        features.residential.append(geom)
