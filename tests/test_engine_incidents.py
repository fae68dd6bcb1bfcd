"""Incident generation on the tiny city: rates, daily cycle, placement weights, detection."""

from __future__ import annotations

import numpy as np
import pytest
from tinycity import tiny_city

from twin.errors import TwinDataError
from twin.sim.engine import Engine, EngineConfig
from twin.sim.incidents import (
    CATALOGUE,
    PROFILE_DEFAULT,
    Detection,
    LogNormal,
    alarm_delays,
    random_incidents,
    risk_factor,
)

CITY = tiny_city()
ENGINE = Engine(CITY, EngineConfig(use_cache=False))
PL = ENGINE.placement
TYPES = list(CATALOGUE.values())


def node(n: str) -> int:
    return int(CITY.roads.node_index([n])[0])


def only(name: str) -> dict[str, float]:
    """Type multipliers switching every other type off."""
    return {t: (1.0 if t == name else 0.0) for t in CATALOGUE}


def test_lognormal_median_and_p90():
    d = LogNormal(600.0, 1500.0)
    assert d.quantile(np.array([0.5, 0.9])) == pytest.approx([600.0, 1500.0])
    assert LogNormal(60.0, 60.0).quantile(np.array([0.01, 0.99])) == pytest.approx([60.0, 60.0])


