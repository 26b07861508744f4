#!/usr/bin/python3
"""Self-contained PyTorch reference of Tiny Recursive Model (TRM) inference.

Written from /work/shared/TRM-SPEC.md and checked against the public reference
(SamsungSAILMontreal/TinyRecursiveModels, models/recursive_reasoning/trm.py,
models/layers.py).  It does not import the reference's code.

Library use (run with Debian's /usr/bin/python3, which has torch 1.13):

    import trm_reference as ref
    cfg = ref.load_config("test/golden/attn_rope_prefix")     # dir, yaml or json
    w = ref.load_weights("test/golden/attn_rope_prefix/step_1000", cfg)
    out = ref.run_inference(cfg, w, inputs, puzzle_ids, dtype=torch.float64)
    out["step_logits"]  # [B, K, S, V]
    out["step_q"]       # [B, K, 2]  (q_halt, q_continue)
    out["fixed_preds"], out["halt_steps"], out["halt_preds"], ...

CLI:
    /usr/bin/python3 tools/reference/trm_reference.py --dir test/golden/NAME [--dtype float64]
    /usr/bin/python3 tools/reference/trm_reference.py --random-config cfg.json --batch 8 --time
"""
import argparse
import collections
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

# --------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------

# Defaults of the reference's TinyRecursiveReasoningModel_ACTV1Config (trm.py).
# NOTE: puzzle_emb_len defaults to 16 there (not 0) when the yaml omits it.
ARCH_DEFAULTS = {
    "puzzle_emb_ndim": 0,
    "rms_norm_eps": 1e-5,
    "rope_theta": 10000.0,
    "forward_dtype": "bfloat16",
    "mlp_t": False,
    "puzzle_emb_len": 16,
    "no_ACT_continue": True,
    "H_layers": 0,
    "halt_exploration_prob": 0.1,
}
ARCH_REQUIRED = ["hidden_size", "num_heads", "expansion", "L_layers", "H_cycles",
                 "L_cycles", "halt_max_steps", "pos_encodings"]
DATASET_REQUIRED = ["seq_len", "vocab_size"]


