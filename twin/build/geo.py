"""Coordinates (WGS84 ↔ UTM 48N) and the real sources: district boundaries with 2020 census
populations, Natural Earth river lines."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely.ops
from numpy.typing import ArrayLike
from pyproj import Transformer

from twin.build.params import CORE, FILE_CRS, NAME_EN, RIVER_NE_NAMES, WORK_CRS


def sources_path() -> Path:
    """The build's real inputs, shipped as package data (``twin/data/sources``)."""
    return Path(str(resources.files("twin.data") / "sources"))


_TO_UTM = Transformer.from_crs(FILE_CRS, WORK_CRS, always_xy=True)
_TO_LL = Transformer.from_crs(WORK_CRS, FILE_CRS, always_xy=True)


def to_utm(lon: ArrayLike, lat: ArrayLike) -> np.ndarray:
    """WGS84 lon/lat (deg) -> UTM 48N x/y (m) as an (n, 2) array (or (2,) for scalars)."""
    x, y = _TO_UTM.transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.stack([x, y], axis=-1)


def to_lonlat(xy: np.ndarray) -> np.ndarray:
    """UTM 48N x/y (m), shape (n, 2) -> lon/lat (deg) rounded to 1e-6, shape (n, 2)."""
    lon, lat = _TO_LL.transform(xy[:, 0], xy[:, 1])
    return np.round(np.stack([lon, lat], axis=1), 6)


def load_districts(src: Path) -> gpd.GeoDataFrame:
    """All 38 districts in EPSG:4326 with district_id, name, name_en, population (2020
    census, persons), level, and the boundary file's centre (centerlng/centerlat, deg)."""
    g = gpd.read_file(src / "chongqing_districts_2020.geojson")
    pop = pd.read_csv(
        src / "chongqing_population_2020.csv", encoding="utf-8-sig", dtype={"CODE": str}
    )
    g["district_id"] = g["adcode"].astype(str)
    census = dict(zip(pop["CODE"], pop["POPU"].astype("int64")))
    missing = sorted(set(g["district_id"]) - set(census))
    if missing:
        raise ValueError(f"no census population for {missing}")
    g["population"] = g["district_id"].map(census).astype("int64")
    g["name_en"] = g["district_id"].map(NAME_EN)
    g["level"] = np.where(g["district_id"].isin(CORE), "core", "outer")
    g = g.sort_values("district_id").reset_index(drop=True)
    return g[
        [
            "district_id",
            "name",
            "name_en",
            "population",
            "level",
            "centerlng",
            "centerlat",
            "geometry",
        ]
    ]


def load_rivers(src: Path) -> dict[str, shapely.Geometry]:
    """Natural Earth centre lines of the Yangtze and Jialing in EPSG:32648 (m), by English name."""
    r = gpd.read_file(src / "chongqing_rivers_ne10m.geojson").to_crs(WORK_CRS)
    return {
        RIVER_NE_NAMES[n]: shapely.line_merge(
            shapely.union_all(r.loc[r["name"] == n].geometry.values)
        )
        for n in RIVER_NE_NAMES
    }
