#!/usr/bin/python3
"""Quick self-test of the reference tools and the committed goldens (a few seconds).

    nice -n 10 /usr/bin/python3 tools/reference/test_reference.py [-v]

* every golden set: step_N and model.safetensors hold identical tensors (same keys, order,
  dtypes, bits); keys carry one of the trainer's prefixes; the config resolves;
* the float32 reference reproduces every expected/ file (floats within 1e-5, ints exactly);
* unit checks: prefix stripping, puzzle_emb_len resolution, SwiGLU widths, safetensors
  round trip (bf16 included), both halting policies, compare_npy.
"""
import glob
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import trm_reference as R  # noqa: E402
import compare_npy  # noqa: E402

GOLDEN = os.path.normpath(os.path.join(HERE, "..", "..", "test", "golden"))
SETS = sorted(os.path.dirname(p) for p in glob.glob(os.path.join(GOLDEN, "*", "all_config.yaml")))
TOL = 1e-5


class GoldenSets(unittest.TestCase):
    def test_sets_present(self):
        names = [os.path.basename(s) for s in SETS]
        for n in ("attn_rope_prefix", "mlpt_nopos", "learned_pos"):
            self.assertIn(n, names)

    def test_config_layout(self):
        import json
        import yaml
        for d in SETS:
            with self.subTest(set=os.path.basename(d)):
                with open(os.path.join(d, "all_config.yaml")) as f:
                    c = yaml.safe_load(f)
                arch = c["arch"]
                for k in ("name", "loss", "halt_exploration_prob", "halt_max_steps", "H_cycles",
                          "L_cycles", "H_layers", "L_layers", "hidden_size", "num_heads",
                          "expansion", "puzzle_emb_ndim", "pos_encodings", "forward_dtype",
                          "mlp_t", "puzzle_emb_len", "no_ACT_continue"):
                    self.assertIn(k, arch)
                self.assertIn("global_batch_size", c)
                self.assertNotIn("seq_len", c)          # comes from dataset.json
                with open(os.path.join(d, "dataset.json")) as f:
                    ds = json.load(f)
                for k in ("pad_id", "seq_len", "vocab_size", "num_puzzle_identifiers"):
                    self.assertIn(k, ds)
                inputs = np.load(os.path.join(d, "inputs.npy"))
                pids = np.load(os.path.join(d, "puzzle_identifiers.npy"))
                self.assertEqual(inputs.shape[1], ds["seq_len"])
                self.assertTrue(0 <= inputs.min() and inputs.max() < ds["vocab_size"])
                self.assertTrue(0 <= pids.min() and pids.max() < ds["num_puzzle_identifiers"])

    def test_pt_and_safetensors_identical(self):
        for d in SETS:
            with self.subTest(set=os.path.basename(d)):
                pt_path = R.find_checkpoint(d)
                self.assertTrue(os.path.basename(pt_path).startswith("step_"))
                pt = R.load_state_dict_file(pt_path)
                st, meta = R.read_safetensors(os.path.join(d, "model.safetensors"))
                self.assertEqual(list(pt.keys()), list(st.keys()))
                prefixes = {k[:len(k) - len(R.canonical_key(k))] for k in pt}
                self.assertEqual(len(prefixes), 1)
                self.assertIn(prefixes.pop(), ("_orig_mod.model.inner.", "model.inner."))
                for k in pt:
                    self.assertEqual(pt[k].dtype, st[k].dtype, k)
                    self.assertEqual(tuple(pt[k].shape), tuple(st[k].shape), k)
                    self.assertTrue(torch.equal(pt[k], st[k]), k)
                    want = (R.load_config(d).forward_dtype if R.canonical_key(k) in ("H_init", "L_init")
                            else "float32")
                    self.assertEqual(pt[k].dtype, getattr(torch, want), k)

    def test_fp32_reproduces_goldens(self):
        for d in SETS:
            with self.subTest(set=os.path.basename(d)):
                cfg = R.load_config(d)
                w = R.load_weights(R.find_checkpoint(d), cfg)
                inputs = np.load(os.path.join(d, "inputs.npy"))
                pids = np.load(os.path.join(d, "puzzle_identifiers.npy"))
                self.assertEqual(inputs.dtype, np.int32)
                self.assertEqual(pids.dtype, np.int32)
                out = R.run_inference(cfg, w, inputs, pids, torch.float32)
                files = dict(R.EXPECTED_FILES, fixed_logits="fixed_logits.npy")
                for key, fn in files.items():
                    e = np.load(os.path.join(d, "expected", fn))
                    a = out[key]
                    self.assertEqual(a.shape, e.shape, fn)
                    if e.dtype.kind == "f":
                        self.assertEqual(e.dtype, np.float32, fn)
                        self.assertLess(float(np.abs(a - e).max()), TOL, fn)
                    else:
                        self.assertEqual(e.dtype, np.int32, fn)
                        np.testing.assert_array_equal(a, e, err_msg=fn)
                # margins the goldens promise
                self.assertGreaterEqual(float(np.abs(np.load(os.path.join(d, "expected", "step_q.npy"))[..., 0]).min()), 0.05)


