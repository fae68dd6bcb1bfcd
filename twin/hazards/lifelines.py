"""Lifelines in the loop: pipe failures as incidents, road closures and service outages.

:func:`random_pipe_failures` draws the failures of a run (scenario ``[pipes]``);
:func:`pipe_failure_events` and :func:`pipe_outages` turn any pipe failure (random, scripted
or from an earthquake) into timeline events; :func:`lifelines_table` summarises a
timeline's closures and outages for ``lifelines.parquet``. The whole timeline of a scenario
is built by :func:`twin.hazards.build.build_timeline`.

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
    nearest road node responders can reach (:func:`twin.model.pipe_roads.staging_nodes`), a
    :class:`~twin.hazards.timeline.ClosureEvent` of the road edges near the failure
    (:func:`twin.model.pipe_roads.edges_near_pipes`) and an :class:`~twin.hazards.timeline.OutageEvent` (junctions
    and people cut off, :mod:`twin.model.pipes`) for the repair time, lognormal
    (:data:`REPAIR_TIME`: water median 7 h, 90 % within ~4–12 h; gas median 4 h, ~2–8 h;
    drainage median 2 h, ~1–4 h — assumptions in line with utilities' published repair
    targets).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from twin.hazards.timeline import ClosureEvent, OutageEvent, ScheduledIncident, Timeline
from twin.model.city import City
from twin.model.pipe_roads import edges_near_pipes, pipe_midpoints, staging_nodes
from twin.model.pipes import NETWORKS, Impact, pipe_network
from twin.scenario.spec import Pipes

HOUR = 3600.0
YEAR_S = 365.25 * 86400.0

REFERENCE_YEAR = 2025
"""'Now' for pipe ages (a constant, so runs do not depend on the clock)."""
REFERENCE_AGE = 30.0
"""Age (years) at which :data:`BASE_RATE_PER_KM_YR` applies."""
DEFAULT_AGE = 30.0
"""Age assumed for pipes with no install year."""

BASE_RATE_PER_KM_YR: dict[str, dict[str, float]] = {
    "water": {
        "cast_iron": 0.30,
        "asbestos_cement": 0.20,
        "steel": 0.15,
        "pvc": 0.12,
        "concrete": 0.10,
        "ductile_iron": 0.08,
        "pe": 0.05,
        "*": 0.15,
    },
    "gas": {"cast_iron": 0.20, "steel": 0.08, "ductile_iron": 0.06, "pe": 0.02, "*": 0.08},
    "drainage": {"brick": 0.20, "clay": 0.15, "concrete": 0.10, "pvc": 0.05, "pe": 0.05, "*": 0.10},
}
"""Failures needing a response per km per year at age 30 (see module docstring)."""
MATERIAL_ALIASES = {
    "ci": "cast_iron",
    "grey_iron": "cast_iron",
    "di": "ductile_iron",
    "ac": "asbestos_cement",
    "welded_steel": "steel",
    "hdpe": "pe",
    "polyethylene": "pe",
    "upvc": "pvc",
    "vitrified_clay": "clay",
    "reinforced_concrete": "concrete",
    "rc": "concrete",
}
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


def failure_rates(
    pipes: pd.DataFrame, multiplier: float = 1.0, reference_year: int = REFERENCE_YEAR
) -> np.ndarray:
    """Failures per km per year of every pipe (see module docstring for the model)."""
    if len(pipes) == 0:
        return np.zeros(0)
    # each (network, material) name looked up once: the pipes' codes index the tables
    mats, mat = pd.factorize(pipes["material"].to_numpy(dtype=object), use_na_sentinel=False)
    nets, net = pd.factorize(pipes["network"].astype(str).to_numpy(dtype=object))
    keys = _material_key(mat).tolist()
    tables = [BASE_RATE_PER_KM_YR.get(n, {"*": 0.0}) for n in net]
    base = np.array([[t.get(k, t["*"]) for k in keys] for t in tables], float)[nets, mats]
    year = pd.to_numeric(pipes["install_year"], errors="coerce").to_numpy(float)
    age = np.where(np.isfinite(year), np.maximum(reference_year - year, 0.0), DEFAULT_AGE)
    a = np.array([AGEING_PER_YEAR.get(k, AGEING_PER_YEAR["*"]) for k in keys], float)[mats]
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


def pipe_failure_events(
    city: City,
    pipe_rows: ArrayLike,
    onset_s: ArrayLike,
    rng: np.random.Generator,
    *,
    cause: str | None = None,
    repair_s: ArrayLike | None = None,
    types: Sequence[str] | None = None,
    monitored: ArrayLike | None = None,
    labels: Sequence[str] | None = None,
    points: np.ndarray | None = None,
) -> tuple[list[ScheduledIncident], list[ClosureEvent]]:
    """An incident and a road closure for each failure of ``city.pipes`` row ``pipe_rows[i]``
    at ``onset_s[i]``, at ``points[i]`` (metres; default the pipe's midpoint). ``cause``
    defaults to ``pipe:<id>``; repair times are drawn unless given. The closure holds the
    roads near the failure point (:func:`twin.model.pipe_roads.edges_near_pipes`) for the repair time;
    the incident is at the nearest road node responders can still reach
    (:func:`twin.model.pipe_roads.staging_nodes`)."""
    rows = np.asarray(pipe_rows, np.int64)
    if len(rows) == 0:
        return [], []
    pipes = city.pipes
    onset = np.asarray(onset_s, float)
    nets = pipes["network"].astype(str).to_numpy(dtype=object)[rows]
    ids = pipes["pipe_id"].astype(str).to_numpy(dtype=object)[rows]
    mon = (
        pipes["monitored"].to_numpy(bool)[rows]
        if monitored is None
        else np.asarray(monitored, bool)
    )
    rep = repair_times(nets, rng) if repair_s is None else np.asarray(repair_s, float)
    pts = pipe_midpoints(city, rows) if points is None else np.asarray(points, float).reshape(-1, 2)
    near = edges_near_pipes(city, rows, points=pts)
    nodes = staging_nodes(city, pts, near)
    names = _edge_names(city)
    incidents, closures = [], []
    for i in range(len(rows)):
        kind = INCIDENT_OF_NETWORK.get(nets[i], "technical_rescue") if types is None else types[i]
        incidents.append(
            ScheduledIncident(
                onset_s=float(onset[i]),
                type=kind,
                node=int(nodes[i]),
                cause=cause or f"pipe:{ids[i]}",
                monitored=bool(mon[i]),
                label=(labels[i] if labels is not None else f"{nets[i]} pipe {ids[i]}"),
                pipe_id=str(ids[i]),
            )
        )
        if len(near[i]):
            closures.append(
                ClosureEvent(
                    tuple(int(e) for e in near[i]),
                    float(onset[i]),
                    float(onset[i] + rep[i]),
                    f"{nets[i]} pipe failure",
                    _closure_name(names, near[i], ids[i]),
                )
            )
    return incidents, closures


def _edge_names(city: City) -> np.ndarray:
    return city.road_edges["name"].astype(str).to_numpy(dtype=object)


def _closure_name(names: np.ndarray, edges: np.ndarray, fallback: str) -> str:
    named = [n for n in names[edges] if n]
    if not named:
        return f"near pipe {fallback}"
    vals, counts = np.unique(np.asarray(named, dtype=object), return_counts=True)
    return str(vals[np.argmax(counts)])


def pipe_outages(
    city: City,
    pipe_rows: ArrayLike,
    onset_s: Sequence[float] | np.ndarray,
    duration_s: Sequence[float] | np.ndarray,
    cause: Sequence[str],
) -> list[OutageEvent]:
    """One :class:`OutageEvent` per single-pipe failure (junctions cut off by that pipe
    alone, the people behind them and their districts) over [onset, onset + duration)."""
    pipes = city.pipes
    rows = np.asarray(pipe_rows, np.int64)
    out: list[OutageEvent] = []
    memo: dict[int, Impact] = {}
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
        out.append(
            OutageEvent(
                network,
                str(pipes["pipe_id"].iat[r]),
                float(t),
                float(t + d),
                imp.junctions_out,
                imp.people_out,
                imp.districts,
                c,
            )
        )
    return out


def expected_failures(city: City, pipes_spec: Pipes, run_s: float) -> np.ndarray:
    """Expected failures of every pipe over a run of ``run_s`` s (zeros when off); a sweep
    works it out once (:class:`twin.hazards.build.TimelineBasis`)."""
    pipes = city.pipes
    if not pipes_spec.failures or len(pipes) == 0 or run_s <= 0:
        return np.zeros(len(pipes))
    rate = failure_rates(pipes, pipes_spec.failure_rate_multiplier)
    return rate * pipes["length_m"].to_numpy(float) / 1000.0 * (run_s / YEAR_S)


def random_pipe_failures(
    city: City,
    pipes_spec: Pipes,
    run_s: float,
    rng: np.random.Generator,
    expected: np.ndarray | None = None,
) -> Timeline:
    """Failures of every pipe over a run of ``run_s`` seconds (``pipes_spec``: scenario
    ``[pipes]``): Poisson counts per pipe of mean ``expected`` (:func:`expected_failures`,
    worked out here if not given), onsets uniform over the run."""
    pipes = city.pipes
    if not pipes_spec.failures or len(pipes) == 0 or run_s <= 0:
        return Timeline()
    if expected is None:
        expected = expected_failures(city, pipes_spec, run_s)
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
    note = (
        "pipe failures: "
        + (", ".join(f"{n} {by_net.get(n, 0)}" for n in NETWORKS))
        + f" over {run_s / 86400:g} days (multiplier {pipes_spec.failure_rate_multiplier:g})"
    )
    return Timeline(
        incidents=tuple(incidents), closures=tuple(closures), outages=tuple(outages), notes=(note,)
    )


# ------------------------------------------------------------------------- results table

LIFELINE_COLUMNS = (
    "kind",
    "ref",
    "name",
    "network",
    "start_s",
    "end_s",
    "reason",
    "nodes_out",
    "people_out",
    "districts",
)


def lifelines_table(timeline: Timeline, city: City) -> pd.DataFrame:
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
        rows.append(
            {
                "kind": "closure",
                "ref": ",".join(eids[idx]),
                "name": c.name,
                "network": "",
                "start_s": c.start_s,
                "end_s": c.end_s,
                "reason": c.reason,
                "nodes_out": pd.NA,
                "people_out": np.nan,
                "districts": ",".join(
                    sorted((set(node_d[eu[idx]].tolist()) | set(node_d[ev[idx]].tolist())) - {""})
                ),
            }
        )
    names = _pipe_road_names(city)
    for o in timeline.outages:
        rows.append(
            {
                "kind": "outage",
                "ref": o.pipe_id,
                "name": names.get(o.pipe_id, ""),
                "network": o.network,
                "start_s": o.start_s,
                "end_s": o.end_s,
                "reason": o.cause,
                "nodes_out": o.junctions_out,
                "people_out": float(o.people_out),
                "districts": ",".join(o.districts),
            }
        )
    frame = pd.DataFrame(rows, columns=list(LIFELINE_COLUMNS))
    return frame.astype(
        {
            "kind": "object",
            "ref": "object",
            "name": "object",
            "network": "object",
            "start_s": "float64",
            "end_s": "float64",
            "reason": "object",
            "nodes_out": "Int64",
            "people_out": "float64",
            "districts": "object",
        }
    )


def _pipe_road_names(city: City) -> dict[str, str]:
    p = city.pipes
    if "edge_id" not in p.columns or len(p) == 0:
        return {}
    e = city.road_edges
    names = pd.Series(e["name"].astype(str).to_numpy(), index=e["edge_id"].astype(str).to_numpy())
    names = names[~names.index.duplicated()]
    mapped = p["edge_id"].fillna("").astype(str).map(names).fillna("")
    return dict(zip(p["pipe_id"].astype(str), mapped))
