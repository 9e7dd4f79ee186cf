// Descriptor set-up, type mapping and workspace carving for the cuDNN convolution tactics (see
// conv_cudnn_common.h).
#include "backends/cuda/kernels/conv/conv_cudnn_common.h"

#include <algorithm>
#include <climits>
#include <sstream>

#include "backends/cuda/cuda_status.h"
#include "common/storage_types.h"

namespace kiln::cuda::conv_cudnn {
namespace {

constexpr uintptr_t kAlign = 256;

StatusOr<convk::ScalarKind> kindOf(const char* op, const char* what, DataType t) {
    switch (t) {
        KILN_STORAGE_ONLY_TYPE_CASES:  // refused before any kernel (common/storage_types.h)
            break;
        case DataType::kFLOAT:
            return convk::ScalarKind::kF32;
        case DataType::kHALF:
            return convk::ScalarKind::kF16;
        case DataType::kBF16:
            return convk::ScalarKind::kBF16;
        case DataType::kINT32:
        case DataType::kINT64:
        case DataType::kINT8:
        case DataType::kUINT8:
        case DataType::kBOOL:
        case DataType::kFP8:
            break;
    }
    return unsupported(std::string(op) + " on CUDA: " + what + " must be float32, float16 or bfloat16, got " +
                       dataTypeName(t) + "; run this layer on the cpu target or cast it to a supported type");
}

std::string shapeText(int64_t n, int64_t c, const int64_t ext[kSpatial], int rank) {
    std::ostringstream os;
    os << '[' << n << ", " << c;
    for (int i = kSpatial - rank; i < kSpatial; ++i) os << ", " << ext[i];
    os << ']';
    return os.str();
}

/// The extents as int (cuDNN's legacy descriptors) after checking the 32-bit limits.
Status toIntDims(const char* op, const char* what, int64_t n, int64_t c, const int64_t ext[kSpatial],
                 int rank, int* dims) {
    int64_t total = n * c;
    dims[0] = static_cast<int>(n);
    dims[1] = static_cast<int>(c);
    bool fits = n <= INT_MAX && c <= INT_MAX;
    for (int i = 0; i < rank; ++i) {
        const int64_t e = ext[kSpatial - rank + i];
        fits = fits && e <= INT_MAX;
        total *= e;
        dims[2 + i] = static_cast<int>(e);
    }
    if (!fits || total > INT_MAX)
        return unsupported(std::string(op) + " on CUDA: " + what + " " + shapeText(n, c, ext, rank) +
                           " exceeds cuDNN's legacy 32-bit limits (2^31 - 1 elements); split the batch");
    return Status::ok();
}

}  // namespace

StatusOr<TypeInfo> typeInfo(const char* op, const TensorRef& x, const TensorRef& w, const TensorRef& y,
                            const TensorRef* bias, int64_t k, bool allowTf32) {
    if (x.type != y.type || w.type != y.type)
        return unsupported(std::string(op) + " on CUDA: input, kernel and output must share one type, got " +
                           dataTypeName(x.type) + ", " + dataTypeName(w.type) + " -> " +
                           dataTypeName(y.type) + "; cast the kernel weights to the input's type");
    TypeInfo t;
    KILN_ASSIGN_OR_RETURN(t.kind, kindOf(op, "input", y.type));
    switch (t.kind) {
        case convk::ScalarKind::kF32:
            t.data = CUDNN_DATA_FLOAT;
            t.math = allowTf32 ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH;
            break;
        case convk::ScalarKind::kF16:
            t.data = CUDNN_DATA_HALF;
            t.math = CUDNN_TENSOR_OP_MATH;
            break;
        case convk::ScalarKind::kBF16:
            t.data = CUDNN_DATA_BFLOAT16;
            t.math = CUDNN_TENSOR_OP_MATH;
            break;
    }
    if (bias) {
        KILN_RETURN_IF_ERROR(kindOf(op, "bias", bias->type).status());
        KILN_CHECK_ARG(bias->numel() == k, op << ": bias " << toString(bias->shape) << " must hold " << k
                                              << " values (one per output map)");
    }
    return t;
}

Status setTensor(const char* op, const TensorDesc& desc, cudnnDataType_t type, int64_t n, int64_t c,
                 const int64_t ext[kSpatial], int rank, bool channelsLast) {
    int dims[2 + kSpatial], strides[2 + kSpatial];
    KILN_RETURN_IF_ERROR(toIntDims(op, "tensor", n, c, ext, rank, dims));
    // Strides in storage order: innermost first (the channels when channels-last), then outward.
    int order[2 + kSpatial], nbOrder = 0;
    if (channelsLast) order[nbOrder++] = 1;
    for (int i = rank + 1; i >= 2; --i) order[nbOrder++] = i;
    if (!channelsLast) order[nbOrder++] = 1;
    order[nbOrder++] = 0;
    int64_t s = 1;
    for (int j = 0; j < nbOrder; ++j) {
        strides[order[j]] = static_cast<int>(s);
        s *= dims[order[j]];
    }
    KILN_CUDNN_RETURN_IF_ERROR(cudnnSetTensorNdDescriptor(desc.get(), type, rank + 2, dims, strides));
    return Status::ok();
}

Status setFilter(const char* op, const FilterDesc& desc, cudnnDataType_t type, int64_t k, int64_t cPerGroup,
                 const int64_t ext[kSpatial], int rank, bool channelsLast) {
    int dims[2 + kSpatial];
    KILN_RETURN_IF_ERROR(toIntDims(op, "kernel", k, cPerGroup, ext, rank, dims));
    KILN_CUDNN_RETURN_IF_ERROR(cudnnSetFilterNdDescriptor(
        desc.get(), type, channelsLast ? CUDNN_TENSOR_NHWC : CUDNN_TENSOR_NCHW, rank + 2, dims));
    return Status::ok();
}

Status setConvolution(const char* op, const ConvDesc& desc, const int64_t pad[kSpatial], const Geometry& g,
                      int64_t groups, const TypeInfo& t) {
    const int rank = cudnnSpatialRank(g);
    int p[kSpatial], s[kSpatial], d[kSpatial];
    for (int i = 0; i < rank; ++i) {
        const int slot = kSpatial - rank + i;
        if (pad[slot] > INT_MAX || g.stride[slot] > INT_MAX || g.dilation[slot] > INT_MAX || groups > INT_MAX)
            return unsupported(std::string(op) +
                               " on CUDA: padding, stride, dilation or group count beyond "
                               "cuDNN's 32-bit range");
        p[i] = static_cast<int>(pad[slot]);
        s[i] = static_cast<int>(g.stride[slot]);
        d[i] = static_cast<int>(g.dilation[slot]);
    }
    KILN_CUDNN_RETURN_IF_ERROR(cudnnSetConvolutionNdDescriptor(desc.get(), rank, p, s, d,
                                                               CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    KILN_CUDNN_RETURN_IF_ERROR(cudnnSetConvolutionGroupCount(desc.get(), static_cast<int>(groups)));
    KILN_CUDNN_RETURN_IF_ERROR(cudnnSetConvolutionMathType(desc.get(), t.math));
    return Status::ok();
}

StatusOr<ConvPadding> planConvPadding(const char* op, const Geometry& g) {
    ConvPadding p;
    for (int i = 0; i < kSpatial; ++i) {
        KILN_CHECK_ARG(g.pre[i] >= 0 && g.post[i] >= 0,
                       op << " on CUDA: negative padding (pre " << g.pre[i] << ", post " << g.post[i]
                          << " in spatial slot " << i
                          << ") is not supported; crop the input with a Slice instead");
        const int64_t read = (g.out[i] - 1) * g.stride[i] + g.effective(i) - g.in[i] - g.pre[i];
        const int64_t post = std::max(g.post[i], read);
        p.sym[i] = std::min(g.pre[i], post);
        p.shift[i] = g.pre[i] - p.sym[i];
        p.padded[i] = g.in[i] + p.shift[i] + (post - p.sym[i]);
        p.staged = p.staged || p.padded[i] != g.in[i];
    }
    return p;
}

StatusOr<DeconvPadding> planDeconvPadding(const char* op, const Geometry& g) {
    DeconvPadding p;
    for (int i = 0; i < kSpatial; ++i) {
        KILN_CHECK_ARG(g.pre[i] >= 0 && g.post[i] >= 0, op << " on CUDA: negative padding (pre " << g.pre[i]
                                                           << ", post " << g.post[i] << " in spatial slot "
                                                           << i << ") is not supported");
        const int64_t full = (g.in[i] - 1) * g.stride[i] + g.effective(i);  // every reachable position
        p.sym[i] = std::min(g.pre[i], g.post[i]);
        p.crop[i] = g.pre[i] - p.sym[i];
        p.natural[i] = full - 2 * p.sym[i];
        const int64_t need = p.crop[i] + g.out[i];
        if (need < p.natural[i] + g.stride[i]) {
            // cuDNN accepts any dx extent in [natural, natural + stride - 1] and computes every position
            // of it, including those the symmetric post padding would have cut.
            p.dx[i] = std::max(p.natural[i], need);
        } else {
            // The output reaches further than cuDNN can with padding sym (output padding >= stride,
            // allowed when dilated): take the uncut output, where positions past `full` get nothing.
            p.sym[i] = 0;
            p.crop[i] = g.pre[i];
            p.natural[i] = full;
            p.dx[i] = full;
        }
        p.direct = p.direct && p.crop[i] == 0 && p.dx[i] == g.out[i];
        if (p.dx[i] < 1)
            return unsupported(std::string(op) + " on CUDA: padding " + std::to_string(g.pre[i]) + " + " +
                               std::to_string(g.post[i]) + " in spatial slot " + std::to_string(i) +
                               " leaves no output before cropping (natural extent " +
                               std::to_string(p.natural[i]) + ")");
    }
    return p;
}

Scratch::Scratch(void* base, int64_t size) {
    if (!base || size <= 0) return;
    const uintptr_t p = reinterpret_cast<uintptr_t>(base);
    const uintptr_t aligned = (p + kAlign - 1) / kAlign * kAlign;
    const int64_t lost = static_cast<int64_t>(aligned - p);
    if (lost >= size) return;
    mPtr = reinterpret_cast<char*>(aligned);
    mSize = size - lost;
}

StatusOr<void*> Scratch::take(const char* op, const char* what, int64_t bytes) {
    const int64_t rounded = (bytes + static_cast<int64_t>(kAlign) - 1) / static_cast<int64_t>(kAlign) *
                            static_cast<int64_t>(kAlign);
    if (rounded > mSize)
        return invalidState(std::string(op) + " on CUDA needs " + std::to_string(rounded) +
                            " bytes of workspace for " + what + ", the context gives " +
                            std::to_string(mSize) +
                            " (after alignment); size the workspace with the layer's staging requirement");
    void* p = mPtr;
    mPtr += rounded;
    mSize -= rounded;
    return p;
}

Status addBias(const TensorRef* bias, const TypeInfo& t, void* y, int64_t n, int64_t k, int64_t planeSize,
               cudaStream_t stream) {
    if (!bias) return Status::ok();
    KILN_ASSIGN_OR_RETURN(convk::ScalarKind biasKind, kindOf("bias add", "bias", bias->type));
    KILN_CUDA_RETURN_IF_ERROR(
        convk::addChannelBias(y, t.kind, bias->data, biasKind, n, k, planeSize, stream));
    return Status::ok();
}

const char* forwardAlgoName(cudnnConvolutionFwdAlgo_t algo) {
    switch (algo) {
        case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM: return "implicit_gemm";
        case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM: return "implicit_precomp_gemm";
        case CUDNN_CONVOLUTION_FWD_ALGO_GEMM: return "gemm";
        case CUDNN_CONVOLUTION_FWD_ALGO_DIRECT: return "direct";
        case CUDNN_CONVOLUTION_FWD_ALGO_FFT: return "fft";
        case CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING: return "fft_tiling";
        case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD: return "winograd";
        case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED: return "winograd_nonfused";
        case CUDNN_CONVOLUTION_FWD_ALGO_COUNT: break;
    }
    return "unknown";
}

}  // namespace kiln::cuda::conv_cudnn
