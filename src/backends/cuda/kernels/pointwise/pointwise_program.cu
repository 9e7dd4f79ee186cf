// CUDA kernels for Pointwise: the fused program (ir/pointwise_program.h) run by the interpreter of
// pointwise_interpreter.cuh on several elements per thread. The program travels by value in the kernel's
// parameters, so every thread of a warp runs the same instruction. planProgram (pointwise_program_plan.h)
// picks one of two kernels on the host:
//   rowsKernel:    the output as [rows, cols], each input walked along the row or one value per row, a
//                  row's start offsets from the outer dims once per row; E consecutive elements per thread,
//                  moved by 16-byte loads and stores where the addresses are aligned (checked per access:
//                  a misaligned view or a row's partial last chunk takes scalar accesses);
//   indexedKernel: numpy broadcasting through the Indexer for each element (rows too narrow to fill a
//                  thread, outputs of 2^31 elements or more), 32-bit index arithmetic below 2^31.
// Inputs are float32, float16, bfloat16 or bool, each its own type; the result rounds once to the output's
// type. The register file has 8 registers (8 elements per thread) or 16 (4 elements), after the program's
// highest register.
#include <algorithm>
#include <type_traits>

#include "backends/cuda/kernel_context.h"
#include "backends/cuda/kernels/common/dtype.cuh"
#include "backends/cuda/kernels/common/indexing.cuh"
#include "backends/cuda/kernels/common/launch.cuh"
#include "backends/cuda/kernels/pointwise/map.cuh"
#include "backends/cuda/kernels/pointwise/pointwise_interpreter.cuh"
#include "backends/cuda/kernels/pointwise/pointwise_program_plan.h"

namespace kiln::cuda {
namespace {

constexpr const char* kName = "Pointwise kernel";
constexpr int64_t kRowsBlocks = 1024;
constexpr int kMaxInputs = kProgramInputs;
static_assert(kProgramInputs == ir::kPointwiseMaxInputs, "the plan covers every input a program may load");

/// How an input's elements are stored.
enum class InputKind : uint8_t { kF32, kF16, kBF16, kBool };

struct Program {
    pw::Instruction ins[ir::kPointwiseMaxInstructions];
    const void* inputs[kMaxInputs];
    InputKind kinds[kMaxInputs];
    int32_t nbInstructions;
};

__device__ __forceinline__ float toFloat(float v) {
    return v;
}
__device__ __forceinline__ float toFloat(Half v) {
    return Elem<Half>::load(v);
}
__device__ __forceinline__ float toFloat(Bf16 v) {
    return Elem<Bf16>::load(v);
}
__device__ __forceinline__ float toFloat(Bool v) {
    return v.bits != 0 ? 1.0f : 0.0f;
}

/// Calls f(S{}) with S the storage type of an input kind (warp-uniform: no divergence).
template <class F>
__device__ __forceinline__ void withKind(InputKind kind, F&& f) {
    switch (kind) {
        case InputKind::kF32:
            return f(float{});
        case InputKind::kF16:
            return f(Half{});
        case InputKind::kBF16:
            return f(Bf16{});
        case InputKind::kBool:
            return f(Bool{});
    }
}

/// Elements of one 16-byte (or narrower, when E elements are fewer bytes) access.
template <class S, int E>
KILN_HD constexpr int pieceOf() {
    return E < static_cast<int>(16 / sizeof(S)) ? E : static_cast<int>(16 / sizeof(S));
}

template <class S, int E>
__device__ __forceinline__ bool vectorOk(const S* p, uint32_t count) {
    constexpr int P = pieceOf<S, E>();
    return count == static_cast<uint32_t>(E) && reinterpret_cast<uintptr_t>(p) % (P * sizeof(S)) == 0;
}

/// v = the `count` (<= E) elements at p, the rest repeating p[0] so that no lane reads past the row.
template <class S, int E>
__device__ __forceinline__ void loadRun(const S* p, uint32_t count, float (&v)[E]) {
    constexpr int P = pieceOf<S, E>();
    if (vectorOk<S, E>(p, count)) {
#pragma unroll
        for (int q = 0; q < E; q += P) {
            const Vec<S, P> w = *reinterpret_cast<const Vec<S, P>*>(p + q);
#pragma unroll
            for (int j = 0; j < P; ++j) v[q + j] = toFloat(w.v[j]);
        }
        return;
    }
#pragma unroll
    for (int j = 0; j < E; ++j) v[j] = toFloat(p[static_cast<uint32_t>(j) < count ? j : 0]);
}

template <class Out, int E>
__device__ __forceinline__ void storeRun(Out* p, uint32_t count, const float (&v)[E]) {
    constexpr int P = pieceOf<Out, E>();
    if (vectorOk<Out, E>(p, count)) {
#pragma unroll
        for (int q = 0; q < E; q += P) {
            Vec<Out, P> w;
#pragma unroll
            for (int j = 0; j < P; ++j) w.v[j] = Elem<Out>::store(v[q + j]);
            *reinterpret_cast<Vec<Out, P>*>(p + q) = w;
        }
        return;
    }
#pragma unroll
    for (int j = 0; j < E; ++j)
        if (static_cast<uint32_t>(j) < count) p[j] = Elem<Out>::store(v[j]);
}

/// Calls f(integral_constant<K>) for K = input (warp-uniform), so per-input registers are named by constants.
template <class F>
__device__ __forceinline__ void withInput(int input, F&& f) {
    switch (input) {
        case 0: return f(std::integral_constant<int, 0>{});
        case 1: return f(std::integral_constant<int, 1>{});
        case 2: return f(std::integral_constant<int, 2>{});
        case 3: return f(std::integral_constant<int, 3>{});
        case 4: return f(std::integral_constant<int, 4>{});
        case 5: return f(std::integral_constant<int, 5>{});
        case 6: return f(std::integral_constant<int, 6>{});
        case 7: return f(std::integral_constant<int, 7>{});
        default:  // decodePointwiseProgram checked input < the node's inputs <= 8
            break;
    }
}
static_assert(kMaxInputs == 8, "withInput names 8 inputs");

/// One thread's chunk of the rows kernel: `count` elements from column col of a row whose start offset
/// in input k is rowOff[k].
template <int E>
struct RowChunk {
    const Program& p;
    const ProgramPlan& plan;
    uint32_t rowOff[kMaxInputs];
    uint32_t col;
    uint32_t count;

