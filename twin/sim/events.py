"""The event log of a run: one row per state change, in the order things happened.

A row is ``(t_s, kind, incident, unit, node, from, to)``: time (s since the run start),
the kind's code (index into :data:`KINDS`), the incident and unit indices, the road node,
and two districts (−1 where a field does not apply). Rows are plain tuples appended to a
list (the hot path appends through :attr:`EventLog.add`); ``twin.analysis.metrics``
turns them into the ``events`` table.
"""

from __future__ import annotations

KINDS: tuple[str, ...] = (
    "alarm",
    "dispatched",
    "en_route",
    "on_scene",
    "work_started",
    "cleared",
    "returning",
    "available",
    "queued",
    "mutual_aid",
    "no_unit",
    "reroute",
    "blocked",
    "cascade",
    "closure_start",
    "closure_end",
    "grounded",
    "away",
    "ready",
    "released",
    "reinforced",
)
"""Event kinds (codes are indices). ``queued``: no suitable free unit can reach the place
(all busy, or closures cut it off), the request waits; ``no_unit``: the force has no units,
or none could reach the place even on the open network; ``mutual_aid``: a
district-level unit crosses into another district (from → to); ``cascade``: a gas leak
escalated (the leak's id; the new incidents follow with their own ``alarm``);
``grounded``: air rescue was called when helicopters may not fly (dark or fog);
``away`` / ``ready``: a free fire crew leaves / returns to readiness (training,
inspections, maintenance: :mod:`twin.sim.readiness`);
``released``: under a surge a unit leaves a long job for a site without a crew
(:mod:`twin.sim.surge`); ``reinforced``: a reinforcement unit from outside the study area
arrives at its staging station (:mod:`twin.sim.reinforcement`)."""
K = {k: i for i, k in enumerate(KINDS)}
(
    ALARM,
    DISPATCHED,
    EN_ROUTE,
    ON_SCENE,
    WORK_STARTED,
    CLEARED,
    RETURNING,
    AVAILABLE,
    QUEUED,
    MUTUAL_AID,
    NO_UNIT,
    REROUTE,
    BLOCKED,
    CASCADE,
    CLOSURE_START,
    CLOSURE_END,
    GROUNDED,
    AWAY,
    READY,
    RELEASED,
    REINFORCED,
) = range(len(KINDS))

Row = tuple[float, int, int, int, int, int, int]
"""An event row: (t_s, kind, incident, unit, node, from district, to district)."""


class EventLog:
    """The run's event rows. ``add(row)`` appends a ready tuple (hot paths);
    :meth:`log` fills the fields that do not apply with −1."""

    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.add = self.rows.append
        self.last_t = 0.0
        """Time (s) of the last unit becoming available (the run's real end)."""

    def log(
        self,
        t: float,
        kind: int,
        inc: int = -1,
        unit: int = -1,
        node: int = -1,
        frm: int = -1,
        to: int = -1,
    ) -> None:
        """Append an event row."""
        self.add((t, kind, inc, unit, node, frm, to))

    def hand_over(self) -> list[Row]:
        """The rows logged, given away at the run's end (the log starts a new list): the
        run's pieces refer to each other and are freed only by the cyclic collector, the
        rows, held by the result alone, with the result."""
        rows, self.rows = self.rows, []
        self.add = self.rows.append
        return rows
