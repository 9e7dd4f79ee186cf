// builder::TimingCache: the binary format round-trips and refuses damaged, truncated, foreign and
// other-version bytes with messages naming the problem (every truncation and every flipped byte of a
// real cache is refused); combine's union, conflict and mismatch rules; the layer key ignores names but
// changes with every shape, type, alignment, attribute, the TF32 flag and the candidate list; choose()
// never answers with a tactic the kernel does not offer.
#include "builder/timing_cache.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "ir/graph.h"
#include "plan/checksum.h"
#include "plan/plan_format.h"

namespace kiln::builder {
namespace {

TimingCacheIdentity h100() {
    return TimingCacheIdentity{"sm_90", "NVIDIA H100 80GB HBM3", 91000, 130100, 100};
}

/// A cache with three entries (a float time that is not a round number, a large workspace).
void fill(TimingCache& cache) {
    cache.bind(h100());
    cache.record("Convolution{a}", TimingCacheEntry{"cudnn_fwd_implicit_gemm", 0, 0, 0.125f});
    cache.record("MatrixMultiply{b}", TimingCacheEntry{"cublaslt_heuristic_3", 3, int64_t{1} << 33, 0.0371f});
    cache.record("Attention{c}", TimingCacheEntry{"flash", 1, 4096, 1.5f});
}

std::string expectRefused(const std::vector<uint8_t>& bytes) {
    TimingCache cache;
    const Status st = cache.deserialize(bytes.data(), bytes.size());
    EXPECT_FALSE(st.isOk());
    EXPECT_EQ(cache.size(), 0);
    return st.message();
}

/// Recomputes the checksum, so a test can damage a field the checksum would otherwise catch first.
void reseal(std::vector<uint8_t>& bytes) {
    const uint64_t sum = plan::xxh64(bytes.data() + 32, bytes.size() - 32, plan::xxh64(bytes.data(), 24, 0));
    plan::storeLE64(bytes.data() + 24, sum);
}

TEST(TimingCache, RoundTripKeepsIdentityAndEntriesAndIsDeterministic) {
    TimingCache a;
    fill(a);
    const std::vector<uint8_t> bytes = a.serialize();
    ASSERT_GE(bytes.size(), 32u);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(bytes.data()), 8), "KILNTIME");
    TimingCache b;
    ASSERT_TRUE(b.deserialize(bytes.data(), bytes.size()).isOk());
    EXPECT_EQ(b.identity(), h100());
    EXPECT_EQ(b.size(), 3);
    const auto mm = b.find("MatrixMultiply{b}");
    ASSERT_TRUE(mm.has_value());
    EXPECT_EQ(*mm, (TimingCacheEntry{"cublaslt_heuristic_3", 3, int64_t{1} << 33, 0.0371f}));
    EXPECT_EQ(b.serialize(), bytes);
    // Insertion order does not matter: entries are stored sorted by key.
    TimingCache c;
    c.bind(h100());
    c.record("Attention{c}", TimingCacheEntry{"flash", 1, 4096, 1.5f});
    c.record("MatrixMultiply{b}", TimingCacheEntry{"cublaslt_heuristic_3", 3, int64_t{1} << 33, 0.0371f});
    c.record("Convolution{a}", TimingCacheEntry{"cudnn_fwd_implicit_gemm", 0, 0, 0.125f});
    EXPECT_EQ(c.serialize(), bytes);
}

TEST(TimingCache, EmptyUnboundCacheRoundTrips) {
    TimingCache a;
    const std::vector<uint8_t> bytes = a.serialize();
    TimingCache b;
    fill(b);
    ASSERT_TRUE(b.deserialize(bytes.data(), bytes.size()).isOk());  // replaces the contents
    EXPECT_EQ(b.size(), 0);
    EXPECT_FALSE(b.identity().bound());
}

