#!/usr/bin/env bash
# Regenerates tests/onnx_conformance/expected_pass.txt (the node tests Kiln's CPU backend passes; the
# `onnx` ctest fails when one of them stops passing) and docs/ONNX_CONFORMANCE.md (pass rates per op,
# overall, the supported-op metric, real-model results), from a fresh run of every case.
# Usage: scripts/onnx/update_expected.sh            (build dir: $KILN_BUILD_DIR, default build)
# Needs python3 with numpy, onnx, onnxruntime: pip install -r scripts/onnx/requirements.txt
set -euo pipefail
cd "$(dirname "$0")/../.."

BUILD_DIR=${KILN_BUILD_DIR:-build}
JOBS=${KILN_JOBS:-2}
RUNNER="$BUILD_DIR/tests/onnx_conformance/kiln_onnx_runner"

cmake --build "$BUILD_DIR" --target kiln_onnx_runner -j "$JOBS"

# The runner exits 1 when some case does not pass, which is expected here; 2 means it could not run.
run() {
  local rc=0
  "$RUNNER" "$@" || rc=$?
  if [ "$rc" -gt 1 ]; then
    echo "update_expected.sh: kiln_onnx_runner failed (exit $rc)" >&2
    exit "$rc"
  fi
}

python3 scripts/onnx/dump_node_tests.py --out "$BUILD_DIR/onnx_node_tests"
run --dir "$BUILD_DIR/onnx_node_tests" --jobs "$JOBS" --quiet \
    --write-passing tests/onnx_conformance/expected_pass.txt \
    --summary-json "$BUILD_DIR/onnx_conformance.json" --summary-csv "$BUILD_DIR/onnx_conformance.csv"

python3 scripts/onnx/dump_node_tests.py --out "$BUILD_DIR/onnx_node_tests_frozen" --freeze-inputs
run --dir "$BUILD_DIR/onnx_node_tests_frozen" --jobs "$JOBS" --quiet \
    --summary-json "$BUILD_DIR/onnx_conformance_frozen.json"

python3 scripts/onnx/make_models.py --out "$BUILD_DIR/onnx_models"
run --dir "$BUILD_DIR/onnx_models" --rel-l2 1e-5 --summary-json "$BUILD_DIR/onnx_models.json"

python3 scripts/onnx/conformance_report.py --node-json "$BUILD_DIR/onnx_conformance.json" \
    --frozen-json "$BUILD_DIR/onnx_conformance_frozen.json" --models-json "$BUILD_DIR/onnx_models.json" \
    --models-info "$BUILD_DIR/onnx_models/models.txt" --out docs/ONNX_CONFORMANCE.md
echo "update_expected.sh: $(grep -vc '^#' tests/onnx_conformance/expected_pass.txt) expected passes written;" \
     "review with: git diff tests/onnx_conformance/expected_pass.txt docs/ONNX_CONFORMANCE.md"
