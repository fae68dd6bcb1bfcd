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
(:func:`segment_layer`); coverage dots are bare coordinate arrays (``get_position="-"``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pydeck as pdk
import shapely

from twin.model.city import CORE_LEVEL, City
from twin.viz import style
from twin.viz.data import RunData, closures, coverage_series, district_compliance

WGS84 = "EPSG:4326"
DECIMALS = 5
"""Coordinates are rounded to 1e-5 degrees (≈ 1.1 m at Chongqing)."""
TIP_LIMIT = 20_000
"""Above this many features a layer ships without per-feature tooltips."""
ROAD_SIMPLIFY_M = 4.0
DISTRICT_SIMPLIFY_M = 25.0
PIPE_SIMPLIFY_M = 4.0
COMMUNITY_SHOWN_MAX = 300
"""Community posts start hidden when a city has more than this many (they would bury the map)."""


@dataclass(frozen=True)
class MapLayer:
    """A deck layer with the toggle it belongs to."""

    layer: pdk.Layer
    group: str
    visible: bool = True


GROUP_LABELS: dict[str, str] = {
    "districts": "Districts 区县 (compliance)",
    "coverage_ground": "Coverage: fire/ground 覆盖",
    "coverage_community": "Coverage: community 社区覆盖",
    "roads": "Roads 道路",
    "bridges": "Bridges & tunnels 桥隧",
    "closures": "Closed roads 封闭",
    "pipes_water": "Water mains 供水",
    "pipes_gas": "Gas mains 燃气",
    "pipes_drainage": "Drainage 排水",
    "routes": "Unit routes 出动路线",
    "community_posts": "Community posts 社区微型站",
    "stations": "Stations 站点",
    "incidents": "Incidents 事件",
    "labels": "Labels 标注",
}
"""Toggle groups in drawing order, with their checkbox labels."""


def lit(value: str) -> str:
    """A literal string prop for pydeck (unquoted strings become accessor expressions)."""
    return f"`{value}`"


# --- geometry helpers -------------------------------------------------------------------

def to_wgs84(gdf: gpd.GeoDataFrame, simplify_m: float = 0.0) -> gpd.GeoSeries:
    """The geometries of ``gdf`` simplified in its metric CRS, then in WGS84."""
    geom = gdf.geometry
    if simplify_m > 0 and len(geom):
        geom = geom.simplify(simplify_m, preserve_topology=False)
    return geom.to_crs(WGS84) if geom.crs is not None else geom


def line_paths(geoms: gpd.GeoSeries) -> list[list[list[float]]]:
    """Each LineString as a list of [lon, lat] rounded to :data:`DECIMALS`."""
    arr = np.asarray(geoms.values, dtype=object)
    if len(arr) == 0:
        return []
    coords, idx = shapely.get_coordinates(arr, return_index=True)
    flat = np.round(coords, DECIMALS).tolist()
    ends = np.cumsum(np.bincount(idx, minlength=len(arr))).tolist()
    return [flat[a:b] for a, b in zip([0, *ends[:-1]], ends)]


def polygon_rings(geom: shapely.Geometry) -> list[list[list[list[float]]]]:
    """Each part of a (Multi)Polygon as [outer ring, *holes], vertices rounded."""
    parts = getattr(geom, "geoms", [geom])
    out = []
    for poly in parts:
        if poly.is_empty:
            continue
        rings = [poly.exterior, *poly.interiors]
        out.append([np.round(np.asarray(r.coords)[:, :2], DECIMALS).tolist() for r in rings])
    return out


def points(geoms: gpd.GeoSeries) -> list[list[float]]:
    """Point geometries as [lon, lat] rounded."""
    if len(geoms) == 0:
        return []
    return np.round(np.column_stack([geoms.x, geoms.y]), DECIMALS).tolist()


def bounds_wgs84(city: City) -> list[float]:
    """[west, south, east, north] of the core districts (all districts, or roads, if none)."""
    core = city.core_districts
    src = core if len(core) else city.road_nodes
    w, s, e, n = src.geometry.to_crs(WGS84).total_bounds
    return [float(w), float(s), float(e), float(n)]


def fit_view(bounds: list[float], width: int = 1600, height: int = 900,
             padding: int = 40) -> pdk.ViewState:
    """A Web Mercator view showing ``bounds`` in a ``width``×``height`` pixel canvas."""
    def y(lat: float) -> float:  # Mercator ordinate
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    w, s, e, n = bounds
    lon = (w + e) / 2
    lat = math.degrees(2 * math.atan(math.exp((y(s) + y(n)) / 2)) - math.pi / 2)
    dx = max(e - w, 1e-6) / 360
    dy = max(y(n) - y(s), 1e-6) / (2 * math.pi)
    zoom = min(math.log2((width - 2 * padding) / 512 / dx),
               math.log2((height - 2 * padding) / 512 / dy))
    return pdk.ViewState(longitude=lon, latitude=lat, zoom=round(min(zoom, 17), 2),
                         pitch=0, bearing=0)


# --- districts ---------------------------------------------------------------------------

def district_layers(city: City, run: RunData, target: str = "30min") -> list[MapLayer]:
    """Districts filled by the share of incidents meeting ``target``, plus name labels."""
    d = city.districts
    if d.empty:
        return []
    comp = district_compliance(run.compliance, target)
    geoms = to_wgs84(d, DISTRICT_SIMPLIFY_M)
    records, labels = [], []
    for row, geom, label_pt in zip(d.itertuples(index=False), geoms,
                                   d.geometry.representative_point().to_crs(WGS84)):
        figures = comp.loc[row.district_id] if row.district_id in comp.index else None
        share = style.number(figures["met_share"]) if figures is not None else None
        if figures is not None and not (style.number(figures["count"]) or 0) > 0:
            share = None
        color = style.ramp(share)
        if row.level != CORE_LEVEL and share is None:
            color = [*style.NO_DATA[:3], 60]
        tip = district_tip(row, figures, target)
        for rings in polygon_rings(geom):
            records.append({"polygon": rings, "c": color, "tip": tip,
                            "w": 2 if row.level == CORE_LEVEL else 1})
        if row.level == CORE_LEVEL:
            labels.append({"p": [round(label_pt.x, DECIMALS), round(label_pt.y, DECIMALS)],
                           "t": f"{row.name}\n{row.name_en}"})
    fill = pdk.Layer("PolygonLayer", records, id="districts", get_polygon="polygon",
                     get_fill_color="c", get_line_color=style.DISTRICT_LINE,
                     get_line_width="w", line_width_units=lit("pixels"), stroked=True,
                     filled=True, pickable=True, auto_highlight=True,
                     highlight_color=[255, 255, 255, 60])
    text = pdk.Layer("TextLayer", labels, id="labels", get_position="p", get_text="t",
                     get_size=13, get_color=[30, 30, 30, 255], character_set=lit("auto"),
                     font_family=lit(style.FONT_STACK), font_weight=600,
                     font_settings={"sdf": True}, outline_width=3,
                     outline_color=[255, 255, 255, 230], line_height=1.1,
                     get_text_anchor=lit("middle"), get_alignment_baseline=lit("center"))
    return [MapLayer(fill, "districts"), MapLayer(text, "labels")]


def district_tip(row: object, figures: pd.Series | None, target: str) -> str:
    """Hover text of a district: names, population and its compliance row."""
    head = f"{row.name}  {row.name_en}\npopulation {int(row.population):,}"
    if figures is None or not (style.number(figures["count"]) or 0) > 0:
        return head + "\nno incidents in this run"
    return (f"{head}\n{style.target_label(target)} target met: "
            f"{style.percent(style.number(figures['met_share']))} of {int(style.number(figures['count']))}"
            f"\nmean {style.minutes(style.number(figures['mean_s']))} · p50 "
            f"{style.minutes(style.number(figures['p50_s']))} · p90 "
            f"{style.minutes(style.number(figures['p90_s']))}")


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
        if len(sub):
            out.append(MapLayer(_edge_layer(f"roads_{cls}", sub, style.road_style(cls)), "roads"))
    for flag, color, width in (("tunnel", style.TUNNEL_COLOR, 2.0), ("bridge", style.BRIDGE_COLOR, 3.5)):
        sub = e[e[flag].astype(bool)]
        if len(sub):
            st = {"color": color, "width_m": 30.0, "min_px": width}
            out.append(MapLayer(_edge_layer(f"{flag}s", sub, st), "bridges"))
    return out


def segment_layer(layer_id: str, paths: list[list[list[float]]], **props: object) -> pdk.Layer:
    """Many lines without tooltips as a LineLayer of their segments.

    Big layers (a twin's ~85k local streets, ~95k pipes) draw several times faster as
    LineLayer segments than as PathLayer paths (software WebGL: 5 s instead of 15 s for the
    local streets of the embedded twin); without per-feature data they are also smaller.
    """
    data = [{"s": a, "t": b} for path in paths for a, b in zip(path, path[1:])]
    return pdk.Layer("LineLayer", data, id=layer_id, get_source_position="s",
                     get_target_position="t", pickable=False, **props)


def _edge_layer(layer_id: str, edges: gpd.GeoDataFrame, st: dict) -> pdk.Layer:
    """Road edges in one style: a PathLayer with tips, or segments when there are many."""
    paths = line_paths(to_wgs84(edges, ROAD_SIMPLIFY_M))
    common = dict(get_color=st["color"], get_width=st["width_m"], width_units=lit("meters"),
                  width_min_pixels=st["min_px"])
    if len(edges) > TIP_LIMIT:
        return segment_layer(layer_id, paths, **common)
    tips = [road_tip(r) for r in edges.itertuples(index=False)]
    data = [{"p": p, "tip": t} for p, t in zip(paths, tips)]
    return pdk.Layer("PathLayer", data, id=layer_id, get_path="p", pickable=True,
                     auto_highlight=True, cap_rounded=True, joint_rounded=True, **common)


def road_tip(row: object) -> str:
    """Hover text of a road edge."""
    kind = " · bridge 桥" if row.bridge else (" · tunnel 隧道" if row.tunnel else "")
    name = row.name or "(unnamed)"
    return (f"{name}\n{row.road_class}{kind}\n{row.length_m:,.0f} m · "
            f"{row.speed_kph:.0f} km/h · edge {row.edge_id}")


def closure_layers(city: City, run: RunData) -> list[MapLayer]:
    """Road edges closed during the run (lifelines kind=closure, ref = edge_id)."""
    cl = closures(run.lifelines)
    if cl.empty or city.road_edges.empty:
        return []
    e = city.road_edges.set_index("edge_id", drop=False)
    cl = cl[cl["edge_id"].isin(e.index)]
    if cl.empty:
        return []
    sub = e.loc[cl["edge_id"]]
    paths = line_paths(to_wgs84(sub, ROAD_SIMPLIFY_M))
    data = [{"p": p, "tip": closure_tip(c, r)}
            for p, c, r in zip(paths, cl.itertuples(index=False), sub.itertuples(index=False))]
    layer = pdk.Layer("PathLayer", data, id="closures", get_path="p",
                      get_color=style.CLOSED_COLOR, get_width=40, width_units=lit("meters"),
                      width_min_pixels=4, cap_rounded=True, pickable=True, auto_highlight=True)
    return [MapLayer(layer, "closures")]


def closure_tip(closure: object, edge: object) -> str:
    """Hover text of a closed edge: the road, why and by what, from when to when."""
    why = " · ".join(str(v) for v in (closure.reason, closure.name)
                     if isinstance(v, str) and v)
    return (f"CLOSED 封闭: {edge.name or edge.edge_id}\n{why}\n"
            f"{style.clock(style.number(closure.start_s))} – "
            f"{style.clock(style.number(closure.end_s))}")


# --- pipes ------------------------------------------------------------------------------

def pipe_layers(city: City) -> list[MapLayer]:
    """One PathLayer per pipe network, hidden until its checkbox is ticked."""
    p = city.pipes
    out = []
    for net in ("water", "gas", "drainage"):
        sub = p[p["network"] == net]
        if sub.empty:
            continue
        paths = line_paths(to_wgs84(sub, PIPE_SIMPLIFY_M))
        layer_id = f"pipes_{net}"
        common = dict(get_color=style.PIPE_COLOR[net], get_width=2, width_units=lit("pixels"),
                      visible=False)
        if len(sub) > TIP_LIMIT:
            layer = segment_layer(layer_id, paths, **common)
        else:
            data = [{"p": path, "tip": f"{net} pipe {r.pipe_id}\nØ {r.diameter_mm:.0f} mm · "
                     f"{r.material} · {r.install_year}" + (" · monitored" if r.monitored else "")}
                    for path, r in zip(paths, sub.itertuples(index=False))]
            layer = pdk.Layer("PathLayer", data, id=layer_id, get_path="p", pickable=True,
                              **common)
        out.append(MapLayer(layer, layer_id, visible=False))
    return out


# --- stations, incidents, coverage, routes ---------------------------------------------

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
        data = [{"p": p, "tip": f"{r.name}  {r.name_en}\n{force} · {r.units} units · {r.station_id}"}
                for p, r, m in zip(pts, s.itertuples(index=False), mask) if m]
        small = force == "community"
        visible = not small or len(data) <= COMMUNITY_SHOWN_MAX
        layer = pdk.Layer("ScatterplotLayer", data, id=f"stations_{force}", get_position="p",
                          get_fill_color=st["color"], get_radius=st["radius_m"],
                          radius_min_pixels=st["min_px"], stroked=not small,
                          get_line_color=[255, 255, 255, 255], line_width_min_pixels=1,
                          pickable=True, auto_highlight=True, visible=visible)
        out.append(MapLayer(layer, "community_posts" if small else "stations", visible))
    return out


def incident_layers(city: City, run: RunData, target: str = "30min") -> list[MapLayer]:
    """Incidents at their (lon, lat), coloured by whether ``target`` was met."""
    inc = run.incidents
    if inc.empty:
        return []
    col = style.MET_COLUMN[target]
    names = dict(zip(city.districts["district_id"], city.districts["name"] + " " +
                     city.districts["name_en"]))
    groups: dict[str, list[dict]] = {"met": [], "missed": [], "na": []}
    for r in inc.itertuples(index=False):
        x, y = style.number(r.x), style.number(r.y)
        if x is None or y is None:
            continue
        met = getattr(r, col)
        key = "na" if met is None or pd.isna(met) else ("met" if bool(met) else "missed")
        groups[key].append({"p": [round(x, DECIMALS), round(y, DECIMALS)],
                            "tip": incident_tip(r, names, target, key)})
    colors = {"met": style.MET_COLOR, "missed": style.MISSED_COLOR, "na": style.NA_COLOR}
    out = []
    for key in ("na", "met", "missed"):
        if groups[key]:
            na = key == "na"  # not applicable to this target: smaller, no dark outline
            layer = pdk.Layer("ScatterplotLayer", groups[key], id=f"incidents_{key}",
                              get_position="p", get_fill_color=colors[key],
                              get_radius=50 if na else 70, radius_min_pixels=2 if na else 3.5,
                              stroked=not na, get_line_color=[20, 20, 20, 220],
                              line_width_min_pixels=1, pickable=True, auto_highlight=True)
            out.append(MapLayer(layer, "incidents"))
    return out


def incident_tip(r: object, names: dict[str, str], target: str, key: str) -> str:
    """Hover text of an incident."""
    verdict = {"met": "met", "missed": "MISSED", "na": "n/a"}[key]
    label = getattr(r, "label", None)
    label = f"\n{label}" if isinstance(label, str) and label else ""
    return (f"{r.incident_id} · {r.type}{label}\n{names.get(r.district_id, r.district_id)}\n"
            f"alarm {style.clock(style.number(r.alarm_s))} · ground "
            f"{style.minutes(style.number(r.resp_ground_s))} · community "
            f"{style.minutes(style.number(r.resp_community_s))}\n"
            f"{style.target_label(target)} target: {verdict}")


def coverage_layers(city: City, coverage: pd.Series, group: str = "coverage_ground",
                    visible: bool = False) -> list[MapLayer]:
    """Road nodes coloured by the engine's best time from any base (≤10, ≤30, >30 min).

    ``coverage`` is seconds indexed by node_id (from the engine; viz routes nothing).
    """
    if coverage is None or coverage.empty or city.road_nodes.empty:
        return []
    nodes = city.road_nodes
    coverage = coverage[~coverage.index.duplicated()]
    ids = pd.Index(nodes["node_id"].astype(str))
    pos = pd.Index(coverage.index.astype(str)).get_indexer(ids)
    known = pos >= 0  # nodes the engine reported (NaN there: unreachable, the last band)
    t = np.where(known, pd.to_numeric(coverage, errors="coerce").to_numpy(float)[pos], np.nan)
    pts = np.asarray(points(nodes.geometry.to_crs(WGS84)))
    band = np.array([style.coverage_band(v) for v in t])
    out = []
    for i, (_, color, _label) in enumerate(style.COVERAGE_BANDS):
        mask = known & (band == i)
        if mask.any():
            layer = pdk.Layer("ScatterplotLayer", pts[mask].tolist(), id=f"{group}_{i}",
                              get_position="-", get_fill_color=color, get_radius=90,
                              radius_min_pixels=1.5, visible=visible)
            out.append(MapLayer(layer, group, visible=visible))
    return out


def route_layers(run: RunData) -> list[MapLayer]:
    """The trips units drove (routes.parquet), coloured by force; return legs fainter."""
    r = run.routes
    if r.empty:
        return []
    data = []
    for row in r.itertuples(index=False):
        path = [[round(float(x), DECIMALS), round(float(y), DECIMALS)] for x, y in row.path]
        if len(path) < 2:
            continue
        color = list(style.force_style(str(row.force))["color"][:3])
        color.append(110 if row.leg == "return" else 230)
        data.append({"p": path, "c": color, "tip": (
            f"unit {row.unit_id} ({row.force}) · {row.leg}\nincident {row.incident_id} · "
            f"from {row.station_id}\n{style.clock(style.number(row.depart_s))} → "
            f"{style.clock(style.number(row.arrive_s))}")})
    if not data:
        return []
    layer = pdk.Layer("PathLayer", data, id="routes", get_path="p", get_color="c", get_width=4,
                      width_units=lit("pixels"), cap_rounded=True, joint_rounded=True,
                      pickable=True, auto_highlight=True)
    return [MapLayer(layer, "routes")]


# --- everything --------------------------------------------------------------------------

def map_layers(city: City, run: RunData, target: str = "30min",
               coverage: pd.Series | None = None) -> list[MapLayer]:
    """All layers of map.html in drawing order.

    ``coverage`` (seconds from the nearest ground base, by node_id) overrides the
    ``t_ground_s`` column of the folder's coverage.parquet.
    """
    if target not in style.MET_COLUMN:
        raise ValueError(f"target must be one of {style.TARGETS}, not {target!r}")
    ground = coverage if coverage is not None else coverage_series(run, "t_ground_s")
    districts = district_layers(city, run, target)
    return [
        *[m for m in districts if m.group == "districts"],
        *coverage_layers(city, ground, "coverage_ground"),
        *coverage_layers(city, coverage_series(run, "t_community_s"), "coverage_community"),
        *road_layers(city),
        *closure_layers(city, run),
        *pipe_layers(city),
        *route_layers(run),
        *station_layers(city),
        *incident_layers(city, run, target),
        *[m for m in districts if m.group == "labels"],
    ]


def deck(layers: list[MapLayer], city: City) -> pdk.Deck:
    """A pydeck Deck of ``layers`` with no base map (offline), fitted to the city."""
    return pdk.Deck(layers=[m.layer for m in layers], map_provider=None, map_style=None,
                    initial_view_state=fit_view(bounds_wgs84(city)), tooltip=False,
                    views=[pdk.View(type="MapView", controller=True)])
