"""Parameters of the everyday response model: value, plausible range, and where each comes from.

One place for the numbers the engine's time chain, fleet and first assignments use, so
that ``docs/calibration.md`` can copy the table and a sensitivity bench can vary any of
them (:func:`with_values`). Sources are those in the project's checked reference figures
(``docs/calibration.md``); "assumption" means no source could be checked offline: the
value is a stated judgement and its range is what the sensitivity table should cover.

=========================  =======  ============  ===========================================
parameter                  value    range         source / reasoning
=========================  =======  ============  ===========================================
call_median_s              60 s     30–90 s       assumption: 119 centre call handling (take
                                                  the call, locate, choose units, order).
                                                  NFPA 1710 asks ≤ 64 s at the 90th
                                                  percentile (US); Chongqing's addresses on
                                                  slopes and stairways take longer to fix
call_p90_s                 120 s    90–180 s      assumption (see above)
turnout_day_s              60 s     45–90 s       建标152-2017 / GB 51080 "5-minute" rule read
                                                  as ~1 min turnout + 4 min driving
turnout_night_s            90 s     60–150 s      assumption: crews asleep; NFPA 1710 allows
                                                  80 s for fire turnout (90th percentile)
night_start_h, night_end_h 22, 6    —             assumption (same hours as detection)
travel_sigma               0.25     0.10–0.40     assumption: real trips scatter around the
                                                  network's free-flow estimate; lognormal
                                                  multiplicative noise, median 1 (p90/median
                                                  = e^(1.28 σ) ≈ 1.38 at σ = 0.25)
fire_setup_s               60 s     30–180 s      assumption: positioning, hose lay or
                                                  cutting tools before the work starts
first_assignment           table    see below     assumption per incident type (出动编成),
                                                  by vehicle kind (FIRST_ASSIGNMENT_KINDS);
                                                  no national table could be checked
other_call_vehicles        1.0      1.0–2.0       assumption: vehicles per call for the call
                                                  kinds not modelled (social assistance,
                                                  security duty, false alarms)
ground call rate           0.38     0.25–0.60     per 100 000 people per day, the catalogue's
                                                  fire-service types summed (twin.sim.catalogue;
                                                  pipe failures come on top). National 2025:
                                                  0.47 all call kinds, ≈ 0.25 fires and rescues
                                                  (incl. rural areas); a dense core is assumed
                                                  busier per head (× ~1.5). Weekly and
                                                  seasonal cycles: twin.sim.seasons (a
                                                  scenario's ``start_date`` sets the season)
walk: Tobler               6·e^(−3.5|s+0.05|) km/h  Tobler's hiking function (flat ≈ 5 km/h
                                                  ≈ 1.39 m/s), s = dh / path length
walk_pace                  1.0      1.0–2.0       assumption: responders walk (1.0); brisk
                                                  walking/running or an e-bike up to ×2
stairs_grade, stairs_factor 0.15, 0.8  0.10–0.20, 0.6–1.0  assumption: legs steeper than
                                                  15 % average are taken as stairs, where
                                                  people move at 0.8 × Tobler's speed
duty_day_share             0.7      0.5–0.9       assumption: share of community responders
                                                  reachable and free of other grid work,
                                                  08–20 h (on duty)
duty_night_share           0.35     0.2–0.6       assumption: the same off duty (20–08 h)
duty_spell_s               2 h      0.5–4 h       assumption: mean time a responder stays
                                                  reachable or not (persistence)
air_dark_hours             19–7 h   18–8 h        assumption: rescue helicopters fly by day
                                                  (visual flight); a request in the dark is
                                                  refused (no night-vision crews assumed)
air_scene_request_s        300 s    120–900 s     assumption: the first ground crew sizes up
                                                  the scene and asks the 119 centre for a
                                                  helicopter (probability per type:
                                                  ``IncidentType.air_scene_prob``)
away_h_per_day             2 h      0–4 h         assumption: each fire crew is away from
                                                  readiness (training off station, fire
                                                  safety inspections, vehicle maintenance)
                                                  one block a day, 09–17 h, start drawn
                                                  from the run's generator; not dispatched
                                                  meanwhile (twin.sim.readiness)
highrise share             0.3      0.1–0.5       assumption: building fires in high-rise
                                                  buildings (need an aerial unit)
fog_days_per_year          30       10–70         assumption (Chongqing is a fog city; no
                                                  count could be checked offline): on a fog
                                                  day helicopters are grounded 06–12 h
=========================  =======  ============  ===========================================

**Station classes** (建标152-2017, garage bays incl. one spare): 特勤 8–11 bays, 一级普通
5–7, 二级普通 3–4, smaller stations (小型站) fewer. A station's class is derived at load from
its ``units`` (vehicles): bays = units + 1 spare (:func:`station_class`). The vehicle kinds a
class holds (:data:`CLASS_KINDS`) are an assumption: the water tenders first, then one
rescue vehicle, then an aerial platform/ladder, then a command vehicle as bays allow (the
mix per class: :mod:`twin.sim.kinds`).
**Crews** (turnout teams): a station turns out as one or two crews, and the crew, not the
vehicle, is the busy resource (:mod:`twin.sim.turnouts`). Crews per class
(:data:`CREWS_BY_CLASS`, assumption, range 1–2): 小型站 and 二级普通站 1, 一级普通站 and 特勤站
2. Plausibility (not fitted): 25.93 M personnel and 4.699 M vehicle dispatches nationally
in 2025, ≈ 5.5 people per vehicle dispatched.

**National call mix** (国家消防救援局, 2025): 2.444 M calls, 4.699 M vehicle dispatches
(1.92 per call); fires 0.837 M (34.3 %), rescues 0.442 M (18.1 %), social assistance
0.858 M, security duty 0.143 M; false alarms 0.164 M (included in the total).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np
from scipy.special import ndtri

Z90 = 1.2815515655446004
"""Standard normal 90th percentile."""

CALL_MEDIAN_S = 60.0
CALL_P90_S = 120.0
TURNOUT_DAY_S = 60.0
TURNOUT_NIGHT_S = 90.0
NIGHT_HOURS: tuple[int, int] = (22, 6)
TRAVEL_SIGMA = 0.25
FIRE_SETUP_S = 60.0
OTHER_CALL_VEHICLES = 1.0
WALK_PACE = 1.0
STAIRS_GRADE = 0.15
STAIRS_FACTOR = 0.8
AIR_DARK_HOURS: tuple[int, int] = (19, 7)
FOG_DAYS_PER_YEAR = 30.0
FOG_HOURS: tuple[int, int] = (6, 12)
AIR_SCENE_REQUEST_S = 300.0
AWAY_H_PER_DAY = 2.0
AWAY_HOURS: tuple[int, int] = (9, 17)
DUTY_DAY_SHARE = 0.7
DUTY_NIGHT_SHARE = 0.35
DUTY_DAY_HOURS: tuple[int, int] = (8, 20)
DUTY_SPELL_S = 7200.0


def tobler_m_s(grade: float) -> float:
    """Tobler's hiking function: walking speed (m/s) on a grade ``dh/dx``
    (6 · e^(−3.5 · |s + 0.05|) km/h; 5.0 km/h ≈ 1.39 m/s on the flat, fastest slightly
    downhill)."""
    return 6.0 * math.exp(-3.5 * abs(grade + 0.05)) / 3.6


def walk_s(
    path_m: float,
    dh_m: float,
    pace: float = WALK_PACE,
    stairs_grade: float = STAIRS_GRADE,
    stairs_factor: float = STAIRS_FACTOR,
) -> float:
    """Time (s) to walk ``path_m`` metres climbing ``dh_m`` (negative: descending) at
    Tobler's speed × ``pace``, × ``stairs_factor`` where the mean grade exceeds
    ``stairs_grade`` (stairs)."""
    if path_m <= 0:
        return 0.0
    grade = dh_m / path_m
    v = tobler_m_s(grade) * pace
    if abs(grade) > stairs_grade:
        v *= stairs_factor
    return path_m / v


FIRST_ASSIGNMENT_KINDS: dict[str, tuple[tuple[str, int], ...]] = {
    # type: (kind, vehicles) — assumptions (出动编成), never fitted; "any": the nearest free
    # fire vehicle of whatever kind (water tenders carry basic rescue tools).
    "building_fire": (("water_tender", 3), ("rescue", 1)),
    "highrise_fire": (("water_tender", 3), ("aerial", 1), ("rescue", 1), ("command", 1)),
    "outdoor_fire": (("water_tender", 1),),  # a vehicle, rubbish or grass fire
    "traffic_accident": (("water_tender", 1), ("rescue", 1)),  # fire cover + cutting tools
    "technical_rescue": (("any", 1),),  # lift entrapment and similar
    "gas_leak": (("water_tender", 1),),  # with the gas company's crew
    "gas_explosion": (("water_tender", 3), ("rescue", 2), ("command", 1)),
    "waterlogging": (("any", 1),),
    "landslide": (("rescue", 1), ("any", 1)),
    "water_rescue": (("rescue", 1), ("any", 1)),
    "hazmat": (("water_tender", 2), ("rescue", 1), ("command", 1)),
    "building_collapse": (("rescue", 3), ("water_tender", 2), ("command", 1)),
    "mountain_rescue": (("any", 1),),
}
"""Fire vehicles by kind sent at the dispatch order per incident type (:mod:`twin.sim.kinds`:
the nearest station with a free vehicle of the kind sends it, the rest from the next)."""
_RANGES: dict[str, tuple[int, int]] = {
    "building_fire": (3, 6),
    "highrise_fire": (5, 8),
    "outdoor_fire": (1, 2),
    "traffic_accident": (1, 2),
    "technical_rescue": (1, 2),
    "gas_leak": (1, 2),
    "gas_explosion": (4, 8),
    "waterlogging": (1, 2),
    "landslide": (1, 3),
    "water_rescue": (1, 3),
    "hazmat": (3, 6),
    "building_collapse": (4, 8),
    "mountain_rescue": (1, 2),
}
FIRST_ASSIGNMENT: dict[str, tuple[int, tuple[int, int]]] = {
    name: (sum(n for _, n in kinds), _RANGES[name])
    for name, kinds in FIRST_ASSIGNMENT_KINDS.items()
}
"""Fire-service vehicles sent at the dispatch order per incident type, with a plausible
range (the counts of :data:`FIRST_ASSIGNMENT_KINDS`)."""

HIGHRISE_SHARE = 0.3
"""Share of building fires that are in high-rise buildings (高层建筑: residential over
27 m, others over 24 m, GB 50016). Assumption, range 0.1–0.5: no count could be checked
offline; central Chongqing's housing is mostly high-rise, so the share in the core is
taken well above what a national average would give. Splits the catalogue's building-fire
rate into ``building_fire`` and ``highrise_fire`` (which needs an aerial unit)."""

NATIONAL_MIX: dict[str, float] = {
    "fire": 0.837,
    "rescue": 0.442,
    "social_assistance": 0.858,
    "security_duty": 0.143,
    "false_alarm": 0.164,
}
"""Calls (millions) by kind, China 2025 (国家消防救援局, press conference 2026-03-17); the
kinds add up to the 2.444 M total."""
NATIONAL_VEHICLES_PER_CALL = 4.699 / 2.444
"""1.92 vehicles per call (2025)."""
FIRE_TYPES = ("building_fire", "highrise_fire", "outdoor_fire")
"""Incident types that count as fire calls in the national mix (the rest are rescues)."""

STATION_CLASSES: tuple[tuple[str, int], ...] = (("特勤", 8), ("一级", 5), ("二级", 3), ("小型", 0))
"""Station class by garage bays (建标152-2017): the first class whose minimum bays the
station reaches."""
CLASS_KINDS: tuple[str, ...] = (
    "water_tender",
    "water_tender",
    "rescue",
    "aerial",
    "command",
    "water_tender",
    "aerial",
    "rescue",
    "water_tender",
    "command",
)
"""Vehicle kinds in the order a station fills its bays (assumption)."""


CREWS_BY_CLASS: dict[str, int] = {"特勤": 2, "一级": 2, "二级": 1, "小型": 1}
"""Crews (turnout teams) per station class: assumption, range 1–2 (docs/calibration.md,
"crews per station")."""


def station_crews(units: int) -> int:
    """Crews of a fire station with ``units`` vehicles, by its class (:data:`CREWS_BY_CLASS`;
    never more than its vehicles, none without a vehicle)."""
    return min(CREWS_BY_CLASS[station_class(units)], max(units, 0))


def station_class(units: int) -> str:
    """Class of a fire station with ``units`` vehicles (bays = units + 1 spare)."""
    bays = units + 1
    for name, low in STATION_CLASSES:
        if bays >= low:
            return name
    return STATION_CLASSES[-1][0]


def vehicle_kinds(units: int) -> tuple[str, ...]:
    """Kinds of a station's ``units`` vehicles (assumption, :data:`CLASS_KINDS`)."""
    return tuple(CLASS_KINDS[k % len(CLASS_KINDS)] for k in range(units))


