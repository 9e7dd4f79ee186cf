// The device side of the Pointwise interpreter (ir/pointwise_program.h): the program as it travels in the
// kernel's parameters, and runProgram, which executes it on E elements per thread at once. The register
// file is R x E floats indexed only by constants: each register operand goes through a switch on its
// (warp-uniform) index whose cases name one register, so the file stays in hardware registers instead of
// the local-memory array a run-time index forces, and each instruction's dispatch (opcode, operation,
// registers) is paid once per E elements. Operations apply the functors of the unfused kernels
// (pointwise_functors.cuh); registers hold float32, as in the reference interpreter.
#pragma once

#include <cstdint>

#include "backends/cuda/kernels/pointwise/pointwise_functors.cuh"
#include "ir/pointwise_program.h"

namespace kiln::cuda::pw {

struct Instruction {
    uint8_t opcode;
    uint8_t operation;  ///< the input index for kLOAD
    uint8_t dst;
    uint8_t src[3];  ///< 0 where unused (never read)
    float imm[2];
};

__device__ __forceinline__ float flag(bool b) {
    return b ? 1.0f : 0.0f;
}

template <int E, class F>
__device__ __forceinline__ void map1(float (&v)[E], const float (&a)[E], F f) {
#pragma unroll
    for (int j = 0; j < E; ++j) v[j] = f(a[j]);
}

template <int E, class F>
__device__ __forceinline__ void map2(float (&v)[E], const float (&a)[E], const float (&b)[E], F f) {
#pragma unroll
    for (int j = 0; j < E; ++j) v[j] = f(a[j], b[j]);
}

template <int E>
__device__ __forceinline__ void copy(float (&to)[E], const float (&from)[E]) {
#pragma unroll
    for (int j = 0; j < E; ++j) to[j] = from[j];
}

/// to = r[idx] (Read) or r[idx] = from (!Read), idx below R and the same in every thread of the warp.
template <bool Read, int R, int E>
__device__ __forceinline__ void access(float (&r)[R][E], int idx, float (&v)[E]) {
#define KILN_PW_REGISTER(k)            \
    case k:                            \
        if constexpr (k < R) {         \
            if constexpr (Read)        \
                copy(v, r[k]);         \
            else                       \
                copy(r[k], v);         \
        }                              \
        break;
    switch (idx) {
        KILN_PW_REGISTER(0)
        KILN_PW_REGISTER(1)
        KILN_PW_REGISTER(2)
        KILN_PW_REGISTER(3)
        KILN_PW_REGISTER(4)
        KILN_PW_REGISTER(5)
        KILN_PW_REGISTER(6)
        KILN_PW_REGISTER(7)
        KILN_PW_REGISTER(8)
        KILN_PW_REGISTER(9)
        KILN_PW_REGISTER(10)
        KILN_PW_REGISTER(11)
        KILN_PW_REGISTER(12)
        KILN_PW_REGISTER(13)
        KILN_PW_REGISTER(14)
        KILN_PW_REGISTER(15)
        default:  // the host checked idx < R (registerFileFor)
            break;
    }
#undef KILN_PW_REGISTER
}
static_assert(ir::kPointwiseMaxRegisters <= 16, "access() names 16 registers");

template <int E>
__device__ __forceinline__ void unary(UnaryOperation op, float (&v)[E], const float (&a)[E]) {
    using Op = UnaryOperation;
    switch (op) {
        case Op::kEXP: return map1(v, a, fn::Exp{});
        case Op::kLOG: return map1(v, a, fn::Log{});
        case Op::kSQRT: return map1(v, a, fn::Sqrt{});
        case Op::kRECIP: return map1(v, a, fn::Recip{});
        case Op::kABS: return map1(v, a, fn::Abs{});
        case Op::kNEG: return map1(v, a, fn::Neg{});
        case Op::kSIN: return map1(v, a, fn::Sin{});
        case Op::kCOS: return map1(v, a, fn::Cos{});
        case Op::kTAN: return map1(v, a, fn::Tan{});
        case Op::kSINH: return map1(v, a, fn::Sinh{});
        case Op::kCOSH: return map1(v, a, fn::Cosh{});
        case Op::kASIN: return map1(v, a, fn::Asin{});
        case Op::kACOS: return map1(v, a, fn::Acos{});
        case Op::kATAN: return map1(v, a, fn::Atan{});
        case Op::kASINH: return map1(v, a, fn::Asinh{});
        case Op::kACOSH: return map1(v, a, fn::Acosh{});
        case Op::kATANH: return map1(v, a, fn::Atanh{});
        case Op::kCEIL: return map1(v, a, fn::Ceil{});
        case Op::kFLOOR: return map1(v, a, fn::Floor{});
        case Op::kERF: return map1(v, a, fn::Erf{});
        case Op::kNOT: return map1(v, a, [](float x) { return flag(x == 0.0f); });
        case Op::kSIGN: return map1(v, a, fn::Sign{});
        case Op::kROUND: return map1(v, a, fn::Round{});
        case Op::kISINF: return map1(v, a, [](float x) { return flag(fn::IsInf{}(x)); });
        case Op::kISNAN: return map1(v, a, [](float x) { return flag(fn::IsNan{}(x)); });
    }
}

template <int E>
__device__ __forceinline__ void activation(ActivationType type, float al, float be, float (&v)[E],
                                           const float (&a)[E]) {
    using A = ActivationType;
    switch (type) {
        case A::kRELU: return map1(v, a, fn::Relu{});
        case A::kSIGMOID: return map1(v, a, fn::Sigmoid{});
        case A::kTANH: return map1(v, a, fn::Tanh{});
        case A::kLEAKY_RELU: return map1(v, a, fn::LeakyRelu{al});
        case A::kELU: return map1(v, a, fn::Elu{al});
        case A::kSELU: return map1(v, a, fn::Selu{al, be});
        case A::kSOFTSIGN: return map1(v, a, fn::Softsign{});
        case A::kSOFTPLUS: return map1(v, a, fn::Softplus{al, be});
        case A::kCLIP: return map1(v, a, fn::Clip{al, be});
        case A::kHARD_SIGMOID: return map1(v, a, fn::HardSigmoid{al, be});
        case A::kSCALED_TANH: return map1(v, a, fn::ScaledTanh{al, be});
        case A::kTHRESHOLDED_RELU: return map1(v, a, fn::ThresholdedRelu{al});
        case A::kGELU_ERF: return map1(v, a, fn::GeluErf{});
        case A::kGELU_TANH: return map1(v, a, fn::GeluTanh{});
        case A::kSILU: return map1(v, a, fn::Silu{});
        case A::kHARD_SWISH: return map1(v, a, fn::HardSwish{});
    }
}

template <int E>
__device__ __forceinline__ void binary(ElementWiseOperation op, float (&v)[E], const float (&a)[E],
                                       const float (&b)[E]) {
    using Op = ElementWiseOperation;
    switch (op) {
        case Op::kSUM: return map2(v, a, b, fn::FSum{});
        case Op::kPROD: return map2(v, a, b, fn::FProd{});
        case Op::kSUB: return map2(v, a, b, fn::FSub{});
        case Op::kDIV: return map2(v, a, b, fn::FDiv{});
        case Op::kMAX: return map2(v, a, b, fn::FMax{});
        case Op::kMIN: return map2(v, a, b, fn::FMin{});
        case Op::kPOW: return map2(v, a, b, fn::FPow{});
        case Op::kEQUAL: return map2(v, a, b, [](float x, float y) { return flag(fn::FEqual{}(x, y)); });
        case Op::kGREATER: return map2(v, a, b, [](float x, float y) { return flag(fn::FGreater{}(x, y)); });
        case Op::kLESS: return map2(v, a, b, [](float x, float y) { return flag(fn::FLess{}(x, y)); });
        case Op::kAND: return map2(v, a, b, [](float x, float y) { return flag(x != 0.0f && y != 0.0f); });
        case Op::kOR: return map2(v, a, b, [](float x, float y) { return flag(x != 0.0f || y != 0.0f); });
        case Op::kXOR: return map2(v, a, b, [](float x, float y) { return flag((x != 0.0f) != (y != 0.0f)); });
        case Op::kFLOOR_DIV:  // not in a program (ir::isPointwiseBinaryOp)
        case Op::kMOD:
        case Op::kFMOD:
            break;
    }
}

/// Runs the program's `count` instructions on E elements; load(input, v) fills v with the E elements of
/// an input. out receives the last instruction's destination.
template <int R, int E, class Load>
__device__ __forceinline__ void runProgram(const Instruction* code, int count, const Load& load,
                                           float (&out)[E]) {
    float r[R][E];
    int last = 0;
    for (int k = 0; k < count; ++k) {
        const Instruction& ins = code[k];
        float a[E], b[E], c[E], v[E];
        switch (static_cast<ir::PointwiseOpcode>(ins.opcode)) {
            case ir::PointwiseOpcode::kLOAD:
                load(ins.operation, v);
                break;
            case ir::PointwiseOpcode::kIMMEDIATE:
#pragma unroll
                for (int j = 0; j < E; ++j) v[j] = ins.imm[0];
                break;
            case ir::PointwiseOpcode::kUNARY:
                access<true>(r, ins.src[0], a);
                unary(static_cast<UnaryOperation>(ins.operation), v, a);
                break;
            case ir::PointwiseOpcode::kACTIVATION:
                access<true>(r, ins.src[0], a);
                activation(static_cast<ActivationType>(ins.operation), ins.imm[0], ins.imm[1], v, a);
                break;
            case ir::PointwiseOpcode::kBINARY:
                access<true>(r, ins.src[0], a);
                access<true>(r, ins.src[1], b);
                binary(static_cast<ElementWiseOperation>(ins.operation), v, a, b);
                break;
            case ir::PointwiseOpcode::kSELECT:
                access<true>(r, ins.src[0], a);
                access<true>(r, ins.src[1], b);
                access<true>(r, ins.src[2], c);
#pragma unroll
                for (int j = 0; j < E; ++j) v[j] = a[j] != 0.0f ? b[j] : c[j];
                break;
        }
        access<false>(r, ins.dst, v);
        last = ins.dst;
    }
    access<true>(r, last, out);
}

}  // namespace kiln::cuda::pw
