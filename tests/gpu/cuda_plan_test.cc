// Device-free checks of how the CUDA tactics map Kiln ops onto library calls, run on every CUDA build
// (CI included, which has no GPU): the cuBLASLt call plan of MatrixMultiply is executed here with a
// naive column-major GEMM that follows cuBLASLt's definition (op, leading dimension, batch stride),
// bounds-checking every access, and compared with the reference kernel; the cuDNN padding plans of
// Convolution and Deconvolution are replayed with the reference kernels (zero-padded copy + symmetric
// padding, symmetric deconvolution + crop) and must reproduce the reference results exactly, with
// cuDNN's own output-extent formula agreeing with inference. What remains for the device is the
// libraries' arithmetic, covered by cuda_matmul_test.cc and cuda_conv_test.cc.
#include <gtest/gtest.h>

#if KILN_HAS_CUDA

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "backends/cuda/kernels/conv/conv_cudnn_common.h"
#include "backends/cuda/kernels/matmul/matmul_cublaslt_plan.h"
#include "cuda_conv_cases.h"
#include "cuda_kernel_test_util.h"
#include "support/single_op.h"

namespace kiln {
namespace {

using gputest::ConvCase;
using gputest::dimsOf;
using gputest::Shape;

constexpr MatrixOperation kN = MatrixOperation::kNONE;
constexpr MatrixOperation kT = MatrixOperation::kTRANSPOSE;
constexpr MatrixOperation kV = MatrixOperation::kVECTOR;

// ---- MatrixMultiply -> cuBLASLt --------------------------------------------------------------------

/// Executes the plan in double: D(r, col) = sum_p op(first)(r, p) * op(second)(p, col) for every call
/// and batch element, as cuBLASLt defines it. Fails the test on a shape inconsistency, an access outside
/// a tensor, or an output element written twice or never.
void emulatePlan(const cuda::LtPlan& plan, const HostTensor& a, const HostTensor& b, HostTensor& c,
                 const std::string& params) {
    const cuda::LtMatrix &f = plan.first, &s = plan.second, &o = plan.out;
    const int64_t fRows = f.transposed ? f.cols : f.rows, fK = f.transposed ? f.rows : f.cols;
    const int64_t sK = s.transposed ? s.cols : s.rows, sCols = s.transposed ? s.rows : s.cols;
    ASSERT_EQ(fRows, o.rows) << params;
    ASSERT_EQ(sCols, o.cols) << params;
    ASSERT_EQ(fK, sK) << params;
    ASSERT_GE(f.ld, f.rows) << params;
    ASSERT_GE(s.ld, s.rows) << params;
    ASSERT_GE(o.ld, o.rows) << params;
    std::vector<int> writes(static_cast<size_t>(c.numel()), 0);
    for (const cuda::LtCall& call : plan.calls) {
        ASSERT_GE(call.batchCount, 1) << params;
        ASSERT_LE(call.batchCount, cuda::kMaxBatchPerCall) << params;
        for (int64_t u = 0; u < call.batchCount; ++u) {
            const int64_t fb = call.bOffset + u * f.batchStride, sb = call.aOffset + u * s.batchStride;
            const int64_t ob = call.cOffset + u * o.batchStride;
            for (int64_t r = 0; r < o.rows; ++r)
                for (int64_t col = 0; col < o.cols; ++col) {
                    double sum = 0.0;
                    for (int64_t p = 0; p < fK; ++p) {
                        const int64_t fi = fb + (f.transposed ? p + r * f.ld : r + p * f.ld);
                        const int64_t si = sb + (s.transposed ? col + p * s.ld : p + col * s.ld);
                        ASSERT_TRUE(fi >= 0 && fi < b.numel()) << params << ": reads b[" << fi << "]";
                        ASSERT_TRUE(si >= 0 && si < a.numel()) << params << ": reads a[" << si << "]";
                        sum += b.at(fi) * a.at(si);
                    }
                    const int64_t oi = ob + r + col * o.ld;
                    ASSERT_TRUE(oi >= 0 && oi < c.numel()) << params << ": writes c[" << oi << "]";
                    ++writes[static_cast<size_t>(oi)];
                    c.set(oi, sum);
                }
        }
    }
    for (size_t i = 0; i < writes.size(); ++i) ASSERT_EQ(writes[i], 1) << params << ": c[" << i << "] writes";
}

struct MatmulCase {
    Shape a, b;
    MatrixOperation op0{kN}, op1{kN};
};

/// Plans the case, emulates it and compares with the float32 reference (tolerance: the reference's own
/// float32 accumulation, K * 2^-24 * sum|a||b|, plus double rounding of the emulation). Returns the
/// plan for further checks.
cuda::LtPlan checkPlan(const MatmulCase& c, uint64_t seed) {
    std::ostringstream os;
    os << "a" << toString(dimsOf(c.a)) << static_cast<int>(c.op0) << " x b" << toString(dimsOf(c.b))
       << static_cast<int>(c.op1);
    const std::string params = os.str();
    ir::MatrixMultiplyAttrs attrs;
    attrs.op0 = c.op0;
    attrs.op1 = c.op1;
    const HostTensor a = HostTensor::random(DataType::kFLOAT, dimsOf(c.a), seed);
    const HostTensor b = HostTensor::random(DataType::kFLOAT, dimsOf(c.b), seed + 1);
    auto want = testing::runSingleOp(attrs, {a, b});
    auto scale = testing::runSingleOp(attrs, {gputest::absFloat(a), gputest::absFloat(b)});
    EXPECT_TRUE(want.isOk() && scale.isOk()) << params;
    if (!want.isOk() || !scale.isOk()) return {};
    const HostTensor& ref = want.value()[0];
    auto g = reference::matmul_detail::makeGeometry(attrs, a.shape, b.shape, ref.shape);
    EXPECT_TRUE(g.isOk()) << params << ": " << g.status().message();
    if (!g.isOk()) return {};
    const cuda::LtPlan plan = cuda::planCublasLt(g.value());
    HostTensor got(DataType::kFLOAT, ref.shape);
    emulatePlan(plan, a, b, got, params);
    const double k = static_cast<double>(g.value().k);
    std::vector<double> tol(static_cast<size_t>(ref.numel()));
    for (int64_t i = 0; i < ref.numel(); ++i)
        tol[static_cast<size_t>(i)] = (k + 1) * gputest::kF32Unit * scale.value()[0].at(i);
    gputest::expectWithin(got, ref, tol, params);
    return plan;
}

TEST(CudaMatmulPlan, EveryTransposePairOnOddSizes) {
    uint64_t seed = 1;
    for (MatrixOperation op0 : {kN, kT})
        for (MatrixOperation op1 : {kN, kT})
            for (int64_t m : {1, 7, 33})
                for (int64_t n : {1, 7, 33})
                    for (int64_t k : {1, 7, 33}) {
                        const MatmulCase c{op0 == kT ? Shape{k, m} : Shape{m, k},
                                           op1 == kT ? Shape{n, k} : Shape{k, n}, op0, op1};
                        const cuda::LtPlan p = checkPlan(c, seed += 2);
                        EXPECT_EQ(p.calls.size(), 1u);
                    }
}

TEST(CudaMatmulPlan, BatchRoutes) {
    // Equal batches: one strided call over all 5.
    cuda::LtPlan p = checkPlan({{5, 7, 33}, {5, 33, 9}}, 100);
    ASSERT_EQ(p.calls.size(), 1u);
    EXPECT_EQ(p.calls[0].batchCount, 5);
    // 2x1 against 1x3: two calls of three batches, a advancing only between calls, b only inside them.
    for (auto [op0, op1] : {std::pair{kN, kN}, std::pair{kT, kT}, std::pair{kT, kN}}) {
        const MatmulCase c{op0 == kT ? Shape{2, 1, 33, 7} : Shape{2, 1, 7, 33},
                           op1 == kT ? Shape{1, 3, 5, 33} : Shape{1, 3, 33, 5}, op0, op1};
        p = checkPlan(c, 200);
        ASSERT_EQ(p.calls.size(), 2u);
        EXPECT_EQ(p.calls[0].batchCount, 3);
        EXPECT_EQ(p.second.batchStride, 0);  // a (cuBLASLt's B) is broadcast inside a call
        EXPECT_EQ(p.calls[1].aOffset, 7 * 33);
    }
    // b shared by every batch and a contiguous: folded into one [4 * 7, 33] x [33, 9] GEMM.
    for (const MatmulCase& c : {MatmulCase{{4, 7, 33}, {33, 9}}, MatmulCase{{4, 7, 33}, {1, 33, 9}},
                                MatmulCase{{2, 3, 7, 33}, {33, 5}}}) {
        p = checkPlan(c, 300);
        ASSERT_EQ(p.calls.size(), 1u);
        EXPECT_EQ(p.calls[0].batchCount, 1);
        EXPECT_EQ(p.out.cols, c.a[0] * (c.a.size() == 4 ? c.a[1] : 1) * 7);
    }
    // b shared but a transposed: no fold, b at stride 0 inside one call.
    p = checkPlan({{4, 33, 7}, {33, 9}, kT, kN}, 400);
    ASSERT_EQ(p.calls.size(), 1u);
    EXPECT_EQ(p.calls[0].batchCount, 4);
    EXPECT_EQ(p.first.batchStride, 0);
    // Other broadcast shapes, checked numerically only.
    checkPlan({{3, 1, 7, 33}, {3, 4, 33, 5}}, 500);
    checkPlan({{7, 33}, {6, 33, 9}}, 600);
    checkPlan({{2, 1, 3, 7, 33}, {4, 1, 33, 5}}, 700);
}

TEST(CudaMatmulPlan, VectorOperands) {
    const std::vector<MatmulCase> cases = {
        {{33}, {33, 7}, kV, kN},       {{7, 33}, {33}, kN, kV},       {{33, 7}, {33}, kT, kV},
        {{33}, {7, 33}, kV, kT},       {{2, 33}, {2, 33, 5}, kV, kN}, {{3, 7, 33}, {33}, kN, kV},
        {{2, 3, 33}, {3, 33}, kV, kV},
    };
    uint64_t seed = 800;
    for (const MatmulCase& c : cases) checkPlan(c, seed += 2);
}

TEST(CudaMatmulPlan, LargeBatchesAreSplitPerCall) {
    const cuda::LtPlan p = checkPlan({{70000, 1, 2}, {70000, 2, 3}}, 900);
    ASSERT_EQ(p.calls.size(), 2u);
    EXPECT_EQ(p.calls[0].batchCount, cuda::kMaxBatchPerCall);
    EXPECT_EQ(p.calls[1].batchCount, 70000 - cuda::kMaxBatchPerCall);
    EXPECT_EQ(p.calls[1].cOffset, cuda::kMaxBatchPerCall * 3);
}

// ---- Convolution / Deconvolution -> cuDNN padding plans ---------------------------------------------

/// Host twin of convk::windowCopy: dst[p][i] = src[p][i - shift], 0 outside src (3 spatial slots).
HostTensor windowCopyHost(const HostTensor& src, Dims dstShape, int64_t planes, const int64_t srcExt[3],
                          const int64_t dstExt[3], const int64_t shift[3]) {
    HostTensor dst(src.type, dstShape);
    for (int64_t p = 0; p < planes; ++p)
        for (int64_t i0 = 0; i0 < dstExt[0]; ++i0)
            for (int64_t i1 = 0; i1 < dstExt[1]; ++i1)
                for (int64_t i2 = 0; i2 < dstExt[2]; ++i2) {
                    const int64_t s0 = i0 - shift[0], s1 = i1 - shift[1], s2 = i2 - shift[2];
                    const bool inside =
                        s0 >= 0 && s0 < srcExt[0] && s1 >= 0 && s1 < srcExt[1] && s2 >= 0 && s2 < srcExt[2];
                    const int64_t d = ((p * dstExt[0] + i0) * dstExt[1] + i1) * dstExt[2] + i2;
                    dst.set(d,
                            inside ? src.at(((p * srcExt[0] + s0) * srcExt[1] + s1) * srcExt[2] + s2) : 0.0);
                }
    return dst;
}

/// [n, c] followed by the last nbSpatial of ext.
Dims nchw(int64_t n, int64_t c, const int64_t ext[3], int nbSpatial) {
    Dims d;
    d.nbDims = 2 + nbSpatial;
    d.d[0] = n;
    d.d[1] = c;
    for (int i = 0; i < nbSpatial; ++i) d.d[2 + i] = ext[3 - nbSpatial + i];
    return d;
}

Dims lastOf(const int64_t v[3], int nbSpatial) {
    Dims d;
    d.nbDims = nbSpatial;
    for (int i = 0; i < nbSpatial; ++i) d.d[i] = v[3 - nbSpatial + i];
    return d;
}

void expectSame(const HostTensor& got, const HostTensor& want, const std::string& params) {
    ASSERT_EQ(toString(got.shape), toString(want.shape)) << params;
    std::vector<double> tol(static_cast<size_t>(want.numel()), 0.0);  // same arithmetic, same order
    gputest::expectWithin(got, want, tol, params);
}

TEST(CudaConvPlan, PaddedInputWithSymmetricPaddingReproducesConvolution) {
    uint64_t seed = 1000;
    int stagedCases = 0, plainCases = 0;
    for (const ConvCase& c : gputest::convCases()) {
        const std::string params = c.describe(false, DataType::kFLOAT);
        const ir::Attrs attrs = c.attrs(false);
        const HostTensor x = HostTensor::random(DataType::kFLOAT, dimsOf(c.x), seed += 3);
        const HostTensor w = HostTensor::random(DataType::kFLOAT, dimsOf(c.weightShape(false)), seed + 1);
        const HostTensor b =
            c.bias ? HostTensor::random(DataType::kFLOAT, makeDims({c.k}), seed + 2) : HostTensor::absent();
        auto want = testing::runSingleOp(attrs, {x, w, b});
        ASSERT_TRUE(want.isOk()) << params << ": " << want.status().message();
        const HostTensor& ref = want.value()[0];
        auto g = reference::conv_detail::kernelGeometry("Convolution", std::get<ir::ConvolutionAttrs>(attrs),
                                                        x.ref(), w.ref(), ref.ref(), false);
        ASSERT_TRUE(g.isOk()) << params << ": " << g.status().message();
        auto pad = cuda::conv_cudnn::planConvPadding("Convolution", g.value());
        ASSERT_TRUE(pad.isOk()) << params << ": " << pad.status().message();
        const auto& G = g.value();
        const auto& P = pad.value();
        (P.staged ? stagedCases : plainCases)++;
        for (int i = 0; i < 3; ++i) {
            // cuDNN's output extent: floor((in + 2 pad - window) / stride) + 1, on the staged input.
            EXPECT_EQ((P.padded[i] + 2 * P.sym[i] - G.effective(i)) / G.stride[i] + 1, G.out[i]) << params;
            EXPECT_GE(P.shift[i], 0) << params;
        }
        const int ns = G.nbSpatial;
        const HostTensor xp =
            windowCopyHost(x, nchw(c.x[0], c.x[1], P.padded, ns), c.x[0] * c.x[1], G.in, P.padded, P.shift);
        ir::ConvolutionAttrs sym = std::get<ir::ConvolutionAttrs>(attrs);
        sym.prePadding = sym.postPadding = lastOf(P.sym, ns);
        sym.paddingMode = PaddingMode::kEXPLICIT_ROUND_DOWN;
        auto replay = testing::runSingleOp(sym, {xp, w, b});
        ASSERT_TRUE(replay.isOk()) << params << ": " << replay.status().message();
        expectSame(replay.value()[0], ref, params);
    }
    EXPECT_GT(stagedCases, 0);
    EXPECT_GT(plainCases, 0);
}

TEST(CudaConvPlan, SymmetricDeconvolutionAndCropReproduceDeconvolution) {
    uint64_t seed = 2000;
    int directCases = 0, stagedCases = 0;
    for (const ConvCase& c : gputest::deconvCases()) {
        const std::string params = c.describe(true, DataType::kFLOAT);
        const ir::Attrs attrs = c.attrs(true);
        const HostTensor x = HostTensor::random(DataType::kFLOAT, dimsOf(c.x), seed += 3);
        const HostTensor w = HostTensor::random(DataType::kFLOAT, dimsOf(c.weightShape(true)), seed + 1);
        const HostTensor b =
            c.bias ? HostTensor::random(DataType::kFLOAT, makeDims({c.k}), seed + 2) : HostTensor::absent();
        auto want = testing::runSingleOp(attrs, {x, w, b});
        ASSERT_TRUE(want.isOk()) << params << ": " << want.status().message();
        const HostTensor& ref = want.value()[0];
        auto g = reference::conv_detail::kernelGeometry(
            "Deconvolution", std::get<ir::DeconvolutionAttrs>(attrs), x.ref(), w.ref(), ref.ref(), true);
        ASSERT_TRUE(g.isOk()) << params << ": " << g.status().message();
        auto pad = cuda::conv_cudnn::planDeconvPadding("Deconvolution", g.value());
        ASSERT_TRUE(pad.isOk()) << params << ": " << pad.status().message();
        const auto& G = g.value();
        const auto& P = pad.value();
        (P.direct ? directCases : stagedCases)++;
        for (int i = 0; i < 3; ++i) {
            // cuDNN accepts dx for dy when the forward convolution of dx has dy's extent.
            EXPECT_EQ((P.dx[i] + 2 * P.sym[i] - G.effective(i)) / G.stride[i] + 1, G.in[i]) << params;
            if (P.direct) {
                EXPECT_EQ(P.dx[i], G.out[i]) << params;
            }
        }
        const int ns = G.nbSpatial;
        ir::DeconvolutionAttrs sym = std::get<ir::DeconvolutionAttrs>(attrs);
        sym.prePadding = sym.postPadding = lastOf(P.sym, ns);
        sym.paddingMode = PaddingMode::kEXPLICIT_ROUND_DOWN;
        int64_t extra[3];
        for (int i = 0; i < 3; ++i) extra[i] = P.dx[i] - P.natural[i];
        sym.outputPadding = lastOf(extra, ns);
        auto replay = testing::runSingleOp(sym, {x, w, HostTensor::absent()});
        ASSERT_TRUE(replay.isOk()) << params << ": " << replay.status().message();
        const int64_t n = c.x[0], k = c.k;
        const int64_t shift[3] = {-P.crop[0], -P.crop[1], -P.crop[2]};
        HostTensor y = windowCopyHost(replay.value()[0], ref.shape, n * k, P.dx, G.out, shift);
        if (c.bias) {  // the bias kernel: after the crop, so zero-filled positions get it too
            const int64_t plane = G.outVolume();
            for (int64_t i = 0; i < y.numel(); ++i)
                y.set(i, static_cast<float>(static_cast<float>(y.at(i)) +
                                            static_cast<float>(b.at((i / plane) % k))));
        }
        expectSame(y, ref, params);
    }
    EXPECT_GT(directCases, 0);
    EXPECT_GT(stagedCases, 0);
}

}  // namespace
}  // namespace kiln

#else  // !KILN_HAS_CUDA

TEST(CudaPlan, NeedsCuda) {
    GTEST_SKIP() << "Kiln was built without CUDA";
}

#endif
