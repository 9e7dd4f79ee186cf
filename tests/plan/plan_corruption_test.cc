// Hostile plans: every single-byte flip, every truncation and appended garbage are rejected with a
// message; the prefix checks give their specific messages; and bodies damaged *behind a recomputed
// checksum* (so every later check is reached) never crash the reader, while whatever it accepts writes
// back and reads again. Each damaged plan is an exact-size copy, so AddressSanitizer sees any over-read.
#include <gtest/gtest.h>

#include "plan_test_util.h"

namespace kiln::plan {
namespace {

std::vector<uint8_t> samplePlanBytes() {
    static const std::vector<uint8_t> bytes = [] {
        auto r = writePlan(test::makeSamplePlan());
        return r.isOk() ? r.value() : std::vector<uint8_t>{};
    }();
    return bytes;
}

/// A small plan (one input, one Constant, one node) for the exhaustive loops, so each stays fast.
std::vector<uint8_t> smallPlanBytes() {
    Plan p;
    p.header.kilnVersion = getKilnVersion();
    p.header.target = "cpu";
    ir::Graph& g = p.graph;
    ir::TensorId x = g.addInput("x", DataType::kFLOAT, makeDims({2, 3}));
    ir::TensorId c = test::addConst(g, "c", DataType::kFLOAT, makeDims({1, 3}), 5);
    ir::TensorId y = test::addOp(g, "add", ir::ElementWiseAttrs{ElementWiseOperation::kSUM}, {x, c},
                                 {{DataType::kFLOAT, makeDims({2, 3})}})[0];
    ir::PaddingAttrs pad{makeDims({1}), makeDims({0}), PaddingFillMode::kEDGE, 0.5f};
    ir::TensorId z = test::addOp(g, "pad", pad, {y}, {{DataType::kFLOAT, makeDims({2, 4})}})[0];
    g.markOutput(z);
    p.tactics = {{"reference", 0}, {"reference", 1}, {"reference", 2}};
    auto r = writePlan(p);
    EXPECT_TRUE(r.isOk()) << r.status().message();
    return r.isOk() ? r.value() : std::vector<uint8_t>{};
}

Status readStatus(const std::vector<uint8_t>& bytes) {
    return readPlan(bytes.data(), bytes.size()).status();
}

void expectRejected(const std::vector<uint8_t>& bytes, const std::string& needle) {
    Status st = readStatus(bytes);
    ASSERT_FALSE(st.isOk()) << "expected: " << needle;
    EXPECT_NE(st.message().find(needle), std::string::npos) << st.message();
}

/// Reads a damaged plan; if it is accepted, it must also write, read back and rewrite identically.
/// Returns whether it was rejected.
bool readDamaged(const std::vector<uint8_t>& bytes, const std::string& what) {
    auto r = readPlan(bytes.data(), bytes.size());
    if (!r.isOk()) {
        EXPECT_FALSE(r.status().message().empty()) << what;
        return true;
    }
    auto w = writePlan(r.value());
    EXPECT_TRUE(w.isOk()) << what
                          << ": accepted by readPlan but refused by writePlan: " << w.status().message();
    if (!w.isOk()) return false;
    auto again = readPlan(w.value().data(), w.value().size());
    EXPECT_TRUE(again.isOk()) << what << ": " << again.status().message();
    if (again.isOk()) {
        auto w2 = writePlan(again.value());
        EXPECT_TRUE(w2.isOk() && w2.value() == w.value()) << what << ": rewrite is not stable";
    }
    return false;
}

TEST(PlanCorruption, EveryByteFlipIsRejected) {
    for (const auto& bytes : {smallPlanBytes(), samplePlanBytes()}) {
        ASSERT_FALSE(bytes.empty());
        for (uint8_t mask : {uint8_t{0xFF}, uint8_t{0x01}}) {
            for (size_t i = 0; i < bytes.size(); ++i) {
                std::vector<uint8_t> bad = bytes;
                bad[i] ^= mask;
                Status st = readStatus(bad);
                ASSERT_FALSE(st.isOk()) << "flip 0x" << std::hex << int(mask) << std::dec << " at byte " << i
                                        << " of " << bytes.size() << " was accepted";
                ASSERT_FALSE(st.message().empty()) << "byte " << i;
            }
        }
    }
}

TEST(PlanCorruption, EveryTruncationIsRejected) {
    std::vector<uint8_t> bytes = samplePlanBytes();
    ASSERT_FALSE(bytes.empty());
    EXPECT_FALSE(readPlan(nullptr, 0).isOk());
    for (size_t len = 0; len < bytes.size(); ++len) {
        std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(len));
        Status st = readPlan(cut.data(), cut.size()).status();
        ASSERT_FALSE(st.isOk()) << "truncated to " << len << " bytes was accepted";
        ASSERT_FALSE(st.message().empty()) << len;
    }
}

TEST(PlanCorruption, AppendedGarbageIsRejected) {
    std::vector<uint8_t> bytes = samplePlanBytes();
    for (size_t extra : {1, 7, 64, 4096}) {
        std::vector<uint8_t> longer = bytes;
        auto junk = test::randomBytes(extra, static_cast<uint32_t>(extra));
        longer.insert(longer.end(), junk.begin(), junk.end());
        expectRejected(longer, "plan has " + std::to_string(extra) + " trailing bytes: the prefix declares " +
                                   std::to_string(bytes.size()) + " bytes (total_size), found " +
                                   std::to_string(longer.size()));
    }
}

TEST(PlanCorruption, PrefixMessagesNameFieldExpectedAndFound) {
    const std::vector<uint8_t> bytes = samplePlanBytes();
    {
        std::vector<uint8_t> small(bytes.begin(), bytes.begin() + 10);
        expectRejected(small, "plan is too small: expected at least 64 bytes (the fixed prefix), found 10");
    }
    {
        std::vector<uint8_t> bad = bytes;
        bad[0] = 'X';
        expectRejected(bad, "this is not a Kiln plan: expected magic 'KILNPLAN', found 'XILNPLAN'");
        const uint8_t png[8] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a};
        std::memcpy(bad.data(), png, 8);
        expectRejected(bad, "expected magic 'KILNPLAN', found '\\x89PNG\\x0d\\x0a\\x1a\\x0a'");
    }
    {
        std::vector<uint8_t> bad = bytes;
        storeLE32(bad.data() + kPrefixVersionAt, 2);
        expectRejected(bad, "plan prefix version 2, this Kiln reads 1: rebuild the plan");
    }
    {
        std::vector<uint8_t> cut(bytes.begin(), bytes.end() - 1);
        expectRejected(cut, "plan is truncated: the prefix declares " + std::to_string(bytes.size()) +
                                " bytes (total_size), found " + std::to_string(bytes.size() - 1));
    }
    {
        std::vector<uint8_t> bad = bytes;
        bad.back() ^= 0x10;  // a weights byte: only the checksum can notice
        expectRejected(bad, "plan is corrupted: checksum stored in the prefix is 0x");
        Status st = readStatus(bad);
        EXPECT_NE(st.message().find(", the bytes hash to 0x"), std::string::npos) << st.message();
    }
    {
        std::vector<uint8_t> bad = bytes;
        storeLE32(bad.data() + kFormatVersionAt, kPlanFormatVersion + 1);
        test::reseal(bad);
        expectRejected(bad, "plan format version " + std::to_string(kPlanFormatVersion + 1) +
                                ", this Kiln reads " + std::to_string(kPlanFormatVersion) +
                                ": rebuild the plan");
    }
}

