"""The ``calibration`` block of summary.json: a run's workload figures beside the references.

Computed from the run's own tables only (incidents, events, units), so any results folder
can be checked against the national figures (docs/calibration.md):

- ``vehicles_per_ground_call``: ground vehicles (fire, professional, social) dispatched to
  incidents needing a ground force / those incidents; ``fire_vehicles_per_fire_call`` the
  same for fire vehicles and incidents needing the fire service (national 2025: 1.92
  vehicles per call, all call kinds);
- ``ground_calls_per_100k_per_day``: incidents needing a ground force per 100,000 people of
  the study area per day (national 2025: 0.47, all call kinds incl. rural areas);
- ``runs_per_station_per_year``: per fire station, the incidents it sent at least one
  vehicle to, scaled to 365 days (median and maximum; 135 Chinese stations made more than
  1,000 runs in 2025);
- ``utilisation``: fire units' busy time / (units × simulated time), city-wide, and the
  median and maximum over fire stations; with crews (units.csv ``crews``,
  :mod:`twin.sim.turnouts`) also ``fire_crews`` (crew time out on turnouts / (crews ×
  simulated time)) and ``crew_station_max``;
- ``vehicles_per_turnout``: fire vehicles dispatched / turnouts (with crews).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from twin.sim.forces import GROUND_FORCES

YEAR_S = 365 * 86400.0
REFERENCES = {
    "vehicles_per_call_national_2025": 1.92,
    "calls_per_100k_per_day_national_2025": 0.47,
    "fire_and_rescue_calls_per_100k_per_day_national_2025": 0.25,
    "stations_over_1000_runs_2025": 135,
}
"""Checked national figures (National Fire and Rescue Administration, 2026-03-17 press
conference on 2025); provenance in docs/calibration.md."""


def _station_of(unit_ids: pd.Series) -> pd.Series:
    """Station id of each unit id ``<station_id>/<k>`` (each distinct id split once: a
    year of the municipality has a million dispatches of 33 thousand units)."""
    codes, uniq = pd.factorize(unit_ids, use_na_sentinel=False)
    stations = pd.Index(uniq).astype(str).str.rsplit("/", n=1).str[0].to_numpy(object)
    return pd.Series(stations[codes], index=unit_ids.index, dtype=object)


def _dispatches(events: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Dispatch events with ``station_id`` and ``force`` of the unit sent."""
    if events.empty or "kind" not in events:
        return pd.DataFrame({"incident_id": [], "station_id": [], "force": []})
    d = events[events["kind"].astype(str) == "dispatched"]
    d = pd.DataFrame(
        {
            "incident_id": d["incident_id"].astype("Int64").to_numpy(),
            "station_id": _station_of(d["unit_id"]).to_numpy(object),
        }
    )
    force = dict(zip(units["station_id"].astype(str), units["force"].astype(str)))
    d["force"] = d["station_id"].map(force)
    return d


def _ratio(a: float, b: float) -> float | None:
    return None if b == 0 else round(a / b, 4)


def _r(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), 4)


def calibration(
    incidents: pd.DataFrame,
    events: pd.DataFrame,
    units: pd.DataFrame,
    population: float,
    duration_s: float,
    fire_types: list[str] | None = None,
) -> dict:
    """The calibration block (module docstring). ``population``: people of the study area
    (the districts incidents are drawn in); ``duration_s``: simulated time (s);
    ``fire_types``: incident types needing the fire service (None: not reported)."""
    days = duration_s / 86400.0
    ground_ids = (
        set(incidents.loc[incidents["met_30"].notna(), "incident_id"].tolist())
        if "met_30" in incidents
        else set()
    )
    d = _dispatches(events, units)
    ground_disp = d[d["force"].isin(GROUND_FORCES) & d["incident_id"].isin(ground_ids)]
    fire = units[units["force"].astype(str) == "fire"]
    out: dict = {
        "ground_calls": len(ground_ids),
        "ground_vehicle_dispatches": int(len(ground_disp)),
        "vehicles_per_ground_call": _ratio(len(ground_disp), len(ground_ids)),
        "ground_calls_per_100k_per_day": _ratio(len(ground_ids), population / 1e5 * days)
        if population
        else None,
    }
    if fire_types is not None:
        fire_ids = set(incidents.loc[incidents["type"].isin(fire_types), "incident_id"])
        n_fire = int(((d["force"] == "fire") & d["incident_id"].isin(fire_ids)).sum())
        out["fire_calls"] = len(fire_ids)
        out["fire_vehicles_per_fire_call"] = _ratio(n_fire, len(fire_ids))
    out.update(_station_runs(d, fire, duration_s))
    out["references"] = REFERENCES
    return out


def _station_runs(d: pd.DataFrame, fire: pd.DataFrame, duration_s: float) -> dict:
    """Runs per fire station per year (median, max) and fire-unit utilisation."""
    if fire.empty or duration_s <= 0:
        return {"fire_stations": 0}
    fd = d[d["force"] == "fire"].drop_duplicates(["station_id", "incident_id"])
    runs = fd.groupby("station_id").size().reindex(fire["station_id"].astype(str), fill_value=0)
    per_year = runs.to_numpy(float) * YEAR_S / duration_s
    units = fire["units"].to_numpy(float)
    busy = fire["busy_s"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        station_util = np.where(units > 0, busy / (units * duration_s), np.nan)
    util = {
        "fire_units": _r(busy.sum() / max(units.sum() * duration_s, 1e-9)),
        "station_median": _r(float(np.nanmedian(station_util))),
        "station_max": _r(float(np.nanmax(station_util))),
    }
    out = {
        "fire_stations": int(len(fire)),
        "fire_units": int(units.sum()),
        "runs_per_station_per_year": {
            "median": _r(float(np.median(per_year))),
            "max": _r(float(per_year.max())),
            "stations_over_1000": int((per_year > 1000).sum()),
        },
        "utilisation": util,
    }
    if "crews" in fire and fire["crews"].sum() > 0:
        crews = fire["crews"].to_numpy(float)
        crew_busy = fire["crew_busy_s"].to_numpy(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            crew_util = np.where(crews > 0, crew_busy / (crews * duration_s), np.nan)
        util["fire_crews"] = _r(crew_busy.sum() / (crews.sum() * duration_s))
        util["crew_station_max"] = _r(float(np.nanmax(crew_util)))
        out["fire_crews"] = int(crews.sum())
        out["vehicles_per_turnout"] = _ratio(
            float(fire["dispatches"].sum()), float(fire["turnouts"].sum())
        )
    return out
