"""The catalogue of incident types (as data), their durations and the detection model.

Each :class:`IncidentType` has a base rate per 100 000 people per day, the units it needs on
scene (``needs``: force → count; the first listed force the city has units of *leads*: its
first unit on scene starts the work, see :mod:`twin.sim.lifecycle`), the on-scene work time
(:class:`LogNormal` with a documented median and 90th percentile), the probability that
air rescue is called, where it tends to happen (``risk``, see :mod:`twin.sim.placement`)
and, for gas leaks, escalation: a leak not contained (no unit of ``contain_by`` on scene)
within a drawn ``deadline`` from its onset becomes a ``gas_explosion`` plus a
``building_fire`` at the same place.

**Rates.** Sized for a city of ~10 M people (central Chongqing), in line with national
figures: China's fire and rescue services attend ~2 million call-outs a year (≈ 0.4 per
100 000 people per day; National Fire and Rescue Administration yearly statistics, rounded),
about 40 % fires and most of the rest technical rescues; cities see more per head. Minor
incidents handled by community responders alone (``community_assist``: falls at home,
welfare checks, small hazards, neighbour disputes) dominate the count: 8 per 100 000 per
day is an assumption sized so that the year totals ~300 000 incidents. Pipe-main failures
(bursts, leaks) and rain/earthquake incidents come from :mod:`twin.hazards.lifelines` as
timeline incidents; the base rates here cover only everyday events (indoor and
service-line gas leaks, service-pipe bursts, blocked drains).

**Time.** Arrivals follow an hourly profile (fraction of the daily mean per hour,
:data:`PROFILE_DEFAULT` etc.).

**Detection** (:class:`Detection`): alarm = onset + delay; a sensor raises it in 1–3 min
where it watches the place; otherwise citizens call, after a lognormal delay (median 6 min,
p90 15 min; a type may set its own, e.g. buried gas leaks), 1.5× longer at night and 1.3×
in remote places (see :func:`twin.sim.incidents.alarm_delays`).

This module is light (numpy and scipy only): the scenario schema may import it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy.special import ndtri

from twin.sim.params import FIRST_ASSIGNMENT, HIGHRISE_SHARE

Z90 = 1.2815515655446004
"""Standard normal 90th percentile."""


class Distribution(Protocol):
    """A positive random duration (s), drawn by inverse CDF from uniforms."""

    def quantile(self, u: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class LogNormal:
    """Lognormal duration given its median and 90th percentile (s); ``p90 == median`` is a
    constant."""

    median_s: float
    p90_s: float

    @property
    def sigma(self) -> float:
        return math.log(self.p90_s / self.median_s) / Z90

    def quantile(self, u: np.ndarray) -> np.ndarray:
        z = ndtri(np.clip(np.asarray(u, float), 1e-12, 1 - 1e-12))
        return self.median_s * np.exp(self.sigma * z)


@dataclass(frozen=True)
class Exponential:
    """Exponential duration with mean ``mean_s`` (for queueing checks: Erlang C)."""

    mean_s: float

    def quantile(self, u: np.ndarray) -> np.ndarray:
        return -self.mean_s * np.log1p(-np.asarray(u, float))


def _profile(values: list[float]) -> tuple[float, ...]:
    a = np.asarray(values, float)
    return tuple((a / a.mean()).round(4))


PROFILE_DEFAULT = _profile(
    [
        0.70,
        0.55,
        0.45,
        0.40,
        0.40,
        0.45,
        0.60,
        0.85,
        1.05,
        1.20,
        1.30,
        1.30,
        1.20,
        1.15,
        1.20,
        1.25,
        1.30,
        1.35,
        1.40,
        1.40,
        1.30,
        1.20,
        1.05,
        0.85,
    ]
)
"""Hourly share of the daily mean (00:00–01:00 first): emergency calls trough at 03–05 h
(~40 % of the mean) and peak late morning and 17–20 h (~140 %), the shape reported for 119/120
call volumes in Chinese cities (assumption: a smoothed typical profile)."""
PROFILE_TRAFFIC = _profile(
    [
        0.50,
        0.40,
        0.35,
        0.30,
        0.30,
        0.45,
        0.80,
        1.60,
        1.70,
        1.20,
        1.00,
        1.05,
        1.10,
        1.00,
        1.05,
        1.15,
        1.30,
        1.70,
        1.80,
        1.40,
        1.10,
        0.95,
        0.80,
        0.65,
    ]
)
"""Traffic accidents follow traffic: morning (07–09 h) and evening (17–19 h) peaks."""
PROFILE_FIRE = _profile(
    [
        0.80,
        0.70,
        0.60,
        0.55,
        0.50,
        0.55,
        0.70,
        0.85,
        0.95,
        1.00,
        1.10,
        1.25,
        1.20,
        1.10,
        1.10,
        1.15,
        1.20,
        1.35,
        1.45,
        1.40,
        1.30,
        1.20,
        1.05,
        0.90,
    ]
)
"""Fires and gas incidents peak at meal times (cooking) and in the evening."""
PROFILE_FLAT = _profile([1.0] * 24)


@dataclass(frozen=True)
class IncidentType:
    """One kind of incident; see the module docstring. ``rate`` is per 100 000 people/day."""

    name: str
    label_zh: str
    rate: float
    needs: tuple[tuple[str, int], ...]
    work: Distribution
    air_prob: float = 0.0
    risk: str = "population"
    sensor_network: str | None = None
    profile: tuple[float, ...] = PROFILE_DEFAULT
    contain_by: tuple[str, ...] = ()
    deadline: Distribution | None = None
    cascade: tuple[str, ...] = ()
    buried_call_delay: Distribution | None = None
    """Citizens' reporting delay when the incident is on a buried pipe (a timeline incident
    with a ``pipe_id``: a main's failure or a drill on a main); None: :attr:`Detection.call`."""
    air_scene_prob: float = 0.0
    """Probability that the first ground crew on scene requests air rescue (when it was not
    called at the alarm; ``air_prob``): after :attr:`twin.sim.params.AirLimits.scene_request_s`
    (:func:`twin.sim.lifecycle.request_air_from_scene`)."""


