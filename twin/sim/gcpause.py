"""Python's cyclic garbage collector, paused around a simulation run.

A run allocates millions of short-lived objects (SimPy events, generators, tuples) and the
collector's young-generation passes, triggered every 700 allocations, took about a tenth
of the engine's time (``bench/bench_speed.py`` measures it with ``gc.callbacks``), while
finding little: SimPy's processes and events form reference cycles that live as long as
the run. :func:`paused_gc` moves everything alive before the run out of the collector's
sight (``gc.freeze``) and raises the young-generation threshold, so collections are rare
and never walk the city; both are restored afterwards, even on error (``try/finally``).
The collector is not switched off: memory of cyclic garbage stays bounded.

The runner pauses it again while it builds a run's results tables (``twin.sim.runner``):
then the run's own millions of objects (its event log, its incidents) are what is frozen,
and the tables' allocations no longer trigger full collections that walk them all (a
year of the municipality: 5.6 of the tables' CPU seconds went to the collector).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

RUN_THRESHOLD = 200_000
"""Allocations between young-generation collections during a run (Python's default: 700)."""


@contextmanager
def paused_gc(threshold: int = RUN_THRESHOLD) -> Iterator[None]:
    """Within the block: objects alive at its start frozen, young collections every
    ``threshold`` allocations; the thresholds and the frozen set are restored at its end
    (an enclosing freeze, or a collector switched off by the caller, is left alone)."""
    if not gc.isenabled():
        yield
        return
    old = gc.get_threshold()
    froze = gc.get_freeze_count() == 0
    if froze:
        gc.freeze()
    gc.set_threshold(max(threshold, old[0]), old[1], old[2])
    try:
        yield
    finally:
        gc.set_threshold(*old)
        if froze:
            gc.unfreeze()
