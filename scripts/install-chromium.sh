#!/usr/bin/env bash
# Debian's headless Chromium, for map.png and the browser tests, and poppler-utils
# (pdftoppm: the briefing's printed pages as PNG, to look at). Needs root (or sudo).
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1; then exit 0; fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
echo "==> installing Debian's chromium and poppler-utils (apt-get)"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-noto-cjk \
  poppler-utils >/dev/null
