"""Disasters as they unfold: the earthquake's rescue shares with and without reinforcement,
fires served ahead of the collapse backlog, and the rainstorm's flood calls reached by
suitable means — over paired seeds (common random numbers), with 95 % intervals.

    nice -n 10 .venv/bin/python bench/disaster_effects.py [--seeds 20] [--quake-days 3]
        [--rain-days 1] [--only quake|rain]

Earthquake (``scenarios/earthquake.toml``), three arms on the same seeds:
  shipped      priorities, surge dispatch, reinforcement (the file as it is);
  no_reinf     the same without its ``[[reinforcement]]`` entries;
  fifo         the same as shipped but every incident type in one priority class (first
               come, first served: :data:`twin.sim.priority.PRIORITY` emptied for the run).
Prints ``rescue_6h/24h/72h`` (share of collapse and entrapment sites reached within 6, 24,
72 h of the onset) per arm and the paired differences, and the median wait (first ground
unit − alarm) of the fires that follow the quake, shipped against fifo.

Rainstorm (``scenarios/rainstorm.toml``) against the baseline, same seeds: flood calls
(waterlogging, water rescue) reached at the place (``reached_s``) by which means and how
long after the alarm; ordinary calls (everything else) alarmed during the storm window
(16:00–21:00): mean first ground response, rainstorm − baseline.

Not a test: figures to read and quote, reproducible from the seeds.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from twin.analysis.paired import paired_t  # noqa: E402
from twin.model.city import load_city  # noqa: E402
from twin.scenario.spec import load_scenario  # noqa: E402
from twin.sim import priority  # noqa: E402
from twin.sim.runner import run_scenario  # noqa: E402

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
RESCUE = ("rescue_6h", "rescue_24h", "rescue_72h")
FLOOD = ("waterlogging", "water_rescue")
STORM_WINDOW_S = (16 * 3600.0, 21 * 3600.0)


def share(res, name: str) -> float:
    c = res["compliance"]
    row = c[(c["scope"] == "city") & (c["target"] == name)]
    return float(row["met_share"].iloc[0]) if len(row) else float("nan")


def quake_fire_wait(inc: pd.DataFrame) -> float:
    """Median first-ground wait (s after the alarm) of the quake's fires (never reached:
    counted as infinitely late)."""
    fires = inc[(inc["type"] == "building_fire") & (inc["cause"] == "earthquake")]
    wait = (fires["first_ground_s"] - fires["alarm_s"]).fillna(np.inf)
    return float(np.median(wait)) if len(wait) else float("nan")


def run_fifo(sc, city):
    """The scenario with every type in one priority class (restored afterwards)."""
    saved = dict(priority.PRIORITY)
    priority.PRIORITY.clear()
    try:
        return run_scenario(sc.with_(), city, record_routes=False)
    finally:
        priority.PRIORITY.update(saved)


def quake(city, seeds: list[int], days: float) -> None:
    base = load_scenario(SCENARIOS / "earthquake.toml")
    rows = []
    for seed in seeds:
        t0 = time.perf_counter()
        sc = base.with_(seed=seed, days=days)
        arms = {
            "shipped": run_scenario(sc, city, record_routes=False),
            "no_reinf": run_scenario(sc.with_(reinforcement=()), city, record_routes=False),
            "fifo": run_fifo(sc, city),
        }
        row = {"seed": seed}
        for arm, res in arms.items():
            for name in RESCUE:
                row[f"{arm}:{name}"] = share(res, name)
            row[f"{arm}:fire_wait_s"] = quake_fire_wait(res["incidents"])
            row[f"{arm}:declared"] = len(res.summary["surge"]["declared_s"])
        rows.append(row)
        print(
            f"  seed {seed}: "
            + ", ".join(f"{k} {v:.3f}" for k, v in row.items() if k.startswith("shipped:rescue"))
            + f" ({time.perf_counter() - t0:.0f} s)",
            flush=True,
        )
    df = pd.DataFrame(rows)
    print(f"\nearthquake, {days:g} days, {len(seeds)} paired seeds (mean, 95 % t interval):")
    for name in RESCUE:
        s, n = df[f"shipped:{name}"], df[f"no_reinf:{name}"]
        d = paired_t((s - n).to_numpy())
        print(
            f"  {name}: with reinforcement {s.mean():.1%}, without {n.mean():.1%}; "
            f"difference {d.estimate:+.1%} [{d.low:+.1%}, {d.high:+.1%}]"
        )
    for name in RESCUE:
        s, f = df[f"shipped:{name}"], df[f"fifo:{name}"]
        d = paired_t((s - f).to_numpy())
        print(
            f"  {name}: priorities {s.mean():.1%}, first-come-first-served {f.mean():.1%}; "
            f"difference {d.estimate:+.1%} [{d.low:+.1%}, {d.high:+.1%}]"
        )
    s, f = df["shipped:fire_wait_s"], df["fifo:fire_wait_s"]
    d = paired_t((s - f).replace([np.inf, -np.inf], np.nan).to_numpy())
    print(
        f"  quake fires, median wait for the first ground unit: priorities {s.median() / 60:.1f} "
        f"min, first-come-first-served {f.median() / 60:.1f} min; paired difference of the "
        f"per-seed medians {d.estimate / 60:+.1f} min [{d.low / 60:+.1f}, {d.high / 60:+.1f}]"
    )
    print(f"  surge declared in {int((df['shipped:declared'] > 0).sum())} of {len(df)} runs")


def rain(city, seeds: list[int], days: float) -> None:
    base_sc = load_scenario(SCENARIOS / "baseline.toml")
    rain_sc = load_scenario(SCENARIOS / "rainstorm.toml")
    rows, flood_rows = [], []
    for seed in seeds:
        t0 = time.perf_counter()
        b = run_scenario(base_sc.with_(seed=seed, days=days), city, record_routes=False)
        r = run_scenario(rain_sc.with_(seed=seed, days=days), city, record_routes=False)
        row = {"seed": seed}
        for arm, res in (("base", b), ("rain", r)):
            inc = res["incidents"]
            ordinary = ~inc["type"].isin(FLOOD) & (inc["cause"] != "rainstorm")
            window = inc["alarm_s"].between(*STORM_WINDOW_S)
            row[f"{arm}:ordinary_ground_s"] = float(
                np.nanmean(inc.loc[ordinary & window, "resp_ground_s"])
            )
        inc = r["incidents"]
        fl = inc[inc["type"].isin(FLOOD) & (inc["cause"] == "rainstorm")]
        flood_rows.append(
            pd.DataFrame(
                {
                    "seed": seed,
                    "depth_m": fl["depth_m"],
                    "access_m": fl["access_m"],
                    "by": fl["reached_by"],
                    "wait_s": fl["reached_s"] - fl["alarm_s"],
                }
            )
        )
        rows.append(row)
        print(
            f"  seed {seed}: {len(fl)} flood calls ({time.perf_counter() - t0:.0f} s)", flush=True
        )
    df = pd.DataFrame(rows)
    fl = pd.concat(flood_rows, ignore_index=True)
    print(f"\nrainstorm, {days:g} days, {len(seeds)} paired seeds:")
    d = paired_t((df["rain:ordinary_ground_s"] - df["base:ordinary_ground_s"]).to_numpy())
    print(
        f"  ordinary calls alarmed 16:00-21:00, mean first ground response: baseline "
        f"{df['base:ordinary_ground_s'].mean():.0f} s, rainstorm "
        f"{df['rain:ordinary_ground_s'].mean():.0f} s; difference {d.estimate:+.0f} s "
        f"[{d.low:+.0f}, {d.high:+.0f}]"
    )
    reached = fl["wait_s"].notna()
    print(
        f"  flood calls: {len(fl)} over the seeds, {reached.mean():.1%} reached at the place; "
        f"{(fl['access_m'] > 0).mean():.1%} placed away from their flooded node "
        f"(median {fl.loc[fl['access_m'] > 0, 'access_m'].median():.0f} m to cover)"
    )
    for by, g in fl[reached].groupby("by"):
        w = g["wait_s"] / 60
        print(
            f"    by {by}: {len(g)} calls, wait after the alarm median {w.median():.1f} min, "
            f"p90 {w.quantile(0.9):.1f} min"
        )
    w = fl.loc[reached, "wait_s"] / 60
    print(
        f"  all reached: median {w.median():.1f} min, p90 {w.quantile(0.9):.1f} min; within "
        f"30 min {(fl['wait_s'] <= 1800).mean():.1%}, 60 min {(fl['wait_s'] <= 3600).mean():.1%}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--first-seed", type=int, default=2026)
    ap.add_argument("--quake-days", type=float, default=3.0)
    ap.add_argument("--rain-days", type=float, default=1.0)
    ap.add_argument("--only", choices=("quake", "rain"), default=None)
    a = ap.parse_args()
    city = load_city()
    seeds = list(range(a.first_seed, a.first_seed + a.seeds))
    t0 = time.perf_counter()
    if a.only in (None, "rain"):
        rain(city, seeds, a.rain_days)
    if a.only in (None, "quake"):
        quake(city, seeds, a.quake_days)
    print(f"\nwall time {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
