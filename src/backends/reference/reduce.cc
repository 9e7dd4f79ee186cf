// Reference kernels for the reduce family: SoftMax, Reduce, TopK. Float inputs (float32/16, bfloat16) are
// computed in double and rounded once on store. Integer Reduce stays in 64-bit integers (sums and
// products wrap, two's complement; kAVG is the integer quotient, truncated toward zero, as ONNX Runtime
// does), except kL2 and kLOG_SUM_EXP, which are computed in double, truncated toward zero and saturated to
// the output type. An empty max/min is the identity (-inf/+inf, or the integer type's limits), as in
// ONNX. TopK orders NaN above every number and breaks ties by the lower index (ONNX). Reduce's axes and
// TopK's k come from input 1 when it is present (host values, read like inference reads them).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <vector>

#include "backends/reference/kernels.h"
#include "backends/reference/strided_walk.h"
#include "ir/reduce_params.h"

namespace kiln::reference {

namespace {

/// Work per parallelFor chunk: enough elements that scheduling cost is noise.
constexpr int64_t kElementsPerChunk = 1 << 14;

int64_t grainFor(int64_t elementsPerItem) {
    return std::max<int64_t>(1, kElementsPerChunk / std::max<int64_t>(1, elementsPerItem));
}

/// Splits x's dims into kept and reduced per `mask`, both with x's row-major strides.
void splitDims(const Dims& shape, uint32_t mask, StridedDims<1>* kept, StridedDims<1>* reduced) {
    std::vector<int64_t> strides = stridesOf(shape);
    for (int i = 0; i < shape.nbDims; ++i) {
        StridedDims<1>* target = ((mask >> i) & 1u) ? reduced : kept;
        target->add(shape.d[i], {strides[static_cast<size_t>(i)]});
    }
}

double reduceFloat(ReduceOperation op, const TensorRef& x, const StridedDims<1>& reduced, int64_t base,
                   int64_t count) {
    auto each = [&](auto&& f) {
        reduced.walk({base}, [&](const std::array<int64_t, 1>& o) { f(loadAsDouble(x.type, x.data, o[0])); });
    };
    double acc = 0.0;
    switch (op) {
        case ReduceOperation::kSUM:
            each([&](double v) { acc += v; });
            return acc;
        case ReduceOperation::kAVG:
            each([&](double v) { acc += v; });
            return acc / static_cast<double>(count);
        case ReduceOperation::kPROD:
            acc = 1.0;
            each([&](double v) { acc *= v; });
            return acc;
        case ReduceOperation::kL1:
            each([&](double v) { acc += std::fabs(v); });
            return acc;
        case ReduceOperation::kSUM_SQUARE:
            each([&](double v) { acc += v * v; });
            return acc;
        case ReduceOperation::kL2:
            each([&](double v) { acc += v * v; });
            return std::sqrt(acc);
        case ReduceOperation::kMAX:
        case ReduceOperation::kMIN: {
            // NaN wins, as in numpy: once acc is NaN no comparison replaces it.
            bool isMax = op == ReduceOperation::kMAX;
            acc = isMax ? -INFINITY : INFINITY;
            each([&](double v) {
                if (std::isnan(v) || (isMax ? v > acc : v < acc)) acc = std::isnan(acc) ? acc : v;
            });
            return acc;
        }
        case ReduceOperation::kLOG_SUM_EXP: {
            // Shift by the max so exp never overflows; an infinite or NaN max is the answer itself.
            double m = -INFINITY;
            each([&](double v) { m = (std::isnan(v) || std::isnan(m)) ? NAN : std::max(m, v); });
            if (!std::isfinite(m)) return m;
            each([&](double v) { acc += std::exp(v - m); });
            return m + std::log(acc);
        }
    }
    return NAN;
}

/// Integer reduction; `out` receives either an exact integer or, for kL2/kLOG_SUM_EXP, a double.
struct IntResult {
    bool isInt{true};
    int64_t i{0};
    double d{0.0};
};

IntResult reduceInt(ReduceOperation op, const TensorRef& x, const StridedDims<1>& reduced, int64_t base,
                    int64_t count) {
    auto each = [&](auto&& f) {
        reduced.walk({base}, [&](const std::array<int64_t, 1>& o) { f(loadAsInt64(x.type, x.data, o[0])); });
    };
    uint64_t acc = 0;  // unsigned: overflow wraps instead of being undefined
    IntResult r;
    switch (op) {
        case ReduceOperation::kSUM:
            each([&](int64_t v) { acc += static_cast<uint64_t>(v); });
            break;
        case ReduceOperation::kAVG:
            each([&](int64_t v) { acc += static_cast<uint64_t>(v); });
            r.i = static_cast<int64_t>(acc) / count;  // C++ division truncates toward zero
            return r;
        case ReduceOperation::kPROD:
            acc = 1;
            each([&](int64_t v) { acc *= static_cast<uint64_t>(v); });
            break;
        case ReduceOperation::kL1:
            each([&](int64_t v) { acc += v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v); });
            break;
        case ReduceOperation::kSUM_SQUARE:
            each([&](int64_t v) { acc += static_cast<uint64_t>(v) * static_cast<uint64_t>(v); });
            break;
        case ReduceOperation::kMAX: {
            // Starting from the output type's lowest value makes it the result of an empty reduction.
            int64_t m = x.type == DataType::kINT32 ? std::numeric_limits<int32_t>::min()
                                                   : std::numeric_limits<int64_t>::min();
            each([&](int64_t v) { m = std::max(m, v); });
            r.i = m;
            return r;
        }
        case ReduceOperation::kMIN: {
            int64_t m = x.type == DataType::kINT32 ? std::numeric_limits<int32_t>::max()
                                                   : std::numeric_limits<int64_t>::max();
            each([&](int64_t v) { m = std::min(m, v); });
            r.i = m;
            return r;
        }
        case ReduceOperation::kL2:
        case ReduceOperation::kLOG_SUM_EXP: {
            r.isInt = false;
            double s = 0.0;
            if (op == ReduceOperation::kL2) {
                each([&](int64_t v) { s += static_cast<double>(v) * static_cast<double>(v); });
                r.d = std::sqrt(s);
                return r;
            }
            double m = -INFINITY;
            each([&](int64_t v) { m = std::max(m, static_cast<double>(v)); });
            if (count == 0) {
                r.d = m;
                return r;
            }
            each([&](int64_t v) { s += std::exp(static_cast<double>(v) - m); });
            r.d = m + std::log(s);
            return r;
        }
    }
    r.i = static_cast<int64_t>(acc);
    return r;
}

/// Truncates toward zero and saturates to the integer type (a plain cast of an out-of-range double is
/// undefined behaviour).
int64_t saturatingTruncate(double v, DataType t) {
    double lo = t == DataType::kINT32 ? static_cast<double>(std::numeric_limits<int32_t>::min()) : -0x1p63;
    double hi = t == DataType::kINT32 ? static_cast<double>(std::numeric_limits<int32_t>::max()) : 0x1p63;
    if (std::isnan(v)) return 0;
    if (v <= lo) return static_cast<int64_t>(lo);
    if (v >= hi)
        return t == DataType::kINT32 ? std::numeric_limits<int32_t>::max()
                                     : std::numeric_limits<int64_t>::max();
    return static_cast<int64_t>(v);
}

/// [outer, extent, inner] view of a tensor around one axis.
struct AxisView {
    int64_t outer{1}, extent{1}, inner{1};
};

AxisView axisView(const Dims& shape, uint32_t mask) {
    AxisView v;
    for (int i = 0; i < shape.nbDims; ++i) {
        if ((mask >> i) & 1u)
            v.extent = shape.d[i];
        else if (mask >> i)
            v.outer *= shape.d[i];
        else
            v.inner *= shape.d[i];
    }
    return v;
}

/// Strict order of TopK results: NaN above every number, equal values by ascending index.
template <typename T>
bool ranksBefore(T a, int64_t ia, T b, int64_t ib, bool largestFirst) {
    if constexpr (std::is_floating_point_v<T>) {
        bool na = std::isnan(a), nb = std::isnan(b);
        if (na || nb) {
            if (na && nb) return ia < ib;
            return largestFirst ? na : nb;
        }
    }
    if (a != b) return largestFirst ? a > b : a < b;
    return ia < ib;
}

template <typename T>
void topKLines(const ir::TopKAttrs& attrs, int64_t k, const AxisView& v, const KernelContext& ctx) {
    const TensorRef& x = ctx.inputs[0];
    const TensorRef& values = ctx.outputs[0];
    const TensorRef& indices = ctx.outputs[1];
    const bool largestFirst = attrs.op == TopKOperation::kMAX;
    ctx.pool->parallelFor(v.outer * v.inner, grainFor(v.extent), [&](int64_t begin, int64_t end) {
        std::vector<T> line(static_cast<size_t>(v.extent));
        std::vector<int64_t> order(static_cast<size_t>(v.extent));
        for (int64_t l = begin; l < end; ++l) {
            int64_t o = l / v.inner, in = l % v.inner;
            int64_t inBase = o * v.extent * v.inner + in, outBase = o * k * v.inner + in;
            for (int64_t e = 0; e < v.extent; ++e) {
                int64_t src = inBase + e * v.inner;
                if constexpr (std::is_floating_point_v<T>)
                    line[static_cast<size_t>(e)] = loadAsDouble(x.type, x.data, src);
                else
                    line[static_cast<size_t>(e)] = loadAsInt64(x.type, x.data, src);
            }
            std::iota(order.begin(), order.end(), int64_t{0});
            std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int64_t a, int64_t b) {
                return ranksBefore(line[static_cast<size_t>(a)], a, line[static_cast<size_t>(b)], b,
                                   largestFirst);
            });
            for (int64_t j = 0; j < k; ++j) {
                int64_t src = order[static_cast<size_t>(j)], dst = outBase + j * v.inner;
                if constexpr (std::is_floating_point_v<T>)
                    storeFromDouble(values.type, values.data, dst, line[static_cast<size_t>(src)]);
                else
                    storeFromInt64(values.type, values.data, dst, line[static_cast<size_t>(src)]);
                storeFromInt64(indices.type, indices.data, dst, src);
            }
        }
    });
}

}  // namespace

