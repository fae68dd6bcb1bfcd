"""Results by 1 km grid cell, and coverage as areas reached within 5/10/30 minutes.

- :func:`cell_layers`: each cell with incidents, filled by the share that met the target
  (cividis), fainter where the cell had few incidents (alpha grows with the count up to
  :data:`FULL_ALPHA_COUNT`), so a cell's 0 % from one incident does not shout.
- :func:`coverage_area_layers`: each cell coloured by the median, over the road nodes in it,
  of the engine's best ground response time (coverage.parquet ``t_ground_s``, computed on
  the network the run had, closures included: twin.analysis.metrics.coverage_table), in the
  bands of :data:`twin.viz.style.COVERAGE_BANDS`. One polygon per cell instead of one dot
  per road node: about 6 000 squares for the embedded twin instead of 39 000 dots.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pydeck as pdk

import twin.viz.style as style
from twin.model.city import City
from twin.viz.data import RunData
from twin.viz.geom import DECIMALS, HIDDEN_DECIMALS, MapLayer, to_wgs84

FULL_ALPHA_COUNT = 5
"""A cell with this many incidents or more is drawn fully opaque (alpha 200)."""
CELL_SIMPLIFY_M = 5.0


def cell_results(city: City, run: RunData, target: str = "30min") -> pd.DataFrame:
    """Per cell with incidents the target applied to: ``count`` and ``met_share``."""
    inc = run.incidents
    col = style.MET_COLUMN[target]
    if inc.empty or "cell_id" not in inc.columns:
        return pd.DataFrame(columns=["count", "met_share"])
    met = pd.to_numeric(inc[col].astype("object").where(inc[col].notna()), errors="coerce")
    df = pd.DataFrame({"cell_id": inc["cell_id"].astype(str), "met": met}).dropna()
    return df.groupby("cell_id")["met"].agg(count="count", met_share="mean")


def cell_alpha(count: int) -> int:
    """A cell's fill opacity (0–255) for its incident count: 80 for one, 200 from
    :data:`FULL_ALPHA_COUNT` up."""
    return int(80 + 120 * min(count, FULL_ALPHA_COUNT) / FULL_ALPHA_COUNT)


def cell_rings(geoms: gpd.GeoSeries, decimals: int) -> list[list[list[float]]]:
    """The exterior ring of each polygon (cells are simple squares), rounded."""
    return [
        np.round(np.asarray(g.exterior.coords)[:, :2], decimals).tolist()
        if g.geom_type == "Polygon"
        else np.round(
            np.asarray(max(g.geoms, key=lambda p: p.area).exterior.coords)[:, :2], decimals
        ).tolist()
        for g in geoms
    ]


def cell_layers(
    city: City, run: RunData, target: str = "30min", visible: bool = True
) -> list[MapLayer]:
    """The 1 km cells with incidents, filled by their met share (see module docstring)."""
    res = cell_results(city, run, target)
    cells = city.cells
    if res.empty or cells.empty:
        return []
    cells = cells[cells["cell_id"].astype(str).isin(res.index)]
    if cells.empty:
        return []
    rings = cell_rings(to_wgs84(cells, CELL_SIMPLIFY_M), DECIMALS)
    data = []
    for ring, cid in zip(rings, cells["cell_id"].astype(str)):
        n, share = int(res.at[cid, "count"]), float(res.at[cid, "met_share"])
        alpha = cell_alpha(n)
        data.append(
            {
                "polygon": ring,
                "c": style.ramp(share, alpha),
                "tip": f"cell {cid}\n{style.target_label(target)} target met: "
                f"{style.percent(share)} of {n}",
            }
        )
    layer = pdk.Layer(
        "PolygonLayer",
        data,
        id="cells",
        get_polygon="polygon",
        get_fill_color="c",
        stroked=False,
        filled=True,
        pickable=True,
        auto_highlight=True,
        highlight_color=[255, 255, 255, 80],
        visible=visible,
    )
    return [MapLayer(layer, "cells", visible)]


def cell_aggregate(city: City, values: pd.Series, how: str = "median") -> pd.Series:
    """``values`` by road node (index node_id) aggregated per cell (``how``: a pandas
    groupby reduction); NaN values count as +inf (unreachable)."""
    nodes = city.road_nodes
    if values is None or values.empty or nodes.empty or city.cells.empty:
        return pd.Series(dtype=float)
    values = values[~values.index.duplicated()]
    v = pd.to_numeric(values.reindex(nodes["node_id"].astype(str)), errors="coerce")
    joined = gpd.sjoin(
        gpd.GeoDataFrame({"v": v.to_numpy(float)}, geometry=nodes.geometry.values, crs=nodes.crs),
        city.cells[["cell_id", "geometry"]],
        predicate="within",
    )
    joined["v"] = joined["v"].fillna(np.inf)
    out = joined.groupby(joined["cell_id"].astype(str))["v"].agg(how)
    return out.replace(np.inf, np.nan)


def cell_times(city: City, coverage: pd.Series) -> pd.Series:
    """Median best ground time (s) of the road nodes in each cell (NaN: unreachable)."""
    return cell_aggregate(city, coverage, "median")


def coverage_area_layers(city: City, coverage: pd.Series, visible: bool = False) -> list[MapLayer]:
    """Cells coloured by the coverage band of :func:`cell_times` (hidden at first)."""
    times = cell_times(city, coverage)
    if times.empty:
        return []
    cells = city.cells[city.cells["cell_id"].astype(str).isin(times.index)]
    rings = cell_rings(to_wgs84(cells, CELL_SIMPLIFY_M), HIDDEN_DECIMALS)
    band = [style.coverage_band(float(times.get(c, np.nan))) for c in cells["cell_id"].astype(str)]
    data = [{"polygon": r, "c": style.COVERAGE_BANDS[b][1]} for r, b in zip(rings, band)]
    layer = pdk.Layer(
        "PolygonLayer",
        data,
        id="coverage",
        get_polygon="polygon",
        get_fill_color="c",
        stroked=False,
        filled=True,
        pickable=False,
        visible=visible,
    )
    return [MapLayer(layer, "coverage", visible=visible)]
