// Importers for matrix products: MatMul (numpy semantics: 1-D operands are vectors, batch dims
// broadcast), Gemm (alpha * op(A) op(B) + beta * C, alpha and beta folded into constant operands), and
// Einsum in its common forms: a letter repeated within one operand first takes that diagonal (transpose
// the two dims together, merge them by a reshape, slice with stride n + 1), then the decomposition into
// reduce-sums over letters only one operand has, transposes to [batch, free, contracted] order, reshapes
// to 3-D, a batched matrix multiply, and the inverse reshape and transpose to the requested output order.
#include <algorithm>
#include <map>

#include "onnx/importers/helpers.h"

namespace kiln::onnx {

namespace {

Status importMatMul(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                    std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(ITensor * a, inputTensor(ctx, node, inputs, 0));
    KILN_ASSIGN_OR_RETURN(ITensor * b, inputTensor(ctx, node, inputs, 1));
    const int ra = a->getDimensions().nbDims, rb = b->getDimensions().nbDims;
    if (ra < 1 || rb < 1)
        return invalidArgument("MatMul inputs must have rank >= 1, got ranks " + std::to_string(ra) +
                               " and " + std::to_string(rb));
    IMatrixMultiplyLayer* mm =
        ctx.net().addMatrixMultiply(*a, ra == 1 ? MatrixOperation::kVECTOR : MatrixOperation::kNONE, *b,
                                    rb == 1 ? MatrixOperation::kVECTOR : MatrixOperation::kNONE);
    KILN_ASSIGN_OR_RETURN(ITensor * y, ctx.out(mm, "addMatrixMultiply"));
    return setOutput(outputs, y);
}

ConstValue scaledConstant(const ConstValue& c, double factor) {
    std::vector<double> v = c.toDoubles();
    for (double& x : v) x *= factor;
    return ConstValue::fromDoubles(c.type, c.shape, v);
}

Status importGemm(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                  std::vector<Value>& outputs) {
    const NodeAttrs attrs = node.attrs();
    KILN_ASSIGN_OR_RETURN(float alpha, attrs.getFloat("alpha", 1.0f));
    KILN_ASSIGN_OR_RETURN(float beta, attrs.getFloat("beta", 1.0f));
    KILN_ASSIGN_OR_RETURN(int64_t transA, attrs.getInt("transA", 0));
    KILN_ASSIGN_OR_RETURN(int64_t transB, attrs.getInt("transB", 0));
    if (!hasInput(inputs, 0) || !hasInput(inputs, 1)) return invalidArgument("inputs A and B are required");
    if (dimsOf(inputs[0]).nbDims != 2 || dimsOf(inputs[1]).nbDims != 2)
        return invalidArgument("Gemm needs 2-D A and B, got " + toString(dimsOf(inputs[0])) + " and " +
                               toString(dimsOf(inputs[1])));
    bool alphaDone = alpha == 1.0f;
    // alpha scales whichever operand is a constant, at import time.
    for (int i = 1; i >= 0 && !alphaDone; --i) {
        if (inputs[static_cast<size_t>(i)].isConstant() &&
            isFloatType(typeOf(inputs[static_cast<size_t>(i)]))) {
            inputs[static_cast<size_t>(i)] =
                Value::fromConstant(scaledConstant(*inputs[static_cast<size_t>(i)].constant, alpha));
            alphaDone = true;
        }
    }
    KILN_ASSIGN_OR_RETURN(ITensor * a, inputTensor(ctx, node, inputs, 0));
    KILN_ASSIGN_OR_RETURN(ITensor * b, inputTensor(ctx, node, inputs, 1));
    IMatrixMultiplyLayer* mm =
        ctx.net().addMatrixMultiply(*a, transA ? MatrixOperation::kTRANSPOSE : MatrixOperation::kNONE, *b,
                                    transB ? MatrixOperation::kTRANSPOSE : MatrixOperation::kNONE);
    KILN_ASSIGN_OR_RETURN(ITensor * y, ctx.out(mm, "addMatrixMultiply"));
    if (!alphaDone) {
        KILN_ASSIGN_OR_RETURN(y, withScalar(ctx, y, alpha, ElementWiseOperation::kPROD));
    }
    if (hasInput(inputs, 2) && beta != 0.0f) {
        ITensor* c = nullptr;
        if (inputs[2].isConstant()) {
            ConstValue cv = convertedConstant(*inputs[2].constant, y->getType());
            if (beta != 1.0f) cv = scaledConstant(cv, beta);
            KILN_ASSIGN_OR_RETURN(c, ctx.constant(cv));
        } else {
            KILN_ASSIGN_OR_RETURN(c, inputTensor(ctx, node, inputs, 2));
            if (beta != 1.0f) {
                KILN_ASSIGN_OR_RETURN(c, withScalar(ctx, c, beta, ElementWiseOperation::kPROD));
            }
        }
        KILN_ASSIGN_OR_RETURN(y, elementwise(ctx, y, c, ElementWiseOperation::kSUM));
    }
    return setOutput(outputs, y);
}

// ---- Einsum -----------------------------------------------------------------------------------------

struct EinsumSpec {
    std::vector<std::string> terms;  // one letter string per operand (ellipsis expanded)
    std::string output;
};

/// Parses "ij,jk->ik" (or the implicit form without "->"); "..." becomes capital letters, one per dim the
/// ellipsis covers in each operand (aligned at the right, as numpy broadcasts them).
StatusOr<EinsumSpec> parseEinsum(const std::string& equation, const std::vector<int>& ranks) {
    std::string eq;
    for (char c : equation)
        if (c != ' ') eq += c;
    const size_t arrow = eq.find("->");
    std::string lhs = arrow == std::string::npos ? eq : eq.substr(0, arrow);
    std::vector<std::string> raw;
    size_t start = 0;
    while (true) {
        size_t comma = lhs.find(',', start);
        raw.push_back(lhs.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    if (raw.size() != ranks.size())
        return invalidArgument("equation '" + equation + "' names " + std::to_string(raw.size()) +
                               " operands, the node has " + std::to_string(ranks.size()) + " inputs");
    EinsumSpec spec;
    int ellipsisDims = 0;
    static const std::string kEllipsisLetters = "ABCDEFGH";
    auto expand = [&](const std::string& term, int rank, std::string* out) -> Status {
        size_t dots = term.find("...");
        const int letters = static_cast<int>(term.size()) - (dots == std::string::npos ? 0 : 3);
        if (dots == std::string::npos) {
            if (letters != rank)
                return invalidArgument("term '" + term + "' of equation '" + equation + "' has " +
                                       std::to_string(letters) + " letters for an operand of rank " +
                                       std::to_string(rank));
            *out = term;
            return Status::ok();
        }
        const int n = rank - letters;
        if (n < 0)
            return invalidArgument("term '" + term + "' has more letters than its operand's rank " +
                                   std::to_string(rank));
        ellipsisDims = std::max(ellipsisDims, n);
        *out = term.substr(0, dots) +
               kEllipsisLetters.substr(static_cast<size_t>(8 - n), static_cast<size_t>(n)) +
               term.substr(dots + 3);
        return Status::ok();
    };
    for (size_t i = 0; i < raw.size(); ++i) {
        std::string t;
        KILN_RETURN_IF_ERROR(expand(raw[i], ranks[i], &t));
        for (char c : t)
            if (!std::isalpha(static_cast<unsigned char>(c)))
                return invalidArgument("equation '" + equation + "' has the character '" + std::string(1, c) +
                                       "'; expected letters, ',', '->' and '...'");
        spec.terms.push_back(t);
    }
    if (arrow != std::string::npos) {
        std::string rhs = eq.substr(arrow + 2);
        size_t dots = rhs.find("...");
        if (dots != std::string::npos)
            rhs = rhs.substr(0, dots) + kEllipsisLetters.substr(static_cast<size_t>(8 - ellipsisDims)) +
                  rhs.substr(dots + 3);
        spec.output = rhs;
    } else {
        // Implicit output: the ellipsis dims, then the letters used once, alphabetically.
        std::map<char, int> count;
        for (const auto& t : spec.terms)
            for (char c : t) ++count[c];
        spec.output = kEllipsisLetters.substr(static_cast<size_t>(8 - ellipsisDims));
        for (const auto& [c, n] : count)
            if (n == 1 && std::islower(static_cast<unsigned char>(c))) spec.output += c;
    }
    return spec;
}

/// Replaces `x` (letters `term`) by its diagonal over each letter the term repeats, one pair at a time
/// ("ii" -> "i", "iii" -> "ii" -> "i"): the second occurrence is transposed next to the first, the two
/// dims of extent n are merged into n * n by a reshape, and a slice with stride n + 1 keeps the n
/// elements whose two indices agree.
StatusOr<ITensor*> takeDiagonals(ImportContext& ctx, const std::string& equation, ITensor* x,
                                 std::string& term) {
    while (true) {
        size_t p = std::string::npos, q = std::string::npos;
        for (size_t i = 0; i < term.size() && q == std::string::npos; ++i) {
            q = term.find(term[i], i + 1);
            p = i;
        }
        if (q == std::string::npos) return x;
        std::vector<int> perm;
        for (size_t i = 0; i < term.size(); ++i) {
            if (i == q) continue;
            perm.push_back(static_cast<int>(i));
            if (i == p) perm.push_back(static_cast<int>(q));
        }
        KILN_ASSIGN_OR_RETURN(x, transposeTo(ctx, x, perm));
        KILN_ASSIGN_OR_RETURN(ShapeTensor shape, shapeOf(ctx, x));
        const int64_t at = static_cast<int64_t>(p), rank = shape.size();
        const PartialElement n0 = shape.at(at), n1 = shape.at(at + 1);
        if (n0 && n1 && *n0 != *n1)
            return invalidArgument("equation '" + equation + "' repeats '" + std::string(1, term[p]) +
                                   "' within one operand, whose dims " + std::to_string(p) + " and " +
                                   std::to_string(q) + " differ (" + std::to_string(*n0) + " and " +
                                   std::to_string(*n1) + "); a diagonal needs equal extents");
        KILN_ASSIGN_OR_RETURN(ShapeTensor before, sliceShape(ctx, shape, 0, at));
        KILN_ASSIGN_OR_RETURN(ShapeTensor n, sliceShape(ctx, shape, at, at + 1));
        KILN_ASSIGN_OR_RETURN(ShapeTensor after, sliceShape(ctx, shape, at + 2, rank));
        KILN_ASSIGN_OR_RETURN(ShapeTensor squared, shapeBinary(ctx, n, n, ElementWiseOperation::kPROD));
        KILN_ASSIGN_OR_RETURN(ShapeTensor merged, concatShapes(ctx, {before, squared, after}));
        KILN_ASSIGN_OR_RETURN(x, reshapeTo(ctx, x, merged));
        KILN_ASSIGN_OR_RETURN(ShapeTensor size, concatShapes(ctx, {before, n, after}));
        KILN_ASSIGN_OR_RETURN(ShapeTensor step,
                              shapeBinary(ctx, n, ShapeTensor::known({1}), ElementWiseOperation::kSUM));
        KILN_ASSIGN_OR_RETURN(
            ShapeTensor stride,
            concatShapes(ctx,
                         {ShapeTensor::known(std::vector<int64_t>(static_cast<size_t>(at), 1)), step,
                          ShapeTensor::known(std::vector<int64_t>(static_cast<size_t>(rank - at - 2), 1))}));
        const int outRank = static_cast<int>(rank - 1);
        Dims zeros, ones;
        zeros.nbDims = ones.nbDims = outRank;
        for (int i = 0; i < outRank; ++i) {
            zeros.d[i] = 0;
            ones.d[i] = 1;
        }
        // Run-time parts start as zeros / ones, valid for any input until the shape tensors are set.
        ISliceLayer* slice = ctx.net().addSlice(*x, zeros, size.allKnown() ? makeDims(size.values()) : zeros,
                                                stride.allKnown() ? makeDims(stride.values()) : ones);
        KILN_ASSIGN_OR_RETURN(slice, ctx.check(slice, "addSlice"));
        if (!size.allKnown()) {
            KILN_ASSIGN_OR_RETURN(ITensor * t, size.tensor(ctx));
            slice->setInput(2, *t);
        }
        if (!stride.allKnown()) {
            KILN_ASSIGN_OR_RETURN(ITensor * t, stride.tensor(ctx));
            slice->setInput(3, *t);
        }
        x = slice->getOutput(0);
        term.erase(q, 1);
    }
}

/// Sums `x` (letters `term`) over the letters not in `keep`; returns the remaining letters.
StatusOr<ITensor*> sumOutLetters(ImportContext& ctx, ITensor* x, std::string& term, const std::string& keep) {
    std::vector<int> axes;
    std::string rest;
    for (size_t i = 0; i < term.size(); ++i) {
        if (keep.find(term[i]) == std::string::npos)
            axes.push_back(static_cast<int>(i));
        else
            rest += term[i];
    }
    if (axes.empty()) return x;
    term = rest;
    return ctx.out(ctx.net().addReduce(*x, ReduceOperation::kSUM, axesMask(axes), false), "addReduce");
}

std::vector<int> permutationFor(const std::string& from, const std::string& to) {
    std::vector<int> perm;
    for (char c : to) perm.push_back(static_cast<int>(from.find(c)));
    return perm;
}

Status importEinsum(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                    std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(std::string equation, node.attrs().getString("equation"));
    if (inputs.empty() || inputs.size() > 2)
        return unsupported("Einsum with " + std::to_string(inputs.size()) +
                           " operands; Kiln supports 1 or 2");
    std::vector<ITensor*> ops;
    std::vector<int> ranks;
    for (int i = 0; i < static_cast<int>(inputs.size()); ++i) {
        KILN_ASSIGN_OR_RETURN(ITensor * t, inputTensor(ctx, node, inputs, i));
        ops.push_back(t);
        ranks.push_back(t->getDimensions().nbDims);
    }
    KILN_ASSIGN_OR_RETURN(EinsumSpec spec, parseEinsum(equation, ranks));
    for (size_t i = 0; i < ops.size(); ++i) {
        KILN_ASSIGN_OR_RETURN(ops[i], takeDiagonals(ctx, equation, ops[i], spec.terms[i]));
    }
    for (char c : spec.output) {
        bool found = false;
        for (const auto& t : spec.terms) found = found || t.find(c) != std::string::npos;
        if (!found)
            return invalidArgument("output letter '" + std::string(1, c) + "' of '" + equation +
                                   "' is in no operand");
    }
    if (ops.size() == 1) {
        std::string term = spec.terms[0];
        KILN_ASSIGN_OR_RETURN(ITensor * y, sumOutLetters(ctx, ops[0], term, spec.output));
        KILN_ASSIGN_OR_RETURN(y, transposeTo(ctx, y, permutationFor(term, spec.output)));
        if (y == ops[0]) {
            KILN_ASSIGN_OR_RETURN(y, ctx.out(ctx.net().addIdentity(*y), "addIdentity"));
        }
        return setOutput(outputs, y);
    }
    std::string ta = spec.terms[0], tb = spec.terms[1];
    // Letters only one operand has and the output lacks are summed out first.
    KILN_ASSIGN_OR_RETURN(ITensor * a, sumOutLetters(ctx, ops[0], ta, tb + spec.output));
    KILN_ASSIGN_OR_RETURN(ITensor * b, sumOutLetters(ctx, ops[1], tb, ta + spec.output));
    std::string batch, freeA, freeB, contract;
    for (char c : ta) {
        const bool inB = tb.find(c) != std::string::npos, inOut = spec.output.find(c) != std::string::npos;
        if (inB && inOut)
            batch += c;
        else if (inB)
            contract += c;
        else
            freeA += c;
    }
    for (char c : tb)
        if (ta.find(c) == std::string::npos) freeB += c;
    KILN_ASSIGN_OR_RETURN(a, transposeTo(ctx, a, permutationFor(ta, batch + freeA + contract)));
    KILN_ASSIGN_OR_RETURN(b, transposeTo(ctx, b, permutationFor(tb, batch + contract + freeB)));
    KILN_ASSIGN_OR_RETURN(ShapeTensor sa, shapeOf(ctx, a));
    KILN_ASSIGN_OR_RETURN(ShapeTensor sb, shapeOf(ctx, b));
    const int64_t nb = static_cast<int64_t>(batch.size()), nfa = static_cast<int64_t>(freeA.size()),
                  nc = static_cast<int64_t>(contract.size()), nfb = static_cast<int64_t>(freeB.size());
    auto group = [&](const ShapeTensor& s, int64_t begin, int64_t end) -> StatusOr<ShapeTensor> {
        KILN_ASSIGN_OR_RETURN(ShapeTensor part, sliceShape(ctx, s, begin, end));
        return shapeProduct(ctx, part);
    };
    KILN_ASSIGN_OR_RETURN(ShapeTensor batchA, sliceShape(ctx, sa, 0, nb));
    KILN_ASSIGN_OR_RETURN(ShapeTensor batchB, sliceShape(ctx, sb, 0, nb));
    KILN_ASSIGN_OR_RETURN(ShapeTensor fa, group(sa, nb, nb + nfa));
    KILN_ASSIGN_OR_RETURN(ShapeTensor ka, group(sa, nb + nfa, nb + nfa + nc));
    KILN_ASSIGN_OR_RETURN(ShapeTensor kb, group(sb, nb, nb + nc));
    KILN_ASSIGN_OR_RETURN(ShapeTensor fb, group(sb, nb + nc, nb + nc + nfb));
    KILN_ASSIGN_OR_RETURN(ShapeTensor dimsA, concatShapes(ctx, {batchA, fa, ka}));
    KILN_ASSIGN_OR_RETURN(ShapeTensor dimsB, concatShapes(ctx, {batchB, kb, fb}));
    KILN_ASSIGN_OR_RETURN(ITensor * a3, reshapeTo(ctx, a, dimsA));
    KILN_ASSIGN_OR_RETURN(ITensor * b3, reshapeTo(ctx, b, dimsB));
    KILN_ASSIGN_OR_RETURN(ITensor * mm, ctx.out(ctx.net().addMatrixMultiply(*a3, MatrixOperation::kNONE, *b3,
                                                                            MatrixOperation::kNONE),
                                                "addMatrixMultiply"));
    KILN_ASSIGN_OR_RETURN(ShapeTensor sm, shapeOf(ctx, mm));
    KILN_ASSIGN_OR_RETURN(ShapeTensor batchOut, sliceShape(ctx, sm, 0, nb));
    KILN_ASSIGN_OR_RETURN(ShapeTensor freeDimsA, sliceShape(ctx, sa, nb, nb + nfa));
    KILN_ASSIGN_OR_RETURN(ShapeTensor freeDimsB, sliceShape(ctx, sb, nb + nc, nb + nc + nfb));
    KILN_ASSIGN_OR_RETURN(ShapeTensor dimsOut, concatShapes(ctx, {batchOut, freeDimsA, freeDimsB}));
    KILN_ASSIGN_OR_RETURN(ITensor * y, reshapeTo(ctx, mm, dimsOut));
    KILN_ASSIGN_OR_RETURN(y, transposeTo(ctx, y, permutationFor(batch + freeA + freeB, spec.output)));
    return setOutput(outputs, y);
}

const OpImporter kImporters[] = {
    {"MatMul", kMinOpset, kMaxOpset, importMatMul},
    {"Gemm", kMinOpset, kMaxOpset, importGemm},
    {"Einsum", 12, kMaxOpset, importEinsum},
};

}  // namespace

std::span<const OpImporter> matmulImporters() {
    return kImporters;
}

}  // namespace kiln::onnx
