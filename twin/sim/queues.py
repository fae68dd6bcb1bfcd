"""The queues of requests and who serves them next.

A request for a unit of a force is sent at once when the dispatcher finds a free unit
that can reach the place (:class:`~twin.sim.dispatch.Dispatcher`); otherwise it waits in
the force's queue (``queued``; served by priority, then age: :mod:`twin.sim.priority`) —
or, when no unit of the force could ever reach it, it is dropped (``no_unit``). A unit
that frees up serves the first queued request (by priority, then age) it can reach, from where it is (:meth:`Queues.next_for`); after a closure change the road
queues are retried in order (:meth:`Queues.retry`). A request for a fire vehicle of a kind
(:mod:`twin.sim.kinds`) waits for a vehicle of that kind: the queue holds the incident,
the incident the kinds of its waiting requests (``Inc.kinds_q``, in order).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from twin.sim.dispatch import Dispatcher, Pool
from twin.sim.events import GROUNDED, QUEUED, EventLog
from twin.sim.forces import FORCES
from twin.sim.kinds import ANY, serves
from twin.sim.lifecycle import GROUND, Inc, Lifecycle
from twin.sim.movement import XY
from twin.sim.priority import PriorityQueue, first_crew_force
from twin.sim.road_times import RoadTimes

Start = Callable[[Inc, Pool, int, int], None]
"""Send a free unit of local station ``i`` of a pool to an incident."""


class Queues:
    """Per-force request queues (held in the pools) and the choice of the next request."""

    def __init__(
        self,
        pools: list[Pool],
        disp: Dispatcher,
        rt: RoadTimes,
        log: EventLog,
        life: Lifecycle,
        node_xy: list[XY],
        now: Callable[[], float],
        grounded: Callable[[float], bool] = lambda t: False,
    ) -> None:
        self.pools, self.disp, self.rt, self.log = pools, disp, rt, log
        self.grounded = grounded
        self.life, self.node_xy, self.now = life, node_xy, now
        self.start: Start = _unset
        self.surge_active: Callable[[], bool] = lambda: False
        """Is a surge declared (:mod:`twin.sim.surge`)?"""
        self.opened: Callable[[Inc], None] = lambda inc: None
        """Told of every incident requesting units (the surge counts open incidents)."""

    def send(self, inc: Inc, f: int, kind: int = ANY) -> None:
        """Dispatch one unit of force ``f`` (of vehicle ``kind``) to ``inc`` (or queue the
        request)."""
        pool = self.pools[f]
        now = self.now()
        self.opened(inc)
        if pool.total == 0:
            self.life.no_unit(inc, f)
            return
        if f in GROUND and self.surge_active() and self._defers(inc, f, kind):
            return
        mode = pool.spec.mode
        if mode == "air" and self.grounded(now):  # dark or fog: the request is refused
            self.log.add((now, GROUNDED, inc.id, -1, inc.node, -1, inc.district))
            return
        if mode == "road":
            join = pool.turnouts.joinable(inc.id, now) if pool.turnouts is not None else ()
            i, reach, kind = self.disp.pick_kind(pool, inc.node, inc.district, now, kind, join)
        elif mode == "foot":
            i, reach = self.disp.pick_foot(pool, self.node_xy[inc.node], inc.near, now), True
        else:
            i, reach = self.disp.pick_air(pool, self.node_xy[inc.node]), True
        if i < 0:
            if reach:
                pool.queue.append(inc)
                if pool.kind is not None:
                    inc.kinds_q.append(kind)
                inc.queued = True
                self.log.add((now, QUEUED, inc.id, -1, inc.node, -1, inc.district))
            else:
                self.life.no_unit(inc, f)
            return
        self.start(inc, pool, i, kind)

    def _defers(self, inc: Inc, f: int, kind: int) -> bool:
        """Under a surge: defer this ground request unless it is the site's first crew —
        from the first needed ground force with a free unit (:func:`first_crew_force`)."""
        if not inc.first_crew:
            needs = [(FORCES.index(name), n) for name, n in inc.type.needs]
            if f == first_crew_force(self.pools, needs, GROUND):
                inc.first_crew = True
                return False
        self.defer(inc, f, kind)
        return True

    def defer(self, inc: Inc, f: int, kind: int = ANY) -> None:
        """Queue a request of force ``f`` (vehicle ``kind``) for ``inc`` behind every site
        still waiting for its first crew (stage 1: a surge's reinforcement,
        :mod:`twin.sim.surge`). Only for a force with units: its only caller, :meth:`send`
        (by ``_defers``), has answered ``no_unit`` for a force without (``Pool.total`` is
        fixed when the pools are built)."""
        pool = self.pools[f]
        self._requeue(pool, inc, kind, 1)
        inc.queued = True
        self.log.add((self.now(), QUEUED, inc.id, -1, inc.node, -1, inc.district))

    def next_for(
        self,
        pool: Pool,
        scene: int,
        i: int,
        unit: int = -1,
        ok: Callable[[Inc], bool] | None = None,
    ) -> Inc | None:
        """The first queued incident (by priority, then age) still waiting for this force
        that the unit ``unit`` of local station ``i``, at ``scene`` (−1: at its station),
        can reach and serve (a request for its vehicle kind or any) and that ``ok`` admits
        (the station's crews, :func:`twin.sim.crews.serve_station`); None if none."""
        q = pool.queue
        while q and q[0].cleared:
            q.popleft()
        if not q:
            return None
        if pool.spec.mode != "road":
            return q.popleft()
        p = self.rt.period(self.now() + pool.spec.turnout_s)
        reach: Callable[[int], bool]
        if scene >= 0:
            reach = self.rt.reaches(scene, p)
        else:
            rows = pool.rows[i : i + 1]
            reach = lambda node: bool(self.rt.to_node(rows, node, p)[0] < math.inf)  # noqa: E731
        kinds = pool.kind if unit >= 0 else None
        for k, inc in enumerate(q):
            if inc.cleared or (ok is not None and not ok(inc)):
                continue
            j = -1
            if kinds is not None:
                j = next((n for n, r in enumerate(inc.kinds_q) if serves(r, kinds[unit])), -1)
                if j < 0:
                    continue
            if reach(inc.node):
                del q[k]
                if kinds is not None:
                    del inc.kinds_q[j]
                return inc
        return None

    def retry(self) -> None:
        """After a closure change, queued requests a free road unit can now reach are sent
        (in queue order)."""
        for pool in self.pools:
            if not pool.queue or pool.spec.mode != "road" or not np.any(pool.free):
                continue
            waiting, pool.queue = pool.queue, PriorityQueue()
            can = pool.sendable()  # kept current after each start
            reach = self._free_reach(pool) if can else None
            for k, inc in enumerate(waiting):
                if inc.cleared:
                    continue
                stage = waiting.stage(k)
                kind = inc.kinds_q.pop(0) if pool.kind is not None and inc.kinds_q else ANY
                now = self.now()
                join = pool.turnouts.joinable(inc.id, now) if pool.turnouts is not None else ()
                if not (can or join):  # no station may send: no search (thousands queued)
                    self._requeue(pool, inc, kind, stage)
                    continue
                if not join and reach is not None and not reach(inc.node):
                    self._requeue(pool, inc, kind, stage)  # no free unit can drive there:
                    continue  # pick_kind would search (unbounded) and find none
                i, _, kind = self.disp.pick_kind(pool, inc.node, inc.district, now, kind, join)
                if i < 0:
                    self._requeue(pool, inc, kind, stage)
                else:
                    self.start(inc, pool, i, kind)
                    can = pool.sendable()
                    reach = self._free_reach(pool) if can else None

    def _free_reach(self, pool: Pool) -> Callable[[int], bool]:
        """``node → bool``: can a free unit of ``pool`` that may be sent (any kind) drive
        to ``node`` now? Exact (strong components under the current closures)."""
        rows = pool.rows[pool.free_of(ANY)]
        p = self.rt.period(self.now() + pool.spec.turnout_s)
        return self.rt.reached_from(self.rt.source_nodes[rows], p)

    @staticmethod
    def _requeue(pool: Pool, inc: Inc, kind: int, stage: int = 0) -> None:
        pool.queue.append(inc, stage)
        if pool.kind is not None:
            inc.kinds_q.append(kind)


def _unset(inc: Inc, pool: Pool, i: int, kind: int) -> None:
    raise RuntimeError("Queues.start is wired by the run before it starts")
