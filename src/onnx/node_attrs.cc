// NodeAttrs (see node_attrs.h).
#include "onnx/node_attrs.h"

namespace kiln::onnx {

std::string attributeTypeName(AttributeProto::AttributeType type) {
    if (AttributeProto::AttributeType_IsValid(type)) return AttributeProto::AttributeType_Name(type);
    return "type " + std::to_string(static_cast<int>(type));
}

AttributeProto::AttributeType attributeTypeOf(const AttributeProto& a) {
    if (a.has_type() && a.type() != AttributeProto::UNDEFINED) return a.type();
    // IR version 1 models may omit `type`; the filled field tells it.
    if (a.has_f()) return AttributeProto::FLOAT;
    if (a.has_i()) return AttributeProto::INT;
    if (a.has_s()) return AttributeProto::STRING;
    if (a.has_t()) return AttributeProto::TENSOR;
    if (a.has_g()) return AttributeProto::GRAPH;
    if (a.floats_size() > 0) return AttributeProto::FLOATS;
    if (a.ints_size() > 0) return AttributeProto::INTS;
    if (a.strings_size() > 0) return AttributeProto::STRINGS;
    if (a.tensors_size() > 0) return AttributeProto::TENSORS;
    if (a.graphs_size() > 0) return AttributeProto::GRAPHS;
    return AttributeProto::UNDEFINED;
}

const AttributeProto* NodeAttrs::find(const std::string& name) const {
    for (const auto& a : mNode->attribute())
        if (a.name() == name) return &a;
    return nullptr;
}

StatusOr<const AttributeProto*> NodeAttrs::typed(const std::string& name, AttributeProto::AttributeType type,
                                                 bool required) const {
    const AttributeProto* a = find(name);
    if (!a) {
        if (required)
            return invalidArgument("required attribute '" + name + "' (" + attributeTypeName(type) +
                                   ") is missing");
        return static_cast<const AttributeProto*>(nullptr);
    }
    const AttributeProto::AttributeType actual = attributeTypeOf(*a);
    // An empty list has no filled field to tell its type; accept it for list types.
    const bool emptyList = actual == AttributeProto::UNDEFINED &&
                           (type == AttributeProto::INTS || type == AttributeProto::FLOATS);
    if (actual != type && !emptyList)
        return invalidArgument("attribute '" + name + "' must be " + attributeTypeName(type) + ", found " +
                               attributeTypeName(actual));
    return a;
}

StatusOr<int64_t> NodeAttrs::getInt(const std::string& name, std::optional<int64_t> fallback) const {
    KILN_ASSIGN_OR_RETURN(const AttributeProto* a, typed(name, AttributeProto::INT, !fallback.has_value()));
    return a ? a->i() : *fallback;
}

StatusOr<float> NodeAttrs::getFloat(const std::string& name, std::optional<float> fallback) const {
    KILN_ASSIGN_OR_RETURN(const AttributeProto* a, typed(name, AttributeProto::FLOAT, !fallback.has_value()));
    return a ? a->f() : *fallback;
}

StatusOr<std::string> NodeAttrs::getString(const std::string& name,
                                           std::optional<std::string> fallback) const {
    KILN_ASSIGN_OR_RETURN(const AttributeProto* a,
                          typed(name, AttributeProto::STRING, !fallback.has_value()));
    return a ? a->s() : *fallback;
}

StatusOr<std::vector<int64_t>> NodeAttrs::getInts(const std::string& name,
                                                  std::optional<std::vector<int64_t>> fallback) const {
    KILN_ASSIGN_OR_RETURN(const AttributeProto* a, typed(name, AttributeProto::INTS, !fallback.has_value()));
    if (!a) return *fallback;
    return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

StatusOr<std::vector<float>> NodeAttrs::getFloats(const std::string& name,
                                                  std::optional<std::vector<float>> fallback) const {
    KILN_ASSIGN_OR_RETURN(const AttributeProto* a,
                          typed(name, AttributeProto::FLOATS, !fallback.has_value()));
    if (!a) return *fallback;
    return std::vector<float>(a->floats().begin(), a->floats().end());
}

StatusOr<const TensorProto*> NodeAttrs::getTensor(const std::string& name) const {
    KILN_ASSIGN_OR_RETURN(const AttributeProto* a, typed(name, AttributeProto::TENSOR, true));
    return &a->t();
}

}  // namespace kiln::onnx
