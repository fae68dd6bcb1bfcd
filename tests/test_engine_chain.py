"""The time chain, first assignments and walking on slopes, on the tiny city, by hand.

Deterministic mode (``TimeChain.deterministic()``): the 119 centre takes 60 s for every
call, road trips take exactly the network's time. Fire engines turn out in 90 s at night
(22:00–06:00) and 60 s by day and set up for 60 s; community responders leave their post
60 s after the order and walk at Tobler's speed. Streets are 100 s (night), 1 km apart.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from pydantic import ValidationError
from tinycity import simulate_script, tiny_city

from twin.scenario.spec import Scenario
from twin.sim.columns import chain_columns
from twin.sim.engine import EngineConfig
from twin.sim.forces import DEFAULT_FORCES, build_fleet
from twin.sim.incidents import CATALOGUE, IncidentType, LogNormal
from twin.sim.params import (
    FIRST_ASSIGNMENT,
    NATIONAL_VEHICLES_PER_CALL,
    TimeChain,
    station_class,
    tobler_m_s,
    vehicle_kinds,
    vehicles_per_call_national,
    walk_s,
)
from twin.sim.roster import Roster


def config(*types: IncidentType, chain: TimeChain | None = None) -> EngineConfig:
    forces = dict(DEFAULT_FORCES)
    forces["community"] = replace(forces["community"], availability=1.0, availability_night=1.0)
    return EngineConfig(
        catalogue={**CATALOGUE, **{t.name: t for t in types}},
        forces=forces,
        use_cache=False,
        chain=chain or TimeChain.deterministic(),
    )


def kind(name: str, needs: tuple, work_s: float = 600.0) -> IncidentType:
    return IncidentType(name, name, 0.0, needs, LogNormal(work_s, work_s))


def test_first_assignment_from_two_stations_and_the_time_chain_columns():
    # Three engines for a fire at n50, where F2 keeps two: F2 sends both (no driving), the
    # third comes from F3 (n53 → n50: three streets, 300 s). Night: ordered at 60 s, wheels
    # turn at 60 + 90 = 150 s.
    city = tiny_city(units={"F2": 2})
    sim = simulate_script(city, [(0.0, "big", "n50")], config=config(kind("big", (("fire", 3),))))
    col = {k: float(v[0]) for k, v in chain_columns(sim.incidents).items()}
    assert col["call_s"] == 60.0 and col["dispatch_s"] == 60.0
    assert col["turnout_s"] == 90.0 and col["travel_s"] == 0.0
    assert col["first_fire_s"] == pytest.approx(150.0)
    assert col["full_s"] == pytest.approx(150.0 + 300.0)  # the last engine, F3's
    sent = sorted(
        str(sim.engine.fleet.unit_ids[e[3]]).split("/")[0] for e in sim.events if e[1] == 1
    )
    assert sent == ["F2", "F2", "F3"]


def test_a_busy_crew_sends_the_next_station_and_full_assignment_waits():
    # F2 (one engine) is busy at n40 when the second call comes: F3 answers (300 s away)
    city = tiny_city()
    sim = simulate_script(
        city,
        [(0.0, "one", "n40"), (10.0, "one", "n50")],
        config=config(kind("one", (("fire", 1),), 3600.0)),
    )
    col = chain_columns(sim.incidents)
    # second call: alarm 10, order 70, rolls 160, n53 → n50 300 s
    assert col["first_fire_s"][1] == pytest.approx(10.0 + 60.0 + 90.0 + 300.0)
    assert col["travel_s"][1] == pytest.approx(300.0)
    # nobody can come: full assignment never on scene (NaN)
    none = simulate_script(
        tiny_city(units={"F1": 0, "F2": 0, "F3": 0}),
        [(0.0, "one", "n50")],
        config=config(kind("one", (("fire", 1),))),
    )
    assert math.isnan(chain_columns(none.incidents)["full_s"][0])


def test_turnout_is_longer_at_night_than_by_day():
    city = tiny_city()
    cfg = config(kind("one", (("fire", 1),)))
    night = simulate_script(city, [(2 * 3600.0, "one", "n50")], config=cfg)  # 02:00
    day = simulate_script(city, [(12 * 3600.0, "one", "n50")], config=cfg)  # 12:00
    # F2 sits at n50 (no driving): on scene at alarm + 60 s call + 90 s (night) / 60 s (day)
    assert night.incidents[0].first[1] == pytest.approx(2 * 3600.0 + 60.0 + 90.0)
    assert day.incidents[0].first[1] == pytest.approx(12 * 3600.0 + 60.0 + 60.0)


def test_call_handling_is_lognormal_and_travel_noise_has_median_one():
    chain = TimeChain()
    u = np.array([0.5, 0.9])
    assert chain.call_s(u) == pytest.approx([60.0, 120.0])  # median, p90
    # noisy run: same incident, many seeds: travel F1 n00 → n21 = 300 s × e^(σz)
    city = tiny_city(units={"F2": 0, "F3": 0})
    cfg = config(kind("one", (("fire", 1),)), chain=TimeChain())
    travel = [
        float(
            chain_columns(
                simulate_script(city, [(0.0, "one", "n21")], config=cfg, seed=s).incidents
            )["travel_s"][0]
        )
        for s in range(40)
    ]
    assert len(set(travel)) == 40  # every draw differs
    med = float(np.median(travel))
    assert 300.0 * math.exp(-0.2) < med < 300.0 * math.exp(0.2)  # ±0.2 ≈ 3 SE of a median
    assert np.std(np.log(travel)) == pytest.approx(0.25, abs=0.08)


def test_tobler_walk_uphill_is_slower_and_stairs_slower_still():
    # C2's post is at n41 (200 m). The call is at n40, 1 km south: path 1 km × 1.4 = 1400 m.
    def first_walk(z40: float) -> float:
        city = tiny_city()
        nodes = city.road_nodes
        nodes.loc[nodes["node_id"] == "n40", "elevation_m"] = z40
        sim = simulate_script(
            city, [(0.0, "help", "n40")], config=config(kind("help", (("community", 1),)))
        )
        return sim.incidents[0].first[0] - 60.0 - 60.0  # minus call and leaving the post

    # flat: 6·e^(−3.5·0.05) = 5.0368 km/h = 1.39911 m/s → 1400 / 1.39911 = 1000.6 s
    assert first_walk(200.0) == pytest.approx(1400.0 / 1.39911, rel=1e-4)
    # +100 m: grade 100/1400 = 0.0714; 6·e^(−3.5·0.1214) = 3.9228 km/h = 1.08967 m/s → 1284.8 s
    assert first_walk(300.0) == pytest.approx(1400.0 / 1.08967, rel=1e-4)
    # +300 m: grade 0.2143 > 0.15, stairs: 6·e^(−3.5·0.2643) = 2.3794 km/h = 0.66095 m/s,
    # × 0.8 = 0.52876 m/s → 2647.7 s
    assert first_walk(500.0) == pytest.approx(1400.0 / 0.52876, rel=1e-4)
    assert tobler_m_s(-0.05) == pytest.approx(6.0 / 3.6)  # fastest, just downhill
    assert walk_s(0.0, 10.0) == 0.0


def test_station_classes_and_kinds_from_vehicle_counts():
    # bays = vehicles + 1 spare (建标152-2017): 4 → 5 bays 一级, 3 → 二级, 2 → 二级, 1 → 小型
    assert [station_class(n) for n in (7, 4, 3, 2, 1)] == ["特勤", "一级", "二级", "二级", "小型"]
    assert vehicle_kinds(4) == ("water_tender", "water_tender", "rescue", "aerial")
    fleet = build_fleet(tiny_city(units={"F1": 4}), ("D1", "D2", "D3"))
    f1 = list(fleet.station_ids).index("F1")
    assert fleet.station_class[f1] == "一级"
    assert list(fleet.unit_kind[fleet.unit_station == f1]) == list(vehicle_kinds(4))


def test_vehicles_per_call_reweighted_to_the_national_mix():
    # by hand with two types: fires all 'building_fire' (4 vehicles), rescues all
    # 'technical_rescue' (1): (0.837·4 + 0.442·1 + (0.858 + 0.143 + 0.164)·1) / 2.444
    got = vehicles_per_call_national({"building_fire": 1.0, "technical_rescue": 1.0})
    assert got == pytest.approx((0.837 * 4 + 0.442 + 1.165) / 2.444)
    assert NATIONAL_VEHICLES_PER_CALL == pytest.approx(1.9227, abs=1e-4)
    assert FIRST_ASSIGNMENT["building_fire"][0] == 4


def test_availability_persists_in_time_and_follows_duty_hours():
    # share p by day 0.7, at night 0.35 (forces.DEFAULT_FORCES community), spell τ = 2 h
    spec = DEFAULT_FORCES["community"]
    assert spec.on_duty_share(10 * 3600.0) == 0.7 and spec.on_duty_share(2 * 3600.0) == 0.35
    rng = np.random.default_rng(7)
    n = 20_000
    roster = Roster(n, lambda t: 0.7, 7200.0, lambda: float(rng.random()))
    t0 = 10 * 3600.0
    a = np.array([roster.on(u, t0) for u in range(n)])
    b = np.array([roster.on(u, t0 + 60.0) for u in range(n)])
    c = np.array([roster.on(u, t0 + 60.0 + 20 * 7200.0) for u in range(n)])
    assert a.mean() == pytest.approx(0.7, abs=0.015)
    # a minute later: P(same) = p² + (1 − p)² + 2p(1 − p)·e^(−60/7200)
    #                          = 0.49 + 0.09 + 0.42 · 0.99170 = 0.99651
    assert (a == b).mean() == pytest.approx(0.99651, abs=0.003)
    # a fresh coin each time would agree only 0.58 of the time; after 40 h (> 5 τ) they do
    assert (b == c).mean() == pytest.approx(0.58, abs=0.015)
    # asked again at the same moment, the answer does not change
    assert all(roster.on(u, t0 + 60.0 + 20 * 7200.0) == c[u] for u in range(200))
    night = Roster(n, spec.on_duty_share, 7200.0, lambda: float(rng.random()))
    assert np.mean([night.on(u, 2 * 3600.0) for u in range(n)]) == pytest.approx(0.35, abs=0.015)


def test_scenario_chooses_the_dispatch_policy():
    assert Scenario().dispatch.policy == "nearest"
    assert Scenario(dispatch={"policy": "district_first"}).dispatch.policy == "district_first"
    with pytest.raises(ValidationError):
        Scenario(dispatch={"policy": "closest"})
