// Shared pieces of the plan tests: a sample plan touching every op kind and every attribute field kind,
// and PlanModel, an editable copy of a plan body written independently of plan_writer.cc, so tests can
// build bodies the writer never would (an unknown attribute, a missing tactic, a bad weights offset)
// and reassemble a file whose prefix and checksum are valid, so the reader's later checks are reached.
#pragma once

#include <cmath>
#include <cstring>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/dims.h"
#include "ir/graph.h"
#include "ir/pointwise_program.h"
#include "plan/plan.h"
#include "plan/plan_format.h"
#include "plan/plan_generated.h"

namespace kiln::plan::test {

inline std::vector<uint8_t> randomBytes(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<uint8_t> v(n);
    for (auto& b : v) b = static_cast<uint8_t>(rng());
    return v;
}

/// A float with a chosen bit pattern (NaN payloads, -0) to check floats travel bit for bit.
inline float floatFromBits(uint32_t bits) {
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

/// Adds a node and sets its outputs' types and shapes by hand (no inference: the plan does not need it).
inline std::vector<ir::TensorId> addOp(ir::Graph& g, const std::string& name, ir::Attrs attrs,
                                       std::vector<ir::TensorId> inputs,
                                       std::vector<std::pair<DataType, Dims>> outputs) {
    ir::NodeId n = g.addNode(name, std::move(attrs), std::move(inputs), static_cast<int32_t>(outputs.size()));
    std::vector<ir::TensorId> outs = g.node(n).outputs;
    for (size_t k = 0; k < outs.size(); ++k) {
        g.tensor(outs[k]).type = outputs[k].first;
        g.tensor(outs[k]).shape = outputs[k].second;
    }
    return outs;
}

inline ir::TensorId addConst(ir::Graph& g, const std::string& name, DataType type, Dims shape,
                             uint32_t seed) {
    return g.addConstant(name, type, shape,
                         randomBytes(static_cast<size_t>(storageBytes(type, volume(shape))), seed));
}

/// Every op kind once, attributes away from their defaults, constants of several dtypes (one empty, one
/// sharing another's bytes), a dynamic dim, an absent optional input, two-output TopK and max pooling,
/// three outputs.
inline Plan makeSamplePlan() {
    Plan p;
    p.header.kilnVersion = getKilnVersion();
    p.header.target = "cpu";
    p.header.deviceName = "test host";
    p.header.cudaVersion = 13000;
    p.header.cudnnVersion = 90300;
    p.header.cublasVersion = 130001;
    p.header.workspaceBytes = int64_t(3) << 28;
    p.header.tf32 = true;
    ir::Graph& g = p.graph;
    const DataType f32 = DataType::kFLOAT;
    ir::TensorId x = g.addInput("x", f32, makeDims({-1, 3, 7, 5}));
    ir::TensorId w = addConst(g, "w", f32, makeDims({4, 3, 3, 3}), 1);
    ir::TensorId bias = addConst(g, "b", DataType::kHALF, makeDims({4}), 2);

    ir::ConvolutionAttrs conv;
    conv.nbOutputMaps = 4;
    conv.kernelSize = makeDims({3, 3});
    conv.stride = makeDims({1, 1});
    conv.prePadding = makeDims({1, 1});
    conv.postPadding = makeDims({1, 1});
    conv.nbGroups = 1;
    conv.paddingMode = PaddingMode::kSAME_UPPER;
    ir::TensorId c = addOp(g, "conv", conv, {x, w, bias}, {{f32, makeDims({-1, 4, 7, 5})}})[0];

    ir::ActivationAttrs act{ActivationType::kSILU, 0.1f, -2.5f};
    ir::TensorId a = addOp(g, "act", act, {c}, {{f32, makeDims({-1, 4, 7, 5})}})[0];

    ir::PoolingAttrs pool;
    pool.type = PoolingType::kMAX_AVERAGE_BLEND;
    pool.windowSize = makeDims({3, 3});
    pool.stride = makeDims({2, 2});
    pool.prePadding = makeDims({1, 1});
    pool.dilation = makeDims({1, 1});
    pool.paddingMode = PaddingMode::kEXPLICIT_ROUND_UP;
    pool.averageCountExcludesPadding = false;
    pool.blendFactor = 0.25f;
    ir::TensorId pl = addOp(g, "pool", pool, {a}, {{f32, makeDims({-1, 4, 4, 3})}})[0];
    // Max pooling with its optional indices output, dilated, column-major indices.
    ir::PoolingAttrs argmax;
    argmax.windowSize = makeDims({2, 3});
    argmax.dilation = makeDims({2, 1});
    argmax.indicesColumnMajor = true;
    auto am = addOp(g, "pool_argmax", argmax, {a},
                    {{f32, makeDims({-1, 4, 3, 1})}, {DataType::kINT64, makeDims({-1, 4, 3, 1})}});

    ir::TensorId wd = addConst(g, "wd", f32, makeDims({4, 2, 2, 2}), 3);
    ir::DeconvolutionAttrs deconv;
    deconv.nbOutputMaps = 2;
    deconv.kernelSize = makeDims({2, 2});
    deconv.stride = makeDims({2, 2});
    deconv.prePadding = makeDims({0, -1});  // negative values must survive
    deconv.outputPadding = makeDims({1, 0});
    ir::TensorId dc = addOp(g, "deconv", deconv, {pl, wd}, {{f32, makeDims({-1, 2, 9, 6})}})[0];

    ir::TensorId u = addOp(g, "unary", ir::UnaryAttrs{UnaryOperation::kISNAN}, {dc},
                           {{DataType::kBOOL, makeDims({-1, 2, 9, 6})}})[0];
    ir::TensorId shift = addConst(g, "shift", DataType::kBF16, makeDims({2}), 4);
    ir::ScaleAttrs scale{ScaleMode::kCHANNEL, 1};
    ir::TensorId sc = addOp(g, "scale", scale, {dc, shift, ir::kNoTensor, ir::kNoTensor},
                            {{f32, makeDims({-1, 2, 9, 6})}})[0];
    ir::TensorId sel =
        addOp(g, "select", ir::SelectAttrs{}, {u, sc, dc}, {{f32, makeDims({-1, 2, 9, 6})}})[0];
    ir::TensorId ew = addOp(g, "ew", ir::ElementWiseAttrs{ElementWiseOperation::kFMOD}, {sel, sc},
                            {{f32, makeDims({-1, 2, 9, 6})}})[0];

    ir::ShuffleAttrs shuffle;
    shuffle.firstTranspose = Permutation{{0, 2, 3, 1, 4, 5, 6, 7}};
    shuffle.hasReshape = true;
    shuffle.reshapeDims = makeDims({0, -1});
    shuffle.secondTranspose = Permutation{{1, 0, 2, 3, 4, 5, 6, 7}};
    shuffle.zeroIsPlaceholder = false;
    ir::TensorId sh = addOp(g, "shuffle", shuffle, {ew}, {{f32, makeDims({108, -1})}})[0];

    ir::TensorId mw = addConst(g, "mw", f32, makeDims({7, 12}), 5);
    ir::MatrixMultiplyAttrs mm{MatrixOperation::kTRANSPOSE, MatrixOperation::kVECTOR};
    ir::TensorId m = addOp(g, "matmul", mm, {sh, mw}, {{f32, makeDims({108, 7})}})[0];
    ir::TensorId sm = addOp(g, "softmax", ir::SoftMaxAttrs{2u, true}, {m}, {{f32, makeDims({108, 7})}})[0];
    ir::ReduceAttrs red{ReduceOperation::kLOG_SUM_EXP, 0x80000002u, true, true};  // high bit: uint32 range
    ir::TensorId r = addOp(g, "reduce", red, {sm}, {{f32, makeDims({108, 1})}})[0];
    // Run-time parameters in input 1 (shape tensors): Reduce axes from a network input, TopK's k.
    ir::TensorId axes = g.addInput("reduce_axes", DataType::kINT32, makeDims({1}));
    ir::TensorId r2 = addOp(g, "reduce_axes_input", ir::ReduceAttrs{ReduceOperation::kMAX, 0u, false, true},
                            {sm, axes}, {{f32, makeDims({-1})}})[0];
    ir::TensorId kIn = addConst(g, "topk_k", DataType::kINT64, makeDims({1}), 16);
    ir::TopKAttrs topk{TopKOperation::kMIN, 5, 1u, DataType::kINT64};
    auto tk = addOp(g, "topk", topk, {sm, kIn},
                    {{f32, makeDims({108, 5})}, {DataType::kINT64, makeDims({108, 5})}});

    ir::TensorId gs = addConst(g, "gamma", DataType::kFP8, makeDims({1, 5}), 6);
    ir::TensorId gb = addConst(g, "beta", DataType::kINT8, makeDims({1, 5}), 7);
    ir::NormalizationAttrs norm{2u, 1e-3f, int64_t{1} << 40};  // beyond int32: checks int64 travels whole
    ir::TensorId nm = addOp(g, "norm", norm, {tk[0], gs, gb}, {{f32, makeDims({108, 5})}})[0];

    ir::TensorId cat =
        addOp(g, "concat", ir::ConcatenationAttrs{1}, {nm, r, nm}, {{f32, makeDims({108, 11})}})[0];
    ir::TensorId strides = addConst(g, "slice_stride", DataType::kINT64, makeDims({2}), 8);
    ir::SliceAttrs slice{makeDims({0, 1}), makeDims({54, 5}), makeDims({2, 2}), SampleMode::kFILL};
    // Inputs 1 and 2 absent, 3 present: absent optional inputs in the middle must survive.
    ir::TensorId fill = addConst(g, "fill", f32, makeDims({}), 9);
    ir::TensorId sl = addOp(g, "slice", slice, {cat, ir::kNoTensor, ir::kNoTensor, strides, fill},
                            {{f32, makeDims({54, 5})}})[0];
    ir::TensorId idx = addConst(g, "idx", DataType::kINT32, makeDims({3}), 10);
    ir::GatherAttrs gather{1, GatherMode::kELEMENT, 0};
    ir::TensorId ga = addOp(g, "gather", gather, {sl, idx}, {{f32, makeDims({54, 3})}})[0];
    ir::PaddingAttrs pad{makeDims({1, -1}), makeDims({0, 2}), PaddingFillMode::kREFLECT, -0.0f};
    ir::TensorId pd = addOp(g, "pad", pad, {ga}, {{f32, makeDims({55, 4})}})[0];
    ir::TensorId cs = addOp(g, "cast", ir::CastAttrs{DataType::kBF16, false, CastRoundMode::kNEAREST}, {pd},
                            {{DataType::kBF16, makeDims({55, 4})}})[0];
    ir::TensorId id =
        addOp(g, "identity", ir::IdentityAttrs{}, {cs}, {{DataType::kHALF, makeDims({55, 4})}})[0];

    ir::ResizeAttrs resize;
    resize.mode = InterpolationMode::kCUBIC;
    resize.outputDims = makeDims({});
    resize.scales = {1.0f, 2.5f, -0.0f, floatFromBits(0x7fc01234u), std::numeric_limits<float>::infinity()};
    resize.coordinateTransformation = ResizeCoordinateTransformation::kPYTORCH_HALF_PIXEL;
    resize.selectorForSinglePixel = ResizeSelector::kUPPER;
    resize.nearestRounding = ResizeRoundMode::kCEIL;
    resize.cubicCoeff = -0.5f;
    resize.excludeOutside = true;
    resize.roi = {0.25f, -0.0f, 1.0f, floatFromBits(0x7fc05678u)};
    resize.extrapolationValue = -2.5f;
    resize.antialias = true;
    ir::TensorId rs = addOp(g, "resize", resize, {id}, {{DataType::kHALF, makeDims({55, 10})}})[0];
    // Run-time scales and region (inputs 2 and 3, input 1 absent) with Kiln's tf_crop_and_resize.
    ir::ResizeAttrs crop;
    crop.mode = InterpolationMode::kLINEAR;
    crop.coordinateTransformation = ResizeCoordinateTransformation::kTF_CROP_AND_RESIZE;
    ir::TensorId cropScales = addConst(g, "crop_scales", f32, makeDims({2}), 16);
    ir::TensorId cropRoi = addConst(g, "crop_roi", f32, makeDims({4}), 17);
    addOp(g, "resize_crop", crop, {id, ir::kNoTensor, cropScales, cropRoi}, {{DataType::kHALF, makeDims({-1, -1})}});
    ir::TensorId shp = addOp(g, "shape", ir::ShapeAttrs{}, {rs}, {{DataType::kINT64, makeDims({2})}})[0];

    ir::FillAttrs fillAttrs{FillOperation::kCONSTANT, makeDims({2, 3}), 1.5f, -1.0f, DataType::kINT32};
    ir::TensorId fl = addOp(g, "fill_op", fillAttrs, {}, {{DataType::kINT32, makeDims({2, 3})}})[0];
    ir::CumulativeAttrs cum{CumulativeOperation::kSUM, -1, true, true};
    ir::TensorId cu = addOp(g, "cumsum", cum, {fl}, {{DataType::kINT32, makeDims({2, 3})}})[0];
    ir::TensorId sidx = addConst(g, "scatter_idx", DataType::kINT64, makeDims({1, 3}), 13);
    ir::TensorId supd = addConst(g, "scatter_upd", DataType::kINT32, makeDims({1, 3}), 14);
    ir::ScatterAttrs scatter{ScatterMode::kND, 1, ScatterReduction::kMUL};
    ir::TensorId sca =
        addOp(g, "scatter", scatter, {cu, sidx, supd}, {{DataType::kINT32, makeDims({2, 3})}})[0];
    ir::TriluAttrs trilu{false, -(int64_t{1} << 35)};
    ir::TensorId tri =
        addOp(g, "trilu", trilu, {sca, ir::kNoTensor}, {{DataType::kINT32, makeDims({2, 3})}})[0];
    ir::TensorId qs = addConst(g, "q_scale", f32, makeDims({2}), 15);
    ir::QuantizeAttrs quant{0, DataType::kFP8, makeDims({1, -1})};
    ir::TensorId q = addOp(g, "quantize", quant, {tri, qs}, {{DataType::kFP8, makeDims({2, 3})}})[0];
    ir::DequantizeAttrs dequant{0, DataType::kHALF};
    ir::TensorId dq = addOp(g, "dequantize", dequant, {q, qs}, {{DataType::kHALF, makeDims({2, 3})}})[0];

    // Constants of the remaining dtypes: one empty, one sharing w's bytes, packed int4 and uint2 of odd
    // element counts (15 nibbles in 8 bytes, 5 crumbs in 2), an E8M0 vector.
    ir::TensorId empty = addConst(g, "empty", DataType::kUINT8, makeDims({0, 3}), 11);
    ir::TensorId flags = addConst(g, "flags", DataType::kBOOL, makeDims({3}), 12);
    ir::TensorId nibbles = addConst(g, "w_int4", DataType::kINT4, makeDims({3, 5}), 16);
    ir::TensorId crumbs = addConst(g, "w_uint2", DataType::kUINT2, makeDims({5}), 17);
    ir::TensorId scales = addConst(g, "e8m0", DataType::kE8M0, makeDims({3}), 18);
    ir::ConstantAttrs shared;
    shared.data = std::get<ir::ConstantAttrs>(g.node(g.tensor(w).producer).attrs).data;
    ir::TensorId w2 = addOp(g, "w_shared", shared, {}, {{f32, makeDims({4, 3, 3, 3})}})[0];

    // A fused program (Int64Vector code with -1 for unused sources, immediates): clip(dq) where flags, else dq.
    ir::PointwiseAttrs fused;
    using PwOp = ir::PointwiseOpcode;
    ir::appendInstruction(fused, {PwOp::kLOAD, 0, 0, {-1, -1, -1}, {0.0f, 0.0f}});
    ir::appendInstruction(fused, {PwOp::kLOAD, 1, 1, {-1, -1, -1}, {0.0f, 0.0f}});
    ir::appendInstruction(fused, {PwOp::kACTIVATION, static_cast<int32_t>(ActivationType::kCLIP), 2, {0, -1, -1},
                                  {-1.5f, 2.5f}});
    ir::appendInstruction(fused, {PwOp::kSELECT, 0, 3, {1, 2, 0}, {0.0f, 0.0f}});
    fused.outputType = DataType::kBF16;
    ir::TensorId pw = addOp(g, "pointwise", fused, {dq, flags}, {{DataType::kBF16, makeDims({2, 3})}})[0];

    for (ir::TensorId t : {rs, shp, tk[1], dq, empty, flags, w2, r2, am[1], nibbles, crumbs, scales, pw}) g.markOutput(t);
    for (size_t i = 0; i < g.nodes().size(); ++i)
        p.tactics.push_back(NodeTactic{i % 3 == 0 ? "reference" : "cuda_fast_v" + std::to_string(i),
                                       int64_t(i) * 1000003 - 7});
    return p;
}

inline uint64_t prefixField(const std::vector<uint8_t>& f, size_t at) {
    return loadLE64(f.data() + at);
}

inline void reseal(std::vector<uint8_t>& f) {
    sealPlanChecksum(f.data(), f.size());
}

/// An editable copy of a plan body. Weights entries keep offsets relative to the weights section, so a
/// body of another size still places them right when reassembled.
struct PlanModel {
    struct AttrEntry {
        std::string name;
        int8_t kind{0};
        std::optional<std::vector<int64_t>> ints;
        std::optional<std::vector<float>> floats;
    };
    struct NodeEntry {
        std::string name, opName;
        int32_t opKind{0};
        std::vector<int32_t> inputs, outputs;
        std::vector<AttrEntry> attrs;
        bool hasTactic{true};
        std::string tacticName;
        int64_t tacticId{0};
    };
    struct TensorEntry {
        std::string name;
        int32_t dtype{0}, rank{0};
        std::vector<int64_t> dims;
        bool isInput{false}, isOutput{false};
    };
    bool hasHeader{true};
    uint32_t formatVersion{0};
    int32_t kilnVersion{0}, cuda{0}, cudnn{0}, cublas{0};
    int64_t workspace{0};
    bool tf32{false};
    std::string target, device;
    std::vector<TensorEntry> tensors;
    std::vector<NodeEntry> nodes;
    std::vector<int32_t> inputs, outputs;
    std::vector<std::pair<uint64_t, uint64_t>> weights;  ///< (offset from the section start, size)
    std::vector<uint8_t> weightsSection;

    NodeEntry& node(const std::string& name) {
        for (auto& n : nodes)
            if (n.name == name) return n;
        throw std::runtime_error("no node " + name);
    }
};

inline PlanModel decodeModel(const std::vector<uint8_t>& file) {
    PlanModel m;
    const fb::Plan* p = fb::GetPlan(file.data() + kPrefixSize);
    const uint64_t wOff = prefixField(file, kWeightsOffsetAt);
    m.weightsSection.assign(file.begin() + static_cast<std::ptrdiff_t>(wOff), file.end());
    const fb::Header* h = p->header();
    m.formatVersion = h->format_version();
    m.kilnVersion = h->kiln_version();
    m.target = h->target()->str();
    m.device = h->device_name()->str();
    m.cuda = h->cuda_version();
    m.cudnn = h->cudnn_version();
    m.cublas = h->cublas_version();
    m.workspace = h->workspace_bytes();
    m.tf32 = h->tf32();
    for (const fb::Tensor* t : *p->tensors())
        m.tensors.push_back({t->name()->str(),
                             t->dtype(),
                             t->rank(),
                             {t->dims()->begin(), t->dims()->end()},
                             t->is_input(),
                             t->is_output()});
    for (const fb::Node* n : *p->nodes()) {
        PlanModel::NodeEntry e{n->name()->str(),
                               n->op_name()->str(),
                               n->op_kind(),
                               {n->inputs()->begin(), n->inputs()->end()},
                               {n->outputs()->begin(), n->outputs()->end()},
                               {},
                               true,
                               n->tactic()->name()->str(),
                               n->tactic()->id()};
        for (const fb::Attr* a : *n->attrs()) {
            PlanModel::AttrEntry ae{a->name()->str(), static_cast<int8_t>(a->kind()), {}, {}};
            if (a->ints()) ae.ints = std::vector<int64_t>(a->ints()->begin(), a->ints()->end());
            if (a->floats()) ae.floats = std::vector<float>(a->floats()->begin(), a->floats()->end());
            e.attrs.push_back(std::move(ae));
        }
        m.nodes.push_back(std::move(e));
    }
    m.inputs.assign(p->inputs()->begin(), p->inputs()->end());
    m.outputs.assign(p->outputs()->begin(), p->outputs()->end());
    for (const fb::WeightsEntry* w : *p->weights()) m.weights.emplace_back(w->offset() - wOff, w->size());
    return m;
}

/// Builds a file from `m` with a correct prefix and checksum.
inline std::vector<uint8_t> encodeModel(const PlanModel& m) {
    flatbuffers::FlatBufferBuilder fbb;
    fbb.ForceDefaults(true);
    // Objects are created in the same order as plan_writer.cc (arguments first, one per statement, since
    // argument evaluation order is unspecified), so an unedited model reassembles byte for byte.
    flatbuffers::Offset<fb::Header> header;
    if (m.hasHeader) {
        auto target = fbb.CreateString(m.target);
        auto device = fbb.CreateString(m.device);
        header =
            fb::CreateHeader(fbb, m.formatVersion, m.kilnVersion, target, device, m.cuda, m.cudnn, m.cublas,
                             m.workspace, m.tf32);
    }
    std::vector<flatbuffers::Offset<fb::Tensor>> tensors;
    for (const auto& t : m.tensors) {
        auto name = fbb.CreateString(t.name);
        auto dims = fbb.CreateVector(t.dims);
        tensors.push_back(fb::CreateTensor(fbb, name, t.dtype, t.rank, dims, t.isInput, t.isOutput));
    }
    auto tensorsOff = fbb.CreateVector(tensors);
    std::vector<flatbuffers::Offset<fb::Node>> nodes;
    for (const auto& n : m.nodes) {
        auto name = fbb.CreateString(n.name);
        auto opName = fbb.CreateString(n.opName);
        auto inputs = fbb.CreateVector(n.inputs);
        auto outputs = fbb.CreateVector(n.outputs);
        std::vector<flatbuffers::Offset<fb::Attr>> attrs;
        for (const auto& a : n.attrs) {
            auto attrName = fbb.CreateString(a.name);
            flatbuffers::Offset<flatbuffers::Vector<int64_t>> ints;
            flatbuffers::Offset<flatbuffers::Vector<float>> floats;
            if (a.ints) ints = fbb.CreateVector(*a.ints);
            if (a.floats) floats = fbb.CreateVector(*a.floats);
            attrs.push_back(fb::CreateAttr(fbb, attrName, static_cast<fb::AttrKind>(a.kind), ints, floats));
        }
        auto attrsOff = fbb.CreateVector(attrs);
        flatbuffers::Offset<fb::Tactic> tactic;
        if (n.hasTactic) {
            auto tacticName = fbb.CreateString(n.tacticName);
            tactic = fb::CreateTactic(fbb, tacticName, n.tacticId);
        }
        nodes.push_back(fb::CreateNode(fbb, name, opName, n.opKind, inputs, outputs, attrsOff, tactic));
    }
    auto nodesOff = fbb.CreateVector(nodes);
    auto inputsOff = fbb.CreateVector(m.inputs);
    auto outputsOff = fbb.CreateVector(m.outputs);
    std::vector<fb::WeightsEntry> entries;
    for (auto [off, size] : m.weights) entries.emplace_back(off, size);  // made absolute below
    auto weightsOff = fbb.CreateVectorOfStructs(entries);
    fbb.Finish(fb::CreatePlan(fbb, header, tensorsOff, nodesOff, inputsOff, outputsOff, weightsOff));

    const uint64_t bodySize = fbb.GetSize();
    const uint64_t wOff = alignUp(kPrefixSize + bodySize, kWeightsAlignment);
    std::vector<uint8_t> file(wOff + m.weightsSection.size(), 0);
    std::memcpy(file.data() + kPrefixSize, fbb.GetBufferPointer(), bodySize);
    std::memcpy(file.data() + wOff, m.weightsSection.data(), m.weightsSection.size());
    uint8_t* entryBytes = const_cast<uint8_t*>(fb::GetPlan(file.data() + kPrefixSize)->weights()->Data());
    for (size_t i = 0; i < m.weights.size(); ++i) storeLE64(entryBytes + 16 * i, m.weights[i].first + wOff);
    std::memcpy(file.data(), kPlanMagic, 8);
    storeLE32(file.data() + kPrefixVersionAt, kPrefixVersion);
    storeLE32(file.data() + kFormatVersionAt, kPlanFormatVersion);
    storeLE64(file.data() + kTotalSizeAt, file.size());
    storeLE64(file.data() + kBodyOffsetAt, kPrefixSize);
    storeLE64(file.data() + kBodySizeAt, bodySize);
    storeLE64(file.data() + kWeightsOffsetAt, wOff);
    storeLE64(file.data() + kWeightsSizeAt, m.weightsSection.size());
    reseal(file);
    return file;
}

}  // namespace kiln::plan::test
