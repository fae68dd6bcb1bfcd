"""River crossings and tunnels: named bridges at their real sites, generated crossings in
long gaps, tunnels through the ridges."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import shapely.ops
from scipy.spatial import cKDTree
from shapely.geometry import LineString, Point

from twin.build.geo import to_lonlat, to_utm
from twin.build.graph import components
from twin.build.params import (
    BRIDGE_GAP_M,
    BRIDGES,
    MIN_BANK_NODES,
    RIVER_ZH,
    TUNNEL_END_OFFSET,
    TUNNELS,
)
from twin.build.terrain import Ridge, Terrain, shared_boundary


def nearest_on(geom: shapely.Geometry, lon: float, lat: float) -> np.ndarray:
    """Point (m) of geom nearest to lon/lat."""
    p = Point(to_utm(lon, lat))
    return (
        np.array(geom.interpolate(geom.project(p)).coords[0])
        if geom.geom_type == "LineString"
        else np.array(shapely.ops.nearest_points(p, geom)[1].coords[0])
    )


def crossing_pair(
    site: np.ndarray,
    xy: np.ndarray,
    tree: cKDTree,
    comp: np.ndarray,
    ok_a: np.ndarray,
    ok_b: np.ndarray,
    used: set[int],
    crossing_ok: Callable[[LineString], bool],
    radius: float = 1500.0,
) -> tuple[int, int] | None:
    """Best node pair (a, b) to bridge across a river at `site` (m): a in ok_a, b in ok_b
    (masks; pass only nodes of real river banks), in different bank components, unused,
    segment accepted by crossing_ok; minimises
    length + 0.5 * (distance of both ends to the site).  None when there is none."""
    idx = np.array(sorted(tree.query_ball_point(site, radius)), dtype=int)
    if idx.size == 0:
        return None
    idx = idx[~np.isin(idx, list(used))]
    a, b = idx[ok_a[idx]], idx[ok_b[idx]]
    if a.size == 0 or b.size == 0:
        return None
    la = np.linalg.norm(xy[a] - site, axis=1)
    lb = np.linalg.norm(xy[b] - site, axis=1)
    length = np.linalg.norm(xy[a][:, None] - xy[b][None], axis=2)
    score = length + 0.5 * (la[:, None] + lb[None])
    score[comp[a][:, None] == comp[b][None]] = np.inf
    order = np.argsort(score, axis=None, kind="stable")
    for k in order[:60]:
        i, j = np.unravel_index(k, score.shape)
        if not np.isfinite(score[i, j]):
            break
        if crossing_ok(LineString([xy[a[i]], xy[b[j]]])):
            return int(a[i]), int(b[j])
    return None


class BridgeFinder:
    """Finds node pairs for river crossings: different bank components of the street graph,
    one crossing of the (250 m-buffered) river, < 1.8 km, clear of the ridge bands."""

    def __init__(
        self,
        xy: np.ndarray,
        node_d: np.ndarray,
        e: np.ndarray,
        barrier: shapely.Geometry,
        ridges: list[Ridge],
    ) -> None:
        self.xy, self.node_d = xy, node_d
        self.comp = components(len(xy), e)
        self.tree = cKDTree(xy)
        self.wide = barrier.buffer(250.0)
        self.no_go = shapely.union_all([r.band.buffer(300.0) for r in ridges])
        shapely.prepare(self.wide)
        shapely.prepare(self.no_go)
        self.bank = np.bincount(self.comp)[self.comp] >= MIN_BANK_NODES  # slivers are left to drop
        self.used: set[int] = set()

    def crossing_ok(self, seg: LineString) -> bool:
        """True when `seg` crosses the river once, is < 1.8 km and avoids the ridges."""
        cut = seg.intersection(self.wide)
        return (
            cut.geom_type == "LineString" and seg.length < 1800 and not self.no_go.intersects(seg)
        )

    def find(self, site: np.ndarray, pair: tuple[str, str] | None = None) -> tuple[int, int] | None:
        """Node pair (a, b) crossing near `site` (m), from district pair[0] to pair[1] if
        given; None when there is none.  Marks the nodes used."""
        ok_a = ok_b = self.bank
        if pair:
            ok_a, ok_b = self.bank & (self.node_d == pair[0]), self.bank & (self.node_d == pair[1])
        ab = crossing_pair(
            site, self.xy, self.tree, self.comp, ok_a, ok_b, self.used, self.crossing_ok
        )
        if ab is not None:
            self.used.update(ab)
        return ab


def add_bridges(
    xy: np.ndarray,
    node_d: np.ndarray,
    e: np.ndarray,
    barrier: shapely.Geometry,
    ne: dict[str, shapely.Geometry],
    ridges: list[Ridge],
    area: shapely.Geometry,
) -> tuple[np.ndarray, list[str], list[str]]:
    """River crossings as named bridges: the BRIDGES (real names) at their sites, snapped to
    the river boundary of the named district pair, then generated ones ("长江过江通道N /
    Yangtze crossing N") wherever consecutive crossings along a river are more than
    BRIDGE_GAP_M apart.  Returns (edges (k, 2), names, classes)."""
    finder = BridgeFinder(xy, node_d, e, barrier, ridges)
    out, names, classes = [], [], []
    chain: dict[str, list[float]] = {"Jialing": [], "Yangtze": []}
    for zh, en, river, lon, lat, pair, klass in BRIDGES:
        geom = shared_boundary(*[area[d] for d in pair]) if pair else barrier
        ab = finder.find(nearest_on(geom, lon, lat), pair)
        if ab is None:
            print(f"  bridge {en}: no crossing found near {lon}, {lat}")
            continue
        out.append(ab)
        names.append(f"{zh} / {en}")
        classes.append(klass)
        chain[river].append(ne[river].project(Point((xy[ab[0]] + xy[ab[1]]) / 2)))
    for river in ("Jialing", "Yangtze"):
        k = 0
        for s in gap_sites(sorted(chain[river]), ne[river], area["core"]):
            site = nearest_on(
                barrier, *to_lonlat(np.array([ne[river].interpolate(s).coords[0]]))[0]
            )
            ab = finder.find(site)
            if ab is not None:
                k += 1
                out.append(ab)
                names.append(f"{RIVER_ZH[river]}过江通道{k} / {river} crossing {k}")
                classes.append("arterial")
    return np.array(out, dtype=int), names, classes


def gap_sites(chain: list[float], line: shapely.Geometry, core: shapely.Geometry) -> list[float]:
    """Chainages (m) along a river line, inside the core area, that fill gaps longer than
    BRIDGE_GAP_M between existing crossings (and the ends of the river inside the core)."""
    s = np.arange(0.0, line.length, 500.0)
    inside = shapely.contains_xy(
        core.buffer(-500.0), *np.array([line.interpolate(v).coords[0] for v in s]).T
    )
    if not inside.any():
        return []
    lo, hi = s[inside].min(), s[inside].max()
    stops = [lo - BRIDGE_GAP_M / 2, *chain, hi + BRIDGE_GAP_M / 2]
    out = []
    for a, b in zip(stops[:-1], stops[1:]):
        n = int((b - a) // BRIDGE_GAP_M)
        for i in range(1, n + 1):
            v = a + (b - a) * i / (n + 1)
            if lo <= v <= hi and shapely.contains_xy(core, *line.interpolate(v).coords[0]):
                out.append(v)
    return out


def add_tunnels(
    xy: np.ndarray, ridges: list[Ridge], terrain: Terrain, used: set[int]
) -> tuple[np.ndarray, list[str]]:
    """Straight tunnels through the ridge crests at the TUNNELS sites: the node nearest to
    each portal point (TUNNEL_END_OFFSET half-widths either side of the crest, outside the
    crest band).  Returns (edges (k, 2), names)."""
    tree = cKDTree(xy)
    out, names = [], []
    for zh, en, ri, lon, lat in TUNNELS:
        ridge = ridges[ri]
        s = ridge.line.project(Point(to_utm(lon, lat)))
        p0, p1 = (
            np.array(ridge.line.interpolate(s - 50).coords[0]),
            np.array(ridge.line.interpolate(s + 50).coords[0]),
        )
        site = (p0 + p1) / 2
        t = (p1 - p0) / np.linalg.norm(p1 - p0)
        nrm = np.array([t[1], -t[0]])
        ends = []
        for sign in (-1, 1):
            target = site + sign * nrm * TUNNEL_END_OFFSET * ridge.half_width
            cand = np.array(sorted(tree.query_ball_point(target, 1500.0)), dtype=int)
            cand = cand[~np.isin(cand, list(used))]
            if cand.size:
                dc = shapely.distance(shapely.points(xy[cand]), ridge.line)
                cand = cand[dc > 1.4 * ridge.half_width]
            if cand.size == 0:
                break
            ends.append(int(cand[np.argmin(np.linalg.norm(xy[cand] - target, axis=1))]))
        if len(ends) < 2 or terrain.crosses_river(np.array([LineString(xy[ends])]))[0]:
            print(f"  tunnel {en}: no portals found")
            continue
        used.update(ends)
        out.append(ends)
        names.append(f"{zh} / {en}")
    return np.array(out, dtype=int), names
