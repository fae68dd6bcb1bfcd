"""The physical range of every number a scenario file may hold, with the reason for it.

The schema (:mod:`twin.scenario.spec`) enforces these bounds, so a value outside them is a
scenario error naming the file, the line and the key, before anything runs; the README's
"What-if scenarios" section lists them. Bounds are physical or planning limits, not tuning:
a value inside them may still be too big a run for a machine (the runner's size estimate
judges that), but a value outside them is never a meaningful scenario.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import Field

YEAR_H = 366 * 24.0
"""The longest run, in hours (a leap year)."""


@dataclass(frozen=True)
class Range:
    """``low`` ≤ value ≤ ``high`` (``low`` excluded when ``low_open``), in ``unit``."""

    low: float
    high: float
    unit: str
    why: str
    low_open: bool = False

    def text(self) -> str:
        """The range as the README and error messages write it, e.g. ``(0, 366] days``."""
        return f"{'(' if self.low_open else '['}{self.low:g}, {self.high:g}] {self.unit}".strip()


RANGES: dict[str, Range] = {
    "days": Range(0, 366, "days", "a run of up to a (leap) year", low_open=True),
    "incidents.rate_multiplier": Range(
        0,
        100,
        "×",
        "everyday incidents at up to 100× their base rates; hazards add their "
        "own incidents on top (assumption: beyond any city's busiest disaster day)",
    ),
    "incidents.density_elasticity": Range(
        -1,
        1,
        "",
        "per-head call rate ∝ (people per km²)^β, the city's total unchanged; 0 (the "
        "default) = the national per-head rate everywhere (assumption: no checked figure "
        "says how the rate varies with density; bracket ±0.3 in the sensitivity table)",
    ),
    "incidents.type_multipliers": Range(
        0, 1000, "×", "one type at up to 1000× its base rate, to study a rare type"
    ),
    "incidents.scripted.t_min": Range(0, YEAR_H * 60, "min", "within the longest run"),
    "fleet.scale": Range(0, 100, "×", "a force's units scaled from none to 100× today's"),
    "fleet.station_units": Range(
        0, 1000, "units", "units at one station (the largest stations have tens of vehicles)"
    ),
    "stations.add.units": Range(0, 1000, "units", "as fleet.station_units"),
    "sensors.coverage": Range(0, 1, "share", "a share of pipe length"),
    "closures.start_h": Range(0, YEAR_H, "h", "within the longest run"),
    "closures.duration_h": Range(0, YEAR_H, "h", "at most the longest run", low_open=True),
    "rainstorm.start_h": Range(0, YEAR_H, "h", "within the longest run"),
    "rainstorm.duration_h": Range(
        0,
        240,
        "h",
        "up to ten days of continuous rain (assumption: a longer wet spell is several storms)",
        low_open=True,
    ),
    "rainstorm.intensity_mm_h": Range(
        0,
        400,
        "mm/h",
        "above the world's greatest one-hour rainfall, 305 mm (Holt, "
        "Missouri, 22 June 1947; WMO archive of weather and climate extremes)",
        low_open=True,
    ),
    "rainstorm.drainage_capacity_mm_h": Range(0, 400, "mm/h", "as intensity_mm_h", low_open=True),
    "fog.start_h": Range(0, YEAR_H, "h", "within the longest run"),
    "fog.duration_h": Range(
        0, 240, "h", "fog lasting days is several spells (assumption)", low_open=True
    ),
    "fog.visibility_m": Range(
        0, 10000, "m", "fog is visibility under 1 km; 10 km is clear air", low_open=True
    ),
    "earthquake.t_h": Range(0, YEAR_H, "h", "within the longest run"),
    "earthquake.magnitude": Range(
        3,
        9.5,
        "Mw",
        "9.5 is the largest earthquake recorded (Chile, 1960); below M 3 "
        "shaking does no damage (assumption); BA08 is fitted to M 5–8 and extrapolated",
    ),
    "earthquake.depth_km": Range(
        1, 700, "km", "earthquakes occur from the surface down to about 700 km (subducting slabs)"
    ),
    "surge.trigger_open": Range(
        1,
        100_000,
        "incidents",
        "open life-risk incidents that declare a surge: from one to far beyond any "
        "city's disaster (the embedded earthquake opens ~4 000)",
    ),
    "surge.release_after_h": Range(
        0,
        240,
        "h",
        "time on one scene before a unit may be released to a site without a crew (up to ten days)",
        low_open=True,
    ),
    "reinforcement.units": Range(
        1,
        10_000,
        "units",
        "one column of up to 10 000 vehicles or teams (assumption: beyond what any city "
        "could receive at once)",
    ),
    "reinforcement.arrive_h": Range(0, YEAR_H, "h", "within the longest run"),
    "pipes.failure_rate_multiplier": Range(
        0,
        100_000,
        "×",
        "a stress-test knob for small test networks: ×100 000 on cast "
        "iron's 0.3 failures/km/yr is about 80 failures per km per day",
    ),
}
"""Scenario key (dotted, list indices and dict keys left out) → its range."""


def ranged(key: str, **kwargs: Any) -> Any:
    """A pydantic ``Field`` bounded by ``RANGES[key]`` (other Field arguments pass through)."""
    r = RANGES[key]
    low = {"gt": r.low} if r.low_open else {"ge": r.low}
    args: dict[str, Any] = {"le": r.high, "description": f"{r.text()}: {r.why}", **low, **kwargs}
    return Field(**args)


def ranges_table() -> str:
    """The ranges as Markdown lines (``key``: range — why), for the README."""
    return "\n".join(f"- `{key}`: {r.text()} — {r.why}" for key, r in RANGES.items())
