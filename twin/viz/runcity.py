"""The city a run used, and what its scenario changed, read back from a Results folder.

A run writes the stations as its scenario left them (``stations.parquet``: added, moved and
removed stations, fleet changes) and its closures (``lifelines.parquet``, ``kind ==
"closure"``); ``summary.json`` holds the scenario itself (hazards). Maps draw that city,
not the base one. For a folder written before ``stations.parquet`` existed, the scenario
in summary.json is applied to the base city again (a pure function, same result).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from twin.errors import TwinDataError
from twin.model.city import City
from twin.scenario.apply import apply
from twin.scenario.spec import Scenario
from twin.viz.data import RunData

log = logging.getLogger(__name__)

STATIONS_FILE = "stations.parquet"
MOVED_MIN_M = 1.0
"""A station whose point changed by more than this (metres) counts as moved."""


@dataclass(frozen=True)
class StationChanges:
    """Stations the scenario added, moved (with the old point) and removed."""

    added: gpd.GeoDataFrame
    moved: gpd.GeoDataFrame
    """Moved stations at their new point; column ``old`` holds the old point (city CRS)."""
    removed: gpd.GeoDataFrame

    @property
    def empty(self) -> bool:
        """Whether nothing changed."""
        return self.added.empty and self.moved.empty and self.removed.empty


@dataclass(frozen=True)
class Hazards:
    """Hazard footprints of the scenario (from summary.json ``scenario``), WGS84."""

    quakes: list[dict] = field(default_factory=list)
    """``{"lon", "lat", "magnitude", "depth_km", "t_h"}`` per earthquake."""
    storms: list[dict] = field(default_factory=list)
    """``{"districts": [...] (empty: whole city), "intensity_mm_h", "start_h", "duration_h"}``."""


def run_city(run: RunData, base: City) -> City:
    """The city the run used: ``base`` with the run's stations (see module docstring)."""
    path = Path(run.folder) / STATIONS_FILE
    if path.exists():
        stations = gpd.read_parquet(path)
        if stations.crs is not None and str(stations.crs) != str(base.stations.crs):
            stations = stations.to_crs(base.stations.crs)
        return base.replace(stations=stations)
    scen = run.summary.get("scenario")
    if not isinstance(scen, dict):
        return base
    try:
        return apply(Scenario.model_validate(scen), base)
    except (TwinDataError, ValueError) as err:  # the base city changed since the run
        log.warning("drawing the base city: the run's scenario no longer applies (%s)", err)
        return base


def station_changes(base: City, drawn: City) -> StationChanges:
    """Stations in ``drawn`` but not ``base`` (added), in both at different points (moved),
    in ``base`` only (removed)."""
    old = base.stations.set_index(base.stations["station_id"].astype(str))
    new = drawn.stations.set_index(drawn.stations["station_id"].astype(str))
    added = new[~new.index.isin(old.index)]
    removed = old[~old.index.isin(new.index)]
    both = new[new.index.isin(old.index)]
    if len(both):
        old_pts = old.geometry.reindex(both.index)
        shift = both.geometry.distance(old_pts.set_crs(both.crs, allow_override=True))
        moved = both[shift.to_numpy() > MOVED_MIN_M].copy()
        moved["old"] = old_pts.reindex(moved.index).to_numpy()
    else:
        moved = both.copy()
        moved["old"] = pd.Series(dtype=object)
    return StationChanges(
        added.reset_index(drop=True), moved.reset_index(drop=True), removed.reset_index(drop=True)
    )


def hazards(run: RunData) -> Hazards:
    """The scenario's earthquakes and rainstorms as recorded in summary.json."""
    scen = run.summary.get("scenario")
    if not isinstance(scen, dict):
        return Hazards()
    quakes = [
        q
        for q in scen.get("earthquake") or []
        if isinstance(q, dict) and q.get("lon") is not None and q.get("lat") is not None
    ]
    storms = [s for s in scen.get("rainstorm") or [] if isinstance(s, dict)]
    return Hazards(quakes=quakes, storms=storms)
