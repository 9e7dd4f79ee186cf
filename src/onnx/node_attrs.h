// Typed access to an ONNX node's attributes. A getter fails with a message naming the attribute when it
// is missing (and has no default) or has another type than the operator defines ("attribute 'axis' must
// be INT, found FLOAT"), so importers never read a wrong field silently.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "onnx/onnx_subset.pb.h"

namespace kiln::onnx {

/// "INTS" style name of an attribute type.
std::string attributeTypeName(AttributeProto::AttributeType type);

/// The type of an attribute, inferred from the filled field when an old exporter left `type` unset.
AttributeProto::AttributeType attributeTypeOf(const AttributeProto& attr);

class NodeAttrs {
public:
    explicit NodeAttrs(const NodeProto& node) : mNode(&node) {}

    const AttributeProto* find(const std::string& name) const;
    bool has(const std::string& name) const { return find(name) != nullptr; }

    StatusOr<int64_t> getInt(const std::string& name, std::optional<int64_t> fallback = std::nullopt) const;
    StatusOr<float> getFloat(const std::string& name, std::optional<float> fallback = std::nullopt) const;
    StatusOr<std::string> getString(const std::string& name,
                                    std::optional<std::string> fallback = std::nullopt) const;
    StatusOr<std::vector<int64_t>> getInts(const std::string& name,
                                           std::optional<std::vector<int64_t>> fallback = std::nullopt) const;
    StatusOr<std::vector<float>> getFloats(const std::string& name,
                                           std::optional<std::vector<float>> fallback = std::nullopt) const;
    /// A TENSOR attribute; null with an error when missing or of another type.
    StatusOr<const TensorProto*> getTensor(const std::string& name) const;

private:
    StatusOr<const AttributeProto*> typed(const std::string& name, AttributeProto::AttributeType type,
                                          bool required) const;
    const NodeProto* mNode;
};

}  // namespace kiln::onnx
