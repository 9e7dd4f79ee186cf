// GPU tests of Attention with STRIDED operands (q, k, v as views of one packed projection in one device
// buffer, the way fuse-attention feeds ViT's and GPT-2's QKV) against the reference kernel on the same
// rounded inputs: the flash kernel (tactic attention_flash_mma) and the rows kernel (tactic attention_rows)
// each forced, on ViT's sequence-first [S, B, 3E] and GPT-2's [B * S, 3E] with a causal mask, float16 and
// bfloat16, head dims 64 and 128, sequence lengths 1, 65 and 197 (single row, tail tile, ViT's length);
// then the fallbacks: an offset that puts k's rows off 16 bytes, a head dim scattered with stride 2 and
// float32 take the rows kernel (and forcing the flash tactic there is an error naming why), each case
// first asserting the host choice. Skipped, never passed, without a CUDA device.
#include <gtest/gtest.h>

#if defined(KILN_HAS_CUDA)

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "backends/cuda/kernels/attention/attention_args.h"
#include "gpu/reduce_family_util.h"
#include "ir/attention_layout.h"

namespace kiln::testing {
namespace {

class CudaAttentionStridedTest : public CudaReduceFamilyTest {};

enum class Packing { kSequenceFirst, kBatchFirstFlat };

struct Case {
    DataType type;
    Packing packing;
    int64_t b, h, s, d;
    bool causal{false};
    int64_t kShift{0};   ///< extra elements added to k's offset (0: k starts at E)
    int64_t dStride{1};  ///< head-dim stride of every view (1: contiguous)
    bool flash{true};    ///< the host choice expected by default
};

std::string describe(const Case& c) {
    return std::string(dataTypeName(c.type)) +
           (c.packing == Packing::kSequenceFirst ? " [S,B,3E]" : " [B*S,3E]") + " B=" + std::to_string(c.b) +
           " H=" + std::to_string(c.h) + " S=" + std::to_string(c.s) + " D=" + std::to_string(c.d) +
           (c.causal ? " causal" : "") + " k shift " + std::to_string(c.kShift) + " D stride " +
           std::to_string(c.dStride);
}

/// Same error budget as cuda_attention_test.cc: the flash kernel rounds P to the input type before P V.
double tolerance(DataType t, double want) {
    if (t == DataType::kHALF) return 2e-3 + 1e-3 * std::fabs(want);
    if (t == DataType::kBF16) return 1.6e-2 + 8e-3 * std::fabs(want);
    return 2e-6 + 1e-5 * std::fabs(want);
}

struct Problem {
    ir::AttentionAttrs attrs;
    HostTensor packed;
    HostTensor mask;  ///< absent unless causal
};

Problem makeProblem(const Case& c, uint64_t seed) {
    const int64_t e = c.h * c.d * c.dStride;  // a third of the packed rows
    Problem p;
    p.packed = HostTensor::random(
        c.type,
        c.packing == Packing::kSequenceFirst ? makeDims({c.s, c.b, 3 * e}) : makeDims({c.b * c.s, 3 * e}),
        seed, -1.0, 1.0);
    // Element (b, h, s, d) of part i: sequence-first rows are (s, b), batch-first rows (b, s).
    const int64_t sb = c.packing == Packing::kSequenceFirst ? 3 * e : c.s * 3 * e;
    const int64_t ss = c.packing == Packing::kSequenceFirst ? c.b * 3 * e : 3 * e;
    auto view = [&](int64_t offset) {
        return std::vector<int64_t>{offset, c.b, c.h, c.s, c.d, sb, c.d * c.dStride, ss, c.dStride};
    };
    ir::AttentionAttrs& a = p.attrs;
    a.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(c.d)));
    a.qLayout = a.kLayout = a.vLayout = ir::AttentionLayout::kSTRIDED;
    a.qView = view(0);
    a.kView = view(e + c.kShift);
    a.vView = view(2 * e);
    a.outLayout = ir::AttentionLayout::kBSHD;
    p.mask = HostTensor::absent();
    if (c.causal) {
        p.mask = HostTensor(c.type, makeDims({1, 1, c.s, c.s}));
        for (int64_t i = 0; i < c.s; ++i)
            for (int64_t j = 0; j < c.s; ++j) p.mask.set(i * c.s + j, j > i ? -INFINITY : 0.0);
    }
    return p;
}

