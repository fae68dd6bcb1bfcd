"""Rivers as barriers and the terrain: ridges, elevation, distance to the rivers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely.ops
from shapely.geometry import LineString, Point

from twin.build.geo import to_utm
from twin.build.params import (
    BOUNDARY_TOL_M,
    CROSS_BUFFER_M,
    NE_CORRIDOR_M,
    RIDGES,
    RIVER_PAIRS,
    VALLEY_BASE_M,
    VALLEY_RISE_M,
    VALLEY_SCALE_M,
)


def shared_boundary(
    a: shapely.Geometry, b: shapely.Geometry, tol: float = BOUNDARY_TOL_M
) -> shapely.Geometry:
    """Lines where polygons a and b meet: each one's boundary within tol metres of the other."""
    return shapely.union(
        a.boundary.intersection(b.buffer(tol)), b.boundary.intersection(a.buffer(tol))
    )


def river_barrier(
    polys: dict[str, shapely.Geometry], ne: dict[str, shapely.Geometry], area: shapely.Geometry
) -> shapely.Geometry:
    """River lines (m) that road edges may not cross.

    The district polygons split the Yangtze and Jialing mid-channel, and are far more
    detailed than Natural Earth 1:10m (whose Yangtze runs through Yuzhong).  So the
    barrier is the shared boundary of every district pair in RIVER_PAIRS, plus the NE
    lines where they are more than NE_CORRIDOR_M from such a boundary, joined to the
    boundary by straight connectors.  Clipped to `area`.
    """
    pieces = shapely.union_all([shared_boundary(polys[a], polys[b]) for a, b in RIVER_PAIRS])
    corridor = pieces.buffer(NE_CORRIDOR_M)
    ne_all = shapely.union_all([g.intersection(area) for g in ne.values()])
    kept = ne_all.difference(corridor)
    edge = corridor.boundary
    connectors = []
    for part in shapely.get_parts(kept):
        for end in (part.coords[0], part.coords[-1]):
            p = Point(end)
            if p.distance(edge) < 1.0:
                q = shapely.ops.nearest_points(p, pieces)[1]
                connectors.append(LineString([p, q]))
    return shapely.union_all([pieces, kept, *connectors])


@dataclass
class Ridge:
    """A ridge: crest polyline (m), half-width (m) of the crest band, height above valley (m)."""

    zh: str
    en: str
    line: LineString
    half_width: float
    height: float

    @property
    def band(self) -> shapely.Geometry:
        """The crest band: points within half_width of the crest line."""
        return self.line.buffer(self.half_width)


def make_ridges() -> list[Ridge]:
    """The three NNE ridges of RIDGES projected to EPSG:32648."""
    out = []
    for zh, en, pts, hw, h in RIDGES:
        lon, lat = zip(*pts)
        out.append(Ridge(zh, en, LineString(to_utm(lon, lat)), hw, h))
    return out


@dataclass
class Terrain:
    """Simple terrain model; elevation_m = valley + ridge bumps + gentle undulation.

    valley = VALLEY_BASE_M + VALLEY_RISE_M * (1 - exp(-d_river / VALLEY_SCALE_M));
    ridge bump = height * exp(-(d_crest / half_width) ** 4) (flat-topped, steep-sided);
    undulation = 20 m * sin * sin with 5-7 km wavelengths and seeded phases.
    Also answers river queries from an STRtree of the river lines' segments.
    """

    barrier: shapely.Geometry
    ridges: list[Ridge]
    phases: np.ndarray

    def __post_init__(self) -> None:
        coords = [
            np.asarray(g.coords)
            for g in shapely.get_parts(self.barrier)
            if g.geom_type == "LineString"
        ]
        segs = np.concatenate([np.stack([c[:-1], c[1:]], axis=1) for c in coords])
        self._river = shapely.STRtree(shapely.linestrings(segs))

    def river_distance(self, xy: np.ndarray) -> np.ndarray:
        """Distance (m) from each point to the nearest river line."""
        idx, dist = self._river.query_nearest(
            shapely.points(xy), return_distance=True, all_matches=False
        )
        out = np.full(len(xy), np.inf)
        out[idx[0]] = dist
        return out

    def crosses_river(self, lines: np.ndarray) -> np.ndarray:
        """True for each line passing within CROSS_BUFFER_M of a river line."""
        hit = self._river.query(lines, predicate="dwithin", distance=CROSS_BUFFER_M)
        out = np.zeros(len(lines), bool)
        out[hit[0]] = True
        return out

    def ridge_weight(self, xy: np.ndarray) -> np.ndarray:
        """Sum over ridges of exp(-(d/half_width)^4): 1 on a crest, ~0 off it."""
        pts = shapely.points(xy)
        return sum(
            np.exp(-((shapely.distance(pts, r.line) / r.half_width) ** 4)) for r in self.ridges
        )

    def elevation(self, xy: np.ndarray, d_river: np.ndarray | None = None) -> np.ndarray:
        """Elevation (m above sea level) at each point."""
        if d_river is None:
            d_river = self.river_distance(xy)
        z = VALLEY_BASE_M + VALLEY_RISE_M * (1.0 - np.exp(-d_river / VALLEY_SCALE_M))
        pts = shapely.points(xy)
        for r in self.ridges:
            z = z + r.height * np.exp(-((shapely.distance(pts, r.line) / r.half_width) ** 4))
        p = self.phases
        z = z + 20.0 * np.sin(xy[:, 0] / 5000.0 * 2 * np.pi + p[0]) * np.sin(
            xy[:, 1] / 7000.0 * 2 * np.pi + p[1]
        )
        return z
