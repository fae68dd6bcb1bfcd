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

import numpy as np

from twin.hazards.closures import scenario_closures
from twin.hazards.lifelines import random_pipe_failures
from twin.hazards.quake import earthquake_timeline
from twin.hazards.rain import rainstorm_timeline
from twin.hazards.scripted import scripted_incidents
from twin.hazards.timeline import Timeline
from twin.model.city import City
from twin.model.places import resolve_district
from twin.scenario.checks import timeline_problems
from twin.scenario.spec import Scenario


def build_timeline(scenario: Scenario, city: City, rng: np.random.Generator) -> Timeline:
    """Everything the scenario schedules on ``city`` (the city *after*
    :func:`twin.scenario.apply.apply`) over the run: closures, rainstorms, earthquakes, random pipe
    failures (if ``scenario.pipes.failures``) and scripted incidents. Deterministic given the
    state of ``rng``. Raises :class:`~twin.errors.TwinDataError` listing every unknown name,
    id or place the timeline refers to."""
    timeline_problems(scenario, city).raise_if_any("scenario does not fit the city")
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
    tl = tl.merged(random_pipe_failures(city, scenario.pipes, run_s, pipe_rng))
    tl = tl.merged(scripted_incidents(city, scenario, run_s, script_rng))
    return tl
