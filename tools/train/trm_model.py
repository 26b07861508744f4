"""A Tiny Recursive Model (TRM) in plain PyTorch 1.13, written from
/work/shared/TRM-SPEC.md and the TRM paper.  Parameter names and shapes follow
the reference implementation so that `TRMWrapper(...).state_dict()` has the
reference checkpoint keys (`model.inner.<canonical name>`).

Inference semantics (what the compiler reproduces):
  x    = sqrt(D) * [puzzle prefix ; embed_tokens[tokens]]   (+ learned pos.)
  net(h, inj): h = h + inj; per block (post-norm):
        h = rms(h + mix(h))  with mix = attention or token-mixing SwiGLU (mlp_t)
        h = rms(h + SwiGLU_D(h))
  step: repeat H_cycles { repeat L_cycles { z_L = net(z_L, z_H + x) };
                          z_H = net(z_H, z_L) }
        logits = lm_head(z_H)[:, P:],  q = q_head(z_H[:, 0])
"""
import math

import torch
import torch.nn.functional as F
from torch import nn


def trunc_normal_(t, std=1.0, lower=-2.0, upper=2.0, generator=None):
    """Truncated normal whose actual standard deviation is `std` (like JAX)."""
    with torch.no_grad():
        if std == 0:
            return t.zero_()
        sqrt2 = math.sqrt(2)
        a, b = math.erf(lower / sqrt2), math.erf(upper / sqrt2)
        z = (b - a) / 2
        c = (2 * math.pi) ** -0.5
        pdf_u, pdf_l = c * math.exp(-0.5 * lower ** 2), c * math.exp(-0.5 * upper ** 2)
        comp_std = std / math.sqrt(1 - (upper * pdf_u - lower * pdf_l) / z - ((pdf_u - pdf_l) / z) ** 2)
        t.uniform_(a, b, generator=generator).erfinv_().mul_(sqrt2 * comp_std)
        return t.clamp_(lower * comp_std, upper * comp_std)


def swiglu_inter(expansion, width):
    inter = round(expansion * width * 2 / 3)
    return ((inter + 255) // 256) * 256


def rms(x, eps):
    if x.dtype in (torch.float16, torch.bfloat16):
        x = x.float()  # at least fp32 (float64 stays float64 for reference checks)
    return x * torch.rsqrt(x.square().mean(-1, keepdim=True) + eps)


class Linear(nn.Module):
    def __init__(self, fan_in, fan_out, bias=False):
        super().__init__()
        self.weight = nn.Parameter(trunc_normal_(torch.empty(fan_out, fan_in), std=1.0 / math.sqrt(fan_in)))
        self.bias = nn.Parameter(torch.zeros(fan_out)) if bias else None

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)


class Embedding(nn.Module):
    def __init__(self, num, dim, std):
        super().__init__()
        self.embedding_weight = nn.Parameter(trunc_normal_(torch.empty(num, dim), std=std))

    def forward(self, idx):
        return F.embedding(idx.long(), self.embedding_weight)


class SwiGLU(nn.Module):
    def __init__(self, width, expansion):
        super().__init__()
        inter = swiglu_inter(expansion, width)
        self.gate_up_proj = Linear(width, 2 * inter)
        self.down_proj = Linear(inter, width)

    def forward(self, x):
        g, u = self.gate_up_proj(x).chunk(2, dim=-1)
        return self.down_proj(F.silu(g) * u)


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads, self.hd = heads, dim // heads
        self.qkv_proj = Linear(dim, 3 * dim)
        self.o_proj = Linear(dim, dim)

    def forward(self, h, cos_sin):
        B, L, _ = h.shape
        qkv = self.qkv_proj(h).view(B, L, 3 * self.heads, self.hd)
        q, k, v = qkv[:, :, :self.heads], qkv[:, :, self.heads:2 * self.heads], qkv[:, :, 2 * self.heads:]
        if cos_sin is not None:
            cos, sin = cos_sin  # [L, hd]
            cos, sin = cos[:, None, :], sin[:, None, :]
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))  # [B, H, L, hd]
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(self.hd), dim=-1)
        o = (att @ v).transpose(1, 2).reshape(B, L, self.heads * self.hd)
        return self.o_proj(o)


class Block(nn.Module):
    def __init__(self, cfg, total_len):
        super().__init__()
        self.mlp_t_on = bool(cfg["mlp_t"])
        self.eps = cfg.get("rms_norm_eps", 1e-5)
        if self.mlp_t_on:
            self.mlp_t = SwiGLU(total_len, cfg["expansion"])
        else:
            self.self_attn = Attention(cfg["hidden_size"], cfg["num_heads"])
        self.mlp = SwiGLU(cfg["hidden_size"], cfg["expansion"])

    def forward(self, h, cos_sin):
        if self.mlp_t_on:
            t = h.transpose(1, 2)
            h = rms(t + self.mlp_t(t), self.eps).transpose(1, 2)
        else:
            h = rms(h + self.self_attn(h, cos_sin), self.eps)
        return rms(h + self.mlp(h), self.eps)


class ReasoningModule(nn.Module):
    def __init__(self, blocks):
        super().__init__()
        self.layers = nn.ModuleList(blocks)

    def forward(self, h, inj, cos_sin):
        h = h + inj
        for layer in self.layers:
            h = layer(h, cos_sin)
        return h


