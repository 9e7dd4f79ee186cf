// CPU tests of the host side of the Attention CUDA kernels (kernels/attention/): the strides attentionArgs
// derives from each layout and mask shape, STRIDED views (the offset moves the operand's address, the
// strides pass through, a view past its input is refused), the kernel attentionPaths picks (flash for
// aligned float16 / bfloat16 at head dims 64 and 128, packed views at offsets that keep rows on 16 bytes;
// rows for float32, other head dims, keys stored transposed, shifted buffers and offsets, scattered head
// dims; neither past head dim 256), and a replay of one warp of attention_flash.cu on the CPU: the
// lanes' fragments are gathered with the kernel's own index functions (attention_fragments.h), multiplied
// as mma.sync m16n8k16 and ldmatrix.x4.trans define them (the PTX ISA's fragment layouts, written out
// here), and must give Q K^T and P V exactly (small integers). tests/gpu/cuda_attention_test.cc runs the
// kernels themselves.
#include <gtest/gtest.h>

#if KILN_HAS_CUDA

#include <array>
#include <vector>

#include "backends/cuda/kernels/attention/attention_args.h"
#include "backends/cuda/kernels/attention/attention_fragments.h"

namespace kiln {
namespace {

using cuda::attn::AttentionArgs;
using cuda::attn::attentionArgs;
using cuda::attn::AttentionPaths;
using cuda::attn::attentionPaths;
using cuda::attn::TileIndex;
using ir::AttentionLayout;

/// cudaMalloc's alignment, shifted by a test where it wants a misaligned operand.
constexpr uintptr_t kAligned = 0x10000;

TensorRef ref(DataType t, Dims shape, uintptr_t address) {
    return TensorRef{t, shape, reinterpret_cast<void*>(address)};
}

AttentionArgs args(const ir::AttentionAttrs& a, DataType t, Dims q, Dims k, Dims v, Dims out,
                   uintptr_t shift = 0, Dims mask = Dims{-1, {}}) {
    std::vector<TensorRef> in = {ref(t, q, kAligned + shift), ref(t, k, 2 * kAligned + shift),
                                 ref(t, v, 3 * kAligned + shift)};
    if (mask.nbDims >= 0) in.push_back(ref(t, mask, 4 * kAligned));
    auto r = attentionArgs(a, in, ref(t, out, 5 * kAligned + shift));
    EXPECT_TRUE(r.isOk()) << r.status().message();
    return r.isOk() ? r.value() : AttentionArgs{};
}

void expectStrides(const int64_t (&got)[4], std::array<int64_t, 4> want, const char* what) {
    for (size_t i = 0; i < 4; ++i) EXPECT_EQ(got[i], want[i]) << what << " axis " << i;
}

TEST(CudaAttentionArgs, StridesFollowTheLayouts) {
    ir::AttentionAttrs a;
    a.qLayout = AttentionLayout::kBSHD;  // q [2, 5, 3, 64]
    a.kLayout = AttentionLayout::kBHDS;  // k [2, 3, 64, 7]
    a.vLayout = AttentionLayout::kSBHD;  // v [7, 2, 3, 32]
    a.outLayout = AttentionLayout::kBHSD;
    const AttentionArgs r = args(a, DataType::kHALF, makeDims({2, 5, 3, 64}), makeDims({2, 3, 64, 7}),
                                 makeDims({7, 2, 3, 32}), makeDims({2, 3, 5, 32}), 0, makeDims({2, 1, 1, 7}));
    EXPECT_EQ(r.batch, 2);
    EXPECT_EQ(r.heads, 3);
    EXPECT_EQ(r.sq, 5);
    EXPECT_EQ(r.skv, 7);
    EXPECT_EQ(r.d, 64);
    EXPECT_EQ(r.dv, 32);
    expectStrides(r.q.stride, {5 * 3 * 64, 64, 3 * 64, 1}, "q BSHD");
    expectStrides(r.k.stride, {3 * 64 * 7, 64 * 7, 1, 7}, "k BHDS");
    expectStrides(r.v.stride, {3 * 32, 32, 2 * 3 * 32, 1}, "v SBHD");
    expectStrides(r.outStride, {3 * 5 * 32, 5 * 32, 32, 1}, "out BHSD");
    expectStrides(r.mask.stride, {7, 0, 0, 1}, "mask [B,1,1,Skv]");
    EXPECT_EQ(r.maskType, cuda::attn::ElemType::kF16);
}

TEST(CudaAttentionArgs, MaskBroadcastStrides) {
    ir::AttentionAttrs a;
    const Dims q = makeDims({2, 3, 5, 8}), k = makeDims({2, 3, 7, 8});
    const std::pair<Dims, std::array<int64_t, 4>> cases[] = {
        {makeDims({7}), {0, 0, 0, 1}},          {makeDims({5, 7}), {0, 0, 7, 1}},
        {makeDims({1, 3, 1, 1}), {0, 1, 0, 0}}, {makeDims({2, 3, 5, 7}), {105, 35, 7, 1}},
        {makeDims({3, 5, 1}), {0, 5, 1, 0}},    {makeDims({1, 1, 5, 7}), {0, 0, 7, 1}}};
    for (const auto& [mask, want] : cases) {
        const AttentionArgs r = args(a, DataType::kFLOAT, q, k, k, q, 0, mask);
        expectStrides(r.mask.stride, want, toString(mask).c_str());
    }
}

TEST(CudaAttentionArgs, KernelChoice) {
    ir::AttentionAttrs a;
    a.qLayout = a.kLayout = a.vLayout = a.outLayout = AttentionLayout::kBSHD;
    auto paths = [&](DataType t, int64_t d, int64_t dv, uintptr_t shift = 0) {
        return attentionPaths(args(a, t, makeDims({2, 128, 12, d}), makeDims({2, 128, 12, d}),
                                   makeDims({2, 128, 12, dv}), makeDims({2, 128, 12, dv}), shift));
    };
    for (DataType t : {DataType::kHALF, DataType::kBF16})
        for (int64_t d : {64, 128}) {
            EXPECT_TRUE(paths(t, d, d).flash) << dataTypeName(t) << " D=" << d;
            EXPECT_TRUE(paths(t, d, d).rows);
            EXPECT_FALSE(paths(t, d, d, 2).flash) << "shifted by one element";
            EXPECT_TRUE(paths(t, d, d, 2).rows);
        }
    EXPECT_FALSE(paths(DataType::kFLOAT, 64, 64).flash);
    EXPECT_NE(std::string(paths(DataType::kFLOAT, 64, 64).why).find("float16 and bfloat16"),
              std::string::npos);
    EXPECT_FALSE(paths(DataType::kHALF, 40, 40).flash);
    EXPECT_FALSE(paths(DataType::kHALF, 64, 128).flash);
    EXPECT_TRUE(paths(DataType::kHALF, 64, 128).rows);
    EXPECT_TRUE(paths(DataType::kFLOAT, 256, 256).rows);
    EXPECT_FALSE(paths(DataType::kFLOAT, 257, 64).rows);
    // Keys stored transposed have no contiguous head dim.
    a.kLayout = AttentionLayout::kBHDS;
    const AttentionPaths transposed =
        attentionPaths(args(a, DataType::kHALF, makeDims({2, 128, 12, 64}), makeDims({2, 12, 64, 128}),
                            makeDims({2, 128, 12, 64}), makeDims({2, 128, 12, 64})));
    EXPECT_FALSE(transposed.flash);
    EXPECT_TRUE(transposed.rows);
    EXPECT_NE(std::string(transposed.why).find("contiguous head dims"), std::string::npos);
}

TEST(CudaAttentionArgs, StridedViewsOfAPackedProjection) {
    // ViT's packed in_proj output [S, B, 3E] = [197, 2, 2304] (H 12, D 64) fed three times.
    const int64_t s = 197, b = 2, h = 12, d = 64, e = h * d;
    const Dims packed = makeDims({s, b, 3 * e});
    auto view = [&](int64_t offset) {
        return std::vector<int64_t>{offset, b, h, s, d, 3 * e, d, b * 3 * e, 1};
    };
    ir::AttentionAttrs a;
    a.qLayout = a.kLayout = a.vLayout = AttentionLayout::kSTRIDED;
    a.outLayout = AttentionLayout::kBSHD;
    auto run = [&](uintptr_t base, const Dims& in) {
        const std::vector<TensorRef> refs = {ref(DataType::kHALF, in, base), ref(DataType::kHALF, in, base),
                                             ref(DataType::kHALF, in, base)};
        return attentionArgs(a, refs, ref(DataType::kHALF, makeDims({b, s, h, d}), 5 * kAligned));
    };
    a.qView = view(0);
    a.kView = view(e);
    a.vView = view(2 * e);
    auto r = run(kAligned, packed);
    ASSERT_TRUE(r.isOk()) << r.status().message();
    const AttentionArgs& x = r.value();
    EXPECT_EQ(x.q.data, reinterpret_cast<const void*>(kAligned));
    EXPECT_EQ(x.k.data, reinterpret_cast<const void*>(kAligned + 2 * e));  // float16: 2 bytes an element
    EXPECT_EQ(x.v.data, reinterpret_cast<const void*>(kAligned + 4 * e));
    for (const auto* o : {&x.q, &x.k, &x.v})
        expectStrides(o->stride, {3 * e, d, b * 3 * e, 1}, "packed view");
    EXPECT_EQ(x.batch, b);
    EXPECT_EQ(x.heads, h);
    EXPECT_EQ(x.sq, s);
    EXPECT_EQ(x.skv, s);
    EXPECT_TRUE(attentionPaths(x).flash);
    // An offset of one element more puts k's rows off 16 bytes: only the rows kernel.
    a.kView = view(e + 1);
    a.vView = view(2 * e - 8);
    r = run(kAligned, packed);
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_FALSE(attentionPaths(r.value()).flash);
    EXPECT_TRUE(attentionPaths(r.value()).rows);
    // A scattered head dim (heads adjacent, head dim stride 12, inside q's third): only the rows kernel.
    a.vView = view(2 * e);
    a.kView = std::vector<int64_t>{0, b, h, s, d, 3 * e, 1, b * 3 * e, 12};
    r = run(kAligned, packed);
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_FALSE(attentionPaths(r.value()).flash);
    EXPECT_NE(std::string(attentionPaths(r.value()).why).find("contiguous head dims"), std::string::npos);
    // A view past its input (v one element too far) is refused before any launch could read past it.
    a.kView = view(e);
    a.vView = view(2 * e + 1);
    r = run(kAligned, packed);
    ASSERT_FALSE(r.isOk());
    EXPECT_NE(r.status().message().find("must lie inside its input"), std::string::npos)
        << r.status().message();
}

// ---- one warp of attention_flash.cu, replayed ----------------------------------------------------------

/// The PTX ISA's fragment layouts for mma.m16n8k16 with 16-bit inputs (groupID = lane / 4,
/// threadID_in_group = lane % 4): half i (0..7) of A, half i (0..3) of B, float i (0..3) of C.
TileIndex hardwareA(int lane, int i) {
    return {lane / 4 + ((i >> 1) & 1) * 8, 2 * (lane % 4) + (i & 1) + (i >> 2) * 8};
}
TileIndex hardwareB(int lane, int i) {  // row = k, col = n
    return {2 * (lane % 4) + (i & 1) + (i >> 1) * 8, lane / 4};
}
TileIndex hardwareC(int lane, int i) {
    return {lane / 4 + (i >> 1) * 8, 2 * (lane % 4) + (i & 1)};
}

/// One warp's registers: two 16-bit values per 32-bit register, here as a pair of ints (low, high).
using Reg = std::array<int, 2>;

/// D = A x B + C as mma.sync.m16n8k16.row.col computes it from the 32 lanes' registers.
void mma(const std::array<std::array<Reg, 4>, 32>& a, const std::array<std::array<Reg, 2>, 32>& b,
         std::array<std::array<int, 4>, 32>& c) {
    int am[16][16] = {}, bm[16][8] = {};
    for (int lane = 0; lane < 32; ++lane) {
        for (int i = 0; i < 8; ++i) {
            const TileIndex x = hardwareA(lane, i);
            am[x.row][x.col] =
                a[static_cast<size_t>(lane)][static_cast<size_t>(i / 2)][static_cast<size_t>(i % 2)];
        }
        for (int i = 0; i < 4; ++i) {
            const TileIndex x = hardwareB(lane, i);
            bm[x.row][x.col] =
                b[static_cast<size_t>(lane)][static_cast<size_t>(i / 2)][static_cast<size_t>(i % 2)];
        }
    }
    for (int lane = 0; lane < 32; ++lane)
        for (int i = 0; i < 4; ++i) {
            const TileIndex x = hardwareC(lane, i);
            for (int k = 0; k < 16; ++k)
                c[static_cast<size_t>(lane)][static_cast<size_t>(i)] += am[x.row][k] * bm[k][x.col];
        }
}

/// ldmatrix.sync.aligned.m8n8.x4.trans.b16: lanes 8m..8m+7 address the rows of matrix m; register m of a
/// lane receives the transposed matrix's row lane / 4, columns 2 (lane % 4) and + 1, i.e. elements
/// (2 (lane % 4), lane / 4) and (2 (lane % 4) + 1, lane / 4) of matrix m.
std::array<std::array<Reg, 4>, 32> ldmatrixX4Trans(const std::vector<std::vector<int>>& tile,
                                                   const std::array<TileIndex, 32>& rowAddress) {
    std::array<std::array<Reg, 4>, 32> r{};
    for (int lane = 0; lane < 32; ++lane)
        for (int m = 0; m < 4; ++m)
            for (int h = 0; h < 2; ++h) {
                const TileIndex row = rowAddress[static_cast<size_t>(8 * m + 2 * (lane % 4) + h)];
                r[static_cast<size_t>(lane)][static_cast<size_t>(m)][static_cast<size_t>(h)] =
                    tile[static_cast<size_t>(row.row)][static_cast<size_t>(row.col + lane / 4)];
            }
    return r;
}

TEST(CudaAttentionFragments, OneWarpComputesQKTransposedAndPV) {
    constexpr int D = 32, kKeys = 32;
    std::vector<std::vector<int>> q(16, std::vector<int>(D)), k(kKeys, std::vector<int>(D)),
        v(kKeys, std::vector<int>(D)), p(16, std::vector<int>(kKeys));
    for (int i = 0; i < 16; ++i)
        for (int e = 0; e < D; ++e)
            q[static_cast<size_t>(i)][static_cast<size_t>(e)] = (i * 7 + e * 3) % 5 - 2;
    for (int j = 0; j < kKeys; ++j)
        for (int e = 0; e < D; ++e) {
            k[static_cast<size_t>(j)][static_cast<size_t>(e)] = (j * 5 + e * 11) % 7 - 3;
            v[static_cast<size_t>(j)][static_cast<size_t>(e)] = (j * 3 + e * 13) % 9 - 4;
        }
    // S = Q K^T, n-tile by n-tile, k-step by k-step, from the kernel's fragment choices.
    std::array<std::array<std::array<int, 4>, 32>, kKeys / 8> s{};
    for (int n = 0; n < kKeys / 8; ++n)
        for (int kd = 0; kd < D / 16; ++kd) {
            std::array<std::array<Reg, 4>, 32> a{};
            std::array<std::array<Reg, 2>, 32> b{};
            for (int lane = 0; lane < 32; ++lane) {
                for (int r = 0; r < 4; ++r) {
                    const TileIndex at = cuda::attn::qFragment(lane, kd, r);
                    a[static_cast<size_t>(lane)][static_cast<size_t>(r)] = {
                        q[static_cast<size_t>(at.row)][static_cast<size_t>(at.col)],
                        q[static_cast<size_t>(at.row)][static_cast<size_t>(at.col + 1)]};
                }
                for (int j = 0; j < 2; ++j) {
                    const TileIndex at = cuda::attn::kFragment(lane, n, kd, j);
                    b[static_cast<size_t>(lane)][static_cast<size_t>(j)] = {
                        k[static_cast<size_t>(at.row)][static_cast<size_t>(at.col)],
                        k[static_cast<size_t>(at.row)][static_cast<size_t>(at.col + 1)]};
                }
            }
            mma(a, b, s[static_cast<size_t>(n)]);
        }
    for (int n = 0; n < kKeys / 8; ++n)
        for (int lane = 0; lane < 32; ++lane)
            for (int e = 0; e < 4; ++e) {
                const TileIndex at = cuda::attn::accumulatorElement(lane, n, e);
                int want = 0;
                for (int d = 0; d < D; ++d)
                    want += q[static_cast<size_t>(at.row)][static_cast<size_t>(d)] *
                            k[static_cast<size_t>(at.col)][static_cast<size_t>(d)];
                ASSERT_EQ(s[static_cast<size_t>(n)][static_cast<size_t>(lane)][static_cast<size_t>(e)], want)
                    << "score tile " << n << " lane " << lane << " element " << e;
                // Use the scores as P (as the kernel does after the softmax), remembering where they are.
                p[static_cast<size_t>(at.row)][static_cast<size_t>(at.col)] = want % 11;
                s[static_cast<size_t>(n)][static_cast<size_t>(lane)][static_cast<size_t>(e)] = want % 11;
            }
    // O = P V from the score registers as they lie and V through ldmatrix.trans.
    std::array<std::array<std::array<int, 4>, 32>, D / 8> o{};
    for (int j = 0; j < kKeys / 16; ++j) {
        std::array<std::array<Reg, 4>, 32> a{};
        for (int lane = 0; lane < 32; ++lane)
            for (int r = 0; r < 4; ++r) {
                const auto& tile = s[static_cast<size_t>(cuda::attn::pTile(j, r))][static_cast<size_t>(lane)];
                const int first = cuda::attn::pFirst(r);
                a[static_cast<size_t>(lane)][static_cast<size_t>(r)] = {tile[static_cast<size_t>(first)],
                                                                        tile[static_cast<size_t>(first + 1)]};
            }
        for (int n = 0; n < D / 16; ++n) {
            std::array<TileIndex, 32> rows{};
            for (int lane = 0; lane < 32; ++lane)
                rows[static_cast<size_t>(lane)] = cuda::attn::vRowAddress(lane, j, n);
            const auto vb = ldmatrixX4Trans(v, rows);
            std::array<std::array<Reg, 2>, 32> b0{}, b1{};
            for (int lane = 0; lane < 32; ++lane) {
                b0[static_cast<size_t>(lane)] = {vb[static_cast<size_t>(lane)][0],
                                                 vb[static_cast<size_t>(lane)][1]};
                b1[static_cast<size_t>(lane)] = {vb[static_cast<size_t>(lane)][2],
                                                 vb[static_cast<size_t>(lane)][3]};
            }
            mma(a, b0, o[static_cast<size_t>(2 * n)]);
            mma(a, b1, o[static_cast<size_t>(2 * n + 1)]);
        }
    }
    for (int n = 0; n < D / 8; ++n)
        for (int lane = 0; lane < 32; ++lane)
            for (int e = 0; e < 4; ++e) {
                const TileIndex at = cuda::attn::accumulatorElement(lane, n, e);
                int want = 0;
                for (int j = 0; j < kKeys; ++j)
                    want += p[static_cast<size_t>(at.row)][static_cast<size_t>(j)] *
                            v[static_cast<size_t>(j)][static_cast<size_t>(at.col)];
                ASSERT_EQ(o[static_cast<size_t>(n)][static_cast<size_t>(lane)][static_cast<size_t>(e)], want)
                    << "output tile " << n << " lane " << lane << " element " << e;
            }
}

}  // namespace
}  // namespace kiln

#else

TEST(CudaAttentionArgs, NotCompiled) {
    GTEST_SKIP() << "Kiln was built without CUDA";
}

#endif  // KILN_HAS_CUDA
