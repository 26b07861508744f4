#!/usr/bin/python3
"""Property-based end-to-end test: random legitimate TRM configurations, imported with
trm-import, run with trm-run on each device, compared with the float64 PyTorch reference.

    nice -n 10 /usr/bin/python3 tools/reference/sweep_configs.py [--seed S] [--count N]
        [--devices cpu,vulkan,cpu-bf16] [--trm-bin DIR] [--keep DIR] [--only I,J] [--print]

Config I of seed S is drawn from numpy PCG64 seeded with (S, I), so it does not depend on
--count and `--only I` reruns it alone.  Each drawn config gets random well-conditioned
weights (residual branches scaled down, see TRM-SPEC "Testing notes"), a step_N
checkpoint written as the reference trainer writes it, all_config.yaml + dataset.json,
and random valid inputs; it is imported at a random batch (independent of the number of
samples, so partial and multiple batches occur) and run with --halting fixed.  Checked:
logits (last step) and q_logits (every step) within --atol-<device> of the float64
reference, steps == halt_max_steps, and predictions == the reference's argmax wherever its
top-2 logit gap exceeds 10x the tolerance.  Every drawn config is run; none is skipped.
The device cpu-bf16 is the CPU at --precision bf16 (the weights' matmuls multiply in
bf16, sum in f32), against the same float64 reference with its own --atol-cpu-bf16.

Prints one line per (config, device), then "sweep: P of N passed on cpu, ..."; exits 1
if anything failed.  --print lists the drawn configs (and how often edge values occur)
without running anything.
"""
import argparse
import collections
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_goldens as G  # noqa: E402
import trm_reference as R  # noqa: E402

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

P_EDGE = 0.3                   # probability that a ranged field takes one of its edge values
MAX_F32_DIFF = 1e-5            # float32 vs float64 reference: weights well conditioned
RESIDUAL_SCALE = (0.1, 0.2)    # first weights' residual-branch scale, drawn uniformly
CONDITION_ATTEMPTS = 8         # redraws (each halving the scale) before running anyway
PRED_GAP_FACTOR = 10.0         # predictions compared where top-2 gap > factor * atol
KEY_PREFIXES = ("_orig_mod.model.inner.", "model.inner.")

# --------------------------------------------------------------------------
# Drawing configurations
# --------------------------------------------------------------------------


def pick(rng, lo, hi):
    """An int in [lo, hi]: with probability P_EDGE lo or hi, else uniform.  Uniform draws
    alone would make e.g. seq_len 1 a 1-in-100 event."""
    if rng.random() < P_EDGE:
        return int(rng.choice([lo, hi]))
    return int(rng.integers(lo, hi + 1))


