"""Surge dispatch (mass-casualty mode) and the hourly record of a disaster as it unfolds.

**Trigger.** A surge is *declared* when the open incidents that carry a risk to life
(units ordered, not cleared, priority class ≤ :data:`twin.sim.priority.LIFE_RISK`) reach
``trigger_open`` (scenario key ``[surge] trigger_open``, default
:data:`TRIGGER_OPEN`); it *stands down* when they fall below half of it. The count is
checked every ``check_s`` (:data:`CHECK_S`).

**Mass-casualty mode** (while declared), as in the triage doctrine of fire and rescue
services facing many sites at once (cover every site with one crew, then build up):

- one crew per site first: a new incident's first ground unit is requested as usual
  (from the first of its ground forces with a free unit,
  :func:`twin.sim.priority.first_crew_force`); the rest of its first assignment is queued
  behind every site still waiting for its first crew (stage 1 in
  :class:`twin.sim.priority.PriorityQueue`); free units take those reinforcement requests
  at each check when no first crew is waiting. A site's first crew is whichever of its
  ground forces dispatches a unit first: at each check every queued ground request is
  re-staged — stage 0 while no ground unit has been dispatched to its site, 1 after — so
  that when one force is exhausted (the 33 professional teams a collapse asks for first),
  the site's requests to another force (fire) open it as soon as that force frees a unit,
  ahead of its reinforcements elsewhere. Between checks a stage is as of the last check
  (at most ``check_s`` old);
- units released from long jobs by rule: a ground unit that has been on a scene for
  ``release_after_s`` (default :data:`RELEASE_AFTER_S`) where at least one other ground
  unit stays, is released to the first site of its force still waiting for a first crew
  (the work there goes on with the crews that stay; its duration is not lengthened —
  a simplification).

**Hourly record** (:class:`SurgeLog`, ``surge.csv`` and ``summary.json["surge"]``): at the
top of every hour, open incidents (all, and with life risk), sites waiting for their
any ground crew on scene, units committed (dispatched and not yet back) per road force and in all,
reinforcement units arrived, and whether a surge is declared.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass

import numpy as np
import simpy

from twin.scenario.spec import Surge as SurgeSpec
from twin.sim.dispatch import Pool
from twin.sim.forces import FORCES
from twin.sim.lifecycle import GROUND, Inc, Lifecycle
from twin.sim.priority import LIFE_RISK

TRIGGER_OPEN = 50
"""Open life-risk incidents that declare a surge (assumption, range 20–150: the embedded
twin's 313 fire vehicles at 105 stations give full first assignments of 2–5 vehicles to
some 60–150 sites at once, so at 50 sites the fleet nears exhaustion; everyday load stays
far below it — see docs/calibration.md, "Disasters", for the peak measured in a baseline
week)."""
CHECK_S = 600.0
"""How often the surge state is checked, and deferred reinforcement requests retried (s)."""
RELEASE_AFTER_S = 2 * 3600.0
"""A ground unit on one scene this long may be released to a site without a crew
(assumption, range 1–4 h: a crew's shift at a collapse site before rotation)."""
HOUR = 3600.0
SURGE_COLUMNS = [
    "hour",
    "t_s",
    "surge",
    "open",
    "open_life_risk",
    "sites_without_crew",
    "committed",
    "committed_fire",
    "committed_professional",
    "committed_social",
    "reinforcements_arrived",
]


@dataclass(frozen=True)
class SurgeRule:
    """When a surge is declared and how units are released (see the module docstring)."""

    trigger_open: int = TRIGGER_OPEN
    check_s: float = CHECK_S
    release_after_s: float = RELEASE_AFTER_S
    enabled: bool = True
    """False: never declare a surge (everyday dispatch whatever the load; to measure it)."""


def surge_rule(spec: SurgeSpec) -> SurgeRule:
    """The rule a scenario's ``[surge]`` section states (unset keys: the defaults here)."""
    return SurgeRule(
        trigger_open=TRIGGER_OPEN if spec.trigger_open is None else spec.trigger_open,
        release_after_s=RELEASE_AFTER_S
        if spec.release_after_h is None
        else spec.release_after_h * HOUR,
        enabled=spec.enabled,
    )


def _first_crew_stage(inc: Inc) -> int:
    """Stage of a queued ground request under a surge: 0 while no ground unit has been
    dispatched to its site, else 1 (a reinforcement)."""
    return 1 if inc.crewed else 0


class Surge:
    """The surge state of a run, its checks and its hourly log."""

    def __init__(
        self,
        env: simpy.Environment,
        rule: SurgeRule,
        life: Lifecycle,
        pools: list[Pool],
        retry: Callable[[], None],
        release: Callable[[Pool, float], bool],
        arrived: Callable[[], int],
    ) -> None:
        self.env, self.rule, self.life, self.pools = env, rule, life, pools
        self.retry, self.release, self.arrived = retry, release, arrived
        self.active = False
        self.declared_s: list[float] = []
        self._open: set[Inc] = set()
        self.rows: list[tuple] = []

    def opened(self, inc: Inc) -> None:
        """``inc`` requests units: it is open until cleared."""
        self._open.add(inc)

    def open_incidents(self) -> tuple[int, int]:
        """(open incidents, open incidents with life risk) now."""
        for inc in [i for i in self._open if i.cleared]:
            self._open.discard(inc)
        life = sum(1 for i in self._open if i.prio <= LIFE_RISK)
        return len(self._open), life

    def check(self) -> None:
        """Declare or stand down; retry deferred requests; release units by rule."""
        if not self.rule.enabled:
            return
        _, life = self.open_incidents()
        was = self.active
        if not was and life >= self.rule.trigger_open:
            self.active = True
            self.declared_s.append(self.env.now)
        elif was and life < self.rule.trigger_open / 2:
            self.active = False
        if self.active:  # a site's first crew: whichever needed ground force sends one first
            for f in sorted(GROUND):
                self.pools[f].queue.restage(_first_crew_stage)
        if was or self.active:  # deferred requests exist only under a surge
            self.retry()
        if self.active:
            for f in sorted(GROUND):
                pool = self.pools[f]
                for _ in range(pool.queue.first_crews()):
                    if not self.release(pool, self.rule.release_after_s):
                        break

    def process(self, until_s: float) -> Generator[simpy.Event, None, None]:
        """Process: a check every ``check_s`` and a log row every hour, to ``until_s`` and
        on through the drain while incidents are open (a disaster's backlog)."""
        env, step = self.env, self.rule.check_s
        next_hour = 0.0
        while env.now <= until_s or self.open_incidents()[0] > 0:
            if env.now >= next_hour:
                self.log_hour()
                next_hour += HOUR
            self.check()
            yield env.timeout(min(step, max(next_hour - env.now, 1e-6)))

    def log_hour(self) -> None:
        """One row of the hourly record (:data:`SURGE_COLUMNS`)."""
        n_open, life = self.open_incidents()
        committed = [p.total - int(np.sum(p.free)) - p.withheld for p in self.pools]
        waiting = sum(1 for i in self._open if i.due > 0 and i.arrived == 0)
        ground = {FORCES[f]: committed[f] for f in sorted(GROUND)}
        self.rows.append(
            (
                int(round(self.env.now / HOUR)),
                self.env.now,
                self.active,
                n_open,
                life,
                waiting,
                int(sum(committed)),
                ground["fire"],
                ground["professional"],
                ground["social"],
                self.arrived(),
            )
        )
