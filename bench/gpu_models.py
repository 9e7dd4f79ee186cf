#!/usr/bin/env python3
"""Kiln on the GPU against torch + CUDA graph, on real models, in one run (issue 4, item 5).

For each model and batch size: export the torchvision / transformers model (random weights, seeded) to ONNX
opset 17 (BatchNorm statistics calibrated on random images first, see calibrate_batchnorm), build a Kiln FP32 plan (TF32 off) and an FP16 plan for cuda:0 with `kiln build`, run both with
`kiln run --cuda-graph` on the same input, check accuracy against torch FP32 (TF32 off) -- FP32: relative L2
< 1e-4; FP16: relative L2 < 1e-2 and the same top-1 for classifiers; both FP32 results are also compared with
torch in float64, which shows how far float32 itself is from the exact answer on that model -- and time Kiln's FP16 plan and torch
FP16 + CUDA graph (median of the timed replays, CUDA events) in the same process run. Prints a markdown
table (the one in docs/PERF.md) and writes it to --out.

Run on the GPU machine from the repository root, with a kiln binary built for it:
    python3 bench/gpu_models.py --kiln build-gpu/tools/kiln/kiln --out /tmp/perf.md
    python3 bench/gpu_models.py --models resnet50 --batches 1      # a subset
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

MODELS = ["resnet50", "mobilenet_v2", "vit_b_16", "bert-base", "gpt2", "fcn_resnet50"]
TRANSFORMERS = {"bert-base", "gpt2"}
CLASSIFIERS = {"resnet50", "mobilenet_v2", "vit_b_16"}


def make_model(name):
    """(module, example inputs as a tuple of CPU tensors, input names, output names) for batch 1."""
    torch.manual_seed(0)
    if name in ("resnet50", "mobilenet_v2", "vit_b_16"):
        import torchvision
        m = getattr(torchvision.models, name)(weights=None)
        return m, (224,), ["input"], ["logits"]
    if name == "fcn_resnet50":
        import torchvision

        class Fcn(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.m = torchvision.models.segmentation.fcn_resnet50(weights=None, weights_backbone=None,
                                                                      aux_loss=False)

            def forward(self, x):
                return self.m(x)["out"]
        return Fcn(), (512,), ["input"], ["out"]
    if name == "bert-base":
        from transformers import BertConfig, BertModel

        class Bert(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.m = BertModel(BertConfig())

            def forward(self, ids, mask):
                return self.m(input_ids=ids, attention_mask=mask).last_hidden_state
        return Bert(), (128,), ["input_ids", "attention_mask"], ["hidden"]
    if name == "gpt2":
        from transformers import GPT2Config, GPT2Model

        class Gpt2(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.m = GPT2Model(GPT2Config(use_cache=False))

            def forward(self, ids):
                return self.m(input_ids=ids).last_hidden_state
        return Gpt2(), (128,), ["input_ids"], ["hidden"]
    raise ValueError(name)


def _register_export_workarounds():
    """Exporter gaps of this torch/transformers pair, bridged with plain ONNX: transformers' mask code calls
    torch.diff (no opset-17 symbolic): diff(x, dim) = x[1:] - x[:-1] along dim after prepend/append are
    concatenated, for n = 1, the form it uses."""
    from torch.onnx import symbolic_helper as sh

    def diff(g, x, n, dim, prepend, append):
        d = sh._get_const(dim, "i", "dim")
        if not sh._is_none(prepend):
            x = g.op("Concat", prepend, x, axis_i=d)
        if not sh._is_none(append):
            x = g.op("Concat", x, append, axis_i=d)
        const = lambda v: g.op("Constant", value_t=torch.tensor([v], dtype=torch.int64))
        hi = g.op("Slice", x, const(1), const(2 ** 62), const(d))
        lo = g.op("Slice", x, const(0), const(-1), const(d))
        return g.op("Sub", hi, lo)
    torch.onnx.register_custom_op_symbolic("aten::diff", diff, 17)


def make_inputs(name, batch, size):
    g = torch.Generator().manual_seed(1)
    if name == "bert-base":
        ids = torch.randint(0, 30522, (batch, size), generator=g)
        mask = torch.ones(batch, size, dtype=torch.int64)
        mask[:, size * 3 // 4:] = 0  # padded tail: the attention mask matters
        return (ids, mask)
    if name == "gpt2":
        return (torch.randint(0, 50257, (batch, size), generator=g),)
    return (torch.randn(batch, 3, size, size, generator=g),)


def calibrate_batchnorm(model, name, size):
    """Random weights with BatchNorm's default statistics (mean 0, variance 1) shrink the activations of
    deep CNNs toward 0 (torchvision's mobilenet_v2 ends near 1e-8, below float16's smallest subnormal), which
    no trained model does. As trained models have, BN statistics are estimated from data: a few batches of
    random images in training mode set them, so every precision sees activations of a realistic range."""
    # torchvision zero-initializes some heads (ViT's classifier): with random weights the output would be
    # identically zero and every comparison vacuous, so such layers get small random weights.
    g0 = torch.Generator().manual_seed(3)
    for m in model.modules():
        if isinstance(m, torch.nn.Linear) and not m.weight.detach().any():
            with torch.no_grad():
                m.weight.copy_(torch.randn(m.weight.shape, generator=g0) * 0.02)
    bns = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the calibration batches
    model.train()
    g = torch.Generator().manual_seed(2)
    with torch.no_grad():
        for _ in range(4):
            model(torch.randn(8, 3, size, size, generator=g))
    model.eval()


def rel_l2(a, b):
    a = a.astype(np.float64).ravel()
    b = b.astype(np.float64).ravel()
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30))


def torch_graph_ms(model, inputs, iters, warmup):
    """Median ms of `iters` replays of the model captured into a CUDA graph."""
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s), torch.no_grad():
        for _ in range(3):
            model(*inputs)
    torch.cuda.current_stream().wait_stream(s)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph), torch.no_grad():
        model(*inputs)
    for _ in range(warmup):
        graph.replay()
    times = []
    for _ in range(iters):
        b, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        b.record()
        graph.replay()
        e.record()
        e.synchronize()
        times.append(b.elapsed_time(e))
    return float(np.median(times))


def run(cmd, timeout=600):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout + p.stderr


def kiln_build(kiln, onnx_path, plan, fp16):
    cmd = [kiln, "build", onnx_path, "-o", plan, "--device", "cuda:0", "--no-tf32"] + (["--fp16"] if fp16 else [])
    t0 = time.time()
    rc, out = run(cmd, timeout=900)
    return rc == 0, out, time.time() - t0


def kiln_run(kiln, plan, input_files, out_dir, iters, warmup):
    cmd = [kiln, "run", plan, "--cuda-graph", "-n", str(iters), "-w", str(warmup), "-O", out_dir, "--print-values", "0"]
    for name, path in input_files:
        cmd += ["-i", f"{name}={path}"]
    rc, out = run(cmd)
    m = re.search(r"median ([0-9.]+) ms", out)
    return rc == 0 and m is not None, out, float(m.group(1)) if m else float("nan")


def bench_one(args, name, batch, work):
    model, (size,), in_names, out_names = make_model(name)
    calibrate_batchnorm(model, name, size)
    model = model.eval()
    inputs = make_inputs(name, batch, size)
    row = {"model": name, "batch": batch}
    onnx_path = os.path.join(work, f"{name}_b{batch}.onnx")
    # torchvision's ViT takes the fused multi-head-attention fast path in inference, which has no ONNX
    # export; the plain path computes the same attention.
    torch.backends.mha.set_fastpath_enabled(False)
    with torch.no_grad():
        torch.onnx.export(model, inputs, onnx_path, input_names=in_names, output_names=out_names,
                          opset_version=17, dynamo=False)
    torch.backends.mha.set_fastpath_enabled(True)
    input_files = []
    for n, t in zip(in_names, inputs):
        p = os.path.join(work, f"{name}_b{batch}_{n}.npy")
        np.save(p, t.numpy())
        input_files.append((n, p))
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    dev_inputs = tuple(t.cuda() for t in inputs)
    model = model.cuda()
    with torch.no_grad():
        ref = model(*dev_inputs).float().cpu().numpy()
        # float64: the exact answer to float32's rounding, to tell a model's own conditioning (torch FP32
        # is this far from it too) from Kiln's error.
        exact = model.double()(*(t.double() if t.is_floating_point() else t for t in dev_inputs)).cpu().numpy()
        model.float()
    row["torch_fp32_vs_fp64"] = rel_l2(ref, exact)
    for prec in args.precisions:
        plan = os.path.join(work, f"{name}_b{batch}_{prec}.plan")
        ok, out, secs = kiln_build(args.kiln, onnx_path, plan, prec == "fp16")
        row[f"{prec}_build_s"] = secs
        if not ok:
            row[f"{prec}_error"] = "build: " + out.strip().splitlines()[-1][:200] if out.strip() else "build failed"
            continue
        out_dir = os.path.join(work, f"{name}_b{batch}_{prec}_out")
        ok, out, ms = kiln_run(args.kiln, plan, input_files, out_dir, args.iters, args.warmup)
        if not ok:
            row[f"{prec}_error"] = "run: " + (out.strip().splitlines()[-1][:200] if out.strip() else "failed")
            continue
        got = np.load(os.path.join(out_dir, out_names[0] + ".npy")).astype(np.float32)
        row[f"{prec}_ms"] = ms
        if args.profile and prec == args.precisions[-1]:
            cmd = [args.kiln, "run", plan, "-n", "1", "--print-values", "0", "--profile", str(args.profile)]
            for n, p in input_files:
                cmd += ["-i", f"{n}={p}"]
            _, prof = run(cmd)
            print(f"--- {name} batch {batch} {prec}\n" + prof[prof.find("profile:"):], flush=True)
        row[f"{prec}_rel_l2"] = rel_l2(got, ref)
        row[f"{prec}_vs_fp64"] = rel_l2(got, exact)
        if name in CLASSIFIERS:
            row[f"{prec}_top1"] = f"{int((got.argmax(-1) == ref.argmax(-1)).sum())}/{ref.shape[0]}"
    # The peer: torch FP16 + CUDA graph, same inputs (integer inputs stay integer). Its own FP16 error
    # against FP32 is the yardstick for Kiln's.
    half = model.half()
    half_inputs = tuple(t.half() if t.is_floating_point() else t for t in dev_inputs)
    with torch.no_grad():
        torch_half = half(*half_inputs).float().cpu().numpy()
    row["torch_fp16_rel_l2"] = rel_l2(torch_half, ref)
    if name in CLASSIFIERS:
        row["torch_fp16_top1"] = f"{int((torch_half.argmax(-1) == ref.argmax(-1)).sum())}/{ref.shape[0]}"
    row["torch_graph_ms"] = torch_graph_ms(half, half_inputs, args.iters, args.warmup)
    del model, half
    torch.cuda.empty_cache()
    return row


def fmt(v, spec):
    return format(v, spec) if isinstance(v, float) else "—"


def table(rows):
    lines = ["| model | batch | Kiln FP32 rel L2 (< 1e-4) | Kiln FP32 vs FP64 | torch FP32 vs FP64 | Kiln FP16 rel L2 (< 1e-2) | "
             "torch FP16 rel L2 | FP16 top-1 = FP32 top-1 | "
             "Kiln FP32 ms | Kiln FP16 ms | torch FP16 + CUDA graph ms | torch / Kiln FP16 | notes |",
             "|---|---:|---:|---:|---:|---:|---:|:---:|---:|---:|---:|---:|---|"]
    for r in rows:
        notes = "; ".join(r[k] for k in ("fp32_error", "fp16_error", "error") if k in r)
        ratio = r["torch_graph_ms"] / r["fp16_ms"] if "fp16_ms" in r and "torch_graph_ms" in r else None
        top1 = "—" if "fp16_top1" not in r else f"{r['fp16_top1']} (torch {r.get('torch_fp16_top1', '?')})"
        lines.append(f"| {r['model']} | {r['batch']} | {fmt(r.get('fp32_rel_l2'), '.2e')} | {fmt(r.get('fp32_vs_fp64'), '.2e')} | "
                     f"{fmt(r.get('torch_fp32_vs_fp64'), '.2e')} | {fmt(r.get('fp16_rel_l2'), '.2e')} | "
                     f"{fmt(r.get('torch_fp16_rel_l2'), '.2e')} | "
                     f"{top1} | {fmt(r.get('fp32_ms'), '.3f')} | {fmt(r.get('fp16_ms'), '.3f')} | "
                     f"{fmt(r.get('torch_graph_ms'), '.3f')} | {fmt(ratio, '.2f')} | {notes} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kiln", required=True, help="the kiln binary built for this GPU")
    ap.add_argument("--models", nargs="*", default=MODELS, choices=MODELS)
    ap.add_argument("--batches", nargs="*", type=int, default=None,
                    help="batch sizes (default: 1 and 64; 1 and 32 for the transformers)")
    ap.add_argument("--iters", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--out", help="also write the table here")
    ap.add_argument("--precisions", nargs="*", default=["fp32", "fp16"], choices=["fp32", "fp16"],
                    help="Kiln plans to build and check (default both)")
    ap.add_argument("--profile", type=int, default=0, metavar="N",
                    help="also print `kiln run --profile N` of the last precision's plan (time by op kind)")
    args = ap.parse_args()
    if not torch.cuda.is_available():
        sys.exit("gpu_models.py: torch sees no GPU")
    _register_export_workarounds()
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for name in args.models:
            batches = args.batches or ([1, 32] if name in TRANSFORMERS else [1, 64])
            for b in batches:
                try:
                    row = bench_one(args, name, b, work)
                except Exception as e:  # one model's failure must not hide the others' numbers
                    row = {"model": name, "batch": b, "error": f"{type(e).__name__}: {str(e)[:200]}"}
                rows.append(row)
                print(table([row]).splitlines()[-1], flush=True)
    text = (f"GPU: {torch.cuda.get_device_name(0)}; torch {torch.__version__}; median of {args.iters} runs after "
            f"{args.warmup} warmup, CUDA events; Kiln timed with `kiln run --cuda-graph`, torch with torch.cuda.CUDAGraph.\n\n"
            + table(rows) + "\n")
    print("\n" + text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
