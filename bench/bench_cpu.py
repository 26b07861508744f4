#!/usr/bin/python3
"""Benchmark: trm-run --device cpu (and vulkan) against the PyTorch reference.

Runs full-size TRM configurations on random weights through trm-run and
through tools/reference/trm_reference.py (Debian torch, fp32, no_grad, the
same thread count) in the same run, and prints a table: seconds per
inference (per sample), ratio to PyTorch, achieved GFLOP/s, and the fraction
of this machine's fp32 peak, measured in the same run by bench/peak/peak.c
(independent chains of vector FMAs on every thread, built with -march=native;
its bf16 rate, vdpbf16ps, is measured too where the CPU has AVX512-BF16).

  bench/bench_cpu.py [--configs sudoku,arc] [--batches 1,8] [--steps N]
                     [--threads 2] [--build build] [--devices cpu,vulkan]
                     [--precisions f32,bf16] [--trials 3] [--profile]

--precisions runs the CPU rows at each trm-run --precision: a bf16 row is
compared with the same PyTorch fp32 reference and with the bf16 peak (an
f32 row with the fp32 peak).

Each row is the best of --trials runs of each side, alternating, so that a
noisy neighbour on a shared machine does not decide the ratio. trm-run's time
is its run phase (machine code is generated at load); PyTorch's is one
inference after a warm-up one.

Vulkan rows also report kernel dispatches and host synchronisations per
supervision step, and name the Vulkan device (lavapipe on a CI machine).

--steps N runs N supervision steps instead of halt_max_steps (16); time and
FLOPs scale linearly with steps, so the per-step comparison is unchanged; the
table says which step count it used.
"""
import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from make_random_weights import random_weights, write_safetensors  # noqa: E402
import profile_cpu  # noqa: E402

CONFIGS = {
    # Sudoku-Extreme: mlp_t, D 512, T 3, n 6, S 81 + 16 prefix, V 11.
    "sudoku": {"hidden_size": 512, "num_heads": 8, "expansion": 4, "L_layers": 2,
               "H_cycles": 3, "L_cycles": 6, "halt_max_steps": 16,
               "pos_encodings": "none", "mlp_t": True, "puzzle_emb_ndim": 512,
               "puzzle_emb_len": 16, "seq_len": 81, "vocab_size": 11,
               "num_puzzle_identifiers": 1},
    # ARC-AGI: attention, 8 heads, rope, D 512, T 3, n 4, S 900 + 16, V 12.
    "arc": {"hidden_size": 512, "num_heads": 8, "expansion": 4, "L_layers": 2,
            "H_cycles": 3, "L_cycles": 4, "halt_max_steps": 16,
            "pos_encodings": "rope", "mlp_t": False, "puzzle_emb_ndim": 512,
            "puzzle_emb_len": 16, "seq_len": 900, "vocab_size": 12,
            "num_puzzle_identifiers": 1},
}


def swiglu_width(e, w):
    return (round(e * w * 2 / 3) + 255) // 256 * 256


def gflop_per_sample(c, steps):
    """The spec's cost model (matmul FLOPs only)."""
    d, length = c["hidden_size"], c["seq_len"] + c["puzzle_emb_len"]
    inter = swiglu_width(c["expansion"], d)
    if c["mlp_t"]:
        layer = 6 * d * length * swiglu_width(c["expansion"], length) + 6 * length * d * inter
    else:
        layer = 8 * length * d * d + 4 * length * length * d + 6 * length * d * inter
    calls = c["H_cycles"] * (c["L_cycles"] + 1)
    per_step = calls * c["L_layers"] * layer + 2 * length * d * c["vocab_size"] + 4 * d
    return steps * per_step / 1e9