Status runSoftMax(const ir::SoftMaxAttrs& attrs, const KernelContext& ctx) {
    const TensorRef& x = ctx.inputs[0];
    const TensorRef& y = ctx.outputs[0];
    if (!isFloatType(x.type))
        return internalError(std::string("SoftMax: no reference kernel for ") + dataTypeName(x.type));
    const AxisView v = axisView(x.shape, attrs.axes);
    ctx.pool->parallelFor(v.outer * v.inner, grainFor(v.extent), [&](int64_t begin, int64_t end) {
        for (int64_t l = begin; l < end; ++l) {
            int64_t base = (l / v.inner) * v.extent * v.inner + l % v.inner;
            // Subtracting the max keeps exp() in range; the sum is then >= 1 unless the max is not finite.
            double m = -INFINITY;
            for (int64_t e = 0; e < v.extent; ++e) {
                double xv = loadAsDouble(x.type, x.data, base + e * v.inner);
                m = (std::isnan(xv) || std::isnan(m)) ? NAN : std::max(m, xv);
            }
            double sum = 0.0;
            for (int64_t e = 0; e < v.extent; ++e)
                sum += std::exp(loadAsDouble(x.type, x.data, base + e * v.inner) - m);
            double logSum = std::log(sum);
            for (int64_t e = 0; e < v.extent; ++e) {
                int64_t i = base + e * v.inner;
                double shifted = loadAsDouble(x.type, x.data, i) - m;
                storeFromDouble(y.type, y.data, i, attrs.log ? shifted - logSum : std::exp(shifted) / sum);
            }
        }
    });
    return Status::ok();
}

