"""Lifelines in the loop: pipe failures, closures, scripted drills and the run's timeline.

:func:`build_timeline` turns a scenario into everything that happens to the city during a
run besides random everyday incidents — road closures (scenario ``[[closures]]``),
hazards (:mod:`twin.hazards.natural`: ``[[rainstorm]]``, ``[[earthquake]]``), random pipe failures
(``[pipes]``) and scripted incidents (``[[incidents.scripted]]``) — as a
:class:`~twin.hazards.timeline.Timeline` the engine consumes. :func:`lifelines_table` summarises its
closures and outages for ``lifelines.parquet``; :func:`sensor_coverage` reports the share of
pipe length watched by sensors, which :func:`raise_coverage` raises for ``[[sensors]]``.

Random pipe failures
    Each pipe fails as a Poisson process with rate (per km per year)
    ``base[network][material] × age_factor × diameter_factor × failure_rate_multiplier``:

    * ``base``: :data:`BASE_RATE_PER_KM_YR`, the rate of a 30-year-old pipe. Water mains
      0.05–0.30 breaks/km/yr (cast iron highest, PE lowest): the US/Canada survey of Folkman
      (2018, "Water Main Break Rates in the USA and Canada", Utah State University) reports
      about 0.2/km/yr for cast iron and a few hundredths for ductile iron and PVC; we assume
      rates up to a few times those for Chongqing's older, hillier, higher-pressure networks
      (AWWA/UKWIR-style break-rate ranges of 0.1–0.4/km/yr for ageing metallic mains). Gas
      mains 0.02–0.20 leaks needing an emergency response per km/yr (PHMSA distribution
      annual-report leak rates, cast iron and bare steel highest). Drainage
      0.05–0.20 blockages causing street flooding per km/yr (assumption shaped by UK sewer
      blockage rates, WRc Sewerage Rehabilitation Manual). These are assumptions shaped by
      the literature, not Chongqing statistics.
    * ``age_factor = exp(A (age − 30))``, the exponential ageing of Shamir & Howard (1979,
      JAWWA 71(5)) with ``A`` = :data:`AGEING_PER_YEAR` (2 %/yr for metal, cement and clay,
      1 %/yr for plastics and ductile iron), capped to [0.25, 4].
    * ``diameter_factor = (150 mm / d)^0.5`` clipped to [0.5, 2]: small mains break more
      (Kettler & Goulter 1985, Can. J. Civ. Eng. 12(2)).

    Each failure (at the pipe's midpoint) becomes a :class:`~twin.hazards.timeline.ScheduledIncident`
    (water → ``water_main_burst``, gas → ``gas_leak``, drainage → ``waterlogging``;
    ``monitored`` from the pipe: a sensor means fast detection; cause ``pipe:<id>``) at the
    nearest road node responders can reach (:func:`twin.model.pipes.staging_nodes`), a
    :class:`~twin.hazards.timeline.ClosureEvent` of the road edges near the failure
    (:func:`twin.model.pipes.edges_near_pipes`) and an :class:`~twin.hazards.timeline.OutageEvent` (junctions
    and people cut off, :mod:`twin.model.pipes`) for the repair time, lognormal
    (:data:`REPAIR_TIME`: water median 7 h, 90 % within ~4–12 h; gas median 4 h, ~2–8 h;
    drainage median 2 h, ~1–4 h — assumptions in line with utilities' published repair
    targets).

Determinism
    :func:`build_timeline` draws one child seed per component (rainstorms, earthquakes, pipe
    failures, scripted drills) from the generator it is given, so a component's draws do not
    depend on whether the others are present: the same seed gives the same pipe failures with
    and without a rainstorm (common random numbers for comparing scenarios).
"""

from __future__ import annotations

import weakref
from typing import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from twin.model.pipes import (NETWORKS, edges_near_pipes, nearest_pipe, pipe_midpoints, pipe_network,
                        pipe_nodes, point_on_pipe, staging_nodes)
