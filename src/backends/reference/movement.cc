// Reference kernels for the movement family's reshaping ops: Shuffle, Concatenation, Padding and Shape.
// Slice and Gather live in movement_slice.cc and movement_gather.cc. Every kernel copies whole elements
// as bytes, so all DataTypes are supported bit-exactly.
#include <cstring>
#include <string>
#include <vector>

#include "backends/reference/kernels.h"
#include "backends/reference/movement_common.h"

namespace kiln::reference {
namespace {

bool isPermutation(const Permutation& p, int rank) {
    bool seen[kMAX_DIMS] = {};
    for (int i = 0; i < rank; ++i) {
        int32_t v = p.order[i];
        if (v < 0 || v >= rank || seen[v]) return false;
        seen[v] = true;
    }
    return true;
}

bool isIdentity(const Permutation& p, int rank) {
    for (int i = 0; i < rank; ++i)
        if (p.order[i] != i) return false;
    return true;
}

/// dst = src transposed: dst dim i is src dim perm[i]. Both buffers hold elements of `elem` bytes.
void transposeBytes(const KernelContext& ctx, const void* src, const Dims& srcShape, const Permutation& perm,
                    void* dst, int64_t elem) {
    const int rank = srcShape.nbDims;
    Dims dstShape;
    dstShape.nbDims = rank;
    for (int i = 0; i < rank; ++i) dstShape.d[i] = srcShape.d[perm.order[i]];
    const std::vector<int64_t> srcStrides = stridesOf(srcShape);
    // Stride in src of each dst axis: walking dst in order reads src with these strides.
    std::vector<int64_t> readStrides(static_cast<size_t>(rank));
    for (int i = 0; i < rank; ++i)
        readStrides[static_cast<size_t>(i)] = srcStrides[static_cast<size_t>(perm.order[i])];
    const auto* s = static_cast<const uint8_t*>(src);
    auto* o = static_cast<uint8_t*>(dst);
    parallelRange(ctx, volume(dstShape), 8192, [&](int64_t begin, int64_t end) {
        std::vector<int64_t> coords(static_cast<size_t>(rank), 0);
        for (int64_t j = begin; j < end; ++j) {
            unravelIndex(j, dstShape, coords.data());
            int64_t from = 0;
            for (int i = 0; i < rank; ++i)
                from += coords[static_cast<size_t>(i)] * readStrides[static_cast<size_t>(i)];
            std::memcpy(o + j * elem, s + from * elem, static_cast<size_t>(elem));
        }
    });
}

StatusOr<SampleMode> sampleModeFor(PaddingFillMode m) {
    switch (m) {
        case PaddingFillMode::kCONSTANT:
            return SampleMode::kFILL;
        case PaddingFillMode::kREFLECT:
            return SampleMode::kREFLECT;
        case PaddingFillMode::kEDGE:
            return SampleMode::kCLAMP;
        case PaddingFillMode::kWRAP:
            return SampleMode::kWRAP;
    }
    return invalidArgument("Padding: unknown fill mode " + std::to_string(static_cast<int>(m)));
}

}  // namespace

Status runShuffle(const ir::ShuffleAttrs& attrs, const KernelContext& ctx) {
    const TensorRef& in = ctx.inputs[0];
    const TensorRef& out = ctx.outputs[0];
    if (in.type != out.type || in.numel() != out.numel())
        return internalError("Shuffle: input " + std::string(dataTypeName(in.type)) + toString(in.shape) +
                             " and output " + dataTypeName(out.type) + toString(out.shape) +
                             " must have the same type and volume");
    const int inRank = in.shape.nbDims, outRank = out.shape.nbDims;
    if (!isPermutation(attrs.firstTranspose, inRank) || !isPermutation(attrs.secondTranspose, outRank))
        return invalidArgument(
            "Shuffle: first or second transpose is not a permutation of the tensor's dims");
    const int64_t elem = dataTypeSize(in.type);
    if (in.numel() == 0) return Status::ok();
    // The reshaped shape R before the second transpose: out dim i is R dim perm2[i].
    Dims reshaped;
    reshaped.nbDims = outRank;
    for (int i = 0; i < outRank; ++i) reshaped.d[attrs.secondTranspose.order[i]] = out.shape.d[i];

    const bool first = !isIdentity(attrs.firstTranspose, inRank);
    const bool second = !isIdentity(attrs.secondTranspose, outRank);
    // A reshape is a reinterpretation of the row-major buffer, so only the transposes move data.
    std::vector<uint8_t> staging;
    const void* afterFirst = in.data;
    if (first) {
        void* target = out.data;
        if (second) {
            staging.resize(static_cast<size_t>(in.bytes()));
            target = staging.data();
        }
        transposeBytes(ctx, in.data, in.shape, attrs.firstTranspose, target, elem);
        afterFirst = target;
    }
    if (second)
        transposeBytes(ctx, afterFirst, reshaped, attrs.secondTranspose, out.data, elem);
    else if (!first)
        std::memcpy(out.data, in.data, static_cast<size_t>(in.bytes()));
    return Status::ok();
}

Status runConcatenation(const ir::ConcatenationAttrs& attrs, const KernelContext& ctx) {
    const TensorRef& out = ctx.outputs[0];
    const int rank = out.shape.nbDims;
    int axis = attrs.axis < 0 ? attrs.axis + rank : attrs.axis;
    if (axis < 0 || axis >= rank)
        return invalidArgument("Concatenation: axis " + std::to_string(attrs.axis) +
                               " is out of range for rank " + std::to_string(rank));
    const int64_t elem = dataTypeSize(out.type);
    int64_t outer = 1, inner = 1, axisSum = 0;
    for (int d = 0; d < axis; ++d) outer *= out.shape.d[d];
    for (int d = axis + 1; d < rank; ++d) inner *= out.shape.d[d];
    std::vector<int64_t> offsets;  // where each input starts along the axis
    for (const TensorRef& in : ctx.inputs) {
        if (in.type != out.type || in.shape.nbDims != rank)
            return internalError("Concatenation: input " + std::string(dataTypeName(in.type)) +
                                 toString(in.shape) + " does not match output " + dataTypeName(out.type) +
                                 toString(out.shape));
        offsets.push_back(axisSum);
        axisSum += in.shape.d[axis];
    }
    if (axisSum != out.shape.d[axis])
        return internalError("Concatenation: inputs sum to " + std::to_string(axisSum) + " along axis " +
                             std::to_string(axis) + ", output " + toString(out.shape) + " has " +
                             std::to_string(out.shape.d[axis]));
    const int64_t outAxis = out.shape.d[axis];
    auto* dst = static_cast<uint8_t*>(out.data);
    parallelRange(ctx, outer, std::max<int64_t>(1, 65536 / std::max<int64_t>(outAxis * inner, 1)),
                  [&](int64_t begin, int64_t end) {
                      for (int64_t o = begin; o < end; ++o) {
                          for (size_t k = 0; k < ctx.inputs.size(); ++k) {
                              const TensorRef& in = ctx.inputs[k];
                              const int64_t chunk = in.shape.d[axis] * inner;
                              if (chunk == 0) continue;
                              std::memcpy(dst + (o * outAxis + offsets[k]) * inner * elem,
                                          static_cast<const uint8_t*>(in.data) + o * chunk * elem,
                                          static_cast<size_t>(chunk * elem));
                          }
                      }
                  });
    return Status::ok();
}

Status runPadding(const ir::PaddingAttrs& attrs, const KernelContext& ctx) {
    const TensorRef& in = ctx.inputs[0];
    const TensorRef& out = ctx.outputs[0];
    const int rank = in.shape.nbDims;
    const int nbPadded = attrs.prePadding.nbDims;
    if (in.type != out.type || out.shape.nbDims != rank || attrs.postPadding.nbDims != nbPadded ||
        nbPadded > rank)
        return internalError("Padding: input " + toString(in.shape) + ", output " + toString(out.shape) +
                             " and padding " + toString(attrs.prePadding) + "/" +
                             toString(attrs.postPadding) + " are inconsistent");
    // Padding is a slice starting at -pre: each fill mode is one of Slice's out-of-bounds rules.
    KILN_ASSIGN_OR_RETURN(const SampleMode mode, sampleModeFor(attrs.mode));
    AxisMaps maps(static_cast<size_t>(rank));
    for (int d = 0; d < rank; ++d) {
        const int j = d - (rank - nbPadded);  // index into the padding, < 0 for unpadded leading dims
        const int64_t pre = j >= 0 ? attrs.prePadding.d[j] : 0;
        const int64_t n = in.shape.d[d];
        auto& map = maps[static_cast<size_t>(d)];
        map.resize(static_cast<size_t>(out.shape.d[d]));
        for (int64_t i = 0; i < out.shape.d[d]; ++i) {
            int64_t c = sampleCoordinate(mode, i - pre, n);
            if (c == kOutOfBounds || c == kBadMode)
                return invalidArgument("Padding: dimension " + std::to_string(d) + " of input " +
                                       toString(in.shape) + " is empty; only constant padding can fill it");
            map[static_cast<size_t>(i)] = c;
        }
    }
    uint8_t fill[8] = {};
    storeFromDouble(out.type, fill, 0, static_cast<double>(attrs.value));
    gatherByAxisMaps(ctx, in, out, maps, fill);
    return Status::ok();
}

Status runShape(const ir::ShapeAttrs&, const KernelContext& ctx) {
    const TensorRef& in = ctx.inputs[0];
    const TensorRef& out = ctx.outputs[0];
    if (out.numel() != in.shape.nbDims)
        return internalError("Shape: output " + toString(out.shape) + " cannot hold the rank-" +
                             std::to_string(in.shape.nbDims) + " shape " + toString(in.shape));
    for (int i = 0; i < in.shape.nbDims; ++i) storeFromInt64(out.type, out.data, i, in.shape.d[i]);
    return Status::ok();
}

}  // namespace kiln::reference
