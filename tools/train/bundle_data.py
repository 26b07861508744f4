#!/usr/bin/python3
"""Copies a generated held-out split into data/<task>/ and writes demo.txt.

  /usr/bin/python3 tools/train/bundle_data.py --src /tmp/sudoku6 --dst data/sudoku6 --size 6
Files written: test__inputs.npy, test__labels.npy, test__puzzle_identifiers.npy
(int32, [count, S] / [count]) and demo.txt (the first --demo puzzles, rendered).
"""
import argparse
import os

import numpy as np

BOXES = {4: (2, 2), 6: (2, 3), 9: (3, 3)}


def render(tokens, n):
    br, bc = BOXES[n]
    lines = []
    for r in range(n):
        if r and r % br == 0:
            lines.append("+".join(["-" * (2 * bc)] * (n // bc)))
        cells = []
        for c in range(n):
            if c and c % bc == 0:
                cells.append("|")
            t = int(tokens[r * n + c])
            cells.append("." if t == 1 else str(t - 1))
        lines.append(" ".join(cells))
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", required=True)
    ap.add_argument("--dst", required=True)
    ap.add_argument("--size", type=int, default=6)
    ap.add_argument("--demo", type=int, default=5)
    args = ap.parse_args()
    os.makedirs(args.dst, exist_ok=True)
    arrs = {k: np.load(os.path.join(args.src, f"test__{k}.npy")).astype(np.int32)
            for k in ("inputs", "labels", "puzzle_identifiers")}
    # Keep only puzzles whose input AND solution grid never occur in training.
    train_in = np.load(os.path.join(args.src, "train__inputs.npy")).astype(np.int32)
    train_lab = np.load(os.path.join(args.src, "train__labels.npy")).astype(np.int32)
    seen_in, seen_lab = set(map(bytes, train_in)), set(map(bytes, train_lab))
    keep = np.array([bytes(i) not in seen_in and bytes(l) not in seen_lab
                     for i, l in zip(arrs["inputs"], arrs["labels"])])
    print(f"dropping {int((~keep).sum())} test puzzles that share an input or a solution with training")
    for k in arrs:
        arrs[k] = arrs[k][keep]
        np.save(os.path.join(args.dst, f"test__{k}.npy"), arrs[k])
    n = args.size
    with open(os.path.join(args.dst, "demo.txt"), "w") as f:
        f.write(f"# {args.demo} held-out {n}x{n} Sudoku puzzles (first rows of test__inputs.npy).\n")
        f.write("# Tokens: 0 pad, 1 blank ('.'), 2..%d = digits 1..%d. One line per puzzle gives\n" % (n + 1, n))
        f.write("# the row-major token sequence of the input, then of the solution.\n\n")
        for i in range(args.demo):
            inp, lab = arrs["inputs"][i], arrs["labels"][i]
            f.write(f"puzzle {i}  ({int((inp > 1).sum())} givens)\n")
            f.write("input:    " + " ".join(map(str, inp)) + "\n")
            f.write("solution: " + " ".join(map(str, lab)) + "\n")
            for a, b in zip(render(inp, n), render(lab, n)):
                f.write(f"  {a:<{2 * n + 3}}     {b}\n")
            f.write("\n")
    print(f"wrote {len(arrs['inputs'])} puzzles to {args.dst}")


if __name__ == "__main__":
    main()
