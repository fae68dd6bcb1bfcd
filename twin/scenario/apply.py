"""A scenario applied to a city: a pure function returning a new City."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from twin.hazards.sensing import raise_coverage
from twin.model.city import City
from twin.model.places import core_district_at, resolve_district
from twin.scenario.checks import city_problems
from twin.scenario.spec import Scenario


def apply(scenario: Scenario, city: City) -> City:
    """The city as the scenario changes it — a new :class:`~twin.model.city.City`; ``city`` and its
    GeoDataFrames are never modified (changed layers are copies).

    In order: ``stations.remove``; ``stations.move`` (new place, district from the polygon);
    ``fleet.scale`` per force on the remaining stations (units = round half up of units ×
    scale; added stations keep the units they state); ``stations.add``; then
    ``fleet.station_units`` (exact units, also for added stations); then ``[[sensors]]``
    (:func:`twin.hazards.sensing.raise_coverage`, entries applied in order, coverage never lowered).
    Raises :class:`TwinDataError` (file and line) for unknown ids and stations outside the
    city.
    """
    city_problems(scenario, city).raise_if_any("scenario does not fit the city")
    stations = _apply_stations(scenario, city)
    pipes = _apply_sensors(scenario, city)
    new = city.replace(stations=stations, pipes=pipes)
    for cached in ("roads", "graph"):  # roads are unchanged: keep the derived arrays
        if cached in city.__dict__:
            new.__dict__[cached] = city.__dict__[cached]
    return new


def _apply_stations(scenario: Scenario, city: City) -> gpd.GeoDataFrame:
    st, fleet = scenario.stations, scenario.fleet
    if not (st.remove or st.move or st.add or fleet.scale or fleet.station_units):
        return city.stations
    out = city.stations.copy()
    if st.remove:
        out = out[~out["station_id"].astype(str).isin(list(st.remove))]
    out = out.reset_index(drop=True)
    if st.move:
        geoms = np.asarray(out.geometry.values, dtype=object).copy()
        district = out["district_id"].astype(object).to_numpy().copy()
        ids = out["station_id"].astype(str).to_numpy()
        for mv in st.move:
            xy = city.xy_from_lonlat(mv.lon, mv.lat)
            i = int(np.flatnonzero(ids == mv.station_id)[0])
            geoms[i] = shapely.Point(xy)
            district[i] = core_district_at(city, xy) or district[i]
        out[out.geometry.name] = gpd.GeoSeries(geoms, index=out.index, crs=city.crs)
        out["district_id"] = district
    for force, scale in fleet.scale.items():
        mask = (out["force"] == force).to_numpy()
        units = out["units"].to_numpy(float)
        out["units"] = np.where(mask, np.floor(units * scale + 0.5), units).astype(np.int64)
    if st.add:
        rows = []
        for ad in st.add:
            xy = city.xy_from_lonlat(ad.lon, ad.lat)
            rows.append(
                {
                    "station_id": ad.station_id,
                    "force": ad.force,
                    "name": ad.name,
                    "name_en": ad.name_en,
                    "district_id": core_district_at(city, xy) or "",
                    "units": int(ad.units),
                    "geometry": shapely.Point(xy),
                }
            )
        new = gpd.GeoDataFrame(rows, geometry="geometry", crs=city.crs)
        if out.geometry.name != "geometry":
            new = new.rename_geometry(out.geometry.name)
        out = gpd.GeoDataFrame(
            pd.concat([out, new], ignore_index=True), geometry=out.geometry.name, crs=city.crs
        )
    if fleet.station_units:
        ids = out["station_id"].astype(str)
        units = out["units"].to_numpy(np.int64).copy()
        for sid, n in fleet.station_units.items():
            units[(ids == sid).to_numpy()] = n
        out["units"] = units
    return out


def _apply_sensors(scenario: Scenario, city: City) -> gpd.GeoDataFrame:
    if not scenario.sensors:
        return city.pipes
    pipes = city.pipes
    for s in scenario.sensors:
        pipes = raise_coverage(
            city, s.network, s.coverage, resolve_district(city, s.district), pipes=pipes
        )
    return pipes
