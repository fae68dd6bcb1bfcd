"""replay.html: a drill replayed — units driving to incidents, minute by minute.

The page is built like map.html (:mod:`viz.page`: pydeck's bundle inlined, pydeck's
``createDeck`` on the JSON of pydeck layers) with a deck.gl ``TripsLayer`` fed by
routes.parquet (``path`` + ``times_s``, seconds since the start of the run). pydeck has
no animation loop, so a small inline script (:data:`REPLAY_JS`) advances the clock with
``requestAnimationFrame`` and pushes it into the deck with
``deckInstance.setProps({layers: layers.map(l => l.id === 'trips' ? l.clone({currentTime}) : l)})``.
Incidents appear at their alarm time (the incident layer's data is swapped for those with
``alarm_s <= t``; cleared ones turn grey) and the events table beside the map highlights
the rows the clock has passed. Controls: play/pause, a time slider, a speed choice; the
clock reads ``D<day> HH:MM``.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pydeck as pdk

from twin.city import City
from viz import style
from viz.data import RunData, read_results
from viz.export import heading
from viz.layers import (DECIMALS, DISTRICT_SIMPLIFY_M, MapLayer, bounds_wgs84, closure_layers,
                        deck, lit, polygon_rings, road_layers, station_layers, to_wgs84)
from viz.page import deck_page, dot_item, legend_html, line_item, title_html
from viz.safe import script_json, text, write_text

MAX_EVENT_ROWS = 5000
"""The timeline table lists at most this many events (the first, in time order)."""
TRAIL_S = 600.0
"""How long a unit's trail stays visible behind it (seconds of simulated time)."""
SPEEDS = (10, 60, 300, 900, 3600)
"""Playback speeds offered (simulated seconds per real second)."""
ACTIVE_COLOR = [255, 120, 0, 255]
CLEARED_COLOR = [130, 130, 130, 170]

REPLAY_CSS = """
#deck-container { right: 480px; bottom: 58px; }
#timeline { position: absolute; top: 0; right: 0; bottom: 0; width: 480px; overflow-y: auto;
  background: #fff; border-left: 1px solid #bbb; font-size: 12px; z-index: 6; }
#timeline table { border-collapse: collapse; width: 100%; }
#timeline th { position: sticky; top: 0; background: #e6e9ee; text-align: left; padding: 4px; }
#timeline td { padding: 2px 4px; border-bottom: 1px solid #eee; vertical-align: top; }
#timeline td:first-child, #timeline td:nth-child(2) { white-space: nowrap; }
#timeline tr.past td { color: #1d232a; background: #f3f6fa; }
#timeline tr.future td { color: #9aa0a6; }
#timeline tr.now td { background: #ffe9a8; font-weight: 700; }
#controls { position: absolute; left: 0; right: 480px; bottom: 0; height: 58px; z-index: 6;
  display: flex; align-items: center; gap: 12px; padding: 0 14px; background: #fff;
  border-top: 1px solid #bbb; box-sizing: border-box; }
#controls input[type=range] { flex: 1; }
#clock { font: 700 20px/1 monospace; min-width: 130px; }
#play { font-size: 15px; min-width: 84px; padding: 6px 10px; }
#legend { bottom: 70px; }
"""

REPLAY_JS = """
(function () {
  const R = JSON.parse(document.getElementById('replay-data').textContent);
  const d = window.deckInstance;
  const slider = document.getElementById('slider');
  const clock = document.getElementById('clock');
  const playBtn = document.getElementById('play');
  const speedSel = document.getElementById('speed');
  const rows = Array.from(document.querySelectorAll('#timeline tbody tr'));
  const rowT = rows.map(r => Number(r.dataset.t));
  const state = {t: R.t0, playing: false, last: null, shown: -1, cleared: -1, nowRow: -2};
  window.replay = state;

  function fmt(t) {
    const s = Math.max(0, Math.floor(t)), day = Math.floor(s / 86400), r = s % 86400;
    const hh = String(Math.floor(r / 3600)).padStart(2, '0');
    const mm = String(Math.floor((r % 3600) / 60)).padStart(2, '0');
    return 'D' + day + ' ' + hh + ':' + mm;
  }
  function incidentData(t) {
    return R.incidents.filter(i => i.a <= t).map(i => ({
      p: i.p, tip: i.tip, ...((i.cl !== null && i.cl <= t) ? R.cleared : R.active)}));
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
      return l;
    });
    d.setProps({layers});
    clock.textContent = fmt(t);
    slider.value = String(t);
    markRows(t);
  }
  function markRows(t) {
    // rows up to t are past; those in the current minute are "now"
    let last = -1;
    for (let i = 0; i < rows.length; i++) {
      const past = rowT[i] <= t;
      if (past) last = i;
      rows[i].classList.toggle('past', past);
      rows[i].classList.toggle('future', !past);
      rows[i].classList.toggle('now', past && Math.floor(rowT[i] / 60) === Math.floor(t / 60));
    }
    if (last !== state.nowRow && last >= 0) {
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
    if (state.t >= R.t1) state.t = R.t0;
    state.playing = true; state.last = null; playBtn.textContent = '❚❚ Pause';
    requestAnimationFrame(tick);
  }
  function pause() { state.playing = false; playBtn.textContent = '▶ Play'; }
  state.play = play; state.pause = pause;
  state.seek = function (t) { state.t = Math.max(R.t0, Math.min(R.t1, Number(t))); apply(); };
  playBtn.addEventListener('click', () => state.playing ? pause() : play());
  slider.addEventListener('input', () => state.seek(slider.value));
  apply();
})();
"""