@dataclass(frozen=True)
class TimeChain:
    """The run-wide segments of the chain from the alarm to the scene: call handling at the
    119 centre (lognormal, median and p90, s), the night hours (for turnout, see
    :attr:`twin.sim.forces.ForceSpec.turnout_night_s`) and the multiplicative lognormal
    noise on road travel (``travel_sigma``; 0 = deterministic). Turnout and set-up are
    per force (:data:`twin.sim.forces.DEFAULT_FORCES`, values from this module).

    :meth:`deterministic` is the mode the exact-trace tests use: call handling fixed at its
    median and no travel noise; :meth:`none` drops call handling too (queueing checks).
    """

    call_median_s: float = CALL_MEDIAN_S
    call_p90_s: float = CALL_P90_S
    night_hours: tuple[int, int] = NIGHT_HOURS
    travel_sigma: float = TRAVEL_SIGMA
    away_h_per_day: float = AWAY_H_PER_DAY
    """Hours a day each fire crew is away from readiness (training, inspections,
    maintenance) in one block within :attr:`away_hours` (:mod:`twin.sim.readiness`)."""
    away_hours: tuple[int, int] = AWAY_HOURS

    @classmethod
    def deterministic(cls, **kw: Any) -> TimeChain:
        """Call handling fixed at the median, no travel noise and no time away from
        readiness (its blocks start at random times) — tests, exact traces."""
        base = cls(**kw)
        return replace(base, call_p90_s=base.call_median_s, travel_sigma=0.0, away_h_per_day=0.0)

    @classmethod
    def none(cls) -> TimeChain:
        """No call handling, no travel noise, no time away from readiness."""
        return cls(call_median_s=0.0, call_p90_s=0.0, travel_sigma=0.0, away_h_per_day=0.0)

    def is_night(self, t_s: float) -> bool:
        """Is ``t_s`` (s since midnight of day 0) within the night hours?"""
        h = (t_s // 3600.0) % 24
        a, b = self.night_hours
        return h >= a or h < b

    def call_s(self, u: np.ndarray) -> np.ndarray:
        """Call-handling times (s) from uniforms ``u`` (lognormal by median and p90)."""
        u = np.asarray(u, float)
        if self.call_median_s <= 0:
            return np.zeros(u.shape)
        sigma = math.log(self.call_p90_s / self.call_median_s) / Z90
        return self.call_median_s * np.exp(sigma * ndtri(np.clip(u, 1e-12, 1 - 1e-12)))


@dataclass(frozen=True)
class AirLimits:
    """When helicopters may not fly: the dark hours (every day) and the fog hours of fog
    days (drawn per day, each a fog day with probability ``fog_days_per_year`` / 365);
    and how long a crew on scene takes to ask for one. A request (at the alarm or from
    the scene) made while helicopters are grounded is refused (``grounded`` event)."""

    dark_hours: tuple[int, int] = AIR_DARK_HOURS
    fog_days_per_year: float = FOG_DAYS_PER_YEAR
    fog_hours: tuple[int, int] = FOG_HOURS
    scene_request_s: float = AIR_SCENE_REQUEST_S
    """Time (s) from the first ground crew's arrival to its request for air rescue (size-up
    and the call through the 119 centre; :func:`twin.sim.lifecycle.request_air_from_scene`)."""

    def fog_days(self, rng: np.random.Generator, days: int) -> np.ndarray:
        """Which days of a run are fog days (bool per day)."""
        return rng.random(max(days, 1)) < self.fog_days_per_year / 365.0

    def grounded(self, t_s: float, fog: np.ndarray) -> bool:
        """May no helicopter take off at ``t_s`` (dark, or a fog day's fog hours)?"""
        h = (t_s // 3600.0) % 24
        a, b = self.dark_hours
        if h >= a or h < b:
            return True
        day = int(t_s // 86400.0)
        f0, f1 = self.fog_hours
        return bool(0 <= day < len(fog) and fog[day] and f0 <= h < f1)


def with_values(chain: TimeChain, **values: float) -> TimeChain:
    """``chain`` with some parameters changed (for the sensitivity bench); unknown names
    raise ``KeyError``."""
    names = {f.name for f in fields(TimeChain)}
    bad = sorted(set(values) - names)
    if bad:
        raise KeyError(f"unknown time-chain parameter(s): {', '.join(bad)}")
    return replace(chain, **values)  # type: ignore[arg-type]


def vehicles_per_call_national(
    rates: dict[str, float],
    assignment: dict[str, tuple[int, tuple[int, int]]] = FIRST_ASSIGNMENT,
    other: float = OTHER_CALL_VEHICLES,
) -> float:
    """Mean fire-service vehicles per call if the model's first assignments met the national
    call mix: fires and rescues weighted by the catalogue's rates (``rates``: type → calls
    per 100 000 per day, fire-service types only), the kinds not modelled at ``other``."""

    def mean(types: list[str]) -> float:
        w = sum(rates[t] for t in types)
        return sum(rates[t] * assignment[t][0] for t in types) / w if w > 0 else 0.0

    fires = [t for t in assignment if t in FIRE_TYPES and t in rates]
    rescues = [t for t in assignment if t not in FIRE_TYPES and t in rates]
    mix = NATIONAL_MIX
    modelled = mix["fire"] * mean(fires) + mix["rescue"] * mean(rescues)
    others = (mix["social_assistance"] + mix["security_duty"] + mix["false_alarm"]) * other
    return (modelled + others) / sum(mix.values())
