"""Scripted incidents (drills, ``[[incidents.scripted]]``) placed on the road network,
with the pipe failure, road closure and outage a pipe incident brings."""

from __future__ import annotations

import numpy as np
import pandas as pd

from twin.hazards.lifelines import (
    NETWORK_OF_INCIDENT,
    SCRIPT_PIPE_SNAP_M,
    pipe_failure_events,
    pipe_outages,
    repair_times,
)
from twin.hazards.timeline import ClosureEvent, OutageEvent, ScheduledIncident, Timeline
from twin.model.city import City
from twin.model.pipe_roads import nearest_pipe, pipe_nodes, point_on_pipe
from twin.scenario.spec import Scenario


def scripted_incidents(
    city: City, scenario: Scenario, run_s: float, rng: np.random.Generator
) -> Timeline:
    """The scenario's ``[[incidents.scripted]]`` placed on the road network.

    Place: ``lon``/``lat`` → nearest road node; ``node_id``; or ``pipe_id`` → a failure at the
    pipe's midpoint. A ``gas_leak`` / ``water_main_burst`` placed by lon/lat attaches to the
    nearest pipe of its network within :data:`SCRIPT_PIPE_SNAP_M` (failure at the point of
    the pipe nearest the lon/lat). With a pipe the incident also closes the roads near the
    failure and cuts service for the (drawn) repair time, and responders go to the nearest
    road node outside the closure (:func:`twin.model.pipe_roads.staging_nodes`).
    ``detection``: ``sensor`` → monitored (fast alarm), ``call`` → not, ``auto`` → the
    pipe's ``monitored`` flag (False without a pipe).
    """
    pipes = city.pipes
    incidents: list[ScheduledIncident] = []
    closures: list[ClosureEvent] = []
    outages: list[OutageEvent] = []
    pid_index = pd.Index(pipes["pipe_id"].astype(str).to_numpy(dtype=object))
    for s in scenario.incidents.scripted:
        onset = s.t_min * 60.0
        if onset >= run_s:
            continue
        row, point = None, None
        if s.pipe_id is not None:
            pos = pid_index.get_indexer([s.pipe_id])[0]
            row = int(pos) if pos >= 0 else None
            node = int(pipe_nodes(city, [row])[0]) if row is not None else -1
        elif s.node_id is not None:
            node = int(city.roads._node_index.get(s.node_id, -1))
        else:
            xy = city.xy_from_lonlat(s.lon, s.lat)
            node = int(city.roads.snap(xy)[0][0])
            net = NETWORK_OF_INCIDENT.get(s.type)
            if net is not None:
                hit = nearest_pipe(city, net, xy, SCRIPT_PIPE_SNAP_M)
                if hit:
                    row, point = hit[0], point_on_pipe(city, hit[0], xy)
        if node < 0:
            continue  # reported by check_against
        mon_pipe = bool(pipes["monitored"].iat[row]) if row is not None else False
        monitored = {"sensor": True, "call": False}.get(s.detection, mon_pipe)
        label = s.label or f"scripted {s.type}"
        if row is not None:
            rep = repair_times([str(pipes["network"].iat[row])], rng)
            inc, clo = pipe_failure_events(
                city,
                [row],
                [onset],
                rng,
                cause="script",
                repair_s=rep,
                types=[s.type],
                monitored=[monitored],
                labels=[label],
                points=None if point is None else point.reshape(1, 2),
            )
            incidents += inc
            closures += clo
            outages += pipe_outages(city, [row], [onset], rep, ["script"])
        else:
            incidents.append(
                ScheduledIncident(onset, s.type, node, "script", monitored, label=label)
            )
    return Timeline(
        incidents=tuple(sorted(incidents, key=lambda i: i.onset_s)),
        closures=tuple(sorted(closures, key=lambda c: c.start_s)),
        outages=tuple(sorted(outages, key=lambda o: o.start_s)),
    )