def write_replay(results_dir: str | Path, city: City) -> Path:
    """Write ``replay.html`` into the results folder; returns its path."""
    run = read_results(results_dir)
    out = run.folder / "replay.html"
    write_text(out, replay_html(city, run))
    return out


def time_span(run: RunData) -> tuple[float, float]:
    """The replay's clock range (s): whole minutes from a minute before the first departure,
    alarm or event to a minute after the last."""
    cols = [run.routes["depart_s"], run.routes["arrive_s"], run.incidents["alarm_s"],
            run.events["t_s"]]
    times = pd.concat([pd.to_numeric(c, errors="coerce") for c in cols]).dropna()
    if times.empty:
        return 0.0, 3600.0
    t0 = max(0.0, math.floor((float(times.min()) - 60) / 60) * 60)
    t1 = math.ceil((float(times.max()) + 60) / 60) * 60
    return float(t0), float(max(t1, t0 + 60))


def trips_layer(run: RunData, t0: float) -> list[MapLayer]:
    """A TripsLayer of every route leg (path + times_s from the engine)."""
    data = []
    for r in run.routes.itertuples(index=False):
        path = [[round(float(x), DECIMALS), round(float(y), DECIMALS)] for x, y in r.path]
        ts = [round(float(t), 1) for t in r.times_s]
        if len(path) < 2 or len(ts) != len(path):
            continue
        color = list(style.force_style(str(r.force))["color"][:3])
        color.append(150 if r.leg == "return" else 255)
        data.append({"p": path, "ts": ts, "c": color,
                     "tip": f"unit {r.unit_id} ({r.force}) · {r.leg}\nincident {r.incident_id}"})
    if not data:
        return []
    layer = pdk.Layer("TripsLayer", data, id="trips", get_path="p", get_timestamps="ts",
                      get_color="c", width_min_pixels=5, get_width=30,
                      width_units=lit("meters"), cap_rounded=True, joint_rounded=True,
                      trail_length=TRAIL_S, fade_trail=True, current_time=t0)
    return [MapLayer(layer, "routes")]


def plain_districts(city: City) -> list[MapLayer]:
    """Districts in a neutral fill (the replay is about movement, not compliance)."""
    d = city.districts
    if d.empty:
        return []
    records = []
    for row, geom in zip(d.itertuples(index=False), to_wgs84(d, DISTRICT_SIMPLIFY_M)):
        fill = [250, 250, 246, 255] if row.level == "core" else [232, 232, 228, 255]
        for rings in polygon_rings(geom):
            records.append({"polygon": rings, "c": fill,
                            "tip": f"{row.name}  {row.name_en}\npopulation {int(row.population):,}"})
    layer = pdk.Layer("PolygonLayer", records, id="districts", get_polygon="polygon",
                      get_fill_color="c", get_line_color=style.DISTRICT_LINE, get_line_width=1,
                      line_width_units=lit("pixels"), stroked=True, filled=True, pickable=True)
    return [MapLayer(layer, "districts")]


def incident_records(city: City, run: RunData) -> list[dict]:
    """Incidents for the page: position, alarm and cleared times, hover text."""
    names = dict(zip(city.districts["district_id"], city.districts["name"] + " " +
                     city.districts["name_en"]))
    out = []
    for r in run.incidents.itertuples(index=False):
        x, y = style.number(r.x), style.number(r.y)
        alarm = style.number(r.alarm_s)
        if x is None or y is None or alarm is None:
            continue
        out.append({"p": [round(x, DECIMALS), round(y, DECIMALS)], "a": alarm,
                    "cl": style.number(r.cleared_s),
                    "tip": (f"{r.incident_id} · {r.type}\n{names.get(r.district_id, r.district_id)}"
                            f"\nalarm {style.clock(alarm)} · ground "
                            f"{style.minutes(style.number(r.resp_ground_s))}")})
    return out


