"""Each shipped scenario against the baseline, same seed and duration: the figures planners ask for.

    .venv/bin/python bench/scenario_effects.py [--seed 2026] [--days 7]

Prints, per scenario, the numbers its question is about (Yuzhong's ground response with the
bridges closed; waterlogging and closures in the rainstorm; explosions in the gas drill with
and without sensors; response near the new station; closed bridges and the 30-minute share
after the earthquake). Not a test: figures to read and quote, reproducible from the seed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--days", type=float, default=7.0)
    a = ap.parse_args()
    city = load_city()
    base = run("baseline", city, a.seed, a.days)
    b_inc = base["incidents"]
    print(
        f"baseline, {a.days:g} days, seed {a.seed}: {len(b_inc):,} incidents, "
        f"30-min share {city_share(base):.1%}"
    )

    bc = run("bridges-closed", city, a.seed, a.days)["incidents"]
    yz = b_inc["district_id"] == "500103"
    print(
        f"bridges-closed: Yuzhong mean ground response {mean_ground(b_inc, yz):.1f} s → "
        f"{mean_ground(bc, bc['district_id'] == '500103'):.1f} s"
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
