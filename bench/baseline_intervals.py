"""The baseline with intervals: every target by city, district and cell, over many seeds.

    nice -n 10 .venv/bin/python bench/baseline_intervals.py [--days 7] [--seeds 20]
        [--seed 2026] [--out DIR] [--cells 15] [--jobs 1]

Runs the baseline ``--seeds`` times (seeds ``seed … seed+n−1``) and prints, for 10/30/60
min, 5min, 8min and full (each from its primary origin) and their onset variants, the
city-wide and per-district share met and p90 as the mean over seeds with a 95 % Student-t
interval (scipy.stats.t), then the ``--cells`` weakest cells by mean share (cells below the
per-run minimum count have no share in a run and are averaged over the runs where they
have one; ``seeds`` says how many). ``--out DIR`` writes ``city.csv``, ``districts.csv``
and ``cells.csv`` with every row.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd
from measures_common import (
    CAL_KEYS,
    MEASURES,
    Replicator,
    command_line,
    load,
    mins,
    pct,
    replicate,
    span,
    summarise,
    t_interval,
    wilson,
)

from twin.analysis.compliance import compliance_table, primary_rows
from twin.analysis.targets import CELL_MIN_INCIDENTS


def show(s: pd.DataFrame, title: str, top: int | None = None) -> None:
    print(f"\n{title}")
    print(
        f"{'target':<8} {'from':<9} {'scope':<22} {'n/run':>8} {'met %':>7} "
        f"{'95 % interval':>15} {'p90 min':>8} {'95 % interval':>13} {'seeds':>5}"
    )
    rows = s if top is None else s.head(top)
    for r in rows.to_dict(orient="records"):
        print(
            f"{r['target']:<8} {r['from']:<9} {r['scope']:<22} {r['count']:>8.1f} "
            f"{pct(r['met_share']):>7} {span(r['met_share_low'], r['met_share_high'], pct):>15} "
            f"{mins(r['p90_s']):>8} {span(r['p90_s_low'], r['p90_s_high'], mins):>13} "
            f"{r['seeds']:>5}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--days", type=float, default=7.0)
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--cells", type=int, default=15)
    ap.add_argument("--out", default=None)
    ap.add_argument("--jobs", type=int, default=1, help="forked worker processes")
    ap.add_argument("--deadline", default=None, help="HH:MM UTC: start no new seed after it")
    a = ap.parse_args()
    t0 = time.perf_counter()
    city, scenario = load(a.days, a.seed)
    kept: list[pd.DataFrame] = []
    rows = replicate(
        Replicator(city, scenario),
        [a.seed + i for i in range(a.seeds)],
        label="baseline",
        keep=kept,
        jobs=a.jobs,
        deadline=a.deadline,
    )
    done = int(rows["seed"].nunique())
    if done < a.seeds:
        print(
            f"deadline {a.deadline} UTC: {done} of {a.seeds} seeds run (seeds {a.seed}–{a.seed + done - 1})"
        )
    order = {m: i for i, m in enumerate(MEASURES)}
    city_s = summarise(rows, "city", onset=True)
    city_s = city_s[city_s["target"].isin(MEASURES)].sort_values(
        ["from", "target"], key=lambda c: c.map(order) if c.name == "target" else c.eq("onset")
    )
    show(city_s, f"Baseline, city-wide: {a.days:g} days × {done} seeds from {a.seed}")
    show_calibration(rows)
    districts = summarise(rows, "district:", onset=True)
    for m in ("30min", "5min", "8min", "full"):
        for origin in ("primary", "onset"):
            part = districts[
                (districts["target"] == m) & ((districts["from"] == "onset") == (origin == "onset"))
            ]
            if part["met_share"].notna().any():
                show(
                    part.sort_values("met_share"),
                    f"{m} by district (from the {origin}"
                    f"{'' if origin == 'onset' else ' origin'}), weakest first",
                )
    cells = pooled_cells(pd.concat(kept, ignore_index=True))
    print(
        f"\ncells: incidents of all {done} runs pooled; a cell needs ≥ "
        f"{CELL_MIN_INCIDENTS} pooled incidents for a share (95 % Wilson interval; p90 of "
        "the pooled arrivals)"
    )
    for m in ("8min", "30min", "5min", "full", "10min"):
        part = cells[(cells["target"] == m) & cells["met_share"].notna()]
        if not part.empty:
            show(
                part.sort_values(["met_share", "p90_s"], ascending=[True, False]),
                f"{m} (from the {part['from'].iloc[0]}): the {a.cells} weakest of "
                f"{len(part)} cells with a share",
                a.cells,
            )
    if a.out:
        out = Path(a.out)
        out.mkdir(parents=True, exist_ok=True)
        city_s.to_csv(out / "city.csv", index=False)
        districts.to_csv(out / "districts.csv", index=False)
        cells.to_csv(out / "cells.csv", index=False)
    print(f"\nwall time {time.perf_counter() - t0:.0f} s; reproduce: {command_line()}")


def show_calibration(rows: pd.DataFrame) -> None:
    """The calibration block's figures: mean over seeds with a 95 % t interval."""
    print("\ncalibration block (summary.json), mean over seeds [95 % t interval]")
    for k in CAL_KEYS:
        x = rows.loc[rows["target"] == f"cal:{k}", "met_share"].to_numpy(float)
        m, lo, hi, n = t_interval(x)
        print(f"  {k:<34} {m:10.4g}  [{lo:.4g} – {hi:.4g}]  n={n}")


def pooled_cells(incidents: pd.DataFrame) -> pd.DataFrame:
    """Cell rows of compliance over the pooled incidents, with Wilson intervals."""
    c = primary_rows(compliance_table(incidents))
    c = c[c["scope"].str.startswith("cell:")].copy()
    ci = [
        wilson(round(s * n), n) if pd.notna(s) else (float("nan"), float("nan"))
        for s, n in zip(c["met_share"], c["count"])
    ]
    c["met_share_low"], c["met_share_high"] = [x[0] for x in ci], [x[1] for x in ci]
    c["p90_s_low"] = c["p90_s_high"] = float("nan")
    c["seeds"] = incidents["seed"].nunique()
    return c


if __name__ == "__main__":
    sys.exit(main())
