"""Pipe networks as arrays: who loses service when pipes fail, and which roads they block.

Each lifeline network (``water``, ``gas``, ``drainage``) of a :class:`~twin.model.city.City` is
turned once into a :class:`PipeNetwork`: junctions and pipes as integer arrays, so that the
service outage after any set of pipe failures is one call of
``scipy.sparse.csgraph.connected_components`` (no NetworkX).

**Service outage.** A junction is *served* while some path of intact pipes joins it to a
junction of ``kind == "source"`` (a water plant, gas gate station or drainage outfall) of
the same network. Failed pipes are removed; every junction whose connected component holds
no source is *out*. (Pressure and capacity are not modelled: connectivity only — the
standard first-order "connectivity loss" measure of lifeline studies, e.g. HAZUS-MH
MR4 Technical Manual ch. 8 "serviceability".)

**People affected.** Each network serves the population around its junctions: every
population point is assigned to the nearest junction of the network, provided one lies
within :data:`SERVICE_RADIUS_M` (else nobody there is served by that network, e.g. areas
without piped gas). Population points are the ``cells`` layer (population at the cell's
centroid) when it holds people; otherwise the road nodes, each carrying an equal share of
its district's population. People out = the population assigned to junctions that are out;
districts affected = the districts of those people.

**Roads blocked.** :func:`twin.model.pipe_roads.edges_near_pipes` gives the road edges over or beside a pipe
failure: the pipe's own ``edge_id`` (the road it lies under) when the layer has that column,
plus every edge within a radius of the failure point (shapely ``STRtree`` query,
``dwithin``). The radius depends on what failed (:data:`CLOSURE_RADIUS_M`): a burst water
main floods its own road; a gas leak closes a circle around it. Responders go to the
nearest road node that still has an open road (:func:`twin.model.pipe_roads.staging_nodes`: the cordon's edge).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from twin.model.city import City

NETWORKS: tuple[str, ...] = ("water", "gas", "drainage")
"""Lifeline networks the twin knows."""

SERVICE_RADIUS_M = 1000.0
"""A population point is served by a network's nearest junction only within this distance
(m). Assumption: distribution mains in the twin run along roads roughly every few hundred
metres, so 1 km leaves out only places the network does not reach."""

CLOSURE_RADIUS_M: dict[str, float] = {
    # A burst main floods and undermines the road above it and the adjacent carriageway:
    # the pipe's own edge plus edges within 30 m (assumption: half a typical urban block face).
    "water": 30.0,
    # Natural gas leak: "isolate spill or leak area immediately for at least 100 metres in all
    # directions" — Emergency Response Guidebook 2020 (US DOT/Transport Canada/SCT), Guide 115
    # (flammable gases, UN1971 natural gas).
    "gas": 100.0,
    # A blocked drain ponds water on its own street (assumption: own edge plus 20 m).
    "drainage": 20.0,
}
"""Radius (m) around a failed pipe within which road edges are closed, by network."""


@dataclass(frozen=True, eq=False)
class Impact:
    """What an outage costs: junctions out, people out and the districts they live in."""

    junctions_out: int
    people_out: float
    districts: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class PipeNetwork:
    """One lifeline network as arrays.

    Junction ``j`` is ``junction_ids[j]`` at ``junction_xy[j]`` (metres, city CRS); pipe ``k``
    is row ``pipe_rows[k]`` of ``city.pipes`` and joins junctions ``pipe_u[k]``–``pipe_v[k]``
    (pipes are undirected for connectivity). ``people`` is the population served through each
    junction; ``people_by_district`` (junctions × districts, sparse) splits it by
    ``district_ids``.
    """

    network: str
    junction_ids: np.ndarray
    junction_xy: np.ndarray
    is_source: np.ndarray
    pipe_ids: np.ndarray
    pipe_rows: np.ndarray
    pipe_u: np.ndarray
    pipe_v: np.ndarray
    length_m: np.ndarray
    people: np.ndarray
    people_by_district: sp.csr_matrix
    district_ids: np.ndarray
    closed: np.ndarray | None = None
    """Pipes closed in normal operation (``status == "closed"``: EPANET initial status);
    they never connect junctions. None: all open."""
    _pipe_index: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._pipe_index.update({pid: k for k, pid in enumerate(self.pipe_ids)})

    @property
    def n_junctions(self) -> int:
        return len(self.junction_ids)

    @property
    def n_pipes(self) -> int:
        return len(self.pipe_ids)

    def pipe_index(self, pipe_ids: Iterable[str]) -> np.ndarray:
        """Positions of ``pipe_ids`` in this network (KeyError names an unknown id)."""
        return np.fromiter((self._pipe_index[p] for p in pipe_ids), np.int64)

    def failed_mask(self, failed_pipe_ids: Iterable[str]) -> np.ndarray:
        """Boolean mask over this network's pipes, True for the given ids."""
        mask = np.zeros(self.n_pipes, bool)
        idx = self.pipe_index(failed_pipe_ids)
        mask[idx] = True
        return mask

    def served(self, failed: np.ndarray | None = None) -> np.ndarray:
        """Boolean mask over junctions: True when still joined to a source by intact pipes.

        ``failed`` is a boolean mask over this network's pipes (None: nothing failed).
        """
        n = self.n_junctions
        if n == 0:
            return np.zeros(0, bool)
        keep = np.ones(self.n_pipes, bool) if failed is None else ~np.asarray(failed, bool)
        if self.closed is not None:
            keep &= ~self.closed
        u, v = self.pipe_u[keep], self.pipe_v[keep]
        adj = sp.coo_matrix((np.ones(len(u), np.int8), (u, v)), shape=(n, n)).tocsr()
        _, labels = connected_components(adj, directed=False)
        fed = np.zeros(labels.max() + 1, bool)
        fed[labels[self.is_source]] = True
        return fed[labels]

    def out_mask(self, failed: np.ndarray) -> np.ndarray:
        """Junctions cut off by ``failed`` that were served before (True = newly out)."""
        return self._baseline_served & ~self.served(failed)

    @property
    def _baseline_served(self) -> np.ndarray:
        cached = self.__dict__.get("_base")
        if cached is None:
            cached = self.served(None)
            object.__setattr__(self, "_base", cached)
        return cached

    def outage(self, failed_pipe_ids: Iterable[str]) -> set[str]:
        """Ids of the junctions cut off from every source once ``failed_pipe_ids`` fail.

        Junctions that had no source even before (an isolated piece of network) are not
        counted: they were not served to begin with.
        """
        out = self.out_mask(self.failed_mask(failed_pipe_ids))
        return set(self.junction_ids[out].tolist())

    def impact(self, out: np.ndarray) -> Impact:
        """Junctions, people and districts behind the junction mask ``out``."""
        people = float(self.people[out].sum())
        by_district = np.asarray(self.people_by_district[np.flatnonzero(out)].sum(axis=0)).ravel()
        districts = tuple(sorted(self.district_ids[by_district > 0].tolist()))
        return Impact(int(out.sum()), people, districts)


