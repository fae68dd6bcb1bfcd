"""Metrics: the run's tables (incidents, events, routes, units, mutual aid, coverage) as
DataFrames, and the places that miss a target most.

The incidents table carries, per incident, the first arrival per force, the response
times and the met flags of the three headline targets (from the alarm: 10 min community
responder, 30 min first ground unit, 60 min helicopter; NA where the target does not
apply, False where nobody came), and the time-chain columns the engine records
(:data:`CHAIN_COLUMNS`). compliance.csv — every registered target × scope — is built by
:mod:`twin.analysis.compliance` (re-exported here as :func:`compliance_table`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from itertools import chain
from typing import Any, cast

import numpy as np
import pandas as pd
from scipy.sparse.csgraph import dijkstra

from twin.analysis.compliance import COMPLIANCE_COLUMNS as COMPLIANCE_COLUMNS  # re-exported
from twin.analysis.compliance import compliance_table as compliance_table  # re-exported
from twin.model.roads import PERIODS, shortest_times
from twin.sim.columns import chain_columns
from twin.sim.engine import KINDS, LEGS, SimResult
from twin.sim.forces import FORCES, GROUND_FORCES, TARGETS_S
from twin.sim.incidents import DETECTED_BY

WORST_MIN_INCIDENTS = 5
"""Cells/districts with fewer incidents needing the target are not ranked as worst."""
GROUND = [FORCES.index(f) for f in GROUND_FORCES]


def _needs(sim: SimResult) -> np.ndarray:
    """Bool (n_types × n_forces): does the type need the force."""
    types = sim.engine.types
    out = np.zeros((len(types), len(FORCES)), bool)
    for i, t in enumerate(types):
        for name, _ in t.needs:
            out[i, FORCES.index(name)] = True
    return out


def incident_table(sim: SimResult) -> pd.DataFrame:
    """One row per incident (ARCHITECTURE.md ``incidents.parquet``), sorted by id; extra
    columns: ``first_<force>_s`` per force, ``queued``, ``cause``, ``label``, ``parent_id``."""
    eng = sim.engine
    incs = sim.incidents
    n = len(incs)
    code = np.fromiter((i.code for i in incs), np.int64, n)
    node = np.fromiter((i.node for i in incs), np.int64, n)
    alarm = np.fromiter((i.alarm for i in incs), float, n)
    onset = np.fromiter((i.onset for i in incs), float, n)
    first = np.array([i.first for i in incs], float).reshape(n, len(FORCES))
    air_called = np.fromiter((i.air for i in incs), bool, n)
    need = _needs(sim)[code]
    community = first[:, FORCES.index("community")]
    ground = np.fmin.reduce(first[:, GROUND], axis=1) if n else np.empty(0)
    air = first[:, FORCES.index("air")]
    lonlat = eng.city.lonlat_from_xy(eng.xy[node])
    pl = eng.placement
    cell = pl.node_cell[node]
    cells = np.array(list(pl.cell_ids) + [""], dtype=object)
    df = pd.DataFrame(
        {
            "incident_id": np.arange(n, dtype=np.int64),
            "type": np.array([t.name for t in eng.types], dtype=object)[code],
            "district_id": np.array(list(eng.districts) + [""], dtype=object)[
                np.where(eng.node_district[node] >= 0, eng.node_district[node], len(eng.districts))
            ],
            "cell_id": cells[np.where(cell >= 0, cell, len(cells) - 1)],
            "node_id": eng.net.node_ids[node],
            "x": lonlat[:, 0],
            "y": lonlat[:, 1],
            "onset_s": onset,
            "alarm_s": alarm,
            "detection_delay_s": alarm - onset,
            "detected_by": np.array(DETECTED_BY, dtype=object)[
                np.fromiter((i.by for i in incs), np.int64, n)
            ],
            "first_community_s": community,
            "first_ground_s": ground,
            "first_air_s": air,
            "resp_community_s": community - alarm,
            "resp_ground_s": ground - alarm,
            "resp_air_s": air - alarm,
            "met_10": _met(community - alarm, need[:, FORCES.index("community")], "10min"),
            "met_30": _met(ground - alarm, cast(np.ndarray, need[:, GROUND].any(axis=1)), "30min"),
            "met_60": _met(air - alarm, air_called, "60min"),
            "mutual_aid": np.fromiter((i.mutual_aid for i in incs), bool, n),
            "cleared_s": np.fromiter((i.cleared_s for i in incs), float, n),
        }
    )
    for f, name in enumerate(FORCES):
        df[f"first_{name}_s"] = first[:, f]
    df["queued"] = np.fromiter((i.queued for i in incs), bool, n)
    df["cause"] = [i.cause for i in incs]
    df["label"] = [i.label for i in incs]
    df["parent_id"] = pd.array([i.parent if i.parent >= 0 else None for i in incs], "Int64")
    chain_cols = chain_columns(incs)  # the time chain: CHAIN_COLUMNS first, then the rest
    for col in (*CHAIN_COLUMNS, *(c for c in chain_cols if c not in CHAIN_COLUMNS)):
        df[col] = chain_cols[col]
    return df


ROUTE_COLUMNS = (
    "unit_id",
    "force",
    "station_id",
    "incident_id",
    "leg",
    "depart_s",
    "arrive_s",
    "path",
    "times_s",
)
"""The columns of ``routes.parquet`` (ARCHITECTURE.md, "Results folder")."""
CHAIN_COLUMNS = ("call_s", "turnout_s", "travel_s", "dispatch_s", "full_s")
"""The time chain's first columns, in the table's order (:func:`twin.sim.columns.chain_columns`
says what each is): ``call_s``, ``turnout_s``, ``travel_s`` are durations (call handling;
turnout and travel of the first ground vehicle), ``dispatch_s`` and ``full_s`` absolute
times (the dispatch order; the whole first assignment on scene, NaN if never); then
``first_fire_s`` and ``air_request_s``."""


def _met(resp: np.ndarray, applies: np.ndarray, target: str) -> pd.arrays.BooleanArray:
    """Nullable bool: NA where the target does not apply, False where nobody came."""
    met = np.nan_to_num(resp, nan=math.inf) <= TARGETS_S[target]
    return pd.array(np.where(applies, met, None), dtype="boolean")


def event_table(sim: SimResult) -> pd.DataFrame:
    """One row per state change (``events.parquet``), sorted by time then order logged."""
    eng = sim.engine
    if not sim.events:
        cols: dict[str, list[Any]] = {
            "t_s": [],
            "kind": [],
            "incident_id": [],
            "unit_id": [],
            "node_id": [],
            "from_district": [],
            "to_district": [],
        }
        return pd.DataFrame(cols).astype({"t_s": float, "incident_id": "Int64"})
    flat = np.fromiter(chain.from_iterable(sim.events), float, count=7 * len(sim.events))
    flat = flat.reshape(-1, 7)
    t = flat[:, 0]
    kind, inc, unit, node, frm, to = flat[:, 1:].astype(np.int64).T
    order = np.argsort(t, kind="stable")  # by time, then as logged (a timsort: nearly in order)
    districts = list(eng.districts)

    def cat(codes: np.ndarray, names: Iterable[Any]) -> pd.Categorical:
        return pd.Categorical.from_codes(
            codes[order], categories=pd.Index(list(names), dtype=object)
        )

    return pd.DataFrame(
        {
            "t_s": t[order],
            "kind": cat(kind, KINDS),
            "incident_id": pd.arrays.IntegerArray(inc[order].astype(np.int64), inc[order] < 0),
            "unit_id": cat(unit, eng.fleet.unit_ids),
            "node_id": cat(node, eng.net.node_ids),
            "from_district": cat(frm, districts),
            "to_district": cat(to, districts),
        }
    )


def route_table(sim: SimResult) -> pd.DataFrame:
    """The trips units made (``routes.parquet``), when routes were recorded."""
    eng = sim.engine
    cols = list(ROUTE_COLUMNS)
    if not sim.routes:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    node_ll = eng.city.lonlat_from_xy(eng.xy).round(6)
    fl = eng.fleet
    rows = []
    for unit, inc, leg, dep, arr, road, path, times in sim.routes:
        if road:
            pts = node_ll[np.asarray(path, np.int64)].tolist()
        else:
            pts = eng.city.lonlat_from_xy(np.asarray(path, float)).round(6).tolist()
        s = fl.unit_station[unit]
        rows.append(
            (
                fl.unit_ids[unit],
                FORCES[fl.station_force[s]],
                fl.station_ids[s],
                inc,
                LEGS[leg],
                dep,
                arr,
                pts,
                [round(float(x), 3) for x in times],
            )
        )
    df = pd.DataFrame(rows, columns=cols)
    return df.sort_values(["depart_s", "unit_id", "leg"], kind="stable", ignore_index=True)


def worst(
    incidents: pd.DataFrame,
    key: str,
    target: str = "30min",
    top: int = 10,
    min_count: int = WORST_MIN_INCIDENTS,
) -> list[dict]:
    """The ``top`` places (``district_id`` or ``cell_id``) with the lowest share meeting
    ``target`` (ties: larger p90 first), among those with ≥ ``min_count`` incidents."""
    met_col, resp_col = {
        "10min": ("met_10", "resp_community_s"),
        "30min": ("met_30", "resp_ground_s"),
        "60min": ("met_60", "resp_air_s"),
    }[target]
    d = incidents[incidents[met_col].notna() & (incidents[key].astype(str) != "")]
    if d.empty:
        return []
    frame = pd.DataFrame(
        {
            key: d[key].astype(str).to_numpy(object),
            "met": d[met_col].astype(bool).to_numpy(float),
            "resp": d[resp_col].to_numpy(float),
        }
    )
    by = frame.groupby(key, sort=True)
    g = pd.DataFrame(
        {
            "count": by["met"].size(),
            "met_share": by["met"].mean(),
            "p90_s": by["resp"].quantile(0.9),
        }
    )
    g = g[g["count"] >= min_count].rename_axis(key).reset_index()
    g = g.sort_values(["met_share", "p90_s", key], ascending=[True, False, True]).head(top)
    return [
        {
            key: str(r[key]),
            "count": int(r["count"]),
            "met_share": round(r["met_share"], 4),
            "p90_s": None if math.isnan(r["p90_s"]) else round(r["p90_s"], 1),
        }
        for _, r in g.iterrows()
    ]


def unit_table(sim: SimResult) -> pd.DataFrame:
    """units.csv: per station — units, dispatches, busy time (s, within the simulated
    duration: the drain after it is not counted), utilisation (busy time / (units ×
    simulated duration), so ≤ 1); with fire crews (:mod:`twin.sim.turnouts`): ``crews``,
    ``turnouts``, ``crew_busy_s`` (crew-seconds out on turnouts) and ``crew_utilisation``
    (crew_busy_s / (crews × simulated duration)); 0 where a station has no crews."""
    eng = sim.engine
    fl = eng.fleet
    busy = np.bincount(fl.unit_station, weights=sim.unit_busy_s, minlength=len(fl.station_ids))
    units = fl.station_units
    denom = np.maximum(units, 1) * sim.duration_s
    n = len(fl.station_ids)
    crews = sim.station_crews if sim.station_crews is not None else np.zeros(n, np.int64)
    crew_busy = sim.crew_busy_s if sim.crew_busy_s is not None else np.zeros(n)
    turnouts = sim.turnouts if sim.turnouts is not None else np.zeros(n, np.int64)
    crew_denom = np.maximum(crews, 1) * sim.duration_s
    return pd.DataFrame(
        {
            "station_id": fl.station_ids,
            "force": np.array(FORCES, dtype=object)[fl.station_force],
            "district_id": np.array(list(fl.districts) + [""], dtype=object)[fl.station_district],
            "units": units,
            "dispatches": sim.station_dispatches,
            "busy_s": busy.round(1),
            "utilisation": np.where(units > 0, busy / denom, 0.0).round(5),
            "crews": crews,
            "turnouts": turnouts,
            "crew_busy_s": crew_busy.round(1),
            "crew_utilisation": np.where(crews > 0, crew_busy / crew_denom, 0.0).round(5),
        }
    )


def mutual_aid_table(sim: SimResult) -> pd.DataFrame:
    """mutual_aid.csv: dispatches of district-level units across districts, from → to."""
    d = sim.engine.districts
    rows = sorted(
        ((d[a], d[b], n) for (a, b), n in sim.mutual_aid.items()), key=lambda r: (-r[2], r[0], r[1])
    )
    return pd.DataFrame(rows, columns=["from_district", "to_district", "count"]).astype(
        {"count": np.int64}
    )


def coverage_table(sim: SimResult) -> pd.DataFrame:
    """coverage.parquet: per road node, the best off-peak ground response time (s) from any
    fire station (turnout + road time, comparable to the 30-min target) and the best
    community response (turnout + walk from the nearest post, availability ignored).

    The ground times are computed on the network the run had at its most closed: every road
    edge that a closure shut at any time during the run is left out (for a whole-run
    closure, such as the bridges-closed scenario, that is the network of the whole run; for
    a short closure it is the worst moment), with the traffic of the run's longest traffic
    regime (closures and weather re-assigned: :mod:`twin.model.traffic`) if it had one.
    ``t_ground_s`` is off-peak; ``t_ground_night_s``, ``t_ground_offpeak_s`` and
    ``t_ground_peak_s`` give each period. Without closures or regimes these are the
    engine's own travel-time tables."""
    eng = sim.engine
    spec = eng.config.forces
    fl = eng.fleet
    n = eng.net.n_nodes
    fire = fl.of_force("fire")
    t_period = {p: np.full(n, np.nan) for p in PERIODS}
    if len(fire):
        for p in PERIODS:
            t = _ground_min(sim, eng.station_row[fire], p)
            t_period[p] = np.where(np.isfinite(t), t + spec["fire"].turnout_s, np.nan)
    t_ground = t_period["offpeak"]
    posts = fl.of_force("community")
    t_comm = np.full(n, np.nan)
    if len(posts):
        from scipy.spatial import cKDTree  # noqa: PLC0415 — only for coverage

        c = spec["community"]
        d, _ = cKDTree(fl.station_xy[posts]).query(eng.xy)
        t_comm = c.turnout_s + d * c.circuity / c.speed_m_s
    return pd.DataFrame(
        {
            "node_id": eng.net.node_ids,
            "t_ground_s": t_ground.round(1),
            "t_community_s": t_comm.round(1),
            **{f"t_ground_{p}_s": t_period[p].round(1) for p in PERIODS},
        }
    )


