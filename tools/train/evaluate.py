#!/usr/bin/python3
"""Evaluates a bundled TRM checkpoint on held-out puzzles.

Reports exact-solve accuracy (every cell right)
  * after 1 supervision step,
  * after each step up to halt_max_steps (the reference's fixed evaluation
    policy: all samples run all halt_max_steps steps; the answer is the last),
  * with early halting: a sample stops after the first step whose q_halt > 0
    (or at halt_max_steps) and keeps that step's answer; mean steps taken.
The model uses the checkpoint's stored values (H_init/L_init in bfloat16),
computing in float32 like the training script.

Usage:
  OMP_NUM_THREADS=1 /usr/bin/python3 tools/train/evaluate.py \
      --model models/sudoku6 --data data/sudoku6
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from trm_model import load_checkpoint  # noqa: E402


def evaluate(inner, cfg, inputs, labels, pids, bs=500):
    N = cfg["halt_max_steps"]
    n = len(inputs)
    step_correct = np.zeros(N)
    early_correct = 0
    early_steps = 0
    halt_at = np.zeros(N + 1, dtype=np.int64)
    q_agree = 0  # (q_halt > 0) == correct at the final step
    with torch.no_grad():
        for i in range(0, n, bs):
            inp = torch.from_numpy(inputs[i:i + bs].astype(np.int64))
            lab = torch.from_numpy(labels[i:i + bs].astype(np.int64))
            pid = torch.from_numpy(pids[i:i + bs].astype(np.int64))
            b = len(inp)
            x = inner.input_embeddings(inp, pid)
            zH, zL = inner.init_state(b)
            done = torch.zeros(b, dtype=torch.bool)
            e_corr = torch.zeros(b, dtype=torch.bool)
            e_steps = torch.full((b,), N, dtype=torch.long)
            for s in range(N):
                zH, zL, logits, q_halt, _ = inner.step(zH, zL, x, grad_last=False)
                corr = (logits.argmax(-1) == lab).all(-1)
                step_correct[s] += corr.sum().item()
                stop = ~done & ((q_halt > 0) | (s == N - 1))
                e_corr[stop] = corr[stop]
                e_steps[stop] = s + 1
                done |= stop
            q_agree += ((q_halt > 0) == corr).sum().item()
            early_correct += e_corr.sum().item()
            early_steps += e_steps.sum().item()
            halt_at += np.bincount(e_steps.numpy(), minlength=N + 1)
    return {
        "puzzles": n,
        "halt_max_steps": N,
        "exact_after_step": [round(float(c) / n, 4) for c in step_correct],
        "exact_step1": round(float(step_correct[0]) / n, 4),
        "exact_all_steps": round(float(step_correct[-1]) / n, 4),
        "early_halt_exact": round(early_correct / n, 4),
        "early_halt_mean_steps": round(early_steps / n, 3),
        "early_halt_histogram": {str(k): int(v) for k, v in enumerate(halt_at) if v},
        "q_halt_agrees_final": round(q_agree / n, 4),
    }


def fp64_check(inner, cfg, inputs, pids):
    """Runs the same weights in float32 and float64 (H_init/L_init from bf16)
    for all halt_max_steps steps; reports how far the recursion drifts."""
    import copy
    inner64 = copy.deepcopy(inner).double()
    inp = torch.from_numpy(inputs.astype(np.int64))
    pid = torch.from_numpy(pids.astype(np.int64))
    out = dict(puzzles=len(inp), max_logit_diff=0.0, max_q_diff=0.0, prediction_mismatches=0,
               halt_mismatches=0, min_top2_gap=float("inf"), min_abs_q_halt=float("inf"))
    with torch.no_grad():
        x32, x64 = inner.input_embeddings(inp, pid), inner64.input_embeddings(inp, pid)
        s32, s64 = inner.init_state(len(inp)), inner64.init_state(len(inp))
        for _ in range(cfg["halt_max_steps"]):
            h32, l32, lg32, q32, _ = inner.step(*s32, x32, grad_last=False)
            h64, l64, lg64, q64, _ = inner64.step(*s64, x64, grad_last=False)
            s32, s64 = (h32, l32), (h64, l64)
            out["max_logit_diff"] = max(out["max_logit_diff"], (lg32.double() - lg64).abs().max().item())
            out["max_q_diff"] = max(out["max_q_diff"], (q32.double() - q64).abs().max().item())
            out["prediction_mismatches"] += int((lg32.argmax(-1) != lg64.argmax(-1)).any(-1).sum())
            out["halt_mismatches"] += int(((q32 > 0) != (q64 > 0)).sum())
            top2 = lg64.topk(2, dim=-1).values
            out["min_top2_gap"] = min(out["min_top2_gap"], (top2[..., 0] - top2[..., 1]).min().item())
            out["min_abs_q_halt"] = min(out["min_abs_q_halt"], q64.abs().min().item())
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="directory with step_N, all_config.yaml, dataset.json")
    ap.add_argument("--checkpoint", default=None, help="a specific step_N file (default: newest in --model)")
    ap.add_argument("--data", required=True, help="directory with test__{inputs,labels,puzzle_identifiers}.npy")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", default=None, help="also write the figures here")
    ap.add_argument("--fp64-check", type=int, default=200,
                    help="compare float32 with float64 on this many puzzles (0: skip)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    inner, cfg, _, ckpt = load_checkpoint(args.model, args.checkpoint)
    inputs = np.load(os.path.join(args.data, "test__inputs.npy"))
    labels = np.load(os.path.join(args.data, "test__labels.npy"))
    pids = np.load(os.path.join(args.data, "test__puzzle_identifiers.npy"))
    if args.limit:
        inputs, labels, pids = inputs[:args.limit], labels[:args.limit], pids[:args.limit]
    r = evaluate(inner, cfg, inputs, labels, pids)
    r["checkpoint"] = ckpt
    print(f"checkpoint {ckpt}: {r['puzzles']} held-out puzzles")
    print(f"  exact after 1 step:          {r['exact_step1']:.4f}")
    print(f"  exact after all {r['halt_max_steps']} steps:    {r['exact_all_steps']:.4f}")
    print(f"  early halting (q_halt > 0):  {r['early_halt_exact']:.4f} exact, "
          f"{r['early_halt_mean_steps']:.2f} steps on average")
    print(f"  per step: {r['exact_after_step']}")
    print(f"  halting step histogram: {r['early_halt_histogram']}")
    if args.fp64_check:
        r["fp64_check"] = fp64_check(inner, cfg, inputs[:args.fp64_check], pids[:args.fp64_check])
        c = r["fp64_check"]
        print(f"  float32 vs float64 on {c['puzzles']} puzzles, all {cfg['halt_max_steps']} steps: "
              f"max |logit diff| {c['max_logit_diff']:.2e}, max |q_halt diff| {c['max_q_diff']:.2e}, "
              f"predictions differ {c['prediction_mismatches']}, halting decisions differ {c['halt_mismatches']}, "
              f"min top-2 logit gap {c['min_top2_gap']:.3f}, min |q_halt| {c['min_abs_q_halt']:.3f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(r, f, indent=2)


if __name__ == "__main__":
    main()
