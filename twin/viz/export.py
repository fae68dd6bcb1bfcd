"""map.html, map.png and briefing.html for a Results folder.

- ``map.html``: one offline file (deck.gl bundle inlined, no base map, no CDN), districts
  shaded by compliance, layers toggled by checkboxes, legend and title block.
- ``map.png``: the same page rendered by headless Chromium at 1600×900, device scale 2
  (:mod:`twin.viz.browser`); if that fails, drawn with matplotlib (:mod:`twin.viz.mpl`). Which one
  made it is returned (:attr:`MapFiles.png_renderer`).
- ``briefing.html``: printable page: the live map (the map.html document in an
  ``<iframe srcdoc>``), the PNG as a data URI (shown when printing), the compliance
  tables, the worst districts and the scenario's settings.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from twin.model.city import City
from twin.viz import browser as browser_png
from twin.viz import mpl, style
from twin.viz.data import RunData, city_compliance, district_compliance, read_results
from twin.viz.layers import GROUP_LABELS, MapLayer, bounds_wgs84, deck, map_layers
from twin.viz.page import (deck_page, dot_item, legend_html, line_item, ramp_legend, swatch_item,
                      title_html, toggles_html)
from twin.viz.safe import png_data_uri, script_json, text, write_text

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MapFiles:
    """What :func:`write_map` wrote, and which renderer made the PNG."""

    html: Path
    png: Path | None
    png_renderer: str | None
    """``"chromium"`` or ``"matplotlib"`` (``None`` when no PNG was asked for)."""
    png_note: str = ""
    """Why the fallback was used, when it was."""

    @property
    def paths(self) -> list[Path]:
        """The files written."""
        return [p for p in (self.html, self.png) if p is not None]

    def __iter__(self):
        return iter(self.paths)


# --- map.html ----------------------------------------------------------------------------

def heading(city: City, run: RunData) -> str:
    """The title of a map: project, scenario."""
    scen = run.scenario_name or "(unnamed scenario)"
    return f"山城孪生 Shancheng Twin — {scen}"


def subtitle(city: City, run: RunData, target: str) -> list[str]:
    """Meta lines under the title: what is shaded, seed, date, city, incident count."""
    return [f"Districts shaded by share of incidents meeting the {style.target_label(target)} "
            f"target",
            f"seed {run.seed or '—'} · run started {run.started or '—'}",
            f"city: {city.name} · {len(run.incidents)} incidents"]


def map_html(city: City, run: RunData, *, target: str = "30min",
             coverage: pd.Series | None = None, hidden_layers: bool = True) -> str:
    """The map.html document (a string).

    ``hidden_layers=False`` leaves out the layers that start hidden (pipes, coverage, a big
    city's community posts): the lighter map the briefing embeds.
    """
    layers = [m for m in map_layers(city, run, target, coverage) if m.visible or hidden_layers]
    spec = script_json(deck(layers, city))
    groups = _groups(layers)
    body = (title_html(heading(city, run), subtitle(city, run, target))
            + toggles_html({g: v for g, (ids, v) in groups.items()}, GROUP_LABELS)
            + legend_html(legend_sections(city, run, layers, target)))
    page_data = {"bounds": bounds_wgs84(city),
                 "groups": {g: ids for g, (ids, _) in groups.items()}}
    return deck_page(title=heading(city, run), spec_json=spec, page_data=page_data, body=body)


def _groups(layers: list[MapLayer]) -> dict[str, tuple[list[str], bool]]:
    """Toggle groups present, in drawing-label order: group → (layer ids, visible)."""
    out: dict[str, tuple[list[str], bool]] = {}
    for g in GROUP_LABELS:
        members = [m for m in layers if m.group == g]
        if members:
            out[g] = ([m.layer.id for m in members], any(m.visible for m in members))
    return out


def legend_sections(city: City, run: RunData, layers: list[MapLayer],
                    target: str) -> list[tuple[str, str]]:
    """Legend (heading, escaped HTML) pairs for what the map shows."""
    present = {m.group for m in layers}
    forces = set(city.stations["force"])
    classes = set(city.road_edges["road_class"])
    sections = [(f"{style.target_label(target)} target met 达标率", ramp_legend(target))]
    if "incidents" in present:
        sections.append(("Incidents 事件", dot_item(style.MET_COLOR, "target met 达标")
                         + dot_item(style.MISSED_COLOR, "target missed 未达标")
                         + dot_item(style.NA_COLOR, "not applicable 不适用")))
    posts_hidden = any(m.group == "community_posts" and not m.visible for m in layers)
    if forces:
        sections.append(("Stations 站点", "".join(
            dot_item(st["color"], str(st["label"])
                     + (" (hidden: tick to show)" if f == "community" and posts_hidden else ""))
            for f, st in style.FORCE_STYLE.items() if f in forces)))
    roads = "".join(line_item(st["color"], float(st["min_px"]) + 1, str(st["label"]))
                    for c, st in style.ROAD_STYLE.items() if c in classes)
    if "bridges" in present:
        roads += line_item(style.BRIDGE_COLOR, 4, "Bridge 桥梁") + line_item(
            style.TUNNEL_COLOR, 3, "Tunnel 隧道")
    if "closures" in present:
        roads += line_item(style.CLOSED_COLOR, 5, "Closed road 封闭道路")
    sections.append(("Roads 道路", roads))
    if present & {"coverage_ground", "coverage_community"}:
        sections.append(("Coverage, best time from a base 覆盖 (off by default)", "".join(
            swatch_item(c, label) for _, c, label in style.COVERAGE_BANDS)))
    pipes = "".join(line_item(style.PIPE_COLOR[n], 3, style.PIPE_LABEL[n])
                    for n in ("water", "gas", "drainage") if f"pipes_{n}" in present)
    if pipes:
        sections.append(("Pipes 管网 (off by default)", pipes))
    if "routes" in present:
        sections.append(("Routes 路线", "<div class=\"item\">unit trips, coloured by force; "
                         "return legs fainter</div>"))
    return sections


# --- map.png -----------------------------------------------------------------------------

def render_png(html: Path, png: Path, city: City, run: RunData, *, target: str = "30min",
               browser: bool = True) -> tuple[str, str]:
    """Render ``png`` from ``html`` with Chromium, else with matplotlib.

    Returns (renderer, note): ``("chromium", "")`` or ``("matplotlib", why)``.
    """
    note = "browser rendering not requested"
    if browser:
        try:
            blocked = browser_png.screenshot_file(html, png)
            if blocked:
                log.warning("map.html tried to reach the network: %s", blocked[:5])
            return "chromium", ""
        except Exception as exc:  # noqa: BLE001 — any browser failure falls back
            note = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
            log.warning("Chromium render failed (%s); drawing map.png with matplotlib", note)
    mpl.render_png(city, run, png, target=target, title=heading(city, run),
            subtitle=subtitle(city, run, target))
    return "matplotlib", note


def write_map(results_dir: str | Path, city: City, *, target: str = "30min",
              coverage: pd.Series | None = None, png: bool = True,
              browser: bool = True) -> MapFiles:
    """Write ``map.html`` (and ``map.png`` unless ``png=False``) into the results folder."""
    run = read_results(results_dir)
    html_path = run.folder / "map.html"
    write_text(html_path, map_html(city, run, target=target, coverage=coverage))
    if not png:
        return MapFiles(html=html_path, png=None, png_renderer=None)
    png_path = run.folder / "map.png"
    renderer, note = render_png(html_path, png_path, city, run, target=target, browser=browser)
    return MapFiles(html=html_path, png=png_path, png_renderer=renderer, png_note=note)


# --- briefing.html -----------------------------------------------------------------------

BRIEFING_CSS = f"""
body {{ font-family: {style.FONT_STACK}; margin: 24px auto; max-width: 1180px; color: #1d232a;
  padding: 0 16px; }}
h1 {{ font-size: 24px; margin-bottom: 2px; }} h2 {{ font-size: 18px; margin-top: 26px;
  border-bottom: 2px solid #1d232a; }} h3 {{ font-size: 15px; margin: 14px 0 4px; }}
.meta {{ color: #444; }}
table {{ border-collapse: collapse; font-size: 13px; margin: 4px 0 10px; }}
th, td {{ border: 1px solid #bbb; padding: 3px 8px; text-align: right; }}
th {{ background: #eceff3; }} td.l, th.l {{ text-align: left; }}
td ol {{ margin: 0; padding-left: 20px; }}
tr.city td {{ font-weight: 700; background: #f6f7f9; }}
.share {{ display: inline-block; width: 10px; height: 10px; border: 1px solid #555;
  margin-right: 4px; vertical-align: middle; }}
iframe.map {{ width: 100%; aspect-ratio: 16 / 9; border: 1px solid #999; }}
img.map {{ width: 100%; border: 1px solid #999; }}
.print-only {{ display: none; }}
@media print {{
  body {{ margin: 0; max-width: none; }}
  .screen-only {{ display: none; }} .print-only {{ display: block; }}
  h2 {{ break-after: avoid; }} table {{ break-inside: avoid; }}
}}
"""


def write_briefing(results_dir: str | Path, city: City, *, target: str = "30min",
                   coverage: pd.Series | None = None, browser: bool = True) -> Path:
    """Write ``briefing.html`` (making map.html and map.png first if map.png is missing).

    The live map it embeds is map.html without the layers that start hidden (pipes,
    coverage): for a whole twin that halves the page, and map.html sits beside it.
    """
    run = read_results(results_dir)
    png_path = run.folder / "map.png"
    if not png_path.exists():
        write_map(run.folder, city, target=target, coverage=coverage, browser=browser)
    doc = map_html(city, run, target=target, coverage=coverage, hidden_layers=False)
    out = run.folder / "briefing.html"
    write_text(out, briefing_html(city, run, doc, png_data_uri(png_path), target=target))
    return out


def briefing_html(city: City, run: RunData, map_document: str, png_uri: str, *,
                  target: str = "30min") -> str:
    """The briefing document: title, map (live + print PNG), tables, settings."""
    title = heading(city, run)
    parts = [
        f"<h1>{text(title)}</h1>",
        "<div class=\"meta\">" + "<br>".join(text(s) for s in subtitle(city, run, target))
        + "</div>",
        "<h2>Map 地图</h2>",
        f"<iframe class=\"map screen-only\" title=\"map\" srcdoc=\"{text(map_document)}\">"
        "</iframe>",
        f"<img class=\"map print-only\" alt=\"{text(title)}\" src=\"{png_uri}\">",
        f"<h2>Worst districts ({text(style.target_label(target))} target) 达标率最低</h2>",
        worst_districts_html(city, run, target),
        "<h2>Response-time compliance 响应达标</h2>",
        compliance_tables_html(city, run),
        "<h2>Scenario settings 情景设置</h2>",
        settings_html(run.summary),
    ]
    return ("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{text(title)} — briefing</title>\n<style>{BRIEFING_CSS}</style>\n"
            "</head>\n<body>\n" + "\n".join(parts) + "\n</body>\n</html>\n")


def _district_names(city: City) -> dict[str, str]:
    d = city.districts
    return {i: f"{n} {e}" for i, n, e in zip(d["district_id"], d["name"], d["name_en"])}


def compliance_tables_html(city: City, run: RunData) -> str:
    """One table per target (10/30/60 min): the city row, then each district."""
    names = _district_names(city)
    cityrows = city_compliance(run.compliance)
    out = []
    for target in style.TARGETS:
        rows = []
        if target in cityrows.index:
            rows.append(_compliance_row("City 全市", cityrows.loc[[target]].iloc[0], "city"))
        dist = district_compliance(run.compliance, target)
        for did in sorted(dist.index, key=lambda i: names.get(i, i)):
            rows.append(_compliance_row(names.get(did, did), dist.loc[[did]].iloc[0]))
        if not rows:
            continue
        out.append(f"<h3>{text(style.target_label(target))} target</h3><table><thead><tr>"
                   "<th class=\"l\">Scope</th><th>Incidents</th><th>Share met</th><th>Mean</th>"
                   "<th>p50</th><th>p90</th><th>p95</th></tr></thead><tbody>"
                   + "".join(rows) + "</tbody></table>")
    return "".join(out) or "<p>No compliance figures in this run.</p>"


def _compliance_row(label: str, r: pd.Series, cls: str = "") -> str:
    share = style.number(r.get("met_share"))
    sw = (f"<span class=\"share\" style=\"background:{style.css(style.ramp(share))}\"></span>"
          if share is not None else "")
    cells = [f"<td class=\"l\">{text(label)}</td>", f"<td>{_count(r.get('count'))}</td>",
             f"<td>{sw}{text(style.percent(share))}</td>"]
    cells += [f"<td>{text(style.minutes(style.number(r.get(c))))}</td>"
              for c in ("mean_s", "p50_s", "p90_s", "p95_s")]
    return f"<tr class=\"{cls}\">{''.join(cells)}</tr>"


def worst_districts_html(city: City, run: RunData, target: str, n: int = 5) -> str:
    """The ``n`` districts with the lowest met share for ``target`` (with incidents)."""
    dist = district_compliance(run.compliance, target)
    dist = dist[pd.to_numeric(dist["count"], errors="coerce").fillna(0) > 0].copy()
    if dist.empty:
        return "<p>No district had incidents for this target.</p>"
    dist["_share"] = pd.to_numeric(dist["met_share"], errors="coerce")
    dist["_p90"] = pd.to_numeric(dist["p90_s"], errors="coerce")
    worst = dist.sort_values(["_share", "_p90"], ascending=[True, False]).head(n)
    names = _district_names(city)
    items = "".join(
        f"<li>{text(names.get(did, did))}: {text(style.percent(style.number(r['met_share'])))} of "
        f"{_count(r['count'])} met; p90 {text(style.minutes(style.number(r['p90_s'])))}</li>"
        for did, r in worst.iterrows())
    return f"<ol>{items}</ol>"


SUMMARY_SHOWN_ELSEWHERE = ("scenario", "compliance", "worst_", "mutual_aid_top")
"""summary.json keys not repeated in the "Run" table (shown above, or in the scenario table)."""


def settings_html(summary: dict) -> str:
    """The scenario as applied (summary.json ``scenario``), then the run's own facts."""
    scen = summary.get("scenario")
    scen_rows = _flatten(scen) if isinstance(scen, dict) else [("scenario", scen)]
    run_rows = _flatten({k: v for k, v in summary.items()
                         if not k.startswith(SUMMARY_SHOWN_ELSEWHERE)})
    if not summary:
        return "<p>No summary.json in this folder.</p>"
    return (_kv_table(scen_rows) + "<h3>Run 运行</h3>" + _kv_table(run_rows))


def _kv_table(rows: list[tuple[str, object]]) -> str:
    body = "".join(f"<tr><td class=\"l\">{text(k)}</td><td class=\"l\">{_value_html(v)}</td></tr>"
                   for k, v in rows)
    return f"<table><tbody>{body}</tbody></table>"


def _value_html(v: object) -> str:
    """A setting's value as escaped HTML; a list of records (scripted incidents) as a list."""
    if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
        items = "".join("<li>" + text(", ".join(f"{k}={_show(x)}" for k, x in d.items()
                                                  if x not in (None, "", [], {})))
                        + "</li>" for d in v)
        return f"<ol>{items}</ol>"
    return text(_show(v))


def _flatten(d: dict, prefix: str = "") -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and v:
            out += _flatten(v, key + ".")
        else:
            out.append((key, v))
    return out


def _show(v: object) -> str:
    return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)


def _count(v: object) -> str:
    f = style.number(v)
    return "—" if f is None else f"{int(f):,}"


__all__ = ["MapFiles", "write_map", "write_briefing", "map_html", "render_png",
           "briefing_html"]