def blas_core():
    """The kernel family OpenBLAS picked for this CPU (DYNAMIC_ARCH builds)."""
    import ctypes
    import torch  # noqa: F401 (loads the BLAS torch uses)
    try:
        lib = ctypes.CDLL("libopenblas.so.0")
        lib.openblas_get_corename.restype = ctypes.c_char_p
        return "OpenBLAS " + lib.openblas_get_corename().decode()
    except (OSError, AttributeError):
        return "unknown BLAS"


def measured_peaks(threads, tmp):
    """fp32 and bf16 GFLOP/s (bf16 None without AVX512-BF16) on `threads`
    threads, from bench/peak/peak.c."""
    exe = os.path.join(tmp, "peak")
    subprocess.run(["clang-22", "-O2", "-march=native", "-pthread",
                    os.path.join(ROOT, "bench", "peak", "peak.c"), "-o", exe], check=True)
    out = subprocess.run([exe, str(threads)], capture_output=True, text=True,
                         check=True).stdout
    fp32 = float(re.search(r"fp32 ([0-9.]+)", out).group(1))
    bf16 = re.search(r"bf16 ([0-9.]+)", out)
    return fp32, float(bf16.group(1)) if bf16 else None


def write_model(name, steps, tmp):
    """Config `name` at `steps` supervision steps: (config path, random weights path)."""
    cfg = dict(CONFIGS[name], halt_max_steps=steps)
    cfg_path = os.path.join(tmp, name + ".json")
    with open(cfg_path, "w") as f:
        json.dump(cfg, f)
    weights = os.path.join(tmp, name + ".safetensors")
    write_safetensors(weights, random_weights(cfg, 0))
    return cfg_path, weights


def write_inputs(name, batch, tmp, trm_import):
    """Random tokens for `batch` samples of config `name` (written by write_model) and
    the module imported at that batch: (tokens path, module path)."""
    cfg = CONFIGS[name]
    tokens = os.path.join(tmp, "%s_b%d_tokens.npy" % (name, batch))
    rng = np.random.default_rng(batch)
    np.save(tokens, rng.integers(1, cfg["vocab_size"],
                                 (batch, cfg["seq_len"])).astype(np.int32))
    module = os.path.join(tmp, "%s_b%d.mlir" % (name, batch))
    run([trm_import, "--config", os.path.join(tmp, name + ".json"), "--batch", str(batch),
         "-o", module])
    return tokens, module


def cpu_name():
    return open("/proc/cpuinfo").read().split("model name")[1].split("\n")[0].strip(": \t")


