"""Sensors on the pipe networks: the share of pipe length watched, and raising it
(scenario ``[[sensors]]``) highest-risk pipes first."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from twin.model.city import City
from twin.model.pipe_roads import pipe_midpoints


def pipe_districts(city: City) -> np.ndarray:
    """District id of every pipe: that of the road node nearest its midpoint."""
    if len(city.pipes) == 0 or len(city.road_nodes) == 0:
        return np.full(len(city.pipes), "", dtype=object)
    mids = pipe_midpoints(city, np.arange(len(city.pipes)))
    idx, _ = city.roads.snap(mids)
    return city.road_nodes["district_id"].astype(str).to_numpy(dtype=object)[idx]


def sensor_coverage(city: City) -> pd.DataFrame:
    """Share of pipe length watched by sensors, per network and district (``district_id``
    ``"*"`` = the whole city): columns ``network``, ``district_id``, ``length_m``,
    ``monitored_m``, ``coverage``."""
    p = city.pipes
    frame = pd.DataFrame(
        {
            "network": p["network"].astype(str).to_numpy(),
            "district_id": pipe_districts(city),
            "length_m": p["length_m"].to_numpy(float),
            "monitored_m": np.where(
                p["monitored"].to_numpy(bool), p["length_m"].to_numpy(float), 0.0
            ),
        }
    )
    cols = ["length_m", "monitored_m"]
    by = frame.groupby(["network", "district_id"], as_index=False)[cols].sum()
    city_wide = frame.groupby("network", as_index=False)[cols].sum()
    city_wide.insert(1, "district_id", "*")
    out = pd.concat([city_wide, by], ignore_index=True)
    out["coverage"] = np.where(
        out["length_m"] > 0,
        out["monitored_m"] / out["length_m"].where(out["length_m"] > 0, 1.0),
        0.0,
    )
    return out.sort_values(["network", "district_id"], ignore_index=True)


def risk_order(pipes: pd.DataFrame) -> np.ndarray:
    """Positions of ``pipes`` from highest to lowest risk: oldest first, then largest
    diameter, then pipe id (deterministic). Unknown years count as oldest."""
    # astype(float) first: nullable Int64 years (EPANET imports) cannot hold -inf
    year = pd.to_numeric(pipes["install_year"], errors="coerce").astype(float).fillna(-np.inf)
    dia = pd.to_numeric(pipes["diameter_mm"], errors="coerce").astype(float).fillna(0.0)
    year, dia = year.to_numpy(float), dia.to_numpy(float)
    ids = pipes["pipe_id"].astype(str).to_numpy(dtype=object)
    return np.lexsort((ids, -dia, year))


def raise_coverage(
    city: City,
    network: str,
    coverage: float,
    district_id: str | None = None,
    pipes: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """A copy of the pipes layer where the share of ``network`` pipe length monitored (in
    ``district_id``, or city-wide) is at least ``coverage``: unmonitored pipes are marked
    highest-risk first (:func:`risk_order`) until the target is reached. Existing sensors are
    never removed. ``pipes`` (default ``city.pipes``) lets several entries chain."""
    pipes = (city.pipes if pipes is None else pipes).copy()
    sel = (pipes["network"].astype(str) == network).to_numpy()
    if district_id is not None:
        sel = sel & (pipe_districts(city) == district_id)
    cand = np.flatnonzero(sel)
    if len(cand) == 0:
        return pipes
    length = pipes["length_m"].to_numpy(float)
    mon = pipes["monitored"].to_numpy(bool).copy()
    total = length[cand].sum()
    need = coverage * total - length[cand][mon[cand]].sum()
    if need <= 1e-9:
        return pipes
    free = cand[~mon[cand]]
    order = free[risk_order(pipes.iloc[free])]
    before = np.concatenate([[0.0], np.cumsum(length[order])[:-1]])
    mon[order[before < need - 1e-9]] = True
    pipes["monitored"] = mon
    return pipes
