"""A reference-style split folder from a golden set, and the metrics the
reference (models/losses.py) reports for given predictions.

  dataset_split.py make GOLDEN_DIR OUT_DIR
      writes OUT_DIR/{all__inputs,all__labels,all__puzzle_identifiers}.npy
      and dataset.json with ignore_label_id 0; some label cells are set to 0
      (ignored), and one sample's labels all are (a sample nothing scores).
  dataset_split.py check SUMMARY.json OUT_DIR PREDICTIONS.npy
      compares trm-run's --json metrics with the reference's definitions
      applied to PREDICTIONS.npy (the float64 PyTorch reference's).
"""
import json
import os
import sys

import numpy as np

IGNORE = 0


def make(golden, out):
    os.makedirs(out, exist_ok=True)
    inputs = np.load(os.path.join(golden, "inputs.npy"))
    labels = np.load(os.path.join(golden, "labels.npy")).copy()
    ids = np.load(os.path.join(golden, "puzzle_identifiers.npy"))
    rng = np.random.default_rng(7)
    # Ignored cells: a tenth of them at random, all of sample 3's.
    labels[rng.random(labels.shape) < 0.1] = IGNORE
    labels[3, :] = IGNORE
    np.save(os.path.join(out, "all__inputs.npy"), inputs)
    np.save(os.path.join(out, "all__labels.npy"), labels)
    np.save(os.path.join(out, "all__puzzle_identifiers.npy"), ids)
    with open(os.path.join(out, "dataset.json"), "w") as f:
        json.dump({"pad_id": 0, "ignore_label_id": IGNORE,
                   "blank_identifier_id": 0, "vocab_size": 8,
                   "seq_len": int(inputs.shape[1]),
                   "num_puzzle_identifiers": 1, "total_groups": len(inputs),
                   "mean_puzzle_examples": 1, "sets": ["all"]}, f)


def reference_metrics(predictions, labels):
    mask = labels != IGNORE
    counts = mask.sum(-1)
    correct = (mask & (predictions == labels)).sum(-1)
    valid = counts > 0
    exact = (correct == counts)[valid]
    token = (correct / np.maximum(counts, 1))[valid]
    return int(valid.sum()), int(exact.sum()), float(exact.mean()), \
        float(token.mean())


def check(summary_path, out, predictions_path):
    with open(summary_path) as f:
        summary = json.load(f)
    labels = np.load(os.path.join(out, "all__labels.npy"))
    scored, solved, exact, token = reference_metrics(
        np.load(predictions_path), labels)
    got = (summary["scored_samples"], summary["exact_solves"],
           summary["exact_accuracy"], summary["token_accuracy"])
    assert got[:2] == (scored, solved), (got, scored, solved)
    assert abs(got[2] - exact) < 1e-6 and abs(got[3] - token) < 1e-6, \
        (got, exact, token)
    assert scored == len(labels) - 1, scored  # sample 3 scores nothing
    print(f"metrics ok: {solved}/{scored} exact, token accuracy {token:.6f}")


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(*sys.argv[2:4])
    else:
        check(*sys.argv[2:5])