def draw_width(rng, pos):
    """(hidden_size, num_heads): H in 1..8, D in 8..160 a multiple of H, with an even
    head_dim under rope (kept with mlp_t too: the config stays a legal attention one)."""
    if rng.random() < 0.15:
        H = int(rng.integers(4, 9))          # head_dim 2, the smallest that rope rotates
        return 2 * H, H
    H = pick(rng, 1, 8)
    step = 2 * H if pos == "rope" else H
    widths = list(range(-(8 // -step) * step, 161, step))
    if rng.random() < P_EDGE:
        return int(rng.choice([widths[0], widths[-1]])), H
    return int(rng.choice(widths)), H


def draw_expansion(rng):
    r = rng.random()
    if r < 0.25:
        return int(rng.choice([1, 4]))
    if r < 0.45:
        return int(rng.choice([2, 3]))
    return round(float(rng.uniform(1.0, 4.0)), 1)    # non-integer: 1.5, 2.7, ...


def draw_puzzle_emb(rng, D):
    """(puzzle_emb_ndim, puzzle_emb_len).  len 0 means P = ceil(ndim / D); the reference
    cannot run an explicit len with ndim 0, so ndim 0 goes with len 0."""
    if rng.random() < 0.25:
        return 0, 0
    plen = pick(rng, 0, 5)
    P = plen or pick(rng, 1, 5)              # the prefix ndim must fit in (derived if len 0)
    r = rng.random()
    if r < 0.35:
        ndim = D * int(rng.integers(1, P + 1))            # a multiple of D
    elif r < 0.5:
        ndim = int(rng.choice([1, P * D - 1]))            # edges (D >= 8: non-multiples)
    else:
        ndim = int(rng.integers(1, P * D + 1))
        while ndim % D == 0:                              # a non-multiple of D
            ndim = int(rng.integers(1, P * D + 1))
    return ndim, plen


def draw_config(seed, index):
    """Config `index` of sweep `seed`: everything needed to write and run it."""
    rng = np.random.default_rng([seed, index])
    pos = str(rng.choice(["learned", "rope", "none"]))
    D, H = draw_width(rng, pos)
    ndim, plen = draw_puzzle_emb(rng, D)
    arch = dict(G.ARCH_BASE, hidden_size=D, num_heads=H, expansion=draw_expansion(rng),
                L_layers=int(rng.integers(1, 4)), H_cycles=int(rng.integers(1, 4)),
                L_cycles=int(rng.integers(1, 4)), halt_max_steps=int(rng.integers(1, 5)),
                pos_encodings=pos, mlp_t=bool(rng.random() < 0.5),
                puzzle_emb_ndim=ndim, puzzle_emb_len=plen,
                forward_dtype=str(rng.choice(["bfloat16", "float32"])))
    # Rarely non-default (they are config fields too); absent from the yaml otherwise.
    if rng.random() < 0.15:
        arch["rms_norm_eps"] = float(rng.choice([1e-6, 1e-4]))
    if rng.random() < 0.15:
        arch["rope_theta"] = float(rng.choice([100.0, 1e6]))
    dataset = {"seq_len": pick(rng, 1, 100), "vocab_size": pick(rng, 2, 20),
               "num_puzzle_identifiers": pick(rng, 1, 10)}
    return {
        "index": index,
        "arch": arch,
        "dataset": dataset,
        "samples": pick(rng, 1, 9),
        "batch": pick(rng, 1, 9),
        "prefix": str(rng.choice(KEY_PREFIXES)),
        "location": [None, "cuda:0"][int(rng.integers(2))],   # storages tagged as from a GPU
        "step": int(rng.integers(1, 100000)),
        "weight_seed": int(rng.integers(2 ** 31)),
        "residual_scale": float(rng.uniform(*RESIDUAL_SCALE)),
        "rng": rng,                                           # for the inputs
    }


def resolve(c):
    return R.config_from_dict(c["arch"], c["dataset"])


def summary(c, cfg):
    a = c["arch"]
    extra = "".join(" %s=%g" % (k, a[k]) for k in ("rms_norm_eps", "rope_theta") if k in a)
    return ("D=%d H=%d hd=%d %s %s e=%g Ll=%d T=%d n=%d K=%d S=%d V=%d P=%d(len %d ndim %d) "
            "ids=%d N=%d B=%d %s %s%s" % (
                cfg.hidden_size, cfg.num_heads, cfg.head_dim, "mlp_t" if cfg.mlp_t else "attn",
                cfg.pos_encodings, cfg.expansion, cfg.L_layers, cfg.H_cycles, cfg.L_cycles,
                cfg.halt_max_steps, cfg.seq_len, cfg.vocab_size, cfg.P, cfg.puzzle_emb_len_cfg,
                cfg.puzzle_emb_ndim, cfg.num_puzzle_identifiers, c["samples"], c["batch"],
                "bf16" if cfg.forward_dtype == "bfloat16" else "f32",
                c["prefix"].split(".")[0], extra))


def coverage(configs):
    """How often the edge values came up (for --print)."""
    tally = collections.Counter()
    for c, cfg in configs:
        for name, hit in (
                ("hd=2", cfg.head_dim == 2), ("D=8", cfg.hidden_size == 8),
                ("D=160", cfg.hidden_size == 160), ("H=1", cfg.num_heads == 1),
                ("H=8", cfg.num_heads == 8), ("S=1", cfg.seq_len == 1),
                ("S=100", cfg.seq_len == 100), ("V=2", cfg.vocab_size == 2),
                ("V=20", cfg.vocab_size == 20), ("e non-int", cfg.expansion % 1 != 0),
                ("P=0", cfg.P == 0), ("len 0 ndim>0", cfg.puzzle_emb_len_cfg == 0 and cfg.P > 0),
                ("ndim % D != 0", cfg.puzzle_emb_ndim % cfg.hidden_size != 0),
                ("ids=1", cfg.num_puzzle_identifiers == 1), ("K=1", cfg.halt_max_steps == 1),
                ("N=1", c["samples"] == 1), ("B=1", c["batch"] == 1),
                ("N<B", c["samples"] < c["batch"]), ("N>B", c["samples"] > c["batch"]),
                ("N%B!=0", c["samples"] % c["batch"] != 0), ("mlp_t", cfg.mlp_t),
                ("rope", cfg.pos_encodings == "rope"), ("learned", cfg.pos_encodings == "learned"),
                ("bf16", cfg.forward_dtype == "bfloat16"),
                ("_orig_mod", c["prefix"].startswith("_orig_mod"))):
            tally[name] += bool(hit)
    return ", ".join("%s %d" % kv for kv in tally.items())


# --------------------------------------------------------------------------
# Weights, files, reference
# --------------------------------------------------------------------------


def draw_inputs(c, cfg):
    rng, N = c["rng"], c["samples"]
    inputs = rng.integers(0, cfg.vocab_size, (N, cfg.seq_len)).astype(np.int32)
    inputs[0, -1] = cfg.vocab_size - 1                 # the last embedding row is used
    pids = rng.integers(0, cfg.num_puzzle_identifiers, N).astype(np.int32)
    pids[-1] = cfg.num_puzzle_identifiers - 1          # and the last puzzle identifier
    return inputs, pids


def conditioned_reference(c, cfg, inputs, pids):
    """(weights, float64 results, residual scale, f32-f64 difference): weights whose
    float32 reference run agrees with the float64 one.  Redraws with half the residual
    scale until it does; after CONDITION_ATTEMPTS the last weights are used anyway (the
    config still runs)."""
    scale = c["residual_scale"]
    for attempt in range(CONDITION_ATTEMPTS):
        w = R.random_weights(cfg, c["weight_seed"] + attempt, scale)
        o64 = R.run_inference(cfg, w, inputs, pids, torch.float64)
        o32 = R.run_inference(cfg, w, inputs, pids, torch.float32, derive=False)
        diff = max(np.abs(o64["step_logits"] - o32["step_logits"]).max(),
                   np.abs(o64["step_q"] - o32["step_q"]).max())
        if diff <= MAX_F32_DIFF or attempt == CONDITION_ATTEMPTS - 1:
            return w, o64, scale, float(diff)
        scale /= 2


def write_files(d, c, cfg, w, inputs, pids):
    """The reference trainer's files (as make_goldens.write_set writes them) + inputs."""
    s = {"name": "sweep_%03d" % c["index"], "arch": c["arch"], "dataset": c["dataset"],
         "data_path": "data/sweep", "evaluators": []}
    with open(os.path.join(d, "all_config.yaml"), "w") as f:
        yaml.dump(G.all_config(s), f)
    with open(os.path.join(d, "dataset.json"), "w") as f:
        json.dump(G.dataset_json(s, c["samples"]), f)
    sd = collections.OrderedDict((c["prefix"] + k, v.clone()) for k, v in w.items())
    sd._metadata = G.module_metadata(cfg, c["prefix"])
    ckpt = "step_%d" % c["step"]
    with G.storage_location(c["location"]):
        torch.save(sd, os.path.join(d, ckpt))
    np.save(os.path.join(d, "inputs.npy"), inputs)
    np.save(os.path.join(d, "ids.npy"), pids)
    return ckpt


# --------------------------------------------------------------------------
# Running the tools and comparing
# --------------------------------------------------------------------------


def run_tool(cmd, cwd, timeout):
    """(ok, message): message is the tool's first error line (or its last line)."""
    try:
        p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout, universal_newlines=True)
    except subprocess.TimeoutExpired:
        return False, "timed out after %d s" % timeout
    except OSError as e:
        return False, str(e)
    if p.returncode == 0:
        return True, ""
    lines = [l.strip() for l in p.stdout.splitlines() if l.strip()]
    errs = [l for l in lines if "error" in l.lower()]
    msg = (errs or lines or ["(no output)"])[0]
    return False, "exit %d: %s" % (p.returncode, msg[:300])


def compare(out, o64, cfg, atol):
    """(ok, message) for one device's output directory against the float64 reference."""
    K = cfg.halt_max_steps
    try:
        logits = np.load(os.path.join(out, "logits.npy")).astype(np.float64)
        q = np.load(os.path.join(out, "q_logits.npy")).astype(np.float64)
        steps = np.load(os.path.join(out, "steps.npy"))
        preds = np.load(os.path.join(out, "predictions.npy"))
    except (OSError, ValueError) as e:
        return False, "output: %s" % e
    exp_logits, exp_q = o64["step_logits"][:, -1], o64["step_q"]
    N, S, V = exp_logits.shape
    for name, a, shape in (("logits", logits, (N, S, V)), ("q_logits", q, (N, K, 2)),
                           ("steps", steps, (N,)), ("predictions", preds, (N, S))):
        if a.shape != shape:
            return False, "%s.npy has shape %s, expected %s" % (name, a.shape, shape)
    # NaN compares as a failure: max() propagates it and nan <= atol is False.
    err_l = float(np.abs(logits - exp_logits).max())
    err_q = float(np.abs(q - exp_q).max())
    bad_steps = int((steps != K).sum())
    sure = R.top2_gap(exp_logits) > PRED_GAP_FACTOR * atol
    bad_preds = int((preds != exp_logits.argmax(-1))[sure].sum())
    ok = err_l <= atol and err_q <= atol and bad_steps == 0 and bad_preds == 0
    msg = "logits %.1e q %.1e (atol %g)" % (err_l, err_q, atol)
    if bad_steps:
        msg += ", %d samples' steps != %d" % (bad_steps, K)
    if bad_preds:
        msg += ", %d of %d sure predictions differ" % (bad_preds, int(sure.sum()))
    return ok, msg


def shell(cmd, cwd):
    return "(cd %s && %s)" % (shlex.quote(cwd), " ".join(shlex.quote(x) for x in cmd))


def run_config(c, root, args):
    """Write, import and run one config; returns {device: (ok, seconds)}; prints lines."""
    cfg = resolve(c)
    d = os.path.join(root, "cfg_%03d" % c["index"])
    os.makedirs(d, exist_ok=True)
    inputs, pids = draw_inputs(c, cfg)
    w, o64, scale, f32_diff = conditioned_reference(c, cfg, inputs, pids)
    ckpt = write_files(d, c, cfg, w, inputs, pids)
    head = "[%3d] %s" % (c["index"], summary(c, cfg))
    note = ""
    if f32_diff > MAX_F32_DIFF:
        note = " (reference ill-conditioned: f32-f64 %.1e at residual scale %.3g)" % (
            f32_diff, scale)
    rerun = "rerun: %s %s --seed %d --only %d --keep DIR" % (
        sys.executable, os.path.relpath(os.path.abspath(__file__)), args.seed, c["index"])

    imp = [os.path.join(args.trm_bin, "trm-import"), "--config", "all_config.yaml",
           "--dataset-json", "dataset.json", "--batch", str(c["batch"]), "-o", "model.mlir"]
    ok, msg = run_tool(imp, d, args.timeout)
    results = {}
    for dev in args.devices:
        t0 = time.perf_counter()
        if ok:
            out = "out_" + dev
            device, _, precision = dev.partition("-")
            failed = [os.path.join(args.trm_bin, "trm-run"), "model.mlir", "--device", device,
                      "--weights", ckpt, "--input", "inputs.npy", "--puzzle-ids", "ids.npy",
                      "--halting", "fixed", "--output-dir", out]
            if precision:
                failed += ["--precision", precision]
            if dev == "vulkan" and args.vulkan_validation:
                failed.append("--vulkan-validation")
            # No stale outputs of an earlier run in a reused --keep directory.
            shutil.rmtree(os.path.join(d, out), ignore_errors=True)
            dok, dmsg = run_tool(failed, d, args.timeout)
            dmsg = "trm-run " + dmsg
            if dok:
                dok, dmsg = compare(os.path.join(d, out), o64, cfg, args.atol[dev])
        else:
            dok, dmsg, failed = False, "trm-import " + msg, imp
        dt = time.perf_counter() - t0
        results[dev] = (dok, dt)
        print("%s  %-6s %s %5.1fs  %s%s" % (head, dev, "PASS" if dok else "FAIL", dt, dmsg, note),
              flush=True)
        if not dok:
            print("      $ %s\n      %s" % (shell(failed, d), rerun), flush=True)
    return results


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--count", type=int, default=16)
    ap.add_argument("--only", help="comma-separated config indices (default: 0..count-1)")
    ap.add_argument("--devices", default="cpu,vulkan",
                    help="comma-separated: cpu, vulkan, cpu-bf16")
    ap.add_argument("--trm-bin", default=os.path.join(REPO, "build", "bin"),
                    help="directory of trm-import and trm-run (default: %(default)s)")
    ap.add_argument("--atol-cpu", type=float, default=1e-4)
    ap.add_argument("--atol-vulkan", type=float, default=1e-3)
    ap.add_argument("--atol-cpu-bf16", type=float, default=0.2)
    ap.add_argument("--vulkan-validation", action="store_true",
                    help="run Vulkan with VK_LAYER_KHRONOS_validation (fails on any message)")
    ap.add_argument("--timeout", type=int, default=600, help="seconds per tool run")
    ap.add_argument("--keep", help="keep each config's files in DIR/cfg_NNN (default: a "
                                   "temporary directory, removed at the end)")
    ap.add_argument("--print", action="store_true", help="list the drawn configs, run nothing")
    args = ap.parse_args(argv)
    args.devices = [x for x in args.devices.split(",") if x]
    for dev in args.devices:
        if dev not in ("cpu", "vulkan", "cpu-bf16"):
            ap.error("unknown device %r" % dev)
    args.atol = {"cpu": args.atol_cpu, "vulkan": args.atol_vulkan,
                 "cpu-bf16": args.atol_cpu_bf16}
    indices = ([int(x) for x in args.only.split(",")] if args.only else range(args.count))
    torch.set_num_threads(1)   # the tools run beside; the reference runs are small

    configs = [(c, resolve(c)) for c in (draw_config(args.seed, i) for i in indices)]
    if args.print:
        for c, cfg in configs:
            print("[%3d] %s" % (c["index"], summary(c, cfg)))
        print("edge values in %d configs: %s" % (len(configs), coverage(configs)))
        return 0

    root = args.keep or tempfile.mkdtemp(prefix="trm-sweep-")
    os.makedirs(root, exist_ok=True)
    passed = collections.Counter()
    seconds = collections.Counter()
    t0 = time.perf_counter()
    try:
        for c, _ in configs:
            for dev, (ok, dt) in run_config(c, root, args).items():
                passed[dev] += ok
                seconds[dev] += dt
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    n = len(configs)
    print("time: %.0f s in all; %s" % (time.perf_counter() - t0, ", ".join(
        "%s %.0f s (%.1f s per config)" % (dev, seconds[dev], seconds[dev] / max(n, 1))
        for dev in args.devices)))
    print("sweep: " + ", ".join("%d of %d passed on %s" % (passed[dev], n, dev)
                                for dev in args.devices))
    return 0 if all(passed[dev] == n for dev in args.devices) else 1


if __name__ == "__main__":
    sys.exit(main())
