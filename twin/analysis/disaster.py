"""Disaster measures of a run: the surge as it unfolded (``surge.csv``) and the rescues of
trapped people per day (``rescues.csv``), with their summary blocks for ``summary.json``.

``surge.csv`` — one row per hour of the run (:data:`twin.sim.surge.SURGE_COLUMNS`): ``hour``,
``t_s``, ``surge`` (declared at that moment), ``open`` and ``open_life_risk`` incidents
(units ordered, not cleared), ``sites_without_crew`` (open incidents needing ground units with
none on scene yet), ``committed`` units (dispatched, not yet back) in all and per road
force, ``reinforcements_arrived`` (cumulative units).

``rescues.csv`` — per day of the run since its start (``day`` 0 = the first 24 h):
``sites`` collapses and entrapments (:data:`twin.analysis.targets.RESCUE_TYPES`) that
happened that day, ``reached`` sites whose first ground rescue unit arrived that day,
``reached_cum`` and ``share_cum`` (of all such sites of the run, reached by the end of
that day).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from twin.analysis.targets import RESCUE_TYPES
from twin.sim.surge import SURGE_COLUMNS

DAY = 86400.0
SUMMARY_HOURS = 72
"""summary.json carries the hourly record of the first 72 hours (the whole in surge.csv)."""
RESCUE_COLUMNS = ["day", "sites", "reached", "reached_cum", "share_cum"]


def surge_table(rows: list[tuple]) -> pd.DataFrame:
    """The hourly record as a table (:data:`SURGE_COLUMNS`)."""
    return pd.DataFrame(rows, columns=SURGE_COLUMNS)


def rescue_table(incidents: pd.DataFrame, duration_s: float) -> pd.DataFrame:
    """Rescues of trapped people per day (see the module docstring); days run from 0 to
    the last day with a site or an arrival (at least the run's days)."""
    sites = incidents[incidents["type"].isin(RESCUE_TYPES)]
    onset = sites["onset_s"].to_numpy(float)
    reach = sites["first_ground_s"].to_numpy(float)
    last = max(
        math.ceil(duration_s / DAY),
        int(np.nanmax(reach) // DAY) + 1 if np.isfinite(reach).any() else 0,
    )
    days = np.arange(last)
    happened = np.bincount((onset // DAY).astype(np.int64), minlength=last)[:last]
    got = reach[np.isfinite(reach)]
    reached = np.bincount((got // DAY).astype(np.int64), minlength=last)[:last]
    cum = np.cumsum(reached)
    share = cum / len(sites) if len(sites) else np.full(last, np.nan)
    return pd.DataFrame(
        {"day": days, "sites": happened, "reached": reached, "reached_cum": cum, "share_cum": share}
    )


def surge_summary(surge: pd.DataFrame, declared_s: list[float]) -> dict[str, Any]:
    """The ``surge`` block of summary.json: when a surge was declared, the peaks, and the
    hourly ``[hour, open, open_life_risk, sites_without_crew, committed]`` of the first
    :data:`SUMMARY_HOURS` hours."""
    head = surge[surge["hour"] < SUMMARY_HOURS]
    cols = ["hour", "open", "open_life_risk", "sites_without_crew", "committed"]
    return {
        "declared_s": [round(t, 1) for t in declared_s],
        "peak_open": int(surge["open"].max()) if len(surge) else 0,
        "peak_committed": int(surge["committed"].max()) if len(surge) else 0,
        "reinforcements_arrived": int(surge["reinforcements_arrived"].max()) if len(surge) else 0,
        "hourly_columns": cols,
        "hourly": head[cols].astype(int).to_numpy().tolist(),
    }


def rescue_summary(rescues: pd.DataFrame) -> list[dict[str, Any]]:
    """The ``rescues_per_day`` block of summary.json (days with a site or an arrival)."""
    busy = rescues[(rescues["sites"] > 0) | (rescues["reached"] > 0)]
    return [
        {
            "day": int(r["day"]),
            "sites": int(r["sites"]),
            "reached": int(r["reached"]),
            "share_cum": None if pd.isna(r["share_cum"]) else round(float(r["share_cum"]), 4),
        }
        for r in busy.to_dict(orient="records")
    ]
