#!/usr/bin/env bash
# Builds .device-bundle/: ONE ESM file running `ptune bench gpu` without node_modules (the GPU
# machine has none), the random-weights worker files it starts beside it, and peft_bench.py so
# the PEFT anchor can be rerun on the same card. Run from anywhere; see docs/gpu.md.
#   bash scripts/device/bundle.sh      ->  .device-bundle/{ptune.mjs,worker.js,normal.js,peft_bench.py,run-bench.sh}
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
OUT=.device-bundle
SHARED="${PTUNE_SHARED:-$ROOT/../shared}"
rm -rf "$OUT"; mkdir -p "$OUT"
node scripts/device/bundle.mjs scripts/device/entry.ts "$OUT/ptune.mjs"
# random-init's worker pool starts new URL("./worker.js", import.meta.url): beside the bundle
cp packages/t5/src/random/worker.js packages/t5/src/random/normal.js "$OUT/"
cp "$SHARED/device/peft_bench.py" "$OUT/"
cp scripts/device/run-bench.sh "$OUT/"
# the bundle is a build output: keep it out of git status (local exclude, as ../shared/device/README.md does for .device-carry)
if [ -d .git/info ] && ! grep -qx '/.device-bundle/' .git/info/exclude 2>/dev/null; then echo '/.device-bundle/' >> .git/info/exclude; fi
SIZE=$(du -sb "$OUT" | cut -f1)
echo "bundle: $OUT ($((SIZE / 1024)) KiB)"; ls -l "$OUT"
[ "$SIZE" -lt $((20 * 1024 * 1024)) ] || { echo "bundle: larger than 20 MiB" >&2; exit 1; }
