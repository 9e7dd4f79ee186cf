// Importers for element-wise math and logic: Add, Sub, Mul, Div, Pow, Mod, Min, Max, Sum, Mean, Equal,
// Less, Greater, LessOrEqual, GreaterOrEqual, And, Or, Xor, Not, Where, and the unary functions (Abs,
// Neg, Sign, Reciprocal, Floor, Ceil, Round, Exp, Log, Sqrt, Erf, trigonometric, IsNaN, IsInf). ONNX
// broadcasting is numpy's, which Kiln's ElementWise and Select layers implement directly.
#include "onnx/importers/helpers.h"

namespace kiln::onnx {

namespace {

/// Both operands as tensors of one type. A constant operand is converted to the other's type (ONNX
/// requires equal types; exporters still emit e.g. an int64 constant next to an int32 tensor).
StatusOr<std::pair<ITensor*, ITensor*>> binaryOperands(ImportContext& ctx, const OnnxNode& node,
                                                       std::vector<Value>& inputs) {
    if (!hasInput(inputs, 0) || !hasInput(inputs, 1)) return invalidArgument("two inputs are required");
    const DataType ta = typeOf(inputs[0]), tb = typeOf(inputs[1]);
    if (ta != tb) {
        const int c = inputs[1].isConstant() ? 1 : (inputs[0].isConstant() ? 0 : -1);
        if (c < 0)
            return invalidArgument(std::string("inputs have different types ") + dataTypeName(ta) + " and " +
                                   dataTypeName(tb));
        const DataType target = c == 1 ? ta : tb;
        inputs[static_cast<size_t>(c)] =
            Value::fromConstant(convertedConstant(*inputs[static_cast<size_t>(c)].constant, target));
    }
    KILN_ASSIGN_OR_RETURN(ITensor * a, inputTensor(ctx, node, inputs, 0));
    KILN_ASSIGN_OR_RETURN(ITensor * b, inputTensor(ctx, node, inputs, 1));
    return std::make_pair(a, b);
}

template <ElementWiseOperation kOp>
Status importBinary(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                    std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(auto ab, binaryOperands(ctx, node, inputs));
    KILN_ASSIGN_OR_RETURN(ITensor * y, elementwise(ctx, ab.first, ab.second, kOp));
    return setOutput(outputs, y);
}

// Pow's exponent may have another type than the base (T1, T2); Kiln computes in the base's type.
Status importPow(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                 std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(ITensor * base, inputTensor(ctx, node, inputs, 0));
    if (!hasInput(inputs, 1)) return invalidArgument("input 1 (exponent) is required");
    ITensor* e = nullptr;
    if (inputs[1].isConstant()) {
        KILN_ASSIGN_OR_RETURN(e, ctx.constant(convertedConstant(*inputs[1].constant, base->getType())));
    } else {
        KILN_ASSIGN_OR_RETURN(e, inputTensor(ctx, node, inputs, 1));
        KILN_ASSIGN_OR_RETURN(e, castTo(ctx, e, base->getType()));
    }
    KILN_ASSIGN_OR_RETURN(ITensor * y, elementwise(ctx, base, e, ElementWiseOperation::kPOW));
    return setOutput(outputs, y);
}

Status importMod(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                 std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(int64_t fmod, node.attrs().getInt("fmod", 0));
    KILN_ASSIGN_OR_RETURN(auto ab, binaryOperands(ctx, node, inputs));
    KILN_ASSIGN_OR_RETURN(ITensor * y,
                          elementwise(ctx, ab.first, ab.second,
                                      fmod ? ElementWiseOperation::kFMOD : ElementWiseOperation::kMOD));
    return setOutput(outputs, y);
}

/// Sum, Max, Min (variadic, folded pairwise) and Mean (the sum divided by the count).
template <ElementWiseOperation kOp, bool kMean = false>
Status importVariadic(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                      std::vector<Value>& outputs) {
    if (inputs.empty() || !hasInput(inputs, 0)) return invalidArgument("at least one input is required");
    KILN_ASSIGN_OR_RETURN(ITensor * acc, inputTensor(ctx, node, inputs, 0));
    for (int i = 1; i < static_cast<int>(inputs.size()); ++i) {
        KILN_ASSIGN_OR_RETURN(ITensor * t, inputTensor(ctx, node, inputs, i));
        KILN_ASSIGN_OR_RETURN(acc, elementwise(ctx, acc, t, kOp));
    }
    if (kMean && inputs.size() > 1) {
        KILN_ASSIGN_OR_RETURN(
            acc, withScalar(ctx, acc, static_cast<double>(inputs.size()), ElementWiseOperation::kDIV));
    }
    if (inputs.size() == 1) {
        KILN_ASSIGN_OR_RETURN(acc, ctx.out(ctx.net().addIdentity(*acc), "addIdentity"));
    }
    return setOutput(outputs, acc);
}

// a <= b is not(a > b), a >= b is not(a < b); they differ from ONNX only for NaN operands.
template <ElementWiseOperation kOp>
Status importNotCompare(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                        std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(auto ab, binaryOperands(ctx, node, inputs));
    KILN_ASSIGN_OR_RETURN(ITensor * c, elementwise(ctx, ab.first, ab.second, kOp));
    KILN_ASSIGN_OR_RETURN(ITensor * y, unary(ctx, c, UnaryOperation::kNOT));
    return setOutput(outputs, y);
}

template <UnaryOperation kOp>
Status importUnary(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                   std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
    KILN_ASSIGN_OR_RETURN(ITensor * y, unary(ctx, x, kOp));
    return setOutput(outputs, y);
}

Status importIsInf(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                   std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(int64_t pos, node.attrs().getInt("detect_positive", 1));
    KILN_ASSIGN_OR_RETURN(int64_t neg, node.attrs().getInt("detect_negative", 1));
    KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
    KILN_ASSIGN_OR_RETURN(ITensor * inf, unary(ctx, x, UnaryOperation::kISINF));
    if (pos && neg) return setOutput(outputs, inf);
    if (!pos && !neg) {
        KILN_ASSIGN_OR_RETURN(ITensor * no, elementwise(ctx, inf, inf, ElementWiseOperation::kXOR));
        return setOutput(outputs, no);
    }
    KILN_ASSIGN_OR_RETURN(ITensor * zero, ctx.scalar(x->getType(), 0.0));
    KILN_ASSIGN_OR_RETURN(
        ITensor * side,
        elementwise(ctx, x, zero, pos ? ElementWiseOperation::kGREATER : ElementWiseOperation::kLESS));
    KILN_ASSIGN_OR_RETURN(ITensor * y, elementwise(ctx, inf, side, ElementWiseOperation::kAND));
    return setOutput(outputs, y);
}

Status importWhere(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                   std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(ITensor * c, inputTensor(ctx, node, inputs, 0));
    std::vector<Value> branches{hasInput(inputs, 1) ? inputs[1] : Value(),
                                hasInput(inputs, 2) ? inputs[2] : Value()};
    KILN_ASSIGN_OR_RETURN(auto xy, binaryOperands(ctx, node, branches));
    if (c->getType() != DataType::kBOOL)
        return invalidArgument(std::string("condition (input 0) must be bool, got ") +
                               dataTypeName(c->getType()));
    KILN_ASSIGN_OR_RETURN(ITensor * y, ctx.out(ctx.net().addSelect(*c, *xy.first, *xy.second), "addSelect"));
    return setOutput(outputs, y);
}

using E = ElementWiseOperation;
using U = UnaryOperation;

const OpImporter kImporters[] = {
    {"Add", kMinOpset, kMaxOpset, importBinary<E::kSUM>},
    {"Sub", kMinOpset, kMaxOpset, importBinary<E::kSUB>},
    {"Mul", kMinOpset, kMaxOpset, importBinary<E::kPROD>},
    {"Div", kMinOpset, kMaxOpset, importBinary<E::kDIV>},
    {"Pow", kMinOpset, kMaxOpset, importPow},
    {"Mod", 10, kMaxOpset, importMod},
    {"Max", kMinOpset, kMaxOpset, importVariadic<E::kMAX>},
    {"Min", kMinOpset, kMaxOpset, importVariadic<E::kMIN>},
    {"Sum", kMinOpset, kMaxOpset, importVariadic<E::kSUM>},
    {"Mean", kMinOpset, kMaxOpset, importVariadic<E::kSUM, true>},
    {"Equal", kMinOpset, kMaxOpset, importBinary<E::kEQUAL>},
    {"Less", kMinOpset, kMaxOpset, importBinary<E::kLESS>},
    {"Greater", kMinOpset, kMaxOpset, importBinary<E::kGREATER>},
    {"LessOrEqual", 12, kMaxOpset, importNotCompare<E::kGREATER>},
    {"GreaterOrEqual", 12, kMaxOpset, importNotCompare<E::kLESS>},
    {"And", kMinOpset, kMaxOpset, importBinary<E::kAND>},
    {"Or", kMinOpset, kMaxOpset, importBinary<E::kOR>},
    {"Xor", kMinOpset, kMaxOpset, importBinary<E::kXOR>},
    {"Not", kMinOpset, kMaxOpset, importUnary<U::kNOT>},
    {"Where", kMinOpset, kMaxOpset, importWhere},
    {"Abs", kMinOpset, kMaxOpset, importUnary<U::kABS>},
    {"Neg", kMinOpset, kMaxOpset, importUnary<U::kNEG>},
    {"Sign", kMinOpset, kMaxOpset, importUnary<U::kSIGN>},
    {"Reciprocal", kMinOpset, kMaxOpset, importUnary<U::kRECIP>},
    {"Floor", kMinOpset, kMaxOpset, importUnary<U::kFLOOR>},
    {"Ceil", kMinOpset, kMaxOpset, importUnary<U::kCEIL>},
    {"Round", 11, kMaxOpset, importUnary<U::kROUND>},
    {"Exp", kMinOpset, kMaxOpset, importUnary<U::kEXP>},
    {"Log", kMinOpset, kMaxOpset, importUnary<U::kLOG>},
    {"Sqrt", kMinOpset, kMaxOpset, importUnary<U::kSQRT>},
    {"Erf", kMinOpset, kMaxOpset, importUnary<U::kERF>},
    {"Sin", kMinOpset, kMaxOpset, importUnary<U::kSIN>},
    {"Cos", kMinOpset, kMaxOpset, importUnary<U::kCOS>},
    {"Tan", kMinOpset, kMaxOpset, importUnary<U::kTAN>},
    {"Asin", kMinOpset, kMaxOpset, importUnary<U::kASIN>},
    {"Acos", kMinOpset, kMaxOpset, importUnary<U::kACOS>},
    {"Atan", kMinOpset, kMaxOpset, importUnary<U::kATAN>},
    {"Sinh", kMinOpset, kMaxOpset, importUnary<U::kSINH>},
    {"Cosh", kMinOpset, kMaxOpset, importUnary<U::kCOSH>},
    {"Asinh", kMinOpset, kMaxOpset, importUnary<U::kASINH>},
    {"Acosh", kMinOpset, kMaxOpset, importUnary<U::kACOSH>},
    {"Atanh", kMinOpset, kMaxOpset, importUnary<U::kATANH>},
    {"IsNaN", kMinOpset, kMaxOpset, importUnary<U::kISNAN>},
    {"IsInf", 10, kMaxOpset, importIsInf},
};

}  // namespace

std::span<const OpImporter> elementwiseImporters() {
    return kImporters;
}

}  // namespace kiln::onnx
