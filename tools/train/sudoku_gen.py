#!/usr/bin/python3
"""Generator for small Sudoku puzzles (4x4 with 2x2 boxes, 6x6 with 2x3 boxes).

Token encoding follows the reference Sudoku builder: 0 pad (unused), 1 blank,
2..N+1 for the digits 1..N.  Inputs and labels are [count, N*N] int32 arrays
in row-major order; labels hold the full solution (givens included).

Every puzzle has a unique solution and is *minimal*: starting from a random
full grid, cells are blanked in random order and a blank is kept only when the
puzzle still has exactly one solution.  Minimal puzzles are the hardest ones
a given grid admits, which is what makes recursion useful.

Usage (writes <out>/{train,test}__{inputs,labels,puzzle_identifiers}.npy):
  /usr/bin/python3 tools/train/sudoku_gen.py --size 6 --count 1000 --seed 2 \
      --out data/sudoku6 --split test --exclude /tmp/train.npy
"""
import argparse
import os
import random

import numpy as np

BOXES = {4: (2, 2), 6: (2, 3), 9: (3, 3)}


class Geometry:
    def __init__(self, n):
        self.n = n
        br, bc = BOXES[n]
        self.peers = []
        for c in range(n * n):
            r, k = divmod(c, n)
            p = set()
            for j in range(n):
                p.add(r * n + j)
                p.add(j * n + k)
            r0, c0 = (r // br) * br, (k // bc) * bc
            for i in range(r0, r0 + br):
                for j in range(c0, c0 + bc):
                    p.add(i * n + j)
            p.discard(c)
            self.peers.append(tuple(p))
        self.full = (1 << n) - 1


def count_solutions(g, grid, limit=2, rng=None, out=None):
    """Counts solutions of grid (list, 0 = blank, 1..n digits) up to limit.
    With rng, tries candidates in random order; with out, stores the first
    solution found there."""
    n = g.n
    grid = list(grid)
    count = 0

    def rec():
        nonlocal count
        best, bestm, bestn = -1, 0, n + 1
        for c in range(n * n):
            if grid[c] == 0:
                m = g.full
                for p in g.peers[c]:
                    v = grid[p]
                    if v:
                        m &= ~(1 << (v - 1))
                k = bin(m).count("1")
                if k < bestn:
                    best, bestm, bestn = c, m, k
                    if k <= 1:
                        break
        if best < 0:
            count += 1
            if out is not None and not out:
                out.extend(grid)
            return count >= limit
        if bestn == 0:
            return False
        digits = [d + 1 for d in range(n) if bestm >> d & 1]
        if rng is not None:
            rng.shuffle(digits)
        for d in digits:
            grid[best] = d
            if rec():
                grid[best] = 0
                return True
        grid[best] = 0
        return False

    rec()
    return count


def random_grid(g, rng):
    out = []
    count_solutions(g, [0] * (g.n * g.n), limit=1, rng=rng, out=out)
    return out


def minimal_puzzle(g, solution, rng):
    puzzle = list(solution)
    order = list(range(g.n * g.n))
    rng.shuffle(order)
    for c in order:
        v = puzzle[c]
        puzzle[c] = 0
        if count_solutions(g, puzzle, limit=2) != 1:
            puzzle[c] = v
    return puzzle


def generate(n, count, seed, exclude=None, log_every=0):
    """Returns (inputs, labels) as int32 token arrays, distinct puzzles, none of
    which occurs in the exclude set (a set of input byte strings)."""
    g = Geometry(n)
    rng = random.Random(seed)
    seen = set(exclude or ())
    inputs, labels = [], []
    while len(inputs) < count:
        sol = random_grid(g, rng)
        puz = minimal_puzzle(g, sol, rng)
        inp = np.array([v + 1 for v in puz], dtype=np.int32)  # blank 0 -> 1, digit d -> d+1
        key = inp.tobytes()
        if key in seen:
            continue
        seen.add(key)
        inputs.append(inp)
        labels.append(np.array([v + 1 for v in sol], dtype=np.int32))
        if log_every and len(inputs) % log_every == 0:
            print(f"{len(inputs)}/{count}", flush=True)
    return np.stack(inputs), np.stack(labels)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=6, choices=sorted(BOXES))
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--split", default="train")
    ap.add_argument("--exclude", nargs="*", default=[],
                    help="inputs .npy files whose puzzles must not be generated")
    args = ap.parse_args()
    excl = set()
    for f in args.exclude:
        for row in np.load(f).astype(np.int32):
            excl.add(row.tobytes())
    inputs, labels = generate(args.size, args.count, args.seed, excl, log_every=1000)
    os.makedirs(args.out, exist_ok=True)
    np.save(os.path.join(args.out, f"{args.split}__inputs.npy"), inputs)
    np.save(os.path.join(args.out, f"{args.split}__labels.npy"), labels)
    np.save(os.path.join(args.out, f"{args.split}__puzzle_identifiers.npy"),
            np.zeros(len(inputs), dtype=np.int32))
    givens = (inputs > 1).sum(1)
    print(f"wrote {len(inputs)} puzzles to {args.out}; givens mean {givens.mean():.2f} "
          f"min {givens.min()} max {givens.max()}")


if __name__ == "__main__":
    main()
