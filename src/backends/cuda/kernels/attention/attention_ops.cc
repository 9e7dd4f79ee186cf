// CUDA runAttention: the host half of the kernels in this folder. It turns the operands' views (a
// contiguous layout's strides, or a STRIDED operand's offset and strides, checked to lie inside its input:
// ir/attention_layout.h) into base addresses and per-axis element strides and the mask's shape into
// broadcast strides, checks the shapes, and runs one of two tactics: attention_flash_mma (attention_flash.cu:
// tensor cores, float16/bfloat16, head dim 64 or 128, 16-byte aligned rows) or attention_rows
// (attention_rows.cu: every float type, head dims up to 256, any strides and alignment). By default the flash
// kernel runs wherever it applies; the autotuner is offered both when both apply. Nothing here synchronizes
// or allocates.
#include <array>
#include <string>

#include "backends/cuda/cuda_status.h"
#include "backends/cuda/kernel_context.h"
#include "backends/cuda/kernels/attention/attention_args.h"
#include "common/storage_types.h"
#include "ir/attention_layout.h"

namespace kiln::cuda {
namespace {

constexpr int64_t kFlashTactic = 0;
constexpr int64_t kRowsTactic = 1;
constexpr const char* kFlashName = "attention_flash_mma";
constexpr const char* kRowsName = "attention_rows";

bool elemType(DataType t, attn::ElemType* out) {
    switch (t) {
        case DataType::kFLOAT:
            *out = attn::ElemType::kF32;
            return true;
        case DataType::kHALF:
            *out = attn::ElemType::kF16;
            return true;
        case DataType::kBF16:
            *out = attn::ElemType::kBF16;
            return true;
        KILN_STORAGE_ONLY_TYPE_CASES:
        case DataType::kFP8:
        case DataType::kINT8:
        case DataType::kUINT8:
        case DataType::kINT32:
        case DataType::kINT64:
        case DataType::kBOOL:
            break;
    }
    return false;
}

/// The kernel operand of a view of `t`: the address of its element (0, 0, 0, 0) and its strides. The
/// offset moves the address, so attentionPaths' alignment check sees where the rows really start.
attn::Operand operand(const TensorRef& t, const ir::AttentionView& view) {
    attn::Operand o;
    o.data = static_cast<const uint8_t*>(t.data) + view.offset * dataTypeSize(t.type);
    for (int a = 0; a < 4; ++a) o.stride[a] = view.stride[static_cast<size_t>(a)];
    return o;
}

}  // namespace

namespace attn {

StatusOr<AttentionArgs> attentionArgs(const ir::AttentionAttrs& attrs, std::span<const TensorRef> inputs,
                                      const TensorRef& output) {
    if (inputs.size() < 3) return internalError("Attention: expected q, k, v and an optional mask");
    const TensorRef& q = inputs[0];
    const TensorRef& k = inputs[1];
    const TensorRef& v = inputs[2];
    const TensorRef& y = output;
    attn::AttentionArgs a;
    for (const TensorRef* t : {&q, &k, &v, &y}) {
        attn::ElemType e{};
        if ((t == &y && t->shape.nbDims != 4) || !elemType(t->type, &e) || t->type != q.type)
            return internalError(
                std::string("Attention: expected q, k, v and a 4-D output of one float type, got ") +
                dataTypeName(t->type) + toString(t->shape) + " beside q " + dataTypeName(q.type) +
                toString(q.shape));
        a.type = e;
    }
    KILN_ASSIGN_OR_RETURN(const ir::AttentionGeometry geo,
                          ir::attentionGeometry(attrs, q.shape, k.shape, v.shape, y.shape));
    a.batch = geo.batch;
    a.heads = geo.heads;
    a.sq = geo.sq;
    a.d = geo.d;
    a.skv = geo.skv;
    a.dv = geo.dv;
    a.q = operand(q, geo.q);
    a.k = operand(k, geo.k);
    a.v = operand(v, geo.v);
    const ir::AttentionExtents& ys = geo.outStride;
    a.out = y.data;
    for (int i = 0; i < 4; ++i) a.outStride[i] = ys[static_cast<size_t>(i)];
    if (inputs.size() > 3 && inputs[3].present()) {
        const TensorRef& m = inputs[3];
        if (!elemType(m.type, &a.maskType) || m.shape.nbDims > 4)
            return internalError(
                std::string("Attention: the mask must be a float tensor of rank <= 4, got ") +
                dataTypeName(m.type) + toString(m.shape));
        a.mask.data = m.data;
        const std::array<int64_t, 4> s = ir::attentionMaskStrides(m.shape);
        for (int i = 0; i < 4; ++i) a.mask.stride[i] = s[static_cast<size_t>(i)];
    }
    a.scale = attrs.scale;
    a.zeroFullyMaskedRows = attrs.zeroFullyMaskedRows;
    return a;
}

}  // namespace attn

Status runAttention(const ir::AttentionAttrs& attrs, const KernelContext& ctx) {
    if (ctx.outputs.empty()) return internalError("Attention: no output tensor");
    KILN_ASSIGN_OR_RETURN(const attn::AttentionArgs a,
                          attn::attentionArgs(attrs, ctx.inputs, ctx.outputs[0]));
    const attn::AttentionPaths paths = attn::attentionPaths(a);
    if (ctx.candidates) {
        // Only a choice when both apply; otherwise the one that applies is the default.
        if (paths.flash && paths.rows) {
            ctx.candidates->push_back({kFlashTactic, kFlashName, 0});
            ctx.candidates->push_back({kRowsTactic, kRowsName, 0});
        }
        return Status::ok();
    }
    const std::string shape = "B=" + std::to_string(a.batch) + " H=" + std::to_string(a.heads) +
                              " Sq=" + std::to_string(a.sq) + " Skv=" + std::to_string(a.skv) +
                              " D=" + std::to_string(a.d) + " Dv=" + std::to_string(a.dv) + " " +
                              dataTypeName(ctx.inputs[0].type);
    bool flash = paths.flash;
    if (ctx.tactic == kFlashTactic && !paths.flash)
        return invalidArgument(std::string("Attention: tactic ") + kFlashName + " cannot run at " + shape +
                               ": " + paths.why + "; rebuild the plan for these shapes");
    if (ctx.tactic == kRowsTactic) flash = false;
    if (ctx.tactic != -1 && ctx.tactic != kFlashTactic && ctx.tactic != kRowsTactic)
        return invalidArgument("Attention: unknown tactic id " + std::to_string(ctx.tactic) + " (expected " +
                               std::to_string(kFlashTactic) + " = " + kFlashName + " or " +
                               std::to_string(kRowsTactic) + " = " + kRowsName + "); rebuild the plan");
    if (!flash && !paths.rows)
        return unsupported("Attention: no CUDA kernel for " + shape + ": " + paths.why +
                           ", and the general kernel holds head dims up to " +
                           std::to_string(attn::kRowsMaxHeadDim) +
                           " (and grids up to 2^31 - 1 blocks); build for target 'cpu' or split the heads");
    const cudaError_t err =
        flash ? attn::launchAttentionFlash(a, ctx.stream) : attn::launchAttentionRows(a, ctx.stream);
    return cudaStatus(err, flash ? "Attention (attention_flash_mma)" : "Attention (attention_rows)");
}

}  // namespace kiln::cuda
