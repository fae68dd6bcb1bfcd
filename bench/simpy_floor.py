"""Benchmark: what SimPy's own event handling costs, against the engine (issue #15's 90 s).

    nice -n 10 .venv/bin/python bench/simpy_floor.py [--city municipality] [--days 30]

In one process:

1. the engine on ``--city`` (default: the municipality) for ``--days`` of the default
   scenario, prepared as ``bench/bench_speed.py`` does: CPU seconds of ``Engine.run``,
   incidents, event-log rows, and the number of SimPy events the run scheduled (SimPy's
   own event counter, ``Environment._eid``: every timeout, process start and resumption);
2. SimPy alone handling that many events, none of the engine's work, on a heap of about
   the engine's size (a few thousand pending events), in the two shapes the engine uses:
   - *callbacks*: a timeout with one do-nothing callback (the lean busy spells, the call
     handling, the work, the deadlines);
   - *process*: a generator process yielding a timeout (the alarm feed, closures, the
     surge check);
   each as CPU µs per event (median of ``--repeats``);
3. the floor: the run's SimPy events × µs per event in the cheaper shape — what any
   SimPy model of these incidents with this many events per incident pays before doing
   anything — and that floor's share of the engine's time.

It bounds what optimising the engine's Python can reach: a whole pipeline cannot go
below floor + results tables while a call is made of this many SimPy events.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from collections.abc import Generator
from dataclasses import replace
from pathlib import Path

import numpy as np
import simpy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from twin.hazards.build import build_timeline  # noqa: E402
from twin.model.city import load_city  # noqa: E402
from twin.scenario.apply import apply  # noqa: E402
from twin.scenario.spec import Scenario  # noqa: E402
from twin.sim.engine import Engine, EngineConfig, Run  # noqa: E402

PENDING = 5_000
"""Events kept pending in the bare loops: about the engine's heap in a municipality run."""


def engine_events(city_name: str, days: float) -> tuple[float, int, int, int]:
    """(engine CPU-s, incidents, log rows, SimPy events scheduled) of one run."""
    city = load_city(city_name)
    scen = Scenario(days=days, seed=2026)
    applied = apply(scen, city)
    rng = np.random.default_rng(scen.seed)
    timeline = build_timeline(scen, applied, rng)
    engine = Engine(applied, replace(EngineConfig(), record_routes=False))
    arrays = engine.draw(rng, scen.duration_s, timeline)
    run = Run(engine, arrays, copy.deepcopy(rng), scen.duration_s, timeline, None)
    c0 = time.process_time()
    sim = run.execute()
    cpu = time.process_time() - c0
    scheduled = next(run.env._eid)  # SimPy's counter of scheduled events (private)
    return cpu, len(sim.incidents), len(sim.events), scheduled


def bare_callbacks(n: int, gaps: np.ndarray) -> float:
    """CPU µs per event: ``n`` timeouts, each with one callback that schedules the next."""
    env = simpy.Environment()
    left = [n]
    g = gaps.tolist()

    def cb(_: simpy.Event) -> None:
        left[0] -= 1
        if left[0] > 0:
            env.timeout(g[left[0] % len(g)]).callbacks.append(cb)

    for k in range(PENDING):
        env.timeout(g[k]).callbacks.append(cb)
    c0 = time.process_time()
    env.run()
    return (time.process_time() - c0) / next(env._eid) * 1e6


def bare_process(n: int, gaps: np.ndarray) -> float:
    """CPU µs per event: ``PENDING`` processes yielding ``n`` timeouts in all."""
    env = simpy.Environment()
    g, per = gaps.tolist(), max(n // PENDING, 1)

    def proc(k: int) -> Generator[simpy.Event, None, None]:
        for j in range(per):
            yield env.timeout(g[(k + j) % len(g)])

    for k in range(PENDING):
        env.process(proc(k))
    c0 = time.process_time()
    env.run()
    return (time.process_time() - c0) / next(env._eid) * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--city", default="municipality")
    ap.add_argument("--days", type=float, default=30.0)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    cpu, incidents, rows, events = engine_events(args.city, args.days)
    print(
        f"{args.city}, {args.days:g} days: engine {cpu:.1f} CPU-s; {incidents:,} incidents, "
        f"{rows:,} log rows, {events:,} SimPy events ({events / incidents:.2f} per incident, "
        f"{cpu / events * 1e6:.1f} CPU-µs per SimPy event all-in)"
    )
    gaps = np.random.default_rng(1).exponential(3600.0, 100_000)
    cb = [bare_callbacks(events, gaps) for _ in range(args.repeats)]
    pr = [bare_process(events, gaps) for _ in range(args.repeats)]
    cbm, prm = statistics.median(cb), statistics.median(pr)
    floor = events * min(cbm, prm) / 1e6
    print(
        f"SimPy alone, {events:,} events on a heap of {PENDING:,}: callbacks "
        f"{', '.join(f'{x:.2f}' for x in cb)} µs/event (median {cbm:.2f}); process "
        f"{', '.join(f'{x:.2f}' for x in pr)} µs/event (median {prm:.2f})"
    )
    print(
        f"floor: {floor:.1f} CPU-s of SimPy for this run's events = {floor / cpu:.0%} of the "
        f"engine's {cpu:.1f} CPU-s; the engine's own work {cpu - floor:.1f} CPU-s "
        f"({(cpu - floor) / incidents * 1e6:.0f} µs per incident)"
    )


if __name__ == "__main__":
    main()
