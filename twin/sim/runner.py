"""Running a scenario end to end: city → scenario applied → timeline → engine → Results.

:func:`run_scenario` prints nothing and writes nothing (``twin.analysis.results.write_results``
writes the folder). One ``numpy.random.Generator`` seeded with ``scenario.seed`` is
passed through every step (timeline, incidents, dispatch), so the same scenario and seed
give the same incidents and events, byte for byte.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

import numpy as np
import pandas as pd

from twin.analysis.calibration import calibration
from twin.analysis.compliance import types_needing
from twin.analysis.disaster import (
    rescue_summary,
    rescue_table,
    surge_summary,
    surge_table,
)
from twin.analysis.metrics import (
    compliance_table,
    counts,
    coverage_table,
    event_table,
    incident_table,
    mutual_aid_table,
    route_table,
    unit_table,
    worst,
)
from twin.analysis.results import Results
from twin.analysis.targets import TARGETS, target
from twin.hazards.build import TimelineBasis, build_timeline, timeline_basis
from twin.hazards.lifelines import lifelines_table
from twin.hazards.regimes import scenario_traffic
from twin.hazards.timeline import Timeline
from twin.model.city import City, load_city
from twin.scenario.apply import apply
from twin.scenario.checks import check_against
from twin.scenario.spec import Scenario
from twin.sim.columns import access_columns
from twin.sim.engine import Engine, EngineConfig, SimResult
from twin.sim.estimate import check_fits
from twin.sim.forces import TARGETS_S
from twin.sim.gcpause import paused_gc
from twin.sim.incidents import IncidentArrays
from twin.sim.prechecks import check_run
from twin.sim.reinforcement import reinforcements_of
from twin.sim.surge import surge_rule

PACKAGES = ("numpy", "scipy", "simpy", "geopandas", "networkx", "pandas", "shancheng-twin")


@dataclass(frozen=True)
class Prepared:
    """What a run needs that does not depend on its seed: the scenario applied to the
    city, the completed engine config and the engine (fleet, travel-time tables,
    placement), the size estimate, the timeline's seed-independent part (checks, expected
    pipe failures). Valid for ``scenario`` under any seed (a sweep's replications share
    one per worker process: :func:`run_prepared`, :func:`run_measures`)."""

    scenario: Scenario
    city: City
    config: EngineConfig
    engine: Engine
    estimate: Any
    record_routes: bool
    timeline: TimelineBasis


def scenario_config(config: EngineConfig, scenario: Scenario, record_routes: bool) -> EngineConfig:
    """``config`` completed from the scenario: routes recorded or not, the dispatch policy
    and crew model (crews per station: the scenario's, else the config's), the calendar's
    start date, the reinforcements and the surge rule (the traffic model, which needs the
    applied city, is added by :func:`prepare`)."""
    return replace(
        config,
        record_routes=record_routes,
        policy=scenario.dispatch.policy,
        crews=scenario.dispatch.crews,
        crews_per_station=(
            config.crews_per_station
            if scenario.dispatch.crews_per_station is None
            else scenario.dispatch.crews_per_station
        ),
        calendar=replace(config.calendar, start=scenario.start_date),
        reinforcements=reinforcements_of(scenario),
        surge=surge_rule(scenario.surge),
    )


def prepare(
    scenario: Scenario,
    city: City | None = None,
    *,
    record_routes: bool | None = None,
    config: EngineConfig | None = None,
    allow_large: bool = False,
) -> Prepared:
    """The seed-independent set-up of :func:`run_scenario` (checks, applied city, engine,
    the timeline's basis)."""
    if city is None:
        city = load_city(scenario.city)
    check_against(scenario, city)  # every problem at once, before anything runs
    if record_routes is None:
        record_routes = scenario.days <= 1 or bool(scenario.incidents.scripted)
    est = check_fits(scenario, city, allow_large=allow_large, record_routes=bool(record_routes))
    city = apply(scenario, city)
    check_run(scenario, city)
    config = scenario_config(config or EngineConfig(), scenario, bool(record_routes))
    if config.traffic is None and scenario.traffic.model == "assigned":
        config = replace(
            config, traffic=scenario_traffic(city, scenario, use_cache=config.use_cache)
        )
    basis = timeline_basis(scenario, city)
    engine = Engine(city, config)
    return Prepared(scenario, city, config, engine, est, bool(record_routes), basis)


def run_scenario(
    scenario: Scenario,
    city: City | None = None,
    *,
    record_routes: bool | None = None,
    progress: Callable[[float], None] | None = None,
    config: EngineConfig | None = None,
    allow_large: bool = False,
) -> Results:
    """Simulate ``scenario`` on ``city`` (None: ``scenario.city`` or the embedded twin).

    ``record_routes`` (None: on for runs of ≤ 1 day or with scripted incidents) records
    every trip's path; ``progress(fraction)`` is called as simulated time advances;
    ``config`` overrides engine settings (catalogue, forces, detection). Before anything
    runs: the scenario is checked against the city, the run's size is estimated and
    refused if it would not fit in memory (:mod:`twin.sim.estimate`; ``allow_large``
    lifts that), and :mod:`twin.sim.prechecks` stops runs that cannot do anything useful.
    """
    wall0 = time.perf_counter()
    prep = prepare(
        scenario, city, record_routes=record_routes, config=config, allow_large=allow_large
    )
    return run_prepared(prep, scenario.seed, progress=progress, wall0=wall0)


def draw_scenario(
    engine: Engine, scenario: Scenario, rng: np.random.Generator, timeline: Timeline
) -> IncidentArrays:
    """The incidents of ``scenario`` on ``engine``: its demand knobs (``[incidents]``:
    random on/off, rate multiplier, type multipliers, density elasticity) applied to the
    draw, with the run's one Generator ``rng`` (after the timeline's draws)."""
    inc = scenario.incidents
    return engine.draw(
        rng,
        scenario.duration_s,
        timeline,
        random=inc.random,
        rate_multiplier=inc.rate_multiplier,
        type_multipliers=dict(inc.type_multipliers),
        density_elasticity=inc.density_elasticity,
    )


@dataclass(frozen=True)
class _Simulated:
    """One seed's simulation on a prepared engine, with its incidents and events tables."""

    scenario: Scenario
    timeline: Timeline
    sim: SimResult
    incidents: pd.DataFrame
    events: pd.DataFrame


def _simulate(
    prep: Prepared, seed: int, progress: Callable[[float], None] | None = None
) -> _Simulated:
    """Timeline, draw and run of ``prep.scenario`` with ``seed``: one Generator seeded
    with ``seed`` drives all three (the engine keeps no state between runs)."""
    scenario, city = prep.scenario.with_(seed=seed), prep.city
    rng = np.random.default_rng(scenario.seed)
    timeline = build_timeline(scenario, city, rng, prep.timeline)
    engine = prep.engine
    arrays = draw_scenario(engine, scenario, rng, timeline)
    sim = engine.run(arrays, rng, scenario.duration_s, timeline, progress)
    with paused_gc():  # the run's log and incidents out of the collector's sight (gcpause)
        incidents = incident_table(sim)
        for name, values in access_columns(sim.incidents, sim.arrays).items():  # flood, access
            incidents[name] = values
        return _Simulated(scenario, timeline, sim, incidents, event_table(sim))


def run_measures(prep: Prepared, seed: int) -> Results:
    """What a sweep's replication measures of ``prep.scenario`` with ``seed``: the tables
    ``incidents``, ``events`` and ``compliance`` and the summary's ``counts`` (and
    ``seed``), each the same as :func:`run_prepared` gives, without the tables and summary
    nobody measures (coverage — a road search per period —, lifelines, routes, units…)."""
    done = _simulate(prep, seed)
    inc, events = done.incidents, done.events
    with paused_gc():
        tables = {
            "incidents": inc,
            "events": events,
            "compliance": compliance_table(inc, prep.config.catalogue),
        }
        return Results(tables, {"seed": seed, "counts": counts(done.sim, inc, events)})


def run_prepared(
    prep: Prepared,
    seed: int,
    *,
    progress: Callable[[float], None] | None = None,
    wall0: float | None = None,
) -> Results:
    """Run ``prep.scenario`` with ``seed`` on the prepared engine: the same Results as
    :func:`run_scenario` of that scenario and seed (the engine keeps no state between
    runs; one Generator seeded with ``seed`` drives the timeline, the draw and the run)."""
    wall0 = time.perf_counter() if wall0 is None else wall0
    started = datetime.now(UTC).isoformat(timespec="seconds")
    done = _simulate(prep, seed, progress)
    scenario, timeline, sim = done.scenario, done.timeline, done.sim
    city, config, record_routes = prep.city, prep.config, prep.record_routes
    incidents, events = done.incidents, done.events
    with paused_gc():  # the run frozen while its tables are built (gcpause)
        tables = {
            "incidents": incidents,
            "events": events,
            "compliance": compliance_table(incidents, config.catalogue),
            "units": unit_table(sim),
            "mutual_aid": mutual_aid_table(sim),
            "routes": route_table(sim),
            "lifelines": lifelines_table(timeline, city),
            "coverage": coverage_table(sim),
            "stations": city.stations,  # as the scenario left them: the maps redraw this city
            "surge": surge_table(sim.surge_rows),
            "rescues": rescue_table(incidents, scenario.duration_s),
        }
        summary = _summary(
            scenario, city, sim, tables, started, time.perf_counter() - wall0, record_routes
        )
        summary["hazard_notes"] = list(timeline.notes)
        summary["surge"] = surge_summary(tables["surge"], sim.surge_declared_s)
        summary["rescues_per_day"] = rescue_summary(tables["rescues"])
        summary["estimate"] = {k: round(float(v), 1) for k, v in asdict(prep.estimate).items()}
        return Results(tables, summary)


def _versions() -> dict[str, str]:
    out = {}
    for p in PACKAGES:
        try:
            out["twin" if p == "shancheng-twin" else p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = "unknown"
    return out


def _summary(
    scenario: Scenario,
    city: City,
    sim: SimResult,
    tables: dict[str, pd.DataFrame],
    started: str,
    wall_s: float,
    record_routes: bool,
) -> dict[str, Any]:
    incidents = tables["incidents"]
    city_rows = tables["compliance"][tables["compliance"]["scope"] == "city"]
    return {
        "scenario": scenario.model_dump(mode="json"),
        "seed": scenario.seed,
        "city": {"name": city.name, "source": city.source},
        "started": started,
        "wall_time_s": round(wall_s, 3),
        "versions": _versions(),
        "duration_s": scenario.duration_s,
        "record_routes": record_routes,
        "targets_s": TARGETS_S,
        "counts": counts(sim, incidents, tables["events"]),
        "targets": {
            t.key: {"threshold_s": t.threshold_s, "arrival": t.arrival, "from": t.origin}
            for t in TARGETS
        },
        "compliance_city": {
            target(r["target"], r["from"]).key: {
                "count": int(r["count"]),
                "met_share": None if pd.isna(r["met_share"]) else round(r["met_share"], 4),
                "p90_s": None if pd.isna(r["p90_s"]) else round(r["p90_s"], 1),
            }
            for r in city_rows.to_dict(orient="records")
        },
        "calibration": calibration(
            incidents,
            tables["events"],
            tables["units"],
            float(city.core_districts["population"].sum()),
            scenario.duration_s,
            types_needing(sim.engine.config.catalogue, ("fire",)),
        ),
        "worst_districts_30min": worst(incidents, "district_id", "30min", top=5),
        "worst_cells_30min": worst(incidents, "cell_id", "30min", top=10),
        "mutual_aid_top": tables["mutual_aid"].head(10).to_dict(orient="records"),
    }
