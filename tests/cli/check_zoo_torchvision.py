#!/usr/bin/env python3
"""Manual check, not a ctest (it needs torch and torchvision): the kiln zoo's resnet18, resnet50 and
mobilenet_v2 compute what torchvision's models compute with the same weights.

For each network: `kiln build --save-weights` writes every weight tensor as .npy (names are torchvision
state-dict keys; a batch norm is saved as the per-channel scale/shift the plan applies, loaded here as
weight=scale, bias=shift, running_mean=0, running_var=1-eps), `kiln run` runs the plan on an input
written here, and the logits are compared with torchvision's model in float64.

    python3 check_zoo_torchvision.py --kiln build/tools/kiln/kiln [--networks resnet18,mobilenet_v2]
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torchvision

EPS = 1e-5  # torch.nn.BatchNorm2d's default, the one the zoo folds with


def load_weights(model, weight_dir):
    modules = dict(model.named_modules())
    state = {}
    used = set()
    for key, value in model.state_dict().items():
        module_name, param = key.rsplit(".", 1)
        module = modules[module_name]

        def npy(suffix):
            name = module_name + "." + suffix + ".npy"
            used.add(name)
            return torch.from_numpy(np.load(os.path.join(weight_dir, name))).to(value.dtype)

        if isinstance(module, torch.nn.BatchNorm2d):
            if param == "weight":
                state[key] = npy("scale")
            elif param == "bias":
                state[key] = npy("shift")
            elif param == "running_mean":
                state[key] = torch.zeros_like(value)
            elif param == "running_var":
                state[key] = torch.full_like(value, 1.0 - EPS)
            else:
                state[key] = value
        elif isinstance(module, torch.nn.Linear):
            # The zoo stores fc weights as [in, out] (x @ W) and the bias as [1, out].
            state[key] = npy("weight").T.contiguous() if param == "weight" else npy("bias").reshape(-1)
        else:
            state[key] = npy(param)
        if state[key].shape != value.shape:
            raise SystemExit(f"{key}: kiln's tensor has shape {tuple(state[key].shape)}, torchvision's {tuple(value.shape)}")
    unused = sorted(set(os.listdir(weight_dir)) - used)
    if unused:
        raise SystemExit(f"kiln tensors with no torchvision parameter: {unused[:5]}")
    model.load_state_dict(state, strict=True)


def check(kiln, network, image_size, batch, work):
    plan = os.path.join(work, network + ".plan")
    weights = os.path.join(work, network + "_weights")
    subprocess.run([kiln, "build", "--network", network, "--batch", str(batch), "--image-size", str(image_size),
                    "--seed", "3", "--save-weights", weights, "-o", plan], check=True)
    x = np.random.default_rng(0).uniform(-1, 1, (batch, 3, image_size, image_size)).astype(np.float32)
    np.save(os.path.join(work, "x.npy"), x)
    out = os.path.join(work, network + "_out")
    subprocess.run([kiln, "run", plan, "--input", "input=" + os.path.join(work, "x.npy"), "--output-dir", out,
                    "--print-values", "0"], check=True)
    got = np.load(os.path.join(out, "logits.npy")).astype(np.float64)

    model = getattr(torchvision.models, network)(weights=None)
    load_weights(model, weights)
    model = model.double().eval()
    with torch.no_grad():
        want = model(torch.from_numpy(x.astype(np.float64))).numpy()
    diff = np.abs(got - want).max()
    scale = max(1.0, np.abs(want).max())
    # float32 accumulation through ~50 layers of up to 4608-term dot products against float64.
    ok = diff <= 1e-3 * scale
    print(f"{network} {batch}x3x{image_size}x{image_size}: max |kiln - torchvision| = {diff:.3g} "
          f"(max |logit| {np.abs(want).max():.3g}, argmax equal: {(got.argmax(1) == want.argmax(1)).all()}) "
          f"{'OK' if ok else 'MISMATCH'}")
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kiln", required=True, help="path to the kiln binary")
    parser.add_argument("--networks", default="resnet18,resnet50,mobilenet_v2")
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--batch", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        results = [check(args.kiln, n, args.image_size, args.batch, work) for n in args.networks.split(",")]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
