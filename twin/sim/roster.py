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

    def first_on(self, stacks: list[list[int]], posts: list[int], t: float) -> tuple[int, int]:
        """The first post of ``posts`` with a unit on duty at ``t``, asking each post's
        ``stacks[post]`` from its top (last) down, and that unit's place in the stack;
        (−1, −1) if none. The same looks, in the same order, as calling :meth:`on` for each
        unit in turn (so the same draws): a batch for the dispatcher's scan of many posts."""
        state, until_, seen, tau5 = self.state, self.until, self.seen, 5.0 * self.tau
        for i in posts:
            stack = stacks[i]
            for k in range(len(stack) - 1, -1, -1):
                unit = stack[k]
                until = until_[unit]
                if until > t and t - seen[unit] <= tau5:  # no change since the last look
                    seen[unit] = t
                    if state[unit]:
                        return i, k
                elif self.on(unit, t):
                    return i, k
        return -1, -1

    def _spell(self, on: bool, t: float) -> float:
        """A spell (s) in state ``on`` starting at ``t``: exponential, rate (1 − p)/τ when
        on, p/τ when off."""
        p = self.share(t)
        rate = (1.0 - p if on else p) / self.tau
        if rate <= 0.0:
            return math.inf
        return -math.log(1.0 - self.draw()) / rate
