"""Benchmark: a year of the central baseline — whole pipeline, engine, bare SimPy, ratio.

    nice -n 10 .venv/bin/python bench/bench_speed.py [--days 365] [--repeats 3] [--no-full]
        [--city municipality]

In one process, on the embedded central twin and ``scenarios/baseline.toml`` (random pipe
failures with their road closures):

1. the whole pipeline once (``run_scenario``: check, apply, timeline, engine preparation,
   incidents, simulation, every results table), wall time; its results are then let go
   (until the 26th stop they stayed alive, and the engine's timings below paid the
   collector's passes over them: 5.4 of a central year's 27.4 CPU-s);
2. the same steps by hand, then ``--repeats`` times, alternating, on the same incidents:
   - the engine's simulation (``Engine.run``), with the time spent in Python's cyclic
     garbage collector (``gc.callbacks``) and the number of closure searches;
   - the bare SimPy model of the same incidents and tables (``bench/bare_simpy.py``);
3. medians (CPU seconds of this process: the machine is shared, wall time is noisy), and the ratio engine / bare (issue #15's target: ≤ 2 ×).

``--city municipality`` does the same on the municipality twin (built on first use and
cached) with the default scenario (random incidents; no pipes, so no closures), as
``bench/municipality.py`` runs it: the yardstick for its year (issue #15's aim: under 90 s).

The machine is shared: quote the medians and the ratio measured in the same run.
"""

from __future__ import annotations

import argparse
import copy
import gc
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bare_simpy import BareModel  # noqa: E402

from twin.hazards.build import build_timeline  # noqa: E402
from twin.model.city import load_city  # noqa: E402
from twin.scenario.apply import apply  # noqa: E402
from twin.scenario.spec import Scenario, load_scenario  # noqa: E402
from twin.sim.engine import Engine, EngineConfig  # noqa: E402
from twin.sim.runner import run_scenario  # noqa: E402


class GcTimer:
    """Seconds spent in the cyclic garbage collector while installed (``gc.callbacks``)."""

    def __init__(self) -> None:
        self.total = 0.0
        self.collections = 0
        self._t0 = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._t0 = time.process_time()
        else:
            self.total += time.process_time() - self._t0
            self.collections += 1

    def __enter__(self) -> GcTimer:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=float, default=365.0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-full", dest="full", action="store_false")
    ap.add_argument("--city", default=None, help="a city name (default: the central twin)")
    args = ap.parse_args()

    if args.city is None:
        city = load_city()
        scen = load_scenario(ROOT / "scenarios" / "baseline.toml").with_(days=args.days)
    else:
        city = load_city(args.city)
        scen = Scenario(days=args.days, seed=2026)
    name = args.city or "central twin"
    print(f"{name}: {city.summary()['road_nodes']:,} nodes; {scen.name}, {args.days:g} days")
    if args.full:
        t0, c0 = time.perf_counter(), time.process_time()
        res = run_scenario(scen, city, record_routes=False)
        full, full_cpu = time.perf_counter() - t0, time.process_time() - c0
        c = res.summary["counts"]
        print(
            f"whole pipeline: {full_cpu:.1f} CPU-s ({full:.1f} s wall; {c['incidents']:,} "
            f"incidents, {c['closures']:,} closures)"
        )
        del res  # its tables would stay in the collector's sight while the engine is timed
        gc.collect()

    t0 = time.process_time()
    applied = apply(scen, city)
    rng = np.random.default_rng(scen.seed)
    timeline = build_timeline(scen, applied, rng)
    config = replace(EngineConfig(), record_routes=False, policy=scen.dispatch.policy)
    engine = Engine(applied, config)
    arrays = engine.draw(rng, scen.duration_s, timeline)
    prep = time.process_time() - t0
    print(
        f"set-up (apply, timeline, engine tables, incidents): {prep:.1f} CPU-s; "
        f"{len(arrays):,} incidents, {len(timeline.closures):,} closures"
    )

    eng_s, gc_s, bare_s = [], [], []
    for rep in range(args.repeats):
        r = copy.deepcopy(rng)
        with GcTimer() as g:
            t0, c0 = time.perf_counter(), time.process_time()
            sim = engine.run(arrays, r, scen.duration_s, timeline)
            eng_s.append(time.process_time() - c0)
            wall = time.perf_counter() - t0
        gc_s.append(g.total)
        n_events = len(sim.events)
        del sim  # let the run go before the next timing (as for the whole pipeline above)
        r = copy.deepcopy(rng)
        t0, c0 = time.perf_counter(), time.process_time()
        bare = BareModel(engine).run(arrays, scen.duration_s, r)
        bare_s.append(time.process_time() - c0)
        wall_b = time.perf_counter() - t0
        print(
            f"  repeat {rep + 1}: engine {eng_s[-1]:.2f} CPU-s ({wall:.1f} s wall; GC "
            f"{gc_s[-1]:.2f} CPU-s, {g.collections} collections; {n_events:,} events), "
            f"bare SimPy {bare_s[-1]:.2f} CPU-s ({wall_b:.1f} s wall; "
            f"{bare['dispatches']:,} dispatches, {bare['waits']:,} waits)"
        )
    e, b, gcm = statistics.median(eng_s), statistics.median(bare_s), statistics.median(gc_s)
    print(
        f"median of {args.repeats}: engine {e:.2f} CPU-s (GC {gcm:.2f} CPU-s = {gcm / e:.0%}), "
        f"bare SimPy {b:.2f} CPU-s → engine / bare = {e / b:.2f} ×"
    )


if __name__ == "__main__":
    main()
