"""Self-contained HTML pages around a deck.gl map (no network: bundle, data, CSS inline).

pydeck's own ``Deck.to_html(offline=True)`` inlines the deck.gl bundle but its template
(``pydeck/io/templates/index.j2``) still links mapbox-gl JS, Bootstrap, Font Awesome,
MapLibre and widget CSS from CDNs, and pastes the deck JSON into ``<script>`` unescaped.
So the pages here use their own template: a deck.gl script of our own (:func:`twin.viz.safe.deck_bundle`),
the deck JSON that pydeck produces (``pdk.Deck``) as an escaped ``application/json`` block,
and pydeck's ``createDeck({container, jsonInput})`` — the call pydeck's template makes —
kept as ``window.deckInstance``. Small inline scripts then:

- replace the tooltip with one that shows each feature's ``tip`` via ``textContent``;
- fit the view to the city's bounds for the actual window size;
- wire the layer checkboxes: ``deckInstance.setProps({layers: layers.map(l => l.clone({visible}))})``;
- expose ``window.deckReady()`` (all layers loaded and drawn) for the PNG renderer and tests.
"""

from __future__ import annotations

import twin.viz.style as style
from twin.viz.safe import deck_bundle_gzip, script_json, text

BASE_CSS = f"""
html, body {{ margin: 0; padding: 0; height: 100%; overflow: hidden; background: {style.BACKGROUND};
  font-family: {style.FONT_STACK}; color: #1d232a; }}
#deck-container {{ position: absolute; inset: 0; }}
.panel {{ position: absolute; z-index: 5; background: rgba(255,255,255,0.93); border-radius: 6px;
  box-shadow: 0 1px 4px rgba(0,0,0,0.25); padding: 10px 14px; font-size: 13px; line-height: 1.35; }}
#title {{ top: 12px; left: 12px; max-width: 560px; }}
#title h1 {{ font-size: 20px; margin: 0 0 4px 0; }}
#title .meta {{ color: #444; font-size: 13px; }}
#legend {{ bottom: 12px; left: 12px; max-width: 330px; }}
#legend h2, #toggles h2 {{ font-size: 13px; margin: 6px 0 3px 0; }}
#legend h2:first-child, #toggles h2:first-child {{ margin-top: 0; }}
.ramp {{ height: 12px; width: 240px; border: 1px solid #666; }}
.ramp-ticks {{ display: flex; justify-content: space-between; width: 242px; font-size: 11px; }}
.item {{ display: flex; align-items: center; gap: 6px; margin: 1px 0; }}
.sw {{ display: inline-block; width: 14px; height: 14px; border: 1px solid #555; flex: none; }}
.dot {{ display: inline-block; width: 11px; height: 11px; border-radius: 50%; border: 1px solid #222; flex: none; }}
.line {{ display: inline-block; width: 22px; flex: none; border-radius: 2px; }}
#toggles {{ top: 12px; right: 12px; }}
#toggles label {{ display: block; cursor: pointer; white-space: nowrap; }}
html.snapshot #toggles {{ display: none; }}
#loading {{ top: 50%; left: 50%; transform: translate(-50%, -50%); z-index: 20; min-width: 280px;
  text-align: center; }}
#loading progress {{ width: 100%; height: 10px; }}
html.snapshot #loading {{ display: none; }}
@media (max-height: 820px) {{
  #legend {{ columns: 2; column-gap: 18px; max-width: 560px; font-size: 12px;
    max-height: calc(100vh - 150px); overflow-y: auto; }}
  #legend h2 {{ break-after: avoid; }} #legend .item {{ break-inside: avoid; }}
  #title h1 {{ font-size: 17px; }}
}}
"""

