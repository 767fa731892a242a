# Rewrites every committed fixture through tools/safetensors_io.write and checks that the bytes come out identical:
# the proof that the fixture scripts' shared writer lays files out as the three writers it replaced did.
#   /usr/bin/python3 tools/check_safetensors_writer.py   (from the repository root)
import glob, json, struct, sys, os
sys.path.insert(0, "tools")
import torch, safetensors_io
rev = {v: k for k, v in safetensors_io.DTYPES.items()}
files = sorted(f for d in ("audio", "onnx", "parity", "state_dict") for f in glob.glob(f"tests/Loom.Tests/Fixtures/{d}/*.safetensors"))
bad = 0
for f in files:
    raw = open(f, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", None)
    names = list(header)
    by_data = sorted(names, key=lambda k: header[k]["data_offsets"][0])
    tensors = []
    for k in by_data:
        e = header[k]; a, b = e["data_offsets"]; blob = bytearray(raw[8 + n + a: 8 + n + b])
        dt = rev[e["dtype"]]
        if dt == torch.bfloat16:
            t = torch.frombuffer(blob, dtype=torch.int16).to(torch.int32).__lshift__(16).view(torch.float32).to(torch.bfloat16) if blob else torch.empty(0, dtype=dt)
        else:
            t = torch.frombuffer(blob, dtype=dt) if blob else torch.empty(0, dtype=dt)
        tensors.append((k, t.reshape(e["shape"])))
    out = "/tmp/st_check.out"
    safetensors_io.write(out, tensors, meta, sort_header=(names != by_data))
    same = open(out, "rb").read() == raw
    bad += not same
    print(("same " if same else "DIFF ") + f + ("" if names == by_data else " (header sorted)"))
print(f"{len(files) - bad} of {len(files)} byte-identical")
sys.exit(1 if bad else 0)