_NETWORK_CACHE: weakref.WeakKeyDictionary[object, dict] = weakref.WeakKeyDictionary()


def pipe_network(city: City, network: str) -> PipeNetwork:
    """The :class:`PipeNetwork` of ``network`` in ``city`` (built once per City, cached)."""
    per_city = _NETWORK_CACHE.setdefault(city, {})
    if network not in per_city:
        per_city[network] = build_pipe_network(city, network)
    return per_city[network]


def build_pipe_network(city: City, network: str) -> PipeNetwork:
    """Build the arrays of one network from ``city.pipes`` and ``city.junctions``."""
    j = city.junctions[city.junctions["network"] == network]
    junction_ids = j["junction_id"].to_numpy(dtype=object)
    xy = _xy(j.geometry) if len(j) else np.empty((0, 2))
    index = pd.Index(junction_ids)
    pipes = city.pipes
    rows = np.flatnonzero((pipes["network"] == network).to_numpy())
    p = pipes.iloc[rows]
    u = index.get_indexer(p["u"].astype(str)) if len(p) else np.empty(0, np.int64)
    v = index.get_indexer(p["v"].astype(str)) if len(p) else np.empty(0, np.int64)
    ok = (u >= 0) & (v >= 0)  # dangling pipes are reported by twin.model.validate; ignored here
    rows, u, v = rows[ok], u[ok], v[ok]
    people, by_district, district_ids = _people_per_junction(city, xy)
    return PipeNetwork(
        network=network,
        junction_ids=junction_ids,
        junction_xy=xy,
        is_source=(j["kind"] == "source").to_numpy(bool),
        pipe_ids=pipes["pipe_id"].to_numpy(dtype=object)[rows],
        pipe_rows=rows.astype(np.int64),
        pipe_u=u.astype(np.int64),
        pipe_v=v.astype(np.int64),
        length_m=pipes["length_m"].to_numpy(float)[rows],
        people=people,
        people_by_district=by_district,
        district_ids=district_ids,
        closed=(p["status"].astype(str).str.lower() == "closed").to_numpy(bool)[ok]
        if "status" in p.columns
        else None,
    )


