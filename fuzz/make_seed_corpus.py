#!/usr/bin/env python3
"""Writes the fuzzer's seed corpus: the model of every ONNX backend node test (as onnx builds them in
memory since 1.23), one file per test. Usage: make_seed_corpus.py OUT_DIR [--max-bytes N]."""
import argparse
import os

from onnx.backend.test.loader import load_node_model_tests


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("out_dir")
    ap.add_argument("--max-bytes", type=int, default=64 * 1024,
                    help="skip models larger than this (large seeds slow the fuzzer down)")
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    written = 0
    for case in load_node_model_tests():
        data = case.model.SerializeToString()
        if len(data) > args.max_bytes:
            continue
        with open(os.path.join(args.out_dir, case.name + ".onnx"), "wb") as f:
            f.write(data)
        written += 1
    print(f"wrote {written} seed models to {args.out_dir}")


if __name__ == "__main__":
    main()
