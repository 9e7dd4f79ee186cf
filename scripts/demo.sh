#!/usr/bin/env bash
# Sets everything up, builds ResNet-50 (defined layer by layer through Kiln's API, seeded random
# weights) into a plan, inspects it and runs it with timing: on GPU 0 (FP16, timed as CUDA-graph replays)
# when this machine has an NVIDIA GPU and Kiln was built with CUDA, else on the CPU backend.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
BUILD_DIR=${KILN_BUILD_DIR:-build}
KILN="$BUILD_DIR/tools/kiln/kiln"
mkdir -p out
run_args=(--warmup 1 --iterations 5)
if command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1 &&
   "$KILN" build --network resnet50 --batch 1 --device cuda:0 --fp16 -o out/resnet50.plan; then
  run_args=(--warmup 10 --iterations 50 --cuda-graph)
else
  "$KILN" build --network resnet50 --batch 1 --device cpu -o out/resnet50.plan
fi
"$KILN" inspect out/resnet50.plan > out/resnet50.inspect.txt
head -n 24 out/resnet50.inspect.txt
echo "  ... (full listing in out/resnet50.inspect.txt)"
"$KILN" run out/resnet50.plan "${run_args[@]}"
