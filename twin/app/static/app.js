// Shancheng Twin planners' app: build a scenario by pointing at the map, run it, compare.
// Everything the user or the city names reaches the page as text (textContent), never markup.
(function () {
  'use strict';
  // The static maps' palette (twin.viz.style, Okabe–Ito: distinct for colour-blind readers),
  // sent by the server with the city (/api/city/layers "palette").
  const FORCE_COLOURS = {};
  const ROAD_COLOURS = {expressway: [90, 90, 90], arterial: [140, 140, 140], mountain: [150, 120, 90]};
  let BRIDGE = [35, 35, 35], TUNNEL = [60, 60, 60], CLOSED = [240, 228, 66], WATER = [158, 202, 225],
      NEW = [240, 228, 66];
  const app = window.__app = {ready: false, state: null, city: null, hazards: {}, run: null,
                              result: null, errors: null};
  const $ = (id) => document.getElementById(id);
  const state = app.state = {add: [], move: {}, remove: new Set(), closures: []};
  let deckgl = null, dragging = null, seq = 1;

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  async function api(method, url, body) {
    const r = await fetch(url, {method, headers: {'Content-Type': 'application/json'},
                                body: body === undefined ? undefined : JSON.stringify(body)});
    const data = await r.json().catch(() => ({}));
    if (!r.ok) { const err = new Error('HTTP ' + r.status); err.status = r.status; err.data = data; throw err; }
    return data;
  }
  const tool = () => document.querySelector('input[name=tool]:checked').value;

  // ---------------------------------------------------------------- scenario from the state
  function changesJson() {
    const stations = {};
    if (state.add.length) stations.add = state.add.map(s => ({station_id: s.id, force: s.force,
      name: s.name, name_en: s.name_en, lon: s.lon, lat: s.lat, units: s.units}));
    const moves = Object.entries(state.move).map(([id, p]) => ({station_id: id, lon: p.lon, lat: p.lat}));
    if (moves.length) stations.move = moves;
    if (state.remove.size) stations.remove = [...state.remove];
    const closures = state.closures.map(c => {
      const o = c.name ? {name: c.name} : {edge_ids: c.edge_ids};
      o.start_h = c.start_h; if (c.duration_h) o.duration_h = c.duration_h;
      o.reason = 'app: closed by the planner';
      return o;
    });
    return {stations, closures};
  }
  function conditionsJson(name) {
    const out = {name, seed: parseInt($('seed').value, 10), days: parseFloat($('days').value),
                 incidents: {rate_multiplier: parseFloat($('rate').value)}};
    const h = app.hazards[$('hazard').value];
    if (h) { if (h.rainstorm && h.rainstorm.length) out.rainstorm = h.rainstorm;
             if (h.earthquake && h.earthquake.length) out.earthquake = h.earthquake; }
    return out;
  }
  function scenarioJson() {
    const s = conditionsJson('app-scenario'), c = changesJson();
    s.description = 'built in the planners\' app';
    if (Object.keys(c.stations).length) s.stations = c.stations;
    if (c.closures.length) s.closures = c.closures;
    return s;
  }
  app.scenarioJson = scenarioJson;

  // ---------------------------------------------------------------- map layers
  function stationRows() {
    const rows = app.city.stations.map(s => {
      const moved = state.move[s.id];
      return Object.assign({}, s, moved ? {lon: moved.lon, lat: moved.lat, moved: true} : {},
                           {removed: state.remove.has(s.id)});
    });
    return rows.concat(state.add.map(s => Object.assign({isNew: true}, s)));
  }
  function layers() {
    const closedIds = new Set(state.closures.flatMap(c => c.edge_ids || []));
    const closedNames = new Set(state.closures.filter(c => c.name).map(c => c.name));
    const isClosed = r => closedIds.has(r.id) || (r.name && closedNames.has(r.name));
    const diff = app.result ? districtDiff() : null;
    const out = [
      new deck.PolygonLayer({id: 'water', data: app.city.water || [], getPolygon: r => r,
        filled: true, stroked: false, getFillColor: WATER}),
      new deck.PolygonLayer({id: 'districts', data: app.city.districts.flatMap(
          d => d.rings.map(r => ({d, ring: r}))),
        getPolygon: x => x.ring, stroked: true, filled: true, pickable: true,
        getFillColor: x => diffColour(diff ? diff[x.d.id] : null),
        getLineColor: [70, 70, 70], lineWidthMinPixels: 1,
        updateTriggers: {getFillColor: [app.result ? app.run : null]}}),
      new deck.PathLayer({id: 'roads', data: app.city.roads, getPath: r => r.path, pickable: true,
        widthUnits: 'pixels', autoHighlight: true, highlightColor: [255, 200, 0, 220],
        getWidth: r => isClosed(r) ? 7 : (r.bridge || r.tunnel ? 5 : (r.class === 'expressway' ? 2.5 : 1.5)),
        getColor: r => isClosed(r) ? CLOSED : (r.bridge ? BRIDGE : (r.tunnel ? TUNNEL : (ROAD_COLOURS[r.class] || [150, 150, 150]))),
        updateTriggers: {getWidth: [state.closures.length], getColor: [state.closures.length]}}),
      new deck.ScatterplotLayer({id: 'stations', data: stationRows(), pickable: true,
        getPosition: s => [s.lon, s.lat], radiusUnits: 'pixels',
        getRadius: s => s.isNew ? 9 : (s.force === 'fire' ? 5 : 6),
        getFillColor: s => s.removed ? [190, 190, 190] : FORCE_COLOURS[s.force] || [0, 0, 0],
        stroked: true, lineWidthUnits: 'pixels',
        getLineWidth: s => (s.isNew || s.moved || s.removed) ? 3 : 1,
        getLineColor: s => (s.isNew || s.moved) ? NEW : [30, 30, 30],
        updateTriggers: {getPosition: [seq], getFillColor: [seq], getRadius: [seq], getLineWidth: [seq]}}),
      new deck.ScatterplotLayer({id: 'proposals', data: app.proposals || [],
        getPosition: s => [s.lon, s.lat], radiusUnits: 'pixels', getRadius: 11, filled: false,
        stroked: true, lineWidthUnits: 'pixels', getLineWidth: 3, getLineColor: [204, 121, 167]}),
      new deck.TextLayer({id: 'proposal-labels', data: app.proposals || [],
        getPosition: s => [s.lon, s.lat], getText: () => 'PROPOSED', getSize: 11,
        getPixelOffset: [0, 18], getColor: [120, 40, 90], background: true,
        getBackgroundColor: [255, 255, 255, 220], characterSet: 'auto'}),
      new deck.TextLayer({id: 'new-labels', data: stationRows().filter(s => s.isNew || s.moved || s.removed),
        getPosition: s => [s.lon, s.lat], getText: s => s.isNew ? 'NEW' : (s.removed ? 'REMOVED' : 'MOVED'),
        getSize: 12, getPixelOffset: [0, -16], getColor: [0, 0, 0], fontWeight: 'bold',
        background: true, getBackgroundColor: [255, 255, 255, 220], characterSet: 'auto'}),
    ];
    return out;
  }
  function redraw() { seq += 1; if (deckgl) deckgl.setProps({layers: layers()}); renderChanges(); }

  // ---------------------------------------------------------------- interaction
  function onClick(info) {
    if (!info || !info.coordinate) return;
    const [lon, lat] = info.coordinate.map(v => Math.round(v * 1e5) / 1e5);
    const t = tool();
    if (t === 'add') {
      const force = $('add-force').value, units = parseInt($('add-units').value, 10);
      const n = state.add.length + 1;
      state.add.push({id: `app-new-${n}`, force, units, lon, lat,
                      name: `新站 ${n}`, name_en: `New ${force} station ${n}`});
    } else if (t === 'remove' && info.layer && info.layer.id === 'stations' && info.object) {
      const s = info.object;
      if (s.isNew) state.add = state.add.filter(a => a.id !== s.id);
      else if (state.remove.has(s.id)) state.remove.delete(s.id); else state.remove.add(s.id);
    } else if (t === 'close' && info.layer && info.layer.id === 'roads' && info.object) {
      const r = info.object;
      if (state.closures.some(c => (c.name && c.name === r.name) || (c.edge_ids || []).includes(r.id))) return;
      const start = parseFloat($('close-start').value) || 0;
      const hours = parseFloat($('close-hours').value);
      const named = (r.bridge || r.tunnel) && r.name;
      state.closures.push({name: named ? r.name : null, edge_ids: named ? null : [r.id],
                           label: r.name || r.id, start_h: start,
                           duration_h: Number.isFinite(hours) && hours > 0 ? hours : null});
    } else return;
    redraw();
  }
  // Drag to move: read from DOM pointer events and picked with deck.pickObject (like clicks,
  // below), not deck.gl's pan gesture, which a busy software-rendered page can miss.
  function dragStart(x, y) {
    if (tool() !== 'move') return false;
    const picked = deckgl.pickObject({x, y, radius: 6, layerIds: ['stations']});
    if (!picked || !picked.object || picked.object.removed) return false;
    dragging = {id: picked.object.id, isNew: Boolean(picked.object.isNew)};
    app.dragging = dragging.id;
    return true;
  }
  function dragTo(x, y) {
    const [lon, lat] = deckgl.getViewports()[0].unproject([x, y]).map(v => Math.round(v * 1e5) / 1e5);
    if (dragging.isNew) {
      const a = state.add.find(s => s.id === dragging.id); if (a) { a.lon = lon; a.lat = lat; }
    } else state.move[dragging.id] = {lon, lat};
    seq += 1; deckgl.setProps({layers: layers()});
  }
  function dragEnd() {
    if (!dragging) return;
    app.moves = (app.moves || 0) + 1;  // a state tests wait for: the drop has been taken
    app.dragging = null; dragging = null; redraw();
  }
  function setTool() {
    const t = tool();
    $('add-opts').hidden = t !== 'add'; $('close-opts').hidden = t !== 'close';
    if (deckgl) deckgl.setProps({controller: {dragPan: t !== 'move', doubleClickZoom: false}});
  }
  function renderChanges() {
    const ul = $('changes'); ul.replaceChildren();
    const item = (label, undo) => {
      const li = el('li', label); const b = el('button', '×'); b.title = 'undo';
      b.addEventListener('click', () => { undo(); redraw(); }); li.appendChild(b); ul.appendChild(li);
    };
    state.add.forEach(s => item(`add ${s.force} station (${s.units} units) at ${s.lon}, ${s.lat}`,
                                () => { state.add = state.add.filter(a => a !== s); }));
    Object.entries(state.move).forEach(([id, p]) => item(`move ${id} to ${p.lon}, ${p.lat}`,
                                                         () => { delete state.move[id]; }));
    state.remove.forEach(id => item(`remove ${id}`, () => state.remove.delete(id)));
    state.closures.forEach(c => item(`close ${c.label} from hour ${c.start_h}` +
                                     (c.duration_h ? ` for ${c.duration_h} h` : ' to the end'),
                                     () => { state.closures = state.closures.filter(x => x !== c); }));
  }
  function tooltip(info) {
    const tip = $('tip'), o = info && info.object;
    if (!o) { tip.hidden = true; return; }
    let text = '';
    if (info.layer.id === 'stations') text = `${o.name}\n${o.name_en || ''}\n${o.force}, ${o.units} units`;
    else if (info.layer.id === 'roads') text = `${o.name || o.id}\n${o.class}${o.bridge ? ', bridge' : ''}${o.tunnel ? ', tunnel' : ''}`;
    else if (info.layer.id === 'districts') {
      text = `${o.d.name} ${o.d.name_en}`;
      const diff = app.result ? districtDiff() : null;
      if (diff && diff[o.d.id] !== undefined && diff[o.d.id] !== null)
        text += `\nΔ 30-min share: ${(100 * diff[o.d.id]).toFixed(1)} pts`;
    }
    tip.textContent = text; tip.style.left = (info.x + 12) + 'px'; tip.style.top = (info.y + 12) + 'px';
    tip.hidden = false;
  }

  // ---------------------------------------------------------------- results
  function districtDiff() {
    const out = {};
    (app.result.rows || []).forEach(r => {
      if (r.target === '30min' && r.measure === 'met_share' && r.scope.startsWith('district:'))
        out[r.scope.slice(9)] = r.diff;
    });
    return out;
  }
  function diffColour(v) {
    if (v === null || v === undefined || Number.isNaN(v)) return [255, 255, 255, 40];
    const t = Math.max(-1, Math.min(1, v / 0.05));  // ±5 points saturate
    const blue = [33, 102, 172], white = [247, 247, 247], orange = [179, 88, 6];
    const [a, b, f] = t >= 0 ? [white, blue, t] : [white, orange, -t];
    return [0, 1, 2].map(i => Math.round(a[i] + (b[i] - a[i]) * f)).concat([170]);
  }
  const fmt = (m, v) => v === null || v === undefined || Number.isNaN(v) ? '—' :
    (m === 'met_share' ? (100 * v).toFixed(1) + ' %' : (v / 60).toFixed(1) + ' min');
  const fmtd = (m, v) => v === null || v === undefined || Number.isNaN(v) ? '—' :
    (m === 'met_share' ? (100 * v).toFixed(1) + ' pts' : (v / 60).toFixed(2) + ' min');
  function showResult(status) {
    const res = app.result = status.result;
    $('results').hidden = false;
    $('result-note').textContent = `${res.replications} paired replication(s) over common seeds; 95 % intervals (paired t, or Newcombe for shares near 0 or 1); districts: Bonferroni-widened intervals, Holm-adjusted p (the table twin compare prints)`;
    const head = $('headline'); head.replaceChildren();
    const hr = el('tr'); ['measure', 'reference', 'scenario', 'difference', '95 % CI'].forEach(h => hr.appendChild(el('th', h)));
    head.appendChild(hr);
    res.headline.forEach(r => {
      const tr = el('tr');
      tr.appendChild(el('td', `${r.target} ${r.measure === 'met_share' ? 'share met' : 'p90'}`));
      tr.appendChild(el('td', fmt(r.measure, r.base))); tr.appendChild(el('td', fmt(r.measure, r.other)));
      tr.appendChild(el('td', fmtd(r.measure, r.diff), r.significant ? 'sig' : ''));
      tr.appendChild(el('td', r.low === null ? 'one pair: no interval' : `${fmtd(r.measure, r.low)} … ${fmtd(r.measure, r.high)}`));
      head.appendChild(tr);
    });
    const rows = res.rows.filter(r => r.target === '30min' && r.measure === 'met_share' && r.scope.startsWith('district:'))
      .sort((a, b) => (a.diff - b.diff) || a.scope.localeCompare(b.scope));
    const dt = $('districts'); dt.replaceChildren();
    const h2 = el('tr'); ['district', 'reference', 'scenario', 'Δ', '95 % CI'].forEach(h => h2.appendChild(el('th', h)));
    dt.appendChild(h2);
    rows.forEach(r => {
      const tr = el('tr'); tr.appendChild(el('td', r.scope_name));
      tr.appendChild(el('td', fmt('met_share', r.base))); tr.appendChild(el('td', fmt('met_share', r.other)));
      tr.appendChild(el('td', fmtd('met_share', r.diff), r.significant ? 'sig' : ''));
      tr.appendChild(el('td', r.low === null ? '—' : `${fmtd('met_share', r.low)} … ${fmtd('met_share', r.high)}`));
      dt.appendChild(tr);
    });
    $('answer').textContent = answer(res);
    const dl = $('downloads'); dl.replaceChildren();
    [['results (zip)', `/api/runs/${app.run}/download`], ['comparison.csv', `/api/runs/${app.run}/files/comparison.csv`],
     ['scenario map', `/api/runs/${app.run}/files/scenario/map.html`]].forEach(([label, href]) => {
      const a = el('a', label); a.href = href; a.target = '_blank'; dl.appendChild(a); dl.appendChild(document.createTextNode('  '));
    });
    redraw();
  }
  function answer(res) {
    const r = res.headline.find(x => x.target === '30min' && x.measure === 'p90_s');
    if (!r) return 'No ground-rescue incidents in this run.';
    if (r.low === null) return `30-minute target, p90 of the first ground unit: ${fmt('p90_s', r.base)} → ${fmt('p90_s', r.other)} (one replication: no interval; run more to be sure).`;
    const sure = r.significant ? 'the interval excludes zero' : 'the interval includes zero: no detectable change';
    return `First ground unit p90: ${fmt('p90_s', r.base)} → ${fmt('p90_s', r.other)}, ` +
           `a change of ${fmtd('p90_s', r.diff)} (95 % CI ${fmtd('p90_s', r.low)} … ${fmtd('p90_s', r.high)}); ${sure}.`;
  }
  function showErrors(err) {
    const box = $('errors'); box.replaceChildren(); app.errors = err;
    if (!err) { box.hidden = true; return; }
    const d = (err.data && err.data.detail) || {};
    box.appendChild(el('strong', d.title || err.message));
    const ul = el('ul');
    (d.problems || (Array.isArray(d) ? d.map(p => ({what: `${(p.loc || []).join('.')}: ${p.msg}`})) : []))
      .forEach(p => ul.appendChild(el('li', `${p.where ? '[' + p.where + (p.line ? ':' + p.line : '') + '] ' : ''}${p.what}${p.fix ? ' — how to fix: ' + p.fix : ''}`)));
    box.appendChild(ul); box.hidden = false;
  }
  async function run() {
    showErrors(null); $('results').hidden = true; app.result = null;
    const body = {scenario: scenarioJson(), reference: conditionsJson('app-reference'),
                  replications: parseInt($('reps').value, 10)};
    try {
      const r = await api('POST', '/api/runs', body);
      app.run = r.id; $('progress').hidden = false; poll();
    } catch (err) { showErrors(err); }
  }
  async function poll() {
    const s = await api('GET', `/api/runs/${app.run}`);
    app.lastStatus = s;
    $('bar').style.width = `${Math.round(100 * (s.progress || 0))}%`;
    $('step').textContent = `${s.status}: ${s.step || ''}`;
    if (s.status === 'done') { showResult(s); return; }
    if (s.status === 'failed') { showErrors({message: s.error, data: {detail: {title: s.error, problems: s.problems || []}}}); return; }
    setTimeout(poll, 500);
  }
  async function findSites() {
    showErrors(null); app.proposals = []; $('site-accept').hidden = true;
    const force = $('site-force').value;
    const body = {k: parseInt($('site-k').value, 10), minutes: parseFloat($('site-min').value),
                  force, objective: 'mclp', period: 'offpeak'};
    try {
      const r = await api('POST', '/api/site', body);
      $('site-answer').textContent = 'solving…';
      app.siteRun = r.id; pollSite();
    } catch (err) { showErrors(err); }
  }
  async function pollSite() {
    const s = await api('GET', `/api/runs/${app.siteRun}`);
    app.lastSite = s;
    if (s.status === 'failed') { showErrors({message: s.error, data: {detail: {title: s.error, problems: s.problems || []}}}); return; }
    if (s.status !== 'done') { setTimeout(pollSite, 500); return; }
    const res = s.result; app.proposals = res.sites;
    $('site-answer').textContent = `${res.sites.length} new ${res.force} station(s) bring ` +
      `${Math.round(res.coverage_gain).toLocaleString()} more people within ${res.minutes} min by road ` +
      `(the optimiser's promise: maximal covering on off-peak road times, existing stations kept). ` +
      `Accept them and Run to check the promise by simulation.`;
    $('site-accept').hidden = res.sites.length === 0;
    redraw();
  }
  function acceptSites() {
    (app.proposals || []).forEach(p => {
      const n = state.add.length + 1;
      state.add.push({id: `app-site-${n}`, force: app.lastSite.result.force, units: p.units,
                      lon: p.lon, lat: p.lat, name: `建议站 ${n}`, name_en: `Proposed station ${n}`});
    });
    app.proposals = []; $('site-accept').hidden = true; redraw();
  }
  async function showToml() {
    const pre = $('toml');
    if (!pre.hidden) { pre.hidden = true; return; }
    try {
      const r = await api('POST', '/api/scenario/check', {scenario: scenarioJson()});
      pre.textContent = r.toml; pre.hidden = false; showErrors(null);
      const a = el('a', 'download scenario.toml');
      a.href = URL.createObjectURL(new Blob([r.toml], {type: 'application/toml'})); a.download = 'scenario.toml';
      pre.appendChild(document.createTextNode('\n')); pre.appendChild(a);
    } catch (err) { showErrors(err); }
  }
  async function loadToml(ev) {
    const file = ev.target.files[0]; if (!file) return;
    try {
      const r = await api('POST', '/api/scenario/check', {toml: await file.text()});
      fromScenario(r.scenario); showErrors(null);
    } catch (err) { showErrors(err); }
    ev.target.value = '';
  }
  function fromScenario(s) {
    $('seed').value = s.seed; $('days').value = s.days; $('rate').value = s.incidents.rate_multiplier;
    state.add = (s.stations.add || []).map(a => ({id: a.station_id, force: a.force, units: a.units,
      lon: a.lon, lat: a.lat, name: a.name, name_en: a.name_en}));
    state.move = {}; (s.stations.move || []).forEach(m => { state.move[m.station_id] = {lon: m.lon, lat: m.lat}; });
    state.remove = new Set(s.stations.remove || []);
    state.closures = (s.closures || []).map(c => ({name: c.name, edge_ids: c.name ? null : c.edge_ids,
      label: c.name || (c.edge_ids || []).join(','), start_h: c.start_h, duration_h: c.duration_h}));
    redraw();
  }
  app.project = (lon, lat) => {  // pixel position of a WGS84 point in the map (for tests)
    const vp = deckgl.getViewports()[0]; const [x, y] = vp.project([lon, lat]);
    const box = $('map').getBoundingClientRect(); return [box.left + x, box.top + y];
  };

  // ---------------------------------------------------------------- start
  async function start() {
    const [city, scenarios] = await Promise.all([api('GET', '/api/city/layers'), api('GET', '/api/scenarios')]);
    app.city = city; $('city-name').textContent = city.name;
    const pal = city.palette;
    Object.assign(FORCE_COLOURS, pal.forces);
    [BRIDGE, TUNNEL, CLOSED, WATER, NEW] = [pal.bridge, pal.tunnel, pal.closed, pal.water, pal.new];
    for (const s of scenarios.filter(x => x.hazard)) {
      const full = await api('GET', `/api/scenarios/${encodeURIComponent(s.name)}`);
      app.hazards[s.name] = {rainstorm: full.scenario.rainstorm, earthquake: full.scenario.earthquake};
      const o = el('option', `${s.name} — ${s.description}`); o.value = s.name; $('hazard').appendChild(o);
    }
    const box = $('map');
    const [w, so, e, n] = city.bounds;
    const vp = new deck.WebMercatorViewport({width: box.clientWidth, height: box.clientHeight})
      .fitBounds([[w, so], [e, n]], {padding: 20});
    deckgl = new deck.Deck({parent: box, initialViewState: {longitude: vp.longitude, latitude: vp.latitude, zoom: vp.zoom},
      controller: {doubleClickZoom: false}, layers: layers(),
      onHover: tooltip, getCursor: ({isDragging, isHovering}) => isHovering ? 'pointer' : (isDragging ? 'grabbing' : 'crosshair'),
      onAfterRender: () => { app.frames = (app.frames || 0) + 1; }});
    app.deck = deckgl;
    // Clicks are read from the DOM and picked here rather than through deck.gl's tap gesture,
    // which drops a click whose press outlasts 250 ms (a busy software-rendered page).
    let down = null;
    const local = ev => { const r = box.getBoundingClientRect(); return [ev.clientX - r.left, ev.clientY - r.top]; };
    box.addEventListener('pointerdown', ev => {
      down = [ev.clientX, ev.clientY];
      if (dragStart(...local(ev))) { box.setPointerCapture(ev.pointerId); ev.stopPropagation(); }
    }, true);
    box.addEventListener('pointermove', ev => { if (dragging) { dragTo(...local(ev)); ev.stopPropagation(); } }, true);
    const drop = ev => { if (dragging) { dragTo(...local(ev)); dragEnd(); ev.stopPropagation(); } };
    box.addEventListener('pointerup', drop, true);
    box.addEventListener('pointercancel', drop, true);
    box.addEventListener('click', ev => {
      if (!down || Math.hypot(ev.clientX - down[0], ev.clientY - down[1]) > 5) return;  // a pan
      const rect = box.getBoundingClientRect(), x = ev.clientX - rect.left, y = ev.clientY - rect.top;
      const picked = deckgl.pickObject({x, y, radius: 5, layerIds: ['stations', 'roads']}) || {};
      onClick(Object.assign({}, picked, {x, y, coordinate: deckgl.getViewports()[0].unproject([x, y])}));
    });
    const lg = $('legend');
    Object.entries(FORCE_COLOURS).filter(([f]) => f !== 'community').forEach(([f, c]) => {
      const i = el('div', null, 'i'); const sw = el('span', null, 'sw'); sw.style.background = `rgb(${c})`;
      i.appendChild(sw); i.appendChild(el('span', `${f} station`)); lg.appendChild(i); });
    const ring = el('div', null, 'i'); const rs = el('span', null, 'sw');
    rs.style.background = 'transparent'; rs.style.border = `3px solid rgb(${NEW})`;
    ring.appendChild(rs); ring.appendChild(el('span', 'new or moved station (yours)')); lg.appendChild(ring);
    [['bridge', BRIDGE], ['tunnel', TUNNEL], ['closed by you', CLOSED]].forEach(([l, c]) => {
      const i = el('div', null, 'i'); const sw = el('span', null, 'sw'); sw.style.background = `rgb(${c})`; sw.style.borderRadius = '0';
      i.appendChild(sw); i.appendChild(el('span', l)); lg.appendChild(i); });
    lg.appendChild(el('div', 'districts after a run: blue better, orange worse (30-min share)'));
    document.querySelectorAll('input[name=tool]').forEach(r => r.addEventListener('change', setTool));
    $('run').addEventListener('click', run);
    $('site-run').addEventListener('click', findSites); $('site-accept').addEventListener('click', acceptSites); $('show-toml').addEventListener('click', showToml);
    $('load-toml').addEventListener('change', loadToml);
    setTool(); renderChanges();
    app.ready = true;
  }
  start().catch(err => { showErrors(err); app.failed = String(err); });
})();
