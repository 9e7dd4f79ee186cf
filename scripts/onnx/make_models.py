#!/usr/bin/env python3
"""Builds real architectures as ONNX (opset 17, seeded random weights) with expected outputs from
onnxruntime, as case directories for kiln_onnx_runner (the ctests with label `models`).

    OUT/<model>/model.onnx, OUT/<model>/test_data_set_0/{input,output}_K.pb, OUT/<model>/case.txt

Models (topologies as torchvision / timm / Hugging Face export them with torch.onnx at opset 17):
  resnet18, resnet50   torchvision ResNets (v1.5: stride on the 3x3), Conv + BatchNormalization nodes
  mobilenetv2          torchvision MobileNetV2: inverted residuals, depthwise convs, ReLU6 as Clip
  vit                  ViT-B/16 shapes: 16x16 patch conv, cls token via Expand, position embedding,
                       pre-norm blocks (LayerNormalization, MatMul attention, Softmax, Erf GELU MLP)
  bert                 BERT-base shapes: Gather embeddings of int64 input_ids / token_type_ids, Range
                       position ids, int64 attention_mask -> (1 - mask) * -10000 added to the scores,
                       post-norm layers, pooler (Gather + Gemm + Tanh)
  gpt2                 GPT-2 small shapes: dynamic-shape style of a torch export (Shape / Gather /
                       Unsqueeze / Concat / Reshape, Range), Split qkv, causal mask sliced from a constant
                       lower-triangular buffer and applied with Where, tanh GELU, tied LM head
  fcn                  FCN-style segmentation: ResNet-18 trunk, dilated 3x3 head, Dropout (inference),
                       1x1 classifier, Resize (linear, half_pixel) to the input size from Shape/Slice/Concat

--profile ci (the default, for the ctests) keeps every width, head count and vocabulary of the real models
but runs fewer transformer layers (ViT 4 of 12, BERT 2 of 12, GPT-2 2 of 12) and shorter sequences;
--profile full builds the real depths. docs/ONNX_CONFORMANCE.md lists the sizes.
Needs numpy, onnx and onnxruntime (pip install -r scripts/onnx/requirements.txt).
"""
from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import time

try:
    import numpy as np
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, numpy_helper
except ImportError as e:
    sys.exit(f"make_models.py: cannot import {e.name!r} ({e}). The real-model tests need python3 with numpy, "
             "onnx and onnxruntime: pip install -r scripts/onnx/requirements.txt")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_graph import OPSET, Graph  # noqa: E402

PROFILES = {
    # name: (vit layers, bert layers, bert seq, gpt2 layers, gpt2 seq)
    "ci": dict(vit_layers=4, bert_layers=2, bert_seq=128, gpt2_layers=2, gpt2_seq=64),
    "full": dict(vit_layers=12, bert_layers=12, bert_seq=128, gpt2_layers=12, gpt2_seq=128),
}


