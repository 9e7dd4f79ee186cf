// GPU tests of the Resize fast path (kernels/resize/resize_trailing.cu, tactic kResizeTrailingTactic:
// only the last two axes resize) against the reference kernel on the host, forced so that a case the
// planner would send elsewhere fails instead of passing through the general kernels: nearest in every
// coordinate transformation and rounding on 1-, 2-, 4- and 8-byte elements and bool (bit-exact, random
// bit patterns), linear and cubic on float32, float16, bfloat16 and float8 (with exclude-outside, another
// cubic coefficient, the single-pixel selector), up- and downsampling, odd extents, 1x1 inputs, widths
// that are not whole vectors, buffers off cudaMalloc's alignment (element stores), tf_crop_and_resize
// with the region of interest as an attribute, infinities next to zero-weight taps, and a grid that makes
// threads walk rows across planes. The general kernels (kResizeGeneralTactic and the default choice) are
// checked on the cases only they take. A DISABLED_ benchmark times both paths on FCN's final upsampling.
// Without a GPU every test is skipped, never passed; tests/unit/cuda_resize_plan_test.cc checks the
// planner and replays the fast path's arithmetic on the CPU.
#include <gtest/gtest.h>

#if KILN_HAS_CUDA

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "backends/cuda/kernels/resize/resize_plan.h"
#include "cuda_kernel_test_util.h"
#include "support/single_op.h"

