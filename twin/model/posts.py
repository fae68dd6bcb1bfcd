"""The city's community posts re-allotted by households (the rule of
:mod:`twin.build.posts`), for a sensitivity over household size and households per
responder."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from twin.build.posts import HOUSEHOLD_SIZE, HOUSEHOLDS_PER_WORKER, post_rows
from twin.model.city import City


def with_posts(
    city: City,
    household_size: float = HOUSEHOLD_SIZE,
    households_per_worker: float = HOUSEHOLDS_PER_WORKER,
) -> City:
    """``city`` with its community posts re-allotted from its cells by this rule (the other
    stations untouched): for a sensitivity over household size and households per worker.
    A city without cells is returned as it is."""
    if city.cells.empty:
        return city
    node_xy = shapely.get_coordinates(city.road_nodes.geometry.values)
    rows = post_rows(city.cells, node_xy, household_size, households_per_worker)
    st = city.stations
    keep = st[st["force"] != "community"]
    new = gpd.GeoDataFrame(
        {c: [r[c] for r in rows] for c in ("station_id", "force", "name", "name_en")}
        | {
            "district_id": [r["district_id"] for r in rows],
            "units": np.array([r["units"] for r in rows], np.int64),
        },
        geometry=city.road_nodes.geometry.values[[r["node"] for r in rows]],
        crs=st.crs,
    )
    stations = pd.concat([keep, new], ignore_index=True)
    return city.replace(stations=gpd.GeoDataFrame(stations, geometry="geometry", crs=st.crs))
