"""Weekly and seasonal cycles of demand, on top of each type's hourly profile.

A run starting on a calendar date (the scenario's ``start_date``) has, per simulated day,
a rate factor = season × weekday (:meth:`Calendar.factors`); a run without a date is an
average day of the year (factor 1; the national per-head rates are yearly averages).

**Season** (checked, 国家消防救援局 2025, docs/calibration.md §1): June–August carried
28 % of the year's calls; rescue calls 29 % and social assistance 41.8 % of their yearly
totals. A summer share ``s`` gives summer days the factor s · 365/92 and the other days
(1 − s) · 365/273, so the year's mean is 1 (a step at the season's edges: the checked
figure says nothing finer). Per group of incident types:

- ``rescue`` (types the fire service answers, other than fires): **0.29** (checked);
- ``fire`` (building, high-rise and outdoor fires): **0.173**, derived — the summer calls
  left for fires, security duty and false alarms together once rescues and social
  assistance are taken out: (0.28 · 2.444 − 0.29 · 0.442 − 0.418 · 0.858) / (0.837 +
  0.143 + 0.164) M; fires are not separated from the other two, so the range is
  0.17–0.28 (the all-call share);
- ``other`` (community-only calls, pipe bursts): **0.28**, the all-call figure (no figure
  for grid workers' calls; range 0.25–0.42, the social-assistance share).

**Week**: Saturdays and Sundays × ``weekend_factor``, weekdays × (7 − 2w)/5 (weekly mean 1).
No weekday figure could be checked offline: the default is 1.0 (flat), range 0.9–1.1 in
the sensitivity table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from twin.sim.params import FIRE_TYPES

SUMMER_MONTHS: tuple[int, ...] = (6, 7, 8)
SUMMER_DAYS, YEAR_DAYS = 92, 365
SUMMER_RESCUE = 0.29
SUMMER_FIRE = round((0.28 * 2.444 - 0.29 * 0.442 - 0.418 * 0.858) / (0.837 + 0.143 + 0.164), 3)
SUMMER_OTHER = 0.28
WEEKEND_FACTOR = 1.0


@dataclass(frozen=True)
class Calendar:
    """The run's calendar: its first day (None: an average day, no cycles) and the cycle
    parameters (see the module docstring)."""

    start: date | None = None
    summer_fire: float = SUMMER_FIRE
    summer_rescue: float = SUMMER_RESCUE
    summer_other: float = SUMMER_OTHER
    weekend_factor: float = WEEKEND_FACTOR

    def summer_share(self, name: str, needs: tuple[tuple[str, int], ...]) -> float:
        """The summer share of the group an incident type belongs to."""
        if name in FIRE_TYPES:
            return self.summer_fire
        if any(force == "fire" for force, _ in needs):
            return self.summer_rescue
        return self.summer_other

    def factors(self, name: str, needs: tuple[tuple[str, int], ...], days: int) -> np.ndarray:
        """Rate factor per simulated day (season × weekday) of a type; ones without a date."""
        if self.start is None:
            return np.ones(days)
        dates = [self.start + timedelta(days=d) for d in range(days)]
        s = self.summer_share(name, needs)
        summer = np.array([d.month in SUMMER_MONTHS for d in dates])
        season = np.where(
            summer, s * YEAR_DAYS / SUMMER_DAYS, (1 - s) * YEAR_DAYS / (YEAR_DAYS - SUMMER_DAYS)
        )
        w = self.weekend_factor
        weekend = np.array([d.weekday() >= 5 for d in dates])
        return season * np.where(weekend, w, (7.0 - 2.0 * w) / 5.0)