    __device__ __forceinline__ void operator()(int input, float (&v)[E]) const {
        withInput(input, [&](auto k) {
            constexpr int K = decltype(k)::value;
            withKind(p.kinds[K], [&](auto s) {
                using S = decltype(s);
                const S* base = static_cast<const S*>(p.inputs[K]) + rowOff[K];
                if (plan.walked & (1u << K)) {
                    loadRun<S, E>(base + col, count, v);
                } else {
                    const float x = toFloat(*base);
#pragma unroll
                    for (int j = 0; j < E; ++j) v[j] = x;
                }
            });
        });
    }
};

/// Asks L1 to fetch the line holding the walked inputs' elements of the chunk at column col of a row
/// starting at rowOff: the interpreter's loads wait for their data one after the other, so the next row's
/// are requested while this row computes.
__device__ __forceinline__ void prefetchRow(const Program& p, uint32_t walked, const uint32_t (&rowOff)[kMaxInputs],
                                            uint32_t col) {
#pragma unroll
    for (int k = 0; k < kMaxInputs; ++k) {
        if (!(walked & (1u << k))) continue;
        static constexpr int kBytes[] = {4, 2, 2, 1};  // InputKind order
        const auto* at = static_cast<const char*>(p.inputs[k]) +
                         static_cast<size_t>(rowOff[k] + col) * kBytes[static_cast<int>(p.kinds[k])];
        asm volatile("prefetch.global.L1 [%0];" ::"l"(at));
    }
}

/// __grid_constant__: the threads read the program and the plan where the launch put them; indexing them
/// at run time must not make each thread copy them to local memory. Thread (x, y) runs chunk x of rows
/// y, y + gridDim.y * blockDim.y, ... (rowsGrid).
template <class Out, int R, int E>
__global__ void __launch_bounds__(kBlockSize)
    rowsKernel(const __grid_constant__ Program p, const __grid_constant__ ProgramPlan plan, Out* __restrict__ y) {
    const uint32_t chunk = blockIdx.x * blockDim.x + threadIdx.x;
    if (chunk >= plan.chunksPerRow) return;
    RowChunk<E> at{p, plan, {}, chunk * E, plan.cols - chunk * E < E ? plan.cols - chunk * E : uint32_t{E}};
    const uint32_t step = gridDim.y * blockDim.y;
    uint32_t r = blockIdx.y * blockDim.y + threadIdx.y;
    if (r < plan.nbRows) rowOffsets(plan, r, at.rowOff);
    for (; r < plan.nbRows; r += step) {
        uint32_t next[kMaxInputs];
        const bool more = r + step < plan.nbRows;  // r + step < 2^31 + 2^31: no wrap
        if (more) {
            rowOffsets(plan, r + step, next);
            prefetchRow(p, plan.walked, next, at.col);
        }
        float out[E];
        pw::runProgram<R, E>(p.ins, p.nbInstructions, at, out);
        storeRun<Out, E>(y + static_cast<size_t>(r) * plan.cols + at.col, at.count, out);
        if (more) {
#pragma unroll
            for (int k = 0; k < kMaxInputs; ++k) at.rowOff[k] = next[k];
        }
    }
}

/// Offset of input K at flat output index i.
template <int K, class Index>
__device__ __forceinline__ Index offsetOf(const Indexer<kMaxInputs>& ix, Index i) {
    if (!ix.general) return ix.direct[K] ? i : Index{0};
    Index off = 0;
    for (int d = ix.rank - 1; d >= 0; --d) {
        const auto extent = static_cast<Index>(ix.dims[d]);
        const Index q = i / extent;
        off += (i - q * extent) * static_cast<Index>(ix.strides[K][d]);
        i = q;
    }
    return off;
}

/// The elements of one thread of the indexed kernel: i0, i0 + stride, ..., E of them, those at n or past
/// it repeating index 0 (loaded, never stored).
template <int E, class Index>
struct IndexedChunk {
    const Program& p;
    const Indexer<kMaxInputs>& ix;
    Index i[E];

