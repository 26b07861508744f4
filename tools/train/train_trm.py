#!/usr/bin/python3
"""Trains a Tiny Recursive Model on a small Sudoku (see sudoku_gen.py) on CPU.

Written from TRM-SPEC.md and the TRM paper ("Less is More: Recursive Reasoning
with Tiny Networks"):
  * deep supervision: every optimiser step runs ONE supervision step for every
    sample of the batch, carrying (z_H, z_L) detached from the previous step;
    a sample leaves the batch (and is replaced by a fresh, augmented puzzle)
    once it halts: after halt_max_steps steps or when q_halt > 0, with the
    reference's exploration rule (with probability halt_exploration_prob a
    sample is forced to run at least U{2..halt_max_steps} steps);
  * deep recursion: per supervision step H_cycles repeats of
    {L_cycles x z_L = net(z_L, z_H + x); z_H = net(z_H, z_L)}; only the last
    repeat carries gradients (the first H_cycles-1 run under no_grad);
  * loss = mean token cross-entropy of the answer logits
           + 0.5 * BCE(q_halt, "the whole prediction is exactly right");
  * AdamW (betas 0.9/0.95), linear warm-up then cosine decay, EMA of weights;
  * augmentation by Sudoku symmetries: digit relabelling, band/stack
    permutations, row/column permutations inside bands/stacks, and the
    transpose where boxes are square.
Training runs in float32; H_init/L_init are fixed bfloat16-rounded vectors.

Output directory: step_N (state_dict of the wrapper: keys model.inner.<name>),
all_config.yaml (reference layout) and dataset.json.

Example:
  OMP_NUM_THREADS=1 nice -n 19 /usr/bin/python3 tools/train/train_trm.py \
      --data /tmp/sudoku6 --out models/sudoku6 --steps 12000
"""
import argparse
import copy
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from trm_model import TRMWrapper  # noqa: E402
from sudoku_gen import BOXES  # noqa: E402


