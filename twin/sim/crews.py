"""Units' busy spells: dispatched → (turnout) → en route → on scene → [next queued …] →
returning → available.

:class:`Crews` takes a free unit from its pool, runs one lean SimPy process per busy spell,
logs the departures (and mutual aid: a district-level unit crossing into another
district, counted for dispatches from a station and from a scene alike), hands arrivals
to the incident lifecycle, asks the queues for the next request when the unit is done
(it drives there from the scene), otherwise sends it home and counts its busy time.
A unit of a force with ``max_on_scene_s`` (air) leaves after that long unless it leads.
With crews (:mod:`twin.sim.turnouts`, a pool's ``turnouts``) a departure from the station
joins or opens its station's turnout; a vehicle home is given back to its station, and
when that frees the crew (or another crew is free) the station serves the queue
(:func:`serve_station`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Generator

import simpy
from simpy.events import URGENT

from twin.sim.dispatch import Pool
from twin.sim.events import (
    AVAILABLE,
    BLOCKED,
    DISPATCHED,
    EN_ROUTE,
    MUTUAL_AID,
    RELEASED,
    RETURNING,
    EventLog,
)
from twin.sim.kinds import ANY
from twin.sim.lifecycle import GROUND, Inc, Lifecycle
from twin.sim.movement import Movement, Trip
from twin.sim.queues import Queues


class Crews:
    """The units' busy spells and their counters (busy time, dispatches, mutual aid)."""

    def __init__(
        self,
        env: simpy.Environment,
        log: EventLog,
        movement: Movement,
        life: Lifecycle,
        queues: Queues,
        station_district: list[int],
        n_units: int,
        n_stations: int,
        duration_s: float,
    ) -> None:
        self.env, self.log, self.mv, self.life, self.queues = env, log, movement, life, queues
        self.station_district, self.duration = station_district, duration_s
        self.busy_since = [0.0] * n_units
        self.busy_l = [0.0] * n_units  # s busy per unit within the run (:meth:`_count_busy`)
        self.dispatch_l = [0] * n_stations  # per fleet station, from stations and scenes
        self.mutual: Counter = Counter()
        self.proc: list[simpy.Process | None] = [None] * n_units
        self.working: dict[int, tuple[Pool, Inc, float, simpy.Event]] = {}
        """Ground units at work on a scene: unit → (pool, incident, since, release event)."""
        self.crew: Counter = Counter()
        """Ground units at work per incident id."""
        self.last_leg: Callable[[int, Pool, Inc], tuple[float, str]] = lambda u, p, i: (
            0.0,
            "drive",
        )
        """Seconds and means of unit ``u``'s last stretch to the place from where it parked
        (set by the run: :func:`twin.sim.access.last_leg`)."""

    def start(self, inc: Inc, pool: Pool, i: int, kind: int = ANY) -> None:
        """Send a free unit (of vehicle ``kind``) of local station ``i`` of ``pool`` to
        ``inc``."""
        self.start_unit(inc, pool, i, pool.take(i, kind))

    def start_unit(self, inc: Inc, pool: Pool, i: int, u: int) -> None:
        """Send unit ``u`` (already taken from local station ``i``'s free units) to ``inc``."""
        self.busy_since[u] = self.env.now
        trip = self.depart(u, pool, i, inc, -1)  # planned now, under today's closures
        if lean(pool):
            LeanSpell(self, u, pool, i, inc).start(trip)
        else:
            self.proc[u] = self.env.process(self.spell(u, pool, i, inc, trip))

    def ready_again(self, pool: Pool, i: int, u: int) -> None:
        """Unit ``u``, free at local station ``i`` (back to readiness), serves the oldest
        queued request it can, or waits at its station."""
        nxt = self.queues.next_for(pool, -1, i, u) if pool.queue else None
        if nxt is None:
            pool.give_back(i, u)
        else:
            self.start_unit(nxt, pool, i, u)

    def depart(self, u: int, pool: Pool, i: int, inc: Inc, scene: int) -> Trip:
        """Start unit ``u``'s leg to ``inc`` from its station (``scene`` < 0) or a scene."""
        now = self.env.now
        z = inc.next_noise() if pool.spec.mode == "road" else None
        trip, origin, blocked = self.mv.to_scene(u, pool, i, inc.id, inc.node, scene, now, z)
        station = pool.stations_l[i]
        frm = self.station_district[station]
        if scene < 0 and pool.turnouts is not None:
            pool.turnouts.dispatch(i, inc.id, u, now)
        self.dispatch_l[station] += 1
        if pool.force == inc.lead:
            inc.lead_sent = True
        if pool.force in GROUND:
            inc.crewed = True
        ev = self.log.add
        ev((now, DISPATCHED, inc.id, u, inc.node, frm, inc.district))
        if frm != inc.district and pool.spec.level == "district":
            inc.mutual_aid = True
            self.mutual[(frm, inc.district)] += 1
            ev((now, MUTUAL_AID, inc.id, u, inc.node, frm, inc.district))
        if blocked:
            ev((now, BLOCKED, inc.id, u, origin, -1, -1))
        ev((trip.depart, EN_ROUTE, inc.id, u, origin, -1, -1))
        return trip

    def _travel(self, trip: Trip) -> Generator[simpy.Event, None, None]:
        """Wait until the trip's arrival (a re-route may move it earlier: interrupt)."""
        env = self.env
        while trip.arrive - env.now > 1e-9:
            try:
                yield env.timeout(trip.arrive - env.now)
            except simpy.Interrupt:
                pass

    def spell(
        self, u: int, pool: Pool, i: int, inc: Inc, trip: Trip
    ) -> Generator[simpy.Event, None, None]:
        """Process: unit ``u`` drives ``trip`` to ``inc``, serves it (and queued incidents
        after it), then goes home."""
        env = self.env
        while True:
            yield from self._travel(trip)
            self.mv.arrived(trip, env.now, True)
            leg, means = self.last_leg(u, pool, inc)
            if leg > 0:  # the last stretch into flood water: by boat, wading or on foot
                yield env.timeout(leg)
            if means != "edge" and inc.reached_s != inc.reached_s:
                inc.reached_s, inc.reached_by = env.now, means
            self.life.on_scene(u, pool.force, inc, trip.ordered, trip.depart)
            self.mv.record_route(trip)
            if not inc.cleared:
                cap = pool.spec.max_on_scene_s
                if cap is not None and pool.force != inc.lead:
                    yield env.any_of((self.life.done(inc), env.timeout(cap)))
                elif pool.force in GROUND:
                    yield from self._work(u, pool, inc)
                else:
                    yield self.life.done(inc)
            scene = inc.node
            if pool.queue:
                nxt = self.queues.next_for(pool, scene, i, u)
                if nxt is not None:
                    inc = nxt
                    trip = self.depart(u, pool, i, inc, scene)
                    continue
            self.log.add((env.now, RETURNING, inc.id, u, scene, -1, -1))
            trip, blocked = self.mv.home(u, pool, i, inc.id, scene, env.now)
            if blocked:
                self.log.add((env.now, BLOCKED, inc.id, u, scene, -1, -1))
            yield from self._travel(trip)
            self.mv.arrived(trip, env.now, False)
            self.mv.record_route(trip)
            if pool.turnouts is not None:  # crews: back in the station, its crews serve
                self._home(u, pool, i, trip.dest)
                return
            nxt = self.queues.next_for(pool, -1, i, u) if pool.queue else None
            if nxt is None:
                pool.give_back(i, u)
                self._count_busy(u, env.now)
                self.log.add((env.now, AVAILABLE, -1, u, trip.dest, -1, -1))
                self.log.last_t = env.now
                return
            inc = nxt
            trip = self.depart(u, pool, i, inc, -1)

    def _home(self, u: int, pool: Pool, i: int, node: int) -> None:
        """Vehicle ``u`` is back at local station ``i`` (crews): free, its turnout one
        vehicle fewer (the last frees the crew), then the station serves the queue."""
        now = self.env.now
        pool.give_back(i, u)
        self._count_busy(u, now)
        self.log.add((now, AVAILABLE, -1, u, node, -1, -1))
        self.log.last_t = now
        assert pool.turnouts is not None
        pool.turnouts.home(u, now)
        serve_station(self, pool, i)

    def _work(self, u: int, pool: Pool, inc: Inc) -> Generator[simpy.Event, None, None]:
        """Ground unit ``u`` works at ``inc`` until it is cleared or the unit is released
        (:meth:`release`)."""
        ev = self.env.event()
        self.working[u] = (pool, inc, self.env.now, ev)
        self.crew[inc.id] += 1
        yield self.env.any_of((self.life.done(inc), ev))
        if self.working.pop(u, None) is not None:
            self.crew[inc.id] -= 1

    def release(self, pool: Pool, after_s: float) -> bool:
        """Release the unit of ``pool`` longest at work on a scene, if it has worked there
        ``after_s`` or more and another ground unit stays; True if one was released (it
        then serves the queue, see :mod:`twin.sim.surge`)."""
        now, best, since = self.env.now, -1, float("inf")
        for u, (p, inc, t, _) in self.working.items():
            if p is pool and now - t >= after_s and self.crew[inc.id] >= 2 and t < since:
                best, since = u, t
        if best < 0:
            return False
        _, inc, _, ev = self.working.pop(best)
        self.crew[inc.id] -= 1
        self.log.add((now, RELEASED, inc.id, best, inc.node, -1, -1))
        ev.succeed()
        return True

    def _count_busy(self, u: int, until: float) -> None:
        """Add unit ``u``'s busy spell up to ``until`` — within the run, not the drain."""
        end = self.duration
        self.busy_l[u] += max(min(until, end) - min(self.busy_since[u], end), 0.0)

    def close_open_spells(self, pools: list[Pool]) -> None:
        """Count the busy time of spells (and crews' turnouts) still open when the drain
        was cut."""
        for pool in pools:
            if pool.turnouts is not None:
                pool.turnouts.close_open()
        free = {u for pool in pools for stack in pool.stack for u in stack}
        for u in range(len(self.busy_l)):
            if u not in free:
                self._count_busy(u, self.duration)


