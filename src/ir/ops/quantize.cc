// Shape/type inference for the quantize family: Quantize, Dequantize.
#include "ir/infer.h"

namespace kiln::ir {

Status inferQuantize(const QuantizeAttrs&, InferContext&) { return unsupported("Quantize: inference not implemented yet"); }
Status inferDequantize(const DequantizeAttrs&, InferContext&) { return unsupported("Dequantize: inference not implemented yet"); }

}  // namespace kiln::ir
