"""The time-of-day period of a trip is the period of its departure (alarm + turnout), exactly
at the boundaries of the day: a fire engine leaving at 07:00:00 drives in the morning peak,
one leaving half a second earlier in the off-peak.

tinycity: F1 at n00, n00 → n21 is three local streets of 100 s free flow each; local streets
cost ×1.10 off-peak and ×1.30 in the peak (twin.model.roads.CONGESTION), ×1.00 at night.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from tinycity import simulate_script, tiny_city

from twin.model.roads import CONGESTION
from twin.sim.engine import EngineConfig
from twin.sim.forces import DEFAULT_FORCES
from twin.sim.incidents import CATALOGUE, IncidentType, LogNormal
from twin.sim.params import TimeChain

TURNOUT = DEFAULT_FORCES["fire"].turnout_s
STREETS_S = 300.0  # n00 → n21 at free flow


def drill_config() -> EngineConfig:
    """The chain off (no call handling, no travel noise) and the day turnout at night too,
    so that the unit departs exactly ``TURNOUT`` after the alarm at any hour."""
    drill = IncidentType("drill", "演练", 0.0, (("fire", 1),), LogNormal(60.0, 60.0))
    forces = dict(DEFAULT_FORCES)
    forces["fire"] = replace(forces["fire"], turnout_night_s=None, setup_s=0.0)
    return EngineConfig(
        catalogue={**CATALOGUE, "drill": drill},
        forces=forces,
        use_cache=False,
        chain=TimeChain.none(),
    )


@pytest.mark.parametrize(
    "depart_s, period",
    [
        (6 * 3600.0 - 0.5, "night"),
        (6 * 3600.0, "offpeak"),
        (7 * 3600.0 - 0.5, "offpeak"),
        (7 * 3600.0, "peak"),
        (9 * 3600.0 - 0.5, "peak"),
        (9 * 3600.0, "offpeak"),
        (17 * 3600.0, "peak"),
        (19 * 3600.0, "offpeak"),
        (22 * 3600.0, "night"),
    ],
)
def test_trip_drives_in_the_period_of_its_departure(depart_s, period):
    alarm = depart_s - TURNOUT
    sim = simulate_script(tiny_city(), [(alarm, "drill", "n21")], config=drill_config())
    first_fire = sim.incidents[0].first[1]
    factor = CONGESTION[period]["local"]
    assert first_fire == pytest.approx(depart_s + STREETS_S * factor, abs=0.01)
