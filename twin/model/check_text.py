"""Helpers shared by the city checks: feature ids, counts in words, examples, points."""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from typing_extensions import TypeIs

from twin.model.layers import ID_COLUMN

SHOW_EXAMPLES = 5
"""How many examples (ids with details) a problem's text spells out."""


def feature_ids(name: str, gdf: gpd.GeoDataFrame) -> np.ndarray:
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


def isin(values: Iterable[object], known: Iterable[object]) -> np.ndarray:
    """Boolean mask: which ``values`` are among ``known`` (hash lookup on objects; much
    faster than Series.isin on Arrow strings)."""
    index = pd.Index(np.asarray(known, dtype=object)).unique()
    return index.get_indexer(np.asarray(values, dtype=object)) >= 0


def has_columns(gdf: pd.DataFrame | None, *cols: str) -> TypeIs[pd.DataFrame]:
    """``gdf`` is present and has every column in ``cols``."""
    return gdf is not None and all(c in gdf.columns for c in cols)


def usable_points(gdf: gpd.GeoDataFrame) -> gpd.GeoSeries | None:
    """Usable point geometries of a layer (missing/empty/non-point dropped)."""
    g = gdf.geometry
    ok = shapely.get_type_id(np.asarray(g.array, dtype=object)) == 0  # Point, not missing
    ok &= ~shapely.is_empty(np.asarray(g.array, dtype=object))
    return g[ok]


def xy_of(g: gpd.GeoSeries) -> np.ndarray:
    return np.column_stack([g.x.to_numpy(), g.y.to_numpy()])


def fmt_m(d: float) -> str:
    if not np.isfinite(d):
        return "no coordinates"
    return f"{d / 1000:.1f} km" if d >= 1000 else f"{d:.0f} m"


def count_of(count: int, one: str, many: str | None = None) -> str:
    """``3 features``, ``1 feature``."""
    return f"{count} {one if count == 1 else (many or one + 's')}"


def are(count: int) -> str:
    return "is" if count == 1 else "are"


def have(count: int) -> str:
    return "has" if count == 1 else "have"


def examples(raw: pd.Series, ids: np.ndarray, mask: np.ndarray) -> str:
    """``id: value`` for the first few features in ``mask`` (missing values as 'missing')."""
    return ", ".join(
        f"{ids[i]}: {show_value(raw.iloc[i])}" for i in np.flatnonzero(mask)[:SHOW_EXAMPLES]
    )


def show_value(value: object) -> str:
    """A cell value as a user wrote it: ``'fast'``, ``inf``, ``1.5``, ``missing``."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "missing"
    if isinstance(value, np.generic):
        value = value.item()
    return (
        repr(value)
        if isinstance(value, str)
        else f"{value:g}"
        if isinstance(value, float)
        else str(value)
    )
