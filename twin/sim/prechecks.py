"""Pre-run checks: whether a run can do anything useful, said before it runs.

One place for every command that simulates (``twin run``, ``twin sweep``, later the
importers and the app). :func:`run_problems` returns the findings; :func:`check_run` raises
the stopping ones as one :class:`~twin.errors.TwinDataError` and emits the others as
:class:`PrecheckWarning` (the CLI prints each as one ``warning:`` line).

========================================  ==========  ==========================================
finding                                   effect      why
========================================  ==========  ==========================================
no station with units at all              **stops**   nothing can respond: every incident queues
no people in the core districts and no    **stops**   no incidents will be generated
scripted incidents or hazards
no people, but scripted incidents or      warns       only those incidents happen
hazards
a force with no units that some           warns       a legitimate what-if (remove the air
incident types need                                   bases); those types miss that force's
                                                      target; the types are listed
an unknown target (``twin compare``)      **stops**   the known targets are listed
========================================  ==========  ==========================================
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable

from twin.errors import Problem, TwinDataError
from twin.model.city import City
from twin.scenario.spec import Scenario
from twin.sim.forces import FORCES, TARGETS_S
from twin.sim.incidents import CATALOGUE


class PrecheckWarning(UserWarning):
    """A run that will go ahead but will not show everything (see the module docstring)."""


def units_by_force(city: City) -> dict[str, int]:
    """Units per force in ``city`` (stations with zero units count for nothing)."""
    st = city.stations
    out = {f: 0 for f in FORCES}
    if len(st):
        for force, n in st.groupby(st["force"].astype(str))["units"].sum().items():
            out[str(force)] = int(n)
    return out


def types_needing(force: str, scenario: Scenario | None = None) -> list[str]:
    """Incident types (with a positive rate in ``scenario``) that need ``force`` on scene,
    or may call it (air)."""
    mult = scenario.incidents.type_multipliers if scenario is not None else {}
    rate = scenario.incidents.rate_multiplier if scenario is not None else 1.0
    out = []
    for t in CATALOGUE.values():
        happens = t.rate == 0 or t.rate * rate * mult.get(t.name, 1.0) > 0  # 0: cascades
        needed = any(f == force for f, _ in t.needs) or (force == "air" and t.air_prob > 0)
        if needed and happens:
            out.append(t.name)
    return out


def run_problems(scenario: Scenario, city: City) -> tuple[list[Problem], list[Problem]]:
    """(stopping, warning) findings for running ``scenario`` on ``city`` (already applied)."""
    stop: list[Problem] = []
    warn: list[Problem] = []
    units = units_by_force(city)
    if sum(units.values()) == 0:
        stop.append(
            Problem(
                f"{city.name}: stations",
                "the city has no station with units: nothing can respond to any incident",
                "add stations (twin import ... --stations, or [[stations.add]] in the scenario)",
            )
        )
    else:
        for force in FORCES:
            needing = types_needing(force, scenario)
            if units[force] == 0 and needing:
                warn.append(
                    Problem(
                        f"{city.name}: stations",
                        f"no {force} station with units: these incident types "
                        f"need one and will miss its target: {', '.join(needing)}",
                        f"add a {force} station if the city has one",
                        ids=(),
                    )
                )
    pop = float(city.core_districts["population"].sum()) if len(city.districts) else 0.0
    other = bool(
        scenario.incidents.scripted
        or scenario.rainstorm
        or scenario.earthquake
        or (scenario.pipes.failures and len(city.pipes))
    )
    if pop <= 0 and scenario.incidents.random:
        p = Problem(
            f"{city.name}: districts",
            "the core districts hold no people: no everyday incidents will be generated",
            "give the districts their population (districts.population)",
        )
        (warn if other else stop).append(p)
    return stop, warn


def check_run(scenario: Scenario, city: City) -> None:
    """Raise the stopping findings (one TwinDataError); warn about the others."""
    stop, warn = run_problems(scenario, city)
    for p in warn:
        warnings.warn(PrecheckWarning(str(p)), stacklevel=2)
    if stop:
        raise TwinDataError(stop, title="this run cannot do anything useful")


def check_target(target: str, available: Iterable[str] = ()) -> str:
    """``target`` if it is a known target (and present in ``available``, when given)."""
    known = list(TARGETS_S)
    have = set(available)
    if target not in known or (have and target not in have):
        raise TwinDataError.one(
            "--target",
            f"unknown target {target!r}",
            f"use one of: {', '.join(known)}",
            title="invalid option",
        )
    return target
