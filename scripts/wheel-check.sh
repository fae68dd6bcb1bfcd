#!/usr/bin/env bash
# The package runs anywhere: build the wheel, install it (not editable) into a fresh
# virtualenv, and run a short scenario from a directory outside the checkout.
# Called by scripts/test.sh after pytest; fails (non-zero) if any step fails.
# Dependencies come from pip's cache / the configured index as usual.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
work=$(mktemp -d "${TMPDIR:-/tmp}/twin-wheel.XXXXXX")
trap 'rm -rf "$work"' EXIT
t0=$SECONDS
echo "==> wheel check: building the wheel"
"$PY" -m pip wheel --quiet --no-deps --wheel-dir "$work/dist" . >/dev/null
wheel=$(ls "$work"/dist/shancheng_twin-*.whl)
"$PY" - "$wheel" <<'PY'
import sys, zipfile
names = set(zipfile.ZipFile(sys.argv[1]).namelist())
need = ["twin/data/NOTICE.md", "twin/data/scenarios/baseline.toml", "twin/cli/main.py",
        "twin/viz/export.py", "twin/viz/data/deck.min.js"]
missing = [n for n in need if n not in names]
stray = sorted({n.split("/")[0] for n in names if not n.startswith(("twin/", "shancheng_twin"))})
if missing or stray or not any(n.startswith("twin/data/chongqing/") for n in names):
    sys.exit(f"wheel check: missing {missing or 'the embedded twin'}; stray top-level {stray}")
PY
echo "==> wheel check: installing $(basename "$wheel") into a fresh virtualenv"
"$PY" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --no-compile "$wheel" >"$work/pip.log" 2>&1 \
  || { cat "$work/pip.log"; echo "wheel check: pip install failed" >&2; exit 1; }
mkdir "$work/elsewhere"
cd "$work/elsewhere"
"$work/venv/bin/twin" --version
echo "==> wheel check: twin run --days 0.05 from $PWD"
"$work/venv/bin/twin" run --days 0.05 --no-maps --out "$work/elsewhere/out" >"$work/run.log" 2>&1 \
  || { cat "$work/run.log"; echo "wheel check: twin run failed" >&2; exit 1; }
test -f "$work/elsewhere/out/summary.json" && test -f "$work/elsewhere/out/.shancheng-results" \
  || { cat "$work/run.log"; echo "wheel check: no complete results folder" >&2; exit 1; }
"$work/venv/bin/twin" run "$("$work/venv/bin/python" -c 'import twin.data, pathlib; print(pathlib.Path(twin.data.__file__).parent / "scenarios" / "bridges-closed.toml")')" \
  --days 0.05 --no-maps --out "$work/elsewhere/bridges" >"$work/run2.log" 2>&1 \
  || { cat "$work/run2.log"; echo "wheel check: shipped scenario failed" >&2; exit 1; }
echo "==> wheel check passed in $((SECONDS - t0)) s"
