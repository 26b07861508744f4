#!/usr/bin/python3
"""How much a lower precision changes a trm-run: solve rates, predictions, logits.

    precision_report.py --labels LABELS.npy [--reference REF_DIR] --policy fixed|q
                        --base F32_DIR --low BF16_DIR
                        [--max-points-drop P] [--max-logit-error E]
                        [--max-mean-logit-error M]
                        [--max-differing-samples N]

REF_DIR is trm_reference.py --out with --dtype float64 (fixed_logits.npy,
halt_logits.npy, halt_steps.npy); F32_DIR and BF16_DIR are trm-run --output-dir
runs of the same samples (predictions.npy, logits.npy, steps.npy), the first at
f32 and the second at the lower precision. Prints the exact-solve rate of
each, how many samples' predictions differ between them and from the
reference, and the logits' largest and mean absolute error against the float64
reference (with early halting, over the samples that halted at the reference's
step); without --reference, only the solve rates and the samples that differ.
Exits 1 when a --max-* bound is exceeded.
"""
import argparse
import os
import sys

import numpy as np


def load(d, name):
    return np.load(os.path.join(d, name))


def solved(preds, labels):
    return int((preds == labels).all(axis=1).sum())


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--labels", required=True)
    ap.add_argument("--reference")
    ap.add_argument("--policy", choices=["fixed", "q"], required=True)
    ap.add_argument("--base", required=True)
    ap.add_argument("--low", required=True)
    ap.add_argument("--max-points-drop", type=float)
    ap.add_argument("--max-logit-error", type=float)
    ap.add_argument("--max-differing-samples", type=int)
    ap.add_argument("--max-mean-logit-error", type=float)
    args = ap.parse_args()

    labels = np.load(args.labels)
    prefix = "fixed" if args.policy == "fixed" else "halt"
    n = labels.shape[0]
    ref_logits = ref_preds = None
    if args.reference:
        ref_logits = load(args.reference, prefix + "_logits.npy").astype(np.float64)
        ref_preds = ref_logits.argmax(-1)
        if ref_logits.shape[0] != n:
            sys.exit("reference has %d samples, labels %d" % (ref_logits.shape[0], n))
    runs = {}
    for name, d in (("f32", args.base), ("low", args.low)):
        preds = load(d, "predictions.npy")
        logits = load(d, "logits.npy").astype(np.float64)
        steps = load(d, "steps.npy")
        if preds.shape != labels.shape or (
                ref_logits is not None and logits.shape != ref_logits.shape):
            sys.exit("%s: shapes %s, %s do not match labels %s and reference %s"
                     % (d, preds.shape, logits.shape, labels.shape, ref_logits.shape))
        runs[name] = (preds, logits, steps)

    same_step = np.ones(n, dtype=bool)
    if args.policy == "q" and args.reference:
        ref_steps = load(args.reference, "halt_steps.npy")
        for _, _, steps in runs.values():
            same_step &= steps == ref_steps
    failures = []
    rates = {}
    for name, (preds, logits, steps) in runs.items():
        rates[name] = 100.0 * solved(preds, labels) / n
        if ref_logits is None:
            print("%s: exact solves %d of %d (%.2f%%)"
                  % (name, solved(preds, labels), n, rates[name]))
            continue
        err = np.abs(logits - ref_logits)[same_step]
        print("%s: exact solves %d of %d (%.2f%%); samples whose predictions differ "
              "from the float64 reference: %d; logit error vs float64 over %d samples: "
              "max %.4g, mean %.3g"
              % (name, solved(preds, labels), n, rates[name],
                 int((preds != ref_preds).any(axis=1).sum()), int(same_step.sum()),
                 err.max() if err.size else 0.0, err.mean() if err.size else 0.0))
        if name == "low" and args.max_logit_error is not None and err.size and \
                err.max() > args.max_logit_error:
            failures.append("logit error %.4g > %g" % (err.max(), args.max_logit_error))
        if name == "low" and args.max_mean_logit_error is not None and err.size and \
                err.mean() > args.max_mean_logit_error:
            failures.append("mean logit error %.3g > %g" % (err.mean(),
                                                             args.max_mean_logit_error))
    base_preds, low_preds = runs["f32"][0], runs["low"][0]
    differing = int((base_preds != low_preds).any(axis=1).sum())
    drop = rates["f32"] - rates["low"]
    print("samples whose predictions differ between f32 and low: %d of %d" % (differing, n))
    if args.policy == "q":
        print("samples halting at another step than f32: %d"
              % int((runs["f32"][2] != runs["low"][2]).sum()))
    print("exact-solve rate: low %.2f points below f32" % drop)
    if args.max_points_drop is not None and drop > args.max_points_drop:
        failures.append("%.2f points below f32 > %g" % (drop, args.max_points_drop))
    if args.max_differing_samples is not None and differing > args.max_differing_samples:
        failures.append("%d differing samples > %d" % (differing, args.max_differing_samples))
    if failures:
        print("FAIL: " + "; ".join(failures))
        sys.exit(1)
    print("OK")


if __name__ == "__main__":
    main()
