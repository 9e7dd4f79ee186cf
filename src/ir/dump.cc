// Textual IR dump: inputs, then one line per node with its attributes (through each Attrs::visit).
#include <sstream>
#include <type_traits>

#include "common/dims.h"
#include "ir/graph.h"

namespace kiln::ir {

namespace {

std::string typeAndShape(const Tensor& t) { return std::string(dataTypeName(t.type)) + toString(t.shape); }

class AttrPrinter {
public:
    explicit AttrPrinter(std::ostringstream& os) : mOs(os) {}
    template <class T>
    void operator()(const char* name, const T& value) {
        mOs << (mFirst ? "" : ", ") << name << '=';
        mFirst = false;
        print(value);
    }
    /// Left out at its default, as the plan writer does, so dumps of graphs not using it stay as they were.
    template <class T>
    void operator()(const char* name, const T& value, OptionalField) {
        if (!(value == T{})) (*this)(name, value);
    }

private:
    template <class T>
    void print(const T& v) {
        if constexpr (std::is_same_v<T, Dims>) {
            mOs << toString(v);
        } else if constexpr (std::is_same_v<T, Permutation>) {
            mOs << '(';
            for (int i = 0; i < 8; ++i) mOs << (i ? "," : "") << v.order[i];
            mOs << ')';
        } else if constexpr (std::is_same_v<T, DataType>) {
            mOs << dataTypeName(v);
        } else if constexpr (std::is_enum_v<T>) {
            mOs << static_cast<int32_t>(v);
        } else if constexpr (std::is_same_v<T, bool>) {
            mOs << (v ? "true" : "false");
        } else if constexpr (std::is_same_v<T, std::vector<float>> || std::is_same_v<T, std::vector<int64_t>>) {
            mOs << '[';
            for (size_t i = 0; i < v.size(); ++i) mOs << (i ? "," : "") << v[i];
            mOs << ']';
        } else if constexpr (std::is_same_v<T, Bytes>) {
            mOs << "<" << (v ? v->size() : 0) << " bytes>";
        } else {
            mOs << v;
        }
    }
    std::ostringstream& mOs;
    bool mFirst{true};
};

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
        std::visit(
            [&](const auto& a) {
                using A = std::decay_t<decltype(a)>;
                if constexpr (!std::is_same_v<A, std::monostate>) {
                    AttrPrinter p(os);
                    const_cast<A&>(a).visit(p);
                }
            },
            n.attrs);
        os << "}  # " << n.name << '\n';
    }
    for (TensorId t : g.outputs()) os << "output %" << g.tensor(t).name << '\n';
    return os.str();
}

}  // namespace kiln::ir
