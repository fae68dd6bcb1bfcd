"""Traffic that reacts: BPR equilibrium on a two-route network worked out by hand, the
emergency-vehicle rule, weather losses, and coverage on the network a run had.

Two routes from O (node 0) to D (node 1), 1,000 veh/h of demand, BPR t = t0 (1 + 0.15 (v/c)^4):

- route A: one link O → D, t0 = 600 s, c = 1,000 veh/h;
- route B: O → M → D (M = node 2), two links of t0 = 300 s, c = 1,000 veh/h each, so the
  route's time is 2 · 300 (1 + 0.15 (v/1000)^4) = 600 (1 + 0.15 (v/1000)^4), route A's function.

Both open: by symmetry the equilibrium splits 500 / 500 and route A takes
600 · (1 + 0.15 · 0.5^4) = 600 · 1.009375 = **605.625 s**.
Route B closed: A carries all 1,000 veh/h, 600 · (1 + 0.15 · 1^4) = **690 s** — closing B
raises A's time by **84.375 s**.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.tinycity import tiny_city
from twin.hazards.regimes import rain_loss
from twin.model.assignment import Links, assign, trip_index
from twin.model.traffic import EV_DELAY_SHARE, UNLIMITED_VPH, capacity_vph, emergency_factor
from twin.scenario.spec import parse_scenario
from twin.sim.runner import run_scenario

BOTH = Links(
    a=np.array([0, 0, 2]),
    b=np.array([1, 2, 1]),
    t0_s=np.array([600.0, 300.0, 300.0]),
    capacity_vph=np.array([1000.0, 1000.0, 1000.0]),
    n_nodes=3,
)
A_ONLY = Links(BOTH.a[:1], BOTH.b[:1], BOTH.t0_s[:1], BOTH.capacity_vph[:1], 3)
DEMAND = np.array([[0.0, 1000.0], [0.0, 0.0]])


@pytest.mark.parametrize("backend", ["scipy", "aequilibrae"])
def test_closing_one_route_loads_the_other_by_the_hand_computed_bpr_time(backend: str) -> None:
    both = assign(BOTH, np.array([0, 1]), DEMAND, backend=backend, rgap=1e-6)
    assert both.backend == backend
    assert both.flow_vph == pytest.approx([500.0, 500.0, 500.0], abs=2.0)
    assert both.time_s[0] == pytest.approx(605.625, abs=0.05)
    closed = assign(A_ONLY, np.array([0, 1]), DEMAND, backend=backend, rgap=1e-6)
    assert closed.flow_vph == pytest.approx([1000.0])
    assert closed.time_s[0] == pytest.approx(690.0)
    assert closed.time_s[0] - both.time_s[0] == pytest.approx(84.375, abs=0.05)


def test_trip_index_takes_each_states_fastest_route_and_weights_by_demand() -> None:
    """Amap's definition on a hand-made net. O (0) → D (1): route A, one link, t0 = 500 s,
    congested to 600 s; route B, O → M (2) → D, two links of 300 s that stay at 300 s.
    D → O: one link, t0 = 100 s, congested to 150 s. Demand 1,000 veh/h O → D, 500 D → O.

    Free flow: O → D takes A (500 s), D → O 100 s. Congested: O → D 600 s on either
    route, D → O 150 s. Index = (1000 · 600 + 500 · 150) / (1000 · 500 + 500 · 100)
    = 675,000 / 550,000 = **1.22727…**. O → D alone: 600 / 500 = **1.2** — whereas the
    congested ÷ free-flow vehicle-hours on the congested routes, with A carrying
    1000 (4/3)^(1/4) = 1,074.6 veh/h (BPR at 600 s) and B the other 925.4, would be
    1,200,000 / (1,074.6 · 500 + 925.4 · 600) = 1.098: a different quantity."""
    links = Links(
        a=np.array([0, 0, 2, 1]),
        b=np.array([1, 2, 1, 0]),
        t0_s=np.array([500.0, 300.0, 300.0, 100.0]),
        capacity_vph=np.ones(4),
        n_nodes=3,
    )
    times = np.array([600.0, 300.0, 300.0, 150.0])
    zones = np.array([0, 1])
    demand = np.array([[0.0, 1000.0], [500.0, 0.0]])
    assert trip_index(links, times, zones, demand) == pytest.approx(675_000 / 550_000)
    one_way = np.array([[0.0, 1000.0], [0.0, 0.0]])
    assert trip_index(links, times, zones, one_way) == pytest.approx(1.2)
    # a congested link off every fastest route changes nothing
    assert trip_index(links, times + np.array([0, 50.0, 0, 0]), zones, one_way) == 1.2
    assert np.isnan(trip_index(links, times, zones, np.zeros((2, 2))))


def test_bridges_carry_their_published_lanes_at_the_span_capacity() -> None:
    """Capacity each way (pcu/h), by hand: a bridge named in BRIDGE_LANES — 嘉华大桥 8 lanes
    → 4 each way × 1,800 (bridge span) = 7,200; 千厮门嘉陵江大桥 4 → 2 × 1,800 = 3,600; an
    unnamed bridge ("Long Bridge") the default 3 × 1,800 = 5,400; an arterial street that is
    no bridge (one of the tiny city's streets made arterial) 2 × 1,000 = 2,000; local streets unlimited. A ``lanes`` column wins: 6 lanes
    on the Long Bridge → 3 each way = 5,400, 2 on an arterial → 1 × 1,000."""
    city = tiny_city()
    e = city.road_edges
    names = e["name"].to_numpy(object)
    short = int(np.flatnonzero(names == "Short Bridge")[0])
    long_ = int(np.flatnonzero(names == "Long Bridge")[0])
    local, arterial = np.flatnonzero((e["road_class"] == "local").to_numpy())[:2]
    e.loc[e.index[arterial], "road_class"] = "arterial"  # the tiny city's streets are local
    cap = capacity_vph(city)
    assert cap[long_] == 5400.0
    assert cap[arterial] == 2000.0
    assert cap[local] == UNLIMITED_VPH
    e.loc[e.index[short], "name"] = "嘉华大桥 / Jiahua Bridge"
    assert capacity_vph(city)[short] == 7200.0
    e.loc[e.index[short], "name"] = "千厮门嘉陵江大桥 / Qiansimen Jialing River Bridge"
    assert capacity_vph(city)[short] == 3600.0
    e["lanes"] = np.nan
    e.loc[e.index[long_], "lanes"] = 6
    e.loc[e.index[arterial], "lanes"] = 2
    cap = capacity_vph(city)
    assert (cap[long_], cap[arterial], cap[short]) == (5400.0, 1000.0, 3600.0)


def test_emergency_vehicles_keep_half_the_delay_and_never_beat_free_flow() -> None:
    # EV_DELAY_SHARE = 0.5: general traffic at 2.0 × free flow → 1 + 0.5 · (2.0 − 1) = 1.5
    assert EV_DELAY_SHARE == 0.5
    assert emergency_factor(np.array([2.0]))[0] == pytest.approx(1.5)
    # free-flowing roads stay at free flow (1.0), never below it
    assert emergency_factor(np.array([1.0, 0.9]))[:].tolist() == [1.0, 1.0]
    # rain slows free flow to 1 / 0.8 = 1.25: 1.25 + 0.5 · (2.0 − 1.25) = 1.625
    assert emergency_factor(np.array([2.0]), 0.8)[0] == pytest.approx(1.625)


def test_rain_losses_follow_the_hcm_bands() -> None:
    assert rain_loss(0.0) == (0.0, 0.0)
    assert rain_loss(2.0) == (pytest.approx(0.0201), 0.10)  # ≤ 0.10 in/h
    assert rain_loss(5.0) == (pytest.approx(0.0724), 0.10)  # ≤ 0.25 in/h
    assert rain_loss(80.0) == (pytest.approx(0.1413), 0.16)  # heavy


def _coverage(extra: str) -> pd.DataFrame:
    text = f'name = "t"\nseed = 1\ndays = 0.05\n[incidents]\nrandom = false\n{extra}'
    res = run_scenario(parse_scenario(text), tiny_city(), record_routes=False)
    return res["coverage"].set_index("node_id")


CLOSE_LONG = '[[closures]]\nname = "Long Bridge"\n'
TABLE = '[traffic]\nmodel = "table"\n'
ASSIGNED = '[traffic]\nmodel = "assigned"\n'


def test_coverage_is_computed_on_the_network_with_the_bridge_closed() -> None:
    """n23 (west bank, top row) is best served by F3 (n53) over the Long Bridge:
    n53 → n43 → n33 (2 × 100 s) + the bridge (200 s) = 400 s at night, against F1 (n00):
    n00 → n10 → n20 → n21 → n22 → n23 = 500 s (the short bridge from the east is slower:
    n53 → n31 400 s + 100 s + 200 s = 700 s). With the Long Bridge closed its coverage time
    rises by exactly 100 s at night under the fixed table (no congestion at night).

    Under the assigned traffic, local streets are not capacity-limited (zone access:
    twin.model.traffic.CONNECTOR_CLASSES), so with the Long Bridge closed n23 is F1's 500 s
    of free-flowing streets in every period — the same as the table's night — and never
    faster than with the bridge open."""
    base, shut = _coverage(TABLE), _coverage(TABLE + CLOSE_LONG)
    rise = shut.loc["n23", "t_ground_night_s"] - base.loc["n23", "t_ground_night_s"]
    assert rise == pytest.approx(100.0)
    assert shut.loc["n00", "t_ground_night_s"] == base.loc["n00", "t_ground_night_s"]
    night_500 = shut.loc["n23", "t_ground_night_s"]  # turnout + 500 s
    base, shut = _coverage(ASSIGNED), _coverage(ASSIGNED + CLOSE_LONG)
    for col in ("t_ground_s", "t_ground_night_s", "t_ground_offpeak_s", "t_ground_peak_s"):
        assert shut.loc["n23", col] == pytest.approx(night_500, abs=0.2), col
        assert shut.loc["n23", col] >= base.loc["n23", col] - 0.2, col
