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
from collections.abc import Callable, Generator
from typing import cast

import numpy as np
import simpy

from twin.sim.airscene import request_air_from_scene
from twin.sim.dispatch import COMMUNITY_K, Dispatcher, Pool
from twin.sim.events import ALARM, CASCADE, CLEARED, NO_UNIT, ON_SCENE, WORK_STARTED, EventLog
from twin.sim.forces import FORCES, GROUND_FORCES
from twin.sim.incidents import IncidentArrays, IncidentType
from twin.sim.kinds import ANY, assignment_kinds, resolve
from twin.sim.params import AIR_SCENE_REQUEST_S, TimeChain
from twin.sim.priority import priority_of

COMMUNITY, FIRE, AIR = FORCES.index("community"), FORCES.index("fire"), FORCES.index("air")
GROUND = frozenset(FORCES.index(f) for f in GROUND_FORCES)


class Inc:
    """One incident during the run (times in s; ``first[f]`` = first arrival of force f)."""

    __slots__ = (
        "id",
        "code",
        "type",
        "node",
        "district",
        "onset",
        "alarm",
        "by",
        "work",
        "deadline",
        "air",
        "lead",
        "started",
        "cleared",
        "cleared_s",
        "done",
        "contained_s",
        "mutual_aid",
        "queued",
        "first",
        "cause",
        "label",
        "parent",
        "near",
        "lead_sent",
        "call_s",
        "dispatch_s",
        "turnout_s",
        "travel_s",
        "due",
        "arrived",
        "full_s",
        "noise",
        "legs",
        "kinds_q",
        "air_scene",
        "air_request_s",
        "prio",
        "first_crew",
        "crewed",
        "reached_s",
        "reached_by",
    )

    def __init__(
        self,
        id: int,
        code: int,
        type: IncidentType,
        node: int,
        district: int,
        onset: float,
        alarm: float,
        by: int,
        work: float,
        deadline: float,
        air: bool,
        lead: int,
        cause: str = "",
        label: str = "",
        parent: int = -1,
        call_s: float = 0.0,
    ) -> None:
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
        self.call_s = call_s  # 119 call handling: the dispatch order follows the alarm
        self.dispatch_s = self.turnout_s = self.travel_s = self.full_s = math.nan
        self.due = self.arrived = 0  # ground units of the first assignment: ordered, on scene
        self.noise: list[float] | None = None  # travel noise of its first road legs
        self.legs = 0
        self.kinds_q: list[int] = []  # vehicle kinds of its queued fire requests, in order
        self.air_scene = False  # the first ground crew on scene will ask for air rescue
        self.air_request_s = math.nan  # when air rescue was requested
        self.prio, self.first_crew = priority_of(type.name), False  # queue order; surge
        self.crewed = False  # a ground unit has been dispatched to it (surge: has its crew)
        self.reached_s, self.reached_by = math.nan, ""  # first to reach the place (not the edge)

    def next_noise(self) -> float | None:
        """The standard normal for this incident's next road leg (None: use the stream)."""
        if self.noise is None or self.legs >= len(self.noise):
            return None
        self.legs += 1
        return self.noise[self.legs - 1]


Send = Callable[[Inc, int, int], None]
"""Request one unit of force ``f`` (of vehicle kind ``k``, :data:`twin.sim.kinds.ANY`: any)
for an incident (dispatch it or queue the request)."""


