"""Jupyter: ``City`` and ``Results`` display themselves (a compact summary and a small map),
and ``Results.map(city)`` shows the interactive map inline.

The methods are attached when :mod:`twin.viz` is imported (``twin/__init__.py`` imports it),
so the model and analysis packages import nothing from viz (no import cycle)::

    City._repr_html_ = city_html; Results._repr_html_ = results_html; Results.map = results_map
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

import twin.viz.style as style
from twin.analysis.results import Results
from twin.model.city import City, load_city
from twin.viz.data import RunData
from twin.viz.export import map_html
from twin.viz.runcity import run_city, station_changes
from twin.viz.safe import text

SVG_PX = 260
"""Width and height of the small district map (pixels)."""


def districts_svg(city: City, size: int = SVG_PX) -> str:
    """The districts as a small inline SVG (core districts shaded), no script, no network."""
    d = city.districts
    if d.empty:
        return ""
    x0, y0, x1, y1 = d.total_bounds
    span = max(x1 - x0, y1 - y0) or 1.0
    paths = []
    for geom, level in zip(d.geometry.simplify(span / 400), d["level"]):
        fill = "#9ecae1" if level == "core" else "#eeeeee"
        for part in getattr(geom, "geoms", [geom]):
            ring = " ".join(
                f"{(x - x0) / span * size:.1f},{(y1 - y) / span * size:.1f}"
                for x, y in part.exterior.coords
            )
            paths.append(
                f'<polygon points="{ring}" fill="{fill}" stroke="#555" stroke-width="0.6"/>'
            )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 {size} {size}">{"".join(paths)}</svg>'
    )


def _table(rows: list[tuple[str, object]]) -> str:
    body = "".join(
        f"<tr><th style='text-align:left'>{text(k)}</th><td style='text-align:left'>"
        f"{text(v)}</td></tr>"
        for k, v in rows
    )
    return f"<table>{body}</table>"


def city_html(city: City) -> str:
    """A City in Jupyter: headline figures and the districts (a few kB, not the tables)."""
    s = city.summary()
    rows = [
        (
            k.replace("_", " "),
            ", ".join(f"{a} {b:,}" for a, b in v.items())
            if isinstance(v, dict)
            else (f"{v:,}" if isinstance(v, (int, float)) else v),
        )
        for k, v in s.items()
    ]
    return (
        f"<div style='display:flex;gap:16px;align-items:flex-start'>"
        f"<div><b>City</b> {text(city.name)} · {text(city.crs)}{_table(rows)}</div>"
        f"{districts_svg(city)}</div>"
    )


def results_html(results: Results) -> str:
    """Results in Jupyter: scenario, counts and the city-wide targets (no DataFrames)."""
    s = results.summary
    raw = s.get("scenario")
    scen: dict[str, Any] = raw if isinstance(raw, dict) else {}
    rows: list[tuple[str, object]] = [
        ("scenario", scen.get("name", "")),
        ("seed", s.get("seed", "")),
        ("days", scen.get("days", "")),
    ]
    rows += [(k.replace("_", " "), v) for k, v in (s.get("counts") or {}).items()]
    for target, c in (s.get("compliance_city") or {}).items():
        rows.append(
            (
                f"{target} target met",
                f"{style.percent(c.get('met_share'))} of {c.get('count', 0):,}",
            )
        )
    tables = ", ".join(f"{k} ({len(v):,} rows)" for k, v in results.tables.items())
    return (
        f"<div><b>Results</b> · call <code>.map(city)</code> for the map"
        f"{_table(rows)}<div style='color:#555'>tables: {text(tables)}</div></div>"
    )


class InlineMap:
    """A map document shown inline in Jupyter (an iframe with the page as ``srcdoc``)."""

    def __init__(self, document: str, height_px: int = 560) -> None:
        self.document = document
        self.height_px = height_px

    def _repr_html_(self) -> str:
        return (
            f'<iframe srcdoc="{text(self.document)}" style="width:100%;'
            f'height:{self.height_px}px;border:1px solid #999"></iframe>'
        )


def run_data(results: Results, folder: Path | None = None) -> RunData:
    """A RunData from in-memory Results (tables missing in Results stay empty)."""
    tables = {
        k: v
        for k, v in results.tables.items()
        if k in RunData.__dataclass_fields__ and isinstance(v, pd.DataFrame)
    }
    return RunData(folder=folder or Path("."), summary=results.summary, **tables)


def results_map(results: Results, city: City | None = None, target: str = "30min") -> InlineMap:
    """The run's map, inline (layers hidden at first are left out to keep it light).
    ``city``: the base city (default: the one named in the summary, else the embedded twin)."""
    if city is None:
        named = results.summary.get("city") or {}
        city = load_city(named.get("source") if isinstance(named, dict) else None)
    run = run_data(results)
    if "stations" in results.tables:
        drawn = city.replace(stations=results.tables["stations"])
    else:
        drawn = run_city(run, city)
    return InlineMap(
        map_html(
            drawn, run, target=target, hidden_layers=False, changes=station_changes(city, drawn)
        )
    )


def attach() -> None:
    """Give City and Results their Jupyter displays and ``Results.map``."""
    City._repr_html_ = city_html  # type: ignore[attr-defined]
    Results._repr_html_ = results_html  # type: ignore[attr-defined]
    Results.map = results_map  # type: ignore[attr-defined]
