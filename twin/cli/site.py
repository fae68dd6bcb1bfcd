"""``twin site``: solve, write the scenario, the budget view and the map, then check the
optimiser's promise with paired simulation (baseline vs the new scenario, same seeds)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table

from twin.analysis.compare import comparison_text, run_comparison, write_comparison
from twin.analysis.compare_view import paired_view, target_label
from twin.cli.decide import district_names
from twin.errors import TwinDataError
from twin.model.city import City, load_city
from twin.progress import counter, spinner
from twin.scenario.spec import Scenario, load_scenario
from twin.sim.engine import Engine, EngineConfig
from twin.siting.models import OBJECTIVES, Solution, budget, least_needed, solve
from twin.siting.output import (
    budget_plot,
    budget_table,
    chosen_sites,
    scenario_toml,
    sites_json,
    sites_map,
    write_atomic,
)
from twin.siting.problem import SitingProblem, build_problem

AGGREGATED = 150
"""Demand points and candidates for p-median / p-center (their MILPs grow as n × m)."""
COVER_CANDIDATES = 2000
"""Candidate road nodes for the covering models (every populated cell's node, thinned on a
grid to at most this many); demand stays one point per populated cell."""


def problem_for(
    city: City,
    force: str,
    period: str,
    objective: str,
    minutes: float,
    engine: Engine | None = None,
) -> SitingProblem:
    """Grid-thinned candidates and times up to ``minutes`` for the covering models;
    aggregated demand and candidates with full times for median/center."""
    if objective in ("pmedian", "pcenter"):
        return build_problem(
            city, force, period, max_demand=AGGREGATED, max_candidates=AGGREGATED, engine=engine
        )
    return build_problem(
        city, force, period, max_candidates=COVER_CANDIDATES, limit_s=minutes * 60.0, engine=engine
    )


def _units(city: City, force: str) -> int:
    st = city.stations[city.stations["force"] == force]
    return max(1, int(round(float(st["units"].mean())))) if len(st) else 1


def _sites_table(sites: list[dict[str, object]], names: dict[str, str]) -> Table:
    t = Table(title="Proposed stations (WGS84; map apps in China show GCJ-02)")
    for col in ("station", "district", "lon", "lat", "road node", "units"):
        t.add_column(col)
    for s in sites:
        t.add_row(
            str(s["station_id"]),
            names.get(str(s["district_id"]), str(s["district_id"])),
            f"{s['lon']:.5f}",
            f"{s['lat']:.5f}",
            str(s["node_id"]),
            str(s["units"]),
        )
    return t


def _promise(sol: Solution, p: SitingProblem, minutes: float) -> str:
    text = (
        f"optimiser ({sol.objective}, {p.period} road times): people within {minutes:g} "
        f"min by road {sol.covered_before:,.0f} → {sol.covered_after:,.0f} of "
        f"{p.people:,.0f} (+{sol.coverage_gain:,.0f}); solved in {sol.solve_s:.1f} s"
    )
    if sol.objective in ("pmedian", "pcenter"):  # full times known (covering: ≤ minutes only)
        text += (
            f"; people-weighted mean time {sol.mean_s_before / 60:.2f} → "
            f"{sol.mean_s_after / 60:.2f} min; worst {sol.worst_s_before / 60:.1f} → "
            f"{sol.worst_s_after / 60:.1f} min"
        )
    return text


def site_command(
    *,
    add: int,
    force: str,
    objective: str,
    minutes: float,
    period: str,
    out: Path,
    budget_max: int,
    replications: int,
    days: float,
    workers: int,
    city_path: Path | None,
    console: Console,
    move: bool = False,
    address: str | None = None,
) -> None:
    """Solve, write, and check by simulation (see the module docstring); ``address``: a
    dask.distributed scheduler the check's replications run on (None: ``workers`` local
    processes), as for ``twin sweep`` and ``twin compare``."""
    if objective not in OBJECTIVES:
        raise TwinDataError.one(
            "--objective", f"unknown objective {objective!r}", f"use one of {', '.join(OBJECTIVES)}"
        )
    base = load_scenario(None)
    if city_path is not None:
        base = base.with_(city=str(city_path))
    city = load_city(base.city)
    if not (city.stations["force"] == force).any():
        raise TwinDataError.one(
            "--force",
            f"the city has no {force} stations",
            "site a force the city has, e.g. --force fire",
        )
    with spinner("travel times of the siting problem"):
        engine = Engine(city, EngineConfig())
        p = problem_for(city, force, period, objective, minutes, engine)
    console.print(
        f"{len(p.demand_node):,} demand points ({p.people:,.0f} people), "
        f"{len(p.candidate_node):,} candidate road nodes, {len(p.existing_ids)} "
        f"existing {force} stations kept fixed",
        highlight=False,
    )
    moved: tuple[str, ...] = ()
    if move:
        out_idx = least_needed(p, add, minutes)
        moved = tuple(p.existing_ids[i] for i in out_idx)
        console.print(
            f"moving the least-needed {force} stations: {', '.join(moved)} "
            "(heuristic: least coverage lost first, then the best new places)",
            highlight=False,
        )
        p = p.without(out_idx)
    with spinner(f"solving {objective} (HiGHS)"):
        sol = solve(p, objective, add, minutes)
    sites = chosen_sites(p, sol, city, force, _units(city, force))
    moved = moved[: len(sites)]
    names = district_names(city)
    out.mkdir(parents=True, exist_ok=True)
    console.print(_sites_table(sites, names))
    console.print(_promise(sol, p, minutes), highlight=False)
    name = f"site-{objective}-{len(sites)}" + ("-move" if move else "")
    toml = write_atomic(
        out / f"{name}.toml",
        scenario_toml(name, sites, force, sol, minutes, period, days, base.seed, moved),
    )
    write_atomic(out / f"{name}.json", sites_json(sites))
    console.print(f"wrote {toml}, {sites_map(p, sol, city, out / f'{name}-map.png', minutes)}")
    if budget_max > 0:
        _budget(city, p, objective, budget_max, minutes, out, force, engine, period, console)
    if replications > 0 and sites:
        runs = (replications, days, workers, address)
        _check(base, toml, city, sol, p, minutes, runs, out, console)


def _budget(
    city: City,
    p: SitingProblem,
    objective: str,
    budget_max: int,
    minutes: float,
    out: Path,
    force: str,
    engine: Engine,
    period: str,
    console: Console,
) -> None:
    obj = "mclp" if objective == "lscp" else objective  # LSCP has no k: budget by MCLP
    bp = p if obj == objective else problem_for(city, force, period, obj, minutes, engine)
    with spinner(f"budget view k = 1…{budget_max}"):
        table = budget_table(budget(bp, obj, range(1, budget_max + 1), minutes), minutes)
    t = Table(title=f"Budget view ({obj}): people newly within {minutes:g} min")
    for col in (
        "k",
        "people newly covered",
        "k-th station adds",
        f"mean time (min; gains ≤ {minutes:g} min only)",
        "solve (s)",
    ):
        t.add_column(col, justify="right")
    for r in table.itertuples(index=False):
        t.add_row(
            str(r.k),
            f"{r.covered_gain:,.0f}",
            f"{r.marginal_gain:,.0f}",
            f"{r.mean_min:.2f}",
            f"{r.solve_s:.1f}",
        )
    console.print(t)
    write_atomic(out / "budget.csv", table.to_csv(index=False))
    console.print(f"wrote {budget_plot(table, out / 'budget.png', force, minutes)}")


def _check(
    base: Scenario,
    toml: Path,
    city: City,
    sol: Solution,
    p: SitingProblem,
    minutes: float,
    runs: tuple[int, float, int, str | None],
    out: Path,
    console: Console,
) -> None:
    """The paired check; ``runs``: (replications, days, local workers, scheduler address)."""
    replications, days, workers, address = runs
    other = load_scenario(toml)
    scenarios = [base.with_(days=days), other.with_(days=days, city=base.city)]
    with counter("checking by simulation") as update:
        comp = run_comparison(
            scenarios,
            city,
            replications,
            workers=workers,
            address=address,
            cells=False,
            progress=update,
        )
    names = district_names(city)
    targets = set(comp.table["target"])
    target = f"{minutes:g}min" if f"{minutes:g}min" in targets else "30min"
    console.print(paired_view(comp.table, other.name, target, names, base.name))
    label = target_label(target)
    for line in comparison_text(comp, target, label, names):
        console.print(line, highlight=False, markup=False)
    console.print(verdict(comp.table, other.name, target, sol), highlight=False)
    write_comparison(comp, out / "check", target, label, names)
    console.print(f"wrote {out / 'check'}")


def verdict(table: pd.DataFrame, option: str, target: str, sol: Solution) -> str:
    """Does the simulation confirm the optimiser? Compares the promised gain with the local
    p90 change (and the city's) and says where they disagree."""
    g = table[
        (table["option"] == option) & (table["target"] == target) & (table["measure"] == "p90_s")
    ]
    local = g[g["family"] == "local"]
    if sol.coverage_gain <= 0 and sol.mean_s_after >= sol.mean_s_before:
        return "the optimiser promises no gain; nothing to confirm"
    if local.empty:
        return "no incidents fell in the new stations' area: the simulation cannot judge"
    r = local.iloc[0]
    if math.isnan(float(r["low"])):
        return "too few replications with incidents in the area to give an interval"
    if float(r["high"]) < 0:
        return (
            f"the simulation confirms it: p90 in the new stations' area falls by "
            f"{-float(r['diff']) / 60:.1f} min (95 % CI {-float(r['high']) / 60:.1f}–"
            f"{-float(r['low']) / 60:.1f})"
        )
    return (
        "the optimiser and the simulation disagree: the optimiser counts road time from "
        "an always-free station, the simulation has crews busy elsewhere, queueing, "
        "turnout and congestion by hour, and only the incidents that happened; the "
        f"local p90 change is {float(r['diff']) / 60:+.1f} min (95 % CI "
        f"{float(r['low']) / 60:+.1f} to {float(r['high']) / 60:+.1f}). More replications "
        "or days narrow the interval."
    )
