"""Flips one random bit (seeded) in each of N copies of an artifact and runs
trm-run on each: every copy must be refused (non-zero exit) or give exactly
the logits of the original. Prints how many were refused and how many ran.

    flip_bits.py TRM_RUN ARTIFACT WEIGHTS INPUT OUT_DIR COUNT
"""
import os
import subprocess
import sys

import numpy as np

trm_run, artifact, weights, inputs, out, count = sys.argv[1:7]
rng = np.random.default_rng(25)
data = open(artifact, "rb").read()


def run(path, outdir):
    return subprocess.run([trm_run, path, "--weights", weights, "--input", inputs,
                           "--output-dir", outdir], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, universal_newlines=True)


ref = os.path.join(out, "ref")
assert run(artifact, ref).returncode == 0
expected = np.load(os.path.join(ref, "logits.npy"))
refused = ran = 0
for i in range(int(count)):
    bit = int(rng.integers(0, 8 * len(data)))
    flipped = bytearray(data)
    flipped[bit // 8] ^= 1 << (bit % 8)
    path = os.path.join(out, "flip%d.trmc" % i)
    open(path, "wb").write(bytes(flipped))
    result = run(path, os.path.join(out, "flip%d" % i))
    if result.returncode != 0:
        assert "Stack dump" not in result.stderr, result.stderr
        refused += 1
        continue
    got = np.load(os.path.join(out, "flip%d" % i, "logits.npy"))
    assert np.array_equal(got, expected), "bit %d changed the logits, exit 0" % bit
    ran += 1
print("flipped bits: %d refused, %d ran with the original logits" % (refused, ran))