/// Runs the CUDA kernel with q, k, v all pointing at one device copy of the packed tensor.
StatusOr<HostTensor> runPacked(const Problem& p, const HostTensor& outLike, int64_t tactic,
                               cudaStream_t stream, bool* flashChosen) {
    DeviceBuffer packed(p.packed.bytes.size()), out(outLike.bytes.size());
    std::unique_ptr<DeviceBuffer> mask;
    if (!packed.ptr || !out.ptr) return allocationFailed("test: cudaMalloc failed");
    if (cudaMemcpy(packed.ptr, p.packed.data(), p.packed.bytes.size(), cudaMemcpyHostToDevice) != cudaSuccess)
        return executionFailed("test: upload failed");
    cudaMemset(out.ptr, 0xff, outLike.bytes.size());
    const TensorRef src{p.packed.type, p.packed.shape, packed.ptr};
    std::vector<TensorRef> in = {src, src, src};
    if (p.mask.present()) {
        mask = std::make_unique<DeviceBuffer>(p.mask.bytes.size());
        if (cudaMemcpy(mask->ptr, p.mask.data(), p.mask.bytes.size(), cudaMemcpyHostToDevice) != cudaSuccess)
            return executionFailed("test: mask upload failed");
        in.push_back(TensorRef{p.mask.type, p.mask.shape, mask->ptr});
    }
    const std::vector<TensorRef> outs = {TensorRef{outLike.type, outLike.shape, out.ptr}};
    KILN_ASSIGN_OR_RETURN(const cuda::attn::AttentionArgs args,
                          cuda::attn::attentionArgs(p.attrs, in, outs[0]));
    *flashChosen = cuda::attn::attentionPaths(args).flash;
    cuda::KernelContext ctx;
    ctx.inputs = in;
    ctx.outputs = outs;
    ctx.stream = stream;
    ctx.tactic = tactic;
    KILN_RETURN_IF_ERROR(cuda::runAttention(p.attrs, ctx));
    const cudaError_t err = cudaStreamSynchronize(stream);
    if (err != cudaSuccess)
        return executionFailed(std::string("test: kernel failed: ") + cudaGetErrorString(err));
    HostTensor h(outLike.type, outLike.shape);
    if (cudaMemcpy(h.data(), out.ptr, h.bytes.size(), cudaMemcpyDeviceToHost) != cudaSuccess)
        return executionFailed("test: download failed");
    return h;
}

void checkStrided(cudaStream_t stream, const Case& c, uint64_t seed) {
    const Problem p = makeProblem(c, seed);
    std::vector<HostTensor> inputs = {p.packed, p.packed, p.packed};
    if (p.mask.present()) inputs.push_back(p.mask);
    auto want = runSingleOp(p.attrs, inputs);
    ASSERT_TRUE(want.isOk()) << describe(c) << ": " << want.status().message();
    const HostTensor& w = want.value()[0];
    // The default choice, then each tactic that applies (the flash one only where the host choice allows it).
    for (int64_t tactic : {int64_t{-1}, int64_t{0}, int64_t{1}}) {
        if (tactic == 0 && !c.flash) continue;
        const std::string what = describe(c) + " tactic " + std::to_string(tactic);
        bool flash = false;
        auto got = runPacked(p, w, tactic, stream, &flash);
        ASSERT_TRUE(got.isOk()) << what << ": " << got.status().message();
        EXPECT_EQ(flash, c.flash) << what << ": the host choice";
        expectNear(
            got.value(), w, [&](int64_t i) { return tolerance(c.type, w.at(i)); }, what);
    }
}

TEST_F(CudaAttentionStridedTest, PackedProjectionsOnBothKernels) {
    uint64_t seed = 100;
    for (DataType t : {DataType::kHALF, DataType::kBF16})
        for (int64_t d : {64, 128})
            for (int64_t s : {1, 65, 197}) {
                checkStrided(stream, {t, Packing::kSequenceFirst, 2, 3, s, d}, seed += 4);
                Case gpt2{t, Packing::kBatchFirstFlat, 2, 3, s, d};
                gpt2.causal = true;
                checkStrided(stream, gpt2, seed += 4);
            }
}

TEST_F(CudaAttentionStridedTest, UnalignedOffsetsScatteredHeadDimsAndFloat32TakeTheRowsKernel) {
    uint64_t seed = 500;
    for (DataType t : {DataType::kHALF, DataType::kBF16}) {
        Case shifted{t, Packing::kSequenceFirst, 2, 3, 65, 64};
        shifted.kShift = 1;  // k's rows start one element past 16 bytes
        shifted.flash = false;
        checkStrided(stream, shifted, seed += 4);
        Case scattered{t, Packing::kBatchFirstFlat, 2, 3, 65, 64};
        scattered.dStride = 2;
        scattered.flash = false;
        checkStrided(stream, scattered, seed += 4);
    }
    Case f32{DataType::kFLOAT, Packing::kSequenceFirst, 2, 3, 65, 64};
    f32.flash = false;
    checkStrided(stream, f32, seed += 4);

    // Forcing the flash tactic where it cannot run is an error naming the reason.
    Case shifted{DataType::kHALF, Packing::kSequenceFirst, 2, 3, 65, 64};
    shifted.kShift = 1;
    const Problem p = makeProblem(shifted, seed + 4);
    const HostTensor outLike(DataType::kHALF, makeDims({2, 65, 3, 64}));
    bool flash = true;
    auto r = runPacked(p, outLike, 0, stream, &flash);
    ASSERT_FALSE(r.isOk());
    EXPECT_NE(r.status().message().find("attention_flash_mma cannot run"), std::string::npos)
        << r.status().message();
    EXPECT_NE(r.status().message().find("16-byte aligned rows"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace kiln::testing

#else

TEST(CudaAttentionStrided, NotCompiled) {
    GTEST_SKIP() << "Kiln was built without CUDA";
}

#endif  // KILN_HAS_CUDA
