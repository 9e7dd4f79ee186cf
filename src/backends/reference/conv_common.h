// Helpers shared by the conv-family reference kernels (conv.cc, conv_deconv.cc, conv_pooling.cc):
// spatial geometry normalized to three dims (a 1-D or 2-D op is a 3-D one with leading extents of 1,
// so one loop nest serves every rank), padding resolution for the SAME modes, and float32 staging of
// narrow float tensors so that the GEMM path runs on float32 only, and the layout copies through which
// channels-last Convolution and Pooling run their channels-first kernels. Output extents are taken from
// the output tensor (inference computed them); every tap is bounds-checked, so a wrong shape cannot make
// a kernel read or write out of bounds.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <sstream>
#include <vector>

#include "backends/reference/kernels.h"

namespace kiln::reference::conv_detail {

constexpr int kSpatial = 3;

struct Geometry {
    int nbSpatial{0};
    // Index 0..2 are depth, height, width; a lower-rank op fills the leading entries with
    // extent 1, stride 1, dilation 1, padding 0.
    int64_t in[kSpatial]{1, 1, 1};
    int64_t out[kSpatial]{1, 1, 1};
    int64_t kernel[kSpatial]{1, 1, 1};
    int64_t stride[kSpatial]{1, 1, 1};
    int64_t dilation[kSpatial]{1, 1, 1};
    int64_t pre[kSpatial]{0, 0, 0};
    int64_t post[kSpatial]{0, 0, 0};