def puzzle_len(cfg):
    ndim, plen = cfg.get("puzzle_emb_ndim", 0), cfg.get("puzzle_emb_len", 0)
    if ndim == 0:
        return 0
    return plen if plen else -(ndim // -cfg["hidden_size"])


class TRMInner(nn.Module):
    """cfg: the `arch` fields plus seq_len, vocab_size, num_puzzle_identifiers."""

    def __init__(self, cfg, seed=0):
        super().__init__()
        self.cfg = cfg
        D = cfg["hidden_size"]
        self.P = puzzle_len(cfg)
        self.L = cfg["seq_len"] + self.P
        self.embed_scale = math.sqrt(D)
        self.embed_tokens = Embedding(cfg["vocab_size"], D, 1.0 / self.embed_scale)
        self.lm_head = Linear(D, cfg["vocab_size"])
        self.q_head = Linear(D, 2, bias=True)
        with torch.no_grad():  # q starts near "halt never" (sigmoid(-5)).
            self.q_head.weight.zero_()
            self.q_head.bias.fill_(-5)
        if cfg.get("puzzle_emb_ndim", 0) > 0:
            self.puzzle_emb = nn.Module()
            self.puzzle_emb.weights = nn.Parameter(torch.zeros(cfg["num_puzzle_identifiers"], cfg["puzzle_emb_ndim"]))
        pos = cfg["pos_encodings"]
        if pos == "learned":
            self.embed_pos = Embedding(self.L, D, 1.0 / self.embed_scale)
        self.rope = pos == "rope" and not cfg["mlp_t"]
        if self.rope:
            hd = D // cfg["num_heads"]
            inv = 1.0 / (cfg.get("rope_theta", 10000.0) ** (torch.arange(0, hd, 2, dtype=torch.float32) / hd))
            ang = torch.outer(torch.arange(self.L, dtype=torch.float32), inv)
            emb = torch.cat((ang, ang), dim=-1)
            self.register_buffer("rope_cos", emb.cos(), persistent=False)
            self.register_buffer("rope_sin", emb.sin(), persistent=False)
        self.L_level = ReasoningModule([Block(cfg, self.L) for _ in range(cfg["L_layers"])])
        # Initial states: fixed (not trained) random vectors stored in bfloat16
        # like the reference; the model always uses the bf16-rounded values.
        gen = torch.Generator().manual_seed(seed + 12345)
        self.register_buffer("H_init", trunc_normal_(torch.empty(D), std=1, generator=gen).to(torch.bfloat16))
        self.register_buffer("L_init", trunc_normal_(torch.empty(D), std=1, generator=gen).to(torch.bfloat16))

    def cos_sin(self):
        return (self.rope_cos, self.rope_sin) if self.rope else None

    def input_embeddings(self, tokens, pids):
        e = self.embed_tokens(tokens)
        if self.P:
            pe = F.embedding(pids.long(), self.puzzle_emb.weights)
            pad = self.P * self.cfg["hidden_size"] - pe.shape[-1]
            if pad > 0:
                pe = F.pad(pe, (0, pad))
            e = torch.cat((pe.view(-1, self.P, self.cfg["hidden_size"]), e), dim=1)
        if self.cfg["pos_encodings"] == "learned":
            e = 0.707106781 * (e + self.embed_pos.embedding_weight)
        return self.embed_scale * e

    def init_state(self, batch):
        D = self.cfg["hidden_size"]
        dt = self.embed_tokens.embedding_weight.dtype
        zH = self.H_init.to(dt).view(1, 1, D).expand(batch, self.L, D).contiguous()
        zL = self.L_init.to(dt).view(1, 1, D).expand(batch, self.L, D).contiguous()
        return zH, zL

    def step(self, zH, zL, x, grad_last=True):
        """One supervision step. With grad_last, only the last of the H_cycles
        repeats is differentiated (the first H_cycles-1 run under no_grad)."""
        cs = self.cos_sin()
        T, n = self.cfg["H_cycles"], self.cfg["L_cycles"]
        with torch.no_grad():
            for _ in range(T - 1 if grad_last else T):
                for _ in range(n):
                    zL = self.L_level(zL, zH + x, cs)
                zH = self.L_level(zH, zL, cs)
        if grad_last:
            for _ in range(n):
                zL = self.L_level(zL, zH + x, cs)
            zH = self.L_level(zH, zL, cs)
        logits = F.linear(zH, self.lm_head.weight)[:, self.P:]
        q = self.q_head(zH[:, 0])
        return zH, zL, logits, q[..., 0], q[..., 1]


class TRMWrapper(nn.Module):
    """Gives state_dict keys the reference layout: model.inner.<name>."""

    def __init__(self, cfg, seed=0):
        super().__init__()
        self.model = nn.Module()
        self.model.inner = TRMInner(cfg, seed)

    @property
    def inner(self):
        return self.model.inner


def load_checkpoint(model_dir, step_file=None):
    """Loads a bundled model directory (all_config.yaml, dataset.json, step_N)."""
    import glob
    import json
    import os
    import yaml  # python3-yaml
    with open(os.path.join(model_dir, "all_config.yaml")) as f:
        allcfg = yaml.safe_load(f)
    with open(os.path.join(model_dir, "dataset.json")) as f:
        ds = json.load(f)
    cfg = dict(allcfg["arch"])
    for k in ("seq_len", "vocab_size", "num_puzzle_identifiers"):
        cfg[k] = ds[k]
    if step_file is None:
        cands = sorted(glob.glob(os.path.join(model_dir, "step_*")),
                       key=lambda p: int(p.rsplit("_", 1)[1]))
        step_file = cands[-1]
    sd = torch.load(step_file, map_location="cpu")
    sd = {k.replace("_orig_mod.", ""): v for k, v in sd.items()}
    w = TRMWrapper(cfg)
    w.load_state_dict(sd, strict=True)
    return w.inner.eval(), cfg, ds, step_file
