"""The load curve: city-wide share met and p90 per target as the call rate grows 1–10×.

    nice -n 10 .venv/bin/python bench/load_curve.py [--days 7] [--seeds 5] [--seed 2026]
        [--rates 1 2 3 5 7 10] [--jobs 1]

Every rate multiplier (scenario ``incidents.rate_multiplier``) is run under the same seeds
(common random numbers); the table gives the mean over seeds with a 95 % t interval of the
share met and of the p90 (minutes), for each target from its primary origin, plus the fire
units' utilisation ρ (city-wide and the busiest station's) and the share of ground calls
where a request queued (found no free unit of its force). Queueing theory for reading
it (docs/calibration.md, "Load curve"): with c independent units per station area busy a
fraction ρ of the time, the chance that a call finds its nearest units busy grows like the
Erlang-C / Erlang-B probability of the station's few units, which stays small until ρ
approaches 1 for the pooled city but rises early for the busiest stations.
"""

from __future__ import annotations

import argparse
import sys
import time

import pandas as pd
from measures_common import (
    MEASURES,
    Replicator,
    command_line,
    load,
    mins,
    past,
    pct,
    replicate,
    span,
    summarise,
)

from twin.analysis.overrides import Override


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--days", type=float, default=7.0)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--rates", type=float, nargs="*", default=[1, 2, 3, 5, 7, 10])
    ap.add_argument("--out", default=None, help="write the summary to this CSV")
    ap.add_argument("--jobs", type=int, default=1, help="forked worker processes")
    ap.add_argument("--deadline", default=None, help="HH:MM UTC: start no new rate after it")
    a = ap.parse_args()
    t0 = time.perf_counter()
    city, scenario = load(a.days, a.seed)
    rep = Replicator(city, scenario)
    seeds = [a.seed + i for i in range(a.seeds)]
    parts, rates = [], []
    for k in a.rates:
        if rates and past(a.deadline):
            print(f"deadline {a.deadline} UTC: rates not run: {a.rates[len(rates) :]}")
            break
        over = (Override("scenario.incidents.rate_multiplier", k),)
        parts.append(replicate(rep, seeds, over, f"{k:g}", jobs=a.jobs))
        rates.append(k)
    rows = pd.concat(parts, ignore_index=True)
    summ = summarise(rows)
    if a.out:
        summ.to_csv(a.out, index=False)
    print(
        f"\nLoad curve: {a.days:g} days × {a.seeds} seeds from {a.seed} per rate "
        "(mean over seeds [95 % t interval]; share met in %, p90 in minutes)"
    )
    head = f"{'rate':>5} {'fire ρ':>7} {'max st ρ':>8} {'queued':>7}"
    for m in MEASURES:
        head += f" | {m + ' met':>20} {'p90':>14}"
    print(head)
    for k in sorted(rates):
        s = summ[summ["variant"] == f"{k:g}"].set_index("target")
        line = (
            f"{k:>5g} {_cal(s, 'fire_utilisation'):>7} {_cal(s, 'station_utilisation_max'):>8}"
            f" {_cal(s, 'queued_share'):>7}"
        )
        for m in MEASURES:
            if m not in s.index:
                line += f" | {'–':>20} {'–':>14}"
                continue
            r = s.loc[m]
            line += (
                f" | {pct(r.met_share):>6} [{span(r.met_share_low, r.met_share_high, pct)}]"
                f" {mins(r.p90_s):>5} [{span(r.p90_s_low, r.p90_s_high, mins)}]"
            )
        print(line)
    print(f"\nwall time {time.perf_counter() - t0:.0f} s; reproduce: {command_line()}")


def _cal(s: pd.DataFrame, name: str) -> str:
    """Mean over seeds of a calibration figure (``cal:<name>`` row)."""
    key = f"cal:{name}"
    return f"{s.loc[key, 'met_share']:.3f}" if key in s.index else "–"


if __name__ == "__main__":
    sys.exit(main())
