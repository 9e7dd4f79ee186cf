// MatrixMultiply on the GPU through cuBLASLt, with the optional bias/activation epilogue
// (matmul_cublaslt.h). The mapping of Kiln's row-major, broadcasting batched matmul onto column-major
// cuBLASLt calls is matmul_cublaslt_plan.h; this file sets up the descriptors, tells the heuristic the
// alignment the calls really have, and issues the calls. The bias (one value per output column N)
// becomes cuBLASLt's per-row bias of the column-major D; the addend is cuBLASLt's C (beta = 1), laid out
// like D, so D = act(A B + C + bias).
//
// Algorithm: the heuristic's first choice, or with a tuned plan (KernelContext::tactic) the algorithm of
// that rank, which the autotuner timed among the first few (KernelContext::candidates lists them).
// Descriptors and the heuristic query are host-only and made per launch.
#include "backends/cuda/kernels/matmul/matmul_cublaslt.h"

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "backends/cuda/cuda_status.h"
#include "backends/cuda/kernels/matmul/matmul_cublaslt_plan.h"
#include "backends/cuda/library_handles.h"
#include "backends/reference/matmul_geometry.h"
#include "common/storage_types.h"

namespace kiln::cuda {

namespace {
/// How many of cuBLASLt's ranked algorithms the autotuner times per MatrixMultiply.
constexpr int kTunedCandidates = 8;
}  // namespace
namespace {

using reference::matmul_detail::Geometry;

constexpr uint32_t kMaxAlignment = 256;  ///< what cuBLASLt assumes unless told less

/// Owns one cuBLASLt descriptor object; destruction errors are ignored (nothing to report to).
template <typename T, cublasStatus_t (*kDestroy)(T)>
class LtObject {
public:
    LtObject() = default;
    ~LtObject() {
        if (mObj) kDestroy(mObj);
    }
    LtObject(const LtObject&) = delete;
    LtObject& operator=(const LtObject&) = delete;
    T* out() { return &mObj; }
    T get() const { return mObj; }

private:
    T mObj{nullptr};
};
using MatmulDesc = LtObject<cublasLtMatmulDesc_t, cublasLtMatmulDescDestroy>;
using LayoutDesc = LtObject<cublasLtMatrixLayout_t, cublasLtMatrixLayoutDestroy>;
using Preference = LtObject<cublasLtMatmulPreference_t, cublasLtMatmulPreferenceDestroy>;

StatusOr<cudaDataType_t> cudaTypeOf(DataType t) {
    switch (t) {
        KILN_STORAGE_ONLY_TYPE_CASES:  // refused before any kernel (common/storage_types.h)
            break;
        case DataType::kFLOAT:
            return CUDA_R_32F;
        case DataType::kHALF:
            return CUDA_R_16F;
        case DataType::kBF16:
            return CUDA_R_16BF;
        case DataType::kINT32:
        case DataType::kINT64:
        case DataType::kINT8:
        case DataType::kUINT8:
        case DataType::kBOOL:
        case DataType::kFP8:
            break;
    }
    return unsupported(
        std::string("MatrixMultiply on CUDA: cuBLASLt tactic takes float32, float16 or bfloat16, got ") +
        dataTypeName(t) + "; run this layer on the cpu target or cast its inputs to a float type");
}

/// Largest power of two, up to 256, that divides v (0 is divisible by everything).
uint32_t alignmentOf(uint64_t v) {
    uint32_t a = 1;
    while (a < kMaxAlignment && v % (uint64_t{a} * 2) == 0) a *= 2;
    return a;
}

/// Alignment (bytes) of every matrix an operand's calls start at: each call's pointer and, when a call
/// covers several batches, the batch stride. `offsetOf` picks the operand's offset from a call.
template <typename OffsetOf>
uint32_t operandAlignment(const void* base, const LtPlan& plan, const LtMatrix& mat, int64_t elemSize,
                          OffsetOf offsetOf) {
    uint32_t a = kMaxAlignment;
    for (const LtCall& call : plan.calls) {
        a = std::min(a, alignmentOf(reinterpret_cast<uintptr_t>(base) +
                                    static_cast<uint64_t>(offsetOf(call) * elemSize)));
        if (call.batchCount > 1 && mat.batchStride != 0)
            a = std::min(a, alignmentOf(static_cast<uint64_t>(mat.batchStride * elemSize)));
    }
    return a;
}

cublasLtEpilogue_t epilogueOf(bool bias, EpilogueActivation act) {
    switch (act) {
        case EpilogueActivation::kNONE:
            return bias ? CUBLASLT_EPILOGUE_BIAS : CUBLASLT_EPILOGUE_DEFAULT;
        case EpilogueActivation::kRELU:
            return bias ? CUBLASLT_EPILOGUE_RELU_BIAS : CUBLASLT_EPILOGUE_RELU;
        case EpilogueActivation::kGELU_TANH:
            return bias ? CUBLASLT_EPILOGUE_GELU_BIAS : CUBLASLT_EPILOGUE_GELU;
    }
    return CUBLASLT_EPILOGUE_DEFAULT;
}

template <typename V>
Status setLayout(cublasLtMatrixLayout_t layout, cublasLtMatrixLayoutAttribute_t attr, V value) {
    return cublasStatus(cublasLtMatrixLayoutSetAttribute(layout, attr, &value, sizeof(value)),
                        "cublasLtMatrixLayoutSetAttribute");
}
template <typename V>
Status setDesc(cublasLtMatmulDesc_t desc, cublasLtMatmulDescAttributes_t attr, V value) {
    return cublasStatus(cublasLtMatmulDescSetAttribute(desc, attr, &value, sizeof(value)),
                        "cublasLtMatmulDescSetAttribute");
}
template <typename V>
Status setPref(cublasLtMatmulPreference_t pref, cublasLtMatmulPreferenceAttributes_t attr, V value) {
    return cublasStatus(cublasLtMatmulPreferenceSetAttribute(pref, attr, &value, sizeof(value)),
                        "cublasLtMatmulPreferenceSetAttribute");
}

std::string describe(const TensorRef& a, const TensorRef& b, const TensorRef& c, const Geometry& g) {
    std::ostringstream os;
    os << dataTypeName(c.type) << " " << toString(a.shape) << " x " << toString(b.shape) << " -> "
       << toString(c.shape) << " (M " << g.m << ", N " << g.n << ", K " << g.k << ", " << g.nbBatches
       << " batches)";
    return os.str();
}

}  // namespace

Status matmulBiasAct(const ir::MatrixMultiplyAttrs& attrs, const TensorRef& a, const TensorRef& b,
                     const TensorRef* bias, const TensorRef* addend, EpilogueActivation activation,
                     const TensorRef& c, const KernelContext& ctx) {
    KILN_ASSIGN_OR_RETURN(Geometry g,
                          reference::matmul_detail::makeGeometry(attrs, a.shape, b.shape, c.shape));
    if (a.type != c.type || b.type != c.type)
        return unsupported(
            std::string("MatrixMultiply on CUDA: inputs and output must share one type, got ") +
            dataTypeName(a.type) + " x " + dataTypeName(b.type) + " -> " + dataTypeName(c.type) +
            "; insert a Cast so both inputs have the output's type");
    KILN_ASSIGN_OR_RETURN(cudaDataType_t type, cudaTypeOf(c.type));
    if (bias) {
        KILN_CHECK_ARG(bias->type == c.type && bias->numel() == g.n,
                       "MatrixMultiply bias epilogue: bias must hold N = "
                           << g.n << " values of " << dataTypeName(c.type) << " (one per output column), got "
                           << dataTypeName(bias->type) << " " << toString(bias->shape));
    }
    if (addend) {
        KILN_CHECK_ARG(addend->type == c.type && addend->shape == c.shape,
                       "MatrixMultiply addend epilogue: the addend must be " << dataTypeName(c.type) << " "
                           << toString(c.shape) << " (the output's type and shape), got "
                           << dataTypeName(addend->type) << " " << toString(addend->shape));
    }
    if (g.nbBatches == 0 || g.m == 0 || g.n == 0) return Status::ok();  // empty output
    const int64_t es = dataTypeSize(c.type);
    if (g.k == 0 && !bias && !addend && activation == EpilogueActivation::kNONE) {
        // An empty sum is 0, and cuBLASLt rejects K = 0 layouts: fill instead of multiplying.
        KILN_CUDA_RETURN_IF_ERROR(
            cudaMemsetAsync(c.data, 0, static_cast<size_t>(c.numel() * es), ctx.stream));
        return Status::ok();
    }
    if (g.k == 0)  // the builder does not fuse an epilogue into an empty GEMM
        return unsupported("MatrixMultiply epilogue on CUDA: K = 0 (" + describe(a, b, c, g) +
                           ") leaves only the epilogue; run MatrixMultiply and the bias/activation unfused");
    if (!ctx.libraries)
        return invalidState("MatrixMultiply on CUDA needs the context's cuBLASLt handle, got none (" +
                            describe(a, b, c, g) + "); create the KernelContext with LibraryHandles");

    const LtPlan plan = planCublasLt(g);
    auto layout = [&](LayoutDesc& d, const LtMatrix& mat) -> Status {
        KILN_CUBLAS_RETURN_IF_ERROR(cublasLtMatrixLayoutCreate(d.out(), type, static_cast<uint64_t>(mat.rows),
                                                               static_cast<uint64_t>(mat.cols), mat.ld));
        return setLayout(d.get(), CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, mat.batchStride);
    };
    LayoutDesc ltA, ltB, ltD;
    KILN_RETURN_IF_ERROR(layout(ltA, plan.first));
    KILN_RETURN_IF_ERROR(layout(ltB, plan.second));
    KILN_RETURN_IF_ERROR(layout(ltD, plan.out));

    // float32 compute for every type: exact float32 for float32 unless the plan allows TF32 (BuilderFlag::
    // kTF32: CUBLAS_COMPUTE_32F_FAST_TF32, tensor cores with 10-bit mantissa products), float32
    // accumulation for float16/bfloat16.
    const cublasComputeType_t compute =
        c.type == DataType::kFLOAT && ctx.allowTf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
    MatmulDesc desc;
    KILN_CUBLAS_RETURN_IF_ERROR(cublasLtMatmulDescCreate(desc.out(), compute, CUDA_R_32F));
    KILN_RETURN_IF_ERROR(setDesc(desc.get(), CUBLASLT_MATMUL_DESC_TRANSA,
                                 static_cast<int32_t>(plan.first.transposed ? CUBLAS_OP_T : CUBLAS_OP_N)));
    KILN_RETURN_IF_ERROR(setDesc(desc.get(), CUBLASLT_MATMUL_DESC_TRANSB,
                                 static_cast<int32_t>(plan.second.transposed ? CUBLAS_OP_T : CUBLAS_OP_N)));
    KILN_RETURN_IF_ERROR(setDesc(desc.get(), CUBLASLT_MATMUL_DESC_EPILOGUE,
                                 static_cast<uint32_t>(epilogueOf(bias != nullptr, activation))));
    if (bias) {
        KILN_RETURN_IF_ERROR(
            setDesc(desc.get(), CUBLASLT_MATMUL_DESC_BIAS_POINTER, static_cast<const void*>(bias->data)));
        KILN_RETURN_IF_ERROR(
            setDesc(desc.get(), CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, static_cast<int32_t>(type)));
        KILN_RETURN_IF_ERROR(setDesc(desc.get(), CUBLASLT_MATMUL_DESC_BIAS_BATCH_STRIDE, int64_t{0}));
    }

    // Scratch: cuBLASLt wants it 256-byte aligned; the heuristic only offers algorithms that fit.
    uintptr_t ws = reinterpret_cast<uintptr_t>(ctx.workspace);
    uint64_t wsSize = 0;
    if (ctx.workspace && ctx.workspaceSize > 0) {
        const uintptr_t aligned = (ws + kMaxAlignment - 1) / kMaxAlignment * kMaxAlignment;
        wsSize = static_cast<uint64_t>(
            std::max<int64_t>(0, ctx.workspaceSize - static_cast<int64_t>(aligned - ws)));
        ws = aligned;
    }
    Preference pref;
    KILN_CUBLAS_RETURN_IF_ERROR(cublasLtMatmulPreferenceCreate(pref.out()));
    KILN_RETURN_IF_ERROR(setPref(pref.get(), CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, wsSize));
    // Split-K partial sums must add up in float32: the INPLACE and OUTPUT_TYPE reduction schemes round them
    // to the output type (measured on an H100: a float16 candidate 2-4 ulp off the float32-accumulated sum).
    KILN_RETURN_IF_ERROR(setPref(pref.get(), CUBLASLT_MATMUL_PREF_REDUCTION_SCHEME_MASK,
                                 static_cast<uint32_t>(CUBLASLT_REDUCTION_SCHEME_COMPUTE_TYPE)));
    // Batch offsets, broadcast loops and sub-tensor views need not keep 256-byte alignment: tell the
    // heuristic the alignment every call actually has, so it never picks a vectorized kernel that would
    // read misaligned. Each call starts at the base plus a combination of the batch strides.
    KILN_RETURN_IF_ERROR(setPref(
        pref.get(), CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES,
        operandAlignment(b.data, plan, plan.first, es, [](const LtCall& call) { return call.bOffset; })));
    KILN_RETURN_IF_ERROR(setPref(
        pref.get(), CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES,
        operandAlignment(a.data, plan, plan.second, es, [](const LtCall& call) { return call.aOffset; })));
    const auto cOffsetOf = [](const LtCall& call) { return call.cOffset; };
    const uint32_t alignD = operandAlignment(c.data, plan, plan.out, es, cOffsetOf);
    // C is the addend when there is one (same layout and offsets as D), else D itself.
    const uint32_t alignC = addend ? operandAlignment(addend->data, plan, plan.out, es, cOffsetOf) : alignD;
    KILN_RETURN_IF_ERROR(setPref(pref.get(), CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, alignC));
    KILN_RETURN_IF_ERROR(setPref(pref.get(), CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, alignD));

    const float alpha = 1.0f, beta = addend ? 1.0f : 0.0f;
    // Algorithm: the builder's tuned choice is an index into the heuristic's ranking (stable for a library
    // version and these descriptors); the autotuner's query lists that ranking; without either, the first.
    const int wanted = ctx.candidates ? kTunedCandidates : ctx.tactic >= 0 ? static_cast<int>(ctx.tactic) + 1 : 1;
    std::vector<cublasLtMatmulHeuristicResult_t> ranked(static_cast<size_t>(std::max(wanted, 1)));
    cublasLtMatmulHeuristicResult_t algo{};
    int32_t algoBatch = -1;  // the batch count `algo` was chosen for
    const char* ca = static_cast<const char*>(a.data);
    const char* cb = static_cast<const char*>(b.data);
    char* cc = static_cast<char*>(c.data);
    for (const LtCall& call : plan.calls) {
        if (call.batchCount != algoBatch) {
            KILN_RETURN_IF_ERROR(setLayout(ltA.get(), CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, call.batchCount));
            KILN_RETURN_IF_ERROR(setLayout(ltB.get(), CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, call.batchCount));
            KILN_RETURN_IF_ERROR(setLayout(ltD.get(), CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, call.batchCount));
            int found = 0;
            // NOT_SUPPORTED is how the heuristic says "nothing fits" for some configurations; any other
            // failure is an error of its own.
            const cublasStatus_t hs = cublasLtMatmulAlgoGetHeuristic(
                ctx.libraries->cublasLt(), desc.get(), ltA.get(), ltB.get(), ltD.get(), ltD.get(), pref.get(),
                static_cast<int>(ranked.size()), ranked.data(), &found);
            if (hs != CUBLAS_STATUS_NOT_SUPPORTED)
                KILN_RETURN_IF_ERROR(cublasStatus(hs, "cublasLtMatmulAlgoGetHeuristic"));
            if (hs == CUBLAS_STATUS_NOT_SUPPORTED || found < 1 || ranked[0].state != CUBLAS_STATUS_SUCCESS)
                return unsupported(
                    "MatrixMultiply on CUDA: cuBLASLt offers no algorithm for " + describe(a, b, c, g) +
                    " (epilogue " +
                    std::to_string(static_cast<int>(epilogueOf(bias != nullptr, activation))) + ") within " +
                    std::to_string(wsSize) +
                    " bytes of workspace; give the context more workspace or run this layer on "
                    "the cpu target");
            if (ctx.candidates) {
                // Ranked for the first call's batch count; later calls (split batches) take the same rank.
                for (int i = 0; i < found; ++i)
                    if (ranked[static_cast<size_t>(i)].state == CUBLAS_STATUS_SUCCESS)
                        ctx.candidates->push_back({i, "cublaslt_heuristic_" + std::to_string(i),
                                                   static_cast<int64_t>(ranked[static_cast<size_t>(i)].workspaceSize) +
                                                       static_cast<int64_t>(kMaxAlignment)});
                return Status::ok();
            }
            // A rank the heuristic no longer offers for this call falls back to its first choice.
            const int pick = ctx.tactic >= 0 && ctx.tactic < found ? static_cast<int>(ctx.tactic) : 0;
            algo = ranked[static_cast<size_t>(pick)].state == CUBLAS_STATUS_SUCCESS ? ranked[static_cast<size_t>(pick)]
                                                                                   : ranked[0];
            algoBatch = call.batchCount;
        }
        char* out = cc + call.cOffset * es;
        const char* in = addend ? static_cast<const char*>(addend->data) + call.cOffset * es : out;
        KILN_CUBLAS_RETURN_IF_ERROR(
            cublasLtMatmul(ctx.libraries->cublasLt(), desc.get(), &alpha, cb + call.bOffset * es, ltA.get(),
                           ca + call.aOffset * es, ltB.get(), &beta, in, ltD.get(), out, ltD.get(),
                           &algo.algo, reinterpret_cast<void*>(ws), wsSize, ctx.stream));
    }
    return Status::ok();
}

}  // namespace kiln::cuda
