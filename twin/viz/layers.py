"""pydeck layers drawing a City and a Results folder.

Each function returns :class:`MapLayer` records: a ``pydeck.Layer`` plus the toggle group it
belongs to and whether it starts visible. Geometry is simplified a little in the city's
metric CRS, projected to WGS84 at this edge, and rounded to 1e-5° (about 1 m); per-feature
hover text (``tip``, Chinese and English names and the engine's figures) is plain text that
the page shows with ``textContent``. Nothing here computes a figure: colours and text come
from the City layers and the engine's tables (compliance.csv, incidents, lifelines,
routes, coverage).

Payload and drawing time: a layer with more than :data:`TIP_LIMIT` features (the local
streets and pipes of a whole twin) ships without tooltips, as a LineLayer of bare segments
(:func:`segment_layer`); layers hidden at first are rounded to 1e-4° (≈ 10 m).
Stations, incidents and routes are in :mod:`twin.viz.points`, 1 km cells and coverage
areas in :mod:`twin.viz.cells`, the scenario's changes in :mod:`twin.viz.changes`, water in
:mod:`twin.viz.basemap`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import geopandas as gpd
import pandas as pd
import pydeck as pdk

import twin.viz.style as style
from twin.model.city import CORE_LEVEL, City
from twin.viz.basemap import water_layers
from twin.viz.cells import cell_layers, cell_results, coverage_area_layers
from twin.viz.changes import change_layers
from twin.viz.data import RunData, closures, coverage_series, district_compliance
from twin.viz.geom import (
    DECIMALS,
    TIP_LIMIT,
    WGS84,
    MapLayer,
    bounds_wgs84,
    fit_view,
    line_paths,
    lit,
    packed_segment_layer,
    polygon_rings,
    segment_layer,
    to_wgs84,
)
from twin.viz.pipes import pipe_layers
from twin.viz.points import drill_layers, incident_layers, route_layers, station_layers
from twin.viz.relief import relief_layers
from twin.viz.runcity import StationChanges, hazards

ROAD_SIMPLIFY_M = 4.0
DISTRICT_SIMPLIFY_M = 25.0
OUTER_SIMPLIFY_M = 150.0
"""Districts outside the study area are context only: simplified more."""
CELLS_SHOWN_MIN = 200
"""Results by 1 km cell are shown at first (district fill hidden) when at least this many
incidents had the target apply; with fewer, most cells would hold one incident."""
CELLS_SHOWN_PER_CELL = 3.0
"""… and when the cells with incidents hold at least this many on average: with one or
two a cell's share can only read 0, 50 or 100 % (noise), and the faint cells of a week's
baseline (283 ground incidents spread thin) hid the answer the district fill shows."""


def cells_shown(city: City, run: RunData, target: str) -> bool:
    """Whether a map starts with results by 1 km cell rather than by district: enough
    incidents in all (:data:`CELLS_SHOWN_MIN`) and per cell (:data:`CELLS_SHOWN_PER_CELL`)."""
    counts = cell_results(city, run, target)["count"]
    total = int(counts.sum())
    return total >= CELLS_SHOWN_MIN and total >= CELLS_SHOWN_PER_CELL * len(counts)


# --- districts ---------------------------------------------------------------------------


def district_layers(
    city: City, run: RunData, target: str = "30min", fill_visible: bool = True
) -> list[MapLayer]:
    """Districts filled by the share of incidents meeting ``target`` (``fill_visible``: the
    fill starts shown), their outlines (always shown) and name labels."""
    d = city.districts
    if d.empty:
        return []
    comp = district_compliance(run.compliance, target)
    core = (d["level"] == CORE_LEVEL).to_numpy()
    geoms = [
        a if c else b
        for a, b, c in zip(to_wgs84(d, DISTRICT_SIMPLIFY_M), to_wgs84(d, OUTER_SIMPLIFY_M), core)
    ]
    records, outlines, labels = [], [], []
    for row, geom, label_pt in zip(
        d.itertuples(index=False), geoms, d.geometry.representative_point().to_crs(WGS84)
    ):
        figures = comp.loc[row.district_id] if row.district_id in comp.index else None
        share = style.number(figures["met_share"]) if figures is not None else None
        if figures is not None and not (style.number(figures["count"]) or 0) > 0:
            share = None
        tip = district_tip(row, figures, target)
        width = 2 if row.level == CORE_LEVEL else 1
        for rings in polygon_rings(geom):
            outlines.append({"polygon": rings, "w": width})
            if row.level == CORE_LEVEL or share is not None:  # the study area, filled
                records.append({"polygon": rings, "c": style.ramp(share), "tip": tip})
        if row.level == CORE_LEVEL:
            labels.append(
                {
                    "p": [round(label_pt.x, DECIMALS), round(label_pt.y, DECIMALS)],
                    "t": f"{row.name}\n{row.name_en}",
                }
            )
    fill = pdk.Layer(
        "PolygonLayer",
        records,
        id="districts",
        get_polygon="polygon",
        get_fill_color="c",
        stroked=False,
        filled=True,
        pickable=True,
        auto_highlight=True,
        highlight_color=[255, 255, 255, 60],
        visible=fill_visible,
    )
    outline = pdk.Layer(
        "PolygonLayer",
        outlines,
        id="outlines",
        get_polygon="polygon",
        filled=False,
        stroked=True,
        get_line_color=style.DISTRICT_LINE,
        get_line_width="w",
        line_width_units=lit("pixels"),
        pickable=False,
    )
    text = pdk.Layer(
        "TextLayer",
        labels,
        id="labels",
        get_position="p",
        get_text="t",
        get_size=13,
        get_color=[30, 30, 30, 255],
        character_set=lit("auto"),
        font_family=lit(style.FONT_STACK),
        font_weight=600,
        font_settings={"sdf": True},
        outline_width=3,
        outline_color=[255, 255, 255, 230],
        line_height=1.1,
        get_text_anchor=lit("middle"),
        get_alignment_baseline=lit("center"),
    )
    return [
        MapLayer(fill, "districts", fill_visible),
        MapLayer(outline, "outlines"),
        MapLayer(text, "labels"),
    ]


def district_tip(row: Any, figures: pd.Series | None, target: str) -> str:
    """Hover text of a district: names, population and its compliance row."""
    head = f"{row.name}  {row.name_en}\npopulation {int(row.population):,}"
    count = None if figures is None else style.number(figures["count"])
    if figures is None or count is None or not count > 0:
        return head + "\nno incidents in this run"
    return (
        f"{head}\n{style.target_label(target)} target met: "
        f"{style.percent(style.number(figures['met_share']))} of {int(count)}"
        f"\nmean {style.minutes(style.number(figures['mean_s']))} · p50 "
        f"{style.minutes(style.number(figures['p50_s']))} · p90 "
        f"{style.minutes(style.number(figures['p90_s']))}"
    )


# --- roads, bridges, tunnels, closures ----------------------------------------------------


def road_layers(city: City) -> list[MapLayer]:
    """One PathLayer per road class (local first), then tunnels and bridges on top."""
    e = city.road_edges
    if e.empty:
        return []
    classes = e["road_class"].where(e["road_class"].isin(list(style.ROAD_STYLE)), style.OTHER_ROAD)
    out = []
    for cls in ["local", "mountain", "arterial", "expressway"]:
        sub = e[classes == cls]
        if not len(sub):
            continue
        st = style.road_style(cls)
        if cls == "local" and len(sub) > TIP_LIMIT:  # a big city's streets: hidden, packed
            paths = line_paths(to_wgs84(sub, ROAD_SIMPLIFY_M))
            out.append(
                packed_segment_layer(
                    "roads_local",
                    paths,
                    "roads_local",
                    get_color=st["color"],
                    get_width=st["width_m"],
                    width_units=lit("meters"),
                    width_min_pixels=st["min_px"],
                )
            )
        else:
            out.append(MapLayer(_edge_layer(f"roads_{cls}", sub, st), "roads"))
    tunnels, bridges = e[e["tunnel"].astype(bool)], e[e["bridge"].astype(bool)]
    if len(tunnels):
        tunnel_st = {"color": style.TUNNEL_COLOR, "width_m": 30.0, "min_px": 2.0}
        out.append(MapLayer(_edge_layer("tunnels", tunnels, tunnel_st), "bridges"))
    if len(bridges):  # a white casing under a dark deck: a crossing over the water
        casing = {"color": style.BRIDGE_CASING, "width_m": 70.0, "min_px": 6.0}
        deck_st = {"color": style.BRIDGE_COLOR, "width_m": 36.0, "min_px": 3.0}
        out.append(MapLayer(_edge_layer("bridges_casing", bridges, casing, tips=False), "bridges"))
        out.append(MapLayer(_edge_layer("bridges", bridges, deck_st), "bridges"))
    return out


def _edge_layer(
    layer_id: str, edges: gpd.GeoDataFrame, st: Mapping[str, Any], tips: bool = True
) -> pdk.Layer:
    """Road edges in one style: a PathLayer with tips, or segments when there are many."""
    paths = line_paths(to_wgs84(edges, ROAD_SIMPLIFY_M))
    common = dict(
        get_color=st["color"],
        get_width=st["width_m"],
        width_units=lit("meters"),
        width_min_pixels=st["min_px"],
    )
    if not tips:
        return pdk.Layer(
            "PathLayer",
            [{"p": p} for p in paths],
            id=layer_id,
            get_path="p",
            pickable=False,
            cap_rounded=True,
            **common,
        )
    if len(edges) > TIP_LIMIT:
        return segment_layer(layer_id, paths, **common)
    tip_texts = [road_tip(r) for r in edges.itertuples(index=False)]
    data = [{"p": p, "tip": t} for p, t in zip(paths, tip_texts)]
    return pdk.Layer(
        "PathLayer",
        data,
        id=layer_id,
        get_path="p",
        pickable=True,
        auto_highlight=True,
        cap_rounded=True,
        joint_rounded=True,
        **common,
    )


def road_tip(row: Any) -> str:
    """Hover text of a road edge."""
    kind = " · bridge 桥" if row.bridge else (" · tunnel 隧道" if row.tunnel else "")
    name = row.name or "(unnamed)"
    return (
        f"{name}\n{row.road_class}{kind}\n{row.length_m:,.0f} m · "
        f"{row.speed_kph:.0f} km/h · edge {row.edge_id}"
    )


def closure_layers(city: City, run: RunData) -> list[MapLayer]:
    """Road edges closed during the run (lifelines kind=closure, ref = edge_id). Each record
    carries its closure's ``s``/``e`` (start_s/end_s, seconds; ``None`` when missing): the
    static maps draw every closure, the replay only those open at its clock."""
    cl = closures(run.lifelines)
    if cl.empty or city.road_edges.empty:
        return []
    e = city.road_edges.set_index("edge_id", drop=False)
    cl = cl[cl["edge_id"].isin(e.index)]
    if cl.empty:
        return []
    sub = e.loc[cl["edge_id"]]
    paths = line_paths(to_wgs84(sub, ROAD_SIMPLIFY_M))
    data = [
        {"p": p, "tip": closure_tip(c, r), "s": style.number(c.start_s), "e": style.number(c.end_s)}
        for p, c, r in zip(paths, cl.itertuples(index=False), sub.itertuples(index=False))
    ]
    casing = pdk.Layer(
        "PathLayer",
        [{"p": d["p"]} for d in data],
        id="closures_casing",
        get_path="p",
        get_color=style.CLOSED_CASING,
        get_width=90,
        width_units=lit("meters"),
        width_min_pixels=8,
        cap_rounded=True,
    )
    layer = pdk.Layer(
        "PathLayer",
        data,
        id="closures",
        get_path="p",
        get_color=style.CLOSED_COLOR,
        get_width=45,
        width_units=lit("meters"),
        width_min_pixels=4,
        cap_rounded=True,
        pickable=True,
        auto_highlight=True,
    )
    return [MapLayer(casing, "closures"), MapLayer(layer, "closures")]


def closure_tip(closure: Any, edge: Any) -> str:
    """Hover text of a closed edge: the road, why and by what, from when to when."""
    why = " · ".join(str(v) for v in (closure.reason, closure.name) if isinstance(v, str) and v)
    return (
        f"CLOSED 封闭: {edge.name or edge.edge_id}\n{why}\n"
        f"{style.clock(style.number(closure.start_s))} – "
        f"{style.clock(style.number(closure.end_s))}"
    )


# --- everything --------------------------------------------------------------------------


@dataclass(frozen=True)
class Common:
    """The layers map.html and replay.html both draw (same city, same run)."""

    water: list[MapLayer]
    roads: list[MapLayer]
    closures: list[MapLayer]
    stations: list[MapLayer]


def common_layers(city: City, run: RunData) -> Common:
    """Water, roads, closures and stations of ``city`` (the city the run used)."""
    water = water_layers(bounds_wgs84(city))
    return Common(water, road_layers(city), closure_layers(city, run), station_layers(city))


def map_layers(
    city: City,
    run: RunData,
    target: str = "30min",
    coverage: pd.Series | None = None,
    changes: StationChanges | None = None,
    common: Common | None = None,
) -> list[MapLayer]:
    """All layers of map.html in drawing order, for the city the run used (``city``).

    ``coverage`` (seconds from the nearest ground base, by node_id) overrides the
    ``t_ground_s`` column of the folder's coverage.parquet; ``changes`` are the stations
    the scenario added, moved or removed (:func:`twin.viz.runcity.station_changes`).
    With results by 1 km cell, the cells are shown and the district fill and the incidents
    start hidden (a box ticks them on).
    ``common``: those layers already built for this city and run (:func:`common_layers`).
    """
    if target not in style.MET_COLUMN:
        raise ValueError(f"target must be one of {style.TARGETS}, not {target!r}")
    ground = coverage if coverage is not None else coverage_series(run, "t_ground_s")
    show_cells = cells_shown(city, run, target)
    cells = cell_layers(city, run, target, visible=show_cells)
    districts = district_layers(city, run, target, fill_visible=not show_cells)
    fill = [m for m in districts if m.group == "districts"]
    top = [m for m in districts if m.group != "districts"]  # outlines and labels
    c = common or common_layers(city, run)
    incidents = incident_layers(city, run, target)
    if show_cells:  # the cells sum the incidents up; their dots would bury the cells' colour
        incidents = [replace(m, visible=False) for m in incidents]
    return [
        *fill,
        *cells,
        *coverage_area_layers(city, ground),
        *relief_layers(city),
        *c.water,
        *c.roads,
        *c.closures,
        *pipe_layers(city),
        *route_layers(run),
        *c.stations,
        *change_layers(city, changes, hazards(run)),
        *incidents,
        *drill_layers(run),
        *top,
    ]


def deck(layers: list[MapLayer], city: City) -> pdk.Deck:
    """A pydeck Deck of ``layers`` with no base map (offline), fitted to the city."""
    return pdk.Deck(
        layers=[m.layer for m in layers],
        map_provider=None,
        map_style=None,
        initial_view_state=fit_view(bounds_wgs84(city)),
        tooltip=False,
        views=[pdk.View(type="MapView", controller=True)],
    )
