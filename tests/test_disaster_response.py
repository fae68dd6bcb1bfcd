"""Disasters as they unfold (issue 12, response part): priorities, surge dispatch,
reinforcement, water depth and the rescue measures — on the tiny city, by hand.

Times at night on the tiny city (``tests/tinycity.py``): every street is 100 s, the 119 call
takes 60 s (deterministic chain), a fire engine turns out in 90 s at night and sets up for
60 s before the work; a unit going from one scene to the next turns out again (90 s).
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tinycity import simulate_script, tiny_city

from twin.analysis.compliance import target_rows
from twin.analysis.disaster import rescue_table
from twin.analysis.targets import target
from twin.errors import TwinDataError
from twin.hazards.flood_depth import access_points, node_depths
from twin.hazards.timeline import ScheduledIncident, Timeline
from twin.scenario.checks import check_against
from twin.scenario.spec import load_scenario, parse_scenario
from twin.sim.access import last_leg
from twin.sim.engine import KINDS, Engine, EngineConfig
from twin.sim.forces import DEFAULT_FORCES
from twin.sim.incidents import CATALOGUE, IncidentType, LogNormal
from twin.sim.params import TimeChain
from twin.sim.reinforcement import Reinforcement, reinforcements_of
from twin.sim.surge import SurgeRule

FIRE = 1  # force code of the fire service
SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


def named(name: str, work_s: float, needs=(("fire", 1),)) -> IncidentType:
    """A type named like a catalogue type (so it has that type's priority), constant work."""
    return IncidentType(name, name, 0.0, tuple(needs), LogNormal(work_s, work_s))


def config(*types: IncidentType, **kw) -> EngineConfig:
    cat = dict(CATALOGUE)
    cat.update({t.name: t for t in types})
    return EngineConfig(
        catalogue=cat,
        forces=dict(DEFAULT_FORCES),
        use_cache=False,
        chain=TimeChain.deterministic(),
        **kw,
    )


def rows(sim, kind: str) -> list[tuple]:
    k = KINDS.index(kind)
    return [e for e in sim.events if e[1] == k]


def test_a_later_life_risk_call_is_served_before_an_older_service_call():
    city = tiny_city(units={"F2": 0, "F3": 0})  # one fire engine, F1 at n00
    sim = simulate_script(
        city,
        [
            (0.0, "waterlogging", "n10"),
            (10.0, "waterlogging", "n20"),
            (20.0, "building_collapse", "n21"),
        ],
        config=config(named("waterlogging", 600.0), named("building_collapse", 600.0)),
    )
    a, b, c = sim.incidents
    # a: ordered 60, rolls 150, one street: on scene 250; set-up 60 + work 600: cleared 910
    assert a.cleared_s == pytest.approx(910.0)
    # the collapse (priority 1) queued after the waterlogging call b (priority 2) goes first:
    # n10 → n21 is two streets: 910 + 90 + 200 = 1200; cleared 1200 + 660 = 1860
    assert c.first[FIRE] == pytest.approx(1200.0)
    # then b: n21 → n20 one street: 1860 + 90 + 100 = 2050 (first-come-first-served: 1100)
    assert b.first[FIRE] == pytest.approx(2050.0)


def test_water_depth_stops_one_vehicle_kind_and_not_another():
    # 0.45 m over the last 90 m: a water tender (limit 0.6 m) drives on at 2 m/s: 45 s;
    # a command car (0.3 m) cannot, its crew wades (≤ 0.5 m) at 0.5 m/s: 180 s
    assert last_leg(0.45, 90.0, "fire", "water_tender", "road") == (45.0, "drive")
    assert last_leg(0.45, 90.0, "fire", "command", "road") == (180.0, "foot")
    # 0.7 m: too deep for every vehicle and for wading; boats: 600 s launch + 90 / 2 = 645 s
    assert last_leg(0.7, 90.0, "fire", "water_tender", "road") == (0.0, "edge")
    assert last_leg(0.7, 90.0, "fire", "rescue", "road") == (645.0, "boat")
    assert last_leg(0.7, 90.0, "social", "", "road") == (645.0, "boat")
    assert last_leg(0.7, 90.0, "air", "", "air") == (0.0, "air")


def test_flood_depth_and_access_node_by_hand():
    city = tiny_city()
    net = city.roads
    n10 = int(net.node_index(["n10"])[0])
    low = np.zeros(len(city.road_nodes), bool)
    low[n10] = True
    # flat city: the lowest waterlogged node, lowness 1; storm at 1.5× capacity: r = 0.5;
    # depth = 0.6 m × 0.5 × (0.5 + 0.5) = 0.30 m
    depth = node_depths(city, low, 0.5)
    assert depth[n10] == pytest.approx(0.30) and depth.sum() == pytest.approx(0.30)
    depth[n10] = 0.45  # deeper than cars ford: its streets close
    closed = (net.edge_u == n10) | (net.edge_v == n10)
    access, dist = access_points(city, depth, closed, np.array([n10]))
    # nearest passable node: a neighbour 1 km away; way = 1000 m × 1.2 circuity
    neighbours = set(net.node_index(["n00", "n20", "n11"]).tolist())
    assert int(access[0]) in neighbours and dist[0] == pytest.approx(1200.0)


def test_flood_call_is_reached_by_a_crew_that_can_wade_or_boat():
    city = tiny_city(units={"F2": 0, "F3": 0})  # F1 (one water tender) at n00, S1 at n42
    n10 = int(city.roads.node_index(["n10"])[0])
    cfg = config(named("water_rescue", 600.0, (("fire", 1), ("social", 1))))

    def run(depth: float):
        tl = Timeline(
            incidents=(
                ScheduledIncident(
                    0.0, "water_rescue", n10, "t", alarm_delay_s=0.0, depth_m=depth, access_m=100.0
                ),
            )
        )
        eng = Engine(city, cfg)
        rng = np.random.default_rng(0)
        sim = eng.run(eng.draw(rng, 86400.0, tl, random=False), rng, 86400.0, tl)
        return sim.incidents[0], sim

    # F1 parks at n10 at 250 s and drives the last 100 m at 2 m/s: on scene, reached, 300 s
    shallow, _ = run(0.45)
    assert shallow.first[FIRE] == pytest.approx(300.0)
    assert shallow.reached_s == pytest.approx(300.0) and shallow.reached_by == "drive"
    # 0.7 m: the water tender stops at the edge (on scene 250 s, has not reached the place);
    # social team S1 leaves n42, drives five streets (500 s) to n10 and launches its boat:
    # 600 s + 100 m / 2 m/s = 650 s more
    deep, sim = run(0.7)
    assert deep.first[FIRE] == pytest.approx(250.0) and deep.reached_by == "boat"
    s1 = list(sim.engine.fleet.unit_ids).index("S1/1")
    left = [e[0] for e in rows(sim, "en_route") if e[3] == s1][0]
    assert deep.reached_s == pytest.approx(left + 500.0 + 650.0) == deep.first[3]


def test_reinforcement_arrives_at_its_time_and_is_dispatched():
    city = tiny_city(units={"F2": 0, "F3": 0})  # one fire engine of the city's own
    reinf = (Reinforcement("prov", "fire", 1, 300.0, ("F1",)),)
    sim = simulate_script(
        city,
        [(0.0, "drill", "n10"), (10.0, "drill", "n20")],
        config=config(named("drill", 3600.0), reinforcements=reinf),
    )
    a, b = sim.incidents
    arrived = rows(sim, "reinforced")
    unit_ids = list(sim.engine.fleet.unit_ids)
    assert [(e[0], unit_ids[e[3]]) for e in arrived] == [(300.0, "reinf:prov@F1/1")]
    # the row in full: no incident, no node, no districts (−1: empty in events.parquet)
    assert [(e[2], e[4], e[5], e[6]) for e in arrived] == [(-1, -1, -1, -1)]
    # b's request (ordered at 70) waits for the reinforcement: it arrives at F1 (n00) at
    # 300 s, turns out 90 s, drives n00 → n20 (two streets): on scene 590 s
    assert b.first[FIRE] == pytest.approx(590.0)
    sent = [e for e in rows(sim, "dispatched") if e[2] == b.id]
    assert [unit_ids[e[3]] for e in sent] == ["reinf:prov@F1/1"]


def test_surge_sends_one_crew_per_site_first():
    city = tiny_city(units={"F1": 2, "F2": 0, "F3": 0})  # two engines at n00
    bc = named("building_collapse", 3600.0, (("fire", 2),))
    tr = named("technical_rescue", 86400.0, (("professional", 1),))
    # an entrapment at 0 s (ordered at 60 s) is open at the check at 100 s: with a trigger
    # of one open life-risk site the surge is declared then, before the two collapses
    # (alarms 200 and 201 s, orders 260 and 261 s); the next check (200 s) finds no free
    # engine for the deferred second engines
    incs = [(0.0, "technical_rescue", "n11"), (200.0, "building_collapse", "n10")]
    incs.append((201.0, "building_collapse", "n20"))
    # every engine its own crew (crews = "vehicle"): the rule sends single vehicles; with
    # F1's one crew (2 vehicles: 二级) the second engine could not leave on its own
    # (station crews: tests/test_crews.py)
    rule = SurgeRule(trigger_open=1, check_s=100.0)
    cfg = replace(config(bc, tr, surge=rule), crews="vehicle")
    sim = simulate_script(city, incs, config=cfg)
    _, a, b = sim.incidents
    assert sim.surge_declared_s == [100.0]
    assert a.first[FIRE] == pytest.approx(260.0 + 90.0 + 100.0)
    assert b.first[FIRE] == pytest.approx(261.0 + 90.0 + 200.0)  # the second engine: one each
    # everyday dispatch: both engines go to the first site, the second waits until it clears
    calm = simulate_script(city, incs, config=replace(cfg, surge=replace(rule, enabled=False)))
    _, a2, b2 = calm.incidents
    assert b2.first[FIRE] > a2.cleared_s


def test_rescue_shares_and_days_by_hand():
    h = 3600.0
    inc = pd.DataFrame(
        {
            "type": [
                "building_collapse",
                "technical_rescue",
                "building_collapse",
                "technical_rescue",
                "building_fire",
            ],
            "onset_s": [0.0, 0.0, 0.0, 0.0, 0.0],
            "first_ground_s": [3 * h, 10 * h, 30 * h, math.nan, 1 * h],
        }
    )
    # four sites with trapped people (the fire does not count): reached at 3 h, 10 h,
    # 30 h, never → 6 h: 1/4; 24 h: 2/4; 72 h: 3/4
    for name, share in (("rescue_6h", 0.25), ("rescue_24h", 0.5), ("rescue_72h", 0.75)):
        city_row = target_rows(inc, target(name), CATALOGUE)[0]
        assert city_row[:5] == (name, "onset", "city", 4, share)
    days = rescue_table(inc, 3 * 86400.0)
    assert days["sites"].tolist() == [4, 0, 0] and days["reached"].tolist() == [2, 1, 0]
    assert days["share_cum"].tolist() == [0.5, 0.75, 0.75]


def test_reinforcement_keys_are_checked_with_file_and_line():
    text = 'name = "x"\n[[reinforcement]]\nname = "prov"\nforce = "fire"\nunits = 0\narrive_h = 6\n'
    with pytest.raises(TwinDataError) as e:
        parse_scenario(text, "s.toml")
    assert "[s.toml:5] bad value for 'reinforcement.0.units' = 0" in str(e.value)
    bad = text.replace("units = 0", 'units = 4\nstaging = ["P1"]')
    with pytest.raises(TwinDataError) as e:
        check_against(parse_scenario(bad, "s.toml"), tiny_city())
    assert "stages at station 'P1' of force professional" in str(e.value)


def test_shipped_disaster_scenarios_state_their_reinforcement():
    quake = reinforcements_of(load_scenario(SCENARIOS / "earthquake.toml"))
    # the quake strikes at 03:00: municipal fire +4 h, provincial +10 h, social +12 h,
    # national USAR +24 h (hours from the start of the run, in seconds inside)
    assert [(r.name, r.force, r.units, r.arrive_s / 3600) for r in quake] == [
        ("municipal", "fire", 60, 7.0),
        ("social", "social", 20, 15.0),
        ("provincial", "fire", 100, 13.0),
        ("national_usar", "professional", 6, 27.0),
    ]
    rain = reinforcements_of(load_scenario(SCENARIOS / "rainstorm.toml"))
    assert {(r.force, r.units, r.arrive_s / 3600) for r in rain} == {
        ("social", 10, 19.0),
        ("fire", 20, 19.0),
    }
