// Helpers for the kiln tool's end-to-end tests (see cli_test_util.h).
#include "cli_test_util.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace kiln::clitest {

std::string shellQuote(const std::string& text) {
    std::string q = "'";
    for (char c : text) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

CommandResult runKiln(const std::string& args) {
    const std::string command = shellQuote(KILN_CLI_PATH) + " " + args + " 2>&1";
    CommandResult r;
    FILE* pipe = popen(command.c_str(), "r");
    if (!pipe) throw std::runtime_error("popen failed for: " + command);
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) r.output.append(buf, n);
    const int status = pclose(pipe);
    if (status == -1)
        r.exitCode = -1;
    else if (WIFEXITED(status))
        r.exitCode = WEXITSTATUS(status);
    else if (WIFSIGNALED(status))
        r.exitCode = 128 + WTERMSIG(status);
    return r;
}

ScratchDir::ScratchDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "kiln_cli_test_XXXXXX").string();
    if (!mkdtemp(tmpl.data()))
        throw std::runtime_error("mkdtemp failed: " + std::string(std::strerror(errno)));
    mPath = tmpl;
}

ScratchDir::~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(mPath, ec);
}

void writeRawNpy(const std::string& path, const std::string& descr, const std::vector<int64_t>& shape,
                 const void* data, size_t bytes, bool fortranOrder) {
    std::string shapeText = "(";
    for (size_t i = 0; i < shape.size(); ++i) shapeText += (i ? ", " : "") + std::to_string(shape[i]);
    if (shape.size() == 1) shapeText += ",";
    shapeText += ")";
    std::string header = "{'descr': '" + descr + "', 'fortran_order': " + (fortranOrder ? "True" : "False") +
                         ", 'shape': " + shapeText + ", }";
    // numpy pads the header so that the data starts at a multiple of 64; this writer uses 16, which the
    // format also allows, so the reader under test cannot depend on numpy's exact padding.
    while ((10 + header.size() + 1) % 16 != 0) header += ' ';
    header += '\n';
    std::ofstream out(path, std::ios::binary);
    out.write("\x93NUMPY\x01\x00", 8);
    const uint16_t len = static_cast<uint16_t>(header.size());
    const char lenBytes[2] = {static_cast<char>(len & 0xff), static_cast<char>(len >> 8)};
    out.write(lenBytes, 2);
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    out.write(static_cast<const char*>(data), static_cast<std::streamsize>(bytes));
}

void writeFloatNpy(const std::string& path, const std::vector<int64_t>& shape,
                   const std::vector<float>& values) {
    writeRawNpy(path, "<f4", shape, values.data(), values.size() * sizeof(float));
}

bool readFloatNpy(const std::string& path, std::vector<int64_t>* shape, std::vector<float>* values,
                  std::string* error) {
    const std::vector<uint8_t> bytes = readBytes(path);
    if (bytes.size() < 10 || std::memcmp(bytes.data(), "\x93NUMPY", 6) != 0) {
        *error = path + ": missing or not an .npy file";
        return false;
    }
    size_t headerStart = 10, headerLen = bytes[8] | (bytes[9] << 8);
    if (bytes[6] != 1) {
        headerStart = 12;
        headerLen = bytes[8] | (bytes[9] << 8) | (bytes[10] << 16) | (static_cast<size_t>(bytes[11]) << 24);
    }
    if (headerStart + headerLen > bytes.size()) {
        *error = path + ": header runs past the end";
        return false;
    }
    const std::string header(reinterpret_cast<const char*>(bytes.data()) + headerStart, headerLen);
    if (header.find("'descr': '<f4'") == std::string::npos ||
        header.find("'fortran_order': False") == std::string::npos) {
        *error = path + ": not a C-order float32 array: " + header;
        return false;
    }
    const size_t open = header.find('(', header.find("'shape'")), close = header.find(')', open);
    shape->clear();
    std::string dims = header.substr(open + 1, close - open - 1);
    for (size_t pos = 0; pos < dims.size();) {
        size_t comma = dims.find(',', pos);
        if (comma == std::string::npos) comma = dims.size();
        const std::string item = dims.substr(pos, comma - pos);
        if (item.find_first_not_of(' ') != std::string::npos) shape->push_back(std::stoll(item));
        pos = comma + 1;
    }
    size_t count = 1;
    for (int64_t d : *shape) count *= static_cast<size_t>(d);
    const size_t dataStart = headerStart + headerLen;
    if (bytes.size() - dataStart != count * 4) {
        *error = path + ": " + std::to_string(bytes.size() - dataStart) + " data bytes for " +
                 std::to_string(count) + " floats";
        return false;
    }
    values->resize(count);
    std::memcpy(values->data(), bytes.data() + dataStart, count * 4);
    return true;
}

std::vector<uint8_t> readBytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void writeBytes(const std::string& path, const std::vector<uint8_t>& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

int countLines(const std::string& text) {
    int n = 0;
    for (char c : text) n += c == '\n';
    if (!text.empty() && text.back() != '\n') ++n;
    return n;
}

}  // namespace kiln::clitest
