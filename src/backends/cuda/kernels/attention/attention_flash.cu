// The tensor-core Attention kernel (flash-attention 2 style) for float16 and bfloat16 with head dim 64 or
// 128. A block of 4 warps owns 64 query rows of one (batch, head), each warp 16 of them, held for the
// whole kernel as mma.sync m16n8k16 A fragments. Keys and values stream through shared memory in tiles of
// kKeys rows, double-buffered with cp.async (zero-filled past the last key, so a tail tile multiplies
// zeros, never stale data). Per tile a warp forms its 16 x kKeys scores with float32 accumulators, scales
// them, adds the mask (read through its broadcast strides), sets keys past Skv to -inf, and updates the
// online softmax: the running row max m and row sum l (each thread holds a quarter of its two rows; the
// max is exchanged between the four threads of a row with __shfl_xor), the output accumulators rescaled
// by exp2(m_old - m_new). The probabilities are rounded to the input type in registers, where the score
// accumulators' layout is already the A fragment layout of the P x V product, and V's B fragments come
// from ldmatrix.trans. At the end each row is divided by l; a row with no finite maximum is NaN, or 0 with
// zeroFullyMaskedRows (ir::AttentionAttrs). Exponentials run in base 2 on scores pre-multiplied by log2(e).
// Work past the sequence ends is skipped, not masked: warps whose rows all lie past Sq only copy tiles, and
// 8-key score tiles and 16-key P x V steps wholly past Skv are left out (ViT's 197 tokens: about a third
// of the padded 256 x 256 products).
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>
#include <cstring>

#include "backends/cuda/kernels/attention/attention_device.cuh"
#include "backends/cuda/kernels/attention/attention_fragments.h"

