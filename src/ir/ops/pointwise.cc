// Shape/type inference for the pointwise family: Activation, ElementWise, Unary, Scale, Cast, Select,
// Identity and Pointwise (a fused program, validated by ir/pointwise_program.h). Every output keeps its input's shape (ElementWise and Select broadcast numpy-style, so -1 dims
// flow through broadcastShapes); the dtype rules checked here are the ones the reference kernels rely on.
#include <cmath>
#include <sstream>
#include <string>

#include "common/dims.h"
#include "common/tensor_ref.h"
#include "ir/infer.h"
#include "ir/pointwise_program.h"

namespace kiln::ir {
namespace {

constexpr const char* kFloatTypeList = "float32, float16, bfloat16 or float8_e4m3";
constexpr const char* kNumericTypeList =
    "float32, float16, bfloat16, float8_e4m3, int8, uint8, int32 or int64";

// dataTypeName says "unknown" for a value outside the enum; the number helps whoever wrote it.
std::string typeName(DataType t) {
    if (isValidDataType(t)) return dataTypeName(t);
    return "unknown data type " + std::to_string(static_cast<int32_t>(t));
}

bool isNumericType(DataType t) {
    return isFloatType(t) || isIntegerType(t);
}

const char* activationName(ActivationType t) {
    switch (t) {
        case ActivationType::kRELU:
            return "kRELU";
        case ActivationType::kSIGMOID:
            return "kSIGMOID";
        case ActivationType::kTANH:
            return "kTANH";
        case ActivationType::kLEAKY_RELU:
            return "kLEAKY_RELU";
        case ActivationType::kELU:
            return "kELU";
        case ActivationType::kSELU:
            return "kSELU";
        case ActivationType::kSOFTSIGN:
            return "kSOFTSIGN";
        case ActivationType::kSOFTPLUS:
            return "kSOFTPLUS";
        case ActivationType::kCLIP:
            return "kCLIP";
        case ActivationType::kHARD_SIGMOID:
            return "kHARD_SIGMOID";
        case ActivationType::kSCALED_TANH:
            return "kSCALED_TANH";
        case ActivationType::kTHRESHOLDED_RELU:
            return "kTHRESHOLDED_RELU";
        case ActivationType::kGELU_ERF:
            return "kGELU_ERF";
        case ActivationType::kGELU_TANH:
            return "kGELU_TANH";
        case ActivationType::kSILU:
            return "kSILU";
        case ActivationType::kHARD_SWISH:
            return "kHARD_SWISH";
    }
    return nullptr;
}

const char* elementWiseName(ElementWiseOperation op) {
    switch (op) {
        case ElementWiseOperation::kSUM:
            return "kSUM";
        case ElementWiseOperation::kPROD:
            return "kPROD";
        case ElementWiseOperation::kMAX:
            return "kMAX";
        case ElementWiseOperation::kMIN:
            return "kMIN";
        case ElementWiseOperation::kSUB:
            return "kSUB";
        case ElementWiseOperation::kDIV:
            return "kDIV";
        case ElementWiseOperation::kPOW:
            return "kPOW";
        case ElementWiseOperation::kFLOOR_DIV:
            return "kFLOOR_DIV";
        case ElementWiseOperation::kAND:
            return "kAND";
        case ElementWiseOperation::kOR:
            return "kOR";
        case ElementWiseOperation::kXOR:
            return "kXOR";
        case ElementWiseOperation::kEQUAL:
            return "kEQUAL";
        case ElementWiseOperation::kGREATER:
            return "kGREATER";
        case ElementWiseOperation::kLESS:
            return "kLESS";
        case ElementWiseOperation::kMOD:
            return "kMOD";
        case ElementWiseOperation::kFMOD:
            return "kFMOD";
    }
    return nullptr;
}

const char* unaryName(UnaryOperation op) {
    switch (op) {
        case UnaryOperation::kEXP:
            return "kEXP";
        case UnaryOperation::kLOG:
            return "kLOG";
        case UnaryOperation::kSQRT:
            return "kSQRT";
        case UnaryOperation::kRECIP:
            return "kRECIP";
        case UnaryOperation::kABS:
            return "kABS";
        case UnaryOperation::kNEG:
            return "kNEG";
        case UnaryOperation::kSIN:
            return "kSIN";
        case UnaryOperation::kCOS:
            return "kCOS";
        case UnaryOperation::kTAN:
            return "kTAN";
        case UnaryOperation::kSINH:
            return "kSINH";
        case UnaryOperation::kCOSH:
            return "kCOSH";
        case UnaryOperation::kASIN:
            return "kASIN";
        case UnaryOperation::kACOS:
            return "kACOS";
        case UnaryOperation::kATAN:
            return "kATAN";
        case UnaryOperation::kASINH:
            return "kASINH";
        case UnaryOperation::kACOSH:
            return "kACOSH";
        case UnaryOperation::kATANH:
            return "kATANH";
        case UnaryOperation::kCEIL:
            return "kCEIL";
        case UnaryOperation::kFLOOR:
            return "kFLOOR";
        case UnaryOperation::kERF:
            return "kERF";
        case UnaryOperation::kNOT:
            return "kNOT";
        case UnaryOperation::kSIGN:
            return "kSIGN";
        case UnaryOperation::kROUND:
            return "kROUND";
        case UnaryOperation::kISINF:
            return "kISINF";
        case UnaryOperation::kISNAN:
            return "kISNAN";
    }
    return nullptr;
}

const char* scaleModeName(ScaleMode m) {
    switch (m) {
        case ScaleMode::kUNIFORM:
            return "kUNIFORM";
        case ScaleMode::kCHANNEL:
            return "kCHANNEL";
        case ScaleMode::kELEMENTWISE:
            return "kELEMENTWISE";
    }
    return nullptr;
}

}  // namespace

Status inferActivation(const ActivationAttrs& attrs, InferContext& ctx) {
    const char* name = activationName(attrs.type);
    KILN_CHECK_ARG(name != nullptr,
                   "Activation: unknown activation type " << static_cast<int32_t>(attrs.type));
    const TensorDesc& x = ctx.inputs[0];
    KILN_CHECK_ARG(isFloatType(x.type), "Activation " << name << ": input must be " << kFloatTypeList
                                                      << ", got " << typeName(x.type));
    // NaN parameters would silently turn every output into NaN; no ONNX or TensorRT model means that.
    KILN_CHECK_ARG(!std::isnan(attrs.alpha) && !std::isnan(attrs.beta),
                   "Activation " << name << ": alpha and beta must be numbers, got alpha=" << attrs.alpha
                                 << " beta=" << attrs.beta);
    ctx.outputs[0].type = x.type;
    ctx.outputs[0].shape = x.shape;
    return Status::ok();
}

Status inferElementWise(const ElementWiseAttrs& attrs, InferContext& ctx) {
    const char* name = elementWiseName(attrs.op);
    KILN_CHECK_ARG(name != nullptr, "ElementWise: unknown operation " << static_cast<int32_t>(attrs.op));
    const TensorDesc& a = ctx.inputs[0];
    const TensorDesc& b = ctx.inputs[1];
    KILN_CHECK_ARG(a.type == b.type, "ElementWise " << name << ": both inputs must have the same type, got "
                                                    << typeName(a.type) << " (input 0) and "
                                                    << typeName(b.type) << " (input 1); insert a Cast");
    bool boolOutput = false;
    switch (attrs.op) {
        case ElementWiseOperation::kSUM:
        case ElementWiseOperation::kPROD:
        case ElementWiseOperation::kMAX:
        case ElementWiseOperation::kMIN:
        case ElementWiseOperation::kSUB:
        case ElementWiseOperation::kDIV:
        case ElementWiseOperation::kPOW:
        case ElementWiseOperation::kFLOOR_DIV:
        case ElementWiseOperation::kMOD:
        case ElementWiseOperation::kFMOD:
            KILN_CHECK_ARG(isNumericType(a.type), "ElementWise " << name << ": inputs must be "
                                                                 << kNumericTypeList << ", got "
                                                                 << typeName(a.type));
            break;
        case ElementWiseOperation::kAND:
        case ElementWiseOperation::kOR:
        case ElementWiseOperation::kXOR:
            KILN_CHECK_ARG(a.type == DataType::kBOOL,
                           "ElementWise " << name << ": inputs must be bool, got " << typeName(a.type));
            boolOutput = true;
            break;
        case ElementWiseOperation::kEQUAL:
            KILN_CHECK_ARG(isNumericType(a.type) || a.type == DataType::kBOOL,
                           "ElementWise " << name << ": inputs must be " << kNumericTypeList
                                          << " or bool, got " << typeName(a.type));
            boolOutput = true;
            break;
        case ElementWiseOperation::kGREATER:
        case ElementWiseOperation::kLESS:
            KILN_CHECK_ARG(isNumericType(a.type), "ElementWise " << name << ": inputs must be "
                                                                 << kNumericTypeList << ", got "
                                                                 << typeName(a.type));
            boolOutput = true;
            break;
    }
    StatusOr<Dims> shape = broadcastShapes(a.shape, b.shape);
    if (!shape.isOk()) return shape.status().withContext(std::string("ElementWise ") + name);
    ctx.outputs[0].type = boolOutput ? DataType::kBOOL : a.type;
    ctx.outputs[0].shape = *shape;
    return Status::ok();
}

Status inferUnary(const UnaryAttrs& attrs, InferContext& ctx) {
    const char* name = unaryName(attrs.op);
    KILN_CHECK_ARG(name != nullptr, "Unary: unknown operation " << static_cast<int32_t>(attrs.op));
    const TensorDesc& x = ctx.inputs[0];
    DataType outType = x.type;
    switch (attrs.op) {
        case UnaryOperation::kEXP:
        case UnaryOperation::kLOG:
        case UnaryOperation::kSQRT:
        case UnaryOperation::kRECIP:
        case UnaryOperation::kSIN:
        case UnaryOperation::kCOS:
        case UnaryOperation::kTAN:
        case UnaryOperation::kSINH:
        case UnaryOperation::kCOSH:
        case UnaryOperation::kASIN:
        case UnaryOperation::kACOS:
        case UnaryOperation::kATAN:
        case UnaryOperation::kASINH:
        case UnaryOperation::kACOSH:
        case UnaryOperation::kATANH:
        case UnaryOperation::kCEIL:
        case UnaryOperation::kFLOOR:
        case UnaryOperation::kERF:
        case UnaryOperation::kROUND:
            KILN_CHECK_ARG(isFloatType(x.type), "Unary " << name << ": input must be " << kFloatTypeList
                                                         << ", got " << typeName(x.type));
            break;
        case UnaryOperation::kABS:
        case UnaryOperation::kNEG:
        case UnaryOperation::kSIGN:
            KILN_CHECK_ARG(isNumericType(x.type), "Unary " << name << ": input must be " << kNumericTypeList
                                                           << ", got " << typeName(x.type));
            break;
        case UnaryOperation::kNOT:
            KILN_CHECK_ARG(x.type == DataType::kBOOL,
                           "Unary " << name << ": input must be bool, got " << typeName(x.type));
            break;
        case UnaryOperation::kISINF:
        case UnaryOperation::kISNAN:
            KILN_CHECK_ARG(isFloatType(x.type), "Unary " << name << ": input must be " << kFloatTypeList
                                                         << ", got " << typeName(x.type));
            outType = DataType::kBOOL;
            break;
    }
    ctx.outputs[0].type = outType;
    ctx.outputs[0].shape = x.shape;
    return Status::ok();
}

Status inferScale(const ScaleAttrs& attrs, InferContext& ctx) {
    const char* mode = scaleModeName(attrs.mode);
    KILN_CHECK_ARG(mode != nullptr, "Scale: unknown mode " << static_cast<int32_t>(attrs.mode));
    const TensorDesc& x = ctx.inputs[0];
    KILN_CHECK_ARG(isFloatType(x.type),
                   "Scale " << mode << ": input must be " << kFloatTypeList << ", got " << typeName(x.type));
    const int rank = x.shape.nbDims;
    const int axis = attrs.channelAxis;
    // Number of coefficients each present input must hold; -1 when a dynamic dim hides it until run time.
    int64_t expected = 1;
    std::string what = "one value";
    if (attrs.mode != ScaleMode::kUNIFORM) {
        KILN_CHECK_ARG(axis >= 0 && axis < rank,
                       "Scale " << mode << ": channel axis " << axis << " is out of range for input "
                                << toString(x.shape) << " of rank " << rank
                                << (rank > 0 ? " (expected 0.." + std::to_string(rank - 1) + ")"
                                             : std::string(" (a scalar has no channel axis; use kUNIFORM)")));
        int last = attrs.mode == ScaleMode::kCHANNEL ? axis + 1 : rank;
        for (int i = axis; i < last; ++i)
            expected = x.shape.d[i] < 0 || expected < 0 ? -1 : expected * x.shape.d[i];
        what = attrs.mode == ScaleMode::kCHANNEL
                   ? "one per channel of axis " + std::to_string(axis) + " of input " + toString(x.shape)
                   : "one per element of dims " + std::to_string(axis) + ".." + std::to_string(rank - 1) +
                         " of input " + toString(x.shape);
    }
    static constexpr const char* kRoles[] = {"", "shift", "scale", "power"};
    for (size_t i = 1; i < ctx.inputs.size(); ++i) {
        const TensorDesc& c = ctx.inputs[i];
        if (!c.present()) continue;
        KILN_CHECK_ARG(isFloatType(c.type), "Scale " << mode << ": " << kRoles[i] << " (input " << i
                                                     << ") must be " << kFloatTypeList << ", got "
                                                     << typeName(c.type));
        int64_t count = volume(c.shape);
        KILN_CHECK_ARG(count < 0 || expected < 0 || count == expected,
                       "Scale " << mode << ": " << kRoles[i] << " (input " << i << ") has " << count
                                << " values (shape " << toString(c.shape) << "), expected " << expected
                                << " (" << what << ")");
    }
    ctx.outputs[0].type = x.type;
    ctx.outputs[0].shape = x.shape;
    return Status::ok();
}

Status inferCast(const CastAttrs& attrs, InferContext& ctx) {
    KILN_CHECK_ARG(isValidDataType(attrs.toType),
                   "Cast: target type is " << typeName(attrs.toType) << ", expected a kiln::DataType value");
    bool knownRoundMode = false;
    switch (attrs.roundMode) {
        case CastRoundMode::kUP:
        case CastRoundMode::kDOWN:
        case CastRoundMode::kNEAREST:
            knownRoundMode = true;
            break;
    }
    KILN_CHECK_ARG(knownRoundMode, "Cast: round mode is "
                                       << static_cast<int32_t>(attrs.roundMode)
                                       << ", expected a CastRoundMode value (kUP, kDOWN or kNEAREST)");
    const TensorDesc& x = ctx.inputs[0];
    KILN_CHECK_ARG(isValidDataType(x.type), "Cast: input type is " << typeName(x.type));
    ctx.outputs[0].type = attrs.toType;
    ctx.outputs[0].shape = x.shape;
    return Status::ok();
}

Status inferSelect(const SelectAttrs&, InferContext& ctx) {
    const TensorDesc& c = ctx.inputs[0];
    const TensorDesc& t = ctx.inputs[1];
    const TensorDesc& e = ctx.inputs[2];
    KILN_CHECK_ARG(c.type == DataType::kBOOL,
                   "Select: condition (input 0) must be bool, got " << typeName(c.type));
    KILN_CHECK_ARG(t.type == e.type, "Select: then (input 1) and else (input 2) must have the same type, got "
                                         << typeName(t.type) << " and " << typeName(e.type));
    StatusOr<Dims> ct = broadcastShapes(c.shape, t.shape);
    StatusOr<Dims> all = ct.isOk() ? broadcastShapes(*ct, e.shape) : ct;
    if (!all.isOk()) {
        return all.status().withContext("Select: condition " + toString(c.shape) + ", then " +
                                        toString(t.shape) + " and else " + toString(e.shape) +
                                        " do not broadcast together");
    }
    ctx.outputs[0].type = t.type;
    ctx.outputs[0].shape = *all;
    return Status::ok();
}

Status inferIdentity(const IdentityAttrs&, InferContext& ctx) {
    const TensorDesc& x = ctx.inputs[0];
    // The requested output type comes in through ctx.outputs[0].type; a different one makes this a
    // conversion.
    DataType outType = ctx.outputs[0].type;
    KILN_CHECK_ARG(isValidDataType(outType), "Identity: requested output type is "
                                                 << typeName(outType) << ", expected a kiln::DataType value");
    KILN_CHECK_ARG(isValidDataType(x.type), "Identity: input type is " << typeName(x.type));
    ctx.outputs[0].type = outType;
    ctx.outputs[0].shape = x.shape;
    return Status::ok();
}

Status inferPointwise(const PointwiseAttrs& attrs, InferContext& ctx) {
    const auto nbInputs = static_cast<int32_t>(ctx.inputs.size());
    KILN_RETURN_IF_ERROR(decodePointwiseProgram(attrs, nbInputs).status());
    auto storable = [](DataType t) { return t == DataType::kFLOAT || t == DataType::kHALF || t == DataType::kBF16; };
    KILN_CHECK_ARG(storable(attrs.outputType), "Pointwise: output type is " << typeName(attrs.outputType)
                                                                             << ", expected float32, float16 or bfloat16");
    Dims shape;
    shape.nbDims = 0;
    for (int32_t k = 0; k < nbInputs; ++k) {
        const TensorDesc& x = ctx.inputs[static_cast<size_t>(k)];
        KILN_CHECK_ARG(x.present(), "Pointwise: input " << k << " is absent; every input must be given");
        KILN_CHECK_ARG(storable(x.type) || x.type == DataType::kBOOL,
                       "Pointwise: input " << k << " is " << typeName(x.type)
                                           << ", expected float32, float16, bfloat16 or bool");
        StatusOr<Dims> b = broadcastShapes(shape, x.shape);
        if (!b.isOk()) return b.status().withContext("Pointwise: input " + std::to_string(k));
        shape = *b;
    }
    ctx.outputs[0].type = attrs.outputType;
    ctx.outputs[0].shape = shape;
    return Status::ok();
}

}  // namespace kiln::ir
