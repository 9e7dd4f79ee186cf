// Importer helpers (see helpers.h).
#include "onnx/importers/helpers.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "common/cast.h"

namespace kiln::onnx {

StatusOr<ITensor*> inputTensor(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs, int i) {
    if (!hasInput(inputs, i))
        return invalidArgument(
            "input " + std::to_string(i) + " is required but " +
            (i < node.nbInputs() ? "empty"
                                 : "missing (the node has " + std::to_string(node.nbInputs()) + " inputs)"));
    return ctx.tensor(inputs[static_cast<size_t>(i)]);
}

StatusOr<const ConstValue*> constantInput(const OnnxNode& node, const std::vector<Value>& inputs, int i,
                                          const char* role) {
    if (!hasInput(inputs, i))
        return invalidArgument(std::string(role) + " (input " + std::to_string(i) +
                               ") is required but absent");
    const Value& v = inputs[static_cast<size_t>(i)];
    if (!v.isConstant())
        return unsupported(
            std::string(role) + " (input " + std::to_string(i) + ", '" + node.proto->input(i) +
            "') is computed at run time; Kiln needs it to be a constant (an initializer, a Constant "
            "node, or computable from them and static shapes)");
    return v.constant.get();
}

DataType typeOf(const Value& v) {
    return v.dtype();
}
Dims dimsOf(const Value& v) {
    return v.dims();
}

StatusOr<int> normalizeAxis(int64_t axis, int rank, const char* what) {
    if (axis < -rank || axis >= rank)
        return invalidArgument(std::string(what) + " " + std::to_string(axis) + " is out of range for rank " +
                               std::to_string(rank) + " (expected " + std::to_string(-rank) + ".." +
                               std::to_string(rank - 1) + ")");
    return static_cast<int>(axis < 0 ? axis + rank : axis);
}

StatusOr<std::vector<int>> normalizeAxes(const std::vector<int64_t>& axes, int rank, const char* what) {
    std::vector<int> out;
    std::set<int> seen;
    for (int64_t a : axes) {
        KILN_ASSIGN_OR_RETURN(int n, normalizeAxis(a, rank, what));
        if (!seen.insert(n).second)
            return invalidArgument(std::string(what) + " lists axis " + std::to_string(n) + " twice");
        out.push_back(n);
    }
    return out;
}

uint32_t axesMask(const std::vector<int>& axes) {
    uint32_t m = 0;
    for (int a : axes) m |= 1u << a;
    return m;
}

StatusOr<ITensor*> elementwise(ImportContext& ctx, ITensor* a, ITensor* b, ElementWiseOperation op) {
    return ctx.out(ctx.net().addElementWise(*a, *b, op), "addElementWise");
}

StatusOr<ITensor*> unary(ImportContext& ctx, ITensor* x, UnaryOperation op) {
    return ctx.out(ctx.net().addUnary(*x, op), "addUnary");
}

StatusOr<ITensor*> activation(ImportContext& ctx, ITensor* x, ActivationType type, float alpha, float beta) {
    IActivationLayer* l = ctx.net().addActivation(*x, type);
    KILN_ASSIGN_OR_RETURN(l, ctx.check(l, "addActivation"));
    l->setAlpha(alpha);
    l->setBeta(beta);
    return l->getOutput(0);
}

StatusOr<ITensor*> withScalar(ImportContext& ctx, ITensor* x, double value, ElementWiseOperation op) {
    KILN_ASSIGN_OR_RETURN(ITensor * s, ctx.scalar(x->getType(), value));
    return elementwise(ctx, x, s, op);
}

StatusOr<ITensor*> castTo(ImportContext& ctx, ITensor* x, DataType type) {
    if (x->getType() == type) return x;
    return ctx.out(ctx.net().addCast(*x, type), "addCast");
}

StatusOr<ITensor*> transposeTo(ImportContext& ctx, ITensor* x, const std::vector<int>& perm) {
    bool identity = true;
    for (size_t i = 0; i < perm.size(); ++i) identity = identity && perm[i] == static_cast<int>(i);
    if (identity) return x;
    IShuffleLayer* s = ctx.net().addShuffle(*x);
    KILN_ASSIGN_OR_RETURN(s, ctx.check(s, "addShuffle"));
    Permutation p;
    for (size_t i = 0; i < perm.size() && i < 8; ++i) p.order[i] = perm[i];
    s->setFirstTranspose(p);
    return s->getOutput(0);
}

StatusOr<ITensor*> unsqueezeTensor(ImportContext& ctx, ITensor* x, const std::vector<int>& axes) {
    KILN_ASSIGN_OR_RETURN(ShapeTensor shape, shapeOf(ctx, x));
    const int outRank = static_cast<int>(shape.size() + static_cast<int64_t>(axes.size()));
    std::vector<ShapeTensor> parts;
    int next = 0;
    for (int i = 0; i < outRank; ++i) {
        if (std::find(axes.begin(), axes.end(), i) != axes.end()) {
            parts.push_back(ShapeTensor::known({1}));
        } else {
            KILN_ASSIGN_OR_RETURN(ShapeTensor d, sliceShape(ctx, shape, next, next + 1));
            parts.push_back(d);
            ++next;
        }
    }
    KILN_ASSIGN_OR_RETURN(ShapeTensor dims, concatShapes(ctx, parts));
    return reshapeTo(ctx, x, dims);
}

StatusOr<ITensor*> squeezeTensor(ImportContext& ctx, ITensor* x, const std::vector<int>& axes) {
    const Dims d = x->getDimensions();
    std::vector<int64_t> keep;
    for (int i = 0; i < d.nbDims; ++i) {
        if (std::find(axes.begin(), axes.end(), i) == axes.end()) {
            keep.push_back(i);
            continue;
        }
        if (d.d[i] >= 0 && d.d[i] != 1)
            return invalidArgument("cannot squeeze axis " + std::to_string(i) + " of shape " + toString(d) +
                                   ": its extent is " + std::to_string(d.d[i]) + ", not 1");
    }
    KILN_ASSIGN_OR_RETURN(ShapeTensor shape, shapeOf(ctx, x));
    KILN_ASSIGN_OR_RETURN(ShapeTensor dims, gatherShape(ctx, shape, keep));
    return reshapeTo(ctx, x, dims);
}

StatusOr<ISliceLayer*> sliceLayer(ImportContext& ctx, ITensor* x, const ShapeTensor& start,
                                  const ShapeTensor& size, const ShapeTensor& stride, SampleMode mode,
                                  ITensor* fill) {
    const int rank = x->getDimensions().nbDims;
    if (start.size() != rank || size.size() != rank || stride.size() != rank)
        return internalError("sliceLayer: start, size and stride have " + std::to_string(start.size()) +
                             ", " + std::to_string(size.size()) + " and " + std::to_string(stride.size()) +
                             " entries for an input of rank " + std::to_string(rank));
    Dims zeros, ones;
    zeros.nbDims = ones.nbDims = rank;
    for (int i = 0; i < rank; ++i) {
        zeros.d[i] = 0;
        ones.d[i] = 1;
    }
    // Added as an empty slice, which is valid in any mode whatever the input, then given its real
    // parameters: run-time ones only get values when the shapes are resolved.
    ISliceLayer* s = ctx.net().addSlice(*x, zeros, zeros, ones);
    KILN_ASSIGN_OR_RETURN(s, ctx.check(s, "addSlice"));
    s->setMode(mode);
    // Each parameter is an attribute when known, else the shape-tensor input in its slot.
    using Setter = void (ISliceLayer::*)(Dims) noexcept;
    const std::tuple<const ShapeTensor*, int32_t, Setter> params[] = {{&start, 1, &ISliceLayer::setStart},
                                                                      {&size, 2, &ISliceLayer::setSize},
                                                                      {&stride, 3, &ISliceLayer::setStride}};
    for (const auto& [p, slot, setter] : params) {
        if (p->allKnown()) {
            (s->*setter)(makeDims(p->values()));
            continue;
        }
        KILN_ASSIGN_OR_RETURN(ITensor * t, p->tensor(ctx));
        s->setInput(slot, *t);
    }
    if (fill) s->setInput(4, *fill);
    return s;
}

StatusOr<ITensor*> flattenTo2d(ImportContext& ctx, ITensor* x, int axis) {
    KILN_ASSIGN_OR_RETURN(ShapeTensor shape, shapeOf(ctx, x));
    KILN_ASSIGN_OR_RETURN(ShapeTensor pre, sliceShape(ctx, shape, 0, axis));
    KILN_ASSIGN_OR_RETURN(ShapeTensor post, sliceShape(ctx, shape, axis, shape.size()));
    KILN_ASSIGN_OR_RETURN(ShapeTensor a, shapeProduct(ctx, pre));
    KILN_ASSIGN_OR_RETURN(ShapeTensor b, shapeProduct(ctx, post));
    KILN_ASSIGN_OR_RETURN(ShapeTensor dims, concatShapes(ctx, {a, b}));
    return reshapeTo(ctx, x, dims);
}

int64_t checkedVolume(const Dims& d) {
    int64_t v = 1;
    for (int i = 0; i < d.nbDims; ++i) {
        if (d.d[i] < 0 || __builtin_mul_overflow(v, d.d[i], &v)) return -1;
    }
    return v;
}

ConstValue reshapedConstant(const ConstValue& c, Dims shape) {
    return ConstValue{c.type, shape, c.bytes};
}

ConstValue convertedConstant(const ConstValue& c, DataType type) {
    if (c.type == type) return c;
    std::vector<uint8_t> b(static_cast<size_t>(storageBytes(type, c.count())));
    // Cast's own rules (common/cast.h), so that folding at import time matches the Cast kernel.
    for (int64_t i = 0; i < c.count(); ++i) castElement(c.type, c.data(), i, type, b.data(), i);
    return ConstValue::make(type, c.shape, std::move(b));
}

}  // namespace kiln::onnx
