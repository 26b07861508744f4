#!/usr/bin/python3
"""Benchmark: the ARC-AGI evaluation's rate, tasks per hour.

Runs trm-run --arc-challenges with the full-size ARC architecture (attention,
8 heads, rope, D 512, T 3, n 4, 900 + 16 tokens) on random weights: speed
does not depend on the values. Every task's test inputs run under
--augmentations variants each (the original first), the batch filled across
tasks. Prints the measured rate and what it means for the reference's 1000
augmentations (the cost is linear in samples and in steps).

  bench/bench_arc.py [--challenges FILE] [--tasks N] [--augmentations A]
                     [--steps S] [--batch B] [--threads T] [--device cpu]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from bench_cpu import CONFIGS  # noqa: E402
from make_random_weights import random_weights, write_safetensors  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--challenges",
                    default=os.path.join(ROOT, "test/golden/arc_eval/challenges.json"))
    ap.add_argument("--tasks", type=int, default=2)
    ap.add_argument("--augmentations", type=int, default=1)
    ap.add_argument("--steps", type=int, default=16)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    args = ap.parse_args()

    with open(args.challenges) as f:
        challenges = json.load(f)
    tasks = sorted(challenges)[:args.tasks]
    rng = np.random.default_rng(0)
    names = ["<blank>"]
    for task in tasks:
        names.append(task)
        for _ in range(args.augmentations - 1):
            m = np.concatenate([[0], rng.permutation(np.arange(1, 10))])
            names.append("%s|||t%d|||%s" % (task, rng.integers(0, 8),
                                             "".join(str(x) for x in m)))
    cfg = dict(CONFIGS["arc"], halt_max_steps=args.steps,
               num_puzzle_identifiers=len(names))
    with tempfile.TemporaryDirectory() as tmp:
        paths = {k: os.path.join(tmp, k) for k in
                 ("cfg.json", "w.safetensors", "ids.json", "tasks.json", "m.mlir")}
        json.dump(cfg, open(paths["cfg.json"], "w"))
        json.dump(names, open(paths["ids.json"], "w"))
        json.dump({t: challenges[t] for t in tasks}, open(paths["tasks.json"], "w"))
        write_safetensors(paths["w.safetensors"], random_weights(cfg, 0))
        bin_dir = os.path.join(args.build, "bin")
        subprocess.run([os.path.join(bin_dir, "trm-import"), "--config", paths["cfg.json"],
                        "--batch", str(args.batch), "-o", paths["m.mlir"]], check=True)
        out = subprocess.run(
            [os.path.join(bin_dir, "trm-run"), paths["m.mlir"], "--weights",
             paths["w.safetensors"], "--arc-challenges", paths["tasks.json"],
             "--arc-identifiers", paths["ids.json"], "--halting", "fixed",
             "--device", args.device, "--threads", str(args.threads),
             "--progress-interval", "0"],
            check=True, capture_output=True, text=True)
    log = out.stdout + out.stderr
    samples = int(re.search(r"ARC: \d+ tasks, \d+ test inputs, \d+ variants, (\d+) samples",
                            log).group(1))
    seconds = float(re.search(r"run ([0-9.]+) s", log).group(1))
    cpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model = re.search(r"Model name:\s*(.*)", cpu)
    per_sample = seconds / samples
    tests_per_task = samples / len(tasks) / args.augmentations
    print("ARC evaluation rate, full-size ARC model (D 512, 2 layers, T 3, n 4, "
          "900+16 tokens), %s, %d threads, batch %d, %s"
          % (args.device, args.threads, args.batch, model.group(1) if model else "?"))
    print("| tasks | augmentations | steps | samples | run s | s per sample | tasks per hour |")
    print("|---|---|---|---|---|---|---|")
    print("| %d | %d | %d | %d | %.1f | %.2f | %.1f |"
          % (len(tasks), args.augmentations, args.steps, samples, seconds, per_sample,
             3600 * len(tasks) / seconds))
    for augs in (8, 1000):
        hours = per_sample * tests_per_task * augs * 16 / args.steps / 3600
        print("At this rate, %d augmentations and 16 steps: %.2f h per task "
              "(%.1f tasks per hour)" % (augs, hours, 1 / hours))


if __name__ == "__main__":
    main()
