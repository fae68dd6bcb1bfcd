"""Road hierarchy: arterials and expressways promoted along the shortest paths between
centres and over the bridges."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import Delaunay, cKDTree

from twin.build.geo import to_utm
from twin.build.params import RADIALS, RING


def travel_cost(
    length: np.ndarray, klass: np.ndarray, tunnel: np.ndarray, bridge: np.ndarray
) -> np.ndarray:
    """Routing cost (s) for choosing the hierarchy: free-flow time with mountain roads at
    an effective 10 km/h (steep, winding), bridges 50, tunnels 80, arterials 50,
    expressways 80, local 30 km/h."""
    v = np.select(
        [tunnel, klass == "expressway", (klass == "arterial") | bridge, klass == "mountain"],
        [80.0, 80.0, 50.0, 10.0],
        30.0,
    )
    return length / (v / 3.6)


def path_edges(pred: np.ndarray, target: int, eidx: dict) -> list[int]:
    """Edge indices on the shortest-path tree `pred` from its source to `target`."""
    out = []
    while pred[target] >= 0:
        p = pred[target]
        out.append(eidx[(min(p, target), max(p, target))])
        target = p
    return out


def graph(n: int, e: np.ndarray, cost: np.ndarray) -> Any:
    """Symmetric sparse graph (csr) of edges e with weights cost."""
    return coo_matrix(
        (np.r_[cost, cost], (np.r_[e[:, 0], e[:, 1]], np.r_[e[:, 1], e[:, 0]])), shape=(n, n)
    ).tocsr()


def edge_index(e: np.ndarray, length: np.ndarray) -> dict:
    """(i, j) with i < j -> index of the shortest edge between them."""
    out = {}
    for k in np.argsort(-length, kind="stable"):
        out[(int(min(e[k])), int(max(e[k])))] = int(k)
    return out


CLASS_RANK = {"local": 0, "arterial": 1, "expressway": 2}


def promote(klass: np.ndarray, mask: np.ndarray, new: str) -> np.ndarray:
    """Raise klass to `new` where mask; never demotes and never touches mountain roads.
    Returns a new array."""
    k = klass.copy()
    rank = np.array([CLASS_RANK.get(c, 99) for c in klass])
    k[mask & (rank < CLASS_RANK[new])] = new
    return k


def hierarchy(
    xy: np.ndarray,
    e: np.ndarray,
    length: np.ndarray,
    klass: np.ndarray,
    tunnel: np.ndarray,
    bridge: np.ndarray,
    bridge_pairs: Any,
    bridge_names: Any,
    centres: np.ndarray,
) -> np.ndarray:
    """Road classes: arterials on shortest paths between neighbouring (Delaunay) centres,
    then the inner-ring expressway through RING waypoints and the RADIALS."""
    n = len(xy)
    eidx = edge_index(e, length)
    tree = cKDTree(xy)
    cnode = np.unique(tree.query(centres)[1])
    tri = Delaunay(xy[cnode]).simplices
    pairs = np.unique(
        np.sort(np.concatenate([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [0, 2]]]), axis=1), axis=0
    )
    pairs = pairs[np.linalg.norm(xy[cnode[pairs[:, 0]]] - xy[cnode[pairs[:, 1]]], axis=1) < 25000]
    g = graph(n, e, travel_cost(length, klass, tunnel, bridge))
    _, pred = dijkstra(g, indices=cnode, return_predecessors=True)
    art = np.zeros(len(e), bool)
    for a, b in pairs:
        art[path_edges(pred[a], cnode[b], eidx)] = True
    klass = promote(klass, art, "arterial")
    g = graph(n, e, travel_cost(length, klass, tunnel, bridge))
    way: list[int] = []
    by_en = {nm.split(" / ")[1]: k for k, nm in enumerate(bridge_names)}
    for w in RING:
        if isinstance(w, str):
            way.extend(int(k) for k in bridge_pairs[by_en[w]])
        else:
            way.append(int(tree.query(to_utm(*w))[1]))
    way.append(way[0])
    exp = np.zeros(len(e), bool)
    for a, b in zip(way[:-1], way[1:]):
        _, pred = dijkstra(g, indices=b, return_predecessors=True)
        exp[path_edges(pred, a, eidx)] = True
    for src, dst in RADIALS:
        a, b = (int(tree.query(to_utm(*p))[1]) for p in (src, dst))
        _, pred = dijkstra(g, indices=b, return_predecessors=True)
        exp[path_edges(pred, a, eidx)] = True
    return promote(klass, exp, "expressway")
