"""Point and trip layers: stations by force, incidents by verdict, the routes units drove.

Colours are the colour-blind-safe categories of :mod:`twin.viz.style` (fire stations black,
missed incidents vermillion, met ones white). Tooltips are plain text (``tip``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pydeck as pdk

import twin.viz.style as style
from twin.model.city import City
from twin.viz.data import RunData
from twin.viz.drill import drill_labels, id_text
from twin.viz.geom import DECIMALS, WGS84, MapLayer, lit, packed_segment_layer, points

ROUTES_SHOWN_MAX = 400
"""Above this many route legs, routes start hidden and packed (see :func:`route_layers`)."""
COMMUNITY_SHOWN_MAX = 300
"""Community posts start hidden when a city has more than this many (they would bury the map)."""


def station_layers(city: City) -> list[MapLayer]:
    """Stations, one ScatterplotLayer per force (community posts smallest, drawn first)."""
    s = city.stations
    if s.empty:
        return []
    pts = points(s.geometry.to_crs(WGS84))
    order = ["community", "social", "professional", "fire", "air"]
    forces = order + sorted(set(s["force"]) - set(order))
    out = []
    for force in forces:
        mask = (s["force"] == force).to_numpy()
        if not mask.any():
            continue
        st = style.force_style(force)
        data = [
            {"p": p, "tip": f"{r.name}  {r.name_en}\n{force} · {r.units} units · {r.station_id}"}
            for p, r, m in zip(pts, s.itertuples(index=False), mask)
            if m
        ]
        small = force == "community"
        visible = not small or len(data) <= COMMUNITY_SHOWN_MAX
        layer = pdk.Layer(
            "ScatterplotLayer",
            data,
            id=f"stations_{force}",
            get_position="p",
            get_fill_color=st["color"],
            get_radius=st["radius_m"],
            radius_min_pixels=st["min_px"],
            stroked=not small,
            get_line_color=[255, 255, 255, 255],
            line_width_min_pixels=1,
            pickable=True,
            auto_highlight=True,
            visible=visible,
        )
        out.append(MapLayer(layer, "community_posts" if small else "stations", visible))
    return out


def incident_layers(city: City, run: RunData, target: str = "30min") -> list[MapLayer]:
    """Incidents at their (lon, lat), coloured by whether ``target`` was met."""
    inc = run.incidents
    if inc.empty:
        return []
    col = style.MET_COLUMN[target]
    names = dict(
        zip(city.districts["district_id"], city.districts["name"] + " " + city.districts["name_en"])
    )
    groups: dict[str, list[dict]] = {"met": [], "missed": [], "na": []}
    for r in inc.itertuples(index=False):
        x, y = style.number(r.x), style.number(r.y)
        if x is None or y is None:
            continue
        met = getattr(r, col)
        key = "na" if met is None or pd.isna(met) else ("met" if bool(met) else "missed")
        groups[key].append(
            {
                "p": [round(x, DECIMALS), round(y, DECIMALS)],
                "tip": incident_tip(r, names, target, key),
            }
        )
    colors = {"met": style.MET_COLOR, "missed": style.MISSED_COLOR, "na": style.NA_COLOR}
    out = []
    for key in ("na", "met", "missed"):
        if groups[key]:
            na = key == "na"  # not applicable to this target: smaller, no dark outline
            layer = pdk.Layer(
                "ScatterplotLayer",
                groups[key],
                id=f"incidents_{key}",
                get_position="p",
                get_fill_color=colors[key],
                get_radius=50 if na else 70,
                radius_min_pixels=2 if na else 3.5,
                stroked=not na,
                get_line_color=[20, 20, 20, 220],
                line_width_min_pixels=1,
                pickable=True,
                auto_highlight=True,
            )
            out.append(MapLayer(layer, "incidents"))
    return out


def drill_layers(run: RunData) -> list[MapLayer]:
    """The drill's incidents (scripted ones and what they escalated into) ringed at a fixed
    size in pixels — a dark ring on a white halo — so they stand out on the whole-city view,
    where the incidents' own dots are a few pixels wide; hover shows the drill's label."""
    labels = drill_labels(run)
    inc = run.incidents
    if not labels or inc.empty:
        return []
    data = []
    for r in inc.itertuples(index=False):
        x, y, iid = style.number(r.x), style.number(r.y), id_text(r.incident_id)
        if iid in labels and x is not None and y is not None:
            tip = f"DRILL 演练: {labels[iid]}\n{iid} · {r.type}"
            data.append({"p": [round(x, DECIMALS), round(y, DECIMALS)], "tip": tip})
    if not data:
        return []
    common: dict[str, Any] = {
        "get_position": "p",
        "get_radius": style.DRILL_RING_PX,
        "radius_units": lit("pixels"),
        "line_width_units": lit("pixels"),
        "stroked": True,
        "filled": False,
    }
    halo = pdk.Layer(
        "ScatterplotLayer",
        data,
        id="drill_halo",
        get_line_color=style.DRILL_HALO,
        get_line_width=8,
        pickable=False,
        **common,
    )
    ring = pdk.Layer(
        "ScatterplotLayer",
        data,
        id="drill",
        get_line_color=style.DRILL_COLOR,
        get_line_width=4,
        pickable=True,
        auto_highlight=True,
        **common,
    )
    return [MapLayer(halo, "drill"), MapLayer(ring, "drill")]


def incident_tip(r: Any, names: dict[str, str], target: str, key: str) -> str:
    """Hover text of an incident."""
    verdict = {"met": "met", "missed": "MISSED", "na": "n/a"}[key]
    label = getattr(r, "label", None)
    label = f"\n{label}" if isinstance(label, str) and label else ""
    return (
        f"{r.incident_id} · {r.type}{label}\n{names.get(r.district_id, r.district_id)}\n"
        f"alarm {style.clock(style.number(r.alarm_s))} · ground "
        f"{style.minutes(style.number(r.resp_ground_s))} · community "
        f"{style.minutes(style.number(r.resp_community_s))}\n"
        f"{style.target_label(target)} target: {verdict}"
    )


def route_layers(run: RunData) -> list[MapLayer]:
    """The trips units drove (routes.parquet), coloured by force; return legs fainter.

    More than :data:`ROUTES_SHOWN_MAX` legs (a busy day, an earthquake) would bury the map:
    then the outbound legs are packed, one hidden layer per force, without tooltips."""
    r = run.routes
    if r.empty:
        return []
    if len(r) > ROUTES_SHOWN_MAX:
        out = []
        out_legs = r[r["leg"].astype(str) != "return"]
        for force, sub in out_legs.groupby(out_legs["force"].astype(str)):
            paths = [[[float(x), float(y)] for x, y in p] for p in sub["path"] if len(p) > 1]
            color = list(style.force_style(force)["color"][:3]) + [200]
            out.append(
                packed_segment_layer(
                    f"routes_{force}",
                    paths,
                    "routes",
                    get_color=color,
                    get_width=2,
                    width_units=lit("pixels"),
                )
            )
        return out
    data = []
    for row in r.itertuples(index=False):
        path = [[round(float(x), DECIMALS), round(float(y), DECIMALS)] for x, y in row.path]
        if len(path) < 2:
            continue
        color = list(style.force_style(str(row.force))["color"][:3])
        color.append(110 if row.leg == "return" else 230)
        data.append(
            {
                "p": path,
                "c": color,
                "tip": (
                    f"unit {row.unit_id} ({row.force}) · {row.leg}\nincident {row.incident_id} · "
                    f"from {row.station_id}\n{style.clock(style.number(row.depart_s))} → "
                    f"{style.clock(style.number(row.arrive_s))}"
                ),
            }
        )
    if not data:
        return []
    layer = pdk.Layer(
        "PathLayer",
        data,
        id="routes",
        get_path="p",
        get_color="c",
        get_width=4,
        width_units=lit("pixels"),
        cap_rounded=True,
        joint_rounded=True,
        pickable=True,
        auto_highlight=True,
    )
    return [MapLayer(layer, "routes")]
