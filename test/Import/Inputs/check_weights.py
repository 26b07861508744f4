#!/usr/bin/python3
"""check_weights.py CHECKPOINT WEIGHTS: the f32 safetensors trm-import wrote
hold exactly the checkpoint's parameters (canonical keys, values widened to
f32, nothing else), in a valid safetensors layout."""
import json
import struct
import sys

import numpy as np
import torch

checkpoint, weights = sys.argv[1], sys.argv[2]
sd = torch.load(checkpoint, map_location="cpu")
raw = open(weights, "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
assert (8 + n) % 8 == 0, "data not 8-byte aligned"
header = json.loads(raw[8:8 + n])
header.pop("__metadata__", None)
data = raw[8 + n:]


def canonical(k):
    while True:
        for p in ("_orig_mod.", "model.", "inner."):
            if k.startswith(p):
                k = k[len(p):]
                break
        else:
            return k


params = {canonical(k): v for k, v in sd.items()
          if canonical(k) not in ("rotary_emb.cos_cached", "rotary_emb.sin_cached")}
assert set(params) == set(header), (sorted(params), sorted(header))
end = 0
for name, entry in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"]):
    b, e = entry["data_offsets"]
    assert b == end, "hole or overlap before " + name
    end = e
    assert entry["dtype"] == "F32", name
    got = np.frombuffer(data[b:e], dtype="<f4").reshape(entry["shape"])
    want = params[name].float().numpy()
    assert got.shape == want.shape, name
    assert np.array_equal(got, want), name
assert end == len(data), "trailing bytes"
print("OK %d tensors" % len(header))
