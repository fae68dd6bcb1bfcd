"""The road network assembled: nodes, streets, bridges, tunnels, classes, names, elevations."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely.ops

from twin.build.crossings import add_bridges, add_tunnels
from twin.build.geo import to_utm
from twin.build.graph import (
    assign_districts,
    edge_lengths,
    largest_component,
    reindex,
    sample_nodes,
    segments,
    street_edges,
)
from twin.build.hierarchy import hierarchy
from twin.build.params import RIVER_CLEARANCE_M, SUBCENTRES
from twin.build.population import Raster
from twin.build.terrain import Ridge, Terrain


@dataclass
class Roads:
    """The road network in EPSG:32648: node xy (m), district ids, elevation (m); edges
    (m, 2) node indices with class, bridge/tunnel flags and names."""

    xy: np.ndarray
    district: np.ndarray
    elevation: np.ndarray
    e: np.ndarray
    klass: np.ndarray
    bridge: np.ndarray
    tunnel: np.ndarray
    name: np.ndarray

    @property
    def length(self) -> np.ndarray:
        """Edge lengths (m)."""
        return edge_lengths(self.xy, self.e)


def build_roads(
    core: gpd.GeoDataFrame,
    raster: Raster,
    terrain: Terrain,
    ridges: list[Ridge],
    ne: dict[str, shapely.Geometry],
    rng: np.random.Generator,
) -> Roads:
    """Sample nodes, connect them, add bridges and tunnels, keep the largest component,
    classify (mountain, arterial, expressway) and compute node elevations."""
    polys = {d: g for d, g in zip(core["district_id"], core.geometry)}
    polys["core"] = shapely.union_all(core.geometry.values)
    xy = sample_nodes(raster, rng)
    node_d = assign_districts(xy, list(core.geometry), tuple(core["district_id"]))
    keep = (node_d != "") & (terrain.river_distance(xy) > RIVER_CLEARANCE_M)
    xy, node_d = xy[keep], node_d[keep]
    print(f"  sampled {keep.size} candidate nodes, {len(xy)} on land inside the core districts")
    e = street_edges(xy, terrain)
    be, bnames, bclass = add_bridges(xy, node_d, e, terrain.barrier, ne, ridges, polys)
    te, tnames = add_tunnels(xy, ridges, terrain, set(be.ravel().tolist()))
    print(f"  {len(e)} street edges, {len(be)} bridges, {len(te)} tunnels")
    keep = largest_component(len(xy), np.concatenate([e, be, te]), node_d)
    e, be, te = reindex(keep, e, be, te)
    if len(be) != len(bnames) or len(te) != len(tnames):
        raise RuntimeError("a bridge or tunnel fell outside the largest component")
    xy, node_d = xy[keep], node_d[keep]
    all_e = np.concatenate([e, be, te])
    kind = np.repeat([0, 1, 2], [len(e), len(be), len(te)])  # street, bridge, tunnel
    name = np.array([""] * len(e) + bnames + tnames, dtype=object)
    klass = base_classes(xy, all_e, kind, bclass, ridges)
    klass = hierarchy(
        xy,
        all_e,
        edge_lengths(xy, all_e),
        klass,
        kind == 2,
        kind == 1,
        be,
        bnames,
        centre_points(core),
    )
    return Roads(xy, node_d, terrain.elevation(xy), all_e, klass, kind == 1, kind == 2, name)


def base_classes(
    xy: np.ndarray,
    e: np.ndarray,
    kind: np.ndarray,
    bridge_classes: list[str] | np.ndarray,
    ridges: list[Ridge],
) -> np.ndarray:
    """Initial road classes: `mountain` for street edges touching a ridge crest band,
    else `local`; bridges get their listed class, tunnels `expressway`."""
    band = shapely.union_all([r.band for r in ridges])
    shapely.prepare(band)
    klass = np.where(shapely.intersects(segments(xy, e), band), "mountain", "local").astype(object)
    klass[kind == 1] = np.array(bridge_classes, dtype=object)
    klass[kind == 2] = "expressway"
    return klass


def centre_points(core: gpd.GeoDataFrame) -> np.ndarray:
    """District centres and SUBCENTRES (m), shape (n, 2)."""
    pts = [to_utm(r.centerlng, r.centerlat) for r in core.itertuples()]
    pts += [to_utm(lon, lat) for _, lon, lat, *_ in SUBCENTRES]
    return np.array(pts)
