"""The incident lifecycle: alarm → units requested → work started → cleared, and escalation.

:class:`Inc` is one incident's state during a run. :class:`Lifecycle` raises the
pre-generated alarms at their times (a SimPy process), asks for the units each type needs
(through the ``send`` callback the queues provide), starts the work when the right unit is
on scene, clears the incident when the work is done, and escalates gas leaks that no
containing unit reached before their ignition time.

Who starts the work: the first unit of the type's *lead* force on scene. While no unit of
the lead force has been sent (its requests wait in the queue), the first needed *ground*
unit (fire, professional, social) on scene starts it instead: crews do not stand idle at a
scene for a team that may be days away. A force with no units cannot lead (``lead = −1``:
the first unit on scene starts the work).
"""

from __future__ import annotations

import math
from typing import Callable, Generator, cast

import numpy as np
import simpy

from twin.sim.dispatch import COMMUNITY_K, Dispatcher, Pool
from twin.sim.events import ALARM, CASCADE, CLEARED, NO_UNIT, ON_SCENE, WORK_STARTED, EventLog
from twin.sim.forces import FORCES, GROUND_FORCES
from twin.sim.incidents import IncidentArrays, IncidentType

COMMUNITY, AIR = FORCES.index("community"), FORCES.index("air")
GROUND = frozenset(FORCES.index(f) for f in GROUND_FORCES)


class Inc:
    """One incident during the run (times in s; ``first[f]`` = first arrival of force f)."""

    __slots__ = ("id", "code", "type", "node", "district", "onset", "alarm", "by", "work",
                 "deadline", "air", "lead", "started", "cleared", "cleared_s", "done",
                 "contained_s", "mutual_aid", "queued", "first", "cause", "label", "parent",
                 "near", "lead_sent")

    def __init__(self, id: int, code: int, type: IncidentType, node: int, district: int,
                 onset: float, alarm: float, by: int, work: float, deadline: float,
                 air: bool, lead: int, cause: str = "", label: str = "",
                 parent: int = -1) -> None:
        self.id, self.code, self.type, self.node, self.district = id, code, type, node, district
        self.onset, self.alarm, self.by, self.work = onset, alarm, by, work
        self.deadline, self.air, self.lead = deadline, air, lead
        self.cause, self.label, self.parent = cause, label, parent
        self.started = self.cleared = self.mutual_aid = self.queued = False
        self.lead_sent = False  # a unit of the lead force has been dispatched
        self.cleared_s = self.contained_s = math.nan
        self.done: simpy.Event | None = None
        self.first = [math.nan] * len(FORCES)
        self.near: list[int] | None = None


Send = Callable[[Inc, int], None]
"""Request one unit of force ``f`` for an incident (dispatch it or queue the request)."""