def test_poisson_count_daily_cycle_and_population_placement():
    days = 200
    onset, kind, nodes = random_incidents(
        CATALOGUE,
        PL,
        np.random.default_rng(1),
        days * 86400.0,
        type_multipliers=only("community_assist"),
    )
    expected = CATALOGUE["community_assist"].rate / 1e5 * 600_000 * days
    assert abs(len(onset) - expected) < 4 * np.sqrt(expected)
    hours = np.bincount((onset // 3600 % 24).astype(int), minlength=24) / len(onset)
    assert hours == pytest.approx(np.array(PROFILE_DEFAULT) / 24, abs=0.006)
    share = np.bincount(PL.node_district[nodes], minlength=3) / len(nodes)
    d = ENGINE.districts
    assert share[[d.index("D1"), d.index("D2"), d.index("D3")]] == pytest.approx(
        [0.5, 1 / 3, 1 / 6], abs=0.02
    )


def test_gas_risk_follows_pipe_age_and_sensors_follow_monitored_pipes():
    f = risk_factor(PL, "pipe_age:gas")
    assert f[node("n00")] == pytest.approx(0.5 + (2025 - 1980) / 20)  # old G1
    assert f[node("n20")] == pytest.approx(0.5 + (2025 - 2015) / 20)  # new G2
    assert f[node("n01")] == pytest.approx(0.5)  # no gas main near
    assert PL.monitored["gas"][node("n20")] and not PL.monitored["gas"][node("n00")]
    assert PL.monitored["water"][node("n40")] and not PL.monitored["water"][node("n00")]


def test_detection_sensor_fast_calls_slower_at_night():
    det = Detection()
    leak = TYPES.index(CATALOGUE["gas_leak"])
    burst = TYPES.index(CATALOGUE["water_main_burst"])
    n = 4000
    rng = np.random.default_rng(3)
    noon, random_ = np.full(n, 12 * 3600.0), np.zeros(n, bool)
    nodes = np.full(n, node("n20"))  # under the monitored gas pipe
    delay, by = alarm_delays(
        det,
        PL,
        TYPES,
        np.full(n, leak),
        nodes,
        noon,
        np.zeros(n, bool),
        random_,
        random_,
        rng.random(n),
        rng.random(n),
    )
    assert (by == 0).all() and delay.min() >= 60 and delay.max() <= 180
    nodes = np.full(n, node("n00"))  # no water sensor here: citizens call
    day, by = alarm_delays(
        det,
        PL,
        TYPES,
        np.full(n, burst),
        nodes,
        noon,
        np.zeros(n, bool),
        random_,
        random_,
        rng.random(n),
        rng.random(n),
    )
    night, _ = alarm_delays(
        det,
        PL,
        TYPES,
        np.full(n, burst),
        nodes,
        np.full(n, 3 * 3600.0),
        np.zeros(n, bool),
        random_,
        random_,
        rng.random(n),
        rng.random(n),
    )
    assert (by == 1).all()
    assert np.median(day) == pytest.approx(360.0, rel=0.06)
    assert np.median(night) == pytest.approx(360.0 * det.night_factor, rel=0.06)


def test_buried_gas_leaks_are_reported_late_everyday_leaks_not():
    """A leak on a buried main (on_pipe) is called in after a median 20 min; an everyday
    (indoor, service-line) leak like any incident, median 6 min."""
    det = Detection()
    leak = TYPES.index(CATALOGUE["gas_leak"])
    n = 4000
    rng = np.random.default_rng(4)
    noon, no = np.full(n, 12 * 3600.0), np.zeros(n, bool)
    u, v = rng.random(n), rng.random(n)
    buried, by = alarm_delays(
        det, PL, TYPES, np.full(n, leak), np.full(n, node("n00")), noon, no, ~no, ~no, u, v
    )
    everyday, _ = alarm_delays(
        det, PL, TYPES, np.full(n, leak), np.full(n, node("n00")), noon, no, no, no, u, v
    )
    assert (by == 1).all()
    assert np.median(buried) == pytest.approx(1200.0, rel=0.06)
    assert np.median(everyday) == pytest.approx(360.0, rel=0.06)


def test_timeline_incidents_keep_their_own_sensor_flag():
    """A scheduled leak next to a monitored main but on an unwatched pipe (or a drill that
    says "call") is reported by a call; one flagged monitored is sensed anywhere."""
    det = Detection()
    leak = TYPES.index(CATALOGUE["gas_leak"])
    kind = np.full(2, leak)
    nodes = np.array([node("n20"), node("n00")])  # n20 is near a monitored gas pipe
    delay, by = alarm_delays(
        det,
        PL,
        TYPES,
        kind,
        nodes,
        np.full(2, 12 * 3600.0),
        np.array([False, True]),
        np.array([True, True]),
        np.array([True, True]),
        np.array([0.5, 0.5]),
        np.array([0.5, 0.5]),
    )
    assert by.tolist() == [1, 0]
    assert delay[0] == pytest.approx(1200.0) and delay[1] == pytest.approx(120.0)


def test_unknown_type_multiplier_is_a_clear_error():
    with pytest.raises(TwinDataError, match="unknown incident type"):
        random_incidents(
            CATALOGUE,
            PL,
            np.random.default_rng(0),
            86400.0,
            type_multipliers={"alien_invasion": 2.0},
        )


def test_density_elasticity_moves_calls_to_dense_cells_and_keeps_their_number():
    """Per-head rate ∝ (people/km²)^β. The tiny city's cells: D1 25,000/km² (300,000
    people), D2 33,333/km² (200,000), D3 16,667/km² (100,000). With β = 1 the district
    weights are people × density: 7.5e9, 6.667e9, 1.667e9 → shares 0.4737, 0.4211, 0.1053
    (β = 0: 0.5, 1/3, 1/6). Counts and times come from the rates alone: the same seed
    gives the very same onsets and types, only the places move."""
    ms = ENGINE.districts
    w = np.diff(PL.weights("population", 1.0), prepend=0.0)
    by = np.bincount(PL.node_district, weights=w, minlength=3)
    share = by / by.sum()
    assert share[[ms.index("D1"), ms.index("D2"), ms.index("D3")]] == pytest.approx(
        [7.5 / 15.8333, 6.6667 / 15.8333, 1.6667 / 15.8333], rel=1e-3
    )
    days, flat = 200, only("community_assist")
    base = random_incidents(
        CATALOGUE, PL, np.random.default_rng(1), days * 86400.0, type_multipliers=flat
    )
    dense = random_incidents(
        CATALOGUE,
        PL,
        np.random.default_rng(1),
        days * 86400.0,
        type_multipliers=flat,
        density_elasticity=1.0,
    )
    assert np.array_equal(base[0], dense[0]) and np.array_equal(base[1], dense[1])
    drawn = np.bincount(PL.node_district[dense[2]], minlength=3) / len(dense[2])
    assert drawn[[ms.index("D1"), ms.index("D2"), ms.index("D3")]] == pytest.approx(
        [0.4737, 0.4211, 0.1053], abs=0.02
    )
    zero = random_incidents(
        CATALOGUE,
        PL,
        np.random.default_rng(1),
        days * 86400.0,
        type_multipliers=flat,
        density_elasticity=0.0,
    )
    assert np.array_equal(zero[2], base[2])  # β = 0 is the default, draw for draw