TEST(TimingCache, RefusesShortWrongMagicAndPlans) {
    EXPECT_NE(expectRefused({}).find("truncated: 0 bytes"), std::string::npos);
    TimingCache a;
    fill(a);
    std::vector<uint8_t> bytes = a.serialize();
    EXPECT_NE(expectRefused({bytes.begin(), bytes.begin() + 31}).find("truncated: 31 bytes"),
              std::string::npos);
    // A short file that does not start like a cache is foreign, not truncated.
    std::string m = expectRefused({'{', '}', '\n'});
    EXPECT_NE(m.find("not a Kiln timing cache: it starts with '{}\\x0a'"), std::string::npos) << m;
    std::memcpy(bytes.data(), "KILNPLAN", 8);
    m = expectRefused(bytes);
    EXPECT_NE(m.find("not a Kiln timing cache"), std::string::npos) << m;
    EXPECT_NE(m.find("a Kiln plan"), std::string::npos) << m;
    std::memcpy(bytes.data(), "GIF89a\x01\x02", 8);
    m = expectRefused(bytes);
    EXPECT_NE(m.find("'GIF89a\\x01\\x02'"), std::string::npos) << m;
}

TEST(TimingCache, RefusesOtherFormatVersionsByNumber) {
    TimingCache a;
    fill(a);
    std::vector<uint8_t> bytes = a.serialize();
    plan::storeLE32(bytes.data() + 8, kTimingCacheFormatVersion + 1);
    reseal(bytes);
    const std::string m = expectRefused(bytes);
    EXPECT_NE(m.find("format version " + std::to_string(kTimingCacheFormatVersion + 1)), std::string::npos)
        << m;
    EXPECT_NE(m.find("reads version " + std::to_string(kTimingCacheFormatVersion)), std::string::npos) << m;
}

TEST(TimingCache, RefusesEveryTruncationAndEveryFlippedByte) {
    TimingCache a;
    fill(a);
    const std::vector<uint8_t> bytes = a.serialize();
    for (size_t n = 0; n < bytes.size(); ++n) {
        std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
        const std::string m = expectRefused(cut);
        EXPECT_NE(m.find("truncated"), std::string::npos) << "cut at " << n << ": " << m;
    }
    for (size_t i = 0; i < bytes.size(); ++i) {
        std::vector<uint8_t> bad = bytes;
        bad[i] ^= 0x20;
        const std::string m = expectRefused(bad);
        EXPECT_FALSE(m.empty()) << "byte " << i;
    }
    std::vector<uint8_t> longer = bytes;
    longer.push_back(0);
    EXPECT_NE(expectRefused(longer).find("trailing bytes"), std::string::npos);
    std::vector<uint8_t> body = bytes;
    body[40] ^= 1;  // inside the target string: only the checksum can tell
    EXPECT_NE(expectRefused(body).find("checksum"), std::string::npos);
}

TEST(TimingCache, RefusesBadFieldsBehindAValidChecksum) {
    TimingCache a;
    fill(a);
    const std::vector<uint8_t> good = a.serialize();
    // An entry count the bytes cannot hold.
    std::vector<uint8_t> bytes = good;
    plan::storeLE32(bytes.data() + 12, 1000000);
    reseal(bytes);
    std::string m = expectRefused(bytes);
    EXPECT_NE(m.find("1000000 entries cannot fit"), std::string::npos) << m;
    // One entry fewer than stored: bytes left over.
    bytes = good;
    plan::storeLE32(bytes.data() + 12, 2);
    reseal(bytes);
    m = expectRefused(bytes);
    EXPECT_NE(m.find("follow the last entry"), std::string::npos) << m;
    // A string length running past the end.
    bytes = good;
    plan::storeLE32(bytes.data() + 32, 0x7fffffff);
    reseal(bytes);
    m = expectRefused(bytes);
    EXPECT_NE(m.find("the target (2147483647 bytes)"), std::string::npos) << m;
    // A negative time: the last 4 bytes are the last entry's (sorted: MatrixMultiply{b}) float.
    bytes = good;
    const float negative = -1.f;
    std::memcpy(bytes.data() + bytes.size() - 4, &negative, 4);
    reseal(bytes);
    m = expectRefused(bytes);
    EXPECT_NE(m.find("entry 2 (cublaslt_heuristic_3)"), std::string::npos) << m;
    EXPECT_NE(m.find("finite and >= 0"), std::string::npos) << m;
}

