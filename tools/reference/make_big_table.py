#!/usr/bin/python3
"""Spread a golden set's puzzle embedding over a table of a million rows.

    /usr/bin/python3 tools/reference/make_big_table.py GOLDEN_DIR OUT_DIR [--rows N]

Writes OUT_DIR/step_1 (torch.save, as the trainer writes checkpoints), whose
puzzle_emb.weights has N rows: the golden table's row r moves to row
N - 1 - r * (N // R) (R: the golden's rows; row 0 goes to the last row), and
every other row is NaN, so a run that reads any row its puzzles do not name
gives NaN logits. OUT_DIR/puzzle_identifiers.npy holds the golden's ids
moved the same way, and OUT_DIR/dataset.json the new row count; the other
files are the golden's. A run on these files must reproduce the golden's
expected outputs exactly as the original does.
"""
import argparse
import glob
import json
import os
import shutil

import numpy as np
import torch

TABLE = "puzzle_emb.weights"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("golden")
    ap.add_argument("out")
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    (checkpoint,) = glob.glob(os.path.join(args.golden, "step_*"))
    state = torch.load(checkpoint, map_location="cpu")
    (key,) = [k for k in state if k.endswith(TABLE)]
    table = state[key]
    rows, width = table.shape
    assert args.rows >= rows
    moved = [args.rows - 1 - r * (args.rows // rows) for r in range(rows)]
    big = torch.full((args.rows, width), float("nan"), dtype=table.dtype)
    for r, to in enumerate(moved):
        big[to] = table[r]
    state[key] = big
    torch.save(state, os.path.join(args.out, "step_1"))

    ids = np.load(os.path.join(args.golden, "puzzle_identifiers.npy"))
    np.save(os.path.join(args.out, "puzzle_identifiers.npy"),
            np.array([moved[i] for i in ids], dtype=ids.dtype))
    with open(os.path.join(args.golden, "dataset.json")) as f:
        dataset = json.load(f)
    dataset["num_puzzle_identifiers"] = args.rows
    with open(os.path.join(args.out, "dataset.json"), "w") as f:
        json.dump(dataset, f)
    shutil.copy(os.path.join(args.golden, "all_config.yaml"), args.out)


if __name__ == "__main__":
    main()