TEST(PlanCorruption, SectionBoundsBehindAValidChecksum) {
    const std::vector<uint8_t> bytes = samplePlanBytes();
    const uint64_t bodySize = test::prefixField(bytes, kBodySizeAt);
    const uint64_t wOff = test::prefixField(bytes, kWeightsOffsetAt);
    auto patched = [&](size_t at, uint64_t value) {
        std::vector<uint8_t> bad = bytes;
        storeLE64(bad.data() + at, value);
        test::reseal(bad);
        return bad;
    };
    expectRejected(patched(kBodyOffsetAt, 128),
                   "body_offset: expected 64 (the body follows the prefix), found 128");
    expectRejected(
        patched(kBodySizeAt, bytes.size()),
        "body_size: the body (" + std::to_string(bytes.size()) + " bytes at offset 64) runs past the end");
    expectRejected(patched(kBodySizeAt, bodySize - 4), "body_size: expected a multiple of 8");
    expectRejected(patched(kBodySizeAt, 0), "body_size: expected a multiple of 8 in 8..");
    expectRejected(patched(kWeightsOffsetAt, wOff + 64),
                   "weights_offset: expected " + std::to_string(wOff) +
                       " (the first 64-byte boundary after the body), found " + std::to_string(wOff + 64));
    expectRejected(patched(kWeightsSizeAt, 1),
                   "weights_size: expected " + std::to_string(bytes.size() - wOff) +
                       " (the weights section runs to the end of the file), found 1");
    // A shorter body passes the bounds but not FlatBuffers verification (or a later check).
    expectRejected(patched(kBodySizeAt, 8), "weights_offset: expected 128");
    std::vector<uint8_t> badRoot = bytes;
    // Also tells GCC the vector is long enough: without it -Wstringop-overflow misfires here at -O3.
    ASSERT_GE(badRoot.size(), kPrefixSize + 4);
    storeLE32(badRoot.data() + kPrefixSize, 0x7ffffff0u);  // root table offset far outside the body
    test::reseal(badRoot);
    expectRejected(badRoot,
                   "plan body (" + std::to_string(bodySize) + " bytes) fails FlatBuffers verification");
}

