// Where each output element of a Slice or Padding reads (movement/slice_sample.cu): SampleParams, built
// once on the host, and sampleOffset, which unravels a flat output index, applies start + i * stride per
// dim and resolves out-of-bounds coordinates by TensorRT's SampleMode exactly as the reference's
// sampleCoordinate does (backends/reference/movement_common.h). __host__ __device__ without intrinsics, so
// tests/unit/cuda_index_math_test.cc checks this code on the CPU against the reference kernel.
#pragma once

#include <vector>

#include "backends/cuda/kernels/common/indexing.cuh"
#include "common/tensor_ref.h"
#include "kiln/layer_types.h"

namespace kiln::cuda {

struct SampleParams {
    int rank;
    SampleMode mode;
    int64_t outDims[kMaxRank];
    int64_t inDims[kMaxRank];
    int64_t inStrides[kMaxRank];
    int64_t start[kMaxRank];
    int64_t stride[kMaxRank];
};

/// The input coordinate that coordinate x reads along an axis of extent n, or -1 for the fill value (which
/// is also the answer for what kSTRICT_BOUNDS and an empty axis cannot sample; the host rejects those
/// before launching, and -1 keeps the kernel from reading out of bounds if it ever gets them).
KILN_HD inline int64_t sampleCoordinate(SampleMode mode, int64_t x, int64_t n) {
    const bool inside = x >= 0 && x < n;
    switch (mode) {
        case SampleMode::kSTRICT_BOUNDS:
        case SampleMode::kFILL:
            return inside ? x : -1;
        case SampleMode::kWRAP:
            return n <= 0 ? -1 : ((x % n) + n) % n;
        case SampleMode::kCLAMP:
            return n <= 0 ? -1 : x < 0 ? 0 : x >= n ? n - 1 : x;
        case SampleMode::kREFLECT: {
            if (n <= 0) return -1;
            if (n == 1) return 0;  // a single pixel reflects onto itself
            // Mirror about the centres of the end pixels: period 2n - 2, folded back onto [0, n).
            const int64_t period = 2 * n - 2;
            const int64_t c = ((x % period) + period) % period;
            return c >= n ? period - c : c;
        }
    }
    return -1;
}

/// The input offset output element i reads, or -1 when it takes the fill value.
KILN_HD inline int64_t sampleOffset(const SampleParams& p, int64_t i) {
    int64_t from = 0;
    bool fill = false;
    for (int d = p.rank - 1; d >= 0; --d) {
        int64_t c;
        i = divMod(i, p.outDims[d], &c);
        const int64_t src = sampleCoordinate(p.mode, p.start[d] + c * p.stride[d], p.inDims[d]);
        fill = fill || src < 0;
        from += src * p.inStrides[d];
    }
    return fill ? -1 : from;
}

inline SampleParams makeSampleParams(const Dims& in, const Dims& out, const int64_t* start,
                                     const int64_t* stride, SampleMode mode) {
    SampleParams p{};
    p.rank = out.nbDims;
    p.mode = mode;
    const std::vector<int64_t> inStrides = stridesOf(in);
    for (int d = 0; d < p.rank; ++d) {
        p.outDims[d] = out.d[d];
        p.inDims[d] = in.d[d];
        p.inStrides[d] = inStrides[static_cast<size_t>(d)];
        p.start[d] = start[d];
        p.stride[d] = stride[d];
    }
    return p;
}

}  // namespace kiln::cuda
