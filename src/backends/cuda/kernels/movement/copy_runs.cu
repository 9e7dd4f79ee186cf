// The movement fast paths planned in movement/copy_plan.h. runCopyKernel copies runs of contiguous bytes
// as words of up to 16 bytes: x over the words of a run, y over runs, so the only index arithmetic is one
// Indexer evaluation per run and thread (32-bit when everything fits); a Gather's index value is read once
// per run. tiledTransposeKernel moves 32 x 32 element tiles through shared memory, read along the source's
// innermost dim and written along the destination's, so both sides stay coalesced; the batch of tiles is
// one more Indexer. Bytes move as they are: every DataType.
#include "backends/cuda/kernels/common/launch.cuh"
#include "backends/cuda/kernels/movement/copy_runs.h"
#include "backends/cuda/kernels/pointwise/pointwise_plan.h"

namespace kiln::cuda {
namespace {

template <class W>
__global__ void __launch_bounds__(kBlockSize)
    runCopyKernel(const W* __restrict__ src, W* __restrict__ dst, int64_t rows, int64_t runWords,
                  Indexer<3> rowMap, bool index32, RunIndex index, int64_t indexStrideWords) {
    const int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (c >= runWords) return;
    const int64_t step = static_cast<int64_t>(gridDim.y) * blockDim.y;
    for (int64_t r = static_cast<int64_t>(blockIdx.y) * blockDim.y + threadIdx.y; r < rows; r += step) {
        int64_t off[3];
        if (index32) {
            uint32_t o[3];
            rowMap.offsets32(static_cast<uint32_t>(r), o);
            for (int k = 0; k < 3; ++k) off[k] = o[k];
        } else {
            rowMap.offsets(r, off);
        }
        int64_t from = off[0];
        if (index.values != nullptr) {
            int64_t v = index.idx64 ? static_cast<const int64_t*>(index.values)[off[2]]
                                    : static_cast<const int32_t*>(index.values)[off[2]];
            if (v < -index.extent || v >= index.extent) {
                dst[off[1] + c] = W{};
                continue;
            }
            if (v < 0) v += index.extent;
            from += v * indexStrideWords;
        }
        dst[off[1] + c] = src[from + c];
    }
}

constexpr int kTile = 32;
constexpr int kTileRows = kBlockSize / kTile;  // each thread moves kTile / kTileRows elements per tile

/// Block (x, y, z): tile column blockIdx.x along b, tile rows blockIdx.y + k * gridDim.y along a, batches
/// blockIdx.z + k * gridDim.z. The loops depend on the block alone, so every thread meets each barrier.
template <class W>
__global__ void __launch_bounds__(kBlockSize)
    tiledTransposeKernel(const W* __restrict__ src, W* __restrict__ dst, TiledTranspose t, int64_t tilesA,
                         bool index32) {
    __shared__ W tile[kTile][kTile + 1];  // +1: column reads hit distinct banks
    const int tx = static_cast<int>(threadIdx.x), ty = static_cast<int>(threadIdx.y);
    const int64_t b0 = static_cast<int64_t>(blockIdx.x) * kTile;
    for (int64_t z = blockIdx.z; z < t.batch; z += gridDim.z) {
        int64_t off[2];
        if (index32) {
            uint32_t o[2];
            t.batchMap.offsets32(static_cast<uint32_t>(z), o);
            off[0] = o[0];
            off[1] = o[1];
        } else {
            t.batchMap.offsets(z, off);
        }
        for (int64_t ta = blockIdx.y; ta < tilesA; ta += gridDim.y) {
            const int64_t a0 = ta * kTile;
#pragma unroll
            for (int k = 0; k < kTile; k += kTileRows) {
                const int64_t a = a0 + ty + k, b = b0 + tx;
                if (a < t.extentA && b < t.extentB) tile[ty + k][tx] = src[off[0] + a * t.srcStrideA + b];
            }
            __syncthreads();
#pragma unroll
            for (int k = 0; k < kTile; k += kTileRows) {
                const int64_t b = b0 + ty + k, a = a0 + tx;
                if (a < t.extentA && b < t.extentB) dst[off[1] + b * t.dstStrideB + a] = tile[tx][ty + k];
            }
            __syncthreads();
        }
    }
}

}  // namespace

Status launchRunCopy(const RunCopyPlan& plan, const void* src, void* dst, int64_t totalBytes,
                     const RunIndex& index, cudaStream_t stream, const char* kernel) {
    if (plan.rows == 0 || plan.runBytes == 0) return Status::ok();
    const auto* from = static_cast<const uint8_t*>(src) + plan.srcBaseBytes;
    if (plan.rows == 1 && index.values == nullptr) {  // row 0 sits at offset 0 on both sides
        KILN_CUDA_RETURN_IF_ERROR(
            cudaMemcpyAsync(dst, from, static_cast<size_t>(plan.runBytes), cudaMemcpyDeviceToDevice, stream));
        return Status::ok();
    }
    const int64_t word =
        runCopyWord(plan, reinterpret_cast<uintptr_t>(from), reinterpret_cast<uintptr_t>(dst));
    Indexer<3> rowMap = plan.rowMap;
    for (int d = 0; d < rowMap.rank; ++d) {
        rowMap.strides[0][d] /= word;
        rowMap.strides[1][d] /= word;
    }
    const int64_t runWords = plan.runBytes / word;
    // Word offsets stay below totalBytes / word; index positions below rows.
    const bool index32 = fitsIndex32(std::max(totalBytes / word, plan.rows));
    const RowsGrid g = rowsGrid(plan.rows, runWords, 1, kBlockSize, kMaxBlocks);
    const dim3 grid(static_cast<unsigned>(g.gridX), static_cast<unsigned>(g.gridY));
    const dim3 block(static_cast<unsigned>(g.blockX), static_cast<unsigned>(g.blockY));
    return withCopyWord(word, [&](auto tag) {
        using W = decltype(tag);
        runCopyKernel<W><<<grid, block, 0, stream>>>(reinterpret_cast<const W*>(from), static_cast<W*>(dst),
                                                     plan.rows, runWords, rowMap, index32, index,
                                                     plan.indexStrideBytes / word);
        return launchStatus(kernel);
    });
}

Status launchTiledTranspose(const TiledTranspose& t, const void* src, void* dst, int64_t elementBytes,
                            cudaStream_t stream, const char* kernel) {
    if (t.batch == 0 || t.extentA == 0 || t.extentB == 0) return Status::ok();
    const int64_t tilesA = (t.extentA + kTile - 1) / kTile;
    const int64_t tilesB = (t.extentB + kTile - 1) / kTile;
    if (tilesB > INT32_MAX)
        return internalError(std::string(kernel) + ": " + std::to_string(t.extentB) +
                             " elements along the source's innermost dim exceed the tiled transpose's grid");
    const bool index32 = fitsIndex32(t.batch * t.extentA * t.extentB);
    const dim3 grid(static_cast<unsigned>(tilesB), static_cast<unsigned>(std::min<int64_t>(tilesA, 65535)),
                    static_cast<unsigned>(std::min<int64_t>(t.batch, 65535)));
    const dim3 block(kTile, kTileRows);
    return withElementWord(elementBytes, [&](auto tag) {
        using W = decltype(tag);
        tiledTransposeKernel<W><<<grid, block, 0, stream>>>(static_cast<const W*>(src), static_cast<W*>(dst),
                                                            t, tilesA, index32);
        return launchStatus(kernel);
    });
}

}  // namespace kiln::cuda
