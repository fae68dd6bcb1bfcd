"""A siting problem from a city: demand points, candidate sites, travel times.

- **Demand**: the people the simulation places incidents on (``Engine.placement.node_people``:
  each populated cell's census population shared among its reachable road nodes in the core
  districts), aggregated per cell to one demand point: the cell's populated node nearest
  the people-weighted centre of its nodes, weighted by the cell's people. With more than
  ``max_demand`` points, cells are pooled on a coarser square grid (p-median, p-center).
- **Candidates**: road nodes reachable from the existing stations (so never a river, a
  cut-off island or a node no road reaches), one per demand cell (the same representative
  node); thinned on a coarse grid when there are more than ``max_candidates``.
- **Times**: shortest road travel times (s) from each candidate and each existing station
  of the force to each demand point, on the twin's own road network in a chosen period
  (``night``, ``offpeak``, ``peak``: :data:`twin.model.roads.CONGESTION`), via scipy's
  csgraph Dijkstra (:func:`twin.model.roads.shortest_times`).

Existing stations stay where they are: ``existing_s[i]`` is demand point i's time from its
nearest existing station; the models see it as a fixed alternative.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import cast

import numpy as np

from twin.model.city import City
from twin.model.roads import PERIODS, shortest_times
from twin.sim.engine import Engine, EngineConfig
from twin.sim.forces import FORCES


@dataclass(frozen=True)
class SitingProblem:
    """Demand points, candidates and travel times for one force and period."""

    force: str
    period: str
    demand_node: np.ndarray  # road node index per demand point
    demand_people: np.ndarray  # people per demand point
    candidate_node: np.ndarray  # road node index per candidate site
    times_s: np.ndarray  # (n_demand × n_candidates) seconds, inf = unreachable
    existing_s: np.ndarray  # (n_demand,) seconds from the nearest existing station
    existing_ids: tuple[str, ...]
    existing_node: np.ndarray
    existing_times: np.ndarray  # (n_existing × n_demand) seconds from each existing station

    def without(self, stations: np.ndarray) -> SitingProblem:
        """The problem with the existing stations at indices ``stations`` taken away."""
        keep = np.setdiff1d(np.arange(len(self.existing_ids)), stations)
        t = self.existing_times[keep]
        best = t.min(axis=0) if len(keep) else np.full(len(self.demand_node), np.inf)
        return replace(
            self,
            existing_s=best,
            existing_times=t,
            existing_ids=tuple(self.existing_ids[i] for i in keep),
            existing_node=self.existing_node[keep],
        )

    @property
    def people(self) -> float:
        return float(self.demand_people.sum())


def _grid_pool(xy: np.ndarray, weight: np.ndarray, limit: int) -> np.ndarray:
    """Index of one representative per square of the coarsest grid that keeps ≤ ``limit``
    squares (the heaviest point of each square); all points when already ≤ ``limit``."""
    if len(xy) <= limit:
        return np.arange(len(xy))
    size = 1000.0
    while True:
        key = np.floor(xy / size).astype(np.int64)
        _, inv = np.unique(key, axis=0, return_inverse=True)
        inv = inv.ravel()
        if inv.max() + 1 <= limit:
            break
        size *= 1.25
    order = np.lexsort((-weight, inv))
    first = np.ones(len(order), bool)
    first[1:] = inv[order][1:] != inv[order][:-1]
    return order[first]


def _pooled_weight(xy: np.ndarray, weight: np.ndarray, reps: np.ndarray) -> np.ndarray:
    """Each point's weight added to its nearest representative."""
    from scipy.spatial import cKDTree  # noqa: PLC0415 — only for aggregation

    _, near = cKDTree(xy[reps]).query(xy)
    return np.bincount(near, weights=weight, minlength=len(reps))


def candidate_times(
    m: object, cand: np.ndarray, d_node: np.ndarray, limit_s: float, chunk: int = 256
) -> np.ndarray:
    """(n_demand × n_candidates) float32 seconds from each candidate to each demand node,
    Dijkstra in chunks of sources (never the full candidates × all-nodes array)."""
    out = np.empty((len(d_node), len(cand)), np.float32)
    for i in range(0, len(cand), chunk):
        t = shortest_times(m, cand[i : i + chunk], limit=limit_s)
        out[:, i : i + chunk] = t[:, d_node].T
    return out


def cell_points(engine: Engine) -> tuple[np.ndarray, np.ndarray]:
    """One representative road node per populated cell and the cell's people."""
    pl = engine.placement
    people = pl.node_people
    cell = pl.node_cell
    xy = engine.xy
    nodes, weights = [], []
    pop = people > 0
    for c in np.unique(cell[pop & (cell >= 0)]):
        idx = np.flatnonzero(pop & (cell == c))
        w = people[idx]
        centre = (xy[idx] * w[:, None]).sum(axis=0) / w.sum()
        nodes.append(idx[int(np.argmin(((xy[idx] - centre) ** 2).sum(axis=1)))])
        weights.append(w.sum())
    orphan = np.flatnonzero(pop & (cell < 0))  # populated nodes outside every cell
    nodes.extend(orphan.tolist())
    weights.extend(people[orphan].tolist())
    return np.asarray(nodes, np.int64), np.asarray(weights, float)


def build_problem(
    city: City,
    force: str = "fire",
    period: str = "offpeak",
    *,
    max_demand: int | None = None,
    max_candidates: int | None = None,
    limit_s: float = np.inf,
    engine: Engine | None = None,
) -> SitingProblem:
    """The siting problem for new stations of ``force`` in ``period`` (see module doc);
    times beyond ``limit_s`` are left ``inf`` (enough for the covering models, and fast)."""
    if period not in PERIODS:
        raise ValueError(f"period must be one of {PERIODS}")
    eng = engine or Engine(city, EngineConfig())
    node, people = cell_points(eng)
    xy = eng.xy
    dem = np.arange(len(node)) if max_demand is None else _grid_pool(xy[node], people, max_demand)
    d_people = people if max_demand is None else _pooled_weight(xy[node], people, dem)
    d_node = node[dem]
    fleet = eng.fleet
    mine = fleet.station_force == FORCES.index(force)
    st_node = fleet.station_node[mine]
    net = eng.net
    m = net.matrix(net.edge_times(period))
    st_times = shortest_times(m, st_node) if len(st_node) else np.empty((0, net.n_nodes))
    reach = (
        cast(np.ndarray, np.isfinite(st_times).any(axis=0))
        if len(st_node)
        else np.ones(net.n_nodes, bool)
    )
    cand_pool = node[reach[node]]
    keep = (
        np.arange(len(cand_pool))
        if max_candidates is None
        else _grid_pool(xy[cand_pool], people[reach[node]], max_candidates)
    )
    cand = cand_pool[keep]
    times = candidate_times(m, cand, d_node, limit_s)
    st_d = st_times[:, d_node].astype(np.float32)
    existing = st_d.min(axis=0) if len(st_node) else np.full(len(d_node), np.inf)
    return SitingProblem(
        force,
        period,
        d_node,
        d_people,
        cand,
        times,
        existing,
        tuple(str(s) for s in fleet.station_ids[mine]),
        st_node,
        st_d,
    )
