// Targeted body damage behind a valid prefix and checksum: each case edits one thing in an editable copy
// of the sample plan's body (test::PlanModel), reassembles the file, and checks the reader names the
// field, the expected and the found value.
#include <gtest/gtest.h>

#include <cctype>
#include <functional>

#include "plan_test_util.h"

namespace kiln::plan {
namespace {

using test::PlanModel;

PlanModel sampleModel() {
    auto bytes = writePlan(test::makeSamplePlan());
    EXPECT_TRUE(bytes.isOk()) << bytes.status().message();
    return test::decodeModel(bytes.value());
}

PlanModel::AttrEntry& attr(PlanModel::NodeEntry& n, const std::string& name) {
    for (auto& a : n.attrs)
        if (a.name == name) return a;
    throw std::runtime_error("no attribute " + name);
}

size_t tensorIndex(const PlanModel& m, const std::string& name) {
    for (size_t i = 0; i < m.tensors.size(); ++i)
        if (m.tensors[i].name == name) return i;
    throw std::runtime_error("no tensor " + name);
}

struct Case {
    std::string what;
    std::function<void(PlanModel&)> edit;
    std::vector<std::string> needles;  ///< all must appear in the message
};

class PlanTargeted : public ::testing::TestWithParam<size_t> {};

std::vector<Case> makeCases();

const std::vector<Case>& cases() {
    static const std::vector<Case> kCases = makeCases();
    return kCases;
}

std::vector<Case> makeCases() {
    const std::string nT = std::to_string(sampleModel().tensors.size());
    return {
        {"tensor id out of range",
         [](PlanModel& m) { m.node("conv").inputs[1] = 999; },
         {"nodes[", "('conv') Convolution.inputs[1]: expected a tensor id in -1.." +
                        std::to_string(std::stoi(nT) - 1) + ", found 999"}},
        {"output id -1",
         [](PlanModel& m) { m.node("act").outputs[0] = -1; },
         {"('act') Activation.outputs[0]: expected a tensor id in 0..", "found -1"}},
        {"network output id out of range",
         [nT](PlanModel& m) { m.outputs[0] = std::stoi(nT); },
         {"network outputs[0]: expected a tensor id in 0..", "found " + nT}},
        {"unknown op name",
         [](PlanModel& m) { m.node("conv").opName = "Convolutoin"; },
         {"('conv').op_name: 'Convolutoin' is not an op this Kiln knows", "rebuild the plan"}},
        {"op kind disagrees",
         [](PlanModel& m) { m.node("conv").opKind = 4; },
         {"('conv').op_kind: op_name 'Convolution' is kind 1, found 4 (Activation)"}},
        {"op kind out of range",
         [](PlanModel& m) { m.node("conv").opKind = 1000; },
         {"op_kind: op_name 'Convolution' is kind 1, found 1000"}},
        {"too many inputs",
         [](PlanModel& m) { m.node("act").inputs.push_back(0); },
         {"('act') Activation: expected 1..1 inputs, found 2"}},
        {"too few outputs",
         [](PlanModel& m) { m.node("topk").outputs.pop_back(); },
         {"('topk') TopK: expected 2..2 outputs, found 1"}},
        {"absent required input",
         [](PlanModel& m) { m.node("conv").inputs[1] = -1; },
         {"input 1 refers to tensor -1, which does not exist"}},
        {"weights offset off the layout",
         [](PlanModel& m) { m.weights[2].first += 64; },
         {"weights[2].offset: expected ", "(the first 64-byte boundary after the previous blob), found "}},
        {"weights offset misaligned",
         [](PlanModel& m) { m.weights[0].first += 8; },
         {"weights[0].offset: expected "}},
        {"weights size past the end",
         [](PlanModel& m) { m.weights.back().second += 1 << 20; },
         {"weights[", "run past the end of the"}},
        {"weights size shorter than the constant",
         [](PlanModel& m) { m.weights.back().second -= 1; },
         {"weights section: the index ends at byte "}},
        {"weights index out of range",
         [](PlanModel& m) { attr(m.node("b"), "data").ints = std::vector<int64_t>{77}; },
         {"('b') Constant: attribute 'data': weights index 77 is out of range (the plan has "}},
        {"weights entry unused",
         [](PlanModel& m) { attr(m.node("b"), "data").ints = std::vector<int64_t>{0}; },
         {"weights[1] is referenced by no node"}},
        {"missing attribute field",
         [](PlanModel& m) { attr(m.node("conv"), "stride").name = "strid"; },
         {"('conv') Convolution: attribute 'stride' (Dims) is missing"}},
        {"unknown attribute field",
         [](PlanModel& m) {
             m.node("act").attrs.push_back({"gamma", 3, {}, std::vector<float>{1.f}});
         },
         {"('act') Activation: attribute 'gamma' is not a field of ActivationAttrs (its fields: type, alpha, "
          "beta)"}},
        {"duplicate attribute field",
         [](PlanModel& m) { m.node("act").attrs.push_back(m.node("act").attrs[1]); },
         {"attribute 'alpha' appears more than once"}},
        {"wrong attribute kind",
         [](PlanModel& m) { attr(m.node("act"), "alpha").kind = 0; },
         {"attribute 'alpha': expected kind Float, found Int32"}},
        {"unknown attribute kind",
         [](PlanModel& m) { attr(m.node("act"), "alpha").kind = 99; },
         {"attribute 'alpha': expected kind Float, found unknown kind 99"}},
        {"undeclared enum value",
         [](PlanModel& m) { attr(m.node("act"), "type").ints = std::vector<int64_t>{42}; },
         {"attribute 'type': ActivationType has no value 42"}},
        {"enum beyond int32",
         [](PlanModel& m) { attr(m.node("act"), "type").ints = std::vector<int64_t>{int64_t{1} << 33}; },
         {"attribute 'type' (Enum): expected a value in -2147483648..2147483647, found 8589934592"}},
        {"bool not 0 or 1",
         [](PlanModel& m) { attr(m.node("resize"), "exclude_outside").ints = std::vector<int64_t>{2}; },
         {"attribute 'exclude_outside' (Bool): expected a value in 0..1, found 2"}},
        {"uint32 negative",
         [](PlanModel& m) { attr(m.node("reduce"), "axes").ints = std::vector<int64_t>{-1}; },
         {"attribute 'axes' (UInt32): expected a value in 0..4294967295, found -1"}},
        {"dims rank too large",
         [](PlanModel& m) {
             attr(m.node("conv"), "stride").ints = std::vector<int64_t>{9, 1, 1};
         },
         {"attribute 'stride' (Dims): expected a value in -1..8, found 9"}},
        {"dims length disagrees with rank",
         [](PlanModel& m) { attr(m.node("conv"), "stride").ints->push_back(1); },
         {"attribute 'stride' (Dims): expected 3 int and 0 float values, found 4 and 0"}},
        {"float with no value",
         [](PlanModel& m) { attr(m.node("act"), "beta").floats.reset(); },
         {"attribute 'beta' (Float): expected 0 int and 1 float values, found 0 and 0"}},
        {"permutation too short",
         [](PlanModel& m) { attr(m.node("shuffle"), "first_transpose").ints->pop_back(); },
         {"attribute 'first_transpose' (Permutation): expected 8 int and 0 float values, found 7 and 0"}},
        {"undeclared scatter reduction (a Kiln enum)",
         [](PlanModel& m) { attr(m.node("scatter"), "reduction").ints = std::vector<int64_t>{7}; },
         {"attribute 'reduction': ScatterReduction has no value 7"}},
        {"DataType attribute undeclared",
         [](PlanModel& m) { attr(m.node("cast"), "to_type").ints = std::vector<int64_t>{kNB_DATA_TYPES}; },
         {"attribute 'to_type': DataType has no value " + std::to_string(kNB_DATA_TYPES)}},
        {"missing tactic",
         [](PlanModel& m) { m.node("pool").hasTactic = false; },
         {"('pool') Pooling.tactic is missing"}},
        {"tensor dtype out of range",
         [](PlanModel& m) { m.tensors[0].dtype = kNB_DATA_TYPES + 3; },
         {"tensors[0] ('x').dtype: expected a DataType in 0.." + std::to_string(kNB_DATA_TYPES - 1) +
          ", found " + std::to_string(kNB_DATA_TYPES + 3)}},
        {"tensor rank disagrees with dims",
         [](PlanModel& m) { m.tensors[0].rank = 3; },
         {"tensors[0] ('x').dims: expected 3 extents (the rank), found 4"}},
        {"tensor dim below -1",
         [](PlanModel& m) { m.tensors[0].dims[0] = -2; },
         {"tensors[0] ('x').dims[0]: expected >= 0 or -1 (unknown), found -2"}},
        {"input flag without list entry",
         [](PlanModel& m) { m.inputs.clear(); },
         {"tensor 'x' is marked as network input but is missing from the network input list"}},
        {"duplicate tensor names",
         [](PlanModel& m) { m.tensors[1].name = "x"; },
         {"tensor name 'x' is used twice"}},
        {"two producers",
         [](PlanModel& m) { m.node("act").outputs[0] = m.node("conv").outputs[0]; },
         {"has more than one producer"}},
        {"not topologically sorted",
         [](PlanModel& m) { std::swap(m.nodes[2], m.nodes[3]); },
         {"nodes are not in topological order"}},
        {"constant size disagrees with its shape",
         [](PlanModel& m) { m.tensors[tensorIndex(m, "b_out")].dims[0] = 5; },
         {"node 'b' (Constant #1): float16[5] needs 10 bytes of data, found 8 bytes"}},
        {"constant shape overflows",
         [](PlanModel& m) {
             auto& t = m.tensors[tensorIndex(m, "b_out")];
             t.rank = 2;
             t.dims = {int64_t{1} << 40, int64_t{1} << 40};
         },
         {"node 'b' (Constant #1): expected a fully known shape of addressable size, found "
          "float16[1099511627776,"}},
        {"header missing", [](PlanModel& m) { m.hasHeader = false; }, {"header is missing"}},
        {"header format version",
         [](PlanModel& m) { m.formatVersion = 7; },
         {"header.format_version: plan format version 7, this Kiln reads " + std::to_string(kPlanFormatVersion) + ": rebuild the plan"}},
        // No needle: must be accepted. The decode budget must not misfire on ordinary data.
        {"long node name is accepted", [](PlanModel& m) { m.node("act").name = std::string(1000, 'n'); }, {}},
    };
}

TEST_P(PlanTargeted, RejectedWithSpecificMessage) {
    const Case& c = cases()[GetParam()];
    PlanModel m = sampleModel();
    c.edit(m);
    std::vector<uint8_t> bytes = test::encodeModel(m);
    auto r = readPlan(bytes.data(), bytes.size());
    if (c.needles.empty()) {
        EXPECT_TRUE(r.isOk()) << c.what << ": " << r.status().message();
        return;
    }
    ASSERT_FALSE(r.isOk()) << c.what << " was accepted";
    for (const std::string& needle : c.needles)
        EXPECT_NE(r.status().message().find(needle), std::string::npos)
            << c.what << "\n  message: " << r.status().message() << "\n  expected to contain: " << needle;
}

INSTANTIATE_TEST_SUITE_P(Cases, PlanTargeted, ::testing::Range<size_t>(0, cases().size()),
                         [](const ::testing::TestParamInfo<size_t>& info) {
                             std::string name = cases()[info.param].what;
                             for (char& ch : name)
                                 if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                             return name;
                         });

TEST(PlanTargetedBudget, SharedStringsCannotMultiplyMemory) {
    // Many tensors whose names all point at one long string: verification passes (FlatBuffers allows
    // sharing), but decoding would copy the string once per tensor; the reader stops at the body size.
    flatbuffers::FlatBufferBuilder fbb;
    fbb.ForceDefaults(true);
    auto target = fbb.CreateString("cpu");
    auto device = fbb.CreateString("");
    auto header = fb::CreateHeader(fbb, kPlanFormatVersion, getKilnVersion(), target, device, 0, 0, 0);
    auto longName = fbb.CreateString(std::string(4096, 'a'));
    auto dims = fbb.CreateVector(std::vector<int64_t>{1});
    std::vector<flatbuffers::Offset<fb::Tensor>> tensors;
    for (int i = 0; i < 2000; ++i)
        tensors.push_back(fb::CreateTensor(fbb, longName, 0, 1, dims, false, false));
    auto tensorsOff = fbb.CreateVector(tensors);
    auto empty32 = fbb.CreateVector(std::vector<int32_t>{});
    auto nodes = fbb.CreateVector(std::vector<flatbuffers::Offset<fb::Node>>{});
    auto weights = fbb.CreateVectorOfStructs(std::vector<fb::WeightsEntry>{});
    fbb.Finish(fb::CreatePlan(fbb, header, tensorsOff, nodes, empty32, empty32, weights));
    std::vector<uint8_t> file(alignUp(kPrefixSize + fbb.GetSize(), 64), 0);
    std::memcpy(file.data() + kPrefixSize, fbb.GetBufferPointer(), fbb.GetSize());
    std::memcpy(file.data(), kPlanMagic, 8);
    storeLE32(file.data() + kPrefixVersionAt, kPrefixVersion);
    storeLE32(file.data() + kFormatVersionAt, kPlanFormatVersion);
    storeLE64(file.data() + kTotalSizeAt, file.size());
    storeLE64(file.data() + kBodyOffsetAt, kPrefixSize);
    storeLE64(file.data() + kBodySizeAt, fbb.GetSize());
    storeLE64(file.data() + kWeightsOffsetAt, file.size());
    storeLE64(file.data() + kWeightsSizeAt, 0);
    test::reseal(file);
    auto r = readPlan(file.data(), file.size());
    ASSERT_FALSE(r.isOk());
    EXPECT_NE(r.status().message().find("the body shares data between fields, which Kiln never writes"),
              std::string::npos)
        << r.status().message();
}

}  // namespace
}  // namespace kiln::plan