def incidents_layer() -> MapLayer:
    """An incident layer, empty until the clock passes alarm times (filled by the page)."""
    layer = pdk.Layer("ScatterplotLayer", [], id="incidents", get_position="p",
                      get_fill_color="c", get_radius="r", radius_units=lit("pixels"),
                      stroked=True, get_line_color=[20, 20, 20, 255], line_width_min_pixels=1,
                      pickable=True, auto_highlight=True)
    return MapLayer(layer, "incidents")


def timeline_html(city: City, run: RunData) -> str:
    """The events table (time, what happened, unit, incident, where), escaped."""
    ev = run.events.copy()
    ev["t_sort"] = pd.to_numeric(ev["t_s"], errors="coerce")
    ev = ev.dropna(subset=["t_sort"]).sort_values("t_sort", kind="stable")
    note = ""
    if len(ev) > MAX_EVENT_ROWS:
        note = f"<p>first {MAX_EVENT_ROWS:,} of {len(ev):,} events</p>"
        ev = ev.head(MAX_EVENT_ROWS)
    names = dict(zip(city.districts["district_id"], city.districts["name"]))
    rows = "".join(
        f"<tr data-t=\"{float(r.t_sort):.1f}\" class=\"future\"><td>{text(style.clock(float(r.t_sort)))}"
        f"</td><td>{text(_cell(r.kind))}</td><td>{text(_cell(r.unit_id))}</td>"
        f"<td>{text(_cell(r.incident_id))}</td><td>{text(_where(r, names))}</td></tr>"
        for r in ev.itertuples(index=False))
    return ("<div id=\"timeline\"><table><thead><tr><th>Time</th><th>Event</th><th>Unit</th>"
            f"<th>Incident</th><th>Where</th></tr></thead><tbody>{rows}</tbody></table>{note}"
            "</div>")


def _cell(v: object) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA else str(v)


def _where(r: object, names: dict[str, str]) -> str:
    a, b = _cell(r.from_district), _cell(r.to_district)
    a, b = names.get(a, a), names.get(b, b)
    return f"{a} → {b}" if a and b and a != b else (b or a)


def controls_html(t0: float, t1: float) -> str:
    """Play/pause, slider and speed choice (default: the whole replay in about a minute)."""
    default = min(SPEEDS, key=lambda s: abs(s - (t1 - t0) / 60))
    opts = "".join(f"<option value=\"{s}\"{' selected' if s == default else ''}>{s}× </option>"
                   for s in SPEEDS)
    return (f"<div id=\"controls\"><button id=\"play\" type=\"button\">▶ Play</button>"
            f"<span id=\"clock\">{text(style.clock(t0))}</span>"
            f"<input id=\"slider\" type=\"range\" min=\"{t0:.0f}\" max=\"{t1:.0f}\" step=\"1\" "
            f"value=\"{t0:.0f}\" aria-label=\"simulation time\">"
            f"<label>speed <select id=\"speed\">{opts}</select></label></div>")


def replay_html(city: City, run: RunData) -> str:
    """The replay.html document (a string)."""
    t0, t1 = time_span(run)
    layers = [*plain_districts(city),
              *[m for m in road_layers(city) if m.layer.id != "roads_local"
                or len(city.road_edges) < 20_000],
              *closure_layers(city, run), *station_layers(city), *trips_layer(run, t0),
              incidents_layer()]
    spec = script_json(deck(layers, city))
    replay_data = {"t0": t0, "t1": t1, "incidents": incident_records(city, run),
                   "active": {"c": ACTIVE_COLOR, "r": 7}, "cleared": {"c": CLEARED_COLOR, "r": 3.5}}
    forces = sorted(set(run.routes["force"].astype(str))) if len(run.routes) else []
    legend = legend_html([
        ("Units 出动力量", "".join(line_item(style.force_style(f)["color"], 5,
                                           str(style.force_style(f)["label"])) for f in forces)),
        ("Incidents 事件", dot_item(ACTIVE_COLOR, "active 处置中")
         + dot_item(CLEARED_COLOR, "cleared 已处置")),
    ])
    body = (title_html(f"{heading(city, run)} — drill replay 演练回放",
                       [f"seed {run.seed or '—'} · run started {run.started or '—'} · "
                        f"city: {city.name}",
                        f"{len(run.routes)} unit trips · {len(run.incidents)} incidents"])
            + legend + timeline_html(city, run) + controls_html(t0, t1)
            + f"<script type=\"application/json\" id=\"replay-data\">{script_json(replay_data)}"
              "</script>")
    page_data = {"bounds": bounds_wgs84(city), "groups": {}}
    return deck_page(title=f"{heading(city, run)} — replay", spec_json=spec,
                     page_data=page_data, body=body, css=REPLAY_CSS, script=REPLAY_JS)
