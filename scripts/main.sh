#!/usr/bin/env bash
# The main job on a fresh machine: install, then run the baseline scenario on the embedded
# Chongqing twin; prints the 10/30/60 compliance table and writes results/baseline/
# (incidents, events, compliance, summary.json, map.html, map.png, briefing.html).
# Extra arguments go to `twin run`, e.g. `bash scripts/main.sh scenarios/rainstorm.toml`.
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRAS=all source scripts/setup.sh
bash scripts/install-chromium.sh || echo "(no Chromium: map.png will be drawn with matplotlib instead)"
exec .venv/bin/twin run "$@"
