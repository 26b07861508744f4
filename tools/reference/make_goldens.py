#!/usr/bin/python3
"""Regenerate the golden sets under test/golden/ (deterministic: fixed seeds, numpy PCG64).

    nice -n 10 /usr/bin/python3 tools/reference/make_goldens.py [--out test/golden] [--only NAME]

Each set holds a small well-conditioned TRM checkpoint written exactly as the reference
trainer writes one (all_config.yaml, dataset.json, step_N from torch.save(state_dict)), the
same tensors as model.safetensors, inputs, and the expected outputs computed in float64
by trm_reference.py from the stored (fp32 / bf16) weights.

A set is written only when it passes the checks (see TRM-SPEC.md, "Testing notes"):
  * float32 and float64 reference runs agree on the logits of every step (MAX_F32_DIFF);
  * |q_halt| >= MIN_Q_MARGIN at every (sample, step), in both runs, so the halting
    decisions cannot flip;
  * top-1/top-2 logit gap >= MIN_GAP at every position where predictions are compared
    (fixed_preds: step K; halt_preds: each sample's halting step).  Intermediate steps'
    argmax is not robust (the all-steps minimum gap is printed for information): compare
    per-step results through step_logits with a tolerance;
  * the halting steps are spread: some sample halts at step <= 3, some later, some never;
  * sensitivity: a few plausible implementation mistakes change the float64 step-K
    logits by far more than a test tolerance (MIN_MUTATION_EFFECT).
Failing attempts are re-drawn with the next seed; after MAX_ATTEMPTS the set is refused.
"""
import argparse
import collections
import contextlib
import json
import math
import os
import shutil
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import trm_reference as R  # noqa: E402

MAX_F32_DIFF = 5e-6
MIN_Q_MARGIN = 0.05
MIN_GAP = 1e-3
MIN_MUTATION_EFFECT = 1e-2
MAX_ATTEMPTS = 40
Q_TARGET_MARGIN = 0.3     # q_head is scaled so that min |q_halt| is about this

# --------------------------------------------------------------------------
# Input generators (token encodings of the reference data-set builders)
# --------------------------------------------------------------------------


def arc_inputs(rng, B, side, num_ids):
    """ARC-like: 0 pad, 1 end-of-grid marker, 2..11 colours; a random grid placed at a
    random offset, <eos> row/column after it, pad elsewhere."""
    out = np.zeros((B, side, side), np.int32)
    for b in range(B):
        nr, nc = rng.integers(2, side, size=2)
        r0 = rng.integers(0, side - nr + 1)
        c0 = rng.integers(0, side - nc + 1)
        out[b, r0:r0 + nr, c0:c0 + nc] = rng.integers(2, 12, size=(nr, nc))
        if r0 + nr < side:
            out[b, r0 + nr, c0:c0 + nc] = 1
        if c0 + nc < side:
            out[b, r0:r0 + nr, c0 + nc] = 1
    if B > 1:
        out[-1] = rng.integers(2, 12, size=(side, side))        # a full-size grid, no pad
    ids = rng.integers(0, num_ids, size=B).astype(np.int32)
    ids[0] = 0                                                  # the blank identifier
    ids[-1] = num_ids - 1                                       # the last identifier
    return out.reshape(B, -1), ids


