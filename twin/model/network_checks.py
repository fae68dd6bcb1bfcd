"""City checks across layers: road edges join road nodes, pipes join junctions of their
network, the road graph is one piece, stations and pipes lie near roads."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from twin.errors import ProblemList
from twin.model.check_text import (
    SHOW_EXAMPLES,
    are,
    count_of,
    feature_ids,
    fmt_m,
    has_columns,
    have,
    isin,
    usable_points,
    xy_of,
)

MAX_SNAP_M = 500.0
"""A station (or a user-placed incident) must lie within this many metres of a road node."""


def validate_points_near_roads(
    points_xy: np.ndarray,
    ids: Sequence[object] | np.ndarray,
    nodes_xy: np.ndarray,
    where: str,
    max_m: float = MAX_SNAP_M,
    what: str = "points",
) -> ProblemList:
    """Problems for points farther than ``max_m`` metres from every road node.

    ``points_xy`` (n × 2) and ``nodes_xy`` (m × 2) must be in the same metric CRS (metres);
    ``ids`` names the points; ``what`` says what they are ("stations", "incidents"), for
    the message. Returns a (possibly empty) :class:`ProblemList`; call ``raise_if_any``.
    """
    problems = ProblemList()
    pts = np.asarray(points_xy, float).reshape(-1, 2)
    if len(pts) == 0:
        return problems
    nodes = np.asarray(nodes_xy, float).reshape(-1, 2)
    if len(nodes) == 0:
        problems.add(
            where,
            f"{len(pts)} {what} cannot be placed: there are no road nodes",
            "load a city with roads",
            ids,
        )
        return problems
    nodes = nodes[np.isfinite(nodes).all(axis=1)]
    dist = np.full(len(pts), np.nan)
    finite = np.isfinite(pts).all(axis=1)
    if len(nodes) and finite.any():
        dist[finite] = cKDTree(nodes).query(pts[finite])[0]
    far = np.flatnonzero(~(dist <= max_m))  # NaN coordinates count as far
    if len(far):
        far = far[np.argsort(-np.nan_to_num(dist[far], nan=np.inf))]
        shown = "; ".join(f"{ids[int(i)]}: {fmt_m(dist[i])}" for i in far[:SHOW_EXAMPLES])
        problems.add(
            where,
            f"{len(far)} of the {len(pts)} {what} {are(len(far))} farther than {max_m:.0f} m from any road "
            f"node (nearest road node: {shown})",
            "move them onto the road network, or check their coordinates and CRS "
            "(a lon/lat point in the wrong CRS lands far away)",
            [ids[int(i)] for i in far],
        )
    return problems


def road_components(
    node_ids: Sequence[object], u: Sequence[object], v: Sequence[object]
) -> np.ndarray:
    """Weakly connected component label of every node (edges whose ends are unknown are
    ignored); labels are numbered from 0 by decreasing component size."""
    codes, uniques = pd.factorize(np.asarray(node_ids, dtype=object))  # duplicates: one node
    index = pd.Index(uniques)
    ui, vi = (
        index.get_indexer(np.asarray(u, dtype=object)),
        index.get_indexer(np.asarray(v, dtype=object)),
    )
    ok = (ui >= 0) & (vi >= 0)
    n = len(index)
    adj = sp.coo_matrix((np.ones(ok.sum(), np.int8), (ui[ok], vi[ok])), shape=(n, n))
    _, labels = connected_components(adj, directed=False)
    labels = labels[codes]
    sizes = np.bincount(labels)
    rank = np.empty_like(sizes)
    rank[np.argsort(-sizes, kind="stable")] = np.arange(len(sizes))
    return rank[labels]


def check_edge_endpoints(layers: dict[str, gpd.GeoDataFrame], problems: ProblemList) -> None:
    edges, nodes = layers.get("road_edges"), layers.get("road_nodes")
    if not has_columns(edges, "u", "v") or not has_columns(nodes, "node_id"):
        return
    known = nodes["node_id"].astype(str)
    _report_dangling(
        "road_edges",
        feature_ids("road_edges", edges),
        edges["u"].astype(str),
        edges["v"].astype(str),
        lambda s: isin(s, known),
        "road node_id",
        "add the missing road nodes, or fix u/v to name existing node_ids",
        problems,
    )


def check_pipe_endpoints(layers: dict[str, gpd.GeoDataFrame], problems: ProblemList) -> None:
    pipes, junctions = layers.get("pipes"), layers.get("junctions")
    if not has_columns(pipes, "u", "v", "network"):
        return
    if not has_columns(junctions, "junction_id", "network"):
        junctions = pd.DataFrame({"junction_id": [], "network": []})
    known = junctions["network"].astype(str) + "\x00" + junctions["junction_id"].astype(str)
    net = pipes["network"].astype(str) + "\x00"
    _report_dangling(
        "pipes",
        feature_ids("pipes", pipes),
        pipes["u"].astype(str),
        pipes["v"].astype(str),
        lambda s: isin(net + s, known),
        "junction_id of the pipe's own network",
        "add the missing junctions (with the pipe's network), or fix u/v",
        problems,
    )


def _report_dangling(
    name: str,
    ids: np.ndarray,
    u: pd.Series,
    v: pd.Series,
    is_known: Callable[[pd.Series], np.ndarray],
    target: str,
    fix: str,
    problems: ProblemList,
) -> None:
    bad_u, bad_v = ~is_known(u), ~is_known(v)
    bad = bad_u | bad_v
    if not bad.any():
        return
    shown = "; ".join(
        f"{ids[i]}: "
        + ", ".join(
            f"{end}={val!r}"
            for end, val, b in (("u", u.iloc[i], bad_u[i]), ("v", v.iloc[i], bad_v[i]))
            if b
        )
        for i in np.flatnonzero(bad)[:SHOW_EXAMPLES]
    )
    problems.add(
        name,
        f"{count_of(int(bad.sum()), 'feature')} {have(int(bad.sum()))} u/v that {are(int(bad.sum()))} not a {target} ({shown})",
        fix,
        ids[bad],
    )


def check_road_connectivity(layers: dict[str, gpd.GeoDataFrame], problems: ProblemList) -> None:
    edges, nodes = layers.get("road_edges"), layers.get("road_nodes")
    if not has_columns(edges, "u", "v") or not has_columns(nodes, "node_id"):
        return
    if len(nodes) < 2:
        return
    node_ids = nodes["node_id"].astype(str).to_numpy(dtype=object)
    labels = road_components(node_ids, edges["u"].astype(str), edges["v"].astype(str))
    sizes = np.bincount(labels)
    if len(sizes) < 2:
        return
    small = range(1, min(len(sizes), 1 + SHOW_EXAMPLES))
    examples = {k: node_ids[labels == k][:3] for k in small}
    shown = "; ".join(
        f"part {k + 1}: {sizes[k]} node{'s' if sizes[k] > 1 else ''} ({', '.join(map(str, ex))})"
        for k, ex in examples.items()
    )
    size_list = ", ".join(map(str, sizes[:10])) + (", …" if len(sizes) > 10 else "")
    problems.add(
        "road_nodes",
        f"the road graph falls into {len(sizes)} separate parts "
        f"(sizes {size_list}; the largest has {sizes[0]} of {len(node_ids)} nodes); "
        f"no unit can drive between them: {shown}",
        "connect them (add the missing road edges) or drop them, keeping the largest "
        "part (twin import ... --largest-component does this)",
        [i for ex in examples.values() for i in ex],
    )


def check_stations_near_roads(layers: dict[str, gpd.GeoDataFrame], problems: ProblemList) -> None:
    stations, nodes = layers.get("stations"), layers.get("road_nodes")
    if stations is None or stations.empty or stations.crs is None:
        return
    if nodes is None or nodes.crs is None:
        return
    st, nd = usable_points(stations), usable_points(nodes)
    if st is None or nd is None or len(st) == 0:
        return
    try:
        metric = stations.set_geometry(st).estimate_utm_crs()
        st_xy = xy_of(st.to_crs(metric))
        nd_xy = xy_of(nd.to_crs(metric))
    except (ValueError, RuntimeError, pyproj.exceptions.CRSError):
        return  # impossible coordinates: reported by _check_crs
    nd_xy = nd_xy[np.isfinite(nd_xy).all(axis=1)]
    problems.extend(
        validate_points_near_roads(
            st_xy, feature_ids("stations", stations), nd_xy, "stations", MAX_SNAP_M, "stations"
        )
    )


MAX_PIPE_FROM_ROAD_M = 2000.0
"""A pipe whose nearer end is farther than this from every road node is reported: pipes lie
under or beside streets (on the embedded twin every pipe end is at a road node; a long
road's nodes can be a kilometre or two apart), so kilometres away means a wrong CRS or
offset."""


def check_pipes_near_roads(layers: dict[str, gpd.GeoDataFrame], problems: ProblemList) -> None:
    """Pipes whose both ends lie farther than :data:`MAX_PIPE_FROM_ROAD_M` from every road
    node (distances in local metres around the city, :func:`_local_metres`)."""
    pipes, nodes = layers.get("pipes"), layers.get("road_nodes")
    if pipes is None or pipes.empty or pipes.crs is None or nodes is None or nodes.crs is None:
        return
    geoms = np.asarray(pipes.geometry.array, dtype=object)
    ok = (shapely.get_type_id(geoms) == 1) & ~shapely.is_empty(geoms)  # LineStrings
    node_geoms = np.asarray(nodes.geometry.array, dtype=object)
    node_ok = (shapely.get_type_id(node_geoms) == 0) & ~shapely.is_empty(node_geoms)  # Points
    if not ok.any() or not node_ok.any():
        return
    coords, index = shapely.get_coordinates(geoms[ok], return_index=True)
    first = np.r_[0, np.flatnonzero(np.diff(index)) + 1]  # each line's first vertex
    last = np.r_[first[1:] - 1, len(index) - 1]  # and its last
    try:  # only the end points and the nodes are put in metres (whole lines cost seconds)
        lonlat_ends = _lonlat(coords[np.r_[first, last]], pipes.crs)
        lonlat_nodes = _lonlat(shapely.get_coordinates(node_geoms[node_ok]), nodes.crs)
    except (ValueError, RuntimeError, pyproj.exceptions.CRSError):
        return  # impossible coordinates: reported by check_crs
    lat0 = float(np.nanmedian(lonlat_nodes[:, 1])) if len(lonlat_nodes) else 0.0
    xy_ends = _local_metres(lonlat_ends, lat0)
    ends = [xy_ends[: len(first)], xy_ends[len(first) :]]
    nd_xy = _local_metres(lonlat_nodes, lat0)
    nd_xy = nd_xy[np.isfinite(nd_xy).all(axis=1)]
    if len(nd_xy) == 0:
        return
    tree = cKDTree(nd_xy)
    dist = np.minimum(tree.query(ends[0])[0], tree.query(ends[1])[0])
    far = dist > MAX_PIPE_FROM_ROAD_M
    if far.any():
        ids = feature_ids("pipes", pipes)[ok]
        order = np.flatnonzero(far)[np.argsort(-dist[far])]
        shown = "; ".join(f"{ids[i]}: {fmt_m(dist[i])}" for i in order[:SHOW_EXAMPLES])
        n = int(far.sum())
        problems.add(
            "pipes",
            f"{count_of(n, 'pipe')} of {len(ids)} {are(n)} farther than "
            f"{MAX_PIPE_FROM_ROAD_M / 1000:g} km from every road node (nearer end: "
            f"{shown})",
            "check the pipes' coordinates and CRS (a network in another "
            "CRS or offset lands far away), or import the roads that serve them",
            ids[order],
        )


def _lonlat(xy: np.ndarray, crs: object) -> np.ndarray:
    """Points ``xy`` (n × 2) in ``crs`` as WGS84 lon/lat degrees."""
    if pyproj.CRS(crs).is_geographic:
        return xy
    to_wgs = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    lon, lat = to_wgs.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([lon, lat])


METRES_PER_DEGREE = 111_195.0
"""Metres per degree of a great circle (mean Earth radius 6 371 km)."""


def _local_metres(lonlat: np.ndarray, lat0: float) -> np.ndarray:
    """Equirectangular x, y (m) around latitude ``lat0``: within 1 % of true distances over
    a city-sized area, plenty for a check in kilometres."""
    scale_x = METRES_PER_DEGREE * np.cos(np.radians(lat0))
    return np.column_stack([lonlat[:, 0] * scale_x, lonlat[:, 1] * METRES_PER_DEGREE])
