"""End to end on the embedded Chongqing twin: one simulated day through run_scenario."""

from __future__ import annotations

import numpy as np
import pytest

from twin.scenario.spec import Scenario

# No skip when the embedded twin is missing: it is package data (twin/data/chongqing), so a
# missing file is a broken install that must fail the suite. A day on the whole twin may
# take minutes on a loaded machine: 15 min before pytest-timeout cuts it.
pytestmark = pytest.mark.timeout(900)

INCIDENT_COLUMNS = [
    "incident_id",
    "type",
    "district_id",
    "cell_id",
    "node_id",
    "x",
    "y",
    "onset_s",
    "alarm_s",
    "detection_delay_s",
    "detected_by",
    "first_community_s",
    "first_ground_s",
    "first_air_s",
    "resp_community_s",
    "resp_ground_s",
    "resp_air_s",
    "met_10",
    "met_30",
    "met_60",
    "mutual_aid",
    "cleared_s",
]


@pytest.fixture(scope="module")
def day():
    from twin.model.city import load_city
    from twin.sim.runner import run_scenario

    city = load_city()
    return city, run_scenario(Scenario(name="e2e", days=1, seed=11), city)


def test_one_day_on_the_embedded_twin(day):
    city, res = day
    inc = res["incidents"]
    assert list(inc.columns[: len(INCIDENT_COLUMNS)]) == INCIDENT_COLUMNS
    pop = city.summary()["population"]
    assert 0.5 * 8.4e-5 * pop < len(inc) < 2 * 8.4e-5 * pop  # ~8.4 per 100 000 per day
    assert inc["x"].between(105, 108).all() and inc["y"].between(28, 31).all()
    assert (inc["alarm_s"] >= inc["onset_s"]).all()
    comp = res["compliance"]
    city_rows = comp[(comp["scope"] == "city") & (comp["from"] == "alarm")].set_index("target")
    assert {"10min", "30min"} <= set(city_rows.index)
    assert 0.3 < city_rows.loc["30min", "met_share"] <= 1.0
    assert comp["scope"].str.startswith("district:").any()
    assert len(res["routes"]) > 0  # ≤ 1 day: routes recorded by default
    cov = res["coverage"]
    assert len(cov) == len(city.road_nodes) and np.isfinite(cov["t_ground_s"]).mean() > 0.9
    units = res["units"]
    assert (units["utilisation"] >= 0).all() and (units["utilisation"] <= 1).all()
    assert res.summary["counts"]["incidents"] == len(inc)
