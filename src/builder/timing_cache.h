// The builder's timing cache (TensorRT's timing cache, behind the public ITimingCache): what the
// autotuner chose for a layer, keyed by everything that decides the choice (timingCacheKey), so a later
// build of this network, or of another with the same layers, takes the choice without timing it. The
// cache carries the identity of the setup its timings were taken on (GPU, cuDNN, cuBLASLt, Kiln) and
// serializes to a versioned, checksummed binary format:
//   [0, 8)    magic "KILNTIME"
//   [8, 12)   format version (kTimingCacheFormatVersion)
//   [12, 16)  number of entries
//   [16, 24)  total size in bytes
//   [24, 32)  checksum: XXH64 over [32, size) seeded with XXH64 over [0, 24) (as plans do)
//   [32, ...) identity: target, device name (strings), cuDNN, cuBLASLt, Kiln versions (int32);
//             then per entry, sorted by key: key, tactic name (strings), tactic id, workspace bytes
//             (int64), median milliseconds (float32)
// All integers little-endian; a string is its uint32 length and its bytes. One cache may serve several
// builders at once, so every method locks.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "backends/device_info.h"
#include "backends/tactic_candidate.h"
#include "common/status.h"
#include "common/tensor_ref.h"
#include "ir/graph.h"

namespace kiln::builder {

/// Bumped whenever the byte layout or the key's text changes: older caches are then refused by name.
constexpr uint32_t kTimingCacheFormatVersion = 1;

/// Where a cache's timings were taken. An unbound identity (no target: a new cache, or one only CPU
/// builds have used) matches every setup; the first GPU build binds it.
struct TimingCacheIdentity {
    std::string target;      ///< "sm_90", as PlanHeader::target
    std::string deviceName;  ///< the GPU's name
    int32_t cudnnVersion{0};
    int32_t cublasLtVersion{0};
    int32_t kilnVersion{0};
    bool bound() const { return !target.empty(); }
    bool operator==(const TimingCacheIdentity&) const = default;
};

/// The identity of GPU `gpu` with the cuDNN and cuBLASLt loaded now and this Kiln.
TimingCacheIdentity timingIdentityOf(const backends::CudaDeviceInfo& gpu);

/// What differs between a cache's identity and `now` ("GPU 'A' (sm_80) vs GPU 'B' (sm_90), cuDNN 9.1.0 vs
/// 9.3.0", the cache's side first); empty when they agree or either is unbound. Library and Kiln versions
/// must agree exactly: tactic ids are library algorithm numbers and heuristic ranks, and kernels change
/// between versions.
std::string identityMismatch(const TimingCacheIdentity& cache, const TimingCacheIdentity& now);

/// The failure setTimingCache and GPU builds report for a cache of another setup (`mismatch` as
/// identityMismatch says), with what to do.
Status mismatchError(const std::string& mismatch);

/// What the autotuner chose for one layer.
struct TimingCacheEntry {
    std::string tacticName;
    int64_t tacticId{0};
    int64_t workspaceBytes{0};  ///< what the tactic needed when it was timed
    float medianMs{0.f};        ///< its median time (0 when it was the only candidate left)
    bool operator==(const TimingCacheEntry&) const = default;
};

/// The canonical text a layer is cached under: its op, every attribute (exact: ir/attr_text.h), each
/// input's and output's type, shape and address alignment (up to 256 bytes: what the libraries' kernel
/// choice depends on; "none" for an absent input), the plan's TF32 permission and the candidates its
/// kernel offers now (name and id, in order; they depend on the shapes, the alignment, the library and
/// the workspace limit). Names of nodes and tensors are not part of it: identical layers share a key.
std::string timingCacheKey(const ir::Node& node, std::span<const TensorRef> inputs,
                           std::span<const TensorRef> outputs, bool tf32,
                           std::span<const backends::TacticCandidate> candidates);

struct CombineCounts {
    int64_t added{0};        ///< entries of the other cache this one did not have
    int64_t conflicting{0};  ///< same key, another choice: this cache's entry was kept
};

class TimingCache {
public:
    TimingCache() = default;
    TimingCache(const TimingCache&) = delete;
    TimingCache& operator=(const TimingCache&) = delete;

    /// Replaces the contents with the cache serialized in `data`. Refuses (naming what is wrong, and
    /// leaving this cache unchanged) anything but an intact cache of kTimingCacheFormatVersion.
    Status deserialize(const void* data, size_t size);
    /// Deterministic: the bytes depend only on the identity and the entries.
    std::vector<uint8_t> serialize() const;

    TimingCacheIdentity identity() const;
    /// Binds an unbound cache to `now`; a bound one keeps its identity.
    void bind(const TimingCacheIdentity& now);

    std::optional<TimingCacheEntry> find(const std::string& key) const;
    /// The index in `candidates` of the tactic cached under `key`, or -1 when there is no entry or its
    /// tactic (name and id) is not among them.
    int32_t choose(const std::string& key, std::span<const backends::TacticCandidate> candidates) const;
    /// Stores `entry` under `key`, replacing an entry there (the tuner times a layer only on a miss).
    void record(const std::string& key, const TimingCacheEntry& entry);
    /// Adds the entries of `other` this cache lacks; on the same key this cache's entry stays. Refuses
    /// a cache of another setup (identityMismatch) unless `ignoreMismatch`; an unbound cache takes the
    /// identity of a bound `other`.
    StatusOr<CombineCounts> combine(const TimingCache& other, bool ignoreMismatch);
    /// Removes every entry and the identity.
    void reset();
    int64_t size() const;

private:
    mutable std::mutex mMutex;
    TimingCacheIdentity mIdentity;
    std::map<std::string, TimingCacheEntry> mEntries;  ///< sorted: serialization is deterministic
};

}  // namespace kiln::builder