TEST(TimingCache, RefusesRepeatedKeys) {
    TimingCache a;
    a.record("k", TimingCacheEntry{"t", 1, 0, 1.f});
    std::vector<uint8_t> bytes = a.serialize();
    // Append a copy of the one entry and count two.
    const size_t entryAt = 32 + 4 + 0 + 4 + 0 + 12;  // two empty strings and three int32 of the identity
    bytes.insert(bytes.end(), bytes.begin() + static_cast<std::ptrdiff_t>(entryAt), bytes.end());
    plan::storeLE32(bytes.data() + 12, 2);
    plan::storeLE64(bytes.data() + 16, bytes.size());
    reseal(bytes);
    const std::string m = expectRefused(bytes);
    EXPECT_NE(m.find("entry 1 repeats the key"), std::string::npos) << m;
}

TEST(TimingCache, FailedReadLeavesTheCacheAsItWas) {
    TimingCache a;
    fill(a);
    const std::vector<uint8_t> junk(64, 0xab);
    EXPECT_FALSE(a.deserialize(junk.data(), junk.size()).isOk());
    EXPECT_EQ(a.size(), 3);
    EXPECT_EQ(a.identity(), h100());
    EXPECT_FALSE(a.deserialize(nullptr, 40).isOk());
    EXPECT_EQ(a.size(), 3);
}

TEST(TimingCache, CombineAddsMissingEntriesAndKeepsOwnOnConflict) {
    TimingCache mine, theirs;
    mine.bind(h100());
    theirs.bind(h100());
    mine.record("same", TimingCacheEntry{"x", 1, 0, 1.f});
    mine.record("conflict", TimingCacheEntry{"mine", 1, 0, 1.f});
    theirs.record("same", TimingCacheEntry{"x", 1, 0, 1.f});
    theirs.record("conflict", TimingCacheEntry{"theirs", 2, 0, 0.5f});
    theirs.record("new1", TimingCacheEntry{"y", 3, 0, 2.f});
    theirs.record("new2", TimingCacheEntry{"z", 4, 0, 2.f});
    auto counts = mine.combine(theirs, false);
    ASSERT_TRUE(counts.isOk()) << counts.status().message();
    EXPECT_EQ(counts->added, 2);
    EXPECT_EQ(counts->conflicting, 1);
    EXPECT_EQ(mine.size(), 4);
    EXPECT_EQ(mine.find("conflict")->tacticName, "mine");
    EXPECT_EQ(mine.find("new2")->tacticId, 4);
    EXPECT_EQ(theirs.size(), 4);  // the input is not changed
    // Combining with itself changes nothing.
    counts = mine.combine(mine, false);
    ASSERT_TRUE(counts.isOk());
    EXPECT_EQ(counts->added, 0);
    EXPECT_EQ(mine.size(), 4);
}

TEST(TimingCache, CombineRefusesAnotherSetupUnlessIgnoringMismatch) {
    TimingCache mine, theirs;
    mine.bind(h100());
    TimingCacheIdentity a100{"sm_80", "NVIDIA A100-SXM4-80GB", 90100, 130100, 100};
    theirs.bind(a100);
    theirs.record("k", TimingCacheEntry{"t", 1, 0, 1.f});
    auto refused = mine.combine(theirs, false);
    ASSERT_FALSE(refused.isOk());
    const std::string m = refused.status().message();
    EXPECT_NE(m.find("GPU 'NVIDIA A100-SXM4-80GB' (sm_80) vs GPU 'NVIDIA H100 80GB HBM3' (sm_90)"),
              std::string::npos)
        << m;
    EXPECT_NE(m.find("cuDNN 9.1.0 vs 9.10.0"), std::string::npos) << m;
    EXPECT_NE(m.find("ignoreMismatch"), std::string::npos) << m;
    EXPECT_EQ(mine.size(), 0);
    auto forced = mine.combine(theirs, true);
    ASSERT_TRUE(forced.isOk());
    EXPECT_EQ(mine.size(), 1);
    EXPECT_EQ(mine.identity(), h100());  // a bound cache keeps its identity
    // An unbound cache takes the other's identity; an unbound input matches anything.
    TimingCache fresh;
    ASSERT_TRUE(fresh.combine(theirs, false).isOk());
    EXPECT_EQ(fresh.identity(), a100);
    TimingCache unbound;
    unbound.record("u", TimingCacheEntry{"t", 1, 0, 1.f});
    ASSERT_TRUE(mine.combine(unbound, false).isOk());
    EXPECT_EQ(mine.size(), 2);
}

