#!/usr/bin/env bash
# Runs the GPU-labelled tests on the GPU machine and prints a table.
#
# On the project machine (no GPU), build what travels:
#   scripts/gpu_tests.sh --build        # -> build-gpu/ (sm_90, static BLAS, Release)
# then on the GPU machine, in one device call carrying build-gpu:
#   scripts/gpu_tests.sh --run
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${KILN_GPU_BUILD_DIR:-build-gpu}

case "${1:---run}" in
  --build)
    scripts/setup.sh >/dev/null  # dependencies
    cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DKILN_CUDA_ARCHITECTURES=90 -DBLA_STATIC=ON \
      -DCMAKE_EXE_LINKER_FLAGS="-static-libstdc++ -static-libgcc" >/dev/null
    cmake --build "$BUILD_DIR" --target kiln_gpu_tests
    strip "$BUILD_DIR"/tests/kiln_gpu_tests
    du -sh "$BUILD_DIR"/tests/kiln_gpu_tests
    ;;
  --run)
    if command -v python3 >/dev/null && python3 -c "import nvidia" 2>/dev/null; then
      LD_LIBRARY_PATH=$(python3 -c "import nvidia,os,glob;print(':'.join(glob.glob(os.path.join(list(nvidia.__path__)[0],'*','lib'))))"):${LD_LIBRARY_PATH:-}
      export LD_LIBRARY_PATH
    fi
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
    log=$(mktemp)
    "$BUILD_DIR"/tests/kiln_gpu_tests --gtest_brief=0 2>&1 | tee "$log"
    echo
    printf '%-55s %s\n' "test" "result"
    grep -E '^\[ +(OK|FAILED|SKIPPED) +\]' "$log" | sed -E 's/^\[ +([A-Z]+) +\] ([^ ]+).*/\2 \1/' |
      awk '{printf "%-55s %s\n", $1, $2}'
    grep -qE '^\[  FAILED  \]' "$log" && exit 1 || exit 0
    ;;
  *) echo "usage: $0 --build | --run" >&2; exit 2 ;;
esac
