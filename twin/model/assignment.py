"""Static user-equilibrium traffic assignment with the BPR volume-delay function.

Directed links (tail ``a``, head ``b``, free-flow time ``t0_s``, capacity ``capacity_vph``)
carry the hourly demand between zone nodes so that no driver can save time by changing
route (Wardrop's first principle). Link time, seconds (BPR, Bureau of Public Roads 1964)::

    t(v) = t0 · (1 + ALPHA · (v / c) ** BETA),   ALPHA = 0.15, BETA = 4

Two solvers give the same equilibrium:

- **AequilibraE** (``pip install 'shancheng-twin[traffic]'``): bi-conjugate Frank–Wolfe
  from a pandas link table, no project database; its progress bars and log are silenced.
- **Frank–Wolfe** (Frank & Wolfe 1956; LeBlanc, Morlok & Pierskalla 1975) written here on
  scipy's Dijkstra, used when AequilibraE is not installed and for small networks (fewer
  than :data:`SMALL_LINKS` links, where AequilibraE's fixed cost per iteration dominates);
  slower to converge: after :data:`MAX_ITER` iterations the gap reached is reported.

The relative gap is ``(Σ t·x − Σ t·y) / Σ t·x`` with ``y`` the all-or-nothing flows on the
current times.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

ALPHA = 0.15
"""BPR α (Bureau of Public Roads 1964; the usual default)."""
BETA = 4.0
"""BPR β."""
RGAP = 1e-3
"""Stop when the relative gap is below this."""
MAX_ITER = 30
BACKENDS = ("auto", "aequilibrae", "scipy")
SMALL_LINKS = 2000
"""``auto`` solves networks with fewer directed links than this by the Frank–Wolfe here:
AequilibraE's fixed cost per iteration (~0.1–0.3 s measured on the test city) dominates
there."""


@dataclass(frozen=True)
class Links:
    """Directed links: ``a[k] → b[k]`` (node indices), free-flow time ``t0_s[k]`` (s),
    capacity ``capacity_vph[k]`` (vehicles per hour, > 0)."""

    a: np.ndarray
    b: np.ndarray
    t0_s: np.ndarray
    capacity_vph: np.ndarray
    n_nodes: int


@dataclass(frozen=True)
class Assignment:
    """The equilibrium: per link flow (veh/h) and time (s), the relative gap reached, the
    iterations, the solver and its wall time (s)."""

    flow_vph: np.ndarray
    time_s: np.ndarray
    rgap: float
    iterations: int
    backend: str
    wall_s: float


def bpr(t0_s: np.ndarray, flow: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """BPR link time (s) at ``flow`` (veh/h) on ``capacity`` (veh/h)."""
    return t0_s * (1.0 + ALPHA * (flow / capacity) ** BETA)


def have_aequilibrae() -> bool:
    """Is the optional AequilibraE solver installed? (Found without importing it: it reads
    ``AEQ_SHOW_PROGRESS`` once, on import.)"""
    return importlib.util.find_spec("aequilibrae") is not None


def assign(
    links: Links,
    zone_nodes: np.ndarray,
    demand_vph: np.ndarray,
    *,
    backend: str = "auto",
    rgap: float | None = None,
    max_iter: int | None = None,
) -> Assignment:
    """User-equilibrium flows of the hourly ``demand_vph[i, j]`` (veh/h from zone node
    ``zone_nodes[i]`` to ``zone_nodes[j]``; the diagonal is ignored) over ``links``.

    ``backend``: ``aequilibrae`` (bi-conjugate Frank–Wolfe), ``scipy`` (Frank–Wolfe here)
    or ``auto`` (AequilibraE when installed, for networks of at least :data:`SMALL_LINKS`
    links). ``rgap``, ``max_iter``: None = :data:`RGAP`, :data:`MAX_ITER`."""
    rgap = RGAP if rgap is None else rgap
    max_iter = MAX_ITER if max_iter is None else max_iter
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}")
    demand = np.array(demand_vph, float)
    np.fill_diagonal(demand, 0.0)
    t0 = time.perf_counter()
    big = len(links.a) >= SMALL_LINKS
    if backend == "aequilibrae" or (backend == "auto" and big and have_aequilibrae()):
        flow, times, gap, it = _aequilibrae(links, np.asarray(zone_nodes), demand, rgap, max_iter)
        name = "aequilibrae"
    else:
        flow, times, gap, it = _frank_wolfe(links, np.asarray(zone_nodes), demand, rgap, max_iter)
        name = "scipy"
    return Assignment(flow, times, gap, it, name, time.perf_counter() - t0)


def trip_index(
    links: Links, times_s: np.ndarray, zone_nodes: np.ndarray, demand: np.ndarray
) -> float:
    """Trip-based delay index, the definition of Amap's 拥堵延时指数 (a trip's travel time ÷
    its free-flow travel time): ``Σ T_ij · τ_ij(times_s) / Σ T_ij · τ_ij(t0_s)`` over the
    zone pairs with demand ``T`` (veh/h) that free flow connects, where ``τ_ij(w)`` is the
    time of the fastest route at link times ``w`` (s). Each state takes its own fastest
    route, so this differs from the congested ÷ free-flow vehicle-hours on the congested
    routes (docs/calibration.md, "Same quantity"). NaN when no trip is connected."""
    nodes = np.asarray(zone_nodes)
    t_ff = dijkstra(_csr(links, links.t0_s)[0], directed=True, indices=nodes)[:, nodes]
    t_pk = dijkstra(_csr(links, times_s)[0], directed=True, indices=nodes)[:, nodes]
    m = (demand > 0) & np.isfinite(t_ff) & np.isfinite(t_pk)
    den = float((demand[m] * t_ff[m]).sum())
    return float((demand[m] * t_pk[m]).sum()) / den if den > 0 else float("nan")


def _csr(links: Links, times: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """CSR with the fastest of parallel links, the link behind each entry, and sorted keys
    ``a * n + b`` of the entries (to find the link of a predecessor pair)."""
    n = links.n_nodes
    order = np.lexsort((times, links.b, links.a))
    a, b, w = links.a[order], links.b[order], times[order]
    first = np.ones(len(a), bool)
    first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    m = sp.csr_matrix((w[first], (a[first], b[first])), shape=(n, n))
    return m, order[first], a[first].astype(np.int64) * n + b[first]


def _all_or_nothing(
    links: Links, times: np.ndarray, zone_nodes: np.ndarray, demand: np.ndarray
) -> np.ndarray:
    """Flows (veh/h) with every zone pair's demand on its shortest path at ``times``."""
    n = links.n_nodes
    m, link_of, keys = _csr(links, times)
    flow = np.zeros(len(times))
    rows = np.flatnonzero(demand.sum(axis=1) > 0)
    dist, pred = dijkstra(m, directed=True, indices=zone_nodes[rows], return_predecessors=True)
    for r, o in enumerate(rows):
        load = np.zeros(n)
        reach = np.isfinite(dist[r, zone_nodes])
        np.add.at(load, zone_nodes[reach], demand[o, reach])
        _accumulate(load, pred[r])
        j = np.flatnonzero((pred[r] >= 0) & (load > 0))
        pos = np.searchsorted(keys, pred[r][j].astype(np.int64) * n + j)
        np.add.at(flow, link_of[pos], load[j])
    return flow


