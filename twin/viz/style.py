"""Colours, widths and labels shared by every renderer (deck.gl pages and matplotlib).

Colours are RGB(A) 0–255 lists (what deck.gl takes); :func:`css` and :func:`mpl` convert.
Nothing here computes figures: it only maps values the engine wrote to colours and text.
"""

from __future__ import annotations

import math

RGBA = list[int]

# Compliance ramp, red (no incident met the target) → yellow → green (all met); ColorBrewer RdYlGn.
RAMP_STOPS: tuple[tuple[float, tuple[int, int, int]], ...] = (
    (0.0, (215, 48, 39)), (0.25, (252, 141, 89)), (0.5, (254, 224, 139)),
    (0.75, (145, 207, 96)), (1.0, (26, 152, 80)))
NO_DATA: RGBA = [200, 200, 200, 140]
DISTRICT_ALPHA = 170
DISTRICT_LINE: RGBA = [60, 60, 60, 255]
OUTER_LINE: RGBA = [150, 150, 150, 200]
BACKGROUND = "#eef1f4"

ROAD_STYLE: dict[str, dict[str, object]] = {
    # class: colour, width in metres, minimum width in pixels, legend label
    "expressway": {"color": [214, 96, 20, 255], "width_m": 28.0, "min_px": 2.5,
                   "label": "Expressway 快速路"},
    "arterial": {"color": [120, 90, 60, 235], "width_m": 16.0, "min_px": 1.5,
                 "label": "Arterial 主干路"},
    "mountain": {"color": [140, 110, 40, 220], "width_m": 10.0, "min_px": 1.0,
                 "label": "Mountain road 山路"},
    "local": {"color": [130, 130, 130, 170], "width_m": 6.0, "min_px": 0.5,
              "label": "Local road 支路"},
}
OTHER_ROAD = "local"
"""Road classes not listed in :data:`ROAD_STYLE` are drawn like this one."""
BRIDGE_COLOR: RGBA = [40, 70, 200, 255]
TUNNEL_COLOR: RGBA = [40, 40, 40, 150]
CLOSED_COLOR: RGBA = [255, 0, 200, 255]

PIPE_COLOR: dict[str, RGBA] = {"water": [30, 120, 220, 220], "gas": [240, 170, 0, 230],
                               "drainage": [90, 140, 70, 220]}
PIPE_LABEL = {"water": "Water mains 供水", "gas": "Gas mains 燃气", "drainage": "Drainage 排水"}

FORCE_STYLE: dict[str, dict[str, object]] = {
    # force: colour, radius in metres, minimum radius in pixels, legend label
    "community": {"color": [0, 150, 136, 210], "radius_m": 40.0, "min_px": 1.5,
                  "label": "Community post 社区微型站"},
    "fire": {"color": [220, 30, 30, 255], "radius_m": 130.0, "min_px": 4.0,
             "label": "Fire station 消防站"},
    "professional": {"color": [120, 40, 170, 255], "radius_m": 110.0, "min_px": 4.5,
                     "label": "Professional team 专业队"},
    "social": {"color": [240, 130, 0, 255], "radius_m": 90.0, "min_px": 4.0,
               "label": "Social rescue 社会救援"},
    "air": {"color": [0, 110, 220, 255], "radius_m": 150.0, "min_px": 5.5,
            "label": "Air base 航空救援"},
}
OTHER_FORCE = {"color": [90, 90, 90, 255], "radius_m": 80.0, "min_px": 3.0, "label": "Other"}

MET_COLOR: RGBA = [26, 152, 80, 255]
MISSED_COLOR: RGBA = [200, 20, 30, 255]
NA_COLOR: RGBA = [110, 110, 110, 150]

COVERAGE_BANDS: tuple[tuple[float, RGBA, str], ...] = (
    (600.0, [0, 160, 90, 120], "≤ 10 min"),
    (1800.0, [250, 200, 0, 110], "10–30 min"),
    (math.inf, [200, 40, 40, 90], "> 30 min / unreachable"),
)
"""Coverage colours: (upper bound in seconds, colour, label)."""

TARGETS = ("10min", "30min", "60min")
MET_COLUMN = {"10min": "met_10", "30min": "met_30", "60min": "met_60"}
FONT_STACK = ('"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", '
              '"Microsoft YaHei", "Helvetica Neue", Arial, sans-serif')


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


def road_style(road_class: str) -> dict[str, object]:
    """Drawing style of a road class (unknown classes draw as :data:`OTHER_ROAD`)."""
    return ROAD_STYLE.get(road_class, ROAD_STYLE[OTHER_ROAD])


def force_style(force: str) -> dict[str, object]:
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


def mpl(color: list[int]) -> tuple[float, ...]:
    """An RGB(A) 0–255 list as a matplotlib colour tuple."""
    return tuple(c / 255 for c in color)


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
