"""A difference map of two runs (a scenario against its baseline): ``difference.html``.

- 1 km cells coloured by how much slower (or faster) the best ground response became:
  the median per cell of coverage.parquet ``t_ground_s`` (other − base, minutes; both
  computed on the network each run had), diverging PuOr (colour-blind safe): orange =
  slower, purple = faster, white = unchanged; cells that became unreachable are black.
- districts outlined, with the change in the share of incidents meeting the target in their
  tooltips;
- what the other run changed: its closures, stations added/moved/removed against the base
  run's city, hazard footprints.

Call :func:`write_difference_map` (``twin compare`` may, too).
"""

from __future__ import annotations

import math
from pathlib import Path

import pydeck as pdk
from matplotlib import colormaps

from twin.model.city import City
from twin.viz import style
from twin.viz.basemap import water_layers
from twin.viz.cells import CELL_SIMPLIFY_M, cell_rings, cell_times
from twin.viz.changes import change_layers
from twin.viz.data import RunData, coverage_series, district_compliance, read_results
from twin.viz.geom import DECIMALS, GROUP_LABELS, MapLayer, bounds_wgs84, to_wgs84
from twin.viz.layers import closure_layers, deck, district_layers, road_layers
from twin.viz.page import deck_page, legend_html, swatch_item, title_html, toggles_html
from twin.viz.runcity import hazards, run_city, station_changes
from twin.viz.safe import script_json, write_text

DIVERGING = "PuOr_r"
"""Faster → purple, unchanged → white, slower → orange (matplotlib colormap)."""
SCALE_MIN = 10.0
"""The colour scale runs from −10 to +10 minutes (beyond: the end colours)."""
UNREACHABLE: list[int] = [0, 0, 0, 200]


def delta_color(delta_min: float) -> list[int]:
    """Colour of a change in minutes (NaN: unreachable in the other run only)."""
    if not math.isfinite(delta_min):
        return list(UNREACHABLE)
    f = 0.5 + max(-1.0, min(1.0, delta_min / SCALE_MIN)) / 2
    return [int(round(255 * c)) for c in colormaps[DIVERGING](f)[:3]] + [190]


def cell_delta_layers(base_city: City, base: RunData, other: RunData) -> list[MapLayer]:
    """Cells whose median best ground time changed by a minute or more."""
    a = cell_times(base_city, coverage_series(base))
    b = cell_times(base_city, coverage_series(other))
    if a.empty or b.empty:
        return []
    a, b = a.align(b, join="inner")
    delta = (b - a) / 60.0
    lost = a.notna() & b.isna()
    keep = (delta.abs() >= 1.0) | lost
    cells = base_city.cells[base_city.cells["cell_id"].astype(str).isin(keep[keep].index)]
    if cells.empty:
        return []
    rings = cell_rings(to_wgs84(cells, CELL_SIMPLIFY_M), DECIMALS)
    data = []
    for ring, cid in zip(rings, cells["cell_id"].astype(str)):
        d = float("nan") if lost[cid] else float(delta[cid])
        data.append({"polygon": ring, "c": delta_color(d),
                     "tip": f"cell {cid}\nbest ground time {a[cid] / 60:.1f} → "
                            + ("unreachable" if lost[cid] else
                               f"{b[cid] / 60:.1f} min ({d:+.1f} min)")})
    layer = pdk.Layer("PolygonLayer", data, id="delta", get_polygon="polygon",
                      get_fill_color="c", stroked=False, pickable=True, auto_highlight=True)
    return [MapLayer(layer, "cells")]


def _district_tips(city: City, base: RunData, other: RunData, target: str) -> dict[str, str]:
    a, b = (district_compliance(r.compliance, target) for r in (base, other))
    out = {}
    for did in a.index.intersection(b.index):
        sa, sb = style.number(a.at[did, "met_share"]), style.number(b.at[did, "met_share"])
        if sa is not None and sb is not None:
            out[did] = (f"{style.target_label(target)} target met: {style.percent(sa)} → "
                        f"{style.percent(sb)} ({(sb - sa) * 100:+.0f} points)")
    return out


def difference_html(base_city: City, base: RunData, other: RunData,
                    target: str = "30min") -> str:
    """The difference page (see module docstring)."""
    other_city = run_city(other, base_city)
    dist = [m for m in district_layers(base_city, base, target, fill_visible=False)
            if m.group != "districts"]
    tips = _district_tips(base_city, base, other, target)
    layers = [*cell_delta_layers(base_city, base, other), *water_layers(bounds_wgs84(base_city)),
              *[m for m in road_layers(base_city) if m.visible],
              *closure_layers(base_city, other),
              *change_layers(other_city, station_changes(run_city(base, base_city), other_city),
                             hazards(other)), *dist]
    spec = script_json(deck(layers, base_city))
    groups: dict[str, list[str]] = {}
    for m in layers:
        groups.setdefault(m.group, []).append(m.layer.id)
    legend = legend_html([("Best ground time, change 最快地面响应变化", "".join(
        swatch_item(delta_color(v), label) for v, label in (
            (-SCALE_MIN, f"{SCALE_MIN:.0f} min faster or more 更快"), (0.0, "unchanged 不变"),
            (SCALE_MIN / 2, f"{SCALE_MIN / 2:.0f} min slower 更慢"),
            (SCALE_MIN, f"{SCALE_MIN:.0f} min slower or more"),
            (float("nan"), "no longer reachable 不可达"))))])
    names = dict(zip(base_city.districts["district_id"].astype(str),
                     base_city.districts["name_en"].astype(str)))
    lines = [f"{names.get(d, d)}: {t}" for d, t in sorted(tips.items())][:9]
    title = f"山城孪生 Shancheng Twin — {other.scenario_name} against {base.scenario_name}"
    body = (title_html(title, ["cells: change in the best ground response time "
                               "(coverage on each run's network); districts:", *lines])
            + toggles_html({g: True for g in groups}, GROUP_LABELS) + legend)
    return deck_page(title=title, spec_json=spec, body=body,
                     page_data={"bounds": bounds_wgs84(base_city), "groups": groups})


def write_difference_map(base_dir: str | Path, other_dir: str | Path, out: str | Path,
                         city: City, target: str = "30min") -> Path:
    """Write the difference map of ``other_dir`` against ``base_dir`` to ``out`` (a file
    path, e.g. ``results/bridges-closed/difference.html``); ``city`` is the base city."""
    base, other = read_results(base_dir), read_results(other_dir)
    out = Path(out)
    write_text(out, difference_html(city, base, other, target))
    return out


