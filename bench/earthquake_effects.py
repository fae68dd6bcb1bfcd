"""The earthquake with and without reinforcement, and with priorities against first come,
first served, over paired seeds (common random numbers): the golden-72-hour rescue shares,
and fires served ahead of the collapse backlog.

    nice -n 10 .venv/bin/python bench/earthquake_effects.py [--seeds 20] [--days 3]
        [--first-seed 2026] [--deadline HH:MM] [--rows FILE.csv] [--arms reinforced,alone]

Three arms of ``scenarios/earthquake.toml`` on the same seeds, each replication computed as
``twin run`` computes it (:class:`bench.measures_common.Replicator`):

  reinforced   the file as shipped: priorities, surge dispatch, its four
               ``[[reinforcement]]`` entries (60 + 100 fire vehicles, 20 social teams,
               6 national USAR teams arriving 4–24 h after the shock);
  alone        the same without the ``[[reinforcement]]`` entries;
  fifo         the file as shipped but every incident type in one priority class (first
               come, first served: :data:`twin.sim.priority.PRIORITY` set to the life-risk
               class for the run, so the surge trigger, which counts open life-risk
               incidents, still fires; it then also counts the few property calls).

A seed runs every arm before the next seed starts, so a ``--deadline`` (UTC) leaves whole
seeds; the script says how many ran. ``--rows`` keeps the per-seed rows in a CSV file
(rewritten atomically after each seed) and skips the seeds already in it, so a run cut
short can be continued; the report covers every row in the file. ``--arms`` runs some of
the arms only (when time is short: ``reinforced,alone`` answer the issue's two questions);
an arm's figures are then over the seeds that ran it, and the count is printed. Per arm: ``rescue_6h``,
``rescue_24h``, ``rescue_72h`` (share of the quake's collapses and entrapments whose first
ground unit arrived within 6, 24, 72 h of the onset), mean over seeds with a 95 % t
interval; the paired differences reinforced − alone and reinforced − fifo with their t
intervals (:func:`twin.analysis.paired.paired_t`). Then fires started by the quake against
the collapse backlog, with priorities (the reinforced arm) and first come, first served
(fifo): per seed the median wait (first ground unit − alarm) of the quake's building fires
and of its collapses and entrapments (a site never reached counts as infinitely late),
their mean over seeds with t intervals, the paired difference collapse − fire in each arm,
and the fires' paired difference fifo − priorities.

Not a test: figures to read and quote; the printed command line reproduces them.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Iterator
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
from twin.sim import priority  # noqa: E402

QUAKE = Path(__file__).resolve().parent.parent / "scenarios" / "earthquake.toml"
RESCUE = ("rescue_6h", "rescue_24h", "rescue_72h")
ARMS = ("reinforced", "alone", "fifo")


@contextlib.contextmanager
def first_come_first_served() -> Iterator[None]:
    """Every incident type in the life-risk class while the block runs (restored after)."""
    saved, default = dict(priority.PRIORITY), priority.DEFAULT_PRIORITY
    for name in saved:
        priority.PRIORITY[name] = priority.LIFE_RISK
    priority.DEFAULT_PRIORITY = priority.LIFE_RISK
    try:
        yield
    finally:
        priority.PRIORITY.update(saved)
        priority.DEFAULT_PRIORITY = default


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


def one_seed(
    reps: dict[str, Replicator], seed: int, arms: tuple[str, ...] = ARMS
) -> dict[str, float]:
    """The ``arms`` of one seed: rescue shares, and fire and collapse waits."""
    row: dict[str, float] = {"seed": seed}
    for arm in arms:
        rep = reps["reinforced" if arm == "fifo" else arm]
        with first_come_first_served() if arm == "fifo" else contextlib.nullcontext():
            out = rep.run(rep.config, rep.scenario.with_(seed=seed), keep_incidents=True)
        for name in RESCUE:
            row[f"{arm}:{name}"] = share(out.compliance, name)
        assert out.incidents is not None
        row[f"{arm}:fire_wait_s"] = median_wait(out.incidents, ("building_fire",))
        row[f"{arm}:rescue_wait_s"] = median_wait(out.incidents, tuple(RESCUE_TYPES))
        row[f"{arm}:wall_s"] = out.wall_s
    return row


def ci(x: pd.Series, scale: float = 1.0, fmt: str = "{:.1%}") -> str:
    """'mean [low, high] (n)' of a per-seed series (95 % t interval over n seeds)."""
    m, lo, hi, n = t_interval(x.to_numpy(float) * scale)
    if fmt.endswith("%}"):  # a share's interval stays within [0, 1]
        lo, hi = max(lo, 0.0), min(hi, 1.0)
    elif np.isfinite(lo):  # waits are positive
        lo = max(lo, 0.0)
    return f"{fmt.format(m)} [{fmt.format(lo)}, {fmt.format(hi)}] ({n})"


def paired(a: pd.Series, b: pd.Series, scale: float, fmt: str) -> str:
    """'difference [low, high] (n seeds)' of a − b over the seeds where both are finite."""
    ok = np.isfinite(a) & np.isfinite(b)
    d = paired_t(((a - b)[ok] * scale).to_numpy())
    return (
        f"{fmt.format(d.estimate)} [{fmt.format(d.low)}, {fmt.format(d.high)}] "
        f"({int(ok.sum())} seeds)"
    )


def report(df: pd.DataFrame, days: float) -> None:
    for arm in ARMS:  # an arm no seed ran: its columns empty
        for name in (*RESCUE, "fire_wait_s", "rescue_wait_s"):
            if f"{arm}:{name}" not in df:
                df[f"{arm}:{name}"] = np.nan
    print(
        f"\nearthquake, {days:g} days, {len(df)} paired seeds (mean over seeds, 95 % t interval):"
    )
    for name in RESCUE:
        r, a, f = df[f"reinforced:{name}"], df[f"alone:{name}"], df[f"fifo:{name}"]
        print(
            f"  {name}: reinforced {ci(r)}, alone {ci(a)}, fifo {ci(f)}; reinforced − alone "
            f"{paired(r, a, 1.0, '{:+.1%}')}; reinforced − fifo {paired(r, f, 1.0, '{:+.1%}')}"
        )
    print("  median wait for the first ground unit (alarm to arrival), per seed:")
    for arm, label in (("reinforced", "priorities"), ("fifo", "first come, first served")):
        f, c = df[f"{arm}:fire_wait_s"], df[f"{arm}:rescue_wait_s"]
        print(
            f"    {label} ({arm} arm): quake fires {ci(f, 1 / 60, '{:.1f}')} min, "
            f"collapses/entrapments {ci(c, 1 / 3600, '{:.1f}')} h; collapse − fire "
            f"{paired(c, f, 1 / 3600, '{:+.1f}')} h"
        )
    print(
        "    quake fires, fifo − priorities: "
        f"{paired(df['fifo:fire_wait_s'], df['reinforced:fire_wait_s'], 1 / 60, '{:+.1f}')} min"
    )
    print(
        f"  alone arm, quake fires' median wait {ci(df['alone:fire_wait_s'], 1 / 60, '{:.1f}')} min"
    )


def save_rows(rows: list[dict[str, float]], path: Path) -> None:
    """Write the per-seed rows to ``path`` atomically (a temporary file, then a rename)."""
    tmp = path.with_name(path.name + ".tmp")
    pd.DataFrame(rows).to_csv(tmp, index=False)
    os.replace(tmp, path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--first-seed", type=int, default=2026)
    ap.add_argument("--days", type=float, default=3.0)
    ap.add_argument("--deadline", default=None, help="HH:MM UTC: start no new seed after it")
    ap.add_argument("--rows", type=Path, default=None, help="CSV of per-seed rows (resumable)")
    ap.add_argument("--arms", default=",".join(ARMS), help="comma-separated, of " + ",".join(ARMS))
    a = ap.parse_args()
    arms = tuple(x for x in ARMS if x in a.arms.split(","))
    if not arms or set(a.arms.split(",")) - set(ARMS):
        ap.error(f"--arms: a comma-separated list of {', '.join(ARMS)}")
    print(command_line(), flush=True)
    t0 = time.perf_counter()
    city = load_city()
    shipped = load_scenario(QUAKE).with_(days=a.days)
    reps = {
        "reinforced": scenario_replicator(city, shipped),
        "alone": scenario_replicator(city, shipped.with_(reinforcement=())),
    }
    rows: list[dict[str, float]] = []
    if a.rows is not None and a.rows.exists():
        rows = pd.read_csv(a.rows).to_dict("records")
        print(f"  {len(rows)} seeds read from {a.rows}", flush=True)
    done = {int(r["seed"]) for r in rows}
    todo = [s for s in range(a.first_seed, a.first_seed + a.seeds) if s not in done]
    for k, seed in enumerate(todo):
        if len(rows) >= 2 and past(a.deadline):
            print(f"  [deadline {a.deadline} UTC: stopped; {len(todo) - k} seeds not run]")
            print(f"  all seeds: {command_line(('--deadline',))}")
            break
        row = one_seed(reps, seed, arms)
        rows.append(row)
        if a.rows is not None:
            save_rows(rows, a.rows)
        print(
            f"  seed {seed}: rescue_72h "
            + ", ".join(f"{arm} {row[f'{arm}:rescue_72h']:.3f}" for arm in arms)
            + " ("
            + " + ".join(f"{row[f'{arm}:wall_s']:.0f}" for arm in arms)
            + " s)",
            flush=True,
        )
    report(pd.DataFrame(rows).sort_values("seed"), a.days)
    print(f"\nwall time {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
