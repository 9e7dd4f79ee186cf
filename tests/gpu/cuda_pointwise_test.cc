// GPU tests (label `gpu`) of the CUDA pointwise kernels against the reference kernels: Activation (every
// type), Unary (every operation), ElementWise (every operation, numpy broadcasting up to rank 5, a
// > 2^32-element output for 64-bit indexing) and Scale (every mode, optional coefficients of other float
// formats). Each runs on float32, float16, bfloat16 and float8_e4m3 and, where the reference accepts them,
// the integer types and bool, over odd and prime shapes, rank 0, 1 and 5 and an empty tensor, with seeded
// random inputs and special values. Integer and bool results are bit-exact; float results carry the
// tolerance written beside each op with its reason. Cast, Identity and Select are in
// cuda_convert_select_test.cc. Without a GPU every test is skipped, never passed.
#include <gtest/gtest.h>

#if KILN_HAS_CUDA

#include "cuda_test_util.h"

namespace kiln {
namespace {

using cudatest::BothRuns;
using cudatest::CudaKernelTest;
using cudatest::expectBitExact;
using cudatest::expectClose;
using cudatest::floatInput;
using cudatest::params;
using cudatest::Tolerance;

const DataType kFloatTypes[] = {DataType::kFLOAT, DataType::kHALF, DataType::kBF16, DataType::kFP8};
const DataType kIntTypes[] = {DataType::kINT8, DataType::kUINT8, DataType::kINT32, DataType::kINT64};

/// Results computed with one or two IEEE operations on exact inputs: both sides round the same exact value
/// once (float32 carries 2p+2 bits for every narrow format p, so float -> narrow double rounding is
/// innocuous), hence bit-identical.
constexpr Tolerance kExact{0, 0, 0.0, "correctly rounded on both sides"};
/// CUDA's single-precision functions (expf, tanf, acoshf, powf, ...) are documented within 4 ulp of the
/// exact result; the reference rounds a double result once. Narrow formats: at most one ulp off, when the
/// float32 result straddles a rounding boundary of the narrow format.
constexpr Tolerance kLibm{4, 1, 0.0, "CUDA single-precision functions <= 4 ulp, reference correctly rounded"};
/// One multiply by a float32 parameter (alpha * x): exact in float32, but for the narrow formats the
/// product of a 24-bit alpha and x can land within a float32 ulp of a narrow rounding boundary, where
/// rounding to float32 first may tip it (double rounding is innocuous only between same-format operands).
constexpr Tolerance kOneFloatFactor{0, 1, 0.0, "float32 product exact; narrow formats may round twice"};

// ---- Activation --------------------------------------------------------------------------------------

struct ActivationCase {
    ActivationType type;
    const char* name;
    float alpha, beta;
    Tolerance tol;
};

// Formulas that chain a libm function with roundings of their own (beta * x before tanh, 1 + exp(-x), ...)
// add a few ulps: with glibc's float functions on 2e6 inputs in [-6, 6] they stay within 2 (sigmoid,
// selu, silu), 4 (scaled tanh) and 5 (softplus) ulp of the reference; the bounds below add CUDA's own
// function error. The GELUs cancel for x < 0 (1 + erf -> 0), where only absolute accuracy survives:
// ~1 float32 ulp of 1.0 times |0.5 x| <= 3, well below 1e-6.
const ActivationCase kActivations[] = {
    {ActivationType::kRELU, "kRELU", 0, 0, kExact},
    {ActivationType::kSIGMOID, "kSIGMOID", 0, 0, {6, 1, 0.0, "expf (2 ulp) + add + divide"}},
    {ActivationType::kTANH, "kTANH", 0, 0, kLibm},
    {ActivationType::kLEAKY_RELU, "kLEAKY_RELU", 0.1f, 0, kOneFloatFactor},
    {ActivationType::kELU, "kELU", 1.3f, 0, {4, 1, 0.0, "expm1f + multiply"}},
    {ActivationType::kSELU, "kSELU", 1.6732632f, 1.0507010f, {6, 1, 0.0, "expm1f + two multiplies"}},
    {ActivationType::kSOFTSIGN, "kSOFTSIGN", 0, 0, {2, 1, 0.0, "two roundings (add, divide)"}},
    {ActivationType::kSOFTPLUS,
     "kSOFTPLUS",
     1.5f,
     0.75f,
     {12, 1, 0.0, "beta * x rounds before expf/log1pf (the reference's product is exact)"}},
    {ActivationType::kCLIP, "kCLIP", -1.25f, 2.5f, kExact},
    {ActivationType::kHARD_SIGMOID,
     "kHARD_SIGMOID",
     0.2f,
     0.5f,
     {1, 1, 1e-7, "alpha * x + beta: one fused rounding vs the reference's double rounding"}},
    {ActivationType::kSCALED_TANH, "kSCALED_TANH", 1.7f, 0.66f, {8, 1, 0.0, "beta * x rounds before tanhf"}},
    {ActivationType::kTHRESHOLDED_RELU, "kTHRESHOLDED_RELU", 0.7f, 0, kExact},
    {ActivationType::kGELU_ERF, "kGELU_ERF", 0, 0, {8, 1, 1e-6, "erff; 1 + erf cancels for x < 0"}},
    {ActivationType::kGELU_TANH,
     "kGELU_TANH",
     0,
     0,
     {8, 1, 1e-6, "x^3 and tanhf; 1 + tanh cancels for x < 0"}},
    {ActivationType::kSILU, "kSILU", 0, 0, {8, 1, 0.0, "expf + add + divide + multiply"}},
    {ActivationType::kHARD_SWISH, "kHARD_SWISH", 0, 0, {4, 1, 1e-6, "x / 6 + 0.5 cancels near x = -3"}},
};

void PrintTo(const ActivationCase& c, std::ostream* os) {
    *os << c.name;
}

class CudaActivation : public CudaKernelTest, public ::testing::WithParamInterface<ActivationCase> {};

TEST_P(CudaActivation, MatchesReference) {
    const ActivationCase& c = GetParam();
    ir::ActivationAttrs a;
    a.type = c.type;
    a.alpha = c.alpha;
    a.beta = c.beta;
    std::vector<Dims> shapes = cudatest::pointwiseShapes();
    shapes.push_back(cudatest::largeShape());
    uint64_t seed = 1;
    for (DataType t : kFloatTypes) {
        for (const Dims& s : shapes) {
            const std::string what =
                params(std::string("Activation ") + c.name, t, s,
                       "alpha " + std::to_string(c.alpha) + " beta " + std::to_string(c.beta));
            auto r = cudatest::runBoth(a, {floatInput(t, s, ++seed, -6.0, 6.0)});
            ASSERT_TRUE(r.isOk()) << what << ": " << r.status().message();
            expectClose(r->want[0], r->got[0], c.tol, what);
        }
    }
}

INSTANTIATE_TEST_SUITE_P(AllTypes, CudaActivation, ::testing::ValuesIn(kActivations),
                         [](const auto& info) { return std::string(info.param.name + 1); });

// ---- Unary -------------------------------------------------------------------------------------------

struct UnaryCase {
    UnaryOperation op;
    const char* name;
    double lo, hi;  ///< input range: mostly the function's domain, with some values outside it
    Tolerance tol;
    bool integers;  ///< also runs on int8/uint8/int32/int64
};

const UnaryCase kUnaries[] = {
    {UnaryOperation::kEXP, "kEXP", -10, 10, kLibm, false},
    {UnaryOperation::kLOG, "kLOG", -1, 50, kLibm, false},
    {UnaryOperation::kSQRT, "kSQRT", -1, 50, kExact, false},
    {UnaryOperation::kRECIP, "kRECIP", -8, 8, kExact, false},
    {UnaryOperation::kABS, "kABS", -8, 8, kExact, true},
    {UnaryOperation::kNEG, "kNEG", -8, 8, kExact, true},
    {UnaryOperation::kSIN, "kSIN", -20, 20, kLibm, false},
    {UnaryOperation::kCOS, "kCOS", -20, 20, kLibm, false},
    {UnaryOperation::kTAN, "kTAN", -3, 3, kLibm, false},
    {UnaryOperation::kSINH, "kSINH", -8, 8, kLibm, false},
    {UnaryOperation::kCOSH, "kCOSH", -8, 8, kLibm, false},
    {UnaryOperation::kASIN, "kASIN", -1.2, 1.2, kLibm, false},
    {UnaryOperation::kACOS, "kACOS", -1.2, 1.2, kLibm, false},
    {UnaryOperation::kATAN, "kATAN", -10, 10, kLibm, false},
    {UnaryOperation::kASINH, "kASINH", -10, 10, kLibm, false},
    {UnaryOperation::kACOSH, "kACOSH", 0.5, 10, kLibm, false},
    {UnaryOperation::kATANH, "kATANH", -1.2, 1.2, kLibm, false},
    {UnaryOperation::kCEIL, "kCEIL", -8, 8, kExact, false},
    {UnaryOperation::kFLOOR, "kFLOOR", -8, 8, kExact, false},
    {UnaryOperation::kERF, "kERF", -4, 4, kLibm, false},
    {UnaryOperation::kSIGN, "kSIGN", -8, 8, kExact, true},
    {UnaryOperation::kROUND, "kROUND", -8, 8, kExact, false},
    {UnaryOperation::kISINF, "kISINF", -8, 8, kExact, false},
    {UnaryOperation::kISNAN, "kISNAN", -8, 8, kExact, false},
};

void PrintTo(const UnaryCase& c, std::ostream* os) {
    *os << c.name;
}

class CudaUnary : public CudaKernelTest, public ::testing::WithParamInterface<UnaryCase> {};

TEST_P(CudaUnary, MatchesReference) {
    const UnaryCase& c = GetParam();
    ir::UnaryAttrs a;
    a.op = c.op;
    uint64_t seed = 100;
    for (DataType t : kFloatTypes) {
        for (const Dims& s : cudatest::pointwiseShapes()) {
            const std::string what = params(std::string("Unary ") + c.name, t, s);
            auto r = cudatest::runBoth(a, {floatInput(t, s, ++seed, c.lo, c.hi)});
            ASSERT_TRUE(r.isOk()) << what << ": " << r.status().message();
            expectClose(r->want[0], r->got[0], c.tol, what);
        }
    }
    if (!c.integers) return;
    for (DataType t : kIntTypes) {
        for (const Dims& s : cudatest::pointwiseShapes()) {
            const std::string what = params(std::string("Unary ") + c.name, t, s);
            // The whole range, with the minimum first: ABS and NEG of it wrap onto itself.
            HostTensor x = cudatest::randomBytes(t, s, ++seed);
            if (x.numel() > 0)
                x.setInt(0, t == DataType::kUINT8   ? 0
                            : t == DataType::kINT8  ? -128
                            : t == DataType::kINT32 ? INT32_MIN
                                                    : INT64_MIN);
            auto r = cudatest::runBoth(a, {x});
            ASSERT_TRUE(r.isOk()) << what << ": " << r.status().message();
            expectBitExact(r->want[0], r->got[0], what);
        }
    }
}

INSTANTIATE_TEST_SUITE_P(AllOperations, CudaUnary, ::testing::ValuesIn(kUnaries),
                         [](const auto& info) { return std::string(info.param.name + 1); });

TEST_F(CudaKernelTest, UnaryNotOnEveryBoolByte) {
    ir::UnaryAttrs a;
    a.op = UnaryOperation::kNOT;
    for (const Dims& s : cudatest::pointwiseShapes()) {
        const std::string what = params("Unary kNOT", DataType::kBOOL, s);
        // Random bytes: a bool stored as 0x5c is true, as in the reference.
        auto r = cudatest::runBoth(a, {cudatest::randomBytes(DataType::kBOOL, s, 7)});
        ASSERT_TRUE(r.isOk()) << what << ": " << r.status().message();
        expectBitExact(r->want[0], r->got[0], what);
    }
}

// ---- ElementWise -------------------------------------------------------------------------------------

struct ElementWiseCase {
    ElementWiseOperation op;
    const char* name;
    bool numeric;   ///< runs on the float formats and the integers
    bool boolIn;    ///< runs on bool inputs
    Tolerance tol;  ///< for float outputs
};

// FLOOR_DIV and MOD compute in double on the device, as in the reference, so they are exact too.
const ElementWiseCase kElementWises[] = {
    {ElementWiseOperation::kSUM, "kSUM", true, false, kExact},
    {ElementWiseOperation::kPROD, "kPROD", true, false, kExact},
    {ElementWiseOperation::kMAX, "kMAX", true, false, kExact},
    {ElementWiseOperation::kMIN, "kMIN", true, false, kExact},
    {ElementWiseOperation::kSUB, "kSUB", true, false, kExact},
    {ElementWiseOperation::kDIV, "kDIV", true, false, kExact},
    {ElementWiseOperation::kPOW, "kPOW", true, false, {8, 1, 0.0, "powf: CUDA documents a few ulp (4)"}},
    {ElementWiseOperation::kFLOOR_DIV, "kFLOOR_DIV", true, false, kExact},
    {ElementWiseOperation::kMOD, "kMOD", true, false, kExact},
    {ElementWiseOperation::kFMOD, "kFMOD", true, false, kExact},
    {ElementWiseOperation::kAND, "kAND", false, true, kExact},
    {ElementWiseOperation::kOR, "kOR", false, true, kExact},
    {ElementWiseOperation::kXOR, "kXOR", false, true, kExact},
    {ElementWiseOperation::kEQUAL, "kEQUAL", true, true, kExact},
    {ElementWiseOperation::kGREATER, "kGREATER", true, false, kExact},
    {ElementWiseOperation::kLESS, "kLESS", true, false, kExact},
};

/// Shape pairs: same shape, two-way broadcast, trailing vector, scalar, rank 5 against rank 3, rank 1, an
/// empty output, and (float32/int32 only, see below) a large output.
std::vector<std::pair<Dims, Dims>> elementWiseShapes() {
    return {{makeDims({3, 7, 5}), makeDims({3, 7, 5})},
            {makeDims({1, 7, 1}), makeDims({3, 1, 5})},
            {makeDims({3, 7, 5}), makeDims({5})},
            {makeDims({}), makeDims({3, 7, 5})},
            {makeDims({2, 3, 1, 5, 7}), makeDims({3, 5, 1})},
            {makeDims({97}), makeDims({97})},
            {makeDims({3, 0, 5}), makeDims({1, 5})}};
}

/// Integer operands over the type's whole range, with the divisors and bases that need care (0, -1, the
/// minimum) placed where the pairs meet them. POW gets small exponents, else nearly all would wrap to 0.
HostTensor intOperand(DataType t, const Dims& s, uint64_t seed, bool exponent) {
    HostTensor h = exponent ? HostTensor::random(t, s, seed, t == DataType::kUINT8 ? 0 : -3, 40)
                            : cudatest::randomBytes(t, s, seed);
    const int64_t lowest = t == DataType::kUINT8   ? 0
                           : t == DataType::kINT8  ? -128
                           : t == DataType::kINT32 ? INT32_MIN
                                                   : INT64_MIN;
    const int64_t specials[] = {0, -1, lowest, 1, 2, -2};
    for (int64_t k = 0; k < 6 && k < h.numel(); ++k)
        h.setInt((seed & 1) ? k : h.numel() - 1 - k, specials[k]);
    return h;
}

void PrintTo(const ElementWiseCase& c, std::ostream* os) {
    *os << c.name;
}

class CudaElementWise : public CudaKernelTest, public ::testing::WithParamInterface<ElementWiseCase> {};

TEST_P(CudaElementWise, MatchesReference) {
    const ElementWiseCase& c = GetParam();
    ir::ElementWiseAttrs a;
    a.op = c.op;
    uint64_t seed = 1000;
    auto check = [&](DataType t, const Dims& sa, const Dims& sb, const HostTensor& x, const HostTensor& y) {
        const std::string what = std::string("ElementWise ") + c.name + " " + dataTypeName(t) + toString(sa) +
                                 " with " + toString(sb);
        auto r = cudatest::runBoth(a, {x, y});
        ASSERT_TRUE(r.isOk()) << what << ": " << r.status().message();
        expectClose(r->want[0], r->got[0], c.tol, what);
    };
    std::vector<std::pair<Dims, Dims>> shapes = elementWiseShapes();
    if (c.numeric) {
        for (DataType t : kFloatTypes) {
            auto all = shapes;
            if (t == DataType::kFLOAT) all.push_back({cudatest::largeShape(), makeDims({3001})});
            for (const auto& [sa, sb] : all) {
                // Both operands meet specials (NaN, infinities, zeros), at different positions.
                seed += 2;
                check(t, sa, sb, floatInput(t, sa, seed, -4, 4, 0), floatInput(t, sb, seed + 1, -4, 4, 3));
                if (HasFatalFailure()) return;
            }
        }
        for (DataType t : kIntTypes) {
            auto all = shapes;
            if (t == DataType::kINT32) all.push_back({cudatest::largeShape(), makeDims({3001})});
            for (const auto& [sa, sb] : all) {
                seed += 2;
                check(t, sa, sb, intOperand(t, sa, seed, false),
                      intOperand(t, sb, seed + 1, c.op == ElementWiseOperation::kPOW));
                if (HasFatalFailure()) return;
            }
        }
    }
    if (c.boolIn) {
        for (const auto& [sa, sb] : shapes) {
            seed += 2;
            check(DataType::kBOOL, sa, sb, cudatest::randomBytes(DataType::kBOOL, sa, seed),
                  cudatest::randomBytes(DataType::kBOOL, sb, seed + 1));
            if (HasFatalFailure()) return;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(AllOperations, CudaElementWise, ::testing::ValuesIn(kElementWises),
                         [](const auto& info) { return std::string(info.param.name + 1); });

// An output of 2^32 + 2 uint8 elements: flat indices beyond 32 bits, where divMod takes its 64-bit path
// and every thread of the capped grid loops ~2000 times. Checked element by element against the formula,
// since the reference would take minutes on a tensor this size.
TEST_F(CudaKernelTest, ElementWiseIndexesPast32Bits) {
    const int64_t inner = (int64_t{1} << 31) + 1;
    size_t freeBytes = 0, totalBytes = 0;
    cudaMemGetInfo(&freeBytes, &totalBytes);
    if (freeBytes < size_t{12} << 30)
        GTEST_SKIP() << "needs 12 GiB of free device memory, has " << (freeBytes >> 30);
    HostTensor a(DataType::kUINT8, makeDims({2, 1}));
    a.setInt(0, 1);
    a.setInt(1, 7);
    HostTensor b(DataType::kUINT8, makeDims({inner}));
    for (int64_t j = 0; j < inner; ++j) b.bytes[static_cast<size_t>(j)] = static_cast<uint8_t>(j % 251);
    ir::ElementWiseAttrs attrs;
    attrs.op = ElementWiseOperation::kSUM;
    std::vector<HostTensor> out{HostTensor(DataType::kUINT8, makeDims({2, inner}))};
    const Status st = cudatest::runCuda(attrs, {a, b}, out);
    ASSERT_TRUE(st.isOk()) << st.message();
    int64_t bad = 0, firstBad = -1;
    for (int64_t i = 0; i < 2; ++i)
        for (int64_t j = 0; j < inner; ++j)
            if (out[0].bytes[static_cast<size_t>(i * inner + j)] !=
                    static_cast<uint8_t>((i == 0 ? 1 : 7) + j % 251) &&
                bad++ == 0)
                firstBad = i * inner + j;
    EXPECT_EQ(bad, 0) << "ElementWise kSUM uint8[2,1] + uint8[" << inner << "]: first wrong element "
                      << firstBad;
}

// ---- Scale -------------------------------------------------------------------------------------------

TEST_F(CudaKernelTest, ScaleEveryModeAndCoefficientSet) {
    struct Layout {
        Dims shape;
        int axis;
    };
    const Layout layouts[] = {{makeDims({3, 7, 5}), 1},
                              {makeDims({2, 3, 1, 5, 7}), 2},
                              {makeDims({97}), 0},
                              {makeDims({3, 0, 5}), 1}};
    const ScaleMode modes[] = {ScaleMode::kUNIFORM, ScaleMode::kCHANNEL, ScaleMode::kELEMENTWISE};
    // (shift, scale, power) present?
    const bool sets[][3] = {
        {true, true, true}, {true, false, false}, {false, true, true}, {false, false, false}};
    uint64_t seed = 5000;
    for (DataType t : kFloatTypes)
        // Coefficients in x's format and in another one: the kernel reads them by their own type.
        for (DataType coefType : {t, t == DataType::kFLOAT ? DataType::kBF16 : DataType::kFLOAT})
            for (const Layout& l : layouts)
                for (ScaleMode m : modes)
                    for (const auto& set : sets) {
                        ir::ScaleAttrs a;
                        a.mode = m;
                        a.channelAxis = l.axis;
                        int64_t count = 1;
                        if (m == ScaleMode::kCHANNEL) count = l.shape.d[l.axis];
                        if (m == ScaleMode::kELEMENTWISE)
                            for (int d = l.axis; d < l.shape.nbDims; ++d) count *= l.shape.d[d];
                        // Positive bases keep fractional powers real; the power spans [-2, 2].
                        std::vector<HostTensor> in{floatInput(t, l.shape, ++seed, 0.5, 4.0, -1)};
                        const double ranges[3][2] = {{0.0, 1.0}, {0.5, 2.0}, {-2.0, 2.0}};
                        for (int k = 0; k < 3; ++k)
                            in.push_back(set[k] ? floatInput(coefType, makeDims({count}), ++seed,
                                                             ranges[k][0], ranges[k][1], -1)
                                                : HostTensor::absent());
                        const std::string what =
                            params("Scale", t, l.shape,
                                   "mode " + std::to_string(static_cast<int>(m)) + " axis " +
                                       std::to_string(l.axis) + " coefficients " + dataTypeName(coefType) +
                                       " shift/scale/power " + std::to_string(set[0]) +
                                       std::to_string(set[1]) + std::to_string(set[2]));
                        auto r = cudatest::runBoth(a, in);
                        ASSERT_TRUE(r.isOk()) << what << ": " << r.status().message();
                        // x * scale + shift: one fused rounding vs the reference's double rounding (1 ulp);
                        // powf adds its 4 ulp and a power up to 2 doubles the base's relative error.
                        const Tolerance tol = set[2]
                                                  ? Tolerance{8, 1, 0.0, "fmaf + powf (<= 4 ulp), power <= 2"}
                                                  : Tolerance{1, 1, 0.0, "fmaf vs double multiply-add"};
                        expectClose(r->want[0], r->got[0], tol, what);
                    }
}

}  // namespace
}  // namespace kiln

#else

TEST(CudaPointwise, NeedsCuda) {
    GTEST_SKIP() << "Kiln was built without CUDA";
}

#endif  // KILN_HAS_CUDA
