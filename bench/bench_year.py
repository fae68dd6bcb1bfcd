"""Benchmark: one simulated year of incidents on the embedded twin, and the naive way.

    .venv/bin/python bench/bench_year.py [--days 365] [--repeats 3] [--naive 300]
                                         [--synthetic] [--profile] [--no-full]

Prints, as medians over ``--repeats`` runs of the same year (same seed):

- the time to prepare the engine (fleet, travel-time arrays — cached on disk after the
  first run — placement), to draw the year's incidents, and to simulate them;
- incidents simulated per second and dispatches per second;
- the naive dispatch cost: for a sample of the year's road dispatches, the same choice
  made with a NetworkX shortest-path search per dispatch
  (``nx.shortest_path_length(G_reversed, source=incident_node, weight='travel_time_s')``,
  then the nearest of the candidate stations), and with a per-dispatch scipy Dijkstra;
  and the ratio of naive seconds per dispatch to the engine's whole cost per dispatch
  (the engine's figure includes every SimPy event, not just the choice of unit).

Then (unless ``--no-full``) the whole pipeline once: ``run_scenario`` of
``scenarios/baseline.toml`` for the same number of days — random pipe failures with their
road closures and outages, the engine, and every results table — with its wall time.

``--synthetic`` runs on a generated 200 × 200 grid city of the twin's size (for when the
embedded twin is not built); ``--profile`` prints the top of a cProfile of one run.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from twin.hazards.timeline import Timeline  # noqa: E402
from twin.model.city import City, embedded_path, load_city  # noqa: E402
from twin.model.roads import PERIODS, period_of  # noqa: E402
from twin.sim.engine import Engine, EngineConfig, K  # noqa: E402
from twin.sim.forces import FORCES  # noqa: E402


def synthetic_city(side: int = 200, spacing_m: float = 150.0, seed: int = 1) -> City:
    """A grid city the size of the twin: side² nodes, ~2·side² edges, 9 districts of
    ~1.1 M people, 90 fire stations, 3 000 community posts, 1 km cells."""
    import geopandas as gpd
    import shapely
    from shapely.geometry import box

    rng = np.random.default_rng(seed)
    crs = "EPSG:32648"
    x0, y0 = 640_000.0, 3_250_000.0
    c, r = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    c, r = c.ravel(), r.ravel()
    x, y = x0 + c * spacing_m, y0 + r * spacing_m
    elev = 250 + 80 * np.sin(c / 23.0) * np.cos(r / 31.0) + rng.normal(0, 3, len(c))
    third = side // 3
    dist = np.array([f"D{min(a // third, 2) * 3 + min(b // third, 2) + 1}" for a, b in zip(c, r)])
    ids = np.array([f"n{i}" for i in range(len(c))], dtype=object)
    nodes = gpd.GeoDataFrame(
        {"node_id": ids, "elevation_m": elev, "district_id": dist},
        geometry=shapely.points(x, y),
        crs=crs,
    )
    idx = np.arange(len(c)).reshape(side, side)
    u = np.concatenate([idx[:-1, :].ravel(), idx[:, :-1].ravel()])
    v = np.concatenate([idx[1:, :].ravel(), idx[:, 1:].ravel()])
    keep = rng.random(len(u)) > 0.08  # some missing streets
    u, v = u[keep], v[keep]
    cls = np.where((c[u] % 20 == 0) | (r[u] % 20 == 0), "arterial", "local")
    speed = np.where(cls == "arterial", 50.0, 30.0)
    geoms = shapely.linestrings(
        np.stack([np.column_stack([x[u], y[u]]), np.column_stack([x[v], y[v]])], axis=1)
    )
    edges = gpd.GeoDataFrame(
        {
            "edge_id": [f"e{i}" for i in range(len(u))],
            "u": ids[u],
            "v": ids[v],
            "length_m": spacing_m,
            "road_class": cls,
            "speed_kph": speed,
            "bridge": False,
            "tunnel": False,
            "oneway": False,
            "name": "",
        },
        geometry=geoms,
        crs=crs,
    )
    span = side * spacing_m
    dpolys = []
    for k in range(9):
        a, b = divmod(k, 3)
        dpolys.append(
            {
                "district_id": f"D{k + 1}",
                "name": f"区{k + 1}",
                "name_en": f"D{k + 1}",
                "population": 1_100_000,
                "level": "core",
                "geometry": box(
                    x0 + a * third * spacing_m - 1,
                    y0 + b * third * spacing_m - 1,
                    x0 + (span if a == 2 else (a + 1) * third * spacing_m),
                    y0 + (span if b == 2 else (b + 1) * third * spacing_m),
                ),
            }
        )
    districts = gpd.GeoDataFrame(dpolys, crs=crs)
    rows = []
    for force, n, units in (
        ("fire", 90, 3),
        ("professional", 12, 2),
        ("social", 20, 2),
        ("community", 3000, 2),
        ("air", 2, 2),
    ):
        pick = rng.choice(len(c), n, replace=False)
        for j, i in enumerate(pick):
            rows.append(
                {
                    "station_id": f"{force[:2]}{j}",
                    "force": force,
                    "name": "",
                    "name_en": "",
                    "district_id": dist[i],
                    "units": units,
                    "geometry": shapely.Point(x[i], y[i]),
                }
            )
    stations = gpd.GeoDataFrame(rows, crs=crs)
    cells = []
    step = 1000.0
    for a in np.arange(x0 - 75, x0 + span, step):
        for b in np.arange(y0 - 75, y0 + span, step):
            cells.append(
                {
                    "cell_id": f"c{len(cells)}",
                    "district_id": "",
                    "population": float(rng.gamma(2.0, 5000.0)),
                    "geometry": box(a, b, a + step, b + step),
                }
            )
    cells = gpd.GeoDataFrame(cells, crs=crs)
    from twin.model.city import empty_layer

    return City(
        name="synthetic",
        crs=crs,
        districts=districts,
        road_nodes=nodes,
        road_edges=edges,
        pipes=empty_layer("pipes", crs),
        junctions=empty_layer("junctions", crs),
        stations=stations,
        cells=cells,
    )


def naive_sample(engine: Engine, sim, n: int, rng: np.random.Generator) -> tuple[float, float]:
    """Seconds per dispatch choosing the fire unit with a shortest-path search per dispatch:
    (NetworkX, scipy single-source Dijkstra)."""
    import networkx as nx
    from scipy.sparse.csgraph import dijkstra

    fire = FORCES.index("fire")
    fl = engine.fleet
    unit_force = fl.station_force[fl.unit_station]
    picks = [e for e in sim.events if e[1] == K["dispatched"] and unit_force[e[3]] == fire]
    picks = [picks[i] for i in rng.choice(len(picks), min(n, len(picks)), replace=False)]
    st = fl.of_force("fire")
    st_nodes = fl.station_node[st]
    st_dist = fl.station_district[st]
    g = engine.city.graph.reverse(copy=False)
    ids = engine.net.node_ids
    t0 = time.perf_counter()
    for _t, _, _, _, node, _, to in picks:
        d = nx.shortest_path_length(g, source=ids[node], weight="travel_time_s")
        times = np.array([d.get(ids[s], np.inf) for s in st_nodes])
        own = np.where(st_dist == to, times, np.inf)
        _ = own.argmin() if np.isfinite(own).any() else times.argmin()
    t_nx = (time.perf_counter() - t0) / max(len(picks), 1)
    mats = [engine.net.matrix(engine.net.edge_times(p)).T.tocsr() for p in PERIODS]
    t0 = time.perf_counter()
    for t, _, _, _, node, _, to in picks:
        d = dijkstra(mats[period_of(t)], indices=node)
        times = d[st_nodes]
        own = np.where(st_dist == to, times, np.inf)
        _ = own.argmin() if np.isfinite(own).any() else times.argmin()
    t_sp = (time.perf_counter() - t0) / max(len(picks), 1)
    return t_nx, t_sp


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=float, default=365.0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--naive", type=int, default=300, help="dispatches in the naive sample")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--synthetic", action="store_true")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument(
        "--no-full",
        dest="full",
        action="store_false",
        help="skip the whole-pipeline run of scenarios/baseline.toml",
    )
    args = ap.parse_args()
    duration = args.days * 86400.0

    t0 = time.perf_counter()
    if args.synthetic or not any(embedded_path().glob("road_nodes.*")):
        print(
            "using a synthetic 200 × 200 grid city"
            + ("" if args.synthetic else " (the embedded twin geodata/chongqing is not built)")
        )
        city = synthetic_city()
    else:
        city = load_city()
    t_load = time.perf_counter() - t0
    s = city.summary()
    print(
        f"city {s['name']}: {s['road_nodes']:,} nodes, {s['road_edges']:,} edges, "
        f"population {s['population']:,}, units {s['units']}"
    )
    t0 = time.perf_counter()
    engine = Engine(city, EngineConfig())
    t_prep = time.perf_counter() - t0
    print(
        f"load {t_load:.1f} s; engine preparation {t_prep:.1f} s "
        f"({len(engine.sources)} road bases × {engine.net.n_nodes:,} nodes × {len(PERIODS)} periods)"
    )

    draws, runs, sim = [], [], None
    for rep in range(args.repeats):
        rng = np.random.default_rng(args.seed)
        t0 = time.perf_counter()
        arrays = engine.draw(rng, duration, Timeline())
        draws.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        if args.profile and rep == 0:
            prof = cProfile.Profile()
            prof.enable()
        sim = engine.run(arrays, rng, duration, Timeline())
        runs.append(time.perf_counter() - t0)
        if args.profile and rep == 0:
            prof.disable()
            pstats.Stats(prof).sort_stats("tottime").print_stats(25)
        n_disp = sum(1 for e in sim.events if e[1] == K["dispatched"])
        print(
            f"  run {rep + 1}: {len(sim.incidents):,} incidents, {n_disp:,} dispatches, "
            f"{len(sim.events):,} events: draw {draws[-1]:.2f} s, simulate {runs[-1]:.2f} s"
        )
    run_s = statistics.median(runs)
    n_inc = len(sim.incidents)
    print(
        f"median over {args.repeats}: draw {statistics.median(draws):.2f} s, "
        f"simulate {run_s:.2f} s → {n_inc / run_s:,.0f} incidents/s, "
        f"{n_disp / run_s:,.0f} dispatches/s"
    )

    t_nx, t_sp = naive_sample(engine, sim, args.naive, np.random.default_rng(0))
    per_dispatch = run_s / n_disp
    print(
        f"naive dispatch ({args.naive} sampled fire dispatches): NetworkX {t_nx * 1e3:.1f} ms, "
        f"scipy Dijkstra {t_sp * 1e3:.1f} ms per dispatch; engine (all-in) "
        f"{per_dispatch * 1e6:.1f} µs per dispatch"
    )
    print(
        f"speed-up: ×{t_nx / per_dispatch:,.0f} vs NetworkX, ×{t_sp / per_dispatch:,.0f} "
        f"vs per-dispatch Dijkstra; a naive year would take ~{t_nx * n_disp / 3600:.1f} h "
        f"(NetworkX)"
    )
    if args.full:
        full_pipeline(city, args.days)


def full_pipeline(city: City, days: float) -> None:
    """One ``run_scenario`` of the baseline scenario (timeline, engine, tables), timed."""
    from twin.scenario.spec import load_scenario
    from twin.sim.runner import run_scenario

    scen = load_scenario(Path(__file__).resolve().parent.parent / "scenarios" / "baseline.toml")
    scen = scen.with_(days=days)
    t0 = time.perf_counter()
    res = run_scenario(scen, city, record_routes=False)
    wall = time.perf_counter() - t0
    c = res.summary["counts"]
    print(
        f"whole pipeline (baseline.toml, {days:g} days): {wall:.1f} s for {c['incidents']:,} "
        f"incidents, {c['closures']:,} closures, {c['events']:,} events "
        f"→ {c['incidents'] / wall:,.0f} incidents/s including tables"
    )


if __name__ == "__main__":
    main()
