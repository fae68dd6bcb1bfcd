"""Time away from readiness: fire crews out of service for scheduled periods.

Crews of a Chinese fire station spend part of the day away from readiness: training off
the station, fire-safety inspections of premises (防火检查), familiarisation visits, and
vehicle maintenance. Modelled as one block a day per fire vehicle (its crew) of
``TimeChain.away_h_per_day`` hours (assumption 2 h, range 0–4 h), starting at a time drawn
uniformly so that the block lies within ``TimeChain.away_hours`` (09–17 h), from the run's
one generator (:func:`schedule`). A crew free at its station when its block starts is taken
out of the free units (event ``away``) and is not dispatched until the block ends (event
``ready``; it then serves the oldest queued request it can). A crew out on a call when
its block starts skips that day's block (calls come first).

With crews (:mod:`twin.sim.turnouts`) the block is the crew's, not a vehicle's: one block a
day per crew of a station, its start drawn as that of the station's k-th vehicle (so the
draws, and the run's stream after them, are the same under either crew model: common
random numbers). At the start a free crew of the station leaves readiness (none free: all
out on calls, the block is skipped); while no crew is free the station's vehicles stay
put; at the end the crew is back and the station serves the queue.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import cast

import numpy as np
import simpy

from twin.sim.crews import Crews, serve_station
from twin.sim.dispatch import Pool
from twin.sim.events import AWAY, READY, EventLog
from twin.sim.params import TimeChain


def schedule(
    rng: np.random.Generator, n_units: int, duration_s: float, chain: TimeChain
) -> np.ndarray:
    """Start times (s since the run start) of each unit's block away, one per unit and
    day, as an (n_units × days) array; empty when ``away_h_per_day`` is 0 (nothing drawn)."""
    away_s = chain.away_h_per_day * 3600.0
    if away_s <= 0.0 or n_units == 0:
        return np.empty((n_units, 0))
    days = max(int(np.ceil(duration_s / 86400.0)), 1)
    h0, h1 = chain.away_hours
    room = max((h1 - h0) * 3600.0 - away_s, 0.0)
    u = rng.random((n_units, days))
    return np.arange(days)[None, :] * 86400.0 + h0 * 3600.0 + u * room


class Readiness:
    """Takes fire crews out of service for their scheduled blocks during a run."""

    def __init__(
        self,
        env: simpy.Environment,
        log: EventLog,
        pool: Pool,
        crews: Crews,
        station_node: list[int],
        rng: np.random.Generator,
        chain: TimeChain,
        duration_s: float,
    ) -> None:
        self.env, self.log, self.pool, self.crews = env, log, pool, crews
        self.away_s = chain.away_h_per_day * 3600.0
        self.node = [station_node[int(s)] for s in pool.stations.tolist()]
        units = [
            (u, i, k) for i, stack in enumerate(pool.stack) for k, u in enumerate(sorted(stack))
        ]
        starts = schedule(rng, len(units), duration_s, chain)
        tos = pool.turnouts
        self.blocks = sorted(
            (float(t), u, i)
            for (u, i, k), row in zip(units, starts.tolist())
            for t in row
            if t < duration_s and (tos is None or k < tos.total[i])
        )

    def process(self) -> Generator[simpy.Event, None, None]:
        """Process: at each block's start take the crew out if it is free; put it back at
        the end."""
        env = self.env
        tos = self.pool.turnouts
        for t, u, i in self.blocks:
            if t > env.now:
                yield env.timeout(t - env.now)
            if tos is not None:  # a crew's block: any free crew of the station goes
                if tos.away(i):
                    self.log.add((env.now, AWAY, -1, -1, self.node[i], -1, -1))
                    env.timeout(self.away_s, value=(-1, i)).callbacks.append(self._back)
                continue
            if u not in self.pool.stack[i]:
                continue  # on a call: the block is skipped
            self.pool.take_unit(i, u)
            self.log.add((env.now, AWAY, -1, u, self.node[i], -1, -1))
            env.timeout(self.away_s, value=(u, i)).callbacks.append(self._back)

    def _back(self, ev: simpy.Event) -> None:
        u, i = cast(tuple[int, int], ev.value)
        self.log.add((self.env.now, READY, -1, u, self.node[i], -1, -1))
        if self.pool.turnouts is not None:
            self.pool.turnouts.back(i)
            serve_station(self.crews, self.pool, i)
        else:
            self.crews.ready_again(self.pool, i, u)