Status runReduce(const ir::ReduceAttrs& attrs, const KernelContext& ctx) {
    const TensorRef& x = ctx.inputs[0];
    const TensorRef& y = ctx.outputs[0];
    uint32_t mask = attrs.axes;
    if (ctx.inputs.size() > 1 && ctx.inputs[1].present()) {
        const TensorRef& a = ctx.inputs[1];
        if ((a.type != DataType::kINT32 && a.type != DataType::kINT64) || a.shape.nbDims != 1)
            return invalidArgument("Reduce: axes (input 1) must be a 1-D int32/int64 tensor, got " +
                                   std::string(dataTypeName(a.type)) + toString(a.shape));
        KILN_ASSIGN_OR_RETURN(ir::ReduceAxes r,
                              ir::reduceAxesFromValues(ir::readIntValues(a.type, a.data, a.numel()),
                                                       x.shape.nbDims, attrs.noopWithEmptyAxes));
        if (r.copy) {
            if (y.type != x.type || y.numel() != x.numel())
                return internalError("Reduce: a no-op reduction's output " +
                                     std::string(dataTypeName(y.type)) + toString(y.shape) +
                                     " does not match its input " + dataTypeName(x.type) + toString(x.shape));
            if (x.bytes() > 0) std::memmove(y.data, x.data, static_cast<size_t>(x.bytes()));
            return Status::ok();
        }
        mask = r.mask;
    }
    StridedDims<1> kept, reduced;
    splitDims(x.shape, mask, &kept, &reduced);
    const int64_t count = reduced.volume();
    const bool isFloat = isFloatType(x.type);
    if (count == 0 && attrs.op == ReduceOperation::kAVG && !isFloat)
        return invalidArgument(std::string("Reduce: kAVG over ") + dataTypeName(x.type) +
                               " needs a non-empty reduction, input " + toString(x.shape) +
                               " reduces over 0 elements");
    if (!isFloat && x.type != DataType::kINT32 && x.type != DataType::kINT64)
        return internalError(std::string("Reduce: no reference kernel for ") + dataTypeName(x.type));
    ctx.pool->parallelFor(kept.volume(), grainFor(count), [&](int64_t begin, int64_t end) {
        for (int64_t k = begin; k < end; ++k) {
            int64_t base = kept.offsetsAt(k)[0];
            if (isFloat) {
                storeFromDouble(y.type, y.data, k, reduceFloat(attrs.op, x, reduced, base, count));
            } else {
                IntResult r = reduceInt(attrs.op, x, reduced, base, count);
                storeFromInt64(y.type, y.data, k, r.isInt ? r.i : saturatingTruncate(r.d, y.type));
            }
        }
    });
    return Status::ok();
}

Status runTopK(const ir::TopKAttrs& attrs, const KernelContext& ctx) {
    const TensorRef& x = ctx.inputs[0];
    const AxisView v = axisView(x.shape, attrs.axes);
    int64_t k = attrs.k;
    if (ctx.inputs.size() > 1 && ctx.inputs[1].present()) {
        const TensorRef& kt = ctx.inputs[1];
        KILN_RETURN_IF_ERROR(ir::checkTopKInput(kt.type, kt.shape));
        if (!kt.data) return internalError("TopK: k (input 1) has no values");
        k = loadAsInt64(kt.type, kt.data, 0);
    }
    if (k < 1 || k > v.extent)
        return invalidArgument("TopK: k = " + std::to_string(k) + " must be in [1, " +
                               std::to_string(v.extent) + "] for input " + toString(x.shape));
    if (isFloatType(x.type))
        topKLines<double>(attrs, k, v, ctx);
    else
        topKLines<int64_t>(attrs, k, v, ctx);
    return Status::ok();
}

}  // namespace kiln::reference
