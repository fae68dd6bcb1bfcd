"""A water network from an EPANET ``.inp`` file, added to an existing city.

A pipe network alone is not a city (there are no roads for units to drive on), so an
EPANET import always goes *into* a city: ``import_epanet(FILE, into=CITY)`` returns that
city with its ``water`` network (``pipes`` and ``junctions`` whose ``network`` is
``water``) replaced by the file's; other networks (gas, drainage) are kept. On the command
line: ``twin import epanet FILE --into CITY_DIR (--crs CRS | --anchor LON,LAT
[--units-to-m M])``.

The file is read with wntr (``wntr.network.WaterNetworkModel``), which converts every
quantity to SI whatever the file's units.

Where the network is
    EPANET coordinates have no CRS. Say one of:

    - ``crs``: the CRS the ``[COORDINATES]`` are in (a network exported from GIS);
    - ``anchor_lonlat``: the network is a schematic in plane units (like EPANET's example
      networks Net1/Net3): its bounding-box centre is placed at this WGS84 lon/lat, in the
      UTM zone there (or in ``crs`` if also given, which must then be metric), scaled by
      ``units_to_m`` metres per coordinate unit. Without ``units_to_m`` the scale is the
      median of (hydraulic length / drawn length) over the pipes, so drawn pipes are as
      long as the model says (reported in the notes).

    Neither → a TwinDataError saying how. A network that lands nowhere near the city's
    roads (no junction within :data:`twin.model.validate.MAX_SNAP_M` of a road node) is refused:
    its CRS or anchor is wrong.
Nodes → ``junctions``
    EPANET junctions → ``kind`` ``junction``; reservoirs and tanks → ``kind`` ``source``
    (the contract knows only sources and junctions; the EPANET type is kept in
    ``node_type``). ``elevation_m``: junction/tank elevation, a reservoir's total head.
Links → ``pipes``
    Pipes with EPANET's hydraulic ``length_m`` and ``diameter_mm``; pumps and valves as
    short pipes (``link_type`` ``pump``/``valve``) whose ``length_m`` is their drawn length
    (at least :data:`MIN_LINK_M`); a valve keeps its diameter and its type (``valve_type``:
    PRV, PSV, FCV, TCV, GPV, PBV), a pump takes the largest diameter of the pipes at its
    ends (the main it drives). Geometry: the end nodes plus the link's ``[VERTICES]``; a
    pump or valve drawn with both ends at one point (common in utility exports) gets a
    :data:`STUB_M` stub eastwards. ``status``: the initial status (``open``, ``closed``,
    ``active``); closed links carry no water, so :mod:`twin.model.pipes` leaves them out
    of outage connectivity.
Unknowns
    EPANET has no installation year or material: ``install_year`` is a missing value
    (pandas ``Int64`` NA — never a fake year; age-based models must treat NA as unknown)
    and ``material`` is ``"unknown"``; ``monitored`` is False.
Ids
    EPANET names as they are (optionally prefixed, ``id_prefix``); a clash with a junction
    or pipe of another network in the city is an error suggesting a prefix.
Roads
    Each pipe's ``edge_id`` is the road edge nearest its midpoint within
    :data:`PIPE_EDGE_SNAP_M` (the road it lies under), '' if none.

Placement and link geometry (:data:`MIN_LINK_M`, :data:`STUB_M`) live in
:mod:`twin.importers.epanet_geometry`.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from twin.errors import TwinDataError
from twin.importers import city_from_layers, note
from twin.importers.epanet_geometry import TITLE, _finish_links, _pipes, _placement, _to_metric
from twin.model.city import LAYERS, City, load_city
from twin.model.validate import MAX_SNAP_M, PIPE_NETWORKS

PIPE_EDGE_SNAP_M = 30.0
"""A pipe lies under the nearest road edge when its midpoint is within this many metres."""
HOW_TO_PLACE = (
    "say where the network is: crs='EPSG:…' (twin import epanet --crs) if the "
    "[COORDINATES] are map coordinates, or anchor_lonlat=(lon, lat) (--anchor "
    "LON,LAT, optionally --units-to-m M) to centre a schematic network there"
)


@dataclass
class PipeNetwork:
    """One network's ``pipes`` and ``junctions`` layers (same CRS) and what the import assumed."""

    network: str
    pipes: gpd.GeoDataFrame
    junctions: gpd.GeoDataFrame
    source: str
    notes: list[str] = field(default_factory=list)


