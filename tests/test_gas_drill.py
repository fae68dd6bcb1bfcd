"""The gas-leak drill: pipe sensors on Yuzhong's gas mains mean earlier alarms and fewer
explosions. Both variants run under the same seeds (common random numbers: the same
leaks, call delays and ignition times), so the difference is the sensors alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import twin
from twin.scenario.spec import load_scenario
from twin.sim.runner import prepare, run_prepared

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
# the files' seed and the nine after it. Four seeds were enough before the high-rise type
# and time away from readiness moved the random draws; since then the drill without sensors
# ignited 2 leaks over 2026-2029, below the power guard of the last test (at least 3 so that
# "fewer" means something). The guard stays; the sample grew: 7 ignitions over 2026-2037.
SEEDS = range(2026, 2036)
# twenty drill runs on the embedded twin behind one fixture: minutes on a loaded machine
pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def drills():
    city = twin.load_city()
    out = {}
    for name in ("gas-leak-drill", "gas-leak-drill-sensors"):
        # set up once per variant, then one run per seed: the same Results as run_scenario
        prep = prepare(load_scenario(SCENARIOS / f"{name}.toml"), city, record_routes=False)
        out[name] = [run_prepared(prep, s)["incidents"] for s in SEEDS]
    return out


def drill_leaks(inc):
    return inc[
        (inc["type"] == "gas_leak")
        & inc["detected_by"].isin(["sensor", "call"])
        & (inc["onset_s"] >= 540 * 60)
    ]


def test_sensors_alarm_the_drill_leaks_within_minutes(drills):
    without = np.concatenate(
        [drill_leaks(i)["detection_delay_s"] for i in drills["gas-leak-drill"]]
    )
    with_ = np.concatenate(
        [drill_leaks(i)["detection_delay_s"] for i in drills["gas-leak-drill-sensors"]]
    )
    assert np.median(with_) <= 180  # 1–3 min sensor alarms
    assert np.median(without) > 5 * 60  # mostly citizens' calls


def test_sensors_mean_fewer_explosions(drills):
    def explosions(runs):
        return sum(int((inc["type"] == "gas_explosion").sum()) for inc in runs)

    without, with_ = (
        explosions(drills["gas-leak-drill"]),
        explosions(drills["gas-leak-drill-sensors"]),
    )
    assert without >= 3 and with_ < without
