"""replay.html: a drill replayed — units driving to incidents, minute by minute.

The page is built like map.html (:mod:`twin.viz.page`: pydeck's bundle inlined, pydeck's
``createDeck`` on the JSON of pydeck layers) with a deck.gl ``TripsLayer`` fed by
routes.parquet (``path`` + ``times_s``, seconds since the start of the run). pydeck has
no animation loop, so a small inline script (:data:`REPLAY_JS`) advances the clock with
``requestAnimationFrame`` and pushes it into the deck with
``deckInstance.setProps({layers: layers.map(l => l.id === 'trips' ? l.clone({currentTime}) : l)})``.
Incidents appear at their alarm time (the incident layer's data is swapped for those with
``alarm_s <= t``; cleared ones turn grey) and the events table beside the map highlights
the rows the clock has passed. Controls: play/pause, a time slider, a speed choice; the
clock reads ``D<day> HH:MM``.

A drill (scripted incidents, :func:`drill_labels`) is framed first (:func:`view_bounds`), the
clock starts shortly before it (:func:`start_time`), its incidents get rings and their labels,
and the timeline's filter starts on its rows (see README, "Replay of a drill").
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pydeck as pdk

from twin.model.city import CORE_LEVEL, City
from twin.viz import style
from twin.viz.basemap import water_layers
from twin.viz.changes import change_layers
from twin.viz.data import RunData, read_results
from twin.viz.drill import drill_labels, id_text, start_time
from twin.viz.export import heading
from twin.viz.geom import (
    DECIMALS,
    MapLayer,
    bounds_wgs84,
    fit_view,
    lit,
    polygon_rings,
    to_wgs84,
)
from twin.viz.layers import DISTRICT_SIMPLIFY_M, closure_layers, deck, road_layers
from twin.viz.page import deck_page, dot_item, legend_html, line_item, title_html
from twin.viz.points import station_layers
from twin.viz.runcity import StationChanges, hazards, run_city, station_changes
from twin.viz.safe import script_json, text, write_text
from twin.viz.timeline import district_names, timeline_html

TRAIL_S = 600.0
"""How long a unit's trail stays visible behind it (seconds of simulated time)."""
SPEEDS = (10, 60, 300, 900, 3600)
"""Playback speeds offered (simulated seconds per real second)."""
ACTIVE_COLOR = style.ACTIVE_COLOR
CLEARED_COLOR = style.CLEARED_COLOR
RING_COLOR = [20, 30, 120, 255]
"""Rings around the drill's (scripted) incidents."""
RING_CLEARED_COLOR = [20, 30, 120, 110]
REPLAY_CSS = """
#deck-container { right: 540px; bottom: 58px; }
#timeline { position: absolute; top: 0; right: 0; bottom: 0; width: 540px; display: flex;
  flex-direction: column; background: #fff; border-left: 1px solid #bbb; font-size: 12px;
  z-index: 6; }
#tl-bar { flex: none; padding: 6px 8px; background: #f6f7f9; border-bottom: 1px solid #ccc; }
#tl-bar select { font-size: 12px; }
#tl-scroll { flex: 1; overflow-y: auto; }
#timeline[data-filter=drill] tbody tr:not(.d), #timeline[data-filter=fire] tbody tr:not(.f) {
  display: none; }
#timeline .lbl { font-weight: 600; color: #1b2a8a; }
#timeline table { border-collapse: collapse; width: 100%; table-layout: fixed; }
#timeline th:nth-child(1) { width: 60px; } #timeline th:nth-child(2) { width: 74px; }
#timeline th:nth-child(3) { width: 118px; } #timeline th:nth-child(5) { width: 90px; }
#timeline td:nth-child(3) { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
#timeline th { position: sticky; top: 0; background: #e6e9ee; text-align: left; padding: 4px; }
#timeline td { padding: 2px 4px; border-bottom: 1px solid #eee; vertical-align: top; }
#timeline td:first-child, #timeline td:nth-child(2) { white-space: nowrap; }
#timeline tr.past td { color: #1d232a; background: #f3f6fa; }
#timeline tr.future td { color: #9aa0a6; }
#timeline tr.now td { background: #ffe9a8; font-weight: 700; }
#controls { position: absolute; left: 0; right: 540px; bottom: 0; height: 58px; z-index: 6;
  display: flex; align-items: center; gap: 12px; padding: 0 14px; background: #fff;
  border-top: 1px solid #bbb; box-sizing: border-box; }
#controls input[type=range] { flex: 1; }
#clock { font: 700 20px/1 monospace; min-width: 130px; }
#play { font-size: 15px; min-width: 84px; padding: 6px 10px; }
#legend { bottom: 70px; }
.ring { display: inline-block; width: 11px; height: 11px; border-radius: 50%; flex: none;
  border: 3px solid; box-sizing: border-box; }
"""