TEST(TimingCache, IdentityMismatchNamesEachDifferenceAndUnboundMatches) {
    const TimingCacheIdentity now = h100();
    EXPECT_EQ(identityMismatch(now, now), "");
    EXPECT_EQ(identityMismatch(TimingCacheIdentity{}, now), "");
    EXPECT_EQ(identityMismatch(now, TimingCacheIdentity{}), "");
    TimingCacheIdentity other = now;
    other.cublasLtVersion = 130000;
    other.kilnVersion = 200;
    EXPECT_EQ(identityMismatch(other, now), "cuBLASLt 13.0.0 vs 13.1.0, Kiln 0.2.0 vs 0.1.0");
    other = now;
    other.deviceName = "NVIDIA H100 PCIe";
    EXPECT_EQ(identityMismatch(other, now),
              "GPU 'NVIDIA H100 PCIe' (sm_90) vs GPU 'NVIDIA H100 80GB HBM3' (sm_90)");
    const std::string m = mismatchError(identityMismatch(other, now)).message();
    EXPECT_NE(m.find("ignoreMismatch = true"), std::string::npos) << m;
    EXPECT_NE(m.find("empty cache"), std::string::npos) << m;
}

TEST(TimingCache, ResetRemovesEntriesAndIdentity) {
    TimingCache a;
    fill(a);
    a.reset();
    EXPECT_EQ(a.size(), 0);
    EXPECT_FALSE(a.identity().bound());
    a.bind(h100());
    a.bind(TimingCacheIdentity{"sm_80", "x", 1, 1, 1});  // binding twice keeps the first
    EXPECT_EQ(a.identity(), h100());
}

// ---- keys ----

using backends::TacticCandidate;

const std::vector<TacticCandidate> kCandidates = {{1, "cudnn_fwd_implicit_precomp_gemm", 1024},
                                                  {6, "cudnn_fwd_winograd_nonfused", 0}};

void* address(uintptr_t a) {
    return reinterpret_cast<void*>(a);
}

/// x [2,3,9,7] -> conv 3x3 (3->5, pad 1, bias) with the given names.
struct ConvGraph {
    ir::Graph g;
    ir::NodeId conv{};
    ConvGraph(const std::string& prefix, DataType type = DataType::kFLOAT, int64_t width = 7,
              int32_t stride = 1) {
        const ir::TensorId x = g.addInput(prefix + "x", type, makeDims({2, 3, 9, width}));
        const ir::TensorId w = g.addInput(prefix + "w", type, makeDims({5, 3, 3, 3}));
        const ir::TensorId b = g.addInput(prefix + "b", type, makeDims({5}));
        ir::ConvolutionAttrs attrs;
        attrs.nbOutputMaps = 5;
        attrs.kernelSize = makeDims({3, 3});
        attrs.prePadding = attrs.postPadding = makeDims({1, 1});
        attrs.stride = makeDims({stride, stride});
        conv = g.addNode(prefix + "conv", attrs, {x, w, b}, 1);
        g.markOutput(g.node(conv).outputs[0]);
        EXPECT_TRUE(g.inferShapes().isOk());
    }
    const ir::Node& node() const { return g.node(conv); }
    /// The node's operands at 256-byte aligned addresses (shifted by `shift` bytes for input 0).
    std::vector<TensorRef> refs(const std::vector<ir::TensorId>& ids, uintptr_t shift = 0) const {
        std::vector<TensorRef> out;
        uintptr_t at = 0x100000;
        for (ir::TensorId t : ids) {
            out.push_back(
                TensorRef{g.tensor(t).type, g.tensor(t).shape, address(at + (out.empty() ? shift : 0))});
            at += 0x100000;
        }
        return out;
    }
    std::string key(bool tf32 = false, const std::vector<TacticCandidate>& cands = kCandidates,
                    uintptr_t shift = 0) const {
        const auto ins = refs(node().inputs, shift), outs = refs(node().outputs);
        return timingCacheKey(node(), ins, outs, tf32, cands);
    }
};

