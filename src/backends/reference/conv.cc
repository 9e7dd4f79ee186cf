// Reference kernel for Convolution (N-d, 1 to 3 spatial dims, grouped, dilated, padded): per image and
// group, im2col gathers each output position's receptive field into a column, then one cblas_sgemm
// multiplies the group's [K/groups, C/groups * k...] kernel rows by the columns. Narrow float types are
// staged through float32 (conv_common.h), so accumulation is always float32. im2col runs on the
// context's pool; the GEMM is threaded by OpenBLAS. The fused epilogue (bias, addend, activation) runs on
// the float32 result before the store.
#include <cblas.h>

#include <climits>
#include <cstring>
#include <vector>

#include "backends/reference/conv_common.h"
#include "backends/reference/epilogue.h"

namespace kiln::reference {
namespace {

using conv_detail::Geometry;
using conv_detail::kSpatial;

/// Fills col[r][j] for r over channels x kernel taps and j over output positions [p0, p0 + count):
/// the input value the tap sees at that position, 0 in the padding. x holds `channels` planes.
void im2col(const float* x, int64_t channels, const Geometry& g, int64_t p0, int64_t count, float* col,
            ThreadPool* pool) {
    const int64_t kVol = g.kernelVolume(), inVol = g.inVolume();
    // Input coordinate of each column's window origin (tap 0), per spatial dim.
    std::vector<int64_t> origin(static_cast<size_t>(kSpatial * count));
    for (int64_t j = 0; j < count; ++j) {
        int64_t p = p0 + j;
        int64_t o[kSpatial];
        for (int i = kSpatial - 1; i >= 0; --i) {
            o[i] = p % g.out[i];
            p /= g.out[i];
        }
        for (int i = 0; i < kSpatial; ++i)
            origin[static_cast<size_t>(kSpatial * j + i)] = o[i] * g.stride[i] - g.pre[i];
    }
    conv_detail::parallelFor(pool, channels * kVol, 1, [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) {
            int64_t t = r % kVol;
            int64_t offset[kSpatial];
            for (int i = kSpatial - 1; i >= 0; --i) {
                offset[i] = (t % g.kernel[i]) * g.dilation[i];
                t /= g.kernel[i];
            }
            const float* plane = x + (r / kVol) * inVol;
            float* dst = col + r * count;
            const int64_t* org = origin.data();
            for (int64_t j = 0; j < count; ++j, org += kSpatial) {
                const int64_t i0 = org[0] + offset[0], i1 = org[1] + offset[1], i2 = org[2] + offset[2];
                const bool inside =
                    i0 >= 0 && i0 < g.in[0] && i1 >= 0 && i1 < g.in[1] && i2 >= 0 && i2 < g.in[2];
                dst[j] = inside ? plane[(i0 * g.in[1] + i1) * g.in[2] + i2] : 0.0f;
            }
        }
    });
}

/// True when every column is one input position as is (1x1 kernel, stride 1, no padding): the input
/// planes are then the im2col matrix and no copy is needed.
bool isPointwise(const Geometry& g) {
    for (int i = 0; i < kSpatial; ++i)
        if (g.kernel[i] != 1 || g.stride[i] != 1 || g.pre[i] != 0 || g.post[i] != 0 || g.in[i] != g.out[i])
            return false;
    return true;
}

/// Channels-last Convolution: the channels-first kernel on permuted copies of x, the kernel and the
/// addend, the result permuted back into y. The reference is the oracle, so it reuses the one
/// convolution it has rather than a second loop nest.
Status runChannelsLastConvolution(const ir::ConvolutionAttrs& a, const KernelContext& ctx) {
    const TensorRef& y = ctx.outputs[0];
    KILN_CHECK_ARG(y.shape.nbDims >= 3 && ctx.inputs[0].shape.nbDims == y.shape.nbDims &&
                       dataTypeSize(y.type) >= 1 && dataTypeSize(ctx.inputs[0].type) >= 1,
                   "Convolution: a channels-last convolution takes [N, spatial..., C] byte-sized float tensors, "
                   "got input " << toString(ctx.inputs[0].shape) << " and output " << toString(y.shape));
    if (y.numel() == 0) return Status::ok();
    std::vector<TensorRef> inputs(ctx.inputs.begin(), ctx.inputs.end());
    std::vector<conv_detail::ChannelsFirstCopy> copies;
    copies.reserve(3);
    for (size_t i : {size_t{0}, size_t{1}, size_t{3}})
        if (i < inputs.size() && inputs[i].data) {
            KILN_CHECK_ARG(dataTypeSize(inputs[i].type) >= 1 && inputs[i].shape.nbDims == y.shape.nbDims,
                           "Convolution: channels-last input " << i << " must be a byte-sized float tensor of rank "
                                                               << y.shape.nbDims << ", got "
                                                               << dataTypeName(inputs[i].type) << " "
                                                               << toString(inputs[i].shape));
            copies.emplace_back(inputs[i], ctx.pool);
            inputs[i] = copies.back().ref;
        }
    const conv_detail::ChannelsFirstOutput yFirst(y);
    ir::ConvolutionAttrs first = a;
    first.channelsLast = false;
    KILN_RETURN_IF_ERROR(
        runConvolution(first, KernelContext{inputs, std::span<const TensorRef>(&yFirst.ref, 1), ctx.pool}));
    yFirst.finish(ctx.pool);
    return Status::ok();
}

}  // namespace

