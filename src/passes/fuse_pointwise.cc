// fuse-pointwise: grows groups of pointwise nodes (float ElementWise arithmetic, comparisons and logic,
// Unary, Activation, float Cast / Identity, Select, Scale per tensor or per channel with constant
// coefficients) and replaces each group of two or more by one Pointwise node, whose program
// (ir/pointwise_program.h) evaluates the whole group per output element. A group grows backwards from a
// root whose output is float32, float16 or bfloat16: a producer joins when its output has the root's shape
// (so no intermediate is recomputed for more elements than it had; Casts join at any shape, being free),
// every consumer of that output is in the group and it is not a graph output or a shape value; the program
// must fit the interpreter's limits (instructions, registers, 8 distinct inputs). Constants of one element become immediates, larger ones
// stay inputs (a per-channel Scale coefficient through a reshaped Constant, so numpy broadcasting applies
// it along its axis). Casts between float types cost nothing: intermediates stay float32 and the output
// rounds once, as in TensorRT's fused pointwise kernels.
#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "common/dims.h"
#include "common/tensor_ref.h"
#include "ir/infer.h"
#include "ir/pointwise_program.h"
#include "passes/pass.h"

namespace kiln::passes {

namespace {

using ir::Graph;
using ir::kNoTensor;
using ir::Node;
using ir::NodeId;
using ir::PointwiseInstruction;
using ir::PointwiseOpcode;
using ir::TensorId;

bool isComputeFloat(DataType t) {
    return t == DataType::kFLOAT || t == DataType::kHALF || t == DataType::kBF16;
}
bool isLoadable(DataType t) {
    return isComputeFloat(t) || t == DataType::kBOOL;
}
bool isLogic(ElementWiseOperation op) {
    return op == ElementWiseOperation::kAND || op == ElementWiseOperation::kOR || op == ElementWiseOperation::kXOR;
}

/// Casts and Identity only convert between loadable types: in float32 registers they are nothing.
bool isAlias(const Node& n) {
    return n.kind() == ir::OpKind::kCast || n.kind() == ir::OpKind::kIdentity;
}

bool isConstant(const Graph& g, TensorId t) {
    const NodeId p = g.tensor(t).producer;
    return p >= 0 && g.node(p).kind() == ir::OpKind::kConstant && std::get<ir::ConstantAttrs>(g.node(p).attrs).data;
}

/// Whether node n may join a group, judged on its kind, attributes and inferred tensor types.
bool fusible(const Graph& g, const Node& n, const std::vector<bool>& shapeValues) {
    if (n.outputs.size() != 1 || n.inputs.empty() || n.inputs[0] == kNoTensor) return false;
    const ir::Tensor& out = g.tensor(n.outputs[0]);
    if (shapeValues[static_cast<size_t>(n.outputs[0])] || !isLoadable(out.type)) return false;
    for (TensorId t : n.inputs)
        if (t != kNoTensor && !isLoadable(g.tensor(t).type)) return false;
    const DataType in0 = g.tensor(n.inputs[0]).type;
    switch (n.kind()) {
        case ir::OpKind::kActivation:
            return isComputeFloat(in0);
        case ir::OpKind::kUnary:
            return (std::get<ir::UnaryAttrs>(n.attrs).op == UnaryOperation::kNOT) == (in0 == DataType::kBOOL);
        case ir::OpKind::kElementWise: {
            const ElementWiseOperation op = std::get<ir::ElementWiseAttrs>(n.attrs).op;
            if (!ir::isPointwiseBinaryOp(op)) return false;
            // Logic reads bool (0 / 1 in registers), EQUAL bool or float, the rest float.
            if (isLogic(op) || op == ElementWiseOperation::kEQUAL) return true;
            return isComputeFloat(in0);
        }
        case ir::OpKind::kCast:
        case ir::OpKind::kIdentity:
            return isComputeFloat(out.type);
        case ir::OpKind::kSelect:
            return isComputeFloat(out.type);
        case ir::OpKind::kScale: {
            const auto& a = std::get<ir::ScaleAttrs>(n.attrs);
            if (a.mode != ScaleMode::kUNIFORM && a.mode != ScaleMode::kCHANNEL) return false;
            bool anyCoefficient = false;
            for (size_t k = 1; k < n.inputs.size(); ++k) {
                if (n.inputs[k] == kNoTensor) continue;
                if (!isConstant(g, n.inputs[k])) return false;
                anyCoefficient = true;
            }
            return anyCoefficient && isComputeFloat(in0) && isFullyKnown(out.shape);
        }
        case ir::OpKind::kConstant:
        case ir::OpKind::kConvolution:
        case ir::OpKind::kDeconvolution:
        case ir::OpKind::kPooling:
        case ir::OpKind::kMatrixMultiply:
        case ir::OpKind::kSoftMax:
        case ir::OpKind::kReduce:
        case ir::OpKind::kTopK:
        case ir::OpKind::kNormalization:
        case ir::OpKind::kShuffle:
        case ir::OpKind::kConcatenation:
        case ir::OpKind::kSlice:
        case ir::OpKind::kGather:
        case ir::OpKind::kPadding:
        case ir::OpKind::kResize:
        case ir::OpKind::kShape:
        case ir::OpKind::kFill:
        case ir::OpKind::kCumulative:
        case ir::OpKind::kScatter:
        case ir::OpKind::kTrilu:
        case ir::OpKind::kQuantize:
        case ir::OpKind::kDequantize:
        case ir::OpKind::kAttention:
        case ir::OpKind::kPointwise:  // already fused: growing it would re-encode its program
            return false;
    }
    return false;
}

/// An input of the fused node: a tensor, loaded with `shape` (a per-channel Scale coefficient reshaped to
/// [C, 1, ..., 1]; otherwise the tensor's own shape).
struct External {
    TensorId tensor;
    Dims shape;
    bool reshaped;
};

/// Compiles a group (node ids in topological order) into a program: operands are fetched on first use
/// (kLOAD, or kIMMEDIATE for one-element constants), registers are freed after their last read.
class ProgramBuilder {
public:
    ProgramBuilder(const Graph& g, const std::vector<NodeId>& members, bool immediates)
        : mG(g), mImmediates(immediates) {
        for (NodeId id : members) mIn.insert(id);
        for (NodeId id : members) {
            if (isAlias(g.node(id))) continue;
            for (const Operand& o : operandsOf(id)) ++mUses[o.tensor];
        }
        for (NodeId id : members) {
            if (!isAlias(g.node(id))) emit(id);
            if (mFailed) return;
        }
        const TensorId root = canonical(g.node(members.back()).outputs[0]);
        if (!mReg.count(root)) value({root, g.tensor(root).shape, false});  // the group only converts
        // The output is the last instruction's destination: it must be the root's value.
        mFailed = mFailed || instructionCount() == 0 || mWrittenAt[root] != instructionCount() - 1;
    }
    bool ok() const { return !mFailed; }
    const ir::PointwiseAttrs& attrs() const { return mAttrs; }
    const std::vector<External>& externals() const { return mExternals; }

private:
    struct Operand {
        TensorId tensor;
        Dims shape;
        bool reshaped;
    };