BOOT_JS = """
(function () {
  const timing = window.__timing = {start: performance.now()};
  const spec = JSON.parse(document.getElementById('deck-spec').textContent);
  const page = JSON.parse(document.getElementById('page-data').textContent);
  timing.parsed = performance.now();
  window.__loadStep('building the layers 构建图层');
  window.__frames = 0;
  const deckInstance = createDeck({container: document.getElementById('deck-container'),
                                   jsonInput: spec, tooltip: false});
  timing.created = performance.now();
  window.__loadStep('drawing the first frame 绘制');
  window.deckInstance = deckInstance;
  const tipStyle = {whiteSpace: 'pre', fontSize: '12px', lineHeight: '1.35',
                    background: 'rgba(29,35,42,0.92)', color: '#fff', padding: '6px 8px',
                    borderRadius: '4px', fontFamily: page.font};
  function getTooltip(info) {
    const o = info && info.object;
    const tip = o && (o.tip || (o.properties && o.properties.tip));
    return tip ? {text: String(tip), style: tipStyle} : null;
  }
  function fitted() {
    const [w, s, e, n] = page.bounds;
    const box = document.getElementById('deck-container');
    const vp = new deck.WebMercatorViewport({width: box.clientWidth || window.innerWidth,
                                             height: box.clientHeight || window.innerHeight});
    const {longitude, latitude, zoom} = vp.fitBounds([[w, s], [e, n]],
                                                     {padding: page.padding || 40});
    return {longitude, latitude, zoom: Math.min(zoom, 17), pitch: 0, bearing: 0};
  }
  deckInstance.setProps({getTooltip, initialViewState: fitted(),
                         onAfterRender: () => {
                           if (!window.__frames) {
                             timing.firstFrame = performance.now(); window.__loadDone(); }
                           window.__frames += 1; }});
  window.__pending = 0;
  window.deckReady = function () {
    const d = window.deckInstance;
    return Boolean(d && d.isInitialized && window.__frames > 0 && window.__pending === 0 &&
      (d.props.layers || []).every(l => l.isLoaded) &&
      !d.needsRedraw({clearRedrawFlags: false}));
  };
  const packed = page.packed || {};
  const unpacked = {};
  async function segments(id) {  // a packed LineLayer's data as binary attributes
    if (!unpacked[id]) {
      const p = packed[id];
      const d = new Int32Array(await window.__gunzip(p.b64));
      const xy = new Float32Array(d.length);
      let x = 0, y = 0;
      for (let i = 0; i < d.length; i += 2) {
        x += d[i]; y += d[i + 1]; xy[i] = x / p.scale; xy[i + 1] = y / p.scale; }
      unpacked[id] = {length: d.length / 4, attributes: {
        getSourcePosition: {value: xy, size: 2, stride: 16, offset: 0},
        getTargetPosition: {value: xy, size: 2, stride: 16, offset: 8}}};
    }
    return unpacked[id];
  }
  const hidden = page.hidden || {};  // layers left out of the first frame, packed
  const order = page.order || [];
  async function build(id) {  // a hidden layer, converted from its JSON when first shown
    const spec = JSON.parse(new TextDecoder().decode(await window.__gunzip(hidden[id])));
    let made = null;
    updateDeck({layers: [spec]}, {setProps: p => { made = p.layers[0]; }});
    return packed[id] ? made.clone({data: await segments(id)}) : made;
  }
  window.setGroupVisible = async function (group, on) {
    const ids = page.groups[group] || [];
    window.__pending += 1;
    try {
      const have = new Set(deckInstance.props.layers.map(l => l.id));
      const made = {};
      if (on) for (const id of ids) if (!have.has(id) && hidden[id]) made[id] = await build(id);
      const byId = {};
      for (const l of deckInstance.props.layers)
        byId[l.id] = ids.includes(l.id) ? l.clone({visible: on}) : l;
      for (const id of Object.keys(made)) byId[id] = made[id].clone({visible: true});
      const ranked = order.filter(id => byId[id]);
      const rest = Object.keys(byId).filter(id => !order.includes(id));
      deckInstance.setProps({layers: [...ranked, ...rest].map(id => byId[id])});
    } finally { window.__pending -= 1; }
  };
  window.layerVisible = function (id) {  // false for a hidden layer not built yet
    const l = deckInstance.props.layers.find(x => x.id === id);
    return l ? l.props.visible : (hidden[id] ? false : null);
  };
  document.querySelectorAll('input[data-group]').forEach(cb => {
    cb.addEventListener('change', () => window.setGroupVisible(cb.dataset.group, cb.checked));
  });
})();
"""


LOADER_JS = """
(async function () {
  const t0 = performance.now();
  const bar = document.getElementById('loading-bar');
  const label = document.getElementById('loading-step');
  window.__loadSteps = [];
  window.__loadStep = function (name) {  // the loading panel: which step, how far
    window.__loadSteps.push(name);
    bar.value = window.__loadSteps.length;
    label.textContent = name;
    document.documentElement.dataset.loading = name;
  };
  window.__loadDone = function () {
    bar.value = bar.max;
    document.getElementById('loading').hidden = true;
    document.documentElement.dataset.loading = 'done';
  };
  window.__gunzip = async function (b64) {  // base64 → bytes → gunzip, all in this page
    const bytes = Uint8Array.fromBase64 ? Uint8Array.fromBase64(b64)
      : Uint8Array.from(atob(b64), c => c.charCodeAt(0));
    const stream = new Response(bytes).body.pipeThrough(new DecompressionStream('gzip'));
    return await new Response(stream).arrayBuffer();
  };
  window.__loadStep('unpacking the map library 解压');
  const js = new TextDecoder().decode(
    await window.__gunzip(document.getElementById('deck-bundle').textContent));
  const el = document.createElement('script');
  el.text = js;
  document.head.appendChild(el);  // runs now, like an inline script
  window.__bundleMs = performance.now() - t0;  // unpacked and run
  window.__loadStep('reading the data 读取数据');
  await new Promise(requestAnimationFrame);  // let the panel show the step
  window.__twinBoot();
})();
"""
"""Unpacks the gzip-compressed deck.gl bundle (0.8 MB → about 0.3 MB in the page) with the
browser's own DecompressionStream, runs it as an inline script, then boots the page. The
loading panel (:data:`LOADING_HTML`) shows each step — unpacking, reading the data,
building the layers, drawing — and hides at the first frame (``html[data-loading=done]``)."""

