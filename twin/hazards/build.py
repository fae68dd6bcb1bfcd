"""The timeline of a scenario on a city: everything that happens during a run besides
random everyday incidents.

:func:`build_timeline` turns a scenario into road closures (``[[closures]]``,
:mod:`twin.hazards.closures`), hazards (``[[rainstorm]]``: :mod:`twin.hazards.rain`;
``[[earthquake]]``: :mod:`twin.hazards.quake`), random pipe failures (``[pipes]``,
:mod:`twin.hazards.lifelines`) and scripted incidents (``[[incidents.scripted]]``,
:mod:`twin.hazards.scripted`), as a :class:`~twin.hazards.timeline.Timeline` the engine
consumes.

Determinism
    :func:`build_timeline` draws one child seed per component (rainstorms, earthquakes, pipe
    failures, scripted drills) from the generator it is given, so a component's draws do not
    depend on whether the others are present: the same seed gives the same pipe failures with
    and without a rainstorm (common random numbers for comparing scenarios).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twin.hazards.closures import scenario_closures
from twin.hazards.lifelines import expected_failures, random_pipe_failures
from twin.hazards.quake import earthquake_timeline
from twin.hazards.rain import rainstorm_timeline
from twin.hazards.scripted import scripted_incidents
from twin.hazards.timeline import Timeline
from twin.model.city import City
from twin.model.places import resolve_district
from twin.scenario.checks import timeline_problems
from twin.scenario.spec import Scenario


@dataclass(frozen=True, eq=False)
class TimelineBasis:
    """The seed-independent part of a scenario's timeline on a city, worked out once by
    :func:`timeline_basis`: the scenario checked against the city and every pipe's expected
    failures over the run. A sweep's replications share one (:func:`twin.sim.runner.prepare`)."""

    scenario_key: str
    """The scenario it was made for, less its seed (:func:`seedless`): valid for any seed."""
    expected_failures: np.ndarray
    """Expected random failures of each pipe over the run (:func:`expected_failures`)."""


def timeline_basis(scenario: Scenario, city: City) -> TimelineBasis:
    """Check what ``scenario`` schedules on ``city`` (the city after
    :func:`twin.scenario.apply.apply`; raises :class:`~twin.errors.TwinDataError` listing
    every unknown name, id or place) and work out the seed-independent inputs of
    :func:`build_timeline`."""
    timeline_problems(scenario, city).raise_if_any("scenario does not fit the city")
    expected = expected_failures(city, scenario.pipes, scenario.duration_s)
    return TimelineBasis(seedless(scenario), expected)


def seedless(scenario: Scenario) -> str:
    """``scenario`` as JSON without its seed: equal for the same scenario under any seed."""
    return scenario.model_dump_json(exclude={"seed"})


def build_timeline(
    scenario: Scenario,
    city: City,
    rng: np.random.Generator,
    basis: TimelineBasis | None = None,
) -> Timeline:
    """Everything the scenario schedules on ``city`` (the city *after*
    :func:`twin.scenario.apply.apply`) over the run: closures, rainstorms, earthquakes, random pipe
    failures (if ``scenario.pipes.failures``) and scripted incidents. Deterministic given the
    state of ``rng``. ``basis``: :func:`timeline_basis` of this scenario (any seed) and city,
    made here when not given; it raises :class:`~twin.errors.TwinDataError` listing every
    unknown name, id or place the timeline refers to."""
    if basis is None:
        basis = timeline_basis(scenario, city)
    elif basis.scenario_key != seedless(scenario):
        raise ValueError(f"the timeline basis was made for another scenario than {scenario.name!r}")
    run_s = scenario.duration_s
    seeds = rng.integers(0, 2**63 - 1, size=4)
    rain_rng, quake_rng, pipe_rng, script_rng = (np.random.default_rng(int(s)) for s in seeds)
    tl = scenario_closures(city, scenario, run_s)
    for storm in scenario.rainstorm:
        found = (resolve_district(city, d) for d in storm.districts)
        districts = tuple(sorted({d for d in found if d is not None}))
        tl = tl.merged(rainstorm_timeline(city, storm, districts, run_s, rain_rng))
    for quake in scenario.earthquake:
        tl = tl.merged(earthquake_timeline(city, quake, run_s, quake_rng))
    pipes = random_pipe_failures(city, scenario.pipes, run_s, pipe_rng, basis.expected_failures)
    tl = tl.merged(pipes)
    tl = tl.merged(scripted_incidents(city, scenario, run_s, script_rng))
    return tl
