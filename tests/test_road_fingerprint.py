"""The travel-time cache's key (twin.model.roads.RoadNetwork.fingerprint, TravelTimes._cache_key)
changes with everything travel times depend on: a key that missed one input would hand back
another network's times from the on-disk cache (an invariant, on the river network of
test_roads.py)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from test_roads import RIVER, net

from twin.model.roads import TravelTimes

BASE = net(RIVER, 5)


@pytest.mark.parametrize(
    "changed",
    [
        replace(BASE, edge_u=BASE.edge_u[[1, 0, 2, 3, 4]]),  # the first two edges' tails swapped
        replace(BASE, edge_v=BASE.edge_v[[0, 1, 2, 4, 3]]),  # heads swapped
        replace(BASE, edge_time_s=BASE.edge_time_s + [0, 0, 1, 0, 0]),  # one edge 1 s slower
        replace(BASE, edge_oneway=np.array([False, True, False, False, False])),
        replace(BASE, edge_bridge=np.array([False, True, False, False, False])),
        replace(BASE, edge_class=np.array(["local"] * 4 + ["arterial"], dtype=object)),
        BASE.with_congestion(tuple(np.full(5, f) for f in (1.0, 1.5, 1.1))),
    ],
    ids=["edge_u", "edge_v", "edge_time_s", "oneway", "bridge", "class", "congestion"],
)
def test_the_fingerprint_changes_with_every_input_of_the_travel_times(changed):
    assert changed.fingerprint() != BASE.fingerprint()
    assert changed.fingerprint() == changed.fingerprint()  # and is stable


def test_the_cache_key_changes_with_the_sources_and_the_closures():
    key = TravelTimes(BASE, np.array([0]), use_cache=False)._cache_key()
    assert TravelTimes(BASE, np.array([0]), use_cache=False)._cache_key() == key
    assert TravelTimes(BASE, np.array([1]), use_cache=False)._cache_key() != key
    closed = np.array([False, True, False, False, False])
    assert TravelTimes(BASE, np.array([0]), use_cache=False, closed=closed)._cache_key() != key
