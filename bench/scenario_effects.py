"""Each shipped scenario against the baseline, same seed and duration: the figures planners ask for.

    nice -n 10 .venv/bin/python bench/scenario_effects.py [--seed 2026] [--days 7]
        [--bridges-seeds 20] [--bridges-days 3] [--only-bridges] [--traffic table|assigned]
        [--deadline HH:MM]

Prints, per scenario, the numbers its question is about: with the bridges closed
(bench/bridges_effects.py), the peak travel times on the remaining crossings and Yuzhong's
land exits and the detours to its neighbours, and Yuzhong's 5min, full and 2nd-due
measures over paired seeds (common random numbers) with 95 % intervals — on the scenarios'
default traffic model (the fixed table) unless ``--traffic assigned``; waterlogging and
closures in the rainstorm (its paired seeds: bench/disaster_effects.py);
explosions in the gas drill with and without sensors; response near the new station;
closed bridges and the 30-minute share after the earthquake. ``--deadline``: no new
bridges pair is started after it (UTC), and the pairs that ran are reported. Not a test:
figures to read and quote, reproducible from the seeds.
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
from measures_common import command_line, scenario_replicator  # noqa: E402

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


def bridges_section(
    city, seed: int, n_seeds: int, days: float, model: str, deadline: str | None
) -> None:
    """Bridges closed vs baseline: peak travel times on the crossings, Yuzhong's measures."""
    t0 = time.perf_counter()
    scs = [
        load_scenario(SCENARIOS / f"{n}.toml").with_(days=days, traffic={"model": model})
        for n in ("baseline", "bridges-closed")
    ]
    if model == "assigned":
        print("bridges-closed vs baseline, peak-hour flows of the assigned model:")
        flows = bridges_effects.flow_table(city, scs[1])
        print(flows.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
        if n_seeds <= 0:  # the arms' networks need all six assignments: not asked for
            return
    base, shut = (scenario_replicator(city, sc) for sc in scs)
    print(
        f"bridges-closed vs baseline, traffic model {model!r}; both arms prepared in "
        f"{time.perf_counter() - t0:.0f} s"
    )
    groups, detours = bridges_effects.peak_times(base, shut)
    print("peak hour, emergency vehicles' road times summed over the edges of each group:")
    print(groups.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    print("peak road time from Yuzhong's centre to its neighbours' centres (s):")
    print(detours.to_string(index=False, float_format=lambda v: f"{v:,.0f}"))
    if n_seeds <= 0:
        return
    seeds = list(range(seed, seed + n_seeds))
    print(f"paired seeds {seeds[0]}…{seeds[-1]} × {days:g} day(s), deadline {deadline or '–'}:")
    t0 = time.perf_counter()
    b, s = bridges_effects.run_pairs(base, shut, seeds, deadline)
    print(
        f"{len(b.due)} paired seeds in {time.perf_counter() - t0:.0f} s "
        "(bridges closed − baseline, 95 % intervals):"
    )
    for line in bridges_effects.report(b, s):
        print("  " + line)
    if len(b.due) < n_seeds:
        print(f"not all {n_seeds} seeds ran; for all of them: {command_line(('--deadline',))}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--days", type=float, default=7.0)
    ap.add_argument("--bridges-seeds", type=int, default=20)
    ap.add_argument("--bridges-days", type=float, default=3.0)
    ap.add_argument("--only-bridges", action="store_true")
    ap.add_argument(
        "--traffic",
        choices=("table", "assigned"),
        default="table",
        help="traffic model of both bridges arms (default: the scenarios' own)",
    )
    ap.add_argument("--deadline", help="HH:MM UTC: start no new bridges pair after it")
    ap.add_argument("--zone-km", type=float, help="traffic zones' side (default 6 km)")
    ap.add_argument("--max-iter", type=int, help="assignment iterations (default 30)")
    a = ap.parse_args()
    if a.zone_km:  # a coarser, cheaper traffic model when the machine is short of time
        zones.ZONE_SIZE_M = a.zone_km * 1000.0
    if a.max_iter:
        assignment.MAX_ITER = a.max_iter
    city = load_city()
    bridges_section(city, a.seed, a.bridges_seeds, a.bridges_days, a.traffic, a.deadline)
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
