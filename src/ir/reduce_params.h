// Reading the run-time parameters of Reduce and TopK (their optional input 1): the ONNX-style axes list
// of Reduce (negative axes count from the end; an empty list reduces every axis, or nothing when
// noopWithEmptyAxes is set) and TopK's k. Shared by inference (src/ir/ops/reduce.cc) and the reference
// kernels (src/backends/reference/reduce.cc) so that both read the values the same way.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/dims.h"
#include "common/status.h"
#include "common/tensor_ref.h"

namespace kiln::ir {

/// What an axes list asks of a Reduce over a tensor of rank `rank`.
struct ReduceAxes {
    uint32_t mask{0};  ///< the reduced axes, bit i = axis i
    bool copy{false};  ///< empty list with noopWithEmptyAxes: the output is the input
};

/// Reads `count` int32/int64 values starting at `data`.
inline std::vector<int64_t> readIntValues(DataType type, const void* data, int64_t count) {
    std::vector<int64_t> v(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) v[static_cast<size_t>(i)] = loadAsInt64(type, data, i);
    return v;
}

/// Maps an axes list to a mask. Each axis must be in [-rank, rank) and appear once: a repeated axis
/// would make the output rank disagree with the one inferred from the list's length at build time.
inline StatusOr<ReduceAxes> reduceAxesFromValues(const std::vector<int64_t>& axes, int rank,
                                                 bool noopWithEmptyAxes) {
    ReduceAxes r;
    if (axes.empty()) {
        r.copy = noopWithEmptyAxes;
        r.mask = noopWithEmptyAxes ? 0u : static_cast<uint32_t>((uint64_t{1} << rank) - 1);
        return r;
    }
    for (int64_t a : axes) {
        if (a < -rank || a >= rank)
            return invalidArgument("Reduce: axis " + std::to_string(a) +
                                   " (input 1) is out of range for input rank " + std::to_string(rank) +
                                   "; expected " + std::to_string(-rank) + ".." + std::to_string(rank - 1));
        const int axis = static_cast<int>(a < 0 ? a + rank : a);
        if ((r.mask >> axis) & 1u)
            return invalidArgument("Reduce: axis " + std::to_string(axis) +
                                   " appears more than once in the axes (input 1) of a rank-" +
                                   std::to_string(rank) + " input; list each axis once");
        r.mask |= 1u << axis;
    }
    return r;
}

/// TopK's k from input 1: one int32/int64 value (0-D or a 1-element 1-D tensor).
inline Status checkTopKInput(DataType type, const Dims& shape) {
    if (type != DataType::kINT32 && type != DataType::kINT64)
        return invalidArgument(std::string("TopK: k (input 1) must be int32 or int64, got ") +
                               dataTypeName(type));
    if (shape.nbDims > 1 || (shape.nbDims == 1 && shape.d[0] != 1 && shape.d[0] != -1))
        return invalidArgument(
            "TopK: k (input 1) must hold one value (a 0-D or 1-element 1-D tensor), got shape " +
            toString(shape));
    return Status::ok();
}

}  // namespace kiln::ir
