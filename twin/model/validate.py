"""Checks on city layers at the boundary: every problem found, reported at once.

:func:`validate_layers` is what :func:`twin.model.city.load_city` calls on the layers *as read*
from a city folder (before they are projected), and what the importers call on what they
built. It collects every problem into a :class:`~twin.errors.ProblemList` and raises one
:class:`~twin.errors.TwinDataError`. :func:`validate_folder` runs the same checks on a
folder and *returns* the problems (for ``twin validate PATH``).

Checks, each a small function below:

- the required layers are present and not empty (:data:`twin.model.city.REQUIRED_LAYERS`), and
  at least one district is ``core`` (the study area);
- every layer has its required columns (:data:`twin.model.city.LAYERS`, except the columns
  :data:`twin.model.city.OPTIONAL_DEFAULTS` fills in on load), numbers are numbers and
  true/false columns hold true/false; whole-number columns (``units``, ``population``,
  ``install_year``) hold whole numbers;
- every layer states a CRS, and its coordinates are possible in that CRS
  (longitude/latitude within range for a geographic CRS; for a projected one, within its
  area of use plus a wide margin, and not numbers that look like degrees when the CRS's
  area lies far from 0, 0 — the classic "lon/lat labelled as UTM" mistake);
- geometries are present, non-empty, valid (:func:`shapely.is_valid_reason`) and of the
  layer's type (:data:`twin.model.city.GEOMETRY_TYPES`);
- ids are present and unique;
- numbers are finite; ``length_m``, ``speed_kph`` and ``diameter_mm`` are > 0; ``units``
  and ``population`` are ≥ 0;
- road edges join road nodes; pipes join junctions of their own network;
- pipe networks, junction kinds, station forces and district levels are ones the twin
  knows;
- the road graph is one (weakly) connected piece;
- every station is within :data:`MAX_SNAP_M` metres of a road node.

Checks that depend on columns already reported missing are skipped rather than crash.
Everything is vectorised (numpy/shapely/scipy): the embedded twin (~40k nodes, ~100k
edges) validates in well under a second once read.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from twin.model.city import (CORE_LEVEL, GEOMETRY_TYPES, ID_COLUMN, LAYERS, OPTIONAL_DEFAULTS,
                       REQUIRED_LAYERS, read_folder)
from twin.errors import Problem, ProblemList, TwinDataError

MAX_SNAP_M = 500.0
"""A station (or a user-placed incident) must lie within this many metres of a road node."""
FORCES = ("community", "fire", "professional", "social", "air")
"""Rescue forces a station may belong to."""
PIPE_NETWORKS = ("water", "gas", "drainage")
"""Lifeline networks pipes and junctions may belong to."""
JUNCTION_KINDS = ("source", "junction")
DISTRICT_LEVELS = (CORE_LEVEL, "outer")
"""District levels: ``core`` is the study area, ``outer`` districts are kept for widening."""
POSITIVE = {"road_edges": ("length_m", "speed_kph"), "pipes": ("length_m", "diameter_mm")}
"""Columns whose values must be > 0."""
NON_NEGATIVE = {"stations": ("units",), "districts": ("population",), "cells": ("population",)}
"""Columns whose values must be ≥ 0."""
NULLABLE_NUMBERS = {"pipes": ("diameter_mm", "install_year")}
"""Number columns where a missing value (NaN/NA) means "unknown" and is allowed."""
CRS_MARGIN_M = 100_000.0
"""How far outside a projected CRS's area of use coordinates may still lie: this many
metres plus half the area's width (UTM is often used a few degrees outside its zone)."""
SHOW_EXAMPLES = 5
"""How many examples (ids with details) a problem's text spells out."""

FIX_CRS = ("set it, e.g. gdf.set_crs('EPSG:4326') in Python or "
           "ogr2ogr -a_srs EPSG:4326 out.gpkg in.gpkg, naming the CRS the coordinates are in")


