// Element-wise evaluation of shape arithmetic (see shape_fold.h). Each case mirrors the ONNX operator's
// definition for 0-D/1-D integer inputs; anything unusual (bad attributes, out-of-range indices) returns
// nullopt so the regular importer runs and reports the problem with its own message.
#include "onnx/shape_fold.h"

#include <algorithm>
#include <limits>

#include "onnx/shape_tensor.h"
#include "onnx/tensor_proto.h"

namespace kiln::onnx {

namespace {

using Elems = std::vector<PartialElement>;

struct PartialIn {
    DataType type{DataType::kINT64};
    bool scalar{false};
    Elems elems;
    bool allKnown() const {
        return std::all_of(elems.begin(), elems.end(), [](const PartialElement& e) { return e.has_value(); });
    }
};

bool hasInputAt(const std::vector<Value>& inputs, int i) {
    return i < static_cast<int>(inputs.size()) && inputs[static_cast<size_t>(i)].present();
}

bool isIntLike(DataType t) {
    return isIntegerType(t) || t == DataType::kBOOL;
}

std::optional<PartialIn> partialOf(const std::vector<Value>& inputs, int i) {
    if (i >= static_cast<int>(inputs.size()) || !inputs[static_cast<size_t>(i)].present())
        return std::nullopt;
    const Value& v = inputs[static_cast<size_t>(i)];
    PartialIn p;
    if (v.constant) {
        const ConstValue& c = *v.constant;
        if (c.shape.nbDims > 1 || !isIntLike(c.type) || c.count() > kMaxPartialElements) return std::nullopt;
        p.type = c.type;
        p.scalar = c.shape.nbDims == 0;
        for (int64_t k = 0; k < c.count(); ++k) p.elems.emplace_back(c.atInt(k));
        return p;
    }
    if (!v.partial) return std::nullopt;
    const Dims d = v.dims();
    const int64_t n = d.nbDims == 0 ? 1 : (d.nbDims == 1 ? d.d[0] : -1);
    if (n < 0 || n != static_cast<int64_t>(v.partial->size())) return std::nullopt;
    p.type = v.dtype();
    p.scalar = d.nbDims == 0;
    p.elems = *v.partial;
    return p;
}

/// A constant integer input's values (all known), or nullopt.
std::optional<std::vector<int64_t>> knownInts(const std::vector<Value>& inputs, int i) {
    auto p = partialOf(inputs, i);
    if (!p || !p->allKnown()) return std::nullopt;
    std::vector<int64_t> v;
    for (const auto& e : p->elems) v.push_back(*e);
    return v;
}

template <class T>
std::optional<T> attrOr(const StatusOr<T>& s) {
    if (!s.isOk()) return std::nullopt;
    return s.value();
}

std::optional<PartialResult> result(DataType type, bool scalar, Elems elems) {
    if (static_cast<int64_t>(elems.size()) > kMaxPartialElements) return std::nullopt;
    return PartialResult{type, scalar, std::move(elems)};
}

std::optional<PartialResult> evalShape(const OnnxNode& node, const std::vector<Value>& inputs) {
    if (!inputs.empty() && inputs[0].present()) {
        const Dims d = inputs[0].dims();
        if (d.nbDims < 0) return std::nullopt;
        const int64_t r = d.nbDims;
        auto start = attrOr(node.attrs().getInt("start", 0));
        auto end = attrOr(node.attrs().getInt("end", r));
        if (!start || !end) return std::nullopt;
        int64_t s = *start < 0 ? *start + r : *start, e = *end < 0 ? *end + r : *end;
        s = std::clamp<int64_t>(s, 0, r);
        e = std::clamp<int64_t>(e, 0, r);
        Elems elems;
        for (int64_t i = s; i < e; ++i) elems.push_back(d.d[i] >= 0 ? PartialElement(d.d[i]) : std::nullopt);
        return result(DataType::kINT64, false, std::move(elems));
    }
    return std::nullopt;
}

std::optional<PartialResult> evalSize(const std::vector<Value>& inputs) {
    if (inputs.empty() || !inputs[0].present()) return std::nullopt;
    const Dims d = inputs[0].dims();
    PartialElement p = int64_t{1};
    for (int i = 0; i < d.nbDims; ++i)
        p = applyIntOp(ElementWiseOperation::kPROD, p, d.d[i] >= 0 ? PartialElement(d.d[i]) : std::nullopt);
    return result(DataType::kINT64, true, {p});
}

std::optional<PartialResult> evalGather(const OnnxNode& node, const std::vector<Value>& inputs) {
    auto data = partialOf(inputs, 0);
    auto idxIn = partialOf(inputs, 1);
    if (!data || data->scalar || !idxIn || !idxIn->allKnown()) return std::nullopt;
    auto axis = attrOr(node.attrs().getInt("axis", 0));
    if (!axis || (*axis != 0 && *axis != -1)) return std::nullopt;
    const int64_t n = static_cast<int64_t>(data->elems.size());
    Elems out;
    for (const auto& e : idxIn->elems) {
        int64_t i = *e < 0 ? *e + n : *e;
        if (i < 0 || i >= n) return std::nullopt;
        out.push_back(data->elems[static_cast<size_t>(i)]);
    }
    return result(data->type, idxIn->scalar, std::move(out));
}

std::optional<std::vector<int64_t>> axesOf(const OnnxNode& node, const std::vector<Value>& inputs,
                                           int inputIndex) {
    if (node.opset < 13) return attrOr(node.attrs().getInts("axes", std::vector<int64_t>{}));
    if (!hasInputAt(inputs, inputIndex)) return std::vector<int64_t>{};
    return knownInts(inputs, inputIndex);
}

std::optional<PartialResult> evalUnsqueeze(const OnnxNode& node, const std::vector<Value>& inputs) {
    auto data = partialOf(inputs, 0);
    if (!data || !data->scalar) return std::nullopt;
    auto axes = axesOf(node, inputs, 1);
    if (!axes || axes->size() != 1 || ((*axes)[0] != 0 && (*axes)[0] != -1)) return std::nullopt;
    return result(data->type, false, data->elems);
}

std::optional<PartialResult> evalSqueeze(const OnnxNode& node, const std::vector<Value>& inputs) {
    auto data = partialOf(inputs, 0);
    if (!data || data->scalar || data->elems.size() != 1) return std::nullopt;
    auto axes = axesOf(node, inputs, 1);
    if (!axes || axes->size() > 1 || (axes->size() == 1 && (*axes)[0] != 0 && (*axes)[0] != -1))
        return std::nullopt;
    return result(data->type, true, data->elems);
}

std::optional<PartialResult> evalConcat(const OnnxNode& node, const std::vector<Value>& inputs) {
    auto axis = attrOr(node.attrs().getInt("axis"));
    if (!axis || (*axis != 0 && *axis != -1) || inputs.empty()) return std::nullopt;
    Elems out;
    DataType type = DataType::kINT64;
    for (size_t i = 0; i < inputs.size(); ++i) {
        auto p = partialOf(inputs, static_cast<int>(i));
        if (!p || p->scalar) return std::nullopt;
        if (i == 0) type = p->type;
        if (p->type != type) return std::nullopt;
        out.insert(out.end(), p->elems.begin(), p->elems.end());
    }
    return result(type, false, std::move(out));
}

std::optional<PartialResult> evalCast(const OnnxNode& node, const std::vector<Value>& inputs) {
    auto data = partialOf(inputs, 0);
    if (!data) return std::nullopt;
    auto to = attrOr(node.attrs().getInt("to"));
    if (!to) return std::nullopt;
    bool converted = false;
    auto type = kilnTypeOf(static_cast<int32_t>(*to), &converted);
    if (!type.isOk() || converted || !isIntLike(*type)) return std::nullopt;
    Elems out = data->elems;
    for (auto& e : out) {
        if (!e) continue;
        if (*type == DataType::kBOOL) e = *e != 0 ? 1 : 0;
        if (*type == DataType::kINT32 &&
            (*e > std::numeric_limits<int32_t>::max() || *e < std::numeric_limits<int32_t>::min()))
            return std::nullopt;  // wraps: let the Cast layer do what it does
        if ((*type == DataType::kINT8 || *type == DataType::kUINT8) && (*e < -128 || *e > 255))
            return std::nullopt;
    }
    return result(*type, data->scalar, std::move(out));
}

std::optional<PartialResult> evalReshape(const std::vector<Value>& inputs) {
    auto data = partialOf(inputs, 0);
    auto shape = knownInts(inputs, 1);
    if (!data || !shape || shape->size() > 1) return std::nullopt;
    const int64_t n = static_cast<int64_t>(data->elems.size());
    if (shape->empty()) return n == 1 ? result(data->type, true, data->elems) : std::nullopt;
    const int64_t d = (*shape)[0];
    if (d != n && d != -1 && !(d == 0 && !data->scalar)) return std::nullopt;
    return result(data->type, false, data->elems);
}

std::optional<PartialResult> evalSlice(const OnnxNode& node, const std::vector<Value>& inputs) {
    auto data = partialOf(inputs, 0);
    if (!data || data->scalar) return std::nullopt;
    std::optional<std::vector<int64_t>> starts, ends, axes, steps;
    if (node.opset < 10) {
        starts = attrOr(node.attrs().getInts("starts"));
        ends = attrOr(node.attrs().getInts("ends"));
        axes = attrOr(node.attrs().getInts("axes", std::vector<int64_t>{0}));
        steps = std::vector<int64_t>{1};
    } else {
        starts = knownInts(inputs, 1);
        ends = knownInts(inputs, 2);
        axes = hasInputAt(inputs, 3) ? knownInts(inputs, 3) : std::vector<int64_t>{0};
        steps = hasInputAt(inputs, 4) ? knownInts(inputs, 4) : std::vector<int64_t>{1};
    }
    if (!starts || !ends || !axes || !steps || starts->size() != 1 || ends->size() != 1 ||
        axes->size() != 1 || steps->size() != 1 || ((*axes)[0] != 0 && (*axes)[0] != -1) || (*steps)[0] == 0)
        return std::nullopt;
    const int64_t n = static_cast<int64_t>(data->elems.size());
    const int64_t step = (*steps)[0];
    int64_t s = (*starts)[0], e = (*ends)[0];
    if (s < 0) s += n;
    if (e < 0) e += n;
    if (step > 0) {
        s = std::clamp<int64_t>(s, 0, n);
        e = std::clamp<int64_t>(e, 0, n);
    } else {
        s = std::clamp<int64_t>(s, 0, n - 1);
        e = std::clamp<int64_t>(e, -1, n - 1);
    }
    Elems out;
    for (int64_t i = s; step > 0 ? i < e : i > e; i += step)
        out.push_back(data->elems[static_cast<size_t>(i)]);
    return result(data->type, false, std::move(out));
}

std::optional<PartialResult> evalBinary(const std::vector<Value>& inputs, ElementWiseOperation op,
                                        bool boolOut) {
    if (inputs.size() != 2) return std::nullopt;
    auto a = partialOf(inputs, 0);
    auto b = partialOf(inputs, 1);
    if (!a || !b || a->type != b->type || a->type == DataType::kBOOL) return std::nullopt;
    const size_t na = a->elems.size(), nb = b->elems.size();
    if (na != nb && na != 1 && nb != 1) return std::nullopt;
    const size_t n = na == 1 ? nb : na;  // numpy: a size-1 side takes the other's size, 0 included
    Elems out;
    for (size_t i = 0; i < n; ++i)
        out.push_back(applyIntOp(op, a->elems[na == 1 ? 0 : i], b->elems[nb == 1 ? 0 : i]));
    const bool scalar = a->scalar && b->scalar;
    return result(boolOut ? DataType::kBOOL : a->type, scalar, std::move(out));
}

std::optional<PartialResult> evalWhere(const std::vector<Value>& inputs) {
    auto c = partialOf(inputs, 0);
    auto x = partialOf(inputs, 1);
    auto y = partialOf(inputs, 2);
    if (!c || !x || !y || c->type != DataType::kBOOL || x->type != y->type) return std::nullopt;
    const size_t n = std::max({c->elems.size(), x->elems.size(), y->elems.size()});
    for (const auto* p : {&*c, &*x, &*y})
        if (p->elems.size() != n && p->elems.size() != 1) return std::nullopt;
    auto at = [n](const PartialIn& p, size_t i) { return p.elems[p.elems.size() == n ? i : 0]; };
    Elems out;
    for (size_t i = 0; i < n; ++i) {
        PartialElement cond = at(*c, i);
        out.push_back(cond ? (*cond ? at(*x, i) : at(*y, i)) : std::nullopt);
    }
    return result(x->type, c->scalar && x->scalar && y->scalar, std::move(out));
}

std::optional<PartialResult> evalUnary(const std::vector<Value>& inputs, const std::string& op) {
    auto a = partialOf(inputs, 0);
    if (!a) return std::nullopt;
    if (op == "Not" && a->type != DataType::kBOOL) return std::nullopt;
    if (op != "Not" && a->type == DataType::kBOOL) return std::nullopt;
    Elems out = a->elems;
    for (auto& e : out) {
        if (!e) continue;
        if (op == "Neg") e = -*e;
        if (op == "Abs") e = *e < 0 ? -*e : *e;
        if (op == "Not") e = *e != 0 ? 0 : 1;
    }
    return result(a->type, a->scalar, std::move(out));
}

std::optional<PartialResult> evalReduce(const OnnxNode& node, const std::vector<Value>& inputs) {
    auto a = partialOf(inputs, 0);
    if (!a || a->scalar || a->type == DataType::kBOOL) return std::nullopt;
    auto keep = attrOr(node.attrs().getInt("keepdims", 1));
    // ReduceSum takes axes as an input from opset 13, the others from opset 18.
    const bool axesInput = node.opset >= 18 || (node.op() == "ReduceSum" && node.opset >= 13);
    std::optional<std::vector<int64_t>> axes =
        axesInput ? (hasInputAt(inputs, 1) ? knownInts(inputs, 1) : std::vector<int64_t>{})
                  : attrOr(node.attrs().getInts("axes", std::vector<int64_t>{}));
    if (!keep || !axes || axes->size() > 1 || (axes->size() == 1 && (*axes)[0] != 0 && (*axes)[0] != -1))
        return std::nullopt;
    if (axes->empty() && node.attrs().has("noop_with_empty_axes")) return std::nullopt;
    ElementWiseOperation op = ElementWiseOperation::kPROD;
    PartialElement acc = int64_t{1};
    if (node.op() == "ReduceSum") {
        op = ElementWiseOperation::kSUM;
        acc = int64_t{0};
    } else if (node.op() == "ReduceMax" || node.op() == "ReduceMin") {
        if (a->elems.empty()) return std::nullopt;
        op = node.op() == "ReduceMax" ? ElementWiseOperation::kMAX : ElementWiseOperation::kMIN;
        acc = a->elems[0];
    }
    for (const auto& e : a->elems) acc = applyIntOp(op, acc, e);
    return result(a->type, *keep == 0, {acc});
}

}  // namespace

ConstValue PartialResult::toConstant() const {
    std::vector<int64_t> v;
    for (const auto& e : elems) v.push_back(e.value_or(0));
    Dims d = scalar ? Dims{} : makeDims({static_cast<int64_t>(elems.size())});
    return ConstValue::fromInts(type, d, v);
}

std::optional<PartialResult> evalPartial(const OnnxNode& node, const std::vector<Value>& inputs) {
    const std::string& op = node.op();
    if (!node.proto->domain().empty() && node.proto->domain() != "ai.onnx") return std::nullopt;
    if (op == "Shape") return evalShape(node, inputs);
    if (op == "Size") return evalSize(inputs);
    if (op == "Gather") return evalGather(node, inputs);
    if (op == "Unsqueeze") return evalUnsqueeze(node, inputs);
    if (op == "Squeeze") return evalSqueeze(node, inputs);
    if (op == "Concat") return evalConcat(node, inputs);
    if (op == "Cast") return evalCast(node, inputs);
    if (op == "Reshape") return evalReshape(inputs);
    if (op == "Slice") return evalSlice(node, inputs);
    if (op == "Identity") {
        auto p = partialOf(inputs, 0);
        return p ? result(p->type, p->scalar, p->elems) : std::nullopt;
    }
    if (op == "Add") return evalBinary(inputs, ElementWiseOperation::kSUM, false);
    if (op == "Sub") return evalBinary(inputs, ElementWiseOperation::kSUB, false);
    if (op == "Mul") return evalBinary(inputs, ElementWiseOperation::kPROD, false);
    if (op == "Div") return evalBinary(inputs, ElementWiseOperation::kDIV, false);
    if (op == "Max" && inputs.size() == 2) return evalBinary(inputs, ElementWiseOperation::kMAX, false);
    if (op == "Min" && inputs.size() == 2) return evalBinary(inputs, ElementWiseOperation::kMIN, false);
    if (op == "Mod") {
        auto fmod = attrOr(node.attrs().getInt("fmod", 0));
        if (!fmod) return std::nullopt;
        return evalBinary(inputs, *fmod ? ElementWiseOperation::kFMOD : ElementWiseOperation::kMOD, false);
    }
    if (op == "Equal") return evalBinary(inputs, ElementWiseOperation::kEQUAL, true);
    if (op == "Less") return evalBinary(inputs, ElementWiseOperation::kLESS, true);
    if (op == "Greater") return evalBinary(inputs, ElementWiseOperation::kGREATER, true);
    if (op == "Where") return evalWhere(inputs);
    if (op == "Neg" || op == "Abs" || op == "Not") return evalUnary(inputs, op);
    if (op == "ReduceProd" || op == "ReduceSum" || op == "ReduceMax" || op == "ReduceMin")
        return evalReduce(node, inputs);
    return std::nullopt;
}

}  // namespace kiln::onnx
