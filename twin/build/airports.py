"""Air-rescue bases of the municipality twin: the municipality's five civil airports (the
"one large and four small" airports) and the central twin's hospital helipad.

**The positions are not checked.** Only Jiangbei's (about 106.64 E, 29.72 N) is given in the
project's source notes; the other four are the builder's recollection of the airports'
published reference points, cross-checked offline only for consistency: each lies inside the
district or county it serves (checked at build time by :func:`check_airports`), and its
distance from that district's seat agrees roughly with the distances stated in stored
third-party pages (Wushan airport "about 15 km from the county seat", Qianjiang Wulingshan
"3 km from the old city", Wulong Xiannüshan "43 km from the urban centre", road distance).
``uncertainty_km`` is the radius within which we expect the true position; anyone using the
air results for a decision must check the coordinates against an authoritative source
(CAAC aeronautical information publication) first. Coordinates are WGS84 (not GCJ-02).

How many helicopters each base holds is an **assumption** (1 per regional airport, 2 at
Jiangbei as in the central twin), not a record of where helicopters are actually based.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from twin.build.geo import to_utm


@dataclass(frozen=True)
class AirBase:
    """One air-rescue base: names, WGS84 position (deg), its stated uncertainty (km), the
    district it lies in, the units (helicopters, assumption) and where the position is from."""

    zh: str
    en: str
    lon: float
    lat: float
    uncertainty_km: float
    district_id: str
    units: int
    provenance: str


AIR_BASES: tuple[AirBase, ...] = (
    AirBase(
        "重庆江北国际机场航空救援基地",
        "Jiangbei Airport Air Rescue Base",
        106.640,
        29.720,
        2.0,
        "500112",
        2,
        "project source notes (SOURCES.md: 'about 106.64 E, 29.72 N'); not surveyed",
    ),
    AirBase(
        "西南医院直升机停机坪",
        "Southwest Hospital Helipad",
        106.458,
        29.548,
        2.0,
        "500106",
        1,
        "as in the central twin (twin/build/stations.py); unchecked",
    ),
    AirBase(
        "万州五桥机场航空救援基地",
        "Wanzhou Wuqiao Airport Air Base",
        108.433,
        30.802,
        5.0,
        "500101",
        1,
        "recollection of the airport reference point (IATA WXN); UNCHECKED",
    ),
    AirBase(
        "黔江武陵山机场航空救援基地",
        "Qianjiang Wulingshan Airport Air Base",
        108.831,
        29.513,
        5.0,
        "500114",
        1,
        "recollection of the airport reference point (IATA JIQ); UNCHECKED",
    ),
    AirBase(
        "巫山机场航空救援基地",
        "Wushan Airport Air Base",
        109.706,
        31.064,
        3.0,
        "500237",
        1,
        "stored Wikipedia mirror (everything.explained.today) gives 31.064 N 109.706 "
        "(printed 'W', a typo for E); UNCHECKED against an official source",
    ),
    AirBase(
        "武隆仙女山机场航空救援基地",
        "Wulong Xiannüshan Airport Air Base",
        107.693,
        29.466,
        8.0,
        "500156",
        1,
        "recollection of the airport's position near Xiannüshan town; UNCHECKED",
    ),
)
"""The air bases of the municipality twin (see the module docstring: positions unchecked)."""


def check_airports(districts: gpd.GeoDataFrame, bases: tuple[AirBase, ...] = AIR_BASES) -> None:
    """Raise ``ValueError`` unless each base lies within ``uncertainty_km`` of the district it
    is said to serve (``districts`` in EPSG:32648 with ``district_id``): a consistency check,
    not a check of the position itself."""
    by_id = dict(zip(districts["district_id"], districts.geometry))
    xy = to_utm([b.lon for b in bases], [b.lat for b in bases])
    for b, (x, y) in zip(bases, xy):
        d = float(shapely.distance(by_id[b.district_id], shapely.Point(x, y)))
        if d > b.uncertainty_km * 1000.0:
            raise ValueError(f"{b.en} lies {d / 1000:.1f} km outside district {b.district_id}")


def air_base_xy(bases: tuple[AirBase, ...] = AIR_BASES) -> np.ndarray:
    """The bases' positions in EPSG:32648 (m), shape (n, 2)."""
    return np.asarray(to_utm([b.lon for b in bases], [b.lat for b in bases]), float).reshape(-1, 2)
