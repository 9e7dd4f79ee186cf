// CUDA kernel for Slice (TensorRT's ISliceLayer), also the sampler behind Padding (movement/sample.h):
// out[i] = in[start + i * stride] per dim, out-of-bounds coordinates handled by the SampleMode (kFILL,
// kWRAP, kCLAMP, kREFLECT; kSTRICT_BOUNDS rejects them on the host before anything is enqueued). Start
// and stride come from inputs 1 and 3 when present (host values: shape-input slots), else from the
// attributes; the size is the output's shape. The kFILL value (input 4, on the device) is converted to
// the output type on the device by Cast's rules; the reference takes a double detour there, which differs
// only for int64 values beyond 2^53 filled into a float type. Elements move as words of their size. A
// stride-1 Slice that stays inside the input is a run copy instead (movement/copy_runs.h): contiguous runs
// in words of up to 16 bytes.
#include <algorithm>
#include <string>
#include <vector>

#include "backends/cuda/kernel_context.h"
#include "backends/cuda/kernels/common/dtype.cuh"
#include "backends/cuda/kernels/common/indexing.cuh"
#include "backends/cuda/kernels/common/launch.cuh"
#include "backends/cuda/kernels/movement/copy_runs.h"
#include "backends/cuda/kernels/movement/sample.h"
#include "backends/cuda/kernels/movement/sample_offsets.cuh"

