"""replay.html: a drill replayed — units driving to incidents, minute by minute.

The page is built like map.html (:mod:`twin.viz.page`: pydeck's bundle inlined, pydeck's
``createDeck`` on the JSON of pydeck layers) with a deck.gl ``TripsLayer`` fed by
routes.parquet (``path`` + ``times_s``, seconds since the start of the run). pydeck has
no animation loop, so a small inline script (:data:`REPLAY_JS`) advances the clock with
``requestAnimationFrame`` and pushes it into the deck with
``deckInstance.setProps({layers: layers.map(l => l.id === 'trips' ? l.clone({currentTime}) : l)})``.
Incidents appear at their alarm time (the incident layer's data is swapped for those with
``alarm_s <= t``; cleared ones turn grey), closed roads show only while closed (the
``closures`` layers' data — :func:`twin.viz.layers.closure_layers`, each edge with its
closure's start/end ``s``/``e`` — is swapped for the edges with ``s <= t < e``; the count is
``replay.closed``) and the events table beside the map highlights the rows the clock has
passed. Controls: play/pause, a time slider, a speed choice; the clock reads ``D<day> HH:MM``.

A drill (scripted incidents, :func:`drill_labels`) is framed first
(:func:`twin.viz.replay_data.view_bounds`), the clock starts shortly before it
(:func:`start_time`), its incidents get rings and their labels, and the timeline's filter
starts on its rows (see README, "Replay of a drill"). The data and deck layers come from
:mod:`twin.viz.replay_data`; this module assembles the page.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import twin.viz.style as style
from twin.model.city import City
from twin.viz.changes import change_layers
from twin.viz.data import RunData
from twin.viz.drawing import Drawing, draw
from twin.viz.drill import drill_labels, id_text, start_time
from twin.viz.export import heading
from twin.viz.geom import fit_view
from twin.viz.layers import Common, common_layers, deck
from twin.viz.page import deck_page, dot_item, legend_html, line_item, title_html
from twin.viz.replay_data import (
    drill_layer,
    incident_records,
    incidents_layer,
    plain_districts,
    time_span,
    trips_layer,
    view_bounds,
)
from twin.viz.runcity import StationChanges, hazards
from twin.viz.safe import script_json, text, write_text
from twin.viz.timeline import timeline_html

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
  const state = {t: R.start, playing: false, last: null, shown: -1, cleared: -1, nowRow: -2,
                 closed: -1, open: null};
  // every closed edge of the run (the closures layer as built, with s/e = start/end, s);
  // drawn only while the clock is within [s, e)
  const closureLayer = d.props.layers.find(l => l.id === 'closures');
  const closures = closureLayer ? closureLayer.props.data : [];
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
  function isClosed(c, t) { return (c.s === null || c.s <= t) && (c.e === null || t < c.e); }
  function apply() {
    const t = state.t;
    const open = closures.filter(c => isClosed(c, t));
    const newClosed = !(state.open && open.length === state.open.length &&
                        open.every((c, i) => c === state.open[i]));
    state.open = open; state.closed = open.length;
    const shown = R.incidents.filter(i => i.a <= t).length;
    const cleared = R.incidents.filter(i => i.cl !== null && i.cl <= t).length;
    const newInc = (shown !== state.shown || cleared !== state.cleared);
    state.shown = shown; state.cleared = cleared;
    const layers = d.props.layers.map(l => {
      if (l.id === 'trips') return l.clone({currentTime: t});
      if (l.id === 'incidents' && newInc) return l.clone({data: incidentData(t)});
      if (l.id === 'drill' && newInc) return l.clone({data: drillData(t)});
      if ((l.id === 'closures' || l.id === 'closures_casing') && newClosed) {
        return l.clone({data: open});
      }
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


def write_replay(results_dir: str | Path, city: City, drawing: Drawing | None = None) -> Path:
    """Write ``replay.html`` into the results folder; returns its path. ``city`` is the base
    city; the replay draws the one the run used (stations.parquet). ``drawing``: the run
    already read and drawn (:func:`twin.viz.drawing.drawing`), its layers shared."""
    d = drawing or draw(results_dir, city)
    out = d.run.folder / "replay.html"
    write_text(out, replay_html(d.city, d.run, d.changes, d.common))
    return out


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


def closed_item() -> str:
    """The legend's closed road: drawn only while closed (the clock within its times)."""
    return line_item(style.CLOSED_COLOR, 5, "road closed (now) 封闭中", border=style.CLOSED_CASING)


def replay_html(
    city: City,
    run: RunData,
    changes: StationChanges | None = None,
    common: Common | None = None,
) -> str:
    """The replay.html document (a string).

    With a drill (scripted incidents) the first view frames its incidents and the units'
    routes to them, the clock starts :data:`twin.viz.drill.LEAD_S` before it, the timeline shows its rows.
    """
    t0, t1 = time_span(run)
    drill = drill_labels(run)
    start = start_time(run, drill, t0, t1)
    t0 = min(t0, start)
    bounds = view_bounds(city, run, drill)
    c = common or common_layers(city, run)
    layers = [
        *plain_districts(city),
        *c.water,
        *[m for m in c.roads if m.layer.id != "roads_local" or len(city.road_edges) < 20_000],
        *c.closures,
        *c.stations,
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
                "Incidents, closures 事件·封闭" if c.closures else "Incidents 事件",
                dot_item(ACTIVE_COLOR, "active 处置中")
                + dot_item(CLEARED_COLOR, "cleared 已处置")
                + (drill_ring_item(RING_COLOR, "drill (scripted) 演练") if drill else "")
                + (closed_item() if c.closures else ""),
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
