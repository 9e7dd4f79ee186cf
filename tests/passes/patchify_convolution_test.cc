// patchify-convolution: a kernel-equals-stride Convolution of a GPU plan becomes a patch transpose and one
// MatrixMultiply computing the same numbers on the reference backend (against the graph before the pass,
// whose Convolution is the reference kernel); its bias and activation go into the GEMM's epilogue; a
// flatten(2).transpose(1, 2) after it becomes a reshape of the GEMM's rows. Overlapping, padded, dilated,
// grouped and residual convolutions, spatial sizes the kernel does not divide, and CPU plans are left alone.
#include <gtest/gtest.h>

#include "export_models.h"
#include "pass_test_util.h"
#include "passes/strided_axes.h"

namespace kiln::passtest {
namespace {

constexpr DataType kF32 = DataType::kFLOAT;

struct PatchConv {
    int64_t c{3}, o{5}, kh{4}, kw{3};
    bool bias{true};
    bool relu{false};
};

/// x [2, C, H, W] -> Convolution kernel kh x kw, stride kh x kw (optionally with a bias and ReLU).
ir::TensorId patchConv(ir::Graph& g, ir::TensorId x, const PatchConv& p) {
    ir::ConvolutionAttrs a;
    a.nbOutputMaps = static_cast<int32_t>(p.o);
    a.kernelSize = dims({p.kh, p.kw});
    a.stride = dims({p.kh, p.kw});
    a.epilogue.hasActivation = p.relu;
    a.epilogue.activation = ActivationType::kRELU;
    std::vector<double> w(static_cast<size_t>(p.o * p.c * p.kh * p.kw));
    for (size_t i = 0; i < w.size(); ++i) w[i] = 0.03 * static_cast<double>(static_cast<int>(i * 7 % 13) - 6);
    std::vector<ir::TensorId> in = {x, constant(g, "w", kF32, dims({p.o, p.c, p.kh, p.kw}), w)};
    if (p.bias) {
        std::vector<double> b(static_cast<size_t>(p.o));
        for (size_t i = 0; i < b.size(); ++i) b[i] = 0.25 * static_cast<double>(i) - 0.5;
        in.push_back(constant(g, "b", kF32, dims({p.o}), b));
    }
    return op(g, "conv", a, in);
}

TEST(PatchifyConvolution, PatchConvolutionBecomesTransposeAndGemm) {
    for (bool bias : {true, false})
        for (bool relu : {false, true}) {
            SCOPED_TRACE(std::string(bias ? "bias" : "no bias") + (relu ? " relu" : ""));
            ir::Graph g;
            const ir::TensorId x = g.addInput("x", kF32, dims({2, 3, 12, 9}));
            PatchConv p;
            p.bias = bias;
            p.relu = relu;
            g.markOutput(patchConv(g, x, p));
            ASSERT_TRUE(g.inferShapes().isOk());
            const ir::Graph before = g;
            EXPECT_TRUE(runOnly("patchify-convolution", g, gpuContext()));
            EXPECT_EQ(countKind(g, ir::OpKind::kConvolution), 0) << ir::dumpGraph(g);
            const ir::Node& mm = onlyNode(g, ir::OpKind::kMatrixMultiply);
            const auto& attrs = std::get<ir::MatrixMultiplyAttrs>(mm.attrs);
            EXPECT_EQ(attrs.op1, MatrixOperation::kTRANSPOSE);
            EXPECT_EQ(attrs.epilogue.hasActivation, relu);
            EXPECT_EQ(mm.inputs.size(), bias ? 3u : 2u);
            EXPECT_TRUE(g.tensor(mm.outputs[0]).shape == dims({2 * 3 * 3, 5}))
                << toString(g.tensor(mm.outputs[0]).shape);
            // The graph output keeps its name and [N, O, h, w] shape.
            EXPECT_EQ(g.tensor(g.outputs()[0]).name, before.tensor(before.outputs()[0]).name);
            EXPECT_TRUE(g.tensor(g.outputs()[0]).shape == dims({2, 5, 3, 3}));
            expectSameNumbers(before, g, 1e-5, 1e-5);
        }
}

// ViT's patch embedding: conv -> reshape [N, O, h*w] -> transpose (0, 2, 1) -> tokens [N, h*w, O]; the
// tokens are the GEMM's rows, so no transpose is left after the GEMM.
TEST(PatchifyConvolution, FlattenedTokensReadTheGemmRowsDirectly) {
    ir::Graph g;
    const ir::TensorId x = g.addInput("x", kF32, dims({2, 3, 8, 12}));
    PatchConv p;
    p.kh = 4;
    p.kw = 4;
    p.o = 6;
    const ir::TensorId y = patchConv(g, x, p);
    const ir::TensorId flat = reshape(g, "flatten", y, dims({2, 6, 6}));
    const ir::TensorId tokens = transpose(g, "tokens", flat, {0, 2, 1});
    g.markOutput(activation(g, "tanh", ActivationType::kTANH, tokens));
    ASSERT_TRUE(g.inferShapes().isOk());
    const ir::Graph before = g;
    EXPECT_TRUE(runOnly("patchify-convolution", g, gpuContext()));
    EXPECT_EQ(countKind(g, ir::OpKind::kConvolution), 0);
    const ir::Node& mm = onlyNode(g, ir::OpKind::kMatrixMultiply);
    // Shuffles left: the patch transpose, the reshape to rows and the reshape of the rows to tokens; only
    // the first moves data.
    int moving = 0;
    for (const ir::Node& n : g.nodes())
        if (n.kind() == ir::OpKind::kShuffle && !passes::isReshapeOnly(g, n)) ++moving;
    EXPECT_EQ(moving, 1) << ir::dumpGraph(g);
    const ir::Node& act = onlyNode(g, ir::OpKind::kActivation);
    const ir::Node& toTokens = g.node(g.tensor(act.inputs[0]).producer);
    EXPECT_EQ(toTokens.inputs[0], mm.outputs[0]);
    EXPECT_TRUE(passes::isReshapeOnly(g, toTokens));
    expectSameNumbers(before, g, 1e-5, 1e-5);
}

TEST(PatchifyConvolution, OtherConvolutionsAndCpuPlansAreLeftAlone) {
    struct Variant {
        const char* what;
        void (*edit)(ir::ConvolutionAttrs&);
        int64_t h;
    };
    const Variant variants[] = {
        {"overlapping (stride below the kernel)", [](ir::ConvolutionAttrs& a) { a.stride = dims({2, 3}); }, 12},
        {"padded", [](ir::ConvolutionAttrs& a) { a.prePadding = a.postPadding = dims({1, 0}); }, 12},
        {"dilated", [](ir::ConvolutionAttrs& a) { a.dilation = dims({2, 1}); }, 12},
        {"same padding", [](ir::ConvolutionAttrs& a) { a.paddingMode = PaddingMode::kSAME_UPPER; }, 12},
        {"height not a multiple of the kernel", [](ir::ConvolutionAttrs&) {}, 13},
    };
    for (const Variant& v : variants) {
        SCOPED_TRACE(v.what);
        ir::Graph g;
        const ir::TensorId x = g.addInput("x", kF32, dims({2, 3, v.h, 9}));
        const ir::TensorId y = patchConv(g, x, PatchConv{});
        v.edit(std::get<ir::ConvolutionAttrs>(g.node(g.tensor(y).producer).attrs));
        g.markOutput(y);
        ASSERT_TRUE(g.inferShapes().isOk());
        expectUnchanged("patchify-convolution", g, gpuContext());
    }
    {
        SCOPED_TRACE("grouped");
        ir::Graph g;
        const ir::TensorId x = g.addInput("x", kF32, dims({2, 4, 8, 6}));
        ir::ConvolutionAttrs a;
        a.nbOutputMaps = 4;
        a.nbGroups = 2;
        a.kernelSize = a.stride = dims({2, 2});
        g.markOutput(op(g, "conv", a, {x, constant(g, "w", kF32, dims({4, 2, 2, 2}), std::vector<double>(32, 0.5))}));
        ASSERT_TRUE(g.inferShapes().isOk());
        expectUnchanged("patchify-convolution", g, gpuContext());
    }
    {
        SCOPED_TRACE("residual addend");
        ir::Graph g;
        const ir::TensorId x = g.addInput("x", kF32, dims({2, 3, 12, 9}));
        const ir::TensorId r = g.addInput("r", kF32, dims({2, 5, 3, 3}));
        const ir::TensorId y = patchConv(g, x, PatchConv{});
        g.node(g.tensor(y).producer).inputs.push_back(r);
        g.markOutput(y);
        ASSERT_TRUE(g.inferShapes().isOk());
        expectUnchanged("patchify-convolution", g, gpuContext());
    }
    {
        SCOPED_TRACE("cpu plan");
        ir::Graph g;
        const ir::TensorId x = g.addInput("x", kF32, dims({2, 3, 12, 9}));
        g.markOutput(patchConv(g, x, PatchConv{}));
        ASSERT_TRUE(g.inferShapes().isOk());
        expectUnchanged("patchify-convolution", g, passes::PassContext{});
    }
}

// A reshape to [N, O, h*w] with a second reader, or a transpose that is a graph output... the tokens path
// needs private intermediates; otherwise the GEMM result goes back to [N, O, h, w] and the readers stay.
TEST(PatchifyConvolution, SharedFlattenKeepsTheChannelsFirstOutput) {
    ir::Graph g;
    const ir::TensorId x = g.addInput("x", kF32, dims({2, 3, 8, 8}));
    PatchConv p;
    p.kh = p.kw = 4;
    const ir::TensorId y = patchConv(g, x, p);
    const ir::TensorId flat = reshape(g, "flatten", y, dims({2, 5, 4}));
    g.markOutput(transpose(g, "tokens", flat, {0, 2, 1}));
    g.markOutput(flat);
    ASSERT_TRUE(g.inferShapes().isOk());
    const ir::Graph before = g;
    EXPECT_TRUE(runOnly("patchify-convolution", g, gpuContext()));
    EXPECT_EQ(countKind(g, ir::OpKind::kConvolution), 0);
    EXPECT_EQ(countKind(g, ir::OpKind::kMatrixMultiply), 1);
    expectSameNumbers(before, g, 1e-5, 1e-5);
}

// torchvision's ViT-B/16 export (bench/gpu_models.py, batch 2) through the whole GPU pipeline: its patch
// embedding becomes the GEMM, no Convolution and no transpose after the GEMM is left, and the output agrees
// with the graph before the pipeline on the reference backend.
TEST(PatchifyConvolution, VitExportPatchEmbeddingBecomesAGemm) {
    const char* dir = exportFolder();
    if (!dir) GTEST_SKIP() << kExportFolderHint;
    ir::Graph before;
    ASSERT_TRUE(loadExport(std::string(dir) + "/vit_b_16.onnx", &before));
    ASSERT_EQ(countKind(before, ir::OpKind::kConvolution), 1);
    ir::Graph after = before;
    const Status s = passes::runPipeline(after, gpuContext());
    ASSERT_TRUE(s.isOk()) << s.message();
    EXPECT_EQ(countKind(after, ir::OpKind::kConvolution), 0);
    EXPECT_LT(relativeL2OfOutput0(before, after), 1e-5);
}

}  // namespace
}  // namespace kiln::passtest
