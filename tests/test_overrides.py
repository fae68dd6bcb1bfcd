"""Parameter overrides: set and scale by path, wildcards, pure copies, clear errors."""

from __future__ import annotations

import pytest

from twin.analysis.overrides import Override, apply_overrides, get_value
from twin.errors import TwinDataError
from twin.scenario.spec import Scenario
from twin.sim.engine import EngineConfig


def test_set_scale_and_wildcard_leave_the_originals_alone():
    cfg, sc = EngineConfig(), Scenario(name="t")
    c2, s2 = apply_overrides(
        cfg,
        sc,
        [
            Override.parse("forces.fire.turnout_s=90"),
            Override.parse("catalogue.*.work.median_s*=2"),
            Override.parse("scenario.incidents.rate_multiplier=3"),
        ],
    )
    assert c2.forces["fire"].turnout_s == 90 and cfg.forces["fire"].turnout_s == 60
    for name, t in cfg.catalogue.items():
        assert c2.catalogue[name].work.median_s == 2 * t.work.median_s
        assert c2.catalogue[name].work.p90_s == t.work.p90_s
    assert s2.incidents.rate_multiplier == 3 and sc.incidents.rate_multiplier == 1
    assert get_value(c2, s2, "forces.fire.turnout_s") == 90
    assert str(Override.parse("a.b*=1.5")) == "a.b*=1.5"


@pytest.mark.parametrize(
    "text",
    [
        "forces.fire.turnot_s=1",
        "forces.fire.name=3",
        "scenario.nothing=1",
        "forces.fire.turnout_s=fast",
    ],
)
def test_bad_paths_are_one_clear_error(text):
    with pytest.raises(TwinDataError) as e:
        apply_overrides(EngineConfig(), Scenario(name="t"), [Override.parse(text)])
    assert "override" in str(e.value)
