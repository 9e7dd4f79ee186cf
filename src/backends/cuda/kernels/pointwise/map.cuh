// The pointwise launcher shared by ElementWise, Unary, Activation, Cast and Select: y[i] = f(x0[.], x1[.],
// ...) over any number of inputs of any storage types. f maps stored elements to a stored element;
// Computed<Out, F> adapts a functor written on compute types (float for the float formats, int64 for
// integers and bool), so the ops' formulas stay exactly as they were. planPointwise (pointwise_plan.h)
// picks one of two kernels on the host:
//   rowsKernel:    the output as [rows, cols], operands direct / scalar / row / column, 16-byte vector loads
//                  and stores (Vec), a row operand loaded once per thread and kept in registers across the
//                  rows it walks, no division; a single row ends in a scalar tail;
//   indexedKernel: numpy broadcasting through an Indexer, one element per step, 32-bit index arithmetic
//                  below 2^31 elements.
#pragma once

#include <cstdint>
#include <utility>

#include "backends/cuda/kernels/common/dtype.cuh"
#include "backends/cuda/kernels/common/indexing.cuh"
#include "backends/cuda/kernels/common/launch.cuh"
#include "backends/cuda/kernels/pointwise/pointwise_plan.h"

namespace kiln::cuda {

/// V elements of S moved by one load or store (16 bytes at most; the alignment makes it one instruction).
template <class S, int V>
struct alignas(sizeof(S) * V) Vec {
    S v[V];
};

template <class S, int V>
__device__ __forceinline__ Vec<S, V> splat(S s) {
    Vec<S, V> r;
#pragma unroll
    for (int j = 0; j < V; ++j) r.v[j] = s;
    return r;
}

/// One input of a launch: its device pointer and how the rows kernel walks it.
template <class S>
struct Operand {
    const S* p;
    OperandAccess access;

    /// The element at (row r, column col) of the output; rowStart = r * cols.
    __device__ __forceinline__ S one(int64_t rowStart, int64_t r, int64_t col) const {
        switch (access) {
            case OperandAccess::kDirect:
                return p[rowStart + col];
            case OperandAccess::kColumn:
                return p[r];
            case OperandAccess::kRow:
                return p[col];
            case OperandAccess::kScalar:
                break;
        }
        return p[0];
    }
};

/// An Operand as one thread of the rows kernel holds it: the vector of a scalar or row operand is loaded
/// once, since it is the same for every row the thread visits.
template <class S, int V>
struct RowOperand {
    Operand<S> x;
    Vec<S, V> fixed;

