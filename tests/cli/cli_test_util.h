// Helpers for the kiln tool's end-to-end tests: run the real binary and capture what it prints, make a
// scratch directory, and read/write float32 .npy files with code independent of the tool's own npy.cc
// (so a bug there cannot hide itself by being symmetric).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::clitest {

struct CommandResult {
    int exitCode{-1};    ///< the process's exit status; 128 + signal number when it was killed by a signal
    std::string output;  ///< stdout and stderr, interleaved
};

/// Runs `kiln <args>` (the binary this test was built with) through the shell.
CommandResult runKiln(const std::string& args);

/// `text` quoted for the shell.
std::string shellQuote(const std::string& text);

/// A fresh directory under the system's temp dir, removed with its contents on destruction.
class ScratchDir {
public:
    ScratchDir();
    ~ScratchDir();
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    /// `name` inside the directory.
    std::string path(const std::string& name) const { return mPath + "/" + name; }

private:
    std::string mPath;
};

/// Writes a version 1.0 .npy file with the given descr ("<f4", "<i4", ...), shape and raw data bytes.
void writeRawNpy(const std::string& path, const std::string& descr, const std::vector<int64_t>& shape,
                 const void* data, size_t bytes, bool fortranOrder = false);
void writeFloatNpy(const std::string& path, const std::vector<int64_t>& shape,
                   const std::vector<float>& values);

/// Reads a little-endian float32, C-order .npy file. Returns false (with *error) for anything else.
bool readFloatNpy(const std::string& path, std::vector<int64_t>* shape, std::vector<float>* values,
                  std::string* error);

/// The file's bytes (empty when it cannot be read).
std::vector<uint8_t> readBytes(const std::string& path);
void writeBytes(const std::string& path, const std::vector<uint8_t>& bytes);

/// Number of '\n'-terminated lines in `text` (a last line without '\n' counts too).
int countLines(const std::string& text);

}  // namespace kiln::clitest
