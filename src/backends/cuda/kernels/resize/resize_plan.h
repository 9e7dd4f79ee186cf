// Host side of the CUDA Resize (resize_ops.cc), declared here so that tests/unit/cuda_resize_plan_test.cc
// can run it on the CPU: the kernel parameters resolved from the attributes and inputs exactly as the
// reference resolves them, and the plan of the fast path that resizes only the last two axes (which
// cases it takes, and its launch geometry), with the reason it refuses everything else. The two tactic
// ids let tests and benchmarks force a path; the autotuner is not offered them, because the fast path
// is chosen whenever it applies.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "backends/cuda/kernels/resize/resize_launch.h"
#include "common/status.h"
#include "common/tensor_ref.h"
#include "ir/attrs.h"

namespace kiln::cuda {

/// KernelContext::tactic of Resize: -1 (default) takes the fast path when it applies, else the general
/// kernels; forcing the fast path where it does not apply is an error that says why.
constexpr int64_t kResizeGeneralTactic = 0;
constexpr const char* kResizeGeneralTacticName = "resize_general";
constexpr int64_t kResizeTrailingTactic = 1;
constexpr const char* kResizeTrailingTacticName = "resize_trailing";

/// Blocks of the fast path's grid (before each thread walks more rows): about four waves of 256-thread
/// blocks on an H100 (132 SMs x up to 8 blocks), enough to hide the tail, few enough that each thread's
/// column taps serve many rows.
constexpr int64_t kTrailingTargetBlocks = 4096;

/// The kernel parameters of Resize for input `inputs` (x, [dims], [scales], [roi]) and output `out`:
/// per-axis extents, the scale that steers the mapping, the resized length and the region of interest
/// (a device roi tensor is left for the kernels to read), the extrapolation value in the element type.
StatusOr<rk::ResizeParams> makeResizeParams(const ir::ResizeAttrs& attrs, std::span<const TensorRef> inputs,
                                            const TensorRef& out);

struct TrailingPlan {
    std::string refusal;  ///< why the fast path does not apply; empty when it does
    rk::TrailingResize geometry;
};

/// The fast path for `p` with elements of `elementSize` bytes written at `outAddress`: it applies when
/// every axis but the last two keeps its extent and maps to itself, the region of interest is on the
/// host, linear and cubic filters are not stretched by antialias, and a plane's extents and offsets fit
/// in 32 bits.
TrailingPlan planTrailingResize(const rk::ResizeParams& p, int64_t elementSize, uintptr_t outAddress);

}  // namespace kiln::cuda
