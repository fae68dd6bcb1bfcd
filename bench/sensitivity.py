"""Which assumptions move the headline measures: each parameter at the two ends of its
plausible range, same seeds as the base (common random numbers), ranked.

    nice -n 10 .venv/bin/python bench/sensitivity.py [--days 7] [--seeds 5] [--seed 2026]
        [--only NAME ...] [--param "label|path|low|high"] [--scale-param "label|path|lo|hi"]
        [--jobs 1] [--out effects.csv [--resume]] [--deadline HH:MM]

For every parameter the baseline is run with the low and the high value under the same
seeds (an end equal to the configured value reuses the base runs); the effect on a measure
is (high − low), averaged over seeds, with a 95 % t interval over the per-seed (paired)
differences. Parameters are ranked by the largest absolute effect on the city-wide share
met of any headline measure — 10/30/60 min, 5min, 8min, full, each from its primary origin
(alarm; 5min from the dispatch order) — in percentage points, ties by the change of that
measure's p90; the top ten are marked. The effects from the onset are in the full table.

Parameters are overrides (:mod:`twin.analysis.overrides`): a path into the engine config or
the scenario, set (``|path|low|high``) or scaled (``--scale-param``, low/high are factors).
The ranges and their sources are in docs/calibration.md; add parameters of a newer engine
with ``--param`` without editing this file. A parameter whose path the running engine does
not have is reported as absent, never silently dropped.

``--out`` is rewritten after every parameter, so an interrupted or deadline-cut run keeps
what finished; ``--resume`` reads that file first, skips the parameters already in it and
ranks them with the new ones (run it with the same ``--days``, ``--seeds`` and ``--seed``:
the base runs are re-run, and the common random numbers make them the same runs).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from measures_common import (
    MEASURES,
    Replicator,
    command_line,
    load,
    past,
    pct,
    replicate,
    summarise,
    t_interval,
)

from twin.analysis.compliance import types_needing
from twin.analysis.overrides import Override, get_value
from twin.analysis.targets import PRIMARY_ORIGIN
from twin.model.city import City
from twin.model.posts import with_posts
from twin.scenario.spec import Scenario
from twin.sim.engine import EngineConfig
from twin.sim.forces import GROUND_FORCES


@dataclass(frozen=True)
class Param:
    """A parameter varied over ``low``–``high``: set at ``paths`` (or scaled when ``scale``)."""

    name: str
    paths: tuple[str, ...]
    low: float
    high: float
    scale: bool = False
    posts: str = ""
    """A keyword of :func:`twin.model.posts.with_posts` (``household_size``,
    ``households_per_worker``): the city's community posts are re-allotted at each end
    (both ends re-allotted the same way, so the effect compares like with like)."""

    def overrides(self, value: float) -> tuple[Override, ...]:
        return tuple(Override(p, value, self.scale) for p in self.paths)


def _ground_rate_paths() -> tuple[str, ...]:
    """``catalogue.<type>.rate`` of every type needing a ground force (fire, professional,
    social): the ground-call rate, without the community-only calls."""
    ground = types_needing(EngineConfig().catalogue, GROUND_FORCES)
    return tuple(f"catalogue.{t}.rate" for t in ground)


PARAMETERS: tuple[Param, ...] = (
    # demand: the catalogue's ground types sum to 0.38 per 100k/day; plausible 0.25 (national
    # fires + rescues) – 0.60 (dense-core bracket, assumption): × 0.25/0.38 – 0.60/0.38
    Param("call rate × (ground calls)", _ground_rate_paths(), 0.25 / 0.38, 0.60 / 0.38, True),
    # where the calls fall: per-head rate ∝ density^β, total unchanged (assumption: β = 0,
    # no checked figure; bracket ±0.3, docs/calibration.md "Demand and density")
    Param("density elasticity of calls", ("scenario.incidents.density_elasticity",), -0.3, 0.3),
    # community-only calls: 8 per 100k/day, assumption, range 2–20
    Param("community call rate ×", ("catalogue.community_assist.rate",), 0.25, 2.5, True),
    Param(
        "citizen call delay ×",
        ("detection.call.median_s", "detection.call.p90_s"),
        0.5,
        2.0,
        scale=True,
    ),
    Param("night call delay factor", ("detection.night_factor",), 1.0, 2.0),
    Param("remote call delay factor", ("detection.remote_factor",), 1.0, 2.0),
    # the time chain (twin.sim.params)
    Param("119 call handling ×", ("chain.call_median_s", "chain.call_p90_s"), 0.5, 1.5, scale=True),
    Param("fire turnout by day (s)", ("forces.fire.turnout_s",), 45.0, 90.0),
    Param("fire turnout at night (s)", ("forces.fire.turnout_night_s",), 60.0, 150.0),
    Param("travel noise sigma", ("chain.travel_sigma",), 0.10, 0.40),
    Param("fire set-up (s)", ("forces.fire.setup_s",), 30.0, 180.0),
    Param(
        "on-scene work time ×",
        ("catalogue.*.work.median_s", "catalogue.*.work.p90_s"),
        0.5,
        2.0,
        scale=True,
    ),
    # community responders
    Param("community walking pace ×", ("forces.community.walk_pace",), 1.0, 2.0),
    Param("community circuity", ("forces.community.circuity",), 1.2, 1.6),
    Param("community turnout (s)", ("forces.community.turnout_s",), 30.0, 180.0),
    Param("community availability by day", ("forces.community.availability",), 0.5, 0.9),
    Param("community availability at night", ("forces.community.availability_night",), 0.2, 0.6),
    Param("community duty spell (s)", ("forces.community.duty_spell_s",), 1800.0, 14400.0),
    # posts by households (twin.model.posts): census 2.45 persons per household (range an
    # assumption), one responder per 400 households (assumption, 300–500)
    Param("household size (persons)", (), 2.2, 2.7, posts="household_size"),
    Param("households per responder", (), 300.0, 500.0, posts="households_per_worker"),
    # other forces and air
    Param("professional turnout (s)", ("forces.professional.turnout_s",), 120.0, 600.0),
    Param("social team turnout (s)", ("forces.social.turnout_s",), 600.0, 1800.0),
    Param(
        "helicopter launch ×",
        ("forces.air.turnout_s", "forces.air.turnout_max_s"),
        0.5,
        1.5,
        scale=True,
    ),
    Param("fog days a year", ("air.fog_days_per_year",), 10.0, 70.0),
    # #11 model parts (twin.sim.readiness, twin.sim.airscene, twin.sim.seasons)
    Param("fire crew time away (h/day)", ("chain.away_h_per_day",), 0.0, 4.0),
    # crews per fire station (twin.sim.turnouts): by class 1 (小型, 二级) or 2 (一级, 特勤);
    # the range's ends: every station 1 crew / every station 2 (at most its vehicles)
    Param("crews per station (all 1 / all 2)", ("crews_per_station",), 1.0, 2.0),
    Param("air request from scene (s)", ("air.scene_request_s",), 120.0, 900.0),
    Param("air-from-scene probability ×", ("catalogue.*.air_scene_prob",), 0.0, 2.0, scale=True),
    # the cycles act only on a scenario with a start_date (none: an average day)
    Param("summer share of fires", ("calendar.summer_fire",), 0.17, 0.28),
    Param("weekend factor", ("calendar.weekend_factor",), 0.9, 1.1),
)
"""Candidates with their plausible ranges (docs/calibration.md §3, twin/sim/params.py); a
parameter the running engine does not have is reported absent. Not reachable by path (so
not here): first assignments and the high-rise share of building fires (baked into the
catalogue's needs and rates), stairs grade and factor, dark hours (module constants or
tuples), road congestion (module constants). The density bracket of the ground-call rate
is "call rate × (ground calls)" (0.25–0.60 per 100k/day)."""


RUN_ORDER = (
    # the re-run under station crews (the default since twin/sim/turnouts.py): first the
    # parameters that act on fire crews, ground calls or their time chain, then air, then
    # the community responders' (which station crews do not touch)
    "crews per station",
    "fire turnout by day",
    "fire crew time away",
    "fire turnout at night",
    "call rate × (ground",
    "density elasticity",
    "travel noise",
    "119 call handling",
    "on-scene work time",
    "social team turnout",
    "professional turnout",
    "fire set-up",
    "citizen call delay",
    "night call delay",
    "remote call delay",
    "air-from-scene probability",
    "helicopter launch",
    "air request from scene",
    "fog days",
    "community call rate",
    "community turnout",
    "community walking pace",
    "community circuity",
    "community availability at night",
    "community availability by day",
    "households per responder",
    "household size",
    "community duty spell",
)
"""The order parameters are run in (the named candidates first), so that a ``--deadline``
cuts the rest; the ranking does not depend on it."""


def run_order(params: list[Param]) -> list[Param]:
    """``params`` with those named in :data:`RUN_ORDER` first, in that order."""

    def rank(p: Param) -> int:
        hits = [i for i, name in enumerate(RUN_ORDER) if p.name.startswith(name)]
        return hits[0] if hits else len(RUN_ORDER)

    return sorted(params, key=rank)


def parse_param(text: str, scale: bool) -> Param:
    label, path, low, high = text.split("|")
    return Param(label, tuple(path.split(",")), float(low), float(high), scale)


def present(p: Param, scenario: Scenario, city: City) -> bool:
    """Does the running engine have every path of ``p`` (``*`` paths: checked on apply)?
    A posts parameter needs the city's cells."""
    if p.posts:
        return not city.cells.empty
    try:
        for path in p.paths:
            if "*" not in path:
                get_value(EngineConfig(), scenario, path)
        return True
    except KeyError:
        return False


