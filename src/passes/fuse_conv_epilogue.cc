// fuse-conv-epilogue: Convolution -> [+ residual] -> [activation] becomes one Convolution with input [3]
// addend and the activation in its EpilogueAttrs (ResNet's conv3 -> Add(shortcut) -> Relu, and every
// conv -> Relu). cuDNN's fused bias/activation call runs it when the activation is absent or ReLU and a
// bias is present; otherwise the CUDA tactic runs the same epilogue as kernels after the convolution
// (conv_cudnn.cc), which is never slower than the separate layers. Each step needs the intermediate
// tensors to have one consumer and not be graph outputs, and may look through reshape-only Shuffles
// (epilogue_fusion.h).
#include "passes/epilogue_fusion.h"
#include "passes/pass.h"

namespace kiln::passes {

StatusOr<bool> fuseConvEpilogue(ir::Graph& graph, const PassContext& /*ctx*/) {
    bool changed = false;
    // A step without a reshape moves the fused node to its consumer's place further on, which this walk
    // reaches later; a step through a reshape keeps it at `id`, so each convolution is tried again until
    // nothing more folds. Reshapes appended for addends are visited too and skipped.
    for (ir::NodeId id = 0; id < static_cast<ir::NodeId>(graph.nodes().size()); ++id) {
        if (graph.node(id).kind() != ir::OpKind::kConvolution) continue;
        for (;;) {
            const pattern::Uses uses(graph);
            if (!epilogue::absorbAddendOrActivation<ir::ConvolutionAttrs>(graph, uses, id, 3)) break;
            changed = true;
        }
    }
    return changed;
}

}  // namespace kiln::passes
