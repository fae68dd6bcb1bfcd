"""Station crews against vehicle crews on the baseline, paired (common random numbers).

    nice -n 10 .venv/bin/python bench/crews_paired.py [--days 7] [--seeds 10] [--seed 2026]
        [--districts 6] [--jobs 1] [--deadline HH:MM]

Runs ``scenarios/baseline.toml`` under ``[dispatch] crews = "station"`` (the default: one or
two crews per fire station by class, :mod:`twin.sim.turnouts`) and ``crews = "vehicle"``
(every fire vehicle its own crew, the model before) under the same seeds: the incidents,
their call handling and first-leg travel noise are drawn before the run and the readiness
blocks take the same draws, so they are common. Prints per headline measure (each from its
primary origin) the mean share met of each model and the paired difference (station −
vehicle) with a 95 % t interval over seeds; the calibration figures (vehicles per call,
station runs per year, vehicle and crew utilisation, vehicles per turnout, queued share);
and the ``--districts`` weakest districts on 5min and 8min under station crews with the
paired difference there.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings

import numpy as np
import pandas as pd
from measures_common import (
    CAL_KEYS,
    MEASURES,
    Replicator,
    command_line,
    load,
    past,
    pct,
    replicate,
    t_interval,
)

from twin.analysis.targets import PRIMARY_ORIGIN


def paired(runs: dict[str, pd.DataFrame], scope: str, target: str, origin: str) -> tuple:
    """(station mean, vehicle mean, mean difference, low, high, seeds) of ``met_share``."""
    v = {}
    for k, d in runs.items():
        m = d[(d["scope"] == scope) & (d["target"] == target) & (d["from"] == origin)]
        v[k] = m.set_index("seed")["met_share"].astype(float)
    if v["station"].empty:
        return (np.nan,) * 6
    diff = (v["station"] - v["vehicle"]).to_numpy(float)
    m, lo, hi, n = t_interval(diff)
    with warnings.catch_warnings():  # a figure only one model has (crews): NaN for the other
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(np.nanmean(v["station"])), float(np.nanmean(v["vehicle"])), m, lo, hi, n


def show_measures(runs: dict[str, pd.DataFrame]) -> None:
    print(
        f"{'measure':<18} {'station':>8} {'vehicle':>8} {'station − vehicle (pt)':>23} {'95 % t':>17}"
    )
    for target in MEASURES:
        for origin in (PRIMARY_ORIGIN.get(target, "alarm"), "onset"):
            s, v, m, lo, hi, _ = paired(runs, "city", target, origin)
            if np.isfinite(s):
                print(
                    f"{target + '@' + origin:<18} {pct(s):>8} {pct(v):>8} {pct(m):>23} "
                    f"{pct(lo) + ' – ' + pct(hi):>17}"
                )


def show_calibration(runs: dict[str, pd.DataFrame]) -> None:
    print("\nCalibration figures (mean over seeds; station − vehicle with a 95 % t interval):")
    for key in CAL_KEYS:
        s, v, m, lo, hi, _ = paired(runs, "city", f"cal:{key}", "")
        if not (np.isfinite(s) or np.isfinite(v)):
            continue
        print(f"  {key:<34} {s:>10.4g} {v:>10.4g}   Δ {m:+.4g} [{lo:+.4g}, {hi:+.4g}]")


def show_districts(runs: dict[str, pd.DataFrame], n: int) -> None:
    st = runs["station"]
    scopes = sorted(s for s in st["scope"].unique() if str(s).startswith("district:"))
    for target in ("5min", "8min"):
        origin = PRIMARY_ORIGIN.get(target, "alarm")
        rows = [(scope, *paired(runs, scope, target, origin)) for scope in scopes]
        rows = sorted((r for r in rows if np.isfinite(r[1])), key=lambda r: r[1])[:n]
        print(f"\nWeakest districts on {target}@{origin} under station crews:")
        print(f"  {'district':<22} {'station':>8} {'vehicle':>8} {'Δ (pt)':>8} {'95 % t':>17}")
        for scope, s, v, m, lo, hi, _ in rows:
            print(
                f"  {scope:<22} {pct(s):>8} {pct(v):>8} {pct(m):>8} {pct(lo) + ' – ' + pct(hi):>17}"
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--days", type=float, default=7.0)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--districts", type=int, default=6)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--deadline", default=None, help="HH:MM UTC: start no new seed after it")
    a = ap.parse_args()
    t0 = time.perf_counter()
    city, scenario = load(a.days, a.seed)
    seeds = [a.seed + i for i in range(a.seeds)]
    reps = {
        model: Replicator(
            city, scenario.with_(dispatch={**scenario.dispatch.model_dump(), "crews": model})
        )
        for model in ("station", "vehicle")
    }
    parts: dict[str, list[pd.DataFrame]] = {m: [] for m in reps}
    step = max(a.jobs, 1)
    for k in range(0, len(seeds), step):  # pairs seed by seed: a deadline leaves whole pairs
        if k >= 2 and past(a.deadline):
            print(f"  [deadline {a.deadline} UTC: stopped after {k} seeds]", file=sys.stderr)
            break
        for model, rep in reps.items():
            batch = seeds[k : k + step]
            parts[model].append(replicate(rep, batch, label=f"{model} crews", jobs=a.jobs))
    runs = {m: pd.concat(p, ignore_index=True) for m, p in parts.items()}
    common = sorted(set(runs["station"]["seed"]) & set(runs["vehicle"]["seed"]))
    print(
        f"\n{a.days:g} days × {len(common)} seeds from {a.seed} (common random numbers); "
        "share met %, mean over seeds"
    )
    show_measures(runs)
    show_calibration(runs)
    show_districts(runs, a.districts)
    print(f"\nwall time {time.perf_counter() - t0:.0f} s; reproduce: {command_line()}")


if __name__ == "__main__":
    sys.exit(main())
