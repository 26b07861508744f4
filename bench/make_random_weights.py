#!/usr/bin/python3
"""Random TRM weights for a configuration, as a safetensors file.

Used by the benchmarks (speed does not depend on the values). Keys and
shapes follow ../shared/TRM-SPEC.md; residual-branch output projections are
scaled down so the recursion stays finite over 16 steps.

  make_random_weights.py CONFIG(.json|.yaml) OUT.safetensors [--seed N]
"""
import argparse
import json
import math
import struct

import numpy as np


def load_config(path):
    if path.endswith(".json"):
        with open(path) as f:
            root = json.load(f)
    else:
        import yaml
        with open(path) as f:
            root = yaml.safe_load(f)
    arch = dict(root.get("arch", root))
    for k in ("seq_len", "vocab_size", "num_puzzle_identifiers"):
        arch.setdefault(k, root.get(k, 0))
    return arch


def swiglu_width(expansion, width):
    inter = round(expansion * width * 2 / 3)
    return (inter + 255) // 256 * 256


def weight_shapes(c):
    d = c["hidden_size"]
    ndim = c.get("puzzle_emb_ndim", 0)
    plen = c.get("puzzle_emb_len", 0) or (-(-ndim // d) if ndim else 0)
    if ndim == 0:
        plen = 0
    length = c["seq_len"] + plen
    inter = swiglu_width(c["expansion"], d)
    shapes = {"embed_tokens.embedding_weight": (c["vocab_size"], d)}
    if ndim:
        shapes["puzzle_emb.weights"] = (c["num_puzzle_identifiers"], ndim)
    if c.get("pos_encodings") == "learned":
        shapes["embed_pos.embedding_weight"] = (length, d)
    for i in range(c["L_layers"]):
        p = f"L_level.layers.{i}."
        if c.get("mlp_t"):
            it = swiglu_width(c["expansion"], length)
            shapes[p + "mlp_t.gate_up_proj.weight"] = (2 * it, length)
            shapes[p + "mlp_t.down_proj.weight"] = (length, it)
        else:
            shapes[p + "self_attn.qkv_proj.weight"] = (3 * d, d)
            shapes[p + "self_attn.o_proj.weight"] = (d, d)
        shapes[p + "mlp.gate_up_proj.weight"] = (2 * inter, d)
        shapes[p + "mlp.down_proj.weight"] = (d, inter)
    shapes["lm_head.weight"] = (c["vocab_size"], d)
    shapes["q_head.weight"] = (2, d)
    shapes["q_head.bias"] = (2,)
    shapes["H_init"] = (d,)
    shapes["L_init"] = (d,)
    return shapes


def random_weights(config, seed):
    rng = np.random.default_rng(seed)
    out = {}
    for key, shape in weight_shapes(config).items():
        fan_in = shape[-1]
        w = rng.standard_normal(shape) / math.sqrt(fan_in)
        if key.endswith(("o_proj.weight", "down_proj.weight")):
            w *= 0.1
        out[key] = w.astype(np.float32)
    return out


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for key, array in tensors.items():
        data = np.ascontiguousarray(array, dtype=np.float32).tobytes()
        header[key] = {"dtype": "F32", "shape": list(array.shape),
                       "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("config")
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    write_safetensors(args.out, random_weights(load_config(args.config), args.seed))


if __name__ == "__main__":
    main()
