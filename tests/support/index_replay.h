// Helpers of the CPU tests that replay CUDA index arithmetic on the host: a tensor holding its own flat
// indices (so a kernel's output shows which input element each position read), element access, and a
// reference run that reports its failure as a test failure.
#pragma once

#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "support/single_op.h"

namespace kiln::testing {

/// An int64 tensor of `s` whose element i is i.
inline HostTensor iota(const Dims& s) {
    HostTensor h(DataType::kINT64, s);
    auto* v = reinterpret_cast<int64_t*>(h.bytes.data());
    std::iota(v, v + h.numel(), int64_t{0});
    return h;
}

inline int64_t valueAt(const HostTensor& h, int64_t i) {
    return reinterpret_cast<const int64_t*>(h.bytes.data())[i];
}

/// The reference kernel's first output for `attrs` on `inputs` (an empty tensor, with a test failure, when
/// it fails).
inline HostTensor runRef(const ir::Attrs& attrs, const std::vector<HostTensor>& inputs) {
    auto r = runSingleOp(attrs, inputs);
    EXPECT_TRUE(r.isOk()) << r.status().message();
    return r.isOk() ? (*r)[0] : HostTensor();
}

}  // namespace kiln::testing
