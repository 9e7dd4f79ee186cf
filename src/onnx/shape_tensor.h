// ShapeTensor: a small int64 vector (a shape, a list of starts or sizes) used by importers for shape
// arithmetic. Elements known at import time are computed on the host; only when some element depends on
// a run-time dimension or a run-time parameter are layers (Shape, Gather, Concatenation, ElementWise,
// Reduce, Select, Scatter, Cumulative) added, and those carry along the elements that are known. So a
// static model gets constants only, and a model with a dynamic batch gets run-time arithmetic for the
// batch dimension alone.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "common/status.h"
#include "onnx/import_context.h"
#include "onnx/values.h"

namespace kiln::onnx {

class ShapeTensor {
public:
    ShapeTensor() = default;
    /// A vector known at import time (a 0-D scalar when `scalar`, holding one element).
    static ShapeTensor known(std::vector<int64_t> values, bool scalar = false);
    /// A vector computed by `tensor` (int64, 1-D or 0-D), with the elements known so far.
    static ShapeTensor dynamic(ITensor* tensor, std::vector<PartialElement> elements, bool scalar = false);

    int64_t size() const { return static_cast<int64_t>(mElems.size()); }
    bool isScalar() const { return mScalar; }
    bool allKnown() const;
    const std::vector<PartialElement>& elements() const { return mElems; }
    PartialElement at(int64_t i) const { return mElems[static_cast<size_t>(i)]; }
    /// The values; only valid when allKnown().
    std::vector<int64_t> values() const;
    /// The vector as an int64 network tensor (a constant layer when known).
    StatusOr<ITensor*> tensor(ImportContext& ctx) const;
    /// As an ONNX value: a constant when known, else the tensor with its partial elements.
    Value toValue() const;

private:
    friend StatusOr<ShapeTensor> toShapeTensor(ImportContext&, const Value&, const char*);
    std::vector<PartialElement> mElems;
    mutable ITensor* mTensor{nullptr};
    Value mSource;  ///< a deferred value this vector becomes when a tensor is needed
    bool mScalar{false};
};

/// The shape of `x`: known dims from inference, a Shape layer for the rest.
StatusOr<ShapeTensor> shapeOf(ImportContext& ctx, ITensor* x);
/// An ONNX value holding a 0-D or 1-D integer tensor (int32 values are cast to int64) as a ShapeTensor.
StatusOr<ShapeTensor> toShapeTensor(ImportContext& ctx, const Value& v, const char* what);
/// Elements `indices` of `s` (a 1-D result).
StatusOr<ShapeTensor> gatherShape(ImportContext& ctx, const ShapeTensor& s,
                                  const std::vector<int64_t>& indices);
/// Elements [begin, end) of `s`.
StatusOr<ShapeTensor> sliceShape(ImportContext& ctx, const ShapeTensor& s, int64_t begin, int64_t end);
/// The concatenation of 1-D vectors (scalars count as one element).
StatusOr<ShapeTensor> concatShapes(ImportContext& ctx, const std::vector<ShapeTensor>& parts);
/// Element-wise op; a one-element operand broadcasts. Integer division is floor division (kFLOOR_DIV).
StatusOr<ShapeTensor> shapeBinary(ImportContext& ctx, const ShapeTensor& a, const ShapeTensor& b,
                                  ElementWiseOperation op);
/// A one-element vector holding the product of the elements (1 for an empty vector).
StatusOr<ShapeTensor> shapeProduct(ImportContext& ctx, const ShapeTensor& s);
/// Host evaluation of an int64 element-wise op; nullopt when undefined (division by zero) or unknown.
PartialElement applyIntOp(ElementWiseOperation op, PartialElement a, PartialElement b);
/// Per element: `ifNegative` where `v` < 0, else `otherwise` (a Select at run time). The three have one
/// size, or size 1 to broadcast.
StatusOr<ShapeTensor> selectWhereNegative(ImportContext& ctx, const ShapeTensor& v,
                                          const ShapeTensor& ifNegative, const ShapeTensor& otherwise);
/// `data` with element indices[i] replaced by updates[i] (ScatterElements on a vector): a negative index
/// counts from the end, a repeated index keeps the last update. Known indices outside [-n, n) fail
/// naming `what`; run-time ones fail when the shapes are resolved.
StatusOr<ShapeTensor> scatterShape(ImportContext& ctx, const ShapeTensor& data, const ShapeTensor& indices,
                                   const ShapeTensor& updates, const char* what);
/// The elements of `s` at positions `indices` (a 1-D result), which may be known only at run time; a
/// negative index counts from the end, as the Gather layer does.
StatusOr<ShapeTensor> gatherShapeAt(ImportContext& ctx, const ShapeTensor& s, const ShapeTensor& indices);
/// Element i is the sum of elements [0, i) of `s` (an exclusive cumulative sum).
StatusOr<ShapeTensor> exclusiveCumSum(ImportContext& ctx, const ShapeTensor& s);

/// Reshapes `x` to `dims` (actual extents; 0 means an empty dimension). Static when the dims are known,
/// or all but one (which becomes -1); otherwise the dims are fed as a run-time shape tensor.
StatusOr<ITensor*> reshapeTo(ImportContext& ctx, ITensor* x, const ShapeTensor& dims);

}  // namespace kiln::onnx
