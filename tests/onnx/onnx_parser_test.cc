// The parser's API and its handling of bad input: error lists (every unsupported node at once, node name
// and operator in each error), unknown ops, wrong attribute types, cycles, dangling inputs, duplicate
// producers, truncated and garbage protobufs, external data (present, missing, short, escaping the model
// directory), opset limits (models below opset 7 whose operators are unchanged up to 7), custom domains,
// model-local functions and the inspect summary.
#include <filesystem>
#include <fstream>
#include <random>

#include "onnx/model_summary.h"
#include "onnx_test_util.h"

namespace kiln::testing {
namespace {

ModelBuilder addModel() {
    ModelBuilder m;
    m.input("x", DataType::kFLOAT, {2, 3}).output("y");
    m.floats("b", makeDims({3}), {10.f, 20.f, 30.f});
    m.node("Add", {"x", "b"}, {"y"}, "add");
    return m;
}

struct ParserFixture {
    TestLogger logger;
    Owned<IBuilder> builder{createInferBuilder(logger)};
    Owned<INetworkDefinition> net{builder->createNetworkV2(0)};
    Owned<IParser> parser{createParser(*net, logger)};
    bool parse(const std::string& b, const char* path = nullptr) {
        return parser->parse(b.data(), b.size(), path);
    }
    std::string errors() const {
        std::string s;
        for (int i = 0; i < parser->getNbErrors(); ++i)
            s += std::string(parserErrorCodeName(parser->getError(i)->code())) + " " +
                 parser->getError(i)->nodeOperator() + " '" + parser->getError(i)->nodeName() +
                 "': " + parser->getError(i)->desc() + "\n";
        return s;
    }
    bool anyError(const std::string& needle) const { return errors().find(needle) != std::string::npos; }
};

TEST(OnnxParser, ParsesAddAndRunsIt) {
    ModelBuilder m = addModel();
    HostTensor y = runOne(m, {{"x", floatTensor(makeDims({2, 3}), {1, 2, 3, 4, 5, 6})}});
    expectValues(y, makeDims({2, 3}), {11, 22, 33, 14, 25, 36}, 0, "Add with a broadcast initializer");
}

TEST(OnnxParser, ReportsOpsetAndSupportedOperators) {
    ParserFixture f;
    EXPECT_EQ(f.parser->getUsedOpsetVersion(""), -1);
    ASSERT_TRUE(f.parse(addModel().bytes())) << f.errors();
    EXPECT_EQ(f.parser->getUsedOpsetVersion(""), 17);
    EXPECT_EQ(f.parser->getUsedOpsetVersion("ai.onnx"), 17);
    EXPECT_EQ(f.parser->getUsedOpsetVersion("com.example"), -1);
    EXPECT_TRUE(f.parser->supportsOperator("Conv"));
    EXPECT_TRUE(f.parser->supportsOperator("Einsum"));
    EXPECT_FALSE(f.parser->supportsOperator("LSTM"));
    EXPECT_FALSE(f.parser->supportsOperator(nullptr));
    EXPECT_EQ(f.parser->getError(0), nullptr);
    EXPECT_EQ(f.net->getNbOutputs(), 1);
    EXPECT_STREQ(f.net->getOutput(0)->getName(), "y");
    EXPECT_STREQ(f.net->getInput(0)->getName(), "x");
}

TEST(OnnxParser, ThreeUnsupportedNodesGiveThreeErrorsNamingNodeAndOp) {
    ModelBuilder m;
    m.input("x", DataType::kFLOAT, {1, 4}).output("y");
    m.node("Relu", {"x"}, {"a"}, "relu0");
    m.node("NonMaxSuppression", {"a"}, {"b"}, "nms");
    m.node("Relu", {"b"}, {"c"}, "relu1");
    m.node("RoiAlign", {"c"}, {"d"}, "roi");
    m.node("Unique", {"d"}, {"y"}, "uniq");
    for (bool check : {true, false}) {
        ParserFixture f;
        const std::string b = m.bytes();
        const bool ok = check ? f.parser->supportsModel(b.data(), b.size()) : f.parse(b);
        EXPECT_FALSE(ok);
        ASSERT_EQ(f.parser->getNbErrors(), 3) << f.errors();
        const char* names[] = {"nms", "roi", "uniq"};
        const char* ops[] = {"NonMaxSuppression", "RoiAlign", "Unique"};
        const int64_t index[] = {1, 3, 4};
        for (int i = 0; i < 3; ++i) {
            const IParserError* e = f.parser->getError(i);
            EXPECT_STREQ(e->nodeName(), names[i]);
            EXPECT_STREQ(e->nodeOperator(), ops[i]);
            EXPECT_EQ(e->node(), index[i]);
            EXPECT_EQ(e->code(), ParserErrorCode::kUNSUPPORTED_NODE);
            EXPECT_NE(std::string(e->desc()).find(ops[i]), std::string::npos) << e->desc();
        }
        // supportsModel leaves the network alone; a failed parse adds nothing either.
        EXPECT_EQ(f.net->getNbLayers(), 0);
        f.parser->clearErrors();
        EXPECT_EQ(f.parser->getNbErrors(), 0);
    }
}

TEST(OnnxParser, SupportsModelAlsoFindsShapeProblemsWithoutTouchingTheNetwork) {
    ModelBuilder m;
    m.input("x", DataType::kFLOAT, {2, 3}).output("y");
    m.ints("bad", {7});
    m.node("Reshape", {"x", "bad"}, {"y"}, "reshape7");
    ParserFixture f;
    const std::string b = m.bytes();
    EXPECT_FALSE(f.parser->supportsModel(b.data(), b.size()));
    ASSERT_EQ(f.parser->getNbErrors(), 1) << f.errors();
    EXPECT_STREQ(f.parser->getError(0)->nodeName(), "reshape7");
    EXPECT_TRUE(f.anyError("volume")) << f.errors();
    EXPECT_EQ(f.net->getNbLayers(), 0);
    EXPECT_EQ(f.net->getNbInputs(), 0);
}

TEST(OnnxParser, SupportsModelAcceptsSupportedModel) {
    ParserFixture f;
    const std::string b = addModel().bytes();
    EXPECT_TRUE(f.parser->supportsModel(b.data(), b.size())) << f.errors();
    EXPECT_EQ(f.net->getNbLayers(), 0);
}

TEST(OnnxParser, UnknownOpAndOpsetGate) {
    ModelBuilder m(13);
    m.input("x", DataType::kFLOAT, {2}).output("y").output("z");
    m.node("Frobnicate", {"x"}, {"y"}, "frob");
    m.node("Gelu", {"x"}, {"z"}, "gelu");  // Gelu entered the default domain at opset 20
    ParserFixture f;
    EXPECT_FALSE(f.parse(m.bytes()));
    EXPECT_TRUE(f.anyError("no importer for operator 'Frobnicate'")) << f.errors();
    EXPECT_TRUE(f.anyError("imports 'Gelu' at opsets 20..24, the model uses opset 13")) << f.errors();
}

TEST(OnnxParser, WrongAttributeTypeIsAnInvalidNode) {
    ModelBuilder m;
    m.input("x", DataType::kFLOAT, {2, 3}).output("y").output("z");
    m.node("Softmax", {"x"}, {"y"}, "sm").s("axis", "last");
    m.node("Gelu", {"x"}, {"z"}, "g");
    m.model.mutable_opset_import(0)->set_version(20);
    m.model.mutable_graph()->mutable_node(1)->add_attribute()->set_name("approximate");
    m.model.mutable_graph()->mutable_node(1)->mutable_attribute(0)->set_type(pb::AttributeProto::INT);
    m.model.mutable_graph()->mutable_node(1)->mutable_attribute(0)->set_i(1);
    ParserFixture f;
    EXPECT_FALSE(f.parse(m.bytes()));
    // Gelu's checker runs before any import and stops the parse; Softmax's error would surface during it.
    ASSERT_EQ(f.parser->getNbErrors(), 1) << f.errors();
    EXPECT_STREQ(f.parser->getError(0)->nodeName(), "g");
    EXPECT_EQ(f.parser->getError(0)->code(), ParserErrorCode::kINVALID_NODE);
    EXPECT_TRUE(f.anyError("attribute 'approximate' must be STRING, found INT")) << f.errors();
}

TEST(OnnxParser, AttributeTypeErrorDuringImportNamesTheNode) {
    ModelBuilder m;
    m.input("x", DataType::kFLOAT, {2, 3}).output("y");
    m.node("Softmax", {"x"}, {"y"}, "sm").s("axis", "last");
    ParserFixture f;
    EXPECT_FALSE(f.parse(m.bytes()));
    ASSERT_EQ(f.parser->getNbErrors(), 1) << f.errors();
    EXPECT_STREQ(f.parser->getError(0)->nodeName(), "sm");
    EXPECT_STREQ(f.parser->getError(0)->nodeOperator(), "Softmax");
    EXPECT_EQ(f.parser->getError(0)->code(), ParserErrorCode::kINVALID_NODE);
    EXPECT_TRUE(f.anyError("attribute 'axis' must be INT, found STRING")) << f.errors();
}

TEST(OnnxParser, CycleIsReportedWithItsNodes) {
    ModelBuilder m;
    m.input("x", DataType::kFLOAT, {2}).output("y");
    m.node("Add", {"x", "c"}, {"a"}, "first");
    m.node("Relu", {"a"}, {"b"}, "second");
    m.node("Relu", {"b"}, {"c"}, "third");
    m.node("Relu", {"b"}, {"y"}, "out");
    ParserFixture f;
    EXPECT_FALSE(f.parse(m.bytes()));
    ASSERT_EQ(f.parser->getNbErrors(), 1) << f.errors();
    EXPECT_EQ(f.parser->getError(0)->code(), ParserErrorCode::kINVALID_GRAPH);
    for (const char* n : {"cycle", "'first'", "'second'", "'third'"})
        EXPECT_TRUE(f.anyError(n)) << n << "\n" << f.errors();
}

TEST(OnnxParser, DanglingInputsAreEachReported) {
    ModelBuilder m;
    m.input("x", DataType::kFLOAT, {2}).output("y").output("z");
    m.node("Add", {"x", "ghost"}, {"y"}, "uses_ghost");
    m.node("Mul", {"phantom", "x"}, {"z"}, "uses_phantom");
    ParserFixture f;
    EXPECT_FALSE(f.parse(m.bytes()));
    ASSERT_EQ(f.parser->getNbErrors(), 2) << f.errors();
    EXPECT_STREQ(f.parser->getError(0)->nodeName(), "uses_ghost");
    EXPECT_STREQ(f.parser->getError(1)->nodeName(), "uses_phantom");
    EXPECT_TRUE(f.anyError("input 'ghost' is not a graph input, an initializer or the output of any node"))
        << f.errors();
    EXPECT_TRUE(f.anyError("'phantom'")) << f.errors();
}

TEST(OnnxParser, DuplicateProducerAndMissingOutput) {
    ModelBuilder m;
    m.input("x", DataType::kFLOAT, {2}).output("y").output("nowhere");
    m.node("Relu", {"x"}, {"y"}, "one");
    m.node("Neg", {"x"}, {"y"}, "two");
    ParserFixture f;
    EXPECT_FALSE(f.parse(m.bytes()));
    EXPECT_TRUE(f.anyError("also produced by Relu node 'one'")) << f.errors();
    EXPECT_TRUE(f.anyError("graph output 'nowhere' is not produced")) << f.errors();
}

TEST(OnnxParser, IndependentImportFailuresAreAllListed) {
    // Two reshapes with impossible volumes on independent branches, one good branch.
    ModelBuilder m;
    m.input("x", DataType::kFLOAT, {2, 3}).output("a").output("b").output("c");
    m.ints("bad", {7});
    m.ints("good", {3, 2});
    m.node("Reshape", {"x", "bad"}, {"a"}, "bad1");
    m.node("Reshape", {"x", "bad"}, {"b"}, "bad2");
    m.node("Reshape", {"x", "good"}, {"c"}, "fine");
    ParserFixture f;
    EXPECT_FALSE(f.parse(m.bytes()));
    ASSERT_EQ(f.parser->getNbErrors(), 2) << f.errors();
    EXPECT_STREQ(f.parser->getError(0)->nodeName(), "bad1");
    EXPECT_STREQ(f.parser->getError(1)->nodeName(), "bad2");
    EXPECT_TRUE(f.anyError("volume")) << f.errors();
}

TEST(OnnxParser, TruncatedProtobufNeverParses) {
    ModelBuilder m = addModel();
    const std::string full = m.bytes();
    for (size_t n = 0; n < full.size(); ++n) {
        ParserFixture f;
        EXPECT_FALSE(f.parse(full.substr(0, n)))
            << "prefix of " << n << " of " << full.size() << " bytes parsed";
        ASSERT_GE(f.parser->getNbErrors(), 1) << n;
        EXPECT_GT(std::string(f.parser->getError(0)->desc()).size(), 10u) << n;
    }
    ParserFixture f;
    EXPECT_FALSE(f.parse(full.substr(0, full.size() / 2)));
    EXPECT_TRUE(f.anyError("kMODEL_DESERIALIZE_FAILED")) << f.errors();
}

TEST(OnnxParser, GarbageAndEmptyInputFailCleanly) {
    std::mt19937 rng(7);
    for (int trial = 0; trial < 200; ++trial) {
        std::string junk(static_cast<size_t>(1 + rng() % 300), '\0');
        for (char& c : junk) c = static_cast<char>(rng());
        ParserFixture f;
        EXPECT_FALSE(f.parse(junk)) << "trial " << trial;
        EXPECT_GE(f.parser->getNbErrors(), 1) << "trial " << trial;
    }
    ParserFixture f;
    EXPECT_FALSE(f.parse(std::string()));
    EXPECT_TRUE(f.anyError("hold no graph")) << f.errors();
    EXPECT_FALSE(f.parser->parse(nullptr, 10));
    EXPECT_TRUE(f.anyError("null")) << f.errors();
}

class ExternalDataTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir = std::filesystem::temp_directory_path() /
              ("kiln_onnx_ext_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::create_directories(dir);
        // 8 bytes of junk, then the 3 floats the model reads at offset 8.
        const float w[3] = {1.5f, -2.0f, 4.0f};
        std::ofstream out(dir / "weights.bin", std::ios::binary);
        out.write("JUNKJUNK", 8);
        out.write(reinterpret_cast<const char*>(w), sizeof(w));
    }
    void TearDown() override { std::filesystem::remove_all(dir); }

