"""Disasters as they unfold: the rainstorm's everyday calls slowed and its flood calls
reached by suitable means — against the baseline over paired seeds (common random numbers),
with 95 % intervals. (The earthquake's comparisons — with and without reinforcement,
priorities against first come, first served — are ``bench/earthquake_effects.py``.)

    nice -n 10 .venv/bin/python bench/disaster_effects.py [--seeds 20] [--rain-days 1]
        [--deadline HH:MM] [--traffic table|assigned] [--zone-km 8] [--max-iter 20]

Rainstorm (``scenarios/rainstorm.toml``) against the baseline, same seeds, each arm prepared
once (``measures_common.scenario_replicator``) and run a pair at a time (``--deadline``
"HH:MM" UTC: no new pair after it; the pairs that ran are reported): the everyday calls
needing a ground unit that start in the storm window (16:00–21:00: the rain and the 2 h its water takes to
drain) that both arms share (common random numbers), their first ground response in each
arm and the paired difference (per-seed means, 95 % t interval); the flood calls
(waterlogging, water rescue caused by the storm): how many are reached at the place
(``reached_s``), by which means (``reached_by``) and how long after the alarm, with 95 % t
intervals over the seeds.

Not a test: figures to read and quote, reproducible from the seeds.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from measures_common import command_line, past, scenario_replicator, t_interval  # noqa: E402

from twin.analysis.paired import paired_t  # noqa: E402
from twin.model import assignment, zones  # noqa: E402
from twin.model.city import City, load_city  # noqa: E402
from twin.scenario.spec import load_scenario  # noqa: E402

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
FLOOD = ("waterlogging", "water_rescue")
STORM_WINDOW_S = (16 * 3600.0, 21 * 3600.0)


def ordinary_pairs(base: pd.DataFrame, rain: pd.DataFrame) -> pd.DataFrame:
    """The everyday calls needing a ground unit (not flood types, not caused by the storm)
    that start in the storm window, matched across the arms by type, node and onset (common
    random numbers: the same calls), with their first ground response (s) in each arm (NaN:
    none came in the run)."""
    key = ["type", "node_id", "onset_s"]

    def window(inc: pd.DataFrame) -> pd.DataFrame:
        ok = ~inc["type"].isin(FLOOD) & (inc["cause"] != "rainstorm")
        ok &= inc["onset_s"].between(*STORM_WINDOW_S) & inc["met_30"].notna()
        return inc.loc[ok, [*key, "resp_ground_s"]]

    b, r = window(base), window(rain)
    return b.merge(r, on=key, suffixes=("_base", "_rain"), how="outer", indicator=True)


def flood_calls(rain: pd.DataFrame) -> pd.DataFrame:
    """The storm's flood calls: depth, distance to cover, who reached the place, after how
    long (s after the alarm; NaN: not reached)."""
    fl = rain[rain["type"].isin(FLOOD) & (rain["cause"] == "rainstorm")]
    return pd.DataFrame(
        {
            "depth_m": fl["depth_m"],
            "access_m": fl["access_m"],
            "by": fl["reached_by"],
            "wait_s": fl["reached_s"] - fl["alarm_s"],
        }
    )


def rain_runs(
    city: City, seeds: list[int], days: float, deadline: str | None, model: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both arms a seed at a time (a cut-short run still gives pairs): (ordinary pairs, flood
    calls), each with a column ``seed``. ``model``: both arms' traffic model (None: the
    scenarios' own)."""
    extra = {} if model is None else {"traffic": {"model": model}}
    t0 = time.perf_counter()
    arms = [
        scenario_replicator(city, load_scenario(SCENARIOS / f"{n}.toml").with_(days=days, **extra))
        for n in ("baseline", "rainstorm")
    ]
    print(f"  both arms prepared in {time.perf_counter() - t0:.0f} s (traffic {model or 'own'})")
    pairs, floods = [], []
    for i, seed in enumerate(seeds):
        if i >= 2 and past(deadline):
            print(f"  [deadline {deadline} UTC: stopped after {i} of {len(seeds)} pairs]")
            break
        t0 = time.perf_counter()
        b, r = (a.run(a.config, a.scenario.with_(seed=seed), keep_incidents=True) for a in arms)
        assert b.incidents is not None and r.incidents is not None
        pairs.append(ordinary_pairs(b.incidents, r.incidents).assign(seed=seed))
        floods.append(flood_calls(r.incidents).assign(seed=seed))
        print(
            f"  seed {seed}: {len(floods[-1])} flood calls, {len(pairs[-1])} ordinary calls "
            f"starting in the storm window ({time.perf_counter() - t0:.0f} s)",
            flush=True,
        )
    return pd.concat(pairs, ignore_index=True), pd.concat(floods, ignore_index=True)


