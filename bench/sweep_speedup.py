"""Benchmark: ``twin sweep`` on 1 worker against 2 workers (issue #15, "sweep on all cores").

    nice -n 10 .venv/bin/python bench/sweep_speedup.py [--replications 8] [--days 1 7]
        [--repeats 3] [--cpu-replications 4]

On the embedded central twin and ``scenarios/baseline.toml`` for each of ``--days`` (one
or more lengths in days, each measured in turn): ``twin.analysis.sweep.sweep`` of
``--replications`` seeds with ``workers=1`` (the synchronous scheduler in this process)
and ``workers=2`` (Dask's local process pool, one task at a time per worker), alternating,
``--repeats`` times. Each timing is a sweep in a fresh process (``--one WORKERS``), as a
user's ``twin sweep`` is: it loads the city and sets up, and with 2 workers forks fresh
worker processes that inherit both. (Up to the 26th stop the sweeps were timed one after
another in this process, which then forked workers from the heap the previous sweeps had
left: the 2-worker sweeps paid 2–3 CPU-s more here and a sixth more in the workers.) The disk caches (travel times, the loaded city,
the pipe ages: :mod:`twin.model.cache`) are warm, as for every sweep after a user's
first; a first sweep ever also pays "city from layers" and "pipe info computed" below
once. Both sweeps must give identical rows (checked). Printed: every wall time, the
medians, the ratio of the medians, the load average before and after (the machine may be
shared: a ratio measured under load from other jobs understates the speed-up).

First, in this process, the CPU seconds of each piece: the city loaded from its layers
(what the city cache saves), loaded from the city cache, the set-up
(``twin.sim.runner.prepare``, with the pipe ages from the cache) and the pipe ages
computed (what that cache saves), then each of ``--cpu-replications`` replications
(``one_replication``, as a worker runs them): with S the serial part (city from the cache
+ set-up) and R one replication, 1 worker takes about S + n R and 2 workers S + n R / 2,
so these say what speed-up to expect and why (CPU time stays meaningful on a loaded
machine; wall time does not).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from twin.analysis import sweep as sweep_mod  # noqa: E402
from twin.model import city as city_mod  # noqa: E402
from twin.model.city import embedded_path  # noqa: E402
from twin.scenario.spec import load_scenario  # noqa: E402
from twin.sim.placement import pipe_info  # noqa: E402

BASELINE = ROOT / "scenarios" / "baseline.toml"


@dataclass(frozen=True)
class Timing:
    """One sweep: wall seconds, CPU seconds in its process and in the worker processes, a
    digest of its rows."""

    wall: float
    here: float
    workers: float
    rows: str

    def cpu(self) -> str:
        return f"CPU {self.here:.1f} here + {self.workers:.1f} in workers"


def children_cpu() -> float:
    """CPU seconds (user + system) of this process's finished child processes."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def one_sweep(days: float, replications: int, workers: int) -> None:
    """``--one WORKERS``: one sweep in this (fresh) process; prints a JSON line: wall and
    CPU seconds here and in the workers, and a digest of the rows."""
    scenario = load_scenario(BASELINE).with_(days=days)
    c0, k0, t0 = time.process_time(), children_cpu(), time.perf_counter()
    rows = sweep_mod.sweep(scenario, replications, workers=workers)
    wall = time.perf_counter() - t0
    digest = hashlib.sha256(pd.util.hash_pandas_object(rows, index=True).to_numpy().tobytes())
    out = {
        "wall": wall,
        "here": time.process_time() - c0,
        "workers": children_cpu() - k0,
        "rows": digest.hexdigest()[:16],
    }
    print(json.dumps(out))


def timed(days: float, replications: int, workers: int) -> Timing:
    """A sweep in a fresh process (:func:`one_sweep`): wall and CPU seconds, rows' digest."""
    args = [sys.executable, __file__, "--one", str(workers), "--days", str(days)]
    args += ["--replications", str(replications)]
    got = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    r = json.loads(got.strip().splitlines()[-1])
    return Timing(r["wall"], r["here"], r["workers"], r["rows"])


