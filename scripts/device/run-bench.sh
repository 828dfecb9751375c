#!/usr/bin/env bash
# The 4th device command (docs/gpu.md): on the GPU machine, with .device-carry/d and .device-bundle
# carried and parts a, b, c staged by the three commands before it:
#   bash .device-bundle/run-bench.sh
# ~8 minutes on an H100: our bench (small, base, large; xl only if the time budget allows) in
# fp32 / fp16 / bf16 with K = 1, 2, 4, 8 packed prompts, then Hugging Face PEFT on the same card.
# Everything lands in $OUT: gpu.txt, bench.json (written after every row), bench.log, peft.json, peft.log.
set -uo pipefail
: "${OUT:?OUT must be set (the device tool sets it)}"
source .device-carry/d/setup.sh || exit 1
export PTUNE_CACHE_DIR=/tmp/ptune-cache
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt"
SIZES="${SIZES:-small,base,large,xl}"
# stop starting new (size, dtype) runs after BUDGET seconds; the hard timeout keeps PEFT's share
# (xl fp32: PEFT has no fp32 xl figure and it would eat the budget)
timeout "${HARD_S:-300}" node .device-bundle/ptune.mjs bench gpu --device cuda --sizes "$SIZES" \
  --dtypes "${DTYPES:-fp32,fp16,bf16}" --k "${KS:-1,2,4,8}" --steps "${STEPS:-3}" --warmup 2 \
  --budget-s "${BUDGET:-200}" --skip "${SKIP:-xl:fp32}" --out "$OUT/bench.json" 2>&1 | tee "$OUT/bench.log"
echo "bench gpu: exit ${PIPESTATUS[0]}"
# the anchor on this very card (its own deadline: PEFT's plan runs small -> xxl until it is spent)
PYTHONUNBUFFERED=1 timeout "${PEFT_HARD_S:-150}" python3 .device-bundle/peft_bench.py "$OUT/peft.json" "${PEFT_S:-130}" 2>&1 | tee "$OUT/peft.log"
echo "peft: exit ${PIPESTATUS[0]}"
