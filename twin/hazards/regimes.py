"""Traffic regimes of a run: when a scenario's declared state changes the roads' traffic.

The everyday traffic (:func:`twin.model.traffic.traffic_factors`, cached) holds unless a
scenario declares something that moves the background traffic itself:

- **closures** (``[[closures]]``: roads, bridges, tunnels shut by name or id) — the
  traffic they carried diverts onto the remaining roads: the network is re-assigned without
  them for as long as they last;
- **weather**: a ``[[rainstorm]]`` cuts capacity and free-flow speed on the roads of its
  districts for its duration (:func:`rain_factors`), ``[[fog]]`` likewise
  (:func:`fog_factors`).

Each stretch of time with a different set of these is one :class:`~twin.model.traffic.Regime`
(re-assigned, cached). Everything else — pipe-repair closures, waterlogged streets,
earthquake damage — re-routes the emergency units against the fixed background flows of the
regime in force (:class:`twin.sim.road_times.RoadTimes`), without re-assignment.
"""

from __future__ import annotations

import numpy as np

from twin.hazards.closures import HOUR, closure_edges
from twin.hazards.rain import area_nodes
from twin.model.city import City
from twin.model.places import resolve_district
from twin.model.traffic import Conditions, Regime, Traffic, traffic_factors
from twin.scenario.spec import Scenario

RAIN_CAPACITY_LOSS: tuple[tuple[float, float], ...] = ((2.54, 0.0201), (6.35, 0.0724))
"""(up to mm/h, capacity lost): HCM 2010 Exhibit 10-15 via FHWA-HOP-13-042, Appendix A,
Table 33 (rain ≤ 0.10 in/h: 2.01 %; ≤ 0.25 in/h: 7.24 %); heavier rain:
:data:`HEAVY_RAIN_CAPACITY_LOSS`."""
HEAVY_RAIN_CAPACITY_LOSS = 0.1413
"""Rain > 0.25 in/h (6.35 mm/h): 14.13 % (range 10.72–17.67 %; Smith et al. 2004 measured
25–30 %)."""
RAIN_SPEED_LOSS = (0.10, 0.16)
"""Free-flow speed lost in light (≤ 6.35 mm/h) and heavy rain: FHWA's 10 % and 16 %, as
reported by Prevedouros & Kongsil (2003) (range 3–20 %: their synthesis and Smith et al.)."""
FOG_CAPACITY_LOSS = 0.10
"""Fog with visibility under :data:`FOG_VISIBILITY_M`: assumption, range 5–15 % (not checked
against a source offline)."""
FOG_SPEED_LOSS = 0.10
"""Fog: free-flow speed lost, assumption, range 5–20 %."""
FOG_VISIBILITY_M = 1000.0
"""Visibility under which fog counts (the meteorological definition of fog)."""
MAX_REGIMES = 8
"""Each regime costs assignments and travel-time tables; more distinct states are refused."""


def rain_loss(intensity_mm_h: float) -> tuple[float, float]:
    """(capacity lost, free-flow speed lost), shares, under rain of ``intensity_mm_h``."""
    if intensity_mm_h <= 0:
        return 0.0, 0.0
    for top, loss in RAIN_CAPACITY_LOSS:
        if intensity_mm_h <= top:
            return loss, RAIN_SPEED_LOSS[0]
    return HEAVY_RAIN_CAPACITY_LOSS, RAIN_SPEED_LOSS[1]


def _edges_in(city: City, districts: tuple[str, ...]) -> np.ndarray:
    """Edges with an end in the given districts (names or ids; empty: every edge)."""
    ids = tuple(sorted({d for d in (resolve_district(city, x) for x in districts) if d}))
    inside = area_nodes(city, ids)
    net = city.roads
    return inside[net.edge_u] | inside[net.edge_v]


def _window(start_h: float, duration_h: float | None, run_s: float) -> tuple[float, float]:
    start = start_h * HOUR
    return start, run_s if duration_h is None else min(run_s, start + duration_h * HOUR)


