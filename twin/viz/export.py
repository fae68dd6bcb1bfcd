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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

import twin.viz.browser as browser_png
import twin.viz.mpl as mpl
import twin.viz.style as style
from twin.model.city import City
from twin.viz.data import RunData
from twin.viz.drawing import Drawing, draw
from twin.viz.geom import GROUP_LABELS, PACK_SCALE, MapLayer, bounds_wgs84
from twin.viz.layers import Common, deck, map_layers
from twin.viz.page import (
    deck_page,
    dot_item,
    legend_html,
    line_item,
    ramp_legend,
    ring_item,
    swatch_item,
    title_html,
    toggles_html,
)
from twin.viz.runcity import StationChanges
from twin.viz.safe import defer_layers, script_json, write_text

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

    def __iter__(self) -> Iterator[Path]:
        return iter(self.paths)


# --- map.html ----------------------------------------------------------------------------


def heading(city: City, run: RunData) -> str:
    """The title of a map: project, scenario."""
    scen = run.scenario_name or "(unnamed scenario)"
    return f"山城孪生 Shancheng Twin — {scen}"


def subtitle(city: City, run: RunData, target: str) -> list[str]:
    """Meta lines under the title: what is shaded, seed, date, city, incident count."""
    return [
        f"Shaded by share of incidents meeting the {style.target_label(target)} target 达标率",
        f"seed {run.seed or '—'} · run started {run.started or '—'}",
        f"city: {city.name} · {len(run.incidents)} incidents",
    ]


def map_html(
    city: City,
    run: RunData,
    *,
    target: str = "30min",
    coverage: pd.Series | None = None,
    hidden_layers: bool = True,
    changes: StationChanges | None = None,
    common: Common | None = None,
) -> str:
    """The map.html document (a string) of ``city``: the city the run used
    (:func:`twin.viz.runcity.run_city`); ``changes`` marks what its scenario changed.

    ``hidden_layers=False`` leaves out the layers that start hidden (pipes, coverage, a big
    city's community posts). ``common``: the layers replay.html shares, already built.
    """
    layers = [
        m
        for m in map_layers(city, run, target, coverage, changes, common)
        if m.visible or hidden_layers
    ]
    spec = json.loads(script_json(deck(layers, city)))
    # layers hidden at first are left out of the deck (no data decoded, no shaders compiled
    # for the first frame): they ship packed and are built when their box is first ticked
    hidden = defer_layers(spec, {m.layer.id for m in layers if not m.visible})
    groups = _groups(layers)
    body = (
        title_html(heading(city, run), subtitle(city, run, target))
        + toggles_html({g: v for g, (ids, v) in groups.items()}, GROUP_LABELS)
        + legend_html(legend_sections(city, run, layers, target))
    )
    page_data = {
        "bounds": bounds_wgs84(city),
        "groups": {g: ids for g, (ids, _) in groups.items()},
        "packed": {m.layer.id: {"b64": m.packed, "scale": PACK_SCALE} for m in layers if m.packed},
        "hidden": hidden,
        "order": [m.layer.id for m in layers],
    }
    return deck_page(
        title=heading(city, run), spec_json=script_json(spec), page_data=page_data, body=body
    )


def _groups(layers: list[MapLayer]) -> dict[str, tuple[list[str], bool]]:
    """Toggle groups present, in drawing-label order: group → (layer ids, visible)."""
    out: dict[str, tuple[list[str], bool]] = {}
    for g in GROUP_LABELS:
        members = [m for m in layers if m.group == g]
        if members:
            out[g] = ([m.layer.id for m in members], any(m.visible for m in members))
    return out


