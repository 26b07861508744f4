#!/usr/bin/python3
"""Compare two .npy arrays (used by the end-to-end lit tests).

    compare_npy.py ACTUAL EXPECTED [--atol 1e-4] [--rtol 0] [--exact] [--min-match F]
                   [--slice-steps-from STEPS.npy] [--step N]

Integer/bool arrays are compared exactly; float arrays with |a - e| <= atol + rtol*|e|
(--exact: exactly).  An integer array is never accepted for a float one or vice versa.

Per-step arrays [B, K, ...]: when one operand has one more axis than the other, that
operand is reduced along axis 1 (the step axis) before comparing:
  --slice-steps-from STEPS.npy  take step STEPS[b] (1-based, e.g. halt_steps.npy) for sample b;
  --step N                      take step N (1-based; -1 = the last) for every sample.
If both operands have the same rank, the selection applies to both.

Prints `OK max_abs_diff=...` and exits 0, or `MISMATCH ...` with the worst index and exits 1
(exit 2 on a usage or file error).
"""
import argparse
import sys

import numpy as np


def _select(arr, steps, name):
    if arr.ndim < 2:
        raise ValueError("%s has shape %s: no step axis to select from" % (name, arr.shape))
    K = arr.shape[1]
    if steps.shape != (arr.shape[0],):
        raise ValueError("steps have shape %s, %s has batch %d" % (steps.shape, name, arr.shape[0]))
    if steps.min() < 1 or steps.max() > K:
        raise ValueError("steps out of range 1..%d: %s" % (K, steps.tolist()))
    return arr[np.arange(arr.shape[0]), steps - 1]


def compare(actual, expected, atol=1e-4, rtol=0.0, exact=False, steps=None, step=None,
            min_match=1.0):
    """Returns (ok, message). `min_match` < 1 accepts that fraction of equal
    elements (for reduced precision, where near-ties may flip)."""
    if steps is not None or step is not None:
        if actual.ndim == expected.ndim + 1:
            which = ("a",)
        elif expected.ndim == actual.ndim + 1:
            which = ("e",)
        elif actual.ndim == expected.ndim:
            which = ("a", "e")
        else:
            return False, "MISMATCH rank: actual %s, expected %s" % (actual.shape, expected.shape)
        ref = actual if which[0] == "a" else expected
        if ref.ndim < 2:
            raise ValueError("shape %s has no step axis" % (ref.shape,))
        if steps is None:
            K = ref.shape[1]
            steps = np.full((ref.shape[0],), step if step > 0 else K + 1 + step, np.int64)
        steps = np.asarray(steps).astype(np.int64).reshape(-1)
        if "a" in which:
            actual = _select(actual, steps, "ACTUAL")
        if "e" in which:
            expected = _select(expected, steps, "EXPECTED")
    if actual.shape != expected.shape:
        return False, "MISMATCH shape: actual %s (%s), expected %s (%s)" % (
            actual.shape, actual.dtype, expected.shape, expected.dtype)
    ka, ke = actual.dtype.kind, expected.dtype.kind
    is_int = lambda k: k in "biu"
    if is_int(ka) != is_int(ke) or ka not in "biuf" or ke not in "biuf":
        return False, "MISMATCH dtype: actual %s, expected %s" % (actual.dtype, expected.dtype)
    n = actual.size
    if n == 0:
        return True, "OK max_abs_diff=0 (empty)"
    if is_int(ka):
        a = actual.astype(np.int64)
        e = expected.astype(np.int64)
        bad = a != e
        diff = np.abs(a - e)
        tol_desc = "exact"
    else:
        a = actual.astype(np.float64)
        e = expected.astype(np.float64)
        diff = np.abs(a - e)
        both_nan = np.isnan(a) & np.isnan(e)
        diff = np.where(both_nan, 0.0, diff)
        diff = np.where(np.isnan(diff), np.inf, diff)
        if exact:
            bad = diff != 0
            tol_desc = "exact"
        else:
            bad = diff > atol + rtol * np.abs(np.nan_to_num(e))
            tol_desc = "atol %g%s" % (atol, " rtol %g" % rtol if rtol else "")
    maxd = float(diff.max())
    nbad = int(bad.sum())
    if min_match < 1.0:
        match = 1.0 - nbad / n
        return match >= min_match, "%s %.4f of %d elements within %s (at least %.4f needed)" % (
            "OK" if match >= min_match else "MISMATCH", match, n, tol_desc, min_match)
    if nbad == 0:
        return True, "OK max_abs_diff=%.3g (%d elements, %s)" % (maxd, n, tol_desc)
    # worst index: the largest excess over the tolerance among the failing elements
    worst = np.unravel_index(int(np.argmax(np.where(bad, diff, -1.0))), actual.shape)
    return False, ("MISMATCH %d/%d elements outside %s; max_abs_diff=%.6g at index %s: "
                   "actual=%r expected=%r" % (nbad, n, tol_desc, maxd, tuple(int(i) for i in worst),
                                              actual[worst].item(), expected[worst].item()))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("actual")
    ap.add_argument("expected")
    ap.add_argument("--atol", type=float, default=1e-4)
    ap.add_argument("--rtol", type=float, default=0.0)
    ap.add_argument("--exact", action="store_true", help="exact comparison for floats too")
    ap.add_argument("--slice-steps-from", metavar="STEPS.npy",
                    help="1-based step per sample (e.g. expected/halt_steps.npy)")
    ap.add_argument("--step", type=int, help="1-based step for every sample; -1 = last")
    ap.add_argument("--min-match", type=float, default=1.0,
                    help="accept when at least this fraction of elements match")
    args = ap.parse_args(argv)
    if args.slice_steps_from and args.step is not None:
        ap.error("--slice-steps-from and --step are exclusive")
    if args.step == 0:
        ap.error("--step is 1-based")
    try:
        actual = np.load(args.actual)
        expected = np.load(args.expected)
        steps = np.load(args.slice_steps_from) if args.slice_steps_from else None
        ok, msg = compare(actual, expected, args.atol, args.rtol, args.exact, steps, args.step,
                          args.min_match)
    except (OSError, ValueError) as e:
        print("ERROR %s" % e)
        return 2
    print(msg)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
