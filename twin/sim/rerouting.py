"""Road closures during a run, and the re-routing of units on the road.

Closures (timeline :class:`~twin.hazards.timeline.ClosureEvent`): at each start/end the
closed-edge mask changes. Units on the road whose way the change may touch (landmark
lower-bound test) keep their progress: each one's path is rebuilt from predecessor arrays
under the old state; the unit completes the edge it is on (closures bar entry, they do not
remove a vehicle already on the edge) and from that node takes the new shortest path (one
Dijkstra per affected unit). A unit whose destination became unreachable keeps its plan
and a ``blocked`` event is logged (it is assumed escorted through). Then the queues retry:
requests that a free unit can now reach are sent.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Generator

import numpy as np
import simpy
from simpy.events import Initialize

from twin.hazards.timeline import ClosureEvent
from twin.sim.events import BLOCKED, CLOSURE_END, CLOSURE_START, REROUTE, EventLog
from twin.sim.movement import Movement, Trip, walk


class Closures:
    """Applies closures over time and re-plans the road trips they touch.

    ``proc[u]`` is unit ``u``'s SimPy process (woken when its new arrival is earlier);
    ``retry`` is called after every change (the queues send what became reachable).
    """

    def __init__(
        self,
        env: simpy.Environment,
        log: EventLog,
        movement: Movement,
        edge_time_s: np.ndarray,
        proc: list[simpy.Process | None],
        retry: Callable[[], None],
    ) -> None:
        self.env, self.log, self.mv, self.rt = env, log, movement, movement.rt
        self.edge_time_s, self.proc, self.retry = edge_time_s, proc, retry
        self.closed_count = np.zeros(len(edge_time_s), np.int64)

    def process(self, c: ClosureEvent, duration_s: float) -> Generator[simpy.Event, None, None]:
        """Process: close the edges of ``c`` over [start, end) (ends after the run never)."""
        env = self.env
        edges = np.asarray(c.edges, np.int64)
        if c.start_s > env.now:
            yield env.timeout(c.start_s - env.now)
        self.changed(CLOSURE_START, edges, +1)
        if c.end_s < duration_s:
            yield env.timeout(c.end_s - env.now)
            self.changed(CLOSURE_END, edges, -1)

    def changed(self, kind: int, edges: np.ndarray, delta: int) -> None:
        """Apply a closure change; units on the road whose way it may touch re-plan."""
        now = self.env.now
        rt = self.rt
        a, b, k = rt.closed_pairs(edges)
        suspects = self.suspects(now, a, b, k)
        for trip in suspects:  # in unit order: their paths under the old closures
            self.mv.ensure_path(trip)
        np.add.at(self.closed_count, edges, delta)
        rt.set_closed(self.closed_count > 0)
        self.log.log(now, kind)
        for trip in suspects:
            self.reroute(trip)
        self.retry()

    def suspects(self, now: float, a: np.ndarray, b: np.ndarray, k: np.ndarray) -> list[Trip]:
        """The road trips under way (in unit order) whose way may use a changed pair a → b
        (edges ``k``): the landmark test of :meth:`RoadTimes.may_use`, for all the trips of
        a period at once."""
        moving = self.mv.moving
        trips = [moving[u] for u in sorted(moving) if moving[u].arrive > now]
        use = np.zeros(len(trips), bool)
        base = self.edge_time_s[k]
        for p in sorted({t.period for t in trips}):
            idx = [n for n, t in enumerate(trips) if t.period == p]
            sel = [trips[n] for n in idx]
            use[idx] = self.rt.may_use_many(
                np.array([t.origin for t in sel], np.int64),
                np.array([t.dest for t in sel], np.int64),
                np.array([t.arrive - t.depart for t in sel], float),
                a,
                b,
                base * self.rt.factors[p][k],
                p,
            )
        return [t for t, hit in zip(trips, use, strict=True) if hit]

    def reroute(self, trip: Trip) -> None:
        """Re-plan a road trip under the new closures, keeping its progress."""
        now = self.env.now
        if trip.arrive <= now or not trip.path or trip.times is None:
            return
        if now <= trip.depart:
            k_idx = 0
        else:
            k_idx = min(bisect_right(trip.times, now), len(trip.path) - 1)
        t_pos, k = trip.times[k_idx], trip.path[k_idx]
        if k == trip.dest:
            return
        rest = trip.path[k_idx:]
        w = self.mv.weights(rest, trip.period)
        dist, pred = self.rt.tree_to(k, trip.dest, trip.arrive - t_pos, trip.period)
        new = float(dist[trip.dest])
        if np.isfinite(w).all() and (w > 0).all() and new >= trip.arrive - t_pos - 0.5:
            return
        if not math.isfinite(new):
            self.log.log(now, BLOCKED, trip.inc, trip.unit, k)
            return
        tail = walk(pred, trip.dest, k, forward=False)
        cum = self.mv.path_times(tail, trip.period)
        trip.path = trip.path[:k_idx] + tail
        trip.times = trip.times[:k_idx] + [t_pos + c for c in cum]
        earlier = t_pos + new < trip.arrive
        trip.arrive = t_pos + new
        self.log.log(now, REROUTE, trip.inc, trip.unit, k)
        proc = self.proc[trip.unit]
        if earlier and proc is not None and not isinstance(proc.target, Initialize):
            proc.interrupt("reroute")  # wake it sooner; a later arrival needs no wake-up
