"""Request priorities (life risk first) and the queue that serves by priority, then age.

Every incident type has a priority class (:data:`PRIORITY`, 0 = served first); a queued
request for a unit is served in the order of its key ``(stage, priority, alarm time,
sequence)``:

- ``stage`` 0 for an incident's first crew, 1 for the rest of its assignment *under a
  declared surge* (mass-casualty mode, :mod:`twin.sim.surge`: one crew per site first,
  then reinforce); outside a surge every request has stage 0;
- ``priority`` of the incident's type;
- the incident's alarm time (older first), then the order the requests were queued in.

Classes (assumption, after the triage order of fire and rescue doctrine — spreading fires
first because a fire left burning in a damaged city grows into a conflagration that
threatens more lives than any one collapse, as after Kobe 1995 and San Francisco 1906;
then trapped or endangered people; then property and service calls):

====  =====================================================================
0     spreading life risk: building fires, gas explosions
1     people trapped or endangered: collapses, entrapments, water, mountain
      rescues, traffic accidents, landslides, gas leaks, hazardous materials
2     property and service: outdoor fires, waterlogging, water-main bursts,
      community assistance
====  =====================================================================

This module is light (no imports from the engine): the lifecycle imports it.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable, Iterator, Sequence, Set
from typing import Any, Protocol

PRIORITY: dict[str, int] = {
    "building_fire": 0,
    "gas_explosion": 0,
    "building_collapse": 1,
    "technical_rescue": 1,
    "water_rescue": 1,
    "mountain_rescue": 1,
    "traffic_accident": 1,
    "landslide": 1,
    "gas_leak": 1,
    "hazmat": 1,
    "outdoor_fire": 2,
    "waterlogging": 2,
    "water_main_burst": 2,
    "community_assist": 2,
}
"""Priority class per incident type (0 first; see the module docstring)."""
DEFAULT_PRIORITY = 2
"""Types not listed (user catalogues) are served as property/service calls."""
LIFE_RISK = 1
"""Classes up to this one carry a risk to life."""


def priority_of(type_name: str) -> int:
    """The priority class of an incident type (0 = served first)."""
    return PRIORITY.get(type_name, DEFAULT_PRIORITY)


def first_crew_force(pools: Sequence[Any], needs: list[tuple[int, int]], ground: Set[int]) -> int:
    """Under a surge, the force sending a site's first crew: the first needed ``ground``
    force with a free unit that may go (``pools[f].sendable()``: with fire crews, a free
    vehicle at a station with a free crew), else the first needed ground force with units
    (``pools[f].total``); −1 if none."""
    have = [f for f, _ in needs if f in ground and pools[f].total > 0]
    for f in have:
        if pools[f].sendable():
            return f
    return have[0] if have else -1


class Queued(Protocol):
    """What the queue needs of an incident: its priority class, its alarm time and whether
    it is cleared."""

    prio: int
    alarm: float
    cleared: bool


class PriorityQueue:
    """Requests waiting for a unit of one force, kept sorted by their key.

    Behaves like the ``deque`` it replaces for the engine's uses: ``append`` (here: insert
    at its place), ``popleft``, iteration in serving order, ``del q[k]``, ``len``, truth."""

    __slots__ = ("_keys", "_items", "_seq")

    def __init__(self) -> None:
        self._keys: list[tuple[int, int, float, int]] = []
        self._items: list[Any] = []
        self._seq = 0

    def append(self, inc: Queued, stage: int = 0) -> None:
        """Queue a request for ``inc`` (``stage`` 1: a reinforcement under a surge)."""
        key = (stage, inc.prio, inc.alarm, self._seq)
        self._seq += 1
        k = bisect.bisect_right(self._keys, key)
        self._keys.insert(k, key)
        self._items.insert(k, inc)

    def popleft(self) -> Any:
        """Remove and return the request served first."""
        self._keys.pop(0)
        return self._items.pop(0)

    def restage(self, stage_of: Callable[[Any], int]) -> None:
        """Give every request the stage ``stage_of(incident)`` says, and re-sort (priority,
        age and the order of queueing kept within a stage). Time: O(n log n)."""
        keys = [(stage_of(inc), k[1], k[2], k[3]) for k, inc in zip(self._keys, self._items)]
        order = sorted(range(len(keys)), key=keys.__getitem__)
        self._keys = [keys[k] for k in order]
        self._items = [self._items[k] for k in order]

    def stage(self, k: int) -> int:
        """Stage of the ``k``-th request in serving order."""
        return self._keys[k][0]

    def first_crews(self) -> int:
        """Sites without their first crew: requests waiting at stage 0 of incidents not
        cleared (a cleared incident's requests stay queued until a unit meets them or a
        retry rebuilds the queue; no crew is needed there). Time: the stage-0 requests."""
        n = bisect.bisect_left(self._keys, (1, -1, -1.0, -1))
        return sum(1 for inc in itertools.islice(self._items, n) if not inc.cleared)

    def __getitem__(self, k: int) -> Any:
        return self._items[k]

    def __delitem__(self, k: int) -> None:
        del self._keys[k]
        del self._items[k]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)
