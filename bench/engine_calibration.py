"""The everyday model against the national references: vehicles per call, calls per 100 000
people per day, runs per station per year, and the time chain's segments.

    nice -n 10 .venv/bin/python bench/engine_calibration.py [--days 7] [--seed 2026]
        [--policy nearest]

Runs ``scenarios/baseline.toml`` (pipe failures and all) for ``--days`` and prints:

- **vehicles per ground call**: fire-service vehicles (fire force units) dispatched per
  incident whose first assignment includes fire vehicles, and all ground units (fire,
  professional, social) per ground call — against 1.92 (China 2025, all call kinds);
- the model's first assignments reweighted by the national call mix
  (``twin.sim.params.vehicles_per_call_national``) and the gap to 1.92;
- **ground calls per 100 000 people per day** (incidents needing a ground unit) against the
  national 0.41–0.47 (all call kinds, 2023–2025) and ≈ 0.25 (fires and rescues);
- **runs per fire station per year** (the calibration block's: incidents a station sent at
  least one vehicle to, × 365 / days; median, max, how many over 1,000), against 135
  stations nationally with more than 1,000 runs in 2025; vehicle dispatches per station
  per year; fire-unit utilisation;
- the time chain's segments (medians and p90 of ``call_s``, ``turnout_s``, ``travel_s``, and
  the first fire vehicle and the full assignment from the dispatch order).
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from twin.model.city import load_city  # noqa: E402
from twin.scenario.spec import load_scenario  # noqa: E402
from twin.sim.catalogue import CATALOGUE  # noqa: E402
from twin.sim.params import (  # noqa: E402
    NATIONAL_VEHICLES_PER_CALL,
    OTHER_CALL_VEHICLES,
    vehicles_per_call_national,
)
from twin.sim.runner import run_scenario  # noqa: E402

GROUND = ("fire", "professional", "social")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=float, default=7.0)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--policy", default="nearest", choices=("nearest", "district_first"))
    args = ap.parse_args()
    t0 = time.perf_counter()
    root = Path(__file__).resolve().parent.parent
    sc = load_scenario(root / "scenarios" / "baseline.toml")
    sc = sc.with_(days=args.days, seed=args.seed, dispatch={"policy": args.policy})
    city = load_city(sc.city)
    res = run_scenario(sc, city, record_routes=False)
    inc, ev, units = res.tables["incidents"], res.tables["events"], res.tables["units"]
    days = args.days
    pop = float(city.core_districts["population"].sum())
    needs = {t.name: {f for f, _ in t.needs} for t in CATALOGUE.values()}
    fire_call = inc["type"].map(lambda t: "fire" in needs.get(t, set()))
    ground_call = inc["type"].map(lambda t: bool(needs.get(t, set()) & set(GROUND)))
    disp = ev[ev["kind"] == "dispatched"]
    station = disp["unit_id"].astype(str).str.rsplit("/", n=1).str[0]
    force = dict(zip(units["station_id"], units["force"]))
    kind = station.map(force)
    n_fire_calls, n_ground_calls = int(fire_call.sum()), int(ground_call.sum())
    print(
        f"baseline, {days:g} days, seed {args.seed}, policy {args.policy}: "
        f"{len(inc):,} incidents, {n_ground_calls:,} ground calls"
    )
    print(
        f"fire vehicles per fire-service call: {(kind == 'fire').sum() / n_fire_calls:.2f} "
        f"({(kind == 'fire').sum():,} / {n_fire_calls:,})"
    )
    print(f"ground units per ground call: {kind.isin(GROUND).sum() / n_ground_calls:.2f}")
    print(
        f"summary.json calibration block: vehicles_per_ground_call "
        f"{res.summary['calibration']['vehicles_per_ground_call']}, "
        f"fire_vehicles_per_fire_call {res.summary['calibration'].get('fire_vehicles_per_fire_call')}"
    )
    rates = {t.name: t.rate for t in CATALOGUE.values() if "fire" in needs[t.name]}
    model = vehicles_per_call_national(rates)
    model_hi = vehicles_per_call_national(rates, other=2.0)
    print(
        f"first assignments reweighted by the national call mix: {model:.2f} vehicles per "
        f"call vs {NATIONAL_VEHICLES_PER_CALL:.2f} "
        f"(gap {model - NATIONAL_VEHICLES_PER_CALL:+.2f}, "
        f"{model / NATIONAL_VEHICLES_PER_CALL - 1:+.0%}) with the unmodelled kinds at "
        f"{OTHER_CALL_VEHICLES:g} vehicle; {model_hi:.2f} at 2 (the assumption's range)"
    )
    print(
        f"ground calls per 100,000 people per day: {n_ground_calls / (pop / 1e5) / days:.3f} "
        f"(population {pop:,.0f}); national 0.41-0.47 all kinds, ~0.25 fires and rescues"
    )
    fire = units[units["force"] == "fire"]
    cal = res.summary["calibration"]
    runs, util = cal["runs_per_station_per_year"], cal["utilisation"]
    print(
        f"runs per fire station per year (incidents a station sent ≥ 1 vehicle to, × 365 / "
        f"days; summary.json calibration): median {runs['median']:,.0f}, max "
        f"{runs['max']:,.0f}, {runs['stations_over_1000']} of {cal['fire_stations']} stations "
        "over 1,000 (135 stations nationally made > 1,000 in 2025)"
    )
    veh = fire["dispatches"].to_numpy(float) * 365.0 / days
    print(
        f"vehicle dispatches per fire station per year: median {np.median(veh):,.0f}, "
        f"p90 {np.percentile(veh, 90):,.0f}, max {veh.max():,.0f} ({len(fire)} stations, "
        f"{int(fire['units'].sum())} vehicles)"
    )
    print(
        f"fire-unit utilisation (busy time / units × time): city {util['fire_units']:.2%}, "
        f"station median {util['station_median']:.2%}, busiest station {util['station_max']:.2%}"
    )
    for col in ("call_s", "turnout_s", "travel_s"):
        x = inc[col].dropna().to_numpy(float)
        print(
            f"{col}: median {np.median(x):.0f} s, p90 {np.percentile(x, 90):.0f} s (n={len(x):,})"
        )
    for col in ("first_fire_s", "full_s"):
        x = (inc[col] - inc["dispatch_s"]).dropna().to_numpy(float)
        print(
            f"{col} from the dispatch order: median {np.median(x):.0f} s, "
            f"p90 {np.percentile(x, 90):.0f} s, within 5 min {np.mean(x <= 300):.1%} "
            f"(n={len(x):,})"
        )
    for name, v in res.summary["compliance_city"].items():
        share = "–" if v["met_share"] is None else f"{v['met_share']:.1%}"
        print(f"  {name}: met {share} of {v['count']:,}, p90 {v['p90_s']} s")
    print(
        f"\nwall time {time.perf_counter() - t0:.0f} s; reproduce: nice -n 10 .venv/bin/python "
        f"{shlex.join(sys.argv)}"
    )


if __name__ == "__main__":
    main()