def _accumulate(load: np.ndarray, pred: np.ndarray) -> None:
    """In place: ``load[j]`` becomes the demand ending at ``j`` or beyond it on the tree
    ``pred`` (the flow on the tree link into ``j``), deepest nodes first."""
    n = len(pred)
    has = pred >= 0
    depth = has.astype(np.int64)  # hops to the root, by pointer doubling (roots: 0)
    anc = np.where(has, pred, np.arange(n))
    for _ in range(int(np.ceil(np.log2(max(n, 2)))) + 1):
        depth = depth + depth[anc]
        anc = anc[anc]
    nodes = np.flatnonzero(has)
    nodes = nodes[np.argsort(-depth[nodes], kind="stable")]
    for lvl in np.split(nodes, np.flatnonzero(np.diff(depth[nodes])) + 1):
        np.add.at(load, pred[lvl], load[lvl])


def _frank_wolfe(
    links: Links, zone_nodes: np.ndarray, demand: np.ndarray, rgap: float, max_iter: int
) -> tuple[np.ndarray, np.ndarray, float, int]:
    t0, cap = links.t0_s, links.capacity_vph
    x = _all_or_nothing(links, t0, zone_nodes, demand)
    gap, done = np.inf, 0
    while done < max_iter:
        done += 1
        t = bpr(t0, x, cap)
        y = _all_or_nothing(links, t, zone_nodes, demand)
        tx = float(t @ x)
        gap = (tx - float(t @ y)) / tx if tx > 0 else 0.0
        if gap < rgap:
            break
        x = x + _step(t0, cap, x, y - x) * (y - x)
    return x, bpr(t0, x, cap), float(gap), done