from twin.hazards.timeline import ClosureEvent, OutageEvent, ScheduledIncident, Timeline

HOUR = 3600.0
YEAR_S = 365.25 * 86400.0

REFERENCE_YEAR = 2025
"""'Now' for pipe ages (a constant, so runs do not depend on the clock)."""
REFERENCE_AGE = 30.0
"""Age (years) at which :data:`BASE_RATE_PER_KM_YR` applies."""
DEFAULT_AGE = 30.0
"""Age assumed for pipes with no install year."""

BASE_RATE_PER_KM_YR: dict[str, dict[str, float]] = {
    "water": {"cast_iron": 0.30, "asbestos_cement": 0.20, "steel": 0.15, "pvc": 0.12,
              "concrete": 0.10, "ductile_iron": 0.08, "pe": 0.05, "*": 0.15},
    "gas": {"cast_iron": 0.20, "steel": 0.08, "ductile_iron": 0.06, "pe": 0.02, "*": 0.08},
    "drainage": {"brick": 0.20, "clay": 0.15, "concrete": 0.10, "pvc": 0.05, "pe": 0.05,
                 "*": 0.10},
}
"""Failures needing a response per km per year at age 30 (see module docstring)."""
MATERIAL_ALIASES = {"ci": "cast_iron", "grey_iron": "cast_iron", "di": "ductile_iron",
                    "ac": "asbestos_cement", "welded_steel": "steel", "hdpe": "pe",
                    "polyethylene": "pe", "upvc": "pvc", "vitrified_clay": "clay",
                    "reinforced_concrete": "concrete", "rc": "concrete"}
AGEING_PER_YEAR: dict[str, float] = {"pe": 0.01, "pvc": 0.01, "ductile_iron": 0.01, "*": 0.02}
DIAMETER_REF_MM = 150.0
DEFAULT_DIAMETER_MM = 150.0

REPAIR_TIME: dict[str, tuple[float, float]] = {
    "water": (7 * HOUR, 0.35),
    "gas": (4 * HOUR, 0.42),
    "drainage": (2 * HOUR, 0.42),
}
"""Lognormal repair time per network: (median seconds, sigma of ln)."""
INCIDENT_OF_NETWORK = {"water": "water_main_burst", "gas": "gas_leak", "drainage": "waterlogging"}
"""Incident type a failure of each network causes."""
NETWORK_OF_INCIDENT = {v: k for k, v in INCIDENT_OF_NETWORK.items() if k != "drainage"}
"""Scripted incidents of these types placed by lon/lat attach to the nearest pipe."""
SCRIPT_PIPE_SNAP_M = 200.0
"""A scripted gas leak / main burst placed by lon/lat uses the nearest pipe of its network
within this distance (its id, monitored flag, closure and outage)."""


# ---------------------------------------------------------------------------- failure rates

def _material_key(materials: Sequence[object]) -> pd.Series:
    keys = pd.Series(list(materials), dtype=object).fillna("").astype(str).str.strip().str.lower()
    keys = keys.str.replace(r"[\s\-]+", "_", regex=True)
    return keys.replace(MATERIAL_ALIASES)