class Units(unittest.TestCase):
    def cfg(self, **kw):
        arch = dict(hidden_size=64, num_heads=4, expansion=4, L_layers=1, H_cycles=1,
                    L_cycles=1, halt_max_steps=3, pos_encodings="rope")
        arch.update(kw)
        return R.config_from_dict(arch, {"seq_len": 10, "vocab_size": 5, "num_puzzle_identifiers": 3})

    def test_prefixes(self):
        for k in ("_orig_mod.model.inner.H_init", "model.inner.H_init", "inner.H_init", "H_init"):
            self.assertEqual(R.canonical_key(k), "H_init")

    def test_puzzle_emb_len(self):
        self.assertEqual(self.cfg(puzzle_emb_ndim=64, puzzle_emb_len=0).P, 1)
        self.assertEqual(self.cfg(puzzle_emb_ndim=96, puzzle_emb_len=0).P, 2)
        self.assertEqual(self.cfg(puzzle_emb_ndim=64).P, 16)           # reference default 16
        self.assertEqual(self.cfg(puzzle_emb_ndim=0, puzzle_emb_len=0).P, 0)
        with self.assertRaises(ValueError):
            self.cfg(puzzle_emb_ndim=0, puzzle_emb_len=16)               # reference can't run
        with self.assertRaises(ValueError):
            self.cfg(puzzle_emb_ndim=200, puzzle_emb_len=2)

    def test_swiglu_widths(self):
        self.assertEqual(R.swiglu_inter(4, 512), 1536)
        self.assertEqual(R.swiglu_inter(4, 97), 512)
        self.assertEqual(R.swiglu_inter(4, 916), 2560)
        self.assertEqual(R.swiglu_inter(2, 64), 256)

    def test_safetensors_roundtrip(self):
        t = {"a": torch.randn(3, 4), "b": torch.randn(5).to(torch.bfloat16),
             "c": torch.arange(6, dtype=torch.int32).view(2, 3)}
        with tempfile.TemporaryDirectory() as tmp:
            p = os.path.join(tmp, "x.safetensors")
            R.write_safetensors(p, t, {"format": "pt"})
            with open(p, "rb") as f:
                n = int.from_bytes(f.read(8), "little")
            self.assertEqual(n % 8, 0)
            back, meta = R.read_safetensors(p)
            self.assertEqual(meta, {"format": "pt"})
            for k in t:
                self.assertEqual(back[k].dtype, t[k].dtype)
                self.assertTrue(torch.equal(back[k], t[k]))

    def test_halting(self):
        logits = np.zeros((3, 4, 2, 3))
        for k in range(4):
            logits[:, k, :, k % 3] = 1.0
        q = np.full((3, 4, 2), -1.0)
        q[0, 1, 0] = 0.5          # halts at step 2
        q[1, :, 0] = 0.0          # q_halt == 0 is not > 0: never halts
        q[2, 3, 0] = 2.0          # halts at the last step
        h = R.halting(logits, q)
        np.testing.assert_array_equal(h["halt_steps"], [2, 4, 4])
        np.testing.assert_array_equal(h["halt_preds"], [[1, 1], [0, 0], [0, 0]])
        np.testing.assert_array_equal(h["fixed_preds"], [[0, 0]] * 3)
        np.testing.assert_array_equal(h["halt_q_halt"], [0.5, 0.0, 2.0])

    def test_random_weights_run(self):
        cfg = self.cfg(puzzle_emb_ndim=96, puzzle_emb_len=0, pos_encodings="learned")
        w = R.random_weights(cfg, 0, 0.1)
        R.canonicalize(w, cfg)
        x = np.random.default_rng(0).integers(0, 5, (2, 10))
        o = R.run_inference(cfg, w, x, np.array([0, 2]), torch.float32)
        self.assertEqual(o["step_logits"].shape, (2, 3, 10, 5))
        self.assertEqual(o["step_q"].shape, (2, 3, 2))

    def test_compare_npy(self):
        a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
        self.assertTrue(compare_npy.compare(a, a + 5e-5)[0])
        ok, msg = compare_npy.compare(a, a + 2e-4)
        self.assertFalse(ok)
        self.assertIn("MISMATCH", msg)
        self.assertFalse(compare_npy.compare(a.astype(np.int32), a)[0])       # int vs float
        self.assertFalse(compare_npy.compare(a, a[:1])[0])                    # shape
        self.assertTrue(compare_npy.compare(a, a[[0, 1], [2, 0]], steps=np.array([3, 1]))[0])
        self.assertTrue(compare_npy.compare(a, a[:, -1], step=-1)[0])
        b = a.copy()
        b[1, 2, 3] += 1
        ok, msg = compare_npy.compare(a.astype(np.int32), b.astype(np.int32))
        self.assertFalse(ok)
        self.assertIn("(1, 2, 3)", msg)
        with tempfile.TemporaryDirectory() as tmp:
            pa, pb = os.path.join(tmp, "a.npy"), os.path.join(tmp, "b.npy")
            np.save(pa, a)
            np.save(pb, b)
            tool = os.path.join(HERE, "compare_npy.py")
            r = subprocess.run([sys.executable, tool, pa, pa], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0)
            self.assertTrue(r.stdout.startswith("OK max_abs_diff="))
            r = subprocess.run([sys.executable, tool, pa, pb], capture_output=True, text=True)
            self.assertEqual(r.returncode, 1)
            self.assertTrue(r.stdout.startswith("MISMATCH"))


if __name__ == "__main__":
    torch.set_num_threads(1)
    unittest.main()