def _step(t0: np.ndarray, cap: np.ndarray, x: np.ndarray, d: np.ndarray) -> float:
    """The step λ ∈ [0, 1] minimising Beckmann's objective along ``x + λ d`` (bisection on
    its derivative Σ d · t(x + λ d), which increases with λ)."""
    lo, hi = 0.0, 1.0
    if float(d @ bpr(t0, x + d, cap)) <= 0:
        return 1.0
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        if float(d @ bpr(t0, x + mid * d, cap)) > 0:
            hi = mid
        else:
            lo = mid
    return 0.5 * (lo + hi)


def _aequilibrae(
    links: Links, zone_nodes: np.ndarray, demand: np.ndarray, rgap: float, max_iter: int
) -> tuple[np.ndarray, np.ndarray, float, int]:
    """Bi-conjugate Frank–Wolfe by AequilibraE on an in-memory graph (node ids are our
    indices + 1; AequilibraE wants positive ids)."""
    os.environ.setdefault("AEQ_SHOW_PROGRESS", "0")  # its tqdm bars: off unless asked for
    logging.getLogger("aequilibrae").setLevel(logging.ERROR)
    from aequilibrae.matrix import AequilibraeMatrix  # noqa: PLC0415 — optional extra
    from aequilibrae.paths import Graph, TrafficAssignment, TrafficClass  # noqa: PLC0415

    with warnings.catch_warnings():  # its pandas deprecations are not ours to show
        warnings.simplefilter("ignore")
        return _aequilibrae_run(
            Graph,
            TrafficAssignment,
            TrafficClass,
            AequilibraeMatrix,
            links,
            zone_nodes,
            demand,
            rgap,
            max_iter,
        )


def _aequilibrae_run(
    Graph: Any,  # noqa: N803 — the classes, imported lazily by the caller
    TrafficAssignment: Any,  # noqa: N803
    TrafficClass: Any,  # noqa: N803
    AequilibraeMatrix: Any,  # noqa: N803
    links: Links,
    zone_nodes: np.ndarray,
    demand: np.ndarray,
    rgap: float,
    max_iter: int,
) -> tuple[np.ndarray, np.ndarray, float, int]:
    import pandas as pd  # noqa: PLC0415 — only with the optional solver

    logging.getLogger("aequilibrae").setLevel(logging.ERROR)
    n_links = len(links.a)
    net = pd.DataFrame(
        {
            "link_id": np.arange(1, n_links + 1),
            "a_node": links.a.astype(np.int64) + 1,
            "b_node": links.b.astype(np.int64) + 1,
            "direction": np.ones(n_links, np.int64),
            "distance": links.t0_s,
            "free_flow_time": links.t0_s,
            "capacity": links.capacity_vph,
        }
    )
    centroids = np.asarray(zone_nodes, np.int64) + 1
    g = Graph()
    g.network = net
    g.prepare_graph(centroids)
    g.set_graph("free_flow_time")
    g.set_skimming(["free_flow_time"])
    g.set_blocked_centroid_flows(False)
    mat = AequilibraeMatrix()
    mat.create_empty(zones=len(centroids), matrix_names=["demand"], memory_only=True)
    mat.index[:] = centroids
    mat.matrices[:, :, 0] = demand
    mat.computational_view(["demand"])
    tc = TrafficClass("car", g, mat)
    ta = TrafficAssignment()
    ta.set_classes([tc])
    ta.set_vdf("BPR")
    ta.set_vdf_parameters({"alpha": ALPHA, "beta": BETA})
    ta.set_capacity_field("capacity")
    ta.set_time_field("free_flow_time")
    ta.set_algorithm("bfw")
    ta.max_iter = max_iter
    ta.rgap_target = rgap
    ta.execute()
    res = ta.results().reindex(net["link_id"])
    flow = res["PCE_AB"].fillna(0.0).to_numpy(float)
    report = ta.report()
    gap = float(report["rgap"].iloc[-1]) if len(report) else 0.0
    return flow, bpr(links.t0_s, flow, links.capacity_vph), gap, int(len(report))