def failure_rates(pipes: pd.DataFrame, multiplier: float = 1.0,
                  reference_year: int = REFERENCE_YEAR) -> np.ndarray:
    """Failures per km per year of every pipe (see module docstring for the model)."""
    if len(pipes) == 0:
        return np.zeros(0)
    mat = _material_key(pipes["material"].to_numpy(dtype=object))
    net = pipes["network"].astype(str).to_numpy(dtype=object)
    base = np.empty(len(pipes))
    for n in np.unique(net):
        table = BASE_RATE_PER_KM_YR.get(n, {"*": 0.0})
        sel = net == n
        base[sel] = mat[sel].map(table).fillna(table["*"]).to_numpy(float)
    year = pd.to_numeric(pipes["install_year"], errors="coerce").to_numpy(float)
    age = np.where(np.isfinite(year), np.maximum(reference_year - year, 0.0), DEFAULT_AGE)
    a = mat.map(AGEING_PER_YEAR).fillna(AGEING_PER_YEAR["*"]).to_numpy(float)
    age_factor = np.clip(np.exp(a * (age - REFERENCE_AGE)), 0.25, 4.0)
    d = pd.to_numeric(pipes["diameter_mm"], errors="coerce").to_numpy(float)
    d = np.where(np.isfinite(d) & (d > 0), d, DEFAULT_DIAMETER_MM)
    dia_factor = np.clip(np.sqrt(DIAMETER_REF_MM / d), 0.5, 2.0)
    return base * age_factor * dia_factor * multiplier


def repair_times(networks: Sequence[str], rng: np.random.Generator) -> np.ndarray:
    """Lognormal repair durations (s), one per failure of the given networks."""
    med = np.array([REPAIR_TIME.get(n, REPAIR_TIME["water"])[0] for n in networks], float)
    sig = np.array([REPAIR_TIME.get(n, REPAIR_TIME["water"])[1] for n in networks], float)
    return med * np.exp(sig * rng.standard_normal(len(med)))


# ------------------------------------------------------------------------- failure → events

def pipe_failure_events(city, pipe_rows: Sequence[int], onset_s: Sequence[float],
                        rng: np.random.Generator, *, cause: str | None = None,
                        repair_s: Sequence[float] | None = None,
                        types: Sequence[str] | None = None,
                        monitored: Sequence[bool] | None = None,
                        labels: Sequence[str] | None = None,
                        points: np.ndarray | None = None,
                        ) -> tuple[list[ScheduledIncident], list[ClosureEvent]]:
    """An incident and a road closure for each failure of ``city.pipes`` row ``pipe_rows[i]``
    at ``onset_s[i]``, at ``points[i]`` (metres; default the pipe's midpoint). ``cause``
    defaults to ``pipe:<id>``; repair times are drawn unless given. The closure holds the
    roads near the failure point (:func:`twin.model.pipes.edges_near_pipes`) for the repair time;
    the incident is at the nearest road node responders can still reach
    (:func:`twin.model.pipes.staging_nodes`)."""
    rows = np.asarray(pipe_rows, np.int64)
    if len(rows) == 0:
        return [], []
    pipes = city.pipes
    onset = np.asarray(onset_s, float)
    nets = pipes["network"].astype(str).to_numpy(dtype=object)[rows]
    ids = pipes["pipe_id"].astype(str).to_numpy(dtype=object)[rows]
    mon = (pipes["monitored"].to_numpy(bool)[rows] if monitored is None
           else np.asarray(monitored, bool))
    rep = repair_times(nets, rng) if repair_s is None else np.asarray(repair_s, float)
    pts = pipe_midpoints(city, rows) if points is None else np.asarray(points, float).reshape(-1, 2)
    near = edges_near_pipes(city, rows, points=pts)
    nodes = staging_nodes(city, pts, near)
    names = _edge_names(city)
    incidents, closures = [], []
    for i in range(len(rows)):
        kind = INCIDENT_OF_NETWORK.get(nets[i], "technical_rescue") if types is None else types[i]
        incidents.append(ScheduledIncident(
            onset_s=float(onset[i]), type=kind, node=int(nodes[i]),
            cause=cause or f"pipe:{ids[i]}", monitored=bool(mon[i]),
            label=(labels[i] if labels is not None else f"{nets[i]} pipe {ids[i]}"),
            pipe_id=str(ids[i])))
        if len(near[i]):
            closures.append(ClosureEvent(tuple(int(e) for e in near[i]), float(onset[i]),
                                         float(onset[i] + rep[i]), f"{nets[i]} pipe failure",
                                         _closure_name(names, near[i], ids[i])))
    return incidents, closures


