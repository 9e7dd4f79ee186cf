// Reference kernel for Deconvolution (transposed convolution, ONNX ConvTranspose semantics): per image
// and group, one cblas_sgemm computes, for every input position, the contribution of each
// (output channel, kernel tap) pair — col = W_g^T x X_g — and col2im scatters those columns into the
// output at i * stride - prePadding + tap * dilation. Taps that land outside the output (cropped by
// padding) are dropped. Narrow float types are staged through float32 (conv_common.h).
#include <cblas.h>

#include <climits>

#include "backends/reference/conv_common.h"

namespace kiln::reference {
namespace {

using conv_detail::Geometry;
using conv_detail::kSpatial;

/// Adds col[(ch, tap)][j], j over input positions [p0, p0 + count), into output plane ch at the
/// position tap reaches from input position p0 + j. Threads split the output channels, so no two
/// threads write the same plane.
void col2im(const float* col, int64_t channels, const Geometry& g, int64_t p0, int64_t count, float* y,
            ThreadPool* pool) {
    const int64_t kVol = g.kernelVolume(), outVol = g.outVolume();
    // Output coordinate reached by tap 0 from each input position, per spatial dim.
    std::vector<int64_t> origin(static_cast<size_t>(kSpatial * count));
    for (int64_t j = 0; j < count; ++j) {
        int64_t p = p0 + j;
        int64_t i[kSpatial];
        for (int d = kSpatial - 1; d >= 0; --d) {
            i[d] = p % g.in[d];
            p /= g.in[d];
        }
        for (int d = 0; d < kSpatial; ++d)
            origin[static_cast<size_t>(kSpatial * j + d)] = i[d] * g.stride[d] - g.pre[d];
    }
    conv_detail::parallelFor(pool, channels, 1, [&](int64_t begin, int64_t end) {
        for (int64_t ch = begin; ch < end; ++ch) {
            float* plane = y + ch * outVol;
            for (int64_t tap = 0; tap < kVol; ++tap) {
                int64_t t = tap;
                int64_t offset[kSpatial];
                for (int d = kSpatial - 1; d >= 0; --d) {
                    offset[d] = (t % g.kernel[d]) * g.dilation[d];
                    t /= g.kernel[d];
                }
                const float* src = col + (ch * kVol + tap) * count;
                const int64_t* org = origin.data();
                for (int64_t j = 0; j < count; ++j, org += kSpatial) {
                    const int64_t o0 = org[0] + offset[0], o1 = org[1] + offset[1], o2 = org[2] + offset[2];
                    if (o0 >= 0 && o0 < g.out[0] && o1 >= 0 && o1 < g.out[1] && o2 >= 0 && o2 < g.out[2])
                        plane[(o0 * g.out[1] + o1) * g.out[2] + o2] += src[j];
                }
            }
        }
    });
}

}  // namespace

Status runDeconvolution(const ir::DeconvolutionAttrs& a, const KernelContext& ctx) {
    const char* op = "Deconvolution";
    const TensorRef& x = ctx.inputs[0];
    const TensorRef& w = ctx.inputs[1];
    const TensorRef& y = ctx.outputs[0];
    const TensorRef* bias = ctx.inputs.size() > 2 && ctx.inputs[2].data ? &ctx.inputs[2] : nullptr;
    KILN_RETURN_IF_ERROR(conv_detail::requireFloat(op, "input", x));
    KILN_RETURN_IF_ERROR(conv_detail::requireFloat(op, "kernel", w));
    KILN_RETURN_IF_ERROR(conv_detail::requireFloat(op, "output", y));
    KILN_ASSIGN_OR_RETURN(Geometry g, conv_detail::kernelGeometry(op, a, x, w, y, /*transposed=*/true));
    const int64_t n = x.shape.d[0], c = x.shape.d[1], k = y.shape.d[1], groups = a.nbGroups;
    KILN_CHECK_ARG(groups >= 1 && c % groups == 0 && k % groups == 0 && w.shape.d[0] == c &&
                       w.shape.d[1] * groups == k && y.shape.d[0] == n,
                   op << ": input " << toString(x.shape) << ", kernel " << toString(w.shape) << ", output "
                      << toString(y.shape) << " and nbGroups " << groups
                      << " disagree (expected kernel [C, K/groups, k...] and output [N, K, ...])");
    if (bias) {
        KILN_RETURN_IF_ERROR(conv_detail::requireFloat(op, "bias", *bias));
        KILN_CHECK_ARG(bias->numel() == k,
                       op << ": bias " << toString(bias->shape) << " must hold " << k << " values");
    }
    const int64_t cg = c / groups, kg = k / groups, kVol = g.kernelVolume();
    const int64_t rows = kg * kVol, inVol = g.inVolume(), outVol = g.outVolume();
    if (rows > INT_MAX || inVol > INT_MAX || cg > INT_MAX)
        return unsupported(std::string(op) + ": GEMM extents (" + std::to_string(rows) + " x " +
                           std::to_string(cg) + " x " + std::to_string(inVol) +
                           ") exceed the 32-bit BLAS interface");

    ThreadPool* pool = ctx.pool;
    const conv_detail::FloatBuffer xf = conv_detail::toFloat(x, pool);
    const conv_detail::FloatBuffer wf = conv_detail::toFloat(w, pool);
    conv_detail::FloatBuffer bf;
    if (bias) bf = conv_detail::toFloat(*bias, pool);
    conv_detail::FloatOutput yf(y);
    std::fill(yf.data, yf.data + std::max<int64_t>(y.numel(), 0), 0.0f);  // col2im accumulates

    const int64_t chunk = conv_detail::columnChunk(rows, inVol);
    std::vector<float> col(static_cast<size_t>(rows * chunk));
    for (int64_t b = 0; b < n && rows > 0 && cg > 0 && inVol > 0; ++b) {
        for (int64_t grp = 0; grp < groups; ++grp) {
            const float* xg = xf.data + (b * c + grp * cg) * inVol;  // [C/groups, inVol]
            const float* wg = wf.data + grp * cg * rows;             // [C/groups, K/groups * k...]
            float* yg = yf.data + (b * k + grp * kg) * outVol;
            for (int64_t p0 = 0; p0 < inVol; p0 += chunk) {
                const int64_t count = std::min(chunk, inVol - p0);
                // col[rows, count] = W_g^T[rows, C/groups] * X_g[C/groups, p0:p0+count]
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, static_cast<int>(rows),
                            static_cast<int>(count), static_cast<int>(cg), 1.0f, wg, static_cast<int>(rows),
                            xg + p0, static_cast<int>(inVol), 0.0f, col.data(), static_cast<int>(count));
                col2im(col.data(), kg, g, p0, count, yg, pool);
            }
        }
    }
    conv_detail::addBias(bias ? bf.data : nullptr, n, k, outVol, yf.data, pool);
    yf.finish(pool);
    return Status::ok();
}

}  // namespace kiln::reference
