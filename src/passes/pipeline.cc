// The one place where passes are ordered (see passes.def for the list and pass.h for the interface), and
// the driver that runs them: after a pass changes the graph, dead nodes go and inference re-runs.
#include <algorithm>

#include "passes/pass.h"

namespace kiln::passes {

namespace {

using PassFn = StatusOr<bool> (*)(ir::Graph&, const PassContext&);

struct Entry {
    const char* name;
    PassFn fn;
};

/// Every pass of passes.def, in declaration order (lookup by name).
const std::vector<Entry>& registry() {
    static const std::vector<Entry> entries = {
#define KILN_PASS(Function, name, summary) {name, &Function},
#include "passes/passes.def"
#undef KILN_PASS
    };
    return entries;
}

/// The pipeline's order, with the reason for each position.
const std::vector<const char*>& order() {
    static const std::vector<const char*> names = {
        // First: the patterns below then see one copy of what exporters repeat per layer (BERT's and
        // GPT-2's attention masks), which fuse-attention takes as a shared input.
        "eliminate-common-subexpressions",
        // Next: it turns pointwise chains into one Activation, which the epilogue passes can then absorb.
        "fuse-gelu",
        // After fuse-gelu, so MatMul + bias + GELU (BERT, GPT-2, ViT MLPs) becomes one GEMM with epilogue.
        "fuse-matmul-epilogue",
        // Independent of the matmul pass; conv -> residual add -> ReLU (ResNet) becomes one Convolution.
        "fuse-conv-epilogue",
        // After the conv epilogue is fused (the GEMM takes over its bias and activation) and before
        // channels-last, which would wrap the patch convolution in layout conversions.
        "patchify-convolution",
        // After the conv epilogue is fused, so a residual addend gets its layout conversion with the
        // convolution; tensor-core convolutions want NHWC (float16/bfloat16 GPU plans only).
        "channels-last",
        // Right after channels-last: the conversions it put between consecutive convolutions cancel.
        "cancel-transposes",
        // After the epilogue passes (a mask they folded into the scores' MatrixMultiply is taken from there)
        // and before fuse-pointwise, which would otherwise turn the scale, mask add and NaN guard between
        // the two products into a program and hide the chain.
        "fuse-attention",
        // Right after fuse-attention, which makes the Attention nodes it merges the projections of (BERT's
        // separate query, key and value layers); before absorb-row-transposes, which then sees one packed
        // projection as for GPT-2 and ViT.
        "merge-qkv-projections",
        // Right after fuse-attention: it needs the Attention nodes and their strided views, and it leaves the
        // out-projection's output in the residual's row order, so a later epilogue fusion can take the add.
        "absorb-row-transposes",
        // Again, after absorb-row-transposes: ViT's out-projection is now followed only by reshapes before
        // its residual add, which this run folds; before fuse-pointwise, which would take the add. What the
        // first run folded is not matched again (one addend, nothing after an activation).
        "fuse-matmul-epilogue",
        // Last: the pattern passes (GELU, matmul/conv epilogues) first take the pointwise ops they fold into
        // one library call or activation; what they leave becomes one interpreted kernel per chain.
        "fuse-pointwise",
        // Again, at the very end: passes above build constants of their own (merge-qkv-projections' packed
        // biases, zeros in every layer of a freshly initialized export), which repeat across layers; after
        // this run the pipeline is a fixed point (running it again changes nothing).
        "eliminate-common-subexpressions",
    };
    return names;
}

Status settle(ir::Graph& graph) {
    graph.removeDeadNodes();
    KILN_RETURN_IF_ERROR(graph.topoSort());
    return graph.inferShapes();
}

}  // namespace

std::vector<PassInfo> allPasses() {
    std::vector<PassInfo> out;
#define KILN_PASS(Function, name, summary) out.push_back({name, summary});
#include "passes/passes.def"
#undef KILN_PASS
    return out;
}

StatusOr<bool> runPass(const std::string& name, ir::Graph& graph, const PassContext& ctx) {
    for (const Entry& e : registry()) {
        if (name != e.name) continue;
        KILN_ASSIGN_OR_RETURN(const bool changed, e.fn(graph, ctx));
        if (changed) KILN_RETURN_IF_ERROR(settle(graph).withContext(std::string("after pass '") + e.name + "'"));
        return changed;
    }
    std::string known;
    for (const Entry& e : registry()) known += (known.empty() ? "" : ", ") + std::string(e.name);
    return invalidArgument("unknown pass '" + name + "'; known passes: " + (known.empty() ? "(none)" : known));
}

Status runPipeline(ir::Graph& graph, const PassContext& ctx) {
    for (const char* name : order()) {
        if (std::find(ctx.disabled.begin(), ctx.disabled.end(), name) != ctx.disabled.end()) continue;
        KILN_RETURN_IF_ERROR(runPass(name, graph, ctx).status().withContext(std::string("pass '") + name + "'"));
    }
    return Status::ok();
}

}  // namespace kiln::passes