# ---------------------------------------------------------------------------- entry points

def validate_layers(layers: dict[str, gpd.GeoDataFrame], where: str) -> None:
    """Check city ``layers`` (as read, any stated CRS); raise one :class:`TwinDataError`
    listing every problem, titled "city data at ``where`` is invalid"."""
    check_layers(layers).raise_if_any(f"city data at {where} is invalid")


def validate_folder(path: str | os.PathLike) -> list[Problem]:
    """Every problem with the city folder at ``path`` (empty list: the folder is fine).

    Unlike :func:`validate_layers` this never raises for bad data: unreadable files and a
    missing folder are reported as problems too. Used by ``twin validate PATH``.
    """
    folder = Path(path)
    if not folder.is_dir():
        return [Problem(str(folder), "no such city folder",
                        "give a folder holding districts/road_nodes/road_edges layer files "
                        "(see ARCHITECTURE.md, 'A city folder')")]
    problems = ProblemList()
    problems.extend(_check_meta(folder))
    try:
        layers = read_folder(folder)
    except TwinDataError as exc:
        return [*problems, *exc.problems]
    problems.extend(check_layers(layers))
    return list(problems)


def check_layers(layers: dict[str, gpd.GeoDataFrame]) -> ProblemList:
    """All problems with ``layers`` (layer name → GeoDataFrame as read), without raising."""
    problems = ProblemList()
    _check_required_layers(layers, problems)
    for name, gdf in layers.items():
        if name in LAYERS:
            _check_layer(name, gdf, problems)
    _check_edge_endpoints(layers, problems)
    _check_pipe_endpoints(layers, problems)
    _check_road_connectivity(layers, problems)
    _check_stations_near_roads(layers, problems)
    return problems


def validate_points_near_roads(points_xy: np.ndarray, ids: Sequence[object],
                               nodes_xy: np.ndarray, where: str,
                               max_m: float = MAX_SNAP_M, what: str = "points") -> ProblemList:
    """Problems for points farther than ``max_m`` metres from every road node.

    ``points_xy`` (n × 2) and ``nodes_xy`` (m × 2) must be in the same metric CRS (metres);
    ``ids`` names the points; ``what`` says what they are ("stations", "incidents"), for
    the message. Returns a (possibly empty) :class:`ProblemList`; call ``raise_if_any``.
    """
    problems = ProblemList()
    pts = np.asarray(points_xy, float).reshape(-1, 2)
    if len(pts) == 0:
        return problems
    nodes = np.asarray(nodes_xy, float).reshape(-1, 2)
    if len(nodes) == 0:
        problems.add(where, f"{len(pts)} {what} cannot be placed: there are no road nodes",
                     "load a city with roads", ids)
        return problems
    nodes = nodes[np.isfinite(nodes).all(axis=1)]
    dist = np.full(len(pts), np.nan)
    finite = np.isfinite(pts).all(axis=1)
    if len(nodes) and finite.any():
        dist[finite] = cKDTree(nodes).query(pts[finite])[0]
    far = np.flatnonzero(~(dist <= max_m))  # NaN coordinates count as far
    if len(far):
        far = far[np.argsort(-np.nan_to_num(dist[far], nan=np.inf))]
        shown = "; ".join(f"{ids[i]}: {_fmt_m(dist[i])}" for i in far[:SHOW_EXAMPLES])
        problems.add(where, f"{len(far)} of the {len(pts)} {what} {_are(len(far))} farther than {max_m:.0f} m from any road "
                     f"node (nearest road node: {shown})",
                     f"move them onto the road network, or check their coordinates and CRS "
                     f"(a lon/lat point in the wrong CRS lands far away)",
                     [ids[i] for i in far])
    return problems