def import_epanet(
    path: str | os.PathLike,
    into: City | str | os.PathLike,
    *,
    crs: str | None = None,
    anchor_lonlat: tuple[float, float] | None = None,
    units_to_m: float | None = None,
    network: str = "water",
    id_prefix: str = "",
    max_snap_m: float = MAX_SNAP_M,
) -> City:
    """The city ``into`` (a City or a city folder) with its ``network`` pipes and junctions
    replaced by those of the EPANET file ``path``. See the module docstring for placement
    (``crs`` / ``anchor_lonlat`` / ``units_to_m`` in metres per unit)."""
    city = into if isinstance(into, City) else load_city(into)
    net = read_epanet(
        path,
        crs=crs,
        anchor_lonlat=anchor_lonlat,
        units_to_m=units_to_m,
        network=network,
        id_prefix=id_prefix,
    )
    return merge_network(city, net, max_snap_m=max_snap_m)


def read_epanet(
    path: str | os.PathLike,
    *,
    crs: str | None = None,
    anchor_lonlat: tuple[float, float] | None = None,
    units_to_m: float | None = None,
    network: str = "water",
    id_prefix: str = "",
) -> PipeNetwork:
    """Read an EPANET file as ``pipes`` and ``junctions`` layers placed on Earth."""
    path = Path(path)
    if network not in PIPE_NETWORKS:
        raise TwinDataError.one(
            str(path),
            f"unknown network {network!r}",
            f"use one of {', '.join(PIPE_NETWORKS)}",
            title=TITLE,
        )
    if crs is None and anchor_lonlat is None:
        raise TwinDataError.one(
            str(path),
            "EPANET coordinates have no CRS, so the network cannot be placed on the map",
            HOW_TO_PLACE,
            title=TITLE,
        )
    wn = _read_model(path)
    notes: list[str] = []
    nodes = _node_table(wn, id_prefix)
    links = _link_table(wn, id_prefix)
    place, target_crs = _placement(path, nodes, links, crs, anchor_lonlat, units_to_m, notes)
    xy = place(nodes[["x", "y"]].to_numpy(float))
    links["vertices"] = [place(np.asarray(v, float).reshape(-1, 2)) for v in links["vertices"]]
    nodes_xy = dict(zip(nodes["name"], xy))
    junctions = gpd.GeoDataFrame(
        {
            "junction_id": nodes["id"],
            "network": network,
            "kind": nodes["kind"],
            "elevation_m": nodes["elevation_m"],
            "node_type": nodes["node_type"],
        },
        geometry=shapely.points(xy),
        crs=target_crs,
    )
    pipes = _pipes(path, links, nodes_xy, network, target_crs, notes)
    junctions, pipes = _to_metric(junctions, pipes)
    _finish_links(pipes, notes)
    return PipeNetwork(network, pipes, junctions, str(path), notes)


