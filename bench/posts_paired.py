"""Community posts by households against another placement, paired (common random numbers).

    nice -n 10 .venv/bin/python bench/posts_paired.py --old OLD_CITY_DIR [--days 7]
        [--seeds 3] [--seed 2026]

Runs ``scenarios/baseline.toml`` on the city as shipped (posts by households,
:mod:`twin.build.posts`) and on ``OLD_CITY_DIR`` (the same city folder with another
stations layer, e.g. the one before the change: ``git show <rev>:twin/data/chongqing/
stations.parquet``) under the same seeds, and prints per measure the mean share met of
each and the paired difference (new − old) with a 95 % t interval over seeds; the 10-minute
share per district; and the number of posts and responders of each. The incidents are the
same in both (the placement of incidents does not depend on community posts), so the fire
measures should not move at all: they show whether the streams stayed common.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from measures_common import MEASURES, Replicator, command_line, load, pct, replicate, t_interval

from twin.model.city import load_city


def posts(city) -> str:  # noqa: ANN001 - a City
    c = city.stations[city.stations["force"] == "community"]
    return f"{len(c):,} posts, {int(c['units'].sum()):,} responders"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--old", required=True, help="city folder with the other placement")
    ap.add_argument("--days", type=float, default=7.0)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=2026)
    a = ap.parse_args()
    t0 = time.perf_counter()
    city, scenario = load(a.days, a.seed)
    old = load_city(a.old)
    seeds = [a.seed + i for i in range(a.seeds)]
    runs = {
        "new": replicate(Replicator(city, scenario), seeds, label="households"),
        "old": replicate(Replicator(old, scenario), seeds, label="old placement"),
    }
    print(f"\nnew: {posts(city)}; old: {posts(old)}")
    print(f"{a.days:g} days × {a.seeds} seeds from {a.seed}; share met %, mean over seeds")
    print(
        f"{'measure':<16} {'scope':<16} {'old':>6} {'new':>6} {'new − old (pt)':>15} {'95 % t':>17}"
    )
    for scope in ["city"] + sorted(
        s for s in runs["new"]["scope"].unique() if s.startswith("district:")
    ):
        for target in MEASURES if scope == "city" else ("10min",):
            for origin in ("alarm", "dispatch", "onset"):
                v = {}
                for k, d in runs.items():
                    m = d[(d["scope"] == scope) & (d["target"] == target) & (d["from"] == origin)]
                    v[k] = m.set_index("seed")["met_share"]
                if v["new"].empty:
                    continue
                diff = (v["new"] - v["old"]).to_numpy(float)
                m, lo, hi, _ = t_interval(diff)
                print(
                    f"{target + '@' + origin:<16} {scope:<16} {pct(np.nanmean(v['old'])):>6} "
                    f"{pct(np.nanmean(v['new'])):>6} {pct(m):>15} {pct(lo) + ' – ' + pct(hi):>17}"
                )
    print(f"\nwall time {time.perf_counter() - t0:.0f} s; reproduce: {command_line()}")


if __name__ == "__main__":
    sys.exit(main())