Status runConvolution(const ir::ConvolutionAttrs& a, const KernelContext& ctx) {
    const char* op = "Convolution";
    if (a.channelsLast) return runChannelsLastConvolution(a, ctx);
    const TensorRef& x = ctx.inputs[0];
    const TensorRef& w = ctx.inputs[1];
    const TensorRef& y = ctx.outputs[0];
    const TensorRef* bias = ctx.inputs.size() > 2 && ctx.inputs[2].data ? &ctx.inputs[2] : nullptr;
    KILN_RETURN_IF_ERROR(conv_detail::requireFloat(op, "input", x));
    KILN_RETURN_IF_ERROR(conv_detail::requireFloat(op, "kernel", w));
    KILN_RETURN_IF_ERROR(conv_detail::requireFloat(op, "output", y));
    KILN_ASSIGN_OR_RETURN(Geometry g, conv_detail::kernelGeometry(op, a, x, w, y, /*transposed=*/false));
    const int64_t n = x.shape.d[0], c = x.shape.d[1], k = y.shape.d[1], groups = a.nbGroups;
    KILN_CHECK_ARG(groups >= 1 && c % groups == 0 && k % groups == 0 && w.shape.d[0] == k &&
                       w.shape.d[1] * groups == c && y.shape.d[0] == n,
                   op << ": input " << toString(x.shape) << ", kernel " << toString(w.shape) << ", output "
                      << toString(y.shape) << " and nbGroups " << groups
                      << " disagree (expected kernel [K, C/groups, k...] and output [N, K, ...])");
    if (bias) {
        KILN_RETURN_IF_ERROR(conv_detail::requireFloat(op, "bias", *bias));
        KILN_CHECK_ARG(bias->numel() == k,
                       op << ": bias " << toString(bias->shape) << " must hold " << k << " values");
    }
    const int64_t cg = c / groups, kg = k / groups, kVol = g.kernelVolume();
    const int64_t rows = cg * kVol, inVol = g.inVolume(), outVol = g.outVolume();
    if (rows > INT_MAX || outVol > INT_MAX || kg > INT_MAX)
        return unsupported(std::string(op) + ": GEMM extents (" + std::to_string(kg) + " x " +
                           std::to_string(rows) + " x " + std::to_string(outVol) +
                           ") exceed the 32-bit BLAS interface");

    ThreadPool* pool = ctx.pool;
    const conv_detail::FloatBuffer xf = conv_detail::toFloat(x, pool);
    const conv_detail::FloatBuffer wf = conv_detail::toFloat(w, pool);
    conv_detail::FloatBuffer bf;
    if (bias) bf = conv_detail::toFloat(*bias, pool);
    conv_detail::FloatOutput yf(y);

    const bool pointwise = isPointwise(g);
    const int64_t chunk = conv_detail::columnChunk(rows, outVol);
    std::vector<float> col(pointwise ? 0 : static_cast<size_t>(rows * chunk));
    for (int64_t b = 0; b < n && kg > 0 && outVol > 0; ++b) {
        for (int64_t grp = 0; grp < groups; ++grp) {
            const float* xg = xf.data + (b * c + grp * cg) * inVol;
            const float* wg = wf.data + grp * kg * rows;
            float* yg = yf.data + (b * k + grp * kg) * outVol;
            if (rows == 0) {  // no input channels: only the bias remains
                std::fill(yg, yg + kg * outVol, 0.0f);
                continue;
            }
            if (pointwise) {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(kg),
                            static_cast<int>(outVol), static_cast<int>(rows), 1.0f, wg,
                            static_cast<int>(rows), xg, static_cast<int>(inVol), 0.0f, yg,
                            static_cast<int>(outVol));
                continue;
            }
            for (int64_t p0 = 0; p0 < outVol; p0 += chunk) {
                const int64_t count = std::min(chunk, outVol - p0);
                im2col(xg, cg, g, p0, count, col.data(), pool);
                // y[kg, p0:p0+count] = W_g[kg, rows] * col[rows, count]; ldc = outVol writes the slice in
                // place.
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(kg),
                            static_cast<int>(count), static_cast<int>(rows), 1.0f, wg, static_cast<int>(rows),
                            col.data(), static_cast<int>(count), 0.0f, yg + p0, static_cast<int>(outVol));
            }
        }
    }
    conv_detail::addBias(bias ? bf.data : nullptr, n, k, outVol, yf.data, pool);
    const TensorRef* addend = ctx.inputs.size() > 3 && ctx.inputs[3].data ? &ctx.inputs[3] : nullptr;
    KILN_RETURN_IF_ERROR(applyEpilogue(op, a.epilogue, addend, yf.data, y.numel(), ctx));
    yf.finish(pool);
    return Status::ok();
}

}  // namespace kiln::reference
