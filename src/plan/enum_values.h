// Which values each enum held by an Attrs struct declares, and the enum's name, so the plan reader can
// reject an enum attribute holding an undeclared value (and the writer can refuse to write one). Every
// function is a `switch` without `default`: a new enumerator fails to compile (-Wswitch) until it is
// listed here, and a new enum type used in attrs.h fails to compile in attr_codec.cc until it gets an
// overload here.
#pragma once

#include "ir/attrs.h"
#include "kiln/layer_types.h"
#include "kiln/types.h"

namespace kiln::plan {

bool isDeclared(DataType v);
const char* enumTypeName(DataType);
bool isDeclared(ActivationType v);
const char* enumTypeName(ActivationType);
bool isDeclared(PoolingType v);
const char* enumTypeName(PoolingType);
bool isDeclared(PaddingMode v);
const char* enumTypeName(PaddingMode);
bool isDeclared(ElementWiseOperation v);
const char* enumTypeName(ElementWiseOperation);
bool isDeclared(UnaryOperation v);
const char* enumTypeName(UnaryOperation);
bool isDeclared(MatrixOperation v);
const char* enumTypeName(MatrixOperation);
bool isDeclared(ReduceOperation v);
const char* enumTypeName(ReduceOperation);
bool isDeclared(TopKOperation v);
const char* enumTypeName(TopKOperation);
bool isDeclared(ScaleMode v);
const char* enumTypeName(ScaleMode);
bool isDeclared(SampleMode v);
const char* enumTypeName(SampleMode);
bool isDeclared(GatherMode v);
const char* enumTypeName(GatherMode);
bool isDeclared(InterpolationMode v);
const char* enumTypeName(InterpolationMode);
bool isDeclared(ResizeCoordinateTransformation v);
const char* enumTypeName(ResizeCoordinateTransformation);
bool isDeclared(ResizeSelector v);
const char* enumTypeName(ResizeSelector);
bool isDeclared(ResizeRoundMode v);
const char* enumTypeName(ResizeRoundMode);
bool isDeclared(PaddingFillMode v);
const char* enumTypeName(PaddingFillMode);
bool isDeclared(FillOperation v);
const char* enumTypeName(FillOperation);
bool isDeclared(CumulativeOperation v);
const char* enumTypeName(CumulativeOperation);
bool isDeclared(ScatterMode v);
const char* enumTypeName(ScatterMode);
bool isDeclared(ScatterReduction v);
const char* enumTypeName(ScatterReduction);
bool isDeclared(CastRoundMode v);
const char* enumTypeName(CastRoundMode);
bool isDeclared(ir::AttentionLayout v);
const char* enumTypeName(ir::AttentionLayout);

}  // namespace kiln::plan