namespace kiln::cuda::attn {
namespace {

constexpr int kThreads = 128;
constexpr int kWarpRows = 16;
constexpr float kLog2e = 1.4426950408889634f;

template <bool kBf16>
__device__ __forceinline__ uint32_t pack2(float lo, float hi) {
    uint32_t r;
    if constexpr (kBf16) {
        const __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
        memcpy(&r, &v, sizeof(r));
    } else {
        const __half2 v = __floats2half2_rn(lo, hi);
        memcpy(&r, &v, sizeof(r));
    }
    return r;
}

/// c += a * b for one m16n8k16 tile, float32 accumulators.
template <bool kBf16>
__device__ __forceinline__ void mma16816(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
    if constexpr (kBf16) {
        asm volatile(
            "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
            "{%0,%1,%2,%3};\n"
            : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
            : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
    } else {
        asm volatile(
            "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
            "{%0,%1,%2,%3};\n"
            : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
            : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
    }
}

__device__ __forceinline__ uint32_t sharedAddress(const void* p) {
    return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

/// 16 bytes global -> shared; `srcBytes` 0 fills the destination with zeros and reads nothing.
__device__ __forceinline__ void copy16(void* dst, const void* src, int srcBytes) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(sharedAddress(dst)), "l"(src),
                 "r"(srcBytes));
}
__device__ __forceinline__ void commitCopies() {
    asm volatile("cp.async.commit_group;\n" ::);
}
/// Waits until at most one group of copies (the newest) is in flight.
__device__ __forceinline__ void waitAllButNewest() {
    asm volatile("cp.async.wait_group 1;\n" ::);
}

/// Four 8x8 b16 matrices from shared memory, transposed: lanes 8i..8i+7 give the row addresses of matrix i.
__device__ __forceinline__ void loadMatrixX4Trans(const void* rowAddress, uint32_t (&r)[4]) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(sharedAddress(rowAddress)));
}

__device__ __forceinline__ uint32_t load32(const uint16_t* p) {
    return *reinterpret_cast<const uint32_t*>(p);
}

template <bool kBf16, int D, int kKeys>
__global__ void __launch_bounds__(kThreads) flashAttentionKernel(AttentionArgs a) {
    constexpr int kRow = D + 8;  // padded shared row (halves): 16-byte aligned, conflict-free fragment reads
    constexpr int kChunksPerRow = D / 8;
    __shared__ __align__(16) uint16_t sK[2][kKeys][kRow];
    __shared__ __align__(16) uint16_t sV[2][kKeys][kRow];

    const int tid = static_cast<int>(threadIdx.x), warp = tid >> 5, lane = tid & 31;
    const int64_t qTiles = (a.sq + kFlashRowsPerBlock - 1) / kFlashRowsPerBlock;
    const int64_t block = blockIdx.x;
    const int64_t qTile = block % qTiles, h = (block / qTiles) % a.heads, b = block / (qTiles * a.heads);

    const uint16_t* q = static_cast<const uint16_t*>(a.q.data) + b * a.q.stride[0] + h * a.q.stride[1];
    const uint16_t* k = static_cast<const uint16_t*>(a.k.data) + b * a.k.stride[0] + h * a.k.stride[1];
    const uint16_t* v = static_cast<const uint16_t*>(a.v.data) + b * a.v.stride[0] + h * a.v.stride[1];
    const int sq = static_cast<int>(a.sq), skv = static_cast<int>(a.skv);
    // The lane's two query rows (attention_fragments.h): r = 0 and r = 1 of every accumulator.
    const int warpRow0 = static_cast<int>(qTile * kFlashRowsPerBlock) + warp * kWarpRows;
    const int rows[2] = {warpRow0 + accumulatorElement(lane, 0, 0).row,
                         warpRow0 + accumulatorElement(lane, 0, 2).row};
    const bool in[2] = {rows[0] < sq, rows[1] < sq};
    const bool warpActive = warpRow0 < sq;

    // Q as A fragments, loaded once (zeros past the last query row).
    uint32_t qa[D / 16][4];
#pragma unroll
    for (int kd = 0; kd < D / 16; ++kd)
#pragma unroll
        for (int r = 0; r < 4; ++r) {
            const TileIndex at = qFragment(lane, kd, r);
            const int row = warpRow0 + at.row;
            qa[kd][r] = row < sq ? load32(q + static_cast<int64_t>(row) * a.q.stride[2] + at.col) : 0u;
        }

    auto loadTile = [&](int tile, int stage) {
        for (int c = tid; c < kKeys * kChunksPerRow; c += kThreads) {
            const int r = c / kChunksPerRow, col = (c % kChunksPerRow) * 8;
            const int key = tile * kKeys + r;
            const bool ok = key < skv;
            const int64_t kOff = ok ? static_cast<int64_t>(key) * a.k.stride[2] + col : 0;
            const int64_t vOff = ok ? static_cast<int64_t>(key) * a.v.stride[2] + col : 0;
            copy16(&sK[stage][r][col], k + kOff, ok ? 16 : 0);
            copy16(&sV[stage][r][col], v + vOff, ok ? 16 : 0);
        }
    };

    float o[D / 8][4];
#pragma unroll
    for (int n = 0; n < D / 8; ++n) o[n][0] = o[n][1] = o[n][2] = o[n][3] = 0.0f;
    float m[2] = {-INFINITY, -INFINITY}, l[2] = {0.0f, 0.0f};
    const bool masked = a.maskType != ElemType::kNone;
    const char* maskRows[2] = {nullptr, nullptr};
    if (masked) {
        const int64_t elem = a.maskType == ElemType::kF32 ? 4 : 2;
        const int64_t base = b * a.mask.stride[0] + h * a.mask.stride[1];
        for (int r = 0; r < 2; ++r)
            maskRows[r] = static_cast<const char*>(a.mask.data) +
                          (base + (in[r] ? rows[r] : 0) * a.mask.stride[2]) * elem;
    }

    const int tiles = (skv + kKeys - 1) / kKeys;
    if (tiles > 0) loadTile(0, 0);
    commitCopies();
    for (int tile = 0; tile < tiles; ++tile) {
        const int stage = tile & 1;
        if (tile + 1 < tiles) loadTile(tile + 1, stage ^ 1);
        commitCopies();  // possibly empty: keeps "all but the newest group" meaning this tile
        waitAllButNewest();
        __syncthreads();
        // A warp whose 16 rows all lie past Sq (the last query tile of a short sequence, e.g. ViT's 197)
        // only helps copy the tiles; its products would all be discarded.
        if (warpActive) {
            // Scores: s[n] is the 16 x 8 tile of keys tile * kKeys + n * 8 .. + 7. Key tiles wholly past Skv
            // (the zero-filled tail of the last tile) skip their products: their scores become -inf below and
            // their probabilities exactly 0.
            float s[kKeys / 8][4];
#pragma unroll
            for (int n = 0; n < kKeys / 8; ++n) {
                s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0.0f;
                if (tile * kKeys + n * 8 >= skv) continue;
#pragma unroll
                for (int kd = 0; kd < D / 16; ++kd) {
                    const TileIndex b0 = kFragment(lane, n, kd, 0), b1 = kFragment(lane, n, kd, 1);
                    mma16816<kBf16>(s[n], qa[kd], load32(&sK[stage][b0.row][b0.col]),
                                    load32(&sK[stage][b1.row][b1.col]));
                }
            }
            // Scale, mask, bounds; then the online softmax per row (r = 0: elements 0, 1; r = 1: 2, 3).
#pragma unroll
            for (int n = 0; n < kKeys / 8; ++n)
#pragma unroll
                for (int e = 0; e < 4; ++e) {
                    const int r = e >> 1, key = tile * kKeys + accumulatorElement(lane, n, e).col;
                    float x = s[n][e] * a.scale;
                    if (masked && in[r] && key < skv)
                        x += loadElem(a.maskType, maskRows[r], static_cast<int64_t>(key) * a.mask.stride[3]);
                    s[n][e] = key < skv ? x * kLog2e : -INFINITY;
                }
#pragma unroll
            for (int r = 0; r < 2; ++r) {
                float mx = -INFINITY;
#pragma unroll
                for (int n = 0; n < kKeys / 8; ++n) mx = fmaxf(mx, fmaxf(s[n][2 * r], s[n][2 * r + 1]));
                mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
                mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
                const float mNew = fmaxf(m[r], mx);
                const float base = mNew == -INFINITY ? 0.0f : mNew;  // an all -inf row so far: exp2(-inf) = 0
                const float alpha = exp2f(m[r] - base);
                m[r] = mNew;
                float sum = 0.0f;
#pragma unroll
                for (int n = 0; n < kKeys / 8; ++n) {
                    s[n][2 * r] = exp2f(s[n][2 * r] - base);
                    s[n][2 * r + 1] = exp2f(s[n][2 * r + 1] - base);
                    sum += s[n][2 * r] + s[n][2 * r + 1];
                }
                l[r] = l[r] * alpha + sum;
#pragma unroll
                for (int n = 0; n < D / 8; ++n) {
                    o[n][2 * r] *= alpha;
                    o[n][2 * r + 1] *= alpha;
                }
            }
            // O += P V over 16-key steps: P's A fragment is the score tiles 2j and 2j + 1 as they lie.
#pragma unroll
            for (int j = 0; j < kKeys / 16; ++j) {
                if (tile * kKeys + j * 16 >= skv) continue;  // all 16 probabilities are 0 (see the scores)
                uint32_t pa[4];
#pragma unroll
                for (int r = 0; r < 4; ++r) {
                    const float* p = s[pTile(j, r)] + pFirst(r);
                    pa[r] = pack2<kBf16>(p[0], p[1]);
                }
#pragma unroll
                for (int n = 0; n < D / 16; ++n) {
                    const TileIndex at = vRowAddress(lane, j, n);
                    uint32_t vb[4];
                    loadMatrixX4Trans(&sV[stage][at.row][at.col], vb);
                    mma16816<kBf16>(o[2 * n], pa, vb[0], vb[1]);
                    mma16816<kBf16>(o[2 * n + 1], pa, vb[2], vb[3]);
                }
            }
        }
        __syncthreads();  // every warp is done with this stage before the next tile's copies overwrite it
    }

    uint16_t* out = static_cast<uint16_t*>(a.out) + b * a.outStride[0] + h * a.outStride[1];
#pragma unroll
    for (int r = 0; r < 2; ++r) {
        l[r] += __shfl_xor_sync(0xffffffffu, l[r], 1);
        l[r] += __shfl_xor_sync(0xffffffffu, l[r], 2);
        if (!in[r]) continue;
        // m finite means some p = 1, so l >= 1 unless a NaN score made it NaN.
        const bool valid = isfinite(m[r]) && !isnan(l[r]);
        const float inv = valid ? 1.0f / l[r] : 0.0f;
        const float fill = a.zeroFullyMaskedRows ? 0.0f : __int_as_float(0x7fc00000);
        uint16_t* dst = out + static_cast<int64_t>(rows[r]) * a.outStride[2];
#pragma unroll
        for (int n = 0; n < D / 8; ++n) {
            const float lo = valid ? o[n][2 * r] * inv : fill, hi = valid ? o[n][2 * r + 1] * inv : fill;
            *reinterpret_cast<uint32_t*>(dst + accumulatorElement(lane, n, 2 * r).col) = pack2<kBf16>(lo, hi);
        }
    }
}

template <bool kBf16, int D, int kKeys>
cudaError_t launchTyped(const AttentionArgs& a, cudaStream_t stream) {
    const int64_t blocks = (a.sq + kFlashRowsPerBlock - 1) / kFlashRowsPerBlock * a.batch * a.heads;
    flashAttentionKernel<kBf16, D, kKeys><<<static_cast<unsigned>(blocks), kThreads, 0, stream>>>(a);
    return cudaGetLastError();
}

}  // namespace

cudaError_t launchAttentionFlash(const AttentionArgs& a, cudaStream_t stream) {
    if (a.batch <= 0 || a.heads <= 0 || a.sq <= 0) return cudaSuccess;
    // 64 keys per tile at D = 64, 32 at D = 128: two stages of K and V stay under 48 KiB of static shared
    // memory (36 and 34 KiB), leaving room for several blocks per SM.
    const bool bf16 = a.type == ElemType::kBF16;
    if (a.type != ElemType::kF16 && !bf16) return cudaErrorInvalidValue;
    if (a.d == 64) return bf16 ? launchTyped<true, 64, 64>(a, stream) : launchTyped<false, 64, 64>(a, stream);
    if (a.d == 128)
        return bf16 ? launchTyped<true, 128, 32>(a, stream) : launchTyped<false, 128, 32>(a, stream);
    return cudaErrorInvalidValue;
}

}  // namespace kiln::cuda::attn
