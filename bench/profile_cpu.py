#!/usr/bin/python3
"""Where trm-run's CPU time goes, per op of the model: a per-phase profile.

    bench/profile_cpu.py [--configs sudoku,arc] [--batches 1,8] [--steps 2]
                         [--precisions f32,bf16] [--threads 2] [--build build]

For each row, the module (bench_cpu.py's full-size configurations, random
weights) is compiled by trm-run with --debug-info, whose line tables map the
machine code to the lines of the module, then run once more (from the
compilation cache) under `perf record`. Each sample of the compiled code is
charged to the trm op on its module line: swiglu over tokens (mlp_t's token
mixing), swiglu over features (the MLP), attention, residual_norm (residual
add + RMS norm), lm_head, q_head, embed, the recursion and halting loop's own
ops (trm.deep_recursion, trm.act: state copies, selects, compaction), and
code without a location. Samples elsewhere are the OpenMP runtime (threads
waiting at barriers), libc (memcpy/memset: copies of buffers), the kernel
(page faults) and the rest. Needs perf (linux-perf), which may be refused
in a container: then it says so and exits 1.

bench_cpu.py --profile prints the same table after its speed table.
"""
import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# A module line's phase: the first trm op on it.
OP = re.compile(r"\btrm\.([a-z_]+)\b(.*)")


def phase_of_line(text):
    m = OP.search(text)
    if not m:
        return "other module lines"
    op, rest = m.group(1), m.group(2)
    if op == "swiglu":
        return "swiglu over tokens (mlp_t)" if "over tokens" in rest else "swiglu over features (MLP)"
    if op in ("act", "deep_recursion", "yield", "init_state"):
        return "recursion and halting (trm.%s)" % op
    return op


def phase_of_dso(dso):
    if dso.startswith("libomp"):
        return "OpenMP runtime (threads waiting)"
    if dso.startswith("libc.") or dso.startswith("libc-"):
        return "libc (memcpy/memset: buffer copies)"
    if dso.startswith("[kernel"):
        return "kernel (page faults, scheduling)"
    if dso.startswith("libm."):
        return "libm"
    return "other (%s)" % dso


def profile(trm_run, module, weights, tokens, precision, threads, tmp):
    """{phase: percent of samples} for one trm-run of `module`."""
    cache = os.path.join(tmp, "profile-cache")
    cmd = [trm_run, module, "--device", "cpu", "--weights", weights, "--input", tokens,
           "--halting", "fixed", "--precision", precision, "--debug-info",
           "--cache-dir", cache, "-q"]
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    subprocess.run(cmd, check=True, env=env, capture_output=True)  # compile into the cache
    data = os.path.join(tmp, "perf.data")
    rec = subprocess.run(["perf", "record", "-q", "-F", "999", "-o", data, "--"] + cmd,
                         env=env, capture_output=True, text=True)
    if rec.returncode != 0:
        sys.exit("perf record failed (is perf allowed here? "
                 "/proc/sys/kernel/perf_event_paranoid): " + rec.stderr.strip()[:300])
    rep = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", "dso,srcline",
                          "--stdio"], capture_output=True, text=True, check=True).stdout
    lines = open(module).read().split("\n")
    phases = collections.Counter()
    for row in rep.split("\n"):
        m = re.match(r"\s*([0-9.]+)%\s+(\S+)\s+(\S+)", row)
        if not m:
            continue
        pct, dso, src = float(m.group(1)), m.group(2), m.group(3)
        if dso.endswith(".trmc"):
            name, _, line = src.rpartition(":")
            if os.path.basename(name) == os.path.basename(module) and line.isdigit() \
                    and 0 < int(line) <= len(lines):
                phases[phase_of_line(lines[int(line) - 1])] += pct
            else:
                phases["compiled code without a location"] += pct
        else:
            phases[phase_of_dso(dso)] += pct
    shutil.rmtree(cache, ignore_errors=True)
    return phases


def print_profiles(profiles):
    """`profiles`: [(label, {phase: percent})]; one markdown table, a column each."""
    phases = sorted({p for _, ph in profiles for p in ph},
                    key=lambda p: -max(ph.get(p, 0) for _, ph in profiles))
    print("| phase (share of perf samples) | " + " | ".join(l for l, _ in profiles) + " |")
    print("|---|" + "---|" * len(profiles))
    for p in phases:
        print("| %s | %s |" % (p, " | ".join("%.1f%%" % ph.get(p, 0) for _, ph in profiles)))


def main():
    sys.path.insert(0, os.path.join(ROOT, "bench"))
    import bench_cpu as B  # noqa: E402
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--configs", default="sudoku,arc")
    ap.add_argument("--batches", default="1,8")
    ap.add_argument("--steps", type=int, default=2)
    ap.add_argument("--precisions", default="f32,bf16")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    args = ap.parse_args()
    if not shutil.which("perf"):
        sys.exit("no perf here (apt install linux-perf)")
    trm_import = os.path.join(args.build, "bin", "trm-import")
    trm_run = os.path.join(args.build, "bin", "trm-run")
    profiles = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.configs.split(","):
            _, weights = B.write_model(name, args.steps, tmp)
            for batch in [int(b) for b in args.batches.split(",")]:
                tokens, module_b = B.write_inputs(name, batch, tmp, trm_import)
                for precision in args.precisions.split(","):
                    profiles.append(("%s b%d %s" % (name, batch, precision),
                                     profile(trm_run, module_b, weights, tokens, precision,
                                             args.threads, tmp)))
    print("CPU: %s, %d threads, %d steps, halting fixed" % (B.cpu_name(), args.threads,
                                                             args.steps))
    print_profiles(profiles)


if __name__ == "__main__":
    main()
