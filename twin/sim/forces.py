"""Response forces, their units, and the 10/30/60 targets.

Five forces answer incidents (the ``force`` column of the ``stations`` layer):

=============  ========  ======  =====================================================
force          level     moves   what it is
=============  ========  ======  =====================================================
community      street    foot    community responders (社区/网格 first responders) at posts
fire           district  road    fire brigades' engines (消防救援站)
professional   city      road    professional rescue teams (专业救援队: gas/water/mine…)
social         district  road    social rescue teams (社会救援力量, e.g. volunteer teams)
air            city      air     helicopters (航空救援)
=============  ========  ======  =====================================================

Targets (measured from the alarm): a community responder on scene within 10 min, the
first ground rescue unit (fire/professional/social) within 30 min, air rescue within
60 min where it is called (:data:`TARGETS_S`).

Units move as follows (:class:`ForceSpec`, defaults in :data:`DEFAULT_FORCES`):

- ``road``: turnout, then the shortest road travel time from the precomputed
  :class:`twin.model.roads.TravelTimes` arrays for the period of the departure time;
- ``foot``: turnout, then straight-line distance × circuity walked at Tobler's speed for
  the mean grade between the two nodes' elevations (slower on stairs; Chongqing's
  stairways and footbridges make walking routes far more direct than roads);
- ``air``: launch time (uniform between ``turnout_s`` and ``turnout_max_s``), straight-line
  flight at ``speed_m_s``, then ``approach_s`` for approach and landing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from twin.model.city import City
from twin.sim.params import (
    DUTY_DAY_HOURS,
    DUTY_DAY_SHARE,
    DUTY_NIGHT_SHARE,
    DUTY_SPELL_S,
    FIRE_SETUP_S,
    TURNOUT_DAY_S,
    TURNOUT_NIGHT_S,
    WALK_PACE,
    station_class,
    tobler_m_s,
    vehicle_kinds,
)

FORCES: tuple[str, ...] = ("community", "fire", "professional", "social", "air")
"""Force names, in a fixed order (their integer codes in the engine)."""
GROUND_FORCES: tuple[str, ...] = ("fire", "professional", "social")
"""Forces counting for the 30-minute "first ground rescue unit" target."""

TARGETS_S: dict[str, float] = {"10min": 600.0, "30min": 1800.0, "60min": 3600.0}
"""Response targets (s from the alarm): community 10 min, ground 30 min, air 60 min."""
FORCE_TARGET: dict[str, str] = {
    "community": "10min",
    "fire": "30min",
    "professional": "30min",
    "social": "30min",
    "air": "60min",
}
"""The target each force's arrival is judged against."""


