#!/usr/bin/env bash
# Rebuild twin/viz/data/deck.min.js: the deck.gl modules the offline pages use, one script.
#
# Versions are pinned in js/deck-bundle/package.json (exact versions + overrides) and
# js/deck-bundle/package-lock.json (integrity hashes); `npm ci` installs exactly those.
# esbuild bundles js/deck-bundle/src/entry.js (minified IIFE); the banner names every
# bundled package with its version and licence (MIT, ISC, BSD-2-Clause, Apache-2.0, 0BSD; twin/viz/data/NOTICE.md).
# The same inputs give the same bytes: run it twice and compare.
set -euo pipefail
cd "$(dirname "$0")/../js/deck-bundle"
npm ci --no-audit --no-fund --ignore-scripts
mkdir -p dist
npx esbuild src/entry.js --bundle --minify --format=iife --target=es2020 \
  --legal-comments=none --metafile=dist/meta.json --outfile=dist/deck.body.js --log-level=warning
node - <<'JS'
const fs = require('fs');
const meta = JSON.parse(fs.readFileSync('dist/meta.json', 'utf8'));
const pkgs = new Map();
for (const input of Object.keys(meta.inputs)) {
  const m = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
  if (!m || pkgs.has(m[1])) continue;
  const p = JSON.parse(fs.readFileSync(`node_modules/${m[1]}/package.json`, 'utf8'));
  pkgs.set(m[1], `${m[1]} ${p.version} (${p.license})`);
}
const list = [...pkgs.values()].sort();
const banner = '/* deck.gl for Shancheng Twin, built by scripts/build_deck_bundle.sh with esbuild ' +
  'from js/deck-bundle (entry src/entry.js). Bundled packages and licences:\n * ' +
  list.join('\n * ') + '\n * Licence texts: each package\'s LICENSE file in node_modules; see ' +
  'twin/viz/data/NOTICE.md. */\n';
fs.writeFileSync('../../twin/viz/data/deck.min.js', banner + fs.readFileSync('dist/deck.body.js', 'utf8'));
console.log(`twin/viz/data/deck.min.js: ${list.length} packages`);
JS
ls -l ../../twin/viz/data/deck.min.js
