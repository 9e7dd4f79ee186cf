// The importer registry (see op_registry.h). Family tables are gathered by explicit calls rather than
// static registration objects, which a static library would drop when nothing references their file.
#include "onnx/op_registry.h"

#include <map>
#include <set>

namespace kiln::onnx {

namespace {

using Table = std::multimap<std::string, const OpImporter*, std::less<>>;

const Table& table() {
    static const Table t = [] {
        Table m;
        for (auto family : {activationImporters(), elementwiseImporters(), convImporters(), matmulImporters(),
                            normalizationImporters(), shapeImporters(), movementImporters(),
                            reduceImporters(), resizeImporters(), miscImporters()})
            for (const OpImporter& e : family) m.emplace(e.opType, &e);
        return m;
    }();
    return t;
}

}  // namespace

const OpImporter* findImporter(std::string_view opType, int64_t opset) {
    auto [lo, hi] = table().equal_range(opType);
    for (auto it = lo; it != hi; ++it)
        if (opset >= it->second->minOpset && opset <= it->second->maxOpset) return it->second;
    return nullptr;
}

std::string unsupportedReason(std::string_view opType, int64_t opset) {
    auto [lo, hi] = table().equal_range(opType);
    if (lo == hi) return "Kiln has no importer for operator '" + std::string(opType) + "'";
    std::string ranges;
    for (auto it = lo; it != hi; ++it)
        ranges += (ranges.empty() ? "" : ", ") + std::to_string(it->second->minOpset) + ".." +
                  std::to_string(it->second->maxOpset);
    if (opset < kMinOpset) {
        // Below kMinOpset only operators unchanged up to kMinOpset are imported (see importOpset).
        const int64_t since = sinceVersionAtMinOpset(opType);
        const std::string op(opType);
        const std::string why = since < kMinOpset
                                    ? "'" + op + "' was redefined at opset " + std::to_string(since)
                                    : "Kiln imports '" + op + "' at opsets " + ranges + " only";
        return "the model uses opset " + std::to_string(opset) + "; Kiln imports opsets " +
               std::to_string(kMinOpset) + ".." + std::to_string(kMaxOpset) +
               ", and older models where an operator's definition is unchanged up to opset " +
               std::to_string(kMinOpset) + ", but " + why +
               ": convert the model with onnx.version_converter.convert_version(model, 17)";
    }
    return "Kiln imports '" + std::string(opType) + "' at opsets " + ranges + ", the model uses opset " +
           std::to_string(opset);
}

std::vector<std::string> supportedOps() {
    std::set<std::string> names;
    for (const auto& [name, entry] : table()) names.insert(name);
    return {names.begin(), names.end()};
}

}  // namespace kiln::onnx