# ---- CNNs ---------------------------------------------------------------------------------------------
def resnet_trunk(g: Graph, x: str, blocks, bottleneck: bool):
    y = g.conv_bn(x, 3, 64, 7, 2)
    y = g.op("MaxPool", [y], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    cin = 64
    for stage, n in enumerate(blocks):
        cmid = 64 * 2 ** stage
        cout = cmid * (4 if bottleneck else 1)
        for b in range(n):
            stride = 2 if stage > 0 and b == 0 else 1
            # The last BN of a residual branch gets a small gamma (as zero_init_residual does, less
            # extreme) so activations do not grow block after block with random weights.
            if bottleneck:
                h = g.conv_bn(y, cin, cmid, 1)
                h = g.conv_bn(h, cmid, cmid, 3, stride)
                h = g.conv_bn(h, cmid, cout, 1, act=None, gamma=(0.1, 0.3))
            else:
                h = g.conv_bn(y, cin, cout, 3, stride)
                h = g.conv_bn(h, cout, cout, 3, act=None, gamma=(0.1, 0.3))
            shortcut = y if stride == 1 and cin == cout else g.conv_bn(y, cin, cout, 1, stride, act=None)
            y = g.op("Relu", [g.op("Add", [h, shortcut])])
            cin = cout
    return y, cin


def classifier(g: Graph, y: str, c: int, classes: int = 1000) -> str:
    pooled = g.op("Flatten", [g.op("GlobalAveragePool", [y])], axis=1)
    return g.gemm(pooled, c, classes, std=1.0 / math.sqrt(c))


def resnet(name: str, blocks, bottleneck: bool, batch: int, seed: int):
    g = Graph(name, seed)
    x = g.add_input("input", TensorProto.FLOAT, [batch, 3, 224, 224])
    y, c = resnet_trunk(g, x, blocks, bottleneck)
    g.add_output(classifier(g, y, c), "logits")
    return g


def mobilenetv2(batch: int, seed: int):
    g = Graph("mobilenetv2", seed)
    x = g.add_input("input", TensorProto.FLOAT, [batch, 3, 224, 224])
    y, cin = g.conv_bn(x, 3, 32, 3, 2, act="relu6"), 32
    for t, c, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                       (6, 160, 3, 2), (6, 320, 1, 1)]:
        for i in range(n):
            stride = s if i == 0 else 1
            hidden = cin * t
            h = y if t == 1 else g.conv_bn(y, cin, hidden, 1, act="relu6")
            h = g.conv_bn(h, hidden, hidden, 3, stride, groups=hidden, act="relu6")
            h = g.conv_bn(h, hidden, c, 1, act=None, gamma=(0.3, 0.6))
            y = g.op("Add", [y, h]) if stride == 1 and cin == c else h
            cin = c
    y = g.conv_bn(y, cin, 1280, 1, act="relu6")
    g.add_output(classifier(g, y, 1280), "logits")
    return g


def fcn(batch: int, seed: int):
    g = Graph("fcn", seed)
    x = g.add_input("input", TensorProto.FLOAT, [batch, 3, 224, 224])
    feat, c = resnet_trunk(g, x, [2, 2, 2, 2], bottleneck=False)
    h = g.conv_bn(feat, c, 128, 3, dilation=2)  # FCNHead's 3x3 conv; dilated as in DeepLab-style heads
    h = g.op("Dropout", [h, g.const(np.float32(0.1))])  # inference: the identity
    h = g.conv(h, 128, 21, 1, bias=True)
    # F.interpolate(h, size=x.shape[-2:], mode="bilinear", align_corners=False) as torch exports it.
    hw = g.op("Slice", [g.op("Shape", [x]), g.ints([2]), g.ints([4]), g.ints([0])])
    nc = g.op("Slice", [g.op("Shape", [h]), g.ints([0]), g.ints([2]), g.ints([0])])
    sizes = g.op("Concat", [nc, hw], axis=0)
    out = g.op("Resize", [h, "", "", sizes], mode="linear", coordinate_transformation_mode="half_pixel")
    g.add_output(out, "segmentation")
    return g


# ---- transformers -------------------------------------------------------------------------------------
def split_heads(g: Graph, t: str, heads: int, dh: int, perm):
    """[B, N, heads*dh] -> Reshape [B, N, heads, dh] (dynamic, torch view style) -> Transpose(perm)."""
    r = g.reshape_dynamic(t, [g.dim(t, 0), g.dim(t, 1), heads, dh])
    return g.op("Transpose", [r], perm=perm)


def merge_heads(g: Graph, t: str, d: int):
    """[B, heads, N, dh] -> Transpose [B, N, heads, dh] -> Reshape [B, N, d]."""
    tr = g.op("Transpose", [t], perm=[0, 2, 1, 3])
    return g.reshape_dynamic(tr, [g.dim(tr, 0), g.dim(tr, 1), d])


