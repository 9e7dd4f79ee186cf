// The general Attention kernel: any float type (float32 keeps float32 accuracy), head dims D and Dv up to
// kRowsMaxHeadDim, any strides (k stored transposed too) and any alignment. A block of 8 warps takes 8
// query rows of one (batch, head), a warp per row. Keys come in tiles of 32: the block stages the tile's K
// rows in shared memory as float (a padded row pitch keeps the lanes' reads on distinct banks), each lane
// scores one key against its warp's query row (also staged as float; 16-byte reads when D is a multiple
// of 4), and the warp runs the online
// softmax over the tile (max and sum by shuffles, the accumulators rescaled when the max grows). Each lane
// then accumulates output columns lane, lane + 32, ... from the tile's V rows, read straight from global
// memory (consecutive lanes read consecutive columns) with every probability broadcast by a shuffle. A row
// with no finite maximum is NaN, or 0 with zeroFullyMaskedRows, as in attention_flash.cu.
#include <cstdint>

#include "backends/cuda/kernels/attention/attention_device.cuh"

namespace kiln::cuda::attn {
namespace {

constexpr int kWarps = static_cast<int>(kRowsRowsPerBlock);
constexpr int kThreads = kWarps * 32;
constexpr int kTileKeys = 32;

__device__ __forceinline__ float warpMax(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}
__device__ __forceinline__ float warpSum(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

/// Shared floats per row of the K tile. Lane j reads row j: with single floats an odd pitch puts the 32
/// lanes of a column on 32 banks; with float4 reads (D a multiple of 4) a pitch of D + 4 puts each group of
/// 8 lanes (one shared-memory wavefront) on distinct 16-byte slots, and keeps every row 16-byte aligned.
__host__ __device__ inline int kPitch(int64_t d, bool vec4) {
    return static_cast<int>(vec4 ? d + 4 : (d | 1));
}

template <ElemType kT, int kChunks, bool kVec4>
__global__ void __launch_bounds__(kThreads) attentionRowsKernel(AttentionArgs a) {
    extern __shared__ float4 smem4[];  // float4: 16-byte aligned for the vector reads
    float* smem = reinterpret_cast<float*>(smem4);
    const int d = static_cast<int>(a.d), dv = static_cast<int>(a.dv), pitch = kPitch(a.d, kVec4);
    float* sK = smem;                      // [kTileKeys][pitch]
    float* sQ = smem + kTileKeys * pitch;  // [kWarps][d]
    const int tid = static_cast<int>(threadIdx.x), warp = tid >> 5, lane = tid & 31;
    const int64_t groups = (a.sq + kWarps - 1) / kWarps;
    const int64_t block = blockIdx.x;
    const int64_t group = block % groups, h = (block / groups) % a.heads, b = block / (groups * a.heads);
    const int64_t row = group * kWarps + warp;
    const bool active = row < a.sq;  // inactive warps still help load and reach every barrier
    const int skv = static_cast<int>(a.skv);

    const int64_t qBase = b * a.q.stride[0] + h * a.q.stride[1] + (active ? row : 0) * a.q.stride[2];
    const int64_t kBase = b * a.k.stride[0] + h * a.k.stride[1];
    const int64_t vBase = b * a.v.stride[0] + h * a.v.stride[1];
    float* q = sQ + warp * d;
    for (int e = lane; e < d; e += 32)
        q[e] = active ? loadElem(kT, a.q.data, qBase + e * a.q.stride[3]) : 0.0f;
    const bool masked = a.maskType != ElemType::kNone;
    const int64_t maskBase =
        b * a.mask.stride[0] + h * a.mask.stride[1] + (active ? row : 0) * a.mask.stride[2];

    float m = -INFINITY, l = 0.0f, acc[kChunks];
#pragma unroll
    for (int c = 0; c < kChunks; ++c) acc[c] = 0.0f;
    for (int tile = 0; tile < skv; tile += kTileKeys) {
        const int keys = min(kTileKeys, skv - tile);
        __syncthreads();  // the previous tile's K rows are no longer read
        for (int i = tid; i < kTileKeys * d; i += kThreads) {
            const int r = i / d, e = i - r * d;
            sK[r * pitch + e] =
                r < keys ? loadElem(kT, a.k.data, kBase + (tile + r) * a.k.stride[2] + e * a.k.stride[3])
                         : 0.0f;
        }
        __syncthreads();
        if (!active) continue;
        float x = -INFINITY;
        if (lane < keys) {
            const float* kr = sK + lane * pitch;
            float dot = 0.0f;
            if constexpr (kVec4) {
                const float4* q4 = reinterpret_cast<const float4*>(q);
                const float4* k4 = reinterpret_cast<const float4*>(kr);
                for (int e = 0; e < d / 4; ++e) {
                    const float4 x4 = q4[e], y4 = k4[e];
                    dot = fmaf(x4.x, y4.x, dot);
                    dot = fmaf(x4.y, y4.y, dot);
                    dot = fmaf(x4.z, y4.z, dot);
                    dot = fmaf(x4.w, y4.w, dot);
                }
            } else {
                for (int e = 0; e < d; ++e) dot = fmaf(q[e], kr[e], dot);
            }
            x = dot * a.scale;
            if (masked) x += loadElem(a.maskType, a.mask.data, maskBase + (tile + lane) * a.mask.stride[3]);
        }
        const float mNew = fmaxf(m, warpMax(x));
        const float base = mNew == -INFINITY ? 0.0f : mNew;  // an all -inf row so far: exp(-inf) = 0
        const float alpha = expf(m - base);
        const float p = expf(x - base);
        m = mNew;
        l = l * alpha + warpSum(p);
#pragma unroll
        for (int c = 0; c < kChunks; ++c) acc[c] *= alpha;
        for (int j = 0; j < keys; ++j) {
            const float pj = __shfl_sync(0xffffffffu, p, j);
            const int64_t vRow = vBase + (tile + j) * a.v.stride[2];
#pragma unroll
            for (int c = 0; c < kChunks; ++c) {
                const int e = lane + 32 * c;
                if (e < dv) acc[c] = fmaf(pj, loadElem(kT, a.v.data, vRow + e * a.v.stride[3]), acc[c]);
            }
        }
    }
    if (!active) return;
    // m finite means some p = 1, so l >= 1 unless a NaN score made it NaN.
    const bool valid = isfinite(m) && !isnan(l);
    const float inv = valid ? 1.0f / l : 0.0f;
    const float fill = a.zeroFullyMaskedRows ? 0.0f : __int_as_float(0x7fc00000);
    const int64_t oBase = b * a.outStride[0] + h * a.outStride[1] + row * a.outStride[2];
#pragma unroll
    for (int c = 0; c < kChunks; ++c) {
        const int e = lane + 32 * c;
        if (e < dv) storeElem(kT, a.out, oBase + e * a.outStride[3], valid ? acc[c] * inv : fill);
    }
}

template <ElemType kT, bool kVec4>
cudaError_t launchShaped(const AttentionArgs& a, cudaStream_t stream) {
    const int64_t blocks = (a.sq + kWarps - 1) / kWarps * a.batch * a.heads;
    const size_t smem = static_cast<size_t>(kTileKeys * kPitch(a.d, kVec4) + kWarps * a.d) * sizeof(float);
    const unsigned grid = static_cast<unsigned>(blocks);
    if (a.dv <= 32) {
        attentionRowsKernel<kT, 1, kVec4><<<grid, kThreads, smem, stream>>>(a);
    } else if (a.dv <= 64) {
        attentionRowsKernel<kT, 2, kVec4><<<grid, kThreads, smem, stream>>>(a);
    } else if (a.dv <= 128) {
        attentionRowsKernel<kT, 4, kVec4><<<grid, kThreads, smem, stream>>>(a);
    } else {
        attentionRowsKernel<kT, 8, kVec4><<<grid, kThreads, smem, stream>>>(a);
    }
    return cudaGetLastError();
}

template <ElemType kT>
cudaError_t launchTyped(const AttentionArgs& a, cudaStream_t stream) {
    return a.d % 4 == 0 ? launchShaped<kT, true>(a, stream) : launchShaped<kT, false>(a, stream);
}

}  // namespace

cudaError_t launchAttentionRows(const AttentionArgs& a, cudaStream_t stream) {
    if (a.batch <= 0 || a.heads <= 0 || a.sq <= 0 || a.dv <= 0) return cudaSuccess;
    if (a.d > kRowsMaxHeadDim || a.dv > kRowsMaxHeadDim) return cudaErrorInvalidValue;
    switch (a.type) {
        case ElemType::kF32:
            return launchTyped<ElemType::kF32>(a, stream);
        case ElemType::kF16:
            return launchTyped<ElemType::kF16>(a, stream);
        case ElemType::kBF16:
            return launchTyped<ElemType::kBF16>(a, stream);
        case ElemType::kNone:
            break;
    }
    return cudaErrorInvalidValue;
}

}  // namespace kiln::cuda::attn
