// Reduced precision (BuilderFlag::kFP16 / kBF16): the network's float32 computation is lowered to
// float16 or bfloat16. Float32 constants are converted (rounded to nearest even), float32 casts and fills
// produce the reduced type, and the network's float32 inputs and outputs keep their type through a Cast
// at each boundary, as in TensorRT, where I/O types are the network's and precision is the builder's
// choice. Tensors whose values decide shapes (ir::isShapeInputSlot, e.g. Resize scales) and quantization
// scales stay float32. Kernels accumulate in float32 whatever their storage type, so reductions,
// normalizations and softmax keep their range.
#pragma once

#include "common/status.h"
#include "ir/graph.h"

namespace kiln::builder {

/// Lowers float32 compute in `g` to `type` (kHALF or kBF16). `g` must be topologically sorted and
/// inferred; it is re-inferred before returning.
Status reducePrecision(ir::Graph& g, DataType type);

}  // namespace kiln::builder
