#!/usr/bin/python3
"""Regenerates the seed corpora (run from fuzz/corpus with Debian's python3).

Seeds are small valid inputs; libFuzzer mutates them. The torch archives
come from unittests/Import/Inputs (see make_inputs.py there)."""
import json
import os
import shutil
import struct
import zipfile

import numpy as np

INPUTS = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                      "..", "..", "unittests", "Import", "Inputs")


def safetensors(path, tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def main():
    for d in ("torch_zip", "pickle", "safetensors", "npy"):
        os.makedirs(d, exist_ok=True)
    for name in ("small.pt", "deflated.pt", "bigendian.pt", "linear.pt",
                 "parameters.pt", "protocol4.pt"):
        shutil.copy(os.path.join(INPUTS, name), os.path.join("torch_zip", name))
    for name in ("mixed.pt", "protocol4.pt", "linear.pt", "parameters.pt"):
        z = zipfile.ZipFile(os.path.join(INPUTS, name))
        pkl = [n for n in z.namelist() if n.endswith("/data.pkl")][0]
        with open(os.path.join("pickle", name.replace(".pt", ".pkl")), "wb") as f:
            f.write(z.read(pkl))

    f32 = np.arange(6, dtype="<f4").tobytes()
    safetensors("safetensors/f32.safetensors",
                {"a": ("F32", [2, 3], f32)}, {"format": "pt"})
    safetensors("safetensors/mixed.safetensors",
                {"w": ("BF16", [2], b"\x80\x3f\x00\xc0"),
                 "h": ("F16", [1], b"\x00\x3c"),
                 "i": ("I64", [1], struct.pack("<q", -5)),
                 "j": ("I32", [1, 1], struct.pack("<i", 7)),
                 "e": ("F32", [0, 3], b""),
                 "s": ("F64", [], struct.pack("<d", 0.5))})

    np.save("npy/f32.npy", np.arange(6, dtype="<f4").reshape(2, 3))
    np.save("npy/i64.npy", np.array([1, -2, 3], dtype="<i8"))
    np.save("npy/i32_scalar.npy", np.array(7, dtype="<i4"))
    np.save("npy/u8.npy", np.array([1, 2], dtype="|u1"))
    # Version 2 and 3 headers.
    for major in (2, 3):
        head = b"{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }"
        head += b" " * (63 - (12 + len(head)) % 64) + b"\n"
        with open("npy/v%d.npy" % major, "wb") as f:
            f.write(b"\x93NUMPY" + bytes([major, 0]) + struct.pack("<I", len(head))
                    + head + np.array([1.5, -2], dtype="<f8").tobytes())


if __name__ == "__main__":
    main()
