// How the Pointwise kernel (pointwise_program.cu) walks a launch, decided on the host from the merged
// broadcast Indexer and the program's register count. The rows kernel views the output as [rows, cols],
// cols being the innermost merged dim: there every input either steps by one element (walked: a direct
// operand, a bias row) or holds one value per row (a scalar, a per-row value), and a row's start offset in
// each input comes from the outer dims (a leading broadcast such as a [B,1,1,S] mask against [B,H,S,S] is
// one division per row, no per-element index math). Each thread runs the program once per instruction on
// `elems` consecutive elements of a row, with 16-byte loads and stores where the addresses allow (the
// kernel checks them per access, so misaligned views take scalar accesses, never a fault). Rows too
// narrow for whole chunks, and outputs of 2^31 elements or more, take the indexed kernel (Indexer per
// element, 32-bit below 2^31). Plain C++ over indexing.cuh: tests/unit/cuda_pointwise_plan_test.cc checks
// these choices without a GPU.
#pragma once

#include <cstdint>

#include "backends/cuda/kernels/common/indexing.cuh"

namespace kiln::cuda {

/// Inputs a Pointwise launch takes (ir::kPointwiseMaxInputs; the kernel checks they agree).
constexpr int kProgramInputs = 8;

/// Register-file sizes the kernels are built for, and the elements each thread carries with each: the
/// file lives in R x E float registers, so fewer registers leave room for more elements per thread.
constexpr int kSmallRegisterFile = 8;
constexpr int kLargeRegisterFile = 16;
KILN_HD constexpr int elementsPerThread(int /*registerFile*/) {
    return 4;  // 8 with the small file used ~168 registers: one block per SM (latency-bound)
}

/// Row length of a flat launch split into rows (a multiple of every elements-per-thread).
constexpr uint32_t kFlatRow = 2048;

struct ProgramPlan {
    bool rows{false};      ///< the rows kernel; otherwise the indexed kernel
    int registers{kLargeRegisterFile};
    int elems{4};          ///< elements per thread
    uint32_t nbRows{1};
    uint32_t cols{1};
    uint32_t chunksPerRow{1};  ///< ceil(cols / elems): a row's last chunk may be partial
    uint32_t walked{0};        ///< bit k: input k steps by one element along a row
    int outerRank{0};          ///< dims before the innermost one (their product is nbRows)
    uint32_t outerDims[kMaxRank]{};
    uint32_t outerStrides[kProgramInputs][kMaxRank]{};
};

/// The register file for a program whose highest register is `maxRegister` (kSmallRegisterFile when it
/// fits, which doubles the elements per thread).
KILN_HD constexpr int registerFileFor(int maxRegister) {
    return maxRegister < kSmallRegisterFile ? kSmallRegisterFile : kLargeRegisterFile;
}

/// Plans a launch of n output elements, ix being the numpy-broadcast Indexer of the inputs.
inline ProgramPlan planProgram(const Indexer<kProgramInputs>& ix, int64_t n, int maxRegister) {
    ProgramPlan p;
    p.registers = registerFileFor(maxRegister);
    p.elems = elementsPerThread(p.registers);
    if (n <= 0 || !fitsIndex32(n)) return p;
    if (ix.rank > 0) {
        // makeIndexer merged the dims: the innermost stride of every input is 1 (it has that extent) or 0.
        const int inner = ix.rank - 1;
        for (int k = 0; k < kProgramInputs; ++k) {
            const int64_t s = ix.strides[k][inner];
            if (s != 0 && s != 1) return p;
            if (s == 1) p.walked |= 1u << k;
        }
        p.cols = static_cast<uint32_t>(ix.dims[inner]);
        p.outerRank = inner;
        for (int d = 0; d < inner; ++d) {
            p.outerDims[d] = static_cast<uint32_t>(ix.dims[d]);
            p.nbRows *= p.outerDims[d];
            for (int k = 0; k < kProgramInputs; ++k)
                p.outerStrides[k][d] = static_cast<uint32_t>(ix.strides[k][d]);
        }
    }
    // One long row (same-shape and scalar operands only) becomes rows of kFlatRow elements, so that the
    // rows kernel's threads walk several rows and prefetch each next one.
    if (p.nbRows == 1 && p.cols % kFlatRow == 0 && p.cols > kFlatRow) {
        p.nbRows = p.cols / kFlatRow;
        p.cols = kFlatRow;
        p.outerRank = 1;
        p.outerDims[0] = p.nbRows;
        for (int k = 0; k < kProgramInputs; ++k) p.outerStrides[k][0] = (p.walked >> k) & 1u ? kFlatRow : 0;
    }
    const auto e = static_cast<uint32_t>(p.elems);
    p.chunksPerRow = (p.cols + e - 1) / e;
    // A partial chunk per row idles part of its thread: fine once rows hold several chunks (>= 80% busy).
    p.rows = p.nbRows == 1 || p.cols % e == 0 || p.cols >= 4 * e;
    return p;
}

/// Row r's start offset in each input: its coordinates in the outer dims times the input's strides (the
/// outermost coordinate needs no division). The rows kernel calls this once per row it visits.
KILN_HD inline void rowOffsets(const ProgramPlan& p, uint32_t r, uint32_t (&off)[kProgramInputs]) {
    for (int k = 0; k < kProgramInputs; ++k) off[k] = 0;
    uint32_t q = r;
    for (int d = p.outerRank - 1; d >= 0; --d) {
        uint32_t c = q;
        if (d > 0) {
            q = c / p.outerDims[d];
            c -= q * p.outerDims[d];
        }
        for (int k = 0; k < kProgramInputs; ++k) off[k] += c * p.outerStrides[k][d];
    }
}

}  // namespace kiln::cuda
