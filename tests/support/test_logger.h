// A logger for tests: keeps every message so a test can assert on what the library reported.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "kiln/logger.h"

namespace kiln::testing {

class TestLogger : public ILogger {
public:
    void log(Severity severity, const char* msg) noexcept override {
        std::lock_guard<std::mutex> lock(mMutex);
        if (severity <= Severity::kERROR) mErrors.emplace_back(msg);
        mAll.emplace_back(msg);
    }
    std::vector<std::string> errors() {
        std::lock_guard<std::mutex> lock(mMutex);
        return mErrors;
    }
    /// Every message so far, all severities, oldest first.
    std::vector<std::string> messages() {
        std::lock_guard<std::mutex> lock(mMutex);
        return mAll;
    }
    /// True if some error message contains `needle`.
    bool hasError(const std::string& needle) {
        for (const auto& e : errors())
            if (e.find(needle) != std::string::npos) return true;
        return false;
    }
    std::string allErrors() {
        std::string s;
        for (const auto& e : errors()) s += e + "\n";
        return s;
    }
    void clear() {
        std::lock_guard<std::mutex> lock(mMutex);
        mErrors.clear();
        mAll.clear();
    }

private:
    std::mutex mMutex;
    std::vector<std::string> mErrors;
    std::vector<std::string> mAll;
};

}  // namespace kiln::testing
