// Networks whose Shuffle / Identity / Gather / Slice nodes the runtime may turn into zero-copy views
// (src/runtime/view_analysis.h), shared by tests/runtime/view_test.cc (CPU plans) and
// tests/gpu/cuda_view_test.cc (cuda:0 plans). Each network comes with a naive double-precision
// computation of its outputs written here, independent of Kiln, and the number of nodes expected to
// become views on each target (a GPU plan takes a view only at offsets that are multiples of 64 bytes).
// Every network starts with a relu so that the viewed tensors live in the activation arena, except where
// the point is a view of a network input or of weights.
#pragma once

#include <algorithm>
#include <functional>
#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "kiln/kiln.h"

namespace kiln::testing {

struct ViewNetwork {
    std::string name;
    std::vector<std::pair<std::string, Dims>> inputs;
    std::vector<std::string> outputs;
    std::function<void(INetworkDefinition&)> define;
    /// Outputs (flat, row-major) from the inputs (flat, row-major), computed in double.
    std::function<std::vector<std::vector<double>>(const std::vector<std::vector<float>>&)> reference;
    int32_t viewsCpu{0};
    int32_t viewsGpu{0};
};

/// gtest prints a failing parameter by its name.
inline void PrintTo(const ViewNetwork& v, std::ostream* os) {
    *os << v.name;
}

/// Keeps constant data alive from define() through the build (layers keep pointers, as in TensorRT).
struct ConstantStore {
    std::vector<std::vector<float>> floats;
    std::vector<std::vector<int32_t>> ints;
};

inline Dims dimsOf(std::initializer_list<int64_t> v) {
    Dims d;
    d.nbDims = static_cast<int32_t>(v.size());
    int i = 0;
    for (int64_t x : v) d.d[i++] = x;
    return d;
}

inline ITensor* relu(INetworkDefinition& net, ITensor& x) {
    return net.addActivation(x, ActivationType::kRELU)->getOutput(0);
}

/// A constant of `rank` dims of extent 1 holding `value`: broadcasts against any tensor of that rank.
inline ITensor* scalar(INetworkDefinition& net, ConstantStore& store, int rank, float value) {
    store.floats.push_back({value});
    Dims d;
    d.nbDims = rank;
    for (int i = 0; i < rank; ++i) d.d[i] = 1;
    return net.addConstant(d, Weights{DataType::kFLOAT, store.floats.back().data(), 1})->getOutput(0);
}

/// An int32 index constant: 0-D when `scalarIndex`, else of shape [1].
inline ITensor* index(INetworkDefinition& net, ConstantStore& store, int32_t value, bool scalarIndex) {
    store.ints.push_back({value});
    Dims d = scalarIndex ? Dims{} : dimsOf({1});
    if (scalarIndex) d.nbDims = 0;
    return net.addConstant(d, Weights{DataType::kINT32, store.ints.back().data(), 1})->getOutput(0);
}

inline ITensor* reshape(INetworkDefinition& net, ITensor& x, Dims to) {
    IShuffleLayer* s = net.addShuffle(x);
    s->setReshapeDimensions(to);
    return s->getOutput(0);
}

inline ITensor* binary(INetworkDefinition& net, ITensor& a, ITensor& b, ElementWiseOperation op) {
    return net.addElementWise(a, b, op)->getOutput(0);
}

inline void output(INetworkDefinition& net, ITensor* t, const char* name) {
    t->setName(name);
    net.markOutput(*t);
}

inline double reluOf(float v) {
    return std::max(0.0, static_cast<double>(v));
}

/// Flat row-major elements [begin, begin + count) of relu(x).
inline std::vector<double> reluRange(const std::vector<float>& x, size_t begin, size_t count) {
    std::vector<double> r(count);
    for (size_t i = 0; i < count; ++i) r[i] = reluOf(x[begin + i]);
    return r;
}

/// Gathers rows of relu(x[3, d1, d2]) along axis 0 with indices 0, 1 and -1: y = (g0 + g1) * g2. The
/// offsets are 0, d1*d2 and 2*d1*d2 elements: on a GPU plan only those that are multiples of 16 floats
/// are views.
inline ViewNetwork gatherNetwork(int64_t d1, int64_t d2, int32_t viewsGpu) {
    auto store = std::make_shared<ConstantStore>();
    ViewNetwork v;
    v.name = "gather_axis0_3x" + std::to_string(d1) + "x" + std::to_string(d2);
    v.inputs = {{"x", Dims3(3, d1, d2)}};
    v.outputs = {"y"};
    v.define = [store, d1, d2](INetworkDefinition& net) {
        ITensor* r = relu(net, *net.addInput("x", DataType::kFLOAT, Dims3(3, d1, d2)));
        ITensor* g0 = net.addGather(*r, *index(net, *store, 0, true), 0)->getOutput(0);   // [d1, d2]
        ITensor* g1 = net.addGather(*r, *index(net, *store, 1, true), 0)->getOutput(0);   // [d1, d2]
        ITensor* g2 = net.addGather(*r, *index(net, *store, -1, true), 0)->getOutput(0);  // [d1, d2]
        output(
            net,
            binary(net, *binary(net, *g0, *g1, ElementWiseOperation::kSUM), *g2, ElementWiseOperation::kPROD),
            "y");
    };
    v.reference = [d1, d2](const std::vector<std::vector<float>>& in) {
        const size_t n = static_cast<size_t>(d1 * d2);
        std::vector<double> y(n);
        for (size_t i = 0; i < n; ++i)
            y[i] = (reluOf(in[0][i]) + reluOf(in[0][n + i])) * reluOf(in[0][2 * n + i]);
        return std::vector<std::vector<double>>{y};
    };
    v.viewsCpu = 3;
    v.viewsGpu = viewsGpu;
    return v;
}

inline std::vector<ViewNetwork> viewNetworks() {
    std::vector<ViewNetwork> all;
    {  // relu(x[2,3,4]) -> [6,4] -> [24] -> [1,24,1] with a transpose of unit dims -> [4,6]; y = 2 * that.
        auto store = std::make_shared<ConstantStore>();
        ViewNetwork v{"reshape_chain", {{"x", Dims3(2, 3, 4)}}, {"y"}, nullptr, nullptr, 4, 4};
        v.define = [store](INetworkDefinition& net) {
            ITensor* r = relu(net, *net.addInput("x", DataType::kFLOAT, Dims3(2, 3, 4)));
            ITensor* a = reshape(net, *reshape(net, *r, Dims2(6, 4)), dimsOf({24}));
            IShuffleLayer* u = net.addShuffle(*a);
            u->setReshapeDimensions(Dims3(1, 24, 1));
            u->setSecondTranspose(Permutation{{2, 1, 0}});  // moves only unit dims: still a reinterpretation
            ITensor* b = reshape(net, *u->getOutput(0), Dims2(4, 6));
            output(net, binary(net, *b, *scalar(net, *store, 2, 2.f), ElementWiseOperation::kPROD), "y");
        };
        v.reference = [](const std::vector<std::vector<float>>& in) {
            std::vector<double> y = reluRange(in[0], 0, 24);
            for (double& e : y) e *= 2.0;
            return std::vector<std::vector<double>>{y};
        };
        all.push_back(v);
    }
    {  // transpose(x[5,3]) -> identity -> transpose: between two copies that no fusion pass takes (an identity
       // next to a pointwise op would be fused into a Pointwise program), so it stays a view.
        ViewNetwork v{"identity", {{"x", Dims2(5, 3)}}, {"y"}, nullptr, nullptr, 1, 1};
        v.define = [](INetworkDefinition& net) {
            auto transpose = [&](ITensor& t) {
                IShuffleLayer* s = net.addShuffle(t);
                Permutation perm;
                perm.order[0] = 1;
                perm.order[1] = 0;
                s->setFirstTranspose(perm);
                return s->getOutput(0);
            };
            ITensor* t = transpose(*net.addInput("x", DataType::kFLOAT, Dims2(5, 3)));
            output(net, transpose(*net.addIdentity(*t)->getOutput(0)), "y");
        };
        v.reference = [](const std::vector<std::vector<float>>& in) {
            return std::vector<std::vector<double>>{std::vector<double>(in[0].begin(), in[0].end())};
        };
        all.push_back(v);
    }
    all.push_back(gatherNetwork(5, 7, 1));  // 140-byte offsets: the GPU plan copies rows 1 and 2
    all.push_back(gatherNetwork(4, 8, 3));  // 128-byte offsets: every row is a view on the GPU too
    {  // r = relu(x[4,6,5]); y1 = 3 * r[1:3] (offset 30), y2 = r[3:4, 2:5, :] + 1 (offset 100). Both
       // contiguous; neither offset is a multiple of 16 floats.
        auto store = std::make_shared<ConstantStore>();
        ViewNetwork v{"contiguous_slice", {{"x", Dims3(4, 6, 5)}}, {"y1", "y2"}, nullptr, nullptr, 2, 0};
        v.define = [store](INetworkDefinition& net) {
            ITensor* r = relu(net, *net.addInput("x", DataType::kFLOAT, Dims3(4, 6, 5)));
            ITensor* s1 = net.addSlice(*r, Dims3(1, 0, 0), Dims3(2, 6, 5), Dims3(1, 1, 1))->getOutput(0);
            ITensor* s2 = net.addSlice(*r, Dims3(3, 2, 0), Dims3(1, 3, 5), Dims3(1, 1, 1))->getOutput(0);
            output(net, binary(net, *s1, *scalar(net, *store, 3, 3.f), ElementWiseOperation::kPROD), "y1");
            output(net, binary(net, *s2, *scalar(net, *store, 3, 1.f), ElementWiseOperation::kSUM), "y2");
        };
        v.reference = [](const std::vector<std::vector<float>>& in) {
            std::vector<double> y1 = reluRange(in[0], 30, 60), y2 = reluRange(in[0], 100, 15);
            for (double& e : y1) e *= 3.0;
            for (double& e : y2) e += 1.0;
            return std::vector<std::vector<double>>{y1, y2};
        };
        all.push_back(v);
    }
    {  // r = relu(x[4,6,5]); y1 = r[:, 1:3, :] (rows apart), y2 = r[1:2, 0:6:2, :] (stride 2): both copy.
        auto store = std::make_shared<ConstantStore>();
        ViewNetwork v{"non_contiguous_slice", {{"x", Dims3(4, 6, 5)}}, {"y1", "y2"}, nullptr, nullptr, 0, 0};
        v.define = [store](INetworkDefinition& net) {
            ITensor* r = relu(net, *net.addInput("x", DataType::kFLOAT, Dims3(4, 6, 5)));
            ITensor* s1 = net.addSlice(*r, Dims3(0, 1, 0), Dims3(4, 2, 5), Dims3(1, 1, 1))->getOutput(0);
            ITensor* s2 = net.addSlice(*r, Dims3(1, 0, 0), Dims3(1, 3, 5), Dims3(1, 2, 1))->getOutput(0);
            output(net, binary(net, *s1, *scalar(net, *store, 3, 1.f), ElementWiseOperation::kPROD), "y1");
            output(net, binary(net, *s2, *scalar(net, *store, 3, 1.f), ElementWiseOperation::kPROD), "y2");
        };
        v.reference = [](const std::vector<std::vector<float>>& in) {
            std::vector<double> y1, y2;
            for (int b = 0; b < 4; ++b)
                for (int h = 1; h < 3; ++h)
                    for (int w = 0; w < 5; ++w)
                        y1.push_back(reluOf(in[0][static_cast<size_t>((b * 6 + h) * 5 + w)]));
            for (int h = 0; h < 6; h += 2)
                for (int w = 0; w < 5; ++w) y2.push_back(reluOf(in[0][static_cast<size_t>((6 + h) * 5 + w)]));
            return std::vector<std::vector<double>>{y1, y2};
        };
        all.push_back(v);
    }
    {  // A reshape of the network input reads the user's buffer: y = relu(reshape(x[2,6], [3,4])).
        ViewNetwork v{"reshape_of_input", {{"x", Dims2(2, 6)}}, {"y"}, nullptr, nullptr, 1, 1};
        v.define = [](INetworkDefinition& net) {
            output(net,
                   relu(net, *reshape(net, *net.addInput("x", DataType::kFLOAT, Dims2(2, 6)), Dims2(3, 4))),
                   "y");
        };
        v.reference = [](const std::vector<std::vector<float>>& in) {
            return std::vector<std::vector<double>>{reluRange(in[0], 0, 12)};
        };
        all.push_back(v);
    }
    {  // Network outputs are written, never aliased: y1 = reshape(relu(x)), y2 = identity(relu(x)).
        ViewNetwork v{"view_is_output", {{"x", Dims2(2, 6)}}, {"y1", "y2"}, nullptr, nullptr, 0, 0};
        v.define = [](INetworkDefinition& net) {
            ITensor* r = relu(net, *net.addInput("x", DataType::kFLOAT, Dims2(2, 6)));
            output(net, reshape(net, *r, dimsOf({12})), "y1");
            output(net, net.addIdentity(*r)->getOutput(0), "y2");
        };
        v.reference = [](const std::vector<std::vector<float>>& in) {
            return std::vector<std::vector<double>>{reluRange(in[0], 0, 12), reluRange(in[0], 0, 12)};
        };
        all.push_back(v);
    }
    {  // v = reshape(relu(x[2,3,4]), [6,4]) read early and late: a = v + 1; b = a * a; y = b + v. If the
       // arena let b reuse relu's bytes (v's root), y would read b's values.
        auto store = std::make_shared<ConstantStore>();
        ViewNetwork v{"view_two_consumers", {{"x", Dims3(2, 3, 4)}}, {"y"}, nullptr, nullptr, 1, 1};
        v.define = [store](INetworkDefinition& net) {
            ITensor* r = relu(net, *net.addInput("x", DataType::kFLOAT, Dims3(2, 3, 4)));
            ITensor* view = reshape(net, *r, Dims2(6, 4));
            ITensor* a = binary(net, *view, *scalar(net, *store, 2, 1.f), ElementWiseOperation::kSUM);
            ITensor* b = binary(net, *a, *a, ElementWiseOperation::kPROD);
            output(net, binary(net, *b, *view, ElementWiseOperation::kSUM), "y");
        };
        v.reference = [](const std::vector<std::vector<float>>& in) {
            std::vector<double> y = reluRange(in[0], 0, 24);
            for (double& e : y) e = (e + 1) * (e + 1) + e;
            return std::vector<std::vector<double>>{y};
        };
        all.push_back(v);
    }
    {  // Views of views: r = relu(x[3,4,16]); g = r[2] (offset 128); s = reshape(g, [1,4,16])[:, 1:3, :]
       // (offset +16); f = reshape(s, [32]); y = f - 1, z = g * 2 (g's last use after f's).
        auto store = std::make_shared<ConstantStore>();
        ViewNetwork v{"views_of_views", {{"x", Dims3(3, 4, 16)}}, {"y", "z"}, nullptr, nullptr, 4, 4};
        v.define = [store](INetworkDefinition& net) {
            ITensor* r = relu(net, *net.addInput("x", DataType::kFLOAT, Dims3(3, 4, 16)));
            ITensor* g = net.addGather(*r, *index(net, *store, 2, false), 0)->getOutput(0);  // [1,4,16]
            ITensor* g3 = reshape(net, *g, Dims3(1, 4, 16));
            ITensor* s = net.addSlice(*g3, Dims3(0, 1, 0), Dims3(1, 2, 16), Dims3(1, 1, 1))->getOutput(0);
            ITensor* f = reshape(net, *s, dimsOf({32}));
            output(net, binary(net, *f, *scalar(net, *store, 1, 1.f), ElementWiseOperation::kSUB), "y");
            output(net, binary(net, *g, *scalar(net, *store, 3, 2.f), ElementWiseOperation::kPROD), "z");
        };
        v.reference = [](const std::vector<std::vector<float>>& in) {
            std::vector<double> y = reluRange(in[0], 128 + 16, 32), z = reluRange(in[0], 128, 64);
            for (double& e : y) e -= 1.0;
            for (double& e : z) e *= 2.0;
            return std::vector<std::vector<double>>{y, z};
        };
        all.push_back(v);
    }
    {  // A view of weights too large to evaluate during resolution: y = x + W[1], W of [2, 4160].
        auto store = std::make_shared<ConstantStore>();
        std::mt19937 rng(17);
        std::uniform_real_distribution<float> u(-1.f, 1.f);
        store->floats.emplace_back(2 * 4160);
        for (float& e : store->floats.back()) e = u(rng);
        ViewNetwork v{"view_of_weights", {{"x", dimsOf({4160})}}, {"y"}, nullptr, nullptr, 1, 1};
        v.define = [store](INetworkDefinition& net) {
            ITensor* x = net.addInput("x", DataType::kFLOAT, dimsOf({4160}));
            ITensor* w =
                net.addConstant(Dims2(2, 4160), Weights{DataType::kFLOAT, store->floats[0].data(), 2 * 4160})
                    ->getOutput(0);
            ITensor* row = net.addGather(*w, *index(net, *store, 1, true), 0)->getOutput(0);
            output(net, binary(net, *x, *row, ElementWiseOperation::kSUM), "y");
        };
        v.reference = [store](const std::vector<std::vector<float>>& in) {
            std::vector<double> y(4160);
            for (size_t i = 0; i < y.size(); ++i) y[i] = double(in[0][i]) + store->floats[0][4160 + i];
            return std::vector<std::vector<double>>{y};
        };
        all.push_back(v);
    }
    return all;
}

/// Seeded inputs in [-2, 2) for the network's input shapes.
inline std::vector<std::vector<float>> viewInputs(const ViewNetwork& v, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-2.f, 2.f);
    std::vector<std::vector<float>> in;
    for (const auto& [name, shape] : v.inputs) {
        int64_t n = 1;
        for (int i = 0; i < shape.nbDims; ++i) n *= shape.d[i];
        in.emplace_back(static_cast<size_t>(n));
        for (float& e : in.back()) e = u(rng);
    }
    return in;
}

}  // namespace kiln::testing