def effects(low: pd.DataFrame, high: pd.DataFrame) -> pd.DataFrame:
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
    ap.add_argument("--jobs", type=int, default=1, help="forked worker processes")
    ap.add_argument("--deadline", default=None, help="HH:MM UTC: start no new parameter after it")
    ap.add_argument("--resume", action="store_true", help="keep the parameters already in --out")
    a = ap.parse_args()
    if a.resume and not a.out:
        ap.error("--resume needs --out (the file of a previous, partial run)")
    t0 = time.perf_counter()
    params = (
        list(PARAMETERS)
        + [parse_param(t, False) for t in a.param]
        + [parse_param(t, True) for t in a.scale_param]
    )
    if a.only:
        params = [p for p in params if any(p.name.startswith(o) for o in a.only)]
    params = run_order(params)
    city, scenario = load(a.days, a.seed)
    rep = Replicator(city, scenario)
    seeds = [a.seed + i for i in range(a.seeds)]
    base = replicate(rep, seeds, label="base", jobs=a.jobs)
    rows: list[pd.DataFrame] = resumed(a.out) if a.resume else []
    absent: list[str] = []
    done = {str(x) for r in rows for x in r["parameter"].unique()}
    params = [p for p in params if p.name not in done]
    for n, p in enumerate(params):
        if rows and past(a.deadline):
            absent += [f"{q.name}: not run (deadline {a.deadline} UTC)" for q in params[n:]]
            break
        if not present(p, scenario, city):
            absent.append(f"{p.name} ({', '.join(p.paths)})")
            continue
        if (
            p.paths
            and all(x.startswith("calendar.") for x in p.paths)
            and scenario.start_date is None
        ):
            absent.append(
                f"{p.name}: the baseline has no start_date (an average day), so the cycles do not act"
            )
            continue
        ends = [
            base
            if at_base(p, v, scenario)
            else replicate(
                posts_rep(p, v, rep), seeds, p.overrides(v), f"{p.name} {end}", jobs=a.jobs
            )
            for v, end in ((p.low, "low"), (p.high, "high"))
        ]
        e = effects(*ends)
        e.insert(0, "parameter", p.name)
        e.insert(1, "range", f"{p.low:.3g}–{p.high:.3g}{' ×' if p.scale else ''}")
        rows.append(e)
        if a.out:  # after every parameter: a partial table survives an interrupted run
            pd.concat(rows, ignore_index=True).to_csv(a.out, index=False)
    table = pd.concat(rows, ignore_index=True)
    if a.out:
        table.to_csv(a.out, index=False)
    show_base(base)
    report(table, a)
    for x in absent:
        print(f"not varied: {x}")
    print(f"\nwall time {time.perf_counter() - t0:.0f} s; reproduce: {command_line()}")