def declared_states(
    city: City, scenario: Scenario
) -> list[tuple[float, float, np.ndarray, np.ndarray, np.ndarray]]:
    """Each declared state: (start, end, closed mask, capacity factor, speed factor)."""
    n = len(city.roads.edge_ids)
    run_s = scenario.duration_s
    out = []
    for c in scenario.closures:
        closed = np.zeros(n, bool)
        closed[closure_edges(city, c)] = True
        out.append((*_window(c.start_h, c.duration_h, run_s), closed, np.ones(n), np.ones(n)))
    for storm in scenario.rainstorm:
        cap_loss, speed_loss = rain_loss(storm.intensity_mm_h)
        hit = _edges_in(city, tuple(storm.districts))
        cap = np.where(hit, 1.0 - cap_loss, 1.0)
        speed = np.where(hit, 1.0 - speed_loss, 1.0)
        out.append(
            (*_window(storm.start_h, storm.duration_h, run_s), np.zeros(n, bool), cap, speed)
        )
    for fog in scenario.fog:
        if fog.visibility_m >= FOG_VISIBILITY_M:
            continue
        hit = _edges_in(city, tuple(fog.districts))
        cap = np.where(hit, 1.0 - FOG_CAPACITY_LOSS, 1.0)
        speed = np.where(hit, 1.0 - FOG_SPEED_LOSS, 1.0)
        out.append((*_window(fog.start_h, fog.duration_h, run_s), np.zeros(n, bool), cap, speed))
    return [s for s in out if s[1] > s[0]]


def combined(
    states: list[tuple[float, float, np.ndarray, np.ndarray, np.ndarray]],
    active: tuple[int, ...],
) -> Conditions:
    """The conditions of several declared states at once: closures joined, capacity and
    speed factors multiplied."""
    closed = np.logical_or.reduce([states[i][2] for i in active])
    cap = np.prod([states[i][3] for i in active], axis=0)
    speed = np.prod([states[i][4] for i in active], axis=0)
    return Conditions(closed if closed.any() else None, cap, speed)


def conditions_at(city: City, scenario: Scenario, t_s: float) -> Conditions:
    """The conditions the scenario declares at time ``t_s`` (what its regime was assigned
    under; the same cache entry)."""
    states = declared_states(city, scenario)
    active = tuple(i for i, s in enumerate(states) if s[0] <= t_s < s[1])
    return combined(states, active) if active else Conditions()


def scenario_traffic(city: City, scenario: Scenario, *, use_cache: bool = True) -> Traffic:
    """The run's :class:`~twin.model.traffic.Traffic`: everyday multipliers and one regime per
    stretch of time with a different set of declared states (module docstring)."""
    base = traffic_factors(city, use_cache=use_cache)
    states = declared_states(city, scenario)
    cuts = sorted({t for s in states for t in s[:2]})
    regimes: list[Regime] = []
    memo: dict[tuple[int, ...], tuple[np.ndarray, ...]] = {}
    for t0, t1 in zip(cuts[:-1], cuts[1:]):
        active = tuple(i for i, s in enumerate(states) if s[0] <= t0 and t1 <= s[1])
        if not active:
            continue
        if active not in memo:
            if len(memo) >= MAX_REGIMES:
                raise ValueError(
                    f"more than {MAX_REGIMES} different closure/weather states in one run"
                )
            memo[active] = traffic_factors(city, combined(states, active), use_cache=use_cache)
        label = ", ".join(_label(scenario, i, len(scenario.closures)) for i in active)
        if regimes and regimes[-1].end_s == t0 and regimes[-1].label == label:
            regimes[-1] = Regime(regimes[-1].start_s, t1, memo[active], label)
        else:
            regimes.append(Regime(t0, t1, memo[active], label))
    return Traffic(base, tuple(regimes))


def _label(scenario: Scenario, i: int, n_closures: int) -> str:
    if i < n_closures:
        c = scenario.closures[i]
        return f"closed: {c.name or ','.join(c.edge_ids)}"
    return "weather"
