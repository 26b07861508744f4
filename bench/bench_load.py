#!/usr/bin/python3
"""Benchmark: how long until a model is ready to run, by how it is deployed.

The trained sudoku6 model (models/sudoku6) at batch 16: the time from start
to the first sample, for
  - libtrmrt from C (examples/run_model: open the trm-compile artifact, bind
    the safetensors weights),
  - trm-run on the same artifact (load of the inputs and weights, then the
    machine code),
  - trm-run on the .mlir module, its code from the compilation cache,
  - trm-run on the .mlir module with --no-cache (the JIT compiles it),
  - trm-run on trm-compile's Vulkan artifact (the JIT compiles its host
    program; the kernels come from the pipeline cache beside it after the
    first run),
  - the PyTorch reference: Python, torch, the checkpoint loaded
    (tools/reference/trm_reference.py's readers);
each the median of --trials runs, in one run of this script. Also prints
trm-compile's time, the artifact's size and libtrmrt's size and
dependencies.

  bench/bench_load.py [--build DIR] [--trials N]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL = os.path.join(ROOT, "models", "sudoku6")
GOLDEN = os.path.join(ROOT, "test", "golden", "trained_sudoku6")


def run(cmd, env=None):
    t = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    wall = time.perf_counter() - t
    if out.returncode != 0:
        sys.exit("command failed: %s\n%s%s" % (" ".join(cmd), out.stdout, out.stderr))
    return out.stdout + out.stderr, wall


def trm_run_ready_ms(output):
    """trm-run's load phase plus its code phase (compile, JIT or load)."""
    m = re.search(r"timing: load ([0-9.]+) s, (.*?) ([0-9.]+) s, run", output)
    return 1000 * (float(m.group(1)) + float(m.group(3))), m.group(2)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--trials", type=int, default=5)
    args = ap.parse_args()
    b = os.path.join(args.build, "bin")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, TRM_CACHE_DIR=os.path.join(tmp, "cache"))
        module = os.path.join(tmp, "m.mlir")
        weights = os.path.join(tmp, "w.safetensors")
        run([os.path.join(b, "trm-import"), "--config", os.path.join(MODEL, "all_config.yaml"),
             "--dataset-json", os.path.join(MODEL, "dataset.json"), "--checkpoint",
             os.path.join(MODEL, "step_2029"), "--weights-out", weights, "--batch", "16",
             "-o", module])
        native = os.path.join(tmp, "m.trmc")
        _, compile_s = run([os.path.join(b, "trm-compile"), module, "--halting", "q_halt",
                            "-o", native])
        vulkan = os.path.join(tmp, "vulkan.trmc")
        run([os.path.join(b, "trm-compile"), module, "--device", "vulkan", "--halting",
             "q_halt", "-o", vulkan])
        inputs = np.load(os.path.join(GOLDEN, "inputs.npy"))[:16]
        ids = np.load(os.path.join(GOLDEN, "puzzle_identifiers.npy"))[:16]
        tokens_npy, ids_npy = os.path.join(tmp, "t.npy"), os.path.join(tmp, "i.npy")
        np.save(tokens_npy, inputs.astype(np.int32))
        np.save(ids_npy, ids.astype(np.int32))
        tokens_raw, ids_raw = os.path.join(tmp, "t.i32"), os.path.join(tmp, "i.i32")
        inputs.astype("<i4").tofile(tokens_raw)
        ids.astype("<i4").tofile(ids_raw)
        trm_inputs = ["--weights", weights, "--input", tokens_npy, "--puzzle-ids", ids_npy]
        # The first runs fill the compilation cache and the pipeline cache.
        run([os.path.join(b, "trm-run"), module, "--halting", "q_halt"] + trm_inputs, env)
        run([os.path.join(b, "trm-run"), vulkan] + trm_inputs, env)

        def trials(fn):
            return statistics.median(fn() for _ in range(args.trials))

        rows.append(("libtrmrt from C (run_model: open artifact, bind weights)", trials(
            lambda: float(re.search(r"ready in ([0-9.]+) ms", run(
                [os.path.join(b, "run_model"), native, weights, tokens_raw, ids_raw, "16",
                 os.path.join(tmp, "out.i32")])[0]).group(1)))))
        for label, model, extra in [
                ("trm-run, trm-compile artifact", native, []),
                ("trm-run, .mlir, code from the compilation cache", module, []),
                ("trm-run, .mlir, --no-cache (JIT)", module, ["--no-cache"]),
                ("trm-run, trm-compile Vulkan artifact (lavapipe)", vulkan, [])]:
            rows.append((label, trials(lambda: trm_run_ready_ms(run(
                [os.path.join(b, "trm-run"), model] + trm_inputs + extra, env)[0])[0])))
        torch_snippet = (
            "import time, sys; t = time.perf_counter(); sys.path.insert(0, %r); "
            "import torch, trm_reference as r; "
            "cfg = r.load_config(%r); W = r.load_weights(%r, cfg); "
            "print('ready %%.3f' %% (1000 * (time.perf_counter() - t)))"
            % (os.path.join(ROOT, "tools", "reference"), os.path.join(MODEL, "all_config.yaml"),
               os.path.join(MODEL, "step_2029")))
        rows.append(("PyTorch reference (import torch, load the checkpoint)", trials(
            lambda: float(re.search(r"ready ([0-9.]+)", run(
                ["/usr/bin/python3", "-c", torch_snippet])[0]).group(1)))))
        artifact_bytes = os.path.getsize(native)
    lib = os.path.join(args.build, "lib", "libtrmrt.so")
    real = os.path.realpath(lib)
    deps = sorted(set(re.findall(r"^\s*(\S+) =>", subprocess.run(
        ["ldd", lib], capture_output=True, text=True).stdout, re.M)))
    cpu = open("/proc/cpuinfo").read().split("model name")[1].split("\n")[0].strip(": \t")
    print("CPU: %s; sudoku6 (models/sudoku6) at batch 16, halting q_halt; "
          "median of %d runs each, one run of this script" % (cpu, args.trials))
    print("trm-compile: %.1f s; artifact %d bytes; %s: %d bytes, needs %s"
          % (compile_s, artifact_bytes, os.path.basename(real), os.path.getsize(real),
             ", ".join(deps)))
    fastest = rows[0][1]
    print("| how the model is loaded | ready in (ms) | vs libtrmrt |")
    print("|---|---|---|")
    for label, ms in rows:
        print("| %s | %.1f | %.0fx |" % (label, ms, ms / fastest))


if __name__ == "__main__":
    main()