    __device__ __forceinline__ RowOperand(Operand<S> op, int64_t col) : x(op), fixed{} {
        if (op.access == OperandAccess::kScalar) fixed = splat<S, V>(op.p[0]);
        if (op.access == OperandAccess::kRow) fixed = *reinterpret_cast<const Vec<S, V>*>(op.p + col);
    }
    __device__ __forceinline__ Vec<S, V> at(int64_t rowStart, int64_t r, int64_t col) const {
        switch (x.access) {
            case OperandAccess::kDirect:
                return *reinterpret_cast<const Vec<S, V>*>(x.p + rowStart + col);
            case OperandAccess::kColumn:
                return splat<S, V>(x.p[r]);
            case OperandAccess::kScalar:
            case OperandAccess::kRow:
                break;
        }
        return fixed;
    }
};

template <class Out, int V, class F, class... S>
__device__ __forceinline__ Vec<Out, V> applyVec(const F& f, const Vec<S, V>&... v) {
    Vec<Out, V> o;
#pragma unroll
    for (int j = 0; j < V; ++j) o.v[j] = f(v.v[j]...);
    return o;
}

template <int V, class Out, class F, class... S>
__device__ __forceinline__ void rowLoop(int64_t r, int64_t rowStep, int64_t rows, int64_t cols, int64_t col,
                                        const F& f, Out* y, const RowOperand<S, V>&... x) {
    for (; r < rows; r += rowStep) {
        const int64_t rowStart = r * cols;
        *reinterpret_cast<Vec<Out, V>*>(y + rowStart + col) = applyVec<Out, V>(f, x.at(rowStart, r, col)...);
    }
}

/// Thread (x, y) handles vector x of rows y, y + gridDim.y * blockDim.y, ...; with a single row, thread x =
/// colVectors handles the scalar tail. Every walked pointer is aligned to its vector (planPointwise).
template <int V, class Out, class F, class... S>
__global__ void __launch_bounds__(kBlockSize)
    rowsKernel(int64_t rows, int64_t cols, int64_t colVectors, F f, Out* __restrict__ y, Operand<S>... x) {
    const int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    const int64_t r = static_cast<int64_t>(blockIdx.y) * blockDim.y + threadIdx.y;
    const int64_t rowStep = static_cast<int64_t>(gridDim.y) * blockDim.y;
    const int64_t col = c * V;
    if (c < colVectors) {
        rowLoop<V>(r, rowStep, rows, cols, col, f, y, RowOperand<S, V>(x, col)...);
    } else if (c == colVectors && r == 0) {
        for (int64_t e = col; e < cols; ++e) y[e] = f(x.one(0, 0, e)...);  // rows == 1 here
    }
}

template <class Out, class F, class I, class... S, size_t... K>
__device__ __forceinline__ Out applyAt(const F& f, const I (&off)[sizeof...(S)], std::index_sequence<K...>,
                                       const S*... x) {
    return f(x[off[K]]...);
}

template <class Out, class F, class... S>
__global__ void __launch_bounds__(kBlockSize) indexedKernel(int64_t n, bool index32, Indexer<sizeof...(S)> ix,
                                                            F f, Out* __restrict__ y, const S*... x) {
    constexpr int N = sizeof...(S);
    using Seq = std::make_index_sequence<N>;
    if (index32) {
        const uint32_t n32 = static_cast<uint32_t>(n);
        const uint32_t step = blockDim.x * gridDim.x;
        for (uint32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n32; i += step) {
            uint32_t off[N];
            ix.offsets32(i, off);
            y[i] = applyAt<Out>(f, off, Seq{}, x...);
        }
        return;
    }
    for (int64_t i = gridStart(); i < n; i += gridStep()) {
        int64_t off[N];
        ix.offsets(i, off);
        y[i] = applyAt<Out>(f, off, Seq{}, x...);
    }
}

/// Adapts f, written on compute types, to stored elements: loads each input into its compute type and
/// stores f's result (float, double or int64) into Out.
template <class Out, class F>
struct Computed {
    F f;
    template <class... S>
    __device__ __forceinline__ Out operator()(S... s) const {
        return Elem<Out>::store(f(Elem<S>::load(s)...));
    }
};

template <class Out, class... S>
constexpr int pointwiseVectorWidth() {
    int64_t bytes = sizeof(Out);
    ((bytes = sizeof(S) > static_cast<size_t>(bytes) ? static_cast<int64_t>(sizeof(S)) : bytes), ...);
    return vectorWidth(bytes);
}

template <class Out, class... S>
PointwisePlan<sizeof...(S)> planFor(const Indexer<sizeof...(S)>& ix, int64_t n, Out* y, const S*... x) {
    const PointwiseLayout<sizeof...(S)> layout{{reinterpret_cast<uintptr_t>(x)...},
                                               {static_cast<int64_t>(sizeof(S))...},
                                               reinterpret_cast<uintptr_t>(y),
                                               static_cast<int64_t>(sizeof(Out))};
    return planPointwise(ix, n, layout);
}

/// Enqueues the rows kernel for a plan that chose it (plan.vectorized).
template <class Out, class F, class... S>
Status launchRows(const PointwisePlan<sizeof...(S)>& plan, cudaStream_t stream, F f, const char* kernel,
                  Out* y, const S*... x) {
    constexpr int V = pointwiseVectorWidth<Out, S...>();
    if (!plan.vectorized || plan.vec != V)
        return internalError(std::string(kernel) + ": vector plan of width " + std::to_string(plan.vec) +
                             " for a kernel of width " + std::to_string(V));
    const RowsGrid g = rowsGrid(plan.rows, plan.cols, V, kBlockSize, kMaxBlocks);
    const dim3 grid(static_cast<unsigned>(g.gridX), static_cast<unsigned>(g.gridY));
    const dim3 block(static_cast<unsigned>(g.blockX), static_cast<unsigned>(g.blockY));
    [&]<size_t... K>(std::index_sequence<K...>) {
        rowsKernel<V, Out><<<grid, block, 0, stream>>>(plan.rows, plan.cols, g.colVectors, f, y,
                                                       Operand<S>{x, plan.access[K]}...);
    }
    (std::index_sequence_for<S...>{});
    return launchStatus(kernel);
}

/// Enqueues y = f(x...) over the n elements of the output, the inputs broadcast through ix (built for
/// these operands and this output); nothing when n is 0.
template <class Out, class F, class... S>
Status launchPointwise(const Indexer<sizeof...(S)>& ix, int64_t n, cudaStream_t stream, F f,
                       const char* kernel, Out* y, const S*... x) {
    if (n == 0) return Status::ok();
    const PointwisePlan<sizeof...(S)> plan = planFor(ix, n, y, x...);
    if (plan.vectorized) return launchRows(plan, stream, f, kernel, y, x...);
    indexedKernel<Out><<<gridFor(n), kBlockSize, 0, stream>>>(n, plan.index32, ix, f, y, x...);
    return launchStatus(kernel);
}

/// The Indexer of an operand laid out like the output.
inline Indexer<1> directIndexer() {
    Indexer<1> ix;
    ix.direct[0] = true;
    return ix;
}

/// Enqueues y = f(x) (f on compute types) over x's elements. The caller has checked that y has as many
/// elements (checkSameCount), which keeps string-building code out of the instantiations.
template <class In, class Out, class F>
Status launchMap(const TensorRef& x, const TensorRef& y, cudaStream_t stream, F f, const char* kernel) {
    return launchPointwise(directIndexer(), x.numel(), stream, Computed<Out, F>{f}, kernel,
                           static_cast<Out*>(y.data), static_cast<const In*>(x.data));
}

inline Status checkSameCount(const TensorRef& x, const TensorRef& y, const char* kernel) {
    if (x.numel() == y.numel()) return Status::ok();
    return internalError(std::string(kernel) + ": output " + toString(y.shape) + " differs from input " +
                         toString(x.shape));
}

}  // namespace kiln::cuda
