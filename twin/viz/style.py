"""Colours, widths and labels shared by every renderer (deck.gl pages and matplotlib).

Colours are RGB(A) 0–255 lists (what deck.gl takes); :func:`css` and :func:`mpl` convert.
Nothing here computes figures: it only maps values the engine wrote to colours and text.
"""

from __future__ import annotations

import math
from typing import TypedDict, cast

from matplotlib import colormaps

RGBA = list[int]


class RoadStyle(TypedDict):
    """Drawing style of a road class (see :data:`ROAD_STYLE`)."""

    color: RGBA
    width_m: float
    min_px: float
    label: str


class ForceStyle(TypedDict):
    """Drawing style of a station force (see :data:`FORCE_STYLE`)."""

    color: RGBA
    radius_m: float
    min_px: float
    label: str


# Colour-blind-safe choices. Categories use the Okabe–Ito set (Okabe & Ito 2008, "Color
# Universal Design"; distinct under protanopia, deuteranopia and tritanopia); ramps use
# matplotlib's cividis (designed for colour-vision deficiency, Nuñez et al. 2018) and
# viridis. Categories that sit side by side also differ in lightness (black fire stations,
# white met incidents, vermillion missed incidents).
OKABE_ITO: dict[str, tuple[int, int, int]] = {
    "black": (0, 0, 0),
    "orange": (230, 159, 0),
    "sky_blue": (86, 180, 233),
    "bluish_green": (0, 158, 115),
    "yellow": (240, 228, 66),
    "blue": (0, 114, 178),
    "vermillion": (213, 94, 0),
    "reddish_purple": (204, 121, 167),
}


def _oi(name: str, alpha: int = 255) -> RGBA:
    return [*OKABE_ITO[name], alpha]


RAMP_NAME = "cividis"
"""Met share 0 % → dark blue, 100 % → yellow (matplotlib colormap)."""
RAMP_STOPS: tuple[tuple[float, tuple[int, int, int]], ...] = tuple(
    (s, tuple(int(round(255 * c)) for c in colormaps[RAMP_NAME](s)[:3]))  # type: ignore[misc]
    for s in (0.0, 0.25, 0.5, 0.75, 1.0)
)
NO_DATA: RGBA = [200, 200, 200, 140]
DISTRICT_ALPHA = 130
DISTRICT_LINE: RGBA = [60, 60, 60, 255]
OUTER_LINE: RGBA = [150, 150, 150, 200]
BACKGROUND = "#f2efe9"
"""Land (a warm light grey, as on printed maps); water is :data:`WATER_COLOR`."""
WATER_COLOR: RGBA = [158, 202, 225, 255]
WATER_LINE: RGBA = [90, 150, 190, 255]

ROAD_STYLE: dict[str, RoadStyle] = {
    # class: colour, width in metres, minimum width in pixels, legend label
    "expressway": {
        "color": _oi("orange", 235),
        "width_m": 28.0,
        "min_px": 2.5,
        "label": "Expressway 快速路",
    },
    "arterial": {
        "color": [120, 100, 80, 235],
        "width_m": 16.0,
        "min_px": 1.5,
        "label": "Arterial 主干路",
    },
    "mountain": {
        "color": [150, 130, 90, 220],
        "width_m": 10.0,
        "min_px": 1.0,
        "label": "Mountain road 山路",
    },
    "local": {
        "color": [150, 150, 150, 150],
        "width_m": 6.0,
        "min_px": 0.5,
        "label": "Local road 支路",
    },
}
OTHER_ROAD = "local"
"""Road classes not listed in :data:`ROAD_STYLE` are drawn like this one."""
BRIDGE_COLOR: RGBA = [35, 35, 35, 255]
BRIDGE_CASING: RGBA = [255, 255, 255, 255]
"""Bridges: a dark deck on a white casing, so they read as crossings over the water."""
TUNNEL_COLOR: RGBA = [60, 60, 60, 140]
CLOSED_COLOR: RGBA = _oi("yellow")
CLOSED_CASING: RGBA = _oi("black")
"""Closed roads: yellow on black (a road-works look), unlike any other line."""

PIPE_COLOR: dict[str, RGBA] = {
    "water": _oi("blue", 220),
    "gas": _oi("orange", 230),
    "drainage": _oi("bluish_green", 220),
}
PIPE_LABEL = {"water": "Water mains 供水", "gas": "Gas mains 燃气", "drainage": "Drainage 排水"}

FORCE_STYLE: dict[str, ForceStyle] = {
    # force: colour, radius in metres, minimum radius in pixels, legend label
    "community": {
        "color": _oi("bluish_green", 210),
        "radius_m": 40.0,
        "min_px": 1.5,
        "label": "Community post 社区微型站",
    },
    "fire": {
        "color": _oi("black"),
        "radius_m": 130.0,
        "min_px": 4.5,
        "label": "Fire station 消防站",
    },
    "professional": {
        "color": _oi("reddish_purple"),
        "radius_m": 110.0,
        "min_px": 4.5,
        "label": "Professional team 专业队",
    },
    "social": {
        "color": _oi("blue"),
        "radius_m": 90.0,
        "min_px": 4.0,
        "label": "Social rescue 社会救援",
    },
    "air": {
        "color": _oi("sky_blue"),
        "radius_m": 150.0,
        "min_px": 5.5,
        "label": "Air base 航空救援",
    },
}
OTHER_FORCE: ForceStyle = {
    "color": [90, 90, 90, 255],
    "radius_m": 80.0,
    "min_px": 3.0,
    "label": "Other",
}

