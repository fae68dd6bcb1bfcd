"""Reinforcement from outside the study area (跨区域增援): teams that arrive on a schedule.

A :class:`Reinforcement` says which force, how many units, when they arrive (s after the
start of the run) and where they stage. They are added to the fleet as extra stations at
the places of existing stations of their force (station id
``reinf:<name>@<station_id>``), so they use the same travel-time rows (no new path
search), and held back — present in the fleet, not free — until their arrival time, when
they become free at their staging station like any unit (event ``reinforced``).

Staging: the stations named in ``staging``, or by default spread evenly over the force's
stations (unit ``j`` of ``n`` to station ``⌊j·S/n⌋`` of the ``S`` stations in id order):
teams arriving from outside report to local stations, which guide them into their areas
(assumption; in practice a 集结点 staging area, then sectors assigned by the command).
Everything about a reinforcement unit after it arrives is its force's: turnout, speeds,
vehicle kind (fire: ``water_tender``, an assumption), wading limit.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, replace

import numpy as np
import simpy

from twin.scenario.spec import Scenario
from twin.sim.dispatch import Pool
from twin.sim.events import REINFORCED, EventLog
from twin.sim.forces import FORCES, Fleet

REINFORCEMENT_KIND = "water_tender"
"""Vehicle kind of fire reinforcement units (assumption: the 增援 columns bring water
tenders and rescue vehicles; kinds matter only for wading limits)."""


@dataclass(frozen=True)
class Reinforcement:
    """``units`` units of ``force`` arriving ``arrive_s`` after the start of the run,
    staged at ``staging`` (station ids; empty: spread over the force's stations)."""

    name: str
    force: str
    units: int
    arrive_s: float
    staging: tuple[str, ...] = ()


def reinforcements_of(scenario: Scenario) -> tuple[Reinforcement, ...]:
    """The scenario's ``[[reinforcement]]`` entries, times in seconds."""
    return tuple(
        Reinforcement(r.name, r.force, r.units, r.arrive_h * 3600.0, tuple(r.staging))
        for r in scenario.reinforcement
    )


def staging_counts(fleet: Fleet, r: Reinforcement) -> list[tuple[int, int]]:
    """(station index, units) of reinforcement ``r`` over its staging stations."""
    ids = fleet.station_ids.tolist()
    if r.staging:
        hosts = [ids.index(s) for s in r.staging]
    else:
        f = FORCES.index(r.force)
        hosts = np.flatnonzero(fleet.station_force == f).tolist()
    if not hosts or r.units <= 0:
        return []
    counts = np.bincount(np.arange(r.units) * len(hosts) // r.units, minlength=len(hosts))
    return [(h, int(c)) for h, c in zip(hosts, counts.tolist()) if c > 0]


def with_reinforcements(
    fleet: Fleet, reinforcements: tuple[Reinforcement, ...]
) -> tuple[Fleet, np.ndarray]:
    """The fleet with the reinforcements' staging stations appended, and each station's
    arrival time (s; 0 for the city's own stations)."""
    arrive = [0.0] * len(fleet.station_ids)
    if not reinforcements:
        return fleet, np.zeros(len(arrive))
    cols: dict[str, list] = {
        k: list(getattr(fleet, k))
        for k in ("station_ids", "station_force", "station_district", "station_node")
    }
    xy, units = [fleet.station_xy], list(fleet.station_units)
    unit_station, unit_ids = list(fleet.unit_station), list(fleet.unit_ids)
    cls = list(fleet.station_class) if fleet.station_class is not None else None
    kind = list(fleet.unit_kind) if fleet.unit_kind is not None else None
    for r in reinforcements:
        for host, n in staging_counts(fleet, r):
            s = len(cols["station_ids"])
            sid = f"reinf:{r.name}@{fleet.station_ids[host]}"
            cols["station_ids"].append(sid)
            cols["station_force"].append(FORCES.index(r.force))
            cols["station_district"].append(fleet.station_district[host])
            cols["station_node"].append(fleet.station_node[host])
            xy.append(fleet.station_xy[host : host + 1])
            units.append(n)
            arrive.append(r.arrive_s)
            unit_station += [s] * n
            unit_ids += [f"{sid}/{k + 1}" for k in range(n)]
            if cls is not None:
                cls.append("")
            if kind is not None:
                kind += [REINFORCEMENT_KIND if r.force == "fire" else ""] * n
    new = replace(
        fleet,
        station_ids=np.array(cols["station_ids"], object),
        station_force=np.array(cols["station_force"], np.int64),
        station_district=np.array(cols["station_district"], np.int64),
        station_node=np.array(cols["station_node"], np.int64),
        station_xy=np.concatenate(xy),
        station_units=np.array(units, np.int64),
        unit_station=np.array(unit_station, np.int64),
        unit_ids=np.array(unit_ids, object),
        station_class=None if cls is None else np.array(cls, object),
        unit_kind=None if kind is None else np.array(kind, object),
    )
    return new, np.array(arrive)


class Arrivals:
    """Holds reinforcement units back until their arrival, then frees them."""

    def __init__(
        self, env: simpy.Environment, log: EventLog, pools: list[Pool], arrive_s: np.ndarray
    ) -> None:
        self.env, self.log, self.pools, self.arrive = env, log, pools, arrive_s
        self.arrived = 0
        self.held: list[tuple[float, Pool, int, list[int]]] = []
        for pool in pools:
            for i, st in enumerate(pool.stations.tolist()):
                if self.arrive[st] > 0:
                    units = list(pool.stack[i])
                    for u in units:
                        pool.take_unit(i, u)
                    pool.withheld += len(units)
                    self.held.append((float(self.arrive[st]), pool, i, units))
        self.held.sort(key=lambda h: h[0])

    def count(self) -> int:
        """Reinforcement units arrived so far."""
        return self.arrived

    def process(
        self, until_s: float, on_arrival: Callable[[], None]
    ) -> Generator[simpy.Event, None, None]:
        """Process: free each group of units at its arrival time (before ``until_s``) and
        call ``on_arrival`` (the queues' retry: waiting requests take them)."""
        env = self.env
        for t, pool, i, units in self.held:
            if t >= until_s:
                break
            if t > env.now:
                yield env.timeout(t - env.now)
            for u in units:
                pool.withheld -= 1
                pool.give_back(i, u)
                self.arrived += 1
                self.log.add((env.now, REINFORCED, -1, u, -1, -1, -1))
            on_arrival()
