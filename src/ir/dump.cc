// Textual IR dump: inputs, then one line per node with its attributes (ir/attr_text.h, readable).
#include <sstream>

#include "common/dims.h"
#include "ir/attr_text.h"
#include "ir/graph.h"

namespace kiln::ir {

namespace {

std::string typeAndShape(const Tensor& t) { return std::string(dataTypeName(t.type)) + toString(t.shape); }

}  // namespace

std::string dumpGraph(const Graph& g) {
    std::ostringstream os;
    for (TensorId t : g.inputs()) os << "input %" << g.tensor(t).name << ": " << typeAndShape(g.tensor(t)) << '\n';
    for (const Node& n : g.nodes()) {
        for (size_t k = 0; k < n.outputs.size(); ++k) {
            const Tensor& t = g.tensor(n.outputs[k]);
            os << (k ? ", " : "") << '%' << t.name << ": " << typeAndShape(t);
        }
        os << " = " << opName(n.kind()) << '(';
        for (size_t k = 0; k < n.inputs.size(); ++k) {
            os << (k ? ", " : "");
            if (n.inputs[k] == kNoTensor)
                os << "none";
            else
                os << '%' << g.tensor(n.inputs[k]).name;
        }
        os << ") {";
        writeAttrText(os, n.attrs, AttrTextMode::kREADABLE);
        os << "}  # " << n.name << '\n';
    }
    for (TensorId t : g.outputs()) os << "output %" << g.tensor(t).name << '\n';
    return os.str();
}

}  // namespace kiln::ir
