// The importer registry: one entry per (ONNX op type, opset range). An entry has the importer, which adds
// layers for a node, and an optional checker, which only *reports* attribute values the importer does not
// handle, without touching a network, so the parser can list every unsupported node of a model at once.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "onnx/import_context.h"

namespace kiln::onnx {

/// The opsets Kiln imports for the default domain.
constexpr int64_t kMinOpset = 7;  // 7 and 8 where the operator is unchanged up to 9
// Models below kMinOpset are imported node by node when each operator's definition is unchanged up to
// kMinOpset (importOpset); others are refused with the version converter's advice.
constexpr int64_t kMaxOpset = 24;

/// Adds layers for `node`. `inputs` has one entry per node input (absent ones not present()); the
/// importer fills `outputs` (sized to the node's outputs; optional outputs may stay absent).
using ImportFn = Status (*)(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                            std::vector<Value>& outputs);
/// Returns unsupported(...) naming the attribute for a node the importer would reject by its attributes
/// alone, invalidArgument(...) for attributes of the wrong type; OK otherwise.
using CheckFn = Status (*)(const OnnxNode& node);

struct OpImporter {
    const char* opType;
    int64_t minOpset;  ///< first opset this entry handles
    int64_t maxOpset;  ///< last opset this entry handles (inclusive)
    ImportFn import;
    CheckFn check{nullptr};
    /// Whether a node whose inputs are all constant may be computed at import time. Off for ops whose
    /// layer must stay in the network (explicit quantization).
    bool foldable{true};
};

/// The opset at which Kiln's definition of `opType` (the one in effect at kMinOpset) first appeared in
/// ONNX: at most kMinOpset (kMinOpset itself for an operator that changed at kMinOpset or is unknown
/// before it). Defined in opset_history.cc.
int64_t sinceVersionAtMinOpset(std::string_view opType);
/// The opset to import a default-domain `opType` node of a model at `opset` with: `opset` capped at
/// kMaxOpset; below kMinOpset, kMinOpset when the operator's definition is the same at both (its
/// sinceVersionAtMinOpset <= opset), else `opset` itself, which no importer handles.
int64_t importOpset(std::string_view opType, int64_t opset);

/// The entry for `opType` at `opset`, or null.
const OpImporter* findImporter(std::string_view opType, int64_t opset);
/// Why `opType` at `opset` has no entry: unknown op, or known at other opsets (naming them).
std::string unsupportedReason(std::string_view opType, int64_t opset);
/// Every op type with an entry, sorted.
std::vector<std::string> supportedOps();

// Per-family tables, defined in importers/<family>.cc.
std::span<const OpImporter> activationImporters();
std::span<const OpImporter> elementwiseImporters();
std::span<const OpImporter> convImporters();
std::span<const OpImporter> matmulImporters();
std::span<const OpImporter> normalizationImporters();
std::span<const OpImporter> shapeImporters();
std::span<const OpImporter> movementImporters();
std::span<const OpImporter> reduceImporters();
std::span<const OpImporter> resizeImporters();
std::span<const OpImporter> miscImporters();

}  // namespace kiln::onnx