TEST(TimingCacheKey, IgnoresNodeAndTensorNames) {
    const ConvGraph a("first_"), b("another_model.layer3.");
    EXPECT_EQ(a.key(), b.key());
    EXPECT_EQ(a.key().find("first_"), std::string::npos) << a.key();
    EXPECT_EQ(a.key(),
              "Convolution{nb_output_maps=5, kernel_size=[3,3], stride=[1,1], pre_padding=[1,1], "
              "post_padding=[1,1], "
              "dilation=[], nb_groups=1, padding_mode=0, has_activation=false, activation=0, "
              "activation_alpha=0x0p+0, activation_beta=0x0p+0, channels_last=false}"
              "|in=float32[2,3,9,7]@256,float32[5,3,3,3]@256,float32[5]@256|out=float32[2,5,9,7]@256|tf32=0"
              "|tactics=cudnn_fwd_implicit_precomp_gemm#1,cudnn_fwd_winograd_nonfused#6");
}

TEST(TimingCacheKey, ChangesWithEveryThingThatDecidesTheChoice) {
    const ConvGraph base("n");
    const std::string k = base.key();
    EXPECT_NE(ConvGraph("n", DataType::kHALF).key(), k);         // data type
    EXPECT_NE(ConvGraph("n", DataType::kFLOAT, 8).key(), k);     // shape
    EXPECT_NE(ConvGraph("n", DataType::kFLOAT, 7, 2).key(), k);  // attribute
    EXPECT_NE(base.key(/*tf32=*/true), k);                       // TF32 permission
    EXPECT_NE(base.key(false, kCandidates, /*shift=*/16), k);    // alignment of input 0: 16 bytes
    EXPECT_NE(base.key(false, kCandidates, 16), base.key(false, kCandidates, 8));
    EXPECT_EQ(base.key(false, kCandidates, 512), k);  // beyond 256 bytes alignment is alike
    std::vector<TacticCandidate> reordered = {kCandidates[1], kCandidates[0]};
    EXPECT_NE(base.key(false, reordered), k);         // candidate order
    EXPECT_NE(base.key(false, {kCandidates[0]}), k);  // a candidate missing
    std::vector<TacticCandidate> renumbered = kCandidates;
    renumbered[1].id = 7;
    EXPECT_NE(base.key(false, renumbered), k);  // an id
    std::vector<TacticCandidate> renamed = kCandidates;
    renamed[1].name = "cudnn_fwd_fft";
    EXPECT_NE(base.key(false, renamed), k);  // a name
    std::vector<TacticCandidate> otherWorkspace = kCandidates;
    otherWorkspace[0].workspaceBytes = 1;
    EXPECT_EQ(base.key(false, otherWorkspace), k);  // workspace follows from the rest
    // Float attributes are keyed exactly: one ulp apart is another key.
    ConvGraph alpha("n");
    auto& attrs = std::get<ir::ConvolutionAttrs>(alpha.g.node(alpha.conv).attrs);
    attrs.epilogue.alpha = 0.1f;
    const std::string k1 = alpha.key();
    attrs.epilogue.alpha = std::nextafter(0.1f, 1.f);
    EXPECT_NE(alpha.key(), k1);
    // An absent optional input is not a present one.
    ConvGraph absent("n");
    auto ins = absent.refs(absent.node().inputs);
    ins[2] = TensorRef{DataType::kFLOAT, Dims{-1, {}}, nullptr};
    const auto outs = absent.refs(absent.node().outputs);
    const std::string noBias = timingCacheKey(absent.node(), ins, outs, false, kCandidates);
    EXPECT_NE(noBias, k);
    EXPECT_NE(noBias.find(",none|out="), std::string::npos) << noBias;
}

TEST(TimingCacheKey, ChooseAnswersOnlyWithAnOfferedTactic) {
    TimingCache cache;
    const std::string key = ConvGraph("n").key();
    EXPECT_EQ(cache.choose(key, kCandidates), -1);  // no entry
    cache.record(key, TimingCacheEntry{"cudnn_fwd_winograd_nonfused", 6, 0, 0.2f});
    EXPECT_EQ(cache.choose(key, kCandidates), 1);
    // An entry whose tactic is not among the candidates (a hand-edited or mixed cache) is no answer.
    cache.record(key, TimingCacheEntry{"cudnn_fwd_winograd_nonfused", 5, 0, 0.2f});
    EXPECT_EQ(cache.choose(key, kCandidates), -1);
    cache.record(key, TimingCacheEntry{"cudnn_fwd_gemm", 6, 0, 0.2f});
    EXPECT_EQ(cache.choose(key, kCandidates), -1);
    EXPECT_EQ(cache.choose(key, {}), -1);
}

}  // namespace
}  // namespace kiln::builder
