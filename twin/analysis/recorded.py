"""Simulated against recorded response times, for a run driven by incident records.

Each record became a scripted incident labelled ``record:<line>``
(:mod:`twin.importers.records`), so a run's incident table joins back to the records by
label. The recorded response is ``arrival_time − time`` (the call); the simulated one is
the first ground unit's arrival (fire, professional or social) after the alarm
(``resp_ground_s``; for a type no ground force serves, the first community responder's,
``resp_community_s``) — both measured from the call. A record without an arrival time,
or an incident no unit reached, has no pair and is counted, not compared.

:func:`validation_table` gives, per scope (``city``, ``district:<id>``, ``type:<name>``):
``records``, ``pairs`` (both times known), recorded and simulated median and 90th
percentile (s), and the gap: median of (simulated − recorded) over the pairs and its
share of the recorded median.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from twin.importers.records import LABEL_PREFIX

COLUMNS = [
    "scope",
    "records",
    "pairs",
    "recorded_p50_s",
    "simulated_p50_s",
    "recorded_p90_s",
    "simulated_p90_s",
    "gap_p50_s",
    "gap_share",
]


def paired(records: pd.DataFrame, incidents: pd.DataFrame) -> pd.DataFrame:
    """One row per record with its recorded and simulated response (s from the call)."""
    inc = incidents[incidents["label"].astype(str).str.startswith(LABEL_PREFIX)].copy()
    inc["line"] = inc["label"].str[len(LABEL_PREFIX) :].astype(np.int64)
    sim = inc["resp_ground_s"].astype(float)
    if "resp_community_s" in inc:
        sim = sim.fillna(inc["resp_community_s"].astype(float))
    inc["simulated_s"] = sim.to_numpy()
    out = records.merge(inc[["line", "simulated_s"]], on="line", how="left")
    out["recorded_s"] = out["arrival_s"].astype(float)
    return out


def _row(scope: str, g: pd.DataFrame) -> dict[str, object]:
    both = g.dropna(subset=["recorded_s", "simulated_s"])
    rec, sim = both["recorded_s"].to_numpy(float), both["simulated_s"].to_numpy(float)
    has = len(both) > 0
    rec_p50 = float(np.median(rec)) if has else np.nan
    gap = float(np.median(sim - rec)) if has else np.nan
    return {
        "scope": scope,
        "records": len(g),
        "pairs": len(both),
        "recorded_p50_s": rec_p50,
        "simulated_p50_s": float(np.median(sim)) if has else np.nan,
        "recorded_p90_s": float(np.quantile(rec, 0.9)) if has else np.nan,
        "simulated_p90_s": float(np.quantile(sim, 0.9)) if has else np.nan,
        "gap_p50_s": gap,
        "gap_share": gap / rec_p50 if has and rec_p50 > 0 else np.nan,
    }


def validation_table(pairs: pd.DataFrame) -> pd.DataFrame:
    """The comparison by city, district and type (see the module docstring)."""
    rows = [_row("city", pairs)]
    for d, g in pairs.groupby("district_id", sort=True):
        rows.append(_row(f"district:{d}", g))
    for t, g in pairs.groupby("type", sort=True):
        rows.append(_row(f"type:{t}", g))
    return pd.DataFrame(rows, columns=COLUMNS)
