// Where each output element of a Gather reads (movement/gather_index.cu), in the three modes (kDEFAULT
// numpy take with optional batch dims, kELEMENT = ONNX GatherElements, kND = ONNX GatherND with batch_dims
// = nbElementWiseDims; shapes in src/ir/ops/movement_gather.cc): GatherParams, validated and built once on
// the host, and gatherOffset, which unravels a flat output index, reads the index value(s) it needs (int32
// or int64), wraps a negative one once and returns the data offset, or -1 for an index out of range.
// __host__ __device__ without intrinsics, so tests/unit/cuda_index_math_test.cc checks this code on the
// CPU against the reference kernel.
#pragma once

#include <string>
#include <vector>

#include "backends/cuda/kernels/common/indexing.cuh"
#include "common/tensor_ref.h"
#include "ir/attrs.h"

namespace kiln::cuda {

struct GatherParams {
    GatherMode mode;
    int r;     ///< data rank
    int q;     ///< indices rank
    int b;     ///< batch dims (nbElementWiseDims)
    int axis;  ///< kDEFAULT and kELEMENT
    int k;     ///< kND: index tuple length
    int outRank;
    bool idx64;
    const void* indices;
    int64_t outDims[kMaxRank];
    int64_t dataDims[kMaxRank];
    int64_t dataStrides[kMaxRank];
    int64_t idxStrides[kMaxRank];
};

/// Index value at flat position pos, wrapped once into [0, n); -1 when outside [-n, n).
KILN_HD inline int64_t indexAt(const GatherParams& p, int64_t pos, int64_t n) {
    const int64_t v =
        p.idx64 ? static_cast<const int64_t*>(p.indices)[pos] : static_cast<const int32_t*>(p.indices)[pos];
    if (v < -n || v >= n) return -1;
    return v < 0 ? v + n : v;
}

/// Offset in data of the output element with coordinates o, or -1 when an index is out of range.
KILN_HD inline int64_t dataOffset(const GatherParams& p, const int64_t* o) {
    int64_t off = 0;
    switch (p.mode) {
        case GatherMode::kDEFAULT: {
            // out = data[:axis] + indices[b:] + data[axis+1:]; the first b coords are shared batch coords.
            const int nbIndexDims = p.q - p.b;
            int64_t flat = 0;
            for (int i = 0; i < p.b; ++i) flat += o[i] * p.idxStrides[i];
            for (int i = 0; i < nbIndexDims; ++i) flat += o[p.axis + i] * p.idxStrides[p.b + i];
            const int64_t v = indexAt(p, flat, p.dataDims[p.axis]);
            if (v < 0) return -1;
            for (int i = 0; i < p.axis; ++i) off += o[i] * p.dataStrides[i];
            off += v * p.dataStrides[p.axis];
            for (int i = p.axis + 1; i < p.r; ++i) off += o[i - 1 + nbIndexDims] * p.dataStrides[i];
            return off;
        }
        case GatherMode::kELEMENT: {
            int64_t flat = 0;
            for (int i = 0; i < p.r; ++i) {
                flat += o[i] * p.idxStrides[i];
                if (i != p.axis) off += o[i] * p.dataStrides[i];
            }
            const int64_t v = indexAt(p, flat, p.dataDims[p.axis]);
            return v < 0 ? -1 : off + v * p.dataStrides[p.axis];
        }
        case GatherMode::kND: {
            // out = indices[:-1] + data[b+k:]: the leading q-1 coords pick a tuple, the rest index data.
            int64_t row = 0;
            for (int i = 0; i < p.q - 1; ++i) row += o[i] * p.idxStrides[i];
            for (int i = 0; i < p.b; ++i) off += o[i] * p.dataStrides[i];
            for (int j = 0; j < p.k; ++j) {
                const int64_t v = indexAt(p, row + j, p.dataDims[p.b + j]);
                if (v < 0) return -1;
                off += v * p.dataStrides[p.b + j];
            }
            for (int i = p.b + p.k; i < p.r; ++i) off += o[p.q - 1 + i - p.b - p.k] * p.dataStrides[i];
            return off;
        }
    }
    return -1;
}

/// Offset in data of output element i, or -1 when an index is out of range.
KILN_HD inline int64_t gatherOffset(const GatherParams& p, int64_t i) {
    int64_t o[kMaxRank];
    for (int d = p.outRank - 1; d >= 0; --d) i = divMod(i, p.outDims[d], &o[d]);
    return dataOffset(p, o);
}

/// Checks what the reference checks before its copy (except index values, which are on the device) and
/// gathers the shapes and strides the device needs.
inline StatusOr<GatherParams> makeGatherParams(const ir::GatherAttrs& attrs, const TensorRef& data,
                                               const TensorRef& indices, const TensorRef& out) {
    GatherParams p{};
    p.mode = attrs.mode;
    p.r = data.shape.nbDims;
    p.q = indices.shape.nbDims;
    p.b = attrs.nbElementWiseDims;
    p.outRank = out.shape.nbDims;
    if (indices.type != DataType::kINT32 && indices.type != DataType::kINT64)
        return invalidArgument(std::string("Gather: indices must be int32 or int64, got ") +
                               dataTypeName(indices.type));
    if (data.type != out.type || p.r < 1)
        return internalError("Gather: data " + std::string(dataTypeName(data.type)) + toString(data.shape) +
                             " and output " + dataTypeName(out.type) + toString(out.shape) +
                             " are inconsistent");
    p.axis = attrs.axis < 0 ? attrs.axis + p.r : attrs.axis;
    bool knownMode = false;
    switch (attrs.mode) {
        case GatherMode::kDEFAULT:
        case GatherMode::kELEMENT:
            knownMode = true;
            if (p.axis < 0 || p.axis >= p.r)
                return invalidArgument("Gather: axis " + std::to_string(attrs.axis) +
                                       " is out of range for data " + toString(data.shape));
            break;
        case GatherMode::kND:
            knownMode = true;
            p.k = p.q >= 1 ? static_cast<int>(indices.shape.d[p.q - 1]) : 0;
            if (p.k < 1 || p.b + p.k > p.r)
                return invalidArgument("Gather: kND index tuples of length " + std::to_string(p.k) +
                                       " do not fit data " + toString(data.shape) + " with " +
                                       std::to_string(p.b) + " batch dims");
            break;
    }
    if (!knownMode)
        return invalidArgument("Gather: unknown mode " + std::to_string(static_cast<int>(attrs.mode)));
    p.idx64 = indices.type == DataType::kINT64;
    p.indices = indices.data;
    const std::vector<int64_t> dataStrides = stridesOf(data.shape);
    const std::vector<int64_t> idxStrides = stridesOf(indices.shape);
    for (int i = 0; i < p.r; ++i) {
        p.dataDims[i] = data.shape.d[i];
        p.dataStrides[i] = dataStrides[static_cast<size_t>(i)];
    }
    for (int i = 0; i < p.q; ++i) p.idxStrides[i] = idxStrides[static_cast<size_t>(i)];
    for (int i = 0; i < p.outRank; ++i) p.outDims[i] = out.shape.d[i];
    return p;
}

}  // namespace kiln::cuda
