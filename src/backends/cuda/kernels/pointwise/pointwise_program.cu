// CUDA kernel for Pointwise: the fused program (ir/pointwise_program.h) interpreted once per output
// element, one thread per element in a grid-stride loop. The program travels by value in the kernel's
// parameters (at most kPointwiseMaxInstructions instructions, kPointwiseMaxRegisters float32 registers), so
// every thread of a warp runs the same instruction: the switch never diverges. Inputs (float32, float16,
// bfloat16 or bool, each its own type) are read through one Indexer<8> at the element's numpy-broadcast
// position; operations apply the very functors the unfused kernels use (pointwise_functors.cuh); the
// result rounds once to the output's type. The loop counts in 32 bits when the element count allows.
#include "backends/cuda/kernel_context.h"
#include "backends/cuda/kernels/common/dtype.cuh"
#include "backends/cuda/kernels/common/indexing.cuh"
#include "backends/cuda/kernels/common/launch.cuh"
#include "backends/cuda/kernels/pointwise/pointwise_functors.cuh"
#include "ir/pointwise_program.h"

namespace kiln::cuda {
namespace {

constexpr const char* kName = "Pointwise kernel";
constexpr int kMaxInputs = ir::kPointwiseMaxInputs;

/// How an input's elements are stored.
enum class InputKind : uint8_t { kF32, kF16, kBF16, kBool };

struct Instruction {
    uint8_t opcode;
    uint8_t operation;  ///< the input index for kLOAD
    uint8_t dst;
    uint8_t src[3];  ///< 0 where unused (never read)
    float imm[2];
};

struct Program {
    Instruction ins[ir::kPointwiseMaxInstructions];
    const void* inputs[kMaxInputs];
    InputKind kinds[kMaxInputs];
    int32_t nbInstructions;
    Indexer<kMaxInputs> ix;
};

__device__ __forceinline__ float loadInput(const void* p, InputKind kind, int64_t off) {
    switch (kind) {
        case InputKind::kF32:
            return static_cast<const float*>(p)[off];
        case InputKind::kF16:
            return Elem<Half>::load(static_cast<const Half*>(p)[off]);
        case InputKind::kBF16:
            return Elem<Bf16>::load(static_cast<const Bf16*>(p)[off]);
        case InputKind::kBool:
            return static_cast<const uint8_t*>(p)[off] != 0 ? 1.0f : 0.0f;
    }
    return 0.0f;
}

__device__ __forceinline__ float flag(bool b) {
    return b ? 1.0f : 0.0f;
}

__device__ float unary(UnaryOperation op, float x) {
    using Op = UnaryOperation;
    switch (op) {
        case Op::kEXP:
            return fn::Exp{}(x);
        case Op::kLOG:
            return fn::Log{}(x);
        case Op::kSQRT:
            return fn::Sqrt{}(x);
        case Op::kRECIP:
            return fn::Recip{}(x);
        case Op::kABS:
            return fn::Abs{}(x);
        case Op::kNEG:
            return fn::Neg{}(x);
        case Op::kSIN:
            return fn::Sin{}(x);
        case Op::kCOS:
            return fn::Cos{}(x);
        case Op::kTAN:
            return fn::Tan{}(x);
        case Op::kSINH:
            return fn::Sinh{}(x);
        case Op::kCOSH:
            return fn::Cosh{}(x);
        case Op::kASIN:
            return fn::Asin{}(x);
        case Op::kACOS:
            return fn::Acos{}(x);
        case Op::kATAN:
            return fn::Atan{}(x);
        case Op::kASINH:
            return fn::Asinh{}(x);
        case Op::kACOSH:
            return fn::Acosh{}(x);
        case Op::kATANH:
            return fn::Atanh{}(x);
        case Op::kCEIL:
            return fn::Ceil{}(x);
        case Op::kFLOOR:
            return fn::Floor{}(x);
        case Op::kERF:
            return fn::Erf{}(x);
        case Op::kNOT:
            return flag(x == 0.0f);
        case Op::kSIGN:
            return fn::Sign{}(x);
        case Op::kROUND:
            return fn::Round{}(x);
        case Op::kISINF:
            return flag(fn::IsInf{}(x));
        case Op::kISNAN:
            return flag(fn::IsNan{}(x));
    }
    return NAN;  // unreachable: the host decoded the program
}

__device__ float activation(ActivationType type, float a, float b, float x) {
    using A = ActivationType;
    switch (type) {
        case A::kRELU:
            return fn::Relu{}(x);
        case A::kSIGMOID:
            return fn::Sigmoid{}(x);
        case A::kTANH:
            return fn::Tanh{}(x);
        case A::kLEAKY_RELU:
            return fn::LeakyRelu{a}(x);
        case A::kELU:
            return fn::Elu{a}(x);
        case A::kSELU:
            return fn::Selu{a, b}(x);
        case A::kSOFTSIGN:
            return fn::Softsign{}(x);
        case A::kSOFTPLUS:
            return fn::Softplus{a, b}(x);
        case A::kCLIP:
            return fn::Clip{a, b}(x);
        case A::kHARD_SIGMOID:
            return fn::HardSigmoid{a, b}(x);
        case A::kSCALED_TANH:
            return fn::ScaledTanh{a, b}(x);
        case A::kTHRESHOLDED_RELU:
            return fn::ThresholdedRelu{a}(x);
        case A::kGELU_ERF:
            return fn::GeluErf{}(x);
        case A::kGELU_TANH:
            return fn::GeluTanh{}(x);
        case A::kSILU:
            return fn::Silu{}(x);
        case A::kHARD_SWISH:
            return fn::HardSwish{}(x);
    }
    return NAN;
}

__device__ float binary(ElementWiseOperation op, float a, float b) {
    using Op = ElementWiseOperation;
    switch (op) {
        case Op::kSUM:
            return fn::FSum{}(a, b);
        case Op::kPROD:
            return fn::FProd{}(a, b);
        case Op::kSUB:
            return fn::FSub{}(a, b);
        case Op::kDIV:
            return fn::FDiv{}(a, b);
        case Op::kMAX:
            return fn::FMax{}(a, b);
        case Op::kMIN:
            return fn::FMin{}(a, b);
        case Op::kPOW:
            return fn::FPow{}(a, b);
        case Op::kEQUAL:
            return flag(fn::FEqual{}(a, b));
        case Op::kGREATER:
            return flag(fn::FGreater{}(a, b));
        case Op::kLESS:
            return flag(fn::FLess{}(a, b));
        case Op::kAND:
            return flag(a != 0.0f && b != 0.0f);
        case Op::kOR:
            return flag(a != 0.0f || b != 0.0f);
        case Op::kXOR:
            return flag((a != 0.0f) != (b != 0.0f));
        case Op::kFLOOR_DIV:  // not in a program (ir::isPointwiseBinaryOp)
        case Op::kMOD:
        case Op::kFMOD:
            break;
    }
    return NAN;
}

/// __grid_constant__: the threads read the program where the launch put it; indexing it at run time
/// must not make each thread copy it to local memory.
template <class Out, class Index>
__global__ void __launch_bounds__(kBlockSize)
    programKernel(const __grid_constant__ Program p, Out* __restrict__ y, Index n) {
    const Index step = static_cast<Index>(blockDim.x) * gridDim.x;
    for (Index i = static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
        int64_t off[kMaxInputs];
        p.ix.offsets(i, off);
        float r[ir::kPointwiseMaxRegisters];
        int dst = 0;
        for (int k = 0; k < p.nbInstructions; ++k) {
            const Instruction& ins = p.ins[k];
            float v = NAN;
            switch (static_cast<ir::PointwiseOpcode>(ins.opcode)) {
                case ir::PointwiseOpcode::kLOAD:
                    v = loadInput(p.inputs[ins.operation], p.kinds[ins.operation], off[ins.operation]);
                    break;
                case ir::PointwiseOpcode::kIMMEDIATE:
                    v = ins.imm[0];
                    break;
                case ir::PointwiseOpcode::kUNARY:
                    v = unary(static_cast<UnaryOperation>(ins.operation), r[ins.src[0]]);
                    break;
                case ir::PointwiseOpcode::kACTIVATION:
                    v = activation(static_cast<ActivationType>(ins.operation), ins.imm[0], ins.imm[1],
                                   r[ins.src[0]]);
                    break;
                case ir::PointwiseOpcode::kBINARY:
                    v = binary(static_cast<ElementWiseOperation>(ins.operation), r[ins.src[0]], r[ins.src[1]]);
                    break;
                case ir::PointwiseOpcode::kSELECT:
                    v = r[ins.src[0]] != 0.0f ? r[ins.src[1]] : r[ins.src[2]];
                    break;
            }
            r[ins.dst] = v;
            dst = ins.dst;
        }
        y[i] = Elem<Out>::store(r[dst]);
    }
}

template <class Out>
Status launch(const Program& p, void* y, int64_t n, cudaStream_t stream) {
    // 32-bit counting while i + the grid's step cannot pass INT32_MAX.
    if (n <= INT32_MAX - static_cast<int64_t>(kMaxBlocks) * kBlockSize)
        programKernel<Out, int32_t><<<gridFor(n), kBlockSize, 0, stream>>>(p, static_cast<Out*>(y),
                                                                            static_cast<int32_t>(n));
    else
        programKernel<Out, int64_t><<<gridFor(n), kBlockSize, 0, stream>>>(p, static_cast<Out*>(y), n);
    return launchStatus(kName);
}

}  // namespace

Status runPointwise(const ir::PointwiseAttrs& attrs, const KernelContext& ctx) {
    const auto nbInputs = static_cast<int32_t>(ctx.inputs.size());
    const TensorRef& out = ctx.outputs[0];
    if (nbInputs < 1 || nbInputs > kMaxInputs || out.type != attrs.outputType)
        return internalError(std::string(kName) + ": " + std::to_string(nbInputs) + " inputs and output type " +
                             dataTypeName(out.type) + " for a program writing " + dataTypeName(attrs.outputType) +
                             " (expected 1.." + std::to_string(kMaxInputs) + " inputs and the program's type)");
    KILN_ASSIGN_OR_RETURN(const std::vector<ir::PointwiseInstruction> program,
                          ir::decodePointwiseProgram(attrs, nbInputs));
    Program p{};
    p.nbInstructions = static_cast<int32_t>(program.size());
    for (size_t k = 0; k < program.size(); ++k) {
        const ir::PointwiseInstruction& s = program[k];
        Instruction& d = p.ins[k];
        d.opcode = static_cast<uint8_t>(s.opcode);
        d.operation = static_cast<uint8_t>(s.operation);  // decode checked: < 256, or an input index < 8
        d.dst = static_cast<uint8_t>(s.dst);
        for (size_t j = 0; j < 3; ++j) d.src[j] = static_cast<uint8_t>(s.src[j] < 0 ? 0 : s.src[j]);
        d.imm[0] = s.imm[0];
        d.imm[1] = s.imm[1];
    }
    std::array<Dims, kMaxInputs> shapes{};
    for (int32_t k = 0; k < kMaxInputs; ++k) {
        shapes[static_cast<size_t>(k)].nbDims = 0;  // unused slots: scalars, never loaded
        if (k >= nbInputs) continue;
        const TensorRef& x = ctx.inputs[static_cast<size_t>(k)];
        if (x.type == DataType::kFLOAT)
            p.kinds[k] = InputKind::kF32;
        else if (x.type == DataType::kHALF)
            p.kinds[k] = InputKind::kF16;
        else if (x.type == DataType::kBF16)
            p.kinds[k] = InputKind::kBF16;
        else if (x.type == DataType::kBOOL)
            p.kinds[k] = InputKind::kBool;
        else
            return internalError(std::string(kName) + ": input " + std::to_string(k) + " is " +
                                 dataTypeName(x.type) + ", expected float32, float16, bfloat16 or bool");
        p.inputs[k] = x.data;
        shapes[static_cast<size_t>(k)] = x.shape;
    }
    const int64_t n = out.numel();
    if (n == 0) return Status::ok();
    KILN_ASSIGN_OR_RETURN(p.ix, makeBroadcastIndexer<kMaxInputs>(out.shape, shapes, kName));
    if (out.type == DataType::kFLOAT) return launch<float>(p, out.data, n, ctx.stream);
    if (out.type == DataType::kHALF) return launch<Half>(p, out.data, n, ctx.stream);
    if (out.type == DataType::kBF16) return launch<Bf16>(p, out.data, n, ctx.stream);
    return internalError(std::string(kName) + ": output type " + dataTypeName(out.type) +
                         ", expected float32, float16 or bfloat16");
}

}  // namespace kiln::cuda
