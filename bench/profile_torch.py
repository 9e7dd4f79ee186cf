#!/usr/bin/env python3
"""Where the peer's time goes: torch FP16 (the bench's configuration) under torch.profiler, GPU time by kernel.

The counterpart of bench/profile_model.py for the other side of the PERF.md ratio. Runs on the GPU machine:
    python3 bench/profile_torch.py --model vit_b_16 --batch 64
Prints the summed GPU time of each kernel name over one forward pass (averaged over --runs), largest first.
"""
import argparse
import collections
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gpu_models as gm  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, choices=gm.MODELS)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--top", type=int, default=30)
    args = ap.parse_args()
    model, (size,), _, _ = gm.make_model(args.model)
    gm.calibrate_batchnorm(model, args.model, size)
    inputs = gm.make_inputs(args.model, args.batch, size)
    half = model.eval().cuda().half()
    dev = tuple(t.cuda().half() if t.is_floating_point() else t.cuda() for t in inputs)
    torch.backends.mha.set_fastpath_enabled(True)
    with torch.no_grad():
        for _ in range(5):
            half(*dev)
        torch.cuda.synchronize()
        acts = [torch.profiler.ProfilerActivity.CUDA]
        with torch.profiler.profile(activities=acts) as prof:
            for _ in range(args.runs):
                half(*dev)
            torch.cuda.synchronize()
    by_name = collections.defaultdict(lambda: [0.0, 0])
    for e in prof.events():
        if e.device_type == torch.autograd.DeviceType.CUDA:
            by_name[e.name][0] += e.device_time_total / args.runs
            by_name[e.name][1] += 1
    total = sum(v[0] for v in by_name.values())
    print(f"torch FP16 {args.model} batch {args.batch}: {total / 1000:.3f} ms of kernels per forward")
    for name, (us, n) in sorted(by_name.items(), key=lambda kv: -kv[1][0])[:args.top]:
        print(f"{us:10.1f} us {n // args.runs:5d}x  {name[:150]}")


if __name__ == "__main__":
    main()
