#!/usr/bin/python3
"""Regenerates the tiny checkpoints the test/Import lit tests read.

    cd test/Import/Inputs && /usr/bin/python3 make_inputs.py

tiny/ is a complete model directory as the reference trainer leaves it
(all_config.yaml without data-set sizes, dataset.json, step_1 written by
torch.save with `_orig_mod.model.inner.` keys and bf16 H_init/L_init) plus
model.safetensors holding the same tensors. The other files are broken
variants for the error tests.
"""
import collections
import json
import os
import struct

import torch

D, HEADS, V, S, IDS, P = 8, 2, 5, 4, 3, 1
INTER = 256  # round_up(round(2 * 8 * 2 / 3), 256)
PREFIX = "_orig_mod.model.inner."

CONFIG = """\
# Reference-style all_config.yaml: data-set sizes come from dataset.json.
arch:
  name: recursive_reasoning.trm@TinyRecursiveReasoningModel_ACTV1
  halt_exploration_prob: 0.1
  halt_max_steps: 2
  H_cycles: 1
  L_cycles: 1
  H_layers: 0
  L_layers: 1
  hidden_size: 8
  num_heads: 2
  expansion: 2
  puzzle_emb_ndim: 8
  puzzle_emb_len: 1
  pos_encodings: rope
  forward_dtype: bfloat16
  mlp_t: false
  no_ACT_continue: true
global_batch_size: 4
"""


def state_dict():
    g = torch.Generator().manual_seed(1)

    def rnd(*shape):
        return torch.randn(*shape, generator=g)

    sd = collections.OrderedDict()
    sd["embed_tokens.embedding_weight"] = rnd(V, D)
    sd["puzzle_emb.weights"] = rnd(IDS, D)
    sd["L_level.layers.0.self_attn.qkv_proj.weight"] = rnd(3 * D, D)
    sd["L_level.layers.0.self_attn.o_proj.weight"] = rnd(D, D)
    sd["L_level.layers.0.mlp.gate_up_proj.weight"] = rnd(2 * INTER, D)
    # Stored transposed (non-contiguous) to exercise the strided gather.
    sd["L_level.layers.0.mlp.down_proj.weight"] = rnd(INTER, D).t()
    sd["lm_head.weight"] = rnd(V, D)
    sd["q_head.weight"] = rnd(2, D)
    sd["q_head.bias"] = torch.tensor([-5.0, 0.0])
    sd["H_init"] = rnd(D).bfloat16()
    sd["L_init"] = rnd(D).bfloat16()
    # A persistent rotary cache, as some versions store: ignored on import.
    sd["rotary_emb.cos_cached"] = rnd(S + P, D // HEADS)
    return collections.OrderedDict((PREFIX + k, v) for k, v in sd.items())


def save_safetensors(path, tensors, dtype_override=None, offset_shift=0):
    names = {torch.float32: "F32", torch.bfloat16: "BF16", torch.int64: "I64"}
    header, blobs, offset = {}, [], 0
    for k, v in tensors.items():
        v = v.contiguous()
        raw = v.view(torch.int16).numpy().tobytes() if v.dtype == torch.bfloat16 \
            else v.numpy().tobytes()
        header[k] = {"dtype": (dtype_override or {}).get(k, names[v.dtype]),
                     "shape": list(v.shape),
                     "data_offsets": [offset + offset_shift, offset + len(raw) + offset_shift]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def main():
    os.makedirs("tiny", exist_ok=True)
    with open("tiny/all_config.yaml", "w") as f:
        f.write(CONFIG)
    with open("tiny/dataset.json", "w") as f:
        json.dump({"pad_id": 0, "ignore_label_id": 0, "blank_identifier_id": 0,
                   "vocab_size": V, "seq_len": S, "num_puzzle_identifiers": IDS,
                   "total_groups": 3, "mean_puzzle_examples": 1.0,
                   "sets": ["all"]}, f)
    sd = state_dict()
    torch.save(sd, "tiny/step_1")
    save_safetensors("tiny/model.safetensors", sd)

    extra = collections.OrderedDict(sd)
    extra[PREFIX + "L_level.layers.1.mlp.down_proj.weight"] = torch.zeros(D, INTER)
    save_safetensors("extra_key.safetensors", extra)
    missing = collections.OrderedDict(sd)
    del missing[PREFIX + "lm_head.weight"]
    save_safetensors("missing_key.safetensors", missing)
    save_safetensors("unknown_dtype.safetensors", sd,
                     dtype_override={PREFIX + "q_head.bias": "F8_E4M3"})
    # data_offsets shifted past the end of the data.
    save_safetensors("lying_header.safetensors", sd, offset_shift=64)
    # An int64 parameter in a torch.save archive.
    ints = collections.OrderedDict(sd)
    ints[PREFIX + "q_head.bias"] = torch.tensor([1, 2], dtype=torch.int64)
    torch.save(ints, "int_param.pt")


if __name__ == "__main__":
    main()
