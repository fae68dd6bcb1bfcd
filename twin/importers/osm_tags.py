"""The OSM tag rules of the road importer (:mod:`twin.importers.osm`): which ways are
drivable, their direction, bridges and tunnels, speeds and road classes, and the tables
behind them. The assumptions are listed in :mod:`twin.importers.osm`'s docstring."""

from __future__ import annotations

import re
from functools import lru_cache

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


def is_drivable(tags: dict[str, str]) -> bool:
    """Whether a way with these tags is a road an emergency vehicle can drive."""
    if tags.get("highway") not in DRIVABLE or tags.get("area") == "yes":
        return False
    if tags.get("highway") == "service" and tags.get("service") in EXCLUDED_SERVICE:
        return False
    closed = any(tags.get(k) == "no" for k in ("access", "motor_vehicle", "motorcar"))
    return not closed or tags.get("emergency") in ("yes", "designated")


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
