"""Street graph: road nodes sampled from the node intensity, Gabriel-graph streets that do
not cross rivers, components joined, the largest kept."""

from __future__ import annotations

import numpy as np
import shapely.ops
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import Delaunay, cKDTree

from twin.build.params import MAX_EDGE_M, MAX_LINK_M, NAME_EN, PIXEL_M
from twin.build.population import Raster
from twin.build.terrain import Terrain


def sample_nodes(r: Raster, rng: np.random.Generator) -> np.ndarray:
    """Jittered-lattice sample of road nodes (m) with the raster's intensity.

    A pixel expecting E = lam * area nodes gets a jittered m x m lattice with m ~ sqrt(E)
    (randomly rounded), or, when E < 1, one node with probability E."""
    km2 = PIXEL_M * PIXEL_M / 1e6
    e = r.lam * km2
    c = r.centres()
    u = rng.random(e.size)
    msq = np.sqrt(e)
    m = np.where(e < 1, (u < e).astype(int), np.floor(msq).astype(int) + (u < msq - np.floor(msq)))
    out = []
    for k in range(1, int(m.max()) + 1):
        sel = np.flatnonzero(m == k)
        if sel.size == 0:
            continue
        gi, gj = np.meshgrid(np.arange(k), np.arange(k))
        off = (np.stack([gi.ravel(), gj.ravel()], 1) + 0.5) / k - 0.5  # (k*k, 2) in pixel units
        jit = (rng.random((sel.size, k * k, 2)) - 0.5) * (0.75 / k)
        pts = c[sel][:, None, :] + (off[None] + jit) * PIXEL_M
        out.append(pts.reshape(-1, 2))
    return np.concatenate(out)


def assign_districts(xy: np.ndarray, polys: list, ids: tuple) -> np.ndarray:
    """District id of each point (first polygon containing it), '' when outside all."""
    out = np.full(len(xy), "", dtype=object)
    for d, geom in zip(ids, polys):
        free = out == ""
        hit = np.zeros(len(xy), bool)
        hit[free] = shapely.contains_xy(geom, xy[free, 0], xy[free, 1])
        out[hit] = d
    return out


def gabriel_edges(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(Gabriel edges, all Delaunay edges) of the points, each an (m, 2) int array with i < j.

    An edge is Gabriel when no other point lies strictly inside the circle on it as diameter."""
    tri = Delaunay(xy)
    s = tri.simplices
    e = np.concatenate([s[:, [0, 1]], s[:, [1, 2]], s[:, [0, 2]]])
    e = np.unique(np.sort(e, axis=1), axis=0)
    mid = (xy[e[:, 0]] + xy[e[:, 1]]) / 2
    rad = np.linalg.norm(xy[e[:, 0]] - xy[e[:, 1]], axis=1) / 2
    dist, idx = cKDTree(xy).query(mid, k=3)
    other = (idx != e[:, [0]]) & (idx != e[:, [1]])
    blocked = (other & (dist < rad[:, None] * (1 - 1e-9))).any(axis=1)
    return e[~blocked], e


def segments(xy: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Straight LineStrings (m) for edges e (m, 2) over points xy."""
    return shapely.linestrings(np.stack([xy[e[:, 0]], xy[e[:, 1]]], axis=1))


def edge_lengths(xy: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Euclidean length (m) of each edge."""
    return np.linalg.norm(xy[e[:, 0]] - xy[e[:, 1]], axis=1)


def components(n: int, e: np.ndarray) -> np.ndarray:
    """Connected-component label of each of n nodes for undirected edges e."""
    if len(e) == 0:
        return np.arange(n)
    g = coo_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(n, n))
    return connected_components(g, directed=False)[1]


def link_components(n: int, e: np.ndarray, cand: np.ndarray, cand_len: np.ndarray) -> np.ndarray:
    """Kruskal: add the shortest candidate edges that join different components of (n, e)."""
    parent = components(n, e).copy()
    roots = np.arange(parent.max() + 1)

    def find(a: int) -> int:
        while roots[a] != a:
            roots[a] = roots[roots[a]]
            a = roots[a]
        return a

    added = []
    for k in np.argsort(cand_len, kind="stable"):
        a, b = find(parent[cand[k, 0]]), find(parent[cand[k, 1]])
        if a != b:
            roots[max(a, b)] = min(a, b)
            added.append(k)
    return cand[np.array(added, dtype=int)] if added else np.zeros((0, 2), int)


def street_edges(xy: np.ndarray, terrain: Terrain) -> np.ndarray:
    """Street-like edges: Gabriel edges <= MAX_EDGE_M not crossing a river, plus the
    shortest longer Delaunay edges (<= MAX_LINK_M, not crossing) that keep each river
    bank connected."""
    gab, dela = gabriel_edges(xy)
    gab = gab[edge_lengths(xy, gab) <= MAX_EDGE_M]
    keep = gab[~terrain.crosses_river(segments(xy, gab))]
    cand = dela[edge_lengths(xy, dela) <= MAX_LINK_M]
    cand = cand[~terrain.crosses_river(segments(xy, cand))]
    extra = link_components(len(xy), keep, cand, edge_lengths(xy, cand))
    return np.concatenate([keep, extra])


def largest_component(n: int, e: np.ndarray, node_d: np.ndarray) -> np.ndarray:
    """Boolean mask of the nodes in the largest connected component; prints what is dropped."""
    comp = components(n, e)
    sizes = np.bincount(comp)
    keep = comp == np.argmax(sizes)
    dropped = np.flatnonzero(~keep)
    print(
        f"  largest component keeps {keep.sum()} of {n} nodes; drops {dropped.size} nodes in "
        f"{len(sizes) - 1} small components",
        end="",
    )
    if dropped.size:
        ds, cnt = np.unique(node_d[dropped], return_counts=True)
        print(" (" + ", ".join(f"{NAME_EN.get(d, d)} {c}" for d, c in zip(ds, cnt)) + ")")
    else:
        print()
    return keep


def reindex(keep: np.ndarray, *edge_sets: np.ndarray) -> list[np.ndarray]:
    """Renumber node indices in each edge set after dropping nodes not in `keep`; edges
    touching dropped nodes are removed."""
    new = np.cumsum(keep) - 1
    out = []
    for es in edge_sets:
        ok = keep[es[:, 0]] & keep[es[:, 1]] if len(es) else np.zeros(0, bool)
        out.append(new[es[ok]] if len(es) else es)
    return out
