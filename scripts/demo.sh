#!/usr/bin/env bash
# Sets everything up, builds ResNet-50 (defined layer by layer through Kiln's API, seeded random
# weights) into a plan, inspects it and runs it with timing. It runs on the CPU backend (the CUDA
# backend is not there yet; see docs/STATUS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
BUILD_DIR=${KILN_BUILD_DIR:-build}
KILN="$BUILD_DIR/tools/kiln/kiln"
mkdir -p out
"$KILN" build --network resnet50 --batch 1 --device cpu -o out/resnet50.plan
"$KILN" inspect out/resnet50.plan > out/resnet50.inspect.txt
head -n 24 out/resnet50.inspect.txt
echo "  ... (full listing in out/resnet50.inspect.txt)"
"$KILN" run out/resnet50.plan --warmup 1 --iterations 5
