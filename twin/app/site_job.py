"""A siting request of the app, run in the worker's child process like a run.

"Where should k new stations go?": the same models as ``twin site`` (PySAL spopt / HiGHS on
the twin's own road times, existing stations kept fixed, :mod:`twin.siting`), answered with
the proposed sites (WGS84, to draw and to accept into the scenario) and the optimiser's
figures: people newly within the coverage time, mean and worst people-weighted time.
The simulated check of the promise is a run of the scenario with the sites accepted.
"""

from __future__ import annotations

from typing import Any

from twin.cli.site import problem_for
from twin.model.city import City
from twin.sim.engine import Engine, EngineConfig
from twin.siting.models import solve
from twin.siting.output import chosen_sites

PERIODS = ("peak", "offpeak", "night")


def site_result(city: City, request: dict[str, Any]) -> dict[str, Any]:
    """Proposed sites and the optimiser's gain for a siting ``request`` (see the API)."""
    force, k = str(request["force"]), int(request["k"])
    minutes, objective = float(request["minutes"]), str(request["objective"])
    engine = Engine(city, EngineConfig())
    p = problem_for(city, force, str(request["period"]), objective, minutes, engine)
    sol = solve(p, objective, k, minutes)
    units = int(request.get("units") or _typical_units(city, force))
    sites = chosen_sites(p, sol, city, force, units)
    return {
        "kind": "site",
        "force": force,
        "objective": objective,
        "minutes": minutes,
        "sites": sites,
        "people_within_before": sol.covered_before,
        "people_within_after": sol.covered_after,
        "coverage_gain": sol.coverage_gain,
        "mean_s_before": sol.mean_s_before,
        "mean_s_after": sol.mean_s_after,
        "solve_s": sol.solve_s,
    }


def _typical_units(city: City, force: str) -> int:
    st = city.stations[city.stations["force"] == force]
    return max(1, round(float(st["units"].mean()))) if len(st) else 1
