#!/usr/bin/env bash
# Installs what Kiln needs to build and test on Debian 12 (idempotent: installs only what is missing),
# then configures and builds into ./build. Usage: scripts/setup.sh [extra cmake args...]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential cmake ninja-build pkg-config libflatbuffers-dev flatbuffers-compiler libcli11-dev
          nlohmann-json3-dev libopenblas-dev libgtest-dev libgmock-dev libbenchmark-dev libprotobuf-dev
          protobuf-compiler python3 python3-pip)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Python side of the tests (ONNX node tests, real-model generation, onnxruntime as the reference).
if ! python3 -c "import numpy, onnx, onnxruntime" >/dev/null 2>&1; then
  echo "setup: installing Python test dependencies"
  python3 -m pip install -q -r scripts/onnx/requirements.txt 2>/dev/null ||
    python3 -m pip install -q --break-system-packages -r scripts/onnx/requirements.txt
fi

# CUDA is optional: with nvcc on PATH (or in /usr/local/cuda) the CUDA sources compile too.
if ! command -v nvcc >/dev/null 2>&1 && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH=/usr/local/cuda/bin:$PATH
fi

BUILD_DIR=${KILN_BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)"
