"""Suite-wide pytest set-up: the order modules are handed to the workers.

``scripts/test.sh`` runs pytest on two worker processes (pytest-xdist, ``-n 2 --dist
loadfile --no-loadscope-reorder``): each test module runs whole on one worker, so a
module-scoped fixture (a fortnight on the embedded twin, twenty gas drills, a browser) is
built once, as in a serial run. The workers take modules in collection order, so the
slowest modules are collected first (longest first: a long module started last would leave
the other worker idle at the end). The order changes nothing else: every test still runs,
each module's tests in their own order.
"""

from __future__ import annotations

import pytest

# Slowest first, by each module's summed setup + call + teardown in a parallel run of the
# whole suite (26 Nov 2026, 2 workers, load average 10-17 on the shared 2-core machine:
# scenario_effects 1 484 s, cli 1 078, gas_drill 908, bad_inputs 697, viz_browser 537, then
# 190-290 s each); modules not named here follow in their usual order. Re-measure with
# `bash scripts/test.sh --durations=0` when a module grows; the list only orders modules,
# it never selects or skips one.
SLOWEST_FIRST = (
    "test_scenario_effects.py",
    "test_cli.py",
    "test_gas_drill.py",
    "test_bad_inputs.py",
    "test_viz_browser.py",
    "test_own_data.py",
    "test_app_browser.py",
    "test_app_api.py",
    "test_viz.py",
    "test_geodata_build.py",
)


def _rank(item: pytest.Item) -> int:
    name = item.path.name
    return SLOWEST_FIRST.index(name) if name in SLOWEST_FIRST else len(SLOWEST_FIRST)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=_rank)  # stable: the order within a module and among the rest is kept
