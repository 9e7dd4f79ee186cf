// Reference kernel for Scatter (kELEMENT = ONNX ScatterElements, kND = ONNX ScatterND); see
// src/ir/ops/scatter.cc for the shapes. The output starts as a copy of data, then updates are applied in
// index order: written (reduction kNONE, so with duplicate indices the last update wins) or combined with
// the element they land on (kADD/kMUL/kMAX/kMIN, ONNX's reduction attribute). Index values are data: a
// negative index wraps once (-1 is the last), anything else out of range is an error naming the index,
// its position and the extent; all indices are checked before anything is scattered. Without a reduction
// elements move as bytes, so every DataType is supported exactly; a reduction computes in double for
// float types (one rounding per update, as in the data's own type) and in int64 for integers (wrapping
// as the data's type does).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "backends/reference/kernels.h"

namespace kiln::reference {
namespace {

void forRange(const KernelContext& ctx, int64_t n, int64_t grain,
              const std::function<void(int64_t, int64_t)>& fn) {
    if (n <= 0) return;
    if (ctx.pool)
        ctx.pool->parallelFor(n, grain, fn);
    else
        fn(0, n);
}

/// Wraps a negative index once; error when outside [-n, n).
Status normalizeIndex(int64_t& v, int64_t n, int axis, int64_t position, const TensorRef& indices,
                      const TensorRef& data) {
    if (v < -n || v >= n)
        return invalidArgument("Scatter: index " + std::to_string(v) + " at position " +
                               std::to_string(position) + " of indices " + toString(indices.shape) +
                               " is out of range for axis " + std::to_string(axis) + " of data " +
                               toString(data.shape) + " (extent " + std::to_string(n) + ", allowed " +
                               std::to_string(-n) + ".." + std::to_string(n - 1) + ")");
    if (v < 0) v += n;
    return Status::ok();
}

/// Combines one update into the element it lands on.
class Combiner {
public:
    Combiner(ScatterReduction reduction, DataType type, void* dst, const void* src)
        : mReduction(reduction),
          mType(type),
          mDst(static_cast<uint8_t*>(dst)),
          mSrc(static_cast<const uint8_t*>(src)),
          mElem(dataTypeSize(type)) {}

    /// dst[to] = dst[to] (op) src[from], element indices.
    void apply(int64_t to, int64_t from) const {
        if (mReduction == ScatterReduction::kNONE) {
            std::memcpy(mDst + to * mElem, mSrc + from * mElem, static_cast<size_t>(mElem));
        } else if (isFloatType(mType)) {
            storeFromDouble(mType, mDst, to,
                            combine(loadAsDouble(mType, mDst, to), loadAsDouble(mType, mSrc, from)));
        } else {
            storeFromInt64(mType, mDst, to,
                           combine(loadAsInt64(mType, mDst, to), loadAsInt64(mType, mSrc, from)));
        }
    }

private:
    double combine(double a, double b) const {
        switch (mReduction) {
            case ScatterReduction::kNONE:
                return b;
            case ScatterReduction::kADD:
                return a + b;
            case ScatterReduction::kMUL:
                return a * b;
            case ScatterReduction::kMAX:
                return std::isnan(a) || std::isnan(b) ? std::nan("") : std::max(a, b);
            case ScatterReduction::kMIN:
                return std::isnan(a) || std::isnan(b) ? std::nan("") : std::min(a, b);
        }
        return b;
    }
    int64_t combine(int64_t a, int64_t b) const {
        // Unsigned arithmetic wraps instead of overflowing; the store then wraps to the data's width.
        const auto ua = static_cast<uint64_t>(a), ub = static_cast<uint64_t>(b);
        switch (mReduction) {
            case ScatterReduction::kNONE:
                return b;
            case ScatterReduction::kADD:
                return static_cast<int64_t>(ua + ub);
            case ScatterReduction::kMUL:
                return static_cast<int64_t>(ua * ub);
            case ScatterReduction::kMAX:
                return std::max(a, b);
            case ScatterReduction::kMIN:
                return std::min(a, b);
        }
        return b;
    }