    TensorId canonical(TensorId t) const {
        for (NodeId p = mG.tensor(t).producer; p >= 0 && mIn.count(p) && isAlias(mG.node(p));
             p = mG.tensor(t).producer)
            t = mG.node(p).inputs[0];
        return t;
    }

    std::vector<Operand> operandsOf(NodeId id) const {
        const Node& n = mG.node(id);
        std::vector<Operand> ops;
        const Dims& outShape = mG.tensor(n.outputs[0]).shape;
        for (size_t k = 0; k < n.inputs.size(); ++k) {
            if (n.inputs[k] == kNoTensor) continue;
            const TensorId t = canonical(n.inputs[k]);
            Operand o{t, mG.tensor(t).shape, false};
            const auto* scale = std::get_if<ir::ScaleAttrs>(&n.attrs);
            if (scale && k > 0 && scale->mode == ScaleMode::kCHANNEL && volume(o.shape) != 1) {
                o.shape.nbDims = outShape.nbDims - scale->channelAxis;
                o.shape.d[0] = outShape.d[scale->channelAxis];
                for (int d = 1; d < o.shape.nbDims; ++d) o.shape.d[d] = 1;
                o.reshaped = true;
            }
            ops.push_back(o);
        }
        return ops;
    }

    int32_t allocate() {
        for (int32_t r = 0; r < ir::kPointwiseMaxRegisters; ++r)
            if (!mBusy[r]) {
                mBusy[r] = true;
                return r;
            }
        mFailed = true;
        return 0;
    }

