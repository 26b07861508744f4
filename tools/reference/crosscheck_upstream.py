#!/usr/bin/python3
"""Cross-check the goldens against the *upstream* reference model code (optional tool).

    /usr/bin/python3 tools/reference/crosscheck_upstream.py --upstream PATH [SET ...]

PATH is a checkout of github.com/SamsungSAILMontreal/TinyRecursiveModels (a work tree with
models/, or a bare git directory, read with `git show HEAD:...`).  Nothing of it is copied
into this repository: its models/ files are imported from PATH (or a temporary export).

Debian's torch 1.13 lacks what the upstream code uses, so this script installs small
stand-ins before importing it: nn.Buffer, F.scaled_dot_product_attention (math version),
torch.no_grad as a bare decorator, torch.optim.optimizer.ParamsT, and tiny `einops`
(rearrange of 'B S H D <-> B H S D' only) and `pydantic` (BaseModel with defaults) modules.
The model is built with forward_dtype float32 (the checkpoint's bf16 H_init/L_init are
upcast exactly on load), run in eval mode through its ACT wrapper for halt_max_steps steps,
and its per-step logits and q logits are compared with expected/ (float64 goldens).
"""
import argparse
import glob
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import trm_reference as R  # noqa: E402

FILES = ["models/recursive_reasoning/trm.py", "models/layers.py",
         "models/sparse_embedding.py", "models/common.py"]

EINOPS = '''
def rearrange(t, pattern):
    assert pattern in ("B S H D -> B H S D", "B H S D -> B S H D"), pattern
    return t.transpose(1, 2)
'''
PYDANTIC = '''
class BaseModel:
    def __init__(self, **kw):
        for c in reversed(type(self).__mro__):
            for k, v in vars(c).items():
                if not k.startswith("_") and not callable(v):
                    setattr(self, k, v)
        for k, v in kw.items():
            setattr(self, k, v)
'''


def install_shims(tmp):
    os.makedirs(os.path.join(tmp, "shim", "pydantic"), exist_ok=True)
    with open(os.path.join(tmp, "shim", "einops.py"), "w") as f:
        f.write(EINOPS)
    with open(os.path.join(tmp, "shim", "pydantic", "__init__.py"), "w") as f:
        f.write(PYDANTIC)
    sys.path.insert(0, os.path.join(tmp, "shim"))

    class Buffer:
        def __init__(self, t, persistent=True):
            self.t, self.persistent = t, persistent
    if not hasattr(nn, "Buffer"):
        nn.Buffer = Buffer
        orig = nn.Module.__setattr__

        def setattr_(self, name, value):
            if isinstance(value, Buffer):
                self.register_buffer(name, value.t, persistent=value.persistent)
            else:
                orig(self, name, value)
        nn.Module.__setattr__ = setattr_
    if not hasattr(F, "scaled_dot_product_attention"):
        def sdpa(query, key, value, is_causal=False):
            s = query @ key.transpose(-1, -2) / math.sqrt(query.shape[-1])
            o = torch.softmax(s, -1) @ value
            # flash kernels return [B, S, H, D] memory; upstream .view()s it that way
            return o.transpose(1, 2).contiguous().transpose(1, 2)
        F.scaled_dot_product_attention = sdpa
        import torch.nn.functional
        torch.nn.functional.scaled_dot_product_attention = sdpa
    import torch.optim.optimizer as oo
    if not hasattr(oo, "ParamsT"):
        oo.ParamsT = object
    ng = torch.no_grad

    class NoGrad(ng):
        def __new__(cls, f=None):
            return ng()(f) if f is not None else ng()
    torch.no_grad = NoGrad


def upstream_source(path, tmp):
    if os.path.isdir(os.path.join(path, "models")):
        return path
    out = os.path.join(tmp, "upstream")
    for f in FILES:
        os.makedirs(os.path.join(out, os.path.dirname(f)), exist_ok=True)
        src = subprocess.run(["git", "--git-dir", path, "show", "HEAD:" + f],
                             check=True, capture_output=True).stdout
        with open(os.path.join(out, f), "wb") as fh:
            fh.write(src)
    for d in ("models", "models/recursive_reasoning"):
        open(os.path.join(out, d, "__init__.py"), "a").close()
    return out


def run_set(cls, d):
    import yaml
    with open(os.path.join(d, "all_config.yaml")) as f:
        arch = yaml.safe_load(f)["arch"]
    with open(os.path.join(d, "dataset.json")) as f:
        ds = json.load(f)
    arch = {k: v for k, v in arch.items() if k not in ("name", "loss")}
    arch.update(batch_size=8, seq_len=ds["seq_len"], vocab_size=ds["vocab_size"],
                num_puzzle_identifiers=ds["num_puzzle_identifiers"], causal=False,
                forward_dtype="float32")
    torch.manual_seed(0)
    m = cls(arch)
    sd = torch.load(R.find_checkpoint(d), map_location="cpu")
    m.inner.load_state_dict({R.canonical_key(k): v for k, v in sd.items()}, strict=True)
    m.eval()
    inputs = torch.from_numpy(np.load(os.path.join(d, "inputs.npy")))
    pids = torch.from_numpy(np.load(os.path.join(d, "puzzle_identifiers.npy"))).long()
    batch = {"inputs": inputs, "puzzle_identifiers": pids, "labels": inputs.clone()}
    logits, q = [], []
    with torch.no_grad():
        carry = m.initial_carry(batch)
        for _ in range(m.config.halt_max_steps):
            carry, out = m(carry=carry, batch=batch)
            logits.append(out["logits"])
            q.append(torch.stack([out["q_halt_logits"], out["q_continue_logits"]], -1))
    assert bool(carry.halted.all())
    L = torch.stack(logits, 1).numpy()
    Q = torch.stack(q, 1).numpy()
    eL = np.load(os.path.join(d, "expected", "step_logits.npy"))
    eQ = np.load(os.path.join(d, "expected", "step_q.npy"))
    return float(np.abs(L - eL).max()), float(np.abs(Q - eQ).max())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--golden", default=os.path.normpath(os.path.join(HERE, "..", "..", "test", "golden")))
    ap.add_argument("--atol", type=float, default=1e-5)
    ap.add_argument("sets", nargs="*")
    args = ap.parse_args()
    torch.set_num_threads(1)
    sets = args.sets or sorted(os.path.basename(os.path.dirname(p))
                               for p in glob.glob(os.path.join(args.golden, "*", "all_config.yaml")))
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        install_shims(tmp)
        sys.path.insert(0, upstream_source(args.upstream, tmp))
        from models.recursive_reasoning.trm import TinyRecursiveReasoningModel_ACTV1 as cls
        for s in sets:
            dl, dq = run_set(cls, os.path.join(args.golden, s))
            good = max(dl, dq) <= args.atol
            ok &= good
            print("%-18s upstream trm.py (fp32) vs expected: max|dlogits| %.2e  max|dq| %.2e  %s"
                  % (s, dl, dq, "OK" if good else "MISMATCH"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
