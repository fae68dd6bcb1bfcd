"""A dispatch centre's incident records: read, checked row by row, and replayed as a run.

``twin run --city CITY --incidents FILE`` drives the run with the recorded incidents
instead of random demand (trace-driven simulation), then compares simulated with recorded
response times (:mod:`twin.analysis.recorded`).

The file
    CSV (UTF-8, header row) or Parquet; columns (after the ``[incidents]`` section of
    ``--map FILE.toml``, :mod:`twin.importers.columns`):

    - ``time`` — when the call came in: an ISO date-time (``2024-05-01 08:13:05``, local
      time as recorded) or seconds since the start of the run;
    - the place: ``lon``/``lat`` (degrees; WGS84 unless the mapping declares ``datum =
      "gcj02"`` or ``"bd09"``), or ``node_id`` (a road node of the city);
    - ``type`` — an incident type of the catalogue (``twin.sim.incidents.CATALOGUE``;
      ``values.type = {...}`` in the mapping turns yours into ours);
    - optional ``dispatch_time``, ``arrival_time``, ``clear_time`` (same format as
      ``time``): the recorded response, used for validation only.

    The run starts at midnight before the first record (date-times) or at 0 (seconds), so
    the time of day of each record is kept.
Bad rows
    Every row that cannot be used is listed with its line number (CSV: the file's line,
    header = 1; Parquet: row number from 1) and why: unreadable time, no place, a place
    outside the districts or more than ``MAX_SNAP_M`` from a road, unknown type or node,
    an arrival before the call. By default they stop the run (one TwinDataError listing
    them all); with ``skip_bad=True`` (``--skip-bad-rows``) the rest are used and the bad
    rows are printed and written to ``records_skipped.csv`` in the results. Nothing is
    dropped silently.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from twin.errors import Problem, TwinDataError
from twin.importers.columns import TableMap, read_table
from twin.model.city import City
from twin.model.validate import MAX_SNAP_M
from twin.scenario.spec import Scenario
from twin.sim.incidents import CATALOGUE

TIME_COLUMNS = ("time", "dispatch_time", "arrival_time", "clear_time")
LABEL_PREFIX = "record:"
"""Scripted incidents made from records are labelled ``record:<line>``."""


@dataclass
class Records:
    """Usable records (one row each: ``line``, ``onset_s``, ``type``, ``node_id``,
    ``district_id``, recorded ``dispatch_s``/``arrival_s``/``clear_s`` from the call, NaN
    when not recorded), the start of the run, and the bad rows."""

    table: pd.DataFrame
    start: pd.Timestamp | None
    bad: list[Problem] = field(default_factory=list)

    @property
    def days(self) -> float:
        """Days a run must last to include every record (whole days, at least 1)."""
        last = float(self.table["onset_s"].max()) if len(self.table) else 0.0
        return float(max(1, math.ceil((last + 3600.0) / 86400.0)))


def read_records(path: Path, m: TableMap, city: City, *, skip_bad: bool = False) -> Records:
    """Read and check incident records against ``city`` (see the module docstring)."""
    raw = read_table(Path(path), m, "incident records")
    where = str(path)
    problems: list[Problem] = []
    lines = raw["_line"].to_numpy()

    def flag(
        mask: np.ndarray, what: str, fix: str, detail: Callable[[int], str] | None = None
    ) -> None:
        for i in np.flatnonzero(mask):
            text = what if detail is None else f"{what}: {detail(int(i))}"
            problems.append(Problem(where, text, fix, line=int(lines[i])))

    if "time" not in raw.columns:
        raise TwinDataError.one(
            where,
            "no 'time' column",
            "name the call time column 'time' (rename = { CALL_TIME = \"time\" } in --incidents-map)",
            title="cannot read incident records",
        )
    times, start = _times(raw)
    flag(
        ~np.isfinite(times["time"]),
        "unreadable time",
        "write ISO date-times (2024-05-01 08:13:05) or seconds since the start",
        lambda i: repr(str(raw["time"].iat[i])),
    )
    types = raw["type"].astype(str).to_numpy() if "type" in raw else np.full(len(raw), "")
    known = np.isin(types, list(CATALOGUE))
    flag(
        ~known,
        "unknown incident type",
        f"use one of {', '.join(CATALOGUE)} (values.type = {{...}} in --incidents-map maps yours)",
        lambda i: _type_text(types[i]),
    )
    node, dist = _places(raw, city)
    flag(
        node < 0,
        "no usable place (lon/lat or a known node_id)",
        "give lon and lat (WGS84 unless datum is declared) or a node_id of the city",
    )
    far = (node >= 0) & ~(dist <= MAX_SNAP_M)
    flag(
        far,
        f"more than {MAX_SNAP_M:.0f} m from the nearest road node",
        "check the coordinates (lon first, then lat) and their datum (gcj02/bd09 from "
        "Chinese map apps)",
        lambda i: f"{dist[i]:,.0f} m",
    )
    node_district = city.road_nodes["district_id"].astype(str).to_numpy()
    core = set(city.core_districts["district_id"].astype(str))
    district = np.where(node >= 0, node_district[np.maximum(node, 0)], "")
    outside = (node >= 0) & ~far & ~np.isin(district, list(core))
    flag(outside, "outside the city's districts", "use records of this city only")
    rel = {c: times[c] - times["time"] for c in TIME_COLUMNS[1:]}
    flag(
        np.isfinite(rel["arrival_time"]) & (rel["arrival_time"] < 0),
        "arrival before the call",
        "check the arrival_time column",
    )
    ok = (
        np.isfinite(times["time"])
        & known
        & (node >= 0)
        & ~far
        & ~outside
        & ~(np.isfinite(rel["arrival_time"]) & (rel["arrival_time"] < 0))
    )
    problems.sort(key=lambda p: p.line or 0)
    if problems and not skip_bad:
        raise TwinDataError(
            problems,
            title=f"{len(problems)} bad incident records "
            "(or pass --skip-bad-rows to use the others)",
        )
    node_ids = city.road_nodes["node_id"].astype(str).to_numpy()
    table = pd.DataFrame(
        {
            "line": lines[ok].astype(np.int64),
            "onset_s": times["time"][ok],
            "type": types[ok],
            "node_id": node_ids[node[ok]],
            "district_id": district[ok],
            "dispatch_s": rel["dispatch_time"][ok],
            "arrival_s": rel["arrival_time"][ok],
            "clear_s": rel["clear_time"][ok],
        }
    ).sort_values(["onset_s", "line"], ignore_index=True)
    return Records(table, start, problems)


def _type_text(name: str) -> str:
    """The unknown type as written, with the closest known one if there is one."""
    near = difflib.get_close_matches(name, list(CATALOGUE), n=1)
    return repr(name) + (f" (did you mean '{near[0]}'?)" if near else "")


def _times(raw: pd.DataFrame) -> tuple[dict[str, np.ndarray], pd.Timestamp | None]:
    """Seconds since the run's start for each time column (NaN: unreadable or absent)."""
    numeric = pd.to_numeric(raw["time"], errors="coerce")
    as_seconds = numeric.notna().mean() > 0.5
    out: dict[str, np.ndarray] = {}
    start = None
    if as_seconds:
        for c in TIME_COLUMNS:
            out[c] = (
                pd.to_numeric(raw[c], errors="coerce").to_numpy(float)
                if c in raw
                else np.full(len(raw), np.nan)
            )
        return out, None
    parsed = {
        c: pd.to_datetime(raw[c], errors="coerce", format="mixed")
        if c in raw
        else pd.Series(pd.NaT, index=raw.index)
        for c in TIME_COLUMNS
    }
    first = parsed["time"].min()
    if pd.notna(first):
        start = first.normalize()
    for c, values in parsed.items():
        secs = (values - start).dt.total_seconds() if start is not None else values.isna() * np.nan
        out[c] = pd.to_numeric(secs, errors="coerce").to_numpy(float)
    return out, start


