// HostTensor: an owning, typed, shaped host buffer (row-major). Used by tests, the CLI's .npy I/O and
// the CPU runtime's shape-tensor evaluation.
#pragma once

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "common/tensor_ref.h"

namespace kiln {

struct HostTensor {
    DataType type{DataType::kFLOAT};
    Dims shape{};
    std::vector<uint8_t> bytes;

    HostTensor() = default;
    HostTensor(DataType t, Dims s) : type(t), shape(s) {
        bytes.assign(static_cast<size_t>(storageBytes(t, volume(s))), 0);
    }
    /// An absent optional input.
    static HostTensor absent() {
        HostTensor h;
        h.shape.nbDims = -1;
        return h;
    }
    bool present() const { return shape.nbDims >= 0; }
    int64_t numel() const { return volume(shape); }
    void* data() { return bytes.data(); }
    const void* data() const { return bytes.data(); }
    TensorRef ref() { return TensorRef{type, shape, present() ? bytes.data() : nullptr}; }
    TensorRef ref() const { return TensorRef{type, shape, present() ? const_cast<uint8_t*>(bytes.data()) : nullptr}; }

    double at(int64_t i) const { return loadAsDouble(type, bytes.data(), i); }
    int64_t atInt(int64_t i) const { return loadAsInt64(type, bytes.data(), i); }
    void set(int64_t i, double v) { storeFromDouble(type, bytes.data(), i, v); }
    void setInt(int64_t i, int64_t v) { storeFromInt64(type, bytes.data(), i, v); }

    /// Values converted to double, in order.
    std::vector<double> toDoubles() const {
        std::vector<double> v(static_cast<size_t>(numel()));
        for (int64_t i = 0; i < numel(); ++i) v[static_cast<size_t>(i)] = at(i);
        return v;
    }

    template <typename T>
    static HostTensor fromVector(DataType t, Dims s, const std::vector<T>& values) {
        HostTensor h(t, s);
        for (size_t i = 0; i < values.size() && static_cast<int64_t>(i) < h.numel(); ++i) {
            if constexpr (std::is_integral_v<T>)
                h.setInt(static_cast<int64_t>(i), static_cast<int64_t>(values[i]));
            else
                h.set(static_cast<int64_t>(i), static_cast<double>(values[i]));
        }
        return h;
    }

    /// Uniform random values in [lo, hi] (integers: inclusive range; bool: 0/1), deterministic per seed.
    static HostTensor random(DataType t, Dims s, uint64_t seed, double lo = -1.0, double hi = 1.0) {
        HostTensor h(t, s);
        std::mt19937_64 rng(seed);
        for (int64_t i = 0; i < h.numel(); ++i) {
            if (t == DataType::kBOOL) {
                h.setInt(i, static_cast<int64_t>(rng() & 1));
            } else if (isIntegerType(t)) {
                std::uniform_int_distribution<int64_t> d(static_cast<int64_t>(lo), static_cast<int64_t>(hi));
                h.setInt(i, d(rng));
            } else {
                std::uniform_real_distribution<double> d(lo, hi);
                h.set(i, d(rng));
            }
        }
        return h;
    }
};

}  // namespace kiln