def road_components(node_ids: Sequence[object], u: Sequence[object],
                    v: Sequence[object]) -> np.ndarray:
    """Weakly connected component label of every node (edges whose ends are unknown are
    ignored); labels are numbered from 0 by decreasing component size."""
    codes, uniques = pd.factorize(np.asarray(node_ids, dtype=object))  # duplicates: one node
    index = pd.Index(uniques)
    ui, vi = index.get_indexer(np.asarray(u, dtype=object)), index.get_indexer(np.asarray(v, dtype=object))
    ok = (ui >= 0) & (vi >= 0)
    n = len(index)
    adj = sp.coo_matrix((np.ones(ok.sum(), np.int8), (ui[ok], vi[ok])), shape=(n, n))
    _, labels = connected_components(adj, directed=False)
    labels = labels[codes]
    sizes = np.bincount(labels)
    rank = np.empty_like(sizes)
    rank[np.argsort(-sizes, kind="stable")] = np.arange(len(sizes))
    return rank[labels]


# ---------------------------------------------------------------------------- layer checks

def _check_layer(name: str, gdf: gpd.GeoDataFrame, problems: ProblemList) -> None:
    ids = _ids(name, gdf)
    _check_columns(name, gdf, problems)
    _check_crs(name, gdf, ids, problems)
    _check_geometry(name, gdf, ids, problems)
    _check_ids(name, gdf, problems)
    _check_numbers(name, gdf, ids, problems)
    _check_bools(name, gdf, ids, problems)
    _check_categories(name, gdf, ids, problems)


def _check_required_layers(layers: dict[str, gpd.GeoDataFrame], problems: ProblemList) -> None:
    for name in REQUIRED_LAYERS:
        fix = (f"add a file {name}.parquet / .gpkg / .geojson / .shp with columns "
               f"{', '.join(LAYERS[name])} and geometry {' or '.join(GEOMETRY_TYPES[name])}")
        if name not in layers:
            problems.add(name, "required layer is missing", fix)
        elif len(layers[name]) == 0:
            problems.add(name, "required layer has no features", fix.replace("add a file",
                         "fill the file", 1))
    districts = layers.get("districts")
    if _has(districts, "level") and len(districts) and not (districts["level"] == CORE_LEVEL).any():
        problems.add("districts", f"no district has level '{CORE_LEVEL}': the city has no "
                     "study area", f"set level to '{CORE_LEVEL}' for the districts to simulate "
                     "('outer' for those kept only for widening)")


def _required_columns(name: str) -> list[str]:
    optional = OPTIONAL_DEFAULTS.get(name, {})
    return [c for c in LAYERS[name] if c not in optional]


def _check_columns(name: str, gdf: gpd.GeoDataFrame, problems: ProblemList) -> None:
    missing = [c for c in _required_columns(name) if c not in gdf.columns]
    if missing:
        kinds = ", ".join(f"{c} ({LAYERS[name][c]})" for c in missing)
        problems.add(name, f"missing column{'s' if len(missing) > 1 else ''}: {kinds}; "
                     f"the layer has: {', '.join(map(str, gdf.columns))}",
                     "add the columns, or rename yours to these names "
                     "(twin import gis --map MAPPING.json renames them)")


def _check_crs(name: str, gdf: gpd.GeoDataFrame, ids: np.ndarray, problems: ProblemList) -> None:
    if gdf.crs is None:
        problems.add(name, "the layer has no CRS: its coordinates cannot be placed on Earth",
                     FIX_CRS)
        return
    bounds = _feature_bounds(gdf)
    if bounds is None or len(bounds) == 0:
        return
    crs = pyproj.CRS(gdf.crs)
    if crs.is_geographic:
        _flag_outside(name, crs, bounds, ids, DEGREES, "longitude -180..180, latitude -90..90",
                      problems)
        return
    area = _area_box(crs)
    if area is None:
        return
    x0, y0, x1, y1 = area
    mx = CRS_MARGIN_M / _unit_m(crs) + (x1 - x0) / 2
    my = CRS_MARGIN_M / _unit_m(crs) + (y1 - y0) / 2
    _flag_outside(name, crs, bounds, ids, (x0 - mx, y0 - my, x1 + mx, y1 + my),
                  f"x {x0 - mx:.0f}..{x1 + mx:.0f}, y {y0 - my:.0f}..{y1 + my:.0f}: its area "
                  "of use with a wide margin", problems)
    if _disjoint(DEGREES, area):
        _flag_degrees(name, crs, bounds, ids, problems)


