"""Traffic zones: the city's people gathered into a few hundred zones, each loaded onto the
road network at one node (its centroid connector).

The 1 km population cells (``cells`` layer) are merged, within each district (districts
follow Chongqing's rivers: a zone never straddles one), into squares of :data:`ZONE_SIZE_M`
(6 km: about two hundred zones for the embedded twin; 4 km gave 395, 8 km 112). A city without cells
spreads each district's population evenly over the district's road nodes first. Each zone
is loaded at the road node nearest its population-weighted centre, on the largest
connected part of the road graph (so every zone can reach every other) and not at a bridge
or tunnel end; zones that snap to the same node are one zone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from twin.model.city import City

ZONE_SIZE_M = 6000.0
"""Side of a zone's square (m). Assumption: a few hundred zones for the embedded twin."""


@dataclass(frozen=True)
class Zones:
    """Zone ``i`` holds ``population[i]`` people and is loaded at road node ``node[i]``
    (index into :class:`twin.model.roads.RoadNetwork`); ``xy`` its centre (m)."""

    node: np.ndarray
    population: np.ndarray
    xy: np.ndarray

    def __len__(self) -> int:
        return len(self.node)


def people_points(city: City) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where people live: cell centroids (m), populations and district ids; without cells,
    road nodes with their district's population shared evenly."""
    cells = city.cells
    if len(cells) and float(cells["population"].sum()) > 0:
        c = cells.geometry.centroid
        did = cells["district_id"].astype(str).to_numpy(object)
        return np.column_stack([c.x, c.y]), cells["population"].to_numpy(float), did
    nodes = city.road_nodes
    pop = dict(zip(city.districts["district_id"].astype(str), city.districts["population"]))
    d = nodes["district_id"].astype(str)
    share = d.map(pop).fillna(0.0).to_numpy(float) / d.map(d.value_counts()).to_numpy(float)
    return city.roads.xy, share, d.to_numpy(object)


def build_zones(city: City, size_m: float | None = None) -> Zones:
    """The city's traffic zones (see the module docstring); ``size_m`` None:
    :data:`ZONE_SIZE_M`."""
    size_m = ZONE_SIZE_M if size_m is None else size_m
    xy, pop, did = people_points(city)
    keep = pop > 0
    xy, pop, did = xy[keep], pop[keep], did[keep]
    if len(pop) == 0:
        return Zones(np.empty(0, np.int64), np.empty(0), np.empty((0, 2)))
    _, dcode = np.unique(did.astype(str), return_inverse=True)
    key = np.column_stack([dcode.ravel(), np.floor(xy / size_m).astype(np.int64)])
    _, inv = np.unique(key, axis=0, return_inverse=True)
    inv = inv.ravel()
    total = np.bincount(inv, weights=pop)
    cx = np.bincount(inv, weights=pop * xy[:, 0]) / total
    cy = np.bincount(inv, weights=pop * xy[:, 1]) / total
    node = _snap_connected(city, np.column_stack([cx, cy]))
    nodes, inv2 = np.unique(node, return_inverse=True)
    people = np.bincount(inv2, weights=total)
    centre = city.roads.xy[nodes]
    return Zones(nodes.astype(np.int64), people, centre)


def _snap_connected(city: City, xy: np.ndarray) -> np.ndarray:
    """Nearest road node to each point among the nodes of the largest (weakly) connected
    part of the road graph that are no end of a bridge or tunnel (a zone loaded at a
    bridgehead would put its trips on the bridge; measured on the embedded twin: 2 of 170
    zones of 8 km were)."""
    net = city.roads
    m = net.matrix(net.edge_time_s)
    _, label = connected_components(m, directed=True, connection="weak")
    largest = label == np.bincount(label).argmax()
    crossing = city.road_edges["bridge"].to_numpy(bool) | city.road_edges["tunnel"].to_numpy(bool)
    ok = largest.copy()
    ok[net.edge_u[crossing]] = False
    ok[net.edge_v[crossing]] = False
    main = np.flatnonzero(ok if ok.any() else largest)
    _, k = cKDTree(net.xy[main]).query(xy)
    return main[np.asarray(k, np.int64)]
