// Helpers for the conv-family op tests (conv_test.cc, conv_deconv_test.cc, conv_pooling_test.cc):
// N-d index arithmetic over std::vector shapes (the tests' naive references loop over arbitrary rank
// this way, unlike the kernels, which normalize to three spatial dims), tolerances per dtype, and an
// element-wise comparison that reports the parameter set with the first mismatches.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "support/single_op.h"

namespace kiln::convtest {

using Shape = std::vector<int64_t>;

inline Dims dimsOf(const Shape& v) {
    return makeDims(std::span<const int64_t>(v));
}

inline std::string str(const Shape& v) {
    std::ostringstream os;
    os << '[';
    for (size_t i = 0; i < v.size(); ++i) os << (i ? "," : "") << v[i];
    os << ']';
    return os.str();
}

inline int64_t product(const Shape& v) {
    int64_t p = 1;
    for (int64_t e : v) p *= e;
    return p;
}

/// Row-major coordinates of flat index `flat` in `shape`.
inline Shape unravel(int64_t flat, const Shape& shape) {
    Shape idx(shape.size());
    for (size_t i = shape.size(); i-- > 0;) {
        idx[i] = flat % shape[i];
        flat /= shape[i];
    }
    return idx;
}

/// Flat row-major index of `idx` in `shape`.
inline int64_t ravel(const Shape& idx, const Shape& shape) {
    int64_t flat = 0;
    for (size_t i = 0; i < shape.size(); ++i) flat = flat * shape[i] + idx[i];
    return flat;
}

/// `v` when it has n entries, else n copies of `fill` (an empty attribute means the default).
inline Shape orDefault(const Shape& v, size_t n, int64_t fill) {
    return v.empty() ? Shape(n, fill) : v;
}

struct Tolerance {
    double atol;
    double rtol;
};

/// How far a kernel result may be from the double-precision reference, by output dtype. The kernels
/// accumulate in float32 (error about n * 2^-24 for n products of magnitude <= 1, far below 1e-4 for
/// the few hundred products here) and round once to the output type: half an ulp relative, 2^-11 for
/// float16, 2^-8 for bfloat16, 2^-4 for FP8 E4M3, plus the subnormal spacing near zero for FP8 (2^-9).
inline Tolerance toleranceFor(DataType t) {
    switch (t) {
        case DataType::kFLOAT:
            return {1e-4, 1e-5};
        case DataType::kHALF:
            return {1e-4, 1.0 / 2048 + 1e-5};
        case DataType::kBF16:
            return {1e-4, 1.0 / 256 + 1e-5};
        case DataType::kFP8:
            return {1.0 / 512, 1.0 / 16 + 1e-3};
        case DataType::kINT8:
        case DataType::kUINT8:
        case DataType::kINT32:
        case DataType::kINT64:
        case DataType::kBOOL:
            return {0.0, 0.0};  // integer results are exact
        case DataType::kINT4:
        case DataType::kUINT4:
        case DataType::kINT2:
        case DataType::kUINT2:
        case DataType::kFP4:
        case DataType::kE8M0:
        case DataType::kFP8_E5M2:
        case DataType::kFP8_E4M3FNUZ:
        case DataType::kFP8_E5M2FNUZ:
            break;  // storage-only types: no convolution takes them
    }
    return {0.0, 0.0};
}

/// Expects got[i] within tol of ref[i] for every i, reporting `params` and up to 5 mismatches.
inline void expectClose(const HostTensor& got, const std::vector<double>& ref, Tolerance tol,
                        const std::string& params) {
    ASSERT_EQ(got.numel(), static_cast<int64_t>(ref.size())) << params;
    ASSERT_FALSE(ref.empty()) << "nothing to compare: " << params;
    int mismatches = 0;
    double worst = 0.0;
    for (size_t i = 0; i < ref.size(); ++i) {
        const double g = got.at(static_cast<int64_t>(i)), r = ref[i];
        const double err = std::fabs(g - r);
        const bool same = (std::isinf(r) && g == r) || err <= tol.atol + tol.rtol * std::fabs(r);
        if (same) continue;
        worst = std::max(worst, err);
        if (++mismatches <= 5)
            ADD_FAILURE() << params << ": element " << i << " got " << g << ", expected " << r << " (err "
                          << err << ", atol " << tol.atol << ", rtol " << tol.rtol << ")";
    }
    EXPECT_EQ(mismatches, 0) << params << ": " << mismatches << " of " << ref.size()
                             << " elements out of tolerance, worst error " << worst;
}

/// Expects `st` to fail as invalid argument with a message containing every fragment.
inline void expectInvalid(const Status& st, const std::vector<std::string>& fragments,
                          const std::string& what) {
    ASSERT_FALSE(st.isOk()) << what << ": expected an error";
    EXPECT_EQ(st.code(), ErrorCode::kINVALID_ARGUMENT) << what << ": " << st.message();
    for (const auto& f : fragments)
        EXPECT_NE(st.message().find(f), std::string::npos)
            << what << ": message lacks \"" << f << "\": " << st.message();
}

/// Runs inference only, on descriptors without values, and returns the output descriptor.
inline StatusOr<ir::TensorDesc> inferOnly(const ir::Attrs& attrs,
                                          const std::vector<std::pair<DataType, Shape>>& ins,
                                          bool withAbsentBias = false) {
    std::vector<ir::TensorDesc> in;
    for (const auto& [t, s] : ins) in.push_back(ir::TensorDesc{t, dimsOf(s), nullptr});
    if (withAbsentBias) {
        ir::TensorDesc absent;
        absent.shape.nbDims = -1;
        in.push_back(absent);
    }
    std::vector<ir::TensorDesc> out(1);
    out[0].type = ins.empty() ? DataType::kFLOAT : ins[0].first;
    ir::InferContext ctx{in, out};
    KILN_RETURN_IF_ERROR(ir::inferNode(attrs, ctx));
    return out[0];
}

inline std::string shapeOf(const HostTensor& t) {
    return toString(t.shape);
}

}  // namespace kiln::convtest