@dataclass(frozen=True)
class ForceSpec:
    """How a force's units are dispatched and how they move (SI units).

    ``level``: who dispatches it — ``street`` (nearest available post, any district),
    ``district`` (the incident district's own units first; mutual aid from any district
    when they cannot make the target), ``city`` (nearest available anywhere).
    ``availability``: probability that a free unit answers when asked (volunteers and
    grid workers have other duties). ``max_on_scene_s``: a unit of this force leaves the
    scene after this long unless it leads the incident's work (``None``: stays until the
    incident is cleared).
    """

    name: str
    level: Literal["street", "district", "city"]
    mode: Literal["foot", "road", "air"]
    turnout_s: float
    turnout_max_s: float | None = None
    speed_m_s: float = 0.0
    circuity: float = 1.0
    approach_s: float = 0.0
    availability: float = 1.0
    max_on_scene_s: float | None = None
    turnout_night_s: float | None = None
    """Turnout at night (:attr:`twin.sim.params.TimeChain.night_hours`); None: ``turnout_s``."""
    setup_s: float = 0.0
    """Set-up on scene (s) before the work this force leads or starts can begin."""
    availability_night: float | None = None
    """Street units: on-duty share off duty hours (``params.DUTY_DAY_HOURS``); None: the
    same as ``availability``."""
    duty_spell_s: float = DUTY_SPELL_S
    """Street units: mean time a responder stays reachable or not (:mod:`twin.sim.roster`)."""
    walk_pace: float = 1.0
    """Foot units: multiple of Tobler's walking speed on the leg's grade
    (:func:`twin.sim.params.walk_s`)."""

    def on_duty_share(self, t_s: float) -> float:
        """Share of this force's units reachable at ``t_s`` (street units: by duty hours)."""
        if self.availability_night is None:
            return self.availability
        h = (t_s // 3600.0) % 24
        a, b = DUTY_DAY_HOURS
        return self.availability if a <= h < b else self.availability_night

    def turnout_at(self, night: bool) -> float:
        """Turnout (s) by day or night (fixed forces only; air draws its launch time)."""
        if night and self.turnout_night_s is not None:
            return self.turnout_night_s
        return self.turnout_s

    def __post_init__(self) -> None:
        if self.mode == "air" and self.speed_m_s <= 0:
            raise ValueError(f"force {self.name}: {self.mode} units need a speed")


DEFAULT_FORCES: dict[str, ForceSpec] = {
    # Community responders: 1 min to be notified, accept and leave the post (assumption,
    # 30–180 s); they walk at Tobler's speed on the leg's mean grade (node elevations),
    # slower on stairs (twin.sim.params.walk_s); circuity 1.4 is the usual ratio of network
    # to straight-line distance on road networks (e.g. Ballou, Rahardja & Sakai 2002,
    # Transp. Res. Part A 36: 843–848: ~1.2–1.5), taken at the high end for a hilly city.
    # By day (08–20 h) 70 % of responders are reachable and free of other grid work, at
    # night 35 %; each stays so for a while (mean 2 h: twin.sim.roster). Assumptions.
    # speed_m_s is Tobler's speed on the flat (for coverage maps, which ignore slope).
    "community": ForceSpec(
        "community",
        "street",
        "foot",
        turnout_s=60.0,
        speed_m_s=tobler_m_s(0.0),
        circuity=1.4,
        availability=DUTY_DAY_SHARE,
        availability_night=DUTY_NIGHT_SHARE,
        walk_pace=WALK_PACE,
    ),
    # Fire engines: crews leave within 1 min of the order by day (城市消防站建设标准 建标152-2017,
    # the "5-minute" rule: 1 min turnout + 4 min driving to the edge of the station area),
    # 90 s at night, and set up for 60 s before the work starts (assumptions with ranges:
    # twin.sim.params).
    "fire": ForceSpec(
        "fire",
        "district",
        "road",
        turnout_s=TURNOUT_DAY_S,
        turnout_night_s=TURNOUT_NIGHT_S,
        setup_s=FIRE_SETUP_S,
    ),
    # Professional teams (gas, water, mine and construction rescue): on duty but must load
    # specialised kit: 5 min (assumption).
    "professional": ForceSpec("professional", "city", "road", turnout_s=300.0),
    # Social (volunteer) rescue teams assemble from home/work: 15 min (assumption, in line
    # with volunteer team call-out times reported by Blue Sky Rescue chapters).
    "social": ForceSpec("social", "district", "road", turnout_s=900.0),
    # Helicopters: 10–15 min from alert to lift-off at a manned base; cruise ~60 m/s
    # (216 km/h, e.g. AW139/H135-class EMS helicopters cruise at 230–290 km/h; lower for
    # mountain weather); 3 min approach and landing/hover. They leave after 30 min on scene
    # (hoist or patient transfer), unless the incident clears earlier.
    "air": ForceSpec(
        "air",
        "city",
        "air",
        turnout_s=600.0,
        turnout_max_s=900.0,
        speed_m_s=60.0,
        approach_s=180.0,
        max_on_scene_s=1800.0,
    ),
}
"""Default force behaviour; sources and assumptions in the comments."""


@dataclass(frozen=True, eq=False)
class Fleet:
    """Stations and their units as arrays (index ``s`` = station, ``u`` = unit).

    ``station_node`` is the road node each station is snapped to; ``station_xy`` its own
    point (m). Units of a station are interchangeable; unit ``u`` belongs to
    ``unit_station[u]`` and is called ``unit_ids[u]`` (``<station_id>/<k>``).
    """

    station_ids: np.ndarray
    station_force: np.ndarray  # int: index into FORCES
    station_district: np.ndarray  # int: index into ``districts``
    station_node: np.ndarray  # int: road node index
    station_xy: np.ndarray  # (n, 2) metres
    station_units: np.ndarray  # int
    districts: tuple[str, ...]
    unit_station: np.ndarray
    unit_ids: np.ndarray
    station_class: np.ndarray | None = None
    """Fire stations' class (建标152-2017, from their vehicles: ``params.station_class``);
    ``""`` for other forces."""
    unit_kind: np.ndarray | None = None
    """Fire vehicles' kind (``params.vehicle_kinds``); ``""`` for other forces' units."""

    def of_force(self, force: str) -> np.ndarray:
        """Indices of the stations of ``force`` that have at least one unit."""
        f = FORCES.index(force)
        return np.flatnonzero((self.station_force == f) & (self.station_units > 0))

    def units_of(self, force: str) -> int:
        """Total units of ``force``."""
        return int(self.station_units[self.station_force == FORCES.index(force)].sum())


def build_fleet(city: City, districts: tuple[str, ...]) -> Fleet:
    """The fleet of ``city``: stations of known forces, snapped to road nodes.

    ``districts`` fixes the district index order (stations in unknown districts get the
    district of their road node).
    """
    st = city.stations
    st = st[st["force"].isin(FORCES)].sort_values("station_id", kind="stable")
    xy = np.column_stack([st.geometry.x.to_numpy(float), st.geometry.y.to_numpy(float)])
    node, _ = city.roads.snap(xy) if len(st) else (np.empty(0, np.int64), None)
    index = {d: i for i, d in enumerate(districts)}
    node_district = city.road_nodes["district_id"].to_numpy(object)
    dist = np.array(
        [index.get(d, index.get(node_district[n], -1)) for d, n in zip(st["district_id"], node)],
        dtype=np.int64,
    )
    units = st["units"].to_numpy(np.int64)
    unit_station = np.repeat(np.arange(len(st)), units)
    ids = st["station_id"].to_numpy(object)
    unit_ids = np.array(
        [f"{ids[s]}/{k + 1}" for s, n in enumerate(units) for k in range(n)], dtype=object
    )
    fire = (st["force"] == "fire").to_numpy(bool)
    cls = np.array([station_class(int(n)) if f else "" for n, f in zip(units, fire)], object)
    kind = np.array(
        [k for n, f in zip(units, fire) for k in (vehicle_kinds(int(n)) if f else ("",) * int(n))],
        object,
    )
    return Fleet(
        station_ids=ids,
        station_force=np.array([FORCES.index(f) for f in st["force"]], np.int64),
        station_district=dist,
        station_node=np.asarray(node, np.int64),
        station_xy=xy,
        station_units=units,
        districts=districts,
        unit_station=unit_station,
        unit_ids=unit_ids,
        station_class=cls,
        unit_kind=kind,
    )
