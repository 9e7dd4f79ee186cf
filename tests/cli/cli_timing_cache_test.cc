// `kiln build --timing-cache FILE` on the CPU target: the file is created, read back on the next build
// without complaint, and a corrupt, truncated or foreign file is reported as ignored and rewritten as a
// valid cache; a path that cannot be written fails the command. CPU builds time nothing, so the cache
// stays empty; tests/gpu covers the timings themselves.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "cli_test_util.h"

namespace kiln::clitest {
namespace {

bool isTimingCache(const std::vector<uint8_t>& bytes) {
    return bytes.size() >= 32 && std::string(bytes.begin(), bytes.begin() + 8) == "KILNTIME";
}

class KilnTimingCache : public ::testing::Test {
protected:
    CommandResult build() {
        return runKiln("build --network mnist --seed 3 -o " + shellQuote(dir.path("m.plan")) +
                       " --timing-cache " + shellQuote(cache));
    }
    ScratchDir dir;
    std::string cache = dir.path("mnist.timing");
};

TEST_F(KilnTimingCache, CreatesTheFileAndReusesIt) {
    ASSERT_FALSE(std::filesystem::exists(cache));
    CommandResult r = build();
    ASSERT_EQ(r.exitCode, 0) << r.output;
    EXPECT_NE(r.output.find("Wrote timing cache " + cache + ": 0 entries (0 new)"), std::string::npos)
        << r.output;
    EXPECT_EQ(r.output.find("warning"), std::string::npos) << r.output;
    const std::vector<uint8_t> first = readBytes(cache);
    ASSERT_TRUE(isTimingCache(first)) << first.size() << " bytes";
    EXPECT_FALSE(std::filesystem::exists(cache + ".tmp"));

    r = build();
    ASSERT_EQ(r.exitCode, 0) << r.output;
    EXPECT_EQ(r.output.find("warning"), std::string::npos) << r.output;
    EXPECT_EQ(readBytes(cache), first);
}

TEST_F(KilnTimingCache, CorruptTruncatedAndForeignFilesAreIgnoredAndRewritten) {
    ASSERT_EQ(build().exitCode, 0);
    const std::vector<uint8_t> good = readBytes(cache);
    ASSERT_TRUE(isTimingCache(good));

    std::vector<uint8_t> corrupt = good;
    corrupt[corrupt.size() - 1] ^= 0xff;
    std::vector<uint8_t> truncated(good.begin(), good.end() - 3);
    const std::string text = "not a cache\n";
    const std::vector<uint8_t> foreign(text.begin(), text.end());
    const struct {
        const char* what;
        std::vector<uint8_t> bytes;
        const char* reason;
    } cases[] = {{"corrupt", corrupt, "checksum"},
                 {"truncated", truncated, "truncated"},
                 {"foreign", foreign, "not a Kiln timing cache"}};
    for (const auto& c : cases) {
        writeBytes(cache, c.bytes);
        const CommandResult r = build();
        ASSERT_EQ(r.exitCode, 0) << c.what << ":\n" << r.output;
        EXPECT_NE(r.output.find("kiln build: warning: timing cache '" + cache + "' cannot be used"),
                  std::string::npos)
            << c.what << ":\n"
            << r.output;
        EXPECT_NE(r.output.find(c.reason), std::string::npos) << c.what << ":\n" << r.output;
        EXPECT_NE(r.output.find("it is ignored and will be rewritten"), std::string::npos) << c.what << ":\n"
                                                                                           << r.output;
        EXPECT_EQ(readBytes(cache), good)
            << c.what << ": the file was not rewritten as a valid (empty) cache";
    }
}

TEST_F(KilnTimingCache, AnUnwritablePathFailsTheCommand) {
    cache = dir.path("no/such/dir/cache");
    const CommandResult r = build();
    EXPECT_EQ(r.exitCode, 1) << r.output;
    EXPECT_NE(r.output.find("kiln build: error: cannot write '" + cache + "'"), std::string::npos)
        << r.output;
}

TEST(KilnTimingCacheHelp, TheFlagIsDocumented) {
    const CommandResult r = runKiln("build --help");
    ASSERT_EQ(r.exitCode, 0) << r.output;
    EXPECT_NE(r.output.find("--timing-cache FILE"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace kiln::clitest