def run(cmd, env=None):
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=3600)
    if out.returncode != 0:
        sys.exit("command failed: %s\n%s%s" % (" ".join(cmd), out.stdout, out.stderr))
    # trm-run reports its timing and counters on stderr.
    return out.stdout + out.stderr


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--configs", default="sudoku,arc")
    ap.add_argument("--batches", default="1,8")
    ap.add_argument("--steps", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--devices", default="cpu")
    ap.add_argument("--trials", type=int, default=3)
    ap.add_argument("--precisions", default="f32,bf16")
    ap.add_argument("--profile", action="store_true",
                    help="also a per-phase profile of each CPU row (bench/profile_cpu.py; "
                         "needs perf), after the timed runs")
    args = ap.parse_args()
    trm_import = os.path.join(args.build, "bin", "trm-import")
    trm_run = os.path.join(args.build, "bin", "trm-run")
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))

    rows = []
    profiles = []
    devices_seen = set()
    with tempfile.TemporaryDirectory() as tmp:
        peak, bf16_peak = measured_peaks(args.threads, tmp)
        bf16_measured = bf16_peak
        precisions = args.precisions.split(",")
        if "bf16" in precisions and not bf16_peak:
            print("no AVX512-BF16 here: bf16 rows are its f32 fallback, against the "
                  "fp32 peak", file=sys.stderr)
            bf16_peak = peak
        # Vulkan computes in f32 (or f16); bf16 is the CPU's.
        variants = [(d, p) for d in args.devices.split(",") for p in precisions
                    if d == "cpu" or p == "f32"]
        for name in args.configs.split(","):
            cfg = dict(CONFIGS[name], halt_max_steps=args.steps)
            cfg_path, weights = write_model(name, args.steps, tmp)
            for batch in [int(b) for b in args.batches.split(",")]:
                tokens, module = write_inputs(name, batch, tmp, trm_import)
                torch_s = math.inf
                ours_by_device = {}
                for _ in range(args.trials):
                    ref = run(["/usr/bin/python3",
                               os.path.join(ROOT, "tools/reference/trm_reference.py"),
                               "--random-config", cfg_path, "--batch", str(batch), "--threads",
                               str(args.threads), "--time", "--quiet"])
                    torch_s = min(torch_s, float(
                        re.search(r"time ([0-9.]+) s per batch", ref).group(1)))
                    for device, precision in variants:
                        out = run([trm_run, module, "--device", device, "--weights", weights,
                                   "--input", tokens, "--halting", "fixed",
                                   "--precision", precision], env)
                        t = float(re.search(r"run ([0-9.]+) s", out).group(1))
                        key = (device, precision)
                        if t < ours_by_device.get(key, (math.inf, ""))[0]:
                            ours_by_device[key] = (t, out)
                gflop = gflop_per_sample(cfg, args.steps) * batch
                for device, precision in variants:
                    ours, out = ours_by_device[(device, precision)]
                    extra = ""
                    if device == "vulkan":
                        vk = re.search(r"\(([0-9.]+) per supervision step\), [0-9]+ host "
                                       r"synchronisations \(([0-9.]+) per", out)
                        extra = "%s dispatches, %s syncs per step" % vk.groups()
                        devices_seen.add(re.search(r"device vulkan: (.*), halting", out).group(1))
                    ceiling = bf16_peak if precision == "bf16" else peak
                    rows.append((name, batch, device, precision, ours / batch, torch_s / batch,
                                 torch_s / ours, gflop / ours, gflop / ours / ceiling, extra))
                    print("%s batch %d %s %s: trm-run %.3f s, torch %.3f s"
                          % (name, batch, device, precision, ours, torch_s), file=sys.stderr)
                if args.profile:
                    for device, precision in variants:
                        if device == "cpu":
                            profiles.append(("%s b%d %s" % (name, batch, precision),
                                             profile_cpu.profile(trm_run, module, weights, tokens,
                                                                 precision, args.threads, tmp)))

    print("CPU: %s, %d threads; peak (bench/peak/peak.c, same run): fp32 %.1f GFLOP/s, "
          "bf16 %s; PyTorch's BLAS: %s; each row the best of %d trials"
          % (cpu_name(), args.threads, peak,
             "%.1f GFLOP/s" % bf16_measured if bf16_measured else "unavailable (no AVX512-BF16)",
             blas_core(), args.trials))
    for d in sorted(devices_seen):
        print("Vulkan device: %s" % d)
    print("steps per inference: %d (halting fixed)" % args.steps)
    print("PyTorch: fp32 on every row; the fraction of peak is of the fp32 peak for f32 "
          "rows, of the bf16 peak for bf16 rows")
    print("| config | batch | device | precision | trm-run s/sample | PyTorch fp32 s/sample | speed-up vs PyTorch | trm-run GFLOP/s | fraction of peak | Vulkan work |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, batch, device, precision, ours, ref, ratio, gflops, frac, extra in rows:
        print("| %s | %d | %s | %s | %.3f | %.3f | %.2fx | %.1f | %.0f%% | %s |"
              % (name, batch, device, precision, ours, ref, ratio, gflops, 100 * frac, extra))
    if profiles:
        print("\nper-phase profile (bench/profile_cpu.py: perf samples charged to the trm op "
              "on the module line the code came from):")
        profile_cpu.print_profiles(profiles)


if __name__ == "__main__":
    main()
