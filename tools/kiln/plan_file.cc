// File helpers of the kiln tool (see plan_file.h).
#include "plan_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace kiln::tool {

bool readFileBytes(const std::string& path, std::vector<uint8_t>* bytes, std::string* error) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
        *error = "cannot read '" + path + "': it is a directory";
        return false;
    }
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) {
        *error = "cannot read '" + path + "': " + std::strerror(errno);
        return false;
    }
    const std::streamoff size = in.tellg();
    if (size < 0) {
        *error = "cannot read '" + path + "': cannot tell its size";
        return false;
    }
    bytes->resize(static_cast<size_t>(size));
    in.seekg(0);
    if (size > 0) in.read(reinterpret_cast<char*>(bytes->data()), size);
    if (!in) {
        *error = "cannot read '" + path + "': " + std::strerror(errno);
        return false;
    }
    return true;
}

bool writeFileBytes(const std::string& path, const void* data, size_t size, std::string* error) {
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) {
            *error = "cannot write '" + path + "': " + std::strerror(errno);
            return false;
        }
        out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
        out.close();
        if (!out) {
            *error = "writing '" + path + "' failed: " + std::strerror(errno);
            std::remove(tmp.c_str());
            return false;
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        *error = "cannot write '" + path + "': " + ec.message();
        std::remove(tmp.c_str());
        return false;
    }
    return true;
}

bool loadPlan(const std::string& path, ConsoleLogger& logger, LoadedPlan* out, std::string* what) {
    std::vector<uint8_t> bytes;
    if (!readFileBytes(path, &bytes, what)) return false;
    if (bytes.empty()) {
        *what = "plan file '" + path + "' is empty";
        return false;
    }
    out->fileBytes = static_cast<int64_t>(bytes.size());
    out->runtime.reset(createInferRuntime(logger));
    if (!out->runtime) {
        *what = "cannot create a runtime";
        return false;
    }
    out->engine.reset(out->runtime->deserializeCudaEngine(bytes.data(), bytes.size()));
    if (!out->engine) {
        *what = "cannot load plan '" + path + "'";
        return false;
    }
    return true;
}

std::string byteSize(int64_t bytes) {
    char buf[64];
    if (bytes < 1024)
        std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(bytes));
    else if (bytes < (int64_t{1} << 20))
        std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(bytes) / 1024.0);
    else if (bytes < (int64_t{1} << 30))
        std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
    else
        std::snprintf(buf, sizeof buf, "%.2f GiB", static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0));
    return buf;
}

}  // namespace kiln::tool
