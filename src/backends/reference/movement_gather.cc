// Reference kernel for Gather in its three modes (kDEFAULT numpy take with optional batch dims,
// kELEMENT = ONNX GatherElements, kND = ONNX GatherND with batch_dims = nbElementWiseDims); see
// src/ir/ops/movement_gather.cc for the shapes. Index values are data, so they are checked here: a
// negative index wraps once (-1 is the last), anything else out of range is an error naming the index.
// All indices are read and validated up front so the parallel copy loop cannot fail halfway.
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "backends/reference/kernels.h"
#include "backends/reference/movement_common.h"

namespace kiln::reference {
namespace {

/// Wraps negative index values once and rejects out-of-range ones. extentOf(p) is the extent the
/// index at flat position p selects along.
Status normalizeIndices(std::vector<int64_t>& idx, const TensorRef& data, const TensorRef& indices,
                        const std::function<std::pair<int, int64_t>(int64_t)>& axisAndExtentOf) {
    for (size_t p = 0; p < idx.size(); ++p) {
        auto [axis, n] = axisAndExtentOf(static_cast<int64_t>(p));
        int64_t v = idx[p];
        if (v < -n || v >= n)
            return invalidArgument("Gather: index " + std::to_string(v) + " at position " +
                                   std::to_string(p) + " of indices " + toString(indices.shape) +
                                   " is out of range for axis " + std::to_string(axis) + " of data " +
                                   toString(data.shape) + " (extent " + std::to_string(n) + ", allowed " +
                                   std::to_string(-n) + ".." + std::to_string(n - 1) + ")");
        idx[p] = v < 0 ? v + n : v;
    }
    return Status::ok();
}

/// For every output element (coordinates `o`), copies the data element whose coordinates
/// dataCoords(o, c) fills in.
void gatherElements(const KernelContext& ctx, const TensorRef& data, const TensorRef& out,
                    const std::function<void(const int64_t* o, int64_t* c)>& dataCoords) {
    const int64_t elem = dataTypeSize(out.type);
    const std::vector<int64_t> strides = stridesOf(data.shape);
    const auto* src = static_cast<const uint8_t*>(data.data);
    auto* dst = static_cast<uint8_t*>(out.data);
    parallelRange(ctx, out.numel(), 4096, [&](int64_t begin, int64_t end) {
        std::vector<int64_t> o(static_cast<size_t>(std::max(out.shape.nbDims, 1)), 0);
        std::vector<int64_t> c(static_cast<size_t>(std::max(data.shape.nbDims, 1)), 0);
        for (int64_t j = begin; j < end; ++j) {
            unravelIndex(j, out.shape, o.data());
            dataCoords(o.data(), c.data());
            int64_t from = 0;
            for (int i = 0; i < data.shape.nbDims; ++i)
                from += c[static_cast<size_t>(i)] * strides[static_cast<size_t>(i)];
            std::memcpy(dst + j * elem, src + from * elem, static_cast<size_t>(elem));
        }
    });
}

}  // namespace

Status runGather(const ir::GatherAttrs& attrs, const KernelContext& ctx) {
    const TensorRef& data = ctx.inputs[0];
    const TensorRef& indices = ctx.inputs[1];
    const TensorRef& out = ctx.outputs[0];
    const int r = data.shape.nbDims, q = indices.shape.nbDims;
    const int b = attrs.nbElementWiseDims;
    if (indices.type != DataType::kINT32 && indices.type != DataType::kINT64)
        return invalidArgument(std::string("Gather: indices must be int32 or int64, got ") +
                               dataTypeName(indices.type));
    if (data.type != out.type || r < 1)
        return internalError("Gather: data " + std::string(dataTypeName(data.type)) + toString(data.shape) +
                             " and output " + dataTypeName(out.type) + toString(out.shape) +
                             " are inconsistent");
    std::vector<int64_t> idx(static_cast<size_t>(indices.numel()));
    for (int64_t i = 0; i < indices.numel(); ++i)
        idx[static_cast<size_t>(i)] = loadAsInt64(indices.type, indices.data, i);
    const int axis = attrs.axis < 0 ? attrs.axis + r : attrs.axis;
    if (attrs.mode != GatherMode::kND && (axis < 0 || axis >= r))
        return invalidArgument("Gather: axis " + std::to_string(attrs.axis) + " is out of range for data " +
                               toString(data.shape));
    const std::vector<int64_t> idxStrides = stridesOf(indices.shape);

    switch (attrs.mode) {
        case GatherMode::kDEFAULT: {
            const int64_t n = data.shape.d[axis];
            KILN_RETURN_IF_ERROR(
                normalizeIndices(idx, data, indices, [&](int64_t) { return std::make_pair(axis, n); }));
            // out = data[:axis] + indices[b:] + data[axis+1:]; the first b coords are shared batch coords.
            const int nbIndexDims = q - b;
            gatherElements(ctx, data, out, [&](const int64_t* o, int64_t* c) {
                int64_t flat = 0;
                for (int i = 0; i < b; ++i) flat += o[i] * idxStrides[static_cast<size_t>(i)];
                for (int i = 0; i < nbIndexDims; ++i)
                    flat += o[axis + i] * idxStrides[static_cast<size_t>(b + i)];
                for (int i = 0; i < axis; ++i) c[i] = o[i];
                c[axis] = idx[static_cast<size_t>(flat)];
                for (int i = axis + 1; i < r; ++i) c[i] = o[i - 1 + nbIndexDims];
            });
            return Status::ok();
        }
        case GatherMode::kELEMENT: {
            const int64_t n = data.shape.d[axis];
            KILN_RETURN_IF_ERROR(
                normalizeIndices(idx, data, indices, [&](int64_t) { return std::make_pair(axis, n); }));
            gatherElements(ctx, data, out, [&](const int64_t* o, int64_t* c) {
                int64_t flat = 0;
                for (int i = 0; i < r; ++i) {
                    flat += o[i] * idxStrides[static_cast<size_t>(i)];
                    c[i] = o[i];
                }
                c[axis] = idx[static_cast<size_t>(flat)];
            });
            return Status::ok();
        }
        case GatherMode::kND: {
            const int k = static_cast<int>(indices.shape.d[q - 1]);
            if (k < 1 || b + k > r)
                return invalidArgument("Gather: kND index tuples of length " + std::to_string(k) +
                                       " do not fit data " + toString(data.shape) + " with " +
                                       std::to_string(b) + " batch dims");
            KILN_RETURN_IF_ERROR(normalizeIndices(idx, data, indices, [&](int64_t p) {
                const int dim = b + static_cast<int>(p % k);
                return std::make_pair(dim, data.shape.d[dim]);
            }));
            // out = indices[:-1] + data[b+k:]: the leading q-1 out coords pick a tuple, the rest index data.
            gatherElements(ctx, data, out, [&](const int64_t* o, int64_t* c) {
                int64_t row = 0;
                for (int i = 0; i < q - 1; ++i) row += o[i] * idxStrides[static_cast<size_t>(i)];
                for (int i = 0; i < b; ++i) c[i] = o[i];
                for (int j = 0; j < k; ++j) c[b + j] = idx[static_cast<size_t>(row + j)];
                for (int i = b + k; i < r; ++i) c[i] = o[q - 1 + i - b - k];
            });
            return Status::ok();
        }
    }
    return invalidArgument("Gather: unknown mode " + std::to_string(static_cast<int>(attrs.mode)));
}

}  // namespace kiln::reference
