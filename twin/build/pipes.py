"""Water, gas and drainage networks under the roads: shortest-path trees from the sources,
pruned to populated nodes, with diameters, ages, materials and sensors."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from twin.build.geo import to_utm
from twin.build.hierarchy import edge_index
from twin.build.params import OLD_CORES
from twin.build.roads import Roads


def shortest_tree(
    n: int, e: np.ndarray, cost_fwd: np.ndarray, cost_bwd: np.ndarray, sources: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Multi-source shortest-path tree over directed costs (cost_fwd for e[:,0]->e[:,1]);
    returns (dist, pred) with pred = -9999 for sources and unreachable nodes."""
    g = coo_matrix(
        (np.r_[cost_fwd, cost_bwd], (np.r_[e[:, 0], e[:, 1]], np.r_[e[:, 1], e[:, 0]])),
        shape=(n, n),
    ).tocsr()
    dist, pred, _ = dijkstra(g, indices=sources, min_only=True, return_predecessors=True)
    return dist, pred


def prune_tree(
    dist: np.ndarray, pred: np.ndarray, wanted: np.ndarray, weight: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Keep the tree nodes whose subtree holds a wanted node; return (keep mask, served),
    served = sum of `weight` over wanted nodes in each subtree (persons)."""
    keep = wanted & np.isfinite(dist)
    served = np.where(keep, weight, 0.0)
    for i in np.argsort(-np.where(np.isfinite(dist), dist, -1), kind="stable"):
        if not np.isfinite(dist[i]):
            break
        p = pred[i]
        if keep[i] and p >= 0:
            keep[p] = True
            served[p] += served[i]
    return keep, served


STD_DN = {
    "water": (100, 150, 200, 250, 300, 400, 500, 600, 800, 1000, 1200),
    "gas": (100, 150, 200, 250, 300, 400, 500, 600, 700),
    "drainage": (300, 400, 500, 600, 800, 1000, 1200, 1500, 1800, 2000, 2400, 3000),
}
DN_COEF = {"water": 75.0, "gas": 60.0, "drainage": 150.0}  # mm at 1,000 persons served


def diameters(network: str, served: np.ndarray) -> np.ndarray:
    """Nominal diameter (mm): DN_COEF * sqrt(persons served / 1000), rounded up to the
    network's standard sizes (capped at the largest)."""
    raw = DN_COEF[network] * np.sqrt(np.maximum(served, 1.0) / 1000.0)
    std = np.array(STD_DN[network], float)
    return std[np.minimum(np.searchsorted(std, raw), len(std) - 1)]


def install_years(xy: np.ndarray, network: str, rng: np.random.Generator) -> np.ndarray:
    """Install year: mean 1972 in the old cores rising to ~2010 15+ km out
    (1972 + 38 * (1 - exp(-d / 6 km))), drainage 3 years older, gas 5 younger,
    normal noise sd 8 years, clipped to 1960-2023."""
    old = to_utm(*np.array(OLD_CORES).T)
    d = cKDTree(old).query(xy)[0]
    mean = (
        1972.0
        + 38.0 * (1.0 - np.exp(-d / 6000.0))
        + {"water": 0.0, "gas": 5.0, "drainage": -3.0}[network]
    )
    return np.clip(np.round(mean + rng.normal(0.0, 8.0, len(xy))), 1960, 2023).astype(int)


def materials(
    network: str, year: np.ndarray, dn: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Pipe material from era and size (see README for the rules)."""
    u = rng.random(len(year))
    if network == "water":
        old = np.where((dn >= 800) | (u < 0.15), "steel", "cast iron")
        mid = np.where(
            (dn >= 600) & (u < 0.5), "steel", np.where(u < 0.9, "ductile iron", "cast iron")
        )
        new = np.where(
            dn <= 300,
            np.where(u < 0.7, "PE", "ductile iron"),
            np.where(u < 0.8, "ductile iron", "steel"),
        )
        return np.where(year < 1980, old, np.where(year < 2000, mid, new))
    if network == "gas":
        small = np.where(
            year < 1990, "cast iron", np.where((year >= 2005) & (u < 0.85), "PE", "steel")
        )
        return np.where(dn <= 300, small, "steel")
    return np.where(
        (year < 1980) & (dn >= 800),
        "brick",
        np.where((year >= 2005) & (dn <= 600) & (u < 0.8), "HDPE", "concrete"),
    )


def monitored(
    length: np.ndarray, dn: np.ndarray, year: np.ndarray, share: float, rng: np.random.Generator
) -> np.ndarray:
    """Mark the pipes with the highest score (z(diameter) + z(age) + noise) until `share`
    of the total length is monitored."""

    def z(a: np.ndarray) -> np.ndarray:
        return (a - a.mean()) / (a.std() + 1e-9)

    score = z(np.log(dn)) + z(-year.astype(float)) + rng.normal(0.0, 0.7, len(dn))
    order = np.argsort(-score, kind="stable")
    cum = np.cumsum(length[order])
    out = np.zeros(len(dn), bool)
    out[order[: np.searchsorted(cum, share * length.sum()) + 1]] = True
    return out


PIPE_RULES = {  # network: (min persons/km^2 to be served, monitored length share, prefix)
    "water": (1000.0, 0.10, "w"),
    "gas": (2000.0, 0.15, "g"),
    "drainage": (2000.0, 0.05, "d"),
}


def tree_costs(
    network: str, roads: Roads, wanted: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edges a network may use and their search costs (m): length, x3 where neither end is
    populated; drainage avoids bridges and tunnels, and (searching upstream from the
    outfalls) pays 30 m per metre that water would have to run uphill.
    Returns (edge indices, forward cost, backward cost)."""
    e, L = roads.e, roads.length
    ok = (
        np.flatnonzero(~(roads.bridge | roads.tunnel))
        if network == "drainage"
        else np.arange(len(e))
    )
    eo = e[ok]
    base = L[ok] * np.where(wanted[eo[:, 0]] | wanted[eo[:, 1]], 1.0, 3.0)
    if network != "drainage":
        return ok, base, base
    z = roads.elevation
    return (
        ok,
        base + 30.0 * np.maximum(0.0, z[eo[:, 0]] - z[eo[:, 1]]),
        base + 30.0 * np.maximum(0.0, z[eo[:, 1]] - z[eo[:, 0]]),
    )


def water_loops(
    roads: Roads,
    keep: np.ndarray,
    tree_edges: np.ndarray,
    child: np.ndarray,
    dn: np.ndarray,
    rng: np.random.Generator,
    share: float = 0.10,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Extra water pipes closing loops: `share` x tree size road edges between served nodes
    that are not tree edges; diameter = the smaller of the two ends' feeding pipes.
    Returns (u, v, edge indices, diameters)."""
    e = roads.e
    taken = np.zeros(len(e), bool)
    taken[tree_edges] = True
    cand = np.flatnonzero(keep[e[:, 0]] & keep[e[:, 1]] & ~taken)
    extra = np.sort(
        rng.choice(cand, size=min(len(cand), round(share * len(tree_edges))), replace=False)
    )
    feed = np.full(len(roads.xy), 100.0)
    feed[child] = dn
    return e[extra, 0], e[extra, 1], extra, np.minimum(feed[e[extra, 0]], feed[e[extra, 1]])


def pipe_network(
    network: str,
    roads: Roads,
    persons: np.ndarray,
    rho: np.ndarray,
    sources: np.ndarray,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One pipe network under the roads: the shortest-path tree (tree_costs) from `sources`
    (node indices), pruned to branches that reach populated nodes (rho >= the
    PIPE_RULES threshold, persons/km^2), plus ~10% loop pipes for water.  Pipes run u -> v
    in the flow direction (from the source; for drainage toward the outfall).
    Returns (pipes, junctions) DataFrames; geometry is added by the writer."""
    thr, share, pre = PIPE_RULES[network]
    wanted = rho >= thr
    ok, fwd, bwd = tree_costs(network, roads, wanted)
    dist, pred = shortest_tree(len(roads.xy), roads.e[ok], fwd, bwd, sources)
    keep, served = prune_tree(dist, pred, wanted, persons)
    keep[sources] = True
    child = np.flatnonzero(keep & (pred >= 0))
    parent = pred[child]
    eidx = edge_index(roads.e, roads.length)
    edge = np.array([eidx[(min(a, b), max(a, b))] for a, b in zip(parent, child)], dtype=int)
    dn = diameters(network, served[child])
    u, v = (child, parent) if network == "drainage" else (parent, child)
    if network == "water":
        lu, lv, le, ld = water_loops(roads, keep, edge, child, dn, rng)
        u, v, edge, dn = np.r_[u, lu], np.r_[v, lv], np.r_[edge, le], np.r_[dn, ld]
    order = np.lexsort((v, u))
    return pipe_tables(
        network, roads, keep, sources, u[order], v[order], edge[order], dn[order], rng
    )


def pipe_tables(
    network: str,
    roads: Roads,
    keep: np.ndarray,
    sources: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    edge: np.ndarray,
    dn: np.ndarray,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pipe and junction tables for one network: ids, install year, material, monitoring."""
    thr, share, pre = PIPE_RULES[network]
    year = install_years((roads.xy[u] + roads.xy[v]) / 2, network, rng)
    length = roads.length[edge]
    jn = np.flatnonzero(keep)
    jid = np.full(len(roads.xy), "", dtype=object)
    jid[jn] = [f"{pre}j{i:05d}" for i in range(len(jn))]
    is_src = np.zeros(len(roads.xy), bool)
    is_src[sources] = True
    pipes = pd.DataFrame(
        {
            "pipe_id": [f"{pre}p{i:05d}" for i in range(len(u))],
            "network": network,
            "u": jid[u],
            "v": jid[v],
            "diameter_mm": dn.astype(float),
            "install_year": year.astype("int64"),
            "material": materials(network, year, dn, rng),
            "length_m": np.round(length, 1),
            "monitored": monitored(length, dn, year, share, rng),
            "edge_index": edge,
            "nu": u,
            "nv": v,
        }
    )
    junctions = pd.DataFrame(
        {
            "junction_id": jid[jn],
            "network": network,
            "kind": np.where(is_src[jn], "source", "junction"),
            "elevation_m": np.round(roads.elevation[jn], 1),
            "node": jn,
        }
    )
    return pipes, junctions


def snap_sources(roads: Roads, sites: list[tuple[float, float]], mask: np.ndarray) -> np.ndarray:
    """Index of the node (among `mask`) nearest to each lon/lat site."""
    cand = np.flatnonzero(mask)
    d, k = cKDTree(roads.xy[cand]).query(to_utm(*np.array(sites).T))
    return cand[k]


def outfalls(
    roads: Roads, rho: np.ndarray, river_d: np.ndarray, spacing: float = 1500.0
) -> np.ndarray:
    """Drainage outfalls: populated nodes within 450 m of a river, greedily thinned to
    `spacing` m apart (densest first)."""
    cand = np.flatnonzero((river_d < 450.0) & (rho >= PIPE_RULES["drainage"][0]))
    cand = cand[np.argsort(-rho[cand], kind="stable")]
    chosen = []
    tree = cKDTree(roads.xy[cand])
    taken = np.zeros(len(cand), bool)
    for i in range(len(cand)):
        if taken[i]:
            continue
        chosen.append(cand[i])
        taken[tree.query_ball_point(roads.xy[cand[i]], spacing)] = True
    return np.array(sorted(chosen), dtype=int)
