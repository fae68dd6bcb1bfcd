"""units.csv's crew columns (twin.analysis.metrics.unit_table), worked by hand on the tiny city.

Deterministic chain (``TimeChain.deterministic()``), a one-day run (86 400 s). F1 (n00) with
3 vehicles is a 二级 station: 4 bays, **1 crew** (建标152-2017; ``twin.sim.params``).
"""

from __future__ import annotations

import numpy as np
import pytest
from tinycity import simulate_script, tiny_city

from twin.analysis.metrics import unit_table
from twin.sim.engine import EngineConfig
from twin.sim.incidents import CATALOGUE, IncidentType, LogNormal
from twin.sim.params import TimeChain

TWO = IncidentType("two", "two", 0.0, (("fire", 2),), LogNormal(600.0, 600.0))
DAY_S = 86400.0


def config(crews: str) -> EngineConfig:
    return EngineConfig(
        catalogue={**CATALOGUE, "two": TWO},
        use_cache=False,
        chain=TimeChain.deterministic(),
        crews=crews,
    )


def test_a_one_crew_station_shows_its_crew_and_its_crew_utilisation():
    # "two" at n00 (F1's own node) at 01:00 needs 2 fire vehicles: both from F1 in one
    # turnout (1 crew). Ordered 3600 + 60 = 3660 s, on scene + 90 s turnout + 0 s road =
    # 3750 s, set-up 60 s, work 600 s: cleared 4410 s, home at once. The crew is out
    # 4410 − 3660 = 750 s: crew_utilisation = 750 / (1 crew × 86 400 s) = 0.0086805… → 0.00868.
    sim = simulate_script(
        tiny_city(units={"F1": 3}), [(3600.0, "two", "n00")], config=config("station")
    )
    units = unit_table(sim).set_index("station_id")
    assert units.loc["F1", "crews"] == 1 and units.loc["F1", "turnouts"] == 1
    assert units.loc["F1", "crew_busy_s"] == pytest.approx(750.0)
    assert units.loc["F1", "crew_utilisation"] == round(750.0 / DAY_S, 5) == 0.00868
    # F2 and F3 have their crews (by class) but never turned out: utilisation 0, not NaN
    for sid in ("F2", "F3"):
        assert units.loc[sid, "crews"] >= 1 and units.loc[sid, "turnouts"] == 0
        assert units.loc[sid, "crew_utilisation"] == 0.0
    # stations of other forces have no crews: 0 crews, utilisation 0 (not a division by 0)
    other = units[units["force"] != "fire"]
    assert len(other) and (other["crews"] == 0).all() and (other["crew_utilisation"] == 0.0).all()


def test_without_the_crew_model_every_crew_column_is_zero():
    # crews = "vehicle": every vehicle is its own crew and the engine keeps no crew counters
    # (SimResult.station_crews is None): units.csv still has the columns, all 0.
    sim = simulate_script(
        tiny_city(units={"F1": 3}), [(3600.0, "two", "n00")], config=config("vehicle")
    )
    assert sim.station_crews is None
    units = unit_table(sim)
    for col in ("crews", "turnouts", "crew_busy_s", "crew_utilisation"):
        assert (units[col] == 0).all(), col
    assert units["crews"].dtype == np.int64 and units["turnouts"].dtype == np.int64
    # the vehicles' own busy time is still counted: F1's two vehicles 3660 → 4410 s each
    f1 = units.set_index("station_id").loc["F1"]
    assert f1["busy_s"] == pytest.approx(2 * 750.0)
    assert f1["utilisation"] == round(1500.0 / (3 * DAY_S), 5)