def cpu_phases(scenario, replications: int) -> None:
    """Print the CPU seconds of each piece of a sweep's serial part and each replication."""
    sweep_mod._PREPARED.clear()
    sweep_mod.shared_city.cache_clear()
    t0 = time.process_time()
    city_mod._read_city(embedded_path(), validate=True)
    t1 = time.process_time()
    sweep_mod.shared_city(scenario.city)
    t2 = time.process_time()
    prep = sweep_mod._prepared(scenario, scenario.city)
    t3 = time.process_time()
    xy = prep.city.roads.xy
    for net in ("water", "gas", "drainage"):
        pipe_info(prep.city.pipes, net, xy, use_cache=False)
    t4 = time.process_time()
    reps = []
    for i in range(replications):
        a = time.process_time()
        sweep_mod.one_replication(scenario, scenario.city, scenario.seed + i)
        reps.append(time.process_time() - a)
    each = ", ".join(f"{r:.2f}" for r in reps)
    print(
        f"CPU-s: city from layers {t1 - t0:.2f} (uncached), from the city cache {t2 - t1:.2f}; "
        f"set-up {t3 - t2:.2f} (pipe info computed instead of cached: {t4 - t3:.2f}); "
        f"serial part {t3 - t1:.2f}; replications {each} (median {statistics.median(reps):.2f}); "
        f"{load()}",
        flush=True,
    )


def load() -> str:
    return "load average {:.2f} {:.2f} {:.2f} (1, 5, 15 min)".format(*os.getloadavg())


def measure(days: float, a: argparse.Namespace) -> None:
    """One sweep length: CPU pieces, then the alternating 1- and 2-worker timings."""
    scenario = load_scenario(BASELINE).with_(days=days)
    print(
        f"sweep of {a.replications} replications, baseline, {days:g} day(s); {os.cpu_count()} cores"
    )
    print(f"before: {load()}", flush=True)
    t0 = time.process_time()
    sweep_mod._prepared(scenario, scenario.city)  # fills the disk caches if they are empty
    print(f"warm-up (disk caches filled if empty): {time.process_time() - t0:.2f} CPU-s")
    if a.cpu_replications > 0:
        cpu_phases(scenario, a.cpu_replications)
    walls: dict[int, list[float]] = {1: [], 2: []}
    ideal = []
    for r in range(a.repeats):
        one = timed(days, a.replications, 1)
        two = timed(days, a.replications, 2)
        if one.rows != two.rows:  # same replications either way
            raise SystemExit(f"1 and 2 workers gave different rows: {one.rows} {two.rows}")
        walls[1].append(one.wall)
        walls[2].append(two.wall)
        # on 2 idle cores, balanced: the serial part here, then the workers' CPU in parallel
        ideal.append((one.here + one.workers) / (two.here + two.workers / 2))
        print(
            f"repeat {r + 1}: 1 worker {one.wall:.1f} s ({one.cpu()}), "
            f"2 workers {two.wall:.1f} s ({two.cpu()}); {load()}",
            flush=True,
        )
    m1, m2 = statistics.median(walls[1]), statistics.median(walls[2])
    print(f"median wall: 1 worker {m1:.1f} s, 2 workers {m2:.1f} s; speed-up {m1 / m2:.2f} x")
    print(
        "CPU-bound estimate (1 worker's CPU / (2 workers' CPU here + workers' CPU / 2), "
        f"what 2 idle cores would give with balanced workers): median {statistics.median(ideal):.2f} x"
    )
    print(f"after: {load()}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replications", type=int, default=8)
    ap.add_argument("--days", type=float, nargs="+", default=[1.0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--cpu-replications", type=int, default=4)
    ap.add_argument("--one", type=int, help="(internal) one sweep on this many workers")
    a = ap.parse_args()
    if a.one is not None:
        one_sweep(a.days[0], a.replications, a.one)
        return
    for days in a.days:
        measure(days, a)
    print("command: .venv/bin/python bench/sweep_speedup.py " + " ".join(sys.argv[1:]))


if __name__ == "__main__":
    main()