    ModelBuilder model(const std::string& location, int64_t offset, int64_t length) {
        ModelBuilder m;
        m.input("x", DataType::kFLOAT, {3}).output("y");
        auto* t = m.model.mutable_graph()->add_initializer();
        t->set_name("w");
        t->set_data_type(pb::TensorProto::FLOAT);
        t->add_dims(3);
        t->set_data_location(pb::TensorProto::EXTERNAL);
        auto kv = [&](const std::string& k, const std::string& v) {
            auto* e = t->add_external_data();
            e->set_key(k);
            e->set_value(v);
        };
        kv("location", location);
        kv("offset", std::to_string(offset));
        if (length >= 0) kv("length", std::to_string(length));
        m.node("Mul", {"x", "w"}, {"y"}, "mul");
        return m;
    }
    std::string modelPath() const { return (dir / "model.onnx").string(); }

    std::filesystem::path dir;
};

TEST_F(ExternalDataTest, ReadsWeightsRelativeToTheModel) {
    ModelBuilder m = model("weights.bin", 8, 12);
    {
        std::ofstream out(modelPath(), std::ios::binary);
        out << m.bytes();
    }
    TestLogger logger;
    Owned<IBuilder> builder(createInferBuilder(logger));
    Owned<INetworkDefinition> net(builder->createNetworkV2(0));
    Owned<IParser> parser(createParser(*net, logger));
    ASSERT_TRUE(parser->parseFromFile(modelPath().c_str(), static_cast<int>(ILogger::Severity::kWARNING)))
        << (parser->getNbErrors() ? parser->getError(0)->desc() : "");
    // Same model from memory with its path; check the numbers through a run.
    HostTensor x = floatTensor(makeDims({3}), {2, 3, 4});
    OnnxRun r;
    {
        const std::string b = m.bytes();
        TestLogger l2;
        Owned<IBuilder> b2(createInferBuilder(l2));
        Owned<INetworkDefinition> n2(b2->createNetworkV2(0));
        Owned<IParser> p2(createParser(*n2, l2));
        ASSERT_TRUE(p2->parse(b.data(), b.size(), modelPath().c_str()));
        Owned<IBuilderConfig> config(b2->createBuilderConfig());
        config->setTargetDevice("cpu");
        Owned<IHostMemory> plan(b2->buildSerializedNetwork(*n2, *config));
        ASSERT_NE(plan, nullptr) << l2.allErrors();
        Owned<IRuntime> rt(createInferRuntime(l2));
        Owned<ICudaEngine> engine(rt->deserializeCudaEngine(plan->data(), plan->size()));
        Owned<IExecutionContext> ctx(engine->createExecutionContext());
        HostTensor y(DataType::kFLOAT, makeDims({3}));
        ctx->setTensorAddress("x", x.data());
        ctx->setTensorAddress("y", y.data());
        ASSERT_TRUE(ctx->enqueueV3(nullptr)) << l2.allErrors();
        expectValues(y, makeDims({3}), {3.0, -6.0, 16.0}, 0, "x * external w");
    }
}

TEST_F(ExternalDataTest, MissingShortAndEscapingFilesAreClearErrors) {
    struct Case {
        std::string location;
        int64_t offset, length;
        const char* path;
        std::vector<std::string> expect;
    };
    const std::string p = modelPath();
    const std::vector<Case> cases = {
        {"missing.bin", 0, 12, p.c_str(), {"tensor 'w'", "missing.bin", "cannot open"}},
        {"weights.bin", 12, 12, p.c_str(), {"tensor 'w'", "weights.bin", "runs past its end"}},
        {"weights.bin", 8, 16, p.c_str(), {"tensor 'w'", "length is 16 bytes, expected 12"}},
        {"../weights.bin", 8, 12, p.c_str(), {"tensor 'w'", "inside the model's directory"}},
        {"/etc/passwd", 0, 12, p.c_str(), {"inside the model's directory"}},
        {"weights.bin", 8, 12, nullptr, {"tensor 'w'", "pass modelPath"}},
    };
    for (const Case& c : cases) {
        ParserFixture f;
        EXPECT_FALSE(f.parse(model(c.location, c.offset, c.length).bytes(), c.path)) << c.location;
        ASSERT_EQ(f.parser->getNbErrors(), 1) << f.errors();
        EXPECT_EQ(f.parser->getError(0)->code(), ParserErrorCode::kINVALID_VALUE);
        for (const auto& s : c.expect) EXPECT_TRUE(f.anyError(s)) << "'" << s << "' not in: " << f.errors();
    }
}

TEST(OnnxParser, ModelsBelowOpset7ImportOperatorsUnchangedUpTo7) {
    // Not is unchanged since opset 1 and Relu since opset 6: both import, as in test_not_2d (opset 1).
    ModelBuilder notModel(1);
    notModel.input("x", DataType::kBOOL, {2, 2}).output("y", DataType::kBOOL);
    notModel.node("Not", {"x"}, {"y"});
    HostTensor b =
        HostTensor::fromVector(DataType::kBOOL, makeDims({2, 2}), std::vector<int64_t>{1, 0, 0, 1});
    OnnxRun r = runOnnx(notModel.bytes(), {{"x", b}}, {"y"});
    ASSERT_TRUE(r.parsed) << r.errors;
    expectValues(r.outputs[0], makeDims({2, 2}), {0, 1, 1, 0}, 0, "Not at opset 1");

    ModelBuilder relu6(6);
    relu6.input("x", DataType::kFLOAT, {3}).output("y");
    relu6.node("Relu", {"x"}, {"y"});
    OnnxRun r6 = runOnnx(relu6.bytes(), {{"x", floatTensor(makeDims({3}), {-1, 0.5f, 2})}}, {"y"});
    ASSERT_TRUE(r6.parsed) << r6.errors;
    expectValues(r6.outputs[0], makeDims({3}), {0, 0.5, 2}, 0, "Relu at opset 6");

    // Relu was redefined at opset 6 (consumed_inputs dropped): an opset-5 Relu is the old definition.
    ModelBuilder relu5(5);
    relu5.input("x", DataType::kFLOAT, {3}).output("y");
    relu5.node("Relu", {"x"}, {"y"});
    ParserFixture f;
    EXPECT_FALSE(f.parse(relu5.bytes()));
    EXPECT_TRUE(f.anyError("the model uses opset 5; Kiln imports opsets 7..24")) << f.errors();
    EXPECT_TRUE(f.anyError("'Relu' was redefined at opset 6")) << f.errors();
    EXPECT_TRUE(f.anyError("onnx.version_converter.convert_version(model, 17)")) << f.errors();

    // In one opset-1 model, Not imports and Add (redefined at opsets 6 and 7) is the one error.
    ModelBuilder mixed(1);
    mixed.input("x", DataType::kBOOL, {2})
        .input("a", DataType::kFLOAT, {2})
        .output("y", DataType::kBOOL)
        .output("s");
    mixed.node("Not", {"x"}, {"y"});
    mixed.node("Add", {"a", "a"}, {"s"}, "add");
    ParserFixture g;
    EXPECT_FALSE(g.parse(mixed.bytes()));
    ASSERT_EQ(g.parser->getNbErrors(), 1) << g.errors();
    EXPECT_STREQ(g.parser->getError(0)->nodeName(), "add");
    EXPECT_TRUE(g.anyError("the model uses opset 1")) << g.errors();
    EXPECT_TRUE(g.anyError("Kiln imports 'Add' at opsets 7..24 only")) << g.errors();
    EXPECT_TRUE(g.anyError("convert_version")) << g.errors();

    ModelBuilder zero(0);
    zero.input("x", DataType::kBOOL, {2}).output("y", DataType::kBOOL);
    zero.node("Not", {"x"}, {"y"});
    ParserFixture h;
    EXPECT_FALSE(h.parse(zero.bytes()));
    EXPECT_TRUE(h.anyError("opset 0 of the default domain; ONNX opsets start at 1")) << h.errors();
}

TEST(OnnxParser, DomainAndShapeLimits) {
    ModelBuilder custom;
    custom.input("x", DataType::kFLOAT, {2}).output("y");
    custom.node("FusedGelu", {"x"}, {"y"}, "ms").domain("com.microsoft");
    ParserFixture g;
    EXPECT_FALSE(g.parse(custom.bytes()));
    EXPECT_TRUE(g.anyError("of domain 'com.microsoft' is not supported")) << g.errors();

    ModelBuilder noShape;
    noShape.input("x", DataType::kFLOAT, {2}).output("y");
    noShape.model.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->clear_shape();
    noShape.node("Relu", {"x"}, {"y"});
    ParserFixture h;
    EXPECT_FALSE(h.parse(noShape.bytes()));
    EXPECT_TRUE(h.anyError("graph input 'x' has no shape")) << h.errors();
}

TEST(OnnxParser, ModelLocalFunctionsAreInlined) {
    // local.ScaledRelu(x; alpha) = LeakyRelu(x + bias_in, alpha = <caller's alpha>), called twice.
    ModelBuilder m;
    m.input("x", DataType::kFLOAT, {4}).output("y");
    auto* opset = m.model.add_opset_import();
    opset->set_domain("local");
    opset->set_version(1);
    m.floats("b", makeDims({1}), {1.0f});
    pb::FunctionProto* fn = m.model.add_functions();
    fn->set_name("ScaledRelu");
    fn->set_domain("local");
    fn->add_input("X");
    fn->add_input("B");
    fn->add_output("Y");
    fn->add_attribute("alpha");
    fn->add_opset_import()->set_version(17);
    auto* add = fn->add_node();
    add->set_op_type("Add");
    add->add_input("X");
    add->add_input("B");
    add->add_output("T");
    auto* lr = fn->add_node();
    lr->set_op_type("LeakyRelu");
    lr->add_input("T");
    lr->add_output("Y");
    auto* ref = lr->add_attribute();
    ref->set_name("alpha");
    ref->set_type(pb::AttributeProto::FLOAT);
    ref->set_ref_attr_name("alpha");
    m.node("ScaledRelu", {"x", "b"}, {"h"}, "call1").domain("local").f("alpha", 0.5f);
    m.node("ScaledRelu", {"h", "b"}, {"y"}, "call2").domain("local").f("alpha", 0.25f);
    HostTensor y = runOne(m, {{"x", floatTensor(makeDims({4}), {-5, -1, 0, 2})}});
    // call1: x+1 = [-4, 0, 1, 3] -> [-2, 0, 1, 3]; call2: +1 = [-1, 1, 2, 4] -> [-0.25, 1, 2, 4].
    expectValues(y, makeDims({4}), {-0.25, 1, 2, 4}, 1e-6, "inlined function calls");
}

TEST(OnnxParser, GraphOutputsThatAliasInputsOrConstantsGetTheirOwnTensors) {
    ModelBuilder m;
    m.input("x", DataType::kFLOAT, {2}).output("same").output("konst").output("twice");
    m.floats("c", makeDims({2}), {7, 8});
    m.node("Identity", {"x"}, {"same"});
    m.node("Identity", {"c"}, {"konst"});
    m.node("Identity", {"same"}, {"twice"});
    OnnxRun r = runOnnx(m.bytes(), {{"x", floatTensor(makeDims({2}), {1, 2})}}, {"same", "konst", "twice"});
    ASSERT_TRUE(r.parsed) << r.errors;
    expectValues(r.outputs[0], makeDims({2}), {1, 2}, 0, "same");
    expectValues(r.outputs[1], makeDims({2}), {7, 8}, 0, "konst");
    expectValues(r.outputs[2], makeDims({2}), {1, 2}, 0, "twice");
}

TEST(OnnxParser, SummaryListsIoOpsAndUnsupportedNodes) {
    ModelBuilder m;
    m.input("images", DataType::kFLOAT, {-1, 3, 8, 8}, {"batch"}).output("y").output("z");
    m.node("Relu", {"images"}, {"a"}, "r1");
    m.node("Relu", {"a"}, {"y"}, "r2");
    m.node("Unique", {"a"}, {"z"}, "u");
    const std::string b = m.bytes();
    StatusOr<onnx::ModelSummary> s = onnx::summarizeOnnxModel(b.data(), b.size(), "");
    ASSERT_TRUE(s.isOk()) << s.status().message();
    ASSERT_EQ(s->inputs.size(), 1u);
    EXPECT_EQ(s->inputs[0].name, "images");
    EXPECT_EQ(s->inputs[0].dtype, "FLOAT");
    EXPECT_EQ(s->inputs[0].dims, (std::vector<std::string>{"batch", "3", "8", "8"}));
    EXPECT_EQ(s->opHistogram.at("Relu"), 2);
    EXPECT_EQ(s->opHistogram.at("Unique"), 1);
    ASSERT_EQ(s->nodes.size(), 3u);
    EXPECT_TRUE(s->nodes[0].supported);
    EXPECT_FALSE(s->nodes[2].supported);
    EXPECT_NE(s->nodes[2].reason.find("Unique"), std::string::npos) << s->nodes[2].reason;
    EXPECT_EQ(s->nbUnsupported(), 1);
    const std::string text = onnx::formatModelSummary(*s);
    for (const char* piece :
         {"images: FLOAT [batch, 3, 8, 8]", "ai.onnx=17", "2 of 3 nodes supported", "#2 Unique 'u'"})
        EXPECT_NE(text.find(piece), std::string::npos) << piece << "\n" << text;
    EXPECT_FALSE(onnx::summarizeOnnxModel("garbage!", 8, "").isOk());
}

TEST(OnnxParser, DescribeModelThroughThePublicApiListsEveryNodeOnRequest) {
    ModelBuilder m;
    m.input("tokens", DataType::kFLOAT, {-1, 5}, {"seq"}).output("y").output("z");
    m.node("Relu", {"tokens"}, {"y"}, "relu");
    m.node("Unique", {"tokens"}, {"z"}, "uniq");
    const std::string b = m.bytes();
    ParserFixture f;
    const char* brief = f.parser->describeModel(b.data(), b.size(), nullptr, false);
    ASSERT_NE(brief, nullptr) << f.errors();
    const std::string briefText = brief;
    EXPECT_NE(briefText.find("tokens: FLOAT [seq, 5]"), std::string::npos) << briefText;
    EXPECT_NE(briefText.find("1 of 2 nodes supported"), std::string::npos) << briefText;
    EXPECT_NE(briefText.find("#1 Unique 'uniq'"), std::string::npos) << briefText;
    EXPECT_EQ(briefText.find("'relu'"), std::string::npos) << "supported nodes are listed only on request\n" << briefText;
    const std::string all = f.parser->describeModel(b.data(), b.size(), nullptr, true);
    EXPECT_NE(all.find("#0 Relu 'relu': supported"), std::string::npos) << all;
    EXPECT_NE(all.find("#1 Unique 'uniq': NOT SUPPORTED: "), std::string::npos) << all;
    // The network is not touched.
    EXPECT_EQ(f.net->getNbLayers(), 0);
    EXPECT_EQ(f.net->getNbInputs(), 0);
    // Garbage: null, and the reason is an error.
    EXPECT_EQ(f.parser->describeModel("garbage!", 8, nullptr, false), nullptr);
    ASSERT_EQ(f.parser->getNbErrors(), 1);
    EXPECT_EQ(f.parser->getError(0)->code(), ParserErrorCode::kMODEL_DESERIALIZE_FAILED);
}

}  // namespace
}  // namespace kiln::testing
