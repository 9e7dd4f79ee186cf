// Plan round trips: a plan covering every op kind and every attribute field kind reads back equal, writes
// back byte for byte, is deterministic, stores shared weights once at 64-byte-aligned offsets; and the
// writer refuses plans the reader would reject.
#include <gtest/gtest.h>

#include <set>
#include <tuple>

#include "plan/checksum.h"
#include "plan_test_util.h"

namespace kiln::plan {
namespace {

using test::makeSamplePlan;

std::vector<uint8_t> mustWrite(const Plan& p) {
    auto bytes = writePlan(p);
    EXPECT_TRUE(bytes.isOk()) << bytes.status().message();
    return bytes.isOk() ? bytes.value() : std::vector<uint8_t>{};
}

Plan mustRead(const std::vector<uint8_t>& bytes) {
    auto plan = readPlan(bytes.data(), bytes.size());
    EXPECT_TRUE(plan.isOk()) << plan.status().message();
    return plan.isOk() ? std::move(plan).value() : Plan{};
}

uint32_t bitsOf(float f) {
    uint32_t b;
    std::memcpy(&b, &f, 4);
    return b;
}

TEST(PlanRoundTrip, SampleCoversEveryFieldKind) {
    Plan p = makeSamplePlan();
    std::set<int> kinds;
    for (const ir::Node& n : p.graph.nodes()) kinds.insert(static_cast<int>(n.kind()));
    // Ops added later are covered with default attributes by EveryOpKindWithDefaultAttributes.
    EXPECT_GE(kinds.size(), 29u);
    std::vector<uint8_t> bytes = mustWrite(p);
    ASSERT_FALSE(bytes.empty());
    std::set<int> fieldKinds;
    const fb::Plan* body = fb::GetPlan(bytes.data() + kPrefixSize);
    for (const fb::Node* n : *body->nodes())
        for (const fb::Attr* a : *n->attrs()) fieldKinds.insert(static_cast<int>(a->kind()));
    EXPECT_EQ(fieldKinds.size(), static_cast<size_t>(fb::AttrKind::MAX) + 1)
        << "a field kind is not exercised";
}

/// One node of `kind` with default attributes (fed by network inputs), so every op in ops.def, including
/// ops added after this test was written, is checked to write, read and rewrite identically.
Plan singleOpPlan(ir::OpKind kind) {
    Plan p;
    p.header.kilnVersion = getKilnVersion();
    ir::Graph& g = p.graph;
    const ir::OpInfo& info = ir::opInfo(kind);
    std::vector<ir::TensorId> outs;
    if (kind == ir::OpKind::kConstant) {
        outs.push_back(test::addConst(g, "c", DataType::kINT32, makeDims({3}), 1));
    } else {
        std::vector<ir::TensorId> inputs;
        for (int32_t i = 0; i < info.maxInputs && i < 4; ++i)
            inputs.push_back(g.addInput("in" + std::to_string(i), DataType::kFLOAT, makeDims({2, 3})));
        std::vector<std::pair<DataType, Dims>> outTypes(static_cast<size_t>(info.maxOutputs),
                                                        {DataType::kFLOAT, makeDims({2, 3})});
        ir::Attrs attrs;
        ir::Attrs all[] = {
#define KILN_OP(Name, minIn, maxIn, minOut, maxOut, family) ir::Name##Attrs{},
#include "ir/ops.def"
#undef KILN_OP
        };
        attrs = all[static_cast<size_t>(kind)];
        if (static_cast<int32_t>(inputs.size()) < info.minInputs)
            return Plan{};  // more required inputs than 4
        outs = test::addOp(g, "op", attrs, inputs, outTypes);
    }
    for (ir::TensorId t : outs) g.markOutput(t);
    p.tactics.assign(g.nodes().size(), NodeTactic{"reference", 1});
    return p;
}

TEST(PlanRoundTrip, EveryOpKindWithDefaultAttributes) {
    for (int32_t k = 0; k < ir::kNbOpKinds; ++k) {
        const auto kind = static_cast<ir::OpKind>(k);
        Plan p = singleOpPlan(kind);
        ASSERT_EQ(p.graph.nodes().size(), 1u) << ir::opName(kind);
        auto bytes = writePlan(p);
        ASSERT_TRUE(bytes.isOk()) << ir::opName(kind) << ": " << bytes.status().message();
        auto q = readPlan(bytes.value().data(), bytes.value().size());
        ASSERT_TRUE(q.isOk()) << ir::opName(kind) << ": " << q.status().message();
        EXPECT_EQ(q.value().graph.nodes()[0].kind(), kind);
        EXPECT_EQ(ir::dumpGraph(q.value().graph), ir::dumpGraph(p.graph));
        auto again = writePlan(q.value());
        ASSERT_TRUE(again.isOk()) << ir::opName(kind);
        EXPECT_EQ(again.value(), bytes.value()) << ir::opName(kind);
    }
}

TEST(PlanRoundTrip, EpilogueInputsAndAttributesReadBackEqual) {
    // A fused MatrixMultiply (bias, addend, GELU) and Convolution (absent bias, addend, leaky ReLU with an
    // alpha) carry their epilogue through the plan.
    Plan p;
    p.header.kilnVersion = getKilnVersion();
    ir::Graph& g = p.graph;
    const DataType f16 = DataType::kHALF;
    const ir::TensorId a = g.addInput("a", f16, makeDims({2, 5, 7}));
    const ir::TensorId res = g.addInput("res", f16, makeDims({2, 5, 3}));
    ir::MatrixMultiplyAttrs mm;
    mm.op1 = MatrixOperation::kTRANSPOSE;
    mm.epilogue.hasActivation = true;
    mm.epilogue.activation = ActivationType::kGELU_TANH;
    const ir::TensorId y = test::addOp(g, "mm", mm,
                                       {a, test::addConst(g, "w", f16, makeDims({3, 7}), 3),
                                        test::addConst(g, "bias", f16, makeDims({3}), 4), res},
                                       {{f16, makeDims({2, 5, 3})}})[0];
    const ir::TensorId x = g.addInput("x", f16, makeDims({1, 2, 4, 4}));
    const ir::TensorId shortcut = g.addInput("shortcut", f16, makeDims({1, 3, 4, 4}));
    ir::ConvolutionAttrs conv;
    conv.nbOutputMaps = 3;
    conv.epilogue.hasActivation = true;
    conv.epilogue.activation = ActivationType::kLEAKY_RELU;
    conv.epilogue.alpha = 0.125f;
    conv.epilogue.beta = -2.0f;
    const ir::TensorId c = test::addOp(g, "conv", conv,
                                       {x, test::addConst(g, "cw", f16, makeDims({3, 2, 1, 1}), 5), ir::kNoTensor, shortcut},
                                       {{f16, makeDims({1, 3, 4, 4})}})[0];
    g.markOutput(y);
    g.markOutput(c);
    p.tactics.assign(g.nodes().size(), NodeTactic{"reference", 1});
    const Plan q = mustRead(mustWrite(p));
    EXPECT_EQ(ir::dumpGraph(q.graph), ir::dumpGraph(p.graph));
    for (const ir::Node& n : q.graph.nodes()) {
        if (n.kind() == ir::OpKind::kMatrixMultiply) {
            const auto& e = std::get<ir::MatrixMultiplyAttrs>(n.attrs).epilogue;
            EXPECT_TRUE(e.hasActivation);
            EXPECT_EQ(e.activation, ActivationType::kGELU_TANH);
            ASSERT_EQ(n.inputs.size(), 4u);
            EXPECT_EQ(q.graph.tensor(n.inputs[3]).name, "res");
        }
        if (n.kind() == ir::OpKind::kConvolution) {
            const auto& e = std::get<ir::ConvolutionAttrs>(n.attrs).epilogue;
            EXPECT_TRUE(e.hasActivation);
            EXPECT_EQ(e.activation, ActivationType::kLEAKY_RELU);
            EXPECT_EQ(e.alpha, 0.125f);
            EXPECT_EQ(e.beta, -2.0f);
            ASSERT_EQ(n.inputs.size(), 4u);
            EXPECT_EQ(n.inputs[2], ir::kNoTensor);
            EXPECT_EQ(q.graph.tensor(n.inputs[3]).name, "shortcut");
        }
    }
    EXPECT_EQ(mustWrite(q), mustWrite(p));
}

TEST(PlanRoundTrip, ReadBackEqualsOriginal) {
    Plan p = makeSamplePlan();
    Plan q = mustRead(mustWrite(p));
    EXPECT_EQ(q.header.formatVersion, kPlanFormatVersion);
    EXPECT_EQ(q.header.kilnVersion, getKilnVersion());
    EXPECT_EQ(q.header.target, "cpu");
    EXPECT_EQ(q.header.deviceName, "test host");
    EXPECT_EQ(q.header.cudaVersion, 13000);
    EXPECT_EQ(q.header.cudnnVersion, 90300);
    EXPECT_EQ(q.header.cublasVersion, 130001);
    EXPECT_EQ(q.header.workspaceBytes, int64_t(3) << 28);
    EXPECT_TRUE(q.header.tf32);
    // The dump prints every attribute field through visit, every tensor type and shape.
    EXPECT_EQ(ir::dumpGraph(q.graph), ir::dumpGraph(p.graph));
    ASSERT_EQ(q.graph.tensors().size(), p.graph.tensors().size());
    for (size_t i = 0; i < p.graph.tensors().size(); ++i) {
        const ir::Tensor& a = p.graph.tensors()[i];
        const ir::Tensor& b = q.graph.tensors()[i];
        EXPECT_EQ(b.name, a.name);
        EXPECT_EQ(b.type, a.type) << a.name;
        EXPECT_EQ(b.shape, a.shape) << a.name << " " << toString(b.shape);
        EXPECT_EQ(b.producer, a.producer) << a.name;
        EXPECT_EQ(b.isInput, a.isInput) << a.name;
        EXPECT_EQ(b.isOutput, a.isOutput) << a.name;
    }
    EXPECT_EQ(q.graph.inputs(), p.graph.inputs());
    EXPECT_EQ(q.graph.outputs(), p.graph.outputs());
    ASSERT_EQ(q.tactics.size(), p.tactics.size());
    for (size_t i = 0; i < p.tactics.size(); ++i) {
        EXPECT_EQ(q.tactics[i].name, p.tactics[i].name) << i;
        EXPECT_EQ(q.tactics[i].id, p.tactics[i].id) << i;
    }
    ASSERT_EQ(q.graph.nodes().size(), p.graph.nodes().size());
    for (size_t i = 0; i < p.graph.nodes().size(); ++i) {
        const ir::Node& a = p.graph.nodes()[i];
        const ir::Node& b = q.graph.nodes()[i];
        EXPECT_EQ(b.name, a.name);
        ASSERT_EQ(b.kind(), a.kind()) << a.name;
        EXPECT_EQ(b.inputs, a.inputs) << a.name;
        EXPECT_EQ(b.outputs, a.outputs) << a.name;
        if (const auto* c = std::get_if<ir::ConstantAttrs>(&a.attrs)) {
            const auto& d = std::get<ir::ConstantAttrs>(b.attrs);
            ASSERT_TRUE(d.data) << a.name;
            EXPECT_EQ(*d.data, *c->data) << a.name;
        }
    }
    // Values the dump rounds or cannot show: float bit patterns, int64 and uint32 extremes.
    auto find = [&](const Plan& plan, const std::string& name) -> const ir::Node& {
        for (const ir::Node& n : plan.graph.nodes())
            if (n.name == name) return n;
        throw std::runtime_error(name);
    };
    const auto& ra = std::get<ir::ResizeAttrs>(find(p, "resize").attrs);
    const auto& rb = std::get<ir::ResizeAttrs>(find(q, "resize").attrs);
    ASSERT_EQ(rb.scales.size(), ra.scales.size());
    for (size_t i = 0; i < ra.scales.size(); ++i) EXPECT_EQ(bitsOf(rb.scales[i]), bitsOf(ra.scales[i])) << i;
    EXPECT_EQ(bitsOf(std::get<ir::PaddingAttrs>(find(q, "pad").attrs).value), 0x80000000u);  // -0.0
    EXPECT_EQ(std::get<ir::NormalizationAttrs>(find(q, "norm").attrs).nbGroups, int64_t{1} << 40);
    EXPECT_EQ(std::get<ir::ReduceAttrs>(find(q, "reduce").attrs).axes, 0x80000002u);
    EXPECT_TRUE(std::get<ir::ReduceAttrs>(find(q, "reduce").attrs).noopWithEmptyAxes);
    // Run-time parameters keep their input slot.
    EXPECT_TRUE(ir::dumpGraph(q.graph).find("= Reduce(%softmax_out, %reduce_axes)") != std::string::npos)
        << ir::dumpGraph(q.graph);
    EXPECT_TRUE(ir::dumpGraph(q.graph).find("= TopK(%softmax_out, %topk_k_out)") != std::string::npos)
        << ir::dumpGraph(q.graph);
    const auto& sb = std::get<ir::ShuffleAttrs>(find(q, "shuffle").attrs);
    EXPECT_EQ(sb.firstTranspose.order[1], 2);
    EXPECT_EQ(sb.secondTranspose.order[0], 1);
    EXPECT_FALSE(sb.zeroIsPlaceholder);
    EXPECT_EQ(std::get<ir::DeconvolutionAttrs>(find(q, "deconv").attrs).prePadding, makeDims({0, -1}));
    // Max pooling's optional indices output and its attributes; the scatter reduction (Kiln extensions).
    const ir::Node& am = find(q, "pool_argmax");
    ASSERT_EQ(am.outputs.size(), 2u);
    EXPECT_EQ(q.graph.tensor(am.outputs[1]).type, DataType::kINT64);
    EXPECT_TRUE(std::get<ir::PoolingAttrs>(am.attrs).indicesColumnMajor);
    EXPECT_EQ(std::get<ir::PoolingAttrs>(am.attrs).dilation, makeDims({2, 1}));
    EXPECT_EQ(std::get<ir::ScatterAttrs>(find(q, "scatter").attrs).reduction, ScatterReduction::kMUL);
    EXPECT_TRUE(ir::dumpGraph(q.graph).find(
                    "= Slice(%concat_out, none, none, %slice_stride_out, %fill_out)") != std::string::npos)
        << ir::dumpGraph(q.graph);
}

TEST(PlanRoundTrip, PackedWeightsOfOddElementCounts) {
    // The sample's int4 [3, 5] constant holds 15 nibbles in 8 bytes, its uint2 [5] 5 crumbs in 2: the
    // plan stores exactly those bytes (the padding bits included) and reads them back with their types.
    Plan p = makeSamplePlan();
    Plan q = mustRead(mustWrite(p));
    for (const auto& [name, type, bytes] : {std::tuple{"w_int4", DataType::kINT4, size_t{8}},
                                            std::tuple{"w_uint2", DataType::kUINT2, size_t{2}},
                                            std::tuple{"e8m0", DataType::kE8M0, size_t{3}}}) {
        const ir::Node* a = nullptr;
        const ir::Node* b = nullptr;
        for (const ir::Node& n : p.graph.nodes())
            if (n.name == name) a = &n;
        for (const ir::Node& n : q.graph.nodes())
            if (n.name == name) b = &n;
        ASSERT_TRUE(a && b) << name;
        EXPECT_EQ(q.graph.tensor(b->outputs[0]).type, type) << name;
        const auto& data = std::get<ir::ConstantAttrs>(b->attrs).data;
        ASSERT_TRUE(data) << name;
        EXPECT_EQ(data->size(), bytes) << name;
        EXPECT_EQ(*data, *std::get<ir::ConstantAttrs>(a->attrs).data) << name;
    }
    // Sized as unpacked (15 bytes for 15 int4 elements), the writer refuses it with the expected size.
    for (ir::Node& n : p.graph.nodes())
        if (n.name == "w_int4")
            std::get<ir::ConstantAttrs>(n.attrs).data = std::make_shared<const std::vector<uint8_t>>(15, 0);
    auto r = writePlan(p);
    ASSERT_FALSE(r.isOk());
    EXPECT_NE(r.status().message().find("needs 8 bytes of data, found 15"), std::string::npos)
        << r.status().message();
}

TEST(PlanRoundTrip, RewriteIsByteIdenticalAndDeterministic) {
    Plan p = makeSamplePlan();
    std::vector<uint8_t> first = mustWrite(p);
    EXPECT_EQ(mustWrite(p), first) << "writing the same plan twice gave different bytes";
    Plan copy = p;  // a copy shares weights by pointer; the bytes must not depend on addresses
    EXPECT_EQ(mustWrite(copy), first);
    Plan rebuilt = makeSamplePlan();  // same contents, different weight allocations
    EXPECT_EQ(mustWrite(rebuilt), first);
    std::vector<uint8_t> second = mustWrite(mustRead(first));
    ASSERT_EQ(second.size(), first.size());
    for (size_t i = 0; i < first.size(); ++i)
        ASSERT_EQ(second[i], first[i]) << "first difference at byte " << i;
    EXPECT_EQ(mustWrite(mustRead(second)), first);
}

TEST(PlanRoundTrip, SharedWeightsStoredOnceAndSharedAfterReading) {
    Plan p = makeSamplePlan();
    size_t constants = 0;
    for (const ir::Node& n : p.graph.nodes()) constants += n.kind() == ir::OpKind::kConstant;
    std::vector<uint8_t> bytes = mustWrite(p);
    const fb::Plan* body = fb::GetPlan(bytes.data() + kPrefixSize);
    EXPECT_EQ(body->weights()->size(), constants - 1) << "w and w_shared share one Bytes object";
    Plan q = mustRead(bytes);
    const ir::Bytes* w = nullptr;
    const ir::Bytes* w2 = nullptr;
    for (const ir::Node& n : q.graph.nodes()) {
        if (n.name == "w") w = &std::get<ir::ConstantAttrs>(n.attrs).data;
        if (n.name == "w_shared") w2 = &std::get<ir::ConstantAttrs>(n.attrs).data;
    }
    ASSERT_TRUE(w && w2);
    EXPECT_EQ(w->get(), w2->get());
}

TEST(PlanRoundTrip, WeightsAreAlignedInFileOrderAndHoldTheConstantBytes) {
    Plan p = makeSamplePlan();
    std::vector<uint8_t> bytes = mustWrite(p);
    const uint64_t wOff = test::prefixField(bytes, kWeightsOffsetAt);
    EXPECT_EQ(wOff % 64, 0u);
    EXPECT_EQ(wOff, alignUp(kPrefixSize + test::prefixField(bytes, kBodySizeAt), 64));
    EXPECT_EQ(test::prefixField(bytes, kTotalSizeAt), bytes.size());
    const fb::Plan* body = fb::GetPlan(bytes.data() + kPrefixSize);
    std::vector<ir::Bytes> blobs;  // first-use order, skipping the shared one
    for (const ir::Node& n : p.graph.nodes())
        if (const auto* c = std::get_if<ir::ConstantAttrs>(&n.attrs); c && n.name != "w_shared")
            blobs.push_back(c->data);
    ASSERT_EQ(body->weights()->size(), blobs.size());
    uint64_t prevEnd = wOff;
    for (flatbuffers::uoffset_t i = 0; i < body->weights()->size(); ++i) {
        const fb::WeightsEntry* e = body->weights()->Get(i);
        EXPECT_EQ(e->offset() % 64, 0u) << i;
        EXPECT_GE(e->offset(), prevEnd) << i;
        ASSERT_EQ(e->size(), blobs[i]->size()) << i;
        ASSERT_LE(e->offset() + e->size(), bytes.size());
        EXPECT_TRUE(std::equal(blobs[i]->begin(), blobs[i]->end(),
                               bytes.begin() + static_cast<std::ptrdiff_t>(e->offset())))
            << "blob " << i;
        prevEnd = e->offset() + e->size();
    }
    EXPECT_EQ(prevEnd, bytes.size());
}

TEST(PlanRoundTrip, EmptyGraphAndInputOnlyGraph) {
    Plan empty;
    empty.header.kilnVersion = getKilnVersion();
    std::vector<uint8_t> bytes = mustWrite(empty);
    EXPECT_EQ(bytes.size() % 64, 0u);
    EXPECT_EQ(test::prefixField(bytes, kWeightsSizeAt), 0u);
    EXPECT_EQ(mustWrite(mustRead(bytes)), bytes);

    Plan passthrough;
    passthrough.header.kilnVersion = getKilnVersion();
    ir::TensorId x = passthrough.graph.addInput("x", DataType::kINT8, makeDims({2, -1}));
    passthrough.graph.markOutput(x);
    Plan q = mustRead(mustWrite(passthrough));
    ASSERT_EQ(q.graph.tensors().size(), 1u);
    EXPECT_TRUE(q.graph.tensor(0).isInput && q.graph.tensor(0).isOutput);
    EXPECT_EQ(q.graph.tensor(0).shape, makeDims({2, -1}));
}

TEST(PlanRoundTrip, ReadsFromAnyBufferAlignment) {
    std::vector<uint8_t> bytes = mustWrite(makeSamplePlan());
    for (size_t shift = 1; shift < 8; ++shift) {
        std::vector<uint8_t> buffer(bytes.size() + shift);
        std::memcpy(buffer.data() + shift, bytes.data(), bytes.size());
        auto plan = readPlan(buffer.data() + shift, bytes.size());
        ASSERT_TRUE(plan.isOk()) << "shift " << shift << ": " << plan.status().message();
        EXPECT_EQ(mustWrite(plan.value()), bytes) << "shift " << shift;
    }
}

TEST(PlanRoundTrip, TestModelReassemblesIdentically) {
    // The tests' independent body builder must agree with the writer, or the targeted-corruption tests
    // would be testing a different layout.
    std::vector<uint8_t> bytes = mustWrite(makeSamplePlan());
    EXPECT_EQ(test::encodeModel(test::decodeModel(bytes)), bytes);
}

TEST(PlanRoundTrip, KilnVersionMustMatchMajorMinor) {
    Plan p = makeSamplePlan();
    const int32_t v = getKilnVersion();
    // A different patch level reads (the runtime format is fixed within a major.minor).
    p.header.kilnVersion = v % 100 < 99 ? v + 1 : v - 1;
    std::vector<uint8_t> patchLevel = mustWrite(p);
    EXPECT_TRUE(readPlan(patchLevel.data(), patchLevel.size()).isOk());
    for (int32_t other : {v + 100, v + 10000, v - v % 100 - 1, 0}) {
        if (other / 100 == v / 100) continue;
        p.header.kilnVersion = other;
        std::vector<uint8_t> bytes = mustWrite(p);
        auto r = readPlan(bytes.data(), bytes.size());
        ASSERT_FALSE(r.isOk()) << other;
        EXPECT_NE(r.status().message().find("plan built with Kiln " + std::to_string(other / 10000) + "." +
                                            std::to_string(other / 100 % 100)),
                  std::string::npos)
            << r.status().message();
        EXPECT_NE(r.status().message().find("rebuild the plan"), std::string::npos) << r.status().message();
    }
}

void expectWriteFails(const Plan& p, const std::string& needle) {
    auto r = writePlan(p);
    ASSERT_FALSE(r.isOk()) << "expected a failure mentioning: " << needle;
    EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().message();
}

TEST(PlanWriter, RefusesPlansTheReaderWouldReject) {
    {
        Plan p = makeSamplePlan();
        p.tactics.pop_back();
        expectWriteFails(p, "expected one tactic per node (");
    }
    {
        Plan p = makeSamplePlan();
        p.header.formatVersion = kPlanFormatVersion + 1;
        expectWriteFails(p, "this Kiln writes plan format version");
    }
    {
        Plan p = makeSamplePlan();
        p.graph.nodes()[3].attrs = std::monostate{};
        expectWriteFails(p, "holds no attributes (monostate)");
    }
    {
        Plan p = makeSamplePlan();
        std::get<ir::ConstantAttrs>(p.graph.nodes()[0].attrs).data =
            std::make_shared<const std::vector<uint8_t>>(std::vector<uint8_t>(5));
        expectWriteFails(p, "needs 432 bytes of data, found 5 bytes");
    }
    {
        Plan p = makeSamplePlan();
        std::get<ir::ActivationAttrs>(p.graph.nodes()[3].attrs).type = static_cast<ActivationType>(42);
        expectWriteFails(p, "attribute 'type': ActivationType value 42 is not declared");
    }
    {
        Plan p = makeSamplePlan();
        p.graph.tensors()[0].type = static_cast<DataType>(kNB_DATA_TYPES);
        expectWriteFails(p, "DataType value " + std::to_string(kNB_DATA_TYPES) + " is not declared");
    }
    {
        Plan p = makeSamplePlan();
        std::swap(p.graph.nodes()[2], p.graph.nodes()[3]);  // act before conv, producers fixed up below
        for (ir::NodeId i = 0; i < static_cast<ir::NodeId>(p.graph.nodes().size()); ++i)
            for (ir::TensorId t : p.graph.node(i).outputs) p.graph.tensor(t).producer = i;
        expectWriteFails(p, "nodes are not in topological order");
    }
    {
        Plan p = makeSamplePlan();
        p.graph.nodes()[0].outputs.clear();  // a Constant without its output
        expectWriteFails(p, "node 'w' (Constant #0): expected 1..1 outputs, found 0");
    }
    {
        Plan p = makeSamplePlan();
        p.graph.tensors()[0].isOutput = true;  // flag without a place in the output list
        expectWriteFails(p, "is marked as network output but is missing from the network output list");
    }
}

TEST(PlanChecksum, Xxh64MatchesPublishedVectors) {
    // Reference values from the xxHash specification's test set; the 39-byte one runs the 32-byte stripes.
    EXPECT_EQ(xxh64("", 0, 0), 0xEF46DB3751D8E999ULL);
    EXPECT_EQ(xxh64("", 0, 2654435761ULL), 0xAC75FDA2929B17EFULL);
    EXPECT_EQ(xxh64("a", 1, 0), 0xD24EC4F1A98C6E5BULL);
    EXPECT_EQ(xxh64("abc", 3, 0), 0x44BC2CF5AD770999ULL);
    const char* text = "Nobody inspects the spammish repetition";
    EXPECT_EQ(xxh64(text, std::strlen(text), 0), 0xFBCEA83C8A378BF1ULL);
}

TEST(PlanChecksum, CoversEveryByteButItsOwnField) {
    std::vector<uint8_t> bytes = mustWrite(makeSamplePlan());
    const uint64_t base = computePlanChecksum(bytes.data(), bytes.size());
    EXPECT_EQ(base, test::prefixField(bytes, kChecksumAt));
    for (size_t i = 0; i < bytes.size(); ++i) {
        bytes[i] ^= 0x01;
        const bool inField = i >= kChecksumAt && i < kChecksumAt + 8;
        EXPECT_EQ(computePlanChecksum(bytes.data(), bytes.size()) == base, inField) << "byte " << i;
        bytes[i] ^= 0x01;
    }
}

}  // namespace
}  // namespace kiln::plan
