"""Hill shading from the city's road-node elevations: a BitmapLayer in the base layer.

The nodes' ``elevation_m`` are interpolated linearly (``scipy.interpolate.griddata``) onto a
grid over the nodes' convex hull — rows evenly spaced in Web Mercator so the image lines up
with deck.gl's projection — and shaded with matplotlib's ``LightSource`` (sun from the
north-west, 45° up; its sun direction on the true slopes in metres, not stretched). The picture is only the darkening (black with
an alpha from the shade), so it lies over any fill beneath it; outside the city's districts
it is clear.
For the embedded twin the terrain is the synthetic one of ``geodata/README.md`` (three
ridges and the river valleys), so the shading shows the twin's terrain, not a survey.
Built when the map is written (about a second), shipped inside the page as a PNG data URI.
"""

from __future__ import annotations

import base64
import io
import math

import numpy as np
import pydeck as pdk
import shapely
from matplotlib.colors import LightSource
from matplotlib.image import imsave
from scipy.interpolate import griddata

from twin.model.city import City
from twin.viz.geom import WGS84, MapLayer, lit

CELL_M = 150.0
"""Grid spacing of the shaded relief (metres on the ground, about)."""
MAX_SIDE = 900
"""The image's longest side in pixels (a large city gets a coarser grid)."""
SHADE_ALPHA = 110
"""Opacity (0–255) of the darkest shade: slopes facing away from the sun."""
MIN_RELIEF_M = 5.0
"""No layer when the nodes span less than this height (a flat or unknown terrain)."""
EARTH_M = 6_371_008.8


def _merc_y(lat: np.ndarray) -> np.ndarray:
    return np.log(np.tan(np.pi / 4 + np.radians(lat) / 2))


def _lat(y: np.ndarray) -> np.ndarray:
    return np.degrees(2 * np.arctan(np.exp(y)) - np.pi / 2)


def shaded_relief(city: City) -> tuple[np.ndarray, list[float]] | None:
    """RGBA image (rows north to south, uint8) and its [west, south, east, north] bounds in
    WGS84, or ``None`` when the city has too few nodes or no relief."""
    nodes = city.road_nodes
    if len(nodes) < 3 or "elevation_m" not in nodes:
        return None
    z = nodes["elevation_m"].to_numpy(float)
    ok = np.isfinite(z)
    if ok.sum() < 3 or np.ptp(z[ok]) < MIN_RELIEF_M:
        return None
    ll = nodes.geometry[ok].to_crs(WGS84)
    lon, lat, z = ll.x.to_numpy(), ll.y.to_numpy(), z[ok]
    w, e, s, n = lon.min(), lon.max(), lat.min(), lat.max()
    coslat = math.cos(math.radians((s + n) / 2))
    width_m = math.radians(e - w) * EARTH_M * coslat
    height_m = math.radians(n - s) * EARTH_M
    cell = max(CELL_M, max(width_m, height_m) / MAX_SIDE)
    nx, ny = max(2, round(width_m / cell)), max(2, round(height_m / cell))
    gx = np.linspace(w, e, nx)
    gy = _lat(np.linspace(_merc_y(np.array(n)), _merc_y(np.array(s)), ny))  # north first
    grid = griddata((lon, lat), z, (gx[None, :], gy[:, None]), method="linear")
    inside = np.isfinite(grid)
    if len(city.districts):  # only over the city's districts, not the nodes' whole hull
        area = city.districts.geometry.to_crs(WGS84).union_all()
        inside &= shapely.contains_xy(area, gx[None, :], gy[:, None])
    if inside.sum() < 4:
        return None
    dx = width_m / (nx - 1)
    dy = height_m / (ny - 1)
    filled = np.where(inside, grid, np.nanmean(grid))
    # LightSource.hillshade would stretch the shades to 0–1 (a gentle city would look like
    # the Alps); its sun direction is used with the true surface normals instead
    sun = LightSource(azdeg=315, altdeg=45).direction
    e_dy, e_dx = np.gradient(filled, -dy, dx)  # as matplotlib: row 0 is the top (north)
    normal = np.stack([-e_dx, -e_dy, np.ones_like(filled)], axis=-1)
    shade = (normal @ sun) / np.linalg.norm(normal, axis=-1)  # 1 = facing the sun
    flat = sun[2]  # flat ground; lit slopes stay clear, slopes turned away darken
    dark = np.clip((flat - shade) / flat, 0, 1)
    rgba = np.zeros((ny, nx, 4), np.uint8)
    rgba[..., 3] = np.where(inside, np.rint(dark * SHADE_ALPHA), 0).astype(np.uint8)
    return rgba, [float(w), float(s), float(e), float(n)]


def relief_layers(city: City, visible: bool = False) -> list[MapLayer]:
    """The hill shading as a BitmapLayer (group ``relief``), or nothing for a flat city.

    Hidden at first: darkening the slopes would change the lightness that the compliance
    colours (cividis: dark = low share) use to give the answer, so the reader ticks it on
    to see the terrain (why a road is a mountain road, where the tunnels go)."""
    made = shaded_relief(city)
    if made is None:
        return []
    rgba, bounds = made
    buf = io.BytesIO()
    imsave(buf, rgba, format="png")
    uri = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    layer = pdk.Layer("BitmapLayer", id="relief", image=lit(uri), bounds=bounds, pickable=False)
    return [MapLayer(layer, "relief", visible)]
