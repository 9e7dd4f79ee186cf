// viewElementOffset (src/runtime/view_analysis.h) on hand-built descriptors: which Shuffle, Identity,
// Cast, Gather and Slice nodes re-read one contiguous block of their input, and at which element offset
// (hand-computed here from the row-major layout), including every case that must stay a copy.
#include "runtime/view_analysis.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace kiln::runtime {
namespace {

ir::TensorDesc desc(Dims shape, DataType type = DataType::kFLOAT, const void* values = nullptr) {
    return {type, shape, values};
}

Dims dims1(int64_t n) {
    Dims d;
    d.nbDims = 1;
    d.d[0] = n;
    return d;
}

ir::TensorDesc absent() {
    ir::TensorDesc d;
    d.shape.nbDims = -1;
    return d;
}

std::optional<int64_t> offsetOf(const ir::Attrs& attrs, const std::vector<ir::TensorDesc>& in,
                                const ir::TensorDesc& out) {
    return viewElementOffset(attrs, in, out);
}

TEST(ViewAnalysis, ShuffleIsAViewUnlessATransposeReordersDimsLargerThanOne) {
    ir::ShuffleAttrs reshape;
    reshape.hasReshape = true;
    EXPECT_EQ(offsetOf(reshape, {desc(Dims3(2, 3, 4))}, desc(Dims2(6, 4))), 0);

    ir::ShuffleAttrs transpose;  // [2,3,4] -> [4,3,2] moves data
    transpose.firstTranspose = Permutation{{2, 1, 0}};
    EXPECT_EQ(offsetOf(transpose, {desc(Dims3(2, 3, 4))}, desc(Dims3(4, 3, 2))), std::nullopt);
    // [1,3,4] -> [3,1,4]: only the unit dim moves, the order of 3 and 4 is kept.
    ir::ShuffleAttrs unitMove;
    unitMove.firstTranspose = Permutation{{1, 0, 2}};
    EXPECT_EQ(offsetOf(unitMove, {desc(Dims3(1, 3, 4))}, desc(Dims3(3, 1, 4))), 0);
    // Second transpose after a reshape to [3,1,4]: (2,1,0) gives [4,1,3], which reorders 3 and 4.
    ir::ShuffleAttrs second;
    second.hasReshape = true;
    second.secondTranspose = Permutation{{2, 1, 0}};
    EXPECT_EQ(offsetOf(second, {desc(Dims2(3, 4))}, desc(Dims3(4, 1, 3))), std::nullopt);
    second.secondTranspose = Permutation{{1, 0, 2}};  // [3,1,4] -> [1,3,4]
    EXPECT_EQ(offsetOf(second, {desc(Dims2(3, 4))}, desc(Dims3(1, 3, 4))), 0);
    // Not a permutation of the rank: left to the kernel, which reports it.
    ir::ShuffleAttrs bad;
    bad.firstTranspose = Permutation{{0, 0, 1}};
    EXPECT_EQ(offsetOf(bad, {desc(Dims3(1, 3, 4))}, desc(Dims3(1, 3, 4))), std::nullopt);
    // Types differ: a conversion, never a view.
    EXPECT_EQ(offsetOf(reshape, {desc(Dims2(6, 4), DataType::kHALF)}, desc(Dims2(6, 4))), std::nullopt);
}

TEST(ViewAnalysis, IdentityAndCastAreViewsOnlyWithoutAConversion) {
    EXPECT_EQ(offsetOf(ir::IdentityAttrs{}, {desc(Dims2(5, 3))}, desc(Dims2(5, 3))), 0);
    EXPECT_EQ(offsetOf(ir::IdentityAttrs{}, {desc(Dims2(5, 3))}, desc(Dims2(5, 3), DataType::kHALF)),
              std::nullopt);
    ir::CastAttrs cast;
    cast.toType = DataType::kINT32;
    EXPECT_EQ(offsetOf(cast, {desc(Dims2(5, 3), DataType::kINT32)}, desc(Dims2(5, 3), DataType::kINT32)), 0);
    EXPECT_EQ(offsetOf(cast, {desc(Dims2(5, 3))}, desc(Dims2(5, 3), DataType::kINT32)), std::nullopt);
}

TEST(ViewAnalysis, GatherOfOneKnownIndexBelowUnitOuterDims) {
    const int64_t one = 1;
    const int32_t minusOne = -1, three = 3;
    const ir::TensorDesc i1 = desc(Dims{}, DataType::kINT64, &one);
    ir::GatherAttrs axis0;
    // [3,5,7] row 1 starts at 35.
    EXPECT_EQ(offsetOf(axis0, {desc(Dims3(3, 5, 7)), i1}, desc(Dims2(5, 7))), 35);
    // -1 is the last row: 70.
    EXPECT_EQ(
        offsetOf(axis0, {desc(Dims3(3, 5, 7)), desc(Dims{}, DataType::kINT32, &minusOne)}, desc(Dims2(5, 7))),
        70);
    // Out of range: the kernel reports it.
    EXPECT_EQ(
        offsetOf(axis0, {desc(Dims3(3, 5, 7)), desc(Dims{}, DataType::kINT32, &three)}, desc(Dims2(5, 7))),
        std::nullopt);
    // Values unknown on the host (computed on the device).
    EXPECT_EQ(offsetOf(axis0, {desc(Dims3(3, 5, 7)), desc(Dims{}, DataType::kINT64)}, desc(Dims2(5, 7))),
              std::nullopt);
    // Two indices: two slabs, copied.
    const int64_t two[] = {0, 1};
    EXPECT_EQ(
        offsetOf(axis0, {desc(Dims3(3, 5, 7)), desc(dims1(2), DataType::kINT64, two)}, desc(Dims3(2, 5, 7))),
        std::nullopt);
    ir::GatherAttrs axis2;
    axis2.axis = -1;  // axis 2 of [1,1,7]: every outer dim is 1, element 1
    EXPECT_EQ(offsetOf(axis2, {desc(Dims3(1, 1, 7)), i1}, desc(Dims2(1, 1))), 1);
    ir::GatherAttrs axis1;
    axis1.axis = 1;  // [2,5,7] along axis 1: two runs of 7, copied; [1,5,7]: one run at 7
    EXPECT_EQ(offsetOf(axis1, {desc(Dims3(2, 5, 7)), i1}, desc(Dims2(2, 7))), std::nullopt);
    EXPECT_EQ(offsetOf(axis1, {desc(Dims3(1, 5, 7)), i1}, desc(Dims2(1, 7))), 7);
    ir::GatherAttrs element;
    element.mode = GatherMode::kELEMENT;
    EXPECT_EQ(offsetOf(element, {desc(dims1(3)), desc(dims1(1), DataType::kINT64, &one)}, desc(dims1(1))),
              std::nullopt);
}

TEST(ViewAnalysis, SliceIsAViewWhenTheSelectionIsOneRun) {
    auto slice = [](Dims start, Dims stride) {
        ir::SliceAttrs a;
        a.start = start;
        a.stride = stride;
        return a;
    };
    const ir::TensorDesc x = desc(Dims3(4, 6, 5));
    // Rows 1..2 whole: offset 30.
    EXPECT_EQ(offsetOf(slice(Dims3(1, 0, 0), Dims3(1, 1, 1)), {x}, desc(Dims3(2, 6, 5))), 30);
    // One outer row, a run of middle rows: 3*30 + 2*5 = 100.
    EXPECT_EQ(offsetOf(slice(Dims3(3, 2, 0), Dims3(1, 1, 1)), {x}, desc(Dims3(1, 3, 5))), 100);
    // One element anywhere: stride does not matter for extents of 1.
    EXPECT_EQ(offsetOf(slice(Dims3(2, 4, 3), Dims3(5, 5, 5)), {x}, desc(Dims3(1, 1, 1))), 60 + 20 + 3);
    // Several outer rows of a restricted inner dim: runs apart.
    EXPECT_EQ(offsetOf(slice(Dims3(0, 1, 0), Dims3(1, 1, 1)), {x}, desc(Dims3(4, 2, 5))), std::nullopt);
    // The last dim restricted under a whole middle dim: runs apart.
    EXPECT_EQ(offsetOf(slice(Dims3(0, 0, 1), Dims3(1, 1, 1)), {x}, desc(Dims3(1, 6, 3))), std::nullopt);
    // Stride 2 over more than one element.
    EXPECT_EQ(offsetOf(slice(Dims3(1, 0, 0), Dims3(1, 2, 1)), {x}, desc(Dims3(1, 3, 5))), std::nullopt);
    // Out of bounds in kWRAP mode reads wrapped elements: not the block at that offset.
    ir::SliceAttrs wrap = slice(Dims3(3, 0, 0), Dims3(1, 1, 1));
    wrap.mode = SampleMode::kWRAP;
    EXPECT_EQ(offsetOf(wrap, {x}, desc(Dims3(2, 6, 5))), std::nullopt);
    wrap.start = Dims3(2, 0, 0);  // in bounds: every mode reads the same elements
    EXPECT_EQ(offsetOf(wrap, {x}, desc(Dims3(2, 6, 5))), 60);
    // Start from input 1: used when its values are known, never guessed when they are not.
    const int32_t start[] = {2, 0, 0};
    ir::SliceAttrs fromInput;
    EXPECT_EQ(offsetOf(fromInput, {x, desc(dims1(3), DataType::kINT32, start)}, desc(Dims3(1, 6, 5))), 60);
    EXPECT_EQ(offsetOf(fromInput, {x, desc(dims1(3), DataType::kINT32)}, desc(Dims3(1, 6, 5))), std::nullopt);
    // An absent start input falls back to the attribute.
    EXPECT_EQ(offsetOf(slice(Dims3(1, 0, 0), Dims3(1, 1, 1)), {x, absent()}, desc(Dims3(1, 6, 5))), 30);
}

TEST(ViewAnalysis, OtherOpsAreNeverViews) {
    EXPECT_EQ(offsetOf(ir::ActivationAttrs{}, {desc(Dims2(2, 2))}, desc(Dims2(2, 2))), std::nullopt);
    EXPECT_EQ(offsetOf(ir::ConcatenationAttrs{}, {desc(Dims2(2, 2))}, desc(Dims2(2, 2))), std::nullopt);
}

}  // namespace
}  // namespace kiln::runtime
