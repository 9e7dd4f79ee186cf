// CPU tests of what the CUDA backend decides on the host before any launch, so they run in CI on machines
// without a GPU: the dispatch (an op whose GPU kernel is not written yet answers kUNSUPPORTED_STATE naming
// itself), the operand checks of a mis-wired call, and the data-independent errors of Slice and Padding,
// whose messages must be the reference kernel's.
#include <gtest/gtest.h>

#if KILN_HAS_CUDA

#include <string>
#include <vector>

#include "backends/cuda/kernel_context.h"
#include "backends/reference/kernels.h"
#include "common/host_tensor.h"

namespace kiln {
namespace {

TEST(CudaHostChecks, PendingOpsAnswerUnsupportedWithTheirName) {
    // The ops still in backends/cuda/kernels/pending.cc (Constant and Shape are resolved on the host).
    const ir::Attrs pending[] = {ir::ConstantAttrs{}, ir::ShapeAttrs{}, ir::QuantizeAttrs{}, ir::DequantizeAttrs{}};
    for (const ir::Attrs& attrs : pending) {
        const std::string name(ir::opName(ir::opKindOf(attrs)));
        const Status st = cuda::runNode(attrs, cuda::KernelContext{});
        EXPECT_EQ(st.code(), ErrorCode::kUNSUPPORTED_STATE) << name << ": " << st.message();
        EXPECT_EQ(st.message(), "the CUDA backend has no kernel for " + name + " yet");
    }
}

// A kernel's host-side checks also run before anything touches the device: a mis-wired call is an error
// naming what was found, not a launch.
TEST(CudaHostChecks, KernelsCheckTheirOperandsBeforeLaunching) {
    TensorRef in[2] = {{DataType::kFLOAT, makeDims({3}), nullptr}, {DataType::kHALF, makeDims({3}), nullptr}};
    TensorRef out[1] = {{DataType::kFLOAT, makeDims({3}), nullptr}};
    const Status st = cuda::runNode(ir::ElementWiseAttrs{}, cuda::KernelContext{in, out});
    EXPECT_EQ(st.code(), ErrorCode::kINTERNAL_ERROR) << st.message();
    EXPECT_EQ(st.message(), "ElementWise kernel: input types differ: float32 and float16");
    ir::CastAttrs cast;
    cast.toType = DataType::kINT8;
    const Status castSt = cuda::runNode(cast, cuda::KernelContext{std::span(in, 1), out});
    EXPECT_EQ(castSt.message(), "Cast kernel: output type float32 is not the target type int8");
}

/// The reference kernel's Status for `attrs` on zero-filled inputs of these shapes (float32).
Status referenceStatus(const ir::Attrs& attrs, const Dims& in, const Dims& out) {
    HostTensor x(DataType::kFLOAT, in), y(DataType::kFLOAT, out);
    TensorRef ins[1] = {x.ref()}, outs[1] = {y.ref()};
    return reference::runNode(attrs, reference::KernelContext{ins, outs, nullptr});
}

/// The CUDA kernel's Status for the same call; the buffers are never touched on these paths, so null
/// device pointers do.
Status cudaStatus(const ir::Attrs& attrs, const Dims& in, const Dims& out) {
    TensorRef ins[1] = {{DataType::kFLOAT, in, nullptr}}, outs[1] = {{DataType::kFLOAT, out, nullptr}};
    return cuda::runNode(attrs, cuda::KernelContext{ins, outs});
}

TEST(CudaHostChecks, SliceRejectsWhatItCannotSampleLikeTheReference) {
    struct Bad {
        Dims in, start, size, stride;
        SampleMode mode;
    };
    // Inference rejects these when it knows the values; the kernels meet them when they come at run time.
    const Bad cases[] = {
        {makeDims({7, 11}), makeDims({1, 2}), makeDims({3, 6}), makeDims({2, 2}), SampleMode::kSTRICT_BOUNDS},
        {makeDims({7, 11}), makeDims({6, 3}), makeDims({5, 2}), makeDims({-2, 1}),
         SampleMode::kSTRICT_BOUNDS},
        {makeDims({7, 11}), makeDims({-1, 0}), makeDims({2, 2}), makeDims({1, 1}),
         SampleMode::kSTRICT_BOUNDS},
        {makeDims({7, 11}), makeDims({3, 20}), makeDims({4, 3}), makeDims({1, 0}),
         SampleMode::kSTRICT_BOUNDS},
        {makeDims({3, 0}), makeDims({0, 0}), makeDims({3, 2}), makeDims({1, 1}), SampleMode::kCLAMP},
        {makeDims({3, 0}), makeDims({0, 5}), makeDims({3, 2}), makeDims({1, -1}), SampleMode::kREFLECT},
    };
    const char* expected[] = {"Slice: index 12 (output position 5) is outside [0, 11) in dimension 1",
                              "Slice: index -2 (output position 4) is outside [0, 7) in dimension 0",
                              "Slice: index -1 (output position 0) is outside [0, 7) in dimension 0",
                              "Slice: index 20 (output position 0) is outside [0, 11) in dimension 1",
                              "Slice: index 0 (output position 0) is outside [0, 0) in dimension 1",
                              "Slice: index 5 (output position 0) is outside [0, 0) in dimension 1"};
    for (size_t k = 0; k < std::size(cases); ++k) {
        const Bad& b = cases[k];
        ir::SliceAttrs a;
        a.start = b.start;
        a.size = b.size;
        a.stride = b.stride;
        a.mode = b.mode;
        const std::string what = "Slice float32" + toString(b.in) + " start " + toString(b.start) + " size " +
                                 toString(b.size) + " stride " + toString(b.stride);
        const Status ref = referenceStatus(a, b.in, b.size);
        const Status dev = cudaStatus(a, b.in, b.size);
        ASSERT_FALSE(ref.isOk()) << what;
        EXPECT_EQ(dev.code(), ErrorCode::kINVALID_ARGUMENT) << what << ": " << dev.message();
        EXPECT_EQ(dev.message(), ref.message()) << what;
        EXPECT_EQ(dev.message().rfind(expected[k], 0), 0u) << what << ": " << dev.message();
    }
}

TEST(CudaHostChecks, PaddingAnEmptyDimensionNeedsConstantMode) {
    ir::PaddingAttrs a;
    a.prePadding = makeDims({1});
    a.postPadding = makeDims({1});
    for (PaddingFillMode m : {PaddingFillMode::kREFLECT, PaddingFillMode::kEDGE, PaddingFillMode::kWRAP}) {
        a.mode = m;
        const Status ref = referenceStatus(a, makeDims({3, 0}), makeDims({3, 2}));
        const Status dev = cudaStatus(a, makeDims({3, 0}), makeDims({3, 2}));
        EXPECT_EQ(dev.code(), ErrorCode::kINVALID_ARGUMENT) << dev.message();
        EXPECT_EQ(dev.message(), ref.message());
        EXPECT_EQ(dev.message(),
                  "Padding: dimension 1 of input [3,0] is empty; only constant padding can fill it");
    }
}

}  // namespace
}  // namespace kiln

#else

TEST(CudaHostChecks, NeedsCuda) {
    GTEST_SKIP() << "Kiln was built without CUDA";
}

#endif  // KILN_HAS_CUDA
