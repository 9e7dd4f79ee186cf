// CPU tests of the Resize fast path's host side and per-thread arithmetic (resize_plan.h,
// resize_trailing.h): which cases planTrailingResize takes and the reason it gives for the others, its
// launch geometry (vector width, aligned stores, block and grid shape), and a replay of every thread of
// the planned grid on the host with the kernel's own tap, row-walk and blend functions, compared with the
// reference kernel. Nearest runs on an int64 tensor of its own offsets, so the replay must pick exactly
// the reference's source element; linear and cubic run on float32 within the float32 rounding of the
// blend; every output element must be written exactly once, also when the grid is cut short so that
// threads walk several rows across planes. tests/gpu/cuda_resize_test.cc runs the kernels themselves.
#include <gtest/gtest.h>

#if KILN_HAS_CUDA

#include <cmath>
#include <string>
#include <vector>

#include "backends/cuda/kernel_context.h"
#include "backends/cuda/kernels/resize/resize_plan.h"
#include "backends/cuda/kernels/resize/resize_trailing.h"
#include "support/index_replay.h"
#include "support/single_op.h"

namespace kiln {
namespace {

namespace rk = cuda::rk;
using CT = ResizeCoordinateTransformation;
using IM = InterpolationMode;
using testing::iota;
using testing::runRef;

/// cudaMalloc's alignment, for the planner's address checks.
constexpr uintptr_t kAligned = 0x10000;

ir::ResizeAttrs resizeAttrs(IM mode, CT ct, const Dims& out) {
    ir::ResizeAttrs a;
    a.mode = mode;
    a.coordinateTransformation = ct;
    a.outputDims = out;
    return a;
}

/// The kernel parameters for x resized by `a` (extra inputs: dims, scales, roi), with the output shape
/// inference gives.
rk::ResizeParams paramsFor(const ir::ResizeAttrs& a, const std::vector<HostTensor>& inputs, const Dims& out) {
    std::vector<TensorRef> refs;
    for (const HostTensor& h : inputs) refs.push_back(h.ref());
    auto p = cuda::makeResizeParams(a, refs, TensorRef{inputs[0].type, out, nullptr});
    EXPECT_TRUE(p.isOk()) << p.status().message();
    return p.isOk() ? *p : rk::ResizeParams{};
}

/// Output element -> value, and how many threads wrote it.
struct Replay {
    std::vector<double> value;
    std::vector<int> writes;
};

/// Calls f(c0, walk) for every thread that owns columns (c0 < outW) and every row it visits, as the
/// kernels walk the grid.
template <class F>
void forEachThreadRow(const rk::TrailingResize& g, F&& f) {
    const int32_t step = static_cast<int32_t>(g.gridY * g.blockY);
    for (uint32_t by = 0; by < g.gridY; ++by)
        for (uint32_t bx = 0; bx < g.gridX; ++bx)
            for (uint32_t ty = 0; ty < g.blockY; ++ty)
                for (uint32_t tx = 0; tx < g.blockX; ++tx) {
                    const int32_t c0 = static_cast<int32_t>(bx * g.blockX + tx) * g.vector;
                    if (c0 >= g.outW) continue;
                    for (rk::RowWalk r = rk::firstRow(g, by * g.blockY + ty); r.plane < g.planes;
                         rk::nextRow(r, step / g.outH, step % g.outH, g.outH))
                        f(c0, r);
                }
}

void record(Replay& out, const rk::TrailingResize& g, const rk::RowWalk& r, int32_t c0, int32_t v,
            double value) {
    if (c0 + v >= g.outW) return;
    const int64_t e = (r.plane * g.outH + r.h) * g.outW + c0 + v;
    out.value[static_cast<size_t>(e)] = value;
    ++out.writes[static_cast<size_t>(e)];
}

/// Nearest, replayed on an int64 tensor: the kernel's column and row sources, the fill (the extrapolation
/// value as the kernel gets it, in the element type) where extrapolated.
Replay replayNearest(const rk::ResizeParams& p, const rk::TrailingResize& g, const HostTensor& x) {
    const double fill = static_cast<double>(static_cast<int64_t>(p.extrapolationBits));
    Replay out{std::vector<double>(static_cast<size_t>(g.planes * g.outH * g.outW)),
               std::vector<int>(static_cast<size_t>(g.planes * g.outH * g.outW))};
    const auto* src = reinterpret_cast<const int64_t*>(x.bytes.data());
    forEachThreadRow(g, [&](int32_t c0, const rk::RowWalk& r) {
        const int64_t ih = rk::nearestSource(p, g.h, r.h);
        for (int32_t v = 0; v < g.vector; ++v) {
            const int64_t iw = rk::nearestSource(p, g.w, std::min(c0 + v, g.outW - 1));
            const double value =
                ih < 0 || iw < 0 ? fill : static_cast<double>(src[r.plane * g.inH * g.inW + ih * g.inW + iw]);
            record(out, g, r, c0, v, value);
        }
    });
    return out;
}

/// Linear or cubic, replayed on float32 with the kernel's taps and blend (K taps, V columns a thread).
template <int K, int V>
Replay replayFilter(const rk::ResizeParams& p, const rk::TrailingResize& g, const HostTensor& x) {
    Replay out{std::vector<double>(static_cast<size_t>(g.planes * g.outH * g.outW)),
               std::vector<int>(static_cast<size_t>(g.planes * g.outH * g.outW))};
    const auto* src = reinterpret_cast<const float*>(x.bytes.data());
    forEachThreadRow(g, [&](int32_t c0, const rk::RowWalk& r) {
        rk::TapSet<K> col[V];
        for (int v = 0; v < V; ++v) col[v] = rk::trailingTaps<K>(p, g.w, std::min(c0 + v, g.outW - 1));
        const rk::TapSet<K> row = rk::trailingTaps<K>(p, g.h, r.h);
        float acc[V];
        rk::blendRow<float, K, V>(src + r.plane * g.inH * g.inW, g.inW, row, col, acc);
        for (int v = 0; v < V; ++v)
            record(out, g, r, c0, v,
                   row.extrapolated || col[v].extrapolated ? static_cast<double>(p.extrapolation) : acc[v]);
    });
    return out;
}

Replay replay(const rk::ResizeParams& p, const rk::TrailingResize& g, const HostTensor& x) {
    const int k = rk::trailingTapCount(p.mode);
    if (k == 2 && g.vector == 4) return replayFilter<2, 4>(p, g, x);
    if (k == 2 && g.vector == 8) return replayFilter<2, 8>(p, g, x);
    if (k == 4 && g.vector == 4) return replayFilter<4, 4>(p, g, x);
    if (k == 4 && g.vector == 8) return replayFilter<4, 8>(p, g, x);
    ADD_FAILURE() << "no replay for " << k << " taps x " << g.vector << " columns";
    return {};
}

/// The blend rounds each weight to float32 and sums at most 4 x 4 products and 4 row sums with fused
/// multiply-adds: within 32 float32 roundings of sum |w_h w_w x| <= 2.25 max|x| (cubic, |A| <= 0.75).
double filterTolerance(double maxAbs) {
    return 32.0 * std::ldexp(1.0, -24) * 2.25 * maxAbs;
}

/// Does `got` match the reference's `want`: exactly for nearest, else within `tol`, with infinities
/// matching exactly and NaN matching NaN.
bool same(bool nearest, double got, double want, double tol) {
    if (nearest) return got == want;
    if (std::isnan(got) || std::isnan(want)) return std::isnan(got) && std::isnan(want);
    if (std::isinf(got) || std::isinf(want)) return got == want;
    return std::fabs(got - want) <= tol;
}

/// Plans the fast path for `a` on `inputs` (which it must take), replays it with the planned grid and
/// with grids of fewer block rows (threads then walk several rows, across planes: the kernels take any
/// block and grid height), and compares each with the reference.
void expectReplayMatches(const ir::ResizeAttrs& a, const std::vector<HostTensor>& inputs, int64_t elementSize,
                         const std::string& what) {
    const HostTensor want = runRef(a, inputs);
    if (::testing::Test::HasFailure()) return;  // runRef reported it
    const rk::ResizeParams p = paramsFor(a, inputs, want.shape);
    cuda::TrailingPlan plan = cuda::planTrailingResize(p, elementSize, kAligned);
    ASSERT_TRUE(plan.refusal.empty()) << what << ": " << plan.refusal;
    const bool nearest = a.mode == IM::kNEAREST;
    double maxAbs = std::fabs(static_cast<double>(a.extrapolationValue));
    for (int64_t i = 0; !nearest && i < inputs[0].numel(); ++i)
        if (std::isfinite(inputs[0].at(i))) maxAbs = std::max(maxAbs, std::fabs(inputs[0].at(i)));
    const std::pair<uint32_t, uint32_t> heights[] = {
        {plan.geometry.blockY, plan.geometry.gridY}, {1, 2}, {3, 1}};
    for (const auto& [blockY, gridY] : heights) {
        rk::TrailingResize g = plan.geometry;
        g.blockY = blockY;
        g.gridY = gridY;
        const std::string grid =
            what + " (block rows " + std::to_string(blockY) + ", grid rows " + std::to_string(gridY) + ")";
        const Replay got = nearest ? replayNearest(p, g, inputs[0]) : replay(p, g, inputs[0]);
        ASSERT_EQ(static_cast<int64_t>(got.value.size()), want.numel()) << grid;
        int bad = 0;
        for (int64_t i = 0; i < want.numel(); ++i) {
            const size_t k = static_cast<size_t>(i);
            if (got.writes[k] == 1 && same(nearest, got.value[k], want.at(i), filterTolerance(maxAbs)))
                continue;
            if (++bad <= 3)
                ADD_FAILURE() << grid << ": element " << i << " written " << got.writes[k] << " times, got "
                              << got.value[k] << ", want " << want.at(i);
        }
        EXPECT_EQ(bad, 0) << grid;
    }
}

std::string describe(const ir::ResizeAttrs& a, const Dims& in, int64_t elementSize) {
    return "Resize mode " + std::to_string(static_cast<int>(a.mode)) + " transform " +
           std::to_string(static_cast<int>(a.coordinateTransformation)) + " rounding " +
           std::to_string(static_cast<int>(a.nearestRounding)) + " exclude " +
           std::to_string(a.excludeOutside) + " A " + std::to_string(a.cubicCoeff) + " " + toString(in) +
           " -> " + toString(a.outputDims) + ", " + std::to_string(elementSize) + "-byte elements";
}

const CT kTransforms[] = {CT::kALIGN_CORNERS, CT::kASYMMETRIC, CT::kHALF_PIXEL, CT::kPYTORCH_HALF_PIXEL,
                          CT::kHALF_PIXEL_SYMMETRIC};

/// Up and down, odd and 1-pixel extents, ranks 1 to 5, widths that are and are not whole vectors.
std::vector<std::pair<Dims, Dims>> trailingShapes() {
    return {{makeDims({2, 3, 5, 7}), makeDims({2, 3, 11, 4})},
            {makeDims({2, 3, 5, 7}), makeDims({2, 3, 1, 13})},
            {makeDims({1, 2, 1, 1}), makeDims({1, 2, 3, 5})},
            {makeDims({2, 2, 9, 9}), makeDims({2, 2, 4, 29})},
            {makeDims({1, 3, 4, 8}), makeDims({1, 3, 8, 16})},
            {makeDims({3, 6, 10}), makeDims({3, 13, 10})},
            {makeDims({7}), makeDims({19})},
            {makeDims({4, 6}), makeDims({9, 3})},
            {makeDims({1, 2, 2, 5, 7}), makeDims({1, 2, 2, 8, 9})}};
}

TEST(CudaResizePlan, NearestReplayPicksTheReferenceSourceEverywhere) {
    const ResizeRoundMode roundings[] = {ResizeRoundMode::kHALF_UP, ResizeRoundMode::kHALF_DOWN,
                                         ResizeRoundMode::kFLOOR, ResizeRoundMode::kCEIL};
    for (const auto& [in, out] : trailingShapes())
        for (CT ct : kTransforms)
            for (ResizeRoundMode r : roundings)
                for (int64_t size : {1, 2, 8}) {
                    ir::ResizeAttrs a = resizeAttrs(IM::kNEAREST, ct, out);
                    a.nearestRounding = r;
                    expectReplayMatches(a, {iota(in)}, size, describe(a, in, size));
                    a.selectorForSinglePixel = ResizeSelector::kUPPER;
                    expectReplayMatches(a, {iota(in)}, size, describe(a, in, size) + " selector upper");
                }
}

TEST(CudaResizePlan, FilterReplayMatchesTheReference) {
    uint64_t seed = 40;
    for (IM mode : {IM::kLINEAR, IM::kCUBIC})
        for (const auto& [in, out] : trailingShapes())
            for (CT ct : kTransforms)
                for (int64_t size : {2, 4}) {
                    const HostTensor x = HostTensor::random(DataType::kFLOAT, in, ++seed, -3.0, 3.0);
                    ir::ResizeAttrs a = resizeAttrs(mode, ct, out);
                    expectReplayMatches(a, {x}, size, describe(a, in, size));
                    a.excludeOutside = true;
                    a.cubicCoeff = -0.5f;
                    expectReplayMatches(a, {x}, size, describe(a, in, size));
                    a.excludeOutside = false;
                    a.selectorForSinglePixel = ResizeSelector::kUPPER;
                    expectReplayMatches(a, {x}, size, describe(a, in, size) + " selector upper");
                }
}

TEST(CudaResizePlan, ReplayCoversTfCropAndResizeScalesAndUpsamplingAntialias) {
    const HostTensor x = HostTensor::random(DataType::kFLOAT, makeDims({1, 2, 9, 8}), 3, -3.0, 3.0);
    for (IM mode : {IM::kNEAREST, IM::kLINEAR, IM::kCUBIC}) {
        // A region of interest reaching outside the input on the last two axes: extrapolated rows and
        // columns; the leading axes keep the whole range and so stay identity.
        ir::ResizeAttrs a = resizeAttrs(mode, CT::kTF_CROP_AND_RESIZE, makeDims({1, 2, 5, 6}));
        a.extrapolationValue = 10.5f;
        a.roi = {0.0f, 0.0f, -0.2f, 0.1f, 1.0f, 1.0f, 1.3f, 0.8f};
        const HostTensor in = mode == IM::kNEAREST ? iota(x.shape) : x;
        expectReplayMatches(a, {in}, 4, describe(a, x.shape, 4) + " roi");
        // Scales given (attribute, then input 2 on the host): the given scale steers the mapping.
        ir::ResizeAttrs s = resizeAttrs(mode, CT::kALIGN_CORNERS, Dims{});
        s.scales = {1.0f, 1.0f, 1.7f, 0.6f};
        expectReplayMatches(s, {in}, 2, describe(s, x.shape, 2) + " scales attribute");
        s.scales.clear();
        s.coordinateTransformation = CT::kHALF_PIXEL_SYMMETRIC;
        const HostTensor scales = HostTensor::fromVector(DataType::kFLOAT, makeDims({4}),
                                                         std::vector<float>{1.0f, 1.0f, 2.5f, 0.45f});
        expectReplayMatches(s, {in, HostTensor::absent(), scales}, 4,
                            describe(s, x.shape, 4) + " scales input");
        // Antialias only stretches the filter when downsampling: upsampling keeps the fast path.
        if (mode == IM::kNEAREST) continue;  // antialias is for filters only
        ir::ResizeAttrs up = resizeAttrs(mode, CT::kHALF_PIXEL, makeDims({1, 2, 13, 17}));
        up.antialias = true;
        expectReplayMatches(up, {in}, 4, describe(up, x.shape, 4) + " antialias upsampling");
    }
}

TEST(CudaResizePlan, FilterReplaySkipsZeroWeightTapsNextToInfinities) {
    // align_corners 2x - 1 lands every other output on an input point, where the neighbour's weight is
    // 0: an infinity there must not become NaN (0 * inf); between +inf and -inf the result is NaN.
    HostTensor x = HostTensor::random(DataType::kFLOAT, makeDims({1, 2, 6, 9}), 5, -3.0, 3.0);
    x.set(4, INFINITY);
    x.set(5, -INFINITY);
    x.set(9 * 6 + 20, INFINITY);
    for (IM mode : {IM::kLINEAR, IM::kCUBIC}) {
        const ir::ResizeAttrs a = resizeAttrs(mode, CT::kALIGN_CORNERS, makeDims({1, 2, 11, 17}));
        expectReplayMatches(a, {x}, 4, describe(a, x.shape, 4) + " with infinities");
    }
}

TEST(CudaResizePlan, GeometryOfTheFcnShapeAndVectorStores) {
    ir::ResizeAttrs a = resizeAttrs(IM::kLINEAR, CT::kHALF_PIXEL, makeDims({64, 21, 512, 512}));
    const TensorRef in{DataType::kHALF, makeDims({64, 21, 64, 64}), nullptr};
    auto p = cuda::makeResizeParams(a, std::vector<TensorRef>{in},
                                    TensorRef{DataType::kHALF, a.outputDims, nullptr});
    ASSERT_TRUE(p.isOk()) << p.status().message();
    const cuda::TrailingPlan plan = cuda::planTrailingResize(*p, 2, kAligned);
    ASSERT_TRUE(plan.refusal.empty()) << plan.refusal;
    const rk::TrailingResize& g = plan.geometry;
    EXPECT_EQ(g.planes, 64 * 21);
    EXPECT_EQ(g.vector, 8);  // 16 bytes of float16
    EXPECT_TRUE(g.vectorStores);
    EXPECT_EQ(g.blockX, 64u);  // 512 / 8 column chunks
    EXPECT_EQ(g.blockY, 4u);
    EXPECT_EQ(g.gridX, 1u);
    EXPECT_EQ(g.gridY, static_cast<uint32_t>(cuda::kTrailingTargetBlocks));  // capped: threads walk 42 rows
    // One element off cudaMalloc's alignment, or rows that are not whole vectors: element stores.
    EXPECT_FALSE(cuda::planTrailingResize(*p, 2, kAligned + 2).geometry.vectorStores);
    EXPECT_TRUE(cuda::planTrailingResize(*p, 2, kAligned + 16).geometry.vectorStores);
    rk::ResizeParams odd = *p;
    odd.axis[3].out = 509;
    EXPECT_FALSE(cuda::planTrailingResize(odd, 2, kAligned).geometry.vectorStores);
    // Nearest moves 16 bytes a thread for every element size; filters at most 8 elements.
    EXPECT_EQ(rk::trailingVector(1, false), 16);
    EXPECT_EQ(rk::trailingVector(8, false), 2);
    EXPECT_EQ(rk::trailingVector(1, true), 8);
    EXPECT_EQ(rk::trailingVector(4, true), 4);
    // Narrow rows: blocks span several rows, never more than 256 threads.
    odd.axis[3].out = 13;
    const rk::TrailingResize narrow = cuda::planTrailingResize(odd, 2, kAligned).geometry;
    EXPECT_EQ(narrow.blockX, 2u);
    EXPECT_EQ(narrow.blockY, 128u);
    odd.axis[3].out = 8 * 300;  // 300 chunks: two block columns of 256 and 44
    const rk::TrailingResize wide = cuda::planTrailingResize(odd, 2, kAligned).geometry;
    EXPECT_EQ(wide.blockX, 256u);
    EXPECT_EQ(wide.blockY, 1u);
    EXPECT_EQ(wide.gridX, 2u);
    EXPECT_EQ(wide.gridY, static_cast<uint32_t>(cuda::kTrailingTargetBlocks / 2));
}

TEST(CudaResizePlan, RefusesWhatOnlyTheGeneralKernelsDo) {
    const auto refusal = [](const ir::ResizeAttrs& a, const Dims& in, const Dims& out,
                            std::vector<TensorRef> extra = {}) {
        std::vector<TensorRef> inputs{TensorRef{DataType::kFLOAT, in, nullptr}};
        inputs.insert(inputs.end(), extra.begin(), extra.end());
        auto p = cuda::makeResizeParams(a, inputs, TensorRef{DataType::kFLOAT, out, nullptr});
        EXPECT_TRUE(p.isOk()) << p.status().message();
        return p.isOk() ? cuda::planTrailingResize(*p, 4, kAligned).refusal : std::string("no params");
    };
    const Dims in = makeDims({2, 3, 20, 20});
    // Resizing the batch or channel dim.
    const Dims channels = makeDims({2, 5, 20, 20});
    EXPECT_NE(refusal(resizeAttrs(IM::kLINEAR, CT::kHALF_PIXEL, channels), in, channels)
                  .find("dimension 1 (3 -> 5)"),
              std::string::npos);
    // Antialiased downsampling stretches the filter beyond its 2 / 4 taps.
    ir::ResizeAttrs aa = resizeAttrs(IM::kCUBIC, CT::kHALF_PIXEL, makeDims({2, 3, 20, 7}));
    aa.antialias = true;
    EXPECT_NE(refusal(aa, in, aa.outputDims).find("antialias stretches the filter of dimension 3"),
              std::string::npos);
    // tf_crop_and_resize with the region of interest on the device, or cropping a leading dim.
    ir::ResizeAttrs tf = resizeAttrs(IM::kNEAREST, CT::kTF_CROP_AND_RESIZE, makeDims({2, 3, 10, 10}));
    const std::vector<float> roiValues(8, 0.5f);
    EXPECT_NE(refusal(tf, in, tf.outputDims,
                      {TensorRef{}, TensorRef{},
                       TensorRef{DataType::kFLOAT, makeDims({8}), const_cast<float*>(roiValues.data())}})
                  .find("device tensor"),
              std::string::npos);
    tf.roi = {0.0f, 0.1f, 0.0f, 0.0f, 1.0f, 1.0f, 1.0f, 1.0f};
    EXPECT_NE(refusal(tf, in, tf.outputDims).find("dimension 1"), std::string::npos);
    // Planes beyond 32-bit offsets.
    const Dims huge = makeDims({1, 1, 50000, 50000});
    EXPECT_NE(refusal(resizeAttrs(IM::kNEAREST, CT::kASYMMETRIC, makeDims({1, 1, 2, 2})), huge,
                      makeDims({1, 1, 2, 2}))
                  .find("64-bit offsets"),
              std::string::npos);
    // A rank-0 tensor has nothing to resize.
    EXPECT_NE(refusal(resizeAttrs(IM::kNEAREST, CT::kASYMMETRIC, makeDims({})), makeDims({}), makeDims({}))
                  .find("rank-0"),
              std::string::npos);
}

TEST(CudaResizePlan, ForcedTacticsAreCheckedBeforeAnyLaunch) {
    // The fast path forced where it does not apply, and an unknown tactic: errors, nothing enqueued (the
    // buffers are null; there may be no device).
    const Dims in = makeDims({2, 3, 20, 20}), out = makeDims({2, 5, 20, 20});
    const std::vector<TensorRef> inputs{TensorRef{DataType::kFLOAT, in, nullptr}};
    const std::vector<TensorRef> outputs{TensorRef{DataType::kFLOAT, out, nullptr}};
    cuda::KernelContext ctx{inputs, outputs};
    ctx.tactic = cuda::kResizeTrailingTactic;
    const Status forced = cuda::runResize(resizeAttrs(IM::kLINEAR, CT::kHALF_PIXEL, out), ctx);
    EXPECT_EQ(forced.code(), ErrorCode::kUNSUPPORTED_STATE) << forced.message();
    for (const char* part : {"resize_trailing", "[2,3,20,20]", "dimension 1 (3 -> 5)", "resize_general"})
        EXPECT_NE(forced.message().find(part), std::string::npos) << forced.message();
    ctx.tactic = 7;
    const Status unknown = cuda::runResize(resizeAttrs(IM::kLINEAR, CT::kHALF_PIXEL, out), ctx);
    EXPECT_EQ(unknown.code(), ErrorCode::kINVALID_ARGUMENT) << unknown.message();
    EXPECT_NE(unknown.message().find("unknown tactic 7"), std::string::npos) << unknown.message();
}

}  // namespace
}  // namespace kiln

#else

TEST(CudaResizePlan, NeedsCuda) {
    GTEST_SKIP() << "Kiln was built without CUDA";
}

#endif  // KILN_HAS_CUDA
