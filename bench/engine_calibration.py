"""The everyday model against the national references: vehicles per call, calls per 100 000
people per day, runs per station per year, and the time chain's segments.

    .venv/bin/python bench/engine_calibration.py [--days 7] [--seed 2026] [--policy nearest]

Runs ``scenarios/baseline.toml`` (pipe failures and all) for ``--days`` and prints:

- **vehicles per ground call**: fire-service vehicles (fire force units) dispatched per
  incident whose first assignment includes fire vehicles, and all ground units (fire,
  professional, social) per ground call — against 1.92 (China 2025, all call kinds);
- the model's first assignments reweighted by the national call mix
  (``twin.sim.params.vehicles_per_call_national``) and the gap to 1.92;
- **ground calls per 100 000 people per day** (incidents needing a ground unit) against the
  national 0.41–0.47 (all call kinds, 2023–2025) and ≈ 0.25 (fires and rescues);
- **runs per fire station per year** (dispatches × 365 / days; median, p90, max), against
  135 stations nationally with more than 1,000 runs in 2025; fire unit utilisation;
- the time chain's segments (medians and p90 of ``call_s``, ``turnout_s``, ``travel_s``, and
  the first fire vehicle and the full assignment from the dispatch order).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from twin.model.city import load_city  # noqa: E402
from twin.scenario.spec import load_scenario  # noqa: E402
from twin.sim.catalogue import CATALOGUE  # noqa: E402
from twin.sim.params import NATIONAL_VEHICLES_PER_CALL, vehicles_per_call_national  # noqa: E402
from twin.sim.runner import run_scenario  # noqa: E402

GROUND = ("fire", "professional", "social")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=float, default=7.0)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--policy", default="nearest", choices=("nearest", "district_first"))
    args = ap.parse_args()
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
    rates = {t.name: t.rate for t in CATALOGUE.values() if "fire" in needs[t.name]}
    model = vehicles_per_call_national(rates)
    print(
        f"first assignments reweighted by the national call mix: {model:.2f} vehicles per "
        f"call vs {NATIONAL_VEHICLES_PER_CALL:.2f} "
        f"(gap {model - NATIONAL_VEHICLES_PER_CALL:+.2f}, "
        f"{model / NATIONAL_VEHICLES_PER_CALL - 1:+.0%})"
    )
    print(
        f"ground calls per 100,000 people per day: {n_ground_calls / (pop / 1e5) / days:.3f} "
        f"(population {pop:,.0f}); national 0.41-0.47 all kinds, ~0.25 fires and rescues"
    )
    fire = units[units["force"] == "fire"]
    runs = fire["dispatches"].to_numpy(float) * 365.0 / days
    print(
        f"runs per fire station per year: median {np.median(runs):,.0f}, "
        f"p90 {np.percentile(runs, 90):,.0f}, max {runs.max():,.0f} "
        f"({len(fire)} stations); fire utilisation mean {fire['utilisation'].mean():.2%}, "
        f"max {fire['utilisation'].max():.2%}"
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
        print(f"  {name}: met {v['met_share']:.1%} of {v['count']:,}, p90 {v['p90_s']} s")


if __name__ == "__main__":
    main()
