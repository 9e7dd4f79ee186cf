// runOnGpu without CUDA (see gpu_run.h): GPU plans cannot run in this build.
#include "gpu_run.h"

namespace kiln::tool {

bool gpuRunAvailable() { return false; }

bool runOnGpu(IExecutionContext&, std::vector<HostTensor>&, const GpuRunOptions&, std::vector<double>*,
              std::string* error) {
    *error = "this kiln was built without CUDA: it runs only CPU plans (rebuild the plan with --device cpu)";
    return false;
}

}  // namespace kiln::tool