MET_COLOR: RGBA = [255, 255, 255, 255]
MISSED_COLOR: RGBA = _oi("vermillion")
NA_COLOR: RGBA = [110, 110, 110, 150]
ACTIVE_COLOR: RGBA = _oi("vermillion")
"""Replay: an incident being handled (social rescue stations are blue)."""
CLEARED_COLOR: RGBA = [130, 130, 130, 170]
NEW_COLOR: RGBA = _oi("yellow")
"""Ring (and "NEW 新" tag) around a station the scenario added or moved."""
REMOVED_COLOR: RGBA = [90, 90, 90, 255]
HAZARD_COLOR: RGBA = _oi("reddish_purple")
DRILL_COLOR: RGBA = [20, 30, 120, 255]
"""The drill's incidents: a dark blue ring (as in the replay) on a white halo, in pixels, so
they can be found on the whole-city view."""
DRILL_HALO: RGBA = [255, 255, 255, 235]
DRILL_RING_PX = 16
"""Hazard footprints: the earthquake's epicentre rings, a storm's districts."""

COVERAGE_BANDS: tuple[tuple[float, RGBA, str], ...] = tuple(
    (hi, [*(int(round(255 * c)) for c in colormaps["viridis"](f)[:3]), 150], label)
    for hi, f, label in (
        (300.0, 0.95, "≤ 5 min"),
        (600.0, 0.65, "5–10 min"),
        (1800.0, 0.35, "10–30 min"),
        (math.inf, 0.0, "> 30 min / unreachable"),
    )
)
"""Coverage areas by best ground response time: (upper bound in seconds, colour, label);
viridis, bright = fast."""

TARGETS = ("10min", "30min", "60min")
MET_COLUMN = {"10min": "met_10", "30min": "met_30", "60min": "met_60"}
FONT_STACK = (
    '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", '
    '"Microsoft YaHei", "Helvetica Neue", Arial, sans-serif'
)


def ramp(share: float | None, alpha: int = DISTRICT_ALPHA) -> RGBA:
    """The compliance colour for a met share in [0, 1]; grey when ``None``/NaN."""
    if share is None or not math.isfinite(share):
        return list(NO_DATA)
    s = min(max(float(share), 0.0), 1.0)
    for (s0, c0), (s1, c1) in zip(RAMP_STOPS, RAMP_STOPS[1:]):
        if s <= s1:
            f = 0.0 if s1 == s0 else (s - s0) / (s1 - s0)
            return [round(a + (b - a) * f) for a, b in zip(c0, c1)] + [alpha]
    return list(RAMP_STOPS[-1][1]) + [alpha]


def ramp_css_gradient() -> str:
    """A CSS ``linear-gradient`` matching :func:`ramp` (left 0 %, right 100 %)."""
    stops = ", ".join(f"{css(list(c))} {round(s * 100)}%" for s, c in RAMP_STOPS)
    return f"linear-gradient(to right, {stops})"


def road_style(road_class: str) -> RoadStyle:
    """Drawing style of a road class (unknown classes draw as :data:`OTHER_ROAD`)."""
    return ROAD_STYLE.get(road_class, ROAD_STYLE[OTHER_ROAD])


def force_style(force: str) -> ForceStyle:
    """Drawing style of a station force."""
    return FORCE_STYLE.get(force, OTHER_FORCE)


def coverage_band(t_s: float) -> int:
    """Index into :data:`COVERAGE_BANDS` for a best time in seconds (NaN: the last band)."""
    if t_s is None or not math.isfinite(t_s):
        return len(COVERAGE_BANDS) - 1
    return next(i for i, (hi, _, _) in enumerate(COVERAGE_BANDS) if t_s <= hi)


def css(color: list[int]) -> str:
    """An RGB(A) 0–255 list as a CSS colour."""
    r, g, b = color[:3]
    a = color[3] / 255 if len(color) > 3 else 1.0
    return f"rgba({r},{g},{b},{a:.2f})"


def mpl(color: list[int]) -> tuple[float, float, float] | tuple[float, float, float, float]:
    """An RGB(A) 0–255 list as a matplotlib colour tuple."""
    # colours here are RGB or RGBA lists, so the tuple has 3 or 4 entries
    return cast(
        "tuple[float, float, float] | tuple[float, float, float, float]",
        tuple(c / 255 for c in color),
    )


def number(value: object) -> float | None:
    """A finite float from a table cell, else ``None`` (missing, NA, text, inf)."""
    try:
        f = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def clock(t_s: float | None) -> str:
    """Simulation time as ``D<day> HH:MM`` (the run starts at midnight of day 0)."""
    if t_s is None or not math.isfinite(t_s):
        return "—"
    t = int(math.floor(t_s))
    day, rest = divmod(t, 86400)
    return f"D{day} {rest // 3600:02d}:{rest % 3600 // 60:02d}"


def minutes(t_s: float | None, digits: int = 1) -> str:
    """A duration in seconds shown in minutes (``—`` when missing)."""
    if t_s is None or not math.isfinite(t_s):
        return "—"
    return f"{t_s / 60:.{digits}f} min"


def percent(share: float | None) -> str:
    """A share in [0, 1] shown as a whole percentage (``—`` when missing)."""
    if share is None or not math.isfinite(share):
        return "—"
    return f"{share * 100:.0f}%"


def target_label(target: str) -> str:
    """``30min`` → ``30-minute``."""
    return target.replace("min", "-minute")
