// ConsoleLogger: the ILogger the kiln tool hands to the library. Warnings (and, with --verbose, info and
// verbose messages) go to stderr as they come; errors are kept so that a failing command can print one
// line saying what it was doing and what the library reported.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "kiln/logger.h"

namespace kiln::tool {

class ConsoleLogger final : public ILogger {
public:
    /// Messages up to `shown` are printed when they arrive; errors are also kept (see takeErrors).
    explicit ConsoleLogger(Severity shown = Severity::kWARNING) : mShown(shown) {}
    void setShown(Severity shown) { mShown = shown; }
    void log(Severity severity, const char* msg) noexcept override;
    /// The error messages received since the last call, oldest first.
    std::vector<std::string> takeErrors();
    bool hasErrors();

private:
    std::mutex mMutex;
    Severity mShown;
    std::vector<std::string> mErrors;
};

/// Prints "kiln <command>: error: <what>[: <library errors joined by "; ">]" to stderr and returns 1,
/// the exit code of every failed command.
int reportFailure(ConsoleLogger& logger, const std::string& command, const std::string& what);

/// Prints errors the library reported although the command went on (none expected; kept so that no
/// message is lost).
void flushErrors(ConsoleLogger& logger, const std::string& command);

}  // namespace kiln::tool