    ScatterReduction mReduction;
    DataType mType;
    uint8_t* mDst;
    const uint8_t* mSrc;
    int64_t mElem;
};

}  // namespace

Status runScatter(const ir::ScatterAttrs& attrs, const KernelContext& ctx) {
    const TensorRef& data = ctx.inputs[0];
    const TensorRef& indices = ctx.inputs[1];
    const TensorRef& updates = ctx.inputs[2];
    const TensorRef& out = ctx.outputs[0];
    const int r = data.shape.nbDims, q = indices.shape.nbDims;
    if (indices.type != DataType::kINT32 && indices.type != DataType::kINT64)
        return invalidArgument(std::string("Scatter: indices must be int32 or int64, got ") +
                               dataTypeName(indices.type));
    if (data.type != out.type || data.type != updates.type || data.shape != out.shape || r < 1)
        return internalError("Scatter: data " + std::string(dataTypeName(data.type)) + toString(data.shape) +
                             ", updates " + dataTypeName(updates.type) + toString(updates.shape) +
                             " and output " + dataTypeName(out.type) + toString(out.shape) +
                             " are inconsistent");
    if (data.type == DataType::kBOOL && attrs.reduction != ScatterReduction::kNONE)
        return invalidArgument("Scatter: reduction " + std::to_string(static_cast<int>(attrs.reduction)) +
                               " needs numeric data, got bool");
    const int64_t elem = dataTypeSize(data.type);
    const std::vector<int64_t> dataStrides = stridesOf(data.shape);
    std::vector<int64_t> idx(static_cast<size_t>(indices.numel()));
    for (size_t i = 0; i < idx.size(); ++i)
        idx[i] = loadAsInt64(indices.type, indices.data, static_cast<int64_t>(i));
    auto* dst = static_cast<uint8_t*>(out.data);
    const Combiner combiner(attrs.reduction, data.type, out.data, updates.data);

    auto copyData = [&] {
        if (out.data == data.data) return;  // in place
        const auto* src = static_cast<const uint8_t*>(data.data);
        forRange(ctx, out.numel(), 1 << 16, [&](int64_t b, int64_t e) {
            std::memcpy(dst + b * elem, src + b * elem, static_cast<size_t>((e - b) * elem));
        });
    };

    switch (attrs.mode) {
        case ScatterMode::kELEMENT: {
            if (q != r || updates.shape != indices.shape)
                return invalidArgument("Scatter: kELEMENT needs indices " + toString(indices.shape) +
                                       " and updates " + toString(updates.shape) +
                                       " of one shape and of the rank of data " + toString(data.shape));
            if (attrs.axis < -r || attrs.axis >= r)
                return invalidArgument("Scatter: axis " + std::to_string(attrs.axis) +
                                       " is out of range for data " + toString(data.shape));
            const int axis = attrs.axis < 0 ? attrs.axis + r : attrs.axis;
            for (int i = 0; i < r; ++i)
                if (i != axis && indices.shape.d[i] > data.shape.d[i])
                    return invalidArgument("Scatter: kELEMENT indices " + toString(indices.shape) +
                                           " exceed data " + toString(data.shape) + " in dimension " +
                                           std::to_string(i));
            const int64_t n = data.shape.d[axis];
            for (size_t p = 0; p < idx.size(); ++p)
                KILN_RETURN_IF_ERROR(normalizeIndex(idx[p], n, axis, static_cast<int64_t>(p), indices, data));
            copyData();
            // In index order: position p (coordinates c in the indices' shape) writes data[c with c[axis] =
            // idx].
            std::vector<int64_t> c(static_cast<size_t>(r), 0);
            for (size_t p = 0; p < idx.size(); ++p) {
                int64_t rem = static_cast<int64_t>(p);
                for (int d = r - 1; d >= 0; --d) {
                    c[static_cast<size_t>(d)] = rem % indices.shape.d[d];
                    rem /= indices.shape.d[d];
                }
                c[static_cast<size_t>(axis)] = idx[p];
                int64_t to = 0;
                for (int d = 0; d < r; ++d)
                    to += c[static_cast<size_t>(d)] * dataStrides[static_cast<size_t>(d)];
                combiner.apply(to, static_cast<int64_t>(p));
            }
            return Status::ok();
        }
        case ScatterMode::kND: {
            const int64_t k = q >= 1 ? indices.shape.d[q - 1] : 0;
            if (k < 1 || k > r)
                return invalidArgument("Scatter: kND index tuples of length " + std::to_string(k) +
                                       " (indices " + toString(indices.shape) + ") do not fit data " +
                                       toString(data.shape));
            int64_t slice = 1;  // elements per update: the data dims after the k addressed ones
            for (int i = static_cast<int>(k); i < r; ++i) slice *= data.shape.d[i];
            const int64_t nbTuples = static_cast<int64_t>(idx.size()) / k;
            if (updates.numel() != nbTuples * slice)
                return invalidArgument("Scatter: kND updates " + toString(updates.shape) + " hold " +
                                       std::to_string(updates.numel()) + " elements; expected " +
                                       std::to_string(nbTuples) + " tuples x " + std::to_string(slice) +
                                       " (indices " + toString(indices.shape) + ", data " +
                                       toString(data.shape) + ")");
            for (size_t p = 0; p < idx.size(); ++p) {
                const int dim = static_cast<int>(static_cast<int64_t>(p) % k);
                KILN_RETURN_IF_ERROR(
                    normalizeIndex(idx[p], data.shape.d[dim], dim, static_cast<int64_t>(p), indices, data));
            }
            copyData();
            if (slice == 0) return Status::ok();
            for (int64_t t = 0; t < nbTuples; ++t) {
                int64_t to = 0;
                for (int64_t j = 0; j < k; ++j)
                    to += idx[static_cast<size_t>(t * k + j)] * dataStrides[static_cast<size_t>(j)];
                if (attrs.reduction == ScatterReduction::kNONE)
                    std::memcpy(dst + to * elem, static_cast<const uint8_t*>(updates.data) + t * slice * elem,
                                static_cast<size_t>(slice * elem));
                else
                    for (int64_t e = 0; e < slice; ++e) combiner.apply(to + e, t * slice + e);
            }
            return Status::ok();
        }
    }
    return invalidArgument("Scatter: unknown mode " + std::to_string(static_cast<int>(attrs.mode)) +
                           " (expected kELEMENT or kND)");
}

}  // namespace kiln::reference