    void add(PointwiseOpcode op, int32_t operation, int32_t dst, std::array<int32_t, 3> src = {-1, -1, -1},
             std::array<float, 2> imm = {0.0f, 0.0f}) {
        if (static_cast<int32_t>(mAttrs.code.size()) >= ir::kPointwiseMaxInstructions * ir::kPointwiseFields) {
            mFailed = true;
            return;
        }
        ir::appendInstruction(mAttrs, PointwiseInstruction{op, operation, dst, src, imm});
    }

    /// The register holding operand o, fetching it on first use.
    int32_t value(const Operand& o) {
        if (auto it = mReg.find(o.tensor); it != mReg.end()) return it->second;
        const int32_t r = allocate();
        const ir::Tensor& t = mG.tensor(o.tensor);
        if (isConstant(mG, o.tensor) && isFullyKnown(t.shape) && volume(t.shape) == 1 &&
            (mImmediates || t.shape.nbDims == 0)) {
            const auto& data = std::get<ir::ConstantAttrs>(mG.node(t.producer).attrs).data;
            const auto v = static_cast<float>(loadAsDouble(t.type, data->data(), 0));
            add(PointwiseOpcode::kIMMEDIATE, 0, r, {-1, -1, -1}, {v, 0.0f});
        } else {
            auto same = [&](const External& e) { return e.tensor == o.tensor && e.reshaped == o.reshaped; };
            auto it = std::find_if(mExternals.begin(), mExternals.end(), same);
            if (it == mExternals.end()) {
                if (static_cast<int32_t>(mExternals.size()) == ir::kPointwiseMaxInputs) mFailed = true;
                mExternals.push_back({o.tensor, o.shape, o.reshaped});
                it = mExternals.end() - 1;
            }
            add(PointwiseOpcode::kLOAD, static_cast<int32_t>(it - mExternals.begin()), r);
        }
        mReg[o.tensor] = r;
        mWrittenAt[o.tensor] = instructionCount() - 1;
        return r;
    }

    void release(const Operand& o) {
        if (--mUses[o.tensor] == 0) mBusy[mReg[o.tensor]] = false;
    }

    void emit(NodeId id) {
        const Node& n = mG.node(id);
        const std::vector<Operand> ops = operandsOf(id);
        std::vector<int32_t> regs;
        for (const Operand& o : ops) regs.push_back(value(o));
        int32_t dst = 0;
        if (n.kind() == ir::OpKind::kScale) {
            std::array<int32_t, 4> slot{-1, -1, -1, -1};  // x, shift, scale, power
            for (size_t k = 0, j = 0; k < n.inputs.size() && k < 4; ++k)
                if (n.inputs[k] != kNoTensor && j < regs.size()) slot[k] = regs[j++];
            // (x * scale + shift) ^ power, each step through dst: allocated before the coefficients'
            // registers are released, so no step overwrites a coefficient a later step reads.
            dst = allocate();
            int32_t v = slot[0];
            auto step = [&](ElementWiseOperation op, int32_t c) {
                if (c < 0) return;
                add(PointwiseOpcode::kBINARY, static_cast<int32_t>(op), dst, {v, c, -1});
                v = dst;
            };
            step(ElementWiseOperation::kPROD, slot[2]);
            step(ElementWiseOperation::kSUM, slot[1]);
            step(ElementWiseOperation::kPOW, slot[3]);
            for (const Operand& o : ops) release(o);
        } else {
            // One instruction reads its sources before writing: dst may take a source's register.
            for (const Operand& o : ops) release(o);
            dst = allocate();
            auto src = [&](size_t k) { return k < regs.size() ? regs[k] : -1; };
            if (const auto* u = std::get_if<ir::UnaryAttrs>(&n.attrs)) {
                add(PointwiseOpcode::kUNARY, static_cast<int32_t>(u->op), dst, {src(0), -1, -1});
            } else if (const auto* a = std::get_if<ir::ActivationAttrs>(&n.attrs)) {
                add(PointwiseOpcode::kACTIVATION, static_cast<int32_t>(a->type), dst, {src(0), -1, -1},
                    {a->alpha, a->beta});
            } else if (const auto* e = std::get_if<ir::ElementWiseAttrs>(&n.attrs)) {
                add(PointwiseOpcode::kBINARY, static_cast<int32_t>(e->op), dst, {src(0), src(1), -1});
            } else {
                add(PointwiseOpcode::kSELECT, 0, dst, {src(0), src(1), src(2)});
            }
        }
        const TensorId out = n.outputs[0];
        mReg[out] = dst;
        mWrittenAt[out] = instructionCount() - 1;
        if (mUses[out] == 0) mUses[out] = 1;  // the root (or a value only a Cast reads): never released
    }

