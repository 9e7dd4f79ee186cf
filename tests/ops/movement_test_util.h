// Helpers for the movement and resize op tests: the list of every DataType, random tensors whose values
// fit each type, byte-exact and value comparisons that print the first mismatch with its coordinates,
// and a row-major coordinate odometer for the naive references written in the tests.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "support/single_op.h"

namespace kiln::testing {

inline const std::vector<DataType>& allDataTypes() {
    static const std::vector<DataType> types{DataType::kFLOAT, DataType::kHALF,  DataType::kBF16,
                                             DataType::kFP8,   DataType::kINT8,  DataType::kUINT8,
                                             DataType::kINT32, DataType::kINT64, DataType::kBOOL};
    return types;
}

/// Random values spread over each type's range, so that a copy that lands in the wrong place shows.
inline HostTensor randomOfType(DataType t, Dims s, uint64_t seed) {
    switch (t) {
        case DataType::kUINT8:
            return HostTensor::random(t, s, seed, 0, 255);
        case DataType::kINT8:
            return HostTensor::random(t, s, seed, -128, 127);
        case DataType::kINT32:
            return HostTensor::random(t, s, seed, -2000000000.0, 2000000000.0);
        case DataType::kINT64: {
            // Beyond 2^53, so a kernel that goes through double would be caught.
            HostTensor h(t, s);
            std::mt19937_64 rng(seed);
            for (int64_t i = 0; i < h.numel(); ++i)
                static_cast<int64_t*>(h.data())[i] = static_cast<int64_t>(rng());
            return h;
        }
        default:
            return HostTensor::random(t, s, seed, -100.0, 100.0);
    }
}

/// Advances `c` through the row-major coordinates of `shape`; false after the last one.
inline bool nextCoords(std::vector<int64_t>& c, const Dims& shape) {
    for (int d = shape.nbDims - 1; d >= 0; --d) {
        if (++c[static_cast<size_t>(d)] < shape.d[d]) return true;
        c[static_cast<size_t>(d)] = 0;
    }
    return false;
}

/// Flat row-major offset of coordinates `c` in `shape`, computed by Horner's rule.
inline int64_t flatOf(const std::vector<int64_t>& c, const Dims& shape) {
    int64_t f = 0;
    for (int d = 0; d < shape.nbDims; ++d) f = f * shape.d[d] + c[static_cast<size_t>(d)];
    return f;
}

inline std::string coordsString(const std::vector<int64_t>& c) {
    std::ostringstream os;  // not string operator+: GCC 12 reports a false -Wrestrict there
    os << '(';
    for (size_t i = 0; i < c.size(); ++i) os << (i ? "," : "") << c[i];
    os << ')';
    return os.str();
}

inline void copyElement(HostTensor& dst, int64_t di, const HostTensor& src, int64_t si) {
    const size_t e = static_cast<size_t>(dataTypeSize(src.type));
    std::memcpy(dst.bytes.data() + static_cast<size_t>(di) * e,
                src.bytes.data() + static_cast<size_t>(si) * e, e);
}

/// Same type, shape and bytes; the failure names the first differing element.
inline ::testing::AssertionResult sameBytes(const HostTensor& got, const HostTensor& want) {
    if (got.type != want.type)
        return ::testing::AssertionFailure()
               << "type " << dataTypeName(got.type) << " vs expected " << dataTypeName(want.type);
    if (got.shape != want.shape)
        return ::testing::AssertionFailure()
               << "shape " << toString(got.shape) << " vs expected " << toString(want.shape);
    const size_t e = static_cast<size_t>(dataTypeSize(got.type));
    for (int64_t i = 0; i < got.numel(); ++i) {
        if (std::memcmp(got.bytes.data() + static_cast<size_t>(i) * e,
                        want.bytes.data() + static_cast<size_t>(i) * e, e) != 0) {
            std::vector<int64_t> c(static_cast<size_t>(got.shape.nbDims), 0);
            for (int64_t k = 0; k < i; ++k) nextCoords(c, got.shape);
            return ::testing::AssertionFailure()
                   << "element " << i << " " << coordsString(c) << " of " << dataTypeName(got.type)
                   << toString(got.shape) << " is " << got.at(i) << ", expected " << want.at(i);
        }
    }
    return ::testing::AssertionSuccess();
}

/// Values equal to `want` within `tol` (absolute); the shape must be `shape`.
inline ::testing::AssertionResult nearValues(const HostTensor& got, const Dims& shape,
                                             const std::vector<double>& want, double tol) {
    if (got.shape != shape)
        return ::testing::AssertionFailure()
               << "shape " << toString(got.shape) << " vs expected " << toString(shape);
    if (static_cast<int64_t>(want.size()) != got.numel())
        return ::testing::AssertionFailure()
               << want.size() << " expected values for " << got.numel() << " elements";
    for (int64_t i = 0; i < got.numel(); ++i) {
        const double g = got.at(i), w = want[static_cast<size_t>(i)];
        if (!(std::fabs(g - w) <= tol))
            return ::testing::AssertionFailure()
                   << "element " << i << " is " << g << ", expected " << w << " (tol " << tol << ")";
    }
    return ::testing::AssertionSuccess();
}

/// Runs the op and expects failure whose message contains every fragment.
inline ::testing::AssertionResult failsWith(const ir::Attrs& attrs, const std::vector<HostTensor>& inputs,
                                            const std::vector<std::string>& fragments) {
    auto r = runSingleOp(attrs, inputs);
    if (r.isOk()) return ::testing::AssertionFailure() << "succeeded, expected an error";
    for (const auto& f : fragments)
        if (r.status().message().find(f) == std::string::npos)
            return ::testing::AssertionFailure()
                   << "message \"" << r.status().message() << "\" lacks \"" << f << "\"";
    return ::testing::AssertionSuccess();
}

inline HostTensor int64Vector(const std::vector<int64_t>& v) {
    return HostTensor::fromVector(DataType::kINT64, makeDims({static_cast<int64_t>(v.size())}), v);
}

}  // namespace kiln::testing
