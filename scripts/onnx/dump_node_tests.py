#!/usr/bin/env python3
"""Writes ONNX's backend node tests out as case directories for kiln_onnx_runner.

Since onnx 1.23 the pip package no longer ships the node tests as files: it builds them in memory
(onnx.backend.test.loader.load_node_model_tests()). This script writes every case the way onnx's own
`backend-test-tools generate-data` did, so any ONNX runner can read them:

    OUT/<test_name>/model.onnx
    OUT/<test_name>/test_data_set_N/input_K.pb    (TensorProto; SequenceProto / OptionalProto where the
    OUT/<test_name>/test_data_set_N/output_K.pb    graph input or output has that type)
    OUT/<test_name>/case.txt                        (what the runner needs besides the protobufs)
    OUT/index.tsv                                   (one line per case: name, op, opset, data sets, status)

case.txt holds one "key value" pair a line: name, op (the test's main op: the node type of a
single-node model; for an expanded function test, the op of the test it expands), opset, rtol, atol
(onnx's values for the case), graph_ops (every op type in the graph, "domain:Op" outside the default
domain), data_sets, and one "input K KIND NAME" / "output K KIND NAME" line per graph input and output
(KIND: tensor, sequence, optional, map). Output is deterministic: cases sorted by name, protobufs
serialized deterministically, the output directory cleared first. Nothing is skipped silently: a case
without data sets, or one that cannot be written, is listed in index.tsv (status no-data / error) and
counted in the summary line.

--freeze-inputs writes a diagnostic variant: every graph input after the first with at most 16 elements,
and every scalar input, becomes an initializer holding the data set's value (cases with one data set).
Node tests feed operator parameters (Reshape's shape, Slice's starts, TopK's K, Resize's scales...) as
graph inputs, where exporters emit constants; Kiln needs them constant. The variant shows whether those
cases compute correctly once their parameters are constants. It is not the conformance measure.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import warnings

MARKER = "index.tsv"


def import_onnx():
    try:
        import numpy as np  # noqa: F401
        import onnx
        import onnx.backend.test.loader  # noqa: F401
        from onnx import numpy_helper  # noqa: F401
    except ImportError as e:
        sys.exit(f"dump_node_tests.py: cannot import {e.name!r} ({e}). The ONNX conformance tests need "
                 "python3 with numpy and onnx: pip install -r scripts/onnx/requirements.txt")
    return onnx


def serialize(msg) -> bytes:
    return msg.SerializeToString(deterministic=True)


def value_kind(type_proto) -> str:
    for kind, field in (("tensor", "tensor_type"), ("sequence", "sequence_type"),
                        ("optional", "optional_type"), ("map", "map_type")):
        if type_proto.HasField(field):
            return kind
    return "unknown"


def to_proto(value, value_info, onnx):
    """The protobuf onnx's own generate-data writes for `value` fed to / read from `value_info`."""
    import numpy as np
    from onnx import numpy_helper

    kind = value_kind(value_info.type)
    name = value_info.name
    if kind == "map":
        return numpy_helper.from_dict(value, name)
    if kind == "sequence":
        return numpy_helper.from_list(value, name)
    if kind == "optional":
        return numpy_helper.from_optional(value, name)
    if isinstance(value, onnx.TensorProto):
        proto = onnx.TensorProto()
        proto.CopyFrom(value)
        proto.name = name  # the runner binds by position; the name only helps a reader
        return proto
    # numpy scalars (np.float32(3.0)) are 0-d tensors.
    return numpy_helper.from_array(np.asarray(value), name)


def graph_ops(graph) -> list[str]:
    ops = set()

    def walk(g):
        for node in g.node:
            ops.add(node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}:{node.op_type}")
            for attr in node.attribute:
                if attr.HasField("g"):
                    walk(attr.g)
                for sub in attr.graphs:
                    walk(sub)

    walk(graph)
    return sorted(ops)


EXPANDED = re.compile(r"_expanded(_ver\d+)?$")


def main_op(case, by_name) -> str:
    nodes = case.model.graph.node
    base = EXPANDED.sub("", case.name)
    if base != case.name and base in by_name and len(by_name[base].model.graph.node) == 1:
        return by_name[base].model.graph.node[0].op_type
    if len(nodes) == 1:
        return nodes[0].op_type
    # Several nodes and no single-node base test: name the op the way onnx's expand helper prefixes
    # internal tensors ("<Op>_<test>_expanded_function_..."), else the first node.
    for node in nodes:
        for out in node.output:
            marker = "_" + base + "_expanded_function_"
            if marker in out:
                return out.split(marker)[0]
    return nodes[0].op_type if nodes else "(empty)"


def freeze_parameters(model, data_sets, onnx):
    """Moves small parameter inputs into initializers (see --freeze-inputs); returns the new model, data
    sets and the frozen input names."""
    import numpy as np

    if len(data_sets) != 1:
        return model, data_sets, []
    ins, outs = data_sets[0]
    keep, frozen, values = [], [], []
    for k, (vi, value) in enumerate(zip(model.graph.input, ins)):
        arr = None if isinstance(value, (list, onnx.TensorProto)) or value is None else np.asarray(value)
        small = arr is not None and value_kind(vi.type) == "tensor" and (arr.ndim == 0 or (k > 0 and arr.size <= 16))
        if small and arr.dtype != object:
            frozen.append(vi.name)
            values.append(to_proto(arr, vi, onnx))
        else:
            keep.append((vi, value))
    if not frozen:
        return model, data_sets, []
    new = onnx.ModelProto()
    new.CopyFrom(model)
    del new.graph.input[:]
    new.graph.input.extend([vi for vi, _ in keep])
    new.graph.initializer.extend(values)
    return new, [([v for _, v in keep], outs)], frozen


