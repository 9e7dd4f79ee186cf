// The in-memory form of a plan file and the two functions that move it to and from bytes.
//
// File layout (all integers little-endian):
//   [0, 64)     fixed prefix: magic "KILNPLAN", prefix version, total file size, checksum (see below),
//               offset/size of the FlatBuffers body, offset/size of the weights section
//   body        FlatBuffers table `Plan` (src/plan/plan.fbs): header (format version, Kiln version,
//               target, GPU name, library versions), tensors, nodes with attributes and tactic, weights
//               index (offset + size into the weights section)
//   weights     raw constant bytes, each blob starting at a 64-byte-aligned file offset
// The checksum covers every byte of the file except the checksum field itself.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "ir/graph.h"

namespace kiln::plan {

/// Bumped whenever the body schema changes incompatibly.
constexpr uint32_t kPlanFormatVersion = 1;

struct PlanHeader {
    uint32_t formatVersion{kPlanFormatVersion};
    int32_t kilnVersion{0};          ///< getKilnVersion() of the writer
    std::string target;              ///< "cpu" or "sm_90" style
    std::string deviceName;          ///< GPU name, or the CPU description for cpu plans
    int32_t cudaVersion{0};          ///< runtime version compiled against (0 for cpu)
    int32_t cudnnVersion{0};
    int32_t cublasVersion{0};
};

/// The builder's choice for one node.
struct NodeTactic {
    std::string name;   ///< stable tactic name, e.g. "reference"
    int64_t id{0};
};

struct Plan {
    PlanHeader header;
    ir::Graph graph;                    ///< topologically sorted, shapes inferred, network I/O marked
    std::vector<NodeTactic> tactics;    ///< one per graph node
};

/// Serializes `plan`. Fails only on an internal inconsistency (e.g. tactics.size() != nodes).
StatusOr<std::vector<uint8_t>> writePlan(const Plan& plan);

/// Parses and verifies a plan: prefix, size, checksum, FlatBuffers structure, every id and attribute,
/// and re-runs graph validation. Never crashes on hostile input; the error says which field, what was
/// expected and what was found.
StatusOr<Plan> readPlan(const void* data, size_t size);

}  // namespace kiln::plan