def _edge_names(city) -> np.ndarray:
    return city.road_edges["name"].astype(str).to_numpy(dtype=object)


def _closure_name(names: np.ndarray, edges: np.ndarray, fallback: str) -> str:
    named = [n for n in names[edges] if n]
    if not named:
        return f"near pipe {fallback}"
    vals, counts = np.unique(np.asarray(named, dtype=object), return_counts=True)
    return str(vals[np.argmax(counts)])


def pipe_outages(city, pipe_rows: Sequence[int], onset_s: Sequence[float],
                 duration_s: Sequence[float], cause: Sequence[str]) -> list[OutageEvent]:
    """One :class:`OutageEvent` per single-pipe failure (junctions cut off by that pipe
    alone, the people behind them and their districts) over [onset, onset + duration)."""
    pipes = city.pipes
    rows = np.asarray(pipe_rows, np.int64)
    out: list[OutageEvent] = []
    memo: dict[int, object] = {}
    for r, t, d, c in zip(rows, onset_s, duration_s, cause):
        network = str(pipes["network"].iat[r])
        net = pipe_network(city, network)
        if r not in memo:
            pos = np.searchsorted(net.pipe_rows, r)
            failed = np.zeros(net.n_pipes, bool)
            if pos < net.n_pipes and net.pipe_rows[pos] == r:
                failed[pos] = True
            memo[r] = net.impact(net.out_mask(failed))
        imp = memo[r]
        out.append(OutageEvent(network, str(pipes["pipe_id"].iat[r]), float(t), float(t + d),
                               imp.junctions_out, imp.people_out, imp.districts, c))
    return out


def random_pipe_failures(city, pipes_spec, run_s: float, rng: np.random.Generator) -> Timeline:
    """Failures of every pipe over a run of ``run_s`` seconds (``pipes_spec``: scenario
    ``[pipes]``): Poisson counts per pipe (vectorised), onsets uniform over the run."""
    pipes = city.pipes
    if not pipes_spec.failures or len(pipes) == 0 or run_s <= 0:
        return Timeline()
    rate = failure_rates(pipes, pipes_spec.failure_rate_multiplier)
    expected = rate * pipes["length_m"].to_numpy(float) / 1000.0 * (run_s / YEAR_S)
    counts = rng.poisson(expected)
    rows = np.repeat(np.arange(len(pipes)), counts)
    onset = rng.uniform(0.0, run_s, len(rows))
    order = np.lexsort((rows, onset))
    rows, onset = rows[order], onset[order]
    nets = pipes["network"].astype(str).to_numpy(dtype=object)[rows]
    rep = repair_times(nets, rng)
    incidents, closures = pipe_failure_events(city, rows, onset, rng, repair_s=rep)
    causes = [f"pipe:{p}" for p in pipes["pipe_id"].astype(str).to_numpy(dtype=object)[rows]]
    outages = pipe_outages(city, rows, onset, rep, causes)
    by_net = pd.Series(nets).value_counts().to_dict() if len(nets) else {}
    note = ("pipe failures: " + (", ".join(f"{n} {by_net.get(n, 0)}" for n in NETWORKS))
            + f" over {run_s / 86400:g} days (multiplier {pipes_spec.failure_rate_multiplier:g})")
    return Timeline(incidents=tuple(incidents), closures=tuple(closures),
                    outages=tuple(outages), notes=(note,))


# ------------------------------------------------------------------- closures and scripts

NAME_SEPARATOR = " / "
"""Road names may carry several names, e.g.
"千厮门嘉陵江大桥 / Qiansimen Jialing River Bridge" (the embedded twin); a closure may give
the whole name or any one part."""

_NAME_INDEX: "weakref.WeakKeyDictionary[object, dict[str, np.ndarray]]" = \
    weakref.WeakKeyDictionary()