    __device__ __forceinline__ void operator()(int input, float (&v)[E]) const {
        withInput(input, [&](auto k) {
            constexpr int K = decltype(k)::value;
            withKind(p.kinds[K], [&](auto s) {
                using S = decltype(s);
                const S* base = static_cast<const S*>(p.inputs[K]);
#pragma unroll
                for (int j = 0; j < E; ++j) v[j] = toFloat(base[offsetOf<K>(ix, i[j])]);
            });
        });
    }
};

template <class Out, class Index>
__global__ void __launch_bounds__(kBlockSize)
    indexedKernel(const __grid_constant__ Program p, const __grid_constant__ Indexer<kMaxInputs> ix,
                  Out* __restrict__ y, Index n) {
    constexpr int R = kLargeRegisterFile;
    constexpr int E = elementsPerThread(R);
    // A block covers blockDim.x * E consecutive elements, thread t the elements t, t + blockDim.x, ...: each
    // load and store of the warp touches consecutive addresses.
    const Index span = static_cast<Index>(blockDim.x) * E;
    for (Index start = static_cast<Index>(blockIdx.x) * span; start < n; start += span * gridDim.x) {
        IndexedChunk<E, Index> at{p, ix, {}};
#pragma unroll
        for (int j = 0; j < E; ++j) {
            const Index e = start + threadIdx.x + static_cast<Index>(j) * blockDim.x;
            at.i[j] = e < n ? e : Index{0};
        }
        float out[E];
        pw::runProgram<R, E>(p.ins, p.nbInstructions, at, out);
#pragma unroll
        for (int j = 0; j < E; ++j) {
            const Index e = start + threadIdx.x + static_cast<Index>(j) * blockDim.x;
            if (e < n) y[e] = Elem<Out>::store(out[j]);
        }
    }
}

template <class Out>
Status launch(const Program& p, const Indexer<kMaxInputs>& ix, const ProgramPlan& plan, void* y, int64_t n,
              cudaStream_t stream) {
    Out* out = static_cast<Out*>(y);
    if (plan.rows) {
        // A few rows per thread (kRowsBlocks fills an H100 several times over at the rows kernel's
        // occupancy), so that prefetchRow overlaps a row's loads with the previous row's arithmetic.
        const RowsGrid g = rowsGrid(plan.nbRows, plan.cols, plan.elems, kBlockSize, kRowsBlocks);
        const dim3 grid(static_cast<unsigned>(g.gridX), static_cast<unsigned>(g.gridY));
        const dim3 block(static_cast<unsigned>(g.blockX), static_cast<unsigned>(g.blockY));
        if (plan.registers == kSmallRegisterFile)
            rowsKernel<Out, kSmallRegisterFile, elementsPerThread(kSmallRegisterFile)>
                <<<grid, block, 0, stream>>>(p, plan, out);
        else
            rowsKernel<Out, kLargeRegisterFile, elementsPerThread(kLargeRegisterFile)>
                <<<grid, block, 0, stream>>>(p, plan, out);
        return launchStatus(kName);
    }
    const int64_t threads = (n + elementsPerThread(kLargeRegisterFile) - 1) / elementsPerThread(kLargeRegisterFile);
    // 32-bit counting while start + the grid's span cannot pass UINT32_MAX.
    if (n <= INT32_MAX)
        indexedKernel<Out, uint32_t><<<gridFor(threads), kBlockSize, 0, stream>>>(p, ix, out, static_cast<uint32_t>(n));
    else
        indexedKernel<Out, int64_t><<<gridFor(threads), kBlockSize, 0, stream>>>(p, ix, out, n);
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
    int maxRegister = 0;
    for (size_t k = 0; k < program.size(); ++k) {
        const ir::PointwiseInstruction& s = program[k];
        pw::Instruction& d = p.ins[k];
        d.opcode = static_cast<uint8_t>(s.opcode);
        d.operation = static_cast<uint8_t>(s.operation);  // decode checked: < 256, or an input index < 8
        d.dst = static_cast<uint8_t>(s.dst);
        maxRegister = std::max(maxRegister, s.dst);  // every source was some instruction's destination
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
    KILN_ASSIGN_OR_RETURN(const Indexer<kMaxInputs> ix, makeBroadcastIndexer<kMaxInputs>(out.shape, shapes, kName));
    const ProgramPlan plan = planProgram(ix, n, maxRegister);
    if (out.type == DataType::kFLOAT) return launch<float>(p, ix, plan, out.data, n, ctx.stream);
    if (out.type == DataType::kHALF) return launch<Half>(p, ix, plan, out.data, n, ctx.stream);
    if (out.type == DataType::kBF16) return launch<Bf16>(p, ix, plan, out.data, n, ctx.stream);
    return internalError(std::string(kName) + ": output type " + dataTypeName(out.type) +
                         ", expected float32, float16 or bfloat16");
}

}  // namespace kiln::cuda
