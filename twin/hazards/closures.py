"""Road closures a scenario asks for (``[[closures]]``), by road, bridge or tunnel name or
by edge ids, and the name index they use."""

from __future__ import annotations

import weakref

import numpy as np
import pandas as pd

from twin.hazards.timeline import ClosureEvent, Timeline
from twin.model.city import City
from twin.scenario.spec import Closure, Scenario

HOUR = 3600.0

NAME_SEPARATOR = " / "
"""Road names may carry several names, e.g.
"千厮门嘉陵江大桥 / Qiansimen Jialing River Bridge" (the embedded twin); a closure may give
the whole name or any one part."""

_NAME_INDEX: weakref.WeakKeyDictionary[object, dict[str, np.ndarray]] = weakref.WeakKeyDictionary()


def road_name_index(city: City) -> dict[str, np.ndarray]:
    """Edge indices by road name key: each edge's whole ``name`` and each of its
    " / "-separated parts, trimmed and case-folded (cached per City)."""
    got = _NAME_INDEX.get(city)
    if got is None:
        names = city.road_edges["name"].fillna("").astype(str).to_numpy(dtype=object)
        keys: dict[str, list[int]] = {}
        for k, name in enumerate(names):
            parts = {name.strip(), *(p.strip() for p in name.split(NAME_SEPARATOR))} - {""}
            for part in parts:
                keys.setdefault(part.casefold(), []).append(k)
        got = {key: np.asarray(v, np.int64) for key, v in keys.items()}
        _NAME_INDEX[city] = got
    return got


def road_names(city: City) -> list[str]:
    """Every name a closure may use (whole names and their parts), for suggestions."""
    names = city.road_edges["name"].fillna("").astype(str)
    out = set()
    for name in names.unique():
        out |= {name.strip(), *(p.strip() for p in name.split(NAME_SEPARATOR))}
    return sorted(out - {""})


def edges_named(city: City, name: str) -> np.ndarray:
    """Indices of every road edge called ``name`` (whole name or one " / " part, any case)."""
    return road_name_index(city).get(name.strip().casefold(), np.empty(0, np.int64))


def closure_edges(city: City, closure: Closure) -> np.ndarray:
    """Edge indices of one scenario ``[[closures]]`` entry: every edge called ``name``
    (:func:`edges_named`), or the given ``edge_ids``. Unknown names or ids give an empty
    array (:func:`twin.scenario.checks.check_against` reports them)."""
    e = city.road_edges
    if closure.name is not None:
        return edges_named(city, closure.name)
    pos = pd.Index(e["edge_id"].astype(str).to_numpy(dtype=object)).get_indexer(
        [str(x) for x in closure.edge_ids]
    )
    return np.unique(pos[pos >= 0]).astype(np.int64)


def scenario_closures(city: City, scenario: Scenario, run_s: float) -> Timeline:
    """The scenario's ``[[closures]]`` as :class:`ClosureEvent` s (``duration_h`` absent:
    until the end of the run)."""
    out = []
    for c in scenario.closures:
        edges = closure_edges(city, c)
        start = c.start_h * HOUR
        end = run_s if c.duration_h is None else start + c.duration_h * HOUR
        if len(edges) and start < run_s:
            out.append(
                ClosureEvent(
                    tuple(int(x) for x in edges),
                    start,
                    end,
                    c.reason,
                    c.name or ",".join(c.edge_ids),
                )
            )
    return Timeline(closures=tuple(sorted(out, key=lambda c: c.start_s)))
