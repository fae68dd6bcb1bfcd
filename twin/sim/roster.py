"""Who of the community responders is on duty: availability that persists in time.

A responder is reachable ("on duty") or not, and stays so for a while: each responder's
state is a two-state Markov process whose long-run on-duty share follows the time of day
(``share(t)``: by day the force's ``availability``, at night its ``availability_night``)
with a mean spell ``tau_s`` (:data:`twin.sim.params.DUTY_SPELL_S`). The leave rates are
(1 − p)/τ when on and p/τ when off, so the share on duty is p and two looks Δ apart agree
with probability p² + (1 − p)² + 2p(1 − p)·e^(−Δ/τ) — not a fresh coin at each request.

States are drawn lazily, only for responders asked: at the first look (or after more than
``5 τ`` without one) from the share at that time, otherwise by advancing the process.
"""

from __future__ import annotations

import math
from collections.abc import Callable


class Roster:
    """On/off duty of ``n`` units; ``draw()`` gives uniform [0, 1) numbers (the run's
    stream), drawn only as units are asked."""

    def __init__(
        self, n: int, share: Callable[[float], float], tau_s: float, draw: Callable[[], float]
    ) -> None:
        self.share, self.tau, self.draw = share, tau_s, draw
        self.state = [False] * n
        self.until = [-1.0] * n  # next change; < 0: never looked at
        self.seen = [0.0] * n

    def on(self, unit: int, t: float) -> bool:
        """Is ``unit`` on duty at ``t`` (s)? Looks must come in time order per unit."""
        until = self.until[unit]
        if until < 0 or t - self.seen[unit] > 5.0 * self.tau:
            state = self.draw() < self.share(t)
            until = t + self._spell(state, t)
        else:
            state = self.state[unit]
            while until <= t:
                state = not state
                until += self._spell(state, until)
        self.state[unit], self.until[unit], self.seen[unit] = state, until, t
        return state

    def _spell(self, on: bool, t: float) -> float:
        """A spell (s) in state ``on`` starting at ``t``: exponential, rate (1 − p)/τ when
        on, p/τ when off."""
        p = self.share(t)
        rate = (1.0 - p if on else p) / self.tau
        if rate <= 0.0:
            return math.inf
        return -math.log(1.0 - self.draw()) / rate
