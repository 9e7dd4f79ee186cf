// IRuntime: verifies a plan, checks that it was built for a target this library can run, and creates
// the engine.
#include <memory>
#include <new>

#include "backends/device_info.h"
#include "common/reporter.h"
#include "kiln/runtime.h"
#include "runtime/engine.h"

namespace kiln::api {

namespace {

class RuntimeImpl final : public IRuntime {
public:
    explicit RuntimeImpl(ILogger& logger) : mReporter(&logger) {}

    ICudaEngine* deserializeCudaEngine(void const* blob, std::size_t size) noexcept override {
        if (!blob || size == 0) {
            mReporter.error(ErrorCode::kINVALID_ARGUMENT, "deserializeCudaEngine: the plan is empty (null or 0 bytes)");
            return nullptr;
        }
        auto planOr = plan::readPlan(blob, size);
        if (!planOr.isOk()) {
            mReporter.report(planOr.status().withContext("deserializeCudaEngine"));
            return nullptr;
        }
        std::vector<uint8_t> bytes(static_cast<const uint8_t*>(blob), static_cast<const uint8_t*>(blob) + size);
        std::unique_ptr<runtime::EngineImpl> engine(
            new (std::nothrow) runtime::EngineImpl(std::move(planOr).value(), std::move(bytes), mReporter.logger()));
        if (!engine) {
            mReporter.error(ErrorCode::kFAILED_ALLOCATION, "deserializeCudaEngine: out of memory");
            return nullptr;
        }
        // A GPU plan runs only on the architecture it was built for; its weights go to the device once.
        Status st = engine->initDevice(mAllocator);
        if (!st.isOk()) {
            mReporter.report(st.withContext("deserializeCudaEngine"));
            return nullptr;
        }
        return engine.release();
    }
    void setGpuAllocator(IGpuAllocator* allocator) noexcept override { mAllocator = allocator; }
    void setErrorRecorder(IErrorRecorder* recorder) noexcept override { mReporter.setRecorder(recorder); }
    IErrorRecorder* getErrorRecorder() const noexcept override { return mReporter.recorder(); }
    ILogger* getLogger() const noexcept override { return mReporter.logger(); }

private:
    Reporter mReporter;
    IGpuAllocator* mAllocator{nullptr};
};

}  // namespace

}  // namespace kiln::api

namespace kiln {

IRuntime* createInferRuntime(ILogger& logger) noexcept { return new (std::nothrow) api::RuntimeImpl(logger); }

}  // namespace kiln
