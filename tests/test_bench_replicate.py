"""The bench scripts' fast replications (bench/measures_common.py) compute exactly what
``run_scenario`` computes: same compliance rows and calibration block, seed for seed, with
an override and with a rate multiplier (they reuse the city, engine and timeline between
runs, so a stale cache would show here as a difference)."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest
from tinycity import tiny_city

from twin.analysis.overrides import Override, apply_overrides
from twin.scenario.spec import Scenario
from twin.sim.engine import EngineConfig
from twin.sim.runner import run_scenario

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from measures_common import Replicator, replicate  # noqa: E402

CITY = tiny_city()
SCEN = Scenario(name="bench", days=1, seed=5)


@pytest.mark.parametrize(
    "overrides",
    [
        (),
        (Override("forces.fire.turnout_s", 120.0),),
        (Override("scenario.incidents.rate_multiplier", 3.0),),
    ],
)
def test_replications_equal_run_scenario(overrides):
    rep = Replicator(CITY, SCEN)
    for seed in (5, 6, 5):  # the third reuses seed 5's cached timeline
        config, scen = apply_overrides(EngineConfig(), SCEN.with_(seed=seed), overrides)
        want = run_scenario(scen, CITY, record_routes=False, config=config)
        got = rep.run(config, scen, keep_incidents=True)
        pd.testing.assert_frame_equal(got.compliance, want["compliance"])
        assert got.calibration == want.summary["calibration"]
        cols = list(want["incidents"].columns)
        pd.testing.assert_frame_equal(got.incidents[cols], want["incidents"])


def test_forked_workers_give_the_serial_rows():
    rep = Replicator(CITY, SCEN)
    serial = replicate(rep, [5, 6, 7], log=False)
    forked = replicate(Replicator(CITY, SCEN), [5, 6, 7], log=False, jobs=2)
    pd.testing.assert_frame_equal(serial, forked)
