"""Shared by bench/sensitivity.py, bench/load_curve.py and bench/baseline_intervals.py:
replications of the baseline under common random numbers, with parameter overrides
(:mod:`twin.analysis.overrides`), and t intervals over seeds.

Each replication is the baseline scenario with seed ``base_seed + i``, computed exactly as
:func:`twin.sim.runner.run_scenario` computes it (same Generator, same draws in the same
order: ``tests/test_bench_replicate.py`` checks the tables are identical) but without the
parts the figures do not need (size estimate, routes, coverage and lifeline tables,
summary), and with the slow set-up done once (:class:`Replicator`): the scenario's checks
and the applied city once, the engine (fleet, travel-time arrays, placement) once per
distinct engine configuration, the hazard timeline (pipe failures) once per seed. A
variant (an override, a rate multiplier) reuses the same seeds, so differences between
variants are not seed noise (common random numbers). ``jobs`` > 1 runs the seeds in that
many forked processes. Not tests: figures to read and quote; the printed command line
reproduces them.
"""

from __future__ import annotations

import copy
import json
import multiprocessing as mp
import sys
import time
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_stats import (  # noqa: E402, F401  (re-exported for the bench scripts)
    command_line,
    mins,
    past,
    pct,
    span,
    summarise,
    t_interval,
    wilson,
)

import twin.hazards.build as _build  # noqa: E402
import twin.hazards.lifelines as _lifelines  # noqa: E402
from twin.analysis.calibration import calibration  # noqa: E402
from twin.analysis.compliance import compliance_table, types_needing  # noqa: E402
from twin.analysis.metrics import event_table, incident_table, unit_table  # noqa: E402
from twin.analysis.overrides import Override, apply_overrides  # noqa: E402
from twin.hazards.build import build_timeline  # noqa: E402
from twin.hazards.regimes import scenario_traffic  # noqa: E402
from twin.hazards.timeline import Timeline  # noqa: E402
from twin.model.city import City, load_city  # noqa: E402
from twin.scenario.apply import apply  # noqa: E402
from twin.scenario.checks import check_against  # noqa: E402
from twin.scenario.spec import Scenario, load_scenario  # noqa: E402
from twin.sim.columns import access_columns  # noqa: E402
from twin.sim.engine import Engine, EngineConfig  # noqa: E402
from twin.sim.prechecks import check_run  # noqa: E402
from twin.sim.runner import draw_scenario, scenario_config  # noqa: E402

BASELINE = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.toml"
MEASURES = ("10min", "30min", "60min", "5min", "8min", "full")
CAL_KEYS = (
    "vehicles_per_ground_call",
    "fire_vehicles_per_fire_call",
    "ground_calls_per_100k_per_day",
    "runs_per_station_per_year_median",
    "runs_per_station_per_year_max",
    "stations_over_1000",
    "fire_utilisation",
    "station_utilisation_max",
    "crew_utilisation",
    "crew_station_max",
    "vehicles_per_turnout",
    "queued_share",
)
"""Calibration figures carried as rows ``cal:<name>`` (value in ``met_share``)."""


def load(days: float, seed: int, city_path: str | None = None) -> tuple[City, Scenario]:
    """The city and the baseline scenario for ``days`` days from ``seed``."""
    scenario = load_scenario(BASELINE).with_(days=days, seed=seed)
    return load_city(city_path or scenario.city), scenario


def run_config(config: EngineConfig, scen: Scenario) -> EngineConfig:
    """The config as :func:`twin.sim.runner.run_scenario` completes it from the scenario
    (routes not recorded)."""
    return scenario_config(config, scen, record_routes=False)


@dataclass(frozen=True)
class RunOut:
    """What one replication keeps: the compliance rows, the calibration block and (on
    request) the incidents table."""

    compliance: pd.DataFrame
    calibration: dict[str, Any]
    incidents: pd.DataFrame | None
    n_incidents: int
    wall_s: float
    queued_share: float
    """Share of the incidents needing a ground unit where a request had to queue."""


def _scenario_key(scenario: Scenario) -> str:
    """What the applied city and the hazard timeline depend on: the scenario without its
    seed and without the demand knobs that only the incident draw reads."""
    d = scenario.model_dump(mode="json")
    d.pop("seed", None)
    inc = dict(d.get("incidents") or {})
    inc.pop("rate_multiplier", None)
    inc.pop("type_multipliers", None)
    inc.pop("density_elasticity", None)
    d["incidents"] = inc
    d.pop("dispatch", None)
    return json.dumps(d, sort_keys=True, default=str)


def _memo_period_factors(city: City) -> None:
    """Every run's road-time helper asks the network for its congestion factors per period
    (a pure function of the edges' classes and the module's congestion table, ~0.6 s each
    on the embedded twin): remember them on this network object (read-only arrays)."""
    net = city.roads
    if getattr(net, "_bench_memo", False):
        return
    orig, memo = net.period_factors, {}

    def period_factors(period: str) -> np.ndarray:
        if period not in memo:
            memo[period] = orig(period)
            memo[period].setflags(write=False)
        return memo[period]

    object.__setattr__(net, "period_factors", period_factors)  # a frozen dataclass
    object.__setattr__(net, "_bench_memo", True)


