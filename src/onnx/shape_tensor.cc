// ShapeTensor (see shape_tensor.h).
#include "onnx/shape_tensor.h"

#include <algorithm>
#include <limits>

namespace kiln::onnx {

namespace {

int64_t floorDiv(int64_t a, int64_t b) {
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
    return q;
}

std::vector<PartialElement> knownElements(const std::vector<int64_t>& v) {
    return std::vector<PartialElement>(v.begin(), v.end());
}

std::vector<int64_t> knownValues(const std::vector<PartialElement>& elems) {
    std::vector<int64_t> v;
    v.reserve(elems.size());
    for (const auto& e : elems) v.push_back(*e);
    return v;
}

bool allKnownElements(const std::vector<PartialElement>& elems) {
    for (const auto& e : elems)
        if (!e) return false;
    return true;
}

/// `s` as a rank-1 network tensor: a scalar is reshaped to [1], since Gather, Scatter and Concatenation
/// take vectors here.
StatusOr<ITensor*> vectorTensor(ImportContext& ctx, const ShapeTensor& s) {
    KILN_ASSIGN_OR_RETURN(ITensor * t, s.tensor(ctx));
    if (!s.isScalar()) return t;
    IShuffleLayer* r = ctx.net().addShuffle(*t);
    KILN_ASSIGN_OR_RETURN(r, ctx.check(r, "addShuffle"));
    r->setReshapeDimensions(makeDims({1}));
    return r->getOutput(0);
}

}  // namespace

ShapeTensor ShapeTensor::known(std::vector<int64_t> values, bool scalar) {
    ShapeTensor s;
    s.mElems = knownElements(values);
    s.mScalar = scalar;
    return s;
}

ShapeTensor ShapeTensor::dynamic(ITensor* tensor, std::vector<PartialElement> elements, bool scalar) {
    ShapeTensor s;
    s.mElems = std::move(elements);
    s.mTensor = tensor;
    s.mScalar = scalar;
    return s;
}

bool ShapeTensor::allKnown() const {
    for (const auto& e : mElems)
        if (!e) return false;
    return true;
}

std::vector<int64_t> ShapeTensor::values() const {
    std::vector<int64_t> v;
    v.reserve(mElems.size());
    for (const auto& e : mElems) v.push_back(e.value_or(-1));
    return v;
}

StatusOr<ITensor*> ShapeTensor::tensor(ImportContext& ctx) const {
    if (mTensor) return mTensor;
    if (mSource.present()) {
        KILN_ASSIGN_OR_RETURN(ITensor * t, ctx.tensor(mSource));
        if (t->getType() != DataType::kINT64) {
            KILN_ASSIGN_OR_RETURN(t, ctx.out(ctx.net().addCast(*t, DataType::kINT64), "addCast"));
        }
        mTensor = t;
        return t;
    }
    Dims d = mScalar ? Dims{} : makeDims({size()});
    return ctx.constant(ConstValue::fromInts(DataType::kINT64, d, values()));
}

Value ShapeTensor::toValue() const {
    if (allKnown()) {
        Dims d = mScalar ? Dims{} : makeDims({size()});
        return Value::fromConstant(ConstValue::fromInts(DataType::kINT64, d, values()));
    }
    if (!mTensor && mSource.present() && mSource.dtype() == DataType::kINT64) {
        Value v = mSource;
        v.partial = mElems;
        return v;
    }
    Value v = Value::fromTensor(mTensor);
    v.partial = mElems;
    return v;
}

PartialElement applyIntOp(ElementWiseOperation op, PartialElement a, PartialElement b) {
    // Products with a known zero are zero whatever the other side is.
    if (op == ElementWiseOperation::kPROD && ((a && *a == 0) || (b && *b == 0))) return 0;
    if (!a || !b) return std::nullopt;
    const int64_t x = *a, y = *b;
    int64_t r = 0;
    // Overflow means the values are not shapes (a corrupt or hostile model): leave them unknown.
    switch (op) {
        case ElementWiseOperation::kSUM:
            return __builtin_add_overflow(x, y, &r) ? std::nullopt : PartialElement(r);
        case ElementWiseOperation::kSUB:
            return __builtin_sub_overflow(x, y, &r) ? std::nullopt : PartialElement(r);
        case ElementWiseOperation::kPROD:
            return __builtin_mul_overflow(x, y, &r) ? std::nullopt : PartialElement(r);
        case ElementWiseOperation::kMAX:
            return x > y ? x : y;
        case ElementWiseOperation::kMIN:
            return x < y ? x : y;
        case ElementWiseOperation::kDIV:
            if (y == 0 || (x == std::numeric_limits<int64_t>::min() && y == -1)) return std::nullopt;
            return x / y;
        case ElementWiseOperation::kFLOOR_DIV:
            if (y == 0 || (x == std::numeric_limits<int64_t>::min() && y == -1)) return std::nullopt;
            return floorDiv(x, y);
        case ElementWiseOperation::kMOD:
            if (y == 0 || (x == std::numeric_limits<int64_t>::min() && y == -1)) return std::nullopt;
            return x - floorDiv(x, y) * y;
        case ElementWiseOperation::kFMOD:
            if (y == 0 || (x == std::numeric_limits<int64_t>::min() && y == -1)) return std::nullopt;
            return x % y;
        case ElementWiseOperation::kEQUAL:
            return x == y ? 1 : 0;
        case ElementWiseOperation::kGREATER:
            return x > y ? 1 : 0;
        case ElementWiseOperation::kLESS:
            return x < y ? 1 : 0;
        case ElementWiseOperation::kAND:
            return (x != 0 && y != 0) ? 1 : 0;
        case ElementWiseOperation::kOR:
            return (x != 0 || y != 0) ? 1 : 0;
        case ElementWiseOperation::kXOR:
            return ((x != 0) != (y != 0)) ? 1 : 0;
        case ElementWiseOperation::kPOW: {
            if (y < 0 || y > 62) return std::nullopt;
            r = 1;
            for (int64_t i = 0; i < y; ++i)
                if (__builtin_mul_overflow(r, x, &r)) return std::nullopt;
            return r;
        }
    }
    return std::nullopt;
}

StatusOr<ShapeTensor> shapeOf(ImportContext& ctx, ITensor* x) {
    const Dims d = x->getDimensions();
    if (d.nbDims < 0)
        return internalError("shapeOf: tensor '" + std::string(x->getName()) + "' has no shape");
    std::vector<PartialElement> elems;
    bool all = true;
    for (int i = 0; i < d.nbDims; ++i) {
        if (d.d[i] >= 0)
            elems.emplace_back(d.d[i]);
        else {
            elems.emplace_back(std::nullopt);
            all = false;
        }
    }
    if (all) {
        ShapeTensor s = ShapeTensor::known(std::vector<int64_t>(d.d, d.d + d.nbDims));
        return s;
    }
    KILN_ASSIGN_OR_RETURN(ITensor * t, ctx.out(ctx.net().addShape(*x), "addShape"));
    return ShapeTensor::dynamic(t, std::move(elems));
}

StatusOr<ShapeTensor> toShapeTensor(ImportContext& ctx, const Value& v, const char* what) {
    if (v.constant) {
        const ConstValue& c = *v.constant;
        if (c.shape.nbDims > 1 || !isIntegerType(c.type))
            return invalidArgument(std::string(what) + " must be a 0-D or 1-D integer tensor, got " +
                                   dataTypeName(c.type) + toString(c.shape));
        return ShapeTensor::known(c.toInts(), c.shape.nbDims == 0);
    }
    if (!v.present()) return internalError(std::string(what) + " is absent");
    const Dims d = v.dims();
    const DataType type = v.dtype();
    if (d.nbDims > 1 || (type != DataType::kINT64 && type != DataType::kINT32))
        return invalidArgument(std::string(what) + " must be a 0-D or 1-D int32/int64 tensor, got " +
                               dataTypeName(type) + toString(d));
    if (d.nbDims == 1 && d.d[0] < 0)
        return unsupported(std::string(what) + " has a length known only at run time (shape " + toString(d) +
                           "); Kiln needs the number of entries at build time");
    const int64_t n = d.nbDims == 0 ? 1 : d.d[0];
    std::vector<PartialElement> elems(static_cast<size_t>(n));
    if (v.partial && static_cast<int64_t>(v.partial->size()) == n) elems = *v.partial;
    // The tensor is only made (and cast to int64) when a layer needs it.
    ShapeTensor s = ShapeTensor::dynamic(nullptr, std::move(elems), d.nbDims == 0);
    s.mSource = v;
    if (v.tensor && type == DataType::kINT64) s.mTensor = v.tensor;
    (void)ctx;
    return s;
}

StatusOr<ShapeTensor> gatherShape(ImportContext& ctx, const ShapeTensor& s,
                                  const std::vector<int64_t>& indices) {
    std::vector<PartialElement> elems;
    bool all = true;
    for (int64_t i : indices) {
        if (i < 0 || i >= s.size())
            return internalError("gatherShape: index " + std::to_string(i) + " outside a vector of " +
                                 std::to_string(s.size()));
        elems.push_back(s.at(i));
        all = all && s.at(i).has_value();
    }
    if (all) {
        std::vector<int64_t> v;
        for (const auto& e : elems) v.push_back(*e);
        return ShapeTensor::known(v);
    }
    KILN_ASSIGN_OR_RETURN(ITensor * src, vectorTensor(ctx, s));
    KILN_ASSIGN_OR_RETURN(ITensor * idx, ctx.constant(ConstValue::vector(indices)));
    KILN_ASSIGN_OR_RETURN(ITensor * g, ctx.out(ctx.net().addGather(*src, *idx, 0), "addGather"));
    return ShapeTensor::dynamic(g, std::move(elems));
}

StatusOr<ShapeTensor> sliceShape(ImportContext& ctx, const ShapeTensor& s, int64_t begin, int64_t end) {
    std::vector<int64_t> idx;
    for (int64_t i = begin; i < end; ++i) idx.push_back(i);
    return gatherShape(ctx, s, idx);
}

StatusOr<ShapeTensor> concatShapes(ImportContext& ctx, const std::vector<ShapeTensor>& parts) {
    std::vector<PartialElement> elems;
    bool all = true;
    for (const auto& p : parts) {
        for (const auto& e : p.elements()) elems.push_back(e);
        all = all && p.allKnown();
    }
    if (all) {
        std::vector<int64_t> v;
        for (const auto& e : elems) v.push_back(*e);
        return ShapeTensor::known(v);
    }
    std::vector<ITensor*> tensors;
    for (const auto& p : parts) {
        if (p.size() == 0) continue;  // an empty part adds nothing (and Kiln needs rank >= 1 inputs)
        KILN_ASSIGN_OR_RETURN(ITensor * t, vectorTensor(ctx, p));
        tensors.push_back(t);
    }
    if (tensors.size() == 1) return ShapeTensor::dynamic(tensors[0], std::move(elems));
    IConcatenationLayer* c = ctx.net().addConcatenation(tensors.data(), static_cast<int32_t>(tensors.size()));
    KILN_ASSIGN_OR_RETURN(c, ctx.check(c, "addConcatenation"));
    c->setAxis(0);
    return ShapeTensor::dynamic(c->getOutput(0), std::move(elems));
}

StatusOr<ShapeTensor> shapeBinary(ImportContext& ctx, const ShapeTensor& a, const ShapeTensor& b,
                                  ElementWiseOperation op) {
    if (a.size() != b.size() && a.size() != 1 && b.size() != 1)
        return internalError("shapeBinary: vectors of " + std::to_string(a.size()) + " and " +
                             std::to_string(b.size()) + " elements do not broadcast");
    const int64_t n =
        a.size() == 1 ? b.size() : a.size();  // a size-1 side takes the other's size, 0 included
    std::vector<PartialElement> elems;
    bool all = true;
    for (int64_t i = 0; i < n; ++i) {
        PartialElement r = applyIntOp(op, a.at(a.size() == 1 ? 0 : i), b.at(b.size() == 1 ? 0 : i));
        all = all && r.has_value();
        elems.push_back(r);
    }
    if (all) {
        std::vector<int64_t> v;
        for (const auto& e : elems) v.push_back(*e);
        return ShapeTensor::known(v, a.isScalar() && b.isScalar());
    }
    KILN_ASSIGN_OR_RETURN(ITensor * ta, a.tensor(ctx));
    KILN_ASSIGN_OR_RETURN(ITensor * tb, b.tensor(ctx));
    KILN_ASSIGN_OR_RETURN(ITensor * r, ctx.out(ctx.net().addElementWise(*ta, *tb, op), "addElementWise"));
    return ShapeTensor::dynamic(r, std::move(elems), a.isScalar() && b.isScalar());
}

StatusOr<ShapeTensor> shapeProduct(ImportContext& ctx, const ShapeTensor& s) {
    PartialElement p = int64_t{1};
    for (const auto& e : s.elements()) p = applyIntOp(ElementWiseOperation::kPROD, p, e);
    if (p) return ShapeTensor::known({*p});
    KILN_ASSIGN_OR_RETURN(ITensor * t, s.tensor(ctx));
    KILN_ASSIGN_OR_RETURN(ITensor * r,
                          ctx.out(ctx.net().addReduce(*t, ReduceOperation::kPROD, 1u, true), "addReduce"));
    return ShapeTensor::dynamic(r, {std::nullopt});
}

StatusOr<ShapeTensor> selectWhereNegative(ImportContext& ctx, const ShapeTensor& v,
                                          const ShapeTensor& ifNegative, const ShapeTensor& otherwise) {
    const int64_t n = std::max({v.size(), ifNegative.size(), otherwise.size()});
    for (const ShapeTensor* t : {&v, &ifNegative, &otherwise})
        if (t->size() != n && t->size() != 1)
            return internalError("selectWhereNegative: vectors of " + std::to_string(v.size()) + ", " +
                                 std::to_string(ifNegative.size()) + " and " +
                                 std::to_string(otherwise.size()) + " elements do not broadcast");
    auto at = [](const ShapeTensor& t, int64_t i) { return t.at(t.size() == 1 ? 0 : i); };
    std::vector<PartialElement> elems;
    for (int64_t i = 0; i < n; ++i) {
        const PartialElement c = at(v, i);
        elems.push_back(c ? (*c < 0 ? at(ifNegative, i) : at(otherwise, i)) : std::nullopt);
    }
    const bool scalar = v.isScalar() && ifNegative.isScalar() && otherwise.isScalar();
    if (allKnownElements(elems)) return ShapeTensor::known(knownValues(elems), scalar);
    KILN_ASSIGN_OR_RETURN(ITensor * vt, v.tensor(ctx));
    KILN_ASSIGN_OR_RETURN(ITensor * zero, ctx.constant(ConstValue::vector({0})));
    KILN_ASSIGN_OR_RETURN(
        ITensor * neg,
        ctx.out(ctx.net().addElementWise(*vt, *zero, ElementWiseOperation::kLESS), "addElementWise"));
    KILN_ASSIGN_OR_RETURN(ITensor * a, ifNegative.tensor(ctx));
    KILN_ASSIGN_OR_RETURN(ITensor * b, otherwise.tensor(ctx));
    KILN_ASSIGN_OR_RETURN(ITensor * r, ctx.out(ctx.net().addSelect(*neg, *a, *b), "addSelect"));
    return ShapeTensor::dynamic(r, std::move(elems), scalar);
}

StatusOr<ShapeTensor> scatterShape(ImportContext& ctx, const ShapeTensor& data, const ShapeTensor& indices,
                                   const ShapeTensor& updates, const char* what) {
    const int64_t n = data.size();
    if (indices.size() != updates.size())
        return internalError("scatterShape: " + std::to_string(indices.size()) + " indices for " +
                             std::to_string(updates.size()) + " updates");
    if (indices.size() == 0) return data;
    if (data.isScalar() || n == 0)
        return internalError("scatterShape: the data must be a non-empty vector, got " + std::to_string(n) +
                             (data.isScalar() ? " (a scalar)" : " elements"));
    std::vector<PartialElement> elems(static_cast<size_t>(n));  // unknown unless every index is known
    if (indices.allKnown()) {
        elems = data.elements();
        for (int64_t i = 0; i < indices.size(); ++i) {
            const int64_t j = *indices.at(i);
            if (j < -n || j >= n)
                return invalidArgument(std::string(what) + " " + std::to_string(j) + " (entry " +
                                       std::to_string(i) + ") is out of range for rank " + std::to_string(n) +
                                       " (expected " + std::to_string(-n) + ".." + std::to_string(n - 1) +
                                       ")");
            elems[static_cast<size_t>(j < 0 ? j + n : j)] = updates.at(i);
        }
        if (allKnownElements(elems)) return ShapeTensor::known(knownValues(elems));
    }
    KILN_ASSIGN_OR_RETURN(ITensor * d, data.tensor(ctx));
    KILN_ASSIGN_OR_RETURN(ITensor * idx, vectorTensor(ctx, indices));
    KILN_ASSIGN_OR_RETURN(ITensor * upd, vectorTensor(ctx, updates));
    IScatterLayer* l = ctx.net().addScatter(*d, *idx, *upd, ScatterMode::kELEMENT);
    KILN_ASSIGN_OR_RETURN(l, ctx.check(l, "addScatter"));
    l->setAxis(0);
    return ShapeTensor::dynamic(l->getOutput(0), std::move(elems));
}

StatusOr<ShapeTensor> gatherShapeAt(ImportContext& ctx, const ShapeTensor& s, const ShapeTensor& indices) {
    if (indices.allKnown()) {
        std::vector<int64_t> idx = indices.values();
        for (int64_t& j : idx) j = j < 0 ? j + s.size() : j;
        return gatherShape(ctx, s, idx);
    }
    std::vector<PartialElement> elems(static_cast<size_t>(indices.size()));
    for (int64_t i = 0; i < indices.size(); ++i) {
        const PartialElement j = indices.at(i);
        if (j && *j >= -s.size() && *j < s.size())
            elems[static_cast<size_t>(i)] = s.at(*j < 0 ? *j + s.size() : *j);
    }
    KILN_ASSIGN_OR_RETURN(ITensor * src, vectorTensor(ctx, s));
    KILN_ASSIGN_OR_RETURN(ITensor * idx, vectorTensor(ctx, indices));
    KILN_ASSIGN_OR_RETURN(ITensor * g, ctx.out(ctx.net().addGather(*src, *idx, 0), "addGather"));
    return ShapeTensor::dynamic(g, std::move(elems));
}

StatusOr<ShapeTensor> exclusiveCumSum(ImportContext& ctx, const ShapeTensor& s) {
    std::vector<PartialElement> elems;
    PartialElement sum = int64_t{0};
    for (const auto& e : s.elements()) {
        elems.push_back(sum);
        sum = applyIntOp(ElementWiseOperation::kSUM, sum, e);
    }
    if (allKnownElements(elems)) return ShapeTensor::known(knownValues(elems));
    KILN_ASSIGN_OR_RETURN(ITensor * t, vectorTensor(ctx, s));
    KILN_ASSIGN_OR_RETURN(ITensor * axis, ctx.constant(ConstValue::fromInts(DataType::kINT64, Dims{}, {0})));
    KILN_ASSIGN_OR_RETURN(
        ITensor * c,
        ctx.out(ctx.net().addCumulative(*t, *axis, CumulativeOperation::kSUM, true, false), "addCumulative"));
    return ShapeTensor::dynamic(c, std::move(elems));
}

StatusOr<ITensor*> reshapeTo(ImportContext& ctx, ITensor* x, const ShapeTensor& dims) {
    if (dims.size() > kMAX_DIMS)
        return unsupported("a reshape to rank " + std::to_string(dims.size()) +
                           " exceeds Kiln's maximum rank " + std::to_string(kMAX_DIMS));
    int unknown = 0;
    bool zero = false;
    for (const auto& e : dims.elements()) {
        if (!e)
            ++unknown;
        else if (*e == 0)
            zero = true;
    }
    IShuffleLayer* r = ctx.net().addShuffle(*x);
    KILN_ASSIGN_OR_RETURN(r, ctx.check(r, "addShuffle"));
    r->setZeroIsPlaceholder(false);
    // One unknown extent is what a -1 infers, unless a known zero makes the inference ambiguous.
    if (unknown == 0 || (unknown == 1 && !zero)) {
        Dims d = makeDims(dims.values());
        r->setReshapeDimensions(d);
        return r->getOutput(0);
    }
    KILN_ASSIGN_OR_RETURN(ITensor * shape, dims.tensor(ctx));
    r->setInput(1, *shape);
    return r->getOutput(0);
}

}  // namespace kiln::onnx
