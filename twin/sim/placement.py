"""Where incidents happen: people per road node and the risk factors of each type.

**Place**: a road node drawn with weight = people represented by the node (``cells``
population split over the nodes in each cell; else district population split over its
nodes) × the type's risk factor (:func:`risk_factor`). Sensor coverage: a node is watched
by a pipe sensor network when a monitored pipe of that network passes within
:data:`SENSOR_RADIUS_M`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy
import shapely
from scipy.spatial import cKDTree

from twin.model import cache
from twin.model.city import City
from twin.sim.catalogue import Detection

REFERENCE_YEAR = 2025
"""Pipe ages are counted up to this year."""
SENSOR_RADIUS_M = 150.0
"""A node is watched by a pipe sensor network when a monitored pipe passes within this
distance (m) — about one block: leaks and bursts show at the nearest meter or logger."""
PIPE_RADIUS_M = 150.0
"""Pipe age at a node = age of the nearest pipe of the network within this distance (m)."""
SAMPLE_STEP_M = 50.0
"""Pipes are sampled every this many metres (ends included) to find the nearest."""


@dataclass(frozen=True, eq=False)
class Placement:
    """Where incidents can happen: per road node, people represented, risk inputs,
    sensor coverage, remoteness, cell and district (indices)."""

    population: float
    node_people: np.ndarray
    node_district: np.ndarray
    node_cell: np.ndarray
    cell_ids: tuple[str, ...]
    elevation: np.ndarray
    grade: np.ndarray
    pipe_age: dict[str, np.ndarray]
    monitored: dict[str, np.ndarray]
    remote: np.ndarray
    node_density: np.ndarray | None = None
    """People per km² of each node's cell (its district's where it has no cell); only
    its ratios matter (:meth:`weights` with a density elasticity)."""
    _weights: dict = field(default_factory=dict, repr=False)

    def weights(self, risk: str, density_elasticity: float = 0.0) -> np.ndarray:
        """Cumulative placement weights over all nodes for a risk kind.

        With ``density_elasticity`` β ≠ 0 a node's weight is also × (ρ / ρ̄)^β, ρ its
        people per km² and ρ̄ the people-weighted mean: the per-head rate of the denser
        places is higher (β > 0) or lower (β < 0). Only where incidents fall changes; how
        many there are comes from the population and the rates (the weights are
        normalised when drawn)."""
        key = (risk, density_elasticity)
        w = self._weights.get(key)
        if w is None:
            w = self.node_people * risk_factor(self, risk)
            if density_elasticity != 0.0:
                w = w * density_factor(self.node_people, self.node_density, density_elasticity)
            w = np.cumsum(w)
            self._weights[key] = w
        return w


def density_factor(people: np.ndarray, density: np.ndarray | None, beta: float) -> np.ndarray:
    """(ρ / ρ̄)^β per node, ρ̄ = the people-weighted mean density (a typical resident's
    place gets 1); nodes with no people or no density get 1 (they carry no weight)."""
    if density is None or beta == 0.0:
        return np.ones(len(people))
    ok = (people > 0) & (density > 0)
    if not ok.any():
        return np.ones(len(people))
    mean = float(np.average(density[ok], weights=people[ok]))
    out = np.ones(len(people))
    out[ok] = (density[ok] / mean) ** beta
    return out


def risk_factor(p: Placement, risk: str) -> np.ndarray:
    """Relative likelihood per node beyond population (documented assumptions):

    - ``population``: 1;
    - ``pipe_age:<net>``: 0.5 + age/20 years of the nearest pipe (1980 pipe → 2.75), 0.5
      where the network is absent (bottled gas, private supplies);
    - ``low_ground``: exp(−(z − z₅)/25 m), capped at 1 (water ponds in the lowest places);
    - ``riverside``: exp(−(z − z₅)/15 m) (Chongqing's riverbanks are its lowest ground);
    - ``steep``: 0.05 + min((grade/8 %)², 10) of the steepest road at the node.
    """
    n = len(p.node_people)
    if risk == "population":
        return np.ones(n)
    if risk.startswith("pipe_age:"):
        age = p.pipe_age.get(risk.split(":", 1)[1])
        if age is None:
            return np.ones(n)
        return np.where(np.isnan(age), 0.5, 0.5 + np.nan_to_num(age) / 20.0)
    people = p.node_people > 0
    z = p.elevation
    z5 = np.percentile(z[people], 5) if people.any() else 0.0
    if risk == "low_ground":
        return np.minimum(np.exp(-(z - z5) / 25.0), 1.0)
    if risk == "riverside":
        return np.minimum(np.exp(-(z - z5) / 15.0), 1.0)
    if risk == "steep":
        return 0.05 + np.minimum((p.grade / 0.08) ** 2, 10.0)
    raise ValueError(f"unknown risk kind {risk!r}")


def build_placement(
    city: City,
    districts: tuple[str, ...],
    eligible: np.ndarray,
    detection: Detection = Detection(),
    use_cache: bool = True,
) -> Placement:
    """Placement inputs for ``city``; ``eligible`` marks nodes where incidents may happen
    (core districts, reachable by road units). ``districts`` fixes district indices.
    ``use_cache``: the pipe ages and sensor coverage per node are kept in the disk cache
    (:func:`pipe_info`)."""
    nodes = city.road_nodes
    n = len(nodes)
    index = {d: i for i, d in enumerate(districts)}
    node_district = np.array([index.get(d, -1) for d in nodes["district_id"]], np.int64)
    node_cell, cell_ids = _node_cells(city)
    people = _node_people(city, node_cell, node_district, eligible)
    core = _core_population(city)
    roads = city.roads
    xy = roads.xy
    ages, monitored = {}, {}
    for net in ("water", "gas", "drainage"):
        ages[net], monitored[net] = pipe_info(city.pipes, net, xy, use_cache)
    remote = np.zeros(n, bool)
    pos = people > 0
    if pos.any():
        remote[pos] = people[pos] < np.quantile(people[pos], detection.remote_share)
    return Placement(
        population=core if core > 0 else float(people.sum()),
        node_people=people,
        node_district=node_district,
        node_cell=node_cell,
        cell_ids=cell_ids,
        elevation=nodes["elevation_m"].to_numpy(float),
        grade=_node_grade(city),
        pipe_age=ages,
        monitored=monitored,
        remote=remote,
        node_density=_node_density(city, node_cell),
    )


def _node_density(city: City, node_cell: np.ndarray) -> np.ndarray:
    """People per km² of each node's cell; its district's for nodes outside every cell
    (0 where neither is known). Areas are of the projected (metric) geometry."""
    dist = city.districts
    area = dist.geometry.area.to_numpy(float) / 1e6
    rho = np.where(area > 0, dist["population"].to_numpy(float) / np.maximum(area, 1e-9), 0.0)
    by_district = dict(zip(dist["district_id"].astype(str), rho))
    ids = city.road_nodes["district_id"].astype(str).to_numpy(object)
    out = np.array([by_district.get(d, 0.0) for d in ids], float)
    cells = city.cells
    if not cells.empty:
        c_area = cells.geometry.area.to_numpy(float) / 1e6
        c_rho = cells["population"].to_numpy(float) / np.maximum(c_area, 1e-9)
        inside = node_cell >= 0
        out[inside] = c_rho[node_cell[inside]]
    return out


def _core_population(city: City) -> float:
    return float(city.core_districts["population"].sum())


def _node_cells(city: City) -> tuple[np.ndarray, tuple[str, ...]]:
    """Cell index of every road node (−1 outside every cell) and the cell ids."""
    cells = city.cells
    n = len(city.road_nodes)
    if cells.empty:
        return np.full(n, -1, np.int64), ()
    pts = gpd.GeoDataFrame(geometry=city.road_nodes.geometry.reset_index(drop=True), crs=city.crs)
    hit = gpd.sjoin(pts, cells[["geometry"]].reset_index(drop=True), how="left", predicate="within")
    hit = hit[~hit.index.duplicated(keep="first")]
    idx = hit["index_right"].fillna(-1).to_numpy(np.int64)
    return idx, tuple(cells["cell_id"].astype(str))


def _node_people(
    city: City, node_cell: np.ndarray, node_district: np.ndarray, eligible: np.ndarray
) -> np.ndarray:
    """People each eligible node stands for: its cell's population shared among the cell's
    eligible nodes (when cells cover most nodes), else its district's."""
    n = len(node_cell)
    people = np.zeros(n)
    cells = city.cells
    in_cell = eligible & (node_cell >= 0)
    if not cells.empty and cells["population"].sum() > 0 and in_cell.sum() >= 0.5 * eligible.sum():
        pop = cells["population"].to_numpy(float)
        count = np.bincount(node_cell[in_cell], minlength=len(pop))
        people[in_cell] = pop[node_cell[in_cell]] / count[node_cell[in_cell]]
        return people
    d = city.districts
    pop_by = dict(zip(d["district_id"], d["population"].astype(float)))
    ids = city.road_nodes["district_id"].to_numpy(object)
    count = pd.Series(ids[eligible]).value_counts()
    for i in np.flatnonzero(eligible):
        people[i] = pop_by.get(ids[i], 0.0) / count[ids[i]]
    return people


def _node_grade(city: City) -> np.ndarray:
    """Steepest grade (rise/run) of the road edges at each node."""
    r = city.roads
    z = city.road_nodes["elevation_m"].to_numpy(float)
    length = city.road_edges["length_m"].to_numpy(float)
    g = np.abs(z[r.edge_v] - z[r.edge_u]) / np.maximum(length, 1.0)
    g = np.where(r.edge_bridge, 0.0, np.minimum(g, 0.3))
    out = np.zeros(r.n_nodes)
    np.maximum.at(out, r.edge_u, g)
    np.maximum.at(out, r.edge_v, g)
    return out


def pipe_info(
    pipes: gpd.GeoDataFrame, network: str, xy: np.ndarray, use_cache: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Per node at ``xy`` (n × 2, m): age (years) of the nearest pipe of ``network``
    within PIPE_RADIUS_M (NaN when none), and whether a monitored pipe passes within
    SENSOR_RADIUS_M. With ``use_cache`` the two arrays are kept in the disk cache
    (:mod:`twin.model.cache`, ``pipes-<24 hex>-<network>.npz``) under a hash of all they
    depend on — the pipes' coordinates, install years and monitoring, the nodes, the
    constants and this module's code — and read back instead of recomputed (about a
    CPU-second for the central twin's three networks); a damaged file is recomputed."""
    n = len(xy)
    p = pipes[pipes["network"] == network]
    if p.empty or n == 0:
        return np.full(n, np.nan), np.zeros(n, bool)
    name = f"pipes-{_pipe_key(p, xy)}-{network}.npz"
    got = cache.load(name) if use_cache else None
    if got is not None and _fits(got, n):
        return got["age"], got["watched"]
    age, watched = _pipe_info(p, xy)
    if use_cache:
        cache.save(name, {"age": age, "watched": watched})
    return age, watched


def _fits(arrays: dict[str, np.ndarray], n: int) -> bool:
    """Are cached ``arrays`` a pipe_info answer for ``n`` nodes?"""
    age, watched = arrays.get("age"), arrays.get("watched")
    return (
        age is not None
        and watched is not None
        and age.shape == (n,)
        and age.dtype == np.float64
        and watched.shape == (n,)
        and watched.dtype == np.bool_
    )


def _pipe_key(p: gpd.GeoDataFrame, xy: np.ndarray) -> str:
    """24 hex digits of a SHA-256 over everything :func:`_pipe_info` reads."""
    geoms = p.geometry.to_numpy()
    h = hashlib.sha256(
        f"{REFERENCE_YEAR} {PIPE_RADIUS_M!r} {SENSOR_RADIUS_M!r} {SAMPLE_STEP_M!r} "
        f"shapely {shapely.__version__} geos {shapely.geos_version_string} "
        f"scipy {scipy.__version__}\0".encode()
    )
    h.update(Path(__file__).read_bytes())
    for a in (
        shapely.get_type_id(geoms),
        shapely.get_num_coordinates(geoms),
        shapely.get_coordinates(geoms, include_z=True),
        p["install_year"].to_numpy(float),
        p["monitored"].to_numpy(bool),
        np.asarray(xy, float),
    ):
        h.update(str((a.dtype.str, a.shape)).encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:24]


def _pipe_info(p: gpd.GeoDataFrame, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`pipe_info` computed, for the pipes ``p`` of one network."""
    n = len(xy)
    age = np.full(n, np.nan)
    watched = np.zeros(n, bool)
    pts, owner = _sample_lines(p.geometry.to_numpy(), SAMPLE_STEP_M)
    years = p["install_year"].to_numpy(float)
    dist, k = cKDTree(pts).query(xy, distance_upper_bound=PIPE_RADIUS_M)
    ok = np.isfinite(dist)
    age[ok] = np.maximum(REFERENCE_YEAR - years[owner[k[ok]]], 0.0)
    mon = p["monitored"].to_numpy(bool)
    if mon.any():
        mpts = pts[mon[owner]]
        d2, _ = cKDTree(mpts).query(xy, distance_upper_bound=SENSOR_RADIUS_M)
        watched = np.isfinite(d2)
    return age, watched


def _sample_lines(geoms: np.ndarray, step_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Points every ``step_m`` along each line (ends included) and the line each belongs to."""
    lengths = shapely.length(geoms)
    counts = np.maximum(np.ceil(lengths / step_m).astype(np.int64) + 1, 2)
    owner = np.repeat(np.arange(len(geoms)), counts)
    start = np.repeat(np.cumsum(counts) - counts, counts)
    frac = (np.arange(counts.sum()) - start) / np.repeat(counts - 1, counts)
    pts = shapely.line_interpolate_point(geoms[owner], frac, normalized=True)
    return np.column_stack([shapely.get_x(pts), shapely.get_y(pts)]), owner