    int32_t instructionCount() const { return static_cast<int32_t>(mAttrs.code.size()) / ir::kPointwiseFields; }

    const Graph& mG;
    bool mImmediates;
    std::set<NodeId> mIn;
    std::map<TensorId, int32_t> mUses;
    std::map<TensorId, int32_t> mReg;
    std::map<TensorId, int32_t> mWrittenAt;  ///< instruction that last wrote the value's register
    bool mBusy[ir::kPointwiseMaxRegisters] = {};
    std::vector<External> mExternals;
    ir::PointwiseAttrs mAttrs;
    bool mFailed{false};
};

/// A group's compiled program and inputs.
struct Fused {
    ir::PointwiseAttrs attrs;
    std::vector<External> externals;
};

/// Compiles `members` (topological order, root last) into a program whose inputs broadcast exactly to the
/// root's shape; one-element constants of a higher rank than the rest could lose a dim as immediates, so
/// a second try keeps those as inputs.
std::optional<Fused> compile(const Graph& g, const std::vector<NodeId>& members) {
    const ir::Tensor& root = g.tensor(g.node(members.back()).outputs[0]);
    for (bool immediates : {true, false}) {
        ProgramBuilder b(g, members, immediates);
        if (!b.ok()) return std::nullopt;
        Dims shape;
        shape.nbDims = 0;
        bool ok = true;
        for (const External& e : b.externals()) {
            StatusOr<Dims> s = ir::broadcastShapes(shape, e.shape);
            ok = ok && s.isOk();
            if (ok) shape = *s;
        }
        // The decoder is the contract every backend runs: never emit a program it would refuse.
        ok = ok && ir::decodePointwiseProgram(b.attrs(), static_cast<int32_t>(b.externals().size())).isOk();
        if (ok && shape == root.shape) return Fused{b.attrs(), b.externals()};
    }
    return std::nullopt;
}

/// A node name not taken by any tensor as "<name>_out" (the name addNode gives the node's output).
std::string freshNodeName(const Graph& g, const std::string& base) {
    for (int k = 0;; ++k) {
        const std::string name = base + (k ? "_" + std::to_string(k) : "");
        bool taken = false;
        for (const ir::Tensor& t : g.tensors()) taken = taken || t.name == name + "_out";
        if (!taken) return name;
    }
}

}  // namespace

StatusOr<bool> fusePointwise(ir::Graph& graph, const PassContext& ctx) {
    // GPU plans only: on the CPU the reference interpreter (an oracle, element by element) is slower than
    // the separate reference kernels it would replace (measured: ResNet-50's BatchNorm+ReLU pairs went from
    // about 15 to 105 ms per run), so CPU plans keep the unfused ops.
    if (!ctx.cudaTarget) return false;
    Graph& g = graph;
    const auto nbNodes = static_cast<NodeId>(g.nodes().size());
    std::vector<std::vector<NodeId>> consumers(g.tensors().size());
    for (NodeId i = 0; i < nbNodes; ++i)
        for (TensorId t : g.node(i).inputs)
            if (t != kNoTensor) consumers[static_cast<size_t>(t)].push_back(i);
    const std::vector<bool> shapeValues = ir::shapeValueTensors(g);
    std::vector<bool> fus(static_cast<size_t>(nbNodes)), assigned(static_cast<size_t>(nbNodes), false);
    for (NodeId i = 0; i < nbNodes; ++i) fus[static_cast<size_t>(i)] = fusible(g, g.node(i), shapeValues);

    std::vector<std::pair<std::vector<NodeId>, Fused>> groups;
    for (NodeId root = nbNodes - 1; root >= 0; --root) {
        if (assigned[static_cast<size_t>(root)] || !fus[static_cast<size_t>(root)]) continue;
        const ir::Tensor& rootOut = g.tensor(g.node(root).outputs[0]);
        if (!isComputeFloat(rootOut.type)) continue;
        std::vector<NodeId> members{root};
        std::set<NodeId> rejected;
        for (bool grew = true; grew;) {
            grew = false;
            for (size_t m = 0; m < members.size() && !grew; ++m) {
                for (TensorId t : g.node(members[m]).inputs) {
                    if (t == kNoTensor) continue;
                    const NodeId p = g.tensor(t).producer;
                    if (p < 0 || assigned[static_cast<size_t>(p)] || !fus[static_cast<size_t>(p)] ||
                        rejected.count(p) || std::find(members.begin(), members.end(), p) != members.end())
                        continue;
                    // A Cast costs nothing in registers: it may join at any shape, as its input is
                    // then read at the output's broadcast position like any other.
                    const bool sameShape = g.tensor(t).shape == rootOut.shape || isAlias(g.node(p));
                    if (g.tensor(t).isOutput || !sameShape) continue;
                    const auto& cs = consumers[static_cast<size_t>(t)];
                    if (!std::all_of(cs.begin(), cs.end(), [&](NodeId c) {
                            return std::find(members.begin(), members.end(), c) != members.end();
                        }))
                        continue;  // may join once its other consumers have
                    std::vector<NodeId> trial = members;
                    trial.push_back(p);
                    std::sort(trial.begin(), trial.end());
                    if (compile(g, trial)) {
                        members = std::move(trial);
                        grew = true;
                        break;
                    }
                    rejected.insert(p);  // past the interpreter's limits
                }
            }
        }
        if (members.size() < 2) continue;
        std::optional<Fused> fused = compile(g, members);
        if (!fused) continue;
        for (NodeId m : members) assigned[static_cast<size_t>(m)] = true;
        groups.emplace_back(std::move(members), std::move(*fused));
    }

    for (auto& [members, fused] : groups) {
        std::vector<TensorId> inputs;
        for (const External& e : fused.externals) {
            if (!e.reshaped) {
                inputs.push_back(e.tensor);
                continue;
            }
            // A per-channel coefficient: the same bytes as a [C, 1, ..., 1] constant.
            const ir::Tensor src = g.tensor(e.tensor);
            ir::ConstantAttrs c;
            c.data = std::get<ir::ConstantAttrs>(g.node(src.producer).attrs).data;
            const NodeId cn = g.addNode(freshNodeName(g, src.name + "_per_channel"), c, {}, 1);
            const TensorId ct = g.node(cn).outputs[0];
            g.tensor(ct).type = src.type;
            g.tensor(ct).shape = e.shape;
            inputs.push_back(ct);
        }
        const NodeId root = members.back();
        fused.attrs.outputType = g.tensor(g.node(root).outputs[0]).type;
        const NodeId pw = g.addNode(freshNodeName(g, g.node(root).name + "_pointwise"), fused.attrs, inputs, 1);
        // The fused node takes over the root's output tensor (its consumers and graph-output mark stay);
        // the group's nodes are left dead for the pipeline to remove.
        std::swap(g.node(pw).outputs[0], g.node(root).outputs[0]);
        g.tensor(g.node(pw).outputs[0]).producer = pw;
        g.tensor(g.node(root).outputs[0]).producer = root;
    }
    return !groups.empty();
}

}  // namespace kiln::passes