def road_name_index(city) -> dict[str, np.ndarray]:
    """Edge indices by road name key: each edge's whole ``name`` and each of its
    " / "-separated parts, trimmed and case-folded (cached per City)."""
    got = _NAME_INDEX.get(city)
    if got is None:
        names = city.road_edges["name"].fillna("").astype(str).to_numpy(dtype=object)
        keys: dict[str, list[int]] = {}
        for k, name in enumerate(names):
            parts = {name.strip(), *(p.strip() for p in name.split(NAME_SEPARATOR))} - {""}
            for part in parts:
                keys.setdefault(part.casefold(), []).append(k)
        got = {key: np.asarray(v, np.int64) for key, v in keys.items()}
        _NAME_INDEX[city] = got
    return got


def road_names(city) -> list[str]:
    """Every name a closure may use (whole names and their parts), for suggestions."""
    names = city.road_edges["name"].fillna("").astype(str)
    out = set()
    for name in names.unique():
        out |= {name.strip(), *(p.strip() for p in name.split(NAME_SEPARATOR))}
    return sorted(out - {""})


def edges_named(city, name: str) -> np.ndarray:
    """Indices of every road edge called ``name`` (whole name or one " / " part, any case)."""
    return road_name_index(city).get(name.strip().casefold(), np.empty(0, np.int64))


def closure_edges(city, closure) -> np.ndarray:
    """Edge indices of one scenario ``[[closures]]`` entry: every edge called ``name``
    (:func:`edges_named`), or the given ``edge_ids``. Unknown names or ids give an empty
    array (:func:`twin.scenario.check_against` reports them)."""
    e = city.road_edges
    if closure.name is not None:
        return edges_named(city, closure.name)
    pos = pd.Index(e["edge_id"].astype(str).to_numpy(dtype=object)).get_indexer(
        [str(x) for x in closure.edge_ids])
    return np.unique(pos[pos >= 0]).astype(np.int64)


def scenario_closures(city, scenario, run_s: float) -> Timeline:
    """The scenario's ``[[closures]]`` as :class:`ClosureEvent` s (``duration_h`` absent:
    until the end of the run)."""
    out = []
    for c in scenario.closures:
        edges = closure_edges(city, c)
        start = c.start_h * HOUR
        end = run_s if c.duration_h is None else start + c.duration_h * HOUR
        if len(edges) and start < run_s:
            out.append(ClosureEvent(tuple(int(x) for x in edges), start, end, c.reason,
                                    c.name or ",".join(c.edge_ids)))
    return Timeline(closures=tuple(sorted(out, key=lambda c: c.start_s)))