def _ground_min(sim: SimResult, rows: np.ndarray, period: str = "offpeak") -> np.ndarray:
    """Road time (s) in ``period`` from the nearest of the sources at ``rows`` to every node,
    on the network without the run's closed edges (K-nearest mode: one multi-source search,
    never a dense table)."""
    eng = sim.engine
    if eng.nearest is None:
        return _ground_times(sim, period)[rows].min(axis=0)
    closed = np.zeros(len(eng.net.edge_ids), bool)
    for c in sim.closures:
        closed[list(c.edges)] = True
    m = eng.net.matrix(eng.net.edge_times(period, closed))
    nodes = eng.sources[np.unique(rows)]
    return np.asarray(dijkstra(m, directed=True, indices=nodes, min_only=True))


def _ground_times(sim: SimResult, period: str = "offpeak") -> np.ndarray:
    """Road times (s) in ``period``, rows = the engine's source nodes, on the network with
    every edge closed at any time during the run left out, in the traffic of the run's
    longest traffic regime (if any). Dense tables only (see :func:`_ground_min`)."""
    eng = sim.engine
    closed = np.zeros(len(eng.net.edge_ids), bool)
    for c in sim.closures:
        closed[list(c.edges)] = True
    tt = eng.tt
    if eng.regimes:
        tt = max(eng.regimes, key=lambda r: min(r[1], sim.duration_s) - r[0])[2]
    if not closed.any():
        return tt.out[PERIODS.index(period)]
    m = tt.net.matrix(tt.net.edge_times(period, closed))
    return shortest_times(m, eng.sources)


def counts(sim: SimResult, incidents: pd.DataFrame, events: pd.DataFrame) -> dict[str, int]:
    """Headline counts of a run (for summary.json and the terminal)."""
    kinds = events["kind"].value_counts().to_dict() if len(events) else {}
    return {
        "incidents": int(len(incidents)),
        "dispatches": int(kinds.get("dispatched", 0)),
        "mutual_aid": int(kinds.get("mutual_aid", 0)),
        "queued": int(kinds.get("queued", 0)),
        "no_unit": int(kinds.get("no_unit", 0)),
        "cascades": int(sim.cascades),
        "reroutes": int(kinds.get("reroute", 0)),
        "closures": int(len(sim.closures)),
        "events": int(len(events)),
    }