LOADING_STEPS = 4
LOADING_HTML = (
    '<div class="panel" id="loading" role="status"><div id="loading-step">'
    "loading… 加载中 (needs JavaScript)</div>"
    f'<progress id="loading-bar" max="{LOADING_STEPS + 1}" value="0"></progress></div>'
)
"""The loading panel: a step name and a bar (steps + the first frame)."""


def deck_page(
    *, title: str, spec_json: str, page_data: dict, body: str, css: str = "", script: str = ""
) -> str:
    """A complete offline HTML page: bundle, deck JSON, overlays (``body``), scripts.

    ``spec_json`` must already be script-safe (:func:`twin.viz.safe.script_json`); ``body`` must
    already be escaped HTML; ``page_data`` (bounds, groups, packed layers, …) is serialised
    here. The page's scripts run once the bundle is loaded (:data:`LOADER_JS`).
    """
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{text(title)}</title>\n<style>{BASE_CSS}{css}</style>\n"
        "</head>\n<body>\n"
        '<div id="deck-container"></div>\n'
        f"{body}\n{LOADING_HTML}\n"
        f'<script type="application/octet-stream" id="deck-bundle">{deck_bundle_gzip()}'
        "</script>\n"
        f'<script type="application/json" id="deck-spec">{spec_json}</script>\n'
        '<script type="application/json" id="page-data">'
        f"{script_json({'font': style.FONT_STACK, **page_data})}</script>\n"
        f"<script>window.__twinBoot = function () {{\n{BOOT_JS}\n{script}\n}};</script>\n"
        f"<script>{LOADER_JS}</script>\n"
        "</body>\n</html>\n"
    )


def title_html(heading: str, lines: list[str]) -> str:
    """The title block: a heading and meta lines (all escaped here)."""
    meta = "<br>".join(text(s) for s in lines if s)
    return (
        f'<div class="panel" id="title"><h1>{text(heading)}</h1>'
        f'<div class="meta">{meta}</div></div>'
    )


def toggles_html(groups: dict[str, bool], labels: dict[str, str]) -> str:
    """Checkboxes, one per toggle group present (``groups``: group → visible at start)."""
    rows = "".join(
        f'<label><input type="checkbox" data-group="{text(g)}"'
        f"{' checked' if on else ''}> {text(labels.get(g, g))}</label>"
        for g, on in groups.items()
    )
    return f'<div class="panel" id="toggles"><h2>Layers 图层</h2>{rows}</div>'


def legend_html(sections: list[tuple[str, str]]) -> str:
    """The legend panel from (heading, inner HTML) sections (inner HTML already escaped)."""
    inner = "".join(f"<h2>{text(h)}</h2>{body}" for h, body in sections if body)
    return f'<div class="panel" id="legend">{inner}</div>'


def ramp_legend(target: str) -> str:
    """The compliance ramp: a gradient bar with ticks and the no-data swatch."""
    return (
        f'<div class="ramp" style="background:{style.ramp_css_gradient()}"></div>'
        '<div class="ramp-ticks"><span>0%</span><span>25%</span><span>50%</span>'
        "<span>75%</span><span>100%</span></div>"
        + swatch_item(style.NO_DATA, "no incidents 无事件")
    )


def swatch_item(color: list[int], label: str) -> str:
    """A square colour swatch with its label."""
    return (
        f'<div class="item"><span class="sw" style="background:{style.css(color)}">'
        f"</span>{text(label)}</div>"
    )


def dot_item(color: list[int], label: str) -> str:
    """A round marker with its label."""
    return (
        f'<div class="item"><span class="dot" style="background:{style.css(color)}">'
        f"</span>{text(label)}</div>"
    )


def line_item(
    color: list[int], width_px: float, label: str, border: list[int] | None = None
) -> str:
    """A line sample with its label (``border``: the casing colour, for bridges/closures)."""
    edge = f"border:2px solid {style.css(border)};" if border is not None else ""
    return (
        f'<div class="item"><span class="line" style="background:{style.css(color)};'
        f'{edge}height:{max(2, round(width_px))}px"></span>{text(label)}</div>'
    )


def ring_item(color: list[int], label: str) -> str:
    """A hollow ring with its label (new stations, epicentre rings)."""
    return (
        f'<div class="item"><span class="dot" style="background:transparent;'
        f'border:3px solid {style.css(color)};box-shadow:0 0 0 1px #000"></span>'
        f"{text(label)}</div>"
    )