def legend_sections(
    city: City, run: RunData, layers: list[MapLayer], target: str
) -> list[tuple[str, str]]:
    """Legend (heading, escaped HTML) pairs for what the map shows."""
    present = {m.group for m in layers}
    ids = {m.layer.id for m in layers}
    forces = set(city.stations["force"])
    classes = set(city.road_edges["road_class"])
    sections = [
        (
            f"{style.target_label(target)} target met 达标率",
            ramp_legend(target)
            + (
                '<div class="item">1 km cells, fainter where few incidents</div>'
                if any(m.group == "cells" and m.visible for m in layers)
                else ""
            ),
        )
    ]
    if "incidents" in present:
        off = not any(m.group == "incidents" and m.visible for m in layers)
        sections.append(
            (
                "Incidents 事件" + (" (hidden under the cells: tick to show)" if off else ""),
                dot_item(style.MISSED_COLOR, "target missed 未达标")
                + dot_item(style.MET_COLOR, "target met 达标")
                + dot_item(style.NA_COLOR, "not applicable 不适用"),
            )
        )
    posts_hidden = any(m.group == "community_posts" and not m.visible for m in layers)
    if forces:
        sections.append(
            (
                "Stations 站点",
                "".join(
                    dot_item(
                        st["color"],
                        str(st["label"])
                        + (" (hidden: tick to show)" if f == "community" and posts_hidden else ""),
                    )
                    for f, st in style.FORCE_STYLE.items()
                    if f in forces
                ),
            )
        )
    changes = ""
    if "stations_new" in ids:
        changes += ring_item(style.NEW_COLOR, "new or moved station 新增/迁移站点")
    if "stations_removed" in ids:
        changes += ring_item(style.REMOVED_COLOR, "removed station (×) or old place 撤销/原址")
    if "closures" in present:
        changes += line_item(
            style.CLOSED_COLOR, 5, "closed road or bridge 封闭道路", border=style.CLOSED_CASING
        )
    if "quake_rings" in ids:
        changes += ring_item(style.HAZARD_COLOR, "epicentre, rings at 5/10/20 km 震中")
    if "storm" in ids:
        changes += ring_item(style.HAZARD_COLOR, "rainstorm districts 暴雨区")
    if "drill" in ids:
        changes += ring_item(style.DRILL_COLOR, "drill incident (and what it led to) 演练事件")
    if changes:
        sections.append(("Scenario 情景", changes))
    roads = swatch_item(style.WATER_COLOR, "River 江河") if "water" in present else ""
    if "relief" in present:
        roads += (
            '<div class="item">hill shading (off by default): the twin\'s terrain 地形晕渲</div>'
        )
    roads += "".join(
        line_item(st["color"], float(st["min_px"]) + 1, str(st["label"]))
        for c, st in style.ROAD_STYLE.items()
        if c in classes
    )
    if "bridges" in present:
        roads += line_item(
            style.BRIDGE_COLOR, 4, "Bridge 桥梁", border=style.BRIDGE_CASING
        ) + line_item(style.TUNNEL_COLOR, 3, "Tunnel 隧道")
    sections.append(("Base 底图", roads))
    if "coverage" in present:
        sections.append(
            (
                "Coverage, best ground time (off by default) 覆盖",
                "".join(swatch_item(c, label) for _, c, label in style.COVERAGE_BANDS),
            )
        )
    pipes = "".join(
        line_item(style.PIPE_COLOR[n], 3, style.PIPE_LABEL[n])
        for n in ("water", "gas", "drainage")
        if f"pipes_{n}" in present
    )
    if pipes:
        sections.append(("Pipes 管网 (off by default)", pipes))
    if "routes" in present:
        hidden = not any(m.visible for m in layers if m.group == "routes")
        sections.append(
            (
                "Routes 路线",
                '<div class="item">unit trips, coloured by force; '
                + ("outbound legs only (off by default)" if hidden else "return legs fainter")
                + "</div>",
            )
        )
    return sections


# --- map.png -----------------------------------------------------------------------------


def render_png(
    html: Path, png: Path, city: City, run: RunData, *, target: str = "30min", browser: bool = True
) -> tuple[str, str]:
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
    mpl.render_png(
        city,
        run,
        png,
        target=target,
        title=heading(city, run),
        subtitle=subtitle(city, run, target),
    )
    return "matplotlib", note


def write_map(
    results_dir: str | Path,
    city: City,
    *,
    target: str = "30min",
    coverage: pd.Series | None = None,
    png: bool = True,
    browser: bool = True,
    drawing: Drawing | None = None,
) -> MapFiles:
    """Write ``map.html`` (and ``map.png`` unless ``png=False``) into the results folder.
    ``drawing``: the run already read and drawn (:func:`twin.viz.drawing.draw`), its
    layers shared with the other pages."""
    d = drawing or draw(results_dir, city)
    run, drawn = d.run, d.city
    html_path = run.folder / "map.html"
    write_text(
        html_path,
        map_html(drawn, run, target=target, coverage=coverage, changes=d.changes, common=d.common),
    )
    if not png:
        return MapFiles(html=html_path, png=None, png_renderer=None)
    png_path = run.folder / "map.png"
    renderer, note = render_png(html_path, png_path, drawn, run, target=target, browser=browser)
    return MapFiles(html=html_path, png=png_path, png_renderer=renderer, png_note=note)
