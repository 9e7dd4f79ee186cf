// Which operators a model below Kiln's first opset (kMinOpset) may still use: those whose definition in
// effect at kMinOpset already existed at the model's opset, so the model's node means exactly what
// Kiln's importer for kMinOpset implements. The table holds, for every default-domain operator whose
// definition at opset 7 is older than 7, the opset that definition dates from (its since_version),
// read from the ONNX operator schemas (onnx.defs.get_schema(op, 7).since_version, onnx 1.23). An
// operator not listed changed at opset 7 or does not exist before it.
#include <algorithm>
#include <array>
#include <string_view>
#include <utility>

#include "onnx/op_registry.h"

namespace kiln::onnx {

namespace {

static_assert(kMinOpset == 7, "the table below lists definitions in effect at opset 7");

// Sorted by name for binary search.
constexpr std::array<std::pair<std::string_view, int64_t>, 75> kSinceAtMinOpset{{
    {"Abs", 6},
    {"ArgMax", 1},
    {"ArgMin", 1},
    {"Cast", 6},
    {"Ceil", 6},
    {"Clip", 6},
    {"Concat", 4},
    {"Constant", 1},
    {"Conv", 1},
    {"ConvTranspose", 1},
    {"DepthToSpace", 1},
    {"Elu", 6},
    {"Exp", 6},
    {"Flatten", 1},
    {"Floor", 6},
    {"Gather", 1},
    {"GlobalAveragePool", 1},
    {"GlobalLpPool", 2},
    {"GlobalMaxPool", 1},
    {"HardSigmoid", 6},
    {"Hardmax", 1},
    {"Identity", 1},
    {"If", 1},
    {"InstanceNormalization", 6},
    {"LRN", 1},
    {"LeakyRelu", 6},
    {"Log", 6},
    {"LogSoftmax", 1},
    {"Loop", 1},
    {"LpNormalization", 1},
    {"LpPool", 2},
    {"MatMul", 1},
    {"Max", 6},
    {"MaxPool", 1},
    {"MaxRoiPool", 1},
    {"Mean", 6},
    {"Min", 6},
    {"Neg", 6},
    {"Not", 1},
    {"Pad", 2},
    {"RandomNormal", 1},
    {"RandomNormalLike", 1},
    {"RandomUniform", 1},
    {"RandomUniformLike", 1},
    {"Reciprocal", 6},
    {"ReduceL1", 1},
    {"ReduceL2", 1},
    {"ReduceLogSum", 1},
    {"ReduceLogSumExp", 1},
    {"ReduceMax", 1},
    {"ReduceMean", 1},
    {"ReduceMin", 1},
    {"ReduceProd", 1},
    {"ReduceSum", 1},
    {"ReduceSumSquare", 1},
    {"Relu", 6},
    {"Reshape", 5},
    {"Selu", 6},
    {"Shape", 1},
    {"Sigmoid", 6},
    {"Size", 1},
    {"Slice", 1},
    {"Softmax", 1},
    {"Softplus", 1},
    {"Softsign", 1},
    {"SpaceToDepth", 1},
    {"Split", 2},
    {"Sqrt", 6},
    {"Squeeze", 1},
    {"Sum", 6},
    {"Tanh", 6},
    {"Tile", 6},
    {"TopK", 1},
    {"Transpose", 1},
    {"Unsqueeze", 1},
}};

}  // namespace

int64_t sinceVersionAtMinOpset(std::string_view opType) {
    auto it = std::lower_bound(kSinceAtMinOpset.begin(), kSinceAtMinOpset.end(), opType,
                               [](const auto& entry, std::string_view name) { return entry.first < name; });
    return it != kSinceAtMinOpset.end() && it->first == opType ? it->second : kMinOpset;
}

int64_t importOpset(std::string_view opType, int64_t opset) {
    if (opset >= kMinOpset) return std::min(opset, kMaxOpset);
    return sinceVersionAtMinOpset(opType) <= opset ? kMinOpset : opset;
}

}  // namespace kiln::onnx