namespace kiln {
namespace {

using gputest::CudaLibraryTest;
using gputest::LaunchOptions;
using CT = ResizeCoordinateTransformation;
using IM = InterpolationMode;

constexpr int64_t kDefault = -1;
constexpr int64_t kGeneral = cuda::kResizeGeneralTactic;
constexpr int64_t kTrailing = cuda::kResizeTrailingTactic;

const CT kTransforms[] = {CT::kALIGN_CORNERS, CT::kASYMMETRIC, CT::kHALF_PIXEL, CT::kPYTORCH_HALF_PIXEL,
                          CT::kHALF_PIXEL_SYMMETRIC};
const DataType kFilterTypes[] = {DataType::kFLOAT, DataType::kHALF, DataType::kBF16, DataType::kFP8};

ir::ResizeAttrs resizeAttrs(IM mode, CT ct, const Dims& out) {
    ir::ResizeAttrs a;
    a.mode = mode;
    a.coordinateTransformation = ct;
    a.outputDims = out;
    return a;
}

std::string describe(const ir::ResizeAttrs& a, DataType t, const Dims& in, int64_t tactic, int64_t misalign) {
    return std::string("Resize ") + dataTypeName(t) + toString(in) + " -> " + toString(a.outputDims) +
           " mode " + std::to_string(static_cast<int>(a.mode)) + " transform " +
           std::to_string(static_cast<int>(a.coordinateTransformation)) + " rounding " +
           std::to_string(static_cast<int>(a.nearestRounding)) + " exclude " +
           std::to_string(a.excludeOutside) + " A " + std::to_string(a.cubicCoeff) + " selector " +
           std::to_string(static_cast<int>(a.selectorForSinglePixel)) + " antialias " +
           std::to_string(a.antialias) + " tactic " + std::to_string(tactic) + " misaligned by " +
           std::to_string(misalign) + " bytes";
}

/// Every bit pattern of the type (NaN payloads, non-0/1 bools): nearest must copy them untouched.
HostTensor randomBits(DataType t, const Dims& shape, uint64_t seed) {
    HostTensor h(t, shape);
    std::mt19937_64 rng(seed);
    for (uint8_t& b : h.bytes) b = static_cast<uint8_t>(rng() >> 56);
    return h;
}

/// Relative spacing and subnormal spacing of the output type: the reference rounds its double result
/// once, the kernel its float32 result once, so the two may land one output ulp apart.
double outputEpsilon(DataType t) {
    return t == DataType::kFLOAT  ? std::ldexp(1.0, -23)
           : t == DataType::kHALF ? std::ldexp(1.0, -10)
           : t == DataType::kBF16 ? std::ldexp(1.0, -7)
                                  : std::ldexp(1.0, -3);  // float8 e4m3
}
double outputSubnormal(DataType t) {
    return t == DataType::kHALF ? std::ldexp(1.0, -24) : t == DataType::kFP8 ? std::ldexp(1.0, -9) : 0.0;
}

/// Runs the reference and the CUDA kernel (forced `tactic`, every device buffer shifted by
/// `misalignBytes`) and compares: nearest bit for bit; linear and cubic within one output ulp plus the
/// float32 blend's rounding (32 roundings of sum |w_h w_w x| <= 2.25 max|x|), NaN matching NaN and
/// infinities matching exactly.
void expectMatches(const ir::ResizeAttrs& a, const std::vector<HostTensor>& inputs, int64_t tactic,
                   int64_t misalignBytes = 0) {
    const std::string what = describe(a, inputs[0].type, inputs[0].shape, tactic, misalignBytes);
    auto ref = testing::runSingleOp(a, inputs);
    ASSERT_TRUE(ref.isOk()) << what << ": reference: " << ref.status().message();
    const HostTensor& want = (*ref)[0];
    std::vector<HostTensor> got{HostTensor(want.type, want.shape)};
    LaunchOptions opt;
    opt.tactic = tactic;
    opt.misalignBytes = misalignBytes;
    const Status st = gputest::runOnDevice(
        inputs, got, [&](const cuda::KernelContext& ctx) { return cuda::runResize(a, ctx); }, opt);
    ASSERT_TRUE(st.isOk()) << what << ": " << st.message();
    const int64_t size = dataTypeSize(want.type);
    double maxAbs = std::fabs(static_cast<double>(a.extrapolationValue));
    for (int64_t i = 0; a.mode != IM::kNEAREST && i < inputs[0].numel(); ++i)
        if (std::isfinite(inputs[0].at(i))) maxAbs = std::max(maxAbs, std::fabs(inputs[0].at(i)));
    const double blend = 32.0 * std::ldexp(1.0, -24) * 2.25 * maxAbs;
    int64_t bad = 0;
    for (int64_t i = 0; i < want.numel(); ++i) {
        bool ok;
        if (a.mode == IM::kNEAREST) {
            ok = std::memcmp(&want.bytes[static_cast<size_t>(i * size)],
                             &got[0].bytes[static_cast<size_t>(i * size)], static_cast<size_t>(size)) == 0;
        } else {
            const double w = want.at(i), g = got[0].at(i);
            if (std::isnan(w) || std::isnan(g))
                ok = std::isnan(w) && std::isnan(g);
            else if (std::isinf(w) || std::isinf(g))
                ok = w == g;
            else
                ok = std::fabs(g - w) <=
                     outputEpsilon(want.type) * std::fabs(w) + outputSubnormal(want.type) + blend;
        }
        if (!ok && ++bad <= 5)
            ADD_FAILURE() << what << ": element " << i << " got " << got[0].at(i) << ", want " << want.at(i);
    }
    EXPECT_EQ(bad, 0) << what << ": " << bad << " of " << want.numel() << " elements differ";
}

/// Up and down, odd and 1-pixel extents, ranks 1 to 5, widths that are and are not whole vectors.
std::vector<std::pair<Dims, Dims>> trailingShapes() {
    return {{makeDims({2, 3, 5, 7}), makeDims({2, 3, 11, 4})},
            {makeDims({2, 3, 5, 7}), makeDims({2, 3, 1, 13})},
            {makeDims({1, 2, 1, 1}), makeDims({1, 2, 3, 5})},
            {makeDims({2, 2, 9, 9}), makeDims({2, 2, 4, 29})},
            {makeDims({1, 3, 4, 8}), makeDims({1, 3, 8, 16})},
            {makeDims({3, 6, 10}), makeDims({3, 13, 10})},
            {makeDims({7}), makeDims({19})},
            {makeDims({2, 3, 7, 5}), makeDims({2, 3, 7, 5})},
            {makeDims({1, 2, 2, 5, 7}), makeDims({1, 2, 2, 8, 9})}};
}

TEST_F(CudaLibraryTest, ResizeTrailingNearestEveryTransformRoundingAndWidth) {
    const ResizeRoundMode roundings[] = {ResizeRoundMode::kHALF_UP, ResizeRoundMode::kHALF_DOWN,
                                         ResizeRoundMode::kFLOOR, ResizeRoundMode::kCEIL};
    const DataType types[] = {DataType::kINT8, DataType::kHALF, DataType::kFLOAT, DataType::kINT64,
                              DataType::kBOOL};
    uint64_t seed = 100;
    for (const auto& [in, out] : trailingShapes())
        for (DataType t : types) {
            const HostTensor x = randomBits(t, in, ++seed);
            for (CT ct : kTransforms)
                for (ResizeRoundMode r : roundings) {
                    ir::ResizeAttrs a = resizeAttrs(IM::kNEAREST, ct, out);
                    a.nearestRounding = r;
                    expectMatches(a, {x}, kTrailing);
                }
            ir::ResizeAttrs upper = resizeAttrs(IM::kNEAREST, CT::kHALF_PIXEL, out);
            upper.selectorForSinglePixel = ResizeSelector::kUPPER;
            expectMatches(upper, {x}, kTrailing);
            expectMatches(upper, {x}, kGeneral);  // the general kernel agrees on the same cases
        }
}

TEST_F(CudaLibraryTest, ResizeTrailingLinearAndCubicEveryTransformAndType) {
    uint64_t seed = 200;
    for (IM mode : {IM::kLINEAR, IM::kCUBIC})
        for (const auto& [in, out] : trailingShapes())
            for (DataType t : kFilterTypes) {
                const HostTensor x = HostTensor::random(t, in, ++seed, -3.0, 3.0);
                for (CT ct : kTransforms) {
                    ir::ResizeAttrs a = resizeAttrs(mode, ct, out);
                    expectMatches(a, {x}, kTrailing);
                    a.excludeOutside = true;
                    a.cubicCoeff = -0.5f;
                    expectMatches(a, {x}, kTrailing);
                    a.excludeOutside = false;
                    a.selectorForSinglePixel = ResizeSelector::kUPPER;
                    expectMatches(a, {x}, kTrailing);
                }
                ir::ResizeAttrs g = resizeAttrs(mode, CT::kHALF_PIXEL, out);
                expectMatches(g, {x}, kGeneral);
            }
}

TEST_F(CudaLibraryTest, ResizeTrailingTfCropAndResizeScalesAndUpsamplingAntialias) {
    uint64_t seed = 300;
    for (IM mode : {IM::kNEAREST, IM::kLINEAR, IM::kCUBIC})
        for (DataType t : {DataType::kFLOAT, DataType::kHALF}) {
            const HostTensor x = mode == IM::kNEAREST
                                     ? randomBits(t, makeDims({1, 2, 9, 8}), ++seed)
                                     : HostTensor::random(t, makeDims({1, 2, 9, 8}), ++seed, -3.0, 3.0);
            ir::ResizeAttrs a = resizeAttrs(mode, CT::kTF_CROP_AND_RESIZE, makeDims({1, 2, 5, 6}));
            a.extrapolationValue = 10.5f;
            a.roi = {0.0f, 0.0f, -0.2f, 0.1f, 1.0f, 1.0f, 1.3f, 0.8f};  // rows and columns outside
            expectMatches(a, {x}, kTrailing);
            ir::ResizeAttrs s = resizeAttrs(mode, CT::kALIGN_CORNERS, Dims{});
            s.scales = {1.0f, 1.0f, 1.7f, 0.6f};
            expectMatches(s, {x}, kTrailing);
            if (mode == IM::kNEAREST) continue;  // antialias is for filters only
            ir::ResizeAttrs up = resizeAttrs(mode, CT::kHALF_PIXEL, makeDims({1, 2, 13, 17}));
            up.antialias = true;  // upsampling: the filter is not stretched
            expectMatches(up, {x}, kTrailing);
        }
}

TEST_F(CudaLibraryTest, ResizeTrailingMisalignedBuffersAndOddWidthsStoreElements) {
    // Rows of whole 16-byte vectors, then the same with every buffer one element (and, for float16,
    // 8 bytes) off the alignment: the planner falls back to element stores.
    uint64_t seed = 400;
    for (DataType t : {DataType::kFLOAT, DataType::kHALF, DataType::kBF16, DataType::kINT8}) {
        const int64_t size = dataTypeSize(t);
        const Dims in = makeDims({2, 3, 8, 16});
        for (const Dims& out : {makeDims({2, 3, 16, 32}), makeDims({2, 3, 16, 37}), makeDims({2, 3, 5, 8})})
            for (int64_t misalign : {int64_t{0}, size, int64_t{8}}) {
                const bool integer = t == DataType::kINT8;
                const HostTensor x =
                    integer ? randomBits(t, in, ++seed) : HostTensor::random(t, in, ++seed, -3.0, 3.0);
                expectMatches(resizeAttrs(IM::kNEAREST, CT::kASYMMETRIC, out), {x}, kTrailing, misalign);
                if (!integer)
                    expectMatches(resizeAttrs(IM::kLINEAR, CT::kHALF_PIXEL, out), {x}, kTrailing, misalign);
            }
    }
}

TEST_F(CudaLibraryTest, ResizeTrailingInfinitiesSkipZeroWeightTaps) {
    // align_corners 2x - 1 lands every other output exactly on an input point: the neighbour's tap has
    // weight 0 and must not turn an infinity into NaN; outputs between two infinities of opposite sign
    // are NaN on both sides.
    for (DataType t : {DataType::kFLOAT, DataType::kHALF}) {
        HostTensor x = HostTensor::random(t, makeDims({1, 2, 6, 9}), 7, -3.0, 3.0);
        x.set(4, INFINITY);
        x.set(5, -INFINITY);
        x.set(9 * 6 + 20, INFINITY);
        for (IM mode : {IM::kLINEAR, IM::kCUBIC})
            expectMatches(resizeAttrs(mode, CT::kALIGN_CORNERS, makeDims({1, 2, 11, 17})), {x}, kTrailing);
    }
}

TEST_F(CudaLibraryTest, ResizeTrailingWalksRowsAcrossPlanes) {
    // 8200 columns of float16: 1025 column chunks, 5 blocks across, so 4096 / 5 = 819 block rows of one
    // row each; the 1400 output rows make threads walk a second row, crossing from plane 0 to plane 1.
    const HostTensor x = HostTensor::random(DataType::kHALF, makeDims({1, 2, 6, 40}), 11, -3.0, 3.0);
    expectMatches(resizeAttrs(IM::kLINEAR, CT::kHALF_PIXEL, makeDims({1, 2, 700, 8200})), {x}, kTrailing);
    const HostTensor bits = randomBits(DataType::kHALF, makeDims({1, 2, 6, 40}), 12);
    expectMatches(resizeAttrs(IM::kNEAREST, CT::kASYMMETRIC, makeDims({1, 2, 700, 8200})), {bits}, kTrailing);
}

TEST_F(CudaLibraryTest, ResizeGeneralKernelsStillServeEverythingElse) {
    uint64_t seed = 500;
    const HostTensor x = HostTensor::random(DataType::kFLOAT, makeDims({2, 3, 23, 29}), ++seed, -3.0, 3.0);
    struct Case {
        ir::ResizeAttrs attrs;
        std::vector<HostTensor> extra;
        const char* reason;  ///< what the fast path's refusal says
    };
    std::vector<Case> cases;
    cases.push_back({resizeAttrs(IM::kLINEAR, CT::kHALF_PIXEL, makeDims({2, 5, 11, 7})), {}, "dimension 1"});
    cases.push_back(
        {resizeAttrs(IM::kNEAREST, CT::kASYMMETRIC, makeDims({3, 3, 23, 29})), {}, "dimension 0"});
    ir::ResizeAttrs aa = resizeAttrs(IM::kCUBIC, CT::kHALF_PIXEL, makeDims({2, 3, 7, 11}));
    aa.antialias = true;
    cases.push_back({aa, {}, "antialias"});
    ir::ResizeAttrs tf = resizeAttrs(IM::kLINEAR, CT::kTF_CROP_AND_RESIZE, makeDims({2, 3, 5, 6}));
    tf.extrapolationValue = 10.5f;
    const HostTensor roi = HostTensor::fromVector(
        DataType::kFLOAT, makeDims({8}), std::vector<float>{0.0f, 0.0f, -0.2f, 0.1f, 1.0f, 1.0f, 1.3f, 0.8f});
    cases.push_back({tf, {HostTensor::absent(), HostTensor::absent(), roi}, "device tensor"});
    for (const Case& c : cases) {
        std::vector<HostTensor> in{x};
        in.insert(in.end(), c.extra.begin(), c.extra.end());
        expectMatches(c.attrs, in, kDefault);
        expectMatches(c.attrs, in, kGeneral);
        std::vector<HostTensor> out{HostTensor(DataType::kFLOAT, c.attrs.outputDims)};
        LaunchOptions opt;
        opt.tactic = kTrailing;
        const Status st = gputest::runOnDevice(
            in, out, [&](const cuda::KernelContext& ctx) { return cuda::runResize(c.attrs, ctx); }, opt);
        gputest::expectError(st, ErrorCode::kUNSUPPORTED_STATE, {"resize_trailing", c.reason}, c.reason);
    }
    // Rank 5 with three resized axes.
    const HostTensor x5 = HostTensor::random(DataType::kHALF, makeDims({1, 2, 4, 5, 6}), ++seed, -3.0, 3.0);
    expectMatches(resizeAttrs(IM::kLINEAR, CT::kHALF_PIXEL, makeDims({1, 2, 7, 3, 11})), {x5}, kDefault);
}

// ---- benchmark ----------------------------------------------------------------------------------------

double timeMs(const std::function<Status()>& run, int launches, Status* st) {
    cudaStream_t stream = gputest::deviceEnv()->stream;
    cudaEvent_t begin = nullptr, end = nullptr;
    cudaEventCreate(&begin);
    cudaEventCreate(&end);
    *st = run();  // warm-up
    cudaEventRecord(begin, stream);
    for (int i = 0; i < launches && st->isOk(); ++i) *st = run();
    cudaEventRecord(end, stream);
    cudaEventSynchronize(end);
    float ms = 0.0f;
    cudaEventElapsedTime(&ms, begin, end);
    cudaEventDestroy(begin);
    cudaEventDestroy(end);
    return static_cast<double>(ms) / launches;
}

// FCN-ResNet50's last layer (torch's bilinear F.interpolate, align_corners=False: ONNX linear, half_pixel)
// in float16 at batch 64 and 1, and its nearest counterpart: the general kernel, the fast path, and a
// cudaMemsetAsync of the output (the write-bandwidth bound the fast path is measured against).
TEST_F(CudaLibraryTest, DISABLED_ResizeTrailingVsGeneralOnFcnShapes) {
    const DataType t = DataType::kHALF;
    std::printf("%-36s %-8s %10s %10s %10s %10s\n", "shape", "mode", "general ms", "fast ms", "memset ms",
                "fast GB/s");
    for (int64_t n : {64, 1})
        for (IM mode : {IM::kLINEAR, IM::kNEAREST}) {
            const Dims xs = makeDims({n, 21, 64, 64}), ys = makeDims({n, 21, 512, 512});
            const ir::ResizeAttrs a =
                resizeAttrs(mode, mode == IM::kLINEAR ? CT::kHALF_PIXEL : CT::kASYMMETRIC, ys);
            gputest::DeviceBuffer x(volume(xs) * 2), y(volume(ys) * 2);
            ASSERT_TRUE(x.get() && y.get());
            cudaMemset(x.get(), 0, static_cast<size_t>(volume(xs) * 2));
            cudaDeviceSynchronize();
            const std::vector<TensorRef> ins = {TensorRef{t, xs, x.get()}};
            const std::vector<TensorRef> outs = {TensorRef{t, ys, y.get()}};
            cuda::KernelContext ctx;
            ctx.inputs = ins;
            ctx.outputs = outs;
            ctx.stream = gputest::deviceEnv()->stream;
            double ms[2];
            for (int64_t tactic : {kGeneral, kTrailing}) {
                ctx.tactic = tactic;
                Status st;
                ms[tactic == kTrailing] =
                    timeMs([&] { return cuda::runResize(a, ctx); }, n == 64 ? 5 : 50, &st);
                ASSERT_TRUE(st.isOk()) << st.message();
            }
            Status none;
            const double memsetMs = timeMs(
                [&] {
                    cudaMemsetAsync(y.get(), 0, static_cast<size_t>(volume(ys) * 2), ctx.stream);
                    return Status::ok();
                },
                n == 64 ? 5 : 50, &none);
            const double bytes = static_cast<double>(volume(ys) + volume(xs)) * 2.0;
            std::printf(
                "%-36s %-8s %10.3f %10.3f %10.3f %10.0f\n", (toString(xs) + " -> " + toString(ys)).c_str(),
                mode == IM::kLINEAR ? "linear" : "nearest", ms[0], ms[1], memsetMs, bytes / ms[1] * 1e-6);
        }
}

}  // namespace
}  // namespace kiln

#endif  // KILN_HAS_CUDA
