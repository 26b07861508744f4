#!/usr/bin/env python3
"""Extracts every SPIR-V blob from the gpu.binary ops of a lowered module
(trm-opt --trm-to-vulkan-pipeline output) and runs spirv-val on each.

usage: validate_binaries.py MODULE.mlir OUT_DIR [--target-env vulkan1.1]
Prints one line per module and a summary; exits 1 if any is invalid or
none is found.
"""
import os
import re
import subprocess
import sys


def unescape(text):
    """MLIR string-literal escapes (\\XX hex, \\\\, \\") to bytes."""
    out = bytearray()
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            nxt = text[i + 1]
            if nxt in "\\\"":
                out.append(ord(nxt))
                i += 2
            else:
                out.append(int(text[i + 1:i + 3], 16))
                i += 3
        else:
            out.append(ord(c))
            i += 1
    return bytes(out)


def main():
    args = sys.argv[1:]
    env = "vulkan1.1"
    if "--target-env" in args:
        k = args.index("--target-env")
        env = args[k + 1]
        del args[k:k + 2]
    module, out_dir = args
    os.makedirs(out_dir, exist_ok=True)
    text = open(module).read()
    pattern = re.compile(r'gpu\.binary @(\w+)\s+\[#gpu\.object<.*?, "((?:[^"\\]|\\.)*)">\]')
    bad = 0
    found = 0
    for name, blob in pattern.findall(text):
        data = unescape(blob)
        path = os.path.join(out_dir, name + ".spv")
        with open(path, "wb") as f:
            f.write(data)
        found += 1
        r = subprocess.run(["spirv-val", "--target-env", env, path],
                           capture_output=True, text=True)
        if r.returncode != 0:
            bad += 1
            print(f"INVALID {name}: {r.stdout}{r.stderr}".strip())
    print(f"spirv-val ({env}): {found - bad} of {found} kernel modules valid")
    sys.exit(1 if bad or not found else 0)


if __name__ == "__main__":
    main()
