// fuse-gelu: the GELU chains ONNX exporters write become one Activation node.
//   erf form (BERT, ViT):   x * 0.5 * (1 + erf(x / sqrt(2)))        -> ActivationType::kGELU_ERF
//                           (x / 1.4142135 or x * 0.70710678)
//   tanh form (GPT-2):      0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))  -> kGELU_TANH
//                           (x^3 as Pow(x, 3) or x * x * x)
// The three factors x, 0.5 and (1 + ...) may be grouped and ordered any way by the two Muls; every Add and
// Mul may have its operands either way round. Constants are one-element float Constant nodes compared
// with a relative tolerance of 1e-3, so float16 exports match too. Every intermediate tensor must have
// this chain as its only consumer and not be a graph output, and the result must have x's shape and type
// (a constant of higher rank would broadcast x).
#include <array>
#include <optional>

#include "passes/pass.h"
#include "passes/pattern.h"

namespace kiln::passes {
namespace {

using pattern::Uses;

constexpr double kSqrt2 = 1.4142135623730951;
constexpr double kSqrt2OverPi = 0.7978845608028654;
constexpr double kGeluTanhCubic = 0.044715;

/// The ElementWise node of operation `op` producing t, when t is private to its consumer.
const ir::Node* privateElementWise(const ir::Graph& g, const Uses& uses, ir::TensorId t, ElementWiseOperation op) {
    const ir::Node* n = pattern::producerOf(g, t, ir::OpKind::kElementWise);
    if (!n || std::get<ir::ElementWiseAttrs>(n->attrs).op != op || !uses.isPrivate(g, t)) return nullptr;
    return n;
}

/// For a commutative node (a, b): the operand that is not a scalar near `value` when the other one is.
std::optional<ir::TensorId> otherThanScalar(const ir::Graph& g, const ir::Node& n, double value) {
    if (pattern::isScalar(g, n.inputs[1], value)) return n.inputs[0];
    if (pattern::isScalar(g, n.inputs[0], value)) return n.inputs[1];
    return std::nullopt;
}

/// erf(x / sqrt 2) or erf(x * (1 / sqrt 2)) with t its private output.
bool isErfOfScaledX(const ir::Graph& g, const Uses& uses, ir::TensorId t, ir::TensorId x) {
    const ir::Node* erf = pattern::producerOf(g, t, ir::OpKind::kUnary);
    if (!erf || std::get<ir::UnaryAttrs>(erf->attrs).op != UnaryOperation::kERF || !uses.isPrivate(g, t))
        return false;
    const ir::TensorId d = erf->inputs[0];
    if (const ir::Node* div = privateElementWise(g, uses, d, ElementWiseOperation::kDIV))
        return div->inputs[0] == x && pattern::isScalar(g, div->inputs[1], kSqrt2);
    if (const ir::Node* mul = privateElementWise(g, uses, d, ElementWiseOperation::kPROD))
        return otherThanScalar(g, *mul, 1.0 / kSqrt2) == x;
    return false;
}

/// x^3 as Pow(x, 3) or (x * x) * x in either order, t private.
bool isCubeOfX(const ir::Graph& g, const Uses& uses, ir::TensorId t, ir::TensorId x) {
    if (const ir::Node* pow = privateElementWise(g, uses, t, ElementWiseOperation::kPOW))
        return pow->inputs[0] == x && pattern::isScalar(g, pow->inputs[1], 3.0);
    const ir::Node* mul = privateElementWise(g, uses, t, ElementWiseOperation::kPROD);
    if (!mul) return false;
    for (int i = 0; i < 2; ++i) {
        if (mul->inputs[static_cast<size_t>(1 - i)] != x) continue;
        const ir::Node* sq = privateElementWise(g, uses, mul->inputs[static_cast<size_t>(i)], ElementWiseOperation::kPROD);
        if (sq && sq->inputs[0] == x && sq->inputs[1] == x) return true;
    }
    return false;
}

/// tanh(sqrt(2/pi) * (x + 0.044715 * x^3)) with t its private output.
bool isTanhOfCubicX(const ir::Graph& g, const Uses& uses, ir::TensorId t, ir::TensorId x) {
    const ir::Node* tanh = pattern::producerOf(g, t, ir::OpKind::kActivation);
    if (!tanh || std::get<ir::ActivationAttrs>(tanh->attrs).type != ActivationType::kTANH || !uses.isPrivate(g, t))
        return false;
    const ir::Node* scaled = privateElementWise(g, uses, tanh->inputs[0], ElementWiseOperation::kPROD);
    if (!scaled) return false;
    const std::optional<ir::TensorId> s = otherThanScalar(g, *scaled, kSqrt2OverPi);
    const ir::Node* sum = s ? privateElementWise(g, uses, *s, ElementWiseOperation::kSUM) : nullptr;
    if (!sum) return false;
    for (int i = 0; i < 2; ++i) {
        if (sum->inputs[static_cast<size_t>(i)] != x) continue;
        const ir::Node* cubic = privateElementWise(g, uses, sum->inputs[static_cast<size_t>(1 - i)], ElementWiseOperation::kPROD);
        const std::optional<ir::TensorId> cube = cubic ? otherThanScalar(g, *cubic, kGeluTanhCubic) : std::nullopt;
        if (cube && isCubeOfX(g, uses, *cube, x)) return true;
    }
    return false;
}

/// a = 1 + erf(...) or 1 + tanh(...) of x: the GELU it belongs to, if any.
std::optional<ActivationType> onePlusOf(const ir::Graph& g, const Uses& uses, ir::TensorId a, ir::TensorId x) {
    const ir::Node* add = privateElementWise(g, uses, a, ElementWiseOperation::kSUM);
    const std::optional<ir::TensorId> t = add ? otherThanScalar(g, *add, 1.0) : std::nullopt;
    if (!t) return std::nullopt;
    if (isErfOfScaledX(g, uses, *t, x)) return ActivationType::kGELU_ERF;
    if (isTanhOfCubicX(g, uses, *t, x)) return ActivationType::kGELU_TANH;
    return std::nullopt;
}

struct Match {
    ir::TensorId x{ir::kNoTensor};
    ActivationType type{ActivationType::kGELU_ERF};
};

/// `final` (a Mul) as the product of x, 0.5 and (1 + ...): one operand is a private Mul of two of the
/// factors and the other operand is the third.
std::optional<Match> matchGelu(const ir::Graph& g, const Uses& uses, const ir::Node& final) {
    for (int i = 0; i < 2; ++i) {
        const ir::Node* inner = privateElementWise(g, uses, final.inputs[static_cast<size_t>(i)], ElementWiseOperation::kPROD);
        if (!inner) continue;
        const std::array<ir::TensorId, 3> f = {inner->inputs[0], inner->inputs[1], final.inputs[static_cast<size_t>(1 - i)]};
        for (int half = 0; half < 3; ++half) {
            if (!pattern::isScalar(g, f[static_cast<size_t>(half)], 0.5)) continue;
            for (int xi = 0; xi < 3; ++xi) {
                if (xi == half) continue;
                const ir::TensorId x = f[static_cast<size_t>(xi)];
                const ir::TensorId a = f[static_cast<size_t>(3 - half - xi)];
                if (std::optional<ActivationType> type = onePlusOf(g, uses, a, x)) return Match{x, *type};
            }
        }
    }
    return std::nullopt;
}

}  // namespace

StatusOr<bool> fuseGelu(ir::Graph& graph, const PassContext& /*ctx*/) {
    bool changed = false;
    std::optional<Uses> uses;
    for (ir::NodeId id = 0; id < static_cast<ir::NodeId>(graph.nodes().size()); ++id) {
        const ir::Node& n = graph.node(id);
        if (n.kind() != ir::OpKind::kElementWise || std::get<ir::ElementWiseAttrs>(n.attrs).op != ElementWiseOperation::kPROD)
            continue;
        if (!uses) uses.emplace(graph);  // recomputed after each rewrite
        const std::optional<Match> m = matchGelu(graph, *uses, n);
        if (!m) continue;
        const ir::Tensor& x = graph.tensor(m->x);
        const ir::Tensor& y = graph.tensor(n.outputs[0]);
        if (x.type != y.type || !isFloatType(x.type) || !(x.shape == y.shape)) continue;
        ir::ActivationAttrs gelu;
        gelu.type = m->type;
        ir::Node& rewritten = graph.node(id);
        rewritten.attrs = gelu;
        rewritten.inputs = {m->x};
        uses.reset();
        changed = true;
    }
    return changed;
}

}  // namespace kiln::passes
