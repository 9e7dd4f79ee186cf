#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh) and runs the whole test suite. GPU tests (ctest label `gpu`)
# run where a GPU is present and are reported as skipped elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
BUILD_DIR=${KILN_BUILD_DIR:-build}
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$(nproc)" --timeout 600