_MEMO: dict[tuple, Any] = {}


def _memo_timeline_parts() -> None:
    """Two seed-independent parts of every seed's timeline, remembered for the process:
    the scenario's check against the city (``timeline_problems``: the same scenario
    fields and city every seed; ~2 s) and the pipes' failure rates (a pure function of
    the pipes table and the multiplier; ~1.6 s). Keyed by the objects themselves (kept
    alive here, so an id is never reused)."""
    if getattr(_build, "_bench_memo", False):
        return
    problems, rates = _build.timeline_problems, _lifelines.failure_rates

    def timeline_problems(scenario: Scenario, city: City) -> Any:
        key = ("problems", _scenario_key(scenario), id(city))
        if key not in _MEMO:
            _MEMO[key] = (problems(scenario, city), city)
        return _MEMO[key][0]

    def failure_rates(pipes: pd.DataFrame, multiplier: float = 1.0, *a: Any) -> np.ndarray:
        key = ("rates", id(pipes), multiplier, a)
        if key not in _MEMO:
            r = rates(pipes, multiplier, *a)
            r.setflags(write=False)
            _MEMO[key] = (r, pipes)
        return _MEMO[key][0]

    _build.timeline_problems = timeline_problems  # type: ignore[assignment]
    _lifelines.failure_rates = failure_rates  # type: ignore[assignment]
    _build._bench_memo = True  # type: ignore[attr-defined]


def init_key(config: EngineConfig) -> tuple:
    """What :class:`twin.sim.engine.Engine`'s constructor reads from the config (the
    placement reads the detection settings, the fleet the reinforcements, the travel-time
    arrays the forces' modes); every
    other setting is read while a run draws and simulates, so engines whose configs differ
    only there share the fleet, travel times and placement. Keep in step with
    ``Engine.__init__`` (tests/test_bench_replicate.py compares against full runs)."""
    return (
        config.detection,
        config.use_cache,
        config.reinforcements,
        tuple((name, f.mode) for name, f in config.forces.items()),
        tuple(config.catalogue),
    )


class Replicator:
    """The baseline prepared once for many replications (module docstring)."""

    def __init__(self, city: City, scenario: Scenario, config: EngineConfig | None = None) -> None:
        check_against(scenario, city)
        _memo_period_factors(city)
        _memo_timeline_parts()
        self.city0, self.scenario = city, scenario
        self.config = config or EngineConfig()
        self._cities: dict[str, City] = {}
        self._engines: list[tuple[str, EngineConfig, Engine]] = []
        self._timelines: dict[tuple[int, str], tuple[Timeline, dict]] = {}

    def applied(self) -> City:
        """The city with the replicator's scenario applied (as its runs have it)."""
        return self._city(self.scenario, _scenario_key(self.scenario))

    def variant(self, overrides: tuple[Override, ...] = ()) -> tuple[EngineConfig, Scenario]:
        """The engine config and scenario with ``overrides`` applied."""
        return apply_overrides(self.config, self.scenario, overrides)

    def _city(self, scen: Scenario, key: str) -> City:
        if key not in self._cities:
            city = apply(scen, self.city0)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # warned once by the first full run
                check_run(scen, city)
            self._cities[key] = city
        return self._cities[key]

    def _engine(self, key: str, city: City, config: EngineConfig) -> Engine:
        """The engine for ``config``: cached; or a copy of an engine built for the same
        :func:`init_key` with the run-time settings swapped in; or built (slow: fleet,
        travel-time arrays, placement)."""
        for k, c, e in self._engines:
            if k == key and c == config:
                return e
        like = [e for k, c, e in self._engines if k == key and init_key(c) == init_key(config)]
        if like:
            eng = copy.copy(like[0])
            eng.config, eng.types = config, list(config.catalogue.values())
        else:
            eng = Engine(city, config)
        self._engines = [*self._engines[-3:], (key, config, eng)]
        return eng

    def run(self, config: EngineConfig, scen: Scenario, keep_incidents: bool = False) -> RunOut:
        """One replication, as :func:`twin.sim.runner.run_scenario` computes it."""
        t0 = time.perf_counter()
        key = _scenario_key(scen)
        city = self._city(scen, key)
        rng = np.random.default_rng(scen.seed)
        cached = self._timelines.get((scen.seed, key))
        if cached is None:
            timeline = build_timeline(scen, city, rng)
            self._timelines[(scen.seed, key)] = (timeline, rng.bit_generator.state)
        else:
            timeline = cached[0]
            rng.bit_generator.state = cached[1]
        config = run_config(config, scen)
        eng = self._engine(key, city, config)
        arrays = draw_scenario(eng, scen, rng, timeline)
        sim = eng.run(arrays, rng, scen.duration_s, timeline)
        incidents = incident_table(sim)
        for name, values in access_columns(sim.incidents, sim.arrays).items():
            incidents[name] = values
        cal = calibration(
            incidents,
            event_table(sim),
            unit_table(sim),
            float(city.core_districts["population"].sum()),
            scen.duration_s,
            types_needing(config.catalogue, ("fire",)),
        )
        ground = incidents["met_30"].notna().to_numpy()
        return RunOut(
            compliance_table(incidents, config.catalogue),
            cal,
            incidents if keep_incidents else None,
            len(incidents),
            time.perf_counter() - t0,
            float(incidents["queued"].to_numpy(bool)[ground].mean()) if ground.any() else np.nan,
        )


