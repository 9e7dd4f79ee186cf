// MatrixMultiply: inference (shapes, broadcasting, vector ops, errors) and the reference kernel against a
// naive double-precision matmul written here from the TensorRT definition, for every supported dtype.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "support/single_op.h"

namespace kiln {
namespace {

using testing::runSingleOp;

const char* opName(MatrixOperation op) {
    switch (op) {
        case MatrixOperation::kNONE:
            return "N";
        case MatrixOperation::kTRANSPOSE:
            return "T";
        case MatrixOperation::kVECTOR:
            return "V";
    }
    return "?";
}

struct MatmulCase {
    std::vector<int64_t> a, b;
    MatrixOperation op0, op1;
    std::vector<int64_t> expectedOut;
};

std::string describe(const MatmulCase& c, DataType t) {
    return std::string(dataTypeName(t)) + " " + toString(makeDims(c.a)) + opName(c.op0) + " x " +
           toString(makeDims(c.b)) + opName(c.op1);
}

/// Element (row r, col c) of op(x) for batch element `bidx` (a multi-index over the output batch dims,
/// right-aligned against x's own batch dims, size-1 dims broadcast). A vector is a 1 x K row when it is
/// the left operand and a K x 1 column when it is the right one, hence `left`.
double opElement(const HostTensor& x, MatrixOperation op, bool left, const std::vector<int64_t>& bidx,
                 int64_t r, int64_t c) {
    const int rank = x.shape.nbDims;
    const int matRank = op == MatrixOperation::kVECTOR ? 1 : 2;
    const int batchRank = rank - matRank;
    std::vector<int64_t> idx(static_cast<size_t>(rank));
    for (int i = 0; i < batchRank; ++i) {
        int64_t o = bidx[bidx.size() - static_cast<size_t>(batchRank) + static_cast<size_t>(i)];
        idx[static_cast<size_t>(i)] = x.shape.d[i] == 1 ? 0 : o;
    }
    if (op == MatrixOperation::kVECTOR) {
        idx[static_cast<size_t>(rank - 1)] = left ? c : r;
    } else if (op == MatrixOperation::kNONE) {
        idx[static_cast<size_t>(rank - 2)] = r;
        idx[static_cast<size_t>(rank - 1)] = c;
    } else {
        idx[static_cast<size_t>(rank - 2)] = c;
        idx[static_cast<size_t>(rank - 1)] = r;
    }
    int64_t flat = 0;
    for (int i = 0; i < rank; ++i) flat = flat * x.shape.d[i] + idx[static_cast<size_t>(i)];
    return x.at(flat);
}

/// Naive matmul in double; `absSum` receives sum |a||b| per output element, the scale of rounding error.
std::vector<double> naiveMatmul(const MatmulCase& c, const HostTensor& a, const HostTensor& b,
                                const Dims& out, std::vector<double>* absSum) {
    const bool aVec = c.op0 == MatrixOperation::kVECTOR, bVec = c.op1 == MatrixOperation::kVECTOR;
    const int64_t k = c.op0 == MatrixOperation::kTRANSPOSE ? c.a[c.a.size() - 2] : c.a.back();
    const int batchRank = out.nbDims - (aVec ? 0 : 1) - (bVec ? 0 : 1);
    const int64_t m = aVec ? 1 : out.d[batchRank];
    const int64_t n = bVec ? 1 : out.d[out.nbDims - 1];
    std::vector<double> result;
    int64_t nbBatches = 1;
    for (int i = 0; i < batchRank; ++i) nbBatches *= out.d[i];
    for (int64_t t = 0; t < nbBatches; ++t) {
        std::vector<int64_t> bidx(static_cast<size_t>(batchRank));
        for (int64_t i = batchRank - 1, rem = t; i >= 0; --i) {
            bidx[static_cast<size_t>(i)] = rem % out.d[i];
            rem /= out.d[i];
        }
        for (int64_t i = 0; i < m; ++i)
            for (int64_t j = 0; j < n; ++j) {
                double s = 0.0, as = 0.0;
                for (int64_t p = 0; p < k; ++p) {
                    double prod =
                        opElement(a, c.op0, true, bidx, i, p) * opElement(b, c.op1, false, bidx, p, j);
                    s += prod;
                    as += std::fabs(prod);
                }
                result.push_back(s);
                absSum->push_back(as);
            }
    }
    return result;
}

/// Relative rounding unit of one stored output value.
double outputUlp(DataType t) {
    switch (t) {
        case DataType::kHALF:
            return 0x1p-11;
        case DataType::kBF16:
            return 0x1p-8;
        case DataType::kFLOAT:
            return 0x1p-24;
        default:
            return 0.0;  // integers are exact
    }
}

void checkCase(const MatmulCase& c, DataType t, uint64_t seed) {
    SCOPED_TRACE(describe(c, t));
    bool isInt = t == DataType::kINT32 || t == DataType::kINT64;
    HostTensor a = HostTensor::random(t, makeDims(c.a), seed, isInt ? -40 : -1, isInt ? 40 : 1);
    HostTensor b = HostTensor::random(t, makeDims(c.b), seed + 1, isInt ? -40 : -1, isInt ? 40 : 1);
    ir::MatrixMultiplyAttrs attrs;
    attrs.op0 = c.op0;
    attrs.op1 = c.op1;
    auto r = runSingleOp(attrs, {a, b});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    const HostTensor& out = r.value()[0];
    ASSERT_EQ(out.type, t);
    ASSERT_EQ(toString(out.shape), toString(makeDims(c.expectedOut)));
    std::vector<double> absSum;
    std::vector<double> ref = naiveMatmul(c, a, b, out.shape, &absSum);
    ASSERT_EQ(static_cast<int64_t>(ref.size()), out.numel());
    const int64_t k = c.op0 == MatrixOperation::kTRANSPOSE ? c.a[c.a.size() - 2] : c.a.back();
    for (int64_t i = 0; i < out.numel(); ++i) {
        double want = ref[static_cast<size_t>(i)];
        // Inputs are exact in every dtype; the error is float32 accumulation (<= (K+2) u32 * sum|ab|, the
        // classic dot-product bound) plus one rounding of the result to the output type.
        double tol = isInt ? 0.0
                           : outputUlp(t) * std::fabs(want) +
                                 (static_cast<double>(k) + 2) * 0x1p-24 * absSum[static_cast<size_t>(i)];
        ASSERT_LE(std::fabs(out.at(i) - want), tol)
            << "element " << i << ": got " << out.at(i) << ", want " << want;
    }
}

const std::vector<MatmulCase>& cases() {
    using M = MatrixOperation;
    static const std::vector<MatmulCase> all = {
        {{3, 5}, {5, 7}, M::kNONE, M::kNONE, {3, 7}},
        {{2, 1, 3, 5}, {4, 5, 7}, M::kNONE, M::kNONE, {2, 4, 3, 7}},  // batch broadcast, ranks differ
        {{4, 5, 7}, {2, 1, 7, 3}, M::kNONE, M::kNONE, {2, 4, 5, 3}},  // the other operand is the higher rank
        {{5, 3}, {5, 7}, M::kTRANSPOSE, M::kNONE, {3, 7}},
        {{2, 3, 5}, {2, 7, 5}, M::kNONE, M::kTRANSPOSE, {2, 3, 7}},
        {{1, 5, 3}, {4, 7, 5}, M::kTRANSPOSE, M::kTRANSPOSE, {4, 3, 7}},
        {{5}, {2, 5, 7}, M::kVECTOR, M::kNONE, {2, 7}},
        {{2, 3, 5}, {5}, M::kNONE, M::kVECTOR, {2, 3}},
        {{3, 5}, {5}, M::kVECTOR, M::kVECTOR, {3}},
        {{5}, {5}, M::kVECTOR, M::kVECTOR, {}},  // dot product: a scalar
        {{4, 1, 5}, {3, 7, 5}, M::kVECTOR, M::kTRANSPOSE, {4, 3, 7}},
        {{2, 5, 3}, {3, 1, 5}, M::kTRANSPOSE, M::kVECTOR, {3, 2, 3}},
        {{1, 37, 61}, {61, 43}, M::kNONE, M::kNONE, {1, 37, 43}},      // primes, one BLAS call
        {{29, 3, 11}, {29, 11, 13}, M::kNONE, M::kNONE, {29, 3, 13}},  // many batches over the pool
        {{1, 1}, {1, 1}, M::kNONE, M::kNONE, {1, 1}},
        {{2, 3, 0}, {0, 4}, M::kNONE, M::kNONE, {2, 3, 4}},  // K = 0: all zeros
        {{2, 0, 3}, {3, 4}, M::kNONE, M::kNONE, {2, 0, 4}},  // M = 0: empty output
    };
    return all;
}

TEST(MatrixMultiplyOp, MatchesNaiveReferenceFloat32) {
    uint64_t seed = 100;
    for (const auto& c : cases()) checkCase(c, DataType::kFLOAT, seed += 2);
}

TEST(MatrixMultiplyOp, MatchesNaiveReferenceFloat16AndBf16) {
    uint64_t seed = 200;
    for (const auto& c : cases()) {
        checkCase(c, DataType::kHALF, seed += 2);
        checkCase(c, DataType::kBF16, seed += 2);
    }
}

TEST(MatrixMultiplyOp, MatchesNaiveReferenceIntegers) {
    uint64_t seed = 300;
    for (const auto& c : cases()) {
        checkCase(c, DataType::kINT32, seed += 2);
        checkCase(c, DataType::kINT64, seed += 2);
    }
}

TEST(MatrixMultiplyOp, HandComputedValues) {
    HostTensor a = HostTensor::fromVector(DataType::kFLOAT, makeDims({2, 2}), std::vector<float>{1, 2, 3, 4});
    HostTensor b = HostTensor::fromVector(DataType::kFLOAT, makeDims({2, 2}), std::vector<float>{5, 6, 7, 8});
    ir::MatrixMultiplyAttrs attrs;
    auto r = runSingleOp(attrs, {a, b});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_EQ(r.value()[0].toDoubles(), (std::vector<double>{19, 22, 43, 50}));
    attrs.op0 = MatrixOperation::kTRANSPOSE;  // [[1,3],[2,4]] x b
    r = runSingleOp(attrs, {a, b});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_EQ(r.value()[0].toDoubles(), (std::vector<double>{26, 30, 38, 44}));
    attrs.op0 = MatrixOperation::kVECTOR;  // rows of a as vectors, times b
    attrs.op1 = MatrixOperation::kVECTOR;  // rows of b as vectors: row-wise dot products
    r = runSingleOp(attrs, {a, b});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_EQ(r.value()[0].toDoubles(), (std::vector<double>{17, 53}));
}

Status inferOnly(const ir::MatrixMultiplyAttrs& attrs, DataType ta, Dims a, DataType tb, Dims b, Dims* out) {
    std::vector<ir::TensorDesc> in{{ta, a, nullptr}, {tb, b, nullptr}};
    std::vector<ir::TensorDesc> outs(1);
    ir::InferContext ctx{in, outs};
    Status st = ir::inferNode(attrs, ctx);
    if (out) *out = outs[0].shape;
    return st;
}

TEST(MatrixMultiplyOp, DynamicDimsPropagate) {
    ir::MatrixMultiplyAttrs attrs;
    Dims out;
    ASSERT_TRUE(
        inferOnly(attrs, DataType::kFLOAT, makeDims({-1, 3, -1}), DataType::kFLOAT, makeDims({5, -1}), &out)
            .isOk());
    EXPECT_EQ(toString(out), "[-1,3,-1]");
    ASSERT_TRUE(
        inferOnly(attrs, DataType::kFLOAT, makeDims({1, 3, 5}), DataType::kFLOAT, makeDims({-1, 5, 2}), &out)
            .isOk());
    EXPECT_EQ(toString(out), "[-1,3,2]");
}

void expectError(const ir::MatrixMultiplyAttrs& attrs, DataType ta, Dims a, DataType tb, Dims b,
                 const std::vector<std::string>& fragments) {
    Status st = inferOnly(attrs, ta, a, tb, b, nullptr);
    ASSERT_FALSE(st.isOk()) << toString(a) << " x " << toString(b);
    EXPECT_EQ(st.code(), ErrorCode::kINVALID_ARGUMENT);
    for (const auto& f : fragments)
        EXPECT_NE(st.message().find(f), std::string::npos) << "missing '" << f << "' in: " << st.message();
}

TEST(MatrixMultiplyOp, ShapeErrorsNameBothShapes) {
    ir::MatrixMultiplyAttrs attrs;
    expectError(attrs, DataType::kFLOAT, makeDims({2, 3}), DataType::kFLOAT, makeDims({4, 5}),
                {"[2,3]", "[4,5]", "K = 3 vs 4"});
    expectError(attrs, DataType::kFLOAT, makeDims({2, 3, 4}), DataType::kFLOAT, makeDims({5, 4, 6}),
                {"[2,3,4]", "[5,4,6]", "broadcast"});
    expectError(attrs, DataType::kFLOAT, makeDims({4}), DataType::kFLOAT, makeDims({4, 6}),
                {"input 0", "rank >= 2", "[4]"});
    attrs.op1 = MatrixOperation::kTRANSPOSE;
    expectError(attrs, DataType::kFLOAT, makeDims({2, 3}), DataType::kFLOAT, makeDims({3, 4}),
                {"op1 kTRANSPOSE", "K = 3 vs 4"});
    attrs.op1 = static_cast<MatrixOperation>(7);
    expectError(attrs, DataType::kFLOAT, makeDims({2, 3}), DataType::kFLOAT, makeDims({3, 4}),
                {"op1 = 7", "not a MatrixOperation"});
}

TEST(MatrixMultiplyOp, TypeErrors) {
    ir::MatrixMultiplyAttrs attrs;
    expectError(attrs, DataType::kFLOAT, makeDims({2, 3}), DataType::kHALF, makeDims({3, 4}),
                {"same type", "float32", "float16"});
    expectError(attrs, DataType::kFP8, makeDims({2, 3}), DataType::kFP8, makeDims({3, 4}),
                {"got float8_e4m3"});
    expectError(attrs, DataType::kBOOL, makeDims({2, 3}), DataType::kBOOL, makeDims({3, 4}), {"bool"});
}

}  // namespace
}  // namespace kiln
