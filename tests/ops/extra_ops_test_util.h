// Helpers for the Fill / Cumulative / Trilu / Scatter / Quantize / Dequantize tests: building tensors from
// value lists, checking a result against expected values with a per-test tolerance (printing the first
// mismatch with its flat index), checking that a run fails with a message containing given words, and
// running inference alone (for build-time shapes with unknown values).
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "support/single_op.h"

namespace kiln::testing {

inline HostTensor tensorOf(DataType t, Dims s, const std::vector<double>& v) {
    return HostTensor::fromVector(t, s, v);
}
inline HostTensor intsOf(DataType t, Dims s, const std::vector<int64_t>& v) {
    return HostTensor::fromVector(t, s, v);
}
/// A rank-0 tensor holding one value.
inline HostTensor scalarOf(DataType t, double v) {
    return HostTensor::fromVector(t, Dims{}, std::vector<double>{v});
}
inline HostTensor scalarInt(DataType t, int64_t v) {
    return HostTensor::fromVector(t, Dims{}, std::vector<int64_t>{v});
}

/// Type, shape, then every value within |got - want| <= atol + rtol * |want| (NaN matches NaN).
inline ::testing::AssertionResult valuesNear(const HostTensor& got, DataType type, Dims shape,
                                             const std::vector<double>& want, double atol,
                                             double rtol = 0.0) {
    if (got.type != type)
        return ::testing::AssertionFailure()
               << "type " << dataTypeName(got.type) << ", expected " << dataTypeName(type);
    if (got.shape != shape)
        return ::testing::AssertionFailure()
               << "shape " << toString(got.shape) << ", expected " << toString(shape);
    if (static_cast<size_t>(got.numel()) != want.size())
        return ::testing::AssertionFailure() << got.numel() << " elements, expected " << want.size();
    for (size_t i = 0; i < want.size(); ++i) {
        const double g = got.at(static_cast<int64_t>(i)), w = want[i];
        if (std::isnan(w) && std::isnan(g)) continue;
        if (!(std::fabs(g - w) <= atol + rtol * std::fabs(w)))
            return ::testing::AssertionFailure() << "element " << i << " is " << g << ", expected " << w
                                                 << " (atol " << atol << ", rtol " << rtol << ")";
    }
    return ::testing::AssertionSuccess();
}

/// Exact int64 comparison (for integer outputs, where double would hide errors beyond 2^53).
inline ::testing::AssertionResult intsEqual(const HostTensor& got, DataType type, Dims shape,
                                            const std::vector<int64_t>& want) {
    if (got.type != type)
        return ::testing::AssertionFailure()
               << "type " << dataTypeName(got.type) << ", expected " << dataTypeName(type);
    if (got.shape != shape)
        return ::testing::AssertionFailure()
               << "shape " << toString(got.shape) << ", expected " << toString(shape);
    if (static_cast<size_t>(got.numel()) != want.size())
        return ::testing::AssertionFailure() << got.numel() << " elements, expected " << want.size();
    for (size_t i = 0; i < want.size(); ++i)
        if (got.atInt(static_cast<int64_t>(i)) != want[i])
            return ::testing::AssertionFailure()
                   << "element " << i << " is " << got.atInt(static_cast<int64_t>(i)) << ", expected "
                   << want[i];
    return ::testing::AssertionSuccess();
}

/// The run failed and its message contains every one of `words`.
inline ::testing::AssertionResult failsWithAll(const StatusOr<std::vector<HostTensor>>& r,
                                               const std::vector<std::string>& words) {
    if (r.isOk()) return ::testing::AssertionFailure() << "succeeded, expected an error";
    for (const auto& w : words)
        if (r.status().message().find(w) == std::string::npos)
            return ::testing::AssertionFailure()
                   << "message \"" << r.status().message() << "\" lacks \"" << w << "\"";
    return ::testing::AssertionSuccess();
}

/// Inference alone, on descriptors (values may be null: unknown at build time).
inline StatusOr<ir::TensorDesc> inferOnly(const ir::Attrs& attrs, const std::vector<ir::TensorDesc>& inputs,
                                          DataType preset = DataType::kFLOAT) {
    std::vector<ir::TensorDesc> out(1);
    out[0].type = preset;
    ir::InferContext ctx{inputs, out};
    KILN_RETURN_IF_ERROR(ir::inferNode(attrs, ctx));
    return out[0];
}

inline ir::TensorDesc descOf(DataType t, Dims s, const void* values = nullptr) {
    ir::TensorDesc d;
    d.type = t;
    d.shape = s;
    d.values = values;
    return d;
}

inline ir::TensorDesc absentDesc() {
    ir::TensorDesc d;
    d.shape.nbDims = -1;
    return d;
}

/// Relative rounding error of one store into a float type (half an ulp, as a fraction of the value).
inline double halfUlp(DataType t) {
    switch (t) {
        case DataType::kFLOAT:
            return 0x1p-24;
        case DataType::kHALF:
            return 0x1p-11;
        case DataType::kBF16:
            return 0x1p-8;
        case DataType::kFP8:
            return 0x1p-4;
        case DataType::kINT8:
        case DataType::kUINT8:
        case DataType::kINT32:
        case DataType::kINT64:
        case DataType::kBOOL:
            return 0.0;
        case DataType::kINT4:
        case DataType::kUINT4:
        case DataType::kINT2:
        case DataType::kUINT2:
        case DataType::kFP4:
        case DataType::kE8M0:
        case DataType::kFP8_E5M2:
        case DataType::kFP8_E4M3FNUZ:
        case DataType::kFP8_E5M2FNUZ:
            break;  // storage-only types: these tests do no arithmetic in them
    }
    return 0.0;
}

}  // namespace kiln::testing
