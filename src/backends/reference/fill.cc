// Reference kernels for the fill family: Fill (kLINSPACE, kCONSTANT), Cumulative (sum) and Trilu; see
// src/ir/ops/fill.cc for shapes and types. Integer outputs are computed in int64 (wrapping like the
// two's-complement hardware would) whenever every parameter is integral, so int64 ranges and constants
// beyond 2^53 stay exact; everything else is computed in double and rounded once on store.
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

const TensorRef* optionalInput(const KernelContext& ctx, size_t i) {
    return i < ctx.inputs.size() && ctx.inputs[i].present() ? &ctx.inputs[i] : nullptr;
}

bool isIntegralStorage(DataType t) {
    switch (t) {
        case DataType::kINT8:
        case DataType::kUINT8:
        case DataType::kINT32:
        case DataType::kINT64:
        case DataType::kBOOL:
        case DataType::kINT4:
        case DataType::kUINT4:
        case DataType::kINT2:
        case DataType::kUINT2:
            return true;
        case DataType::kFLOAT:
        case DataType::kHALF:
        case DataType::kBF16:
        case DataType::kFP8:
        case DataType::kFP4:
        case DataType::kE8M0:
        case DataType::kFP8_E5M2:
        case DataType::kFP8_E4M3FNUZ:
        case DataType::kFP8_E5M2FNUZ:
            return false;
    }
    return false;
}

/// A fill parameter, kept exact: integral values as int64, others as double.
struct Scalar {
    bool integral{false};
    int64_t i{0};
    double d{0.0};
};

Scalar fromTensor(const TensorRef& t, int64_t index) {
    Scalar s;
    s.integral = isIntegralStorage(t.type);
    s.d = loadAsDouble(t.type, t.data, index);
    s.i = s.integral ? loadAsInt64(t.type, t.data, index) : 0;
    return s;
}

Scalar fromAttribute(double v) {
    Scalar s;
    s.d = v;
    // 2^62 keeps the cast defined; beyond it a float attribute has no integral meaning we could keep.
    s.integral = v == static_cast<double>(static_cast<int64_t>(v)) && v > -4.6e18 && v < 4.6e18;
    s.i = s.integral ? static_cast<int64_t>(v) : 0;
    return s;
}

}  // namespace

Status runFill(const ir::FillAttrs& attrs, const KernelContext& ctx) {
    const TensorRef& out = ctx.outputs[0];
    const int rank = out.shape.nbDims;
    if (out.type != attrs.outputType)
        return internalError(std::string("Fill: output buffer is ") + dataTypeName(out.type) +
                             " but the layer produces " + dataTypeName(attrs.outputType));
    const TensorRef* alphaIn = optionalInput(ctx, 1);
    const TensorRef* betaIn = optionalInput(ctx, 2);
    if (alphaIn && alphaIn->numel() != 1)
        return invalidArgument("Fill: alpha (input 1) must hold one value, got shape " +
                               toString(alphaIn->shape));
    const Scalar alpha = alphaIn ? fromTensor(*alphaIn, 0) : fromAttribute(attrs.alpha);
    const bool intOut = isIntegerType(out.type);

    switch (attrs.op) {
        case FillOperation::kCONSTANT: {
            forRange(ctx, out.numel(), 1 << 16, [&](int64_t b, int64_t e) {
                for (int64_t j = b; j < e; ++j) {
                    if (intOut && alpha.integral)
                        storeFromInt64(out.type, out.data, j, alpha.i);
                    else
                        storeFromDouble(out.type, out.data, j, alpha.d);
                }
            });
            return Status::ok();
        }
        case FillOperation::kLINSPACE: {
            // One delta per output dim; a single delta (attribute or scalar tensor) applies to every dim.
            std::vector<Scalar> beta(static_cast<size_t>(rank));
            if (betaIn) {
                const int64_t nb = betaIn->numel();
                if (nb != 1 && nb != rank)
                    return invalidArgument("Fill: beta (input 2) holds " + std::to_string(nb) +
                                           " values; expected 1 or one per output dim (" +
                                           std::to_string(rank) + ")");
                for (int k = 0; k < rank; ++k)
                    beta[static_cast<size_t>(k)] = fromTensor(*betaIn, nb == 1 ? 0 : k);
            } else {
                for (auto& b : beta) b = fromAttribute(attrs.beta);
            }
            bool exactInt = intOut && alpha.integral;
            for (const Scalar& b : beta) exactInt = exactInt && b.integral;
            const std::vector<int64_t> strides = stridesOf(out.shape);
            forRange(ctx, out.numel(), 1 << 14, [&](int64_t b, int64_t e) {
                for (int64_t j = b; j < e; ++j) {
                    int64_t rem = j;
                    // Unsigned arithmetic wraps instead of overflowing (undefined for int64).
                    uint64_t accI = static_cast<uint64_t>(alpha.i);
                    double accD = alpha.d;
                    for (int k = 0; k < rank; ++k) {
                        const int64_t c = rem / strides[static_cast<size_t>(k)];
                        rem %= strides[static_cast<size_t>(k)];
                        const Scalar& bk = beta[static_cast<size_t>(k)];
                        accI += static_cast<uint64_t>(bk.i) * static_cast<uint64_t>(c);
                        accD += bk.d * static_cast<double>(c);
                    }
                    if (exactInt)
                        storeFromInt64(out.type, out.data, j, static_cast<int64_t>(accI));
                    else
                        storeFromDouble(out.type, out.data, j, accD);
                }
            });
            return Status::ok();
        }
        case FillOperation::kRANDOM_UNIFORM:
        case FillOperation::kRANDOM_NORMAL:
            break;
    }
    return unsupported("Fill: operation " + std::to_string(static_cast<int>(attrs.op)) +
                       " is not supported by the reference kernel; only kLINSPACE and kCONSTANT are");
}

