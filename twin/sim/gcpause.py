"""Python's cyclic garbage collector, switched off around a simulation run and paused
around the building of its results tables.

A run allocates millions of objects (SimPy events, the incidents, the log) and the
collector's passes, triggered every 700 net allocations (and every 200 000 when it was only
paused here, up to the 25th stop), found almost nothing: the cycles a run leaves are few
and live to its end. Measured with the collector off during the run and on, in the same
run of each (``gc.collect()`` afterwards counting what was left): the earthquake's full
collapse backlog (``bench/estimate_check.py``'s case) leaves 35,925 objects in cycles
either way, peak memory 1,003 MB on and 1,004 MB off, CPU 81.5 against 73.6 s; the
municipality's 120 days grew 22 MB more with the collector off, out of 1.35 GB, and ran
11 % faster. So :func:`collector_off` switches it off for the run (the cycles are
collected by the first full pass after it) and :func:`paused_gc`, for the tables, moves
everything alive out of the collector's sight (``gc.freeze``: the run's own millions of
objects, which full passes walked for 5.6 of a municipality year's table CPU-seconds)
and raises the young-generation threshold. Both restore the collector afterwards, even on
error (``try/finally``).

Withdrawn once (25th stop) because forked sweep workers seemed slower with it; re-measured
with each sweep in a fresh process, as ``twin sweep`` runs (``bench/sweep_speedup.py``),
they were not (8 30-day replications on 2 workers: 19.9–20.7 CPU-s in the workers with it,
21.0–21.5 without). The slowdown was the old bench's: it ran its sweeps one after another
in one process, and each 2-worker sweep forked from the heap the earlier ones had left.

A sweep's replication (``twin.analysis.sweep.one_replication``) runs whole — the run and
its tables — inside :func:`collector_off` (the engine's and the tables' own pauses are
then no-ops): a forked worker inherits its parent's freeze and may not undo it, so it
cannot freeze the run as one process does; with the collector off until the replication
is done, the run (handed to its result alone, ``lifecycle.hand_over``) is freed by
reference counting before any pass walks it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

RUN_THRESHOLD = 200_000
"""Allocations between young-generation collections while the tables are built (Python's
default: 700)."""


@contextmanager
def collector_off() -> Iterator[None]:
    """Within the block (a simulation run) the cyclic collector is switched off; at its end
    it is switched on again, even on error (one switched off by the caller stays off)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:
            # Millions of allocations were counted while off: switching on would start a
            # pass over everything the run made at the next one (0.8 CPU-s at 60 days of
            # the municipality). Make that pass now, with the run frozen: over nothing.
            gc.freeze()
            gc.collect(0)
            gc.unfreeze()
        gc.enable()


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
