#!/usr/bin/env bash
# The whole test suite on a fresh machine: install the package with its test extras and
# Debian's chromium (the map tests open the maps in a real headless browser), then pytest.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k roads`.
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRAS=test source scripts/setup.sh
bash scripts/install-chromium.sh
exec .venv/bin/python -m pytest "$@"
