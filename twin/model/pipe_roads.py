"""Pipes and roads: where a pipe failure is, which road edges it closes, and where
responders stage.

Geometry helpers over ``city.pipes`` and ``city.road_edges`` (metres, city CRS): pipe
midpoints and the nearest road node to them, the nearest pipe to a point and the point on
it, the road edges over or beside a failure (:func:`edges_near_pipes`, radius by network:
:data:`twin.model.pipes.CLOSURE_RADIUS_M`) and the nearest road node outside the closure
(:func:`staging_nodes`). Service outages (connectivity) are :mod:`twin.model.pipes`.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence

import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike

from twin.model.city import City
from twin.model.pipes import CLOSURE_RADIUS_M

_TREE_CACHE: weakref.WeakKeyDictionary[object, shapely.STRtree] = weakref.WeakKeyDictionary()


def road_tree(city: City) -> shapely.STRtree:
    """STRtree of ``city.road_edges`` geometries (tree index = edge index), cached per City."""
    tree = _TREE_CACHE.get(city)
    if tree is None:
        tree = shapely.STRtree(np.asarray(city.road_edges.geometry.values))
        _TREE_CACHE[city] = tree
    return tree


def edges_near_pipe(city: City, pipe_id: str, radius_m: float | None = None) -> np.ndarray:
    """Road edge indices over or beside a failure of pipe ``pipe_id`` (at its midpoint),
    sorted: see :func:`edges_near_pipes`. Raises ``KeyError`` for an unknown pipe id."""
    rows = np.flatnonzero((city.pipes["pipe_id"] == pipe_id).to_numpy())
    if len(rows) == 0:
        raise KeyError(pipe_id)
    return edges_near_pipes(city, rows[:1], radius_m)[0]


def edges_near_pipes(
    city: City,
    pipe_rows: ArrayLike,
    radius_m: float | np.ndarray | None = None,
    points: np.ndarray | None = None,
) -> list[np.ndarray]:
    """For each failure of ``city.pipes`` row ``pipe_rows[i]`` at ``points[i]`` (metres; default
    the pipe's midpoint): the sorted road edge indices it closes — the pipe's own ``edge_id``
    (if the layer has that column and it names a known edge) plus every edge within
    ``radius_m`` of the failure point (one value, one per failure, or None: the network's
    :data:`CLOSURE_RADIUS_M`).

    The circle is drawn around the failure *point*, not along the whole pipe: a leak is
    isolated "in all directions" from where it is (ERG Guide 115), and a buffer along the
    line would also close every street touching the pipe's two ends, cutting the scene off.
    """
    rows = np.asarray(pipe_rows, np.int64)
    pipes = city.pipes
    if radius_m is None:
        nets = pipes["network"].to_numpy(dtype=object)[rows]
        radius = np.array([CLOSURE_RADIUS_M.get(n, 0.0) for n in nets], float)
    else:
        radius = np.broadcast_to(np.asarray(radius_m, float), rows.shape).copy()
    pts = pipe_midpoints(city, rows) if points is None else np.asarray(points, float).reshape(-1, 2)
    found: list[list[int]] = [[] for _ in rows]
    if len(rows) and len(city.road_edges):
        geoms = shapely.points(pts)
        tree = road_tree(city)
        for r in np.unique(radius):
            sel = np.flatnonzero(radius == r)
            pairs = tree.query(geoms[sel], predicate="dwithin", distance=float(r))
            for i, e in zip(sel[pairs[0]], pairs[1]):
                found[i].append(int(e))
        if "edge_id" in pipes.columns:
            own = pipes["edge_id"].to_numpy(dtype=object)[rows]
            edge_pos = pd.Index(city.road_edges["edge_id"].to_numpy(dtype=object))
            known = edge_pos.get_indexer(pd.Series(own).fillna("").astype(str))
            for i, k in enumerate(known):
                if k >= 0:
                    found[i].append(int(k))
    return [np.unique(np.asarray(f, np.int64)) for f in found]


STAGING_CANDIDATES = 64
"""Nearest road nodes examined when looking for a reachable node outside a closure."""


def staging_nodes(city: City, points: np.ndarray, closed: Sequence[np.ndarray]) -> np.ndarray:
    """Road node index where responders go for each failure at ``points[i]`` whose roads
    ``closed[i]`` are shut: the node nearest the point that still has an open road (an
    edge not in ``closed[i]``) — the edge of the cordon, where crews stage in reality. With
    nothing closed this is simply the nearest node. (A node inside the closed circle would
    be unreachable, and the engine bars closed roads to every unit.)"""
    net = city.roads
    pts = np.asarray(points, float).reshape(-1, 2)
    if len(pts) == 0:
        return np.empty(0, np.int64)
    k = int(min(STAGING_CANDIDATES, net.n_nodes))
    _, cand = net._kdtree.query(pts, k=k)
    cand = np.asarray(cand).reshape(len(pts), k)
    indptr, incident = _node_edges(city)
    out = cand[:, 0].astype(np.int64).copy()
    for i in range(len(pts)):
        shut = np.asarray(closed[i], np.int64)
        if len(shut) == 0:
            continue
        for node in cand[i]:
            edges = incident[indptr[node] : indptr[node + 1]]
            if len(edges) and not np.isin(edges, shut).all():
                out[i] = node
                break
    return out


_NODE_EDGES: weakref.WeakKeyDictionary[object, tuple[np.ndarray, np.ndarray]] = (
    weakref.WeakKeyDictionary()
)


def _node_edges(city: City) -> tuple[np.ndarray, np.ndarray]:
    """CSR of the edges touching each road node: ``incident[indptr[n]:indptr[n+1]]``."""
    got = _NODE_EDGES.get(city)
    if got is None:
        net = city.roads
        k = np.arange(len(net.edge_u))
        nodes = np.concatenate([net.edge_u, net.edge_v])
        edges = np.concatenate([k, k])
        order = np.argsort(nodes, kind="stable")
        indptr = np.concatenate([[0], np.cumsum(np.bincount(nodes, minlength=net.n_nodes))])
        got = (indptr, edges[order])
        _NODE_EDGES[city] = got
    return got


def pipe_midpoints(city: City, pipe_rows: ArrayLike) -> np.ndarray:
    """Midpoints (n × 2, metres) of the given rows of ``city.pipes``."""
    geoms = np.asarray(city.pipes.geometry.values)[np.asarray(pipe_rows, np.int64)]
    if len(geoms) == 0:
        return np.empty((0, 2))
    mids = shapely.line_interpolate_point(geoms, 0.5, normalized=True)
    return shapely.get_coordinates(mids).reshape(-1, 2)


def pipe_nodes(city: City, pipe_rows: ArrayLike) -> np.ndarray:
    """Nearest road-node index (``city.roads``) to the midpoint of each given pipe row (no
    closures considered; see :func:`staging_nodes`)."""
    mids = pipe_midpoints(city, pipe_rows)
    if len(mids) == 0:
        return np.empty(0, np.int64)
    idx, _ = city.roads.snap(mids)
    return idx


def nearest_pipe(
    city: City, network: str, xy: np.ndarray, max_m: float
) -> tuple[int, float] | None:
    """Row of ``city.pipes`` of ``network`` nearest to point ``xy`` (metres) and its distance,
    or None when none lies within ``max_m``. (The failure point on it is
    :func:`point_on_pipe`.)"""
    rows = np.flatnonzero((city.pipes["network"] == network).to_numpy())
    if len(rows) == 0:
        return None
    geoms = np.asarray(city.pipes.geometry.values)[rows]
    d = shapely.distance(geoms, shapely.points(float(xy[0]), float(xy[1])))
    k = int(np.argmin(d))
    if not d[k] <= max_m:
        return None
    return int(rows[k]), float(d[k])


def point_on_pipe(city: City, row: int, xy: np.ndarray) -> np.ndarray:
    """The point of pipe ``row`` nearest to ``xy`` (metres)."""
    geom = np.asarray(city.pipes.geometry.values)[int(row)]
    p = shapely.points(float(xy[0]), float(xy[1]))
    return shapely.get_coordinates(
        shapely.line_interpolate_point(geom, shapely.line_locate_point(geom, p))
    ).reshape(2)
