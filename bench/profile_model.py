#!/usr/bin/env python3
"""Profiles Kiln build variants of one real model on the GPU (a tool for finding where time goes).

Exports the model as bench/gpu_models.py does (same seeds and calibration), then for each variant builds a
plan with `kiln build <onnx> --device cuda:0 <variant args>`, times it with `kiln run --cuda-graph` and prints
`kiln run --profile` (time by op kind and the slowest layers). Run on the GPU machine:
    python3 bench/profile_model.py --kiln build-gpu/tools/kiln/kiln --model resnet50 --batch 1 \\
        --variant "heuristic=--fp16 --opt-level 0" --variant "tuned=--fp16"
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gpu_models as gm  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kiln", required=True)
    ap.add_argument("--model", required=True, choices=gm.MODELS)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--variant", action="append", required=True, metavar="NAME=ARGS",
                    help="a build variant: its name and the extra `kiln build` arguments")
    ap.add_argument("--profile", type=int, default=3, help="profiled runs per variant")
    ap.add_argument("--top", type=int, default=25)
    args = ap.parse_args()
    gm._register_export_workarounds()
    model, (size,), in_names, out_names = gm.make_model(args.model)
    gm.calibrate_batchnorm(model, args.model, size)
    model = model.eval()
    inputs = gm.make_inputs(args.model, args.batch, size)
    with tempfile.TemporaryDirectory() as work:
        onnx_path = os.path.join(work, "model.onnx")
        torch.backends.mha.set_fastpath_enabled(False)
        with torch.no_grad():
            torch.onnx.export(model, inputs, onnx_path, input_names=in_names, output_names=out_names,
                              opset_version=17, dynamo=False)
        files = []
        for n, t in zip(in_names, inputs):
            p = os.path.join(work, f"{n}.npy")
            np.save(p, t.numpy())
            files += ["-i", f"{n}={p}"]
        for v in args.variant:
            name, _, extra = v.partition("=")
            plan = os.path.join(work, f"{name}.plan")
            b = subprocess.run([args.kiln, "build", onnx_path, "-o", plan, "--device", "cuda:0"] + extra.split(),
                               capture_output=True, text=True)
            if b.returncode != 0:
                print(f"=== {name}: build failed\n{b.stdout}{b.stderr}")
                continue
            r = subprocess.run([args.kiln, "run", plan, "--cuda-graph", "-n", "20", "-w", "5", "--print-values", "0",
                                "--profile", str(args.profile)] + files, capture_output=True, text=True)
            out = r.stdout + r.stderr
            m = re.search(r"median ([0-9.]+) ms", out)
            print(f"=== {args.model} b{args.batch} {name} ({extra}): graph median {m.group(1) if m else '?'} ms")
            prof = out[out.find("profile:"):]
            lines = prof.splitlines()
            cut = next((i for i, l in enumerate(lines) if "slowest layers" in l), len(lines))
            print("\n".join(lines[:cut + 1 + args.top]))


if __name__ == "__main__":
    main()
