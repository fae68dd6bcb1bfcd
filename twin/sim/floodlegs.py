"""The last stretch of a unit's way to a flooded incident: which means (vehicle, wading, on
foot, boat) and how long, from the run's pre-drawn flood depth and distance
(:func:`twin.sim.access.last_leg`). Split out of :mod:`twin.sim.engine`."""

from __future__ import annotations

from collections.abc import Callable

from twin.sim.access import last_leg
from twin.sim.dispatch import Pool
from twin.sim.forces import Fleet
from twin.sim.incidents import IncidentArrays
from twin.sim.lifecycle import Inc


def flood_legs(
    arr: IncidentArrays, fleet: Fleet, n_units: int
) -> Callable[[int, Pool, Inc], tuple[float, str]]:
    """Unit ``u``'s last stretch to an incident's place (:func:`twin.sim.access.last_leg`),
    with the flood depth and distance of the run's pre-drawn incidents (none for incidents
    raised during the run: cascades)."""
    kinds = fleet.unit_kind.tolist() if fleet.unit_kind is not None else [""] * n_units
    depth = arr.depth_m.tolist() if arr.depth_m is not None else None
    access = arr.access_m.tolist() if arr.access_m is not None else None
    n = len(depth) if depth is not None else 0

    def leg(u: int, pool: Pool, inc: Inc) -> tuple[float, str]:
        d, a = (depth[inc.id], access[inc.id]) if depth and access and inc.id < n else (0, 0)
        return last_leg(d, a, pool.spec.name, kinds[u] or "", pool.spec.mode)

    return leg