def serve_station(crews: Crews, pool: Pool, i: int) -> None:
    """Local station ``i`` of a pool with crews sends its free vehicles to the queued
    requests its crews can serve (a crew free, or its turnout to that incident forming
    now), first by priority and age; each vehicle (last freed first) takes the first request
    it can serve. Called when a vehicle is home and when a crew is back to readiness."""
    tos = pool.turnouts
    if tos is None:
        return
    now = crews.env.now

    def ok(inc: Inc) -> bool:
        return tos.can_send(i, inc.id, now)

    while pool.queue and pool.free_l[i] > 0:
        for u in reversed(pool.stack[i]):
            nxt = crews.queues.next_for(pool, -1, i, u, ok)
            if nxt is not None:
                pool.take_unit(i, u)
                crews.start_unit(nxt, pool, i, u)
                break
        else:
            return


def lean(pool: Pool) -> bool:
    """Whether a unit of ``pool`` runs its busy spells as a :class:`LeanSpell`: it walks or
    flies (closures never re-route it, so it needs no process to interrupt), it is not a
    ground crew (never released from a scene, :meth:`Crews.release`), it stays on scene
    until the work is done (no ``max_on_scene_s``) and has no station crews — in practice
    community responders, 95 % of the municipality's calls."""
    spec = pool.spec
    return (
        spec.mode != "road"
        and pool.force not in GROUND
        and spec.max_on_scene_s is None
        and pool.turnouts is None
    )


