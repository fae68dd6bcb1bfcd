"""Each shipped scenario against the baseline, same seed and duration: the figures planners ask for.

    .venv/bin/python bench/scenario_effects.py [--seed 2026] [--days 7]
        [--bridges-seeds 20] [--bridges-days 1] [--only-bridges]

Prints, per scenario, the numbers its question is about (with the bridges closed: the
traffic diverted onto the remaining crossings and the land exits at the peak, and Yuzhong's
5min, full and 2nd-due measures over paired seeds with intervals — bench/bridges_effects.py; waterlogging and closures in the rainstorm; explosions in the gas drill with
and without sensors; response near the new station; closed bridges and the 30-minute share
after the earthquake). Not a test: figures to read and quote, reproducible from the seed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bridges_effects  # noqa: E402  (bench/, next to this script)

from twin.model import assignment, zones  # noqa: E402
from twin.model.city import load_city  # noqa: E402
from twin.scenario.spec import load_scenario  # noqa: E402
from twin.sim.runner import run_scenario  # noqa: E402

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


def run(name: str, city, seed: int, days: float):
    sc = load_scenario(SCENARIOS / f"{name}.toml").with_(seed=seed, days=days)
    return run_scenario(sc, city, record_routes=False)


def city_share(res, target: str = "30min") -> float:
    c = res["compliance"]
    return float(c[(c["scope"] == "city") & (c["target"] == target)]["met_share"].iloc[0])


def mean_ground(inc, mask) -> float:
    return float(np.nanmean(inc.loc[mask, "resp_ground_s"]))


def bridges_section(city, seed: int, n_seeds: int, days: float) -> None:
    """Bridges closed vs baseline: diverted traffic at the peak, Yuzhong's measures."""
    assigned = {"model": "assigned"}  # the traffic model (the scenarios' default is the table)
    base_sc = load_scenario(SCENARIOS / "baseline.toml").with_(days=days, traffic=assigned)
    shut_sc = load_scenario(SCENARIOS / "bridges-closed.toml").with_(days=days, traffic=assigned)
    t0 = time.perf_counter()
    table = bridges_effects.traffic_table(city, shut_sc)
    print(f"bridges-closed, peak-hour traffic out of Yuzhong ({time.perf_counter() - t0:.0f} s):")
    print(table.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    if n_seeds <= 0:
        return
    seeds = list(range(seed, seed + n_seeds))
    print(f"bridges-closed vs baseline, {n_seeds} paired seeds × {days:g} day(s):")
    bridges_effects.run_pairs(city, base_sc, shut_sc, seeds)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--days", type=float, default=7.0)
    ap.add_argument("--bridges-seeds", type=int, default=20)
    ap.add_argument("--bridges-days", type=float, default=1.0)
    ap.add_argument("--only-bridges", action="store_true")
    ap.add_argument("--zone-km", type=float, help="traffic zones' side (default 6 km)")
    ap.add_argument("--max-iter", type=int, help="assignment iterations (default 30)")
    a = ap.parse_args()
    if a.zone_km:  # a coarser, cheaper traffic model when the machine is short of time
        zones.ZONE_SIZE_M = a.zone_km * 1000.0
    if a.max_iter:
        assignment.MAX_ITER = a.max_iter
    city = load_city()
    bridges_section(city, a.seed, a.bridges_seeds, a.bridges_days)
    if a.only_bridges:
        return
    base = run("baseline", city, a.seed, a.days)
    b_inc = base["incidents"]
    print(
        f"baseline, {a.days:g} days, seed {a.seed}: {len(b_inc):,} incidents, "
        f"30-min share {city_share(base):.1%}"
    )

    rain = run("rainstorm", city, a.seed, a.days)
    base_cl = (base["lifelines"]["kind"] == "closure").sum()
    print(
        f"rainstorm: waterlogging {(b_inc['type'] == 'waterlogging').sum()} → "
        f"{(rain['incidents']['type'] == 'waterlogging').sum()}, closures {base_cl} → "
        f"{(rain['lifelines']['kind'] == 'closure').sum()}, 30-min share "
        f"{city_share(base):.1%} → {city_share(rain):.1%}"
    )

    ns = run("new-station", city, a.seed, a.days)["incidents"]
    station = load_scenario(SCENARIOS / "new-station.toml").stations.add[0]

    def near(inc: pd.DataFrame) -> pd.Series:  # ~3 km
        return np.hypot(inc["x"] - station.lon, (inc["y"] - station.lat) * 1.15) < 0.031

    print(
        f"new-station: {near(b_inc).sum()} incidents within ~3 km, mean ground response "
        f"{mean_ground(b_inc, near(b_inc)):.0f} s → {mean_ground(ns, near(ns)):.0f} s"
    )

    ex = []
    for name in ("gas-leak-drill", "gas-leak-drill-sensors"):
        total = sum(
            int((run(name, city, s, 0.5)["incidents"]["type"] == "gas_explosion").sum())
            for s in range(a.seed, a.seed + 10)
        )
        ex.append(total)
    print(f"gas drill, 10 seeds: explosions without sensors {ex[0]}, with sensors {ex[1]}")

    quake = run("earthquake", city, a.seed, 1.0)
    lf = quake["lifelines"]
    bridges = set(city.road_edges.loc[city.road_edges["bridge"], "edge_id"])
    closed = lf[
        (lf["kind"] == "closure")
        & lf["ref"].astype(str).apply(lambda r: any(e in bridges for e in r.split(",")))
    ]
    print(
        f"earthquake (1 day): bridges closed: {', '.join(sorted(set(closed['name'])))}; "
        f"30-min share {city_share(quake):.1%}"
    )


if __name__ == "__main__":
    main()
