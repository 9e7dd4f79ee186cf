// Slice and Padding: hand-computed cases for every out-of-bounds mode (numpy results written out), every
// DataType against a naive reference that folds coordinates back with loops (not modular arithmetic as
// the kernel does), shape-tensor inputs, dynamic inference and error messages.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>

#include "ops/movement_test_util.h"

namespace kiln {
namespace {

using testing::allDataTypes;
using testing::failsWith;
using testing::int64Vector;
using testing::nearValues;
using testing::randomOfType;
using testing::runSingleOp;
using testing::sameBytes;

/// Where coordinate x reads along an axis of extent n; nullopt means the fill value.
std::optional<int64_t> foldCoordinate(SampleMode mode, int64_t x, int64_t n) {
    switch (mode) {
        case SampleMode::kSTRICT_BOUNDS:
        case SampleMode::kFILL:
            if (x < 0 || x >= n) return std::nullopt;
            return x;
        case SampleMode::kWRAP:
            while (x < 0) x += n;
            while (x >= n) x -= n;
            return x;
        case SampleMode::kCLAMP:
            return std::clamp<int64_t>(x, 0, n - 1);
        case SampleMode::kREFLECT:
            if (n == 1) return 0;
            while (x < 0 || x >= n) {  // bounce off the end pixels until inside
                if (x < 0) x = -x;
                if (x >= n) x = 2 * (n - 1) - x;
            }
            return x;
    }
    return std::nullopt;
}

HostTensor sliceReference(const HostTensor& in, const std::vector<int64_t>& start,
                          const std::vector<int64_t>& stride, const Dims& outShape, SampleMode mode,
                          const HostTensor& fill) {
    HostTensor out(in.type, outShape);
    if (out.numel() == 0) return out;
    std::vector<int64_t> c(static_cast<size_t>(outShape.nbDims), 0), src(c.size());
    int64_t flat = 0;
    do {
        bool useFill = false;
        for (size_t d = 0; d < c.size(); ++d) {
            auto s = foldCoordinate(mode, start[d] + c[d] * stride[d], in.shape.d[d]);
            if (!s) useFill = true;
            src[d] = s.value_or(0);
        }
        if (useFill)
            testing::copyElement(out, flat, fill, 0);
        else
            testing::copyElement(out, flat, in, testing::flatOf(src, in.shape));
        ++flat;
    } while (testing::nextCoords(c, outShape));
    return out;
}

ir::SliceAttrs sliceAttrs(Dims start, Dims size, Dims stride, SampleMode mode) {
    ir::SliceAttrs a;
    a.start = start;
    a.size = size;
    a.stride = stride;
    a.mode = mode;
    return a;
}

TEST(SliceOp, TensorRtDocExample) {
    auto x = HostTensor::fromVector(DataType::kFLOAT, makeDims({3, 3}),
                                    std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7, 8});
    auto r = runSingleOp(
        sliceAttrs(makeDims({0, 0}), makeDims({2, 2}), makeDims({1, 1}), SampleMode::kSTRICT_BOUNDS), {x});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_TRUE(nearValues(r.value()[0], makeDims({2, 2}), {0, 1, 3, 4}, 0.0));
}

TEST(SliceOp, NegativeStrides) {
    // numpy: np.arange(12).reshape(3, 4)[2::-1, 3::-2] == [[11, 9], [7, 5], [3, 1]]
    std::vector<int> v(12);
    for (int i = 0; i < 12; ++i) v[static_cast<size_t>(i)] = i;
    auto x = HostTensor::fromVector(DataType::kINT32, makeDims({3, 4}), v);
    auto r = runSingleOp(
        sliceAttrs(makeDims({2, 3}), makeDims({3, 2}), makeDims({-1, -2}), SampleMode::kSTRICT_BOUNDS), {x});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_TRUE(nearValues(r.value()[0], makeDims({3, 2}), {11, 9, 7, 5, 3, 1}, 0.0));
}

TEST(SliceOp, OutOfBoundsModesHandComputed) {
    auto x = HostTensor::fromVector(DataType::kFLOAT, makeDims({3}), std::vector<float>{1, 2, 3});
    const Dims start = makeDims({-4}), size = makeDims({10}), stride = makeDims({1});
    struct Case {
        SampleMode mode;
        std::vector<double> want;
    };
    const std::vector<Case> cases = {
        {SampleMode::kWRAP, {3, 1, 2, 3, 1, 2, 3, 1, 2, 3}},
        {SampleMode::kCLAMP, {1, 1, 1, 1, 1, 2, 3, 3, 3, 3}},
        {SampleMode::kFILL, {0, 0, 0, 0, 1, 2, 3, 0, 0, 0}},
        {SampleMode::kREFLECT, {1, 2, 3, 2, 1, 2, 3, 2, 1, 2}},  // ... 3 2 [1 2 3] 2 1 ... as np.pad reflect
    };
    for (const auto& c : cases) {
        auto r = runSingleOp(sliceAttrs(start, size, stride, c.mode), {x});
        ASSERT_TRUE(r.isOk()) << static_cast<int>(c.mode) << ": " << r.status().message();
        EXPECT_TRUE(nearValues(r.value()[0], size, c.want, 0.0)) << "mode " << static_cast<int>(c.mode);
    }
    // kFILL with a fill value of another type (converted) and of the same type.
    auto none = HostTensor::absent();
    auto fillInt = HostTensor::fromVector(DataType::kINT32, Dims{}, std::vector<int>{9});
    auto r = runSingleOp(sliceAttrs(start, size, stride, SampleMode::kFILL), {x, none, none, none, fillInt});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_TRUE(nearValues(r.value()[0], size, {9, 9, 9, 9, 1, 2, 3, 9, 9, 9}, 0.0));
    // A single pixel reflects onto itself.
    auto one = HostTensor::fromVector(DataType::kFLOAT, makeDims({1}), std::vector<float>{5});
    auto single =
        runSingleOp(sliceAttrs(makeDims({-2}), makeDims({4}), makeDims({1}), SampleMode::kREFLECT), {one});
    ASSERT_TRUE(single.isOk()) << single.status().message();
    EXPECT_TRUE(nearValues(single.value()[0], makeDims({4}), {5, 5, 5, 5}, 0.0));
}

TEST(SliceOp, EveryTypeEveryModeMatchesReference) {
    const Dims inShape = makeDims({3, 1, 7, 5});
    struct Case {
        std::vector<int64_t> start, size, stride;
    };
    // In-bounds cases run in every mode; the out-of-bounds ones in every mode but strict.
    const std::vector<Case> inBounds = {{{0, 0, 0, 0}, {3, 1, 7, 5}, {1, 1, 1, 1}},
                                        {{2, 0, 6, 4}, {3, 1, 4, 2}, {-1, 1, -2, -3}},
                                        {{1, 0, 1, 2}, {2, 3, 3, 1}, {1, 0, 2, 1}}};
    const std::vector<Case> outOfBounds = {{{-2, -1, -5, 3}, {7, 3, 11, 6}, {1, 1, 2, 1}},
                                           {{4, 2, 9, -1}, {5, 2, 6, 4}, {-2, -1, -3, 2}}};
    uint64_t seed = 500;
    for (DataType t : allDataTypes()) {
        for (SampleMode mode : {SampleMode::kSTRICT_BOUNDS, SampleMode::kWRAP, SampleMode::kCLAMP,
                                SampleMode::kFILL, SampleMode::kREFLECT}) {
            std::vector<Case> cases = inBounds;
            if (mode != SampleMode::kSTRICT_BOUNDS)
                cases.insert(cases.end(), outOfBounds.begin(), outOfBounds.end());
            for (const auto& c : cases) {
                HostTensor x = randomOfType(t, inShape, seed++);
                HostTensor fill = randomOfType(t, makeDims({1}), seed++);
                std::vector<HostTensor> inputs{x};
                if (mode == SampleMode::kFILL) {
                    inputs.resize(4, HostTensor::absent());
                    inputs.push_back(fill);
                }
                ir::SliceAttrs a = sliceAttrs(makeDims(c.start), makeDims(c.size), makeDims(c.stride), mode);
                auto r = runSingleOp(a, inputs);
                const std::string params = std::string(dataTypeName(t)) + " mode " +
                                           std::to_string(static_cast<int>(mode)) + " start " +
                                           toString(a.start) + " size " + toString(a.size) + " stride " +
                                           toString(a.stride);
                ASSERT_TRUE(r.isOk()) << params << ": " << r.status().message();
                EXPECT_TRUE(sameBytes(r.value()[0], sliceReference(x, c.start, c.stride, a.size, mode, fill)))
                    << params;
            }
        }
    }
}

TEST(SliceOp, ParametersFromShapeTensors) {
    HostTensor x = randomOfType(DataType::kBF16, makeDims({5, 6}), 11);
    for (DataType st : {DataType::kINT32, DataType::kINT64}) {
        auto start = HostTensor::fromVector(st, makeDims({2}), std::vector<int64_t>{4, 1});
        auto size = HostTensor::fromVector(st, makeDims({2}), std::vector<int64_t>{3, 2});
        auto stride = HostTensor::fromVector(st, makeDims({2}), std::vector<int64_t>{-2, 3});
        // The attributes say something else; the inputs win.
        ir::SliceAttrs a =
            sliceAttrs(makeDims({0, 0}), makeDims({1, 1}), makeDims({1, 1}), SampleMode::kSTRICT_BOUNDS);
        auto r = runSingleOp(a, {x, start, size, stride});
        ASSERT_TRUE(r.isOk()) << dataTypeName(st) << ": " << r.status().message();
        EXPECT_TRUE(sameBytes(r.value()[0], sliceReference(x, {4, 1}, {-2, 3}, makeDims({3, 2}),
                                                           SampleMode::kSTRICT_BOUNDS, x)))
            << dataTypeName(st);
    }
    // Empty start/stride attributes mean 0 and 1.
    auto r = runSingleOp(sliceAttrs({}, makeDims({2, 3}), {}, SampleMode::kSTRICT_BOUNDS), {x});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_TRUE(sameBytes(
        r.value()[0], sliceReference(x, {0, 0}, {1, 1}, makeDims({2, 3}), SampleMode::kSTRICT_BOUNDS, x)));
}

TEST(SliceOp, InferenceWithUnknownValues) {
    ir::SliceAttrs a =
        sliceAttrs(makeDims({0, 0}), makeDims({2, 2}), makeDims({1, 1}), SampleMode::kSTRICT_BOUNDS);
    std::vector<ir::TensorDesc> in(3), out(1);
    in[0].type = DataType::kUINT8;
    in[0].shape = makeDims({-1, 4});
    in[1].shape.nbDims = -1;  // start absent
    in[2].type = DataType::kINT64;
    in[2].shape = makeDims({2});  // size present, values unknown
    ir::InferContext ctx{in, out};
    ASSERT_TRUE(ir::inferNode(a, ctx).isOk());
    EXPECT_EQ(out[0].shape, makeDims({-1, -1}));
    EXPECT_EQ(out[0].type, DataType::kUINT8);
    // Static size with an unknown input extent: no bounds check possible yet, size known.
    std::vector<ir::TensorDesc> only(in.begin(), in.begin() + 1);
    a.start = makeDims({100, 0});
    ir::InferContext ctx2{only, out};
    ASSERT_TRUE(ir::inferNode(a, ctx2).isOk());
    EXPECT_EQ(out[0].shape, makeDims({2, 2}));
}

TEST(SliceOp, Errors) {
    HostTensor x = randomOfType(DataType::kFLOAT, makeDims({3, 4}), 2);
    const auto strict = SampleMode::kSTRICT_BOUNDS;
    EXPECT_TRUE(failsWith(sliceAttrs(makeDims({0, 1}), makeDims({2, 4}), makeDims({1, 2}), strict), {x},
                          {"kSTRICT_BOUNDS", "index 7", "[0, 4)", "dimension 1", "[3,4]"}));
    EXPECT_TRUE(failsWith(sliceAttrs(makeDims({1, -1}), makeDims({2, 2}), makeDims({1, 1}), strict), {x},
                          {"index -1", "dimension 1"}));
    EXPECT_TRUE(failsWith(sliceAttrs(makeDims({0}), makeDims({2, 2}), makeDims({1, 1}), strict), {x},
                          {"start", "[0]", "rank 1", "rank 2"}));
    EXPECT_TRUE(failsWith(sliceAttrs(makeDims({0, 0}), makeDims({2, -3}), makeDims({1, 1}), strict), {x},
                          {"negative extent -3", "dimension 1"}));
    auto none = HostTensor::absent();
    auto fill = randomOfType(DataType::kFLOAT, makeDims({1}), 1);
    EXPECT_TRUE(
        failsWith(sliceAttrs(makeDims({0, 0}), makeDims({2, 2}), makeDims({1, 1}), SampleMode::kCLAMP),
                  {x, none, none, none, fill}, {"fill value", "only valid in kFILL", "kCLAMP"}));
    auto fill2 = randomOfType(DataType::kFLOAT, makeDims({2}), 1);
    EXPECT_TRUE(failsWith(sliceAttrs(makeDims({0, 0}), makeDims({2, 2}), makeDims({1, 1}), SampleMode::kFILL),
                          {x, none, none, none, fill2}, {"fill value", "1-element", "[2]"}));
    HostTensor empty(DataType::kFLOAT, makeDims({3, 0}));
    EXPECT_TRUE(
        failsWith(sliceAttrs(makeDims({0, 0}), makeDims({1, 2}), makeDims({1, 1}), SampleMode::kREFLECT),
                  {empty}, {"is empty", "kREFLECT"}));
    auto badStart = HostTensor::fromVector(DataType::kINT32, makeDims({3}), std::vector<int>{0, 0, 0});
    EXPECT_TRUE(failsWith(sliceAttrs({}, makeDims({1, 1}), {}, strict), {x, badStart},
                          {"start (input 1)", "3 entries"}));
    ir::SliceAttrs badMode = sliceAttrs({}, makeDims({1, 1}), {}, static_cast<SampleMode>(9));
    EXPECT_TRUE(failsWith(badMode, {x}, {"unknown mode 9"}));
}

TEST(SliceOp, KernelChecksRunTimeBounds) {
    // At run time the start may come from a tensor computed on the fly: the kernel checks it too.
    HostTensor x = randomOfType(DataType::kINT8, makeDims({3, 4}), 4);
    HostTensor start = HostTensor::fromVector(DataType::kINT64, makeDims({2}), std::vector<int64_t>{0, 3});
    HostTensor out(DataType::kINT8, makeDims({2, 2}));
    std::vector<TensorRef> ins{x.ref(), start.ref()}, outs{out.ref()};
    reference::KernelContext k{ins, outs, nullptr};
    Status st = reference::runNode(sliceAttrs({}, makeDims({2, 2}), {}, SampleMode::kSTRICT_BOUNDS), k);
    ASSERT_FALSE(st.isOk());
    EXPECT_NE(st.message().find("index 4"), std::string::npos) << st.message();
    EXPECT_NE(st.message().find("kSTRICT_BOUNDS"), std::string::npos) << st.message();
}

TEST(MovementLarge, SliceSplitsAcrossThreads) {
    HostTensor x = randomOfType(DataType::kFLOAT, makeDims({97, 89, 31}), 8);
    ir::SliceAttrs a = sliceAttrs(makeDims({96, -5, 40}), makeDims({97, 99, 45}), makeDims({-1, 1, -1}),
                                  SampleMode::kREFLECT);
    auto r = runSingleOp(a, {x});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_TRUE(sameBytes(r.value()[0],
                          sliceReference(x, {96, -5, 40}, {-1, 1, -1}, a.size, SampleMode::kREFLECT, x)));
}

/// Padding = a slice that starts at -pre with stride 1; fill modes map onto sample modes.
HostTensor padReference(const HostTensor& in, const Dims& pre, const Dims& post, PaddingFillMode mode,
                        float value) {
    const int r = in.shape.nbDims, k = pre.nbDims;
    std::vector<int64_t> start(static_cast<size_t>(r), 0), stride(static_cast<size_t>(r), 1);
    Dims out = in.shape;
    for (int j = 0; j < k; ++j) {
        start[static_cast<size_t>(r - k + j)] = -pre.d[j];
        out.d[r - k + j] += pre.d[j] + post.d[j];
    }
    SampleMode m = mode == PaddingFillMode::kCONSTANT  ? SampleMode::kFILL
                   : mode == PaddingFillMode::kREFLECT ? SampleMode::kREFLECT
                   : mode == PaddingFillMode::kEDGE    ? SampleMode::kCLAMP
                                                       : SampleMode::kWRAP;
    HostTensor fill(in.type, makeDims({1}));
    fill.set(0, value);
    return sliceReference(in, start, stride, out, m, fill);
}

ir::PaddingAttrs padAttrs(Dims pre, Dims post, PaddingFillMode mode, float value = 0.0f) {
    ir::PaddingAttrs a;
    a.prePadding = pre;
    a.postPadding = post;
    a.mode = mode;
    a.value = value;
    return a;
}

TEST(PaddingOp, HandComputedNumpyResults) {
    auto v = HostTensor::fromVector(DataType::kFLOAT, makeDims({3}), std::vector<float>{1, 2, 3});
    struct Case {
        PaddingFillMode mode;
        std::vector<double> want;  // np.pad([1, 2, 3], (2, 3), mode)
    };
    const std::vector<Case> cases = {{PaddingFillMode::kCONSTANT, {9, 9, 1, 2, 3, 9, 9, 9}},
                                     {PaddingFillMode::kREFLECT, {3, 2, 1, 2, 3, 2, 1, 2}},
                                     {PaddingFillMode::kEDGE, {1, 1, 1, 2, 3, 3, 3, 3}},
                                     {PaddingFillMode::kWRAP, {2, 3, 1, 2, 3, 1, 2, 3}}};
    for (const auto& c : cases) {
        auto r = runSingleOp(padAttrs(makeDims({2}), makeDims({3}), c.mode, 9.0f), {v});
        ASSERT_TRUE(r.isOk()) << static_cast<int>(c.mode) << ": " << r.status().message();
        EXPECT_TRUE(nearValues(r.value()[0], makeDims({8}), c.want, 0.0))
            << "mode " << static_cast<int>(c.mode);
    }
    // 2-D, only the trailing dims listed: np.pad([[1, 2], [3, 4]], ((1, 0), (0, 2)))
    auto m = HostTensor::fromVector(DataType::kINT32, makeDims({2, 2}), std::vector<int>{1, 2, 3, 4});
    auto r = runSingleOp(padAttrs(makeDims({1, 0}), makeDims({0, 2}), PaddingFillMode::kCONSTANT), {m});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_TRUE(nearValues(r.value()[0], makeDims({3, 4}), {0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0}, 0.0));
    // Negative padding crops: [1, 2, 3][1:] then two zeros.
    auto crop = runSingleOp(padAttrs(makeDims({-1}), makeDims({2}), PaddingFillMode::kCONSTANT), {v});
    ASSERT_TRUE(crop.isOk()) << crop.status().message();
    EXPECT_TRUE(nearValues(crop.value()[0], makeDims({4}), {2, 3, 0, 0}, 0.0));
}

TEST(PaddingOp, EveryTypeEveryModeMatchesReference) {
    const Dims inShape = makeDims({3, 1, 7, 5});
    struct Case {
        Dims pre, post;
    };
    const std::vector<Case> cases = {
        {makeDims({2, -1}), makeDims({3, 4})},
        {makeDims({0, 1, 9, 3}), makeDims({1, 2, -2, 12})},  // pads beyond the extent
        {makeDims({1}), makeDims({0})},
        {Dims{}, Dims{}}};
    uint64_t seed = 900;
    for (DataType t : allDataTypes()) {
        for (PaddingFillMode mode : {PaddingFillMode::kCONSTANT, PaddingFillMode::kREFLECT,
                                     PaddingFillMode::kEDGE, PaddingFillMode::kWRAP}) {
            for (const auto& c : cases) {
                HostTensor x = randomOfType(t, inShape, seed++);
                auto r = runSingleOp(padAttrs(c.pre, c.post, mode, 1.0f), {x});
                const std::string params = std::string(dataTypeName(t)) + " mode " +
                                           std::to_string(static_cast<int>(mode)) + " pre " +
                                           toString(c.pre) + " post " + toString(c.post);
                ASSERT_TRUE(r.isOk()) << params << ": " << r.status().message();
                EXPECT_TRUE(sameBytes(r.value()[0], padReference(x, c.pre, c.post, mode, 1.0f))) << params;
            }
        }
    }
}

TEST(PaddingOp, InferenceWithUnknownDims) {
    std::vector<ir::TensorDesc> in(1), out(1);
    in[0].type = DataType::kHALF;
    in[0].shape = makeDims({2, -1, 5});
    ir::InferContext ctx{in, out};
    ASSERT_TRUE(
        ir::inferNode(padAttrs(makeDims({1, 1}), makeDims({2, -3}), PaddingFillMode::kEDGE), ctx).isOk());
    EXPECT_EQ(out[0].shape, makeDims({2, -1, 3}));
    EXPECT_EQ(out[0].type, DataType::kHALF);
}

TEST(PaddingOp, Errors) {
    HostTensor x = randomOfType(DataType::kFLOAT, makeDims({2, 3}), 1);
    EXPECT_TRUE(failsWith(padAttrs(makeDims({1, 1}), makeDims({1}), PaddingFillMode::kCONSTANT), {x},
                          {"[1,1]", "[1]", "same rank"}));
    EXPECT_TRUE(failsWith(padAttrs(makeDims({1, 1, 1}), makeDims({1, 1, 1}), PaddingFillMode::kCONSTANT), {x},
                          {"3 dims", "[2,3]"}));
    EXPECT_TRUE(failsWith(padAttrs(makeDims({-2}), makeDims({-2}), PaddingFillMode::kCONSTANT), {x},
                          {"dimension 1", "negative extent -1"}));
    HostTensor empty(DataType::kFLOAT, makeDims({2, 0}));
    EXPECT_TRUE(failsWith(padAttrs(makeDims({1}), makeDims({0}), PaddingFillMode::kWRAP), {empty},
                          {"dimension 1", "empty", "only constant"}));
    auto ok = runSingleOp(padAttrs(makeDims({1}), makeDims({1}), PaddingFillMode::kCONSTANT, 4.0f), {empty});
    ASSERT_TRUE(ok.isOk()) << ok.status().message();
    EXPECT_TRUE(nearValues(ok.value()[0], makeDims({2, 2}), {4, 4, 4, 4}, 0.0));
    EXPECT_TRUE(failsWith(padAttrs(makeDims({1}), makeDims({1}), static_cast<PaddingFillMode>(7)), {x},
                          {"unknown fill mode 7"}));
}

}  // namespace
}  // namespace kiln
