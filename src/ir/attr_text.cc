// writeAttrText (see attr_text.h).
#include "ir/attr_text.h"

#include <ios>
#include <type_traits>

#include "common/dims.h"

namespace kiln::ir {

namespace {

class AttrPrinter {
public:
    AttrPrinter(std::ostream& os, AttrTextMode mode) : mOs(os), mMode(mode) {}
    template <class T>
    void operator()(const char* name, const T& value) {
        mOs << (mFirst ? "" : ", ") << name << '=';
        mFirst = false;
        print(value);
    }
    /// Left out at its default, as the plan writer does, so the text of attributes not using it stays as
    /// it was (dumps, timing-cache keys).
    template <class T>
    void operator()(const char* name, const T& value, OptionalField) {
        if (!(value == T{})) (*this)(name, value);
    }

private:
    void printFloat(float v) {
        if (mMode == AttrTextMode::kEXACT)
            mOs << std::hexfloat << v << std::defaultfloat;
        else
            mOs << v;
    }
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
        } else if constexpr (std::is_same_v<T, float>) {
            printFloat(v);
        } else if constexpr (std::is_same_v<T, std::vector<float>>) {
            mOs << '[';
            for (size_t i = 0; i < v.size(); ++i) {
                mOs << (i ? "," : "");
                printFloat(v[i]);
            }
            mOs << ']';
        } else if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
            mOs << '[';
            for (size_t i = 0; i < v.size(); ++i) mOs << (i ? "," : "") << v[i];
            mOs << ']';
        } else if constexpr (std::is_same_v<T, Bytes>) {
            mOs << "<" << (v ? v->size() : 0) << " bytes";
            // Only Constant nodes hold bytes, and they have no tactics to time: keys never grow with weights.
            if (mMode == AttrTextMode::kEXACT && v) {
                static constexpr char kHex[] = "0123456789abcdef";
                mOs << ' ';
                for (uint8_t b : *v) mOs << kHex[b >> 4] << kHex[b & 15];
            }
            mOs << '>';
        } else {
            mOs << v;
        }
    }
    std::ostream& mOs;
    AttrTextMode mMode;
    bool mFirst{true};
};

}  // namespace

void writeAttrText(std::ostream& os, const Attrs& attrs, AttrTextMode mode) {
    std::visit(
        [&](const auto& a) {
            using A = std::decay_t<decltype(a)>;
            if constexpr (!std::is_same_v<A, std::monostate>) {
                AttrPrinter p(os, mode);
                // visit() is non-const (the plan reader writes through it); printing only reads.
                const_cast<A&>(a).visit(p);
            }
        },
        attrs);
}

}  // namespace kiln::ir
