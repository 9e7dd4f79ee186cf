"""A small graph builder over onnx.helper for make_models.py: unique names, seeded random weights, and the
layers real exporters emit (torch.onnx style: Conv + BatchNormalization, MatMul + Add for nn.Linear on 3-D
inputs, Gemm on 2-D, LayerNormalization, Shape -> Gather -> Concat -> Reshape for dynamic reshapes).
"""
from __future__ import annotations

import math

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17


class Graph:
    def __init__(self, name: str, seed: int):
        self.name = name
        self.rng = np.random.default_rng(seed)
        self.nodes = []
        self.initializers = []
        self.inputs = []
        self.outputs = []
        self._count = 0

    # ---- plumbing -------------------------------------------------------------------------------------
    def unique(self, base: str) -> str:
        self._count += 1
        return f"{base}_{self._count}"

    def const(self, value, name: str | None = None, dtype=None) -> str:
        arr = np.asarray(value, dtype=dtype)
        name = name or self.unique("const")
        self.initializers.append(numpy_helper.from_array(arr, name))
        return name

    def ints(self, values) -> str:
        return self.const(np.asarray(values, dtype=np.int64))

    def op(self, op_type: str, inputs, n_out: int = 1, **attrs):
        outs = [self.unique(op_type.lower()) for _ in range(n_out)]
        self.nodes.append(helper.make_node(op_type, list(inputs), outs, name=self.unique(op_type), **attrs))
        return outs[0] if n_out == 1 else outs

    def add_input(self, name: str, elem_type: int, shape) -> str:
        self.inputs.append(helper.make_tensor_value_info(name, elem_type, shape))
        return name

    def add_output(self, tensor: str, name: str, elem_type: int = TensorProto.FLOAT) -> str:
        self.nodes.append(helper.make_node("Identity", [tensor], [name], name=self.unique("Identity")))
        self.outputs.append(helper.make_tensor_value_info(name, elem_type, None))
        return name

    def model(self):
        graph = helper.make_graph(self.nodes, self.name, self.inputs, self.outputs, self.initializers)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                                  producer_name="kiln-make-models")
        model.ir_version = 8  # opset 17's IR version, what torch.onnx emits for it
        # Graph outputs get their inferred types and shapes (the checker wants them); the intermediate
        # value_info inference adds is dropped, so Kiln infers every other shape itself.
        inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
        del inferred.graph.value_info[:]
        return inferred

    # ---- weights --------------------------------------------------------------------------------------
    def normal(self, shape, std: float) -> str:
        return self.const((self.rng.standard_normal(shape) * std).astype(np.float32))

    def uniform(self, shape, lo: float, hi: float) -> str:
        return self.const(self.rng.uniform(lo, hi, shape).astype(np.float32))

    # ---- CNN layers -----------------------------------------------------------------------------------
    def conv(self, x, cin, cout, k, stride=1, pad=None, groups=1, dilation=1, bias=False):
        pad = (k // 2) * dilation if pad is None else pad
        fan_in = cin // groups * k * k
        w = self.normal((cout, cin // groups, k, k), math.sqrt(2.0 / fan_in))  # He init keeps scale
        inputs = [x, w] + ([self.normal((cout,), 0.05)] if bias else [])
        return self.op("Conv", inputs, kernel_shape=[k, k], strides=[stride, stride], pads=[pad] * 4,
                       group=groups, dilations=[dilation, dilation])

    def bn(self, x, c, gamma=(0.8, 1.2)):
        return self.op("BatchNormalization",
                       [x, self.uniform((c,), *gamma), self.normal((c,), 0.05), self.normal((c,), 0.05),
                        self.uniform((c,), 0.8, 1.2)], epsilon=1e-5, momentum=0.9)

    def conv_bn(self, x, cin, cout, k, stride=1, groups=1, dilation=1, act="relu", gamma=(0.8, 1.2)):
        y = self.bn(self.conv(x, cin, cout, k, stride, groups=groups, dilation=dilation), cout, gamma)
        if act == "relu":
            return self.op("Relu", [y])
        if act == "relu6":  # torch exports ReLU6 as Clip with min/max inputs (opset >= 11)
            return self.op("Clip", [y, self.const(np.float32(0)), self.const(np.float32(6))])
        return y

    # ---- transformer layers ---------------------------------------------------------------------------
    def linear(self, x, din, dout, std=0.02):
        """nn.Linear on a 3-D input as torch exports it: MatMul with the transposed weight, then Add."""
        y = self.op("MatMul", [x, self.normal((din, dout), std)])
        return self.op("Add", [y, self.normal((dout,), std)])

    def gemm(self, x, din, dout, std=0.02):
        """nn.Linear on a 2-D input: Gemm with transB=1, weight stored [out, in]."""
        return self.op("Gemm", [x, self.normal((dout, din), std), self.normal((dout,), std)], transB=1)

    def layer_norm(self, x, d, eps=1e-5):
        return self.op("LayerNormalization", [x, self.uniform((d,), 0.9, 1.1), self.normal((d,), 0.02)],
                       axis=-1, epsilon=eps)

    def gelu_erf(self, x):
        """GELU as opset-17 exporters write it: x * 0.5 * (1 + erf(x / sqrt(2)))."""
        e = self.op("Erf", [self.op("Div", [x, self.const(np.float32(math.sqrt(2.0)))])])
        return self.op("Mul", [self.op("Mul", [x, self.op("Add", [e, self.const(np.float32(1))])]),
                               self.const(np.float32(0.5))])

    def gelu_tanh(self, x):
        """GPT-2's GELU: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
        cube = self.op("Pow", [x, self.const(np.float32(3.0))])
        inner = self.op("Add", [x, self.op("Mul", [cube, self.const(np.float32(0.044715))])])
        t = self.op("Tanh", [self.op("Mul", [inner, self.const(np.float32(math.sqrt(2 / math.pi)))])])
        return self.op("Mul", [self.op("Mul", [x, self.const(np.float32(0.5))]),
                               self.op("Add", [t, self.const(np.float32(1))])])

    def dim(self, x, index):
        """Shape(x)[index] as a 1-element int64 tensor, the way torch exports x.size(i)."""
        return self.op("Unsqueeze", [self.op("Gather", [self.op("Shape", [x]), self.const(np.int64(index))],
                                             axis=0), self.ints([0])])

    def reshape_dynamic(self, x, parts):
        """Reshape to a shape concatenated from Shape/Gather pieces and constants (torch's view(...))."""
        pieces = [p if isinstance(p, str) else self.ints([p]) for p in parts]
        return self.op("Reshape", [x, self.op("Concat", pieces, axis=0)])
