"""The surge's hourly record (``surge.csv``) and its declare / stand-down checks, by hand on
the tiny city.

Night times as in tests/test_disaster_response.py: 119 call 60 s, every street 100 s; fire
turns out in 90 s and sets up 60 s, the professional team (P1 at n11) turns out in 300 s,
the social team (S1 at n42) in 900 s; neither sets up.
"""

from __future__ import annotations

from dataclasses import replace

from test_disaster_response import config, named
from tinycity import simulate_script, tiny_city

from twin.sim.engine import KINDS
from twin.sim.reinforcement import Reinforcement
from twin.sim.surge import SURGE_COLUMNS, SurgeRule


def _rows(sim, kind: str, inc: int) -> list[tuple]:
    return [e for e in sim.events if e[1] == KINDS.index(kind) and e[2] == inc]


def test_hourly_record_and_the_surge_declared_and_stood_down_by_hand():
    # Two engines at F1 (n00), one reinforcement engine staged at F1 arriving at 1800 s.
    # - rescue (technical_rescue, priority 1) at n11, alarm 100: P1 ordered 160, turns out
    #   300 s, is on its own node: on scene 460, works 5000 s → cleared 5460;
    # - collapse (building_collapse, priority 1, two engines) at n10, alarm 110: ordered 170,
    #   both engines turn out 90 s + one street 100 s → on scene 360, set-up 60 + 5000 s
    #   → cleared 5420;
    # - waterlogging (priority 2: no life risk) at n42, alarm 120: S1 ordered 180, turns out
    #   900 s → on scene 1080, works 9000 s → cleared 10080.
    # Checks every 1000 s (0, 1000, 2000, 3000, then 3600 — the hour — 4600, 5600, …): at
    # 1000 s two life-risk sites are open = the trigger of 2 → declared; at 5600 s none
    # (< 2 / 2) → stood down. Rows at every hour, the row before the check.
    city = tiny_city(units={"F1": 2, "F2": 0, "F3": 0})
    types = (
        named("technical_rescue", 5000.0, (("professional", 1),)),
        named("building_collapse", 5000.0, (("fire", 2),)),
        named("waterlogging", 9000.0, (("social", 1),)),
    )
    reinf = (Reinforcement("prov", "fire", 1, 1800.0, ("F1",)),)
    incs = [(100.0, "technical_rescue", "n11"), (110.0, "building_collapse", "n10")]
    incs.append((120.0, "waterlogging", "n42"))
    rule = SurgeRule(trigger_open=2, check_s=1000.0)
    sim = simulate_script(city, incs, config=config(*types, surge=rule, reinforcements=reinf))
    rescue, collapse, water = sim.incidents
    assert (rescue.cleared_s, collapse.cleared_s, water.cleared_s) == (5460.0, 5420.0, 10080.0)
    assert sim.surge_declared_s == [1000.0]
    assert SURGE_COLUMNS[2:7] == ["surge", "open", "open_life_risk", "sites_without_crew"] + [
        "committed"
    ]
    rows = [tuple(r) for r in sim.surge_rows]
    # hour, t, surge, open, life risk, without a crew, committed (all; fire, professional,
    # social), reinforcements arrived. Hour 0: nothing yet; the reinforcement engine is held
    # back (in the fleet, not free, not committed).
    assert rows[0] == (0, 0.0, False, 0, 0, 0, 0, 0, 0, 0, 0)
    # 3600 s: surge on; three open, two with life risk, all with a crew; two engines, P1
    # and S1 committed (the six community responders free: not committed); the
    # reinforcement arrived at 1800 s and is free
    assert rows[1] == (1, 3600.0, True, 3, 2, 0, 4, 2, 1, 1, 1)
    # 7200 s: stood down at 5600 s; the waterlogging alone is open, S1 at work
    assert rows[2] == (2, 7200.0, False, 1, 0, 0, 1, 0, 0, 1, 1)
    assert rows[3] == (3, 10800.0, False, 0, 0, 0, 0, 0, 0, 0, 1)
    # one row an hour through the run's end (24 h), the end included
    assert [r[0] for r in rows] == list(range(25))
    assert [r[1] for r in rows] == [3600.0 * h for h in range(25)]


def test_a_site_waiting_for_its_first_crew_is_counted_each_hour():
    # One engine (F1, n00); a collapse needing one engine at n10 (alarm 100, ordered 160,
    # on scene 350, set-up 60 + work 7200 → cleared 7610) and a second at n20 (alarm 200,
    # ordered 260): queued until the engine is free at 7610, then turnout 90 + n10 → n20
    # 100 s → on scene 7800. At 3600 and 7200 s the second site has no crew yet.
    city = tiny_city(units={"F2": 0, "F3": 0})
    bc = named("building_collapse", 7200.0, (("fire", 1),))
    incs = [(100.0, "building_collapse", "n10"), (200.0, "building_collapse", "n20")]
    sim = simulate_script(city, incs, config=config(bc, surge=SurgeRule(trigger_open=3)))
    a, b = sim.incidents
    assert (a.cleared_s, b.first[1]) == (7610.0, 7800.0)
    rows = [tuple(r) for r in sim.surge_rows]
    # hour, t, surge, open, life risk, without a crew, committed (all; fire, pro, social)
    assert rows[1][:10] == (1, 3600.0, False, 2, 2, 1, 1, 1, 0, 0)
    assert rows[2][:10] == (2, 7200.0, False, 2, 2, 1, 1, 1, 0, 0)
    assert rows[3][:10] == (3, 10800.0, False, 1, 1, 0, 1, 1, 0, 0)


