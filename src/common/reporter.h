// Reporter: where a public object sends errors. Every failed Status leaving the library goes through
// report(), which logs it and, when an IErrorRecorder is attached, records it too.
#pragma once

#include <string>

#include "common/status.h"
#include "kiln/error_recorder.h"
#include "kiln/logger.h"

namespace kiln {

class Reporter {
public:
    explicit Reporter(ILogger* logger) : mLogger(logger) {}
    void setRecorder(IErrorRecorder* recorder) {
        if (recorder) recorder->incRefCount();
        if (mRecorder) mRecorder->decRefCount();
        mRecorder = recorder;
    }
    ~Reporter() {
        if (mRecorder) mRecorder->decRefCount();
    }
    Reporter(const Reporter&) = delete;
    Reporter& operator=(const Reporter&) = delete;
    IErrorRecorder* recorder() const { return mRecorder; }
    ILogger* logger() const { return mLogger; }

    /// Logs `status` as an error (no-op for OK). Returns status.isOk().
    bool report(const Status& status) const {
        if (status.isOk()) return true;
        if (mLogger) mLogger->log(ILogger::Severity::kERROR, status.message().c_str());
        if (mRecorder) mRecorder->reportError(status.code(), status.message().c_str());
        return false;
    }
    bool error(ErrorCode code, const std::string& message) const { return report(Status(code, message)); }
    void warning(const std::string& message) const { log(ILogger::Severity::kWARNING, message); }
    void info(const std::string& message) const { log(ILogger::Severity::kINFO, message); }
    void verbose(const std::string& message) const { log(ILogger::Severity::kVERBOSE, message); }
    void log(ILogger::Severity s, const std::string& message) const {
        if (mLogger) mLogger->log(s, message.c_str());
    }

private:
    ILogger* mLogger{nullptr};
    IErrorRecorder* mRecorder{nullptr};
};

}  // namespace kiln