def vit(batch: int, layers: int, seed: int, d=768, heads=12, patch=16, image=224, classes=1000):
    g = Graph("vit", seed)
    dh = d // heads
    x = g.add_input("pixel_values", TensorProto.FLOAT, [batch, 3, image, image])
    p = g.conv(x, 3, d, patch, stride=patch, pad=0, bias=True)
    p = g.reshape_dynamic(p, [g.dim(p, 0), d, -1])          # flatten(2)
    p = g.op("Transpose", [p], perm=[0, 2, 1])               # [B, 196, D]
    n = (image // patch) ** 2 + 1
    cls = g.op("Expand", [g.normal((1, 1, d), 0.02), g.op("Concat", [g.dim(p, 0), g.ints([1, d])], axis=0)])
    t = g.op("Add", [g.op("Concat", [cls, p], axis=1), g.normal((1, n, d), 0.02)])
    for _ in range(layers):
        h = g.layer_norm(t, d, eps=1e-6)
        qkv = g.linear(h, d, 3 * d)
        qkv = g.reshape_dynamic(qkv, [g.dim(qkv, 0), g.dim(qkv, 1), 3, heads, dh])
        qkv = g.op("Transpose", [qkv], perm=[2, 0, 3, 1, 4])  # [3, B, H, N, dh]
        q, k, v = (g.op("Gather", [qkv, g.const(np.int64(i))], axis=0) for i in range(3))  # unbind(0)
        s = g.op("MatMul", [q, g.op("Transpose", [k], perm=[0, 1, 3, 2])])
        s = g.op("Mul", [s, g.const(np.float32(dh ** -0.5))])
        a = g.op("MatMul", [g.op("Softmax", [s], axis=-1), v])
        t = g.op("Add", [t, g.linear(merge_heads(g, a, d), d, d)])
        h = g.layer_norm(t, d, eps=1e-6)
        h = g.linear(g.gelu_erf(g.linear(h, d, 4 * d)), 4 * d, d)
        t = g.op("Add", [t, h])
    t = g.layer_norm(t, d, eps=1e-6)
    cls_out = g.op("Gather", [t, g.const(np.int64(0))], axis=1)
    g.add_output(g.gemm(cls_out, d, classes), "logits")
    return g


def bert(batch: int, layers: int, seq: int, seed: int, d=768, heads=12, vocab=30522, max_pos=512):
    g = Graph("bert", seed)
    dh = d // heads
    ids = g.add_input("input_ids", TensorProto.INT64, [batch, seq])
    mask = g.add_input("attention_mask", TensorProto.INT64, [batch, seq])
    types = g.add_input("token_type_ids", TensorProto.INT64, [batch, seq])
    length = g.op("Gather", [g.op("Shape", [ids]), g.const(np.int64(1))], axis=0)
    positions = g.op("Unsqueeze", [g.op("Range", [g.const(np.int64(0)), length, g.const(np.int64(1))]),
                                   g.ints([0])])
    e = g.op("Add", [g.op("Gather", [g.normal((vocab, d), 0.02), ids]),
                     g.op("Gather", [g.normal((max_pos, d), 0.02), positions])])
    e = g.op("Add", [e, g.op("Gather", [g.normal((2, d), 0.02), types])])
    h = g.layer_norm(e, d, eps=1e-12)
    # extended mask: (1 - mask[:, None, None, :].float()) * -10000
    m = g.op("Cast", [g.op("Unsqueeze", [mask, g.ints([1, 2])])], to=TensorProto.FLOAT)
    ext = g.op("Mul", [g.op("Sub", [g.const(np.float32(1)), m]), g.const(np.float32(-10000))])
    for _ in range(layers):
        q = split_heads(g, g.linear(h, d, d), heads, dh, [0, 2, 1, 3])
        k = split_heads(g, g.linear(h, d, d), heads, dh, [0, 2, 3, 1])
        v = split_heads(g, g.linear(h, d, d), heads, dh, [0, 2, 1, 3])
        s = g.op("Div", [g.op("MatMul", [q, k]), g.const(np.float32(math.sqrt(dh)))])
        a = g.op("MatMul", [g.op("Softmax", [g.op("Add", [s, ext])], axis=-1), v])
        h = g.layer_norm(g.op("Add", [g.linear(merge_heads(g, a, d), d, d), h]), d, eps=1e-12)
        f = g.linear(g.gelu_erf(g.linear(h, d, 4 * d)), 4 * d, d)
        h = g.layer_norm(g.op("Add", [f, h]), d, eps=1e-12)
    g.add_output(h, "last_hidden_state")
    first = g.op("Gather", [h, g.const(np.int64(0))], axis=1)
    g.add_output(g.op("Tanh", [g.gemm(first, d, d)]), "pooler_output")
    return g


def gpt2(batch: int, layers: int, seq: int, seed: int, d=768, heads=12, vocab=50257, max_pos=1024):
    g = Graph("gpt2", seed)
    dh = d // heads
    ids = g.add_input("input_ids", TensorProto.INT64, [batch, seq])
    length = g.dim(ids, 1)  # [T]
    positions = g.op("Unsqueeze", [g.op("Range", [g.const(np.int64(0)), g.op("Squeeze", [length, g.ints([0])]),
                                                  g.const(np.int64(1))]), g.ints([0])])
    wte = g.normal((vocab, d), 0.02)
    h = g.op("Add", [g.op("Gather", [wte, ids]), g.op("Gather", [g.normal((max_pos, d), 0.01), positions])])
    # HF GPT-2 keeps a [1, 1, max_pos, max_pos] lower-triangular "bias" buffer and slices it per length.
    causal = g.const(np.tril(np.ones((max_pos, max_pos), dtype=bool))[None, None])
    mask = g.op("Slice", [causal, g.ints([0, 0]), g.op("Concat", [length, length], axis=0), g.ints([2, 3])])
    lowest = g.const(np.float32(np.finfo(np.float32).min))
    for _ in range(layers):
        a = g.layer_norm(h, d)
        q, k, v = g.op("Split", [g.linear(a, d, 3 * d), g.ints([d, d, d])], n_out=3, axis=2)
        q = split_heads(g, q, heads, dh, [0, 2, 1, 3])
        k = split_heads(g, k, heads, dh, [0, 2, 3, 1])
        v = split_heads(g, v, heads, dh, [0, 2, 1, 3])
        w = g.op("Div", [g.op("MatMul", [q, k]), g.const(np.float32(math.sqrt(dh)))])
        w = g.op("Where", [mask, w, lowest])
        o = g.op("MatMul", [g.op("Softmax", [w], axis=-1), v])
        h = g.op("Add", [h, g.linear(merge_heads(g, o, d), d, d)])
        m = g.linear(g.gelu_tanh(g.linear(g.layer_norm(h, d), d, 4 * d)), 4 * d, d)
        h = g.op("Add", [h, m])
    h = g.layer_norm(h, d)
    g.add_output(g.op("MatMul", [h, g.op("Transpose", [wte], perm=[1, 0])]), "logits")  # tied LM head
    return g


# ---- writing cases ------------------------------------------------------------------------------------
def make_inputs(name: str, model, rng):
    feeds = {}
    for vi in model.graph.input:
        shape = [d.dim_value for d in vi.type.tensor_type.shape.dim]
        if vi.name == "input_ids":
            feeds[vi.name] = rng.integers(0, 30522 if name == "bert" else 50257, shape, dtype=np.int64)
        elif vi.name == "attention_mask":
            m = np.ones(shape, dtype=np.int64)
            m[:, shape[1] * 3 // 4:] = 0  # the last quarter is padding
            feeds[vi.name] = m
        elif vi.name == "token_type_ids":
            t = np.zeros(shape, dtype=np.int64)
            t[:, shape[1] // 2:] = 1
            feeds[vi.name] = t
        else:
            feeds[vi.name] = rng.standard_normal(shape).astype(np.float32)
    return feeds


def write_case(root: str, name: str, model, seed: int) -> str:
    onnx.checker.check_model(model, full_check=True)
    case_dir = os.path.join(root, name)
    os.makedirs(case_dir)
    path = os.path.join(case_dir, "model.onnx")
    onnx.save(model, path)
    feeds = make_inputs(name, model, np.random.default_rng(seed + 1))
    options = ort.SessionOptions()
    # Plain per-node semantics (no fusions), the reference Kiln's FP32 outputs are held to.
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.intra_op_num_threads = 2
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    out_names = [o.name for o in model.graph.output]
    outputs = session.run(out_names, feeds)
    ds = os.path.join(case_dir, "test_data_set_0")
    os.makedirs(ds)
    for k, vi in enumerate(model.graph.input):
        with open(os.path.join(ds, f"input_{k}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(feeds[vi.name], vi.name).SerializeToString())
    for k, (oname, value) in enumerate(zip(out_names, outputs)):
        with open(os.path.join(ds, f"output_{k}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(value, oname).SerializeToString())
    ops = sorted({n.op_type for n in model.graph.node})
    lines = ["# written by scripts/onnx/make_models.py", f"name {name}", f"op model:{name}", f"opset {OPSET}",
             "rtol 1e-05", "atol 1e-06", "graph_ops " + ",".join(ops), "data_sets 1"]
    lines += [f"input {k} tensor {vi.name}" for k, vi in enumerate(model.graph.input)]
    lines += [f"output {k} tensor {n}" for k, n in enumerate(out_names)]
    with open(os.path.join(case_dir, "case.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    params = sum(int(np.prod(t.dims)) for t in model.graph.initializer)
    shapes = ", ".join(f"{vi.name} {list(feeds[vi.name].shape)}" for vi in model.graph.input)
    return f"{len(model.graph.node)} nodes, {params / 1e6:.1f} M parameters, inputs {shapes}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output directory (cleared first if it holds a previous run)")
    ap.add_argument("--profile", choices=sorted(PROFILES), default="ci")
    ap.add_argument("--only", nargs="*", help="build only these models")
    args = ap.parse_args()
    p = PROFILES[args.profile]
    builders = {
        "resnet18": lambda s: resnet("resnet18", [2, 2, 2, 2], False, 2, s),
        "resnet50": lambda s: resnet("resnet50", [3, 4, 6, 3], True, 1, s),
        "mobilenetv2": lambda s: mobilenetv2(1, s),
        "vit": lambda s: vit(1, p["vit_layers"], s),
        "bert": lambda s: bert(1, p["bert_layers"], p["bert_seq"], s),
        "gpt2": lambda s: gpt2(1, p["gpt2_layers"], p["gpt2_seq"], s),
        "fcn": lambda s: fcn(1, s),
    }
    unknown = set(args.only or []) - set(builders)
    if unknown:
        sys.exit(f"make_models.py: unknown model(s) {sorted(unknown)}; known: {sorted(builders)}")
    root = os.path.abspath(args.out)
    marker = os.path.join(root, "models.txt")
    if os.path.exists(root):
        if os.listdir(root) and not os.path.exists(marker):
            sys.exit(f"make_models.py: {root} exists and is not a previous output (no models.txt); refusing to clear it")
        shutil.rmtree(root)
    os.makedirs(root)
    summary = [f"# onnx {onnx.__version__}, onnxruntime {ort.__version__}, profile {args.profile}, opset {OPSET}"]
    with open(marker, "w") as f:  # first, so that a run that fails halfway can still be cleared
        f.write(summary[0] + "\n")
    for seed, (name, build) in enumerate(builders.items()):
        if args.only and name not in args.only:
            continue
        start = time.time()
        info = write_case(root, name, build(1000 + seed).model(), 1000 + seed)
        line = f"{name}: {info} ({time.time() - start:.1f} s)"
        print("make_models.py:", line, flush=True)
        summary.append(line)
    with open(marker, "w") as f:
        f.write("\n".join(summary) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