def write_case(case, op, root, onnx, freeze=False) -> tuple[str, int]:
    case_dir = os.path.join(root, case.name)
    os.makedirs(case_dir)
    model = case.model
    data_sets = list(case.data_sets or [])
    frozen = []
    if freeze:
        model, data_sets, frozen = freeze_parameters(model, data_sets, onnx)
    with open(os.path.join(case_dir, "model.onnx"), "wb") as f:
        f.write(serialize(model))
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), -1)
    inputs = list(model.graph.input)
    outputs = list(model.graph.output)
    lines = [
        "# written by scripts/onnx/dump_node_tests.py",
        f"name {case.name}",
        f"op {op}",
        f"opset {opset}",
        f"rtol {case.rtol!r}",
        f"atol {case.atol!r}",
        "graph_ops " + ",".join(graph_ops(model.graph)),
        f"data_sets {len(data_sets)}",
    ]
    if frozen:
        lines.append("frozen_inputs " + ",".join(frozen))
    lines += [f"input {k} {value_kind(vi.type)} {vi.name}" for k, vi in enumerate(inputs)]
    lines += [f"output {k} {value_kind(vi.type)} {vi.name}" for k, vi in enumerate(outputs)]
    for n, (ins, outs) in enumerate(data_sets):
        if len(ins) != len(inputs) or len(outs) != len(outputs):
            raise ValueError(f"data set {n} has {len(ins)} inputs and {len(outs)} outputs; the graph has "
                             f"{len(inputs)} and {len(outputs)}")
        ds_dir = os.path.join(case_dir, f"test_data_set_{n}")
        os.makedirs(ds_dir)
        for k, (value, vi) in enumerate(zip(ins, inputs)):
            with open(os.path.join(ds_dir, f"input_{k}.pb"), "wb") as f:
                f.write(serialize(to_proto(value, vi, onnx)))
        for k, (value, vi) in enumerate(zip(outs, outputs)):
            with open(os.path.join(ds_dir, f"output_{k}.pb"), "wb") as f:
                f.write(serialize(to_proto(value, vi, onnx)))
    with open(os.path.join(case_dir, "case.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return opset, len(data_sets)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output directory (cleared first if it holds a previous dump)")
    ap.add_argument("--filter", default=None, help="only cases whose name matches this regular expression")
    ap.add_argument("--freeze-inputs", action="store_true",
                    help="diagnostic variant: small parameter inputs become initializers (see above)")
    args = ap.parse_args()

    onnx = import_onnx()
    import onnx.backend.test.loader as loader

    root = os.path.abspath(args.out)
    if os.path.exists(root):
        if os.listdir(root) and not os.path.exists(os.path.join(root, MARKER)):
            sys.exit(f"dump_node_tests.py: {root} exists and is not a previous dump (no {MARKER}); "
                     "refusing to clear it")
        shutil.rmtree(root)
    os.makedirs(root)

    with warnings.catch_warnings():
        # The case generators compute expected values with numpy and warn on intended overflows / NaNs.
        warnings.simplefilter("ignore")
        cases = sorted(loader.load_node_model_tests(), key=lambda c: c.name)
    by_name = {c.name: c for c in cases}
    pattern = re.compile(args.filter) if args.filter else None

    rows = []
    counts = {"ok": 0, "no-data": 0, "error": 0}
    for case in cases:
        if pattern and not pattern.search(case.name):
            continue
        op = main_op(case, by_name)
        try:
            opset, nb = write_case(case, op, root, onnx, args.freeze_inputs)
            status = "ok" if nb > 0 else "no-data"
            detail = ""
        except Exception as e:  # noqa: BLE001 - every failure is listed, not raised
            shutil.rmtree(os.path.join(root, case.name), ignore_errors=True)
            opset, nb, status = -1, 0, "error"
            detail = f"{type(e).__name__}: {e}".replace("\t", " ").replace("\n", " ")
            print(f"dump_node_tests.py: cannot write {case.name}: {detail}", file=sys.stderr)
        counts[status] += 1
        rows.append(f"{case.name}\t{op}\t{opset}\t{nb}\t{status}\t{detail}")

    with open(os.path.join(root, MARKER), "w") as f:
        variant = ", parameters frozen" if args.freeze_inputs else ""
        f.write(f"# onnx {onnx.__version__}{variant}: name\top\topset\tdata_sets\tstatus\tdetail\n")
        f.write("\n".join(rows) + "\n")
    print(f"dump_node_tests.py: onnx {onnx.__version__}: {len(rows)} node tests into {root}: "
          f"{counts['ok']} written, {counts['no-data']} without data sets, {counts['error']} not writable")
    return 1 if counts["error"] else 0


if __name__ == "__main__":
    sys.exit(main())
