// Scatter (kELEMENT = ONNX ScatterElements, kND = ONNX ScatterND) with the reference's "last update
// wins" order. Parallel variant: pass 1 has every update (tuple) atomicMax its number + 1 into its
// target's workspace slot, pass 2 lets only the recorded winner write, so the result does not depend on
// scheduling. Ordered variant (no workspace): one block walks the updates in chunks, in index order;
// within a chunk an update writes only if no later update of the chunk has the same target, and chunks
// are separated by barriers. Elements move as 1/2/4/8-byte words; negative indices wrap once.
#include "backends/cuda/kernels/common/reduce_utils.cuh"
#include "backends/cuda/kernels/scatter/scatter_launch.h"

namespace kiln::cuda::rk {
namespace {

constexpr int kThreads = 256;
constexpr int kOrderedThreads = 1024;

/// Element offset in data of unit u, and its target slot; false when an index is out of range.
__device__ __forceinline__ bool targetOf(const ScatterGeometry& g, const void* indices, ValueType indexType,
                                         int64_t u, int64_t* offset, int64_t* slot) {
    int64_t off = 0;
    if (g.mode == ScatterMode::kELEMENT) {
        int64_t rest = u;
        for (int32_t d = g.rank - 1; d >= 0; --d) {
            int64_t c = rest % g.indexDims[d];
            rest /= g.indexDims[d];
            if (d == g.axis) {
                c = loadInt(indexType, indices, u);
                const int64_t n = g.dataDims[d];
                if (c < -n || c >= n) return false;
                if (c < 0) c += n;
            }
            off += c * g.dataStrides[d];
        }
        *offset = off;
        *slot = off;
        return true;
    }
    for (int64_t j = 0; j < g.tupleLength; ++j) {
        int64_t c = loadInt(indexType, indices, u * g.tupleLength + j);
        const int64_t n = g.dataDims[j];
        if (c < -n || c >= n) return false;
        if (c < 0) c += n;
        off += c * g.dataStrides[j];
    }
    *offset = off;
    *slot = off / g.slice;
    return true;
}

__global__ void recordWinners(ScatterGeometry g, const void* indices, ValueType indexType,
                              unsigned long long* winners) {
    for (int64_t u = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; u < g.nbUnits;
         u += static_cast<int64_t>(gridDim.x) * blockDim.x) {
        int64_t offset, slot;
        if (targetOf(g, indices, indexType, u, &offset, &slot))
            atomicMax(winners + slot, static_cast<unsigned long long>(u + 1));
    }
}

template <typename W>
__global__ void writeWinners(ScatterGeometry g, const void* indices, ValueType indexType,
                             const W* __restrict__ updates, W* __restrict__ out,
                             const unsigned long long* __restrict__ winners) {
    const int64_t total = g.nbUnits * g.slice;
    for (int64_t q = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; q < total;
         q += static_cast<int64_t>(gridDim.x) * blockDim.x) {
        const int64_t u = q / g.slice, e = q - u * g.slice;
        int64_t offset, slot;
        if (targetOf(g, indices, indexType, u, &offset, &slot) &&
            winners[slot] == static_cast<unsigned long long>(u + 1))
            out[offset + e] = updates[q];
    }
}

template <typename W>
__global__ void __launch_bounds__(kOrderedThreads)
    scatterOrdered(ScatterGeometry g, const void* indices, ValueType indexType, const W* __restrict__ updates,
                   W* __restrict__ out) {
    __shared__ int64_t slots[kOrderedThreads];
    if (g.mode == ScatterMode::kND) {
        // One tuple at a time; its slice is copied by the whole block, and the barrier orders tuples.
        for (int64_t u = 0; u < g.nbUnits; ++u) {
            int64_t offset, slot;
            if (targetOf(g, indices, indexType, u, &offset, &slot))
                for (int64_t e = threadIdx.x; e < g.slice; e += blockDim.x)
                    out[offset + e] = updates[u * g.slice + e];
            __syncthreads();
        }
        return;
    }
    for (int64_t chunk = 0; chunk < g.nbUnits; chunk += blockDim.x) {
        const int64_t u = chunk + threadIdx.x;
        int64_t offset = 0, slot = -1;
        if (u < g.nbUnits && !targetOf(g, indices, indexType, u, &offset, &slot)) slot = -1;
        slots[threadIdx.x] = slot;
        __syncthreads();
        bool last = slot >= 0;
        for (unsigned j = threadIdx.x + 1; last && j < blockDim.x; ++j) last = slots[j] != slot;
        if (last) out[offset] = updates[u];
        __syncthreads();  // this chunk's writes land before the next chunk's, and slots is rewritten
    }
}

template <typename W>
cudaError_t launchWords(const ScatterGeometry& g, const void* indices, ValueType indexType,
                        const void* updates, void* out, void* workspace, int64_t workspaceSize,
                        cudaStream_t stream) {
    const W* upd = static_cast<const W*>(updates);
    W* dst = static_cast<W*>(out);
    if (workspace && workspaceSize >= scatterWorkspaceBytes(g)) {
        auto* winners = static_cast<unsigned long long*>(workspace);
        cudaError_t err = cudaMemsetAsync(winners, 0, static_cast<size_t>(scatterWorkspaceBytes(g)), stream);
        if (err != cudaSuccess) return err;
        recordWinners<<<gridFor(g.nbUnits, kThreads), kThreads, 0, stream>>>(g, indices, indexType, winners);
        writeWinners<W><<<gridFor(g.nbUnits * g.slice, kThreads), kThreads, 0, stream>>>(
            g, indices, indexType, upd, dst, winners);
    } else {
        scatterOrdered<W><<<1, kOrderedThreads, 0, stream>>>(g, indices, indexType, upd, dst);
    }
    return cudaGetLastError();
}

}  // namespace

cudaError_t launchScatter(int64_t elementSize, const ScatterGeometry& g, const void* indices,
                          ValueType indexType, const void* updates, void* out, void* workspace,
                          int64_t workspaceSize, cudaStream_t stream) {
    if (g.nbUnits <= 0 || g.slice <= 0) return cudaSuccess;
    switch (elementSize) {
        case 1:
            return launchWords<uint8_t>(g, indices, indexType, updates, out, workspace, workspaceSize,
                                        stream);
        case 2:
            return launchWords<uint16_t>(g, indices, indexType, updates, out, workspace, workspaceSize,
                                         stream);
        case 4:
            return launchWords<uint32_t>(g, indices, indexType, updates, out, workspace, workspaceSize,
                                         stream);
        case 8:
            return launchWords<uint64_t>(g, indices, indexType, updates, out, workspace, workspaceSize,
                                         stream);
        default:
            break;
    }
    return cudaErrorInvalidValue;
}

}  // namespace kiln::cuda::rk
