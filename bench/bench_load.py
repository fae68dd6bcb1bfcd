"""Benchmark: loading and validating the embedded twin, and connectivity the naive way.

    .venv/bin/python bench/bench_load.py [--repeats 5]

Prints medians over ``--repeats`` of: ``load_city()`` (read GeoParquet, validate every layer,
project to UTM 48N), ``validate_folder`` alone, and the road-graph connectivity check as the
validator does it (``scipy.sparse.csgraph.connected_components`` on the edge arrays) against
the naive way (build a NetworkX graph, ``nx.number_connected_components``), with the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import networkx as nx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from twin.model.city import embedded_path, load_city  # noqa: E402
from twin.model.validate import road_components, validate_folder  # noqa: E402


def median_time(fn, repeats: int) -> float:
    """Median wall time (s) of ``fn()`` over ``repeats`` calls."""
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    city = load_city()
    nodes, edges = city.road_nodes, city.road_edges
    print(
        f"embedded twin: {len(nodes):,} road nodes, {len(edges):,} edges, "
        f"{len(city.pipes):,} pipes, {len(city.stations):,} stations"
    )
    t_load = median_time(load_city, args.repeats)
    t_val = median_time(lambda: validate_folder(embedded_path()), args.repeats)
    ids, us, vs = nodes["node_id"], edges["u"], edges["v"]
    t_fast = median_time(lambda: road_components(ids, us, vs), args.repeats)

    def naive() -> int:
        g = nx.Graph()
        g.add_nodes_from(ids)
        g.add_edges_from(zip(us, vs))
        return nx.number_connected_components(g)

    t_naive = median_time(naive, args.repeats)
    print(f"median over {args.repeats}: load_city {t_load:.2f} s, validate_folder {t_val:.2f} s")
    print(
        f"connectivity: csgraph {t_fast * 1000:.1f} ms, NetworkX {t_naive * 1000:.1f} ms "
        f"→ ×{t_naive / t_fast:.1f}"
    )


if __name__ == "__main__":
    main()