def resumed(path: str) -> list[pd.DataFrame]:
    """The effect rows of a previous run's ``--out`` file (none if it does not exist yet)."""
    try:
        old = pd.read_csv(path, dtype={"parameter": str, "range": str, "target": str, "from": str})
    except FileNotFoundError:
        return []
    print(f"resumed: {old['parameter'].nunique()} parameters from {path}", flush=True)
    return [old]


def posts_rep(p: Param, value: float, rep: Replicator) -> Replicator:
    """The replicator for one end of ``p``: ``rep`` itself, or for a posts parameter one
    on the city with its community posts re-allotted (same scenario, same seeds)."""
    if not p.posts:
        return rep
    return Replicator(with_posts(rep.city0, **{p.posts: value}), rep.scenario)


def at_base(p: Param, value: float, scenario: Scenario) -> bool:
    """Is ``value`` the running engine's own value of ``p`` (then the base runs are that
    end: same seeds, same config)?"""
    if p.posts:
        return False
    if p.scale:
        return value == 1.0
    if any("*" in path for path in p.paths):
        return False
    return all(get_value(EngineConfig(), scenario, path) == value for path in p.paths)


def show_base(base: pd.DataFrame) -> None:
    """The base runs' city-wide share met per measure (mean over seeds, 95 % t interval)."""
    s = summarise(base, "city", onset=True)
    print("\nBase (the baseline as configured): city-wide share met, mean over seeds")
    for origin in ("primary", "onset"):
        part = s[((s["from"] == "onset") == (origin == "onset")) & s["target"].isin(MEASURES)]
        cells = [
            f"{r['target']}@{r['from']} {pct(r['met_share'])} % "
            f"[{pct(r['met_share_low'])}–{pct(r['met_share_high'])}]"
            for r in part.to_dict(orient="records")
        ]
        print("  " + "; ".join(cells))


