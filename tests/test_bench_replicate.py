"""The bench scripts' fast replications (bench/measures_common.py) compute exactly what
``run_scenario`` computes: same compliance rows, calibration block and incidents, seed for
seed, under overrides of every kind the sensitivity bench uses. One replicator serves all
cases in turn, as in a sensitivity run, so its caches are exercised: the applied city and
the timeline per seed, and the engine copied for run-time settings (turnout, time chain,
work times, rates, walking) or rebuilt for construction-time ones (detection). A stale
cache would show here as a difference."""

from __future__ import annotations

import datetime
import sys
from pathlib import Path

import pandas as pd
import pytest
from tinycity import tiny_city

from twin.analysis.overrides import Override, apply_overrides
from twin.scenario.spec import Closure, Rainstorm, Scenario
from twin.sim.engine import EngineConfig
from twin.sim.runner import run_scenario

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from measures_common import Replicator, replicate, scenario_replicator  # noqa: E402

CITY = tiny_city()
SCEN = Scenario(name="bench", days=1, seed=5)
REP = Replicator(CITY, SCEN)

CASES = [
    (),
    (Override("forces.fire.turnout_s", 120.0), Override("forces.fire.setup_s", 180.0)),
    (Override("chain.travel_sigma", 0.4), Override("chain.call_median_s", 0.5, True)),
    (Override("catalogue.*.work.median_s", 2.0, True),),
    (Override("forces.community.walk_pace", 2.0),),
    (Override("detection.night_factor", 2.0),),  # the placement reads detection: rebuilt
    (Override("catalogue.building_fire.rate", 3.0, True),),
    (Override("scenario.incidents.rate_multiplier", 3.0),),
    (Override("scenario.incidents.density_elasticity", 1.0),),  # where calls fall
]


@pytest.mark.parametrize("overrides", CASES, ids=[str(c[0]) if c else "base" for c in CASES])
def test_replications_equal_run_scenario(overrides):
    for seed in (5, 6) if not overrides else (6,):  # seed 6's timeline: cached after base
        config, scen = apply_overrides(EngineConfig(), SCEN.with_(seed=seed), overrides)
        want = run_scenario(scen, CITY, record_routes=False, config=config)
        got = REP.run(config, scen, keep_incidents=True)
        pd.testing.assert_frame_equal(got.compliance, want["compliance"])
        assert got.calibration == want.summary["calibration"]
        cols = list(want["incidents"].columns)
        pd.testing.assert_frame_equal(got.incidents[cols], want["incidents"])


def test_run_time_settings_share_the_engine_construction_ones_do_not():
    rep = Replicator(CITY, SCEN)
    base = rep.run(*apply_overrides(EngineConfig(), SCEN, ()))
    assert base.n_incidents > 0
    engines = lambda: [e for _, _, e in rep._engines]  # noqa: E731
    rep.run(*apply_overrides(EngineConfig(), SCEN, (Override("chain.travel_sigma", 0.1),)))
    assert engines()[1].placement is engines()[0].placement  # copied
    rep.run(*apply_overrides(EngineConfig(), SCEN, (Override("detection.night_factor", 1.0),)))
    assert engines()[2].placement is not engines()[0].placement  # rebuilt


def test_forked_workers_give_the_serial_rows():
    serial = replicate(Replicator(CITY, SCEN), [5, 6, 7], log=False)
    forked = replicate(Replicator(CITY, SCEN), [5, 6, 7], log=False, jobs=2)
    pd.testing.assert_frame_equal(serial, forked)


def test_a_dated_scenario_gets_its_calendar():
    summer = SCEN.with_(start_date=datetime.date(2025, 7, 1), days=2)
    want = run_scenario(summer, CITY, record_routes=False)
    got = Replicator(CITY, summer).run(EngineConfig(), summer)
    pd.testing.assert_frame_equal(got.compliance, want["compliance"])
    assert got.calibration == want.summary["calibration"]


@pytest.mark.parametrize("model", ["table", "assigned"])
def test_a_scenario_with_closures_storm_and_its_traffic_model_replicates(model):
    """bench/bridges_effects.py and the rainstorm bench run other scenarios than the
    baseline through :func:`scenario_replicator`: a closed bridge, a storm over one
    district, and (assigned model) the re-assigned traffic regimes must give what
    ``run_scenario`` gives, seed for seed."""
    scen = SCEN.with_(
        closures=(Closure(name="Short Bridge", start_h=2, duration_h=10),),
        rainstorm=(Rainstorm(start_h=6, duration_h=3, intensity_mm_h=80, districts=("D2",)),),
        traffic={"model": model},
    )
    rep = scenario_replicator(CITY, scen)
    assert (rep.config.traffic is not None) == (model == "assigned")
    for seed in (5, 6):
        want = run_scenario(scen.with_(seed=seed), CITY, record_routes=False)
        got = rep.run(rep.config, scen.with_(seed=seed), keep_incidents=True)
        pd.testing.assert_frame_equal(got.compliance, want["compliance"])
        cols = list(want["incidents"].columns)
        pd.testing.assert_frame_equal(got.incidents[cols], want["incidents"])
