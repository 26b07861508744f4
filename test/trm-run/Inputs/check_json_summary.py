"""Checks trm-run's --json summary against golden predictions.

usage: check_json_summary.py SUMMARY.json EXPECTED_PREDICTIONS.npy OUTPUT_DIR
"""
import json
import os
import sys

import numpy as np

summary_path, expected_path, output_dir = sys.argv[1:4]
with open(summary_path) as f:
    summary = json.load(f)  # the whole of stdout must be one document
expected = np.load(expected_path)
n, s = expected.shape

assert summary["tool"] == "trm-run", summary["tool"]
assert summary["samples"] == n and summary["seq_len"] == s, summary
assert summary["halting"] == "fixed", summary["halting"]
assert summary["exact_solves"] == n, summary["exact_solves"]
for key in ("load", "compile", "run", "run_per_sample"):
    assert summary["seconds"][key] >= 0, key
calls = summary["network_calls"]
assert 0 < calls["needed"] <= calls["executed"] <= calls["all_steps"], calls

results = summary["results"]
assert [r["sample"] for r in results] == list(range(n))
for r, want in zip(results, expected):
    assert r["prediction"] == want.tolist(), (r["sample"], r["prediction"])
    assert r["solved"] is True and r["steps"] == summary["max_steps"], r

names = ["predictions.npy", "logits.npy", "q_logits.npy", "steps.npy",
         "step_predictions.npy"]
written = [os.path.basename(p) for p in summary["outputs"]]
assert written == names, written
for p in summary["outputs"]:
    assert os.path.isfile(p), p
assert np.array_equal(np.load(os.path.join(output_dir, "predictions.npy")),
                      expected)
print("json summary ok")
