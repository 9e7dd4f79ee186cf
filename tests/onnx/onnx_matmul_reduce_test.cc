// ONNX MatMul (2-D, batched with broadcasting, 1-D operands), Gemm (transposes, alpha, beta, C shapes,
// computed B), Einsum (the forms exporters emit, diagonals of repeated letters), the Reduce family
// (attribute and input axes, keepdims, noop_with_empty_axes), ArgMax/ArgMin (first index on ties) and
// TopK, against loops written here.
#include <cmath>
#include <functional>
#include <map>

#include "onnx_test_util.h"

namespace kiln::testing {
namespace {

// Sums of up to a few dozen float32 products (the kernels use sgemm) against double loops.
constexpr double kTol = 1e-5;

/// einsum by brute force: iterate over every assignment of the letters, add the product into the output.
std::vector<double> bruteEinsum(const std::vector<std::string>& terms, const std::string& out,
                                const std::vector<const HostTensor*>& ops, std::map<char, int64_t> extent) {
    std::vector<char> letters;
    for (const auto& [c, n] : extent) letters.push_back(c);
    int64_t outSize = 1;
    for (char c : out) outSize *= extent[c];
    std::vector<double> r(static_cast<size_t>(outSize), 0.0);
    std::map<char, int64_t> at;
    std::function<void(size_t)> loop = [&](size_t li) {
        if (li == letters.size()) {
            double p = 1;
            for (size_t k = 0; k < ops.size(); ++k) {
                int64_t f = 0;
                for (size_t d = 0; d < terms[k].size(); ++d) f = f * ops[k]->shape.d[d] + at[terms[k][d]];
                p *= ops[k]->at(f);
            }
            int64_t o = 0;
            for (char c : out) o = o * extent[c] + at[c];
            r[static_cast<size_t>(o)] += p;
            return;
        }
        for (int64_t v = 0; v < extent[letters[li]]; ++v) {
            at[letters[li]] = v;
            loop(li + 1);
        }
    };
    loop(0);
    return r;
}

TEST(OnnxMatmul, MatMulShapesAndBroadcasting) {
    struct Case {
        std::vector<int64_t> a, b, out;
    };
    int seed = 70;
    for (const Case& c : {Case{{3, 4}, {4, 5}, {3, 5}}, Case{{2, 1, 3, 4}, {5, 4, 2}, {2, 5, 3, 2}},
                          Case{{4}, {2, 4, 3}, {2, 3}}, Case{{2, 3, 4}, {4}, {2, 3}}, Case{{4}, {4}, {}}}) {
        HostTensor a = HostTensor::random(DataType::kFLOAT, makeDims(c.a), static_cast<uint64_t>(seed++));
        HostTensor b = HostTensor::random(DataType::kFLOAT, makeDims(c.b), static_cast<uint64_t>(seed++));
        ModelBuilder m;
        m.input("a", DataType::kFLOAT, c.a).input("b", DataType::kFLOAT, c.b).output("y");
        m.node("MatMul", {"a", "b"}, {"y"});
        // Reference via einsum with numpy's promotion of 1-D operands.
        std::string ta, tb, to;
        const std::string batchA = "pqrs", batchB = "pqrs";
        std::map<char, int64_t> ext;
        const size_t ra = c.a.size(), rb = c.b.size();
        const size_t nb = std::max(ra, rb) > 2 ? std::max(ra, rb) - 2 : 0;
        for (size_t i = 0; i < nb; ++i) to += batchA[i];
        auto batchLetters = [&](size_t rank, const std::vector<int64_t>& dims, std::string& t) {
            if (rank <= 2) return;
            for (size_t i = 0; i < rank - 2; ++i) {
                char letter = batchA[nb - (rank - 2) + i];
                t += letter;
                ext[letter] = std::max(ext[letter], dims[i]);
            }
        };
        batchLetters(ra, c.a, ta);
        batchLetters(rb, c.b, tb);
        if (ra >= 2) {
            ta += "mk";
            ext['m'] = c.a[ra - 2];
            to += "m";
        } else {
            ta += "k";
        }
        ext['k'] = c.a[ra - 1];
        if (rb >= 2) {
            tb += "kn";
            ext['n'] = c.b[rb - 1];
            to += "n";
        } else {
            tb += "k";
        }
        // Broadcasting in the reference: size-1 batch dims read index 0.
        HostTensor ab = a, bb = b;
        std::vector<double> want;
        {
            std::vector<char> letters;
            for (auto& [ch, n] : ext) letters.push_back(ch);
            int64_t outSize = 1;
            for (char ch : to) outSize *= ext[ch];
            want.assign(static_cast<size_t>(outSize), 0.0);
            std::map<char, int64_t> at;
            std::function<void(size_t)> loop = [&](size_t li) {
                if (li == letters.size()) {
                    auto idx = [&](const std::string& t, const HostTensor& h) {
                        int64_t f = 0;
                        for (size_t d = 0; d < t.size(); ++d)
                            f = f * h.shape.d[d] + (h.shape.d[d] == 1 ? 0 : at[t[d]]);
                        return f;
                    };
                    int64_t o = 0;
                    for (char ch : to) o = o * ext[ch] + at[ch];
                    want[static_cast<size_t>(o)] += ab.at(idx(ta, ab)) * bb.at(idx(tb, bb));
                    return;
                }
                for (int64_t v = 0; v < ext[letters[li]]; ++v) {
                    at[letters[li]] = v;
                    loop(li + 1);
                }
            };
            loop(0);
        }
        expectValues(runOne(m, {{"a", a}, {"b", b}}), makeDims(c.out), want, kTol,
                     "MatMul " + toString(makeDims(c.a)) + " x " + toString(makeDims(c.b)));
    }
}

TEST(OnnxMatmul, GemmAttributes) {
    HostTensor a = HostTensor::random(DataType::kFLOAT, makeDims({4, 3}), 80);  // stored [K, M] for transA
    HostTensor b = HostTensor::random(DataType::kFLOAT, makeDims({5, 4}), 81);  // stored [N, K] for transB
    HostTensor c = HostTensor::random(DataType::kFLOAT, makeDims({5}), 82);
    struct Case {
        float alpha, beta;
        bool constantB, withC, scalarC;
    };
    for (const Case& g : {Case{1, 1, true, true, false}, Case{0.5f, 2.f, true, true, false},
                          Case{-1.5f, 0.25f, false, true, true}, Case{2.f, 1.f, false, false, false}}) {
        ModelBuilder m;
        m.input("a", DataType::kFLOAT, {4, 3}).output("y");
        if (g.constantB)
            m.initializer("b", b);
        else
            m.input("b", DataType::kFLOAT, {5, 4});
        std::vector<std::string> ins{"a", "b"};
        HostTensor cc = g.scalarC ? floatTensor(Dims{}, {0.75f}) : c;
        if (g.withC) {
            m.initializer("c", cc);
            ins.push_back("c");
        }
        m.node("Gemm", ins, {"y"}).i("transA", 1).i("transB", 1).f("alpha", g.alpha).f("beta", g.beta);
        std::vector<double> want;
        for (int i = 0; i < 3; ++i)
            for (int j = 0; j < 5; ++j) {
                double s = 0;
                for (int k = 0; k < 4; ++k) s += a.at(k * 3 + i) * b.at(j * 4 + k);
                double cv = g.withC ? (g.scalarC ? cc.at(0) : cc.at(j)) : 0.0;
                want.push_back(g.alpha * s + g.beta * cv);
            }
        std::vector<std::pair<std::string, HostTensor>> inputs{{"a", a}};
        if (!g.constantB) inputs.emplace_back("b", b);
        expectValues(runOne(m, inputs), makeDims({3, 5}), want, kTol,
                     "Gemm alpha " + std::to_string(g.alpha) + " beta " + std::to_string(g.beta));
    }
}

TEST(OnnxMatmul, EinsumForms) {
    struct Case {
        std::string eq;
        std::vector<std::vector<int64_t>> shapes;
        std::vector<std::string> terms;  // letters per operand (ellipsis spelled out)
        std::string out;
    };
    const std::vector<Case> cases = {
        {"ij,jk->ik", {{3, 4}, {4, 5}}, {"ij", "jk"}, "ik"},
        {"bij,bjk->bik", {{2, 3, 4}, {2, 4, 5}}, {"bij", "bjk"}, "bik"},
        {"bhqd,bhkd->bhqk", {{2, 3, 4, 5}, {2, 3, 6, 5}}, {"bhqd", "bhkd"}, "bhqk"},
        {"i,j->ij", {{3}, {4}}, {"i", "j"}, "ij"},
        {"ij->ji", {{3, 4}}, {"ij"}, "ji"},
        {"ij->", {{3, 4}}, {"ij"}, ""},
        {"ijk,jl->il", {{2, 3, 4}, {3, 5}}, {"ijk", "jl"}, "il"},
        {"...ij,...jk->...ik", {{2, 3, 4}, {2, 4, 5}}, {"aij", "ajk"}, "aik"},
        {"ij,jk", {{3, 4}, {4, 5}}, {"ij", "jk"}, "ik"},
        {"bij,bij->bi", {{2, 3, 4}, {2, 3, 4}}, {"bij", "bij"}, "bi"},
        // A letter repeated within one operand takes that diagonal (the brute force below reads
        // x[i, i] by giving both dims the letter's one index).
        {"ii->i", {{5, 5}}, {"ii"}, "i"},
        {"ii", {{5, 5}}, {"ii"}, ""},  // implicit output: the trace
        {"...ii->...i", {{3, 5, 5}}, {"aii"}, "ai"},
        {"iji->j", {{3, 4, 3}}, {"iji"}, "j"},  // the two dims are not adjacent
        {"iij->ji", {{3, 3, 7}}, {"iij"}, "ji"},
        {"iii->i", {{3, 3, 3}}, {"iii"}, "i"},  // three times: two diagonals in turn
        {"bii,bi->b", {{2, 3, 3}, {2, 3}}, {"bii", "bi"}, "b"},
        {"ij,kjj->ik", {{2, 3}, {4, 3, 3}}, {"ij", "kjj"}, "ik"},
    };
    int seed = 90;
    for (const Case& c : cases) {
        ModelBuilder m;
        std::vector<HostTensor> ops;
        std::vector<std::string> names;
        std::vector<std::pair<std::string, HostTensor>> inputs;
        std::map<char, int64_t> ext;
        for (size_t k = 0; k < c.shapes.size(); ++k) {
            names.push_back("in" + std::to_string(k));
            m.input(names.back(), DataType::kFLOAT, c.shapes[k]);
            ops.push_back(
                HostTensor::random(DataType::kFLOAT, makeDims(c.shapes[k]), static_cast<uint64_t>(seed++)));
            for (size_t d = 0; d < c.terms[k].size(); ++d) ext[c.terms[k][d]] = c.shapes[k][d];
            inputs.emplace_back(names.back(), ops.back());
        }
        m.output("y");
        m.node("Einsum", names, {"y"}).s("equation", c.eq);
        std::vector<const HostTensor*> ptrs;
        for (const auto& o : ops) ptrs.push_back(&o);
        std::vector<double> want = bruteEinsum(c.terms, c.out, ptrs, ext);
        std::vector<int64_t> outDims;
        for (char ch : c.out) outDims.push_back(ext[ch]);
        expectValues(runOne(m, inputs), makeDims(outDims), want, kTol, "Einsum '" + c.eq + "'");
    }
    // A diagonal over dims known only at run time: the reshape and slice take run-time shape tensors.
    ModelBuilder dyn;
    dyn.input("x", DataType::kFLOAT, {-1, -1, -1}).output("y");
    dyn.node("Einsum", {"x"}, {"y"}).s("equation", "bii->bi");
    HostTensor x = HostTensor::random(DataType::kFLOAT, makeDims({2, 7, 7}), 97);
    std::vector<double> want;
    for (int64_t b = 0; b < 2; ++b)
        for (int64_t i = 0; i < 7; ++i) want.push_back(x.at((b * 7 + i) * 7 + i));
    expectValues(runOne(dyn, {{"x", x}}), makeDims({2, 7}), want, 0.0, "Einsum 'bii->bi' dynamic");

    ModelBuilder diag;
    diag.input("x", DataType::kFLOAT, {3, 4}).output("y");
    diag.node("Einsum", {"x"}, {"y"}).s("equation", "ii->i");
    OnnxRun r = runOnnx(diag.bytes(), {}, {"y"});
    EXPECT_FALSE(r.parsed);
    EXPECT_NE(r.errors.find("repeats 'i' within one operand, whose dims 0 and 1 differ (3 and 4)"),
              std::string::npos)
        << r.errors;
}

TEST(OnnxReduce, ReduceFamilyAxesForms) {
    const Dims s = makeDims({2, 3, 4});
    HostTensor x = HostTensor::random(DataType::kFLOAT, s, 101, 0.1, 2);
    struct Case {
        const char* op;
        int64_t opset;
        std::vector<int64_t> axes;  // empty: all
        bool keep, asInput;
        std::function<double(const std::vector<double>&)> f;
    };
    auto sum = [](const std::vector<double>& v) {
        double a = 0;
        for (double x : v) a += x;
        return a;
    };
    const std::vector<Case> cases = {
        {"ReduceMean",
         13,
         {1, 2},
         false,
         false,
         [&](const std::vector<double>& v) { return sum(v) / double(v.size()); }},
        {"ReduceSum", 13, {-1}, true, true, sum},
        {"ReduceSum", 11, {0}, true, false, sum},
        {"ReduceMax",
         18,
         {1},
         false,
         true,
         [](const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); }},
        {"ReduceMin",
         13,
         {},
         false,
         false,
         [](const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }},
        {"ReduceProd",
         13,
         {2},
         true,
         false,
         [](const std::vector<double>& v) {
             double p = 1;
             for (double x : v) p *= x;
             return p;
         }},
        {"ReduceL2",
         13,
         {0, 2},
         false,
         false,
         [](const std::vector<double>& v) {
             double a = 0;
             for (double x : v) a += x * x;
             return std::sqrt(a);
         }},
        {"ReduceL1",
         18,
         {1},
         true,
         true,
         [](const std::vector<double>& v) {
             double a = 0;
             for (double x : v) a += std::fabs(x);
             return a;
         }},
        {"ReduceSumSquare",
         13,
         {1},
         false,
         false,
         [](const std::vector<double>& v) {
             double a = 0;
             for (double x : v) a += x * x;
             return a;
         }},
        {"ReduceLogSumExp",
         13,
         {2},
         false,
         false,
         [](const std::vector<double>& v) {
             double a = 0;
             for (double x : v) a += std::exp(x);
             return std::log(a);
         }},
    };
    for (const Case& c : cases) {
        ModelBuilder m(c.opset);
        m.input("x", DataType::kFLOAT, {2, 3, 4}).output("y");
        std::vector<std::string> ins{"x"};
        if (c.asInput) {
            m.ints("axes", c.axes);
            ins.push_back("axes");
        }
        NodeBuilder n = m.node(c.op, ins, {"y"}).i("keepdims", c.keep);
        if (!c.asInput && !c.axes.empty()) n.ints("axes", c.axes);
        std::vector<bool> reduced(3, c.axes.empty());
        for (int64_t a : c.axes) reduced[static_cast<size_t>(a < 0 ? a + 3 : a)] = true;
        std::vector<int64_t> outDims;
        for (int d = 0; d < 3; ++d)
            if (!reduced[static_cast<size_t>(d)])
                outDims.push_back(s.d[d]);
            else if (c.keep)
                outDims.push_back(1);
        std::map<int64_t, std::vector<double>> groups;
        for (int64_t i = 0; i < x.numel(); ++i) {
            int64_t c0 = i / 12, c1 = (i / 4) % 3, c2 = i % 4;
            int64_t key = (reduced[0] ? 0 : c0) * 100 + (reduced[1] ? 0 : c1) * 10 + (reduced[2] ? 0 : c2);
            groups[key].push_back(x.at(i));
        }
        std::vector<double> want;
        for (auto& [key, vals] : groups) want.push_back(c.f(vals));
        expectValues(runOne(m, {{"x", x}}), makeDims(outDims), want, 1e-5,
                     std::string(c.op) + " opset " + std::to_string(c.opset));
    }
    ModelBuilder noop(18);
    noop.input("x", DataType::kFLOAT, {2, 3, 4}).output("y");
    noop.node("ReduceMax", {"x"}, {"y"}).i("noop_with_empty_axes", 1);
    expectValues(runOne(noop, {{"x", x}}), s, x.toDoubles(), 0, "noop_with_empty_axes");
}

TEST(OnnxReduce, ArgMaxArgMinAndTopK) {
    HostTensor x = floatTensor(makeDims({2, 4}), {1, 5, 5, 2, -1, -3, 0, -3});
    ModelBuilder m(11);
    m.input("x", DataType::kFLOAT, {2, 4})
        .output("amax", DataType::kINT64)
        .output("amin", DataType::kINT64)
        .output("vals")
        .output("idx", DataType::kINT64)
        .output("svals")
        .output("sidx", DataType::kINT64);
    m.node("ArgMax", {"x"}, {"amax"}).i("axis", 1).i("keepdims", 0);
    m.node("ArgMin", {"x"}, {"amin"}).i("axis", -1);
    m.ints("k", {2});
    m.node("TopK", {"x", "k"}, {"vals", "idx"});
    m.node("TopK", {"x", "k"}, {"svals", "sidx"}).i("largest", 0).i("axis", 0);
    OnnxRun r = runOnnx(m.bytes(), {{"x", x}}, {"amax", "amin", "vals", "idx", "svals", "sidx"});
    ASSERT_TRUE(r.parsed) << r.errors;
    expectValues(r.outputs[0], makeDims({2}), {1, 2}, 0, "ArgMax keepdims 0 (first of ties)");
    expectValues(r.outputs[1], makeDims({2, 1}), {0, 1}, 0, "ArgMin keepdims 1 (first of ties)");
    expectValues(r.outputs[2], makeDims({2, 2}), {5, 5, 0, -1}, 0, "TopK values");
    expectValues(r.outputs[3], makeDims({2, 2}), {1, 2, 2, 0}, 0, "TopK indices");
    expectValues(r.outputs[4], makeDims({2, 4}), {-1, -3, 0, -3, 1, 5, 5, 2}, 0,
                 "TopK smallest along axis 0");
    expectValues(r.outputs[5], makeDims({2, 4}), {1, 1, 1, 1, 0, 0, 0, 0}, 0, "TopK smallest indices");

    ModelBuilder old(9);
    old.input("x", DataType::kFLOAT, {2, 4}).output("v").output("i", DataType::kINT64);
    old.node("TopK", {"x"}, {"v", "i"}).i("k", 1);
    OnnxRun o = runOnnx(old.bytes(), {{"x", x}}, {"v", "i"});
    ASSERT_TRUE(o.parsed) << o.errors;
    expectValues(o.outputs[0], makeDims({2, 1}), {5, 0}, 0, "TopK-9 attribute k");
}

}  // namespace
}  // namespace kiln::testing
