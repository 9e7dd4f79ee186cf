// runOnGpu with the CUDA runtime (see gpu_run.h).
#include <cuda_runtime.h>

#include "gpu_run.h"

namespace kiln::tool {

namespace {

bool ok(cudaError_t e, const char* what, std::string* error) {
    if (e == cudaSuccess) return true;
    *error = std::string(what) + ": " + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) + ")";
    return false;
}

struct DeviceMemory {
    std::vector<void*> blocks;
    ~DeviceMemory() {
        for (void* p : blocks) cudaFree(p);
    }
};

struct Stream {
    cudaStream_t s{nullptr};
    cudaEvent_t begin{nullptr}, end{nullptr};
    cudaGraph_t graph{nullptr};
    cudaGraphExec_t exec{nullptr};
    ~Stream() {
        if (exec) cudaGraphExecDestroy(exec);
        if (graph) cudaGraphDestroy(graph);
        if (begin) cudaEventDestroy(begin);
        if (end) cudaEventDestroy(end);
        if (s) cudaStreamDestroy(s);
    }
};

}  // namespace

bool gpuRunAvailable() {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
        cudaGetLastError();
        return false;
    }
    return n > 0;
}

bool runOnGpu(IExecutionContext& context, std::vector<HostTensor>& tensors, const GpuRunOptions& o,
              std::vector<double>* ms, std::string* error) {
    DeviceMemory memory;
    std::vector<void*> device(tensors.size(), nullptr);
    for (size_t i = 0; i < tensors.size(); ++i) {
        HostTensor& t = tensors[i];
        if (t.onHost) {
            device[i] = t.data;
        } else {
            if (!ok(cudaMalloc(&device[i], static_cast<size_t>(std::max<int64_t>(t.bytes, 1))), ("allocating '" + t.name + "'").c_str(), error))
                return false;
            memory.blocks.push_back(device[i]);
            if (t.isInput && t.bytes > 0 &&
                !ok(cudaMemcpy(device[i], t.data, static_cast<size_t>(t.bytes), cudaMemcpyHostToDevice),
                    ("copying input '" + t.name + "'").c_str(), error))
                return false;
        }
        if (!context.setTensorAddress(t.name.c_str(), device[i])) {
            *error = "cannot bind tensor '" + t.name + "'";
            return false;
        }
    }
    Stream st;
    if (!ok(cudaStreamCreateWithFlags(&st.s, cudaStreamNonBlocking), "cudaStreamCreate", error) ||
        !ok(cudaEventCreate(&st.begin), "cudaEventCreate", error) || !ok(cudaEventCreate(&st.end), "cudaEventCreate", error))
        return false;
    // One run outside any capture: the first run after new shapes prepares the context's device state.
    if (!context.enqueueV3(st.s)) {
        *error = "inference failed (first run)";
        return false;
    }
    if (!ok(cudaStreamSynchronize(st.s), "first run", error)) return false;
    if (o.cudaGraph) {
        if (!ok(cudaStreamBeginCapture(st.s, cudaStreamCaptureModeThreadLocal), "cudaStreamBeginCapture", error))
            return false;
        const bool enqueued = context.enqueueV3(st.s);
        if (!ok(cudaStreamEndCapture(st.s, &st.graph), "cudaStreamEndCapture", error)) return false;
        if (!enqueued) {
            *error = "inference failed while capturing a CUDA graph";
            return false;
        }
        if (!ok(cudaGraphInstantiate(&st.exec, st.graph, 0), "cudaGraphInstantiate", error)) return false;
    }
    for (int32_t i = 0; i < o.warmup + o.iterations; ++i) {
        cudaEventRecord(st.begin, st.s);
        if (o.cudaGraph) {
            if (!ok(cudaGraphLaunch(st.exec, st.s), "cudaGraphLaunch", error)) return false;
        } else if (!context.enqueueV3(st.s)) {
            *error = "inference failed (run " + std::to_string(i + 1) + ")";
            return false;
        }
        cudaEventRecord(st.end, st.s);
        if (!ok(cudaEventSynchronize(st.end), "waiting for the run", error)) return false;
        float t = 0.f;
        cudaEventElapsedTime(&t, st.begin, st.end);
        if (i >= o.warmup) ms->push_back(t);
    }
    if (o.profiler) {
        context.setProfiler(o.profiler);
        for (int32_t i = 0; i < o.profileRuns; ++i)
            if (!context.enqueueV3(st.s)) {
                context.setProfiler(nullptr);
                *error = "inference failed (profiled run)";
                return false;
            }
        context.setProfiler(nullptr);
        if (!ok(cudaStreamSynchronize(st.s), "profiled runs", error)) return false;
    }
    for (size_t i = 0; i < tensors.size(); ++i) {
        HostTensor& t = tensors[i];
        if (t.isInput || t.onHost || t.bytes <= 0) continue;
        if (!ok(cudaMemcpy(t.data, device[i], static_cast<size_t>(t.bytes), cudaMemcpyDeviceToHost),
                ("copying output '" + t.name + "'").c_str(), error))
            return false;
    }
    return true;
}

}  // namespace kiln::tool
