"""Benchmark: ``twin sweep`` on 1 worker against 2 workers (issue #15, "sweep on all cores").

    nice -n 10 .venv/bin/python bench/sweep_speedup.py [--replications 8] [--days 1] [--repeats 2]
        [--cpu-replications 4]

On the embedded central twin and ``scenarios/baseline.toml`` for ``--days`` days:
``twin.analysis.sweep.sweep`` of ``--replications`` seeds with ``workers=1`` (the
synchronous scheduler in this process) and ``workers=2`` (Dask's local process pool, one
task at a time per worker), alternating, ``--repeats`` times. Each timing starts cold: this
process forgets its loaded city and set-up before the 1-worker sweep, and the 2-worker
sweep starts fresh worker processes (which import the package, load the city and set the
scenario up once each). Both sweeps must give identical rows (checked). Printed: every wall
time, the medians, the ratio of the medians, the load average before and after (the
machine is shared: a ratio measured under load from other jobs understates the speed-up).

First, in this process, the CPU seconds of a sweep's serial part (loading the city, then
the set-up: ``twin.sim.runner.prepare``) and of each of ``--cpu-replications`` replications
(``one_replication``, as a worker runs them), cold: with S the serial part and R one
replication, 1 worker takes about S + n R and 2 workers S + n R / 2, so these say what
speed-up to expect and why (CPU time stays meaningful on a loaded machine; wall time does not).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from twin.analysis import sweep as sweep_mod  # noqa: E402
from twin.scenario.spec import load_scenario  # noqa: E402

BASELINE = ROOT / "scenarios" / "baseline.toml"


def timed(scenario, replications: int, workers: int) -> tuple[float, pd.DataFrame]:
    """Wall seconds of a cold sweep (this process's caches cleared first) and its rows."""
    sweep_mod._PREPARED.clear()
    sweep_mod._city.cache_clear()
    t0 = time.perf_counter()
    rows = sweep_mod.sweep(scenario, replications, workers=workers)
    return time.perf_counter() - t0, rows


def cpu_phases(scenario, replications: int) -> None:
    """Print the CPU seconds of the city load, the set-up and each replication (cold)."""
    sweep_mod._PREPARED.clear()
    sweep_mod._city.cache_clear()
    t0 = time.process_time()
    sweep_mod._city(scenario.city)
    t1 = time.process_time()
    sweep_mod._prepared(scenario, scenario.city)
    t2 = time.process_time()
    reps = []
    for i in range(replications):
        a = time.process_time()
        sweep_mod.one_replication(scenario, scenario.city, scenario.seed + i)
        reps.append(time.process_time() - a)
    each = ", ".join(f"{r:.2f}" for r in reps)
    print(
        f"CPU-s: city load {t1 - t0:.2f}, set-up {t2 - t1:.2f} (serial {t2 - t0:.2f}); "
        f"replications {each} (median {statistics.median(reps):.2f}); {load()}",
        flush=True,
    )


def load() -> str:
    return "load average {:.2f} {:.2f} {:.2f} (1, 5, 15 min)".format(*os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replications", type=int, default=8)
    ap.add_argument("--days", type=float, default=1.0)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--cpu-replications", type=int, default=4)
    a = ap.parse_args()
    scenario = load_scenario(BASELINE).with_(days=a.days)
    print(
        f"sweep of {a.replications} replications, baseline, {a.days:g} day(s); {os.cpu_count()} cores"
    )
    print(f"before: {load()}", flush=True)
    if a.cpu_replications > 0:
        cpu_phases(scenario, a.cpu_replications)
    walls: dict[int, list[float]] = {1: [], 2: []}
    for r in range(a.repeats):
        one, rows1 = timed(scenario, a.replications, 1)
        two, rows2 = timed(scenario, a.replications, 2)
        pd.testing.assert_frame_equal(rows1, rows2)  # same replications either way
        walls[1].append(one)
        walls[2].append(two)
        print(f"repeat {r + 1}: 1 worker {one:.1f} s, 2 workers {two:.1f} s; {load()}", flush=True)
    m1, m2 = statistics.median(walls[1]), statistics.median(walls[2])
    print(f"median wall: 1 worker {m1:.1f} s, 2 workers {m2:.1f} s; speed-up {m1 / m2:.2f} x")
    print(f"after: {load()}")
    print("command: nice -n 10 .venv/bin/python bench/sweep_speedup.py " + " ".join(sys.argv[1:]))


if __name__ == "__main__":
    main()
