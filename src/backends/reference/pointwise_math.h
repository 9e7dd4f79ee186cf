// The per-element float formulas of the reference pointwise kernels, one definition each: Unary, Activation
// and ElementWise (pointwise_unary.cc, pointwise_activation.cc, pointwise_elementwise.cc) map them over
// tensors, and the Pointwise program interpreter (pointwise_fused.cc) applies them register by register,
// so a fused chain computes what its unfused ops do. All compute in double; bool results are 1.0 / 0.0.
#pragma once

#include "kiln/layer_types.h"

namespace kiln::reference {

/// The float form of every UnaryOperation (NOT: x == 0; ISINF / ISNAN: 1 or 0).
double unaryValue(UnaryOperation op, double x);

/// Every ActivationType, with its alpha and beta.
double activationValue(ActivationType type, double alpha, double beta, double x);

/// The float form of every ElementWiseOperation (comparisons give 1 or 0; AND, OR and XOR read non-zero as
/// true).
double elementWiseValue(ElementWiseOperation op, double a, double b);

}  // namespace kiln::reference