namespace kiln::cuda {
namespace {

/// The fill value as a word of the output type: its bits, or the device element converted by Cast's rules.
template <class W>
__device__ __forceinline__ W fillWord(const FillValue& fill, DataType outType) {
    if (fill.device != nullptr && fill.type == outType) return *static_cast<const W*>(fill.device);
    uint8_t bytes[sizeof(uint64_t)] = {};
    if (fill.device != nullptr)
        storeScalar(outType, bytes, 0, loadScalar(fill.type, fill.device, 0));
    else
        memcpy(bytes, &fill.bits, sizeof bytes);
    W w;
    memcpy(&w, bytes, sizeof(W));
    return w;
}

template <class W>
__global__ void __launch_bounds__(kBlockSize)
    sampleKernel(const W* __restrict__ x, W* __restrict__ y, int64_t n, SampleParams p, FillValue fillValue,
                 DataType outType) {
    const W fill = fillWord<W>(fillValue, outType);
    for (int64_t i = gridStart(); i < n; i += gridStep()) {
        const int64_t from = sampleOffset(p, i);
        y[i] = from >= 0 ? x[from] : fill;
    }
}

StatusOr<std::vector<int64_t>> sliceParam(const KernelContext& ctx, size_t index, const Dims& attr,
                                          int64_t fallback, const char* name) {
    const int rank = ctx.inputs[0].shape.nbDims;
    std::vector<int64_t> v;
    if (index < ctx.inputs.size() && ctx.inputs[index].data) {
        const TensorRef& t = ctx.inputs[index];  // a shape-input slot: host memory
        if (t.type != DataType::kINT32 && t.type != DataType::kINT64)
            return invalidArgument(std::string("Slice: ") + name + " (input " + std::to_string(index) +
                                   ") must be int32 or int64, got " + dataTypeName(t.type));
        for (int64_t i = 0; i < t.numel(); ++i) v.push_back(loadAsInt64(t.type, t.data, i));
    } else if (attr.nbDims == 0) {
        v.assign(static_cast<size_t>(rank), fallback);
    } else {
        v = toVector(attr);
    }
    if (static_cast<int>(v.size()) != rank)
        return invalidArgument(std::string("Slice: ") + name + " has " + std::to_string(v.size()) +
                               " entries, expected the input's rank " + std::to_string(rank));
    return v;
}

/// The first output position along a dim whose coordinate s + i * t leaves [0, n), or -1 if none of the
/// `size` positions does (the coordinates are linear in i, so this is arithmetic, not a scan).
int64_t firstOutside(int64_t s, int64_t t, int64_t n, int64_t size) {
    if (size <= 0) return -1;
    if (s < 0 || s >= n) return 0;
    int64_t i = -1;
    if (t > 0) i = (n - s + t - 1) / t;
    if (t < 0) i = s / -t + 1;
    return i >= 0 && i < size ? i : -1;
}

}  // namespace

Status launchSample(const TensorRef& in, const TensorRef& out, const int64_t* start, const int64_t* stride,
                    SampleMode mode, const FillValue& fill, cudaStream_t stream, const char* kernel) {
    const int64_t n = out.numel();
    if (n == 0) return Status::ok();
    const SampleParams p = makeSampleParams(in.shape, out.shape, start, stride, mode);
    return withElementWord(dataTypeSize(out.type), [&](auto tag) {
        using W = decltype(tag);
        sampleKernel<W><<<gridFor(n), kBlockSize, 0, stream>>>(
            static_cast<const W*>(in.data), static_cast<W*>(out.data), n, p, fill, out.type);
        return launchStatus(kernel);
    });
}

Status runSlice(const ir::SliceAttrs& attrs, const KernelContext& ctx) {
    const TensorRef& in = ctx.inputs[0];
    const TensorRef& out = ctx.outputs[0];
    const int rank = in.shape.nbDims;
    if (in.type != out.type || out.shape.nbDims != rank)
        return internalError("Slice: output " + std::string(dataTypeName(out.type)) + toString(out.shape) +
                             " does not match input " + dataTypeName(in.type) + toString(in.shape));
    KILN_ASSIGN_OR_RETURN(const std::vector<int64_t> start, sliceParam(ctx, 1, attrs.start, 0, "start"));
    KILN_ASSIGN_OR_RETURN(const std::vector<int64_t> stride, sliceParam(ctx, 3, attrs.stride, 1, "stride"));
    bool knownMode = false;
    switch (attrs.mode) {
        case SampleMode::kSTRICT_BOUNDS:
        case SampleMode::kWRAP:
        case SampleMode::kCLAMP:
        case SampleMode::kFILL:
        case SampleMode::kREFLECT:
            knownMode = true;
            break;
    }
    if (!knownMode)
        return invalidArgument("Slice: unknown mode " + std::to_string(static_cast<int>(attrs.mode)));
    // What the device cannot sample is rejected here, with the reference's message.
    for (int d = 0; d < rank && attrs.mode != SampleMode::kFILL; ++d) {
        const int64_t n = in.shape.d[d];
        const size_t k = static_cast<size_t>(d);
        const int64_t i = attrs.mode == SampleMode::kSTRICT_BOUNDS || n == 0
                              ? firstOutside(start[k], stride[k], n, out.shape.d[d])
                              : -1;
        if (i >= 0)
            return invalidArgument("Slice: index " + std::to_string(start[k] + i * stride[k]) +
                                   " (output position " + std::to_string(i) + ") is outside [0, " +
                                   std::to_string(n) + ") in dimension " + std::to_string(d) + " of input " +
                                   toString(in.shape) +
                                   (n == 0 ? ", which is empty" : " in kSTRICT_BOUNDS mode"));
    }
    FillValue fill;  // zero bytes are zero in every DataType
    if (ctx.inputs.size() > 4 && ctx.inputs[4].data) {
        const TensorRef& f = ctx.inputs[4];
        if (f.numel() != 1)
            return invalidArgument("Slice: the fill value (input 4) must hold one element, got shape " +
                                   toString(f.shape));
        fill.device = f.data;
        fill.type = f.type;
    }
    RunCopyPlan runs;
    if (out.numel() > 0 &&
        sliceRuns(in.shape, out.shape, start.data(), stride.data(), dataTypeSize(out.type), &runs))
        return launchRunCopy(runs, in.data, out.data, std::max(in.bytes(), out.bytes()), RunIndex{},
                             ctx.stream, "Slice kernel");
    return launchSample(in, out, start.data(), stride.data(), attrs.mode, fill, ctx.stream, "Slice kernel");
}

}  // namespace kiln::cuda
