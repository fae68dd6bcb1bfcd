"""The drill in a Results folder: its scripted incidents and what they escalated into.

Shared by the replay (rings, labels, framing) and the briefing's answer ("1 of 8 leaks
ignited"). The scripted incidents are those with ``cause == "script"``, ``detected_by ==
"script"``, or a non-empty ``label`` and no other ``cause`` (older runs had no ``cause``);
hazard incidents carry labels too ("water pipe wp123", "landslide onto the road") but their
``cause`` is ``pipe:<id>``, ``rainstorm`` or ``earthquake``: they are not the drill. Their
cascades carry ``parent_id`` (or ``cause`` ``cascade:<id>``).
"""

from __future__ import annotations

import math

import pandas as pd

import twin.viz.style as style
from twin.viz.data import RunData

LEAD_S = 600.0
"""With a drill, the clock starts this long before its first incident."""


def id_text(v: object) -> str:
    """An id as text (``175`` whether it was read as int, float or nullable Int; NA → "")."""
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def column(df: pd.DataFrame, name: str) -> list:
    return list(df[name]) if name in df.columns else [None] * len(df)


def is_scripted(detected_by: object, cause: object, label: object) -> bool:
    """Whether an incident row is one of the drill's scripted incidents: ``detected_by`` or
    ``cause`` ``"script"``, or a label with no cause (runs from before ``cause`` was kept).
    A labelled row with another cause (``pipe:<id>``, ``rainstorm``, ``earthquake``,
    ``cascade:<id>``) is a hazard's or an escalation, not the drill."""
    cause_text = cell_text(cause)
    return (
        cell_text(detected_by) == "script"
        or cause_text == "script"
        or (bool(cell_text(label).strip()) and not cause_text)
    )


def drill_labels(run: RunData, cascades: bool = True) -> dict[str, str]:
    """The drill's incidents (id → label to show): the scripted ones (``detected_by`` or
    ``cause`` ``"script"``, or a non-empty ``label`` with no other ``cause`` — a pipe
    failure's or a hazard's label does not make it a drill), then what they escalated into
    (``parent_id``/``cause`` ``cascade:<id>``), labelled ``<parent label> → <type>``."""
    inc = run.incidents
    ids = [id_text(v) for v in inc["incident_id"]]
    labels: dict[str, str] = {}
    for iid, typ, det, cause, label in zip(
        ids, inc["type"], column(inc, "detected_by"), column(inc, "cause"), column(inc, "label")
    ):
        label = cell_text(label).strip()
        if iid and is_scripted(det, cause, label):
            labels[iid] = label or f"scripted {cell_text(typ)}"
    if not cascades:
        return labels
    parents = {}
    for iid, typ, parent, cause in zip(
        ids, inc["type"], column(inc, "parent_id"), column(inc, "cause")
    ):
        cause = cell_text(cause)
        pid = id_text(parent) or (cause.split(":", 1)[1] if cause.startswith("cascade:") else "")
        if iid and pid:
            parents[iid] = (pid, cell_text(typ))
    changed = True
    while changed:  # cascades of cascades
        changed = False
        for iid, (pid, typ) in parents.items():
            if iid not in labels and pid in labels:
                labels[iid] = f"{labels[pid]} → {typ}"
                changed = True
    return labels


def cell_text(v: object) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA else str(v)


def start_time(run: RunData, drill: dict[str, str], t0: float, t1: float) -> float:
    """Where the clock starts: :data:`LEAD_S` before the first drill incident began (onset,
    else alarm), on a whole minute (not before 0: the slider reaches back to it); the start
    of the replay when there is no drill."""
    inc = run.incidents
    times = [
        style.number(o) if style.number(o) is not None else style.number(a)
        for i, o, a in zip(inc["incident_id"], inc["onset_s"], inc["alarm_s"])
        if id_text(i) in drill
    ]
    known = [t for t in times if t is not None]
    if not known:
        return t0
    return float(min(t1, max(0.0, math.floor((min(known) - LEAD_S) / 60) * 60)))
