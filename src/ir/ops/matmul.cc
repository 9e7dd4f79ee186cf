// Shape/type inference for the matmul family: MatrixMultiply, with TensorRT's IMatrixMultiplyLayer
// semantics. Each operand is a collection of matrices (kNONE: the last two dims; kTRANSPOSE: the same,
// transposed) or of vectors (kVECTOR: the last dim). The leading "batch" dims broadcast numpy-style,
// aligned at the right, so ranks may differ (TensorRT requires equal ranks; ONNX MatMul does not, and
// accepting both keeps the importer simple). Output: batch + [M if op0 is a matrix] + [N if op1 is a
// matrix]; vector x vector is a dot product per batch element.
#include <sstream>

#include "common/dims.h"
#include "common/tensor_ref.h"
#include "ir/infer.h"

namespace kiln::ir {

namespace {

const char* matrixOpName(MatrixOperation op) {
    switch (op) {
        case MatrixOperation::kNONE:
            return "kNONE";
        case MatrixOperation::kTRANSPOSE:
            return "kTRANSPOSE";
        case MatrixOperation::kVECTOR:
            return "kVECTOR";
    }
    return "invalid";
}

/// The matrix view of one operand: its batch dims, its row/column extents after op, and whether it is a
/// vector (then `outer` is absent).
struct Operand {
    Dims batch{};
    int64_t outer{1};  ///< M for input 0, N for input 1 (after transposition)
    int64_t inner{1};  ///< K, the contracted extent
    bool vector{false};
};

/// Splits `shape` per `op`. `isLeft` selects which of the two matrix dims is contracted: K is the last dim
/// of op(A) and the first of op(B).
StatusOr<Operand> splitOperand(const Dims& shape, MatrixOperation op, bool isLeft, int index) {
    int minRank = 0;
    switch (op) {
        case MatrixOperation::kNONE:
        case MatrixOperation::kTRANSPOSE:
            minRank = 2;
            break;
        case MatrixOperation::kVECTOR:
            minRank = 1;
            break;
    }
    if (minRank == 0)
        return invalidArgument("MatrixMultiply: op" + std::to_string(index) + " = " +
                               std::to_string(static_cast<int32_t>(op)) +
                               " is not a MatrixOperation (expected kNONE, kTRANSPOSE or kVECTOR)");
    if (shape.nbDims < minRank)
        return invalidArgument("MatrixMultiply: input " + std::to_string(index) + " with op" +
                               std::to_string(index) + " = " + matrixOpName(op) + " needs rank >= " +
                               std::to_string(minRank) + ", got shape " + toString(shape));
    Operand r;
    const int n = shape.nbDims;
    r.batch.nbDims = n - minRank;
    for (int i = 0; i < r.batch.nbDims; ++i) r.batch.d[i] = shape.d[i];
    if (op == MatrixOperation::kVECTOR) {
        r.vector = true;
        r.inner = shape.d[n - 1];
        return r;
    }
    // For A (left), kNONE stores [M, K]; for B (right), kNONE stores [K, N]. Transposition swaps them.
    bool innerIsLast = isLeft == (op == MatrixOperation::kNONE);
    r.inner = innerIsLast ? shape.d[n - 1] : shape.d[n - 2];
    r.outer = innerIsLast ? shape.d[n - 2] : shape.d[n - 1];
    return r;
}

bool isMatmulType(DataType t) {
    return t == DataType::kFLOAT || t == DataType::kHALF || t == DataType::kBF16 || t == DataType::kINT32 ||
           t == DataType::kINT64;
}

/// The fused epilogue's inputs: [2] bias, 1-D with one value per output column (the output's last dim),
/// [3] addend of the output's shape; both of the output's (float) type.
Status checkMatmulEpilogue(const MatrixMultiplyAttrs& attrs, InferContext& ctx) {
    const TensorDesc& out = ctx.outputs[0];
    const TensorDesc* bias = ctx.inputs.size() > 2 && ctx.inputs[2].present() ? &ctx.inputs[2] : nullptr;
    const TensorDesc* addend = ctx.inputs.size() > 3 && ctx.inputs[3].present() ? &ctx.inputs[3] : nullptr;
    if (!bias && !addend && !attrs.epilogue.hasActivation) return Status::ok();
    KILN_CHECK_ARG(isFloatType(out.type), "MatrixMultiply: a bias, addend or activation epilogue needs float32, "
                                          "float16 or bfloat16 operands, got "
                                              << dataTypeName(out.type));
    if (bias) {
        KILN_CHECK_ARG(out.shape.nbDims >= 1,
                       "MatrixMultiply: a bias needs an output of rank >= 1 (one value per output column), "
                       "the output is a scalar " << toString(out.shape));
        const int64_t n = out.shape.d[out.shape.nbDims - 1];
        KILN_CHECK_ARG(bias->type == out.type, "MatrixMultiply: bias must have the output's type "
                                                   << dataTypeName(out.type) << ", got "
                                                   << dataTypeName(bias->type) << "; insert a Cast");
        KILN_CHECK_ARG(bias->shape.nbDims == 1 && (bias->shape.d[0] < 0 || n < 0 || bias->shape.d[0] == n),
                       "MatrixMultiply: bias must be 1-D [N] with N = "
                           << n << " (the output's last dim, output " << toString(out.shape) << "), got "
                           << toString(bias->shape));
    }
    return checkEpilogue("MatrixMultiply", attrs.epilogue, addend, out);
}

}  // namespace

Status inferMatrixMultiply(const MatrixMultiplyAttrs& attrs, InferContext& ctx) {
    const TensorDesc& a = ctx.inputs[0];
    const TensorDesc& b = ctx.inputs[1];
    if (!isMatmulType(a.type))
        return invalidArgument(
            std::string("MatrixMultiply: input 0 must be float32, float16, bfloat16, int32 or int64, got ") +
            dataTypeName(a.type));
    if (a.type != b.type)
        return invalidArgument(std::string("MatrixMultiply: inputs must have the same type, got ") +
                               dataTypeName(a.type) + " and " + dataTypeName(b.type));
    KILN_ASSIGN_OR_RETURN(Operand opA, splitOperand(a.shape, attrs.op0, true, 0));
    KILN_ASSIGN_OR_RETURN(Operand opB, splitOperand(b.shape, attrs.op1, false, 1));
    std::string both = std::string("input 0 ") + toString(a.shape) + " (op0 " + matrixOpName(attrs.op0) +
                       "), input 1 " + toString(b.shape) + " (op1 " + matrixOpName(attrs.op1) + ")";
    if (opA.inner >= 0 && opB.inner >= 0 && opA.inner != opB.inner)
        return invalidArgument("MatrixMultiply: contracted extents differ: " + both +
                               " give K = " + std::to_string(opA.inner) + " vs " + std::to_string(opB.inner));
    StatusOr<Dims> batch = broadcastShapes(opA.batch, opB.batch);
    if (!batch.isOk())
        return invalidArgument("MatrixMultiply: batch dims do not broadcast (" + batch.status().message() +
                               "): " + both);
    Dims out = batch.value();
    if (!opA.vector) out.d[out.nbDims++] = opA.outer;
    if (!opB.vector) out.d[out.nbDims++] = opB.outer;
    ctx.outputs[0].type = a.type;
    ctx.outputs[0].shape = out;
    return checkMatmulEpilogue(attrs, ctx);
}

}  // namespace kiln::ir
