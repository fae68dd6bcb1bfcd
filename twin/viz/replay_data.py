"""What replay.html shows, prepared from a results folder: the clock range
(:func:`time_span`), the area to frame first (:func:`view_bounds`), the incidents as the page's
JSON records (:func:`incident_records`) and the deck layers — every unit's trips, the drill's
rings, plain districts, incidents (filled by the page as the clock passes their alarms).

The page itself (controls, script, styles) is assembled in :mod:`twin.viz.replay`.
"""

from __future__ import annotations

import math

import pandas as pd
import pydeck as pdk

import twin.viz.style as style
from twin.model.city import CORE_LEVEL, City
from twin.viz.data import RunData
from twin.viz.drill import id_text
from twin.viz.geom import (
    DECIMALS,
    MapLayer,
    bounds_wgs84,
    lit,
    polygon_rings,
    to_wgs84,
)
from twin.viz.layers import DISTRICT_SIMPLIFY_M
from twin.viz.timeline import district_names

TRAIL_S = 600.0
"""How long a unit's trail stays visible behind it (seconds of simulated time)."""


def time_span(run: RunData) -> tuple[float, float]:
    """The replay's clock range (s): whole minutes from a minute before the first departure,
    alarm or event to a minute after the last."""
    cols = [
        run.routes["depart_s"],
        run.routes["arrive_s"],
        run.incidents["alarm_s"],
        run.events["t_s"],
    ]
    times = pd.concat([pd.to_numeric(c, errors="coerce") for c in cols]).dropna()
    if times.empty:
        return 0.0, 3600.0
    t0 = max(0.0, math.floor((float(times.min()) - 60) / 60) * 60)
    t1 = math.ceil((float(times.max()) + 60) / 60) * 60
    return float(t0), float(max(t1, t0 + 60))


def trips_layer(run: RunData, t0: float, labels: dict[str, str] | None = None) -> list[MapLayer]:
    """A TripsLayer of every route leg (path + times_s from the engine)."""
    labels = labels or {}
    data = []
    for r in run.routes.itertuples(index=False):
        path = [[round(float(x), DECIMALS), round(float(y), DECIMALS)] for x, y in r.path]
        ts = [round(float(t), 1) for t in r.times_s]
        if len(path) < 2 or len(ts) != len(path):
            continue
        color = list(style.force_style(str(r.force))["color"][:3])
        color.append(150 if r.leg == "return" else 255)
        label = labels.get(id_text(r.incident_id))
        data.append(
            {
                "p": path,
                "ts": ts,
                "c": color,
                "tip": f"unit {r.unit_id} ({r.force}) · {r.leg}\nincident {r.incident_id}"
                + (f"\n{label}" if label else ""),
            }
        )
    if not data:
        return []
    layer = pdk.Layer(
        "TripsLayer",
        data,
        id="trips",
        get_path="p",
        get_timestamps="ts",
        get_color="c",
        width_min_pixels=5,
        get_width=30,
        width_units=lit("meters"),
        cap_rounded=True,
        joint_rounded=True,
        trail_length=TRAIL_S,
        fade_trail=True,
        current_time=t0,
    )
    return [MapLayer(layer, "routes")]


# --- the drill: scripted incidents, where to look, when to start -------------------------


def view_bounds(city: City, run: RunData, drill: dict[str, str]) -> list[float]:
    """[west, south, east, north] to frame first: the drill's incidents and the routes of the
    units sent to them, else every incident, else the city; padded by a tenth each side."""
    inc = run.incidents
    ids = [id_text(v) for v in inc["incident_id"]]
    pick = [i in drill for i in ids] if drill else [True] * len(ids)
    xs = [style.number(x) for x, k in zip(inc["x"], pick) if k]
    ys = [style.number(y) for y, k in zip(inc["y"], pick) if k]
    if drill and len(run.routes):
        for r in run.routes.itertuples(index=False):
            if r.leg == "to_scene" and id_text(r.incident_id) in drill:
                for x, y in r.path:
                    xs.append(style.number(x))
                    ys.append(style.number(y))
    pts = [(x, y) for x, y in zip(xs, ys) if x is not None and y is not None]
    if not pts:
        return bounds_wgs84(city)
    w, e = min(p[0] for p in pts), max(p[0] for p in pts)
    s, n = min(p[1] for p in pts), max(p[1] for p in pts)
    px, py = (e - w) * 0.1 + 0.004, (n - s) * 0.1 + 0.004
    return [w - px, s - py, e + px, n + py]


def drill_layer() -> MapLayer:
    """Rings around the drill's incidents (filled by the page as the clock passes alarms)."""
    layer = pdk.Layer(
        "ScatterplotLayer",
        [],
        id="drill",
        get_position="p",
        get_line_color="c",
        get_radius=15,
        radius_units=lit("pixels"),
        stroked=True,
        filled=False,
        get_line_width=3.5,
        line_width_units=lit("pixels"),
        pickable=True,
        auto_highlight=True,
    )
    return MapLayer(layer, "incidents")


def plain_districts(city: City) -> list[MapLayer]:
    """Districts in a neutral fill (the replay is about movement, not compliance)."""
    d = city.districts
    if d.empty:
        return []
    records = []
    for row, geom in zip(d.itertuples(index=False), to_wgs84(d, DISTRICT_SIMPLIFY_M)):
        fill = [250, 250, 246, 255] if row.level == CORE_LEVEL else [232, 232, 228, 255]
        for rings in polygon_rings(geom):
            records.append(
                {
                    "polygon": rings,
                    "c": fill,
                    "tip": f"{row.name}  {row.name_en}\npopulation {int(row.population):,}",
                }
            )
    layer = pdk.Layer(
        "PolygonLayer",
        records,
        id="districts",
        get_polygon="polygon",
        get_fill_color="c",
        get_line_color=style.DISTRICT_LINE,
        get_line_width=1,
        line_width_units=lit("pixels"),
        stroked=True,
        filled=True,
        pickable=True,
    )
    return [MapLayer(layer, "districts")]


def incident_records(city: City, run: RunData, drill: dict[str, str] | None = None) -> list[dict]:
    """Incidents for the page: position, alarm and cleared times, hover text (the drill's
    label first), ``s`` = 1 for the drill's incidents."""
    drill = drill or {}
    names = district_names(city)
    out = []
    for r in run.incidents.itertuples(index=False):
        x, y = style.number(r.x), style.number(r.y)
        alarm = style.number(r.alarm_s)
        if x is None or y is None or alarm is None:
            continue
        label = drill.get(id_text(r.incident_id))
        rec = {
            "p": [round(x, DECIMALS), round(y, DECIMALS)],
            "a": alarm,
            "cl": style.number(r.cleared_s),
            "tip": (
                (f"{label}\n" if label else "")
                + f"{r.incident_id} · {r.type}\n{names.get(r.district_id, r.district_id)}"
                f"\nalarm {style.clock(alarm)} · ground "
                f"{style.minutes(style.number(r.resp_ground_s))}"
            ),
        }
        if label is not None:
            rec["s"] = 1
        out.append(rec)
    return out


def incidents_layer() -> MapLayer:
    """An incident layer, empty until the clock passes alarm times (filled by the page)."""
    layer = pdk.Layer(
        "ScatterplotLayer",
        [],
        id="incidents",
        get_position="p",
        get_fill_color="c",
        get_radius="r",
        radius_units=lit("pixels"),
        stroked=True,
        get_line_color=[20, 20, 20, 255],
        line_width_min_pixels=1,
        pickable=True,
        auto_highlight=True,
    )
    return MapLayer(layer, "incidents")
