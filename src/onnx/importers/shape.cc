// Importers for shape handling and constants: Shape, Size, Reshape, Flatten, Squeeze, Unsqueeze,
// Expand, Tile, ConstantOfShape, Range, Constant, Identity, Dropout, Cast, CastLike. Shape arithmetic
// goes through ShapeTensor, so static extents stay constants and only run-time dims become layers;
// Squeeze/Unsqueeze axes known only at run time become a run-time target shape for the reshape.
// Expand and Tile are slices: Expand reads each broadcast dim with stride 0, Tile wraps around.
#include <cmath>
#include <optional>

#include "onnx/importers/helpers.h"
#include "onnx/tensor_proto.h"

namespace kiln::onnx {

namespace {

/// ConstantOfShape and Fill-based outputs above this many elements stay layers rather than constants.
constexpr int64_t kMaxMaterializedElements = int64_t{1} << 24;

Status importShape(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                   std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
    const int64_t r = x->getDimensions().nbDims;
    KILN_ASSIGN_OR_RETURN(int64_t start, node.attrs().getInt("start", 0));
    KILN_ASSIGN_OR_RETURN(int64_t end, node.attrs().getInt("end", r));
    start = std::clamp<int64_t>(start < 0 ? start + r : start, 0, r);
    end = std::clamp<int64_t>(end < 0 ? end + r : end, 0, r);
    KILN_ASSIGN_OR_RETURN(ShapeTensor s, shapeOf(ctx, x));
    KILN_ASSIGN_OR_RETURN(ShapeTensor part, sliceShape(ctx, s, start, std::max(start, end)));
    outputs[0] = part.toValue();
    return Status::ok();
}

Status importSize(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                  std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
    KILN_ASSIGN_OR_RETURN(ShapeTensor s, shapeOf(ctx, x));
    KILN_ASSIGN_OR_RETURN(ShapeTensor n, shapeProduct(ctx, s));
    if (n.allKnown()) {
        outputs[0] = ShapeTensor::known(n.values(), true).toValue();
        return Status::ok();
    }
    KILN_ASSIGN_OR_RETURN(ITensor * t, n.tensor(ctx));
    KILN_ASSIGN_OR_RETURN(ITensor * y, reshapeTo(ctx, t, ShapeTensor::known({})));
    return setOutput(outputs, y);
}

Status importReshape(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                     std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
    KILN_ASSIGN_OR_RETURN(int64_t allowZero, node.attrs().getInt("allowzero", 0));
    if (!hasInput(inputs, 1)) return invalidArgument("input 1 (shape) is required");
    KILN_ASSIGN_OR_RETURN(ShapeTensor shape, toShapeTensor(ctx, inputs[1], "shape (input 1)"));
    if (shape.isScalar()) return invalidArgument("shape (input 1) must be 1-D, got a scalar");
    if (shape.size() > kMAX_DIMS)
        return unsupported("shape (input 1) has " + std::to_string(shape.size()) +
                           " entries; Kiln's maximum rank is " + std::to_string(kMAX_DIMS));
    IShuffleLayer* s = ctx.net().addShuffle(*x);
    KILN_ASSIGN_OR_RETURN(s, ctx.check(s, "addShuffle"));
    s->setZeroIsPlaceholder(allowZero == 0);
    int unknown = 0;
    bool minusOne = false;
    for (const auto& e : shape.elements()) {
        if (!e)
            ++unknown;
        else if (*e == -1)
            minusOne = true;
    }
    // One run-time entry can be left to the reshape's -1 inference, unless the shape already has a -1.
    if (unknown == 0 || (unknown == 1 && !minusOne)) {
        s->setReshapeDimensions(makeDims(shape.values()));
    } else {
        KILN_ASSIGN_OR_RETURN(ITensor * t, shape.tensor(ctx));
        s->setInput(1, *t);
    }
    return setOutput(outputs, s->getOutput(0));
}

Status importFlatten(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                     std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
    const int rank = x->getDimensions().nbDims;
    KILN_ASSIGN_OR_RETURN(int64_t rawAxis, node.attrs().getInt("axis", 1));
    if (rawAxis < -rank || rawAxis > rank)
        return invalidArgument("axis " + std::to_string(rawAxis) + " is out of range for rank " +
                               std::to_string(rank) + " (expected " + std::to_string(-rank) + ".." +
                               std::to_string(rank) + ")");
    const int axis = static_cast<int>(rawAxis < 0 ? rawAxis + rank : rawAxis);
    KILN_ASSIGN_OR_RETURN(ITensor * y, flattenTo2d(ctx, x, axis));
    return setOutput(outputs, y);
}

/// Axes of Squeeze/Unsqueeze: the attribute before opset 13, input 1 from opset 13 (possibly known only
/// at run time); nullopt when there are none.
StatusOr<std::optional<ShapeTensor>> squeezeAxes(ImportContext& ctx, const OnnxNode& node,
                                                 const std::vector<Value>& inputs) {
    if (node.opset < 13) {
        if (!node.attrs().has("axes")) return std::optional<ShapeTensor>();
        KILN_ASSIGN_OR_RETURN(std::vector<int64_t> a, node.attrs().getInts("axes"));
        return std::optional<ShapeTensor>(ShapeTensor::known(a));
    }
    if (!hasInput(inputs, 1)) return std::optional<ShapeTensor>();
    KILN_ASSIGN_OR_RETURN(ShapeTensor a, toShapeTensor(ctx, inputs[1], "axes (input 1)"));
    return std::optional<ShapeTensor>(a);
}

ShapeTensor iotaShape(int64_t n) {
    std::vector<int64_t> v;
    for (int64_t i = 0; i < n; ++i) v.push_back(i);
    return ShapeTensor::known(v);
}

/// For a vector of n: 1 at the positions listed in `axes` (negative ones count from the end), else 0.
StatusOr<ShapeTensor> axisMask(ImportContext& ctx, const ShapeTensor& axes, int64_t n) {
    return scatterShape(ctx, ShapeTensor::known(std::vector<int64_t>(static_cast<size_t>(n), 0)), axes,
                        ShapeTensor::known(std::vector<int64_t>(static_cast<size_t>(axes.size()), 1)),
                        "axes");
}

/// Squeeze with axes known only at run time. The output rank is r - k; kept dim p moves to position
/// p - (number of squeezed axes before p), squeezed dims go to a spare slot past the end that is then
/// dropped. A squeezed dim that is not 1 changes the element count, which the reshape rejects when the
/// shapes are resolved; an axis out of range fails in the Scatter then too.
StatusOr<ITensor*> squeezeAtRunTime(ImportContext& ctx, ITensor* x, const ShapeTensor& axes) {
    using E = ElementWiseOperation;
    const int64_t r = x->getDimensions().nbDims, k = axes.size(), n = r - k;
    if (k > r)
        return invalidArgument("axes has " + std::to_string(k) + " entries, more than the rank " +
                               std::to_string(r) + " of the input " + toString(x->getDimensions()));
    KILN_ASSIGN_OR_RETURN(ShapeTensor shape, shapeOf(ctx, x));
    KILN_ASSIGN_OR_RETURN(ShapeTensor mask, axisMask(ctx, axes, r));
    KILN_ASSIGN_OR_RETURN(ShapeTensor before, exclusiveCumSum(ctx, mask));
    KILN_ASSIGN_OR_RETURN(ShapeTensor pos, shapeBinary(ctx, iotaShape(r), before, E::kSUB));
    KILN_ASSIGN_OR_RETURN(ShapeTensor keep, shapeBinary(ctx, ShapeTensor::known({1}), mask, E::kSUB));
    KILN_ASSIGN_OR_RETURN(ShapeTensor keptPos, shapeBinary(ctx, pos, keep, E::kPROD));
    KILN_ASSIGN_OR_RETURN(ShapeTensor spare, shapeBinary(ctx, mask, ShapeTensor::known({n}), E::kPROD));
    KILN_ASSIGN_OR_RETURN(ShapeTensor target, shapeBinary(ctx, keptPos, spare, E::kSUM));
    KILN_ASSIGN_OR_RETURN(
        ShapeTensor placed,
        scatterShape(ctx, ShapeTensor::known(std::vector<int64_t>(static_cast<size_t>(n + 1), 0)), target,
                     shape, "squeezed position"));
    KILN_ASSIGN_OR_RETURN(ShapeTensor dims, sliceShape(ctx, placed, 0, n));
    return reshapeTo(ctx, x, dims);
}

/// Unsqueeze with axes known only at run time: output dim p is 1 where p is listed, else input dim
/// p - (number of listed axes before p). Repeated or out-of-range axes leave too few 1s, so the last
/// input dim read is past the end, which the Gather rejects when the shapes are resolved.
StatusOr<ITensor*> unsqueezeAtRunTime(ImportContext& ctx, ITensor* x, const ShapeTensor& axes) {
    using E = ElementWiseOperation;
    const int64_t r = x->getDimensions().nbDims, n = r + axes.size();
    KILN_ASSIGN_OR_RETURN(ShapeTensor mask, axisMask(ctx, axes, n));
    // A scalar's output dims are all inserted 1s: the mask itself, whose 0s (repeated axes) make the
    // element count 0, which the reshape rejects.
    if (r == 0) return reshapeTo(ctx, x, mask);
    KILN_ASSIGN_OR_RETURN(ShapeTensor shape, shapeOf(ctx, x));
    KILN_ASSIGN_OR_RETURN(ShapeTensor before, exclusiveCumSum(ctx, mask));
    KILN_ASSIGN_OR_RETURN(ShapeTensor pos, shapeBinary(ctx, iotaShape(n), before, E::kSUB));
    KILN_ASSIGN_OR_RETURN(ShapeTensor keep, shapeBinary(ctx, ShapeTensor::known({1}), mask, E::kSUB));
    KILN_ASSIGN_OR_RETURN(ShapeTensor source, shapeBinary(ctx, pos, keep, E::kPROD));  // 0 where inserted
    KILN_ASSIGN_OR_RETURN(ShapeTensor read, gatherShapeAt(ctx, shape, source));
    KILN_ASSIGN_OR_RETURN(ShapeTensor kept, shapeBinary(ctx, read, keep, E::kPROD));
    KILN_ASSIGN_OR_RETURN(ShapeTensor dims, shapeBinary(ctx, kept, mask, E::kSUM));
    return reshapeTo(ctx, x, dims);
}

Status importSqueeze(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                     std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
    const Dims d = x->getDimensions();
    KILN_ASSIGN_OR_RETURN(auto rawAxes, squeezeAxes(ctx, node, inputs));
    if (rawAxes && !rawAxes->allKnown()) {
        KILN_ASSIGN_OR_RETURN(ITensor * y, squeezeAtRunTime(ctx, x, *rawAxes));
        return setOutput(outputs, y);
    }
    std::vector<int> axes;
    if (rawAxes) {
        KILN_ASSIGN_OR_RETURN(axes, normalizeAxes(rawAxes->values(), d.nbDims, "axes"));
    } else {
        for (int i = 0; i < d.nbDims; ++i) {
            if (d.d[i] < 0)
                return unsupported("Squeeze without axes on input " + toString(d) +
                                   ": whether the run-time dimension " + std::to_string(i) +
                                   " is 1 is unknown at build time");
            if (d.d[i] == 1) axes.push_back(i);
        }
    }
    KILN_ASSIGN_OR_RETURN(ITensor * y, squeezeTensor(ctx, x, axes));
    return setOutput(outputs, y);
}

Status importUnsqueeze(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                       std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
    KILN_ASSIGN_OR_RETURN(auto rawAxes, squeezeAxes(ctx, node, inputs));
    if (!rawAxes) return invalidArgument("axes are required");
    const int outRank = x->getDimensions().nbDims + static_cast<int>(rawAxes->size());
    if (outRank > kMAX_DIMS)
        return unsupported("Unsqueeze to rank " + std::to_string(outRank) + " exceeds Kiln's maximum " +
                           std::to_string(kMAX_DIMS));
    if (!rawAxes->allKnown()) {
        KILN_ASSIGN_OR_RETURN(ITensor * y, unsqueezeAtRunTime(ctx, x, *rawAxes));
        return setOutput(outputs, y);
    }
    KILN_ASSIGN_OR_RETURN(std::vector<int> axes, normalizeAxes(rawAxes->values(), outRank, "axes"));
    std::sort(axes.begin(), axes.end());
    KILN_ASSIGN_OR_RETURN(ITensor * y, unsqueezeTensor(ctx, x, axes));
    return setOutput(outputs, y);
}

/// `x` reshaped to rank `rank` by prepending 1s (numpy broadcasting's alignment).
StatusOr<ITensor*> alignRank(ImportContext& ctx, ITensor* x, int rank) {
    const int r = x->getDimensions().nbDims;
    if (r >= rank) return x;
    std::vector<int> axes;
    for (int i = 0; i < rank - r; ++i) axes.push_back(i);
    return unsqueezeTensor(ctx, x, axes);
}

/// A slice of `x` starting at 0 with run-time or static size and stride.
StatusOr<ITensor*> sliceFromZero(ImportContext& ctx, ITensor* x, const ShapeTensor& size,
                                 const ShapeTensor& stride, SampleMode mode) {
    const ShapeTensor zeros = ShapeTensor::known(std::vector<int64_t>(static_cast<size_t>(size.size()), 0));
    KILN_ASSIGN_OR_RETURN(ISliceLayer * s, sliceLayer(ctx, x, zeros, size, stride, mode));
    return s->getOutput(0);
}

Status importExpand(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                    std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
    if (!hasInput(inputs, 1)) return invalidArgument("input 1 (shape) is required");
    KILN_ASSIGN_OR_RETURN(ShapeTensor shape, toShapeTensor(ctx, inputs[1], "shape (input 1)"));
    const int r = x->getDimensions().nbDims;
    const int n = std::max(r, static_cast<int>(shape.size()));
    if (n > kMAX_DIMS) return unsupported("Expand to rank " + std::to_string(n) + " exceeds Kiln's maximum");
    KILN_ASSIGN_OR_RETURN(ITensor * xr, alignRank(ctx, x, n));
    KILN_ASSIGN_OR_RETURN(ShapeTensor in, shapeOf(ctx, xr));
    if (shape.size() < n) {
        KILN_ASSIGN_OR_RETURN(shape, concatShapes(ctx, {ShapeTensor::known(std::vector<int64_t>(
                                                            static_cast<size_t>(n) - shape.size(), 1)),
                                                        shape}));
    }
    for (int i = 0; i < n; ++i) {
        auto a = in.at(i), b = shape.at(i);
        if (a && b && *a != *b && *a != 1 && *b != 1)
            return invalidArgument("cannot expand input of shape " + toString(x->getDimensions()) + " to " +
                                   toString(makeDims(shape.values())) + ": dimension " + std::to_string(i) +
                                   " is " + std::to_string(*a) + " vs " + std::to_string(*b));
    }
    // Broadcast extents: max(in, shape) where one of them is 1; stride 0 reads a size-1 dim repeatedly.
    KILN_ASSIGN_OR_RETURN(ShapeTensor size, shapeBinary(ctx, in, shape, ElementWiseOperation::kMAX));
    KILN_ASSIGN_OR_RETURN(ShapeTensor inMinus1,
                          shapeBinary(ctx, in, ShapeTensor::known({1}), ElementWiseOperation::kSUB));
    KILN_ASSIGN_OR_RETURN(ShapeTensor stride,
                          shapeBinary(ctx, inMinus1, ShapeTensor::known({1}), ElementWiseOperation::kMIN));
    KILN_ASSIGN_OR_RETURN(ITensor * y, sliceFromZero(ctx, xr, size, stride, SampleMode::kSTRICT_BOUNDS));
    return setOutput(outputs, y);
}

Status importTile(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                  std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
    if (!hasInput(inputs, 1)) return invalidArgument("input 1 (repeats) is required");
    KILN_ASSIGN_OR_RETURN(ShapeTensor repeats, toShapeTensor(ctx, inputs[1], "repeats (input 1)"));
    const int r = x->getDimensions().nbDims;
    if (repeats.size() != r)
        return invalidArgument("repeats has " + std::to_string(repeats.size()) +
                               " entries, expected the input's rank " + std::to_string(r));
    KILN_ASSIGN_OR_RETURN(ShapeTensor in, shapeOf(ctx, x));
    KILN_ASSIGN_OR_RETURN(ShapeTensor size, shapeBinary(ctx, in, repeats, ElementWiseOperation::kPROD));
    KILN_ASSIGN_OR_RETURN(
        ITensor * y,
        sliceFromZero(ctx, x, size, ShapeTensor::known(std::vector<int64_t>(static_cast<size_t>(r), 1)),
                      SampleMode::kWRAP));
    return setOutput(outputs, y);
}

Status importConstantOfShape(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                             std::vector<Value>& outputs) {
    ConstValue value = ConstValue::fromDoubles(DataType::kFLOAT, Dims{}, {0.0});
    if (node.attrs().has("value")) {
        KILN_ASSIGN_OR_RETURN(const TensorProto* t, node.attrs().getTensor("value"));
        KILN_ASSIGN_OR_RETURN(value, readTensorProto(*t, ctx.model().external, nullptr));
        if (value.count() != 1)
            return invalidArgument("attribute 'value' must hold one element, got shape " +
                                   toString(value.shape));
    }
    if (!hasInput(inputs, 0)) return invalidArgument("input 0 (shape) is required");
    KILN_ASSIGN_OR_RETURN(ShapeTensor shape, toShapeTensor(ctx, inputs[0], "shape (input 0)"));
    if (shape.size() > kMAX_DIMS)
        return unsupported("shape (input 0) has " + std::to_string(shape.size()) +
                           " entries; Kiln's maximum rank is " + std::to_string(kMAX_DIMS));
    if (shape.allKnown()) {
        const Dims d = makeDims(shape.values());
        for (int i = 0; i < d.nbDims; ++i)
            if (d.d[i] < 0) return invalidArgument("shape " + toString(d) + " has a negative extent");
        const int64_t n = checkedVolume(d);
        if (n < 0) return invalidArgument("shape " + toString(d) + " has more elements than int64 can count");
        if (n <= kMaxMaterializedElements) {
            std::vector<uint8_t> bytes(static_cast<size_t>(storageBytes(value.type, n)));
            if (isPackedType(value.type)) {  // int4 and the like: several elements share a byte
                const uint32_t bits = loadPackedBits(value.data(), 0, dataTypeBits(value.type));
                for (int64_t i = 0; i < n; ++i)
                    storePackedBits(bytes.data(), i, dataTypeBits(value.type), bits);
            } else {
                const size_t es = static_cast<size_t>(dataTypeSize(value.type));
                for (size_t i = 0; i < bytes.size(); i += es) std::memcpy(bytes.data() + i, value.data(), es);
            }
            outputs[0] = Value::fromConstant(ConstValue::make(value.type, d, std::move(bytes)));
            return Status::ok();
        }
    }
    Dims placeholder;
    placeholder.nbDims = static_cast<int32_t>(shape.size());
    for (int i = 0; i < placeholder.nbDims; ++i) placeholder.d[i] = shape.at(i).value_or(1);
    IFillLayer* f = ctx.net().addFill(placeholder, FillOperation::kCONSTANT, value.type);
    KILN_ASSIGN_OR_RETURN(f, ctx.check(f, "addFill"));
    f->setAlpha(value.at(0));
    if (!shape.allKnown()) {
        KILN_ASSIGN_OR_RETURN(ITensor * t, shape.tensor(ctx));
        f->setInput(0, *t);
    }
    return setOutput(outputs, f->getOutput(0));
}

Status importRange(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                   std::vector<Value>& outputs) {
    for (int i = 0; i < 3; ++i)
        if (!hasInput(inputs, i)) return invalidArgument("inputs start, limit and delta are required");
    const DataType type = typeOf(inputs[0]);
    if (typeOf(inputs[1]) != type || typeOf(inputs[2]) != type)
        return invalidArgument("start, limit and delta must have one type");
    for (int i = 0; i < 3; ++i)
        if (volume(dimsOf(inputs[static_cast<size_t>(i)])) != 1)
            return invalidArgument("input " + std::to_string(i) + " must be a scalar, got shape " +
                                   toString(dimsOf(inputs[static_cast<size_t>(i)])));
    if (inputs[0].isConstant() && inputs[1].isConstant() && inputs[2].isConstant()) {
        const double start = inputs[0].constant->at(0), limit = inputs[1].constant->at(0),
                     delta = inputs[2].constant->at(0);
        if (delta == 0) return invalidArgument("delta must not be 0");
        const double n = std::max(std::ceil((limit - start) / delta), 0.0);
        if (n > static_cast<double>(kMaxMaterializedElements))
            return unsupported("Range of " + std::to_string(n) +
                               " elements is too large to build as a constant");
        std::vector<double> v(static_cast<size_t>(n));
        const bool integer = isIntegerType(type);
        for (size_t i = 0; i < v.size(); ++i)
            v[i] = integer ? static_cast<double>(inputs[0].constant->atInt(0) +
                                                 static_cast<int64_t>(i) * inputs[2].constant->atInt(0))
                           : start + static_cast<double>(i) * delta;
        outputs[0] =
            Value::fromConstant(ConstValue::fromDoubles(type, makeDims({static_cast<int64_t>(n)}), v));
        return Status::ok();
    }
    // Run time: count = max(ceil((limit - start) / delta), 0), then a linear fill.
    ITensor* count = nullptr;
    if (type == DataType::kINT64 || type == DataType::kINT32) {
        KILN_ASSIGN_OR_RETURN(ShapeTensor start, toShapeTensor(ctx, inputs[0], "start"));
        KILN_ASSIGN_OR_RETURN(ShapeTensor limit, toShapeTensor(ctx, inputs[1], "limit"));
        KILN_ASSIGN_OR_RETURN(ShapeTensor delta, toShapeTensor(ctx, inputs[2], "delta"));
        KILN_ASSIGN_OR_RETURN(ShapeTensor diff, shapeBinary(ctx, start, limit,
                                                            ElementWiseOperation::kSUB));  // -(limit - start)
        KILN_ASSIGN_OR_RETURN(ShapeTensor q, shapeBinary(ctx, diff, delta, ElementWiseOperation::kFLOOR_DIV));
        KILN_ASSIGN_OR_RETURN(ShapeTensor c,
                              shapeBinary(ctx, q, ShapeTensor::known({-1}), ElementWiseOperation::kPROD));
        KILN_ASSIGN_OR_RETURN(ShapeTensor n,
                              shapeBinary(ctx, c, ShapeTensor::known({0}), ElementWiseOperation::kMAX));
        KILN_ASSIGN_OR_RETURN(count, n.tensor(ctx));
    } else {
        // In float32 even for half/bf16 inputs: (limit - start) / delta rounded to 16 bits could land
        // just above a whole number and add an element. The layers run on the host when shapes are
        // resolved (the start/limit/delta network inputs become shape tensors).
        KILN_ASSIGN_OR_RETURN(ITensor * s, inputTensor(ctx, node, inputs, 0));
        KILN_ASSIGN_OR_RETURN(ITensor * l, inputTensor(ctx, node, inputs, 1));
        KILN_ASSIGN_OR_RETURN(ITensor * d, inputTensor(ctx, node, inputs, 2));
        KILN_ASSIGN_OR_RETURN(s, castTo(ctx, s, DataType::kFLOAT));
        KILN_ASSIGN_OR_RETURN(l, castTo(ctx, l, DataType::kFLOAT));
        KILN_ASSIGN_OR_RETURN(d, castTo(ctx, d, DataType::kFLOAT));
        KILN_ASSIGN_OR_RETURN(ITensor * diff, elementwise(ctx, l, s, ElementWiseOperation::kSUB));
        KILN_ASSIGN_OR_RETURN(ITensor * q, elementwise(ctx, diff, d, ElementWiseOperation::kDIV));
        KILN_ASSIGN_OR_RETURN(ITensor * c, unary(ctx, q, UnaryOperation::kCEIL));
        KILN_ASSIGN_OR_RETURN(ITensor * ci, castTo(ctx, c, DataType::kINT64));
        KILN_ASSIGN_OR_RETURN(ITensor * n, withScalar(ctx, ci, 0.0, ElementWiseOperation::kMAX));
        KILN_ASSIGN_OR_RETURN(count, reshapeTo(ctx, n, ShapeTensor::known({1})));
    }
    KILN_ASSIGN_OR_RETURN(ITensor * startT, inputTensor(ctx, node, inputs, 0));
    KILN_ASSIGN_OR_RETURN(ITensor * deltaT, inputTensor(ctx, node, inputs, 2));
    IFillLayer* f = ctx.net().addFill(makeDims({1}), FillOperation::kLINSPACE, type);
    KILN_ASSIGN_OR_RETURN(f, ctx.check(f, "addFill"));
    f->setInput(0, *count);
    f->setInput(1, *startT);
    f->setInput(2, *deltaT);
    return setOutput(outputs, f->getOutput(0));
}

Status importConstant(ImportContext& ctx, const OnnxNode& node, std::vector<Value>&,
                      std::vector<Value>& outputs) {
    const NodeAttrs a = node.attrs();
    if (a.has("value")) {
        KILN_ASSIGN_OR_RETURN(const TensorProto* t, a.getTensor("value"));
        std::vector<std::string> warnings;
        KILN_ASSIGN_OR_RETURN(ConstValue c, readTensorProto(*t, ctx.model().external, &warnings));
        for (const auto& w : warnings) ctx.warning(w);
        outputs[0] = Value::fromConstant(std::move(c));
    } else if (a.has("value_float")) {
        KILN_ASSIGN_OR_RETURN(float f, a.getFloat("value_float"));
        outputs[0] = Value::fromConstant(ConstValue::fromDoubles(DataType::kFLOAT, Dims{}, {f}));
    } else if (a.has("value_floats")) {
        KILN_ASSIGN_OR_RETURN(std::vector<float> f, a.getFloats("value_floats"));
        outputs[0] = Value::fromConstant(ConstValue::fromDoubles(DataType::kFLOAT,
                                                                 makeDims({static_cast<int64_t>(f.size())}),
                                                                 std::vector<double>(f.begin(), f.end())));
    } else if (a.has("value_int")) {
        KILN_ASSIGN_OR_RETURN(int64_t i, a.getInt("value_int"));
        outputs[0] = Value::fromConstant(ConstValue::fromInts(DataType::kINT64, Dims{}, {i}));
    } else if (a.has("value_ints")) {
        KILN_ASSIGN_OR_RETURN(std::vector<int64_t> v, a.getInts("value_ints"));
        outputs[0] = Value::fromConstant(ConstValue::vector(v));
    } else if (a.has("sparse_value")) {
        return unsupported("Constant with a sparse_value is not supported");
    } else if (a.has("value_string") || a.has("value_strings")) {
        return unsupported("string constants are not supported (Kiln has no string tensors)");
    } else {
        return invalidArgument("Constant has none of the attributes value, value_float(s), value_int(s)");
    }
    return Status::ok();
}

Status checkConstant(const OnnxNode& node) {
    const NodeAttrs a = node.attrs();
    if (a.has("sparse_value")) return unsupported("Constant with a sparse_value is not supported");
    if (a.has("value_string") || a.has("value_strings"))
        return unsupported("string constants are not supported (Kiln has no string tensors)");
    return Status::ok();
}

Status importIdentity(ImportContext&, const OnnxNode& node, std::vector<Value>& inputs,
                      std::vector<Value>& outputs) {
    if (!hasInput(inputs, 0)) return invalidArgument("input 0 is required");
    (void)node;
    outputs[0] = inputs[0];
    outputs[0].name.clear();
    return Status::ok();
}

Status importDropout(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                     std::vector<Value>& outputs) {
    if (!hasInput(inputs, 0)) return invalidArgument("input 0 is required");
    if (hasInput(inputs, 2)) {
        if (!inputs[2].isConstant())
            return unsupported(
                "training_mode (input 2) is computed at run time; Kiln imports inference graphs");
        if (inputs[2].constant->count() > 0 && inputs[2].constant->atInt(0) != 0)
            return unsupported(
                "training_mode is true; Kiln imports inference graphs (Dropout is the identity)");
    }
    outputs[0] = inputs[0];
    outputs[0].name.clear();
    if (node.nbOutputs() > 1 && !node.proto->output(1).empty()) {
        // At inference nothing is dropped: the mask is all true, of the input's shape.
        const Dims d = dimsOf(inputs[0]);
        const int64_t n = checkedVolume(d);
        if (n >= 0 && n <= kMaxMaterializedElements) {
            outputs[1] = Value::fromConstant(
                ConstValue::make(DataType::kBOOL, d, std::vector<uint8_t>(static_cast<size_t>(n), 1)));
        } else {
            KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
            KILN_ASSIGN_OR_RETURN(ShapeTensor shape, shapeOf(ctx, x));
            KILN_ASSIGN_OR_RETURN(ITensor * st, shape.tensor(ctx));
            Dims placeholder;
            placeholder.nbDims = d.nbDims;
            for (int i = 0; i < d.nbDims; ++i) placeholder.d[i] = 1;
            IFillLayer* f = ctx.net().addFill(placeholder, FillOperation::kCONSTANT, DataType::kBOOL);
            KILN_ASSIGN_OR_RETURN(f, ctx.check(f, "addFill"));
            f->setAlpha(1.0);
            f->setInput(0, *st);
            outputs[1] = Value::fromTensor(f->getOutput(0));
        }
    }
    return Status::ok();
}

StatusOr<DataType> castTarget(ImportContext* ctx, const OnnxNode& node) {
    KILN_ASSIGN_OR_RETURN(int64_t to, node.attrs().getInt("to"));
    bool converted = false;
    StatusOr<DataType> t = kilnTypeOf(static_cast<int32_t>(to), &converted);
    if (!t.isOk()) return t.status().withContext("attribute 'to'");
    if (converted && ctx)
        ctx->warning("Cast to " + onnxTypeName(static_cast<int32_t>(to)) + " becomes a cast to " +
                     dataTypeName(*t));
    return t;
}

/// Cast's saturate and round_mode attributes (opset 19 and 21+), checked for every target type as ONNX
/// only lets them change casts to float8 and E8M0.
struct CastOptions {
    bool saturate{true};
    CastRoundMode roundMode{CastRoundMode::kUP};
};

StatusOr<CastOptions> castOptions(const OnnxNode& node) {
    CastOptions o;
    KILN_ASSIGN_OR_RETURN(int64_t saturate, node.attrs().getInt("saturate", 1));
    if (saturate != 0 && saturate != 1)
        return invalidArgument("attribute 'saturate' is " + std::to_string(saturate) + ", expected 0 or 1");
    o.saturate = saturate != 0;
    KILN_ASSIGN_OR_RETURN(std::string mode, node.attrs().getString("round_mode", "up"));
    if (mode == "up")
        o.roundMode = CastRoundMode::kUP;
    else if (mode == "down")
        o.roundMode = CastRoundMode::kDOWN;
    else if (mode == "nearest")
        o.roundMode = CastRoundMode::kNEAREST;
    else
        return invalidArgument("attribute 'round_mode' is '" + mode +
                               "', expected 'up', 'down' or 'nearest'");
    return o;
}

/// Adds the Cast layer with `options`.
StatusOr<ITensor*> addCastLayer(ImportContext& ctx, ITensor& x, DataType to, const CastOptions& options) {
    KILN_ASSIGN_OR_RETURN(ICastLayer * c, ctx.check(ctx.net().addCast(x, to), "addCast"));
    c->setSaturate(options.saturate);
    c->setRoundMode(options.roundMode);
    return ctx.out(c, "addCast");
}

Status checkCast(const OnnxNode& node) {
    KILN_RETURN_IF_ERROR(castTarget(nullptr, node).status());
    return castOptions(node).status();
}

Status importCast(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                  std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(DataType to, castTarget(&ctx, node));
    KILN_ASSIGN_OR_RETURN(CastOptions options, castOptions(node));
    KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
    KILN_ASSIGN_OR_RETURN(ITensor * y, addCastLayer(ctx, *x, to, options));
    return setOutput(outputs, y);
}

Status checkCastLike(const OnnxNode& node) {
    return castOptions(node).status();
}

Status importCastLike(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                      std::vector<Value>& outputs) {
    if (!hasInput(inputs, 1)) return invalidArgument("input 1 (target_type) is required");
    KILN_ASSIGN_OR_RETURN(CastOptions options, castOptions(node));
    const DataType to = typeOf(inputs[1]);
    // Only input 1's type matters: a constant input 0 converts at import time whatever input 1 is. The
    // import-time conversion knows only the default rules, so a non-default saturate or round mode on an
    // 8-bit float target leaves the work to the layer.
    const bool defaultRules = options.saturate && options.roundMode == CastRoundMode::kUP;
    if (hasInput(inputs, 0) && inputs[0].isConstant() && defaultRules) {
        outputs[0] = Value::fromConstant(convertedConstant(*inputs[0].constant, to));
        return Status::ok();
    }
    KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
    KILN_ASSIGN_OR_RETURN(ITensor * y, addCastLayer(ctx, *x, to, options));
    return setOutput(outputs, y);
}

const OpImporter kImporters[] = {
    {"Shape", kMinOpset, kMaxOpset, importShape},
    {"Size", kMinOpset, kMaxOpset, importSize},
    {"Reshape", kMinOpset, kMaxOpset, importReshape},
    {"Flatten", kMinOpset, kMaxOpset, importFlatten},
    {"Squeeze", kMinOpset, kMaxOpset, importSqueeze},
    {"Unsqueeze", kMinOpset, kMaxOpset, importUnsqueeze},
    {"Expand", kMinOpset, kMaxOpset, importExpand},
    {"Tile", kMinOpset, kMaxOpset, importTile},
    {"ConstantOfShape", kMinOpset, kMaxOpset, importConstantOfShape},
    {"Range", 11, kMaxOpset, importRange},
    {"Constant", kMinOpset, kMaxOpset, importConstant, checkConstant},
    {"Identity", kMinOpset, kMaxOpset, importIdentity},
    {"Dropout", kMinOpset, kMaxOpset, importDropout},
    {"Cast", kMinOpset, kMaxOpset, importCast, checkCast},
    {"CastLike", 15, kMaxOpset, importCastLike, checkCastLike},
};

}  // namespace

std::span<const OpImporter> shapeImporters() {
    return kImporters;
}

}  // namespace kiln::onnx