TEST(PlanCorruption, ResealedBodyFlipsNeverCrash) {
    // Every byte of the body, flipped behind a recomputed checksum: the reader must
    // reject it with a message or accept a plan that is itself consistent (a flip in a name or a float).
    for (const auto& bytes : {smallPlanBytes(), samplePlanBytes()}) {
        size_t rejected = 0, accepted = 0;
        // The body, plus the first bytes of the weights (flips further in only change constant values).
        const size_t end = std::min<size_t>(bytes.size(), test::prefixField(bytes, kWeightsOffsetAt) + 128);
        for (uint8_t mask : {uint8_t{0xFF}, uint8_t{0x01}, uint8_t{0x80}}) {
            for (size_t i = kPrefixSize; i < end; ++i) {
                std::vector<uint8_t> bad = bytes;
                bad[i] ^= mask;
                test::reseal(bad);
                (readDamaged(bad, "byte " + std::to_string(i) + " mask " + std::to_string(mask))
                     ? rejected
                     : accepted)++;
            }
        }
        // Most flips hit offsets, sizes, ids or enum values; some hit names, floats or padding.
        EXPECT_GT(rejected, 0u);
        EXPECT_GT(accepted, 0u);
        std::cout << "[          ] " << bytes.size() << "-byte plan: " << rejected
                  << " resealed flips rejected, " << accepted << " accepted as another consistent plan\n";
    }
}

TEST(PlanCorruption, RandomResealedDamageNeverCrashes) {
    const std::vector<uint8_t> bytes = samplePlanBytes();
    std::mt19937 rng(1234);
    const size_t bodyEnd = kPrefixSize + test::prefixField(bytes, kBodySizeAt);
    for (int iter = 0; iter < 3000; ++iter) {
        std::vector<uint8_t> bad = bytes;
        const int nbChanges = 1 + static_cast<int>(rng() % 8);
        for (int k = 0; k < nbChanges; ++k) {
            size_t at = kPrefixSize + rng() % (bodyEnd - kPrefixSize);
            // Small integers are what ids, counts and offsets hold: they get past more checks than noise.
            bad[at] = static_cast<uint8_t>(rng() % 4 == 0 ? rng() : rng() % 16);
        }
        test::reseal(bad);
        readDamaged(bad, "iteration " + std::to_string(iter));
    }
    // A body of pure noise behind a valid prefix.
    for (int iter = 0; iter < 200; ++iter) {
        std::vector<uint8_t> bad = bytes;
        auto noise = test::randomBytes(bodyEnd - kPrefixSize, static_cast<uint32_t>(iter));
        std::copy(noise.begin(), noise.end(), bad.begin() + kPrefixSize);
        test::reseal(bad);
        EXPECT_TRUE(readDamaged(bad, "noise " + std::to_string(iter))) << iter;
    }
}

}  // namespace
}  // namespace kiln::plan
