"""The base layer that ships with the project (no tiles, no network): rivers as water areas.

Natural Earth's 1:10m river centre lines (``geodata/sources/chongqing_rivers_ne10m.geojson``)
are buffered in the metric CRS to a stated width per river (:data:`RIVER_WIDTH_M`) and
stored, simplified, in the package (``twin/viz/data/water.geojson``, WGS84, 1e-5°), built by
``python -m twin.viz.basemap``. Provenance and the widths are in ``twin/viz/data/NOTICE.md``.
The lines are accurate to about 1:10 million (a few hundred metres): the water areas show
where the rivers run, they are not a survey of the banks. The synthetic bridges of the
embedded twin were placed where its roads cross these same lines, so they sit over water.
"""

from __future__ import annotations

import json
import sys
from functools import lru_cache
from importlib import resources
from pathlib import Path

import geopandas as gpd
import pydeck as pdk

import twin.viz.style as style
from twin.viz.geom import MapLayer, polygon_rings

RIVER_WIDTH_M: dict[str, float] = {"Yangtze": 700.0, "Jialing": 350.0, "Wu": 300.0}
"""Full width of each river's water area (metres). Assumed from the channel widths at
central Chongqing: Yangtze about 500–800 m, Jialing about 300–400 m (docs/calibration.md);
the Wu (Fuling, outside the central city) 200–400 m."""
SIMPLIFY_M = 30.0
METRIC_CRS = "EPSG:32648"
WATER_FILE = "water.geojson"
SOURCE = Path("geodata/sources/chongqing_rivers_ne10m.geojson")


def build_water(src: Path = SOURCE, out: Path | None = None) -> Path:
    """Buffer the river centre lines of ``src`` to water areas; write them as GeoJSON."""
    lines = gpd.read_file(src).to_crs(METRIC_CRS)
    names = lines["name_en"].fillna(lines["name"]).astype(str)
    widths = names.map(RIVER_WIDTH_M)
    if widths.isna().any():
        raise ValueError(f"no width for rivers {sorted(set(names[widths.isna()]))}")
    water = gpd.GeoDataFrame(
        {"name": names, "width_m": widths},
        geometry=lines.buffer(widths / 2, cap_style="flat"),
        crs=METRIC_CRS,
    )
    water["geometry"] = water.simplify(SIMPLIFY_M)
    out = out or Path(str(resources.files("twin.viz") / "data" / WATER_FILE))
    feats = []
    for row in water.to_crs("EPSG:4326").itertuples(index=False):
        geo = json.loads(gpd.GeoSeries([row.geometry]).to_json())["features"][0]["geometry"]
        feats.append(
            {
                "type": "Feature",
                "properties": {"name": row.name, "width_m": row.width_m},
                "geometry": _round(geo),
            }
        )
    doc = {
        "type": "FeatureCollection",
        "features": feats,
        "source": "Natural Earth 1:10m rivers (public domain), buffered by twin.viz.basemap",
    }
    out.write_text(json.dumps(doc, separators=(",", ":")), encoding="utf-8")
    return out


def _round(geo: dict) -> dict:
    """A GeoJSON geometry with its coordinates rounded to 1e-5 degrees (about 1 m)."""
    return json.loads(json.dumps(geo), parse_float=lambda v: round(float(v), 5))


@lru_cache(maxsize=1)
def water() -> gpd.GeoDataFrame:
    """The shipped water areas (WGS84); empty if the file is missing."""
    path = resources.files("twin.viz") / "data" / WATER_FILE
    if not path.is_file():
        return gpd.GeoDataFrame({"name": []}, geometry=[], crs="EPSG:4326")
    return gpd.read_file(str(path))


def water_layers(bounds: list[float] | None = None) -> list[MapLayer]:
    """Water areas as a PolygonLayer (not pickable), clipped to ``bounds`` with a margin."""
    w = water()
    if bounds is not None and len(w):
        x0, y0, x1, y1 = bounds
        pad = max(x1 - x0, y1 - y0)
        w = w.clip((x0 - pad, y0 - pad, x1 + pad, y1 + pad))
    data = [{"polygon": rings} for geom in w.geometry for rings in polygon_rings(geom)]
    if not data:
        return []
    layer = pdk.Layer(
        "PolygonLayer",
        data,
        id="water",
        get_polygon="polygon",
        get_fill_color=style.WATER_COLOR,
        get_line_color=style.WATER_LINE,
        get_line_width=1,
        line_width_units="`pixels`",
        stroked=True,
        filled=True,
        pickable=False,
    )
    return [MapLayer(layer, "water")]


if __name__ == "__main__":  # python -m twin.viz.basemap [SOURCE]
    print(build_water(Path(sys.argv[1]) if len(sys.argv) > 1 else SOURCE))
