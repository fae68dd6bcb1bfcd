"""Crews and turnouts: a fire station turns out as one or two crews; the crew is what is busy.

A Chinese fire station (消防站) is a unit of command whose vehicles turn out together. Under
the ``station`` crew model (:data:`CREW_MODES`, the default) each fire station has a number
of crews (:func:`twin.sim.params.station_crews`: 1 for 小型站 and 二级普通站, 2 for
一级普通站 and 特勤站; or the same number for every station). A **turnout** is the vehicles
one station sends to one incident in one dispatch: the picks of a first assignment made in
a row at the same instant (the nearest stations send what they have, the rest comes from
the next), or a later request served from the station. A turnout holds one of the
station's crews from the dispatch order until the last of its vehicles is back at the
station; a vehicle sent from a scene straight to a queued request stays in its turnout.
While all of a station's crews are out (or away from readiness, :mod:`twin.sim.readiness`),
none of its free vehicles can be dispatched; when a crew frees, queued requests it can
serve are served (:func:`twin.sim.crews.serve_station`).

Under the ``vehicle`` model (the model before crews) every vehicle is its own crew: no
:class:`Turnouts` is attached to the pool and nothing here runs.

Arrays and plain lists only: the dispatcher masks its candidate stations with
:attr:`Turnouts.free` (one numpy comparison per dispatch).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from twin.sim.forces import Fleet
from twin.sim.params import station_crews

CREW_MODES: tuple[str, ...] = ("station", "vehicle")
"""``station`` (default): crews per station (above), the issue's model of a 消防站;
``vehicle``: every fire vehicle an independent crew (kept for paired comparisons)."""


def crews_of(units: np.ndarray, per_station: int = 0) -> np.ndarray:
    """Crews per station with ``units`` vehicles: by class (``per_station`` 0) or
    ``per_station`` for every station, never more than the station's vehicles."""
    n = int(per_station)
    if n < 0:
        raise ValueError(f"crews per station must be 0 (by class) or more, not {per_station}")
    units = np.asarray(units, np.int64)
    if n == 0:
        return np.array([station_crews(int(u)) for u in units.tolist()], np.int64)
    return np.minimum(np.maximum(units, 0), n).astype(np.int64)


class Turnout:
    """One crew's turnout: local station ``i``, opened at ``t0`` (s), vehicles still out."""

    __slots__ = ("i", "inc", "t0", "out")

    def __init__(self, i: int, inc: int, t0: float) -> None:
        self.i, self.inc, self.t0, self.out = i, inc, t0, 0