def per_seed_interval(values: pd.Series) -> str:
    """``mean [low, high]`` over seeds (95 % t interval, measures_common.t_interval)."""
    m, lo, hi, n = t_interval(values.to_numpy(float))
    return f"{m:.1f} [{lo:.1f}, {hi:.1f}] (n={n} seeds)"


def rain_report(pairs: pd.DataFrame, fl: pd.DataFrame, days: float) -> None:
    """Print the ordinary calls' slowdown and the flood calls' access (module docstring)."""
    n_seeds = fl["seed"].nunique()
    both = pairs[pairs["_merge"] == "both"]
    slow = both.dropna(subset=["resp_ground_s_base", "resp_ground_s_rain"])
    print(f"\nrainstorm vs baseline, {days:g} day(s), {n_seeds} paired seeds:")
    print(
        f"  everyday calls needing a ground unit that start "
        f"{STORM_WINDOW_S[0] / 3600:.0f}:00-{STORM_WINDOW_S[1] / 3600:.0f}:00: {len(both)} in "
        f"both arms (the same calls: common random numbers), "
        f"{(pairs['_merge'] != 'both').sum()} in one arm only; not reached in the run: "
        f"{both['resp_ground_s_base'].isna().sum()} in the baseline, "
        f"{both['resp_ground_s_rain'].isna().sum()} in the storm"
    )
    d = slow.assign(d=slow["resp_ground_s_rain"] - slow["resp_ground_s_base"])
    g = d.groupby("seed")
    i = paired_t((g["d"].mean()).to_numpy())
    print(
        f"  first ground response of those in both arms, mean: baseline "
        f"{d['resp_ground_s_base'].mean():.0f} s, rainstorm {d['resp_ground_s_rain'].mean():.0f} s;"
        f" paired difference (per-seed means) {i.estimate:+.0f} s [{i.low:+.0f}, {i.high:+.0f}]"
        f" (t, n={i.n} seeds); calls slower in the storm {(d['d'] > 0).mean():.1%}, faster "
        f"{(d['d'] < 0).mean():.1%}; median of the per-call differences {d['d'].median():+.0f} s"
    )
    reached = fl["wait_s"].notna()
    print(
        f"  flood calls: {len(fl)} over the seeds, {(fl['access_m'] > 0).mean():.1%} placed away "
        f"from their flooded node (median {fl.loc[fl['access_m'] > 0, 'access_m'].median():.0f}"
        f" m to cover), water {fl['depth_m'].min():.2f}-{fl['depth_m'].max():.2f} m"
    )
    by_seed = fl.assign(reached=reached, in30=fl["wait_s"] <= 1800).groupby("seed")
    print(
        f"    reached at the place, % per seed: {per_seed_interval(100 * by_seed['reached'].mean())}"
    )
    print(
        f"    reached within 30 min, % per seed: {per_seed_interval(100 * by_seed['in30'].mean())}"
    )
    print(f"    median wait, min per seed: {per_seed_interval(by_seed['wait_s'].median() / 60)}")
    for by, grp in fl[reached].groupby("by"):
        w = grp["wait_s"] / 60
        print(
            f"    by {by}: {len(grp)} calls ({len(grp) / len(fl):.1%}), wait after the alarm "
            f"median {w.median():.1f} min, p90 {w.quantile(0.9):.1f} min"
        )
    print(f"    not reached by any crew that came: {(~reached).sum()}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--first-seed", type=int, default=2026)
    ap.add_argument("--rain-days", type=float, default=1.0)
    ap.add_argument("--deadline", help="HH:MM UTC: start no new rainstorm pair after it")
    ap.add_argument("--traffic", choices=("table", "assigned"), help="rainstorm arms' model")
    ap.add_argument("--zone-km", type=float, help="traffic zones' side (default 6 km)")
    ap.add_argument("--max-iter", type=int, help="assignment iterations (default 30)")
    a = ap.parse_args()
    if a.zone_km:  # a coarser, cheaper traffic model when the machine is short of time
        zones.ZONE_SIZE_M = a.zone_km * 1000.0
    if a.max_iter:
        assignment.MAX_ITER = a.max_iter
    city = load_city()
    seeds = list(range(a.first_seed, a.first_seed + a.seeds))
    t0 = time.perf_counter()
    pairs, floods = rain_runs(city, seeds, a.rain_days, a.deadline, a.traffic)
    rain_report(pairs, floods, a.rain_days)
    if floods["seed"].nunique() < len(seeds):
        print(f"not all {len(seeds)} seeds ran; for all of them: {command_line(('--deadline',))}")
    print(f"\nwall time {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
