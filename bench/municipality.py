"""Benchmark: the municipality twin (issue 15) — build, travel tables, a run, air by district.

    nice -n 10 .venv/bin/python bench/municipality.py [--days 365] [--seed 2026]
        [--folder DIR] [--csv OUT.csv]

Prints, measured in this run:

- the build time of the municipality city folder (:mod:`twin.build.municipality`; skipped
  with ``--folder DIR``, an already built folder) and its load-and-validate time;
- the engine preparation time with the travel-time tables computed afresh (no disk cache):
  road bases × nodes × periods, plus incident placement;
- the whole pipeline for ``--days`` of the default scenario (random incidents; the
  municipality has no pipes, so no pipe failures) via ``run_scenario``: wall time and CPU
  seconds of this process (on a shared machine the wall time is inflated by the load
  average, printed), incidents, **incidents per second** (engine and every results table);
- the peak resident memory of the process (``ru_maxrss``);
- the 60-min air target per district (``compliance.csv`` rows ``60min``/``alarm``/
  ``district:<id>``): air missions, share within the hour, p50 and p90, with the night and
  fog limits of :class:`twin.sim.params.AirLimits`; ``--csv`` writes that table;
- digests of the run's results (``tables_sha``: the incidents and events tables,
  :func:`estimate_check.tables_sha`).

``--before REV`` (e.g. ``--before HEAD~3 --days 30``) instead runs ``--days`` of the
municipality on the tree of commit ``REV`` (``git archive`` into a temporary folder) and on
this tree, each in a fresh process (``bench/muni_run.py``) at the same time so both see the
same load, ``--repeats`` times; prints CPU seconds, wall time and peak memory of every run,
the medians and the ratio before / after, and the digests of incidents, events,
compliance.csv and the calibration block — and exits with an error if they differ (a
speed change must not change a result).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from earthquake_speed import export  # noqa: E402
from estimate_check import ROOT, tables_sha  # noqa: E402

sys.path.insert(0, str(BENCH.parent))

from twin.build.municipality import build_municipality  # noqa: E402
from twin.model.city import load_city  # noqa: E402
from twin.model.roads import PERIODS  # noqa: E402
from twin.scenario.spec import Scenario  # noqa: E402
from twin.sim.engine import Engine, EngineConfig  # noqa: E402
from twin.sim.runner import run_scenario  # noqa: E402


def peak_mb() -> float:
    """Peak resident memory of this process so far (MB; Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def air_by_district(compliance: pd.DataFrame, districts: pd.DataFrame) -> pd.DataFrame:
    """The 60-min air target per district (every district, 0 missions where none)."""
    rows = compliance[(compliance["target"] == "60min") & (compliance["from"] == "alarm")]
    rows = rows[rows["scope"].str.startswith("district:")].copy()
    rows["district_id"] = rows["scope"].str.removeprefix("district:")
    d = districts[["district_id", "name", "name_en"]].merge(rows, on="district_id", how="left")
    d["count"] = d["count"].fillna(0).astype(int)
    cols = ["district_id", "name", "name_en", "count", "met_share", "p50_s", "p90_s"]
    return d[cols].sort_values(["met_share", "count"], na_position="last")


def before_after(rev: str, days: float, seed: int, repeats: int) -> None:
    """``days`` of the municipality on ``rev``'s tree and this one, side by side (module
    docstring)."""
    keys = ("tables_sha", "compliance_sha", "calibration_sha")
    runs: dict[str, list[dict]] = {"before": [], "after": []}
    with tempfile.TemporaryDirectory(prefix="bench-muni-before-") as tmp:
        roots = {"before": export(rev, Path(tmp)), "after": ROOT}
        for k in range(repeats):
            procs = {
                label: subprocess.Popen(
                    [sys.executable, str(BENCH / "muni_run.py"), str(root), str(days), str(seed)],
                    stdout=subprocess.PIPE,
                    text=True,
                )
                for label, root in roots.items()
            }
            for label, proc in procs.items():
                out, _ = proc.communicate()
                if proc.returncode:
                    sys.exit(f"{label} run failed ({proc.returncode})")
                r = json.loads(out.strip().splitlines()[-1])
                runs[label].append(r)
                print(
                    f"  {label:6} run {k + 1}: {r['incidents']:,} incidents, {r['events']:,} "
                    f"events, {r['cpu_s']:.1f} CPU-s, {r['wall_s']:.1f} s wall, peak "
                    f"{r['peak_mb']:,} MB; " + ", ".join(f"{key} {r[key]}" for key in keys),
                    flush=True,
                )
    med = {label: statistics.median(r["cpu_s"] for r in v) for label, v in runs.items()}
    print(
        f"{days:g} days, seed {seed}, CPU-s median of {repeats}: before ({rev}) "
        f"{med['before']:.1f}, after (this tree) {med['after']:.1f}; before / after "
        f"{med['before'] / med['after']:.2f} × (load average {os.getloadavg()[0]:.1f})"
    )
    digests = {tuple(r[key] for key in keys) for v in runs.values() for r in v}
    if len(digests) != 1:
        sys.exit(f"results differ between runs: {sorted(digests)}")
    print(f"results identical in all {2 * repeats} runs: " + ", ".join(digests.pop()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=float, default=365.0)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--folder", type=Path, default=None, help="an already built municipality")
    ap.add_argument("--csv", type=Path, default=None, help="write the air table here")
    ap.add_argument("--before", default=None, help="a commit to compare against, in this run")
    ap.add_argument("--repeats", type=int, default=1, help="runs per tree with --before")
    a = ap.parse_args()
    if a.before:
        before_after(a.before, a.days, a.seed, a.repeats)
        return
    tmp = None
    if a.folder is None:
        tmp = tempfile.TemporaryDirectory(prefix="bench-muni-")
        a.folder = Path(tmp.name) / "municipality"
        t0 = time.perf_counter()
        counts = build_municipality(a.folder)
        print(f"build: {time.perf_counter() - t0:.1f} s  {counts}")
    t0 = time.perf_counter()
    city = load_city(a.folder)
    s = city.summary()
    print(
        f"load + validate: {time.perf_counter() - t0:.1f} s; {s['road_nodes']:,} nodes, "
        f"{s['road_edges']:,} edges, {s['population']:,} people, units {s['units']}"
    )
    t0 = time.perf_counter()
    engine = Engine(city, EngineConfig(use_cache=False))
    print(
        f"engine preparation, tables uncached: {time.perf_counter() - t0:.1f} s "
        f"({len(engine.sources)} road bases × {engine.net.n_nodes:,} nodes × {len(PERIODS)} "
        f"periods); peak memory so far {peak_mb():,.0f} MB"
    )
    del engine
    t0, c0 = time.perf_counter(), time.process_time()
    res = run_scenario(Scenario(days=a.days, seed=a.seed), city, record_routes=False)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    c = res.summary["counts"]
    print(
        f"whole pipeline, {a.days:g} days: {wall:.1f} s wall, {cpu:.1f} CPU-s, for "
        f"{c['incidents']:,} incidents, {c['dispatches']:,} dispatches → "
        f"{c['incidents'] / wall:,.0f} incidents/s wall, {c['incidents'] / cpu:,.0f} per CPU-s "
        f"(engine and tables; travel tables from the disk cache when present; load average "
        f"{os.getloadavg()[0]:.1f})"
    )
    print(f"peak resident memory: {peak_mb():,.0f} MB")
    print(f"results: tables_sha {tables_sha(res['incidents'], res['events'])} (incidents, events)")
    air = air_by_district(res["compliance"], city.districts)
    print(f"\n60-min air target by district ({a.days:g} days, seed {a.seed}; night/fog limits on):")
    print(f"{'district':<34} {'missions':>8} {'met %':>6} {'p50 min':>8} {'p90 min':>8}")
    for r in air.itertuples():
        met = "" if pd.isna(r.met_share) else f"{100 * r.met_share:.0f}"
        p50 = "" if pd.isna(r.p50_s) else f"{r.p50_s / 60:.0f}"
        p90 = "" if pd.isna(r.p90_s) else f"{r.p90_s / 60:.0f}"
        print(f"{r.name_en + ' ' + r.name:<34} {r.count:>8} {met:>6} {p50:>8} {p90:>8}")
    if a.csv:
        air.to_csv(a.csv, index=False)
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
