"""Vehicle kinds, time away from readiness, demand cycles and air requested from the scene,
on the tiny city, with the expected values worked out by hand.

Deterministic mode (``TimeChain.deterministic()``): the 119 centre takes 60 s, road trips
take exactly the network's time, no time away from readiness unless a test turns it on.
Fire engines turn out in 90 s at night (22–06 h), 60 s by day. Streets are 100 s at night,
1 km apart (``tests/tinycity.py``).
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date

import numpy as np
import pytest
from tinycity import simulate_script, tiny_city

from twin.errors import TwinDataError
from twin.scenario.spec import Scenario, parse_scenario
from twin.sim.columns import chain_columns
from twin.sim.engine import Engine, EngineConfig
from twin.sim.events import K
from twin.sim.forces import DEFAULT_FORCES
from twin.sim.incidents import CATALOGUE, IncidentType, LogNormal
from twin.sim.kinds import ANY, KIND_CODE, assignment_kinds, kind_mix, resolve
from twin.sim.params import FIRST_ASSIGNMENT, AirLimits, TimeChain, station_class
from twin.sim.readiness import schedule
from twin.sim.seasons import Calendar


def config(*types: IncidentType, chain: TimeChain | None = None, **kw: object) -> EngineConfig:
    return EngineConfig(
        catalogue={**CATALOGUE, **{t.name: t for t in types}},
        use_cache=False,
        chain=chain or TimeChain.deterministic(),
        **kw,  # type: ignore[arg-type]
    )


def sent_units(sim) -> list[str]:
    """Unit ids dispatched, in dispatch order."""
    return [str(sim.engine.fleet.unit_ids[e[3]]) for e in sim.events if e[1] == K["dispatched"]]


def arrival(sim, unit_id: str) -> float:
    ids = sim.engine.fleet.unit_ids
    return next(e[0] for e in sim.events if e[1] == K["on_scene"] and ids[e[3]] == unit_id)


# ---- vehicle kinds -------------------------------------------------------------------------


def test_kind_mix_per_station_class_is_the_stated_fill_order():
    # fill order: tender, tender, rescue, aerial, command, tender, aerial, rescue, ...
    assert kind_mix(1) == {"water_tender": 1, "rescue": 0, "aerial": 0, "command": 0}
    assert station_class(3) == "二级" and kind_mix(3)["rescue"] == 1  # 4 bays
    assert station_class(4) == "一级" and kind_mix(4)["aerial"] == 1  # 5 bays: first aerial
    assert station_class(7) == "特勤" and kind_mix(7) == {
        "water_tender": 3,
        "rescue": 1,
        "aerial": 2,
        "command": 1,
    }
    # the high-rise assignment needs an aerial unit; counts agree with FIRST_ASSIGNMENT
    hr = assignment_kinds("highrise_fire", FIRST_ASSIGNMENT["highrise_fire"][0])
    assert hr.count("aerial") == 1 and len(hr) == 6
    # a kind the fleet holds none of becomes "any" (no command vehicles here)
    total = np.array([5, 1, 1, 0])
    assert resolve(["aerial", "command", "any"], total) == [KIND_CODE["aerial"], ANY, ANY]


def test_aerial_unit_comes_from_the_second_station_when_the_first_has_none():
    # F2 (n50) holds 2 water tenders; F3 (n53, 3 streets = 300 s away at night) holds 4
    # vehicles: tender, tender, rescue, aerial (F3/4). F1 (n00) a tender, 700 s away
    # (n00 → n20 → n21 → short bridge → n31 → n41 → n51 → n50: 7 streets).
    # High-rise fire at n50 at 00:00: tenders ×3, aerial, rescue, and "any" for the command
    # vehicle the city lacks. Tenders: F2, F2, then F3 (300 s < 700 s); the aerial and the
    # rescue vehicle only F3 has; "any": F3's last tender (300 s) rather than F1's (700 s).
    city = tiny_city(units={"F2": 2, "F3": 4})
    sim = simulate_script(city, [(0.0, "highrise_fire", "n50")], config=config())
    fire = sorted(u for u in sent_units(sim) if u.startswith("F"))
    assert fire == ["F2/1", "F2/2", "F3/1", "F3/2", "F3/3", "F3/4"]
    # order at 60 s (call handling), wheels turn at 60 + 90 = 150 s, F3 drives 300 s
    assert arrival(sim, "F3/4") == pytest.approx(150.0 + 300.0)
    assert arrival(sim, "F2/1") == pytest.approx(150.0)
    assert chain_columns(sim.incidents)["full_s"][0] == pytest.approx(450.0)
    # the same station with an aerial unit of its own sends it: F2 = T, T, R, A
    near = simulate_script(
        tiny_city(units={"F2": 4, "F3": 4}), [(0.0, "highrise_fire", "n50")], config=config()
    )
    assert arrival(near, "F2/4") == pytest.approx(150.0)


def test_a_request_for_a_busy_kind_waits_for_that_kind():
    # F2 (n50) = T, T, R, A; F1 and F3 one tender each. A high-rise fire at n50 (00:00)
    # takes all six: F2's four, F3's tender (300 s) and F1's (700 s) for "any". A second
    # high-rise fire at n51 (10 s later) finds nothing free: its six requests wait, the
    # aerial one for the only aerial unit. The first fire: on scene 150 s, set-up 60 s,
    # cleared at 150 + 60 + 3600 = 3810 s; F2/4 (aerial) takes the waiting aerial request
    # (not a tender's), turns out again (90 s, night) and drives n50 → n51 (100 s): 4000 s.
    work = LogNormal(3600.0, 3600.0)
    hr = replace(CATALOGUE["highrise_fire"], work=work, needs=(("fire", 6),))
    city = tiny_city(units={"F2": 4})
    sim = simulate_script(
        city, [(0.0, "highrise_fire", "n50"), (10.0, "highrise_fire", "n51")], config=config(hr)
    )
    second = [e for e in sim.events if e[2] == 1]
    assert any(e[1] == K["queued"] for e in second)
    ids = sim.engine.fleet.unit_ids
    aerial_to_second = [e for e in second if e[1] == K["on_scene"] and ids[e[3]] == "F2/4"]
    assert aerial_to_second[0][0] == pytest.approx(3810.0 + 90.0 + 100.0)


# ---- time away from readiness ----------------------------------------------------------------


def test_a_crew_away_from_readiness_is_not_dispatched():
    # Only F2 (n50) has an engine. Its crew is away 00:00–02:00 (a 2-h block in a 2-h
    # window: no room, so the block starts at 00:00 whatever the draw). A fire at n50 at
    # 01:00: ordered at 3600 + 60 s, F2 is away, the request waits; F2 is ready at 7200 s
    # and leaves at once: night turnout 90 s, no driving → on scene at 7290 s. A second
    # fire at 03:00 finds F2 free: 10800 + 60 + 90 = 10950 s.
    chain = replace(TimeChain.deterministic(), away_h_per_day=2.0, away_hours=(0, 2))
    one = IncidentType("one", "one", 0.0, (("fire", 1),), LogNormal(600.0, 600.0))
    city = tiny_city(units={"F1": 0, "F3": 0})
    sim = simulate_script(
        city, [(3600.0, "one", "n50"), (10800.0, "one", "n50")], config=config(one, chain=chain)
    )
    first = chain_columns(sim.incidents)["first_fire_s"]
    assert first[0] == pytest.approx(7290.0)
    assert first[1] == pytest.approx(10950.0)
    # F2 has one vehicle, so one crew (小型站, twin.sim.turnouts): its block is the crew's;
    # the away/ready rows name the station's node (n50), not a vehicle
    n50 = int(city.roads.node_index(["n50"])[0])
    kinds = [
        e[1]
        for e in sim.events
        if (e[3] >= 0 and str(sim.engine.fleet.unit_ids[e[3]])[0] == "F")
        or (e[1] in (K["away"], K["ready"]) and e[4] == n50)
    ]
    assert kinds[:3] == [K["away"], K["ready"], K["dispatched"]]
    # without time away, the first fire is reached at 3600 + 60 + 90 = 3750 s
    det = simulate_script(city, [(3600.0, "one", "n50")], config=config(one))
    assert chain_columns(det.incidents)["first_fire_s"][0] == pytest.approx(3750.0)


def test_readiness_blocks_lie_in_their_window_one_a_day():
    chain = TimeChain()  # 2 h a day within 09–17 h
    s = schedule(np.random.default_rng(3), 50, 3 * 86400.0, chain)
    assert s.shape == (50, 3)
    day = np.arange(3) * 86400.0
    assert np.all(s >= day + 9 * 3600.0) and np.all(s + 2 * 3600.0 <= day + 17 * 3600.0)
    assert schedule(np.random.default_rng(3), 50, 86400.0, TimeChain.deterministic()).size == 0


# ---- demand cycles -------------------------------------------------------------------------------


def test_a_summer_day_has_the_hand_computed_rate_ratio():
    # summer share s: a summer day = s · 365/92, another day = (1 − s) · 365/273.
    # All calls (s = 0.28): 1.11087 and 0.96264, ratio 0.28·273 / (0.72·92) = 1.15399.
    # Rescues (s = 0.29): 0.29·365/92 = 1.15054.
    cal_summer, cal_autumn = Calendar(start=date(2025, 7, 1)), Calendar(start=date(2025, 10, 1))
    other = (("community", 1),)
    assert cal_summer.factors("x", other, 1)[0] == pytest.approx(1.110870, abs=1e-6)
    assert cal_autumn.factors("x", other, 1)[0] == pytest.approx(0.962637, abs=1e-6)
    rescue = (("fire", 1),)
    assert cal_summer.factors("y", rescue, 1)[0] == pytest.approx(1.150543, abs=1e-6)
    # August 31 → September 1: the step at the season's edge
    edge = Calendar(start=date(2025, 8, 31)).factors("x", other, 2)
    assert edge[0] / edge[1] == pytest.approx(76.44 / 66.24, abs=1e-9)
    # weekend factor 1.1: Saturday 5 July 2025 × 1.1, Monday 7 July × (7 − 2.2)/5 = 0.96
    wk = Calendar(start=date(2025, 7, 5), weekend_factor=1.1).factors("x", other, 3)
    assert wk / wk[0] * 1.1 == pytest.approx([1.1, 1.1, 0.96])
    assert np.all(Calendar().factors("x", other, 4) == 1.0)  # no date: an average day


def test_summer_week_draws_more_calls_by_that_ratio():
    # 60 days of a community-only type at 2,000 per 100k per day on the tiny city's
    # 600,000 people: 12,000 a day. June–July vs October–November (all days of one
    # season): expected ratio 1.15399; 720,000 calls per arm → relative s.e. ≈ 0.17 %.
    t = IncidentType("x", "x", 2000.0, (("community", 1),), LogNormal(60.0, 60.0))
    counts = []
    for start in (date(2025, 6, 1), date(2025, 10, 1)):
        eng = Engine(tiny_city(), config(t, calendar=Calendar(start=start)))
        eng.config.catalogue.clear()
        eng.config.catalogue["x"] = t
        arr = eng.draw(np.random.default_rng(1), 60 * 86400.0)
        counts.append(len(arr))
    assert counts[0] / counts[1] == pytest.approx(0.28 * 273 / (0.72 * 92), rel=0.01)


def test_start_date_is_a_scenario_key_with_clear_errors():
    sc = parse_scenario("start_date = 2025-07-01\ndays = 1\n")
    assert sc.start_date == date(2025, 7, 1)
    assert Scenario().start_date is None
    with pytest.raises(TwinDataError) as e:
        parse_scenario('start_date = "first of July"\n')
    assert "start_date" in str(e.value) and "2025-07-01" in str(e.value)  # how to fix


# ---- air rescue requested from the scene ---------------------------------------------------------


def air_config(**air: object) -> EngineConfig:
    scene = IncidentType(
        "cliff", "cliff", 0.0, (("fire", 1),), LogNormal(3600.0, 3600.0), air_scene_prob=1.0
    )
    forces = dict(DEFAULT_FORCES)
    forces["air"] = replace(forces["air"], turnout_max_s=None)  # launch exactly 600 s
    return config(scene, forces=forces, air=AirLimits(fog_days_per_year=0.0, **air))


def test_air_requested_from_the_scene_at_arrival_plus_delay():
    # Fire at n50 at 10:00 (36,000 s): ordered at +60 s, F2 (at n50) turns out in 60 s by
    # day → first crew on scene at 36,120 s; it asks for air 300 s later: 36,420 s. A1 at
    # n01 (0, 1 km) launches in 600 s and flies √(5² + 1²) km = 5,099.0 m at 60 m/s
    # (84.98 s) + 180 s approach → on scene at 36,420 + 600 + 84.98 + 180 = 37,284.98 s.
    sim = simulate_script(tiny_city(), [(36000.0, "cliff", "n50")], config=air_config())
    col = chain_columns(sim.incidents)
    assert col["air_request_s"][0] == pytest.approx(36420.0)
    flight = math.hypot(5000.0, 1000.0) / 60.0
    assert sim.incidents[0].first[4] == pytest.approx(36420.0 + 600.0 + flight + 180.0)
    assert sim.incidents[0].air
    # a longer size-up moves it by the difference
    slow = simulate_script(
        tiny_city(), [(36000.0, "cliff", "n50")], config=air_config(scene_request_s=900.0)
    )
    assert chain_columns(slow.incidents)["air_request_s"][0] == pytest.approx(37020.0)


def test_air_request_from_the_scene_in_the_dark_is_refused():
    # 20:00: the crew on scene at 72,000 + 60 + 60 (day turnout until 22 h) asks at
    # 72,420 s; helicopters do not fly 19–07 h: a grounded event, no helicopter.
    sim = simulate_script(tiny_city(), [(72000.0, "cliff", "n50")], config=air_config())
    assert any(e[1] == K["grounded"] and e[0] == pytest.approx(72420.0) for e in sim.events)
    assert math.isnan(sim.incidents[0].first[4])
