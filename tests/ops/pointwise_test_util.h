// Test-side helpers for the pointwise op tests (tests/ops/pointwise*_test.cc): an independent rounding of a
// double to each float format (scaling + std::nearbyint, not the library's bit tricks), ulp sizes,
// right-aligned broadcast indexing done per element from coordinates, comparison with NaN/inf handling, and
// shorthands around the single-op harness.
#pragma once

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "support/single_op.h"

namespace kiln::pwtest {

/// Rounds x to nearest-even in a binary format with `p` significant bits, minimum normal exponent `emin` and
/// largest finite `maxFinite`; beyond it gives inf, or maxFinite when `satfinite` (Kiln's fp8).
inline double roundBinary(double x, int p, int emin, double maxFinite, bool satfinite) {
    if (std::isnan(x) || x == 0) return x;
    double a = std::fabs(x);
    double q;
    if (std::isinf(a)) {
        q = a;
    } else {
        int e = std::max(std::ilogb(a), emin);
        double quantum = std::ldexp(1.0, e - (p - 1));
        q = std::nearbyint(a / quantum) * quantum;  // the default rounding mode: to nearest even
    }
    if (q > maxFinite) q = satfinite ? maxFinite : INFINITY;
    return std::copysign(q, x);
}

inline bool isFloat(DataType t) {
    return t == DataType::kFLOAT || t == DataType::kHALF || t == DataType::kBF16 || t == DataType::kFP8;
}

/// x correctly rounded to the float type t (identity for non-float types).
inline double roundTo(DataType t, double x) {
    switch (t) {
        case DataType::kFLOAT:
            return roundBinary(x, 24, -126, FLT_MAX, false);
        case DataType::kHALF:
            return roundBinary(x, 11, -14, 65504.0, false);
        case DataType::kBF16:
            return roundBinary(x, 8, -126, std::ldexp(255.0, 120), false);
        case DataType::kFP8:
            return roundBinary(x, 4, -6, 448.0, true);
        default:
            return x;
    }
}

/// Spacing of type t's values at |x| (0 for integer and bool types).
inline double ulpOf(DataType t, double x) {
    int p = 0, emin = 0;
    switch (t) {
        case DataType::kFLOAT:
            p = 24, emin = -126;
            break;
        case DataType::kHALF:
            p = 11, emin = -14;
            break;
        case DataType::kBF16:
            p = 8, emin = -126;
            break;
        case DataType::kFP8:
            p = 4, emin = -6;
            break;
        default:
            return 0.0;
    }
    double a = std::fabs(x);
    int e = (a == 0 || !std::isfinite(a)) ? emin : std::max(std::ilogb(a), emin);
    return std::ldexp(1.0, e - (p - 1));
}

inline std::string str(const Dims& d) {
    return toString(d);
}

/// Row-major coordinates of flat index i in shape d.
inline std::vector<int64_t> coordsOf(int64_t i, const Dims& d) {
    std::vector<int64_t> c(static_cast<size_t>(d.nbDims));
    for (int k = d.nbDims - 1; k >= 0; --k) {
        c[static_cast<size_t>(k)] = i % d.d[k];
        i /= d.d[k];
    }
    return c;
}

/// Flat index into `in` of the element that output coordinate `out` reads under right-aligned broadcasting.
inline int64_t broadcastOffset(const std::vector<int64_t>& out, const Dims& in) {
    int64_t off = 0;
    const int shift = static_cast<int>(out.size()) - in.nbDims;
    for (int k = 0; k < in.nbDims; ++k) {
        int64_t c = in.d[k] == 1 ? 0 : out[static_cast<size_t>(k + shift)];
        off = off * in.d[k] + c;
    }
    return off;
}

/// got[i] vs want[i]: both NaN, equal (infinities included), or within tolUlps ulps of want plus absTol.
inline ::testing::AssertionResult allClose(const HostTensor& got, const std::vector<double>& want,
                                           double tolUlps, double absTol = 0.0) {
    if (got.numel() != static_cast<int64_t>(want.size()))
        return ::testing::AssertionFailure() << "got " << got.numel() << " elements, want " << want.size();
    int bad = 0;
    std::ostringstream os;
    for (int64_t i = 0; i < got.numel(); ++i) {
        const double g = got.at(i), w = want[static_cast<size_t>(i)];
        bool ok = (std::isnan(g) && std::isnan(w)) || g == w ||
                  (std::isfinite(w) && std::fabs(g - w) <= tolUlps * ulpOf(got.type, w) + absTol);
        if (!ok && bad++ < 5) os << "\n  [" << i << "] got " << g << " want " << w;
    }
    if (bad == 0) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << bad << " of " << got.numel() << " elements differ:" << os.str();
}

/// Exact comparison as int64 (integer and bool outputs).
inline ::testing::AssertionResult equalInts(const HostTensor& got, const std::vector<int64_t>& want) {
    if (got.numel() != static_cast<int64_t>(want.size()))
        return ::testing::AssertionFailure() << "got " << got.numel() << " elements, want " << want.size();
    int bad = 0;
    std::ostringstream os;
    for (int64_t i = 0; i < got.numel(); ++i) {
        if (got.atInt(i) != want[static_cast<size_t>(i)] && bad++ < 5)
            os << "\n  [" << i << "] got " << got.atInt(i) << " want " << want[static_cast<size_t>(i)];
    }
    if (bad == 0) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << bad << " of " << got.numel() << " elements differ:" << os.str();
}

/// A tensor of type t holding `values` (converted by the library's store, which tests elsewhere cover).
inline HostTensor tensor(DataType t, Dims shape, const std::vector<double>& values) {
    return HostTensor::fromVector(t, shape, values);
}
inline HostTensor intTensor(DataType t, Dims shape, const std::vector<int64_t>& values) {
    return HostTensor::fromVector(t, shape, values);
}

/// Runs one op and returns its single output; the Status when inference or the kernel fails.
inline StatusOr<HostTensor> run1(const ir::Attrs& attrs, const std::vector<HostTensor>& inputs,
                                 std::vector<DataType> outTypes = {}) {
    auto r = kiln::testing::runSingleOp(attrs, inputs, 1, std::move(outTypes));
    if (!r.isOk()) return r.status();
    return std::move(r.value()[0]);
}

/// Runs only inference and returns the output descriptor (shapes may hold -1).
inline StatusOr<ir::TensorDesc> inferOnly(const ir::Attrs& attrs, const std::vector<ir::TensorDesc>& inputs,
                                          DataType requested = DataType::kFLOAT) {
    std::vector<ir::TensorDesc> out(1);
    out[0].type = requested;
    ir::InferContext ctx{inputs, out};
    Status st = ir::inferNode(attrs, ctx);
    if (!st.isOk()) return st;
    return out[0];
}

inline ir::TensorDesc desc(DataType t, Dims shape) {
    ir::TensorDesc d;
    d.type = t;
    d.shape = shape;
    return d;
}

/// Expects `st` to fail with a message containing every one of `parts`.
inline ::testing::AssertionResult failsWith(const Status& st, std::initializer_list<const char*> parts) {
    if (st.isOk()) return ::testing::AssertionFailure() << "expected an error, got OK";
    for (const char* p : parts)
        if (st.message().find(p) == std::string::npos)
            return ::testing::AssertionFailure()
                   << "message \"" << st.message() << "\" lacks \"" << p << "\"";
    return ::testing::AssertionSuccess() << st.message();
}

}  // namespace kiln::pwtest