DEGREES = (-180.0, -90.0, 180.0, 90.0)
FIX_WRONG_CRS = ("state the CRS the coordinates are really in, e.g. "
                 "gdf.set_crs('EPSG:4326', allow_override=True) or ogr2ogr -a_srs EPSG:4326")


def _flag_outside(name: str, crs: pyproj.CRS, bounds: np.ndarray, ids: np.ndarray,
                  box: tuple[float, float, float, float], rule: str,
                  problems: ProblemList) -> None:
    """Features not inside ``box``: coordinates impossible in ``crs``."""
    bad = np.flatnonzero(~(np.isnan(bounds[:, 0]) | _inside(bounds, box)))
    if len(bad):
        problems.add(name, f"{_n(len(bad), 'feature')} {_have(len(bad))} coordinates "
                     f"impossible in the stated CRS {crs.to_string()} ({rule}): "
                     f"{_coords(bounds, ids, bad)}",
                     "the coordinates are probably in another CRS; " + FIX_WRONG_CRS, ids[bad])


def _flag_degrees(name: str, crs: pyproj.CRS, bounds: np.ndarray, ids: np.ndarray,
                  problems: ProblemList) -> None:
    """Features whose numbers look like lon/lat although ``crs`` is projected."""
    bad = np.flatnonzero(_inside(bounds, DEGREES))
    if len(bad):
        problems.add(name, f"{_n(len(bad), 'feature')} {_have(len(bad))} coordinates that look "
                     f"like longitude/latitude degrees, but the stated CRS {crs.to_string()} "
                     f"is projected (its area of use is far from 0, 0): "
                     f"{_coords(bounds, ids, bad)}", FIX_WRONG_CRS, ids[bad])


