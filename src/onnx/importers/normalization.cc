// Importers for normalizations: BatchNormalization (inference form; with constant statistics it folds
// into one per-channel IScaleLayer, scale' = scale / sqrt(var + eps), shift' = bias - mean * scale'),
// InstanceNormalization, GroupNormalization and LayerNormalization (INormalizationLayer over the
// spatial or trailing axes, with scale and bias shaped to broadcast against the input), and the
// decomposed RMSNormalization and LpNormalization.
#include <cmath>

#include "onnx/importers/helpers.h"

namespace kiln::onnx {

namespace {

/// A per-channel parameter vector [n] as a tensor of shape [1, n, 1, ...] of rank `rank`, in `type`.
StatusOr<ITensor*> channelParam(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs, int i,
                                int rank, DataType type) {
    if (!hasInput(inputs, i)) return invalidArgument("input " + std::to_string(i) + " is required");
    const Dims d = dimsOf(inputs[static_cast<size_t>(i)]);
    if (d.nbDims != 1)
        return invalidArgument("input " + std::to_string(i) + " must be 1-D, got shape " + toString(d));
    Dims target;
    target.nbDims = rank;
    for (int k = 0; k < rank; ++k) target.d[k] = 1;
    target.d[1] = d.d[0];
    if (inputs[static_cast<size_t>(i)].isConstant())
        return ctx.constant(
            reshapedConstant(convertedConstant(*inputs[static_cast<size_t>(i)].constant, type), target));
    KILN_ASSIGN_OR_RETURN(ITensor * t, inputTensor(ctx, node, inputs, i));
    KILN_ASSIGN_OR_RETURN(t, castTo(ctx, t, type));
    return reshapeTo(ctx, t, ShapeTensor::known(toVector(target)));
}

Status checkBatchNorm(const OnnxNode& node) {
    KILN_ASSIGN_OR_RETURN(int64_t training, node.attrs().getInt("training_mode", 0));
    if (training != 0) return unsupported("training_mode=1 is not supported (Kiln imports inference graphs)");
    KILN_ASSIGN_OR_RETURN(int64_t spatial, node.attrs().getInt("spatial", 1));  // opsets 7 and 8
    if (spatial != 1) return unsupported("spatial=0 (statistics per element, opset 7/8) is not supported");
    return Status::ok();
}

Status importBatchNorm(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                       std::vector<Value>& outputs) {
    KILN_RETURN_IF_ERROR(checkBatchNorm(node));
    KILN_ASSIGN_OR_RETURN(float eps, node.attrs().getFloat("epsilon", 1e-5f));
    KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
    const Dims xd = x->getDimensions();
    if (xd.nbDims < 2) return invalidArgument("input must have rank >= 2 [N, C, ...], got " + toString(xd));
    bool allConstant = true;
    for (int i = 1; i <= 4; ++i) {
        if (!hasInput(inputs, i)) return invalidArgument("input " + std::to_string(i) + " is required");
        allConstant = allConstant && inputs[static_cast<size_t>(i)].isConstant();
    }
    if (allConstant) {
        const ConstValue &s = *inputs[1].constant, &b = *inputs[2].constant, &m = *inputs[3].constant,
                         &v = *inputs[4].constant;
        const int64_t c = s.count();
        if (b.count() != c || m.count() != c || v.count() != c || (xd.d[1] >= 0 && xd.d[1] != c))
            return invalidArgument("scale, B, mean and var must each hold one value per channel of input " +
                                   toString(xd) + "; they hold " + std::to_string(c) + ", " +
                                   std::to_string(b.count()) + ", " + std::to_string(m.count()) + " and " +
                                   std::to_string(v.count()));
        std::vector<float> scale(static_cast<size_t>(c)), shift(static_cast<size_t>(c));
        for (int64_t k = 0; k < c; ++k) {
            const double sc = s.at(k) / std::sqrt(v.at(k) + static_cast<double>(eps));
            scale[static_cast<size_t>(k)] = static_cast<float>(sc);
            shift[static_cast<size_t>(k)] = static_cast<float>(b.at(k) - m.at(k) * sc);
        }
        IScaleLayer* l = ctx.net().addScaleNd(
            *x, ScaleMode::kCHANNEL, Weights{DataType::kFLOAT, shift.data(), c},
            Weights{DataType::kFLOAT, scale.data(), c}, Weights{DataType::kFLOAT, nullptr, 0}, 1);
        KILN_ASSIGN_OR_RETURN(ITensor * y, ctx.out(l, "addScaleNd"));
        return setOutput(outputs, y);
    }
    // Statistics computed at run time: y = (x - mean) * scale / sqrt(var + eps) + B.
    const DataType t = x->getType();
    KILN_ASSIGN_OR_RETURN(ITensor * scale, channelParam(ctx, node, inputs, 1, xd.nbDims, t));
    KILN_ASSIGN_OR_RETURN(ITensor * bias, channelParam(ctx, node, inputs, 2, xd.nbDims, t));
    KILN_ASSIGN_OR_RETURN(ITensor * mean, channelParam(ctx, node, inputs, 3, xd.nbDims, t));
    KILN_ASSIGN_OR_RETURN(ITensor * var, channelParam(ctx, node, inputs, 4, xd.nbDims, t));
    KILN_ASSIGN_OR_RETURN(ITensor * ve, withScalar(ctx, var, eps, ElementWiseOperation::kSUM));
    KILN_ASSIGN_OR_RETURN(ITensor * sd, unary(ctx, ve, UnaryOperation::kSQRT));
    KILN_ASSIGN_OR_RETURN(ITensor * k, elementwise(ctx, scale, sd, ElementWiseOperation::kDIV));
    KILN_ASSIGN_OR_RETURN(ITensor * centered, elementwise(ctx, x, mean, ElementWiseOperation::kSUB));
    KILN_ASSIGN_OR_RETURN(ITensor * scaled, elementwise(ctx, centered, k, ElementWiseOperation::kPROD));
    KILN_ASSIGN_OR_RETURN(ITensor * y, elementwise(ctx, scaled, bias, ElementWiseOperation::kSUM));
    return setOutput(outputs, y);
}

Status addNorm(ImportContext& ctx, ITensor* x, ITensor* scale, ITensor* bias, uint32_t axes, float eps,
               int64_t groups, std::vector<Value>& outputs) {
    INormalizationLayer* l = ctx.net().addNormalization(*x, *scale, *bias, axes);
    KILN_ASSIGN_OR_RETURN(l, ctx.check(l, "addNormalization"));
    l->setEpsilon(eps);
    if (groups != 1) l->setNbGroups(groups);
    return setOutput(outputs, l->getOutput(0));
}

uint32_t spatialMask(int rank) {
    uint32_t m = 0;
    for (int i = 2; i < rank; ++i) m |= 1u << i;
    return m;
}

Status importInstanceNorm(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                          std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(float eps, node.attrs().getFloat("epsilon", 1e-5f));
    KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
    const int rank = x->getDimensions().nbDims;
    if (rank < 3)
        return invalidArgument("input must have rank >= 3 [N, C, spatial...], got " +
                               toString(x->getDimensions()));
    KILN_ASSIGN_OR_RETURN(ITensor * scale, channelParam(ctx, node, inputs, 1, rank, x->getType()));
    KILN_ASSIGN_OR_RETURN(ITensor * bias, channelParam(ctx, node, inputs, 2, rank, x->getType()));
    return addNorm(ctx, x, scale, bias, spatialMask(rank), eps, 1, outputs);
}

Status importGroupNorm(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                       std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(float eps, node.attrs().getFloat("epsilon", 1e-5f));
    KILN_ASSIGN_OR_RETURN(int64_t groups, node.attrs().getInt("num_groups"));
    KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
    const Dims xd = x->getDimensions();
    const int rank = xd.nbDims;
    if (rank < 3) return invalidArgument("input must have rank >= 3 [N, C, spatial...], got " + toString(xd));
    if (groups < 1) return invalidArgument("num_groups must be >= 1, got " + std::to_string(groups));
    for (int i = 1; i <= 2; ++i)
        if (!hasInput(inputs, i)) return invalidArgument("input " + std::to_string(i) + " is required");
    // Opset 18 gives scale/bias per group, opset 21 per channel. Constant per-group values are repeated
    // per channel, which every later stage handles like opset 21's form.
    const int64_t c = xd.d[1];
    const bool perGroup = dimsOf(inputs[1]).nbDims == 1 && dimsOf(inputs[1]).d[0] == groups && groups != c;
    if (perGroup && c > 0 && c % groups == 0) {
        for (int i = 1; i <= 2; ++i) {
            if (!inputs[static_cast<size_t>(i)].isConstant()) continue;
            const ConstValue& g = *inputs[static_cast<size_t>(i)].constant;
            std::vector<double> v;
            for (int64_t k = 0; k < c; ++k) v.push_back(g.at(k / (c / groups)));
            inputs[static_cast<size_t>(i)] =
                Value::fromConstant(ConstValue::fromDoubles(g.type, makeDims({c}), v));
        }
    }
    KILN_ASSIGN_OR_RETURN(ITensor * scale, channelParam(ctx, node, inputs, 1, rank, x->getType()));
    KILN_ASSIGN_OR_RETURN(ITensor * bias, channelParam(ctx, node, inputs, 2, rank, x->getType()));
    if (groups == 1) return addNorm(ctx, x, scale, bias, spatialMask(rank) | 2u, eps, 1, outputs);
    // A per-group tensor computed at run time only broadcasts once the layer knows its groups: add the
    // layer with neutral scalars, then set the groups and the real parameters.
    const bool late = scale->getDimensions().d[1] == groups && groups != c;
    ITensor* s0 = scale;
    ITensor* b0 = bias;
    if (late) {
        KILN_ASSIGN_OR_RETURN(s0, ctx.scalar(x->getType(), 1.0, rank));
        KILN_ASSIGN_OR_RETURN(b0, ctx.scalar(x->getType(), 0.0, rank));
    }
    INormalizationLayer* l = ctx.net().addNormalization(*x, *s0, *b0, spatialMask(rank));
    KILN_ASSIGN_OR_RETURN(l, ctx.check(l, "addNormalization"));
    l->setEpsilon(eps);
    l->setNbGroups(groups);
    if (late) {
        l->setInput(1, *scale);
        l->setInput(2, *bias);
    }
    return setOutput(outputs, l->getOutput(0));
}

Status importLayerNorm(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                       std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(float eps, node.attrs().getFloat("epsilon", 1e-5f));
    KILN_ASSIGN_OR_RETURN(int64_t rawAxis, node.attrs().getInt("axis", -1));
    KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
    const Dims xd = x->getDimensions();
    KILN_ASSIGN_OR_RETURN(int axis, normalizeAxis(rawAxis, xd.nbDims, "axis"));
    std::vector<int> axes;
    for (int i = axis; i < xd.nbDims; ++i) axes.push_back(i);
    auto param = [&](int i) -> StatusOr<ITensor*> {
        if (inputs[static_cast<size_t>(i)].isConstant())
            return ctx.constant(convertedConstant(*inputs[static_cast<size_t>(i)].constant, x->getType()));
        KILN_ASSIGN_OR_RETURN(ITensor * t, inputTensor(ctx, node, inputs, i));
        return castTo(ctx, t, x->getType());
    };
    if (!hasInput(inputs, 1)) return invalidArgument("input 1 (Scale) is required");
    KILN_ASSIGN_OR_RETURN(ITensor * scale, param(1));
    ITensor* bias = nullptr;
    if (hasInput(inputs, 2)) {
        KILN_ASSIGN_OR_RETURN(bias, param(2));
    } else {
        const Dims sd = scale->getDimensions();
        if (!isFullyKnown(sd))
            return unsupported("LayerNormalization without B needs Scale's shape at build time");
        KILN_ASSIGN_OR_RETURN(bias, ctx.constant(ConstValue::fromDoubles(x->getType(), sd, {})));
    }
    KILN_RETURN_IF_ERROR(addNorm(ctx, x, scale, bias, axesMask(axes), eps, 1, outputs));
    // Mean and InvStdDev (training outputs, computed only when asked for) in float32, the stash type.
    const bool wantMean = node.nbOutputs() > 1 && !node.proto->output(1).empty();
    const bool wantInv = node.nbOutputs() > 2 && !node.proto->output(2).empty();
    if (!wantMean && !wantInv) return Status::ok();
    KILN_ASSIGN_OR_RETURN(ITensor * xf, castTo(ctx, x, DataType::kFLOAT));
    const uint32_t mask = axesMask(axes);
    KILN_ASSIGN_OR_RETURN(ITensor * mean,
                          ctx.out(ctx.net().addReduce(*xf, ReduceOperation::kAVG, mask, true), "addReduce"));
    if (wantMean) outputs[1] = Value::fromTensor(mean);
    if (wantInv) {
        KILN_ASSIGN_OR_RETURN(ITensor * d, elementwise(ctx, xf, mean, ElementWiseOperation::kSUB));
        KILN_ASSIGN_OR_RETURN(ITensor * d2, elementwise(ctx, d, d, ElementWiseOperation::kPROD));
        KILN_ASSIGN_OR_RETURN(
            ITensor * var, ctx.out(ctx.net().addReduce(*d2, ReduceOperation::kAVG, mask, true), "addReduce"));
        KILN_ASSIGN_OR_RETURN(ITensor * ve, withScalar(ctx, var, eps, ElementWiseOperation::kSUM));
        KILN_ASSIGN_OR_RETURN(ITensor * sd, unary(ctx, ve, UnaryOperation::kSQRT));
        KILN_ASSIGN_OR_RETURN(ITensor * inv, unary(ctx, sd, UnaryOperation::kRECIP));
        outputs[2] = Value::fromTensor(inv);
    }
    return Status::ok();
}

// RMSNormalization (opset 23): y = x / sqrt(mean(x^2 over axis..rank-1) + eps) * scale, computed in
// float32 (the stash type) and returned in x's type.
Status importRmsNorm(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                     std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(float eps, node.attrs().getFloat("epsilon", 1e-5f));
    KILN_ASSIGN_OR_RETURN(int64_t rawAxis, node.attrs().getInt("axis", -1));
    KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
    KILN_ASSIGN_OR_RETURN(int axis, normalizeAxis(rawAxis, x->getDimensions().nbDims, "axis"));
    std::vector<int> axes;
    for (int i = axis; i < x->getDimensions().nbDims; ++i) axes.push_back(i);
    KILN_ASSIGN_OR_RETURN(ITensor * xf, castTo(ctx, x, DataType::kFLOAT));
    KILN_ASSIGN_OR_RETURN(ITensor * sq, elementwise(ctx, xf, xf, ElementWiseOperation::kPROD));
    KILN_ASSIGN_OR_RETURN(
        ITensor * mean,
        ctx.out(ctx.net().addReduce(*sq, ReduceOperation::kAVG, axesMask(axes), true), "addReduce"));
    KILN_ASSIGN_OR_RETURN(ITensor * me, withScalar(ctx, mean, eps, ElementWiseOperation::kSUM));
    KILN_ASSIGN_OR_RETURN(ITensor * rms, unary(ctx, me, UnaryOperation::kSQRT));
    KILN_ASSIGN_OR_RETURN(ITensor * normed, elementwise(ctx, xf, rms, ElementWiseOperation::kDIV));
    ITensor* scale = nullptr;
    if (!hasInput(inputs, 1)) return invalidArgument("input 1 (scale) is required");
    if (inputs[1].isConstant()) {
        KILN_ASSIGN_OR_RETURN(scale, ctx.constant(convertedConstant(*inputs[1].constant, DataType::kFLOAT)));
    } else {
        KILN_ASSIGN_OR_RETURN(scale, inputTensor(ctx, node, inputs, 1));
        KILN_ASSIGN_OR_RETURN(scale, castTo(ctx, scale, DataType::kFLOAT));
    }
    KILN_ASSIGN_OR_RETURN(ITensor * y, elementwise(ctx, normed, scale, ElementWiseOperation::kPROD));
    KILN_ASSIGN_OR_RETURN(y, castTo(ctx, y, x->getType()));
    return setOutput(outputs, y);
}

// LpNormalization: x / ||x||_p along one axis (p = 1 or 2); a zero norm gives 0, as ONNX's reference.
Status importLpNorm(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                    std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(int64_t rawAxis, node.attrs().getInt("axis", -1));
    KILN_ASSIGN_OR_RETURN(int64_t p, node.attrs().getInt("p", 2));
    if (p != 1 && p != 2)
        return unsupported("p = " + std::to_string(p) + " is not supported; expected 1 or 2");
    KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
    KILN_ASSIGN_OR_RETURN(int axis, normalizeAxis(rawAxis, x->getDimensions().nbDims, "axis"));
    KILN_ASSIGN_OR_RETURN(
        ITensor * norm, ctx.out(ctx.net().addReduce(*x, p == 1 ? ReduceOperation::kL1 : ReduceOperation::kL2,
                                                    1u << axis, true),
                                "addReduce"));
    KILN_ASSIGN_OR_RETURN(ITensor * q, elementwise(ctx, x, norm, ElementWiseOperation::kDIV));
    KILN_ASSIGN_OR_RETURN(ITensor * zero, ctx.scalar(x->getType(), 0.0));
    KILN_ASSIGN_OR_RETURN(ITensor * isZero, elementwise(ctx, norm, zero, ElementWiseOperation::kEQUAL));
    KILN_ASSIGN_OR_RETURN(ITensor * y, ctx.out(ctx.net().addSelect(*isZero, *zero, *q), "addSelect"));
    return setOutput(outputs, y);
}

const OpImporter kImporters[] = {
    {"RMSNormalization", 23, kMaxOpset, importRmsNorm},
    {"LpNormalization", kMinOpset, kMaxOpset, importLpNorm},
    {"BatchNormalization", kMinOpset, kMaxOpset, importBatchNorm, checkBatchNorm},
    {"InstanceNormalization", kMinOpset, kMaxOpset, importInstanceNorm},
    {"GroupNormalization", 18, kMaxOpset, importGroupNorm},
    {"LayerNormalization", 17, kMaxOpset, importLayerNorm},
};

}  // namespace

std::span<const OpImporter> normalizationImporters() {
    return kImporters;
}

}  // namespace kiln::onnx