class Lifecycle:
    """Alarms, work and clearing of the run's incidents, and gas-leak escalation."""

    def __init__(self, env: simpy.Environment, log: EventLog, pools: list[Pool],
                 disp: Dispatcher, types: list[IncidentType], catalogue: dict[str, IncidentType],
                 cascade_s: tuple[float, float], rng: np.random.Generator,
                 xy: np.ndarray) -> None:
        self.env, self.log, self.pools, self.disp, self.xy = env, log, pools, disp, xy
        self.types, self.catalogue, self.cascade_s, self.rng = types, catalogue, cascade_s, rng
        self.lead = [self._lead(t) for t in types]
        self.needs = [[(FORCES.index(name), n) for name, n in t.needs] for t in types]
        self.incs: list[Inc | None] = []
        self.cascades = 0
        self.send: Send = _unset

    def _lead(self, t: IncidentType) -> int:
        """The force leading the type's work: the first needed force that has units."""
        for name, _ in t.needs:
            if self.pools[FORCES.index(name)].total > 0:
                return FORCES.index(name)
        return -1

    # ---- alarms ---------------------------------------------------------------------------
    def feed(self, arr: IncidentArrays, node_district: list[int], duration_s: float,
             progress: Callable[[float], None] | None
             ) -> Generator[simpy.Event, None, None]:
        """Process: raise every pre-generated incident's alarm at its time."""
        env, a = self.env, arr
        self.incs = [None] * len(a)
        order = np.lexsort((np.arange(len(a)), a.alarm_s))
        near = self._community_candidates(arr)
        types, lead = self.types, self.lead
        step = max(len(order) // 100, 1)
        cols = zip(order.tolist(), a.type[order].tolist(), a.node[order].tolist(),
                   a.onset_s[order].tolist(), a.alarm_s[order].tolist(),
                   a.detected_by[order].tolist(), a.work_s[order].tolist(),
                   a.deadline_s[order].tolist(), a.air[order].tolist())
        for j, (i, code, node, onset, alarm, by, work, deadline, air) in enumerate(cols):
            if alarm > env.now:
                yield env.timeout(alarm - env.now)
            inc = Inc(i, code, types[code], node, node_district[node], onset, alarm, by, work,
                      deadline, air, lead[code], a.cause[i], a.label[i])
            self.incs[i] = inc
            if near is not None:
                inc.near = near[i].tolist()
            self.alarm(inc)
            if progress is not None and j % step == 0:
                progress(min(env.now / duration_s, 1.0) * 0.99)

    def _community_candidates(self, arr: IncidentArrays) -> np.ndarray | None:
        """The nearest posts (local indices, nearest first) of every pre-generated incident,
        in one KD-tree query."""
        pool = self.pools[COMMUNITY]
        if pool.tree is None or len(arr) == 0:
            return None
        k = min(COMMUNITY_K, len(pool.stations))
        _, i = pool.tree.query(self.xy[arr.node], k=k)
        return i.reshape(len(arr), k)

    def alarm(self, inc: Inc) -> None:
        """The alarm of ``inc``: log it, request its units, arm its escalation deadline."""
        self.log.add((self.env.now, ALARM, inc.id, -1, inc.node, -1, inc.district))
        for f, count in self.needs[inc.code]:
            for _ in range(count):
                self.send(inc, f)
        if inc.air:
            self.send(inc, AIR)
        if inc.deadline < math.inf:
            t_dl = inc.onset + inc.deadline
            ev = self.env.timeout(max(t_dl - self.env.now, 0.0), value=inc)
            ev.callbacks.append(self._on_deadline)

    def no_unit(self, inc: Inc, f: int) -> None:
        """No unit of force ``f`` can ever come: log it; the force cannot lead."""
        self.log.add((self.env.now, NO_UNIT, inc.id, -1, inc.node, -1, inc.district))
        if inc.lead == f:
            inc.lead = -1  # nobody can lead: the first unit on scene starts the work

    # ---- on scene, work and clearing -------------------------------------------------------
    def on_scene(self, u: int, f: int, inc: Inc) -> None:
        """Unit ``u`` of force ``f`` arrived at ``inc``: first arrivals, containment, and
        the start of the work when this unit may start it."""
        now = self.env.now
        self.log.add((now, ON_SCENE, inc.id, u, inc.node, -1, -1))
        if inc.first[f] != inc.first[f]:  # NaN: first of its force
            inc.first[f] = now
        if inc.contained_s != inc.contained_s and FORCES[f] in inc.type.contain_by:
            inc.contained_s = now
        if not inc.started and not inc.cleared and (
                inc.lead < 0 or f == inc.lead or (f in GROUND and not inc.lead_sent)):
            inc.started = True
            ev = self.env.timeout(inc.work, value=inc)
            ev.callbacks.append(self._on_clear)
            if inc.done is None:
                inc.done = ev
            self.log.add((now, WORK_STARTED, inc.id, u, inc.node, -1, -1))

    def done(self, inc: Inc) -> simpy.Event:
        """The event that fires when ``inc`` is cleared."""
        if inc.done is None:
            inc.done = self.env.event()
        return inc.done

    def _on_clear(self, ev: simpy.Event) -> None:
        inc = cast(Inc, ev.value)
        inc.cleared = True
        inc.cleared_s = self.env.now
        self.log.add((self.env.now, CLEARED, inc.id, -1, inc.node, -1, -1))
        if inc.done is not ev:
            assert inc.done is not None
            inc.done.succeed()

    # ---- escalation ----------------------------------------------------------------------------
    def _on_deadline(self, ev: simpy.Event) -> None:
        """A leak's ignition time: escalate unless a containing unit is on scene."""
        inc = cast(Inc, ev.value)
        t_ignite = inc.onset + inc.deadline
        if inc.contained_s == inc.contained_s and inc.contained_s <= t_ignite:
            return
        now = self.env.now
        self.cascades += 1
        self.log.log(now, CASCADE, inc.id, node=inc.node, to=inc.district)
        lo, hi = self.cascade_s
        for name in inc.type.cascade:
            t = self.catalogue[name]
            code = self.types.index(t)
            u = self.rng.random(3)
            delay = lo + u[0] * (hi - lo)
            alarm = max(now, t_ignite + delay)
            new = Inc(len(self.incs), code, t, inc.node, inc.district, t_ignite, alarm, 1,
                      float(t.work.quantile(u[1:2])[0]), math.inf, bool(u[2] < t.air_prob),
                      self.lead[code], cause=f"cascade:{inc.id}", parent=inc.id)
            self.incs.append(new)
            pool = self.pools[COMMUNITY]
            if pool.tree is not None:
                new.near = self.disp.nearest_posts(pool, self.xy[inc.node])[1].tolist()
            self.env.timeout(alarm - now, value=new).callbacks.append(
                lambda e: self.alarm(e.value))


def _unset(inc: Inc, f: int) -> None:
    raise RuntimeError("Lifecycle.send is wired by the run before it starts")
