"""The road network as arrays, and travel times over it.

The engine never asks NetworkX for a path. It asks :class:`TravelTimes` — shortest travel
times, in seconds, from every base (station) to every road node, computed once per
time-of-day period with ``scipy.sparse.csgraph.dijkstra`` and cached on disk keyed by a
hash of the graph (:mod:`twin.model.cache`: where, bounded size, runs go on without it). Closures during a run leave these arrays untouched: the engine's
:class:`twin.sim.road_times.RoadTimes` decides, with landmark lower bounds, which few dispatches
a closure can affect and runs one Dijkstra for each of those only.

Edge travel time (free flow), seconds::

    t = length_m / (speed_kph / 3.6) * grade_factor
    grade_factor = 1 + GRADE_SLOWDOWN * max(0, |Δelevation| / length - GRADE_FREE)

so a 10 % grade costs 1 + 5 * 0.08 = 1.40× (Chongqing's steep streets; bridges and
tunnels are treated as flat). Time of day multiplies it by a congestion factor: the traffic
model's per edge (:mod:`twin.model.traffic`, set as :attr:`RoadNetwork.congestion`), or, when
a run has none (hand-made test networks), the fixed table by road class (:data:`CONGESTION`).
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from twin.model import cache

GRADE_FREE = 0.02
"""Grades up to 2 % cost nothing."""
GRADE_SLOWDOWN = 5.0
"""Extra travel time per unit of grade above :data:`GRADE_FREE` (0.08 above → +40 %)."""
GRADE_CAP = 0.30
"""Grades are capped at 30 % (errors in elevation data should not make roads impassable)."""
MIN_EDGE_TIME_S = 0.01
"""csgraph treats zero weights ambiguously; every edge costs at least this."""

PERIODS: tuple[str, ...] = ("night", "offpeak", "peak")
"""Time-of-day periods with their own travel-time arrays."""

PERIOD_OF_HOUR: tuple[int, ...] = (
    0,
    0,
    0,
    0,
    0,
    0,  # 00–06 night
    1,
    2,
    2,
    1,
    1,
    1,  # 06–07 off-peak, 07–09 morning peak
    1,
    1,
    1,
    1,
    1,
    2,  # 17–18 evening peak
    2,
    1,
    1,
    1,
    0,
    0,  # 18–19 evening peak, 22–24 night
)
"""Period index for each local hour 0–23."""

CONGESTION: dict[str, dict[str, float]] = {
    # Multipliers on free-flow time. Assumptions for a congested Chinese megacity, in line
    # with published peak/free-flow travel-time ratios of 1.5–2.0 for Chongqing's main
    # roads (AutoNavi/Amap congestion reports); bridges are the worst bottlenecks.
    "night": {
        "expressway": 1.00,
        "arterial": 1.00,
        "local": 1.00,
        "mountain": 1.00,
        "bridge": 1.00,
    },
    "offpeak": {
        "expressway": 1.20,
        "arterial": 1.25,
        "local": 1.10,
        "mountain": 1.05,
        "bridge": 1.40,
    },
    "peak": {"expressway": 1.80, "arterial": 1.70, "local": 1.30, "mountain": 1.15, "bridge": 2.20},
}
DEFAULT_CONGESTION = {"night": 1.0, "offpeak": 1.15, "peak": 1.5}
"""Factor for road classes the table does not name (e.g. OSM's `service`)."""


def period_of(t_s: float) -> int:
    """Index into :data:`PERIODS` of simulation time ``t_s`` (seconds since midnight, day 0)."""
    return PERIOD_OF_HOUR[int(t_s // 3600) % 24]


def grade_factor(length_m: np.ndarray, rise_m: np.ndarray) -> np.ndarray:
    """Multiplier ≥ 1 on travel time for a climb of ``rise_m`` over ``length_m``."""
    grade = np.minimum(np.abs(rise_m) / np.maximum(length_m, 1.0), GRADE_CAP)
    return 1.0 + GRADE_SLOWDOWN * np.maximum(grade - GRADE_FREE, 0.0)


def free_flow_time_s(
    length_m: np.ndarray, speed_kph: np.ndarray, rise_m: np.ndarray, flat: np.ndarray
) -> np.ndarray:
    """Free-flow travel time (s) of edges; ``flat`` marks bridges/tunnels (no grade)."""
    base = np.asarray(length_m, float) / (np.asarray(speed_kph, float) / 3.6)
    factor = np.where(
        flat, 1.0, grade_factor(np.asarray(length_m, float), np.asarray(rise_m, float))
    )
    return np.maximum(base * factor, MIN_EDGE_TIME_S)


_FACTORS: weakref.WeakKeyDictionary[RoadNetwork, dict[str, np.ndarray]] = (
    weakref.WeakKeyDictionary()
)
"""Per network (while it lives), its congestion factors per period of the fixed table."""


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """The road graph as numpy arrays: node ``i`` is ``node_ids[i]``, edge ``k`` joins
    ``edge_u[k]`` → ``edge_v[k]`` (and back unless ``edge_oneway[k]``).

    ``edge_time_s`` is free-flow travel time in seconds; ``xy`` node coordinates in metres.
    """

    node_ids: np.ndarray
    xy: np.ndarray
    edge_ids: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_time_s: np.ndarray
    edge_oneway: np.ndarray
    edge_class: np.ndarray
    edge_bridge: np.ndarray
    congestion: tuple[np.ndarray, ...] | None = None
    """Per period of :data:`PERIODS`, every edge's travel-time multiplier from the traffic
    model (:mod:`twin.model.traffic`); None: the fixed table :data:`CONGESTION`."""
    _node_index: dict = field(default_factory=dict, repr=False)
    _edge_index: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._node_index.update({nid: i for i, nid in enumerate(self.node_ids)})
        self._edge_index.update({eid: k for k, eid in enumerate(self.edge_ids)})

    @property
    def n_nodes(self) -> int:
        return len(self.node_ids)

    def node_index(self, node_ids: Sequence[str]) -> np.ndarray:
        """Indices of the given node ids (KeyError names the first unknown one)."""
        return np.fromiter((self._node_index[n] for n in node_ids), np.int64, len(node_ids))

    def edge_index(self, edge_ids: Sequence[str]) -> np.ndarray:
        """Indices of the given edge ids."""
        return np.fromiter((self._edge_index[e] for e in edge_ids), np.int64, len(edge_ids))

    def period_factors(self, period: str) -> np.ndarray:
        """Congestion multiplier of every edge in ``period`` (one of :data:`PERIODS`): the
        traffic model's when set (:attr:`congestion`), else the fixed table (worked out once
        per network and kept, read-only: every run's road times ask for it, ~0.1 s each on
        the embedded twin)."""
        if self.congestion is not None:
            return self.congestion[PERIODS.index(period)]
        memo = _FACTORS.setdefault(self, {})
        if period not in memo:
            table = CONGESTION[period]
            default = DEFAULT_CONGESTION[period]
            classes = np.where(self.edge_bridge, "bridge", self.edge_class)
            uniq, inv = np.unique(classes, return_inverse=True)
            factors = np.array([table.get(c, default) for c in uniq])[inv]
            factors.setflags(write=False)
            memo[period] = factors
        return memo[period]

    def edge_times(self, period: str | None = None, closed: np.ndarray | None = None) -> np.ndarray:
        """Travel time (s) of every edge in ``period``; closed edges are ``inf``."""
        t = self.edge_time_s if period is None else self.edge_time_s * self.period_factors(period)
        if closed is not None and closed.any():
            t = np.where(closed, np.inf, t)
        return t

    def matrix(self, edge_times: np.ndarray) -> sp.csr_matrix:
        """Directed CSR adjacency with the fastest of any parallel edges; ``inf`` edges left out."""
        two_way = ~self.edge_oneway
        rows = np.concatenate([self.edge_u, self.edge_v[two_way]])
        cols = np.concatenate([self.edge_v, self.edge_u[two_way]])
        w = np.concatenate([edge_times, edge_times[two_way]])
        keep = np.isfinite(w)
        rows, cols, w = rows[keep], cols[keep], w[keep]
        order = np.lexsort((w, cols, rows))
        rows, cols, w = rows[order], cols[order], w[order]
        first = np.ones(len(rows), bool)
        first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
        n = self.n_nodes
        return sp.csr_matrix((w[first], (rows[first], cols[first])), shape=(n, n))

    def with_congestion(self, factors: tuple[np.ndarray, ...] | None) -> RoadNetwork:
        """The same network with the traffic model's multipliers per period (or the table)."""
        return replace(self, congestion=factors, _node_index={}, _edge_index={})

    def snap(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Nearest node index and its distance (m) for each point of ``xy`` (n × 2, metres)."""
        dist, idx = self._kdtree.query(np.asarray(xy, float).reshape(-1, 2))
        return idx.astype(np.int64), dist

    @property
    def _kdtree(self) -> cKDTree:
        tree = self.__dict__.get("_tree")
        if tree is None:
            tree = cKDTree(self.xy)
            object.__setattr__(self, "_tree", tree)
        return tree

    def fingerprint(self) -> str:
        """A hash of everything travel times depend on (for the on-disk cache)."""
        h = hashlib.sha256(str(self.n_nodes).encode())  # the arrays' width
        for a in (self.edge_u, self.edge_v, self.edge_time_s, self.edge_oneway, self.edge_bridge):
            h.update(np.ascontiguousarray(a).tobytes())
        h.update("\0".join(map(str, self.edge_class)).encode())
        h.update(repr(CONGESTION).encode())
        for f in self.congestion or ():
            h.update(np.ascontiguousarray(f, np.float64).tobytes())
        return h.hexdigest()[:24]


def shortest_times(
    matrix: sp.csr_matrix, sources: np.ndarray, *, reverse: bool = False, limit: float = np.inf
) -> np.ndarray:
    """Shortest travel times (s) from each source to every node (``reverse``: to the source).

    Returns a float64 array of shape ``(len(sources), n_nodes)``; unreachable is ``inf``.
    """
    m = matrix.T.tocsr() if reverse else matrix
    if len(sources) == 0:
        return np.empty((0, matrix.shape[0]))
    return dijkstra(m, directed=True, indices=np.asarray(sources), limit=limit)


class TravelTimes:
    """Shortest road travel times (s) from a set of source nodes to every node, per period.

    ``out[p][i, j]`` is the time from ``sources[i]`` to node ``j`` in period ``p``;
    ``back[p][i, j]`` from node ``j`` back to ``sources[i]`` (the same array when no
    edge is one-way). Arrays are float32 (0.1 s resolution is ample).
    """

    def __init__(
        self,
        net: RoadNetwork,
        sources: np.ndarray,
        *,
        use_cache: bool = True,
        closed: np.ndarray | None = None,
    ) -> None:
        self.net = net
        self.sources = np.asarray(sources, np.int64)
        self.closed = np.zeros(len(net.edge_ids), bool) if closed is None else closed.copy()
        self.directed = bool(net.edge_oneway.any())
        self.out: list[np.ndarray] = []
        self.back: list[np.ndarray] = []
        key = self._cache_key()
        for p in PERIODS:
            out, back = self._load(key, p) if use_cache else (None, None)
            if out is None:
                out, back = self._compute(p, self.sources)
                if use_cache:
                    self._save(key, p, out, back)
            assert back is not None  # _load gives both arrays or neither
            self.out.append(out)
            self.back.append(back)

    def _cache_key(self) -> str:
        h = hashlib.sha256(self.net.fingerprint().encode())
        h.update(self.sources.tobytes())
        h.update(self.closed.tobytes())
        return h.hexdigest()[:24]

    def _compute(self, period: str, sources: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        m = self.net.matrix(self.net.edge_times(period, self.closed))
        out = shortest_times(m, sources).astype(np.float32)
        back = shortest_times(m, sources, reverse=True).astype(np.float32) if self.directed else out
        return out, back

    def _load(self, key: str, period: str) -> tuple[np.ndarray | None, np.ndarray | None]:
        z = cache.load(f"tt-{key}-{period}.npz")
        if z is None or "out" not in z:
            return None, None  # absent or damaged: recomputed, never trusted
        return z["out"], z.get("back", z["out"])

    def _save(self, key: str, period: str, out: np.ndarray, back: np.ndarray) -> None:
        arrays = {"out": out} if back is out else {"out": out, "back": back}
        cache.save(f"tt-{key}-{period}.npz", arrays)
