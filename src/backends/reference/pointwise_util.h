// Helpers shared by the pointwise reference kernels (pointwise*.cc): a threaded element loop, the
// numpy-broadcast walk that maps an output element to its input elements, and a store into the narrow float
// formats that rounds once, correctly, from the double the kernels compute in.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "backends/reference/kernels.h"
#include "common/dims.h"
#include "common/float_types.h"

namespace kiln::reference::pointwise {

/// Elements per parallelFor chunk: enough work that handing a chunk to a thread costs next to nothing.
constexpr int64_t kGrain = 16384;

/// Calls fn(begin, end) over [0, n), split over the context's pool when it has one.
inline void parallelRange(const KernelContext& ctx, int64_t n,
                          const std::function<void(int64_t, int64_t)>& fn) {
    if (n <= 0) return;
    if (ctx.pool != nullptr)
        ctx.pool->parallelFor(n, kGrain, fn);
    else
        fn(0, n);
}

/// Stores a computed value into element i of a float-typed buffer, correctly rounded to its format.
inline void storeFloat(DataType type, void* data, int64_t i, double v) {
    if (type == DataType::kFLOAT) {
        static_cast<float*>(data)[i] = static_cast<float>(v);
        return;
    }
    storeFromDouble(type, data, i, static_cast<double>(roundToOddFloat(v)));
}

/// Maps output elements to input elements under numpy broadcasting (ranks aligned at the right, extent-1
/// dims repeated). Inputs with the output's element count use the output index directly and one-element
/// inputs use 0, so the common same-shape and scalar cases never touch coordinates.
template <size_t N>
class BroadcastWalk {
public:
    static StatusOr<BroadcastWalk> make(const Dims& out, const std::array<Dims, N>& ins) {
        BroadcastWalk w;
        w.mRank = out.nbDims;
        for (int d = 0; d < w.mRank; ++d) w.mDims[d] = out.d[d];
        const int64_t outCount = volume(out);
        for (size_t k = 0; k < N; ++k) {
            const Dims& in = ins[k];
            if (in.nbDims > out.nbDims)
                return internalError("broadcast: input " + std::to_string(k) + " shape " + toString(in) +
                                     " has a higher rank than the output " + toString(out));
            std::vector<int64_t> inStrides = stridesOf(in);
            for (int d = 0; d < w.mRank; ++d) {
                int id = d - (out.nbDims - in.nbDims);
                int64_t extent = id >= 0 ? in.d[id] : 1;
                if (extent != out.d[d] && extent != 1)
                    return internalError("broadcast: input " + std::to_string(k) + " shape " + toString(in) +
                                         " does not broadcast to the output shape " + toString(out));
                w.mStrides[k][d] = (id >= 0 && extent != 1) ? inStrides[static_cast<size_t>(id)] : 0;
            }
            int64_t inCount = volume(in);
            w.mKind[k] = inCount == outCount ? Kind::kDirect : inCount == 1 ? Kind::kScalar : Kind::kGeneral;
            if (w.mKind[k] == Kind::kGeneral) w.mSimple = false;
        }
        return w;
    }

    /// Calls f(outIndex, inIndices) for the output elements [begin, end), in order.
    template <class F>
    void forRange(int64_t begin, int64_t end, F&& f) const {
        std::array<int64_t, N> idx{};
        if (mSimple) {
            for (int64_t i = begin; i < end; ++i) {
                for (size_t k = 0; k < N; ++k) idx[k] = mKind[k] == Kind::kDirect ? i : 0;
                f(i, idx);
            }
            return;
        }
        // Odometer over the output coordinates, carrying each input's offset along.
        int64_t coord[kMAX_DIMS] = {};
        int64_t rest = begin;
        for (int d = mRank - 1; d >= 0; --d) {
            coord[d] = rest % mDims[d];
            rest /= mDims[d];
        }
        for (size_t k = 0; k < N; ++k)
            for (int d = 0; d < mRank; ++d) idx[k] += coord[d] * mStrides[k][d];
        for (int64_t i = begin; i < end; ++i) {
            f(i, idx);
            for (int d = mRank - 1; d >= 0; --d) {
                ++coord[d];
                for (size_t k = 0; k < N; ++k) idx[k] += mStrides[k][d];
                if (coord[d] < mDims[d]) break;
                coord[d] = 0;
                for (size_t k = 0; k < N; ++k) idx[k] -= mStrides[k][d] * mDims[d];
            }
        }
    }

private:
    enum class Kind { kDirect, kScalar, kGeneral };
    int mRank{0};
    int64_t mDims[kMAX_DIMS] = {};
    int64_t mStrides[N][kMAX_DIMS] = {};
    std::array<Kind, N> mKind{};
    bool mSimple{true};
};

}  // namespace kiln::reference::pointwise
