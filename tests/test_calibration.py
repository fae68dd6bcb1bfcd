"""The calibration block of summary.json, computed by hand on tiny tables and on a tiny run."""

from __future__ import annotations

import pandas as pd
import pytest
from tinycity import simulate_script, tiny_city

from twin.analysis.calibration import calibration
from twin.analysis.compliance import types_needing
from twin.analysis.metrics import event_table, incident_table, unit_table
from twin.sim.engine import EngineConfig
from twin.sim.incidents import CATALOGUE
from twin.sim.params import TimeChain

DAY = 86400.0


def test_calibration_by_hand():
    # 3 incidents over 2 days among 200,000 people: two need a ground force (met_30 set),
    # one is a community call. Dispatches: F1/1 and F1/2 to incident 0 (one run of F1, two
    # vehicles), F2/1 to incident 1, a community responder C1/1 to incident 2.
    inc = pd.DataFrame(
        {
            "incident_id": [0, 1, 2],
            "type": ["building_fire", "outdoor_fire", "community_assist"],
            "met_30": pd.array([True, False, None], dtype="boolean"),
        }
    )
    ev = pd.DataFrame(
        {
            "t_s": [0.0, 0.0, 5.0, 9.0, 9.5],
            "kind": ["alarm", "dispatched", "dispatched", "dispatched", "dispatched"],
            "incident_id": pd.array([0, 0, 0, 1, 2], dtype="Int64"),
            "unit_id": ["", "F1/1", "F1/2", "F2/1", "C1/1"],
        }
    )
    units = pd.DataFrame(
        {
            "station_id": ["F1", "F2", "F3", "C1"],
            "force": ["fire", "fire", "fire", "community"],
            "units": [2, 1, 1, 3],
            "busy_s": [0.2 * 2 * 2 * DAY, 0.0, 0.1 * 2 * DAY, 99.0],
        }
    )
    c = calibration(
        inc,
        ev,
        units,
        population=200_000,
        duration_s=2 * DAY,
        fire_types=["building_fire", "outdoor_fire"],
    )
    assert c["ground_calls"] == 2 and c["ground_vehicle_dispatches"] == 3
    assert c["vehicles_per_ground_call"] == pytest.approx(1.5)  # 3 / 2
    assert c["ground_calls_per_100k_per_day"] == pytest.approx(0.5)  # 2 / (2 × 2 days)
    assert c["fire_vehicles_per_fire_call"] == pytest.approx(1.5)
    # runs in 2 days: F1 1 (two vehicles, one incident), F2 1, F3 0 → ×365/2 per year
    runs = c["runs_per_station_per_year"]
    assert runs["median"] == pytest.approx(182.5) and runs["max"] == pytest.approx(182.5)
    assert runs["stations_over_1000"] == 0
    # utilisation: busy 0.8 d + 0 + 0.2 d over (2 + 1 + 1) units × 2 d = 1.0 / 8
    u = c["utilisation"]
    assert u["fire_units"] == pytest.approx(0.125)
    assert u["station_median"] == pytest.approx(0.1) and u["station_max"] == pytest.approx(0.2)
    assert c["references"]["vehicles_per_call_national_2025"] == 1.92


def test_calibration_of_a_tiny_run():
    # Two outdoor fires (first assignment: 1 fire vehicle each) and, later, a building fire
    # (first assignment 4 fire vehicles, twin.sim.params; the city has 3 engines, all at
    # this fire, so the fourth request waits until the fire is cleared and is then dropped,
    # twin.sim.queues): 1 + 1 + 3 = 5 fire vehicles for 3 ground calls over 1 day, among
    # the tiny city's 600,000 people.
    city = tiny_city()
    cfg = EngineConfig(use_cache=False, chain=TimeChain.deterministic())
    sim = simulate_script(
        city,
        [
            (0.0, "outdoor_fire", "n20"),
            (20_000.0, "outdoor_fire", "n31"),
            (40_000.0, "building_fire", "n21"),
        ],
        config=cfg,
    )
    inc, ev, units = incident_table(sim), event_table(sim), unit_table(sim)
    c = calibration(inc, ev, units, 600_000, DAY, types_needing(CATALOGUE, ("fire",)))
    assert c["ground_calls"] == 3 and c["ground_vehicle_dispatches"] == 5
    assert c["vehicles_per_ground_call"] == pytest.approx(5 / 3, abs=1e-4)
    assert c["ground_calls_per_100k_per_day"] == pytest.approx(3 / 6, abs=1e-4)
    assert c["fire_stations"] == 3 and c["fire_units"] == 3
    # runs: F1 went to n20 and to the building fire; F2 (nearest to n31) to n31 and the
    # building fire; F3 to the building fire → 2, 2, 1 runs in a day → median 730 a year
    assert c["runs_per_station_per_year"]["median"] == pytest.approx(730.0)
    assert c["runs_per_station_per_year"]["max"] == pytest.approx(730.0)
    assert c["utilisation"]["fire_units"] == pytest.approx(
        units.loc[units["force"] == "fire", "busy_s"].sum() / (3 * DAY), abs=1e-4
    )
