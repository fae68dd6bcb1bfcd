"""The browser-free map PNG: geopandas + matplotlib, same shading, legend and title.

Used when headless Chromium is not available (or fails), so a slide PNG is always made.
Drawn in the city's metric CRS (true proportions), 16×9 inches at 200 dpi = 3200×1800 px,
the same pixel size as the Chromium render (1600×900 at device scale 2).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import matplotlib as mpl_
import pandas as pd
from matplotlib import font_manager, patheffects
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

import twin.viz.style as style
from twin.model.city import CORE_LEVEL, City
from twin.viz.basemap import water
from twin.viz.cells import cell_alpha, cell_results
from twin.viz.data import RunData, closures, district_compliance
from twin.viz.layers import cells_shown
from twin.viz.points import COMMUNITY_SHOWN_MAX

CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "PingFang SC",
)


def font_family() -> list[str]:
    """A font list that can show Chinese if such a font is installed, else DejaVu Sans."""
    names = {f.name for f in font_manager.fontManager.ttflist}
    return [f for f in CJK_FONTS if f in names] + ["DejaVu Sans"]


def ramp_cmap() -> LinearSegmentedColormap:
    """The red→green compliance ramp of :mod:`twin.viz.style` as a matplotlib colormap."""
    return LinearSegmentedColormap.from_list(
        "compliance", [(s, tuple(c / 255 for c in rgb)) for s, rgb in style.RAMP_STOPS]
    )


def render_png(
    city: City,
    run: RunData,
    png: Path,
    *,
    target: str = "30min",
    title: str = "",
    subtitle: list[str] | None = None,
) -> Path:
    """Draw the compliance map to ``png`` without a browser; returns ``png``."""
    with mpl_.rc_context({"font.family": font_family(), "axes.unicode_minus": False}):
        fig = Figure(figsize=(16, 9), dpi=200)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        fig.patch.set_facecolor(style.BACKGROUND)
        ax.set_facecolor(style.BACKGROUND)
        by_cell = cells_shown(city, run, target)
        _districts(ax, city, run, target, fill=not by_cell)
        if by_cell:
            _cells(ax, city, run, target)
        _water(ax, city)
        _roads(ax, city, run)
        _points(ax, city, run, target, incidents=not by_cell)
        _frame(ax, city)
        _legend(fig, ax, city, run, target)
        _title(fig, title, subtitle or [])
        fig.savefig(png, dpi=200, facecolor=fig.get_facecolor())
    return Path(png)


def _cells(ax: Axes, city: City, run: RunData, target: str) -> None:
    """The 1 km cells with incidents, by met share, fainter with few incidents (as
    :func:`twin.viz.cells.cell_layers`); the incidents are not drawn over them."""
    res = cell_results(city, run, target)
    cells = city.cells[city.cells["cell_id"].astype(str).isin(res.index)]
    if cells.empty:
        return
    colors = [
        style.mpl(style.ramp(float(res.at[c, "met_share"]), cell_alpha(int(res.at[c, "count"]))))
        for c in cells["cell_id"].astype(str)
    ]
    cells.plot(ax=ax, color=colors, edgecolor="none", zorder=1)


def _districts(ax: Axes, city: City, run: RunData, target: str, fill: bool = True) -> None:
    d = city.districts
    if d.empty:
        return
    if not fill:  # results by cell: the districts are outlines and names only
        d.plot(ax=ax, facecolor="none", edgecolor=style.mpl(style.DISTRICT_LINE), linewidth=1.2)
        _district_names(ax, city)
        return
    comp = district_compliance(run.compliance, target)
    colors = []
    for did, level in zip(d["district_id"], d["level"]):
        row = comp.loc[did] if did in comp.index else None
        count = float(row["count"]) if row is not None else 0.0
        share = float(row["met_share"]) if row is not None and count > 0 else None
        c = style.ramp(share)
        if level != CORE_LEVEL and share is None:
            c = [*style.NO_DATA[:3], 60]
        colors.append(style.mpl(c))
    d.plot(ax=ax, color=colors, edgecolor=style.mpl(style.DISTRICT_LINE), linewidth=1.2)
    _district_names(ax, city)


def _district_names(ax: Axes, city: City) -> None:
    d = city.districts
    core = d[d["level"] == CORE_LEVEL]
    for pt, name, name_en in zip(
        core.geometry.representative_point(), core["name"], core["name_en"]
    ):
        ax.annotate(
            f"{name}\n{name_en}",
            (pt.x, pt.y),
            ha="center",
            va="center",
            fontsize=10,
            fontweight="bold",
            color="#1e1e1e",
            path_effects=_halo(),
        )


def _water(ax: Axes, city: City) -> None:
    """The shipped rivers (:func:`twin.viz.basemap.water`) over the district fills, so the
    bridges read as crossings of water here too."""
    w = water()
    if w.empty or city.districts.empty:
        return
    x0, y0, x1, y1 = city.districts.to_crs(w.crs).total_bounds
    pad = max(x1 - x0, y1 - y0)
    w = w.clip((x0 - pad, y0 - pad, x1 + pad, y1 + pad))
    if len(w):
        w.to_crs(city.crs).plot(
            ax=ax,
            color=style.mpl(style.WATER_COLOR),
            edgecolor=style.mpl(style.WATER_LINE),
            linewidth=0.6,
        )


def _halo() -> list:
    return [patheffects.withStroke(linewidth=3, foreground="white")]


def _roads(ax: Axes, city: City, run: RunData) -> None:
    e = city.road_edges
    if e.empty:
        return
    for cls in ("local", "mountain", "arterial", "expressway"):
        sub = e[
            e["road_class"].where(e["road_class"].isin(list(style.ROAD_STYLE)), style.OTHER_ROAD)
            == cls
        ]
        if len(sub):
            st = style.road_style(cls)
            sub.plot(ax=ax, color=style.mpl(st["color"]), linewidth=float(st["min_px"]) * 0.6)
    for flag, color, lw in (
        ("tunnel", style.TUNNEL_COLOR, 1.6),
        ("bridge", style.BRIDGE_COLOR, 2.6),
    ):
        sub = e[e[flag].astype(bool)]
        if len(sub):
            sub.plot(ax=ax, color=style.mpl(color), linewidth=lw)
    cl = closures(run.lifelines)
    closed = e[e["edge_id"].isin(cl["edge_id"])]
    if len(closed):
        closed.plot(ax=ax, color=style.mpl(style.CLOSED_COLOR), linewidth=3.5)


def _points(ax: Axes, city: City, run: RunData, target: str, incidents: bool = True) -> None:
    s = city.stations
    for force, st in style.FORCE_STYLE.items():
        sub = s[s["force"] == force]
        if force == "community" and len(sub) > COMMUNITY_SHOWN_MAX:
            continue  # hidden, as on map.html: thousands of posts would bury the map
        if len(sub):
            size = float(st["min_px"]) ** 2 * 2.2
            sub.plot(
                ax=ax,
                color=style.mpl(st["color"]),
                markersize=size,
                edgecolor="white",
                linewidth=0.6,
                zorder=5,
            )
    inc = run.incidents
    if inc.empty or not incidents:
        return
    pts = gpd.GeoSeries(
        gpd.points_from_xy(
            pd.to_numeric(inc["x"], errors="coerce"), pd.to_numeric(inc["y"], errors="coerce")
        ),
        crs="EPSG:4326",
    ).to_crs(city.crs)
    met = inc[style.MET_COLUMN[target]]
    known = met.notna().to_numpy()
    hit = met.fillna(False).astype(bool).to_numpy()
    for mask, color, size, edge in (
        (~known, style.NA_COLOR, 10, "none"),
        (known & hit, style.MET_COLOR, 30, "#141414"),
        (known & ~hit, style.MISSED_COLOR, 30, "#141414"),
    ):
        sub = pts[mask]
        if len(sub):
            ax.scatter(
                sub.x,
                sub.y,
                s=size,
                color=style.mpl(color),
                edgecolor=edge,
                linewidth=0.6,
                zorder=6,
            )


def _frame(ax: Axes, city: City, aspect: float = 16 / 9) -> None:
    """Fit the core districts in the middle of a full-figure map of the given aspect."""
    core = city.core_districts
    src = core if len(core) else city.road_nodes
    if len(src):
        w, s, e, n = src.total_bounds
        cx, cy = (w + e) / 2, (s + n) / 2
        half_h = max((n - s), (e - w) / aspect) / 2 * 1.06
        ax.set_xlim(cx - half_h * aspect, cx + half_h * aspect)
        ax.set_ylim(cy - half_h, cy + half_h)
    ax.set_aspect("equal", adjustable="box")
    ax.set_position((0, 0, 1, 1))
    ax.set_axis_off()


def _legend(fig: Figure, ax: Axes, city: City, run: RunData, target: str) -> None:
    cax = fig.add_axes((0.015, 0.10, 0.2, 0.018))
    cb = fig.colorbar(
        mpl_.cm.ScalarMappable(cmap=ramp_cmap(), norm=mpl_.colors.Normalize(0, 100)),
        cax=cax,
        orientation="horizontal",
    )
    cb.set_label(
        f"share of incidents meeting the {style.target_label(target)} target (%)", fontsize=10
    )
    handles = [
        Patch(facecolor=style.mpl(style.NO_DATA), edgecolor="#555", label="no incidents 无事件"),
        Patch(
            facecolor=style.mpl(style.WATER_COLOR),
            edgecolor=style.mpl(style.WATER_LINE),
            label="River 江河",
        ),
        Line2D(
            [],
            [],
            marker="o",
            ls="",
            color=style.mpl(style.MET_COLOR),
            mec="#141414",
            label="incident: target met",
        ),
        Line2D(
            [],
            [],
            marker="o",
            ls="",
            color=style.mpl(style.MISSED_COLOR),
            mec="#141414",
            label="incident: target missed",
        ),
    ]
    counts = city.stations["force"].value_counts()
    forces = {f for f, n in counts.items() if f != "community" or n <= COMMUNITY_SHOWN_MAX}
    handles += [
        Line2D(
            [],
            [],
            marker="o",
            ls="",
            color=style.mpl(st["color"]),
            mec="white",
            label=str(st["label"]),
        )
        for f, st in style.FORCE_STYLE.items()
        if f in forces
    ]
    classes = set(city.road_edges["road_class"])
    handles += [
        Line2D([], [], color=style.mpl(st["color"]), lw=2, label=str(st["label"]))
        for c, st in style.ROAD_STYLE.items()
        if c in classes
    ]
    handles.append(Line2D([], [], color=style.mpl(style.BRIDGE_COLOR), lw=3, label="Bridge 桥梁"))
    if not closures(run.lifelines).empty:
        handles.append(
            Line2D([], [], color=style.mpl(style.CLOSED_COLOR), lw=3, label="Closed road 封闭道路")
        )
    ax.legend(
        handles=handles,
        loc="lower left",
        bbox_to_anchor=(0.0, 0.13),
        fontsize=10,
        framealpha=0.93,
        bbox_transform=fig.transFigure,
    )


def _title(fig: Figure, title: str, lines: list[str]) -> None:
    fig.text(
        0.012,
        0.975,
        title,
        fontsize=20,
        fontweight="bold",
        va="top",
        ha="left",
        bbox={"facecolor": "white", "alpha": 0.93, "edgecolor": "none", "pad": 6},
    )
    if lines:
        fig.text(
            0.012,
            0.925,
            "\n".join(lines),
            fontsize=12,
            va="top",
            ha="left",
            color="#333",
            bbox={"facecolor": "white", "alpha": 0.93, "edgecolor": "none", "pad": 5},
        )