def scripted_incidents(city, scenario, run_s: float, rng: np.random.Generator) -> Timeline:
    """The scenario's ``[[incidents.scripted]]`` placed on the road network.

    Place: ``lon``/``lat`` → nearest road node; ``node_id``; or ``pipe_id`` → a failure at the
    pipe's midpoint. A ``gas_leak`` / ``water_main_burst`` placed by lon/lat attaches to the
    nearest pipe of its network within :data:`SCRIPT_PIPE_SNAP_M` (failure at the point of
    the pipe nearest the lon/lat). With a pipe the incident also closes the roads near the
    failure and cuts service for the (drawn) repair time, and responders go to the nearest
    road node outside the closure (:func:`twin.model.pipes.staging_nodes`).
    ``detection``: ``sensor`` → monitored (fast alarm), ``call`` → not, ``auto`` → the
    pipe's ``monitored`` flag (False without a pipe).
    """
    pipes = city.pipes
    incidents: list[ScheduledIncident] = []
    closures: list[ClosureEvent] = []
    outages: list[OutageEvent] = []
    pid_index = pd.Index(pipes["pipe_id"].astype(str).to_numpy(dtype=object))
    for k, s in enumerate(scenario.incidents.scripted):
        onset = s.t_min * 60.0
        if onset >= run_s:
            continue
        row, point = None, None
        if s.pipe_id is not None:
            pos = pid_index.get_indexer([s.pipe_id])[0]
            row = int(pos) if pos >= 0 else None
            node = int(pipe_nodes(city, [row])[0]) if row is not None else -1
        elif s.node_id is not None:
            node = int(city.roads._node_index.get(s.node_id, -1))
        else:
            xy = city.xy_from_lonlat(s.lon, s.lat)
            node = int(city.roads.snap(xy)[0][0])
            net = NETWORK_OF_INCIDENT.get(s.type)
            if net is not None:
                hit = nearest_pipe(city, net, xy, SCRIPT_PIPE_SNAP_M)
                if hit:
                    row, point = hit[0], point_on_pipe(city, hit[0], xy)
        if node < 0:
            continue  # reported by check_against
        mon_pipe = bool(pipes["monitored"].iat[row]) if row is not None else False
        monitored = {"sensor": True, "call": False}.get(s.detection, mon_pipe)
        label = s.label or f"scripted {s.type}"
        if row is not None:
            rep = repair_times([str(pipes["network"].iat[row])], rng)
            inc, clo = pipe_failure_events(
                city, [row], [onset], rng, cause="script", repair_s=rep, types=[s.type],
                monitored=[monitored], labels=[label],
                points=None if point is None else point.reshape(1, 2))
            incidents += inc
            closures += clo
            outages += pipe_outages(city, [row], [onset], rep, ["script"])
        else:
            incidents.append(ScheduledIncident(onset, s.type, node, "script", monitored,
                                               label=label))
    return Timeline(incidents=tuple(sorted(incidents, key=lambda i: i.onset_s)),
                    closures=tuple(sorted(closures, key=lambda c: c.start_s)),
                    outages=tuple(sorted(outages, key=lambda o: o.start_s)))


# -------------------------------------------------------------------------------- timeline

def build_timeline(scenario, city, rng: np.random.Generator) -> Timeline:
    """Everything the scenario schedules on ``city`` (the city *after*
    :func:`twin.scenario.apply`) over the run: closures, rainstorms, earthquakes, random pipe
    failures (if ``scenario.pipes.failures``) and scripted incidents. Deterministic given the
    state of ``rng``. Raises :class:`~twin.errors.TwinDataError` listing every unknown name,
    id or place the timeline refers to."""
    from twin.hazards.natural import earthquake_timeline, rainstorm_timeline
    from twin.scenario.spec import resolve_district, timeline_problems

    timeline_problems(scenario, city).raise_if_any("scenario does not fit the city")
    run_s = scenario.duration_s
    seeds = rng.integers(0, 2 ** 63 - 1, size=4)
    rain_rng, quake_rng, pipe_rng, script_rng = (np.random.default_rng(int(s)) for s in seeds)
    tl = scenario_closures(city, scenario, run_s)
    for storm in scenario.rainstorm:
        districts = tuple(sorted({resolve_district(city, d) for d in storm.districts} - {None}))
        tl = tl.merged(rainstorm_timeline(city, storm, districts, run_s, rain_rng))
    for quake in scenario.earthquake:
        tl = tl.merged(earthquake_timeline(city, quake, run_s, quake_rng))
    tl = tl.merged(random_pipe_failures(city, scenario.pipes, run_s, pipe_rng))
    tl = tl.merged(scripted_incidents(city, scenario, run_s, script_rng))
    return tl


# ------------------------------------------------------------------------- results table

LIFELINE_COLUMNS = ("kind", "ref", "name", "network", "start_s", "end_s", "reason",
                    "nodes_out", "people_out", "districts")


