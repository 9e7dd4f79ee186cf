// Where each lane of attention_flash.cu reads and writes, for its mma.sync m16n8k16 fragments: the Q A
// fragments, the K B fragments, the score accumulators (which row and key each holds, for the mask and
// the bounds), how the score accumulators are packed into the A fragments of P x V, the row addresses a
// lane hands ldmatrix.x4.trans for V's B fragments, and the output accumulators. Plain __host__ __device__
// functions, so tests/unit/cuda_attention_plan_test.cc replays a warp's products on the CPU with the PTX
// ISA's fragment layouts and checks that these choices compute Q K^T and P V.
#pragma once

#include "backends/cuda/kernels/common/portable.cuh"

namespace kiln::cuda::attn {

/// A position in a tile: row and column (for K and V tiles: key and head-dim column).
struct TileIndex {
    int row;
    int col;
};

/// Q A fragment register r (0..3) of head-dim step kd: the first of the two adjacent elements it holds,
/// row within the warp's 16 query rows and head-dim column.
KILN_HD inline TileIndex qFragment(int lane, int kd, int r) {
    return {lane / 4 + (r & 1) * 8, kd * 16 + 2 * (lane % 4) + (r >> 1) * 8};
}

/// K B fragment register j (0, 1) of key tile n (8 keys) and head-dim step kd: key within the K tile and
/// the first of the two adjacent head-dim columns.
KILN_HD inline TileIndex kFragment(int lane, int n, int kd, int j) {
    return {n * 8 + lane / 4, kd * 16 + 2 * (lane % 4) + 8 * j};
}

/// Score accumulator element e (0..3) of key tile n: query row within the warp and key within the tile.
/// The output accumulators use the same map with head-dim tiles for key tiles.
KILN_HD inline TileIndex accumulatorElement(int lane, int n, int e) {
    return {lane / 4 + (e >> 1) * 8, n * 8 + 2 * (lane % 4) + (e & 1)};
}

/// P x V, 16-key step j: A fragment register r packs score tile pTile(j, r), elements pFirst(r) and
/// pFirst(r) + 1 (low half first).
KILN_HD inline int pTile(int j, int r) {
    return 2 * j + (r >> 1);
}
KILN_HD inline int pFirst(int r) {
    return (r & 1) * 2;
}

/// The V tile row and column whose address the lane hands ldmatrix.x4.trans for 16-key step j and
/// head-dim columns n * 16 .. n * 16 + 15: matrices 0 / 1 are keys +0..7 / +8..15 of the first 8 columns
/// (B fragment registers 0 and 1 of head-dim tile 2n), matrices 2 / 3 the same of the next 8 (tile 2n + 1).
KILN_HD inline TileIndex vRowAddress(int lane, int j, int n) {
    return {j * 16 + (lane & 7) + ((lane >> 3) & 1) * 8, n * 16 + (lane >> 4) * 8};
}

}  // namespace kiln::cuda::attn
