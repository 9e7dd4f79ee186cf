// GPU tests of the Fill, Cumulative, Trilu, Scatter and Resize CUDA kernels against the reference
// kernels on the host: every output type of Fill with attribute and device-tensor parameters (exact:
// both sides compute the same double values from dyadic parameters), running sums along every axis with
// exclusive / reverse and a device-tensor axis, Trilu with every sign of k (exact), ScatterElements and
// ScatterND with duplicate and negative indices through both the workspace and the ordered variant
// (exact), and Resize in every interpolation mode, coordinate transformation and rounding, with
// antialias, exclude-outside and tf_crop_and_resize (nearest exact; filters within float32 rounding).
// Skipped, never passed, without a CUDA device.
#include <gtest/gtest.h>

#if defined(KILN_HAS_CUDA)

#include <cmath>
#include <string>
#include <vector>

#include "backends/cuda/kernels/scatter/scatter_launch.h"
#include "gpu/reduce_family_util.h"

namespace kiln::testing {
namespace {

class CudaMiscTest : public CudaReduceFamilyTest {};

HostTensor ints64(const std::vector<int64_t>& v) {
    return HostTensor::fromVector(DataType::kINT64, makeDims({static_cast<int64_t>(v.size())}), v);
}

template <class Attrs>
void checkAgainstReference(cudaStream_t stream, Status (*fn)(const Attrs&, const cuda::KernelContext&),
                           const Attrs& a, const std::vector<HostTensor>& inputs, const std::string& what,
                           const CudaRunOptions& options = {},
                           const std::function<double(const HostTensor&, int64_t)>& tol = nullptr) {
    auto want = runSingleOp(a, inputs);
    ASSERT_TRUE(want.isOk()) << what << ": " << want.status().message();
    auto got = runCuda(fn, a, inputs, want.value(), stream, options);
    ASSERT_TRUE(got.isOk()) << what << ": " << got.status().message();
    const HostTensor& w = want.value()[0];
    if (!tol) return expectExact(got.value()[0], w, what);
    expectNear(
        got.value()[0], w, [&](int64_t i) { return tol(w, i); }, what);
}

// ---- Fill --------------------------------------------------------------------------------------------

TEST_F(CudaMiscTest, FillConstantEveryOutputType) {
    const DataType types[] = {DataType::kFLOAT, DataType::kHALF,  DataType::kBF16,
                              DataType::kFP8,   DataType::kINT8,  DataType::kUINT8,
                              DataType::kBOOL,  DataType::kINT32, DataType::kINT64};
    for (DataType t : types) {
        ir::FillAttrs a;
        a.op = FillOperation::kCONSTANT;
        a.dimensions = makeDims({3, 7, 5});
        a.outputType = t;
        a.alpha = isFloatType(t) ? 2.5f : 7.0f;
        const std::string what = std::string("Fill constant ") + dataTypeName(t);
        checkAgainstReference(stream, cuda::runFill, a, {HostTensor::absent()}, what + " (attribute)");
        // alpha from a device tensor: integer tensors stay exact beyond 2^53 for int64 outputs.
        const HostTensor alpha =
            t == DataType::kINT64
                ? ints64({(int64_t{1} << 60) + 3})
                : HostTensor::fromVector(DataType::kFLOAT, makeDims({1}), std::vector<float>{-1.5f});
        checkAgainstReference(stream, cuda::runFill, a, {HostTensor::absent(), alpha},
                              what + " (alpha tensor)");
    }
}

TEST_F(CudaMiscTest, FillLinspaceRanksTypesAndParameterSources) {
    const Dims shapes[] = {makeDims({37}), makeDims({3, 5, 7}), makeDims({2, 1, 3, 2, 5})};
    for (const Dims& s : shapes)
        for (DataType t :
             {DataType::kFLOAT, DataType::kHALF, DataType::kINT32, DataType::kINT64, DataType::kUINT8}) {
            ir::FillAttrs a;
            a.op = FillOperation::kLINSPACE;
            a.dimensions = s;
            a.outputType = t;
            a.alpha = 0.5f;
            a.beta = 0.25f;  // dyadic: every value is exact in double on both sides
            const std::string what = "Fill linspace " + describe(s, t);
            checkAgainstReference(stream, cuda::runFill, a, {HostTensor::absent()}, what + " (attributes)");
            // One delta per dim from int32 tensors: exact int64 arithmetic for integer outputs.
            std::vector<int64_t> deltas;
            for (int d = 0; d < s.nbDims; ++d) deltas.push_back(d % 2 == 0 ? 100 + d : -3);
            const HostTensor beta = HostTensor::fromVector(DataType::kINT32, makeDims({s.nbDims}), deltas);
            const HostTensor alpha =
                HostTensor::fromVector(DataType::kINT32, Dims{}, std::vector<int64_t>{-7});
            checkAgainstReference(stream, cuda::runFill, a, {HostTensor::absent(), alpha, beta},
                                  what + " (tensors)");
        }
    // int64 beyond 2^53 from integral attributes (2^50 is exact in float).
    ir::FillAttrs big;
    big.op = FillOperation::kLINSPACE;
    big.dimensions = makeDims({4, 9});
    big.outputType = DataType::kINT64;
    big.alpha = 0x1p50f;
    big.beta = 3.0f;
    checkAgainstReference(stream, cuda::runFill, big, {HostTensor::absent()},
                          "Fill linspace int64 from 2^50");
}

// ---- Cumulative --------------------------------------------------------------------------------------

void checkCumulative(cudaStream_t stream, DataType t, const Dims& shape, int axis, bool exclusive,
                     bool reverse, uint64_t seed, bool axisTensor = false) {
    ir::CumulativeAttrs a;
    a.axis = axisTensor ? 0 : axis;
    a.exclusive = exclusive;
    a.reverse = reverse;
    const HostTensor x =
        HostTensor::random(t, shape, seed, isFloatType(t) ? -2.0 : -1000.0, isFloatType(t) ? 2.0 : 1000.0);
    std::vector<HostTensor> inputs{x};
    if (axisTensor)
        inputs.push_back(
            HostTensor::fromVector(DataType::kINT32, Dims{}, std::vector<int64_t>{axis - shape.nbDims}));
    const std::string what = "Cumulative of " + describe(shape, t) + " axis " + std::to_string(axis) +
                             (exclusive ? " exclusive" : "") + (reverse ? " reverse" : "") +
                             (axisTensor ? " (axis tensor)" : "");
    if (!isFloatType(t))
        return checkAgainstReference(stream, cuda::runCumulative, a, inputs, what, {{}, 0, 0xff});
    // Tolerance: a prefix of n terms summed in float32 along at most n + 16 dependent additions, each
    // within one rounding of the running sum of |x| (the reference's scan of |x|, in double), plus one
    // ulp of the output type.
    HostTensor absX(DataType::kFLOAT, shape);
    for (int64_t i = 0; i < x.numel(); ++i) absX.set(i, std::fabs(x.at(i)));
    std::vector<HostTensor> absInputs = inputs;
    absInputs[0] = absX;
    auto absPrefix = runSingleOp(a, absInputs);
    ASSERT_TRUE(absPrefix.isOk()) << absPrefix.status().message();
    const double depth = static_cast<double>(shape.d[axis]) + 16.0;
    checkAgainstReference(stream, cuda::runCumulative, a, inputs, what, {},
                          [&](const HostTensor& w, int64_t i) {
                              return ulpAt(t, w.at(i)) + depth * kFloatEps * absPrefix.value()[0].at(i);
                          });
}

TEST_F(CudaMiscTest, CumulativeEveryAxisModeAndType) {
    const DataType types[] = {DataType::kFLOAT, DataType::kHALF, DataType::kBF16, DataType::kINT32,
                              DataType::kINT64};
    uint64_t seed = 100;
    for (DataType t : types)
        for (int axis = 0; axis < 3; ++axis)
            for (int mode = 0; mode < 4; ++mode)
                checkCumulative(stream, t, makeDims({4, 37, 5}), axis, mode & 1, mode & 2, ++seed);
    for (int mode = 0; mode < 4; ++mode) {
        checkCumulative(stream, DataType::kFLOAT, makeDims({2, 3001}), 1, mode & 1, mode & 2,
                        ++seed);  // 3 chunks
        checkCumulative(stream, DataType::kINT64, makeDims({3, 2053}), 1, mode & 1, mode & 2, ++seed);
        checkCumulative(stream, DataType::kFLOAT, makeDims({4, 37, 5}), 1, mode & 1, mode & 2, ++seed, true);
        checkCumulative(stream, DataType::kINT32, makeDims({7, 11}), 1, mode & 1, mode & 2, ++seed, true);
    }
}

// ---- Trilu -------------------------------------------------------------------------------------------

TEST_F(CudaMiscTest, TriluEveryKSignAndElementSize) {
    const Dims shapes[] = {makeDims({2, 5, 7}), makeDims({3, 7, 5}), makeDims({4, 4})};
    uint64_t seed = 200;
    for (const Dims& s : shapes)
        for (DataType t : {DataType::kFLOAT, DataType::kHALF, DataType::kINT64, DataType::kBOOL})
            for (int64_t k : {-10, -2, 0, 1, 3, 10})
                for (bool upper : {true, false}) {
                    ir::TriluAttrs a;
                    a.upper = upper;
                    a.k = k;
                    const HostTensor x = HostTensor::random(t, s, ++seed, -9.0, 9.0);
                    const std::string what = std::string("Trilu ") + (upper ? "upper" : "lower") +
                                             " k=" + std::to_string(k) + " on " + describe(s, t);
                    checkAgainstReference(stream, cuda::runTrilu, a, {x}, what);
                    ir::TriluAttrs fromInput = a;
                    fromInput.k = 0;
                    checkAgainstReference(stream, cuda::runTrilu, fromInput, {x, ints64({k})},
                                          what + " (k tensor)");
                }
}

// ---- Scatter -----------------------------------------------------------------------------------------

/// Runs both variants: with enough workspace (parallel, winner per target) and without (ordered).
void checkScatterBothWays(cudaStream_t stream, const ir::ScatterAttrs& a, const std::vector<HostTensor>& in,
                          const std::string& what) {
    checkAgainstReference(stream, cuda::runScatter, a, in, what + " (workspace)",
                          {{}, in[0].numel() * 8 + 64, 0xff});
    checkAgainstReference(stream, cuda::runScatter, a, in, what + " (ordered, no workspace)");
}

TEST_F(CudaMiscTest, ScatterElementsEveryAxisWithDuplicatesAndNegativeIndices) {
    const Dims data = makeDims({4, 5, 6}), idx = makeDims({3, 5, 4});
    uint64_t seed = 300;
    for (DataType t : {DataType::kFLOAT, DataType::kHALF, DataType::kINT64, DataType::kINT8})
        for (int axis : {0, 1, 2, -1})
            for (DataType it : {DataType::kINT32, DataType::kINT64}) {
                const int ax = axis < 0 ? axis + 3 : axis;
                Dims ishape = idx;
                ishape.d[ax] = 7;  // more updates than the axis holds: duplicates for sure
                for (int d = 0; d < 3; ++d) ishape.d[d] = std::min(ishape.d[d], d == ax ? 7 : data.d[d]);
                ir::ScatterAttrs a;
                a.mode = ScatterMode::kELEMENT;
                a.axis = axis;
                const int64_t n = data.d[ax];
                const std::vector<HostTensor> in{
                    HostTensor::random(t, data, ++seed, -9.0, 9.0),
                    HostTensor::random(it, ishape, ++seed, -static_cast<double>(n),
                                       static_cast<double>(n - 1)),
                    HostTensor::random(t, ishape, ++seed, -9.0, 9.0)};
                checkScatterBothWays(stream, a, in,
                                     "ScatterElements axis " + std::to_string(axis) + " on " +
                                         describe(data, t) + " indices " + describe(ishape, it));
            }
    // Many updates onto few targets.
    ir::ScatterAttrs a;
    a.axis = 0;
    const std::vector<HostTensor> big{
        HostTensor::random(DataType::kFLOAT, makeDims({1000}), 1),
        HostTensor::random(DataType::kINT64, makeDims({50000}), 2, -1000.0, 999.0),
        HostTensor::random(DataType::kFLOAT, makeDims({50000}), 3)};
    checkScatterBothWays(stream, a, big, "ScatterElements 50000 updates onto 1000 elements");
}

TEST_F(CudaMiscTest, ScatterNDTupleLengthsAndDuplicates) {
    struct Case {
        std::vector<int64_t> indices;  ///< shape; the last dim is the tuple length
    };
    const Dims data = makeDims({4, 5, 6});
    uint64_t seed = 400;
    for (const Case& c : {Case{{7, 1}}, Case{{9, 2}}, Case{{3, 4, 3}}, Case{{40, 3}}})
        for (DataType t : {DataType::kFLOAT, DataType::kBF16, DataType::kINT32, DataType::kUINT8}) {
            Dims ishape;
            ishape.nbDims = static_cast<int32_t>(c.indices.size());
            for (size_t i = 0; i < c.indices.size(); ++i) ishape.d[i] = c.indices[i];
            const int64_t k = c.indices.back();
            HostTensor indices(DataType::kINT64, ishape);
            HostTensor r = HostTensor::random(DataType::kINT64, ishape, ++seed, -100.0, 100.0);
            for (int64_t i = 0; i < indices.numel(); ++i) {
                const int64_t n = data.d[i % k];
                indices.setInt(i, ((r.atInt(i) % (2 * n)) + 2 * n) % (2 * n) - n);  // in [-n, n)
            }
            Dims ushape;
            ushape.nbDims = ishape.nbDims - 1 + (3 - static_cast<int32_t>(k));
            for (int i = 0; i < ishape.nbDims - 1; ++i) ushape.d[i] = ishape.d[i];
            for (int i = static_cast<int>(k); i < 3; ++i) ushape.d[ishape.nbDims - 1 + i - k] = data.d[i];
            ir::ScatterAttrs a;
            a.mode = ScatterMode::kND;
            checkScatterBothWays(stream, a,
                                 {HostTensor::random(t, data, ++seed, 0.0, 9.0), indices,
                                  HostTensor::random(t, ushape, ++seed, 0.0, 9.0)},
                                 "ScatterND indices " + toString(ishape) + " on " + describe(data, t));
        }
}

// ---- Resize ------------------------------------------------------------------------------------------

using CT = ResizeCoordinateTransformation;
using IM = InterpolationMode;

ir::ResizeAttrs resizeAttrs(IM mode, CT ct, const Dims& out) {
    ir::ResizeAttrs a;
    a.mode = mode;
    a.coordinateTransformation = ct;
    a.outputDims = out;
    return a;
}

/// Filters: the output is a sum of at most `taps` products w * x with weights rounded from double to
/// float32, each term and addition off by about one float32 rounding of |x| * sum|w| (sum|w| < 2 for
/// cubic); plus one ulp of the output type.
double filterTolerance(DataType t, double taps, double want) {
    return ulpAt(t, want) + (taps + 8.0) * kFloatEps * 2.0 * 3.0;
}

void checkResize(cudaStream_t stream, const ir::ResizeAttrs& a, const HostTensor& x, const std::string& what,
                 double taps = 16.0, std::vector<HostTensor> extra = {}) {
    std::vector<HostTensor> in{x};
    in.insert(in.end(), extra.begin(), extra.end());
    if (a.mode == IM::kNEAREST) return checkAgainstReference(stream, cuda::runResize, a, in, what, {{1, 2}});
    checkAgainstReference(
        stream, cuda::runResize, a, in, what, {{1, 2}},
        [&](const HostTensor& w, int64_t i) { return filterTolerance(x.type, taps, w.at(i)); });
}

TEST_F(CudaMiscTest, ResizeNearestEveryTransformAndRounding) {
    const CT transforms[] = {CT::kALIGN_CORNERS, CT::kASYMMETRIC, CT::kHALF_PIXEL, CT::kPYTORCH_HALF_PIXEL,
                             CT::kHALF_PIXEL_SYMMETRIC};
    const ResizeRoundMode roundings[] = {ResizeRoundMode::kHALF_UP, ResizeRoundMode::kHALF_DOWN,
                                         ResizeRoundMode::kFLOOR, ResizeRoundMode::kCEIL};
    uint64_t seed = 500;
    for (CT ct : transforms)
        for (ResizeRoundMode r : roundings)
            for (DataType t : {DataType::kFLOAT, DataType::kHALF, DataType::kINT8, DataType::kINT64}) {
                const HostTensor x = HostTensor::random(t, makeDims({2, 3, 5, 7}), ++seed, -50.0, 50.0);
                for (const Dims& out : {makeDims({2, 3, 11, 4}), makeDims({2, 3, 1, 13})}) {
                    ir::ResizeAttrs a = resizeAttrs(IM::kNEAREST, ct, out);
                    a.nearestRounding = r;
                    checkResize(stream, a, x,
                                "Resize nearest " + describe(x.shape, t) + " to " + toString(out) +
                                    " transform " + std::to_string(static_cast<int>(ct)) + " rounding " +
                                    std::to_string(static_cast<int>(r)));
                }
            }
}

TEST_F(CudaMiscTest, ResizeLinearAndCubicEveryTransform) {
    const CT transforms[] = {CT::kALIGN_CORNERS, CT::kASYMMETRIC, CT::kHALF_PIXEL, CT::kPYTORCH_HALF_PIXEL,
                             CT::kHALF_PIXEL_SYMMETRIC};
    uint64_t seed = 600;
    for (IM mode : {IM::kLINEAR, IM::kCUBIC})
        for (CT ct : transforms)
            for (DataType t : kFloatTypes) {
                const HostTensor x = HostTensor::random(t, makeDims({2, 3, 5, 7}), ++seed, -3.0, 3.0);
                for (const Dims& out :
                     {makeDims({2, 3, 11, 4}), makeDims({2, 3, 1, 13}), makeDims({2, 3, 3, 7})}) {
                    const std::string what = std::string(mode == IM::kLINEAR ? "linear" : "cubic") + " " +
                                             describe(x.shape, t) + " to " + toString(out) + " transform " +
                                             std::to_string(static_cast<int>(ct));
                    ir::ResizeAttrs a = resizeAttrs(mode, ct, out);
                    checkResize(stream, a, x, what);
                    a.excludeOutside = true;
                    a.cubicCoeff = -0.5f;
                    checkResize(stream, a, x, what + " exclude-outside, A=-0.5");
                    a.excludeOutside = false;
                    a.selectorForSinglePixel = ResizeSelector::kUPPER;
                    checkResize(stream, a, x, what + " selector upper");
                }
            }
    // Three resized axes, and scales from the attribute (the mapping then uses the given scale).
    const HostTensor x3 = HostTensor::random(DataType::kFLOAT, makeDims({1, 4, 5, 6}), 7, -3.0, 3.0);
    checkResize(stream, resizeAttrs(IM::kLINEAR, CT::kHALF_PIXEL, makeDims({1, 7, 3, 11})), x3,
                "linear 3 axes", 16.0);
    ir::ResizeAttrs s = resizeAttrs(IM::kCUBIC, CT::kALIGN_CORNERS, Dims{});
    s.scales = {1.0f, 1.0f, 1.7f, 0.6f};
    checkResize(stream, s, x3, "cubic with scales attribute", 16.0);
}

TEST_F(CudaMiscTest, ResizeAntialiasAndRunTimeScales) {
    const HostTensor x = HostTensor::random(DataType::kFLOAT, makeDims({1, 2, 23, 29}), 9, -3.0, 3.0);
    for (IM mode : {IM::kLINEAR, IM::kCUBIC})
        for (CT ct : {CT::kHALF_PIXEL, CT::kASYMMETRIC}) {
            ir::ResizeAttrs a = resizeAttrs(mode, ct, makeDims({1, 2, 7, 11}));
            a.antialias = true;
            // Downsampling by ~1/3: up to 2 * 2 / (1/3) + 2 = 14 taps per axis, 196 products.
            checkResize(stream, a, x, "antialias " + std::to_string(static_cast<int>(mode)), 196.0);
            // Scales at run time (host values of input 2); the extents follow from them.
            ir::ResizeAttrs r = resizeAttrs(mode, ct, Dims{});
            r.antialias = true;
            const HostTensor scales = HostTensor::fromVector(DataType::kFLOAT, makeDims({4}),
                                                             std::vector<float>{1.0f, 1.0f, 0.5f, 0.35f});
            checkResize(stream, r, x, "antialias, run-time scales", 196.0, {HostTensor::absent(), scales});
        }
}

TEST_F(CudaMiscTest, ResizeTfCropAndResizeWithRoiAttributeAndTensor) {
    const HostTensor x = HostTensor::random(DataType::kFLOAT, makeDims({1, 2, 9, 8}), 11, -3.0, 3.0);
    const std::vector<float> roi = {0.0f, 0.0f, -0.2f, 0.1f, 1.0f, 1.0f, 1.3f, 0.8f};  // reaches outside
    for (IM mode : {IM::kNEAREST, IM::kLINEAR, IM::kCUBIC}) {
        ir::ResizeAttrs a = resizeAttrs(mode, CT::kTF_CROP_AND_RESIZE, makeDims({1, 2, 5, 6}));
        a.extrapolationValue = 10.5f;
        a.roi = roi;
        checkResize(stream, a, x,
                    "tf_crop_and_resize, roi attribute, mode " + std::to_string(static_cast<int>(mode)));
        a.roi.clear();
        const HostTensor roiTensor = HostTensor::fromVector(DataType::kFLOAT, makeDims({8}), roi);
        checkResize(stream, a, x, "tf_crop_and_resize, roi tensor", 16.0,
                    {HostTensor::absent(), HostTensor::absent(), roiTensor});
    }
}

// ---- Checks made before anything is enqueued: these run without a device too ---------------------------

TEST(CudaMiscChecks, ResizeRefusesFiltersBeyondTheTapLimit) {
    ir::ResizeAttrs a = resizeAttrs(IM::kCUBIC, CT::kHALF_PIXEL, makeDims({1, 1, 1, 2}));
    a.antialias = true;
    const HostTensor x(DataType::kFLOAT, makeDims({1, 1, 1, 200})),
        y(DataType::kFLOAT, makeDims({1, 1, 1, 2}));
    expectRefused(runWithoutMemory(cuda::runResize, a, {x}, {y}), ErrorCode::kUNSUPPORTED_STATE,
                  {"filter taps", "dimension 3", "at most 32"});
    a.mode = IM::kLINEAR;
    a.antialias = false;
    const HostTensor xi(DataType::kINT32, makeDims({1, 1, 1, 200})),
        yi(DataType::kINT32, makeDims({1, 1, 1, 2}));
    expectRefused(runWithoutMemory(cuda::runResize, a, {xi}, {yi}), ErrorCode::kINVALID_ARGUMENT,
                  {"need a float input", "int32"});
}

TEST(CudaMiscChecks, CumulativeScatterAndFillParametersAreChecked) {
    ir::CumulativeAttrs c;
    c.axis = 3;
    const HostTensor x(DataType::kFLOAT, makeDims({2, 3, 4}));
    expectRefused(runWithoutMemory(cuda::runCumulative, c, {x}, {x}), ErrorCode::kINVALID_ARGUMENT,
                  {"axis 3", "[2,3,4]", "-3..2"});
    ir::ScatterAttrs s;
    s.mode = ScatterMode::kND;
    const HostTensor idx(DataType::kINT64, makeDims({2, 4}));
    expectRefused(runWithoutMemory(cuda::runScatter, s, {x, idx, x}, {x}), ErrorCode::kINVALID_ARGUMENT,
                  {"tuples of length 4", "[2,3,4]"});
    ir::FillAttrs f;
    f.op = FillOperation::kLINSPACE;
    f.outputType = DataType::kFLOAT;
    const HostTensor out(DataType::kFLOAT, makeDims({2, 3})), beta(DataType::kFLOAT, makeDims({3}));
    expectRefused(
        runWithoutMemory(cuda::runFill, f, {HostTensor::absent(), HostTensor::absent(), beta}, {out}),
        ErrorCode::kINVALID_ARGUMENT, {"beta (input 2) holds 3 values", "(2)"});
}

}  // namespace
}  // namespace kiln::testing

#else

TEST(CudaMiscTest, NotCompiled) {
    GTEST_SKIP() << "Kiln was built without CUDA";
}

#endif
