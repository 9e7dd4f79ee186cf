// The builder's timing cache: keys, identity checks and the binary format (see timing_cache.h).
#include "builder/timing_cache.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>

#include "common/dims.h"
#include "ir/attr_text.h"
#include "kiln/types.h"
#include "plan/attr_codec.h"
#include "plan/checksum.h"
#include "plan/plan_format.h"

namespace kiln::builder {

namespace {

constexpr char kMagic[8] = {'K', 'I', 'L', 'N', 'T', 'I', 'M', 'E'};
constexpr size_t kPrefixBytes = 32;
constexpr size_t kCountAt = 12, kSizeAt = 16, kChecksumAt = 24;
/// The smallest entry: two empty strings, two int64, a float.
constexpr size_t kMinEntryBytes = 4 + 4 + 8 + 8 + 4;
constexpr uint32_t kMaxAlignment = 256;

uint64_t checksumOf(const uint8_t* data, size_t size) {
    return plan::xxh64(data + kPrefixBytes, size - kPrefixBytes, plan::xxh64(data, kChecksumAt, 0));
}

/// Largest power of two up to kMaxAlignment dividing the address (an address of 0: kMaxAlignment).
uint32_t alignmentOf(const void* p) {
    const auto v = reinterpret_cast<uintptr_t>(p);
    uint32_t a = 1;
    while (a < kMaxAlignment && v % (uintptr_t{a} * 2) == 0) a *= 2;
    return a;
}

void writeOperands(std::ostringstream& os, std::span<const TensorRef> refs) {
    for (size_t k = 0; k < refs.size(); ++k) {
        os << (k ? "," : "");
        const TensorRef& t = refs[k];
        if (!t.present())
            os << "none";
        else
            os << dataTypeName(t.type) << toString(t.shape) << '@' << alignmentOf(t.data);
    }
}

class Writer {
public:
    void u32(uint32_t v) {
        uint8_t b[4];
        plan::storeLE32(b, v);
        mBytes.insert(mBytes.end(), b, b + 4);
    }
    void i32(int32_t v) { u32(static_cast<uint32_t>(v)); }
    void i64(int64_t v) {
        uint8_t b[8];
        plan::storeLE64(b, static_cast<uint64_t>(v));
        mBytes.insert(mBytes.end(), b, b + 8);
    }
    void f32(float v) {
        uint32_t bits = 0;
        std::memcpy(&bits, &v, 4);
        u32(bits);
    }
    void str(const std::string& s) {
        u32(static_cast<uint32_t>(s.size()));
        mBytes.insert(mBytes.end(), s.begin(), s.end());
    }
    std::vector<uint8_t>& bytes() { return mBytes; }

private:
    std::vector<uint8_t> mBytes;
};

/// Reads the body; every failure names the field and where it is.
class Reader {
public:
    Reader(const uint8_t* data, size_t size, size_t at) : mData(data), mSize(size), mAt(at) {}
    Status take(size_t n, const std::string& what) {
        if (n > mSize - mAt)
            return invalidArgument("timing cache truncated: " + what + " at byte " + std::to_string(mAt) +
                                   " needs " + std::to_string(n) + " bytes, " + std::to_string(mSize - mAt) +
                                   " are left");
        return Status::ok();
    }
    StatusOr<uint32_t> u32(const std::string& what) {
        KILN_RETURN_IF_ERROR(take(4, what));
        const uint32_t v = plan::loadLE32(mData + mAt);
        mAt += 4;
        return v;
    }
    StatusOr<int32_t> i32(const std::string& what) {
        KILN_ASSIGN_OR_RETURN(uint32_t v, u32(what));
        return static_cast<int32_t>(v);
    }
    StatusOr<int64_t> i64(const std::string& what) {
        KILN_RETURN_IF_ERROR(take(8, what));
        const uint64_t v = plan::loadLE64(mData + mAt);
        mAt += 8;
        return static_cast<int64_t>(v);
    }
    StatusOr<float> f32(const std::string& what) {
        KILN_ASSIGN_OR_RETURN(uint32_t bits, u32(what));
        float v = 0.f;
        std::memcpy(&v, &bits, 4);
        return v;
    }
    StatusOr<std::string> str(const std::string& what) {
        KILN_ASSIGN_OR_RETURN(uint32_t n, u32(what + "'s length"));
        KILN_RETURN_IF_ERROR(take(n, what + " (" + std::to_string(n) + " bytes)"));
        std::string s(reinterpret_cast<const char*>(mData + mAt), n);
        mAt += n;
        return s;
    }
    size_t at() const { return mAt; }

private:
    const uint8_t* mData;
    size_t mSize;
    size_t mAt;
};

std::string describeSetup(const TimingCacheIdentity& id) {
    return "GPU '" + id.deviceName + "' (" + id.target + ")";
}

}  // namespace

TimingCacheIdentity timingIdentityOf(const backends::CudaDeviceInfo& gpu) {
    TimingCacheIdentity id;
    id.target = "sm_" + std::to_string(gpu.smMajor) + std::to_string(gpu.smMinor);
    id.deviceName = gpu.name;
    id.cudnnVersion = backends::cudnnLibraryVersion();
    id.cublasLtVersion = backends::cublasLtLibraryVersion();
    id.kilnVersion = getKilnVersion();
    return id;
}

std::string identityMismatch(const TimingCacheIdentity& cache, const TimingCacheIdentity& now) {
    if (!cache.bound() || !now.bound() || cache == now) return "";
    std::string diff;
    const auto add = [&](const std::string& what) { diff += (diff.empty() ? "" : ", ") + what; };
    if (cache.target != now.target || cache.deviceName != now.deviceName)
        add(describeSetup(cache) + " vs " + describeSetup(now));
    // Kiln encodes its version as the libraries do: major * 10000 + minor * 100 + patch.
    const auto version = [&](const char* name, int32_t then, int32_t here) {
        if (then != here)
            add(std::string(name) + " " + backends::libraryVersionText(then) + " vs " +
                backends::libraryVersionText(here));
    };
    version("cuDNN", cache.cudnnVersion, now.cudnnVersion);
    version("cuBLASLt", cache.cublasLtVersion, now.cublasLtVersion);
    version("Kiln", cache.kilnVersion, now.kilnVersion);
    return diff;
}

Status mismatchError(const std::string& mismatch) {
    return invalidConfig(
        "the timing cache was measured on another setup (" + mismatch + ", the cache's first" +
        "): its timings need not hold here; attach it with ignoreMismatch = true to use the "
        "entries whose layers match anyway, or start from an empty cache (createTimingCache with "
        "size 0)");
}

std::string timingCacheKey(const ir::Node& node, std::span<const TensorRef> inputs,
                           std::span<const TensorRef> outputs, bool tf32,
                           std::span<const backends::TacticCandidate> candidates) {
    std::ostringstream os;
    os << ir::opName(node.kind()) << '{';
    ir::writeAttrText(os, node.attrs, ir::AttrTextMode::kEXACT);
    os << "}|in=";
    writeOperands(os, inputs);
    os << "|out=";
    writeOperands(os, outputs);
    os << "|tf32=" << (tf32 ? 1 : 0) << "|tactics=";
    for (size_t k = 0; k < candidates.size(); ++k)
        os << (k ? "," : "") << candidates[k].name << '#' << candidates[k].id;
    return os.str();
}

Status TimingCache::deserialize(const void* data, size_t size) {
    const auto* p = static_cast<const uint8_t*>(data);
    if (!p && size > 0)
        return invalidArgument("timing cache: null data with a size of " + std::to_string(size));
    // The magic first, as far as there are bytes: a short foreign file is foreign, not a truncated cache.
    const size_t magicBytes = std::min(size, sizeof kMagic);
    if (magicBytes > 0 && std::memcmp(p, kMagic, magicBytes) != 0) {
        const std::string magic(reinterpret_cast<const char*>(p), magicBytes);
        return invalidArgument("not a Kiln timing cache: it starts with " + plan::quoted(magic) +
                               (magic == "KILNPLAN" ? " (a Kiln plan)" : "") +
                               ", a timing cache with 'KILNTIME'");
    }
    if (size < kPrefixBytes)
        return invalidArgument("timing cache truncated: " + std::to_string(size) +
                               " bytes, but a Kiln timing cache " + "starts with a " +
                               std::to_string(kPrefixBytes) + "-byte header");
    const uint32_t version = plan::loadLE32(p + sizeof kMagic);
    if (version != kTimingCacheFormatVersion)
        return invalidArgument(
            "timing cache format version " + std::to_string(version) + ", this Kiln reads version " +
            std::to_string(kTimingCacheFormatVersion) +
            ": the cache was written by another Kiln; start from an empty cache and let the "
            "build time its layers again");
    const uint64_t total = plan::loadLE64(p + kSizeAt);
    if (total != size)
        return invalidArgument(
            "timing cache " + std::string(total > size ? "truncated" : "with trailing bytes") +
            ": its header says " + std::to_string(total) + " bytes, " + std::to_string(size) + " were given");
    const uint64_t stored = plan::loadLE64(p + kChecksumAt);
    if (stored != checksumOf(p, size))
        return invalidArgument("timing cache corrupt: its checksum does not match its bytes (damaged file?)");
    const uint32_t count = plan::loadLE32(p + kCountAt);
    if (count > (size - kPrefixBytes) / kMinEntryBytes)
        return invalidArgument("timing cache corrupt: " + std::to_string(count) + " entries cannot fit in " +
                               std::to_string(size - kPrefixBytes) + " bytes");
    Reader r(p, size, kPrefixBytes);
    TimingCacheIdentity id;
    KILN_ASSIGN_OR_RETURN(id.target, r.str("the target"));
    KILN_ASSIGN_OR_RETURN(id.deviceName, r.str("the device name"));
    KILN_ASSIGN_OR_RETURN(id.cudnnVersion, r.i32("the cuDNN version"));
    KILN_ASSIGN_OR_RETURN(id.cublasLtVersion, r.i32("the cuBLASLt version"));
    KILN_ASSIGN_OR_RETURN(id.kilnVersion, r.i32("the Kiln version"));
    std::map<std::string, TimingCacheEntry> entries;
    for (uint32_t i = 0; i < count; ++i) {
        const std::string what = "entry " + std::to_string(i);
        KILN_ASSIGN_OR_RETURN(std::string key, r.str(what + "'s key"));
        TimingCacheEntry e;
        KILN_ASSIGN_OR_RETURN(e.tacticName, r.str(what + "'s tactic name"));
        KILN_ASSIGN_OR_RETURN(e.tacticId, r.i64(what + "'s tactic id"));
        KILN_ASSIGN_OR_RETURN(e.workspaceBytes, r.i64(what + "'s workspace"));
        KILN_ASSIGN_OR_RETURN(e.medianMs, r.f32(what + "'s time"));
        if (key.empty() || e.tacticName.empty())
            return invalidArgument("timing cache corrupt: " + what + " has an empty " +
                                   (key.empty() ? "key" : "tactic name"));
        if (e.workspaceBytes < 0 || !std::isfinite(e.medianMs) || e.medianMs < 0.f)
            return invalidArgument("timing cache corrupt: " + what + " (" + e.tacticName +
                                   ") has workspace " + std::to_string(e.workspaceBytes) +
                                   " bytes and time " + std::to_string(e.medianMs) +
                                   " ms; both must be finite and >= 0");
        if (!entries.emplace(std::move(key), std::move(e)).second)
            return invalidArgument("timing cache corrupt: " + what + " repeats the key of an earlier entry");
    }
    if (r.at() != size)
        return invalidArgument("timing cache corrupt: " + std::to_string(size - r.at()) +
                               " bytes follow the last entry");
    std::lock_guard<std::mutex> lock(mMutex);
    mIdentity = std::move(id);
    mEntries = std::move(entries);
    return Status::ok();
}

std::vector<uint8_t> TimingCache::serialize() const {
    std::lock_guard<std::mutex> lock(mMutex);
    Writer w;
    w.bytes().assign(kPrefixBytes, 0);
    std::memcpy(w.bytes().data(), kMagic, sizeof kMagic);
    plan::storeLE32(w.bytes().data() + sizeof kMagic, kTimingCacheFormatVersion);
    plan::storeLE32(w.bytes().data() + kCountAt, static_cast<uint32_t>(mEntries.size()));
    w.str(mIdentity.target);
    w.str(mIdentity.deviceName);
    w.i32(mIdentity.cudnnVersion);
    w.i32(mIdentity.cublasLtVersion);
    w.i32(mIdentity.kilnVersion);
    for (const auto& [key, e] : mEntries) {
        w.str(key);
        w.str(e.tacticName);
        w.i64(e.tacticId);
        w.i64(e.workspaceBytes);
        w.f32(e.medianMs);
    }
    std::vector<uint8_t>& bytes = w.bytes();
    plan::storeLE64(bytes.data() + kSizeAt, bytes.size());
    plan::storeLE64(bytes.data() + kChecksumAt, checksumOf(bytes.data(), bytes.size()));
    return std::move(bytes);
}

TimingCacheIdentity TimingCache::identity() const {
    std::lock_guard<std::mutex> lock(mMutex);
    return mIdentity;
}

void TimingCache::bind(const TimingCacheIdentity& now) {
    std::lock_guard<std::mutex> lock(mMutex);
    if (!mIdentity.bound()) mIdentity = now;
}

std::optional<TimingCacheEntry> TimingCache::find(const std::string& key) const {
    std::lock_guard<std::mutex> lock(mMutex);
    const auto it = mEntries.find(key);
    if (it == mEntries.end()) return std::nullopt;
    return it->second;
}

int32_t TimingCache::choose(const std::string& key,
                            std::span<const backends::TacticCandidate> candidates) const {
    const std::optional<TimingCacheEntry> e = find(key);
    if (!e) return -1;
    for (size_t k = 0; k < candidates.size(); ++k)
        if (candidates[k].id == e->tacticId && candidates[k].name == e->tacticName)
            return static_cast<int32_t>(k);
    return -1;
}

void TimingCache::record(const std::string& key, const TimingCacheEntry& entry) {
    std::lock_guard<std::mutex> lock(mMutex);
    mEntries.insert_or_assign(key, entry);
}

StatusOr<CombineCounts> TimingCache::combine(const TimingCache& other, bool ignoreMismatch) {
    CombineCounts counts;
    if (&other == this) return counts;
    std::scoped_lock lock(mMutex, other.mMutex);
    const std::string mismatch = identityMismatch(other.mIdentity, mIdentity);
    if (!mismatch.empty() && !ignoreMismatch)
        return invalidConfig("cannot combine timing caches of different setups (" + mismatch +
                             ", the other cache's first): pass ignoreMismatch = true to combine them anyway");
    if (!mIdentity.bound()) mIdentity = other.mIdentity;
    for (const auto& [key, e] : other.mEntries) {
        const auto [it, added] = mEntries.emplace(key, e);
        if (added)
            ++counts.added;
        else if (!(it->second == e))
            ++counts.conflicting;
    }
    return counts;
}

void TimingCache::reset() {
    std::lock_guard<std::mutex> lock(mMutex);
    mEntries.clear();
    mIdentity = TimingCacheIdentity{};
}

int64_t TimingCache::size() const {
    std::lock_guard<std::mutex> lock(mMutex);
    return static_cast<int64_t>(mEntries.size());
}

}  // namespace kiln::builder
