/// @file error_recorder.h
/// IErrorRecorder: a user-owned list of errors, as in TensorRT.
#pragma once

#include <cstdint>

namespace kiln {

/// Error classes. Values match TensorRT's `ErrorCode`.
enum class ErrorCode : int32_t {
    kSUCCESS = 0,
    kUNSPECIFIED_ERROR = 1,
    kINTERNAL_ERROR = 2,
    kINVALID_ARGUMENT = 3,
    kINVALID_CONFIG = 4,
    kFAILED_ALLOCATION = 5,
    kFAILED_INITIALIZATION = 6,
    kFAILED_EXECUTION = 7,
    kFAILED_COMPUTATION = 8,
    kINVALID_STATE = 9,
    kUNSUPPORTED_STATE = 10,
};

/// Receives every error Kiln reports while it is attached (in addition to the logger).
class IErrorRecorder {
public:
    using ErrorDesc = const char*;
    using RefCount = int32_t;
    virtual int32_t getNbErrors() const noexcept = 0;
    virtual ErrorCode getErrorCode(int32_t errorIdx) const noexcept = 0;
    virtual ErrorDesc getErrorDesc(int32_t errorIdx) const noexcept = 0;
    virtual bool hasOverflowed() const noexcept = 0;
    virtual void clear() noexcept = 0;
    /// Returns true if the caller should stop (TensorRT's semantics).
    virtual bool reportError(ErrorCode val, ErrorDesc desc) noexcept = 0;
    virtual RefCount incRefCount() noexcept = 0;
    virtual RefCount decRefCount() noexcept = 0;
    virtual ~IErrorRecorder() = default;
};

}  // namespace kiln
