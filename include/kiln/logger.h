/// @file logger.h
/// The logger interface every builder, runtime and parser reports through.
#pragma once

namespace kiln {

/// How serious a message is. Values match TensorRT's `ILogger::Severity`.
class ILogger {
public:
    enum class Severity : int {
        kINTERNAL_ERROR = 0,  ///< an internal error; Kiln cannot go on with the call
        kERROR = 1,           ///< a user error; the call fails
        kWARNING = 2,         ///< something may not be what the user wants
        kINFO = 3,            ///< progress
        kVERBOSE = 4,         ///< detail for debugging
    };
    /// Called from any thread; must be thread-safe.
    virtual void log(Severity severity, const char* msg) noexcept = 0;
    virtual ~ILogger() = default;
};

}  // namespace kiln