def lifelines_table(timeline: Timeline, city) -> pd.DataFrame:
    """Closures and outages of a run, one row each (``lifelines.parquet``).

    Closures: ``ref`` the closed edge ids (comma-separated), ``name`` the road/bridge name,
    ``districts`` of the closed edges; ``nodes_out``/``people_out`` NA. Outages: ``ref`` the
    failed pipe id(s), ``network``, ``nodes_out`` junctions cut off, ``people_out`` people
    behind them, ``districts`` comma-separated district ids.
    """
    eids = city.road_edges["edge_id"].astype(str).to_numpy(dtype=object)
    node_d = city.road_nodes["district_id"].astype(str).to_numpy(dtype=object)
    eu, ev = city.roads.edge_u, city.roads.edge_v
    rows = []
    for c in timeline.closures:
        idx = np.asarray(c.edges, np.int64)
        rows.append({"kind": "closure", "ref": ",".join(eids[idx]), "name": c.name,
                     "network": "", "start_s": c.start_s, "end_s": c.end_s,
                     "reason": c.reason, "nodes_out": pd.NA, "people_out": np.nan,
                     "districts": ",".join(sorted((set(node_d[eu[idx]].tolist())
                                                   | set(node_d[ev[idx]].tolist())) - {""}))})
    names = _pipe_road_names(city)
    for o in timeline.outages:
        rows.append({"kind": "outage", "ref": o.pipe_id, "name": names.get(o.pipe_id, ""),
                     "network": o.network, "start_s": o.start_s, "end_s": o.end_s,
                     "reason": o.cause, "nodes_out": o.junctions_out,
                     "people_out": float(o.people_out), "districts": ",".join(o.districts)})
    frame = pd.DataFrame(rows, columns=list(LIFELINE_COLUMNS))
    return frame.astype({"kind": "object", "ref": "object", "name": "object",
                         "network": "object", "start_s": "float64", "end_s": "float64",
                         "reason": "object", "nodes_out": "Int64", "people_out": "float64",
                         "districts": "object"})


def _pipe_road_names(city) -> dict[str, str]:
    p = city.pipes
    if "edge_id" not in p.columns or len(p) == 0:
        return {}
    e = city.road_edges
    names = pd.Series(e["name"].astype(str).to_numpy(), index=e["edge_id"].astype(str).to_numpy())
    names = names[~names.index.duplicated()]
    mapped = p["edge_id"].fillna("").astype(str).map(names).fillna("")
    return dict(zip(p["pipe_id"].astype(str), mapped))


# ----------------------------------------------------------------------------------- sensing

def pipe_districts(city) -> np.ndarray:
    """District id of every pipe: that of the road node nearest its midpoint."""
    if len(city.pipes) == 0 or len(city.road_nodes) == 0:
        return np.full(len(city.pipes), "", dtype=object)
    mids = pipe_midpoints(city, np.arange(len(city.pipes)))
    idx, _ = city.roads.snap(mids)
    return city.road_nodes["district_id"].astype(str).to_numpy(dtype=object)[idx]


def sensor_coverage(city) -> pd.DataFrame:
    """Share of pipe length watched by sensors, per network and district (``district_id``
    ``"*"`` = the whole city): columns ``network``, ``district_id``, ``length_m``,
    ``monitored_m``, ``coverage``."""
    p = city.pipes
    frame = pd.DataFrame({"network": p["network"].astype(str).to_numpy(),
                          "district_id": pipe_districts(city),
                          "length_m": p["length_m"].to_numpy(float),
                          "monitored_m": np.where(p["monitored"].to_numpy(bool),
                                                  p["length_m"].to_numpy(float), 0.0)})
    cols = ["length_m", "monitored_m"]
    by = frame.groupby(["network", "district_id"], as_index=False)[cols].sum()
    city_wide = frame.groupby("network", as_index=False)[cols].sum()
    city_wide.insert(1, "district_id", "*")
    out = pd.concat([city_wide, by], ignore_index=True)
    out["coverage"] = np.where(out["length_m"] > 0, out["monitored_m"] / out["length_m"].where(
        out["length_m"] > 0, 1.0), 0.0)
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


def raise_coverage(city, network: str, coverage: float, district_id: str | None = None,
                   pipes: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
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
