"""The earthquake with and without reinforcement, over paired seeds (common random numbers):
the golden-72-hour rescue shares, and fires served ahead of the collapse backlog.

    nice -n 10 .venv/bin/python bench/earthquake_effects.py [--seeds 20] [--days 3]
        [--first-seed 2026] [--deadline HH:MM]

Two arms of ``scenarios/earthquake.toml`` on the same seeds, each replication computed as
``twin run`` computes it (:class:`bench.measures_common.Replicator`):

  reinforced   the file as shipped: priorities, surge dispatch, its four
               ``[[reinforcement]]`` entries (60 + 100 fire vehicles, 20 social teams,
               6 national USAR teams arriving 4–24 h after the shock);
  alone        the same without the ``[[reinforcement]]`` entries.

A seed runs both arms before the next seed starts, so a ``--deadline`` (UTC) leaves whole
pairs; the script says how many pairs ran. Per arm: ``rescue_6h``, ``rescue_24h``,
``rescue_72h`` (share of the quake's collapses and entrapments whose first ground unit
arrived within 6, 24, 72 h of the onset), mean over seeds with a 95 % t interval; the
paired difference reinforced − alone with its t interval (:func:`twin.analysis.paired.paired_t`).
Then, in the reinforced arm, fires started by the quake against the collapse backlog: per
seed the median wait (first ground unit − alarm) of the quake's building fires and of its
collapses and entrapments (a site never reached counts as infinitely late), their mean over
seeds with t intervals, and the paired difference collapse − fire.

Not a test: figures to read and quote; the printed command line reproduces them.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measures_common import (  # noqa: E402
    Replicator,
    command_line,
    past,
    scenario_replicator,
    t_interval,
)

from twin.analysis.paired import paired_t  # noqa: E402
from twin.analysis.targets import RESCUE_TYPES  # noqa: E402
from twin.model.city import load_city  # noqa: E402
from twin.scenario.spec import load_scenario  # noqa: E402

QUAKE = Path(__file__).resolve().parent.parent / "scenarios" / "earthquake.toml"
RESCUE = ("rescue_6h", "rescue_24h", "rescue_72h")
ARMS = ("reinforced", "alone")


def share(compliance: pd.DataFrame, target: str) -> float:
    """City-wide met share of ``target`` in one run's compliance table."""
    row = compliance[(compliance["scope"] == "city") & (compliance["target"] == target)]
    return float(row["met_share"].iloc[0]) if len(row) else float("nan")


def median_wait(inc: pd.DataFrame, types: tuple[str, ...]) -> float:
    """Median wait (s) from the alarm to the first ground unit of the quake's incidents of
    ``types`` (never reached: infinitely late); NaN if there were none."""
    sel = inc[inc["type"].isin(types) & (inc["cause"] == "earthquake")]
    wait = (sel["first_ground_s"] - sel["alarm_s"]).fillna(np.inf).to_numpy(float)
    return float(np.median(wait)) if len(wait) else float("nan")


def one_seed(reps: dict[str, Replicator], seed: int) -> dict[str, float]:
    """Both arms of one seed: rescue shares, and fire and collapse waits."""
    row: dict[str, float] = {"seed": seed}
    for arm, rep in reps.items():
        out = rep.run(rep.config, rep.scenario.with_(seed=seed), keep_incidents=True)
        for name in RESCUE:
            row[f"{arm}:{name}"] = share(out.compliance, name)
        assert out.incidents is not None
        row[f"{arm}:fire_wait_s"] = median_wait(out.incidents, ("building_fire",))
        row[f"{arm}:rescue_wait_s"] = median_wait(out.incidents, tuple(RESCUE_TYPES))
        row[f"{arm}:wall_s"] = out.wall_s
    return row


def ci(x: pd.Series, scale: float = 1.0, fmt: str = "{:.1%}") -> str:
    """'mean [low, high]' of a per-seed series (95 % t interval)."""
    m, lo, hi, _ = t_interval(x.to_numpy(float) * scale)
    if fmt.endswith("%}"):  # a share's interval stays within [0, 1]
        lo, hi = max(lo, 0.0), min(hi, 1.0)
    elif np.isfinite(lo):  # waits are positive
        lo = max(lo, 0.0)
    return f"{fmt.format(m)} [{fmt.format(lo)}, {fmt.format(hi)}]"


def report(df: pd.DataFrame, days: float) -> None:
    print(
        f"\nearthquake, {days:g} days, {len(df)} paired seeds (mean over seeds, 95 % t interval):"
    )
    for name in RESCUE:
        r, a = df[f"reinforced:{name}"], df[f"alone:{name}"]
        d = paired_t((r - a).to_numpy())
        print(
            f"  {name}: reinforced {ci(r)}, alone {ci(a)}; "
            f"difference {d.estimate:+.1%} [{d.low:+.1%}, {d.high:+.1%}]"
        )
    f, c = df["reinforced:fire_wait_s"], df["reinforced:rescue_wait_s"]
    finite = np.isfinite(f) & np.isfinite(c)
    d = paired_t((c - f)[finite].to_numpy())
    print(
        "  reinforced arm, median wait for the first ground unit (alarm to arrival), per seed:"
        f"\n    quake fires            {ci(f, 1 / 60, '{:.1f}')} min"
        f"\n    collapses/entrapments  {ci(c, 1 / 3600, '{:.1f}')} h"
        f"\n    collapse − fire        {d.estimate / 3600:+.1f} h "
        f"[{d.low / 3600:+.1f}, {d.high / 3600:+.1f}] ({int(finite.sum())} seeds with both finite)"
    )
    fa = df["alone:fire_wait_s"]
    print(f"  alone arm, quake fires' median wait {ci(fa, 1 / 60, '{:.1f}')} min")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--first-seed", type=int, default=2026)
    ap.add_argument("--days", type=float, default=3.0)
    ap.add_argument("--deadline", default=None, help="HH:MM UTC: start no new seed after it")
    a = ap.parse_args()
    print(command_line(), flush=True)
    t0 = time.perf_counter()
    city = load_city()
    shipped = load_scenario(QUAKE).with_(days=a.days)
    reps = {
        "reinforced": scenario_replicator(city, shipped),
        "alone": scenario_replicator(city, shipped.with_(reinforcement=())),
    }
    rows = []
    for k in range(a.seeds):
        if k >= 2 and past(a.deadline):
            print(f"  [deadline {a.deadline} UTC: stopped after {k} of {a.seeds} seeds]")
            print(f"  all seeds: {command_line(('--deadline',))}")
            break
        row = one_seed(reps, a.first_seed + k)
        rows.append(row)
        print(
            f"  seed {row['seed']:.0f}: rescue_72h reinforced {row['reinforced:rescue_72h']:.3f},"
            f" alone {row['alone:rescue_72h']:.3f} ({row['reinforced:wall_s']:.0f} s + "
            f"{row['alone:wall_s']:.0f} s)",
            flush=True,
        )
    report(pd.DataFrame(rows), a.days)
    print(f"\nwall time {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