REPLAY_JS = """
(function () {
  const R = JSON.parse(document.getElementById('replay-data').textContent);
  const d = window.deckInstance;
  const slider = document.getElementById('slider');
  const clock = document.getElementById('clock');
  const playBtn = document.getElementById('play');
  const speedSel = document.getElementById('speed');
  const timeline = document.getElementById('timeline');
  const filterSel = document.getElementById('filter');
  const rows = Array.from(document.querySelectorAll('#timeline tbody tr'));
  const rowT = rows.map(r => Number(r.dataset.t));
  const state = {t: R.start, playing: false, last: null, shown: -1, cleared: -1, nowRow: -2};
  window.replay = state;

  function fmt(t) {
    const s = Math.max(0, Math.floor(t)), day = Math.floor(s / 86400), r = s % 86400;
    const hh = String(Math.floor(r / 3600)).padStart(2, '0');
    const mm = String(Math.floor((r % 3600) / 60)).padStart(2, '0');
    return 'D' + day + ' ' + hh + ':' + mm;
  }
  function styled(i, t) {
    return {p: i.p, tip: i.tip, ...((i.cl !== null && i.cl <= t) ? R.cleared : R.active)};
  }
  function incidentData(t) { return R.incidents.filter(i => i.a <= t).map(i => styled(i, t)); }
  function drillData(t) {
    return R.incidents.filter(i => i.s && i.a <= t).map(i => ({p: i.p, tip: i.tip,
      c: (i.cl !== null && i.cl <= t) ? R.ring_cleared : R.ring}));
  }
  function apply() {
    const t = state.t;
    const shown = R.incidents.filter(i => i.a <= t).length;
    const cleared = R.incidents.filter(i => i.cl !== null && i.cl <= t).length;
    const newInc = (shown !== state.shown || cleared !== state.cleared);
    state.shown = shown; state.cleared = cleared;
    const layers = d.props.layers.map(l => {
      if (l.id === 'trips') return l.clone({currentTime: t});
      if (l.id === 'incidents' && newInc) return l.clone({data: incidentData(t)});
      if (l.id === 'drill' && newInc) return l.clone({data: drillData(t)});
      return l;
    });
    d.setProps({layers});
    clock.textContent = fmt(t);
    slider.value = String(t);
    markRows(t);
  }
  function shownRow(i) {
    const f = timeline.dataset.filter;
    return f === 'all' || rows[i].classList.contains(f === 'drill' ? 'd' : 'f');
  }
  function markRows(t, force) {
    // rows up to t are past; those in the current minute are "now"
    let last = -1;
    for (let i = 0; i < rows.length; i++) {
      const past = rowT[i] <= t;
      if (past && shownRow(i)) last = i;
      rows[i].classList.toggle('past', past);
      rows[i].classList.toggle('future', !past);
      rows[i].classList.toggle('now', past && Math.floor(rowT[i] / 60) === Math.floor(t / 60));
    }
    if ((force || last !== state.nowRow) && last >= 0) {
      rows[last].scrollIntoView({block: 'nearest'});
    }
    state.nowRow = last;
  }
  function tick(ts) {
    if (!state.playing) { state.last = null; return; }
    if (state.last !== null) {
      const speed = Number(speedSel.value);
      state.t = Math.min(R.t1, state.t + (ts - state.last) / 1000 * speed);
      apply();
      if (state.t >= R.t1) { pause(); return; }
    }
    state.last = ts;
    requestAnimationFrame(tick);
  }
  function play() {
    if (state.t >= R.t1) state.t = R.start;
    state.playing = true; state.last = null; playBtn.textContent = '❚❚ Pause';
    requestAnimationFrame(tick);
  }
  function pause() { state.playing = false; playBtn.textContent = '▶ Play'; }
  state.play = play; state.pause = pause;
  state.seek = function (t) { state.t = Math.max(R.t0, Math.min(R.t1, Number(t))); apply(); };
  state.filter = function (f) {
    filterSel.value = f; timeline.dataset.filter = filterSel.value; markRows(state.t, true);
  };
  playBtn.addEventListener('click', () => state.playing ? pause() : play());
  slider.addEventListener('input', () => state.seek(slider.value));
  filterSel.addEventListener('change', () => state.filter(filterSel.value));
  apply();
})();
"""


def write_replay(results_dir: str | Path, city: City) -> Path:
    """Write ``replay.html`` into the results folder; returns its path. ``city`` is the base
    city; the replay draws the one the run used (stations.parquet)."""
    run = read_results(results_dir)
    out = run.folder / "replay.html"
    drawn = run_city(run, city)  # the city the run used, changes marked
    write_text(out, replay_html(drawn, run, station_changes(city, drawn)))
    return out


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