def _inside(bounds: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    xmin, ymin, xmax, ymax = box
    return ((bounds[:, 0] >= xmin) & (bounds[:, 2] <= xmax) & (bounds[:, 1] >= ymin)
            & (bounds[:, 3] <= ymax))


def _disjoint(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[2] < b[0] or b[2] < a[0] or a[3] < b[1] or b[3] < a[1]


def _coords(bounds: np.ndarray, ids: np.ndarray, rows: np.ndarray) -> str:
    return "; ".join(f"{ids[i]}: x {bounds[i, 0]:.6g}, y {bounds[i, 1]:.6g}"
                     for i in rows[:SHOW_EXAMPLES])


def _area_box(crs: pyproj.CRS) -> tuple[float, float, float, float] | None:
    """A projected CRS's area of use in its own coordinates, or None if unknown."""
    area = crs.area_of_use
    if area is None or area.west > area.east:  # unknown, or across the antimeridian
        return None
    try:
        to_crs = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        box = to_crs.transform_bounds(area.west, area.south, area.east, area.north,
                                      densify_pts=21)
    except pyproj.exceptions.ProjError:
        return None
    ok = np.all(np.isfinite(box)) and box[0] < box[2] and box[1] < box[3]
    return tuple(map(float, box)) if ok else None


def _unit_m(crs: pyproj.CRS) -> float:
    """Metres per unit of the CRS's first axis (1 for metres, 0.3048 for feet)."""
    try:
        return float(crs.axis_info[0].unit_conversion_factor or 1.0)
    except IndexError:
        return 1.0


def _feature_bounds(gdf: gpd.GeoDataFrame) -> np.ndarray | None:
    try:
        geoms = np.asarray(gdf.geometry.array, dtype=object)
    except (AttributeError, ValueError):
        return None
    return shapely.bounds(geoms)


def _check_geometry(name: str, gdf: gpd.GeoDataFrame, ids: np.ndarray,
                    problems: ProblemList) -> None:
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    missing = shapely.is_missing(geoms)
    empty = ~missing & shapely.is_empty(geoms)
    if missing.any() or empty.any():
        problems.add(name, f"{_n(int(missing.sum()), 'feature')} with no geometry and "
                     f"{int(empty.sum())} with an empty one",
                     "give every feature a geometry, or delete the features",
                     ids[missing | empty])
    present = ~(missing | empty)
    _check_validity(name, geoms, present, ids, problems)
    _check_geometry_type(name, geoms, present, ids, problems)


def _check_validity(name: str, geoms: np.ndarray, present: np.ndarray, ids: np.ndarray,
                    problems: ProblemList) -> None:
    invalid = present & ~shapely.is_valid(geoms)
    if not invalid.any():
        return
    idx = np.flatnonzero(invalid)
    reasons = shapely.is_valid_reason(geoms[idx[:SHOW_EXAMPLES]])
    shown = "; ".join(f"{ids[i]}: {r}" for i, r in zip(idx, reasons))
    problems.add(name, f"{_n(len(idx), 'invalid geometry', 'invalid geometries')} ({shown})",
                 "repair them: shapely.make_valid(geom) or geom.buffer(0) for polygons, "
                 "or QGIS 'Fix geometries'", ids[idx])


TYPE_NAMES = np.array(["Point", "LineString", "LinearRing", "Polygon", "MultiPoint",
                       "MultiLineString", "MultiPolygon", "GeometryCollection", "none"],
                      dtype=object)
"""Geometry type names by :func:`shapely.get_type_id` (-1, missing, is the last)."""


def _check_geometry_type(name: str, geoms: np.ndarray, present: np.ndarray, ids: np.ndarray,
                         problems: ProblemList) -> None:
    allowed = GEOMETRY_TYPES[name]
    types = TYPE_NAMES[shapely.get_type_id(geoms)]
    wrong = present & ~np.isin(types, allowed)
    if not wrong.any():
        return
    got = pd.Series(types[wrong]).value_counts()
    counts = ", ".join(f"{n} {'is' if n == 1 else 'are'} {t}" for t, n in got.items())
    fix = ("split multi-part features into single parts (gdf.explode(index_parts=False)) "
           "and give each part its own id" if any(t.startswith("Multi") for t in got.index)
           else f"store {name} as {' or '.join(allowed)} geometries")
    problems.add(name, f"geometry must be {' or '.join(allowed)}, but {counts}", fix, ids[wrong])


def _check_ids(name: str, gdf: gpd.GeoDataFrame, problems: ProblemList) -> None:
    col = ID_COLUMN[name]
    if col not in gdf.columns:
        return
    raw = gdf[col]
    blank = raw.isna().to_numpy() | (raw.astype(str).str.strip() == "").to_numpy()
    if blank.any():
        rows = np.flatnonzero(blank)
        problems.add(name, f"{_n(len(rows), 'feature')} {_have(len(rows))} no {col} (rows "
                     f"{', '.join(map(str, rows[:SHOW_EXAMPLES]))}"
                     f"{', …' if len(rows) > SHOW_EXAMPLES else ''}, counting from 0)",
                     f"give every feature a unique {col}")
    ids = raw[~blank].astype(str)
    dup = ids[ids.duplicated(keep=False)]
    if len(dup):
        counts = dup.value_counts()
        problems.add(name, f"{_n(len(counts), f'{col} value')} {_are(len(counts))} used more than once "
                     f"({', '.join(f'{i} ×{n}' for i, n in counts.head(SHOW_EXAMPLES).items())})",
                     f"make {col} unique (each feature its own id)", counts.index)


def _check_numbers(name: str, gdf: gpd.GeoDataFrame, ids: np.ndarray,
                   problems: ProblemList) -> None:
    nullable = NULLABLE_NUMBERS.get(name, ())
    for col, kind in LAYERS[name].items():
        if kind not in ("int", "float") or col not in gdf.columns:
            continue
        raw = gdf[col]
        values = pd.to_numeric(raw, errors="coerce").astype(float).to_numpy()
        missing = raw.isna().to_numpy()
        not_number = ~np.isfinite(values) & ~missing  # text, ±inf
        if col not in nullable:
            not_number |= missing
        if not_number.any():
            n = int(not_number.sum())
            problems.add(name, f"{_n(n, 'value')} of {col} {_are(n)} not a number "
                         f"({_examples(raw, ids, not_number)})",
                         f"give every feature a numeric {col}"
                         + (" (or leave it empty when unknown)" if col in nullable else ""),
                         ids[not_number])
        if kind == "int":
            fraction = np.isfinite(values) & (values != np.round(values))
            if fraction.any():
                n = int(fraction.sum())
                problems.add(name, f"{_n(n, 'value')} of {col} {_are(n)} not a whole number "
                             f"({_examples(raw, ids, fraction)})",
                             f"{col} must be a whole number: round it, or store the column as integers",
                             ids[fraction])
        _check_range(name, col, values, ids, problems)


def _examples(raw: pd.Series, ids: np.ndarray, mask: np.ndarray) -> str:
    """``id: value`` for the first few features in ``mask`` (missing values as 'missing')."""
    return ", ".join(f"{ids[i]}: {_show(raw.iloc[i])}"
                     for i in np.flatnonzero(mask)[:SHOW_EXAMPLES])


def _show(value: object) -> str:
    """A cell value as a user wrote it: ``'fast'``, ``inf``, ``1.5``, ``missing``."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "missing"
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value) if isinstance(value, str) else f"{value:g}" if isinstance(value, float) \
        else str(value)


def _check_range(name: str, col: str, values: np.ndarray, ids: np.ndarray,
                 problems: ProblemList) -> None:
    if col in POSITIVE.get(name, ()):
        bad, rule = values <= 0, "> 0"
    elif col in NON_NEGATIVE.get(name, ()):
        bad, rule = values < 0, "≥ 0"
    else:
        return
    bad &= np.isfinite(values)  # ±inf is reported as not a finite number
    if bad.any():
        shown = ", ".join(f"{ids[i]}: {values[i]:g}" for i in np.flatnonzero(bad)[:SHOW_EXAMPLES])
        problems.add(name, f"{_n(int(bad.sum()), 'value')} of {col} {_are(int(bad.sum()))} not {rule} ({shown})",
                     f"correct them ({col} must be {rule}), or delete those features",
                     ids[bad])


def _check_bools(name: str, gdf: gpd.GeoDataFrame, ids: np.ndarray,
                 problems: ProblemList) -> None:
    for col, kind in LAYERS[name].items():
        if kind != "bool" or col not in gdf.columns or pd.api.types.is_bool_dtype(gdf[col]):
            continue
        s = gdf[col]
        ok = s.isna() | s.isin([True, False, 0, 1])
        if not ok.all():
            shown = _examples(s, ids, ~ok.to_numpy())
            problems.add(name, f"{_n(int((~ok).sum()), 'value')} of {col} {_are(int((~ok).sum()))} not true/false "
                         f"({shown})", f"store {col} as a boolean column (true/false or 1/0)",
                         ids[~ok.to_numpy()])


CATEGORIES = {("pipes", "network"): PIPE_NETWORKS, ("junctions", "network"): PIPE_NETWORKS,
              ("junctions", "kind"): JUNCTION_KINDS, ("stations", "force"): FORCES,
              ("districts", "level"): DISTRICT_LEVELS}
"""Columns whose values must come from a fixed list."""


def _check_categories(name: str, gdf: gpd.GeoDataFrame, ids: np.ndarray,
                      problems: ProblemList) -> None:
    for (layer, col), allowed in CATEGORIES.items():
        if layer != name or col not in gdf.columns:
            continue
        bad = ~gdf[col].isin(allowed).to_numpy()
        if bad.any():
            unknown = pd.unique(gdf[col][bad].astype(str))
            problems.add(name, f"{_n(int(bad.sum()), 'feature')} {_have(int(bad.sum()))} an unknown {col} "
                         f"({', '.join(map(repr, unknown[:SHOW_EXAMPLES]))})",
                         f"{col} must be one of: {', '.join(allowed)}", ids[bad])


# ---------------------------------------------------------------------------- cross-layer checks

def _check_edge_endpoints(layers: dict[str, gpd.GeoDataFrame], problems: ProblemList) -> None:
    edges, nodes = layers.get("road_edges"), layers.get("road_nodes")
    if not _has(edges, "u", "v") or not _has(nodes, "node_id"):
        return
    known = nodes["node_id"].astype(str)
    _report_dangling("road_edges", _ids("road_edges", edges), edges["u"].astype(str),
                     edges["v"].astype(str), lambda s: _isin(s, known), "road node_id",
                     "add the missing road nodes, or fix u/v to name existing node_ids",
                     problems)


def _check_pipe_endpoints(layers: dict[str, gpd.GeoDataFrame], problems: ProblemList) -> None:
    pipes, junctions = layers.get("pipes"), layers.get("junctions")
    if not _has(pipes, "u", "v", "network"):
        return
    if not _has(junctions, "junction_id", "network"):
        junctions = pd.DataFrame({"junction_id": [], "network": []})
    known = junctions["network"].astype(str) + "\x00" + junctions["junction_id"].astype(str)
    net = pipes["network"].astype(str) + "\x00"
    _report_dangling("pipes", _ids("pipes", pipes), pipes["u"].astype(str),
                     pipes["v"].astype(str), lambda s: _isin(net + s, known),
                     "junction_id of the pipe's own network",
                     "add the missing junctions (with the pipe's network), or fix u/v",
                     problems)


def _report_dangling(name: str, ids: np.ndarray, u: pd.Series, v: pd.Series, is_known,
                     target: str, fix: str, problems: ProblemList) -> None:
    bad_u, bad_v = ~is_known(u), ~is_known(v)
    bad = bad_u | bad_v
    if not bad.any():
        return
    shown = "; ".join(
        f"{ids[i]}: " + ", ".join(f"{end}={val!r}" for end, val, b in
                                  (("u", u.iloc[i], bad_u[i]), ("v", v.iloc[i], bad_v[i])) if b)
        for i in np.flatnonzero(bad)[:SHOW_EXAMPLES])
    problems.add(name, f"{_n(int(bad.sum()), 'feature')} {_have(int(bad.sum()))} u/v that {_are(int(bad.sum()))} not a {target} ({shown})",
                 fix, ids[bad])


def _check_road_connectivity(layers: dict[str, gpd.GeoDataFrame], problems: ProblemList) -> None:
    edges, nodes = layers.get("road_edges"), layers.get("road_nodes")
    if not _has(edges, "u", "v") or not _has(nodes, "node_id") or len(nodes) < 2:
        return
    node_ids = nodes["node_id"].astype(str).to_numpy(dtype=object)
    labels = road_components(node_ids, edges["u"].astype(str), edges["v"].astype(str))
    sizes = np.bincount(labels)
    if len(sizes) < 2:
        return
    small = range(1, min(len(sizes), 1 + SHOW_EXAMPLES))
    examples = {k: node_ids[labels == k][:3] for k in small}
    shown = "; ".join(f"part {k + 1}: {sizes[k]} node{'s' if sizes[k] > 1 else ''} "
                      f"({', '.join(map(str, ex))})" for k, ex in examples.items())
    size_list = ", ".join(map(str, sizes[:10])) + (", …" if len(sizes) > 10 else "")
    problems.add("road_nodes", f"the road graph falls into {len(sizes)} separate parts "
                 f"(sizes {size_list}; the largest has {sizes[0]} of {len(node_ids)} nodes); "
                 f"no unit can drive between them: {shown}",
                 "connect them (add the missing road edges) or drop them, keeping the largest "
                 "part (twin import ... --largest-component does this)",
                 [i for ex in examples.values() for i in ex])


def _check_stations_near_roads(layers: dict[str, gpd.GeoDataFrame], problems: ProblemList) -> None:
    stations, nodes = layers.get("stations"), layers.get("road_nodes")
    if stations is None or stations.empty or stations.crs is None:
        return
    if nodes is None or nodes.crs is None:
        return
    st, nd = _points(stations), _points(nodes)
    if st is None or nd is None or len(st) == 0:
        return
    try:
        metric = stations.set_geometry(st).estimate_utm_crs()
        st_xy = _xy(st.to_crs(metric))
        nd_xy = _xy(nd.to_crs(metric))
    except (ValueError, RuntimeError, pyproj.exceptions.CRSError):
        return  # impossible coordinates: reported by _check_crs
    nd_xy = nd_xy[np.isfinite(nd_xy).all(axis=1)]
    problems.extend(validate_points_near_roads(st_xy, _ids("stations", stations), nd_xy,
                                               "stations", MAX_SNAP_M, "stations"))


# ---------------------------------------------------------------------------- helpers

def _check_meta(folder: Path) -> ProblemList:
    """Problems with the folder's ``city.json`` (the checks :func:`twin.model.city.load_city` makes)."""
    from twin.model.city import _read_meta  # the reader load_city uses

    problems = ProblemList()
    try:
        _read_meta(folder)
    except TwinDataError as exc:
        problems.extend(exc.problems)
    return problems


def _ids(name: str, gdf: gpd.GeoDataFrame) -> np.ndarray:
    """The id of every feature as str (``row N`` where the id column is missing/blank)."""
    col = ID_COLUMN[name]
    if col not in gdf.columns:
        return np.array([f"row {i}" for i in range(len(gdf))], dtype=object)
    s = gdf[col]
    ids = s.astype(str).to_numpy(dtype=object)
    blank = s.isna().to_numpy() | (s.astype(str).str.strip() == "").to_numpy()
    for i in np.flatnonzero(blank):
        ids[i] = f"row {i}"
    return ids


def _isin(values: Iterable[object], known: Iterable[object]) -> np.ndarray:
    """Boolean mask: which ``values`` are among ``known`` (hash lookup on objects; much
    faster than Series.isin on Arrow strings)."""
    index = pd.Index(np.asarray(known, dtype=object)).unique()
    return index.get_indexer(np.asarray(values, dtype=object)) >= 0


def _has(gdf: pd.DataFrame | None, *cols: str) -> bool:
    return gdf is not None and all(c in gdf.columns for c in cols)


def _points(gdf: gpd.GeoDataFrame) -> gpd.GeoSeries | None:
    """Usable point geometries of a layer (missing/empty/non-point dropped)."""
    g = gdf.geometry
    ok = shapely.get_type_id(np.asarray(g.array, dtype=object)) == 0  # Point, not missing
    ok &= ~shapely.is_empty(np.asarray(g.array, dtype=object))
    return g[ok]


def _xy(g: gpd.GeoSeries) -> np.ndarray:
    return np.column_stack([g.x.to_numpy(), g.y.to_numpy()])


def _fmt_m(d: float) -> str:
    if not np.isfinite(d):
        return "no coordinates"
    return f"{d / 1000:.1f} km" if d >= 1000 else f"{d:.0f} m"


def _n(count: int, one: str, many: str | None = None) -> str:
    """``3 features``, ``1 feature``."""
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _are(count: int) -> str:
    return "is" if count == 1 else "are"


def _have(count: int) -> str:
    return "has" if count == 1 else "have"
