// CUDA kernel for ElementWise: numpy-broadcast binary arithmetic, comparisons and logic, with the
// reference's semantics (backends/reference/pointwise_elementwise.cc). The float formats compute in float32
// and round once on store, except FLOOR_DIV and MOD, which compute in double like the reference: floor(a/b)
// of a float quotient can land on the wrong integer when the exact quotient sits just below one. Integers
// compute in int64 with two's complement wrap-around, division and remainder by zero give 0, POW with a
// negative exponent gives the truncated real result; comparisons and logic produce bool. Each input is
// read through the shared pointwise launcher (pointwise/map.cuh): same-shape and scalar operands, a bias row
// ([M, N] + [N]) and a per-row value ([M, N] + [M, 1]) take its 16-byte vector path when aligned; other
// broadcasts walk an Indexer.
#include <cmath>

#include "backends/cuda/kernel_context.h"
#include "backends/cuda/kernels/common/dtype.cuh"
#include "backends/cuda/kernels/common/indexing.cuh"
#include "backends/cuda/kernels/common/launch.cuh"
#include "backends/cuda/kernels/pointwise/map.cuh"
#include "backends/cuda/kernels/pointwise/pointwise_functors.cuh"

namespace kiln::cuda {
namespace {

constexpr const char* kName = "ElementWise kernel";


// ---- integer forms (int64; arithmetic through uint64 wraps instead of overflowing) -------------------
__device__ __forceinline__ int64_t wrap(uint64_t v) {
    return static_cast<int64_t>(v);
}
struct ISum {
    __device__ int64_t operator()(int64_t a, int64_t b) const { return wrap(uint64_t(a) + uint64_t(b)); }
};
struct IProd {
    __device__ int64_t operator()(int64_t a, int64_t b) const { return wrap(uint64_t(a) * uint64_t(b)); }
};
struct ISub {
    __device__ int64_t operator()(int64_t a, int64_t b) const { return wrap(uint64_t(a) - uint64_t(b)); }
};
struct IMax {
    __device__ int64_t operator()(int64_t a, int64_t b) const { return a > b ? a : b; }
};
struct IMin {
    __device__ int64_t operator()(int64_t a, int64_t b) const { return a < b ? a : b; }
};
struct IDiv {  // truncates; INT64_MIN / -1 wraps to INT64_MIN
    __device__ int64_t operator()(int64_t a, int64_t b) const {
        return b == 0 ? 0 : b == -1 ? wrap(0 - uint64_t(a)) : a / b;
    }
};
struct IFloorDiv {
    __device__ int64_t operator()(int64_t a, int64_t b) const {
        if (b == 0) return 0;
        if (b == -1) return wrap(0 - uint64_t(a));
        int64_t q = a / b;
        if (a % b != 0 && ((a < 0) != (b < 0))) --q;
        return q;
    }
};
__device__ __forceinline__ int64_t intFmod(int64_t a, int64_t b) {
    return b == 0 || b == -1 ? 0 : a % b;  // INT64_MIN % -1 would trap
}
struct IFmod {
    __device__ int64_t operator()(int64_t a, int64_t b) const { return intFmod(a, b); }
};
struct IMod {
    __device__ int64_t operator()(int64_t a, int64_t b) const {
        int64_t r = intFmod(a, b);
        if (r != 0 && ((r < 0) != (b < 0))) r += b;
        return r;
    }
};
struct IPow {
    __device__ int64_t operator()(int64_t base, int64_t e) const {
        if (e < 0) return base == 1 ? 1 : base == -1 ? ((e & 1) ? -1 : 1) : 0;
        uint64_t result = 1, x = uint64_t(base);
        for (; e != 0; e >>= 1) {
            if (e & 1) result *= x;
            x *= x;
        }
        return wrap(result);
    }
};
struct IEqual {
    __device__ bool operator()(int64_t a, int64_t b) const { return a == b; }
};
struct IGreater {
    __device__ bool operator()(int64_t a, int64_t b) const { return a > b; }
};
struct ILess {
    __device__ bool operator()(int64_t a, int64_t b) const { return a < b; }
};
struct IAnd {
    __device__ bool operator()(int64_t a, int64_t b) const { return a != 0 && b != 0; }
};
struct IOr {
    __device__ bool operator()(int64_t a, int64_t b) const { return a != 0 || b != 0; }
};
struct IXor {
    __device__ bool operator()(int64_t a, int64_t b) const { return (a != 0) != (b != 0); }
};

/// One launch's operands, resolved once before the dtype/op dispatch (so the instantiations below hold no
/// shape logic).
struct Operands {
    const void* a;
    const void* b;
    void* y;
    int64_t n;
    Indexer<2> ix;
    cudaStream_t stream;
};

template <class In, class Out, class F>
Status launch(const Operands& o, F f) {
    return launchPointwise(o.ix, o.n, o.stream, Computed<Out, F>{f}, kName, static_cast<Out*>(o.y),
                           static_cast<const In*>(o.a), static_cast<const In*>(o.b));
}

/// An arithmetic op: same storage in and out.
template <class FF, class IF>
Status arithmetic(DataType t, const Operands& o, FF ff, IF intF) {
    if (isFloatType(t))
        return withFloatStorage(t, kName,
                                [&](auto tag) { return launch<decltype(tag), decltype(tag)>(o, ff); });
    return withIntStorage(t, kName, [&](auto tag) { return launch<decltype(tag), decltype(tag)>(o, intF); });
}

/// A comparison: any numeric storage in (bool too, for EQUAL), bool out.
template <class FF, class IF>
Status comparison(DataType t, const Operands& o, FF ff, IF intF) {
    if (isFloatType(t))
        return withFloatStorage(t, kName, [&](auto tag) { return launch<decltype(tag), Bool>(o, ff); });
    if (t == DataType::kBOOL) return launch<Bool, Bool>(o, intF);
    return withIntStorage(t, kName, [&](auto tag) { return launch<decltype(tag), Bool>(o, intF); });
}

}  // namespace

Status runElementWise(const ir::ElementWiseAttrs& attrs, const KernelContext& ctx) {
    const DataType t = ctx.inputs[0].type;
    const DataType outType = ctx.outputs[0].type;
    if (ctx.inputs[1].type != t)
        return internalError(std::string(kName) + ": input types differ: " + dataTypeName(t) + " and " +
                             dataTypeName(ctx.inputs[1].type));
    using Op = ElementWiseOperation;
    bool boolOut = false;
    switch (attrs.op) {
        case Op::kSUM:
        case Op::kPROD:
        case Op::kMAX:
        case Op::kMIN:
        case Op::kSUB:
        case Op::kDIV:
        case Op::kPOW:
        case Op::kFLOOR_DIV:
        case Op::kMOD:
        case Op::kFMOD:
            break;
        case Op::kAND:
        case Op::kOR:
        case Op::kXOR:
        case Op::kEQUAL:
        case Op::kGREATER:
        case Op::kLESS:
            boolOut = true;
            break;
    }
    if (outType != (boolOut ? DataType::kBOOL : t))
        return internalError(std::string(kName) + ": output type " + dataTypeName(outType) + " for inputs " +
                             dataTypeName(t) + ", expected " + (boolOut ? "bool" : dataTypeName(t)) +
                             " (operation " + std::to_string(static_cast<int32_t>(attrs.op)) + ")");
    const TensorRef& y = ctx.outputs[0];
    if (y.numel() == 0) return Status::ok();
    KILN_ASSIGN_OR_RETURN(
        Indexer<2> ix, makeBroadcastIndexer<2>(y.shape, {ctx.inputs[0].shape, ctx.inputs[1].shape}, kName));
    const Operands o{ctx.inputs[0].data, ctx.inputs[1].data, y.data, y.numel(), ix, ctx.stream};
    switch (attrs.op) {
        case Op::kSUM:
            return arithmetic(t, o, fn::FSum{}, ISum{});
        case Op::kPROD:
            return arithmetic(t, o, fn::FProd{}, IProd{});
        case Op::kMAX:
            return arithmetic(t, o, fn::FMax{}, IMax{});
        case Op::kMIN:
            return arithmetic(t, o, fn::FMin{}, IMin{});
        case Op::kSUB:
            return arithmetic(t, o, fn::FSub{}, ISub{});
        case Op::kDIV:
            return arithmetic(t, o, fn::FDiv{}, IDiv{});
        case Op::kPOW:
            return arithmetic(t, o, fn::FPow{}, IPow{});
        case Op::kFLOOR_DIV:
            return arithmetic(t, o, fn::FFloorDiv{}, IFloorDiv{});
        case Op::kMOD:
            return arithmetic(t, o, fn::FMod{}, IMod{});
        case Op::kFMOD:
            return arithmetic(t, o, fn::FFmod{}, IFmod{});
        case Op::kEQUAL:
            return comparison(t, o, fn::FEqual{}, IEqual{});
        case Op::kGREATER:
            return comparison(t, o, fn::FGreater{}, IGreater{});
        case Op::kLESS:
            return comparison(t, o, fn::FLess{}, ILess{});
        case Op::kAND:
        case Op::kOR:
        case Op::kXOR:
            if (t != DataType::kBOOL)
                return internalError(std::string(kName) + ": logical operations take bool, got " +
                                     dataTypeName(t));
            return attrs.op == Op::kAND  ? launch<Bool, Bool>(o, IAnd{})
                   : attrs.op == Op::kOR ? launch<Bool, Bool>(o, IOr{})
                                         : launch<Bool, Bool>(o, IXor{});
    }
    return internalError(std::string(kName) + ": unknown operation " +
                         std::to_string(static_cast<int32_t>(attrs.op)));
}

}  // namespace kiln::cuda
