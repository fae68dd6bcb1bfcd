"""Probe: the cyclic collector in a sweep's replications, in one process and in forked workers.

    .venv/bin/python bench/sweep_worker_gc.py [--days 30] [--replications 8]

On the embedded central twin and ``scenarios/baseline.toml``:

1. in this process (set up once, collector frozen over the set-up as in a sweep's parent),
   one replication with the collector off, the replication dropped, then ``gc.collect()``:
   the objects the run left in reference cycles (freed only by the collector) and the
   CPU seconds of that collection;
2. a sweep of ``--replications`` on 1 worker and on 2 workers (fresh processes of this
   script, ``--sweep WORKERS``), printing for every replication the process id, its CPU
   seconds and the CPU seconds spent in the collector (``gc.callbacks``) during it, and
   the sweep's wall time: what a forked worker pays that one process does not.

Rows are the same whatever the workers (``bench/sweep_speedup.py`` checks that); this is
a probe of where the workers' time goes, not a speed claim.
"""

from __future__ import annotations

import argparse
import gc
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from twin.analysis import sweep as sweep_mod  # noqa: E402
from twin.scenario.spec import load_scenario  # noqa: E402

BASELINE = ROOT / "scenarios" / "baseline.toml"


def timed_replication(*args, **kwargs):  # type: ignore[no-untyped-def]
    """``one_replication``, printing its CPU seconds and the collector's (to stderr)."""
    spent = [0.0, 0.0]

    def on_gc(phase: str, info: dict) -> None:
        if phase == "start":
            spent[1] = time.process_time()
        else:
            spent[0] += time.process_time() - spent[1]

    gc.callbacks.append(on_gc)
    c0 = time.process_time()
    try:
        return REAL(*args, **kwargs)
    finally:
        gc.callbacks.remove(on_gc)
        print(
            f"  pid {os.getpid()}: replication {time.process_time() - c0:.2f} CPU-s, "
            f"collector {spent[0]:.2f}",
            file=sys.stderr,
            flush=True,
        )


REAL = sweep_mod.one_replication
timed_replication.__module__ = REAL.__module__  # forked workers unpickle it by this name
timed_replication.__qualname__ = REAL.__qualname__


def cycles_left(days: float) -> None:
    """Objects one dropped replication leaves in reference cycles, and their collection."""
    sc = load_scenario(BASELINE).with_(days=days)
    sweep_mod._prepared(sc, sc.city)
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        c0 = time.process_time()
        rep = REAL(sc, sc.city, sc.seed)
        cpu = time.process_time() - c0
        del rep
        c1 = time.process_time()
        found = gc.collect()
        took = time.process_time() - c1
    finally:
        gc.enable()
        gc.unfreeze()
    print(
        f"one replication ({days:g} days) {cpu:.2f} CPU-s; dropped, it left {found:,} objects "
        f"in reference cycles, collected in {took:.2f} CPU-s",
        flush=True,
    )


def sweep(workers: int, days: float, replications: int) -> None:
    """``--sweep WORKERS``: one sweep in this (fresh) process, each replication timed."""
    sweep_mod.one_replication = timed_replication
    sc = load_scenario(BASELINE).with_(days=days)
    t0 = time.perf_counter()
    sweep_mod.sweep(sc, replications, workers=workers)
    print(f"  {workers} worker(s): {time.perf_counter() - t0:.1f} s wall", file=sys.stderr)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=float, default=30.0)
    ap.add_argument("--replications", type=int, default=8)
    ap.add_argument("--sweep", type=int, help="(internal) one sweep on this many workers")
    a = ap.parse_args()
    if a.sweep is not None:
        sweep(a.sweep, a.days, a.replications)
        return
    cycles_left(a.days)
    for workers in (1, 2):
        print(f"sweep of {a.replications} on {workers} worker(s):", flush=True)
        args = [sys.executable, __file__, "--sweep", str(workers), "--days", str(a.days)]
        subprocess.run([*args, "--replications", str(a.replications)], check=True)
    print("command: .venv/bin/python bench/sweep_worker_gc.py " + " ".join(sys.argv[1:]))


if __name__ == "__main__":
    main()