def find_multiple(a, b):
    return -(a // -b) * b


def swiglu_inter(expansion, width):
    """Intermediate width of the reference's SwiGLU (Python's round: ties to even)."""
    return find_multiple(round(expansion * width * 2 / 3), 256)


class TRMConfig:
    """Resolved inference configuration."""

    def __init__(self, arch, dataset):
        a = dict(ARCH_DEFAULTS)
        a.update({k: v for k, v in arch.items() if k != "loss"})
        missing = [k for k in ARCH_REQUIRED if k not in a]
        missing += [k for k in DATASET_REQUIRED if k not in dataset]
        if missing:
            raise ValueError("config lacks fields: %s" % ", ".join(missing))
        self.arch = a
        self.hidden_size = int(a["hidden_size"])
        self.num_heads = int(a["num_heads"])
        self.expansion = float(a["expansion"])
        self.L_layers = int(a["L_layers"])
        self.H_cycles = int(a["H_cycles"])
        self.L_cycles = int(a["L_cycles"])
        self.halt_max_steps = int(a["halt_max_steps"])
        self.pos_encodings = str(a["pos_encodings"])
        self.mlp_t = bool(a["mlp_t"])
        self.puzzle_emb_ndim = int(a["puzzle_emb_ndim"])
        self.puzzle_emb_len_cfg = int(a["puzzle_emb_len"])
        self.rms_norm_eps = float(a["rms_norm_eps"])
        self.rope_theta = float(a["rope_theta"])
        self.forward_dtype = str(a["forward_dtype"])
        self.no_ACT_continue = bool(a["no_ACT_continue"])
        self.seq_len = int(dataset["seq_len"])
        self.vocab_size = int(dataset["vocab_size"])
        self.num_puzzle_identifiers = int(dataset.get("num_puzzle_identifiers", 1))

        D = self.hidden_size
        # trm.py: puzzle_emb_len = ceil(ndim / D) if puzzle_emb_len == 0 else puzzle_emb_len
        self.P = -(self.puzzle_emb_ndim // -D) if self.puzzle_emb_len_cfg == 0 else self.puzzle_emb_len_cfg
        if self.puzzle_emb_ndim == 0 and self.P != 0:
            # The reference would build z of S+P positions but concatenate no prefix: its
            # forward fails on a shape mismatch (trm.py: empty_carry vs _input_embeddings).
            # An explicit puzzle_emb_len is refused; the default (16) is taken to mean 0.
            if "puzzle_emb_len" in arch:
                raise ValueError("puzzle_emb_ndim == 0 with puzzle_emb_len == %d: the reference "
                                 "model cannot run this (set puzzle_emb_len: 0)" % self.P)
            print("warning: puzzle_emb_ndim 0 and no puzzle_emb_len (reference default 16, "
                  "which the reference cannot run): using P = 0", file=sys.stderr)
            self.P = 0
        if self.puzzle_emb_ndim > self.P * D:
            raise ValueError("puzzle_emb_ndim %d does not fit in %d prefix tokens of width %d"
                             % (self.puzzle_emb_ndim, self.P, D))
        if D % self.num_heads:
            raise ValueError("hidden_size not divisible by num_heads")
        self.head_dim = D // self.num_heads
        self.L = self.seq_len + self.P
        self.inter = swiglu_inter(self.expansion, D)
        self.inter_t = swiglu_inter(self.expansion, self.L)

    def summary(self):
        mix = "mlp_t" if self.mlp_t else "attn(H=%d)" % self.num_heads
        return ("D=%d %s e=%g L_layers=%d T=%d n=%d K=%d pos=%s P=%d (ndim %d) S=%d L=%d V=%d "
                "ids=%d I=%d%s" % (self.hidden_size, mix, self.expansion, self.L_layers,
                                   self.H_cycles, self.L_cycles, self.halt_max_steps,
                                   self.pos_encodings, self.P, self.puzzle_emb_ndim,
                                   self.seq_len, self.L, self.vocab_size,
                                   self.num_puzzle_identifiers, self.inter,
                                   " I_t=%d" % self.inter_t if self.mlp_t else ""))

    def flops_per_sample(self):
        """Matmul FLOPs of one full (halt_max_steps) inference, spec cost model."""
        D, L, I = self.hidden_size, self.L, self.inter
        if self.mlp_t:
            layer = 6 * D * L * self.inter_t + 6 * L * D * I
        else:
            layer = 8 * L * D * D + 4 * L * L * D + 6 * L * D * I
        calls = self.H_cycles * (self.L_cycles + 1)
        return self.halt_max_steps * (calls * self.L_layers * layer
                                      + 2 * L * D * self.vocab_size + 4 * D)


def _read_yaml(path):
    import yaml
    with open(path) as f:
        return yaml.safe_load(f)


def config_from_dict(d, dataset=None):
    """d: either {"arch": {...}, ...} (all_config.yaml layout or the project's JSON) or a
    flat dict of arch fields. Data-set fields come from `dataset`, else from d's top
    level, else from d["arch"]."""
    arch = d["arch"] if "arch" in d else d
    ds = {}
    for src in (arch, d, dataset or {}):
        for k in ("seq_len", "vocab_size", "num_puzzle_identifiers"):
            if k in src:
                ds[k] = src[k]
    return TRMConfig(arch, ds)


def load_config(path):
    """path: a directory holding all_config.yaml (+ dataset.json), or a .yaml/.json file.
    dataset.json beside the config file supplies seq_len/vocab_size/num_puzzle_identifiers."""
    if os.path.isdir(path):
        cand = [os.path.join(path, n) for n in ("all_config.yaml", "config.json")]
        cand = [c for c in cand if os.path.exists(c)]
        if not cand:
            raise FileNotFoundError("no all_config.yaml in %s" % path)
        path = cand[0]
    if path.endswith(".json"):
        with open(path) as f:
            d = json.load(f)
    else:
        d = _read_yaml(path)
    dataset = None
    here = os.path.dirname(os.path.abspath(path))
    # Beside the config (the golden sets), else where the trainer read it:
    # <data_path>/{test,train}/dataset.json (puzzle_dataset.py), relative to cwd or here.
    cands = [os.path.join(here, "dataset.json")]
    for dp in (d.get("data_paths_test") or []) + (d.get("data_paths") or []):
        for base in ("", here):
            for split in ("test", "train"):
                cands.append(os.path.join(base, dp, split, "dataset.json"))
    for dpath in cands:
        if os.path.exists(dpath) and os.path.abspath(dpath) != os.path.abspath(path):
            with open(dpath) as f:
                dataset = json.load(f)
            break
    return config_from_dict(d, dataset)


# --------------------------------------------------------------------------
# Weights
# --------------------------------------------------------------------------

STRIP_PREFIXES = ("_orig_mod.", "model.", "inner.")


def canonical_key(k):
    changed = True
    while changed:
        changed = False
        for p in STRIP_PREFIXES:
            if k.startswith(p):
                k = k[len(p):]
                changed = True
    return k


def expected_shapes(cfg):
    """Canonical key -> shape, in the order the reference's state_dict() lists them
    (module's own buffers H_init/L_init first, then children in registration order)."""
    D, V = cfg.hidden_size, cfg.vocab_size
    s = collections.OrderedDict()
    s["H_init"] = (D,)
    s["L_init"] = (D,)
    s["embed_tokens.embedding_weight"] = (V, D)
    s["lm_head.weight"] = (V, D)
    s["q_head.weight"] = (2, D)
    s["q_head.bias"] = (2,)
    if cfg.puzzle_emb_ndim > 0:
        s["puzzle_emb.weights"] = (cfg.num_puzzle_identifiers, cfg.puzzle_emb_ndim)
    if cfg.pos_encodings == "learned":
        s["embed_pos.embedding_weight"] = (cfg.L, D)
    H, hd = cfg.num_heads, cfg.head_dim
    for i in range(cfg.L_layers):
        p = "L_level.layers.%d." % i
        if cfg.mlp_t:
            s[p + "mlp_t.gate_up_proj.weight"] = (2 * cfg.inter_t, cfg.L)
            s[p + "mlp_t.down_proj.weight"] = (cfg.L, cfg.inter_t)
        else:
            s[p + "self_attn.qkv_proj.weight"] = (3 * H * hd, D)
            s[p + "self_attn.o_proj.weight"] = (D, H * hd)
        s[p + "mlp.gate_up_proj.weight"] = (2 * cfg.inter, D)
        s[p + "mlp.down_proj.weight"] = (D, cfg.inter)
    return s


def canonicalize(state_dict, cfg=None, strict=True):
    """Strip prefixes; with cfg, check the key set and shapes."""
    out = collections.OrderedDict()
    for k, v in state_dict.items():
        ck = canonical_key(k)
        if ck in out:
            raise ValueError("duplicate key after prefix strip: %s" % k)
        out[ck] = v
    if cfg is not None:
        exp = expected_shapes(cfg)
        missing = [k for k in exp if k not in out]
        extra = [k for k in out if k not in exp]
        if missing or (strict and extra):
            raise ValueError("state_dict mismatch: missing %s, unexpected %s" % (missing, extra))
        for k, shp in exp.items():
            if tuple(out[k].shape) != shp:
                raise ValueError("%s: shape %s, expected %s" % (k, tuple(out[k].shape), shp))
    return out


SAFETENSORS_DTYPES = {
    "F64": (torch.float64, np.float64), "F32": (torch.float32, np.float32),
    "F16": (torch.float16, np.float16), "BF16": (torch.bfloat16, np.int16),
    "I64": (torch.int64, np.int64), "I32": (torch.int32, np.int32),
    "I16": (torch.int16, np.int16), "I8": (torch.int8, np.int8), "U8": (torch.uint8, np.uint8),
}
TORCH_TO_ST = {v[0]: k for k, v in SAFETENSORS_DTYPES.items()}


def read_safetensors(path):
    """Minimal safetensors reader -> (OrderedDict name -> torch tensor, metadata)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"),
                        object_pairs_hook=collections.OrderedDict)
    meta = header.pop("__metadata__", None)
    base = 8 + n
    out = collections.OrderedDict()
    for name, info in header.items():
        tdt, ndt = SAFETENSORS_DTYPES[info["dtype"]]
        b, e = info["data_offsets"]
        arr = np.frombuffer(data, dtype=np.dtype(ndt).newbyteorder("<"),
                            count=(e - b) // np.dtype(ndt).itemsize, offset=base + b)
        t = torch.from_numpy(arr.astype(np.dtype(ndt), copy=True)).reshape(info["shape"])
        if tdt == torch.bfloat16:
            t = t.view(torch.bfloat16)
        out[name] = t
    return out, meta


def write_safetensors(path, tensors, metadata=None):
    """Minimal safetensors writer: 8-byte LE header size, JSON header padded with spaces
    to a multiple of 8 (as the official library does), raw little-endian data in order."""
    header = collections.OrderedDict()
    if metadata is not None:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blobs, off = [], 0
    for name, t in tensors.items():
        t = t.detach().cpu().contiguous()
        if t.dtype == torch.bfloat16:
            raw = t.view(torch.int16).numpy().astype("<i2").tobytes()
        else:
            raw = t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": TORCH_TO_ST[t.dtype], "shape": list(t.shape),
                        "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    hb = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hb += b" " * ((-len(hb)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for b in blobs:
            f.write(b)


def load_state_dict_file(path):
    """Raw (non-canonicalized) tensors of a checkpoint: torch.save file or .safetensors."""
    with open(path, "rb") as f:
        magic = f.read(8)
    if path.endswith(".safetensors") or not (magic.startswith(b"PK") or magic[:1] == b"\x80"):
        return read_safetensors(path)[0]
    sd = torch.load(path, map_location="cpu")
    if not isinstance(sd, dict):
        raise ValueError("%s does not hold a state_dict" % path)
    return sd


def load_weights(path, cfg=None):
    return canonicalize(load_state_dict_file(path), cfg)


def find_checkpoint(d):
    """The checkpoint in a directory: the highest step_N, else model.safetensors."""
    steps = [n for n in os.listdir(d) if n.startswith("step_") and n[5:].isdigit()]
    if steps:
        return os.path.join(d, max(steps, key=lambda n: int(n[5:])))
    st = os.path.join(d, "model.safetensors")
    if os.path.exists(st):
        return st
    raise FileNotFoundError("no step_N or model.safetensors in %s" % d)


def _trunc_normal(rng, shape, std):
    x = rng.standard_normal(shape)
    return np.clip(x, -2.0, 2.0) * std


def random_weights(cfg, seed=0, residual_scale=1.0, q_head=None):
    """Weights in the reference trainer's style: truncated LeCun-normal linear layers,
    embeddings with std 1/sqrt(D), H_init/L_init std 1 stored in forward_dtype, all other
    tensors fp32.  The output projections of residual branches (o_proj, mlp.down_proj,
    mlp_t.down_proj) are multiplied by residual_scale (< 1 makes the recursion well
    conditioned, as in a trained model).  q_head: None -> small random weight and zero bias,
    else a (weight [2,D], bias [2]) pair of arrays.  Deterministic (numpy PCG64)."""
    rng = np.random.default_rng(seed)
    D = cfg.hidden_size
    fwd = getattr(torch, cfg.forward_dtype)
    out = collections.OrderedDict()
    for k, shp in expected_shapes(cfg).items():
        if k in ("H_init", "L_init"):
            arr = _trunc_normal(rng, shp, 1.0)
        elif k.startswith("embed_") or k.startswith("puzzle_emb"):
            arr = _trunc_normal(rng, shp, 1.0 / math.sqrt(D))
        elif k == "q_head.weight":
            arr = _trunc_normal(rng, shp, 0.1 / math.sqrt(D)) if q_head is None else q_head[0]
        elif k == "q_head.bias":
            arr = np.zeros(shp) if q_head is None else q_head[1]
        else:
            arr = _trunc_normal(rng, shp, 1.0 / math.sqrt(shp[1]))
            if k.endswith("o_proj.weight") or k.endswith("down_proj.weight"):
                arr = arr * residual_scale
        t = torch.from_numpy(np.asarray(arr, dtype=np.float64))
        out[k] = t.to(fwd) if k in ("H_init", "L_init") else t.to(torch.float32)
    return out


# --------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------

def rms_norm(x, eps):
    return x * torch.rsqrt(x.square().mean(-1, keepdim=True) + eps)


def rope_cos_sin(cfg, dtype, device="cpu"):
    hd, L = cfg.head_dim, cfg.L
    if dtype == torch.float64:
        inv = 1.0 / (cfg.rope_theta ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
        t = torch.arange(L, dtype=torch.float64)
    else:
        # As the reference computes them (layers.py RotaryEmbedding): fp32 throughout.
        inv = 1.0 / (cfg.rope_theta ** (torch.arange(0, hd, 2, dtype=torch.float32) / hd))
        t = torch.arange(L, dtype=torch.float32)
    freqs = torch.outer(t, inv)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos().to(dtype).to(device), emb.sin().to(dtype).to(device)


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def swiglu(x, gate_up, down):
    g, u = (x @ gate_up.t()).chunk(2, dim=-1)
    return (F.silu(g) * u) @ down.t()


def attention(h, qkv_w, o_w, cfg, cos_sin):
    B, L, _ = h.shape
    H, hd = cfg.num_heads, cfg.head_dim
    qkv = (h @ qkv_w.t()).view(B, L, 3 * H, hd)
    q, k, v = qkv[:, :, :H], qkv[:, :, H:2 * H], qkv[:, :, 2 * H:]
    if cos_sin is not None:
        cos, sin = cos_sin[0].unsqueeze(-2), cos_sin[1].unsqueeze(-2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
    q, k, v = (t.transpose(1, 2) for t in (q, k, v))           # [B, H, L, hd]
    s = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(hd))
    o = torch.softmax(s, dim=-1) @ v                             # [B, H, L, hd]
    return o.transpose(1, 2).reshape(B, L, H * hd) @ o_w.t()


def net(h, inj, W, cfg, cos_sin):
    """The shared network ("L_level"): post-norm blocks."""
    eps = cfg.rms_norm_eps
    h = h + inj
    for i in range(cfg.L_layers):
        p = "L_level.layers.%d." % i
        if cfg.mlp_t:
            ht = h.transpose(1, 2)                                 # [B, D, L]
            ht = rms_norm(ht + swiglu(ht, W[p + "mlp_t.gate_up_proj.weight"],
                                      W[p + "mlp_t.down_proj.weight"]), eps)
            h = ht.transpose(1, 2)
        else:
            h = rms_norm(h + attention(h, W[p + "self_attn.qkv_proj.weight"],
                                       W[p + "self_attn.o_proj.weight"], cfg, cos_sin), eps)
        h = rms_norm(h + swiglu(h, W[p + "mlp.gate_up_proj.weight"],
                                W[p + "mlp.down_proj.weight"]), eps)
    return h


def input_embedding(tokens, puzzle_ids, W, cfg):
    D = cfg.hidden_size
    e = W["embed_tokens.embedding_weight"][tokens]                 # [B, S, D]
    if cfg.puzzle_emb_ndim > 0:
        pe = W["puzzle_emb.weights"][puzzle_ids]                   # [B, ndim]
        pad = cfg.P * D - pe.shape[-1]
        if pad > 0:
            pe = F.pad(pe, (0, pad))
        e = torch.cat((pe.view(-1, cfg.P, D), e), dim=-2)
    if cfg.pos_encodings == "learned":
        e = 0.707106781 * (e + W["embed_pos.embedding_weight"])
    return math.sqrt(D) * e


def halting(step_logits, step_q):
    """Derived results of both halting policies from per-step outputs (numpy).
    fixed: the last step.  q_halt: the first step with q_halt > 0, else the last."""
    B, K = step_q.shape[:2]
    halted = step_q[..., 0] > 0
    first = np.where(halted.any(axis=1), halted.argmax(axis=1), K - 1)
    idx = np.arange(B)
    return {
        "fixed_preds": step_logits[:, -1].argmax(-1).astype(np.int32),
        "fixed_logits": step_logits[:, -1],
        "halt_steps": (first + 1).astype(np.int32),
        "halt_preds": step_logits[idx, first].argmax(-1).astype(np.int32),
        "halt_logits": step_logits[idx, first],
        "halt_q_halt": step_q[idx, first, 0],
    }


@torch.no_grad()
def run_inference(cfg, weights, inputs, puzzle_ids=None, dtype=torch.float64, device="cpu",
                  steps=None, return_state=False, derive=True):
    """Run `steps` (default halt_max_steps) supervision steps for every sample.
    Returns numpy arrays: step_logits [B,K,S,V], step_q [B,K,2] and, with derive, the
    results of both halting policies (see halting()).  return_state adds step_zh0 [B,K,D]
    (z_H at position 0 after each step, what q_head reads)."""
    if isinstance(dtype, str):
        dtype = getattr(torch, dtype)
    K = cfg.halt_max_steps if steps is None else steps
    W = {k: v.to(device=device, dtype=dtype) for k, v in weights.items()}
    tokens = torch.as_tensor(np.asarray(inputs), device=device).long()
    B, S = tokens.shape
    if S != cfg.seq_len:
        raise ValueError("inputs have %d positions, config seq_len %d" % (S, cfg.seq_len))
    if tokens.min() < 0 or tokens.max() >= cfg.vocab_size:
        raise ValueError("token id out of range")
    if puzzle_ids is None:
        puzzle_ids = np.zeros((B,), np.int64)
    pids = torch.as_tensor(np.asarray(puzzle_ids), device=device).long()
    if cfg.puzzle_emb_ndim > 0 and (pids.min() < 0 or pids.max() >= W["puzzle_emb.weights"].shape[0]):
        raise ValueError("puzzle identifier out of range")

    x = input_embedding(tokens, pids, W, cfg)                      # [B, L, D]
    cos_sin = rope_cos_sin(cfg, dtype, device) if cfg.pos_encodings == "rope" else None
    shape = (B, cfg.L, cfg.hidden_size)
    zH = W["H_init"].expand(shape).clone()
    zL = W["L_init"].expand(shape).clone()
    logits_all, q_all, zh0_all = [], [], []
    for _ in range(K):
        for _t in range(cfg.H_cycles):
            for _n in range(cfg.L_cycles):
                zL = net(zL, zH + x, W, cfg, cos_sin)
            zH = net(zH, zL, W, cfg, cos_sin)
        logits_all.append((zH[:, cfg.P:] @ W["lm_head.weight"].t()).cpu())
        q_all.append((zH[:, 0] @ W["q_head.weight"].t() + W["q_head.bias"]).cpu())
        if return_state:
            zh0_all.append(zH[:, 0].cpu())
    out = {"step_logits": torch.stack(logits_all, 1).numpy(),
           "step_q": torch.stack(q_all, 1).numpy()}
    if return_state:
        out["step_zh0"] = torch.stack(zh0_all, 1).numpy()
    if derive:
        out.update(halting(out["step_logits"], out["step_q"]))
    return out


def top2_gap(logits):
    """top-1 minus top-2 value along the last axis."""
    s = np.sort(logits, axis=-1)
    return s[..., -1] - s[..., -2]


# --------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------

EXPECTED_FILES = {
    "step_logits": "step_logits.npy", "step_q": "step_q.npy", "fixed_preds": "fixed_preds.npy",
    "halt_steps": "halt_steps.npy", "halt_preds": "halt_preds.npy",
    "halt_logits": "halt_logits.npy", "halt_q_halt": "halt_q_halt.npy",
}


def _print_results(cfg, out, max_rows=8):
    B, K = out["step_q"].shape[:2]
    np.set_printoptions(linewidth=160, precision=4, suppress=True)
    for b in range(min(B, max_rows)):
        print("sample %d: halt step %d/%d (q_halt %+.4f)" % (
            b, out["halt_steps"][b], K, out["halt_q_halt"][b]))
        print("  q_halt per step:", np.array2string(out["step_q"][b, :, 0], precision=3))
        print("  fixed preds:", "".join("%x" % int(t) if t < 16 else "?" for t in out["fixed_preds"][b]))
        print("  halt  preds:", "".join("%x" % int(t) if t < 16 else "?" for t in out["halt_preds"][b]))


def _compare_expected(d, out):
    ed = os.path.join(d, "expected")
    if not os.path.isdir(ed):
        return True
    ok = True
    for k, fn in EXPECTED_FILES.items():
        p = os.path.join(ed, fn)
        if not os.path.exists(p):
            continue
        e = np.load(p)
        a = out[k]
        if e.dtype.kind in "iu":
            n = int((a.astype(np.int64) != e.astype(np.int64)).sum())
            print("  %-12s %s mismatches=%d" % (k, "ok" if n == 0 else "DIFF", n))
            ok &= n == 0
        else:
            diff = float(np.abs(a.astype(np.float64) - e.astype(np.float64)).max())
            print("  %-12s max_abs_diff=%.3e" % (k, diff))
    return ok


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", help="golden/checkpoint dir: all_config.yaml, dataset.json, step_N")
    ap.add_argument("--checkpoint", help="checkpoint file (default: highest step_N in --dir)")
    ap.add_argument("--config", help="config file (default: --dir)")
    ap.add_argument("--inputs", help="int .npy [B,S] (default: DIR/inputs.npy)")
    ap.add_argument("--puzzle-ids", help="int .npy [B] (default: DIR/puzzle_identifiers.npy)")
    ap.add_argument("--random-config", help="json/yaml config: run on random weights")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--residual-scale", type=float, default=1.0)
    ap.add_argument("--steps", type=int, help="supervision steps (default halt_max_steps)")
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch default)")
    ap.add_argument("--time", action="store_true", help="time the inference (1 warm-up run)")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--out", help="write the result arrays as .npy files into this dir")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    if args.random_config:
        cfg = load_config(args.random_config)
        w = random_weights(cfg, args.seed, args.residual_scale)
        rng = np.random.default_rng(args.seed + 1)
        inputs = rng.integers(0, cfg.vocab_size, (args.batch, cfg.seq_len)).astype(np.int32)
        pids = rng.integers(0, cfg.num_puzzle_identifiers, (args.batch,)).astype(np.int32)
    elif args.dir or args.config:
        d = args.dir or os.path.dirname(args.config)
        cfg = load_config(args.config or d)
        ck = args.checkpoint or find_checkpoint(d)
        w = load_weights(ck, cfg)
        inputs = np.load(args.inputs or os.path.join(d, "inputs.npy"))
        pp = args.puzzle_ids or os.path.join(d, "puzzle_identifiers.npy")
        pids = np.load(pp) if os.path.exists(pp) else None
        print("checkpoint:", ck)
    else:
        ap.error("need --dir or --random-config")

    print("config:", cfg.summary())
    print("batch %d, dtype %s, threads %d" % (inputs.shape[0], args.dtype, torch.get_num_threads()))
    if args.time:
        run_inference(cfg, w, inputs, pids, args.dtype, args.device, steps=1, derive=False)
    t0 = time.perf_counter()
    for _ in range(args.repeat):
        out = run_inference(cfg, w, inputs, pids, args.dtype, args.device, steps=args.steps)
    dt = (time.perf_counter() - t0) / args.repeat
    if args.time:
        K = out["step_q"].shape[1]
        fl = cfg.flops_per_sample() * K / cfg.halt_max_steps * inputs.shape[0]
        print("time %.4f s per batch (%d steps), %.3f ms/sample, %.2f GFLOP/s (%.3g GFLOP)"
              % (dt, K, 1e3 * dt / inputs.shape[0], fl / dt / 1e9, fl / 1e9))
    if not args.quiet:
        _print_results(cfg, out)
    ok = True
    if args.dir and not args.random_config:
        print("vs expected/ (%s run):" % args.dtype)
        ok = _compare_expected(args.dir, out)
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        for k, v in out.items():
            np.save(os.path.join(args.out, k + ".npy"), v)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