def _places(raw: pd.DataFrame, city: City) -> tuple[np.ndarray, np.ndarray]:
    """Road-node index and snap distance (m) of each row (−1 / inf without a place)."""
    n = len(raw)
    node = np.full(n, -1, np.int64)
    dist = np.full(n, np.inf)
    has_point = raw.geometry.notna().to_numpy() & ~raw.geometry.is_empty.to_numpy()
    if has_point.any():
        pts = raw.geometry[has_point]
        xy = city.xy_from_lonlat(pts.x.to_numpy(), pts.y.to_numpy()).reshape(-1, 2)
        idx, d = city.roads.snap(xy)
        node[has_point], dist[has_point] = idx, d
    if "node_id" in raw.columns:
        index = pd.Index(city.road_nodes["node_id"].astype(str))
        by_id = index.get_indexer(raw["node_id"].astype(str))
        use = (~has_point) & (by_id >= 0)
        node[use], dist[use] = by_id[use], 0.0
    return node, dist


def records_scenario(scenario: Scenario, records: Records, days: float | None = None) -> Scenario:
    """``scenario`` driven by ``records``: random demand off, one scripted incident per
    record (at its road node, detected by a call, labelled ``record:<line>``); ``days``
    (None: long enough for every record)."""
    scripted = [
        {
            "t_min": float(r.onset_s) / 60.0,
            "type": str(r.type),
            "node_id": str(r.node_id),
            "label": f"{LABEL_PREFIX}{int(r.line)}",
            "detection": "call",
        }
        for r in records.table.itertuples(index=False)
    ]
    incidents = scenario.incidents.model_dump()
    incidents.update({"random": False, "scripted": scripted})
    return scenario.with_(incidents=incidents, days=days or records.days)
