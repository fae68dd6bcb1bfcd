"""The measures respond to a known degradation by the amount worked out by hand.

On the tiny city (tests/tinycity.py: 1 km local streets, 100 s each at night, ×1.10
off-peak, ×1.30 in the morning peak 07:00–09:00) with the time chain in its deterministic
mode (``TimeChain.deterministic()``: call handling fixed at its median 60 s, no travel
noise): dispatch order = alarm + 60 s; fire turnout 90 s at night (22–06 h), 60 s by day;
the travel period is the one of the departure = dispatch + turnout. Runs differ only in
the degradation (same seed).
"""

from __future__ import annotations

import math
from dataclasses import replace

import pandas as pd
import pytest
from tinycity import simulate_script, tiny_city

from twin.analysis.compliance import compliance_table
from twin.analysis.metrics import incident_table
from twin.model.city import City
from twin.sim.engine import EngineConfig
from twin.sim.forces import DEFAULT_FORCES
from twin.sim.params import TimeChain

DET = EngineConfig(use_cache=False, chain=TimeChain.deterministic())


def measures(city: City, script: list, config: EngineConfig | None = None) -> pd.DataFrame:
    inc = incident_table(simulate_script(city, script, config=config or DET, seed=7))
    return compliance_table(inc).set_index(["target", "from", "scope"])


def slow_street(city: City, edge_id: str, speed_kph: float) -> City:
    edges = city.road_edges.copy()
    edges.loc[edges["edge_id"] == edge_id, "speed_kph"] = speed_kph
    return replace(city, road_edges=edges)


def test_slower_road_fails_5min_by_the_extra_road_time():
    # An outdoor fire (one fire vehicle) at n20 at 00:00: dispatch at 60 s; F1 (n00) turns
    # out 90 s (night) and drives n00 → n10 → n20, 2 × 100 s: on scene at 350 s.
    # 5min (from the dispatch order): 290 s, met; 8min (from the alarm): 350 s, met.
    script = [(0.0, "outdoor_fire", "n20")]
    base = measures(tiny_city(), script)
    assert base.loc[("5min", "dispatch", "city"), "mean_s"] == pytest.approx(290.0)
    assert base.loc[("5min", "dispatch", "city"), "met_share"] == 1.0
    assert base.loc[("8min", "alarm", "city"), "mean_s"] == pytest.approx(350.0)
    # Street n10–n20 at 18 km/h (5 m/s): 1 km takes 200 s; the detour n00 → n01 → n11 →
    # n21 → n20 is 400 s, so the route stays: +100 s → 5min 390 s (a miss), 8min 450 s (met)
    slow = measures(slow_street(tiny_city(), "n10-n20", 18.0), script)
    assert slow.loc[("5min", "dispatch", "city"), "mean_s"] == pytest.approx(390.0)
    assert slow.loc[("5min", "dispatch", "city"), "met_share"] == 0.0
    for target in ("8min", "30min", "full"):
        assert slow.loc[(target, "alarm", "city"), "mean_s"] == pytest.approx(450.0)
    assert slow.loc[("8min", "alarm", "city"), "met_share"] == 1.0


def test_busy_station_fails_5min_and_8min_by_hand():
    # Two outdoor fires at n20, alarms at 0 s and 60 s. The first takes F1: 350 s (above).
    # The second's dispatch order is at 120 s; F1 is busy, so the nearest free vehicle goes:
    # F2 (n50) → n40 → n30 → n31 → Short Bridge → n21 → n20 = 5 × 100 s (F3 at n53 needs
    # 6): 120 + 90 + 500 = 710 s → 650 s from the alarm (8min miss), 590 s from the order
    # (5min miss).
    script = [(0.0, "outdoor_fire", "n20"), (60.0, "outdoor_fire", "n20")]
    c = measures(tiny_city(), script)
    r = c.loc[("8min", "alarm", "city")]
    assert r["count"] == 2 and r["met_share"] == pytest.approx(0.5)
    assert r["mean_s"] == pytest.approx((350 + 650) / 2)
    assert r["p90_s"] == pytest.approx(350 + 0.9 * 300)  # linear between 350 and 650
    f = c.loc[("5min", "dispatch", "city")]
    assert f["met_share"] == pytest.approx(0.5) and f["mean_s"] == pytest.approx(440.0)
    # the 30-min target does not see it (650 s ≤ 1800 s): the new measures discriminate
    assert c.loc[("30min", "alarm", "city"), "met_share"] == 1.0
    # per cell: n20 is in D1-r0 (rows 0–1); two incidents are below the cell minimum
    assert pd.isna(c.loc[("8min", "alarm", "cell:D1-r0"), "met_share"])


def test_period_boundary_decides_8min():
    # Alarm a at hour 6 (day: turnout 60 s): dispatch a + 60, departure a + 120. For
    # a = 25079 s the departure is 25199 s (06:59:59, off-peak, local ×1.10): F1 → n21 is
    # 3 streets = 330 s → on scene a + 450 (8min met). One second later the departure is
    # 07:00:00 (peak, ×1.30): 390 s → a + 510, a miss.
    before = measures(tiny_city(), [(25079.0, "outdoor_fire", "n21")])
    after = measures(tiny_city(), [(25080.0, "outdoor_fire", "n21")])
    assert before.loc[("8min", "alarm", "city"), "mean_s"] == pytest.approx(450.0)
    assert before.loc[("8min", "alarm", "city"), "met_share"] == 1.0
    assert after.loc[("8min", "alarm", "city"), "mean_s"] == pytest.approx(510.0)
    assert after.loc[("8min", "alarm", "city"), "met_share"] == 0.0


def test_busy_community_post_fails_10min_by_hand():
    # Every responder on duty, day and night (duty shares 1), so the trace is deterministic.
    # Three community calls at n10, where post C1 (2 responders) stands: dispatch at 60 s, 60 s to
    # leave the post, no walk → 120 s, twice. The third gets the nearest other post, C2 at
    # n41 (4000, 1000) from n10 (1000, 0): √(3000² + 1000²) = 3162.28 m × circuity 1.4 =
    # 4427.19 m at Tobler's flat speed 6·e^(−0.175) km/h = 1.399095 m/s → 3164.33 s,
    # + 120 s = 3284.33 s > 600 s: a miss.
    forces = dict(DEFAULT_FORCES)
    forces["community"] = replace(
        forces["community"], availability=1.0, availability_night=1.0
    )  # every responder on duty
    cfg = replace(DET, forces=forces)
    script = [
        (0.0, "community_assist", "n10"),
        (1.0, "community_assist", "n10"),
        (2.0, "community_assist", "n10"),
    ]
    r = measures(tiny_city(), script, cfg).loc[("10min", "alarm", "city")]
    walk = 1000 * (3**2 + 1) ** 0.5 * 1.4 / (6 * math.exp(-3.5 * 0.05) / 3.6)
    assert r["count"] == 3 and r["met_share"] == pytest.approx(2 / 3)
    assert r["mean_s"] == pytest.approx((120 + 120 + 120 + walk) / 3)
    # from onset = from alarm here (scripted incidents are called at onset)
    o = measures(tiny_city(), script, cfg).loc[("10min", "onset", "city")]
    assert o["met_share"] == pytest.approx(2 / 3)
