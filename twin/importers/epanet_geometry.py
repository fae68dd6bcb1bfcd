"""Placing and drawing an EPANET network (:mod:`twin.importers.epanet`): file coordinates
to a CRS ("Where the network is"), links to ``pipes`` geometries with stubs, pump and
valve lengths and pump diameters ("Links → pipes")."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from twin.errors import TwinDataError
from twin.importers import note

MIN_LINK_M = 1.0
"""Shortest length (m) given to a pump or valve link (they are drawn very short)."""
STUB_M = 2.0
"""Length (m) of the stub drawn for a pump or valve whose two nodes are at one point."""
TITLE = "cannot import EPANET"


def _placement(
    path: Path,
    nodes: pd.DataFrame,
    links: pd.DataFrame,
    crs: str | None,
    anchor: tuple[float, float] | None,
    units_to_m: float | None,
    notes: list[str],
) -> tuple[Callable[[np.ndarray], np.ndarray], str]:
    """A function taking file coordinates (n × 2) to the target CRS, and that CRS."""
    xy = nodes[["x", "y"]].to_numpy(float)
    if len(xy) == 0 or np.ptp(xy, axis=0).max() == 0:
        raise TwinDataError.one(
            str(path),
            "the file has no usable [COORDINATES] (all nodes are at one point)",
            "draw the network in EPANET (or export it from GIS with coordinates)",
            title=TITLE,
        )
    if anchor is None:
        if units_to_m is not None:
            raise TwinDataError.one(
                str(path),
                "units_to_m applies only with an anchor",
                "drop --units-to-m (with --crs the coordinates are in "
                "that CRS's units), or give --anchor LON,LAT",
                title=TITLE,
            )
        assert crs is not None  # refused in import_epanet when neither is given
        return (lambda pts: pts), _check_crs(path, crs)
    scale = units_to_m if units_to_m is not None else _auto_scale(path, nodes, links)
    if not scale > 0:
        raise TwinDataError.one(
            str(path),
            f"units_to_m must be > 0, not {scale}",
            "give the metres per coordinate unit, e.g. 0.3048 for feet",
            title=TITLE,
        )
    target = _check_crs(path, crs, metric=True) if crs else _utm_of(*anchor)
    ax, ay = pyproj.Transformer.from_crs("EPSG:4326", target, always_xy=True).transform(*anchor)
    centre = (xy.min(axis=0) + xy.max(axis=0)) / 2
    note(
        notes,
        f"placed the schematic network with its centre at lon {anchor[0]}, lat "
        f"{anchor[1]} in {target}, {scale:.4g} m per coordinate unit"
        f"{' (from pipe lengths)' if units_to_m is None else ''}",
    )
    return (lambda pts: (pts - centre) * scale + np.array([ax, ay])), target


def _check_crs(path: Path, crs: str, metric: bool = False) -> str:
    try:
        parsed = pyproj.CRS(crs)
    except pyproj.exceptions.CRSError:
        raise TwinDataError.one(
            str(path),
            f"unknown CRS {crs!r}",
            "give an EPSG code such as 'EPSG:32648' or 'EPSG:4326'",
            title=TITLE,
        ) from None
    if metric and not parsed.is_projected:
        raise TwinDataError.one(
            str(path),
            f"CRS {crs!r} is not metric, so it cannot hold a schematic network placed by --anchor",
            "give a projected CRS such as 'EPSG:32648', or leave --crs out",
            title=TITLE,
        )
    return parsed.to_string()


def _auto_scale(path: Path, nodes: pd.DataFrame, links: pd.DataFrame) -> float:
    pos = nodes.set_index("name")[["x", "y"]]
    pipes = links[links["link_type"] == "pipe"]
    drawn = np.hypot(*(pos.loc[pipes["u_name"]].to_numpy() - pos.loc[pipes["v_name"]].to_numpy()).T)
    ok = drawn > 0
    if not ok.any():
        raise TwinDataError.one(
            str(path),
            "cannot infer the drawing scale (no pipe is drawn with two distinct ends)",
            "give units_to_m (--units-to-m)",
            title=TITLE,
        )
    return float(np.median(pipes["length_m"].to_numpy(float)[ok] / drawn[ok]))


def _utm_of(lon: float, lat: float) -> str:
    found = pyproj.database.query_utm_crs_info(
        datum_name="WGS 84", area_of_interest=pyproj.aoi.AreaOfInterest(lon, lat, lon, lat)
    )
    return f"EPSG:{found[0].code}"


def _pipes(
    path: Path, links: pd.DataFrame, nodes_xy: dict, network: str, crs: str, notes: list[str]
) -> gpd.GeoDataFrame:
    geoms, same_place, stubs = [], [], []
    for row in links.itertuples(index=False):
        a, b = nodes_xy[row.u_name], nodes_xy[row.v_name]
        if np.array_equal(a, b) and len(row.vertices) == 0:
            if row.link_type == "pipe":
                same_place.append(row.id)
            else:  # utility exports draw pumps and valves as a point: give them a stub
                stubs.append(row.id)
                b = np.asarray(a, float) + _stub_offset(crs)
        geoms.append(shapely.LineString(np.vstack([a, row.vertices, b])))
    if same_place:
        raise TwinDataError.one(
            str(path),
            f"{len(same_place)} pipes are drawn with both ends "
            "at the same point, so they have no shape",
            "move one end node in the file's [COORDINATES] (or add [VERTICES])",
            ids=same_place,
            title=TITLE,
        )
    if stubs:
        note(
            notes,
            f"{len(stubs)} pumps/valves have both ends at one point: drawn as a "
            f"{STUB_M:g} m stub eastwards ({', '.join(stubs[:5])}"
            f"{'…' if len(stubs) > 5 else ''})",
        )
    closed = links["status"] == "closed"
    if closed.any():
        note(
            notes,
            f"{int(closed.sum())} links are closed initially (status 'closed': no "
            "flow, so they do not connect junctions to sources in outage connectivity): "
            + ", ".join(
                f"{v} {k}s"
                for k, v in links.loc[closed, "link_type"].value_counts().sort_index().items()
            ),
        )
    return gpd.GeoDataFrame(
        {
            "pipe_id": links["id"],
            "network": network,
            "u": links["u"],
            "v": links["v"],
            "diameter_mm": links["diameter_mm"].astype(float),
            "install_year": pd.array([pd.NA] * len(links), dtype="Int64"),
            "material": "unknown",
            "length_m": links["length_m"].astype(float),
            "monitored": False,
            "link_type": links["link_type"],
            "status": links["status"],
            "valve_type": links["valve_type"],
        },
        geometry=geoms,
        crs=crs,
    )


def _stub_offset(crs: str) -> np.ndarray:
    """:data:`STUB_M` metres east, in ``crs`` units (degrees for a geographic CRS)."""
    parsed = pyproj.CRS(crs)
    if parsed.is_geographic:
        return np.array([STUB_M / 111_320.0, 0.0])
    return np.array([STUB_M / parsed.axis_info[0].unit_conversion_factor, 0.0])


def _to_metric(
    junctions: gpd.GeoDataFrame, pipes: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    if pyproj.CRS(junctions.crs).is_projected:
        return junctions, pipes
    metric = junctions.estimate_utm_crs()
    return junctions.to_crs(metric), pipes.to_crs(metric)


def _finish_links(pipes: gpd.GeoDataFrame, notes: list[str]) -> None:
    """Lengths of pumps/valves from their drawing; pump diameters from their mains."""
    short = pipes["link_type"] != "pipe"
    drawn = pipes.geometry.length.to_numpy()
    pipes.loc[short, "length_m"] = np.maximum(drawn[short.to_numpy()], MIN_LINK_M)
    is_pipe = pipes["link_type"] == "pipe"
    ends = pd.concat(
        [
            pipes.loc[is_pipe, ["u", "diameter_mm"]].rename(columns={"u": "j"}),
            pipes.loc[is_pipe, ["v", "diameter_mm"]].rename(columns={"v": "j"}),
        ]
    )
    widest = ends.groupby("j")["diameter_mm"].max()
    pumps = pipes["link_type"] == "pump"
    pipes.loc[pumps, "diameter_mm"] = np.fmax(
        pipes.loc[pumps, "u"].map(widest).astype(float).to_numpy(),
        pipes.loc[pumps, "v"].map(widest).astype(float).to_numpy(),
    )
    counts = pipes["link_type"].value_counts().to_dict()
    note(
        notes,
        f"EPANET links: {counts.get('pipe', 0)} pipes, {counts.get('pump', 0)} pumps and "
        f"{counts.get('valve', 0)} valves (pumps and valves stored as short pipes, link_type); "
        "install_year unknown (NA), material 'unknown'",
    )