class Turnouts:
    """The crews of a pool's stations (local indices): free, out on turnouts, away."""

    def __init__(self, crews: np.ndarray, n_units: int, duration_s: float) -> None:
        self.total = np.asarray(crews, np.int64).copy()
        self.free = self.total.copy()
        """Crews free at each local station (not out, not away)."""
        self.of_unit: list[Turnout | None] = [None] * n_units
        self.forming: dict[tuple[int, int], Turnout] = {}
        """Turnouts opened at :attr:`forming_t`, by (station, incident): later picks of the
        same dispatch join them."""
        self.forming_t = -1.0
        self.busy = np.zeros(len(self.total))
        """Crew-seconds out on turnouts per station, within the run (not the drain)."""
        self.count = np.zeros(len(self.total), np.int64)
        """Turnouts per station."""
        self.duration = duration_s
        self.open: set[Turnout] = set()
        self.stations = np.arange(len(self.total))
        """Fleet index of each local station (for :meth:`per_station`)."""
        self.n_stations = len(self.total)

    def joinable(self, inc: int, now: float) -> list[int]:
        """Local stations whose turnout to incident ``inc`` is forming at ``now``."""
        if now != self.forming_t:
            return []
        return [i for (i, k) in self.forming if k == inc]

    def can_send(self, i: int, inc: int, now: float) -> bool:
        """May station ``i`` send a free vehicle to ``inc`` at ``now`` (a crew free, or its
        turnout to ``inc`` forming now)?"""
        return bool(self.free[i] > 0) or (now == self.forming_t and (i, inc) in self.forming)

    def dispatch(self, i: int, inc: int, unit: int, now: float) -> None:
        """Vehicle ``unit`` leaves station ``i`` for ``inc``: it joins the turnout forming
        there for ``inc``, or a free crew opens a new one."""
        if now != self.forming_t:
            self.forming.clear()
            self.forming_t = now
        t = self.forming.get((i, inc))
        if t is None:
            if self.free[i] <= 0:
                raise RuntimeError(f"station {i} has no free crew to send")
            self.free[i] -= 1
            self.count[i] += 1
            t = self.forming[(i, inc)] = Turnout(i, inc, now)
            self.open.add(t)
        t.out += 1
        self.of_unit[unit] = t

    def home(self, unit: int, now: float) -> bool:
        """Vehicle ``unit`` is back at its station; True if that freed its crew (the last
        vehicle of its turnout home)."""
        t = self.of_unit[unit]
        if t is None:
            return False
        self.of_unit[unit] = None
        t.out -= 1
        if t.out > 0:
            return False
        self.free[t.i] += 1
        self.open.discard(t)
        self._count(t, now)
        if self.forming.get((t.i, t.inc)) is t:
            del self.forming[(t.i, t.inc)]
        return True

    def away(self, i: int) -> bool:
        """A crew of station ``i`` leaves readiness if one is free; True if one left."""
        if self.free[i] <= 0:
            return False
        self.free[i] -= 1
        return True

    def back(self, i: int) -> None:
        """A crew of station ``i`` is back to readiness."""
        self.free[i] += 1

    def _count(self, t: Turnout, until: float) -> None:
        end = self.duration
        self.busy[t.i] += max(min(until, end) - min(t.t0, end), 0.0)

    def close_open(self) -> None:
        """Count the crew time of turnouts still open when the drain was cut."""
        for t in self.open:
            self._count(t, self.duration)
        self.open.clear()

    def per_station(self) -> dict[str, np.ndarray]:
        """``station_crews``, ``crew_busy_s`` and ``turnouts`` per fleet station (0 at the
        stations without crews), for :class:`twin.sim.engine.SimResult`."""
        out = {}
        for key, v in (
            ("station_crews", self.total),
            ("crew_busy_s", self.busy),
            ("turnouts", self.count),
        ):
            a = np.zeros(self.n_stations, v.dtype)
            a[self.stations] = v
            out[key] = a
        return out


class CrewSettings(Protocol):
    """What :func:`station_turnouts` reads of the engine config."""

    @property
    def crews(self) -> str: ...

    @property
    def crews_per_station(self) -> int: ...


def station_turnouts(
    settings: CrewSettings,
    stations: np.ndarray,
    fleet: Fleet,
    arrive_s: np.ndarray,
    duration_s: float,
) -> Turnouts | None:
    """The crews of the fire ``stations`` (fleet indices) under ``settings.crews``
    (:data:`CREW_MODES`; ``vehicle`` or no stations: None) and ``crews_per_station``.
    Reinforcement groups (``arrive_s`` > 0) come as one crew per vehicle (teams from
    outside arrive crewed: assumption, :mod:`twin.sim.reinforcement`)."""
    mode = settings.crews
    if mode not in CREW_MODES:
        raise ValueError(f"unknown crew model {mode!r}; use one of {CREW_MODES}")
    if mode != "station" or len(stations) == 0:
        return None
    units = fleet.station_units[stations]
    crews = np.where(arrive_s[stations] > 0, units, crews_of(units, settings.crews_per_station))
    out = Turnouts(crews, len(fleet.unit_ids), duration_s)
    out.stations, out.n_stations = stations, len(fleet.station_ids)
    return out
