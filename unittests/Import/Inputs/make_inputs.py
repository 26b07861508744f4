#!/usr/bin/python3
"""Regenerates the small checkpoint files the Import unit tests read.

Run with Debian's python3 (torch 1.13, numpy) from this directory:
    /usr/bin/python3 make_inputs.py
Every value is derived from torch.arange so the C++ tests can recompute it.
"""
import collections
import io
import zipfile

import numpy as np
import torch


def mixed_state_dict():
    sd = collections.OrderedDict()
    base = torch.arange(12, dtype=torch.float32)           # one storage ...
    sd["_orig_mod.model.inner.offset_view"] = base[2:8].view(2, 3)  # offset 2
    sd["transposed"] = base.view(3, 4).t()                 # ... non-contiguous
    sd["tail"] = base[8:]                                   # ... offset 8
    sd["bf16"] = (torch.arange(4, dtype=torch.float32) * 0.5 - 1).bfloat16()
    sd["f16"] = (torch.arange(3, dtype=torch.float32) * 0.25 + 1).half()
    sd["i64"] = torch.tensor([-3, 0, 1 << 40], dtype=torch.int64)
    sd["i32"] = torch.tensor([[7, -8]], dtype=torch.int32)
    sd["f64"] = torch.tensor([1.5, -2.25], dtype=torch.float64)
    sd["scalar"] = torch.tensor(42.0)
    sd["empty"] = torch.zeros(0, 5)
    # A strided slice of a 3-d tensor: stride (24, 1, 4) style gather.
    sd["permuted"] = torch.arange(24, dtype=torch.float32).view(2, 3, 4).permute(0, 2, 1)[:, 1:3, :]
    return sd


def main():
    torch.save(mixed_state_dict(), "mixed.pt")

    # nn.Parameter values pickle through torch._utils._rebuild_parameter.
    params = collections.OrderedDict()
    params["weight"] = torch.nn.Parameter(torch.arange(6, dtype=torch.float32).view(2, 3))
    torch.save(params, "parameters.pt")

    # Protocol 4 pickle opcodes (FRAME, SHORT_BINUNICODE, MEMOIZE,
    # STACK_GLOBAL) as torch.save(..., pickle_protocol=4) writes them.
    torch.save(mixed_state_dict(), "protocol4.pt", pickle_protocol=4)

    # A full nn.Module state_dict (OrderedDict with _metadata set by BUILD).
    torch.manual_seed(0)
    torch.save(torch.nn.Linear(3, 2).state_dict(), "linear.pt")

    # Variants of a small archive, rewritten with zipfile.
    small = collections.OrderedDict()
    small["x"] = torch.arange(4, dtype=torch.float32)
    small["y"] = torch.arange(3, dtype=torch.int64)
    buf = io.BytesIO()
    torch.save(small, buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    names = src.namelist()
    prefix = names[0].split("/")[0] + "/"

    def rewrite(path, transform, compression=zipfile.ZIP_STORED):
        with zipfile.ZipFile(path, "w", compression) as out:
            for n in names:
                data = transform(n[len(prefix):], src.read(n))
                if data is not None:
                    out.writestr(n, data)

    rewrite("small.pt", lambda n, d: d)
    rewrite("deflated.pt", lambda n, d: d, zipfile.ZIP_DEFLATED)
    # Big-endian storages with a byteorder record (as newer torch writes).
    def big(n, d):
        if n == "data/0":
            return np.frombuffer(d, "<f4").astype(">f4").tobytes()
        if n == "data/1":
            return np.frombuffer(d, "<i8").astype(">i8").tobytes()
        return d
    rewrite("bigendian.pt", big)
    with zipfile.ZipFile("bigendian.pt", "a") as out:
        out.writestr(prefix + "byteorder", "big")
    rewrite("missing_storage.pt", lambda n, d: None if n == "data/1" else d)
    rewrite("short_storage.pt", lambda n, d: d[:-4] if n == "data/0" else d)

    # .npy files as numpy writes them.
    np.save("f32.npy", np.arange(6, dtype="<f4").reshape(2, 3))
    np.save("i64.npy", np.array([1, -2, 3], dtype="<i8"))
    np.save("i32_fortran.npy", np.asfortranarray(np.arange(6, dtype="<i4").reshape(2, 3)))
    np.save("f4_bigendian.npy", np.arange(3, dtype=">f4"))


if __name__ == "__main__":
    main()
