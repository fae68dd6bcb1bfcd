"""Benchmark: K-nearest travel tables vs dense tables as the road network grows.

    nice -n 10 .venv/bin/python bench/knearest.py [--sides 100 200 400 1000] [--k 8]
                                                  [--per-base 400] [--workers 2]

Synthetic grid cities (side × side nodes, two-way streets of 30–120 s, ``tests/test_speed``'s
``grid``), one base per ``--per-base`` nodes spread at random (the central twin has one road
base per ~300 nodes). For each size: the dense tables' size (bases × nodes × 3 periods ×
4 bytes; built and timed only while under 1 GB), and the K-nearest tables
(:class:`twin.sim.nearest.NearestTable`, three periods, bounded searches over ``--workers``
processes, no disk cache): build time, memory held, and the peak of Python-tracked memory
during the build (``tracemalloc``: numpy arrays included). The machine is shared: times are
wall seconds of one build on a loaded machine; sizes are exact.
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.test_speed import grid  # noqa: E402
from twin.model.roads import PERIODS, TravelTimes  # noqa: E402
from twin.sim.nearest import NearestTable, dense_bytes  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sides", type=int, nargs="+", default=[100, 200, 400, 1000])
    ap.add_argument("--k", type=int, default=8)
    ap.add_argument("--per-base", type=int, default=400)
    ap.add_argument("--limit", type=float, default=7200.0)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    print(
        f"{'nodes':>10} {'bases':>6} {'dense MB':>10} {'dense s':>8} "
        f"{'K-near MB':>10} {'K-near s':>9} {'peak MB':>8} {'ratio':>7}"
    )
    for side in args.sides:
        net = grid(side, seed=1)
        n = net.n_nodes
        rng = np.random.default_rng(0)
        sources = np.sort(rng.choice(n, max(n // args.per_base, 2), replace=False))
        dense_mb = dense_bytes(len(sources), n, False) / 1e6
        dense_s = float("nan")
        if dense_mb < 1000:
            t0 = time.perf_counter()
            TravelTimes(net, sources, use_cache=False)
            dense_s = time.perf_counter() - t0
        tracemalloc.start()
        t0 = time.perf_counter()
        table = NearestTable.build(
            net,
            sources,
            np.arange(len(sources)),
            args.k,
            args.limit,
            workers=args.workers,
            use_cache=False,
        )
        near_s = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
        near_mb = table.nbytes / 1e6
        print(
            f"{n:>10,} {len(sources):>6,} {dense_mb:>10,.0f} {dense_s:>8.1f} "
            f"{near_mb:>10,.0f} {near_s:>9.1f} {peak:>8,.0f} {dense_mb / near_mb:>6.1f}×",
            flush=True,
        )
    print(f"({len(PERIODS)} periods, K = {args.k}, limit {args.limit:g} s; loaded machine)")


if __name__ == "__main__":
    main()
