"""Incidents of a run: the everyday random ones and the timeline's, drawn as arrays.

The catalogue of types and the detection model live in :mod:`twin.sim.catalogue`, where
incidents may happen in :mod:`twin.sim.placement`; both are re-exported here.

**Time.** Arrivals are a Poisson process whose rate follows each type's hourly profile,
pre-generated as arrays before the run (:func:`random_incidents`). **Detection**
(:func:`alarm_delays`): alarm = onset + delay; a sensor raises it in 1–3 min where it
watches the place (a node within ``SENSOR_RADIUS_M`` of a monitored pipe of the type's
network; a timeline incident is sensed exactly when it is flagged ``monitored``);
otherwise citizens call, after a lognormal delay, longer at night and in remote places.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from twin.errors import TwinDataError
from twin.sim.catalogue import (
    CATALOGUE,
    CATALOGUE_LIST,
    PROFILE_DEFAULT,
    PROFILE_FIRE,
    PROFILE_FLAT,
    PROFILE_TRAFFIC,
    Z90,
    Detection,
    Distribution,
    Exponential,
    IncidentType,
    LogNormal,
)
from twin.sim.params import TimeChain
from twin.sim.placement import (
    PIPE_RADIUS_M,
    REFERENCE_YEAR,
    SENSOR_RADIUS_M,
    Placement,
    build_placement,
    risk_factor,
)
from twin.sim.seasons import Calendar

__all__ = [
    "CATALOGUE",
    "CATALOGUE_LIST",
    "DETECTED_BY",
    "PIPE_RADIUS_M",
    "PROFILE_DEFAULT",
    "PROFILE_FIRE",
    "PROFILE_FLAT",
    "PROFILE_TRAFFIC",
    "REFERENCE_YEAR",
    "SENSOR_RADIUS_M",
    "Z90",
    "Detection",
    "Distribution",
    "Exponential",
    "IncidentArrays",
    "IncidentType",
    "LogNormal",
    "Placement",
    "alarm_delays",
    "build_placement",
    "check_types",
    "draw_incidents",
    "random_incidents",
    "risk_factor",
]


@dataclass(frozen=True, eq=False)
class IncidentArrays:
    """Incidents as parallel arrays (index = incident id), sorted by onset.

    ``type`` indexes the catalogue list; ``node`` is a road node index; times in seconds
    since the start of the run; ``detected_by`` 0 sensor, 1 call, 2 script;
    ``deadline_s`` is the escalation time after onset (inf: never); ``cause`` and
    ``label`` come from the timeline (``""`` for random incidents).
    """

    onset_s: np.ndarray
    type: np.ndarray
    node: np.ndarray
    alarm_s: np.ndarray
    detected_by: np.ndarray
    work_s: np.ndarray
    deadline_s: np.ndarray
    air: np.ndarray
    cause: list[str]
    label: list[str]
    call_s: np.ndarray | None = None
    """119 call handling (s) per incident: the dispatch order comes this long after the
    alarm (None: at once)."""
    noise: np.ndarray | None = None
    """Standard normals (n × :data:`NOISE_LEGS`) for the travel noise of each incident's
    first road legs to its scene, drawn with the incident (common random numbers: the same
    incident's first unit drives with the same factor in every scenario)."""
    air_scene: np.ndarray | None = None
    """Per incident: will the first ground crew on scene ask for air rescue (drawn from the
    type's ``air_scene_prob``; None: never)."""
    depth_m: np.ndarray | None = None
    """Water depth (m) at each flood call's place (None: no timeline incident has any)."""
    access_m: np.ndarray | None = None
    """Metres from each flood call's access node to the place (:mod:`twin.sim.access`)."""

    def __len__(self) -> int:
        return len(self.onset_s)


DETECTED_BY: tuple[str, ...] = ("sensor", "call", "script")
NOISE_LEGS = 6
"""Road legs per incident whose travel noise is drawn with the incident (later legs draw
from the run's stream)."""


def check_types(
    names: list[str] | set[str], catalogue: dict[str, IncidentType], where: str
) -> None:
    """Raise :class:`TwinDataError` naming any incident type not in ``catalogue``."""
    bad = sorted(set(names) - set(catalogue))
    if bad:
        raise TwinDataError.one(
            where,
            f"unknown incident type(s): {', '.join(bad)}",
            f"use one of: {', '.join(catalogue)}",
            ids=bad,
            title="bad scenario",
        )


def random_incidents(
    catalogue: dict[str, IncidentType],
    placement: Placement,
    rng: np.random.Generator,
    duration_s: float,
    rate_multiplier: float = 1.0,
    type_multipliers: dict[str, float] | None = None,
    calendar: Calendar = Calendar(),
    density_elasticity: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Onset times, type codes and nodes of the everyday random incidents (unsorted).
    Per day the rate is × the calendar's factor (season × weekday; 1 without a date);
    places are drawn by :meth:`Placement.weights` (with the density elasticity)."""
    type_multipliers = type_multipliers or {}
    check_types(list(type_multipliers), catalogue, "incidents.type_multipliers")
    days = max(int(math.ceil(duration_s / 86400.0)), 1)
    onset, kind, node = [], [], []
    for code, t in enumerate(catalogue.values()):
        per_day = (
            t.rate
            / 1e5
            * placement.population
            * rate_multiplier
            * type_multipliers.get(t.name, 1.0)
        )
        cum = placement.weights(t.risk, density_elasticity)
        if per_day <= 0 or cum[-1] <= 0:
            continue
        f = calendar.factors(t.name, t.needs, days)
        n = int(rng.poisson(per_day * f.sum()))
        p = np.asarray(t.profile, float)
        hour = rng.choice(24, size=n, p=p / p.sum())
        if np.all(f == f[0]):
            day = rng.integers(0, days, size=n)
        else:
            day = rng.choice(days, size=n, p=f / f.sum())
        ts = day * 86400.0 + hour * 3600.0 + rng.random(n) * 3600.0
        nd = np.searchsorted(cum, rng.random(n) * cum[-1], side="right")
        keep = ts < duration_s
        onset.append(ts[keep])
        kind.append(np.full(keep.sum(), code, np.int64))
        node.append(np.minimum(nd[keep], len(cum) - 1))
    if not onset:
        return np.empty(0), np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(onset), np.concatenate(kind), np.concatenate(node).astype(np.int64)


def alarm_delays(
    detection: Detection,
    placement: Placement,
    catalogue: list[IncidentType],
    kind: np.ndarray,
    node: np.ndarray,
    onset: np.ndarray,
    monitored: np.ndarray,
    scheduled: np.ndarray,
    on_pipe: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Detection delay (s) and ``detected_by`` code per incident, from uniforms ``u``, ``v``.

    Random incidents are sensed when a monitored pipe of the type's network is near their
    node; ``scheduled`` (timeline) incidents carry their own answer in ``monitored`` (a
    failed pipe is watched or not; a drill says "sensor" or "call"), never overridden.
    Incidents ``on_pipe`` (a buried pipe) use their type's ``buried_call_delay``.
    """
    net = np.array([t.sensor_network or "" for t in catalogue], dtype=object)[kind]
    sensed = monitored.copy()
    for name, watched in placement.monitored.items():
        sensed |= ~scheduled & (net == name) & watched[node]
    call = detection.call.quantile(u)
    for code, t in enumerate(catalogue):
        m = on_pipe & (kind == code)
        if t.buried_call_delay is not None and m.any():
            call[m] = t.buried_call_delay.quantile(u[m])
    call = call * np.where(detection.is_night(onset), detection.night_factor, 1.0)
    call = call * np.where(placement.remote[node], detection.remote_factor, 1.0)
    sensor = detection.sensor_min_s + v * (detection.sensor_max_s - detection.sensor_min_s)
    return np.where(sensed, sensor, call), np.where(sensed, 0, 1).astype(np.int64)


def draw_incidents(
    catalogue: dict[str, IncidentType],
    detection: Detection,
    placement: Placement,
    rng: np.random.Generator,
    duration_s: float,
    timeline_incidents: tuple = (),
    *,
    random: bool = True,
    rate_multiplier: float = 1.0,
    type_multipliers: dict[str, float] | None = None,
    chain: TimeChain | None = None,
    calendar: Calendar = Calendar(),
    density_elasticity: float = 0.0,
) -> IncidentArrays:
    """All incidents of a run as arrays: the random ones plus the timeline's, with their
    alarm times, work times, escalation deadlines and air calls drawn (one vectorised
    draw per quantity, in a fixed order: same seed, same incidents)."""
    types = list(catalogue.values())
    codes = {t.name: i for i, t in enumerate(types)}
    check_types({s.type for s in timeline_incidents}, catalogue, "timeline incidents")
    if random:
        onset, kind, node = random_incidents(
            catalogue,
            placement,
            rng,
            duration_s,
            rate_multiplier,
            type_multipliers,
            calendar,
            density_elasticity,
        )
    else:
        onset, kind, node = np.empty(0), np.empty(0, np.int64), np.empty(0, np.int64)
    n_rand = len(onset)
    sched = list(timeline_incidents)
    onset = np.concatenate([onset, [s.onset_s for s in sched]])
    kind = np.concatenate([kind, [codes[s.type] for s in sched]]).astype(np.int64)
    node = np.concatenate([node, [s.node for s in sched]]).astype(np.int64)
    monitored = np.concatenate([np.zeros(n_rand, bool), [s.monitored for s in sched]]).astype(bool)
    on_pipe = np.concatenate(
        [np.zeros(n_rand, bool), [s.pipe_id is not None for s in sched]]
    ).astype(bool)
    order = np.lexsort((np.arange(len(onset)), onset))
    onset, kind, node = onset[order], kind[order], node[order]
    monitored, on_pipe = monitored[order], on_pipe[order]
    n = len(onset)
    u = rng.random((5, n))
    delay, by = alarm_delays(
        detection,
        placement,
        types,
        kind,
        node,
        onset,
        monitored,
        order >= n_rand,
        on_pipe,
        u[0],
        u[1],
    )
    cause = [""] * n
    label = [""] * n
    water = any(s.access_m > 0 or s.depth_m > 0 for s in sched)
    depth_m, access_m = (np.zeros(n), np.zeros(n)) if water else (None, None)
    for pos in np.flatnonzero(order >= n_rand):
        s = sched[order[pos] - n_rand]
        cause[pos], label[pos] = s.cause, s.label
        if depth_m is not None and access_m is not None:
            depth_m[pos], access_m[pos] = s.depth_m, s.access_m
        if s.alarm_delay_s is not None:
            delay[pos] = s.alarm_delay_s
            by[pos] = 2 if s.cause == "script" else (0 if s.monitored else 1)
    work = np.empty(n)
    deadline = np.full(n, np.inf)
    for code, t in enumerate(types):
        m = kind == code
        if m.any():
            work[m] = t.work.quantile(u[2][m])
            if t.deadline is not None:
                deadline[m] = t.deadline.quantile(u[3][m])
    air = u[4] < np.array([t.air_prob for t in types])[kind]
    alarm = onset + delay
    # A leak that ignites before anyone reports it is reported by the explosion.
    early = onset + deadline < alarm
    alarm[early] = onset[early] + deadline[early] + detection.cascade_min_s
    call = None if chain is None else chain.call_s(rng.random(n))  # after the draws above
    noise = rng.standard_normal((n, NOISE_LEGS)) if chain and chain.travel_sigma > 0 else None
    scene_p = np.array([t.air_scene_prob for t in types])[kind] if n else np.zeros(0)
    air_scene = rng.random(n) < scene_p if chain is not None and scene_p.any() else None
    return IncidentArrays(
        onset_s=onset,
        type=kind,
        node=node,
        alarm_s=alarm,
        detected_by=by,
        work_s=work,
        deadline_s=deadline,
        air=air,
        cause=cause,
        label=label,
        call_s=call,
        noise=noise,
        air_scene=air_scene,
        depth_m=depth_m,
        access_m=access_m,
    )
