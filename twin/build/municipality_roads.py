"""The municipality twin's road network: a **rule-based synthetic** network (no OpenStreetMap
data for the municipality is available offline). Every rule is stated here and in
``geodata/README.md`` ("The municipality"); lengths in metres, speeds in km/h.

1. **Nodes**: the 38 district seats and one node per grid cell at the cell's representative
   point (:mod:`twin.build.municipality_cells`).
2. **Local roads**: the Gabriel graph of those nodes. Class by the lower population density
   of the two end cells: ≥ :data:`ARTERIAL_DENSITY` → ``arterial``, ≥ :data:`LOCAL_DENSITY`
   → ``local``, else ``mountain``; an edge over one of the three ridges of
   :data:`twin.build.params.RIDGES` is ``mountain``. Edges longer than :data:`MAX_LOCAL_M`
   are dropped unless needed to keep the network connected.
3. **River crossings** (Yangtze, Jialing, Wu; Natural Earth lines): a local edge crossing a
   river is kept as a bridge when it is ``arterial`` (towns have many bridges), or when no
   other kept crossing of that river lies within :data:`BRIDGE_SPACING_M` (candidates taken
   by distance from the nearest seat, so seats get their bridge first); other crossing
   edges are dropped, except those re-added (shortest first) to keep the network connected.
4. **Expressways**: the Gabriel graph of the 38 seats, each pair joined by a straight
   expressway with interchanges every :data:`INTERCHANGE_M` at most, each linked to the
   nearest cell node by an ``arterial`` link. Where it crosses a river the segment is a bridge;
   where it crosses a ridge line, a tunnel runs between portals
   :data:`~twin.build.params.TUNNEL_END_OFFSET` half-widths either side of the crest.
5. **Lengths** = straight length × :data:`DETOUR` of the class (bridges and tunnels: 1.0);
   speeds are the central twin's (:data:`twin.build.params.SPEED_KPH`).
6. **Elevation** is not modelled (no elevation data offline): every node is at 0 m, so no
   grade slow-down applies; mountain roads are slow through their detour factor instead.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from scipy.spatial import cKDTree

from twin.build.geo import to_utm
from twin.build.graph import assign_districts, edge_lengths, gabriel_edges, link_components
from twin.build.params import NAME_EN, RIDGES, TUNNEL_END_OFFSET
from twin.build.roads import Roads

ARTERIAL_DENSITY = 1000.0
"""persons/km²: both ends at least this dense → an ``arterial`` (assumption)."""
LOCAL_DENSITY = 150.0
"""persons/km²: both ends at least this dense → ``local``, else ``mountain`` (assumption)."""
MAX_LOCAL_M = 12000.0
"""Longer local edges (hull artefacts of the Gabriel graph) are dropped unless needed."""
BRIDGE_SPACING_M = 20000.0
"""Non-arterial river crossings are kept at least this far apart along each river."""
INTERCHANGE_M = 15000.0
"""Longest stretch of expressway between interchanges (assumption)."""
DETOUR = {"expressway": 1.2, "arterial": 1.3, "local": 1.4, "mountain": 1.6}
"""Road length / straight length by class (assumptions; mountain roads' plausible range
1.4–2.0, expressways' 1.1–1.3)."""
RIVERS_ZH = {"Yangtze": "长江", "Jialing": "嘉陵江", "Wu": "乌江"}


class _Net:
    """Nodes and edges as they are assembled (lists, turned into :class:`Roads` at the end)."""

    def __init__(self, xy: np.ndarray, district: np.ndarray) -> None:
        self.xy, self.district = [tuple(p) for p in xy], list(district)
        self.e: list[tuple[int, int]] = []
        self.klass: list[str] = []
        self.bridge: list[bool] = []
        self.tunnel: list[bool] = []
        self.name: list[str] = []

    def node(self, p: np.ndarray, district: str) -> int:
        self.xy.append((float(p[0]), float(p[1])))
        self.district.append(district)
        return len(self.xy) - 1

    def edge(self, a: int, b: int, klass: str, bridge: bool, tunnel: bool, name: str) -> None:
        self.e.append((a, b))
        self.klass.append(klass)
        self.bridge.append(bridge)
        self.tunnel.append(tunnel)
        self.name.append(name)

    def roads(self) -> tuple[Roads, np.ndarray]:
        xy = np.array(self.xy)
        e = np.array(self.e, dtype=np.int64)
        straight = edge_lengths(xy, e)
        klass = np.array(self.klass, dtype=object)
        bridge, tunnel = np.array(self.bridge), np.array(self.tunnel)
        detour = np.array([DETOUR[k] for k in klass])
        length = np.maximum(straight * np.where(bridge | tunnel, 1.0, detour), 1.0)
        roads = Roads(
            xy,
            np.array(self.district, dtype=object),
            np.zeros(len(xy)),
            e,
            klass,
            bridge,
            tunnel,
            np.array(self.name, dtype=object),
        )
        return roads, length


def ridge_lines() -> list[tuple[str, str, shapely.LineString, float]]:
    """The ridges of :data:`~twin.build.params.RIDGES` in EPSG:32648: (zh, en, line, half-width m)."""
    out = []
    for zh, en, pts, hw, _h in RIDGES:
        lon, lat = zip(*pts)
        out.append((zh, en, shapely.LineString(to_utm(lon, lat)), hw))
    return out


def crossing_points(lines: np.ndarray, geom: shapely.Geometry) -> list[tuple[int, shapely.Point]]:
    """(index, first crossing point) of each of ``lines`` that crosses ``geom``."""
    tree = shapely.STRtree(lines)
    out = []
    for i in np.sort(tree.query(geom, predicate="intersects")):
        pts = shapely.get_parts(shapely.intersection(lines[i], geom))
        if len(pts):
            out.append((int(i), shapely.centroid(pts[0])))
    return out


def local_roads(
    net: _Net,
    density: np.ndarray,
    seat_xy: np.ndarray,
    rivers: dict[str, shapely.Geometry],
    district_names: dict[str, tuple[str, str]],
) -> None:
    """Rules 2 and 3 of the module docstring: add the local roads and their bridges to ``net``."""
    xy = np.array(net.xy)
    e, _ = gabriel_edges(xy)
    lines = shapely.linestrings(np.stack([xy[e[:, 0]], xy[e[:, 1]]], axis=1))
    dmin = np.minimum(density[e[:, 0]], density[e[:, 1]])
    klass = np.where(
        dmin >= ARTERIAL_DENSITY, "arterial", np.where(dmin >= LOCAL_DENSITY, "local", "mountain")
    ).astype(object)
    for _zh, _en, line, _hw in ridge_lines():
        klass[shapely.intersects(lines, line)] = "mountain"
    keep = edge_lengths(xy, e) <= MAX_LOCAL_M
    bridge_name = np.full(len(e), "", dtype=object)
    seat_tree = cKDTree(seat_xy)
    for river, geom in rivers.items():
        cand = crossing_points(lines, geom)
        keep[[i for i, _ in cand]] = False
        order = sorted(
            cand, key=lambda c: (klass[c[0]] != "arterial", seat_tree.query([c[1].x, c[1].y])[0])
        )
        kept: list[shapely.Point] = []
        for i, p in order:
            if edge_lengths(xy, e[[i]])[0] > MAX_LOCAL_M:
                continue
            if klass[i] == "arterial" or all(p.distance(q) >= BRIDGE_SPACING_M for q in kept):
                keep[i] = True
                kept.append(p)
            bridge_name[i] = _bridge_name(river, str(net.district[e[i, 0]]), district_names)
    added = {
        (int(u), int(v))
        for u, v in link_components(len(xy), e[keep], e[~keep], edge_lengths(xy, e[~keep]))
    }
    keep |= np.array([(int(u), int(v)) in added for u, v in e])
    count: dict[str, int] = {}
    for k in np.flatnonzero(keep):
        name = str(bridge_name[k])
        if name:  # number a district's bridges over one river: "... Bridge 1", "... Bridge 2"
            count[name] = count.get(name, 0) + 1
            name = f"{name} {count[name]}"
        net.edge(int(e[k, 0]), int(e[k, 1]), str(klass[k]), bool(name), False, name)


def _bridge_name(river: str, district: str, names: dict[str, tuple[str, str]]) -> str:
    zh, en = names.get(district, ("", district))
    return f"{zh}{RIVERS_ZH[river]}大桥 / {en} {river} Bridge"  # numbered by local_roads


def expressways(
    net: _Net,
    seat_xy: np.ndarray,
    seat_ids: list[str],
    rivers: dict[str, shapely.Geometry],
    polys: list[shapely.Geometry],
    district_names: dict[str, tuple[str, str]],
) -> None:
    """Rule 4 of the module docstring: expressways between seats (seat i is node i)."""
    pairs, _ = gabriel_edges(seat_xy)
    cell_nodes = np.arange(len(seat_xy), len(net.xy))
    tree = cKDTree(np.array(net.xy)[cell_nodes])
    ridges = ridge_lines()
    for a, b in pairs:
        pa, pb = seat_xy[a], seat_xy[b]
        length = float(np.hypot(*(pb - pa)))
        seg = shapely.LineString([pa, pb])
        ea, eb = district_names[seat_ids[a]][1], district_names[seat_ids[b]][1]
        stops = {
            k / max(1, int(np.ceil(length / INTERCHANGE_M))): "ic"
            for k in range(1, int(np.ceil(length / INTERCHANGE_M)))
        }
        tunnels = []
        for zh, en, line, hw in ridges:
            for p in shapely.get_parts(shapely.intersection(seg, line)):
                t = seg.project(shapely.centroid(p)) / length
                dt = TUNNEL_END_OFFSET * hw / length
                if dt < t < 1 - dt:
                    stops[t - dt], stops[t + dt] = "portal", "portal"
                    tunnels.append((t - dt, t + dt, f"{zh}隧道 / {en} Tunnel ({ea}–{eb})"))
        ts = sorted(stops)
        nodes = [int(a)]
        for t in ts:
            p = pa + t * (pb - pa)
            hit = assign_districts(p[None, :], polys, tuple(seat_ids))[0]
            if not hit:
                hit = net.district[int(cell_nodes[tree.query(p)[1]])]
            k = net.node(p, str(hit))
            if stops[t] == "ic":
                net.edge(
                    k,
                    int(cell_nodes[tree.query(p)[1]]),
                    "arterial",
                    False,
                    False,
                    f"Interchange ({ea}–{eb})",
                )
            nodes.append(k)
        nodes.append(int(b))
        bounds = [0.0, *ts, 1.0]
        for j in range(len(nodes) - 1):
            mid = (bounds[j] + bounds[j + 1]) / 2
            tun = next((n for t0, t1, n in tunnels if t0 <= mid <= t1), "")
            piece = shapely.LineString([pa + bounds[j] * (pb - pa), pa + bounds[j + 1] * (pb - pa)])
            river = next((r for r, g in rivers.items() if piece.intersects(g)), "")
            name = tun or (
                f"{RIVERS_ZH[river]}大桥 / {river} Expressway Bridge ({ea}–{eb})"
                if river
                else f"Expressway {ea}–{eb}"
            )
            net.edge(nodes[j], nodes[j + 1], "expressway", bool(river) and not tun, bool(tun), name)


def municipality_roads(
    districts: gpd.GeoDataFrame,
    cells: gpd.GeoDataFrame,
    seat_xy: np.ndarray,
    rivers: dict[str, shapely.Geometry],
) -> tuple[Roads, np.ndarray]:
    """The road network (EPSG:32648) and its edge lengths (m) by the module's rules."""
    rp = cells.geometry.representative_point()
    cell_xy = np.stack([rp.x.to_numpy(), rp.y.to_numpy()], axis=1)
    cell_rho = cells["population"].to_numpy() / np.maximum(
        cells.geometry.area.to_numpy() / 1e6, 0.05
    )
    ids = [str(d) for d in districts["district_id"]]
    names = {d: (str(zh), NAME_EN.get(d, d)) for d, zh in zip(ids, districts["name"])}
    seat_rho = cell_rho[cKDTree(cell_xy).query(seat_xy)[1]]
    net = _Net(
        np.concatenate([seat_xy, cell_xy]), np.array(ids + list(cells["district_id"]), dtype=object)
    )
    local_roads(net, np.concatenate([seat_rho, cell_rho]), seat_xy, rivers, names)
    expressways(net, seat_xy, ids, rivers, list(districts.geometry), names)
    return net.roads()
