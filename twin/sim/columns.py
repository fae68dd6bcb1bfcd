"""Per-incident columns of the incidents table read off the run's incidents: the time chain
(:func:`chain_columns`) and flood water and access (:func:`access_columns`)."""

from __future__ import annotations

import numpy as np

from twin.sim.incidents import IncidentArrays
from twin.sim.lifecycle import FIRE, Inc


def chain_columns(incs: list[Inc]) -> dict[str, np.ndarray]:
    """The time chain per incident, for the incidents table (s): ``call_s`` (119 call
    handling), ``dispatch_s`` (absolute time of the dispatch order), ``turnout_s`` and
    ``travel_s`` of the first ground unit on scene, ``first_fire_s`` (absolute: first fire
    vehicle on scene), ``full_s`` (absolute: the whole first assignment of ground units on
    scene), ``air_request_s`` (absolute: air rescue requested, at the dispatch order or
    from the scene). NaN where it did not happen."""
    n = len(incs)

    def col(name: str) -> np.ndarray:
        return np.fromiter((getattr(i, name) for i in incs), float, n)

    return {
        "call_s": col("call_s"),
        "dispatch_s": col("dispatch_s"),
        "turnout_s": col("turnout_s"),
        "travel_s": col("travel_s"),
        "first_fire_s": np.fromiter((i.first[FIRE] for i in incs), float, n),
        "full_s": col("full_s"),
        "air_request_s": col("air_request_s"),
    }


def access_columns(incs: list[Inc], arrays: IncidentArrays | None) -> dict[str, np.ndarray]:
    """Per incident: ``depth_m`` (flood water at the place, m), ``access_m`` (m from where
    road units park to the place; both from the run's ``arrays``, 0 for incidents raised
    during the run), ``reached_s`` (absolute s: the first unit to reach the place itself —
    not a crew stopped at the water's edge; NaN if none) and ``reached_by`` (``drive``,
    ``boat``, ``foot``, ``air``; ``""`` if none): :mod:`twin.sim.access`."""
    n = len(incs)
    depth, access = np.zeros(n), np.zeros(n)
    if arrays is not None and arrays.depth_m is not None and arrays.access_m is not None:
        k = min(n, len(arrays.depth_m))
        depth[:k], access[:k] = arrays.depth_m[:k], arrays.access_m[:k]
    return {
        "depth_m": depth,
        "access_m": access,
        "reached_s": np.fromiter((i.reached_s for i in incs), float, n),
        "reached_by": np.array([i.reached_by for i in incs], dtype=object),
    }
