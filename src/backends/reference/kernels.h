// Reference CPU kernels: one run##Name per op of ops.def, defined in src/backends/reference/<family>.cc.
// Plain and obviously correct first; multithreaded via the context's pool; GEMM-shaped work goes through
// BLAS (cblas_sgemm) on float32. Inputs and outputs are contiguous row-major; outputs are allocated by
// the caller with the shapes and types that inference produced. Absent optional inputs have data == null
// and shape.nbDims == -1.
#pragma once

#include <algorithm>
#include <functional>
#include <span>

#include "common/status.h"
#include "common/tensor_ref.h"
#include "common/thread_pool.h"
#include "ir/attrs.h"
#include "ir/op.h"

namespace kiln::reference {

struct KernelContext {
    std::span<const TensorRef> inputs;
    std::span<const TensorRef> outputs;
    ThreadPool* pool{nullptr};  ///< never null when called by the runtime
};

#define KILN_OP(Name, minIn, maxIn, minOut, maxOut, family) \
    Status run##Name(const ir::Name##Attrs& attrs, const KernelContext& ctx);
#include "ir/ops.def"
#undef KILN_OP

/// Calls fn(begin, end) over [0, n) elements, split over the context's pool in chunks of at least `grain`
/// elements. When `outType` is packed (int4, fp4, ...) every chunk starts and ends on a whole byte of the
/// output, since a store of one element rewrites its byte: two threads must never share one.
inline void parallelElements(const KernelContext& ctx, DataType outType, int64_t n, int64_t grain,
                             const std::function<void(int64_t, int64_t)>& fn) {
    if (n <= 0) return;
    if (!ctx.pool) {
        fn(0, n);
        return;
    }
    const int64_t k = elementsPerByte(outType);
    ctx.pool->parallelFor((n + k - 1) / k, std::max<int64_t>(1, grain / k),
                          [&](int64_t b, int64_t e) { fn(b * k, std::min(n, e * k)); });
}

/// Dispatches on the attrs' alternative.
Status runNode(const ir::Attrs& attrs, const KernelContext& ctx);

}  // namespace kiln::reference
