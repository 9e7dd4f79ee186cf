// Weights file reader and writer (format in weights_file.h).
#include "weights_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

namespace sample {

namespace {

constexpr const char* kMagic = "kiln-weights";
constexpr int kVersion = 1;

uint32_t bitsOf(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}

float floatOf(uint32_t u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

}  // namespace

bool writeWeights(const std::string& path, const WeightMap& weights, std::string* error) {
    std::ofstream out(path, std::ios::trunc);
    if (!out) {
        *error = "cannot write '" + path + "': " + std::strerror(errno);
        return false;
    }
    out << kMagic << ' ' << kVersion << '\n' << weights.size() << '\n';
    char hex[16];
    for (const auto& [name, t] : weights) {
        out << name << ' ' << t.dims.size();
        for (int64_t d : t.dims) out << ' ' << d;
        for (float v : t.values) {
            std::snprintf(hex, sizeof hex, " %08x", bitsOf(v));
            out << hex;
        }
        out << '\n';
    }
    out.close();
    if (!out) {
        *error = "writing '" + path + "' failed";
        return false;
    }
    return true;
}

bool readWeights(const std::string& path, WeightMap* weights, std::string* error) {
    std::ifstream in(path);
    if (!in) {
        *error = "cannot open '" + path + "': " + std::strerror(errno);
        return false;
    }
    int lineNo = 0;
    std::string line;
    auto fail = [&](const std::string& what) {
        *error = path + ":" + std::to_string(lineNo) + ": " + what;
        return false;
    };
    ++lineNo;
    std::string magic;
    int version = 0;
    if (!std::getline(in, line) || !(std::istringstream(line) >> magic >> version) || magic != kMagic)
        return fail(std::string("expected the header '") + kMagic + " " + std::to_string(kVersion) + "'");
    if (version != kVersion)
        return fail("format version " + std::to_string(version) +
                    " is not supported (this reader knows version " + std::to_string(kVersion) + ")");
    ++lineNo;
    long long count = -1;
    if (!std::getline(in, line) || !(std::istringstream(line) >> count) || count < 0)
        return fail("expected the number of tensors");
    weights->clear();
    for (long long i = 0; i < count; ++i) {
        ++lineNo;
        if (!std::getline(in, line))
            return fail("the file ends after " + std::to_string(i) + " of " + std::to_string(count) +
                        " tensors");
        std::istringstream s(line);
        std::string name;
        int rank = -1;
        if (!(s >> name >> rank) || rank < 0 || rank > 8) return fail("expected '<name> <rank 0..8>'");
        if (weights->count(name)) return fail("tensor '" + name + "' appears twice");
        WeightTensor t;
        int64_t volume = 1;
        for (int k = 0; k < rank; ++k) {
            long long d = 0;
            if (!(s >> d) || d <= 0 || d > (int64_t{1} << 31))
                return fail("tensor '" + name + "': dim " + std::to_string(k) + " is not a positive integer");
            t.dims.push_back(d);
            volume *= d;
        }
        t.values.reserve(static_cast<size_t>(volume));
        std::string word;
        while (s >> word) {
            char* end = nullptr;
            const unsigned long bits = std::strtoul(word.c_str(), &end, 16);
            if (word.size() != 8 || *end != '\0')
                return fail("tensor '" + name + "': value " + std::to_string(t.values.size()) + " ('" + word +
                            "') is not 8 hex digits");
            t.values.push_back(floatOf(static_cast<uint32_t>(bits)));
        }
        if (static_cast<int64_t>(t.values.size()) != volume)
            return fail("tensor '" + name + "' has " + std::to_string(t.values.size()) +
                        " values; its dims need " + std::to_string(volume));
        (*weights)[name] = std::move(t);
    }
    ++lineNo;
    while (std::getline(in, line))
        if (line.find_first_not_of(" \t\r") != std::string::npos)
            return fail("unexpected text after the last tensor");
    return true;
}

}  // namespace sample