def _read_model(path: Path) -> Any:  # a wntr WaterNetworkModel
    import wntr  # noqa: PLC0415 — optional extra

    if not path.is_file():
        raise TwinDataError.one(
            str(path), "no such file", "give the path of an EPANET .inp file", title=TITLE
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return wntr.network.WaterNetworkModel(str(path))
    except Exception as exc:  # noqa: BLE001 — wntr raises many kinds; all mean bad input
        raise TwinDataError.one(
            str(path),
            f"not a readable EPANET input file: {exc}",
            "open and re-save it in EPANET 2.2, or check the line named",
            title=TITLE,
        ) from None


def _node_table(wn: Any, prefix: str) -> pd.DataFrame:
    rows = [(n, "junction", "junction", node.elevation) for n, node in wn.junctions()]
    rows += [(n, "source", "tank", node.elevation) for n, node in wn.tanks()]
    rows += [(n, "source", "reservoir", node.base_head) for n, node in wn.reservoirs()]
    table = pd.DataFrame(rows, columns=["name", "kind", "node_type", "elevation_m"])
    table["id"] = prefix + table["name"].astype(str)
    table["x"] = [wn.get_node(n).coordinates[0] for n in table["name"]]
    table["y"] = [wn.get_node(n).coordinates[1] for n in table["name"]]
    return table


def _link_table(wn: Any, prefix: str) -> pd.DataFrame:
    rows = []
    for kind, items in (("pipe", wn.pipes()), ("pump", wn.pumps()), ("valve", wn.valves())):
        for name, link in items:
            rows.append(
                {
                    "name": name,
                    "id": prefix + str(name),
                    "link_type": kind,
                    "u_name": link.start_node_name,
                    "v_name": link.end_node_name,
                    "u": prefix + str(link.start_node_name),
                    "v": prefix + str(link.end_node_name),
                    "length_m": getattr(link, "length", np.nan) if kind == "pipe" else np.nan,
                    "diameter_mm": getattr(link, "diameter", np.nan) * 1000.0
                    if kind != "pump"
                    else np.nan,
                    "vertices": list(link.vertices or []),
                    "status": _status(link),
                    "valve_type": str(getattr(link, "valve_type", "") or ""),
                }
            )
    return pd.DataFrame(rows)


def _status(link: Any) -> str:
    """A link's initial status as ``open``, ``closed`` or ``active`` (a valve regulating)."""
    text = str(link.initial_status).lower()
    return "closed" if "closed" in text else "active" if "active" in text else "open"


# ---------------------------------------------------------------------------- merging


def merge_network(city: City, net: PipeNetwork, *, max_snap_m: float = MAX_SNAP_M) -> City:
    """``city`` with its ``net.network`` pipes/junctions replaced by ``net``'s (validated)."""
    pipes = net.pipes.to_crs(city.crs)
    junctions = net.junctions.to_crs(city.crs)
    notes = list(net.notes)
    _check_on_roads(city, net, junctions, max_snap_m, notes)
    pipes["edge_id"] = _edge_under(city, pipes, notes)
    keep_p = city.pipes[city.pipes["network"] != net.network]
    keep_j = city.junctions[city.junctions["network"] != net.network]
    _check_clashes(net, keep_p, pipes, "pipe_id")
    _check_clashes(net, keep_j, junctions, "junction_id")
    replaced = len(city.pipes) - len(keep_p)
    if replaced:
        note(notes, f"replaced the city's {replaced} {net.network} pipes")
    layers = {name: getattr(city, name) for name in LAYERS}
    layers["pipes"] = _concat(keep_p, pipes)
    layers["junctions"] = _concat(keep_j, junctions)
    meta = dict(city.meta)
    meta["import_notes"] = [*meta.get("import_notes", []), *notes]
    meta[f"{net.network}_source"] = net.source
    return city_from_layers(
        layers,
        name=city.name,
        where=f"{city.source} + {net.source}",
        crs=city.crs,
        source=city.source,
        meta=meta,
    )


def _check_on_roads(
    city: City, net: PipeNetwork, junctions: gpd.GeoDataFrame, max_snap_m: float, notes: list[str]
) -> None:
    nodes = city.road_nodes.geometry
    if nodes.empty:
        return
    tree = cKDTree(np.column_stack([nodes.x, nodes.y]))
    dist, _ = tree.query(np.column_stack([junctions.geometry.x, junctions.geometry.y]))
    near = dist <= max_snap_m
    if not near.any():
        raise TwinDataError.one(
            net.source,
            f"the network does not lie on the city "
            f"{city.name!r}: its nearest junction is {dist.min() / 1000:.1f} "
            f"km from any road node (at most {max_snap_m:.0f} m expected)",
            f"check the placement: {HOW_TO_PLACE}",
            title=TITLE,
        )
    if not near.all():
        note(
            notes,
            f"{int((~near).sum())} of {len(near)} junctions are more than "
            f"{max_snap_m:.0f} m from any road node",
        )


def _edge_under(city: City, pipes: gpd.GeoDataFrame, notes: list[str]) -> np.ndarray:
    if city.road_edges.empty:
        return np.full(len(pipes), "", dtype=object)
    mids = gpd.GeoDataFrame(
        geometry=pipes.geometry.interpolate(0.5, normalized=True), crs=pipes.crs
    )
    hit = gpd.sjoin_nearest(
        mids, city.road_edges[["edge_id", "geometry"]], how="left", max_distance=PIPE_EDGE_SNAP_M
    )
    hit = hit[~hit.index.duplicated(keep="first")]["edge_id"].reindex(mids.index)
    edge = hit.fillna("").astype(str).to_numpy(dtype=object)
    note(
        notes,
        f"{int((edge != '').sum())} of {len(edge)} pipes lie under a road edge "
        f"(midpoint within {PIPE_EDGE_SNAP_M:.0f} m; edge_id)",
    )
    return edge


def _check_clashes(net: PipeNetwork, kept: pd.DataFrame, new: pd.DataFrame, col: str) -> None:
    clash = sorted(set(kept[col].astype(str)) & set(new[col].astype(str)))
    if clash:
        raise TwinDataError.one(
            net.source,
            f"{len(clash)} {col}s are already used by another network in the city",
            f"give the import an id prefix (--id-prefix {net.network[0].upper()}-)",
            ids=clash,
            title=TITLE,
        )


def _concat(kept: gpd.GeoDataFrame, new: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if kept.empty:
        return new.reset_index(drop=True)
    return gpd.GeoDataFrame(pd.concat([kept, new], ignore_index=True), crs=new.crs)
