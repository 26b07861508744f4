#!/usr/bin/python3
"""Benchmark: loading an ARC-AGI-1-sized checkpoint (load time and peak memory).

Writes a checkpoint as the reference trainer does (torch.save of the
state_dict, official key names, bf16 H_init/L_init) for the full-size ARC
architecture with a puzzle embedding of --rows rows (876,406 for ARC-AGI-1:
1.8 GB of the file's 1.8 GB), and the same model with a one-row table. Runs
two puzzles through each on the CPU at batch 1 and 2 (one supervision
step: the load is what is measured) and prints trm-run's load time and its
peak resident memory. The difference between the rows is what the table
costs; the rest is the compiler and the network's activations.

  bench/bench_big_checkpoint.py [--rows N] [--build DIR] [--keep DIR]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from bench_cpu import CONFIGS  # noqa: E402
from make_random_weights import random_weights  # noqa: E402

PREFIX = "_orig_mod.model.inner."
TABLE = "puzzle_emb.weights"


def write_checkpoint(cfg, path):
    small = dict(cfg, num_puzzle_identifiers=1)
    state = {}
    for key, array in random_weights(small, 0).items():
        t = torch.from_numpy(array)
        if key in ("H_init", "L_init"):
            t = t.bfloat16()
        if key == TABLE:
            t = torch.empty(cfg["num_puzzle_identifiers"], array.shape[1])
            t.normal_(0.0, 0.02, generator=torch.Generator().manual_seed(0))
        state[PREFIX + key] = t
    torch.save(state, path)


def prepare(tmp, cfg, name):
    cfg_path = os.path.join(tmp, name + ".json")
    json.dump(cfg, open(cfg_path, "w"))
    step = os.path.join(tmp, name + "_step_1")
    write_checkpoint(cfg, step)
    rows = cfg["num_puzzle_identifiers"]
    np.save(os.path.join(tmp, "inputs.npy"), np.full((2, cfg["seq_len"]), 2, np.int32))
    np.save(os.path.join(tmp, name + "_ids.npy"), np.array([0, rows - 1], np.int32))
    return cfg_path, step


def run(build, tmp, name, cfg_path, step, batch):
    module = os.path.join(tmp, "%s_b%d.mlir" % (name, batch))
    subprocess.run([os.path.join(build, "bin/trm-import"), "--config", cfg_path,
                    "--batch", str(batch), "-o", module], check=True)
    rss = os.path.join(tmp, name + ".rss")
    out = subprocess.run(
        [sys.executable, os.path.join(ROOT, "tools/reference/peak_rss.py"), rss,
         os.path.join(build, "bin/trm-run"), module, "--weights", step,
         "--input", os.path.join(tmp, "inputs.npy"),
         "--puzzle-ids", os.path.join(tmp, name + "_ids.npy"),
         "--halting", "fixed", "--json", "-q"],
        check=True, capture_output=True, text=True)
    seconds = json.loads(out.stdout)["seconds"]
    return seconds["load"], seconds["compile"], float(open(rss).read())


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=876406)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--keep", help="write the files here instead of a temporary directory")
    args = ap.parse_args()
    cfg = dict(CONFIGS["arc"], halt_max_steps=1, num_puzzle_identifiers=args.rows)
    cpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model = re.search(r"Model name:\s*(.*)", cpu)
    print("CPU: %s" % (model.group(1).strip() if model else "unknown"))
    print("| puzzle rows | checkpoint | batch | load | compile | peak RSS |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as scratch:
        tmp = args.keep or scratch
        os.makedirs(tmp, exist_ok=True)
        for name, c, batches in (("one_row", dict(cfg, num_puzzle_identifiers=1), (1, 2)),
                                 ("big", cfg, (1, 2))):
            cfg_path, step = prepare(tmp, c, name)
            for batch in batches:
                load, compile_s, rss = run(args.build, tmp, name, cfg_path, step, batch)
                print("| %d | %.2f GB | %d | %.3f s | %.1f s | %.0f MiB |"
                      % (c["num_puzzle_identifiers"], os.path.getsize(step) / 1e9,
                         batch, load, compile_s, rss))
                sys.stdout.flush()

if __name__ == "__main__":
    main()
