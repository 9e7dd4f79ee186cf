// Reference CPU kernels: one run##Name per op of ops.def, defined in src/backends/reference/<family>.cc.
// Plain and obviously correct first; multithreaded via the context's pool; GEMM-shaped work goes through
// BLAS (cblas_sgemm) on float32. Inputs and outputs are contiguous row-major; outputs are allocated by
// the caller with the shapes and types that inference produced. Absent optional inputs have data == null
// and shape.nbDims == -1.
#pragma once

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

/// Dispatches on the attrs' alternative.
Status runNode(const ir::Attrs& attrs, const KernelContext& ctx);

}  // namespace kiln::reference
