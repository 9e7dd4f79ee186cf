// Device helpers the Attention kernels share: loading and storing one element of an ElemType given at run
// time, as float (the mask of either kernel, every operand of the rows kernel).
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

#include "backends/cuda/kernels/attention/attention_launch.h"

namespace kiln::cuda::attn {

__device__ __forceinline__ float loadElem(ElemType t, const void* p, int64_t i) {
    switch (t) {
        case ElemType::kF32:
            return static_cast<const float*>(p)[i];
        case ElemType::kF16:
            return __half2float(static_cast<const __half*>(p)[i]);
        case ElemType::kBF16:
            return __bfloat162float(static_cast<const __nv_bfloat16*>(p)[i]);
        case ElemType::kNone:
            break;
    }
    return 0.0f;
}

__device__ __forceinline__ void storeElem(ElemType t, void* p, int64_t i, float v) {
    switch (t) {
        case ElemType::kF32:
            static_cast<float*>(p)[i] = v;
            return;
        case ElemType::kF16:
            static_cast<__half*>(p)[i] = __float2half_rn(v);
            return;
        case ElemType::kBF16:
            static_cast<__nv_bfloat16*>(p)[i] = __float2bfloat16_rn(v);
            return;
        case ElemType::kNone:
            return;
    }
}

}  // namespace kiln::cuda::attn
