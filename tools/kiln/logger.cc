// ConsoleLogger (see logger.h).
#include "logger.h"

#include <cstdio>

namespace kiln::tool {

namespace {

const char* tag(ILogger::Severity s) {
    switch (s) {
        case ILogger::Severity::kINTERNAL_ERROR:
            return "internal error";
        case ILogger::Severity::kERROR:
            return "error";
        case ILogger::Severity::kWARNING:
            return "warning";
        case ILogger::Severity::kINFO:
            return "info";
        case ILogger::Severity::kVERBOSE:
            return "verbose";
    }
    return "message";
}

}  // namespace

void ConsoleLogger::log(Severity severity, const char* msg) noexcept {
    try {
        std::lock_guard<std::mutex> lock(mMutex);
        const char* text = msg ? msg : "(null message)";
        const bool isError = severity <= Severity::kERROR;
        if (isError) mErrors.emplace_back(text);
        // Errors are printed once, by reportFailure, unless the user asked to see everything as it happens.
        const bool show = isError ? mShown >= Severity::kINFO : severity <= mShown;
        if (show) std::fprintf(stderr, "[kiln %s] %s\n", tag(severity), text);
    } catch (...) {
        // log() is noexcept: a failed allocation loses the message rather than terminating.
    }
}

std::vector<std::string> ConsoleLogger::takeErrors() {
    std::lock_guard<std::mutex> lock(mMutex);
    std::vector<std::string> out;
    out.swap(mErrors);
    return out;
}

bool ConsoleLogger::hasErrors() {
    std::lock_guard<std::mutex> lock(mMutex);
    return !mErrors.empty();
}

int reportFailure(ConsoleLogger& logger, const std::string& command, const std::string& what) {
    std::string line = "kiln " + command + ": error: " + what;
    std::vector<std::string> errors = logger.takeErrors();
    for (size_t i = 0; i < errors.size(); ++i) {
        // The library may report one failure at two levels with the same text; say it once.
        if (i > 0 && errors[i] == errors[i - 1]) continue;
        line += (i == 0 ? ": " : "; ") + errors[i];
    }
    std::fprintf(stderr, "%s\n", line.c_str());
    return 1;
}

void flushErrors(ConsoleLogger& logger, const std::string& command) {
    for (const std::string& e : logger.takeErrors())
        std::fprintf(stderr, "kiln %s: error reported by the library: %s\n", command.c_str(), e.c_str());
}

}  // namespace kiln::tool
