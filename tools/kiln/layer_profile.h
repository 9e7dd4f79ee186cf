// `kiln run --profile`: per-layer times collected through IProfiler over a number of runs, printed as a
// table by op kind and as the slowest layers, the way trtexec's --dumpProfile reports them.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "kiln/runtime.h"

namespace kiln::tool {

class LayerProfile final : public IProfiler {
public:
    /// Reads each layer's op kind and output shape from the engine inspector.
    explicit LayerProfile(const ICudaEngine& engine);
    void reportLayerTime(const char* layerName, float ms) noexcept override;
    /// Prints per-op-kind totals and the `top` slowest layers, times averaged over the runs seen.
    void print(int32_t top) const;

private:
    struct Layer {
        std::string op;
        std::string output;  // first output's shape and type, as the inspector gives them
        double totalMs{0.0};
        int32_t calls{0};
    };
    std::map<std::string, Layer> mLayers;
    std::vector<std::string> mOrder;  // names in first-report order
};

}  // namespace kiln::tool
