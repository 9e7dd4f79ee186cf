// What the cuDNN Convolution and Deconvolution tactics (conv_cudnn.cc, deconv_cudnn.cc) share: owning
// wrappers for cuDNN's legacy descriptors, the data/math types per Kiln type, the geometry lifted to the
// 4-D/5-D descriptors cuDNN takes (a 1-D op becomes 2-D with a leading extent of 1), and the carving of
// ctx.workspace into Kiln's own staging buffer and cuDNN's scratch. The geometry itself (SAME padding,
// per-dim defaults) is the reference backend's conv_detail::kernelGeometry, so both backends read the
// attributes identically.
//
// The legacy convolution API is deprecated in cuDNN 9 in favour of the graph API; it is still shipped
// and complete for plain convolutions, and the graph API (with fused epilogues) is the next tactic.
#pragma once

#include <cudnn.h>

#if CUDNN_MAJOR < 9
#error "Kiln's CUDA backend needs cuDNN 9 or newer"
#endif

#include <string>
#include <vector>

#include "backends/cuda/kernel_context.h"
#include "backends/cuda/kernels/conv/conv_layout_kernels.h"
#include "backends/cuda/library_handles.h"
#include "backends/reference/conv_common.h"

namespace kiln::cuda::conv_cudnn {

using reference::conv_detail::Geometry;
using reference::conv_detail::kSpatial;

/// Owns one cuDNN descriptor; destruction errors are ignored (nothing to report to).
template <typename T, cudnnStatus_t (*kCreate)(T*), cudnnStatus_t (*kDestroy)(T)>
class CudnnObject {
public:
    CudnnObject() = default;
    ~CudnnObject() {
        if (mObj) kDestroy(mObj);
    }
    CudnnObject(const CudnnObject&) = delete;
    CudnnObject& operator=(const CudnnObject&) = delete;
    Status create() { return cudnnStatus(kCreate(&mObj), "cudnnCreate*Descriptor"); }
    T get() const { return mObj; }

private:
    T mObj{nullptr};
};
using TensorDesc =
    CudnnObject<cudnnTensorDescriptor_t, cudnnCreateTensorDescriptor, cudnnDestroyTensorDescriptor>;
using FilterDesc =
    CudnnObject<cudnnFilterDescriptor_t, cudnnCreateFilterDescriptor, cudnnDestroyFilterDescriptor>;
using ConvDesc = CudnnObject<cudnnConvolutionDescriptor_t, cudnnCreateConvolutionDescriptor,
                             cudnnDestroyConvolutionDescriptor>;

/// How one Kiln float type maps onto cuDNN.
struct TypeInfo {
    cudnnDataType_t data{CUDNN_DATA_FLOAT};
    /// FMA-only for float32 unless the plan allows TF32 (then CUDNN_TENSOR_OP_MATH, which lets cuDNN use
    /// TF32 on Ampere and newer). Tensor cores for float16/bfloat16 (float32 accumulation).
    cudnnMathType_t math{CUDNN_FMA_MATH};
    convk::ScalarKind kind{convk::ScalarKind::kF32};
};

/// Checks x, w, y (and bias when present) and returns y's cuDNN type: x, w, y must share float32,
/// float16 or bfloat16; the bias may be any of those three and must hold `k` values. float32 gets
/// tensor-op math (TF32 on Ampere and newer) only when `allowTf32` (the plan's BuilderFlag::kTF32).
StatusOr<TypeInfo> typeInfo(const char* op, const TensorRef& x, const TensorRef& w, const TensorRef& y,
                            const TensorRef* bias, int64_t k, bool allowTf32);

/// cuDNN's spatial rank for a geometry: 3 for 3-D, else 2 (1-D is lifted). Slots [kSpatial - rank,
/// kSpatial) of the Geometry arrays are the ones passed to cuDNN.
inline int cudnnSpatialRank(const Geometry& g) {
    return g.nbSpatial == 3 ? 3 : 2;
}

/// A contiguous [n, c, ext...] tensor descriptor (the last `rank` of ext[3]), stored channels-first or,
/// when channelsLast, as [n, ext..., c]. Fails with the shape when an extent or the element count
/// exceeds the legacy API's 32-bit limits.
Status setTensor(const char* op, const TensorDesc& desc, cudnnDataType_t type, int64_t n, int64_t c,
                 const int64_t ext[kSpatial], int rank, bool channelsLast = false);
/// A [k, cPerGroup, ext...] filter descriptor, stored KCRS or, when channelsLast, KRSC.
Status setFilter(const char* op, const FilterDesc& desc, cudnnDataType_t type, int64_t k, int64_t cPerGroup,
                 const int64_t ext[kSpatial], int rank, bool channelsLast = false);

/// t described channels-first ([N, C, spatial...]) when its data is channels-last ([N, spatial..., C]):
/// same data, permuted shape, for the geometry and the checks that read NCHW shapes.
inline TensorRef channelsFirstView(const TensorRef& t) {
    TensorRef v = t;
    v.shape = channelsFirstDims(t.shape);
    return v;
}
/// Cross-correlation with symmetric padding `pad`, float32 compute, the type's math mode and groups.
Status setConvolution(const char* op, const ConvDesc& desc, const int64_t pad[kSpatial], const Geometry& g,
                      int64_t groups, const TypeInfo& t);

/// How Convolution's padding reaches cuDNN, which takes one symmetric padding per dim: the symmetric
/// part `sym` goes to cuDNN and the rest is staged by copying the input, zero-padded, into the
/// workspace: `shift` zeros at the start of each dim, the input, then zeros up to `padded`. The
/// trailing padding is what the output extent actually reads ((out - 1) * stride + window), at least
/// the requested one, so kEXPLICIT_ROUND_UP's extra last window is covered too. With these, cuDNN's
/// floor((padded + 2 sym - window) / stride) + 1 is the output extent inference gave.
struct ConvPadding {
    int64_t sym[kSpatial]{}, shift[kSpatial]{}, padded[kSpatial]{};
    bool staged{false};  ///< some dim needs the staged copy
};
StatusOr<ConvPadding> planConvPadding(const char* op, const Geometry& g);

/// How Deconvolution's padding reaches cuDNN's backward-data call (see deconv_cudnn.cc): symmetric
/// padding `sym` (min(pre, post), or 0 when the output reaches further than that allows), and cuDNN
/// writes dx of extents `dx`, within stride - 1 of the natural extent (in - 1) * stride + window -
/// 2 sym. When `direct`, dx is y itself; otherwise dx lives in the workspace and y is its window from
/// `crop` on, zero-filled past dx's end (positions no input reaches).
struct DeconvPadding {
    int64_t sym[kSpatial]{}, crop[kSpatial]{}, natural[kSpatial]{}, dx[kSpatial]{};
    bool direct{true};
};
StatusOr<DeconvPadding> planDeconvPadding(const char* op, const Geometry& g);

/// ctx.workspace handed out in 256-byte-aligned pieces: first Kiln's staging buffer, then the rest
/// to cuDNN.
class Scratch {
public:
    Scratch(void* base, int64_t size);
    /// `bytes` from the front, or an error naming the op, what it is for and how much is missing.
    StatusOr<void*> take(const char* op, const char* what, int64_t bytes);
    void* rest() const { return mSize > 0 ? mPtr : nullptr; }
    int64_t restSize() const { return mSize; }

private:
    char* mPtr{nullptr};
    int64_t mSize{0};
};

/// Runs the first of cuDNN's ranked algorithms (`perf[0, found)`, best first) whose workspace fits
/// what `scratch` has left and that cuDNN accepts for these descriptors. `workspaceOf(algo, &bytes)` and
/// `run(algo, workspace, bytes)` wrap the API's calls. An algorithm cuDNN refuses with a not-supported
/// status is skipped (it launched nothing); any other error is returned. When none runs, the error
/// lists every candidate with its workspace and status, for `what`.
template <typename Perf, typename WorkspaceOf, typename Run>
Status runFirstAccepted(const char* op, const std::vector<Perf>& perf, int found, const Scratch& scratch,
                        const std::string& what, WorkspaceOf workspaceOf, Run run) {
    std::string tried;
    for (int i = 0; i < found && i < static_cast<int>(perf.size()); ++i) {
        const Perf& p = perf[static_cast<size_t>(i)];
        tried += " algo " + std::to_string(static_cast<int>(p.algo));
        if (p.status != CUDNN_STATUS_SUCCESS) {
            tried += std::string(" (") + cudnnGetErrorString(p.status) + ");";
            continue;
        }
        size_t need = 0;
        const cudnnStatus_t ws = workspaceOf(p.algo, &need);
        if (ws != CUDNN_STATUS_SUCCESS) {
            tried += std::string(" (workspace query: ") + cudnnGetErrorString(ws) + ");";
            continue;
        }
        tried += " (" + std::to_string(need) + " B";
        if (static_cast<int64_t>(need) > scratch.restSize()) {
            tried += ", does not fit);";
            continue;
        }
        const cudnnStatus_t st = run(p.algo, need ? scratch.rest() : nullptr, need);
        if (CUDNN_STATUS_CATEGORY(st) == CUDNN_STATUS_NOT_SUPPORTED) {
            tried += std::string(", ") + cudnnGetErrorString(st) + ");";
            continue;
        }
        return cudnnStatus(
            st,
            (std::string(op) + " with cuDNN algorithm " + std::to_string(static_cast<int>(p.algo))).c_str());
    }
    return unsupported(std::string(op) + " on CUDA: no cuDNN algorithm runs " + what + " within " +
                       std::to_string(scratch.restSize()) +
                       " bytes of workspace; candidates:" + (tried.empty() ? std::string(" none") : tried) +
                       " Give the context more workspace or run this layer on the cpu target");
}

/// "implicit_precomp_gemm" for CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, etc.: tactic names.
const char* forwardAlgoName(cudnnConvolutionFwdAlgo_t algo);

/// Bytes of a 256-byte-aligned staging buffer of `elements` elements of `elemSize` bytes.
inline int64_t stagingBytes(int64_t elements, int64_t elemSize) {
    return (elements * elemSize + 255) / 256 * 256;
}

/// Adds the optional bias per output channel to y ([n, k, planeSize]).
Status addBias(const TensorRef* bias, const TypeInfo& t, void* y, int64_t n, int64_t k, int64_t planeSize,
               cudaStream_t stream);

}  // namespace kiln::cuda::conv_cudnn
