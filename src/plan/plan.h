// The in-memory form of a plan file and the two functions that move it to and from bytes.
//
// File layout (all integers little-endian):
//   [0, 64)     fixed prefix: magic "KILNPLAN", prefix version, body format version (a copy of the
//               header's, so an incompatible body is named before FlatBuffers verification), total file
//               size, checksum (see below), offset/size of the FlatBuffers body, offset/size of the
//               weights section; field offsets in plan_format.h
//   body        FlatBuffers table `Plan` (src/plan/plan.fbs): header (format version, Kiln version,
//               target, GPU name, library versions), tensors, nodes with attributes and tactic, weights
//               index (offset + size into the weights section)
//   weights     raw constant bytes, each blob starting at a 64-byte-aligned file offset
// The checksum covers every byte of the file except the checksum field itself: XXH64 over the bytes after
// the field, seeded with XXH64 of the bytes before it (plan_format.h, checksum.h).
// The layout is canonical: the body follows the prefix, the weights section starts at the first 64-byte
// boundary after it, blobs follow each other at 64-byte boundaries and the file ends with the last blob;
// the reader accepts nothing else. Bytes objects shared by several Constant nodes are stored once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "ir/graph.h"

namespace kiln::plan {

/// Bumped whenever the body schema changes incompatibly (a new attribute field counts: older readers
/// would reject it, newer ones would miss it). 2: the ONNX-conformance attributes (Reduce
/// noop_with_empty_axes, Cast saturate, blocked quantization, Resize modes, Scatter reductions, pooling
/// indices) and the new data types. 3: fused epilogues (MatrixMultiply, Convolution), the Pointwise op,
/// channels-last convolutions and pooling, the Attention op, the tuned tactics, the workspace and the TF32
/// permission in the header. Fields added since are optional (ir::OptionalField: written only when they
/// differ from their default, default when absent), so they need no bump: Attention's q_view, k_view,
/// v_view (strided operands).
constexpr uint32_t kPlanFormatVersion = 3;

struct PlanHeader {
    uint32_t formatVersion{kPlanFormatVersion};
    int32_t kilnVersion{0};  ///< getKilnVersion() of the writer
    std::string target;      ///< "cpu" or "sm_90" style
    std::string deviceName;  ///< GPU name, or the CPU description for cpu plans
    int32_t cudaVersion{0};  ///< runtime version compiled against (0 for cpu)
    int32_t cudnnVersion{0};
    int32_t cublasVersion{0};
    int64_t workspaceBytes{0};  ///< GPU plans: the library workspace the tuned tactics need (0: the default)
    bool tf32{false};           ///< GPU plans: float32 convolutions and matmuls may use TF32 (BuilderFlag::kTF32)
};

/// The builder's choice for one node.
struct NodeTactic {
    std::string name;  ///< stable tactic name, e.g. "reference"
    int64_t id{0};
};

struct Plan {
    PlanHeader header;
    ir::Graph graph;                  ///< topologically sorted, shapes inferred, network I/O marked
    std::vector<NodeTactic> tactics;  ///< one per graph node
};

/// Serializes `plan`. Fails only on an internal inconsistency (e.g. tactics.size() != nodes): it runs the
/// reader's graph checks first (plan_checks.h), so it never writes a plan readPlan would reject, except for
/// the header's Kiln version: the header is written as given, so set kilnVersion = getKilnVersion() (the
/// default 0 reads back as "built with Kiln 0.0.0"). formatVersion must be kPlanFormatVersion.
/// Deterministic: the bytes depend only on the plan's contents, and writePlan(readPlan(bytes)) == bytes.
StatusOr<std::vector<uint8_t>> writePlan(const Plan& plan);

/// Parses and verifies a plan: prefix, size, checksum, FlatBuffers structure, every id and attribute,
/// and re-runs graph validation. Never crashes on hostile input; the error says which field, what was
/// expected and what was found. `data` may have any alignment. The Kiln version must match this Kiln's
/// major.minor; the target (cpu / sm_XX) is not checked here: the runtime compares it with the machine.
StatusOr<Plan> readPlan(const void* data, size_t size);

}  // namespace kiln::plan
