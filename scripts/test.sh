#!/usr/bin/env bash
# The whole test suite on a fresh machine: install the package with its test extras and
# Debian's chromium (the map tests open the maps in a real headless browser), then pytest.
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
exec .venv/bin/python -m pytest "$@"
