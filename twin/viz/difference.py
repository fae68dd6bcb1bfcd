"""A difference map of two runs (a scenario against its baseline): ``difference.html``.

- 1 km cells coloured by the largest change, over the cell's road nodes, of the best ground
  response time (coverage.parquet ``t_ground_s``, other − base; both computed on the
  network each run had), diverging PuOr (colour-blind safe): orange = slower, purple =
  faster; cells with a node that became unreachable are black; changes under 15 s are not
  drawn.
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

import twin.viz.style as style
from twin.model.city import City
from twin.viz.basemap import water_layers
from twin.viz.cells import CELL_SIMPLIFY_M, cell_aggregate, cell_rings
from twin.viz.changes import change_layers
from twin.viz.data import RunData, coverage_series, district_compliance, read_results
from twin.viz.geom import DECIMALS, GROUP_LABELS, MapLayer, bounds_wgs84, to_wgs84
from twin.viz.layers import closure_layers, deck, district_layers, road_layers
from twin.viz.page import deck_page, legend_html, swatch_item, title_html, toggles_html
from twin.viz.runcity import hazards, run_city, station_changes
from twin.viz.safe import script_json, write_text

DIVERGING = "PuOr_r"
"""Faster → purple, unchanged → white, slower → orange (matplotlib colormap)."""
SCALE_MIN = 5.0
"""The colour scale runs from −5 to +5 minutes (beyond: the end colours)."""
SHOWN_MIN_S = 15.0
"""Cells whose largest change is smaller than this (seconds) are not drawn."""
UNREACHABLE: list[int] = [0, 0, 0, 200]


def delta_color(delta_min: float) -> list[int]:
    """Colour of a change in minutes (NaN: unreachable in the other run only)."""
    if not math.isfinite(delta_min):
        return list(UNREACHABLE)
    f = 0.5 + max(-1.0, min(1.0, delta_min / SCALE_MIN)) / 2
    return [int(round(255 * c)) for c in colormaps[DIVERGING](f)[:3]] + [190]


def cell_delta_layers(base_city: City, base: RunData, other: RunData) -> list[MapLayer]:
    """Cells where some road node's best ground time changed by :data:`SHOWN_MIN_S` or
    more: coloured by the largest change in the cell (black: a node became unreachable)."""
    a, b = coverage_series(base), coverage_series(other)
    if a.empty or b.empty:
        return []
    a, b = a[~a.index.duplicated()].align(b[~b.index.duplicated()], join="inner")
    lost = (a.notna() & b.isna()).astype(float)
    delta = (b - a).fillna(0.0)
    worse = cell_aggregate(base_city, delta, "max")
    better = cell_aggregate(base_city, delta, "min")
    cut = cell_aggregate(base_city, lost, "max")
    change = worse.where(worse.abs() >= better.abs(), better)
    keep = (change.abs() >= SHOWN_MIN_S) | (cut > 0)
    cells = base_city.cells[base_city.cells["cell_id"].astype(str).isin(keep[keep].index)]
    if cells.empty:
        return []
    rings = cell_rings(to_wgs84(cells, CELL_SIMPLIFY_M), DECIMALS)
    data = []
    for ring, cid in zip(rings, cells["cell_id"].astype(str)):
        d = float("nan") if cut.get(cid, 0) > 0 else float(change[cid]) / 60.0
        data.append(
            {
                "polygon": ring,
                "c": delta_color(d),
                "tip": f"cell {cid}\n"
                + (
                    "a road node became unreachable"
                    if d != d
                    else f"best ground time up to {d:+.1f} min"
                ),
            }
        )
    layer = pdk.Layer(
        "PolygonLayer",
        data,
        id="delta",
        get_polygon="polygon",
        get_fill_color="c",
        stroked=False,
        pickable=True,
        auto_highlight=True,
    )
    return [MapLayer(layer, "cells")]


def _district_tips(city: City, base: RunData, other: RunData, target: str) -> dict[str, str]:
    a, b = (district_compliance(r.compliance, target) for r in (base, other))
    out = {}
    for did in a.index.intersection(b.index):
        sa, sb = style.number(a.at[did, "met_share"]), style.number(b.at[did, "met_share"])
        if sa is not None and sb is not None:
            out[did] = (
                f"{style.target_label(target)} target met: {style.percent(sa)} → "
                f"{style.percent(sb)} ({(sb - sa) * 100:+.0f} points)"
            )
    return out


def difference_html(base_city: City, base: RunData, other: RunData, target: str = "30min") -> str:
    """The difference page (see module docstring)."""
    other_city = run_city(other, base_city)
    dist = [
        m
        for m in district_layers(base_city, base, target, fill_visible=False)
        if m.group != "districts"
    ]
    tips = _district_tips(base_city, base, other, target)
    layers = [
        *cell_delta_layers(base_city, base, other),
        *water_layers(bounds_wgs84(base_city)),
        *[m for m in road_layers(base_city) if m.visible],
        *closure_layers(base_city, other),
        *change_layers(
            other_city, station_changes(run_city(base, base_city), other_city), hazards(other)
        ),
        *dist,
    ]
    spec = script_json(deck(layers, base_city))
    groups: dict[str, list[str]] = {}
    for m in layers:
        groups.setdefault(m.group, []).append(m.layer.id)
    legend = legend_html(
        [
            (
                "Best ground time, change 最快地面响应变化",
                "".join(
                    swatch_item(delta_color(v), label)
                    for v, label in (
                        (-SCALE_MIN, f"{SCALE_MIN:.0f} min faster or more 更快"),
                        (0.0, "unchanged 不变"),
                        (SCALE_MIN / 2, f"{SCALE_MIN / 2:.0f} min slower 更慢"),
                        (SCALE_MIN, f"{SCALE_MIN:.0f} min slower or more"),
                        (float("nan"), "no longer reachable 不可达"),
                    )
                ),
            )
        ]
    )
    names = dict(
        zip(
            base_city.districts["district_id"].astype(str),
            base_city.districts["name_en"].astype(str),
        )
    )
    lines = [f"{names.get(d, d)}: {t}" for d, t in sorted(tips.items())][:9]
    title = f"山城孪生 Shancheng Twin — {other.scenario_name} against {base.scenario_name}"
    body = (
        title_html(
            title,
            [
                "cells: change in the best ground response time "
                "(coverage on each run's network); districts:",
                *lines,
            ],
        )
        + toggles_html({g: True for g in groups}, GROUP_LABELS)
        + legend
    )
    return deck_page(
        title=title,
        spec_json=spec,
        body=body,
        page_data={"bounds": focus_bounds(layers) or bounds_wgs84(base_city), "groups": groups},
    )


def focus_bounds(layers: list[MapLayer], pad: float = 1.0) -> list[float] | None:
    """[w, s, e, n] around the changed cells and the closures (padded by ``pad`` times their
    size, at least 0.05°), or ``None`` when nothing changed."""
    pts: list[list[float]] = []
    for m in layers:
        if m.layer.id == "delta":
            pts += [p for d in m.layer.data for p in d["polygon"]]
        elif m.layer.id == "closures":
            pts += [p for d in m.layer.data for p in d["p"]]
    if not pts:
        return None
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    w, s, e, n = min(xs), min(ys), max(xs), max(ys)
    dx, dy = max((e - w) * pad, 0.05), max((n - s) * pad, 0.05)
    return [w - dx, s - dy, e + dx, n + dy]


def write_difference_map(
    base_dir: str | Path, other_dir: str | Path, out: str | Path, city: City, target: str = "30min"
) -> Path:
    """Write the difference map of ``other_dir`` against ``base_dir`` to ``out`` (a file
    path, e.g. ``results/bridges-closed/difference.html``); ``city`` is the base city."""
    base, other = read_results(base_dir), read_results(other_dir)
    out = Path(out)
    write_text(out, difference_html(city, base, other, target))
    return out
