// libFuzzer target for the ONNX parser: every input is parsed into a fresh network (parse) and checked
// without one (supportsModel). The parser must return false with errors for anything it cannot read and
// never crash, hang or leak; AddressSanitizer and UBSan watch the rest. Seeds: fuzz/make_seed_corpus.py.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "kiln/kiln.h"
#include "kiln/onnx_parser.h"

namespace {

class QuietLogger final : public kiln::ILogger {
public:
    void log(Severity, const char*) noexcept override {}
};

template <class T>
struct Destroy {
    void operator()(T* p) const { delete p; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static QuietLogger logger;
    std::unique_ptr<kiln::IBuilder, Destroy<kiln::IBuilder>> builder(kiln::createInferBuilder(logger));
    if (!builder) return 0;
    std::unique_ptr<kiln::INetworkDefinition, Destroy<kiln::INetworkDefinition>> network(
        builder->createNetworkV2(0));
    if (!network) return 0;
    std::unique_ptr<kiln::IParser, Destroy<kiln::IParser>> parser(kiln::createParser(*network, logger));
    if (!parser) return 0;
    const bool supported = parser->supportsModel(data, size);
    const bool parsed = parser->parse(data, size);
    // A model that parses must be one that was reported supported, and a failed parse must say why.
    if (parsed && !supported) __builtin_trap();
    if (!parsed && parser->getNbErrors() == 0) __builtin_trap();
    for (int32_t i = 0; i < parser->getNbErrors(); ++i) {
        const kiln::IParserError* e = parser->getError(i);
        if (!e || !e->desc() || !e->nodeName() || !e->nodeOperator()) __builtin_trap();
    }
    return 0;
}