def test_standing_down_sends_the_reinforcement_deferred_under_the_surge():
    # Two engines at F1 (n00), turning out as two crews (``crews_per_station=2``: the engine
    # left at home has a crew of its own); trigger 1, checks every 1000 s.
    # - rescue (priority 1) at n11, alarm 100: P1 ordered 160, on scene 460, works 1000 s →
    #   cleared 1460; open at the 1000 s check → the surge is declared then;
    # - outdoor fire (priority 2, two engines) at n10, alarm 1100, ordered 1160 under the
    #   surge: the first engine goes as the site's first crew (on scene 1160 + 90 + 100 =
    #   1350), the second request is deferred (queued at 1160, stage 1) though the other
    #   engine is free at home;
    # - at the 2000 s check no life-risk site is open (< 1 / 2): the surge stands down and
    #   the deferred request is sent at once — the second engine on scene 2000 + 190 = 2190.
    city = tiny_city(units={"F1": 2, "F2": 0, "F3": 0})
    types = (
        named("technical_rescue", 1000.0, (("professional", 1),)),
        named("outdoor_fire", 3000.0, (("fire", 2),)),
    )
    incs = [(100.0, "technical_rescue", "n11"), (1100.0, "outdoor_fire", "n10")]
    rule = SurgeRule(trigger_open=1, check_s=1000.0)
    sim = simulate_script(city, incs, config=config(*types, surge=rule, crews_per_station=2))
    rescue, fire = sim.incidents
    assert sim.surge_declared_s == [1000.0] and rescue.cleared_s == 1460.0
    assert [e[0] for e in _rows(sim, "queued", fire.id)] == [1160.0]
    assert [e[0] for e in _rows(sim, "dispatched", fire.id)] == [1160.0, 2000.0]
    assert [e[0] for e in _rows(sim, "on_scene", fire.id)] == [1350.0, 2190.0]
    assert [r[2] for r in sim.surge_rows[:2]] == [False, False]  # hours 0 and 1: not on


def test_a_surge_releases_no_crew_for_a_site_cleared_while_its_request_waits():
    # Two engines at F1 (n00), each its own crew; no other fire station. Trigger 1, checks
    # every 100 s, release after 600 s on a scene.
    # - collapse (two engines) at n10, alarm 0: ordered 60 before any surge, both engines
    #   turn out 90 s + one street 100 s → on scene 250, at work from then (set-up 60 s,
    #   work 20 000 s);
    # - rescue (technical_rescue: one professional team and one engine) at n11, alarm 10:
    #   ordered 70, still before the surge: its engine request waits at stage 0 (no engine
    #   free); P1 (on its own node) turns out 300 s → on scene 370, works 100 s → cleared
    #   470, its engine request still queued;
    # - the surge is declared at the 100 s check. From 850 s (250 + 600) each engine at the
    #   collapse may be released — to a site waiting for a first crew. None waits (the
    #   rescue is cleared): no engine is released, both work on.
    city = tiny_city(units={"F1": 2, "F2": 0, "F3": 0})
    types = (
        named("building_collapse", 20000.0, (("fire", 2),)),
        named("technical_rescue", 100.0, (("professional", 1), ("fire", 1))),
    )
    incs = [(0.0, "building_collapse", "n10"), (10.0, "technical_rescue", "n11")]
    rule = SurgeRule(trigger_open=1, check_s=100.0, release_after_s=600.0)
    cfg = replace(config(*types, surge=rule), crews="vehicle")
    sim = simulate_script(city, incs, config=cfg)
    collapse, rescue = sim.incidents
    assert sim.surge_declared_s == [100.0]
    assert [e[0] for e in _rows(sim, "on_scene", collapse.id)] == [250.0, 250.0]
    assert (rescue.cleared_s, [e[0] for e in _rows(sim, "queued", rescue.id)]) == (470.0, [70.0])
    assert _rows(sim, "released", collapse.id) == []
    assert collapse.cleared_s == 250.0 + 60.0 + 20000.0


def test_a_surge_releases_one_engine_per_waiting_site_at_the_first_check_allowed():
    # Three engines at F1 (n00), each its own crew; no other fire station. Trigger 1, checks
    # every 100 s, release after 650 s on a scene.
    # - collapse (three engines) at n10, alarm 0: ordered 60, turnout 90 s + one street
    #   100 s → all three on scene and at work from 250;
    # - two entrapments (one engine each) at n11 (alarm 10) and n20 (alarm 20): ordered 70
    #   and 80, no engine free: both wait at stage 0 (before the surge);
    # - the surge is declared at the 100 s check. 250 + 650 = 900 is a check: at work
    #   exactly 650 s, two engines may go (each leaves another on the collapse: 3 → 2 → 1)
    #   to the two sites without a crew — both released at 900, not one per check and not
    #   a check later.
    city = tiny_city(units={"F1": 3, "F2": 0, "F3": 0})
    types = (
        named("building_collapse", 20000.0, (("fire", 3),)),
        named("technical_rescue", 20000.0, (("fire", 1),)),
    )
    incs = [
        (0.0, "building_collapse", "n10"),
        (10.0, "technical_rescue", "n11"),
        (20.0, "technical_rescue", "n20"),
    ]
    rule = SurgeRule(trigger_open=1, check_s=100.0, release_after_s=650.0)
    cfg = replace(config(*types, surge=rule), crews="vehicle")
    sim = simulate_script(city, incs, config=cfg)
    collapse, a, b = sim.incidents
    assert sim.surge_declared_s == [100.0]
    assert [e[0] for e in _rows(sim, "on_scene", collapse.id)] == [250.0] * 3
    assert [e[0] for e in _rows(sim, "queued", a.id) + _rows(sim, "queued", b.id)] == [70.0, 80.0]
    assert [e[0] for e in _rows(sim, "released", collapse.id)] == [900.0, 900.0]
