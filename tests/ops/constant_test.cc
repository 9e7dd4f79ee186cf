// Constant: the output equals the stored bytes; a size mismatch is reported at inference.
#include <gtest/gtest.h>

#include "support/single_op.h"

namespace kiln {
namespace {

TEST(ConstantOp, CopiesDataAndChecksSize) {
    ir::ConstantAttrs a;
    std::vector<float> vals{1.5f, -2.0f, 3.25f};
    std::vector<uint8_t> bytes(12);
    std::memcpy(bytes.data(), vals.data(), 12);
    a.data = std::make_shared<const std::vector<uint8_t>>(bytes);
    // The harness presets output type from outputTypes; the shape of a constant is declared, so run
    // inference by hand with the declared shape.
    std::vector<ir::TensorDesc> in, out(1);
    out[0].type = DataType::kFLOAT;
    out[0].shape = makeDims({3});
    ir::InferContext ctx{in, out};
    ASSERT_TRUE(ir::inferNode(a, ctx).isOk());
    out[0].shape = makeDims({4});
    Status st = ir::inferNode(a, ctx);
    EXPECT_FALSE(st.isOk());
    EXPECT_NE(st.message().find("needs 16 bytes"), std::string::npos) << st.message();

    HostTensor result(DataType::kFLOAT, makeDims({3}));
    std::vector<TensorRef> outs{result.ref()};
    ThreadPool pool(1);
    reference::KernelContext k{{}, outs, &pool};
    ASSERT_TRUE(reference::runNode(a, k).isOk());
    EXPECT_EQ(result.at(0), 1.5);
    EXPECT_EQ(result.at(1), -2.0);
    EXPECT_EQ(result.at(2), 3.25);
}

}  // namespace
}  // namespace kiln