def _min(m: float) -> float:
    return 60.0 * m


def _fire(name: str) -> int:
    """Fire vehicles in the first assignment of ``name`` (``params.FIRST_ASSIGNMENT``)."""
    return FIRST_ASSIGNMENT[name][0]


CATALOGUE_LIST: tuple[IncidentType, ...] = (
    IncidentType(
        "community_assist", "社区求助", 8.0, (("community", 1),), LogNormal(_min(20), _min(60))
    ),
    # Building fires 0.05 per 100k/day, split by the high-rise share (params.HIGHRISE_SHARE,
    # assumption 0.3): a high-rise fire's first assignment includes an aerial unit; its
    # work time is taken as that of other building fires (no basis to differ).
    IncidentType(
        "building_fire",
        "建筑火灾",
        round(0.05 * (1.0 - HIGHRISE_SHARE), 6),
        (("fire", _fire("building_fire")), ("community", 1)),
        LogNormal(_min(60), _min(180)),
        profile=PROFILE_FIRE,
    ),
    IncidentType(
        "highrise_fire",
        "高层建筑火灾",
        round(0.05 * HIGHRISE_SHARE, 6),
        (("fire", _fire("highrise_fire")), ("community", 1)),
        LogNormal(_min(60), _min(180)),
        profile=PROFILE_FIRE,
        air_scene_prob=0.02,
    ),
    IncidentType(
        "outdoor_fire",
        "车辆/垃圾/草地火灾",
        0.08,
        (("fire", _fire("outdoor_fire")),),
        LogNormal(_min(25), _min(60)),
        profile=PROFILE_FIRE,
    ),
    IncidentType(
        "traffic_accident",
        "交通事故救援",
        0.06,
        (("fire", _fire("traffic_accident")), ("community", 1)),
        LogNormal(_min(30), _min(75)),
        profile=PROFILE_TRAFFIC,
        air_scene_prob=0.01,
    ),
    IncidentType(
        "technical_rescue",
        "电梯困人等技术救援",
        0.12,
        (("fire", _fire("technical_rescue")), ("community", 1)),
        LogNormal(_min(30), _min(90)),
    ),
    # Gas crews are part of the professional teams; either a fire crew or a gas crew on scene
    # contains a leak (isolate, ventilate, shut the valve). An uncontained leak ignites after
    # a lognormal time, median 90 min, p90 4 h (assumption). Everyday leaks (the random
    # ones: indoor appliances, service lines) are smelt at once and called in like any
    # incident (median 6 min): with units on scene ~15 min after the onset about 1 % ignite.
    # With the mains' failures added, the default city sees ~2 explosions a month (a 30-day
    # baseline run, seed 2026: 2 of 113 leaks) — the order of magnitude, though above the
    # few a year reported for Chongqing: read explosion counts against a baseline.
    # A leak from a buried main (a pipe failure or a drill on a main: an incident with a
    # pipe_id) is noticed late — gas must migrate into a building or a manhole and be
    # smelt — so citizens call after a median 20 min (p90 75 min; assumption), against
    # 1–3 min for a pressure/methane sensor on the main; some 15–20 % of those ignite.
    # That gap is what sensors buy: the ignition clock runs from the onset.
    IncidentType(
        "gas_leak",
        "燃气泄漏",
        0.03,
        (("fire", _fire("gas_leak")), ("professional", 1), ("community", 1)),
        LogNormal(_min(45), _min(120)),
        risk="pipe_age:gas",
        sensor_network="gas",
        profile=PROFILE_FIRE,
        contain_by=("fire", "professional"),
        deadline=LogNormal(_min(90), _min(240)),
        cascade=("gas_explosion", "building_fire"),
        buried_call_delay=LogNormal(_min(20), _min(75)),
    ),
    IncidentType(
        "gas_explosion",
        "燃气爆炸",
        0.0,
        (("fire", _fire("gas_explosion")), ("professional", 1), ("community", 2)),
        LogNormal(_min(180), _min(480)),
        air_prob=0.1,
        air_scene_prob=0.05,
        risk="pipe_age:gas",
    ),
    IncidentType(
        "water_main_burst",
        "供水管爆管",
        0.02,
        (("professional", 1), ("community", 1)),
        LogNormal(_min(120), _min(360)),
        risk="pipe_age:water",
        sensor_network="water",
    ),
    IncidentType(
        "waterlogging",
        "城市内涝",
        0.005,
        (("fire", _fire("waterlogging")), ("community", 1)),
        LogNormal(_min(90), _min(240)),
        risk="low_ground",
        sensor_network="drainage",
    ),
    IncidentType(
        "landslide",
        "山体滑坡",
        0.002,
        (("professional", 1), ("fire", _fire("landslide")), ("community", 1)),
        LogNormal(_min(180), _min(600)),
        air_prob=0.25,
        air_scene_prob=0.1,
        risk="steep",
    ),
    IncidentType(
        "water_rescue",
        "水域救援",
        0.008,
        (("fire", _fire("water_rescue")), ("social", 1)),
        LogNormal(_min(45), _min(120)),
        air_prob=0.3,
        air_scene_prob=0.1,
        risk="riverside",
    ),
    IncidentType(
        "hazmat",
        "危化品泄漏",
        0.003,
        (("fire", _fire("hazmat")), ("professional", 1)),
        LogNormal(_min(120), _min(360)),
    ),
    IncidentType(
        "building_collapse",
        "建筑坍塌",
        0.0005,
        (
            ("professional", 2),
            ("fire", _fire("building_collapse")),
            ("social", 1),
            ("community", 2),
        ),
        LogNormal(_min(360), _min(1440)),
        air_prob=0.2,
        air_scene_prob=0.1,
    ),
    IncidentType(
        "mountain_rescue",
        "山地救援",
        0.004,
        (("social", 1), ("fire", _fire("mountain_rescue"))),
        LogNormal(_min(180), _min(480)),
        air_prob=0.2,
        air_scene_prob=0.2,
        risk="steep",
    ),
)
"""The default incident types. Rates: see the module docstring (sized to national totals;
the split between types is an assumption); work times and air-call probabilities (at the
alarm, ``air_prob``, and from the scene, ``air_scene_prob``): assumptions, not fitted to
data (docs/calibration.md gives their ranges)."""
CATALOGUE: dict[str, IncidentType] = {t.name: t for t in CATALOGUE_LIST}


@dataclass(frozen=True)
class Detection:
    """Alarm delay model (s); see the module docstring. All defaults are assumptions, not
    fitted to data: sensors alarm 1–3 min after the onset (a pressure/methane logger's
    reporting interval plus confirmation); citizens call after a lognormal delay (median
    6 min, p90 15 min); ×1.5 at night (22:00–06:00, fewer people awake to notice), ×1.3 at
    remote nodes (the ``remote_share`` = 20 % of populated nodes representing the fewest
    people)."""

    sensor_min_s: float = 60.0
    sensor_max_s: float = 180.0
    call: Distribution = LogNormal(360.0, 900.0)
    night_factor: float = 1.5
    night_hours: tuple[int, int] = (22, 6)
    remote_factor: float = 1.3
    remote_share: float = 0.2
    cascade_min_s: float = 30.0
    cascade_max_s: float = 90.0
    """An explosion is heard by many: calls within 30–90 s."""

    def is_night(self, t_s: np.ndarray) -> np.ndarray:
        h = (np.asarray(t_s, float) // 3600) % 24
        a, b = self.night_hours
        return (h >= a) | (h < b)
