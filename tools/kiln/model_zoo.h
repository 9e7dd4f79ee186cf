// The kiln tool's built-in model zoo: small, well-known architectures defined layer by layer through the
// public INetworkDefinition API, with deterministic He-initialised random weights drawn from a seed. They
// let `kiln build` make real plans before the ONNX parser exists, and serve as end-to-end test models.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "kiln/network.h"

namespace kiln::tool {

struct ZooNetwork {
    const char* name;
    const char* summary;
    int64_t channels;          ///< input channels
    int64_t defaultImageSize;  ///< input height = width when --image-size is not given
    int64_t minImageSize;      ///< smallest height/width the topology accepts
    const char* inputName;
    const char* outputName;
};

/// Every network of the zoo, in the order `kiln build --list-networks` prints them.
const std::vector<ZooNetwork>& zooNetworks();
/// The entry named `name`, or null.
const ZooNetwork* findZooNetwork(const std::string& name);
/// "mnist, resnet18, ..." for error messages.
std::string zooNetworkNames();

struct ZooOptions {
    int64_t batch{1};      ///< -1: a dynamic batch dimension, chosen at run time
    int64_t imageSize{0};  ///< 0: the network's default
    uint64_t seed{1};
};

/// Host memory holding the weights handed to the network, with their names and shapes. It must outlive
/// buildSerializedNetwork, as in TensorRT (the network may keep pointers to it until the plan is built).
class WeightStore {
public:
    /// Stores a named weight tensor and returns Weights pointing at its values.
    Weights add(const std::string& name, std::vector<int64_t> dims, std::vector<float> values);
    /// Number of model parameters.
    int64_t parameterCount() const;
    /// Writes every named tensor as DIR/<name>.npy (float32), creating DIR.
    bool save(const std::string& dir, std::string* error) const;

private:
    struct Entry {
        std::string name;
        std::vector<int64_t> dims;
        std::vector<float> values;
    };
    std::deque<Entry> mEntries;
};

/// Defines network `name` in `network` (which must be empty). On failure returns false and sets *error
/// to one line naming the layer that failed; the library's own message went to its logger.
bool defineZooNetwork(const std::string& name, const ZooOptions& options, INetworkDefinition& network,
                      WeightStore& weights, std::string* error);

}  // namespace kiln::tool
