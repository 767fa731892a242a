#!/usr/bin/python3
"""Checks ONNX files with the reference checker (Debian python3-onnx 1.12: IR 8, opset 17), with full shape inference.

    /usr/bin/python3 tools/onnx_check.py model.onnx [more.onnx ...]

Prints one line per file and exits non-zero if any file fails. tools/onnx-check-zoo.sh exports every built-in model
with `loom export` and runs this on the files.
"""
import sys

import onnx


def main(paths):
    failed = 0
    for path in paths:
        try:
            model = onnx.load(path)
            onnx.checker.check_model(model, full_check=True)
            opset = ",".join(f"{o.domain or 'ai.onnx'}:{o.version}" for o in model.opset_import)
            print(f"ok    {path}  (IR {model.ir_version}, opset {opset}, {len(model.graph.node)} nodes)")
        except Exception as e:  # the checker raises several types; report each file and go on
            failed += 1
            print(f"FAIL  {path}: {e}")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1:]))
