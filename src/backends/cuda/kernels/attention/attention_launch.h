// Launchers of the Attention CUDA kernels and the host-side choice between them, called by
// attention_ops.cc. The operands arrive as addresses plus element strides of their logical axes (B, H, S,
// D; the mask's B, H, Sq, Skv with 0 on broadcast axes), so the kernels never see layouts or Kiln's host
// headers. Two kernels: attention_flash.cu (float16/bfloat16, head dim 64 or 128, tensor cores, operands
// read with 16-byte copies) and attention_rows.cu (any float type and head dim up to kRowsMaxHeadDim, any
// strides and alignment, float32 arithmetic throughout). `attentionPaths` is plain C++, so
// tests/unit/cuda_attention_plan_test.cc checks the choice on machines without a GPU.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <limits>

namespace kiln::cuda::attn {

/// Element types of the operands; kNone only for an absent mask.
enum class ElemType : int32_t { kNone, kF32, kF16, kBF16 };

struct Operand {
    const void* data{nullptr};
    int64_t stride[4]{};  ///< elements per step along B, H, S, D (mask: B, H, Sq, Skv)
};

struct AttentionArgs {
    ElemType type{ElemType::kF32};  ///< q, k, v and the output
    ElemType maskType{ElemType::kNone};
    Operand q, k, v, mask;
    void* out{nullptr};
    int64_t outStride[4]{};
    int64_t batch{0}, heads{0}, sq{0}, skv{0}, d{0}, dv{0};
    float scale{1.0f};
    bool zeroFullyMaskedRows{false};
};

/// Query rows per block of the flash kernel (4 warps of 16 rows) and of the rows kernel (a warp each).
constexpr int64_t kFlashRowsPerBlock = 64;
constexpr int64_t kRowsRowsPerBlock = 8;
/// Largest D and Dv the rows kernel holds (its output accumulators live in registers, 32 lanes wide).
constexpr int64_t kRowsMaxHeadDim = 256;

/// Which kernels can run `a`: the flash kernel when its type, head dims, strides and alignment fit; the
/// rows kernel unless a head dim exceeds kRowsMaxHeadDim. `why` (when not null) says why the flash kernel
/// does not apply, for error messages.
struct AttentionPaths {
    bool flash{false};
    bool rows{false};
    const char* why{""};
};

inline bool aligned16(const void* p) {
    return (reinterpret_cast<uintptr_t>(p) & 15u) == 0;
}

inline AttentionPaths attentionPaths(const AttentionArgs& a) {
    AttentionPaths p;
    constexpr int64_t kMaxGrid = std::numeric_limits<int32_t>::max();
    const bool sizesFit = a.sq <= kMaxGrid && a.skv <= kMaxGrid && a.batch * a.heads <= kMaxGrid;
    p.rows = a.d <= kRowsMaxHeadDim && a.dv <= kRowsMaxHeadDim && sizesFit &&
             (a.sq + kRowsRowsPerBlock - 1) / kRowsRowsPerBlock * a.batch * a.heads <= kMaxGrid;
    if (a.type != ElemType::kF16 && a.type != ElemType::kBF16) {
        p.why = "the flash kernel takes float16 and bfloat16";
        return p;
    }
    if (a.d != a.dv || (a.d != 64 && a.d != 128)) {
        p.why = "the flash kernel takes head dims D = Dv = 64 or 128";
        return p;
    }
    const Operand* ops[3] = {&a.q, &a.k, &a.v};
    bool vectors = aligned16(a.out) && a.outStride[3] == 1;
    for (int axis = 0; axis < 3; ++axis) vectors = vectors && a.outStride[axis] % 8 == 0;
    for (const Operand* o : ops) {
        vectors = vectors && aligned16(o->data) && o->stride[3] == 1;
        for (int axis = 0; axis < 3; ++axis) vectors = vectors && o->stride[axis] % 8 == 0;
    }
    if (!vectors) {
        p.why =
            "the flash kernel needs contiguous head dims and 16-byte aligned rows in q, k, v and the output";
        return p;
    }
    if (!sizesFit || (a.sq + kFlashRowsPerBlock - 1) / kFlashRowsPerBlock * a.batch * a.heads > kMaxGrid) {
        p.why = "the flash kernel's grid would exceed 2^31 - 1 blocks";
        return p;
    }
    p.flash = true;
    return p;
}

/// The flash kernel (attention_flash.cu); `a` must satisfy attentionPaths(a).flash.
cudaError_t launchAttentionFlash(const AttentionArgs& a, cudaStream_t stream);

/// The rows kernel (attention_rows.cu); `a` must satisfy attentionPaths(a).rows.
cudaError_t launchAttentionRows(const AttentionArgs& a, cudaStream_t stream);

}  // namespace kiln::cuda::attn
