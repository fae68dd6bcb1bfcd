"""Which assumptions move the headline measures: each parameter at the two ends of its
plausible range, same seeds as the base (common random numbers), ranked.

    nice -n 10 .venv/bin/python bench/sensitivity.py [--days 7] [--seeds 5] [--seed 2026]
        [--only NAME ...] [--param "label|path|low|high"] [--scale-param "label|path|lo|hi"]

For every parameter the baseline is run with the low and the high value under the same
seeds; the effect on a measure is (high − low), averaged over seeds, with a 95 % t interval
over the per-seed differences. Parameters are ranked by the largest absolute effect on the
city-wide share met of any headline measure (10/30/60 min, 5min, 8min, full, from the
primary origin and from the onset), in percentage points; ties by the 8-min p90.

Parameters are overrides (:mod:`twin.analysis.overrides`): a path into the engine config or
the scenario, set (``|path|low|high``) or scaled (``--scale-param``, low/high are factors).
The ranges and their sources are in docs/calibration.md; add parameters of a newer engine
with ``--param`` without editing this file. A parameter whose path the running engine does
not have is reported as absent, never silently dropped.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

import numpy as np
import pandas as pd
from measures_common import command_line, load, pct, replicate, t_interval

from twin.analysis.overrides import Override, get_value
from twin.sim.engine import EngineConfig


@dataclass(frozen=True)
class Param:
    """A parameter varied over ``low``–``high``: set at ``paths`` (or scaled when ``scale``)."""

    name: str
    paths: tuple[str, ...]
    low: float
    high: float
    scale: bool = False

    def overrides(self, value: float) -> tuple[Override, ...]:
        return tuple(Override(p, value, self.scale) for p in self.paths)


PARAMETERS: tuple[Param, ...] = (
    # demand: national all-kind calls 0.41–0.47 /100k/day (2023–2025), dense core may differ
    Param("call rate ×", ("scenario.incidents.rate_multiplier",), 0.5, 2.0),
    Param("fire turnout (s)", ("forces.fire.turnout_s",), 30.0, 120.0),
    Param(
        "citizen call delay ×",
        ("detection.call.median_s", "detection.call.p90_s"),
        0.5,
        2.0,
        scale=True,
    ),
    Param(
        "on-scene work time ×",
        ("catalogue.*.work.median_s", "catalogue.*.work.p90_s"),
        0.5,
        2.0,
        scale=True,
    ),
    Param("community speed (m/s)", ("forces.community.speed_m_s",), 1.4, 5.0),
    Param("community circuity", ("forces.community.circuity",), 1.2, 1.6),
    Param("community availability", ("forces.community.availability",), 0.5, 0.9),
    Param("community turnout (s)", ("forces.community.turnout_s",), 30.0, 180.0),
    Param("night call delay factor", ("detection.night_factor",), 1.0, 2.0),
    Param("social team turnout (s)", ("forces.social.turnout_s",), 600.0, 1800.0),
    Param("professional turnout (s)", ("forces.professional.turnout_s",), 120.0, 600.0),
    Param(
        "helicopter launch (s)",
        ("forces.air.turnout_s", "forces.air.turnout_max_s"),
        0.5,
        1.5,
        scale=True,
    ),
    # the rebuilt engine's time chain (twin.sim.params; absent on the older engine)
    Param("119 call handling ×", ("chain.call_median_s", "chain.call_p90_s"), 0.5, 1.5, scale=True),
    Param("travel noise sigma", ("chain.travel_sigma",), 0.10, 0.40),
    Param("fire turnout at night (s)", ("forces.fire.turnout_night_s",), 60.0, 150.0),
    Param("fire set-up (s)", ("forces.fire.setup_s",), 30.0, 180.0),
    Param("community walking pace ×", ("forces.community.walk_pace",), 1.0, 2.0),
    Param("fog days a year", ("air.fog_days_per_year",), 10.0, 70.0),
    # #11 model parts (twin.sim.readiness, twin.sim.airscene, twin.sim.seasons)
    Param("fire crew time away (h/day)", ("chain.away_h_per_day",), 0.0, 4.0),
    Param("air request from scene (s)", ("air.scene_request_s",), 120.0, 900.0),
    Param("air-from-scene probability ×", ("catalogue.*.air_scene_prob",), 0.0, 2.0, scale=True),
    # the cycles act only on a scenario with a start_date (none: an average day)
    Param("summer share of fires", ("calendar.summer_fire",), 0.17, 0.28),
    Param("weekend factor", ("calendar.weekend_factor",), 0.9, 1.1),
)
"""Candidates with their plausible ranges (docs/calibration.md); a parameter the running
engine does not have is reported absent. First assignments (``twin.sim.params``) and the
high-rise share of building fires are baked into the catalogue's needs and rates and cannot
be varied by path. The density bracket of the call rate is "call rate ×" (0.5–2)."""


def parse_param(text: str, scale: bool) -> Param:
    label, path, low, high = text.split("|")
    return Param(label, tuple(path.split(",")), float(low), float(high), scale)


def present(p: Param, scenario) -> bool:
    """Does the running engine have every path of ``p`` (``*`` paths: checked on apply)?"""
    try:
        for path in p.paths:
            if "*" not in path:
                get_value(EngineConfig(), scenario, path)
        return True
    except KeyError:
        return False


def effects(base: pd.DataFrame, low: pd.DataFrame, high: pd.DataFrame) -> pd.DataFrame:
    """Per city-wide measure: mean (high − low) over seeds with a 95 % t interval."""
    key = ["target", "from", "seed"]
    city = [d[d["scope"] == "city"].set_index(key) for d in (low, high)]
    diff = (city[1][["met_share", "p90_s"]] - city[0][["met_share", "p90_s"]]).reset_index()
    out = []
    for (t, f), g in diff.groupby(["target", "from"], sort=False):
        m, lo, hi, n = t_interval(g["met_share"].to_numpy(float))
        p90 = float(np.nanmean(g["p90_s"])) if g["p90_s"].notna().any() else np.nan
        out.append(
            {
                "target": t,
                "from": f,
                "d_share": m,
                "d_low": lo,
                "d_high": hi,
                "d_p90_s": p90,
                "seeds": n,
            }
        )
    return pd.DataFrame(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--days", type=float, default=7.0)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--only", nargs="*", default=None, help="parameter names (prefixes)")
    ap.add_argument("--param", action="append", default=[], help="label|path|low|high")
    ap.add_argument("--scale-param", action="append", default=[], help="label|path|lo|hi")
    ap.add_argument("--out", default=None, help="write every effect row to this CSV")
    a = ap.parse_args()
    params = (
        list(PARAMETERS)
        + [parse_param(t, False) for t in a.param]
        + [parse_param(t, True) for t in a.scale_param]
    )
    if a.only:
        params = [p for p in params if any(p.name.startswith(o) for o in a.only)]
    city, scenario = load(a.days, a.seed)
    seeds = [a.seed + i for i in range(a.seeds)]
    base = replicate(city, scenario, seeds, label="base")
    rows = []
    for p in params:
        if not present(p, scenario):
            print(f"absent in this engine: {p.name} ({', '.join(p.paths)})")
            continue
        lo = replicate(city, scenario, seeds, p.overrides(p.low), f"{p.name} low")
        hi = replicate(city, scenario, seeds, p.overrides(p.high), f"{p.name} high")
        e = effects(base, lo, hi)
        e.insert(0, "parameter", p.name)
        e.insert(1, "range", f"{p.low:g}–{p.high:g}{' ×' if p.scale else ''}")
        rows.append(e)
    table = pd.concat(rows, ignore_index=True)
    if a.out:
        table.to_csv(a.out, index=False)
    report(table, a)


def report(table: pd.DataFrame, a: argparse.Namespace) -> None:
    shares = table[~table["target"].str.startswith("cal:")]
    rank = (
        shares.assign(abs_d=shares["d_share"].abs())
        .sort_values("abs_d", ascending=False)
        .groupby("parameter", sort=False)
        .head(1)
    )
    print(
        f"\nSensitivity of the city-wide share met (high − low, percentage points), "
        f"{a.days:g} days × {a.seeds} seeds from {a.seed}, common random numbers"
    )
    print(
        f"{'rank':>4}  {'parameter':<26} {'range':<12} {'largest effect on':<22} "
        f"{'Δ share (pt)':>12} {'95 % interval':>18}"
    )
    for i, r in enumerate(rank.to_dict(orient="records"), 1):
        where = f"{r['target']} from {r['from']}"
        print(
            f"{i:>4}  {r['parameter']:<26} {r['range']:<12} {where:<22} "
            f"{pct(r['d_share']):>12} {pct(r['d_low']) + ' – ' + pct(r['d_high']):>18}"
        )
    print("\nEvery measure (Δ share met, high − low, in percentage points):")
    wide = (
        shares.assign(m=shares["target"] + "@" + shares["from"]).pivot_table(
            index="parameter", columns="m", values="d_share", sort=False
        )
        * 100
    )
    print(wide.round(1).to_string())
    cal = table[table["target"].str.startswith("cal:")]
    if not cal.empty:
        print("\nCalibration figures (high − low):")
        print(
            cal.pivot_table(index="parameter", columns="target", values="d_share", sort=False)
            .round(3)
            .to_string()
        )
    print(f"\nreproduce: {command_line()}")


if __name__ == "__main__":
    sys.exit(main())
