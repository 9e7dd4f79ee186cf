// LayerProfile (see layer_profile.h).
#include "layer_profile.h"

#include <algorithm>
#include <cstdio>
#include <memory>

namespace kiln::tool {

namespace {

/// The string value of `"key":"..."` after position `from` in the inspector's JSON (no escapes in the
/// values read here but names, which are returned as the inspector escaped them).
std::string jsonString(const std::string& json, const std::string& key, size_t from = 0) {
    const std::string pat = "\"" + key + "\":\"";
    const size_t p = json.find(pat, from);
    if (p == std::string::npos) return {};
    const size_t b = p + pat.size();
    size_t e = b;
    while (e < json.size() && json[e] != '"') e += json[e] == '\\' ? 2 : 1;
    return json.substr(b, e - b);
}

/// "type[d0,d1,...]" of the first output in a layer's JSON.
std::string firstOutput(const std::string& json) {
    const size_t o = json.find("\"outputs\":[");
    if (o == std::string::npos) return {};
    const std::string type = jsonString(json, "type", o);
    const size_t s = json.find("\"shape\":", o);
    if (s == std::string::npos) return type;
    const size_t b = s + 8, e = json.find(']', b);
    return type + (e == std::string::npos ? "" : json.substr(b, e - b + 1));
}

}  // namespace

LayerProfile::LayerProfile(const ICudaEngine& engine) {
    std::unique_ptr<IEngineInspector> inspector(engine.createEngineInspector());
    if (!inspector) return;
    for (int32_t i = 0; i < engine.getNbLayers(); ++i) {
        const char* info = inspector->getLayerInformation(i);
        if (!info) continue;
        const std::string json(info);
        const std::string op = jsonString(json, "op");
        auto [it, added] = mLayers.try_emplace(jsonString(json, "name"));
        // Names need not be unique (an importer's Constant may share its consumer's name). Constants never
        // run, so a name shared with one reports the other layer's times.
        if (!added && op == "Constant") continue;
        it->second.op = op;
        it->second.output = firstOutput(json);
    }
}

void LayerProfile::reportLayerTime(const char* layerName, float ms) noexcept {
    try {
        auto [it, added] = mLayers.try_emplace(layerName ? layerName : "");
        if (it->second.calls == 0) mOrder.push_back(it->first);
        it->second.totalMs += ms;
        ++it->second.calls;
    } catch (...) {
        // Out of memory while profiling: the profile loses a sample, the run goes on.
    }
}

void LayerProfile::print(int32_t top) const {
    struct Row {
        double ms{0.0};
        int32_t count{0};
    };
    std::map<std::string, Row> byOp;
    std::vector<std::pair<double, std::string>> layers;
    double total = 0.0;
    for (const std::string& name : mOrder) {
        const Layer& l = mLayers.at(name);
        const double ms = l.totalMs / l.calls;
        Row& r = byOp[l.op.empty() ? "?" : l.op];
        r.ms += ms;
        ++r.count;
        layers.emplace_back(ms, name);
        total += ms;
    }
    std::vector<std::pair<std::string, Row>> ops(byOp.begin(), byOp.end());
    std::sort(ops.begin(), ops.end(), [](const auto& a, const auto& b) { return a.second.ms > b.second.ms; });
    std::printf("profile: %zu layers, %.3f ms summed per run (layers timed one by one; no CUDA graph)\n",
                layers.size(), total);
    std::printf("  %-22s %7s %10s %7s\n", "op", "layers", "ms", "share");
    for (const auto& [op, r] : ops)
        std::printf("  %-22s %7d %10.3f %6.1f%%\n", op.c_str(), r.count, r.ms, total > 0 ? 100.0 * r.ms / total : 0.0);
    std::sort(layers.begin(), layers.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    std::printf("  slowest layers:\n");
    for (size_t i = 0; i < layers.size() && static_cast<int32_t>(i) < top; ++i) {
        const Layer& l = mLayers.at(layers[i].second);
        std::printf("  %9.3f ms  %-16s %-28s %s\n", layers[i].first, l.op.c_str(), l.output.c_str(),
                    layers[i].second.c_str());
    }
}

}  // namespace kiln::tool
