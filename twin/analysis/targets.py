"""The registry of response targets: what each measures, from when, and against what time.

A :class:`Target` names one arrival of an incident (``arrival``), the moment its clock
starts (``origin``, the ``from`` column of ``compliance.csv``) and a threshold in seconds.
Every target is measured from its *primary* origin and again from the incident's
**onset** (the moment it happened, before anyone called), so a planner sees both the
service's own performance and what the people at the scene lived through.

=======  ==========  ==============================  ==========  ================================
name     threshold   arrival                         primary     source / meaning
=======  ==========  ==============================  ==========  ================================
10min    600 s       first community responder       alarm       mission target (headline)
30min    1800 s      first ground rescue vehicle     alarm       mission target (headline)
60min    3600 s      first helicopter                alarm       mission target (headline)
5min     300 s       first fire vehicle              dispatch    GB 51080-2015 / 建标152-2017:
                                                                 station areas drawn so a crew
                                                                 reaches the edge within 5 min
                                                                 of the dispatch order
8min     480 s       first fire vehicle              alarm       8 min from the alarm: the
                                                                 5-min rule plus call handling
                                                                 and a margin (a discriminating
                                                                 planning measure, assumption)
full     1800 s      whole first assignment          alarm       the full first assignment
                     on scene                                    (出动编成) within the 30-min
                                                                 target; its time is reported
rescue_  6 h, 24 h,  first ground rescue unit at a   onset       the share of trapped people
6h/24h/  72 h        collapse or entrapment                      reached within 6/24/72 h (the
72h                  (``RESCUE_TYPES``)                          "golden 72 hours" of disaster
                                                                 rescue); one site = one
                                                                 trapped group (people per
                                                                 site are not modelled)
=======  ==========  ==============================  ==========  ================================

Which incidents a target applies to (its denominator): ``community`` — types needing a
community responder; ``ground`` and ``full`` — types needing any ground force (fire,
professional, social); ``fire`` — types needing the fire service; ``air`` — incidents that
called a helicopter; ``rescue`` — collapses and entrapments (:data:`RESCUE_TYPES`). An incident a target applies to whose arrival never happened counts as
missed (NaN arrival, in the denominator). When the incidents table has no column for the
arrival or the origin at all (an engine that does not record it), the target's rows carry
the count with NaN share and times: unknown, not met.

Later issues extend :data:`PRIMARY` (a name must stay unique per origin).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Arrival = Literal["community", "ground", "fire", "full", "air", "rescue"]
Origin = Literal["alarm", "onset", "dispatch"]

ARRIVAL_COLUMN: dict[str, str] = {
    "community": "first_community_s",
    "ground": "first_ground_s",
    "fire": "first_fire_s",
    "full": "full_s",
    "air": "first_air_s",
    "rescue": "first_ground_s",
}
"""Column of ``incidents.parquet`` holding each arrival (absolute s since run start)."""
ORIGIN_COLUMN: dict[str, str] = {"alarm": "alarm_s", "onset": "onset_s", "dispatch": "dispatch_s"}
"""Column of ``incidents.parquet`` holding each origin (absolute s since run start)."""


@dataclass(frozen=True)
class Target:
    """One response target: ``arrival`` within ``threshold_s`` seconds of ``origin``."""

    name: str
    threshold_s: float
    arrival: Arrival
    origin: Origin
    label: str = ""

    @property
    def key(self) -> str:
        """``name`` for the primary origin, ``name@onset`` etc. otherwise (summary keys)."""
        return (
            self.name
            if self.origin == PRIMARY_ORIGIN.get(self.name, self.origin)
            else f"{self.name}@{self.origin}"
        )


PRIMARY: tuple[Target, ...] = (
    Target("10min", 600.0, "community", "alarm", "10 min: community responder"),
    Target("30min", 1800.0, "ground", "alarm", "30 min: ground rescue"),
    Target("60min", 3600.0, "air", "alarm", "60 min: air rescue"),
    Target("5min", 300.0, "fire", "dispatch", "5 min: first fire vehicle after dispatch"),
    Target("8min", 480.0, "fire", "alarm", "8 min: first fire vehicle"),
    Target("full", 1800.0, "full", "alarm", "full first assignment in 30 min"),
    Target("rescue_6h", 6 * 3600.0, "rescue", "onset", "trapped people reached within 6 h"),
    Target("rescue_24h", 24 * 3600.0, "rescue", "onset", "trapped people reached within 24 h"),
    Target("rescue_72h", 72 * 3600.0, "rescue", "onset", "trapped people reached within 72 h"),
)
"""Each target at its primary origin (the headline three first, names as before)."""
PRIMARY_ORIGIN: dict[str, str] = {t.name: t.origin for t in PRIMARY}
HEADLINE: tuple[str, ...] = ("10min", "30min", "60min")
"""The mission's three targets (from the alarm)."""


def _onset(t: Target) -> Target:
    return Target(t.name, t.threshold_s, t.arrival, "onset", f"{t.label} (from onset)")


TARGETS: tuple[Target, ...] = PRIMARY + tuple(_onset(t) for t in PRIMARY if t.origin != "onset")
"""Every target row of ``compliance.csv``: the primary ones, then their onset variants (the
rescue targets are measured from the onset only)."""
RESCUE_TYPES: tuple[str, ...] = ("building_collapse", "technical_rescue")
"""Incident types with people trapped (collapses and entrapments): the ``rescue`` arrival
applies to them."""

CELL_MIN_INCIDENTS = 20
"""A ``cell:<id>`` row with fewer incidents than this shows its count but no share or
times (NaN): with 20 incidents and a true share of 0.9, the 95 % Wilson interval is already
about 0.70–0.97, so fewer would rank cells by noise."""


def target(name: str, origin: str | None = None) -> Target:
    """The registered target ``name`` at ``origin`` (default: its primary origin)."""
    origin = origin or PRIMARY_ORIGIN.get(name)
    for t in TARGETS:
        if t.name == name and t.origin == origin:
            return t
    raise KeyError(f"no target {name!r} from {origin!r}; known: {sorted({t.key for t in TARGETS})}")
