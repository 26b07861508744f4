"""Checks trm-run's ARC evaluation against the golden's expected files.

usage: check_arc.py GOLDEN_DIR OUTPUT_DIR SUMMARY.json
Identical submission.json; the same ranked candidates (grids and vote
counts exactly, mean confidence to 1e-5: f32 against the float64
reference); pass@K from the --json summary equal to the reference's.
"""
import json
import os
import sys

golden, out, summary_path = sys.argv[1:4]
load = lambda *p: json.load(open(os.path.join(*p)))

assert load(out, "submission.json") == load(golden, "expected", "submission.json"), \
    "submission.json differs"

got, want = load(out, "arc_candidates.json"), load(golden, "expected", "candidates.json")
assert sorted(got) == sorted(want), (sorted(got), sorted(want))
for task in want:
    assert len(got[task]) == len(want[task]), task
    for g, w in zip(got[task], want[task]):
        if w is None:
            assert g is None, (task, g)
            continue
        assert [(c["grid"], c["votes"]) for c in g] == \
            [(c["grid"], c["votes"]) for c in w], task
        for a, b in zip(g, w):
            assert abs(a["mean_confidence"] - b["mean_confidence"]) < 1e-5, (task, a, b)

scores = load(summary_path)["arc"]
for k, v in load(golden, "expected", "scores.json").items():
    assert abs(scores[k] - v) < 1e-9, (k, scores[k], v)
print("arc ok: %d tasks, pass@1 %.4f, pass@2 %.4f" % (scores["tasks"], scores["pass@1"], scores["pass@2"]))