class SudokuAugmenter:
    """Random symmetry of an N x N Sudoku applied to token grids."""

    def __init__(self, n, rng):
        self.n = n
        self.br, self.bc = BOXES[n]
        self.rng = rng

    def _axis_perm(self, B, group, ngroups):
        # permutation of the n rows (or columns): permute the groups, then
        # permute inside each group.
        gp = np.argsort(self.rng.random((B, ngroups)), axis=1)          # [B, ng]
        ip = np.argsort(self.rng.random((B, ngroups, group)), axis=2)   # [B, ng, g]
        return (gp[:, :, None] * group + ip).reshape(B, ngroups * group)

    def __call__(self, inputs, labels):
        B, n = inputs.shape[0], self.n
        rows = self._axis_perm(B, self.br, n // self.br)
        cols = self._axis_perm(B, self.bc, n // self.bc)
        src = rows[:, :, None] * n + cols[:, None, :]  # [B, n, n] source cell
        if self.br == self.bc:
            tr = self.rng.random(B) < 0.5
            src[tr] = src[tr].transpose(0, 2, 1)
        src = src.reshape(B, n * n)
        # digit relabelling on tokens 2..n+1 (0 pad and 1 blank fixed)
        dmap = np.tile(np.arange(n + 2), (B, 1))
        dmap[:, 2:] = 2 + np.argsort(self.rng.random((B, n)), axis=1)
        ar = np.arange(B)[:, None]
        inp = dmap[ar, np.take_along_axis(inputs, src, 1)]
        lab = dmap[ar, np.take_along_axis(labels, src, 1)]
        return inp, lab


def exact_eval(inner, inputs, labels, pids, steps, bs=500):
    """Accuracy (exact solve) after each supervision step; fixed policy."""
    inner.eval()
    correct = np.zeros(steps)
    with torch.no_grad():
        for i in range(0, len(inputs), bs):
            inp = torch.from_numpy(inputs[i:i + bs]).long()
            lab = torch.from_numpy(labels[i:i + bs]).long()
            pid = torch.from_numpy(pids[i:i + bs]).long()
            x = inner.input_embeddings(inp, pid)
            zH, zL = inner.init_state(len(inp))
            for s in range(steps):
                zH, zL, logits, qh, _ = inner.step(zH, zL, x, grad_last=False)
                correct[s] += (logits.argmax(-1) == lab).all(-1).sum().item()
    inner.train()
    return correct / len(inputs)


def write_configs(out, cfg, args, n_train):
    import yaml
    arch = {
        "name": "recursive_reasoning.trm@TinyRecursiveReasoningModel_ACTV1",
        "loss": {"name": "losses@ACTLossHead", "loss_type": "softmax_cross_entropy"},
        "halt_exploration_prob": cfg["halt_exploration_prob"],
        "halt_max_steps": cfg["halt_max_steps"],
        "H_cycles": cfg["H_cycles"],
        "L_cycles": cfg["L_cycles"],
        "H_layers": 0,
        "L_layers": cfg["L_layers"],
        "hidden_size": cfg["hidden_size"],
        "num_heads": cfg["num_heads"],
        "expansion": cfg["expansion"],
        "puzzle_emb_ndim": cfg["puzzle_emb_ndim"],
        "puzzle_emb_len": cfg["puzzle_emb_len"],
        "pos_encodings": cfg["pos_encodings"],
        "rms_norm_eps": cfg["rms_norm_eps"],
        "rope_theta": cfg["rope_theta"],
        "forward_dtype": "bfloat16",
        "mlp_t": cfg["mlp_t"],
        "no_ACT_continue": True,
    }
    allcfg = {
        "arch": arch,
        "data_paths": [args.data],
        "global_batch_size": args.batch_size,
        "epochs": None,
        "total_steps": args.steps,
        "lr": args.lr,
        "lr_min_ratio": args.lr_min_ratio,
        "lr_warmup_steps": args.warmup,
        "weight_decay": args.weight_decay,
        "beta1": 0.9,
        "beta2": 0.95,
        "ema": args.ema > 0,
        "ema_rate": args.ema,
        "seed": args.seed,
        "project_name": "trm-mlir",
        "run_name": os.path.basename(os.path.normpath(out)),
        "trainer": "tools/train/train_trm.py (float32, CPU)",
    }
    with open(os.path.join(out, "all_config.yaml"), "w") as f:
        f.write("# Written by tools/train/train_trm.py in the reference trainer's layout.\n")
        yaml.safe_dump(allcfg, f, sort_keys=False)
    ds = {
        "pad_id": 0,
        "ignore_label_id": None,
        "blank_identifier_id": 0,
        "vocab_size": cfg["vocab_size"],
        "seq_len": cfg["seq_len"],
        "num_puzzle_identifiers": cfg["num_puzzle_identifiers"],
        "total_groups": n_train,
        "mean_puzzle_examples": 1,
        "total_puzzles": n_train,
        "sets": ["all"],
    }
    with open(os.path.join(out, "dataset.json"), "w") as f:
        json.dump(ds, f, indent=2)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="directory with train__*.npy and test__*.npy")
    ap.add_argument("--out", required=True)
    ap.add_argument("--size", type=int, default=6)
    ap.add_argument("--hidden-size", type=int, default=64)
    ap.add_argument("--expansion", type=float, default=4)
    ap.add_argument("--num-heads", type=int, default=2)
    ap.add_argument("--L-layers", type=int, default=2)
    ap.add_argument("--H-cycles", type=int, default=3)
    ap.add_argument("--L-cycles", type=int, default=4)
    ap.add_argument("--halt-max-steps", type=int, default=8)
    ap.add_argument("--mlp-t", type=int, default=1)
    ap.add_argument("--pos", default="none")
    ap.add_argument("--puzzle-emb", type=int, default=1, help="1: a learned 1-token prefix (puzzle_emb_ndim = D, len 1)")
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--steps", type=int, default=10000)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--lr-min-ratio", type=float, default=0.1)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--reveal-prob", type=float, default=0.0,
                    help="probability that a training puzzle gets extra givens (easier examples)")
    ap.add_argument("--reveal-max", type=int, default=0, help="extra givens: uniform in 1..reveal-max")
    ap.add_argument("--grad-clip", type=float, default=1.0)
    ap.add_argument("--halt-exploration", type=float, default=0.1)
    ap.add_argument("--eval-every", type=int, default=1000)
    ap.add_argument("--eval-count", type=int, default=500)
    ap.add_argument("--max-minutes", type=float, default=0,
                    help="time budget: stop (and save) after this many minutes; the cosine schedule "
                         "then follows max(step fraction, time fraction)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)

    tr_in = np.load(os.path.join(args.data, "train__inputs.npy")).astype(np.int64)
    tr_lab = np.load(os.path.join(args.data, "train__labels.npy")).astype(np.int64)
    # validation: the last eval_count training puzzles, never trained on
    # (the held-out test set is only touched by evaluate.py)
    te_in, te_lab = tr_in[-args.eval_count:], tr_lab[-args.eval_count:]
    tr_in, tr_lab = tr_in[:-args.eval_count], tr_lab[:-args.eval_count]
    te_pid = np.zeros(len(te_in), dtype=np.int64)
    S = tr_in.shape[1]
    assert S == args.size * args.size
    D = args.hidden_size
    cfg = {
        "hidden_size": D, "num_heads": args.num_heads, "expansion": args.expansion,
        "L_layers": args.L_layers, "H_cycles": args.H_cycles, "L_cycles": args.L_cycles,
        "halt_max_steps": args.halt_max_steps, "halt_exploration_prob": args.halt_exploration,
        "mlp_t": bool(args.mlp_t), "pos_encodings": args.pos,
        "puzzle_emb_ndim": D if args.puzzle_emb else 0, "puzzle_emb_len": 1 if args.puzzle_emb else 0,
        "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
        "seq_len": S, "vocab_size": args.size + 2, "num_puzzle_identifiers": 1,
    }
    wrapper = TRMWrapper(cfg, seed=args.seed)
    inner = wrapper.inner
    nparams = sum(p.numel() for p in wrapper.parameters())
    print(f"config {json.dumps(cfg)}\nparameters {nparams}", flush=True)
    ema = copy.deepcopy(wrapper) if args.ema > 0 else None

    decay = [p for n, p in wrapper.named_parameters() if p.ndim >= 2]
    nodecay = [p for n, p in wrapper.named_parameters() if p.ndim < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": nodecay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95))

    def lr_at(step):
        if step < args.warmup:
            return args.lr * (step + 1) / args.warmup
        p = (step - args.warmup) / max(1, args.steps - args.warmup)
        if args.max_minutes:
            # with a time budget the schedule follows whichever runs out first
            p = max(p, (time.time() - t0) / (args.max_minutes * 60))
        p = min(p, 1.0)
        return args.lr * (args.lr_min_ratio + (1 - args.lr_min_ratio) * 0.5 * (1 + math.cos(math.pi * p)))

    aug = SudokuAugmenter(args.size, rng)
    B, N = args.batch_size, args.halt_max_steps
    zH, zL = inner.init_state(B)
    steps = torch.zeros(B, dtype=torch.long)
    halted = torch.ones(B, dtype=torch.bool)
    cur_in = torch.zeros(B, S, dtype=torch.long)
    cur_lab = torch.zeros(B, S, dtype=torch.long)
    pids = torch.zeros(B, dtype=torch.long)
    os.makedirs(args.out, exist_ok=True)
    write_configs(args.out, cfg, args, len(tr_in))

    def save(step, src):
        for f in os.listdir(args.out):
            if f.startswith("step_"):
                os.remove(os.path.join(args.out, f))
        torch.save(src.state_dict(), os.path.join(args.out, f"step_{step}"))

    t0 = time.time()
    stats = np.zeros(5)  # lm loss, q loss, exact (halted), q acc, steps (halted)
    nhalt = 0
    for it in range(args.steps):
        for g in opt.param_groups:
            g["lr"] = lr_at(it)
        # replace halted samples by fresh augmented puzzles
        k = int(halted.sum())
        if k:
            idx = rng.integers(0, len(tr_in), k)
            a_in, a_lab = aug(tr_in[idx], tr_lab[idx])
            if args.reveal_prob > 0:
                kk = rng.integers(1, args.reveal_max + 1, k) * (rng.random(k) < args.reveal_prob)
                ranks = np.argsort(np.argsort(rng.random(a_in.shape), 1), 1)
                rev = (ranks < kk[:, None]) & (a_in == 1)
                a_in = np.where(rev, a_lab, a_in)
            hm = halted
            cur_in[hm] = torch.from_numpy(a_in)
            cur_lab[hm] = torch.from_numpy(a_lab)
            h0, l0 = inner.init_state(k)
            zH[hm] = h0
            zL[hm] = l0
            steps[hm] = 0
        x = inner.input_embeddings(cur_in, pids)
        zH, zL, logits, q_halt, _ = inner.step(zH, zL, x, grad_last=True)
        lm_loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), cur_lab.reshape(-1))
        with torch.no_grad():
            correct = (logits.argmax(-1) == cur_lab).all(-1)
        q_loss = F.binary_cross_entropy_with_logits(q_halt, correct.float())
        loss = lm_loss + 0.5 * q_loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if args.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(wrapper.parameters(), args.grad_clip)
        opt.step()
        if ema is not None:
            with torch.no_grad():
                for pe, p in zip(ema.parameters(), wrapper.parameters()):
                    pe.mul_(args.ema).add_(p.detach(), alpha=1 - args.ema)
        zH, zL = zH.detach(), zL.detach()
        with torch.no_grad():
            steps += 1
            halted = (steps >= N) | (q_halt > 0)
            explore = torch.rand(B) < args.halt_exploration
            min_steps = explore.long() * torch.randint(2, N + 1, (B,))
            halted = halted & (steps >= min_steps)
            stats[0] += lm_loss.item()
            stats[1] += q_loss.item()
            stats[2] += (correct & halted).sum().item()
            stats[3] += ((q_halt > 0) == correct).float().mean().item()
            stats[4] += steps[halted].sum().item()
            nhalt += int(halted.sum())
        if (it + 1) % 100 == 0:
            el = time.time() - t0
            print(f"it {it + 1} lr {lr_at(it):.2e} lm {stats[0] / 100:.4f} q {stats[1] / 100:.4f} "
                  f"halted-exact {stats[2] / max(1, nhalt):.3f} q-acc {stats[3] / 100:.3f} "
                  f"halt-steps {stats[4] / max(1, nhalt):.2f} | {el / 60:.1f} min, {(it + 1) / el:.2f} it/s",
                  flush=True)
            stats[:] = 0
            nhalt = 0
        last = it + 1 == args.steps or (args.max_minutes and time.time() - t0 > args.max_minutes * 60)
        if (it + 1) % args.eval_every == 0 or last:
            best = None
            for name, m in (("raw", wrapper), ("ema", ema)):
                if m is None:
                    continue
                acc = exact_eval(m.inner, te_in, te_lab, te_pid, N)
                print(f"EVAL it {it + 1} {name}: exact after step 1 {acc[0]:.3f}, step {N // 2} "
                      f"{acc[N // 2 - 1]:.3f}, step {N} {acc[-1]:.3f}  ({(time.time() - t0) / 60:.1f} min)",
                      flush=True)
                if best is None or acc[-1] >= best[0]:
                    best = (acc[-1], name, m)
            save(it + 1, best[2])
            print(f"saved {best[1]} weights as step_{it + 1}", flush=True)
        if last:
            break
    print(f"done in {(time.time() - t0) / 60:.1f} min", flush=True)


if __name__ == "__main__":
    main()
