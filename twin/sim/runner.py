"""Running a scenario end to end: city → scenario applied → timeline → engine → Results.

:func:`run_scenario` prints nothing and writes nothing (``twin.analysis.results.write_results``
writes the folder). One ``numpy.random.Generator`` seeded with ``scenario.seed`` is
passed through every step (timeline, incidents, dispatch), so the same scenario and seed
give the same incidents and events, byte for byte.
"""

from __future__ import annotations

import time
from dataclasses import asdict, replace
from datetime import datetime, timezone
from importlib import metadata
from typing import Callable

import numpy as np
import pandas as pd

from twin.model.city import City, load_city
from twin.sim.engine import EngineConfig, simulate
from twin.sim.estimate import check_fits
from twin.sim.forces import TARGETS_S
from twin.sim.prechecks import check_run
from twin.hazards.lifelines import build_timeline, lifelines_table
from twin.analysis.metrics import (compliance_table, counts, coverage_table, event_table,
                          incident_table, mutual_aid_table, route_table, unit_table, worst)
from twin.analysis.results import Results
from twin.scenario.spec import Scenario, apply, check_against

PACKAGES = ("numpy", "scipy", "simpy", "geopandas", "networkx", "pandas", "shancheng-twin")


def run_scenario(scenario: Scenario, city: City | None = None, *,
                 record_routes: bool | None = None,
                 progress: Callable[[float], None] | None = None,
                 config: EngineConfig | None = None, allow_large: bool = False) -> Results:
    """Simulate ``scenario`` on ``city`` (None: ``scenario.city`` or the embedded twin).

    ``record_routes`` (None: on for runs of ≤ 1 day or with scripted incidents) records
    every trip's path; ``progress(fraction)`` is called as simulated time advances;
    ``config`` overrides engine settings (catalogue, forces, detection). Before anything
    runs: the scenario is checked against the city, the run's size is estimated and
    refused if it would not fit in memory (:mod:`twin.sim.estimate`; ``allow_large``
    lifts that), and :mod:`twin.sim.prechecks` stops runs that cannot do anything useful.
    """
    wall0 = time.perf_counter()
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    if city is None:
        city = load_city(scenario.city)
    check_against(scenario, city)  # every problem at once, before anything runs
    if record_routes is None:
        record_routes = scenario.days <= 1 or bool(scenario.incidents.scripted)
    est = check_fits(scenario, city, allow_large=allow_large, record_routes=bool(record_routes))
    city = apply(scenario, city)
    check_run(scenario, city)
    rng = np.random.default_rng(scenario.seed)
    timeline = build_timeline(scenario, city, rng)
    config = replace(config or EngineConfig(), record_routes=bool(record_routes))
    inc = scenario.incidents
    sim = simulate(city, rng, scenario.duration_s, timeline, config, random=inc.random,
                   rate_multiplier=inc.rate_multiplier,
                   type_multipliers=dict(inc.type_multipliers), progress=progress)
    incidents = incident_table(sim)
    events = event_table(sim)
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
    }
    summary = _summary(scenario, city, sim, tables, started, time.perf_counter() - wall0,
                       record_routes)
    summary["estimate"] = {k: round(float(v), 1) for k, v in asdict(est).items()}
    return Results(tables, summary)


def _versions() -> dict[str, str]:
    out = {}
    for p in PACKAGES:
        try:
            out["twin" if p == "shancheng-twin" else p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = "unknown"
    return out


def _summary(scenario: Scenario, city: City, sim, tables: dict[str, pd.DataFrame],
             started: str, wall_s: float, record_routes: bool) -> dict:
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
        "compliance_city": {r.target: {"count": int(r.count), "met_share": round(r.met_share, 4),
                                       "p90_s": None if pd.isna(r.p90_s) else round(r.p90_s, 1)}
                            for r in city_rows.itertuples(index=False)},
        "worst_districts_30min": worst(incidents, "district_id", "30min", top=5),
        "worst_cells_30min": worst(incidents, "cell_id", "30min", top=10),
        "mutual_aid_top": tables["mutual_aid"].head(10).to_dict(orient="records"),
    }
