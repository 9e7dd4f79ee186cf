// Importers for activations and softmax: Relu, LeakyRelu, PRelu, Elu, Selu, Sigmoid, HardSigmoid,
// HardSwish, Softplus, Softsign, ThresholdedRelu, Tanh, Mish, Gelu, Clip, Softmax, LogSoftmax. Most map to
// one IActivationLayer with ONNX's default parameters; PRelu, Mish and integer Relu/Clip decompose into
// element-wise layers.
#include <cmath>
#include <limits>

#include "onnx/importers/helpers.h"

namespace kiln::onnx {

namespace {

Status importSimpleActivation(ImportContext& ctx, std::vector<Value>& inputs, std::vector<Value>& outputs,
                              const OnnxNode& node, ActivationType type, float alpha, float beta) {
    KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
    KILN_ASSIGN_OR_RETURN(ITensor * y, activation(ctx, x, type, alpha, beta));
    return setOutput(outputs, y);
}

Status importRelu(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                  std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
    if (!isFloatType(x->getType())) {  // ONNX allows integer Relu (opset 14); Kiln's activation is float only
        KILN_ASSIGN_OR_RETURN(ITensor * y, withScalar(ctx, x, 0.0, ElementWiseOperation::kMAX));
        return setOutput(outputs, y);
    }
    KILN_ASSIGN_OR_RETURN(ITensor * y, activation(ctx, x, ActivationType::kRELU));
    return setOutput(outputs, y);
}

Status importLeakyRelu(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& in,
                       std::vector<Value>& out) {
    KILN_ASSIGN_OR_RETURN(float alpha, node.attrs().getFloat("alpha", 0.01f));
    return importSimpleActivation(ctx, in, out, node, ActivationType::kLEAKY_RELU, alpha, 0.f);
}

Status importElu(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& in, std::vector<Value>& out) {
    KILN_ASSIGN_OR_RETURN(float alpha, node.attrs().getFloat("alpha", 1.0f));
    return importSimpleActivation(ctx, in, out, node, ActivationType::kELU, alpha, 0.f);
}

Status importSelu(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& in, std::vector<Value>& out) {
    KILN_ASSIGN_OR_RETURN(float alpha, node.attrs().getFloat("alpha", 1.67326319217681884765625f));
    KILN_ASSIGN_OR_RETURN(float gamma, node.attrs().getFloat("gamma", 1.05070102214813232421875f));
    return importSimpleActivation(ctx, in, out, node, ActivationType::kSELU, alpha, gamma);
}

Status importSigmoid(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& in,
                     std::vector<Value>& out) {
    return importSimpleActivation(ctx, in, out, node, ActivationType::kSIGMOID, 0.f, 0.f);
}

Status importTanh(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& in, std::vector<Value>& out) {
    return importSimpleActivation(ctx, in, out, node, ActivationType::kTANH, 0.f, 0.f);
}

Status importHardSigmoid(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& in,
                         std::vector<Value>& out) {
    KILN_ASSIGN_OR_RETURN(float alpha, node.attrs().getFloat("alpha", 0.2f));
    KILN_ASSIGN_OR_RETURN(float beta, node.attrs().getFloat("beta", 0.5f));
    return importSimpleActivation(ctx, in, out, node, ActivationType::kHARD_SIGMOID, alpha, beta);
}

Status importHardSwish(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& in,
                       std::vector<Value>& out) {
    return importSimpleActivation(ctx, in, out, node, ActivationType::kHARD_SWISH, 0.f, 0.f);
}

Status importSoftplus(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& in,
                      std::vector<Value>& out) {
    return importSimpleActivation(ctx, in, out, node, ActivationType::kSOFTPLUS, 1.f, 1.f);
}

Status importSoftsign(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& in,
                      std::vector<Value>& out) {
    return importSimpleActivation(ctx, in, out, node, ActivationType::kSOFTSIGN, 0.f, 0.f);
}

Status importThresholdedRelu(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& in,
                             std::vector<Value>& out) {
    KILN_ASSIGN_OR_RETURN(float alpha, node.attrs().getFloat("alpha", 1.0f));
    return importSimpleActivation(ctx, in, out, node, ActivationType::kTHRESHOLDED_RELU, alpha, 0.f);
}

Status checkGelu(const OnnxNode& node) {
    KILN_ASSIGN_OR_RETURN(std::string approx, node.attrs().getString("approximate", std::string("none")));
    if (approx != "none" && approx != "tanh")
        return unsupported("attribute 'approximate' is '" + approx + "'; expected 'none' or 'tanh'");
    return Status::ok();
}

Status importGelu(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& in, std::vector<Value>& out) {
    KILN_RETURN_IF_ERROR(checkGelu(node));
    KILN_ASSIGN_OR_RETURN(std::string approx, node.attrs().getString("approximate", std::string("none")));
    return importSimpleActivation(ctx, in, out, node,
                                  approx == "tanh" ? ActivationType::kGELU_TANH : ActivationType::kGELU_ERF,
                                  0.f, 0.f);
}

// Mish(x) = x * tanh(softplus(x)).
Status importMish(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                  std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
    KILN_ASSIGN_OR_RETURN(ITensor * sp, activation(ctx, x, ActivationType::kSOFTPLUS, 1.f, 1.f));
    KILN_ASSIGN_OR_RETURN(ITensor * th, activation(ctx, sp, ActivationType::kTANH));
    KILN_ASSIGN_OR_RETURN(ITensor * y, elementwise(ctx, x, th, ElementWiseOperation::kPROD));
    return setOutput(outputs, y);
}

// Swish(x) = x * sigmoid(alpha * x) (opset 24); alpha = 1 is SiLU.
Status importSwish(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                   std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(float alpha, node.attrs().getFloat("alpha", 1.0f));
    KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
    if (alpha == 1.0f) {
        KILN_ASSIGN_OR_RETURN(ITensor * y, activation(ctx, x, ActivationType::kSILU));
        return setOutput(outputs, y);
    }
    KILN_ASSIGN_OR_RETURN(ITensor * ax, withScalar(ctx, x, alpha, ElementWiseOperation::kPROD));
    KILN_ASSIGN_OR_RETURN(ITensor * sg, activation(ctx, ax, ActivationType::kSIGMOID));
    KILN_ASSIGN_OR_RETURN(ITensor * y, elementwise(ctx, x, sg, ElementWiseOperation::kPROD));
    return setOutput(outputs, y);
}

// PRelu(x) = x < 0 ? slope * x : x, slope broadcasting to x.
Status importPRelu(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                   std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
    if (!hasInput(inputs, 1)) return invalidArgument("input 1 (slope) is required");
    ITensor* slope = nullptr;
    if (inputs[1].isConstant()) {
        ConstValue s = convertedConstant(*inputs[1].constant, x->getType());
        KILN_ASSIGN_OR_RETURN(slope, ctx.constant(s));
    } else {
        KILN_ASSIGN_OR_RETURN(slope, inputTensor(ctx, node, inputs, 1));
        KILN_ASSIGN_OR_RETURN(slope, castTo(ctx, slope, x->getType()));
    }
    const int rank = x->getDimensions().nbDims;
    KILN_ASSIGN_OR_RETURN(ITensor * zero, ctx.scalar(x->getType(), 0.0, rank));
    KILN_ASSIGN_OR_RETURN(ITensor * negative, elementwise(ctx, x, zero, ElementWiseOperation::kLESS));
    KILN_ASSIGN_OR_RETURN(ITensor * scaled, elementwise(ctx, x, slope, ElementWiseOperation::kPROD));
    KILN_ASSIGN_OR_RETURN(ITensor * y, ctx.out(ctx.net().addSelect(*negative, *scaled, *x), "addSelect"));
    return setOutput(outputs, y);
}

/// Clip's bound from an attribute (opset < 11) or an optional input (opset >= 11).
StatusOr<std::optional<double>> clipBound(const OnnxNode& node, const std::vector<Value>& inputs, int index,
                                          const char* attr) {
    if (node.opset < 11) {
        if (!node.attrs().has(attr)) return std::optional<double>();
        KILN_ASSIGN_OR_RETURN(float v, node.attrs().getFloat(attr));
        return std::optional<double>(v);
    }
    if (!hasInput(inputs, index)) return std::optional<double>();
    if (!inputs[static_cast<size_t>(index)].isConstant())
        return std::optional<double>();  // handled by the caller
    const ConstValue& c = *inputs[static_cast<size_t>(index)].constant;
    if (c.count() != 1)
        return invalidArgument(std::string(attr) + " (input " + std::to_string(index) +
                               ") must be a scalar, got shape " + toString(c.shape));
    return std::optional<double>(c.at(0));
}

Status importClip(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                  std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
    KILN_ASSIGN_OR_RETURN(std::optional<double> lo, clipBound(node, inputs, 1, "min"));
    KILN_ASSIGN_OR_RETURN(std::optional<double> hi, clipBound(node, inputs, 2, "max"));
    const bool dynamicBound = node.opset >= 11 && ((hasInput(inputs, 1) && !inputs[1].isConstant()) ||
                                                   (hasInput(inputs, 2) && !inputs[2].isConstant()));
    // ONNX clips as min(max(x, lo), hi): with lo > hi every value becomes hi.
    if (lo && hi && *lo > *hi) lo = hi;
    if (isFloatType(x->getType()) && !dynamicBound) {
        const float inf = std::numeric_limits<float>::infinity();
        KILN_ASSIGN_OR_RETURN(ITensor * y,
                              activation(ctx, x, ActivationType::kCLIP, lo ? static_cast<float>(*lo) : -inf,
                                         hi ? static_cast<float>(*hi) : inf));
        return setOutput(outputs, y);
    }
    // Integer inputs and bounds computed at run time: max(x, min) then min(., max).
    ITensor* y = x;
    for (int k = 1; k <= 2; ++k) {
        const std::optional<double>& bound = k == 1 ? lo : hi;
        const ElementWiseOperation op = k == 1 ? ElementWiseOperation::kMAX : ElementWiseOperation::kMIN;
        ITensor* b = nullptr;
        if (bound) {
            KILN_ASSIGN_OR_RETURN(b, ctx.scalar(x->getType(), *bound));
        } else if (node.opset >= 11 && hasInput(inputs, k)) {
            KILN_ASSIGN_OR_RETURN(b, inputTensor(ctx, node, inputs, k));
        } else {
            continue;
        }
        KILN_ASSIGN_OR_RETURN(y, elementwise(ctx, y, b, op));
    }
    if (y == x) {
        KILN_ASSIGN_OR_RETURN(y, ctx.out(ctx.net().addIdentity(*x), "addIdentity"));
    }
    return setOutput(outputs, y);
}

Status importSoftmaxLike(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                         std::vector<Value>& outputs, bool log) {
    KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
    const int rank = x->getDimensions().nbDims;
    if (rank == 0) return invalidArgument("input must have rank >= 1, got a scalar");
    KILN_ASSIGN_OR_RETURN(int64_t rawAxis, node.attrs().getInt("axis", node.opset >= 13 ? -1 : 1));
    KILN_ASSIGN_OR_RETURN(int axis, normalizeAxis(rawAxis, rank, "axis"));
    auto softmax = [&](ITensor* t, int a) -> StatusOr<ITensor*> {
        ISoftMaxLayer* s = ctx.net().addSoftMax(*t);
        KILN_ASSIGN_OR_RETURN(s, ctx.check(s, "addSoftMax"));
        s->setAxes(1u << a);
        s->setLog(log);
        return s->getOutput(0);
    };
    if (node.opset >= 13 || axis == rank - 1) {
        KILN_ASSIGN_OR_RETURN(ITensor * y, softmax(x, axis));
        return setOutput(outputs, y);
    }
    // Before opset 13 the input is coerced to 2-D at `axis` and normalized over the trailing block.
    KILN_ASSIGN_OR_RETURN(ShapeTensor shape, shapeOf(ctx, x));
    KILN_ASSIGN_OR_RETURN(ITensor * flat, flattenTo2d(ctx, x, axis));
    KILN_ASSIGN_OR_RETURN(ITensor * s, softmax(flat, 1));
    KILN_ASSIGN_OR_RETURN(ITensor * y, reshapeTo(ctx, s, shape));
    return setOutput(outputs, y);
}

Status importSoftmax(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& in,
                     std::vector<Value>& out) {
    return importSoftmaxLike(ctx, node, in, out, false);
}
Status importLogSoftmax(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& in,
                        std::vector<Value>& out) {
    return importSoftmaxLike(ctx, node, in, out, true);
}

const OpImporter kImporters[] = {
    {"Relu", kMinOpset, kMaxOpset, importRelu},
    {"LeakyRelu", kMinOpset, kMaxOpset, importLeakyRelu},
    {"PRelu", kMinOpset, kMaxOpset, importPRelu},
    {"Elu", kMinOpset, kMaxOpset, importElu},
    {"Selu", kMinOpset, kMaxOpset, importSelu},
    {"Sigmoid", kMinOpset, kMaxOpset, importSigmoid},
    {"Tanh", kMinOpset, kMaxOpset, importTanh},
    {"HardSigmoid", kMinOpset, kMaxOpset, importHardSigmoid},
    {"HardSwish", 14, kMaxOpset, importHardSwish},
    {"Softplus", kMinOpset, kMaxOpset, importSoftplus},
    {"Softsign", kMinOpset, kMaxOpset, importSoftsign},
    {"ThresholdedRelu", 10, kMaxOpset, importThresholdedRelu},
    {"Mish", 18, kMaxOpset, importMish},
    {"Swish", 24, kMaxOpset, importSwish},
    {"Gelu", 20, kMaxOpset, importGelu, checkGelu},
    {"Clip", kMinOpset, kMaxOpset, importClip},
    {"Softmax", kMinOpset, kMaxOpset, importSoftmax},
    {"LogSoftmax", kMinOpset, kMaxOpset, importLogSoftmax},
};

}  // namespace

std::span<const OpImporter> activationImporters() {
    return kImporters;
}

}  // namespace kiln::onnx
