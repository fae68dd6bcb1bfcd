"""The queues of requests and who serves them next.

A request for a unit of a force is sent at once when the dispatcher finds a free unit
that can reach the place (:class:`~twin.sim.dispatch.Dispatcher`); otherwise it waits in
the force's FIFO queue (``queued``) — or, when no unit of the force could ever reach it,
it is dropped (``no_unit``). A unit that frees up serves the oldest queued request it
can reach, from where it is (:meth:`Queues.next_for`); after a closure change the road
queues are retried in order (:meth:`Queues.retry`).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

import numpy as np

from twin.sim.dispatch import Dispatcher, Pool
from twin.sim.events import GROUNDED, QUEUED, EventLog
from twin.sim.lifecycle import Inc, Lifecycle
from twin.sim.movement import XY
from twin.sim.road_times import RoadTimes

Start = Callable[[Inc, Pool, int], None]
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

    def send(self, inc: Inc, f: int) -> None:
        """Dispatch one unit of force ``f`` to ``inc`` (or queue the request)."""
        pool = self.pools[f]
        now = self.now()
        if pool.total == 0:
            self.life.no_unit(inc, f)
            return
        mode = pool.spec.mode
        if mode == "air" and self.grounded(now):  # dark or fog: the request is refused
            self.log.add((now, GROUNDED, inc.id, -1, inc.node, -1, inc.district))
            return
        if mode == "road":
            i, reach = self.disp.pick_road(pool, inc.node, inc.district, now)
        elif mode == "foot":
            i, reach = self.disp.pick_foot(pool, self.node_xy[inc.node], inc.near, now), True
        else:
            i, reach = self.disp.pick_air(pool, self.node_xy[inc.node]), True
        if i < 0:
            if reach:
                pool.queue.append(inc)
                inc.queued = True
                self.log.add((now, QUEUED, inc.id, -1, inc.node, -1, inc.district))
            else:
                self.life.no_unit(inc, f)
            return
        self.start(inc, pool, i)

    def next_for(self, pool: Pool, scene: int, i: int) -> Inc | None:
        """The oldest queued incident still waiting for this force that the unit of local
        station ``i``, at ``scene`` (−1: at its station), can reach; None if none."""
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
            times = self.rt.tree(scene, p)[0]
            reach = lambda node: bool(times[node] < math.inf)  # noqa: E731
        else:
            rows = pool.rows[i : i + 1]
            reach = lambda node: bool(self.rt.to_node(rows, node, p)[0] < math.inf)  # noqa: E731
        for k, inc in enumerate(q):
            if not inc.cleared and reach(inc.node):
                del q[k]
                return inc
        return None

    def retry(self) -> None:
        """After a closure change, queued requests a free road unit can now reach are sent
        (in queue order)."""
        for pool in self.pools:
            if not pool.queue or pool.spec.mode != "road":
                continue
            waiting, pool.queue = pool.queue, deque()
            for inc in waiting:
                if inc.cleared:
                    continue
                if not np.any(pool.free):
                    pool.queue.append(inc)
                    continue
                i, _ = self.disp.pick_road(pool, inc.node, inc.district, self.now())
                if i < 0:
                    pool.queue.append(inc)
                else:
                    self.start(inc, pool, i)


def _unset(inc: Inc, pool: Pool, i: int) -> None:
    raise RuntimeError("Queues.start is wired by the run before it starts")
