#!/usr/bin/env bash
# Runs the GPU-labelled tests on the GPU machine and prints a table.
#
# On the project machine (no GPU), build what travels:
#   scripts/gpu_tests.sh --build        # -> build-gpu/ (sm_90, static BLAS, Release): the gpu tests and kiln
# then on the GPU machine, in one device call carrying build-gpu/tests/kiln_gpu_tests and
# build-gpu/tools/kiln/kiln:
#   scripts/gpu_tests.sh --run          # the gpu-labelled tests, then a table
#   scripts/gpu_tests.sh --bench [ARGS] # bench/gpu_models.py with that kiln (ARGS go to the script)
# cuDNN and cuBLASLt are linked as shared libraries; on the GPU machine they come from the python venv's
# nvidia packages, which --run and --bench put on LD_LIBRARY_PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${KILN_GPU_BUILD_DIR:-build-gpu}

# The venv's NVIDIA libraries (cuDNN, cuBLASLt) on the GPU machine.
nvidia_libs() {
  if command -v python3 >/dev/null && python3 -c "import nvidia" 2>/dev/null; then
    LD_LIBRARY_PATH=$(python3 -c "import nvidia,os,glob;print(':'.join(glob.glob(os.path.join(list(nvidia.__path__)[0],'*','lib'))))"):${LD_LIBRARY_PATH:-}
    export LD_LIBRARY_PATH
  fi
}

case "${1:---run}" in
  --build)
    scripts/setup.sh >/dev/null  # dependencies
    launcher=()
    if command -v ccache >/dev/null; then
      launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
    fi
    cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DKILN_CUDA_ARCHITECTURES=90 -DBLA_STATIC=ON \
      -DCMAKE_EXE_LINKER_FLAGS="-static-libstdc++ -static-libgcc" "${launcher[@]}" >/dev/null
    cmake --build "$BUILD_DIR" --target kiln_gpu_tests kiln_cli
    strip "$BUILD_DIR"/tests/kiln_gpu_tests "$BUILD_DIR"/tools/kiln/kiln
    du -sh "$BUILD_DIR"/tests/kiln_gpu_tests "$BUILD_DIR"/tools/kiln/kiln
    ;;
  --bench)
    shift
    nvidia_libs
    exec python3 bench/gpu_models.py --kiln "$BUILD_DIR"/tools/kiln/kiln "$@"
    ;;
  --run)
    nvidia_libs
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
    log=$(mktemp)
    "$BUILD_DIR"/tests/kiln_gpu_tests --gtest_brief=0 2>&1 | tee "$log"
    echo
    printf '%-55s %s\n' "test" "result"
    grep -E '^\[ +(OK|FAILED|SKIPPED) +\]' "$log" | sed -E 's/^\[ +([A-Z]+) +\] ([^ ]+).*/\2 \1/' |
      awk '{printf "%-55s %s\n", $1, $2}'
    grep -qE '^\[  FAILED  \]' "$log" && exit 1 || exit 0
    ;;
  *) echo "usage: $0 --build | --run | --bench [ARGS]" >&2; exit 2 ;;
esac