Status runCumulative(const ir::CumulativeAttrs& attrs, const KernelContext& ctx) {
    const TensorRef& x = ctx.inputs[0];
    const TensorRef& out = ctx.outputs[0];
    if (attrs.op != CumulativeOperation::kSUM)
        return invalidArgument("Cumulative: unknown operation " + std::to_string(static_cast<int>(attrs.op)));
    if (x.type != out.type || x.shape != out.shape)
        return internalError("Cumulative: input " + std::string(dataTypeName(x.type)) + toString(x.shape) +
                             " and output " + dataTypeName(out.type) + toString(out.shape) + " differ");
    const int rank = x.shape.nbDims;
    int64_t axis = attrs.axis;
    if (const TensorRef* a = optionalInput(ctx, 1)) {
        if (a->numel() != 1 || !isIntegerType(a->type))
            return invalidArgument("Cumulative: axis (input 1) must be one int32/int64 value, got " +
                                   std::string(dataTypeName(a->type)) + toString(a->shape));
        axis = loadAsInt64(a->type, a->data, 0);
    }
    if (axis < -rank || axis >= rank)
        return invalidArgument("Cumulative: axis " + std::to_string(axis) + " is out of range for input " +
                               toString(x.shape) + " (expected " + std::to_string(-rank) + ".." +
                               std::to_string(rank - 1) + ")");
    if (axis < 0) axis += rank;
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < axis; ++i) outer *= x.shape.d[i];
    for (int i = static_cast<int>(axis) + 1; i < rank; ++i) inner *= x.shape.d[i];
    const int64_t n = x.shape.d[axis];
    const bool integral = isIntegerType(x.type);
    // One independent scan per (outer, inner) line.
    forRange(ctx, outer * inner, 256, [&](int64_t b, int64_t e) {
        for (int64_t line = b; line < e; ++line) {
            const int64_t base = (line / inner) * n * inner + line % inner;
            uint64_t sumI = 0;  // wraps like the integer type would
            double sumD = 0.0;
            for (int64_t t = 0; t < n; ++t) {
                const int64_t pos = base + (attrs.reverse ? n - 1 - t : t) * inner;
                const uint64_t vi = integral ? static_cast<uint64_t>(loadAsInt64(x.type, x.data, pos)) : 0;
                const double vd = integral ? 0.0 : loadAsDouble(x.type, x.data, pos);
                if (!attrs.exclusive) {
                    sumI += vi;
                    sumD += vd;
                }
                if (integral)
                    storeFromInt64(out.type, out.data, pos, static_cast<int64_t>(sumI));
                else
                    storeFromDouble(out.type, out.data, pos, sumD);
                if (attrs.exclusive) {
                    sumI += vi;
                    sumD += vd;
                }
            }
        }
    });
    return Status::ok();
}

Status runTrilu(const ir::TriluAttrs& attrs, const KernelContext& ctx) {
    const TensorRef& x = ctx.inputs[0];
    const TensorRef& out = ctx.outputs[0];
    const int rank = x.shape.nbDims;
    if (x.type != out.type || x.shape != out.shape || rank < 2)
        return internalError("Trilu: input " + std::string(dataTypeName(x.type)) + toString(x.shape) +
                             " and output " + dataTypeName(out.type) + toString(out.shape) +
                             " are inconsistent");
    int64_t k = attrs.k;
    if (const TensorRef* kIn = optionalInput(ctx, 1)) {
        if (kIn->numel() != 1 || !isIntegerType(kIn->type))
            return invalidArgument("Trilu: k (input 1) must be one int64/int32 value, got " +
                                   std::string(dataTypeName(kIn->type)) + toString(kIn->shape));
        k = loadAsInt64(kIn->type, kIn->data, 0);
    }
    const int64_t rows = x.shape.d[rank - 2], cols = x.shape.d[rank - 1];
    const size_t elem = static_cast<size_t>(dataTypeSize(x.type));
    const auto* src = static_cast<const uint8_t*>(x.data);
    auto* dst = static_cast<uint8_t*>(out.data);
    // Row by row: element (i, j) is kept when j - i >= k (upper) or j - i <= k (lower). Zero bytes are the
    // value 0 in every DataType, so the zeroed part is written with memset.
    const int64_t nbRows = cols > 0 ? x.numel() / cols : 0;
    forRange(ctx, nbRows, 64, [&](int64_t b, int64_t e) {
        for (int64_t row = b; row < e; ++row) {
            const int64_t i = row % rows;
            for (int64_t j = 0; j < cols; ++j) {
                const bool keep = attrs.upper ? j - i >= k : j - i <= k;
                const size_t off = static_cast<size_t>(row * cols + j) * elem;
                if (keep)
                    std::memcpy(dst + off, src + off, elem);
                else
                    std::memset(dst + off, 0, elem);
            }
        }
    });
    return Status::ok();
}

}  // namespace kiln::reference
