// File helpers shared by the kiln subcommands: reading and writing whole files with one-line errors,
// and loading a plan file into an engine through the public runtime API.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kiln/runtime.h"
#include "logger.h"

namespace kiln::tool {

/// Reads the whole file. On failure *error says why ("cannot read 'x': No such file or directory").
bool readFileBytes(const std::string& path, std::vector<uint8_t>* bytes, std::string* error);
/// Writes through a temporary file renamed into place, so a failed write leaves no half-written file.
bool writeFileBytes(const std::string& path, const void* data, size_t size, std::string* error);

struct LoadedPlan {
    std::unique_ptr<IRuntime> runtime;
    std::unique_ptr<ICudaEngine> engine;
    int64_t fileBytes{0};
};

/// Reads and deserializes `path`. On failure sets *what to the failed step; the library's reasons stay
/// in `logger` for reportFailure.
bool loadPlan(const std::string& path, ConsoleLogger& logger, LoadedPlan* out, std::string* what);

/// "1.5 KiB", "12.3 MiB".
std::string byteSize(int64_t bytes);

}  // namespace kiln::tool