class LeanSpell:
    """The busy spell of a unit of a :func:`lean` pool: the steps of :meth:`Crews.spell` (same
    log rows, the same timeouts created at the same moments, the same callbacks waiting on
    the incident's clearing) run as event callbacks instead of a SimPy process — no start
    and end events and no generator per spell. :meth:`go` is :meth:`Crews._travel`: wait
    until the leg's arrival, re-checked at each wake-up (at a year's times one timeout can
    end an ulp short of the arrival). Tested against the process on hand-made cases
    (``tests/test_lean_spell.py``)."""

    __slots__ = ("crews", "u", "pool", "i", "inc", "trip", "homebound")

    def __init__(self, crews: Crews, u: int, pool: Pool, i: int, inc: Inc) -> None:
        self.crews, self.u, self.pool, self.i, self.inc = crews, u, pool, i, inc
        self.homebound = False

    def start(self, trip: Trip) -> None:
        """Leave for the scene by ``trip``: the first step when a process would take it."""
        self.trip = trip
        Begin(self.crews.env, self._moved)

    def go(self, trip: Trip, homebound: bool) -> None:
        """Travel ``trip`` (to the scene, or home when ``homebound``) from now."""
        self.trip, self.homebound = trip, homebound
        self._moved(None)

    def _moved(self, _: simpy.Event | None) -> None:
        env = self.crews.env
        wait = self.trip.arrive - env.now
        if wait > 1e-9:
            env.timeout(wait).callbacks.append(self._moved)
        elif self.homebound:
            self._home()
        else:
            self._arrived()

    def _arrived(self) -> None:
        c, trip = self.crews, self.trip
        c.mv.arrived(trip, c.env.now, True)
        leg, means = c.last_leg(self.u, self.pool, self.inc)
        if leg > 0:  # the last stretch into flood water
            c.env.timeout(leg).callbacks.append(lambda _: self._on_scene(means))
        else:
            self._on_scene(means)

    def _on_scene(self, means: str) -> None:
        c, inc, trip = self.crews, self.inc, self.trip
        if means != "edge" and inc.reached_s != inc.reached_s:
            inc.reached_s, inc.reached_by = c.env.now, means
        c.life.on_scene(self.u, self.pool.force, inc, trip.ordered, trip.depart)
        c.mv.record_route(trip)
        if not inc.cleared:
            done = c.life.done(inc)
            if done.callbacks is not None:  # not yet processed: wait for it (as a process)
                done.callbacks.append(self._done)
                return
        self._done(None)

    def _done(self, _: simpy.Event | None) -> None:
        c, pool, u, i, inc = self.crews, self.pool, self.u, self.i, self.inc
        now, scene = c.env.now, inc.node
        if pool.queue:
            nxt = c.queues.next_for(pool, scene, i, u)
            if nxt is not None:
                self.inc = nxt
                self.go(c.depart(u, pool, i, nxt, scene), False)
                return
        c.log.add((now, RETURNING, inc.id, u, scene, -1, -1))
        trip, blocked = c.mv.home(u, pool, i, inc.id, scene, now)
        if blocked:
            c.log.add((now, BLOCKED, inc.id, u, scene, -1, -1))
        self.go(trip, True)

    def _home(self) -> None:
        c, pool, u, i, trip = self.crews, self.pool, self.u, self.i, self.trip
        now = c.env.now
        c.mv.arrived(trip, now, False)
        c.mv.record_route(trip)
        nxt = c.queues.next_for(pool, -1, i, u) if pool.queue else None
        if nxt is None:
            pool.give_back(i, u)
            c._count_busy(u, now)
            c.log.add((now, AVAILABLE, -1, u, trip.dest, -1, -1))
            c.log.last_t = now
            return
        self.inc = nxt
        self.go(c.depart(u, pool, i, nxt, -1), False)


class Begin(simpy.Event):
    """An event that has happened, processed before the other events of this instant that
    were scheduled after it — how SimPy starts a process (``simpy.events.Initialize``),
    calling ``callback`` instead of a generator."""

    def __init__(self, env: simpy.Environment, callback: Callable[[simpy.Event], None]) -> None:
        self.env = env
        self.callbacks = [callback]
        self._value = None
        self._ok = True
        env.schedule(self, URGENT)
