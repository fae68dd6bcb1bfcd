"""The replay's timeline: every event as a row (time, what, unit, incident, where), with a
filter (the drill's incidents / fire & rescue units / all). Everything escaped.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

import twin.viz.style as style
from twin.model.city import City
from twin.viz.data import RunData
from twin.viz.drill import cell_text, id_text
from twin.viz.safe import text

MAX_EVENT_ROWS = 5000
"""The timeline table lists at most this many events (the first, in time order)."""
FILTERS = {
    "drill": "drill incidents 演练事件",
    "fire": "fire & rescue units 消防救援",
    "all": "all events 全部",
}
"""The timeline's filter choices (row class ``d``: the drill's incidents and road closures;
``f``: units other than community responders, the incidents they went to, closures)."""


def district_names(city: City) -> dict[str, str]:
    """district_id → "渝中区 Yuzhong"."""
    d = city.districts
    return {
        str(i): f"{n} {e}".strip() for i, n, e in zip(d["district_id"], d["name"], d["name_en"])
    }


class _Lookup:
    """Joins by id for the timeline: incident → district, node → district, unit → force,
    closure start/end time → closure row (lifelines.parquet)."""

    def __init__(self, city: City, run: RunData, drill: dict[str, str]) -> None:
        self.names = district_names(city)
        self.drill = drill
        inc = run.incidents
        self.inc_district = {
            id_text(i): cell_text(d) for i, d in zip(inc["incident_id"], inc["district_id"])
        }
        nodes = city.road_nodes
        self.node_district = (
            {str(n): cell_text(d) for n, d in zip(nodes["node_id"], nodes["district_id"])}
            if "district_id" in nodes.columns
            else {}
        )
        forces = {
            str(sid): str(f) for sid, f in zip(city.stations["station_id"], city.stations["force"])
        }
        forces.update(
            {str(sid): str(f) for sid, f in zip(run.units["station_id"], run.units["force"])}
        )
        self.station_force = forces
        self.unit_force = {
            str(u): str(f) for u, f in zip(run.routes["unit_id"], run.routes["force"])
        }
        self.closures: dict[tuple[str, int], Any] = {}  # lifelines rows (itertuples)
        cl = run.lifelines[run.lifelines["kind"].astype(str) == "closure"]
        for r in cl.itertuples(index=False):
            for kind, t in (("closure_start", r.start_s), ("closure_end", r.end_s)):
                n = style.number(t)
                if n is not None:
                    self.closures.setdefault((kind, round(n)), r)

    def force(self, unit: str) -> str:
        """A unit's force (routes.parquet, else its station: unit ids are ``<station>/<k>``)."""
        return self.unit_force.get(unit) or self.station_force.get(unit.rpartition("/")[0], "")

    def name(self, district: str) -> str:
        return ", ".join(
            self.names.get(d.strip(), d.strip()) for d in district.split(",") if d.strip()
        )

    def closure(self, kind: str, t: float) -> Any | None:
        return self.closures.get((kind, round(t))) if kind.startswith("closure") else None

    def where(self, r: Any, closure: Any | None) -> str:
        """The incident's district (or where a unit moves from → to, when it crosses a
        border; a unit's node; a closure's districts), Chinese + English."""
        a, b = cell_text(r.from_district), cell_text(r.to_district)
        if a and b and a != b:
            return f"{self.name(a)} → {self.name(b)}"
        d = (
            self.inc_district.get(id_text(r.incident_id))
            or b
            or a
            or self.node_district.get(cell_text(r.node_id), "")
        )
        if not d and closure is not None:
            d = cell_text(getattr(closure, "districts", None))
        return self.name(d)


def timeline_html(city: City, run: RunData, drill: dict[str, str] | None = None) -> str:
    """The events table (time, what happened, unit, incident and its drill label, where) with
    a filter (the drill's incidents / fire & rescue units / all), escaped."""
    drill = drill or {}
    look = _Lookup(city, run, drill)
    ev = run.events.copy()
    ev["t_sort"] = pd.to_numeric(ev["t_s"], errors="coerce")
    ev = ev.dropna(subset=["t_sort"]).sort_values("t_sort", kind="stable")
    units = [cell_text(u) for u in ev["unit_id"]]
    incs = [id_text(i) for i in ev["incident_id"]]
    kinds = [cell_text(k) for k in ev["kind"]]
    fire_units = [bool(u) and look.force(u) not in ("community", "") for u in units]
    fire_incs = {i for i, f in zip(incs, fire_units) if f and i}
    closure = [k.startswith("closure") for k in kinds]
    is_drill = [i in drill or c for i, c in zip(incs, closure)]
    is_fire = [
        f or c or (not u and i in fire_incs) for f, c, u, i in zip(fire_units, closure, units, incs)
    ]
    ev["is_d"], ev["is_f"] = is_drill, is_fire
    note = ""
    if len(ev) > MAX_EVENT_ROWS:  # keep every drill row, then the earliest others
        keep = ev["is_d"] | (ev.groupby("is_d").cumcount() < MAX_EVENT_ROWS - int(ev["is_d"].sum()))
        note = f"<p>{int(keep.sum()):,} of {len(ev):,} events (every drill event)</p>"
        ev = ev[keep]
    rows = []
    for r in ev.itertuples(index=False):
        cl = look.closure(cell_text(r.kind), float(r.t_sort))
        iid = id_text(r.incident_id)
        what = text(iid)
        if iid in drill:
            what += f' <span class="lbl">{text(drill[iid])}</span>'
        elif cl is not None:
            what = text(" · ".join(v for v in (cell_text(cl.name), cell_text(cl.reason)) if v))
        cls = "future" + (" d" if r.is_d else "") + (" f" if r.is_f else "")
        unit = text(cell_text(r.unit_id))
        rows.append(
            f'<tr data-t="{float(r.t_sort):.1f}" class="{cls}">'
            f"<td>{text(style.clock(float(r.t_sort)))}</td><td>{text(cell_text(r.kind))}</td>"
            f'<td title="{unit}">{unit}</td><td>{what}</td>'
            f"<td>{text(look.where(r, cl))}</td></tr>"
        )
    counts = {"drill": int(ev["is_d"].sum()), "fire": int(ev["is_f"].sum()), "all": len(ev)}
    default = "drill" if drill else "all"
    opts = "".join(
        f'<option value="{k}"{" selected" if k == default else ""}>'
        f"{text(label)} ({counts[k]:,})</option>"
        for k, label in FILTERS.items()
        if k != "drill" or drill
    )
    return (
        f'<div id="timeline" data-filter="{default}"><div id="tl-bar"><label>'
        f'show <select id="filter">{opts}</select></label></div><div id="tl-scroll">'
        "<table><thead><tr><th>Time</th><th>Event</th><th>Unit</th><th>Incident</th>"
        f"<th>Where</th></tr></thead><tbody>{''.join(rows)}</tbody></table>{note}</div></div>"
    )
