// The real transformer exports for the model-level pass tests (bench/gpu_models.py's bert-base, gpt2 and
// vit_b_16 ONNX files at batch 2): the folder named by KILN_ATTENTION_MODELS, each file imported and
// inferred as the builder sees it before the passes, and inputs that make sense for them (token ids in
// range, an attention mask that pads each sequence's tail). The files are large (0.3-0.5 GB, weights
// inline) and live outside the repository, so the tests using them skip when the variable is unset.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "api/network_impl.h"
#include "kiln/kiln.h"
#include "kiln/onnx_parser.h"
#include "passes/pass_test_util.h"
#include "support/single_op.h"
#include "support/test_logger.h"

namespace kiln::passtest {

/// The folder holding the exports, or null when KILN_ATTENTION_MODELS is unset.
inline const char* exportFolder() {
    return std::getenv("KILN_ATTENTION_MODELS");
}

inline const char* kExportFolderHint =
    "set KILN_ATTENTION_MODELS to the folder holding bert-base.onnx, gpt2.onnx, vit_b_16.onnx";

/// Imports the ONNX file at `path` into *out, dead nodes removed and shapes inferred.
inline ::testing::AssertionResult loadExport(const std::string& path, ir::Graph* out) {
    if (!std::filesystem::exists(path)) return ::testing::AssertionFailure() << path << " does not exist";
    testing::TestLogger logger;
    std::unique_ptr<IBuilder> builder(createInferBuilder(logger));
    std::unique_ptr<INetworkDefinition> net(builder->createNetworkV2(0));
    std::unique_ptr<IParser> parser(createParser(*net, logger));
    if (!parser->parseFromFile(path.c_str(), 0))
        return ::testing::AssertionFailure() << "parsing " << path << ": " << logger.allErrors();
    ir::Graph g = static_cast<api::NetworkImpl*>(net.get())->graph();
    Status s = g.topoSort();
    if (s.isOk()) s = g.inferShapes();
    g.removeDeadNodes();
    if (s.isOk()) s = g.inferShapes();
    if (!s.isOk()) return ::testing::AssertionFailure() << path << ": " << s.message();
    *out = std::move(g);
    return ::testing::AssertionSuccess();
}

/// Inputs: token ids in [0, 30000) and an attention mask that pads each sequence's tail; floats in [-1, 1].
inline std::vector<HostTensor> exportInputs(const ir::Graph& g) {
    std::vector<HostTensor> in;
    uint64_t seed = 3;
    for (ir::TensorId t : g.inputs()) {
        const ir::Tensor& x = g.tensor(t);
        if (x.name == "attention_mask") {
            HostTensor h(x.type, x.shape);
            const int64_t s = x.shape.d[x.shape.nbDims - 1];
            for (int64_t i = 0; i < h.numel(); ++i) h.setInt(i, i % s < s * 3 / 4 - (i / s) * 5 ? 1 : 0);
            in.push_back(h);
        } else if (x.name == "input_ids") {
            in.push_back(HostTensor::random(x.type, x.shape, seed++, 0, 29999));
        } else {
            in.push_back(HostTensor::random(x.type, x.shape, seed++, -1.0, 1.0));
        }
    }
    return in;
}

/// The relative L2 distance of output 0 of `after` from that of `before` on the reference backend.
inline double relativeL2OfOutput0(const ir::Graph& before, const ir::Graph& after) {
    const std::vector<HostTensor> in = exportInputs(before);
    auto want = runReference(before, in);
    auto got = runReference(after, in);
    EXPECT_TRUE(want.isOk()) << want.status().message();
    EXPECT_TRUE(got.isOk()) << got.status().message();
    if (!want.isOk() || !got.isOk()) return 1.0;
    double num = 0.0, den = 0.0;
    for (int64_t i = 0; i < want.value()[0].numel(); ++i) {
        const double d = got.value()[0].at(i) - want.value()[0].at(i);
        num += d * d;
        den += want.value()[0].at(i) * want.value()[0].at(i);
    }
    return std::sqrt(num / den);
}

}  // namespace kiln::passtest