    int64_t inVolume() const { return in[0] * in[1] * in[2]; }
    int64_t outVolume() const { return out[0] * out[1] * out[2]; }
    int64_t kernelVolume() const { return kernel[0] * kernel[1] * kernel[2]; }
    int64_t effective(int i) const { return dilation[i] * (kernel[i] - 1) + 1; }
};

/// Copies a per-spatial-dim attribute into the last nbSpatial slots of `dst`; empty keeps `dst`.
inline Status readSpatial(const char* op, const char* name, const Dims& attr, int nbSpatial, int64_t* dst) {
    if (attr.nbDims <= 0) return Status::ok();
    KILN_CHECK_ARG(attr.nbDims == nbSpatial,
                   op << ": " << name << " must have " << nbSpatial << " entries, got " << toString(attr));
    for (int i = 0; i < nbSpatial; ++i) dst[kSpatial - nbSpatial + i] = attr.d[i];
    return Status::ok();
}

/// Input and output extents from [N, C, spatial...] shapes, aligned to the last slots.
inline Status readExtents(const char* op, const Dims& x, const Dims& y, Geometry* g) {
    KILN_CHECK_ARG(x.nbDims >= 3 && x.nbDims <= 5 && y.nbDims == x.nbDims,
                   op << ": input " << toString(x) << " and output " << toString(y)
                      << " must both be [N, C, spatial...] with 1 to 3 spatial dims");
    g->nbSpatial = x.nbDims - 2;
    for (int i = 0; i < g->nbSpatial; ++i) {
        g->in[kSpatial - g->nbSpatial + i] = x.d[2 + i];
        g->out[kSpatial - g->nbSpatial + i] = y.d[2 + i];
    }
    return Status::ok();
}

/// Sliding-window SAME padding (Convolution, Pooling): out = ceil(in / stride), the total padding
/// split with the odd unit at the end (upper) or at the start (lower).
inline void resolveSamePadding(PaddingMode mode, Geometry* g) {
    const bool same = mode == PaddingMode::kSAME_UPPER || mode == PaddingMode::kSAME_LOWER;
    if (!same) return;
    for (int i = 0; i < kSpatial; ++i) {
        const int64_t out = (g->in[i] + g->stride[i] - 1) / g->stride[i];
        const int64_t total = std::max<int64_t>(0, (out - 1) * g->stride[i] + g->effective(i) - g->in[i]);
        const int64_t small = total / 2;
        g->pre[i] = mode == PaddingMode::kSAME_UPPER ? small : total - small;
        g->post[i] = total - g->pre[i];
    }
}

/// Geometry of Convolution (transposed = false, kernel [K, C/groups, k...]) or Deconvolution
/// (transposed = true, kernel [C, K/groups, k...]) from the attributes and the actual shapes.
inline StatusOr<Geometry> kernelGeometry(const char* op, const ir::ConvGeometryAttrs& a, const TensorRef& x,
                                         const TensorRef& w, const TensorRef& y, bool transposed) {
    Geometry g;
    KILN_RETURN_IF_ERROR(readExtents(op, x.shape, y.shape, &g));
    KILN_CHECK_ARG(w.shape.nbDims == x.shape.nbDims, op << ": kernel " << toString(w.shape)
                                                        << " must have the rank of input "
                                                        << toString(x.shape));
    for (int i = 0; i < g.nbSpatial; ++i) g.kernel[kSpatial - g.nbSpatial + i] = w.shape.d[2 + i];
    KILN_RETURN_IF_ERROR(readSpatial(op, "stride", a.stride, g.nbSpatial, g.stride));
    KILN_RETURN_IF_ERROR(readSpatial(op, "dilation", a.dilation, g.nbSpatial, g.dilation));
    KILN_RETURN_IF_ERROR(readSpatial(op, "prePadding", a.prePadding, g.nbSpatial, g.pre));
    KILN_RETURN_IF_ERROR(readSpatial(op, "postPadding", a.postPadding, g.nbSpatial, g.post));
    for (int i = 0; i < kSpatial; ++i)
        KILN_CHECK_ARG(g.stride[i] >= 1 && g.dilation[i] >= 1 && g.kernel[i] >= 1,
                       op << ": stride, dilation and kernel extents must be >= 1, got stride "
                          << toString(a.stride) << ", dilation " << toString(a.dilation) << ", kernel "
                          << toString(w.shape));
    if (!transposed) {
        resolveSamePadding(a.paddingMode, &g);
    } else if (a.paddingMode == PaddingMode::kSAME_UPPER || a.paddingMode == PaddingMode::kSAME_LOWER) {
        // TensorRT's deconvolution SAME: crop max(DK - S, 0) from the full output, odd unit at the end
        // (upper) or at the start (lower).
        for (int i = 0; i < kSpatial; ++i) {
            const int64_t total = std::max<int64_t>(g.effective(i) - g.stride[i], 0);
            const int64_t small = total / 2;
            g.pre[i] = a.paddingMode == PaddingMode::kSAME_UPPER ? small : total - small;
            g.post[i] = total - g.pre[i];
        }
    }
    return g;
}

/// Geometry of channels-first Pooling from the attributes and the actual shapes [N, C, spatial...] (the
/// CUDA kernels resolve theirs here too, so they pool exactly the windows the oracle pools).
inline StatusOr<Geometry> poolingGeometry(const ir::PoolingAttrs& a, const Dims& x, const Dims& y) {
    const char* op = "Pooling";
    Geometry g;
    KILN_RETURN_IF_ERROR(readExtents(op, x, y, &g));
    KILN_CHECK_ARG(y.d[0] == x.d[0] && y.d[1] == x.d[1],
                   op << ": output " << toString(y) << " must keep the N and C of input " << toString(x));
    if (a.global) {
        for (int i = 0; i < kSpatial; ++i) g.kernel[i] = g.in[i];
        return g;
    }
    KILN_CHECK_ARG(a.windowSize.nbDims == g.nbSpatial, op << ": windowSize " << toString(a.windowSize)
                                                          << " must have one entry per spatial dim of input "
                                                          << toString(x));
    KILN_RETURN_IF_ERROR(readSpatial(op, "windowSize", a.windowSize, g.nbSpatial, g.kernel));
    KILN_RETURN_IF_ERROR(
        readSpatial(op, "stride", a.stride.nbDims > 0 ? a.stride : a.windowSize, g.nbSpatial, g.stride));
    KILN_RETURN_IF_ERROR(readSpatial(op, "dilation", a.dilation, g.nbSpatial, g.dilation));
    KILN_RETURN_IF_ERROR(readSpatial(op, "prePadding", a.prePadding, g.nbSpatial, g.pre));
    KILN_RETURN_IF_ERROR(readSpatial(op, "postPadding", a.postPadding, g.nbSpatial, g.post));
    for (int i = 0; i < kSpatial; ++i)
        KILN_CHECK_ARG(g.stride[i] >= 1 && g.dilation[i] >= 1 && g.kernel[i] >= 1,
                       op << ": window, stride and dilation entries must be >= 1, got window "
                          << toString(a.windowSize) << ", stride " << toString(a.stride) << ", dilation "
                          << toString(a.dilation));
    resolveSamePadding(a.paddingMode, &g);
    return g;
}

/// Runs fn over [0, n) on the pool, or inline when there is none.
inline void parallelFor(ThreadPool* pool, int64_t n, int64_t grain,
                        const std::function<void(int64_t, int64_t)>& fn) {
    if (n <= 0) return;
    if (pool)
        pool->parallelFor(n, grain, fn);
    else
        fn(0, n);
}

/// A float32 view of a tensor: the tensor's own memory when it is float32, else a converted copy.
struct FloatBuffer {
    const float* data{nullptr};
    std::vector<float> storage;
};

inline FloatBuffer toFloat(const TensorRef& t, ThreadPool* pool) {
    FloatBuffer b;
    if (t.type == DataType::kFLOAT) {
        b.data = t.as<const float>();
        return b;
    }
    b.storage.resize(static_cast<size_t>(std::max<int64_t>(t.numel(), 0)));
    float* dst = b.storage.data();
    parallelFor(pool, t.numel(), 1 << 14, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) dst[i] = static_cast<float>(loadAsDouble(t.type, t.data, i));
    });
    b.data = dst;
    return b;
}

