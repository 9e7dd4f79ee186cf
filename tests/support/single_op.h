// Test harness: runs one op through IR inference and its reference kernel, the way the runtime does,
// and returns the outputs. Used by tests/ops/*_test.cc.
#pragma once

#include <vector>

#include "backends/reference/kernels.h"
#include "common/host_tensor.h"
#include "ir/infer.h"

namespace kiln::testing {

/// Runs `attrs` on `inputs` (HostTensor::absent() for a missing optional input). `outputTypes`, when
/// given, presets the output types (what the user would request, e.g. for Identity). Returns the
/// outputs, or the Status of inference or the kernel.
inline StatusOr<std::vector<HostTensor>> runSingleOp(const ir::Attrs& attrs, const std::vector<HostTensor>& inputs,
                                                     int nbOutputs = 1, std::vector<DataType> outputTypes = {}) {
    std::vector<ir::TensorDesc> in(inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
        in[i].type = inputs[i].type;
        in[i].shape = inputs[i].shape;
        in[i].values = inputs[i].present() ? inputs[i].data() : nullptr;
    }
    std::vector<ir::TensorDesc> out(static_cast<size_t>(nbOutputs));
    for (size_t i = 0; i < out.size(); ++i)
        out[i].type = i < outputTypes.size() ? outputTypes[i] : (inputs.empty() ? DataType::kFLOAT : inputs[0].type);
    ir::InferContext ictx{in, out};
    KILN_RETURN_IF_ERROR(ir::inferNode(attrs, ictx));
    std::vector<HostTensor> results;
    for (const auto& d : out) {
        if (!isFullyKnown(d.shape)) return internalError("inferred output shape " + toString(d.shape) + " is not fully known");
        results.emplace_back(d.type, d.shape);
    }
    std::vector<TensorRef> inRefs, outRefs;
    for (const auto& h : inputs) inRefs.push_back(h.ref());
    for (auto& h : results) outRefs.push_back(h.ref());
    static ThreadPool pool(2);
    reference::KernelContext kctx{inRefs, outRefs, &pool};
    KILN_RETURN_IF_ERROR(reference::runNode(attrs, kctx));
    return results;
}

}  // namespace kiln::testing
