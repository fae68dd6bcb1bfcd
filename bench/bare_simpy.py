"""A bare SimPy model of the same incidents and travel tables: the engine's fixed yardstick.

Written before any of issue #15's optimisations so that "the engine within 2 × of a bare
model" has something fixed to be measured against. It reads what the engine reads — the
prepared :class:`twin.sim.engine.Engine` (fleet, ``TravelTimes`` arrays ``out``/``back``
per period) and the same pre-drawn :class:`~twin.sim.incidents.IncidentArrays` — and runs
the same time chain with none of the engine's bookkeeping:

- one SimPy process per incident (started at its alarm by one feeder process): call
  handling (``call_s``), then for every unit its type needs (and air when called) the
  nearest *free* unit of the force — road forces by the smallest ``out[period][row, node]``
  over stations with a free unit (period of the departure), community posts and
  helicopters by straight line — turnout (day/night), travel (road × e^(σ·z) with the
  incident's own normals, foot at Tobler's speed on the grade, air straight at the force's
  speed + approach);
- the work (set-up of the first unit's force + ``work_s``) starts at the first arrival;
  when it ends every unit drives back (``back[period][row, node]``) and is free again on
  arrival at its station (a timeout callback, no process);
- no free unit: the incident process waits for the force's next freed unit (FIFO order is
  not kept; this is a yardstick, not a model).

Left out on purpose (the engine's extras): closures and re-routing, the event log, queues
served from scenes, lead forces, escalation, rosters, mutual-aid counting, busy time,
routes. So the bare model does *less* than the engine; the ratio bounds the cost of that
bookkeeping plus any waste. Usage (as a module): ``BareModel(engine).run(arrays,
duration_s, rng)`` → counts; ``bench/bench_speed.py`` times it against the engine.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import numpy as np
import simpy
from scipy.spatial import cKDTree

from twin.model.roads import period_of
from twin.sim.engine import Engine
from twin.sim.forces import FORCES
from twin.sim.incidents import IncidentArrays
from twin.sim.params import walk_s


class BareModel:
    """The engine's incidents and tables in plain SimPy (see the module docstring)."""

    def __init__(self, engine: Engine) -> None:
        self.eng = engine
        fl, cfg = engine.fleet, engine.config
        self.chain = cfg.chain
        self.specs = [cfg.forces[name] for name in FORCES]
        self.st = [fl.of_force(name) for name in FORCES]
        self.rows = [engine.station_row[s] for s in self.st]
        self.xy = [fl.station_xy[s] for s in self.st]
        self.snode = [fl.station_node[s] for s in self.st]
        self.needs = [[(FORCES.index(n), c) for n, c in t.needs] for t in engine.types]
        self.out, self.back = engine.tt.out, engine.tt.back
        self.node_xy = engine.xy
        self.z = engine.placement.elevation
        self.trees = [cKDTree(xy) if len(xy) else None for xy in self.xy]

    def run(
        self, arr: IncidentArrays, duration_s: float, rng: np.random.Generator
    ) -> dict[str, Any]:
        """Simulate the incidents of ``arr``; returns counts (incidents, dispatches,
        waits) and the mean first arrival after the alarm (s)."""
        env = simpy.Environment()
        self.env, self.rng, self.arr = env, rng, arr
        self.free = [self.eng.fleet.station_units[s].astype(np.int64).copy() for s in self.st]
        self.freed = [env.event() for _ in FORCES]
        self.dispatches = self.waits = 0
        self.first: list[float] = []
        env.process(self._feed(arr))
        env.run(until=duration_s + self.eng.config.drain_s)
        return {
            "incidents": len(arr),
            "dispatches": self.dispatches,
            "waits": self.waits,
            "mean_first_s": float(np.mean(self.first)) if self.first else math.nan,
        }

    def _feed(self, a: IncidentArrays) -> Generator[simpy.Event, None, None]:
        env = self.env
        order = np.argsort(a.alarm_s, kind="stable")
        for i, alarm in zip(order.tolist(), a.alarm_s[order].tolist()):
            if alarm > env.now:
                yield env.timeout(alarm - env.now)
            env.process(self._incident(i))

    def _pick(self, f: int, node: int, t: float) -> tuple[int, float]:
        """Nearest free unit of force ``f`` for ``node``: (local station, travel s) or
        (−1, inf) when none is free, (−2, inf) when none could ever come."""
        spec, free = self.specs[f], self.free[f]
        idx = np.flatnonzero(free > 0)
        if len(self.st[f]) == 0:
            return -2, math.inf
        if len(idx) == 0:
            return -1, math.inf
        if spec.mode == "road":
            eta = self.out[period_of(t)][self.rows[f][idx], node]
            k = int(eta.argmin())
            if not eta[k] < math.inf:
                return -2, math.inf
            return int(idx[k]), float(eta[k])
        tree = self.trees[f]
        assert tree is not None
        dist, near = tree.query(self.node_xy[node], k=min(8, len(free)))
        for d, s in zip(np.atleast_1d(dist).tolist(), np.atleast_1d(near).tolist()):  # noqa: B007
            if free[s] > 0:  # the nearest post with a free unit, as the crow flies
                break
        else:
            d_all = np.hypot(*(self.xy[f][idx] - self.node_xy[node]).T)
            s, d = int(idx[d_all.argmin()]), float(d_all.min())
        path = d * spec.circuity
        if spec.mode == "foot":
            dz = float(self.z[node] - self.z[self.snode[f][s]])
            return s, walk_s(path, dz, spec.walk_pace) + spec.approach_s
        return s, path / spec.speed_m_s + spec.approach_s

    def _turnout(self, f: int, now: float) -> float:
        spec = self.specs[f]
        if spec.turnout_max_s is not None:
            return spec.turnout_s + (spec.turnout_max_s - spec.turnout_s) * self.rng.random()
        return spec.turnout_at(self.chain.is_night(now))

    def _incident(self, i: int) -> Generator[simpy.Event, None, None]:
        env, a = self.env, self.arr
        node = int(a.node[i])
        if a.call_s is not None and a.call_s[i] > 0:
            yield env.timeout(float(a.call_s[i]))
        noise = a.noise[i].tolist() if a.noise is not None else []
        asks = [f for f, n in self.needs[int(a.type[i])] for _ in range(n)]
        if a.air[i]:
            asks.append(FORCES.index("air"))
        sent: list[tuple[int, int, float]] = []
        for f in asks:
            while True:
                turnout = self._turnout(f, env.now)
                s, travel = self._pick(f, node, env.now + turnout)
                if s != -1:
                    break
                self.waits += 1
                yield self.freed[f]
            if s < 0:
                continue
            self.free[f][s] -= 1
            self.dispatches += 1
            if self.specs[f].mode == "road" and self.chain.travel_sigma > 0:
                z = noise.pop(0) if noise else float(self.rng.standard_normal())
                travel *= math.exp(self.chain.travel_sigma * z)
            sent.append((f, s, env.now + turnout + travel))
        if not sent:
            return
        first_f, _, first = min(sent, key=lambda x: x[2])
        self.first.append(first - float(a.alarm_s[i]))
        yield env.timeout(first - env.now + self.specs[first_f].setup_s + float(a.work_s[i]))
        now = env.now
        for f, s, arrive in sent:
            back = self._back(f, s, node, now)
            ev = env.timeout(max(arrive, now) + back - now, value=(f, s))
            ev.callbacks.append(self._home)

    def _back(self, f: int, s: int, node: int, now: float) -> float:
        spec = self.specs[f]
        if spec.mode == "road":
            t = float(self.back[period_of(now)][self.rows[f][s], node])
            return t if math.isfinite(t) else 0.0
        d = self.xy[f][s] - self.node_xy[node]
        return float(np.hypot(d[0], d[1])) * spec.circuity / max(spec.speed_m_s, 1.0)

    def _home(self, ev: simpy.Event) -> None:
        f, s = ev.value
        self.free[f][s] += 1
        old, self.freed[f] = self.freed[f], self.env.event()
        old.succeed()
