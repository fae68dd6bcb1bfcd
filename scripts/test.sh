#!/usr/bin/env bash
# The whole test suite on a fresh machine: install the package with its test extras and
# Debian's chromium (the map tests open the maps in a real headless browser), then pytest.
# With no arguments it first lints (ruff check, ruff format --check) and type-checks (mypy)
# the package, and after pytest (on two worker processes) runs the wheel check
# (scripts/wheel-check.sh: build the wheel, install it into a fresh virtualenv, run a short
# scenario from another directory).
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k roads`.
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRAS=test source scripts/setup.sh
bash scripts/install-chromium.sh
# The browser tests fail (never skip) without Chromium; say so before pytest starts.
if ! command -v chromium >/dev/null 2>&1; then
  echo "scripts/test.sh: no chromium after scripts/install-chromium.sh: the browser tests cannot run" >&2
  exit 1
fi
if [ $# -eq 0 ]; then
  echo "==> ruff (lint and format) and mypy"
  .venv/bin/ruff check twin tests bench
  .venv/bin/ruff format --check twin tests bench
  .venv/bin/mypy twin
fi
# pytest on both cores (pytest-xdist): each test module runs whole on one worker, so its
# module-scoped fixtures are built once; the slowest modules go first (tests/conftest.py).
# TWIN_TEST_WORKERS=0 runs pytest in this one process instead.
# Tests marked `alone` measure their own process (peak memory) and run afterwards, serially,
# so the other worker's load cannot disturb the measurement.
if [ $# -eq 0 ]; then
  .venv/bin/python -m pytest -n "${TWIN_TEST_WORKERS:-2}" --dist loadfile --no-loadscope-reorder \
    --durations=30 -m "not alone"
  .venv/bin/python -m pytest -m alone
else
  .venv/bin/python -m pytest -n "${TWIN_TEST_WORKERS:-2}" --dist loadfile --no-loadscope-reorder \
    --durations=30 "$@"
fi
if [ $# -eq 0 ] || [ "${TWIN_WHEEL_CHECK:-}" = 1 ]; then
  PYTHON=.venv/bin/python bash scripts/wheel-check.sh
fi
