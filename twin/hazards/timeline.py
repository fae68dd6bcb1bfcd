"""The timeline: what happens to the city during a run, besides random everyday incidents.

Built before the run by :func:`twin.hazards.build.build_timeline` from the scenario (closures,
hazards, pipe failures, scripted drills) and consumed by the engine, which schedules each
item at its time. Plain frozen records, times in seconds since the start of the run.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ScheduledIncident:
    """An incident the timeline injects.

    ``node`` is a road-node index (:class:`twin.model.roads.RoadNetwork`) where responders go;
    ``alarm_delay_s`` is fixed when given (e.g. a sensor's alert time), else the engine draws
    it from the detection model using ``monitored``. ``cause`` says where it came from:
    ``pipe:<pipe_id>``, ``rainstorm``, ``earthquake``, ``script``.
    """

    onset_s: float
    type: str
    node: int
    cause: str
    monitored: bool = False
    alarm_delay_s: float | None = None
    label: str = ""
    pipe_id: str | None = None
    depth_m: float = 0.0
    """Water depth (m) at the place (flood calls, :mod:`twin.hazards.flood_depth`)."""
    access_m: float = 0.0
    """Metres from ``node`` (the access node, still open to traffic) to the flooded place,
    covered by boat, wading or on foot (:mod:`twin.sim.access`)."""


@dataclass(frozen=True)
class ClosureEvent:
    """Road edges (indices into the RoadNetwork's edge arrays) closed over [start_s, end_s)."""

    edges: tuple[int, ...]
    start_s: float
    end_s: float
    reason: str
    name: str = ""


@dataclass(frozen=True)
class OutageEvent:
    """A lifeline service outage: pipe network nodes cut off from every source."""

    network: str
    pipe_id: str
    start_s: float
    end_s: float
    junctions_out: int
    people_out: float
    districts: tuple[str, ...]
    cause: str


@dataclass(frozen=True)
class Timeline:
    """Everything scheduled for a run, sorted by time within each list."""

    incidents: tuple[ScheduledIncident, ...] = ()
    closures: tuple[ClosureEvent, ...] = ()
    outages: tuple[OutageEvent, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def merged(self, other: Timeline) -> Timeline:
        """This timeline and ``other`` together, each list sorted by time."""
        return Timeline(
            incidents=tuple(sorted(self.incidents + other.incidents, key=lambda i: i.onset_s)),
            closures=tuple(sorted(self.closures + other.closures, key=lambda c: c.start_s)),
            outages=tuple(sorted(self.outages + other.outages, key=lambda o: o.start_s)),
            notes=self.notes + other.notes,
        )
