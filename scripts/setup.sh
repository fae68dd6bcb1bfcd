#!/usr/bin/env bash
# Shared set-up for scripts/main.sh and scripts/test.sh: a project virtualenv in .venv with
# this package and its extras installed. Re-installs only when pyproject.toml changed.
# Usage (sourced): EXTRAS=test source scripts/setup.sh
set -euo pipefail
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "Shancheng Twin needs Python >= 3.11 (found: $("$PY" --version 2>&1))." >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PY" -m venv .venv
fi
stamp=".venv/.installed-${EXTRAS:-main}-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "==> installing shancheng-twin[${EXTRAS:-}] into .venv (first time takes a minute)"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[${EXTRAS:-all}]"
  touch "$stamp"
fi