def population_points(city: City) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where people live: (xy metres, population, district id) per point.

    The ``cells`` layer (cell centroids) when it holds any population; otherwise the road
    nodes, each with an equal share of its district's population (``districts.population``
    divided by the district's node count).
    """
    cells = city.cells
    if len(cells) and float(cells["population"].sum()) > 0:
        pts = cells.geometry.centroid
        return (
            _xy(pts),
            cells["population"].to_numpy(float),
            cells["district_id"].astype(str).to_numpy(dtype=object),
        )
    nodes = city.road_nodes
    if len(nodes) == 0:
        return np.empty((0, 2)), np.empty(0), np.empty(0, dtype=object)
    did = nodes["district_id"].astype(str)
    counts = did.map(did.value_counts())
    pop = did.map(
        city.districts.set_index("district_id")["population"].astype(float)
        if len(city.districts)
        else pd.Series(dtype=float)
    ).fillna(0.0)
    return (_xy(nodes.geometry), (pop / counts).to_numpy(float), did.to_numpy(dtype=object))


def _people_per_junction(
    city: City, junction_xy: np.ndarray
) -> tuple[np.ndarray, sp.csr_matrix, np.ndarray]:
    """Population served through each junction (nearest within SERVICE_RADIUS_M), also
    split by district as a sparse junctions × districts matrix."""
    pts, pop, did = population_points(city)
    district_ids, dcol = (
        np.unique(did.astype(str), return_inverse=True)
        if len(did)
        else (np.empty(0, dtype=object), np.empty(0, np.int64))
    )
    n = len(junction_xy)
    if n == 0 or len(pts) == 0:
        return (np.zeros(n), sp.csr_matrix((n, len(district_ids))), district_ids.astype(object))
    dist, idx = cKDTree(junction_xy).query(pts, distance_upper_bound=SERVICE_RADIUS_M)
    ok = np.isfinite(dist) & (pop > 0)
    people = np.bincount(idx[ok], weights=pop[ok], minlength=n)
    by = sp.coo_matrix((pop[ok], (idx[ok], dcol[ok])), shape=(n, len(district_ids))).tocsr()
    return people, by, district_ids.astype(object)


def _xy(geoms: Any) -> np.ndarray:
    arr = np.asarray(geoms.values if hasattr(geoms, "values") else geoms)
    if len(arr) == 0:
        return np.empty((0, 2))
    return shapely.get_coordinates(arr).reshape(-1, 2)


def outage(network: PipeNetwork, failed_pipe_ids: Iterable[str]) -> set[str]:
    """Junction ids of ``network`` cut off from every source when ``failed_pipe_ids`` fail."""
    return network.outage(failed_pipe_ids)
