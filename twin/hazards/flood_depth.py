"""Water depth on waterlogged roads, which roads it closes, and where crews reach flood
calls from.

**Depth.** A waterlogged road node (:func:`twin.hazards.rain.waterlogged_nodes`) holds
water ``d = DEPTH_REF_M × r × (0.5 + 0.5 × lowness)``, where ``r`` = min(excess rain /
drainage capacity, 1) (the storm's strength, the same ratio that sizes the waterlogged
area) and ``lowness`` ∈ [0, 1] ranks the node among its district's waterlogged nodes by
elevation (1 = the lowest). An edge holds the deeper of its two ends; a tunnel or
underpass (the sag where water collects) :data:`UNDERPASS_FACTOR` times that.

**Closures.** An edge closes to road traffic when its water is deeper than
:data:`TRAFFIC_WADING_M`, what ordinary cars can ford; road units route around such edges
like everyone else (the engine's closures are for every road vehicle).

**Access.** A flood call on a waterlogged node is placed at its *access node*: the
nearest road node (straight line) with water no deeper than :data:`TRAFFIC_WADING_M` and
an edge that stays open; ``access_m`` = the straight distance × :data:`ACCESS_CIRCUITY`.
Crews cover that last stretch by vehicle, boat or on foot (:mod:`twin.sim.access`), so a
flood call is reached by the means a real crew would use instead of waiting for the water
to drain.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from twin.model.city import City

DEPTH_REF_M = 0.6
"""Water depth (m) at a district's lowest waterlogged node in a storm of twice the
drainage capacity (assumption, range 0.3–1.0 m: street ponding in urban cloudbursts is
typically tens of centimetres, deeper in sags and underpasses)."""
UNDERPASS_FACTOR = 2.0
"""Tunnels and underpasses collect water: their depth is this many times their ends'
(assumption, range 1.5–3)."""
TRAFFIC_WADING_M = 0.3
"""Depth (m) above which a road closes to traffic (assumption, range 0.2–0.4: about the
sill height of an ordinary car; deeper water stalls engines and floats small cars)."""
ACCESS_CIRCUITY = 1.2
"""Way along flooded streets per metre of straight line (assumption, range 1.0–1.5)."""


def node_depths(city: City, low: np.ndarray, strength: float) -> np.ndarray:
    """Water depth (m) at every road node: 0 off ``low`` (the waterlogged nodes); on them
    as the module docstring says, ``strength`` = min(excess / capacity, 1)."""
    depth = np.zeros(len(low))
    if not low.any() or strength <= 0:
        return depth
    nodes = city.road_nodes
    elev = nodes["elevation_m"].to_numpy(float)[low]
    did = nodes["district_id"].astype(str).to_numpy(dtype=object)[low]
    frame = pd.DataFrame({"d": did, "z": elev})
    g = frame.groupby("d")["z"]
    zmin, zmax = g.transform("min").to_numpy(float), g.transform("max").to_numpy(float)
    span = np.where(zmax > zmin, zmax - zmin, 1.0)
    lowness = np.where(zmax > zmin, (zmax - elev) / span, 1.0)
    depth[low] = DEPTH_REF_M * min(strength, 1.0) * (0.5 + 0.5 * lowness)
    return depth


def edge_depths(city: City, depth: np.ndarray) -> np.ndarray:
    """Water depth (m) on every road edge: the deeper end; tunnels ×
    :data:`UNDERPASS_FACTOR`; bridges dry."""
    net = city.roads
    e = city.road_edges
    d = np.maximum(depth[net.edge_u], depth[net.edge_v])
    d = np.where(e["tunnel"].to_numpy(bool), d * UNDERPASS_FACTOR, d)
    return np.where(e["bridge"].to_numpy(bool), 0.0, d)


def access_points(
    city: City, depth: np.ndarray, closed: np.ndarray, nodes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For flood calls at road ``nodes``: their access nodes and ``access_m`` (m) — the
    node itself and 0 when it is passable (water ≤ :data:`TRAFFIC_WADING_M`, an open
    edge), else the nearest passable node. ``closed``: mask over edges."""
    net = city.roads
    open_e = ~closed
    touch = np.zeros(len(depth), bool)
    touch[net.edge_u[open_e]] = True
    touch[net.edge_v[open_e]] = True
    ok = touch & (depth <= TRAFFIC_WADING_M)
    nodes = np.asarray(nodes, np.int64)
    if len(nodes) == 0 or ok[nodes].all() or not ok.any():
        return nodes, np.zeros(len(nodes))
    cand = np.flatnonzero(ok)
    dist, k = cKDTree(net.xy[cand]).query(net.xy[nodes])
    access = np.where(ok[nodes], nodes, cand[k])
    return access, np.where(ok[nodes], 0.0, dist * ACCESS_CIRCUITY)