def controls_html(
    t0: float, t1: float, start: float | None = None, span_s: float | None = None
) -> str:
    """Play/pause, slider and speed choice (default: ``span_s`` — the drill, else the whole
    replay — in about a minute)."""
    start = t0 if start is None else start
    default = min(SPEEDS, key=lambda s: abs(s - (span_s or (t1 - t0)) / 60))
    opts = "".join(
        f'<option value="{s}"{" selected" if s == default else ""}>{s}× </option>' for s in SPEEDS
    )
    return (
        f'<div id="controls"><button id="play" type="button">▶ Play</button>'
        f'<span id="clock">{text(style.clock(start))}</span>'
        f'<input id="slider" type="range" min="{t0:.0f}" max="{t1:.0f}" step="1" '
        f'value="{start:.0f}" aria-label="simulation time">'
        f'<label>speed <select id="speed">{opts}</select></label></div>'
    )


def drill_ring_item(color: list[int], label: str) -> str:
    """A ring marker with its label (the drill's incidents)."""
    return (
        f'<div class="item"><span class="ring" style="border-color:'
        f'{style.css(color)}"></span>{text(label)}</div>'
    )


def replay_html(city: City, run: RunData, changes: StationChanges | None = None) -> str:
    """The replay.html document (a string).

    With a drill (scripted incidents) the first view frames its incidents and the units'
    routes to them, the clock starts :data:`twin.viz.drill.LEAD_S` before it, the timeline shows its rows.
    """
    t0, t1 = time_span(run)
    drill = drill_labels(run)
    start = start_time(run, drill, t0, t1)
    t0 = min(t0, start)
    bounds = view_bounds(city, run, drill)
    layers = [
        *plain_districts(city),
        *water_layers(bounds_wgs84(city)),
        *[
            m
            for m in road_layers(city)
            if m.layer.id != "roads_local" or len(city.road_edges) < 20_000
        ],
        *closure_layers(city, run),
        *station_layers(city),
        *change_layers(city, changes, hazards(run)),
        *trips_layer(run, start, drill),
        incidents_layer(),
        *([drill_layer()] if drill else []),
    ]
    the_deck = deck(layers, city)
    the_deck.initial_view_state = fit_view(bounds)
    spec = script_json(the_deck)
    replay_data = {
        "t0": t0,
        "t1": t1,
        "start": start,
        "incidents": incident_records(city, run, drill),
        "active": {"c": ACTIVE_COLOR, "r": 7},
        "cleared": {"c": CLEARED_COLOR, "r": 3.5},
        "ring": RING_COLOR,
        "ring_cleared": RING_CLEARED_COLOR,
    }
    span = None
    if drill:
        inc = run.incidents[[id_text(i) in drill for i in run.incidents["incident_id"]]]
        ends = pd.to_numeric(inc["cleared_s"], errors="coerce").dropna()
        span = (min(float(ends.max()), t1) - start) if len(ends) else None
    forces = sorted(set(run.routes["force"].astype(str))) if len(run.routes) else []
    legend = legend_html(
        [
            (
                "Units 出动力量",
                "".join(
                    line_item(style.force_style(f)["color"], 5, str(style.force_style(f)["label"]))
                    for f in forces
                ),
            ),
            (
                "Incidents 事件",
                dot_item(ACTIVE_COLOR, "active 处置中")
                + dot_item(CLEARED_COLOR, "cleared 已处置")
                + (drill_ring_item(RING_COLOR, "drill (scripted) 演练") if drill else ""),
            ),
        ]
    )
    scripted = len(drill_labels(run, cascades=False))
    drill_line = (
        f"drill: {scripted} scripted incidents"
        + (f" (+{len(drill) - scripted} they led to)" if len(drill) > scripted else "")
        if drill
        else ""
    )
    body = (
        title_html(
            f"{heading(city, run)} — drill replay 演练回放",
            [
                f"seed {run.seed or '—'} · run started {run.started or '—'} · city: {city.name}",
                f"{len(run.routes)} unit trips · {len(run.incidents)} incidents",
                drill_line,
            ],
        )
        + legend
        + timeline_html(city, run, drill)
        + controls_html(t0, t1, start, span)
        + f'<script type="application/json" id="replay-data">{script_json(replay_data)}'
        "</script>"
    )
    # keep the framed area clear of the title block (top left) and the legend (bottom left)
    page_data = {
        "bounds": bounds,
        "groups": {},
        "padding": {"top": 150, "bottom": 40, "left": 60, "right": 40},
    }
    return deck_page(
        title=f"{heading(city, run)} — replay",
        spec_json=spec,
        page_data=page_data,
        body=body,
        css=REPLAY_CSS,
        script=REPLAY_JS,
    )