class Lifecycle:
    """Alarms, work and clearing of the run's incidents, and gas-leak escalation."""

    def __init__(
        self,
        env: simpy.Environment,
        log: EventLog,
        pools: list[Pool],
        disp: Dispatcher,
        types: list[IncidentType],
        catalogue: dict[str, IncidentType],
        cascade_s: tuple[float, float],
        rng: np.random.Generator,
        xy: np.ndarray,
        chain: TimeChain = TimeChain(),
        air_delay_s: float = AIR_SCENE_REQUEST_S,
    ) -> None:
        self.chain = chain
        self.air_delay_s = air_delay_s
        self.env, self.log, self.pools, self.disp, self.xy = env, log, pools, disp, xy
        self.types, self.catalogue, self.cascade_s, self.rng = types, catalogue, cascade_s, rng
        self.lead = [self._lead(t) for t in types]
        self.needs = [[(FORCES.index(name), n) for name, n in t.needs] for t in types]
        fire = pools[FIRE].kind_total if len(pools) > FIRE else None
        self.kinds = [
            resolve(assignment_kinds(t.name, dict(t.needs).get("fire", 0)), fire) for t in types
        ]
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
    def feed(
        self,
        arr: IncidentArrays,
        node_district: list[int],
        duration_s: float,
        progress: Callable[[float], None] | None,
    ) -> Generator[simpy.Event, None, None]:
        """Process: raise every pre-generated incident's alarm at its time."""
        env, a = self.env, arr
        self.incs = [None] * len(a)
        order = np.lexsort((np.arange(len(a)), a.alarm_s))
        cand = self._community_candidates(arr)
        types, lead = self.types, self.lead
        step = max(len(order) // 100, 1)
        call = a.call_s if a.call_s is not None else np.zeros(len(a))
        near = cand.tolist() if cand is not None else None  # Python lists: one call, not n
        noise = a.noise.tolist() if a.noise is not None else None
        scene_air = a.air_scene.tolist() if a.air_scene is not None else None
        cols = zip(
            order.tolist(),
            a.type[order].tolist(),
            a.node[order].tolist(),
            a.onset_s[order].tolist(),
            a.alarm_s[order].tolist(),
            a.detected_by[order].tolist(),
            a.work_s[order].tolist(),
            a.deadline_s[order].tolist(),
            a.air[order].tolist(),
            call[order].tolist(),
        )
        for j, (i, code, node, onset, alarm, by, work, deadline, air, call_s) in enumerate(cols):
            if alarm > env.now:
                yield env.timeout(alarm - env.now)
            inc = Inc(
                i,
                code,
                types[code],
                node,
                node_district[node],
                onset,
                alarm,
                by,
                work,
                deadline,
                air,
                lead[code],
                a.cause[i],
                a.label[i],
                call_s=call_s,
            )
            self.incs[i] = inc
            if near is not None:
                inc.near = near[i]
            if noise is not None:
                inc.noise = noise[i]
            if scene_air is not None:
                inc.air_scene = scene_air[i]
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
        """The alarm of ``inc``: log it, order its units once the call is handled (at once
        when ``call_s`` is 0), arm its escalation deadline."""
        self.log.add((self.env.now, ALARM, inc.id, -1, inc.node, -1, inc.district))
        if inc.call_s > 0:
            self.env.timeout(inc.call_s, value=inc).callbacks.append(lambda e: self.order(e.value))
        else:
            self.order(inc)
        if inc.deadline < math.inf:
            t_dl = inc.onset + inc.deadline
            ev = self.env.timeout(max(t_dl - self.env.now, 0.0), value=inc)
            ev.callbacks.append(self._on_deadline)

    def order(self, inc: Inc) -> None:
        """The dispatch order: request the first assignment — fire vehicles by kind
        (:mod:`twin.sim.kinds`) — and air rescue if called at the alarm."""
        inc.dispatch_s = self.env.now
        kinds = self.kinds[inc.code]
        for f, count in self.needs[inc.code]:
            if f in GROUND:
                inc.due += count
            for j in range(count):
                self.send(inc, f, kinds[j] if f == FIRE else ANY)
        if inc.air:
            inc.air_request_s = self.env.now
            self.send(inc, AIR, ANY)

    def send_air(self, inc: Inc) -> None:
        """Request a helicopter for ``inc`` (refused while grounded: the queues check)."""
        self.send(inc, AIR, ANY)

    def no_unit(self, inc: Inc, f: int) -> None:
        """No unit of force ``f`` can ever come: log it; the force cannot lead."""
        self.log.add((self.env.now, NO_UNIT, inc.id, -1, inc.node, -1, inc.district))
        if inc.lead == f:
            inc.lead = -1  # nobody can lead: the first unit on scene starts the work

    # ---- on scene, work and clearing -------------------------------------------------------
    def on_scene(self, u: int, f: int, inc: Inc, ordered_s: float, depart_s: float) -> None:
        """Unit ``u`` of force ``f`` (ordered at ``ordered_s``, left at ``depart_s``) arrived
        at ``inc``: first arrivals and the time-chain segments of the first ground unit, the
        full assignment, containment, and the start of the work (after the force's set-up)
        when this unit may start it."""
        now = self.env.now
        self.log.add((now, ON_SCENE, inc.id, u, inc.node, -1, -1))
        if f in GROUND:
            if inc.turnout_s != inc.turnout_s:  # NaN: the first ground unit on scene
                inc.turnout_s, inc.travel_s = depart_s - ordered_s, now - depart_s
                if inc.air_scene and not inc.air:
                    request_air_from_scene(self.env, inc, self.air_delay_s, self.send_air)
            inc.arrived += 1
            if inc.arrived == inc.due:
                inc.full_s = now
        if inc.first[f] != inc.first[f]:  # NaN: first of its force
            inc.first[f] = now
        if inc.contained_s != inc.contained_s and FORCES[f] in inc.type.contain_by:
            inc.contained_s = now
        if (
            not inc.started
            and not inc.cleared
            and (inc.lead < 0 or f == inc.lead or (f in GROUND and not inc.lead_sent))
        ):
            inc.started = True
            setup = self.pools[f].spec.setup_s
            ev = self.env.timeout(setup + inc.work if setup else inc.work, value=inc)
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
        """A leak's ignition time: escalate unless a containing unit is on scene
        (:func:`escalate`)."""
        escalate(self, cast(Inc, ev.value))


def escalate(life: Lifecycle, inc: Inc) -> None:
    """The ignition time of leak ``inc`` (for ``life``): unless a containing unit was on scene
    by then, count a cascade and raise the alarms of the incidents its type cascades into
    (each after a delay drawn from ``life.cascade_s``, with its own work time, air call and
    119 call handling from ``life.rng``)."""
    t_ignite = inc.onset + inc.deadline
    if inc.contained_s == inc.contained_s and inc.contained_s <= t_ignite:
        return
    now = life.env.now
    life.cascades += 1
    life.log.log(now, CASCADE, inc.id, node=inc.node, to=inc.district)
    lo, hi = life.cascade_s
    for name in inc.type.cascade:
        t = life.catalogue[name]
        code = life.types.index(t)
        u = life.rng.random(5)
        delay = lo + u[0] * (hi - lo)
        alarm = max(now, t_ignite + delay)
        new = Inc(
            len(life.incs),
            code,
            t,
            inc.node,
            inc.district,
            t_ignite,
            alarm,
            1,
            float(t.work.quantile(u[1:2])[0]),
            math.inf,
            bool(u[2] < t.air_prob),
            life.lead[code],
            cause=f"cascade:{inc.id}",
            parent=inc.id,
            call_s=float(life.chain.call_s(u[3:4])[0]),
        )
        new.air_scene = bool(u[4] < t.air_scene_prob)
        life.incs.append(new)
        pool = life.pools[COMMUNITY]
        if pool.tree is not None:
            new.near = life.disp.nearest_posts(pool, life.xy[inc.node])[1].tolist()
        life.env.timeout(alarm - now, value=new).callbacks.append(lambda e: life.alarm(e.value))


def hand_over(life: Lifecycle) -> list[Inc | None]:
    """The run's incidents, given away by ``life`` at the run's end: no longer held there,
    and each lets go of its work's event (which refers back to it), so they are freed with
    the result, without the cyclic collector (a sweep's worker would otherwise carry every
    run)."""
    incs, life.incs = life.incs, []
    for inc in incs:
        if inc is not None:
            inc.done = None
    return incs


def _unset(inc: Inc, f: int, kind: int = -1) -> None:
    raise RuntimeError("Lifecycle.send is wired by the run before it starts")