def report(table: pd.DataFrame, a: argparse.Namespace) -> None:
    shares = table[~table["target"].str.startswith("cal:")].copy()
    shares["headline"] = [
        t in MEASURES and f == PRIMARY_ORIGIN.get(t)
        for t, f in zip(shares["target"], shares["from"])
    ]
    head = shares[shares["headline"]]
    rank = (
        head.assign(abs_d=head["d_share"].abs().fillna(0), abs_p90=head["d_p90_s"].abs().fillna(0))
        .sort_values(["abs_d", "abs_p90"], ascending=False)
        .groupby("parameter", sort=False)
        .head(1)
    )
    print(
        f"\nSensitivity of the headline measures (city-wide share met, each from its primary "
        f"origin; high − low in percentage points), {a.days:g} days × {a.seeds} seeds from "
        f"{a.seed}, common random numbers; paired 95 % t interval over seeds"
    )
    print(
        f"{'rank':>4}  {'parameter':<32} {'range':<13} {'largest effect on':<20} "
        f"{'Δ share (pt)':>12} {'95 % interval':>17} {'Δ p90 (min)':>11}"
    )
    for i, r in enumerate(rank.to_dict(orient="records"), 1):
        where = f"{r['target']} from {r['from']}"
        p90 = "–" if not np.isfinite(r["d_p90_s"]) else f"{r['d_p90_s'] / 60:+.2f}"
        print(
            f"{i:>4}  {r['parameter']:<32} {r['range']:<13} {where:<20} "
            f"{pct(r['d_share']):>12} {pct(r['d_low']) + ' – ' + pct(r['d_high']):>17} {p90:>11}"
        )
        if i == 10:
            print("  ---- (the ten above move the headline measures most) ----")
    print(
        "\nEvery measure (Δ share met, high − low, in percentage points; @onset: from the onset):"
    )
    wide = (
        shares.assign(m=shares["target"] + "@" + shares["from"]).pivot_table(
            index="parameter", columns="m", values="d_share", sort=False
        )
        * 100
    )
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print(wide.round(1).to_string())
    cal = table[table["target"].str.startswith("cal:")]
    if not cal.empty:
        print("\nCalibration figures (high − low, mean over seeds):")
        with pd.option_context("display.width", 250, "display.max_columns", 30):
            print(
                cal.pivot_table(index="parameter", columns="target", values="d_share", sort=False)
                .round(3)
                .to_string()
            )


if __name__ == "__main__":
    sys.exit(main())
