// Status and StatusOr: how errors travel inside Kiln. A Status carries a code and a message; while
// importing or optimizing, the message is prefixed with the node it concerns (see withNode). Exceptions
// never cross the public API: the API layer turns a failed Status into a logger/recorder report.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "kiln/error_recorder.h"

namespace kiln {

class Status {
public:
    Status() = default;
    Status(ErrorCode code, std::string message) : mCode(code), mMessage(std::move(message)) {}

    static Status ok() { return Status(); }
    bool isOk() const { return mCode == ErrorCode::kSUCCESS; }
    explicit operator bool() const { return isOk(); }
    ErrorCode code() const { return mCode; }
    const std::string& message() const { return mMessage; }

    /// Returns a copy whose message starts with `context: `.
    Status withContext(const std::string& context) const {
        if (isOk()) return *this;
        return Status(mCode, context + ": " + mMessage);
    }

private:
    ErrorCode mCode{ErrorCode::kSUCCESS};
    std::string mMessage;
};

inline Status invalidArgument(std::string m) { return Status(ErrorCode::kINVALID_ARGUMENT, std::move(m)); }
inline Status unsupported(std::string m) { return Status(ErrorCode::kUNSUPPORTED_STATE, std::move(m)); }
inline Status internalError(std::string m) { return Status(ErrorCode::kINTERNAL_ERROR, std::move(m)); }
inline Status invalidState(std::string m) { return Status(ErrorCode::kINVALID_STATE, std::move(m)); }
inline Status invalidConfig(std::string m) { return Status(ErrorCode::kINVALID_CONFIG, std::move(m)); }
inline Status allocationFailed(std::string m) { return Status(ErrorCode::kFAILED_ALLOCATION, std::move(m)); }
inline Status executionFailed(std::string m) { return Status(ErrorCode::kFAILED_EXECUTION, std::move(m)); }

template <typename T>
class StatusOr {
public:
    StatusOr(T value) : mValue(std::move(value)) {}  // NOLINT: implicit by design
    StatusOr(Status status) : mStatus(std::move(status)) {
        if (mStatus.isOk()) mStatus = internalError("StatusOr constructed from an OK status without a value");
    }
    bool isOk() const { return mStatus.isOk(); }
    const Status& status() const { return mStatus; }
    T& value() & { return *mValue; }
    const T& value() const& { return *mValue; }
    T&& value() && { return std::move(*mValue); }
    T* operator->() { return &*mValue; }
    const T* operator->() const { return &*mValue; }
    T& operator*() { return *mValue; }

private:
    Status mStatus;
    std::optional<T> mValue;
};

}  // namespace kiln

#define KILN_CONCAT_INNER(a, b) a##b
#define KILN_CONCAT(a, b) KILN_CONCAT_INNER(a, b)

/// Returns the Status from the enclosing function if `expr` failed.
#define KILN_RETURN_IF_ERROR(expr)                    \
    do {                                              \
        ::kiln::Status _kiln_st = (expr);             \
        if (!_kiln_st.isOk()) return _kiln_st;        \
    } while (0)

/// `KILN_ASSIGN_OR_RETURN(auto x, f())`: binds the value or returns the error.
#define KILN_ASSIGN_OR_RETURN(lhs, expr) KILN_ASSIGN_OR_RETURN_IMPL(KILN_CONCAT(_kiln_so_, __LINE__), lhs, expr)
#define KILN_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
    auto tmp = (expr);                             \
    if (!tmp.isOk()) return tmp.status();          \
    lhs = std::move(tmp).value()

/// Fails with kINVALID_ARGUMENT and a message built from the stream expression when `cond` is false.
#define KILN_CHECK_ARG(cond, msg)                                         \
    do {                                                                  \
        if (!(cond)) {                                                    \
            std::ostringstream _kiln_os;                                  \
            _kiln_os << msg;                                              \
            return ::kiln::invalidArgument(_kiln_os.str());               \
        }                                                                 \
    } while (0)
