// Optional attribute fields (ir::OptionalField, added after plan format 3 without a format bump): an
// Attention node reading STRIDED views of a packed projection round-trips with its q_view / k_view /
// v_view; a node whose views are empty is written with exactly the format-3 entries (so its plan has the
// bytes it had before the fields existed, and plans written then load); and the reader still refuses an
// unknown entry beside an absent optional field, a duplicated optional field and one of the wrong kind.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "plan_test_util.h"

namespace kiln::plan {
namespace {

using test::PlanModel;

std::vector<int64_t> viewValues(int64_t offset) {
    return {offset, 2, 3, 5, 4, 36, 4, 72, 1};  // a third of a packed [S 5, B 2, 3E 36], H 3, D 4
}

/// An Attention node "att" over a packed float16 [5, 2, 36] input, STRIDED or (strided false) over three
/// [2, 5, 3, 4] BSHD inputs.
Plan attentionPlan(bool strided) {
    Plan p;
    p.header.kilnVersion = getKilnVersion();
    ir::Graph& g = p.graph;
    const DataType f16 = DataType::kHALF;
    ir::AttentionAttrs a;
    a.scale = 0.125f;
    a.outLayout = ir::AttentionLayout::kBSHD;
    std::vector<ir::TensorId> in;
    if (strided) {
        a.qLayout = a.kLayout = a.vLayout = ir::AttentionLayout::kSTRIDED;
        a.qView = viewValues(0);
        a.kView = viewValues(12);
        a.vView = viewValues(24);
        const ir::TensorId packed = g.addInput("packed", f16, makeDims({5, 2, 36}));
        in = {packed, packed, packed};
    } else {
        a.qLayout = a.kLayout = a.vLayout = ir::AttentionLayout::kBSHD;
        for (const char* n : {"q", "k", "v"}) in.push_back(g.addInput(n, f16, makeDims({2, 5, 3, 4})));
    }
    g.markOutput(test::addOp(g, "att", a, in, {{f16, makeDims({2, 5, 3, 4})}})[0]);
    p.tactics.assign(g.nodes().size(), NodeTactic{"attention_flash_mma", 0});
    return p;
}

std::vector<uint8_t> mustWrite(const Plan& p) {
    auto bytes = writePlan(p);
    EXPECT_TRUE(bytes.isOk()) << bytes.status().message();
    return bytes.isOk() ? bytes.value() : std::vector<uint8_t>{};
}

std::vector<std::string> entryNames(const PlanModel::NodeEntry& n) {
    std::vector<std::string> out;
    for (const auto& a : n.attrs) out.push_back(a.name);
    return out;
}

void expectRefused(const PlanModel& m, const std::string& needle) {
    const std::vector<uint8_t> bytes = test::encodeModel(m);
    auto r = readPlan(bytes.data(), bytes.size());
    ASSERT_FALSE(r.isOk()) << "expected an error containing \"" << needle << "\"";
    EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().message();
}

TEST(PlanOptionalFields, StridedAttentionViewsRoundTrip) {
    const Plan p = attentionPlan(true);
    const std::vector<uint8_t> bytes = mustWrite(p);
    auto q = readPlan(bytes.data(), bytes.size());
    ASSERT_TRUE(q.isOk()) << q.status().message();
    const auto& a = std::get<ir::AttentionAttrs>(q.value().graph.node(0).attrs);
    EXPECT_EQ(a.qLayout, ir::AttentionLayout::kSTRIDED);
    EXPECT_EQ(a.qView, viewValues(0));
    EXPECT_EQ(a.kView, viewValues(12));
    EXPECT_EQ(a.vView, viewValues(24));
    EXPECT_EQ(ir::dumpGraph(q.value().graph), ir::dumpGraph(p.graph));
    EXPECT_EQ(mustWrite(q.value()), bytes);
    PlanModel m = test::decodeModel(bytes);
    EXPECT_EQ(entryNames(m.node("att")),
              (std::vector<std::string>{"scale", "q_layout", "k_layout", "v_layout", "out_layout",
                                        "zero_fully_masked_rows", "q_view", "k_view", "v_view"}));
}

TEST(PlanOptionalFields, EmptyViewsAreNotWrittenAndPlansWithoutThemLoad) {
    const Plan p = attentionPlan(false);
    const std::vector<uint8_t> bytes = mustWrite(p);
    PlanModel m = test::decodeModel(bytes);
    // Exactly the entries of plan format 3, before the views existed: such a plan is what Kiln wrote then.
    EXPECT_EQ(entryNames(m.node("att")),
              (std::vector<std::string>{"scale", "q_layout", "k_layout", "v_layout", "out_layout",
                                        "zero_fully_masked_rows"}));
    auto q = readPlan(bytes.data(), bytes.size());
    ASSERT_TRUE(q.isOk()) << q.status().message();
    const auto& a = std::get<ir::AttentionAttrs>(q.value().graph.node(0).attrs);
    EXPECT_EQ(a.qLayout, ir::AttentionLayout::kBSHD);
    EXPECT_TRUE(a.qView.empty() && a.kView.empty() && a.vView.empty());
    EXPECT_EQ(ir::dumpGraph(q.value().graph).find("q_view"), std::string::npos)
        << "the dump leaves them out too";
}

TEST(PlanOptionalFields, TheReaderStillRefusesWhatIsNotAField) {
    {
        // Three misspelt entries where the three optional fields are absent: as many entries as the struct
        // has fields, yet three name none (counting field names instead of entries found would pass them).
        PlanModel m = test::decodeModel(mustWrite(attentionPlan(false)));
        for (const char* n : {"q_veiw", "k_veiw", "v_veiw"})
            m.node("att").attrs.push_back(
                {n, static_cast<int8_t>(fb::AttrKind::Int64Vector), std::vector<int64_t>{0}, std::nullopt});
        expectRefused(m, "attribute 'q_veiw' is not a field of AttentionAttrs");
    }
    {
        PlanModel m = test::decodeModel(mustWrite(attentionPlan(true)));
        m.node("att").attrs.push_back(m.node("att").attrs.back());
        expectRefused(m, "attribute 'v_view' appears more than once");
    }
    {
        PlanModel m = test::decodeModel(mustWrite(attentionPlan(true)));
        for (auto& a : m.node("att").attrs)
            if (a.name == "k_view") {
                a.kind = static_cast<int8_t>(fb::AttrKind::FloatVector);
                a.floats = std::vector<float>{1.0f};
                a.ints.reset();
            }
        expectRefused(m, "attribute 'k_view': expected kind Int64Vector, found FloatVector");
    }
}

}  // namespace
}  // namespace kiln::plan
