"""City checks on one layer: required layers and columns, geometry, ids, numbers,
true/false columns and categories."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from twin.errors import ProblemList
from twin.model.check_text import (
    SHOW_EXAMPLES,
    are,
    count_of,
    examples,
    feature_ids,
    has_columns,
    have,
)
from twin.model.crs_checks import check_crs
from twin.model.layers import (
    CORE_LEVEL,
    GEOMETRY_TYPES,
    ID_COLUMN,
    LAYERS,
    OPTIONAL_DEFAULTS,
    REQUIRED_LAYERS,
)

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
MAX_ELEVATION_M = 9000.0
"""Elevations beyond ±9 000 m are impossible on land (Everest 8 849 m, the Dead Sea shore
−430 m): a value beyond is in the wrong unit or a no-data code."""
MAX_SPEED_KPH = 200.0
"""No public road is signed above 200 km/h (China's expressways: 120 km/h)."""
PLAUSIBLE: dict[tuple[str, str], tuple[float, float, str]] = {
    ("road_nodes", "elevation_m"): (-MAX_ELEVATION_M, MAX_ELEVATION_M, "metres, on Earth"),
    ("junctions", "elevation_m"): (-MAX_ELEVATION_M, MAX_ELEVATION_M, "metres, on Earth"),
    ("road_edges", "speed_kph"): (0.0, MAX_SPEED_KPH, "km/h, a road's speed"),
}
"""Physical ranges of number columns: (low, high, why)."""
"""Columns whose values must be ≥ 0."""
NULLABLE_NUMBERS = {"pipes": ("diameter_mm", "install_year")}
"""Number columns where a missing value (NaN/NA) means "unknown" and is allowed."""


def check_layer(name: str, gdf: gpd.GeoDataFrame, problems: ProblemList) -> None:
    ids = feature_ids(name, gdf)
    _check_columns(name, gdf, problems)
    check_crs(name, gdf, ids, problems)
    _check_geometry(name, gdf, ids, problems)
    _check_ids(name, gdf, problems)
    _check_numbers(name, gdf, ids, problems)
    _check_bools(name, gdf, ids, problems)
    _check_categories(name, gdf, ids, problems)


def check_required_layers(layers: dict[str, gpd.GeoDataFrame], problems: ProblemList) -> None:
    for name in REQUIRED_LAYERS:
        fix = (
            f"add a file {name}.parquet / .gpkg / .geojson / .shp with columns "
            f"{', '.join(LAYERS[name])} and geometry {' or '.join(GEOMETRY_TYPES[name])}"
        )
        if name not in layers:
            problems.add(name, "required layer is missing", fix)
        elif len(layers[name]) == 0:
            problems.add(
                name,
                "required layer has no features",
                fix.replace("add a file", "fill the file", 1),
            )
    districts = layers.get("districts")
    if (
        has_columns(districts, "level")
        and len(districts)
        and not (districts["level"] == CORE_LEVEL).any()
    ):
        problems.add(
            "districts",
            f"no district has level '{CORE_LEVEL}': the city has no study area",
            f"set level to '{CORE_LEVEL}' for the districts to simulate "
            "('outer' for those kept only for widening)",
        )


def _required_columns(name: str) -> list[str]:
    optional = OPTIONAL_DEFAULTS.get(name, {})
    return [c for c in LAYERS[name] if c not in optional]


def _check_columns(name: str, gdf: gpd.GeoDataFrame, problems: ProblemList) -> None:
    missing = [c for c in _required_columns(name) if c not in gdf.columns]
    if missing:
        kinds = ", ".join(f"{c} ({LAYERS[name][c]})" for c in missing)
        problems.add(
            name,
            f"missing column{'s' if len(missing) > 1 else ''}: {kinds}; "
            f"the layer has: {', '.join(map(str, gdf.columns))}",
            "add the columns, or rename yours to these names "
            "(twin import gis --map MAPPING.json renames them)",
        )


def _check_geometry(
    name: str, gdf: gpd.GeoDataFrame, ids: np.ndarray, problems: ProblemList
) -> None:
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    missing = shapely.is_missing(geoms)
    empty = ~missing & shapely.is_empty(geoms)
    if missing.any() or empty.any():
        problems.add(
            name,
            f"{count_of(int(missing.sum()), 'feature')} with no geometry and "
            f"{int(empty.sum())} with an empty one",
            "give every feature a geometry, or delete the features",
            ids[missing | empty],
        )
    present = ~(missing | empty)
    _check_validity(name, geoms, present, ids, problems)
    _check_geometry_type(name, geoms, present, ids, problems)


def _check_validity(
    name: str, geoms: np.ndarray, present: np.ndarray, ids: np.ndarray, problems: ProblemList
) -> None:
    invalid = present & ~shapely.is_valid(geoms)
    if not invalid.any():
        return
    idx = np.flatnonzero(invalid)
    reasons = shapely.is_valid_reason(geoms[idx[:SHOW_EXAMPLES]])
    shown = "; ".join(f"{ids[i]}: {r}" for i, r in zip(idx, reasons))
    problems.add(
        name,
        f"{count_of(len(idx), 'invalid geometry', 'invalid geometries')} ({shown})",
        "repair them: shapely.make_valid(geom) or geom.buffer(0) for polygons, "
        "or QGIS 'Fix geometries'",
        ids[idx],
    )


TYPE_NAMES = np.array(
    [
        "Point",
        "LineString",
        "LinearRing",
        "Polygon",
        "MultiPoint",
        "MultiLineString",
        "MultiPolygon",
        "GeometryCollection",
        "none",
    ],
    dtype=object,
)
"""Geometry type names by :func:`shapely.get_type_id` (-1, missing, is the last)."""


def _check_geometry_type(
    name: str, geoms: np.ndarray, present: np.ndarray, ids: np.ndarray, problems: ProblemList
) -> None:
    allowed = GEOMETRY_TYPES[name]
    types = TYPE_NAMES[shapely.get_type_id(geoms)]
    wrong = present & ~np.isin(types, allowed)
    if not wrong.any():
        return
    got = pd.Series(types[wrong]).value_counts()
    counts = ", ".join(f"{n} {'is' if n == 1 else 'are'} {t}" for t, n in got.items())
    fix = (
        "split multi-part features into single parts (gdf.explode(index_parts=False)) "
        "and give each part its own id"
        if any(t.startswith("Multi") for t in got.index)
        else f"store {name} as {' or '.join(allowed)} geometries"
    )
    problems.add(name, f"geometry must be {' or '.join(allowed)}, but {counts}", fix, ids[wrong])


def _check_ids(name: str, gdf: gpd.GeoDataFrame, problems: ProblemList) -> None:
    col = ID_COLUMN[name]
    if col not in gdf.columns:
        return
    raw = gdf[col]
    blank = raw.isna().to_numpy() | (raw.astype(str).str.strip() == "").to_numpy()
    if blank.any():
        rows = np.flatnonzero(blank)
        problems.add(
            name,
            f"{count_of(len(rows), 'feature')} {have(len(rows))} no {col} (rows "
            f"{', '.join(map(str, rows[:SHOW_EXAMPLES]))}"
            f"{', …' if len(rows) > SHOW_EXAMPLES else ''}, counting from 0)",
            f"give every feature a unique {col}",
        )
    ids = raw[~blank].astype(str)
    dup = ids[ids.duplicated(keep=False)]
    if len(dup):
        counts = dup.value_counts()
        problems.add(
            name,
            f"{count_of(len(counts), f'{col} value')} {are(len(counts))} used more than once "
            f"({', '.join(f'{i} ×{n}' for i, n in counts.head(SHOW_EXAMPLES).items())})",
            f"make {col} unique (each feature its own id)",
            counts.index,
        )


def _check_numbers(
    name: str, gdf: gpd.GeoDataFrame, ids: np.ndarray, problems: ProblemList
) -> None:
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
            problems.add(
                name,
                f"{count_of(n, 'value')} of {col} {are(n)} not a number "
                f"({examples(raw, ids, not_number)})",
                f"give every feature a numeric {col}"
                + (" (or leave it empty when unknown)" if col in nullable else ""),
                ids[not_number],
            )
        if kind == "int":
            fraction = np.isfinite(values) & (values != np.round(values))
            if fraction.any():
                n = int(fraction.sum())
                problems.add(
                    name,
                    f"{count_of(n, 'value')} of {col} {are(n)} not a whole number "
                    f"({examples(raw, ids, fraction)})",
                    f"{col} must be a whole number: round it, or store the column as integers",
                    ids[fraction],
                )
        _check_range(name, col, values, ids, problems)


def _check_range(
    name: str, col: str, values: np.ndarray, ids: np.ndarray, problems: ProblemList
) -> None:
    if col in POSITIVE.get(name, ()):
        _report_range(
            name,
            col,
            values <= 0,
            values,
            ids,
            "> 0",
            f"correct them ({col} must be > 0), or delete those features",
            problems,
        )
    elif col in NON_NEGATIVE.get(name, ()):
        _report_range(
            name,
            col,
            values < 0,
            values,
            ids,
            "≥ 0",
            f"correct them ({col} must be ≥ 0), or delete those features",
            problems,
        )
    if (name, col) in PLAUSIBLE:
        low, high, why = PLAUSIBLE[(name, col)]
        # a value already reported as not > 0 / not ≥ 0 is not reported twice
        signed = (
            values <= 0
            if col in POSITIVE.get(name, ())
            else values < 0
            if col in NON_NEGATIVE.get(name, ())
            else np.zeros(len(values), bool)
        )
        _report_range(
            name,
            col,
            ((values < low) | (values > high)) & ~signed,
            values,
            ids,
            f"within {low:g}..{high:g} ({why})",
            f"check the unit and the source of {col} (e.g. feet or mm instead of "
            f"metres, mph mistaken for km/h), or delete those features",
            problems,
        )


def _report_range(
    name: str,
    col: str,
    bad: np.ndarray,
    values: np.ndarray,
    ids: np.ndarray,
    rule: str,
    fix: str,
    problems: ProblemList,
) -> None:
    bad = bad & np.isfinite(values)  # ±inf is reported as not a finite number
    if bad.any():
        n = int(bad.sum())
        shown = ", ".join(f"{ids[i]}: {values[i]:g}" for i in np.flatnonzero(bad)[:SHOW_EXAMPLES])
        problems.add(
            name, f"{count_of(n, 'value')} of {col} {are(n)} not {rule} ({shown})", fix, ids[bad]
        )


def _check_bools(name: str, gdf: gpd.GeoDataFrame, ids: np.ndarray, problems: ProblemList) -> None:
    for col, kind in LAYERS[name].items():
        if kind != "bool" or col not in gdf.columns or pd.api.types.is_bool_dtype(gdf[col]):
            continue
        s = gdf[col]
        ok = s.isna() | s.isin([True, False, 0, 1])
        if not ok.all():
            shown = examples(s, ids, ~ok.to_numpy())
            problems.add(
                name,
                f"{count_of(int((~ok).sum()), 'value')} of {col} {are(int((~ok).sum()))} not true/false "
                f"({shown})",
                f"store {col} as a boolean column (true/false or 1/0)",
                ids[~ok.to_numpy()],
            )


CATEGORIES = {
    ("pipes", "network"): PIPE_NETWORKS,
    ("junctions", "network"): PIPE_NETWORKS,
    ("junctions", "kind"): JUNCTION_KINDS,
    ("stations", "force"): FORCES,
    ("districts", "level"): DISTRICT_LEVELS,
}
"""Columns whose values must come from a fixed list."""


def _check_categories(
    name: str, gdf: gpd.GeoDataFrame, ids: np.ndarray, problems: ProblemList
) -> None:
    for (layer, col), allowed in CATEGORIES.items():
        if layer != name or col not in gdf.columns:
            continue
        bad = ~gdf[col].isin(allowed).to_numpy()
        if bad.any():
            unknown = pd.unique(gdf[col][bad].astype(str))
            problems.add(
                name,
                f"{count_of(int(bad.sum()), 'feature')} {have(int(bad.sum()))} an unknown {col} "
                f"({', '.join(map(repr, unknown[:SHOW_EXAMPLES]))})",
                f"{col} must be one of: {', '.join(allowed)}",
                ids[bad],
            )
