"""Files planners' own tools open: ``results.gpkg`` (QGIS, ArcGIS) and ``districts.csv``
(UTF-8 with a byte-order mark, so Excel shows the Chinese names).

``results.gpkg`` layers (EPSG:32648, the city's metric CRS; QGIS and ArcGIS reproject):

- ``districts``: id, names, population, and per target (10/30/60 min) the incidents and
  the share met;
- ``cells``: the 1 km cells with incidents: count and share meeting 30 min;
- ``incidents``: every incident as a point with the engine's columns;
- ``stations``: the stations the run used, with ``change`` = ``added``/``moved``/``""``,
  and the removed ones (``change`` = ``removed``), so proposed stations are one filter away.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from twin.model.city import City
from twin.viz.cells import cell_results
from twin.viz.data import district_compliance, district_order, read_results
from twin.viz.drawing import Drawing, draw
from twin.viz.runcity import station_changes
from twin.viz.style import TARGETS

GPKG = "results.gpkg"
DISTRICTS_CSV = "districts.csv"


def district_table(city: City, results_dir: str | Path, target: str = "30min") -> pd.DataFrame:
    """One row per district in the one order (worst first for ``target``): names,
    population, incidents and share met for each target."""
    run = read_results(results_dir)
    d = city.districts.set_index(city.districts["district_id"].astype(str))
    order = [i for i in district_order(run.compliance, target) if i in d.index]
    order += [i for i in d.index if i not in order]
    out = d.loc[order, ["name", "name_en", "population", "level"]].copy()
    for t in TARGETS:
        comp = district_compliance(run.compliance, t)
        out[f"incidents_{t}"] = pd.to_numeric(comp["count"], errors="coerce").reindex(out.index)
        out[f"met_share_{t}"] = pd.to_numeric(comp["met_share"], errors="coerce").reindex(out.index)
    out.index.name = "district_id"
    return out.reset_index()


def write_planner_files(
    results_dir: str | Path, city: City, drawing: Drawing | None = None
) -> list[Path]:
    """Write results.gpkg and districts.csv into the results folder; return their paths.
    ``drawing``: the run already read and drawn (:func:`twin.viz.drawing.draw`)."""
    folder = Path(results_dir)
    d = drawing or draw(folder, city)
    run, drawn = d.run, d.city
    table = district_table(city, folder)
    csv = folder / DISTRICTS_CSV
    tmp_csv = folder / f".{DISTRICTS_CSV}.tmp"
    table.to_csv(tmp_csv, index=False, encoding="utf-8-sig")
    tmp_csv.replace(csv)

    gpkg = folder / GPKG
    tmp = folder / f".{GPKG}.tmp.gpkg"
    tmp.unlink(missing_ok=True)
    districts = gpd.GeoDataFrame(
        table.drop(columns=["name", "name_en", "population", "level"]).merge(
            city.districts, on="district_id"
        ),
        geometry="geometry",
        crs=city.crs,
    )
    districts.to_file(tmp, layer="districts", driver="GPKG")
    cells = cell_results(city, run, "30min")
    if len(cells) and len(city.cells):
        c = city.cells.merge(cells, left_on=city.cells["cell_id"].astype(str), right_index=True)
        c.drop(columns=[k for k in c.columns if k == "key_0"]).to_file(
            tmp, layer="cells", driver="GPKG"
        )
    inc = run.incidents
    if len(inc):
        pts = gpd.GeoDataFrame(
            inc.drop(columns=["x", "y"]),
            crs="EPSG:4326",
            geometry=gpd.points_from_xy(pd.to_numeric(inc["x"]), pd.to_numeric(inc["y"])),
        )
        for col in pts.columns:  # nullable booleans and objects as plain text/numbers
            if str(pts[col].dtype) in ("boolean", "object") and col != "geometry":
                pts[col] = pts[col].astype(str)
        pts.to_crs(city.crs).to_file(tmp, layer="incidents", driver="GPKG")
    ch = station_changes(city, drawn)
    st = drawn.stations.copy()
    st["change"] = ""
    st.loc[st["station_id"].isin(ch.added["station_id"]), "change"] = "added"
    st.loc[st["station_id"].isin(ch.moved["station_id"]), "change"] = "moved"
    removed = ch.removed.copy()
    removed["change"] = "removed"
    pd.concat([st, removed], ignore_index=True).pipe(
        gpd.GeoDataFrame, geometry="geometry", crs=city.crs
    ).to_file(tmp, layer="stations", driver="GPKG")
    tmp.replace(gpkg)
    return [gpkg, csv]
