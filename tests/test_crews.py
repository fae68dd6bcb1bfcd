"""Fire stations turn out as one or two crews; the crew is what is busy (twin.sim.turnouts).

Tiny city (``tests/tinycity.py``), deterministic mode (``TimeChain.deterministic()``): the
119 centre takes 60 s; fire turnout 90 s at night (all alarms here are at 01:00–02:00, so
every street is 100 s, no congestion); set-up on scene 60 s before the work; work times
exact (median = p90). Fire stations: F1 at n00 (D1), F2 at n50 (D2), F3 at n53 (D3).
Road times used below (night, 100 s per 1-km street, short bridge n21–n31 100 s):

- n00 → n10: 100 s; n00 → n00: 0 s;
- F2 (n50) → n10: n50–n40–n30 (200) + n30–n31 (100) + bridge n31–n21 (100) + n21–n20
  (100) + n20–n10 (100) = **600 s**;
- F2 (n50) → n20: the same without the last street = **500 s**;
- F3 (n53) → n10: n53–n52–n51–n41–n31 (400) + bridge (100) + n21–n11–n10 (200) = 700 s,
  so F2 is the nearest station after F1 for n10 and n20.

Crews by class (建标152-2017 bays = vehicles + 1): 3 vehicles = 4 bays = 二级 → 1 crew;
4 vehicles = 5 bays = 一级 → 2 crews; 1 vehicle = 小型 → 1 crew.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from tinycity import simulate_script, tiny_city

from twin.analysis.overrides import Override, apply_overrides
from twin.errors import TwinDataError
from twin.scenario.spec import parse_scenario
from twin.sim.columns import chain_columns
from twin.sim.engine import Engine, EngineConfig
from twin.sim.events import K
from twin.sim.incidents import CATALOGUE, IncidentType, LogNormal
from twin.sim.params import TimeChain, station_crews
from twin.sim.runner import scenario_config
from twin.sim.turnouts import Turnouts, crews_of, station_turnouts

ONE = IncidentType("one", "one", 0.0, (("fire", 1),), LogNormal(600.0, 600.0))
LONG = IncidentType("long", "long", 0.0, (("fire", 1),), LogNormal(3600.0, 3600.0))
TWO = IncidentType("two", "two", 0.0, (("fire", 2),), LogNormal(600.0, 600.0))


def config(crews: str = "station", per_station: int = 0, **kw: object) -> EngineConfig:
    return EngineConfig(
        catalogue={**CATALOGUE, "one": ONE, "long": LONG, "two": TWO},
        use_cache=False,
        chain=kw.pop("chain", TimeChain.deterministic()),  # type: ignore[arg-type]
        crews=crews,
        crews_per_station=per_station,
        **kw,  # type: ignore[arg-type]
    )


def first_fire(sim) -> list[float]:
    return chain_columns(sim.incidents)["first_fire_s"].tolist()


def sent(sim) -> list[str]:
    ids = sim.engine.fleet.unit_ids
    return [str(ids[e[3]]) for e in sim.events if e[1] == K["dispatched"]]


def test_crews_per_station_by_class_and_fixed():
    # 1 vehicle: 2 bays 小型 → 1; 3: 4 bays 二级 → 1; 4: 5 bays 一级 → 2; 7: 8 bays 特勤 → 2
    assert [station_crews(u) for u in (0, 1, 2, 3, 4, 6, 7, 10)] == [0, 1, 1, 1, 2, 2, 2, 2]
    assert crews_of(np.array([1, 3, 4]), 0).tolist() == [1, 1, 2]
    assert crews_of(np.array([1, 3, 4]), 2).tolist() == [1, 2, 2]  # never more than vehicles
    assert crews_of(np.array([0, 3]), 1).tolist() == [0, 1]


# ---- a station whose crews are out sends nothing -----------------------------------------


def test_one_crew_out_the_next_station_goes():
    # F1 has 3 vehicles but one crew (二级). A: long fire at n00, 01:00 (3600 s): ordered
    # 3660, F1's crew leaves at 3750 and is on scene at once (work until 3750+60+3600).
    # B: fire at n10 at 4000 s, ordered 4060: F1 has 2 vehicles in the bay but no crew, so
    # F2 goes: 4060 + 90 + 600 = 4750 s.
    city = tiny_city(units={"F1": 3})
    script = [(3600.0, "long", "n00"), (4000.0, "one", "n10")]
    sim = simulate_script(city, script, config=config())
    assert first_fire(sim) == pytest.approx([3750.0, 4750.0])
    assert sent(sim) == ["F1/1", "F2/1"]
    # the same with every vehicle its own crew: F1's second vehicle, 4060 + 90 + 100 = 4250
    veh = simulate_script(city, script, config=config("vehicle"))
    assert first_fire(veh) == pytest.approx([3750.0, 4250.0])
    assert sent(veh)[1].startswith("F1/")


def test_two_crews_the_second_crew_goes_then_the_next_station():
    # F1 with 4 vehicles is 一级: 2 crews. A as above takes crew 1; B (n10, 4000 s) gets crew 2:
    # 4060 + 90 + 100 = 4250 s. C at n20 at 4100 s, ordered 4160: both crews out, F2 goes:
    # 4160 + 90 + 500 = 4750 s.
    city = tiny_city(units={"F1": 4})
    script = [(3600.0, "long", "n00"), (4000.0, "one", "n10"), (4100.0, "one", "n20")]
    sim = simulate_script(city, script, config=config())
    assert first_fire(sim) == pytest.approx([3750.0, 4250.0, 4750.0])
    assert [u[:2] for u in sent(sim)] == ["F1", "F1", "F2"]
    # "crews_per_station = 2" on a 3-vehicle station gives it the second crew too
    sim2 = simulate_script(tiny_city(units={"F1": 3}), script[:2], config=config(per_station=2))
    assert first_fire(sim2) == pytest.approx([3750.0, 4250.0])


def test_one_turnout_sends_several_vehicles_with_one_crew():
    # A needs 2 vehicles: both picks in a row come from F1 (its crew's one turnout), both on
    # scene at 3660 + 90 = 3750 s. The crew is busy from the order (3660) until both are home:
    # cleared at 3750 + 60 + 600 = 4410, home at once (n00) → 4410 − 3660 = 750 crew-seconds.
    city = tiny_city(units={"F1": 3})
    sim = simulate_script(city, [(3600.0, "two", "n00")], config=config())
    assert sent(sim) == ["F1/1", "F1/2"]
    assert chain_columns(sim.incidents)["full_s"][0] == pytest.approx(3750.0)
    f1 = list(sim.engine.fleet.station_ids).index("F1")
    assert sim.turnouts[f1] == 1 and sim.station_crews[f1] == 1
    assert sim.crew_busy_s[f1] == pytest.approx(750.0)


# ---- the crew frees only when its last vehicle is home: an exact trace --------------------


def test_crew_frees_when_its_last_vehicle_is_home_exact_trace():
    # Only F1 (2 vehicles, 二级 by bays 3 → 1 crew) has vehicles.
    # A "two" at n00, 3600 s: ordered 3660; F1/1 and F1/2 leave at 3750 (one turnout), on scene
    #   3750; work 3750 + 60 + 600 → cleared 4410.
    # B "one" at n10, 4000 s: ordered 4060; F1's crew is out → queued.
    # 4410: F1/1 (sent first, so first to wait on A's clearing) takes B from the scene: turnout
    #   90 s → leaves 4500, 100 s → on scene 4600; F1/2 drives home (0 s) → available 4410,
    #   but the crew is still out with F1/1 (same turnout).
    # C "one" at n00, 4500 s: ordered 4560: a vehicle in the bay, no crew → queued.
    # B cleared 4600 + 60 + 600 = 5260: F1/1, on B's scene, takes queued C from there (it stays
    #   in its turnout): leaves 5260 + 90 = 5350, 100 s → on scene 5450; C cleared 5450 + 660 =
    #   6110, home at once (n00): the turnout's last vehicle, the crew frees at 6110.
    # One turnout all along: the crew was busy 6110 − 3660 = 2450 s.
    city = tiny_city(units={"F1": 2, "F2": 0, "F3": 0})
    script = [(3600.0, "two", "n00"), (4000.0, "one", "n10"), (4500.0, "one", "n00")]
    sim = simulate_script(city, script, config=config())
    assert first_fire(sim) == pytest.approx([3750.0, 4600.0, 5450.0])
    ids = sim.engine.fleet.unit_ids
    trace = [
        (round(e[0]), next(k for k, v in K.items() if v == e[1]), e[2], str(ids[e[3]]))
        for e in sim.events
        if e[3] >= 0 and str(ids[e[3]]).startswith("F1")
    ]
    assert trace == [
        (3660, "dispatched", 0, "F1/1"),
        (3750, "en_route", 0, "F1/1"),
        (3660, "dispatched", 0, "F1/2"),
        (3750, "en_route", 0, "F1/2"),
        (3750, "on_scene", 0, "F1/1"),
        (3750, "work_started", 0, "F1/1"),
        (3750, "on_scene", 0, "F1/2"),
        (4410, "dispatched", 1, "F1/1"),
        (4500, "en_route", 1, "F1/1"),
        (4410, "returning", 0, "F1/2"),
        (4410, "available", -1, "F1/2"),
        (4600, "on_scene", 1, "F1/1"),
        (4600, "work_started", 1, "F1/1"),
        (5260, "dispatched", 2, "F1/1"),
        (5350, "en_route", 2, "F1/1"),
        (5450, "on_scene", 2, "F1/1"),
        (5450, "work_started", 2, "F1/1"),
        (6110, "returning", 2, "F1/1"),
        (6110, "available", -1, "F1/1"),
    ]
    f1 = list(sim.engine.fleet.station_ids).index("F1")
    assert sim.turnouts[f1] == 1 and sim.crew_busy_s[f1] == pytest.approx(2450.0)
    # every vehicle its own crew: F1/2, free from 4410, takes C at its order: 4560 + 90
    veh = simulate_script(city, script, config=config("vehicle"))
    assert first_fire(veh) == pytest.approx([3750.0, 4600.0, 4650.0])


# ---- time away from readiness takes a crew ------------------------------------------------


def test_an_away_block_takes_the_crew_not_a_vehicle():
    # Only F1 (3 vehicles, one crew) has vehicles. Blocks of 2 h in the window 00–02 h start
    # at 00:00 whatever the draw. A fire at n00 at 01:00 (ordered 3660): the crew is away, so
    # none of the 3 vehicles can go; the crew is ready at 7200 and leaves at once: 7200 + 90.
    chain = replace(TimeChain.deterministic(), away_h_per_day=2.0, away_hours=(0, 2))
    city = tiny_city(units={"F1": 3, "F2": 0, "F3": 0})
    script = [(3600.0, "one", "n00")]
    sim = simulate_script(city, script, config=config(chain=chain))
    assert first_fire(sim) == pytest.approx([7290.0])
    away = [e for e in sim.events if e[1] == K["away"]]
    assert len(away) == 1 and away[0][0] == 0.0  # one block: one crew
    # two crews: two blocks, both at 00:00, both away: the same 7290 s
    two = simulate_script(city, script, config=config(per_station=2, chain=chain))
    assert first_fire(two) == pytest.approx([7290.0])
    assert sum(e[1] == K["away"] for e in two.events) == 2
    # each vehicle its own crew: three blocks, one per vehicle, the same wait
    veh = simulate_script(city, script, config=config("vehicle", chain=chain))
    assert sum(e[1] == K["away"] for e in veh.events) == 3
    assert first_fire(veh) == pytest.approx([7290.0])


def test_turnouts_bookkeeping():
    t = Turnouts(np.array([1, 2]), n_units=4, duration_s=100.0)
    t.dispatch(0, inc=7, unit=0, now=10.0)
    assert t.joinable(7, 10.0) == [0] and t.joinable(7, 11.0) == []
    assert t.can_send(0, 7, 10.0) and not t.can_send(0, 8, 10.0)
    t.dispatch(0, inc=7, unit=1, now=10.0)  # joins: still one crew out
    assert t.free.tolist() == [0, 2] and t.count.tolist() == [1, 0]
    with pytest.raises(RuntimeError):
        t.dispatch(0, inc=8, unit=2, now=10.0)
    assert not t.home(0, 50.0)  # one vehicle still out
    assert t.home(1, 120.0)  # the last: the crew frees; busy counted up to the run's end
    assert t.free.tolist() == [1, 2] and t.busy.tolist() == [90.0, 0.0]
    assert t.away(1) and t.away(1) and not t.away(1)


# ---- the crew model in a scenario ------------------------------------------------------------


def test_scenario_sets_the_crew_model_with_clear_errors():
    s = parse_scenario('name = "x"\n[dispatch]\ncrews = "vehicle"\n')
    cfg = scenario_config(EngineConfig(), s, False)
    assert cfg.crews == "vehicle" and cfg.crews_per_station == 0
    s2 = parse_scenario('name = "x"\n[dispatch]\ncrews_per_station = 2\n')
    assert scenario_config(EngineConfig(), s2, False).crews_per_station == 2
    assert scenario_config(EngineConfig(), parse_scenario('name = "x"\n'), False).crews == "station"
    for bad, word in (('crews = "team"', "crews"), ("crews_per_station = 3", "crews_per_station")):
        with pytest.raises(TwinDataError) as e:
            parse_scenario(f'name = "x"\n[dispatch]\n{bad}\n')
        assert word in str(e.value) and "<scenario>:3]" in str(e.value)
    with pytest.raises(ValueError, match="crew model"):
        simulate_script(tiny_city(), [], config=config("teams"))


def test_station_turnouts_by_model_and_reinforcements_one_crew_per_vehicle():
    # tiny city: F1 4 vehicles (一级: 2 crews), F2 and F3 1 each (小型: 1); a station that
    # arrives later (a reinforcement group, arrive_s > 0) has one crew per vehicle
    fleet = Engine(tiny_city(units={"F1": 4}), EngineConfig(use_cache=False)).fleet
    fire = fleet.of_force("fire")
    assert [fleet.station_ids[s] for s in fire] == ["F1", "F2", "F3"]
    arrive = np.zeros(len(fleet.station_ids))
    assert station_turnouts(EngineConfig(), fire, fleet, arrive, 10.0).total.tolist() == [2, 1, 1]
    arrive[fire[0]] = 3600.0
    assert station_turnouts(EngineConfig(), fire, fleet, arrive, 10.0).total.tolist() == [4, 1, 1]
    assert station_turnouts(EngineConfig(crews="vehicle"), fire, fleet, arrive, 10.0) is None


def test_the_sensitivity_parameter_reaches_the_engine():
    # bench/sensitivity.py's "crews per station (all 1 / all 2)" is the override path
    # crews_per_station; the scenario (which leaves it out) keeps the override
    scen = parse_scenario('name = "x"\n')
    for value in (1.0, 2.0):
        cfg, sc = apply_overrides(EngineConfig(), scen, [Override("crews_per_station", value)])
        assert scenario_config(cfg, sc, False).crews_per_station == value
    assert crews_of(np.array([2, 4]), 1.0).tolist() == [1, 1]  # type: ignore[arg-type]