def sudoku_inputs(rng, B):
    """Sudoku-like: 1 blank, 2..10 digits 1..9 of a valid grid (a permuted pattern)."""
    base = np.array([[(3 * (r % 3) + r // 3 + c) % 9 for c in range(9)] for r in range(9)])
    out = np.zeros((B, 81), np.int32)
    for b in range(B):
        digits = rng.permutation(9)
        bands = rng.permutation(3)
        rows = np.concatenate([3 * k + rng.permutation(3) for k in bands])
        stacks = rng.permutation(3)
        cols = np.concatenate([3 * k + rng.permutation(3) for k in stacks])
        grid = digits[base[rows][:, cols]] + 2
        blank = rng.random((9, 9)) < (0.45 + 0.1 * b)
        grid[blank] = 1
        out[b] = grid.reshape(-1)
    return out, np.zeros((B,), np.int32)


def maze_inputs(rng, B, side):
    """Maze-like: 0 pad, 1 '#', 2 ' ', 3 'S', 4 'G', 5 'o'."""
    out = np.zeros((B, side, side), np.int32)
    for b in range(B):
        g = np.where(rng.random((side, side)) < 0.35, 1, 2)
        cells = rng.permutation(side * side)[:4]
        g.flat[cells[0]] = 3
        g.flat[cells[1]] = 4
        g.flat[cells[2:]] = 5
        out[b] = g
    out[0, -1, :] = 0                                            # a pad row
    return out.reshape(B, -1), np.zeros((B,), np.int32)


# --------------------------------------------------------------------------
# The sets
# --------------------------------------------------------------------------

LOSS = {"name": "losses@ACTLossHead", "loss_type": "stablemax_cross_entropy"}
ARCH_BASE = {
    "name": "recursive_reasoning.trm@TinyRecursiveReasoningModel_ACTV1",
    "loss": LOSS,
    "halt_exploration_prob": 0.1,
    "H_layers": 0,
    "L_layers": 2,
    "hidden_size": 64,
    "num_heads": 4,
    "expansion": 4,
    "forward_dtype": "bfloat16",
    "no_ACT_continue": True,
}

SETS = [
    {
        "name": "attn_rope_prefix",
        "about": "ARC-like: attention + RoPE, 1-token puzzle-embedding prefix "
                 "(puzzle_emb_ndim = D, puzzle_emb_len 0 -> ceil(64/64) = 1), torch.compile'd "
                 "keys (_orig_mod.model.inner.), bf16 H_init/L_init, CUDA storage tags",
        "arch": dict(ARCH_BASE, halt_max_steps=16, H_cycles=3, L_cycles=2,
                     puzzle_emb_ndim=64, puzzle_emb_len=0, pos_encodings="rope", mlp_t=False),
        "dataset": {"seq_len": 36, "vocab_size": 12, "num_puzzle_identifiers": 9},
        "data_path": "data/arc1concept-aug-1000", "evaluators": [{"name": "arc@ARC"}],
        "batch": 6, "step": 7812, "prefix": "_orig_mod.model.inner.", "location": "cuda:0",
        "residual_scale": 0.15, "seed": 1000,
        "inputs": lambda rng, cfg, B: arc_inputs(rng, B, 6, cfg.num_puzzle_identifiers),
    },
    {
        "name": "mlpt_nopos",
        "about": "Sudoku-like: mlp_t token mixing, no positions, puzzle_emb_ndim = D with "
                 "an explicit 16-token prefix (L = 97), expansion 2 (I = 256, I_t = 256), "
                 "model.inner. keys, fp32 H_init/L_init",
        "arch": dict(ARCH_BASE, halt_max_steps=16, H_cycles=2, L_cycles=3, expansion=2,
                     forward_dtype="float32",
                     puzzle_emb_ndim=64, puzzle_emb_len=16, pos_encodings="none", mlp_t=True),
        "dataset": {"seq_len": 81, "vocab_size": 11, "num_puzzle_identifiers": 1},
        "data_path": "data/sudoku-extreme-1k-aug-1000", "evaluators": [],
        "batch": 4, "step": 65100, "prefix": "model.inner.", "location": None,
        "residual_scale": 0.1, "seed": 2000,
        "inputs": lambda rng, cfg, B: sudoku_inputs(rng, B),
    },
    {
        "name": "learned_pos",
        "about": "Maze-like: attention + learned positions, no puzzle embedding "
                 "(puzzle_emb_ndim 0, puzzle_emb_len 0 -> P = 0), halt_max_steps 10, "
                 "model.inner. keys, bf16 H_init/L_init",
        "arch": dict(ARCH_BASE, halt_max_steps=10, H_cycles=2, L_cycles=2,
                     puzzle_emb_ndim=0, puzzle_emb_len=0, pos_encodings="learned", mlp_t=False),
        "dataset": {"seq_len": 25, "vocab_size": 6, "num_puzzle_identifiers": 1},
        "data_path": "data/maze-5x5-hard-1k", "evaluators": [],
        "batch": 5, "step": 2604, "prefix": "model.inner.", "location": None,
        "residual_scale": 0.15, "seed": 3000,
        "inputs": lambda rng, cfg, B: maze_inputs(rng, B, 5),
    },
]


def all_config(s):
    """The dict pretrain.py dumps (yaml.dump(PretrainConfig.model_dump()), sorted keys)."""
    run = s["name"].replace("_", "-")
    return {
        "arch": s["arch"],
        "data_paths": [s["data_path"]],
        "data_paths_test": [],
        "evaluators": s["evaluators"],
        "global_batch_size": 768,
        "epochs": 100000,
        "lr": 0.0001,
        "lr_min_ratio": 1.0,
        "lr_warmup_steps": 2000,
        "weight_decay": 0.1,
        "beta1": 0.9,
        "beta2": 0.95,
        "puzzle_emb_lr": 0.01,
        "puzzle_emb_weight_decay": 0.1,
        "project_name": "Golden-ACT-torch",
        "run_name": run,
        "load_checkpoint": None,
        "checkpoint_path": "checkpoints/Golden-ACT-torch/" + run,
        "seed": 0,
        "checkpoint_every_eval": True,
        "eval_interval": 10000,
        "min_eval_interval": 0,
        "eval_save_outputs": [],
        "ema": True,
        "ema_rate": 0.999,
        "freeze_weights": False,
    }


def dataset_json(s, B):
    d = s["dataset"]
    return collections.OrderedDict([
        ("pad_id", 0), ("ignore_label_id", 0), ("blank_identifier_id", 0),
        ("vocab_size", d["vocab_size"]), ("seq_len", d["seq_len"]),
        ("num_puzzle_identifiers", d["num_puzzle_identifiers"]),
        ("total_groups", B), ("mean_puzzle_examples", 1.0), ("total_puzzles", B),
        ("sets", ["all"]),
    ])


def module_metadata(cfg, prefix):
    """state_dict()._metadata of the trainer's module tree (pre-order, registration order)."""
    mods = [""]
    parts = prefix.rstrip(".").split(".")
    for i in range(len(parts)):
        mods.append(".".join(parts[:i + 1]))
    inner = prefix
    kids = ["embed_tokens", "lm_head", "q_head"]
    if cfg.puzzle_emb_ndim > 0:
        kids.append("puzzle_emb")
    if cfg.pos_encodings == "rope":
        kids.append("rotary_emb")
    elif cfg.pos_encodings == "learned":
        kids.append("embed_pos")
    kids += ["L_level", "L_level.layers"]
    for i in range(cfg.L_layers):
        p = "L_level.layers.%d" % i
        kids.append(p)
        if cfg.mlp_t:
            kids += [p + ".mlp_t", p + ".mlp_t.gate_up_proj", p + ".mlp_t.down_proj"]
        else:
            kids += [p + ".self_attn", p + ".self_attn.qkv_proj", p + ".self_attn.o_proj"]
        kids += [p + ".mlp", p + ".mlp.gate_up_proj", p + ".mlp.down_proj"]
    mods += [inner + k for k in kids]
    return collections.OrderedDict((m, {"version": 1}) for m in mods)


@contextlib.contextmanager
def storage_location(tag):
    """Make torch.save record `tag` (e.g. 'cuda:0') as every storage's location, as a
    checkpoint saved from a GPU has it."""
    if tag is None:
        yield
        return
    import torch.serialization as ser
    old = ser.location_tag
    ser.location_tag = lambda storage: tag
    try:
        yield
    finally:
        ser.location_tag = old


# --------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------


def halting_steps(q_halt):
    K = q_halt.shape[1]
    h = q_halt > 0
    return np.where(h.any(1), h.argmax(1), K - 1) + 1


def spread_ok(steps, q_halt, K):
    never = ~(q_halt > 0).any(1)
    early = (steps <= 3).any()
    later = ((steps >= max(4, K // 3)) & (steps <= K - 1)).any()
    return bool(early and later and never.any() and len(set(steps.tolist())) >= min(4, len(steps)))


def choose_q_head(rng, z, K):
    """Pick q_head (weight [2,D], bias [2]) so that the halting steps are spread and
    |q_halt| keeps a margin.  z: float64 z_H[:, 0] per step, [B, K, D]."""
    B, _, D = z.shape
    drift = z[:, -1].mean(0) - z[:, 0].mean(0)
    drift /= np.linalg.norm(drift) + 1e-30
    best = None
    for _ in range(400):
        r = rng.standard_normal(D)
        r /= np.linalg.norm(r)
        th = rng.uniform(0.0, 0.5 * math.pi)
        w = math.cos(th) * drift + math.sin(th) * r
        u = z @ w                                            # [B, K]
        spread = u.max() - u.min()
        for b in -np.linspace(u.min(), u.max(), 161)[1:-1]:
            q = u + b
            steps = halting_steps(q)
            if not spread_ok(steps, q, K):
                continue
            rel = np.abs(q).min() / spread
            if best is None or rel > best[0]:
                best = (rel, w, b, np.abs(q).min())
    if best is None:
        return None
    rel, w, b, margin = best
    scale = Q_TARGET_MARGIN / margin
    w_cont = rng.standard_normal(D) * (0.5 / math.sqrt(D))
    weight = np.stack([w * scale, w_cont])
    bias = np.array([b * scale, rng.uniform(-1.0, 1.0)])
    return weight, bias


MUTATIONS = {}


def mutation(name, applies=lambda cfg: True):
    """A plausible implementation mistake; the goldens must detect it."""
    def deco(f):
        MUTATIONS[name] = (f, applies)
        return f
    return deco


@mutation("rope rotate_half sign", lambda c: c.pos_encodings == "rope")
def _m_rope(R_):
    def bad(x):
        h = x.shape[-1] // 2
        return torch.cat((x[..., h:], -x[..., :h]), dim=-1)
    return [("rotate_half", bad)]


@mutation("attention heads interleaved q/k/v", lambda c: not c.mlp_t)
def _m_heads(R_):
    orig = R_.attention

    def bad(h, qkv_w, o_w, cfg, cos_sin):
        H, hd = cfg.num_heads, cfg.head_dim
        perm = torch.arange(3 * H * hd).view(H, 3, hd).transpose(0, 1).reshape(-1)
        return orig(h, qkv_w[perm], o_w, cfg, cos_sin)
    return [("attention", bad)]


@mutation("swiglu gate/up halves swapped")
def _m_swiglu(R_):
    def bad(x, gate_up, down):
        u, g = (x @ gate_up.t()).chunk(2, dim=-1)
        return (torch.nn.functional.silu(g) * u) @ down.t()
    return [("swiglu", bad)]


@mutation("mlp_t norm over D instead of L", lambda c: c.mlp_t)
def _m_tnorm(R_):
    orig = R_.net

    def bad(h, inj, W, cfg, cos_sin):
        if not cfg.mlp_t:
            return orig(h, inj, W, cfg, cos_sin)
        eps = cfg.rms_norm_eps
        h = h + inj
        for i in range(cfg.L_layers):
            p = "L_level.layers.%d." % i
            t = R_.swiglu(h.transpose(1, 2), W[p + "mlp_t.gate_up_proj.weight"],
                          W[p + "mlp_t.down_proj.weight"])
            h = R_.rms_norm(h + t.transpose(1, 2), eps)
            h = R_.rms_norm(h + R_.swiglu(h, W[p + "mlp.gate_up_proj.weight"],
                                          W[p + "mlp.down_proj.weight"]), eps)
        return h
    return [("net", bad)]


@mutation("learned positions without the 0.707 factor", lambda c: c.pos_encodings == "learned")
def _m_pos(R_):
    orig = R_.input_embedding

    def bad(tokens, pids, W, cfg):
        e = orig(tokens, pids, W, cfg)
        return e / 0.707106781 if cfg.pos_encodings == "learned" else e
    return [("input_embedding", bad)]


@mutation("puzzle embedding ignored", lambda c: c.puzzle_emb_ndim > 0)
def _m_qpos(R_):
    orig = R_.run_inference

    def bad(cfg, w, inputs, pids, dtype, **kw):
        w2 = dict(w)
        if "puzzle_emb.weights" in w2:
            w2["puzzle_emb.weights"] = torch.zeros_like(w2["puzzle_emb.weights"])
        return orig(cfg, w2, inputs, pids, dtype, **kw)
    return [("run_inference", bad)]


@mutation("no token mixing")
def _m_nomix(R_):
    orig = R_.net

    def bad(h, inj, W, cfg, cos_sin):
        W2 = dict(W)
        for i in range(cfg.L_layers):
            for k in ("mlp_t.down_proj.weight", "self_attn.o_proj.weight"):
                k = "L_level.layers.%d.%s" % (i, k)
                if k in W2:
                    W2[k] = torch.zeros_like(W2[k])
        return orig(h, inj, W2, cfg, cos_sin)
    return [("net", bad)]


@mutation("attention scale 1/hd", lambda c: not c.mlp_t)
def _m_scale(R_):
    orig = R_.attention

    def bad(h, qkv_w, o_w, cfg, cos_sin):
        qk = 2 * cfg.num_heads * cfg.head_dim           # scale q and k rows by hd^-1/4
        return orig(h, torch.cat([qkv_w[:qk] * cfg.head_dim ** -0.25, qkv_w[qk:]]),
                    o_w, cfg, cos_sin)
    return [("attention", bad)]


def _run_mutated(cfg, w, inputs, pids, name):
    saved = {}
    try:
        for attr, fn in MUTATIONS[name][0](R):
            saved[attr] = getattr(R, attr)
            setattr(R, attr, fn)
        return R.run_inference(cfg, w, inputs, pids, torch.float64, derive=False)
    finally:
        for attr, fn in saved.items():
            setattr(R, attr, fn)


def check(cfg, w, inputs, pids):
    """Run float64 and float32; return (results64, figures, failures)."""
    o64 = R.run_inference(cfg, w, inputs, pids, torch.float64, return_state=True)
    o32 = R.run_inference(cfg, w, inputs, pids, torch.float32)
    K = cfg.halt_max_steps
    fig = {}
    fig["f32_diff"] = float(np.abs(o64["step_logits"] - o32["step_logits"]).max())
    fig["f32_diff_q"] = float(np.abs(o64["step_q"] - o32["step_q"]).max())
    fig["min_q"] = float(min(np.abs(o64["step_q"][..., 0]).min(), np.abs(o32["step_q"][..., 0]).min()))
    gaps = R.top2_gap(o64["step_logits"])
    idx = np.arange(len(inputs))
    fig["gap_fixed"] = float(gaps[:, -1].min())
    fig["gap_halt"] = float(gaps[idx, o64["halt_steps"] - 1].min())
    fig["gap_all"] = float(gaps.min())
    fig["halt_steps"] = o64["halt_steps"].tolist()
    fig["never"] = int((~(o64["step_q"][..., 0] > 0).any(1)).sum())
    fail = []
    if fig["f32_diff"] > MAX_F32_DIFF:
        fail.append("f32 vs f64 logits differ by %.2e" % fig["f32_diff"])
    if fig["min_q"] < MIN_Q_MARGIN:
        fail.append("min |q_halt| %.3g" % fig["min_q"])
    if min(fig["gap_fixed"], fig["gap_halt"]) < MIN_GAP:
        fail.append("top-2 gap %.2e" % min(fig["gap_fixed"], fig["gap_halt"]))
    if not np.array_equal(o64["halt_steps"], o32["halt_steps"]):
        fail.append("halting steps differ f32/f64")
    for k in ("fixed_preds", "halt_preds"):
        if not np.array_equal(o64[k], o32[k]):
            fail.append(k + " differ f32/f64")
    if not spread_ok(o64["halt_steps"], o64["step_q"][..., 0], K):
        fail.append("halting steps not spread: %s" % fig["halt_steps"])
    return o64, fig, fail


def sensitivity(cfg, w, inputs, pids, o64):
    eff = {}
    ref = o64["step_logits"][:, -1]
    for name, (_, applies) in MUTATIONS.items():
        if not applies(cfg):
            continue
        m = _run_mutated(cfg, w, inputs, pids, name)
        eff[name] = float(max(np.abs(m["step_logits"][:, -1] - ref).max(),
                              np.abs(m["step_q"] - o64["step_q"]).max()))
    return eff


# --------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------


def write_set(outdir, s, cfg, w, inputs, pids, o64):
    import yaml
    d = os.path.join(outdir, s["name"])
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(os.path.join(d, "expected"))
    with open(os.path.join(d, "all_config.yaml"), "w") as f:
        yaml.dump(all_config(s), f)
    with open(os.path.join(d, "dataset.json"), "w") as f:
        json.dump(dataset_json(s, len(inputs)), f)

    sd = collections.OrderedDict((s["prefix"] + k, v.clone()) for k, v in w.items())
    sd._metadata = module_metadata(cfg, s["prefix"])
    with storage_location(s["location"]):
        torch.save(sd, os.path.join(d, "step_%d" % s["step"]))
    R.write_safetensors(os.path.join(d, "model.safetensors"), sd, {"format": "pt"})

    np.save(os.path.join(d, "inputs.npy"), inputs.astype(np.int32))
    np.save(os.path.join(d, "puzzle_identifiers.npy"), pids.astype(np.int32))
    e = os.path.join(d, "expected")
    np.save(os.path.join(e, "step_logits.npy"), o64["step_logits"].astype(np.float32))
    np.save(os.path.join(e, "step_q.npy"), o64["step_q"].astype(np.float32))
    np.save(os.path.join(e, "fixed_preds.npy"), o64["fixed_preds"].astype(np.int32))
    np.save(os.path.join(e, "fixed_logits.npy"), o64["fixed_logits"].astype(np.float32))
    np.save(os.path.join(e, "halt_steps.npy"), o64["halt_steps"].astype(np.int32))
    np.save(os.path.join(e, "halt_preds.npy"), o64["halt_preds"].astype(np.int32))
    np.save(os.path.join(e, "halt_logits.npy"), o64["halt_logits"].astype(np.float32))
    np.save(os.path.join(e, "halt_q_halt.npy"), o64["halt_q_halt"].astype(np.float32))
    return d


def build_set(s, outdir, dry_run=False):
    cfg = R.config_from_dict(s["arch"], s["dataset"])
    B, K = s["batch"], cfg.halt_max_steps
    print("== %s: %s" % (s["name"], cfg.summary()))
    for attempt in range(MAX_ATTEMPTS):
        seed = s["seed"] + attempt
        rng = np.random.default_rng(seed)
        inputs, pids = s["inputs"](rng, cfg, B)
        w = R.random_weights(cfg, seed, s["residual_scale"])
        # q_head does not feed back: choose it from the float64 trajectory of z_H[:, 0].
        pre = R.run_inference(cfg, w, inputs, pids, torch.float64, return_state=True, derive=False)
        q = choose_q_head(rng, pre["step_zh0"], K)
        if q is None:
            print("  attempt %d (seed %d): no q_head spreads the halting steps" % (attempt, seed))
            continue
        w["q_head.weight"] = torch.from_numpy(q[0]).float()
        w["q_head.bias"] = torch.from_numpy(q[1]).float()
        o64, fig, fail = check(cfg, w, inputs, pids)
        if fail:
            print("  attempt %d (seed %d) rejected: %s" % (attempt, seed, "; ".join(fail)))
            continue
        eff = sensitivity(cfg, w, inputs, pids, o64)
        weak = {k: v for k, v in eff.items() if v < MIN_MUTATION_EFFECT}
        if weak:
            print("  attempt %d (seed %d) rejected: golden insensitive to %s" % (attempt, seed, weak))
            continue
        fig["seed"] = seed
        fig["sensitivity"] = eff
        if not dry_run:
            d = write_set(outdir, s, cfg, w, inputs, pids, o64)
            fig["bytes"] = sum(os.path.getsize(os.path.join(r, f))
                               for r, _, fs in os.walk(d) for f in fs)
        print("  accepted seed %d: f32-f64 max|dlogits| %.2e (q %.2e), min|q_halt| %.3f, "
              "min top-2 gap fixed %.2e / halt %.2e / all steps %.2e"
              % (seed, fig["f32_diff"], fig["f32_diff_q"], fig["min_q"], fig["gap_fixed"],
                 fig["gap_halt"], fig["gap_all"]))
        print("  halting steps (K=%d): %s  never halting: %d" % (K, fig["halt_steps"], fig["never"]))
        print("  sensitivity (max |dlogits| at step K): " +
              ", ".join("%s %.2g" % kv for kv in eff.items()))
        return cfg, fig
    raise SystemExit("REFUSED: %s fails the checks after %d attempts" % (s["name"], MAX_ATTEMPTS))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.normpath(os.path.join(here, "..", "..", "test", "golden")))
    ap.add_argument("--only", action="append", help="set name (repeatable)")
    ap.add_argument("--dry-run", action="store_true", help="run the checks, write nothing")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    rows = []
    for s in SETS:
        if args.only and s["name"] not in args.only:
            continue
        cfg, fig = build_set(s, args.out, args.dry_run)
        rows.append((s, cfg, fig))
    print()
    print("%-17s %-5s %2s %3s %3s %3s %3s %3s %9s %8s %9s %9s  %s" % (
        "set", "mix", "B", "S", "P", "V", "K", "T,n", "f32-f64", "min|qh|", "gap cmp", "gap all",
        "halt steps"))
    for s, cfg, fig in rows:
        print("%-17s %-5s %2d %3d %3d %3d %3d %d,%d %9.2e %8.3f %9.2e %9.2e  %s" % (
            s["name"], "mlp_t" if cfg.mlp_t else "attn", s["batch"], cfg.seq_len, cfg.P,
            cfg.vocab_size, cfg.halt_max_steps, cfg.H_cycles, cfg.L_cycles, fig["f32_diff"],
            fig["min_q"], min(fig["gap_fixed"], fig["gap_halt"]), fig["gap_all"],
            fig["halt_steps"]))
    if not args.dry_run and rows:
        total = sum(os.path.getsize(os.path.join(r, f))
                    for r, _, fs in os.walk(args.out) for f in fs)
        print("total size of %s: %.2f MB" % (args.out, total / 1e6))


if __name__ == "__main__":
    main()
