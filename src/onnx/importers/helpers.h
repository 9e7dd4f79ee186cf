// Helpers shared by the importer families: reading inputs (required, constant), axes, and the small
// layer patterns many ONNX ops decompose into (element-wise with a scalar, cast, transpose,
// unsqueeze/squeeze via reshape).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "onnx/import_context.h"
#include "onnx/op_registry.h"
#include "onnx/shape_tensor.h"
#include "onnx/values.h"

namespace kiln::onnx {

inline bool hasInput(const std::vector<Value>& inputs, int i) {
    return i < static_cast<int>(inputs.size()) && inputs[static_cast<size_t>(i)].present();
}

/// Input `i` as a tensor; fails naming the input when it is absent.
StatusOr<ITensor*> inputTensor(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs, int i);
/// Input `i`, which must be known at import time (an initializer, a Constant, or folded); `role` names it
/// in the error ("pads").
StatusOr<const ConstValue*> constantInput(const OnnxNode& node, const std::vector<Value>& inputs, int i,
                                          const char* role);
/// Type and shape of a present value.
DataType typeOf(const Value& v);
Dims dimsOf(const Value& v);

/// Maps an ONNX axis in [-rank, rank) to [0, rank).
StatusOr<int> normalizeAxis(int64_t axis, int rank, const char* what);
/// Normalizes every axis; fails on duplicates.
StatusOr<std::vector<int>> normalizeAxes(const std::vector<int64_t>& axes, int rank, const char* what);
uint32_t axesMask(const std::vector<int>& axes);

StatusOr<ITensor*> elementwise(ImportContext& ctx, ITensor* a, ITensor* b, ElementWiseOperation op);
StatusOr<ITensor*> unary(ImportContext& ctx, ITensor* x, UnaryOperation op);
StatusOr<ITensor*> activation(ImportContext& ctx, ITensor* x, ActivationType type, float alpha = 0.f,
                              float beta = 0.f);
/// x op scalar, the scalar in x's type.
StatusOr<ITensor*> withScalar(ImportContext& ctx, ITensor* x, double value, ElementWiseOperation op);
/// A cast, or x itself when it already has `type`.
StatusOr<ITensor*> castTo(ImportContext& ctx, ITensor* x, DataType type);
StatusOr<ITensor*> transposeTo(ImportContext& ctx, ITensor* x, const std::vector<int>& perm);
/// Inserts size-1 dims at `axes` (positions in the output, normalized, ascending).
StatusOr<ITensor*> unsqueezeTensor(ImportContext& ctx, ITensor* x, const std::vector<int>& axes);
/// Removes the dims `axes` (normalized); they must be 1 where known.
StatusOr<ITensor*> squeezeTensor(ImportContext& ctx, ITensor* x, const std::vector<int>& axes);
/// A Slice layer reading x[start + i * stride] for i < size per dim, out-of-bounds reads handled by
/// `mode`. Each parameter (a vector of x's rank) is an attribute when known and a shape-tensor input
/// (slots 1..3) otherwise; `fill` (kFILL's value, may be null) is input 4.
StatusOr<ISliceLayer*> sliceLayer(ImportContext& ctx, ITensor* x, const ShapeTensor& start,
                                  const ShapeTensor& size, const ShapeTensor& stride,
                                  SampleMode mode = SampleMode::kSTRICT_BOUNDS, ITensor* fill = nullptr);
/// [d0 * ... * d(axis-1), d(axis) * ... * d(rank-1)].
StatusOr<ITensor*> flattenTo2d(ImportContext& ctx, ITensor* x, int axis);

/// The element count of `d`, or -1 when a dim is unknown or the count overflows int64 (dims from a
/// hostile or corrupt model).
int64_t checkedVolume(const Dims& d);

/// A constant with the same bytes and another shape (same element count).
ConstValue reshapedConstant(const ConstValue& c, Dims shape);
/// A constant converted to `type`.
ConstValue convertedConstant(const ConstValue& c, DataType type);

/// The importer result helper: output 0 is `t`.
inline Status setOutput(std::vector<Value>& outputs, ITensor* t, size_t index = 0) {
    if (index < outputs.size()) outputs[index] = Value::fromTensor(t);
    return Status::ok();
}

}  // namespace kiln::onnx
