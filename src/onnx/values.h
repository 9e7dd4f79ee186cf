// What an ONNX tensor name stands for while a model is imported: a network tensor, a constant known at
// import time (initializers, Constant nodes, folded subgraphs), or both. Small integer tensors computed
// at run time (shape arithmetic) may also carry the elements that are already known ("partial" values),
// so that Shape -> Gather of a static dimension folds to a constant even when other dims are dynamic.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/dims.h"
#include "common/status.h"
#include "common/tensor_ref.h"
#include "kiln/network.h"

namespace kiln::onnx {

using Bytes = std::shared_ptr<const std::vector<uint8_t>>;

/// A tensor whose values are known at import time. Row-major, of `type` and `shape`.
struct ConstValue {
    DataType type{DataType::kFLOAT};
    Dims shape{};
    Bytes bytes;

    int64_t count() const { return volume(shape); }
    const void* data() const { return bytes && !bytes->empty() ? bytes->data() : nullptr; }
    double at(int64_t i) const { return loadAsDouble(type, data(), i); }
    int64_t atInt(int64_t i) const { return loadAsInt64(type, data(), i); }
    std::vector<int64_t> toInts() const {
        std::vector<int64_t> v(static_cast<size_t>(count()));
        for (int64_t i = 0; i < count(); ++i) v[static_cast<size_t>(i)] = atInt(i);
        return v;
    }
    std::vector<double> toDoubles() const {
        std::vector<double> v(static_cast<size_t>(count()));
        for (int64_t i = 0; i < count(); ++i) v[static_cast<size_t>(i)] = at(i);
        return v;
    }
    Weights weights() const { return Weights{type, data(), count()}; }

    static ConstValue make(DataType type, Dims shape, std::vector<uint8_t> bytes) {
        return ConstValue{type, shape, std::make_shared<const std::vector<uint8_t>>(std::move(bytes))};
    }
    static ConstValue fromInts(DataType type, Dims shape, const std::vector<int64_t>& values) {
        std::vector<uint8_t> b(static_cast<size_t>(storageBytes(type, volume(shape))));
        for (size_t i = 0; i < values.size() && static_cast<int64_t>(i) < volume(shape); ++i)
            storeFromInt64(type, b.data(), static_cast<int64_t>(i), values[i]);
        return make(type, shape, std::move(b));
    }
    static ConstValue fromDoubles(DataType type, Dims shape, const std::vector<double>& values) {
        std::vector<uint8_t> b(static_cast<size_t>(storageBytes(type, volume(shape))));
        for (size_t i = 0; i < values.size() && static_cast<int64_t>(i) < volume(shape); ++i)
            storeFromDouble(type, b.data(), static_cast<int64_t>(i), values[i]);
        return make(type, shape, std::move(b));
    }
    /// A 1-D int64 vector.
    static ConstValue vector(const std::vector<int64_t>& values) {
        return fromInts(DataType::kINT64, makeDims({static_cast<int64_t>(values.size())}), values);
    }
};

/// An element of a partially known integer tensor: the value, or nullopt when only known at run time.
using PartialElement = std::optional<int64_t>;

/// A tensor whose layers are only added when something needs it as a tensor: shape arithmetic with
/// partially known elements, which often ends up fully folded by its consumers (a reshape's -1) and
/// then needs no layers at all.
struct Deferred {
    DataType type{DataType::kINT64};
    Dims dims{};
    std::function<StatusOr<ITensor*>()> make;  ///< adds the layers; called at most once
    ITensor* tensor{nullptr};                  ///< set once made
};

/// One ONNX tensor during import.
struct Value {
    std::string name;                            ///< the ONNX name ("" for intermediates of an importer)
    ITensor* tensor{nullptr};                    ///< the network tensor, when one exists
    std::shared_ptr<const ConstValue> constant;  ///< the values, when known at import time
    std::shared_ptr<Deferred> deferred;          ///< layers not added yet (see Deferred)
    /// For small rank-0/1 integer tensors computed at run time: the elements known now (row-major).
    std::optional<std::vector<PartialElement>> partial;

    bool present() const { return tensor != nullptr || constant != nullptr || deferred != nullptr; }
    bool isConstant() const { return constant != nullptr; }
    DataType dtype() const {
        if (constant) return constant->type;
        if (tensor) return tensor->getType();
        return deferred ? deferred->type : DataType::kFLOAT;
    }
    Dims dims() const {
        if (constant) return constant->shape;
        if (tensor) return tensor->getDimensions();
        if (deferred) return deferred->dims;
        Dims d;
        d.nbDims = -1;
        return d;
    }

    static Value fromTensor(ITensor* t) {
        Value v;
        v.tensor = t;
        return v;
    }
    static Value fromConstant(ConstValue c) {
        Value v;
        v.constant = std::make_shared<const ConstValue>(std::move(c));
        return v;
    }
};

}  // namespace kiln::onnx