def scenario_replicator(city: City, scenario: Scenario) -> Replicator:
    """A :class:`Replicator` of any scenario, with the scenario's traffic model (the assigned
    model's regimes are computed, or read from the cache, once)."""
    config = EngineConfig()
    if scenario.traffic.model == "assigned":
        config = replace(config, traffic=scenario_traffic(apply(scenario, city), scenario))
    return Replicator(city, scenario, config)


def cal_rows(cal: dict[str, Any], queued_share: float = np.nan) -> pd.DataFrame:
    """The calibration block's figures (and the share of ground calls that queued) as
    compliance-like rows ``cal:<name>``."""
    runs = cal.get("runs_per_station_per_year") or {}
    util = cal.get("utilisation") or {}
    values = {
        "vehicles_per_ground_call": cal.get("vehicles_per_ground_call"),
        "fire_vehicles_per_fire_call": cal.get("fire_vehicles_per_fire_call"),
        "ground_calls_per_100k_per_day": cal.get("ground_calls_per_100k_per_day"),
        "runs_per_station_per_year_median": runs.get("median"),
        "runs_per_station_per_year_max": runs.get("max"),
        "stations_over_1000": runs.get("stations_over_1000"),
        "fire_utilisation": util.get("fire_units"),
        "station_utilisation_max": util.get("station_max"),
        "crew_utilisation": util.get("fire_crews"),
        "crew_station_max": util.get("crew_station_max"),
        "vehicles_per_turnout": cal.get("vehicles_per_turnout"),
        "queued_share": queued_share,
    }
    return pd.DataFrame(
        [
            {
                "target": f"cal:{k}",
                "from": "",
                "scope": "city",
                "count": 0,
                "met_share": np.nan if values[k] is None else float(values[k]),
            }
            for k in CAL_KEYS
        ]
    )


_WORKER: tuple[Replicator, EngineConfig, Scenario, bool] | None = None


def _work(seed: int) -> tuple[int, RunOut, tuple[Timeline, dict] | None]:
    """A forked worker's replication; the timeline it built goes back to the parent."""
    assert _WORKER is not None
    rep, config, scen, keep = _WORKER
    out = rep.run(config, scen.with_(seed=seed), keep)
    return seed, out, rep._timelines.get((seed, _scenario_key(scen)))


def replicate(
    rep: Replicator,
    seeds: list[int],
    overrides: tuple[Override, ...] = (),
    label: str = "",
    log: bool = True,
    keep: list[pd.DataFrame] | None = None,
    jobs: int = 1,
    deadline: str | None = None,
) -> pd.DataFrame:
    """Compliance rows of one run per seed (columns ``seed``, ``variant``), plus calibration
    figures as rows ``cal:<name>`` (:func:`cal_rows`). ``keep``: a list the runs' incident
    tables are appended to (column ``seed`` added). ``jobs`` > 1: seeds in forked
    processes (each inherits the prepared city and builds the variant's engine once).
    ``deadline`` ("HH:MM" UTC): no new seed is started after it (serial runs; at least
    two seeds are run)."""
    global _WORKER
    config, scen = rep.variant(overrides)
    want = keep is not None
    outs: dict[int, RunOut] = {}
    if jobs > 1 and len(seeds) > 1:
        key = _scenario_key(scen)  # build the engine before forking: every worker shares it
        rep._engine(key, rep._city(scen, key), run_config(config, scen))
        _WORKER = (rep, config, scen, want)
        with mp.get_context("fork").Pool(min(jobs, len(seeds))) as pool:
            for s, out, tl in pool.imap_unordered(_work, seeds):
                outs[s] = out
                if tl is not None:
                    rep._timelines[(s, key)] = tl
        _WORKER = None
    parts = []
    for i, s in enumerate(seeds):
        if i >= 2 and s not in outs and past(deadline):
            print(f"  [deadline {deadline} UTC: stopped after {i} seeds]", file=sys.stderr)
            break
        out = outs.get(s) or rep.run(config, scen.with_(seed=s), want)
        if keep is not None and out.incidents is not None:
            keep.append(out.incidents.assign(seed=s))
        rows = pd.concat(
            [out.compliance, cal_rows(out.calibration, out.queued_share)], ignore_index=True
        )
        rows["seed"], rows["variant"] = s, label
        parts.append(rows)
        if log:
            print(
                f"  [{label or 'base'} seed {s}: {out.n_incidents:,} incidents, "
                f"{out.wall_s:.0f} s]",
                file=sys.stderr,
                flush=True,
            )
    return pd.concat(parts, ignore_index=True)