/// Where a kernel writes its float32 result: the output itself when float32, else a scratch buffer
/// that `finish` rounds into the output's type.
struct FloatOutput {
    const TensorRef* target{nullptr};
    float* data{nullptr};
    std::vector<float> storage;

    explicit FloatOutput(const TensorRef& t) : target(&t) {
        if (t.type == DataType::kFLOAT) {
            data = t.as<float>();
        } else {
            storage.resize(static_cast<size_t>(std::max<int64_t>(t.numel(), 0)));
            data = storage.data();
        }
    }
    void finish(ThreadPool* pool) const {
        if (target->type == DataType::kFLOAT) return;
        const TensorRef& t = *target;
        parallelFor(pool, t.numel(), 1 << 14, [&](int64_t begin, int64_t end) {
            for (int64_t i = begin; i < end; ++i)
                storeFromDouble(t.type, t.data, i, storage[static_cast<size_t>(i)]);
        });
    }
};

/// Checks that a tensor is float-typed, for the GEMM kernels (inference rejects others first).
inline Status requireFloat(const char* op, const char* what, const TensorRef& t) {
    KILN_CHECK_ARG(isFloatType(t.type),
                   op << ": " << what << " must be a float type, got " << dataTypeName(t.type));
    return Status::ok();
}

/// Adds bias[k] to every element of output plane (n, k); y is [N, K, spatial volume].
inline void addBias(const float* bias, int64_t n, int64_t k, int64_t planeSize, float* y, ThreadPool* pool) {
    if (!bias) return;
    parallelFor(pool, n * k, 1, [&](int64_t begin, int64_t end) {
        for (int64_t plane = begin; plane < end; ++plane) {
            const float b = bias[plane % k];
            float* p = y + plane * planeSize;
            for (int64_t i = 0; i < planeSize; ++i) p[i] += b;
        }
    });
}

/// Copies `n` blocks of [inner, c] elements of `es` bytes to [c, inner] (toFirst) or the reverse.
inline void moveChannels(const uint8_t* src, uint8_t* dst, int64_t es, int64_t n, int64_t inner, int64_t c,
                         bool toFirst, ThreadPool* pool) {
    parallelFor(pool, n * c, 1, [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) {
            const int64_t b = r / c, ch = r % c;
            for (int64_t i = 0; i < inner; ++i) {
                const int64_t last = (b * inner + i) * c + ch, first = (b * c + ch) * inner + i;
                std::memcpy(dst + (toFirst ? first : last) * es, src + (toFirst ? last : first) * es,
                            static_cast<size_t>(es));
            }
        }
    });
}

/// A channels-first copy of a channels-last tensor ([N, spatial..., C] -> [N, C, spatial...]).
struct ChannelsFirstCopy {
    std::vector<uint8_t> bytes;
    TensorRef ref;
    ChannelsFirstCopy(const TensorRef& t, ThreadPool* pool) : bytes(static_cast<size_t>(t.bytes())) {
        ref = t;
        ref.shape = channelsFirstDims(t.shape);
        ref.data = bytes.data();
        const int64_t n = t.shape.d[0], c = t.shape.d[t.shape.nbDims - 1];
        if (t.numel() > 0)
            moveChannels(static_cast<const uint8_t*>(t.data), bytes.data(), dataTypeSize(t.type), n,
                         t.numel() / (n * c), c, /*toFirst=*/true, pool);
    }
};

/// A channels-first scratch tensor for a channels-last output y: a kernel writes `ref`, then `finish`
/// copies the result into y in y's layout.
struct ChannelsFirstOutput {
    const TensorRef* target{nullptr};
    std::vector<uint8_t> bytes;
    TensorRef ref;
    explicit ChannelsFirstOutput(const TensorRef& y) : target(&y), bytes(static_cast<size_t>(y.bytes())) {
        ref = y;
        ref.shape = channelsFirstDims(y.shape);
        ref.data = bytes.data();
    }
    void finish(ThreadPool* pool) const {
        const TensorRef& y = *target;
        const int64_t n = y.shape.d[0], c = y.shape.d[y.shape.nbDims - 1];
        if (y.numel() > 0)
            moveChannels(bytes.data(), static_cast<uint8_t*>(y.data), dataTypeSize(y.type), n,
                         y.numel() / (n * c), c, /*toFirst=*/false, pool);
    }
};

/// Columns (output or input positions) staged at once: bounds the scratch matrix to about 32 MiB of
/// floats, so a large 3-D convolution does not allocate gigabytes for im2col.
inline int64_t columnChunk(int64_t rows, int64_t columns) {
    constexpr int64_t kBudgetFloats = int64_t{8} << 20;
    const int64_t chunk = std::max<int64_t>(1, kBudgetFloats / std::max<int64_t>(rows, 1));
    return std::min(chunk, std::max<int64_t>(columns, 1));
}

}  // namespace kiln::reference::conv_detail
