"""tests/bench/test_bench_train_peers.py: pan-bench-train's PyTorch peer
checks, with Debian's torch on a tiny config (~30 s):

- pan-bench-train --quick --peer debian=/usr/bin/python3 --keep-inputs DIR:
  exit 0; the peer's check line (train_vs_c=ok, all 7 cases, its worst
  errors within the bounds, the optimizer step's too) and one checkcase
  line per case (a stage's with its gradient norm and parameters after
  one AdamW step); the peer's optimizer line; every case has a debian
  figure, its ratio row and a fastest row in the CSV, and samples/s; a
  stage also its step's loss + backward and optimizer ms.
- train_torch.py run by hand on the kept inputs with C's loss of stage vae
  moved by 1%, with one of C's gradients replaced by another tensor, with
  C's gradient norm moved by 1% and with a parameter after C's AdamW step
  replaced by its gradient: each time `fail case=check` naming the case
  and the quantity, exit 1 (the peer's figures would be void).
- a stand-in peer whose check fails: pan-bench-train prints it FAILED,
  figures void, and writes no figure rows for it.

    test_bench_train_peers.py SOURCE_DIR BUILD_DIR PAN_INIT
"""

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_bench_train as base  # noqa: E402  (the tiny config and the case names)

SOURCE, _ = base.configure(sys.argv, "test_bench_train_peers.py")
BENCH = base.BENCH
SCRIPT = os.path.join(SOURCE, "benchmarks", "train_torch.py")
DEBIAN = "/usr/bin/python3"
TMP = tempfile.mkdtemp(prefix="pan-bench-train-peers-")
FAKE_BAD = """#!/bin/sh
echo "peer torch=9.9.9 python=$0 compile=off omp_wait_policy=PASSIVE"
echo "case name=stage_vae median_us=1000.0 p10_us=900.0 p90_us=1100.0 fwd_us=400.0 bwd_us=600.0 reps=1 warmup_ms=1.0"
echo "fail case=check error=CheckFailed: stage_vae: loss differs from C's"
exit 1
"""


def tearDownModule():
    shutil.rmtree(TMP, ignore_errors=True)
    base.tearDownModule()


def torch_script(inputs, checkpoint, *extra):
    return subprocess.run([DEBIAN, SCRIPT, "--inputs", inputs, "--checkpoint",
                           checkpoint, "--reps", "1", "--warmup", "0", *extra],
                          capture_output=True, text=True, timeout=300)


class DebianPeer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.inputs = os.path.join(TMP, "inputs")
        os.makedirs(cls.inputs)
        cls.csv_path = os.path.join(TMP, "train.csv")
        fake = os.path.join(TMP, "fake-bad")
        with open(fake, "w") as f:
            f.write(FAKE_BAD)
        os.chmod(fake, 0o755)
        cls.result = subprocess.run(
            [BENCH, "--quick", "--threads", "2", "--checkpoint", base.tiny_checkpoint(),
             "--peer", "debian=" + DEBIAN, "--peer", "bad=" + fake,
             "--keep-inputs", cls.inputs, "--csv", cls.csv_path],
            capture_output=True, text=True, timeout=600)
        with open(cls.csv_path, newline="") as f:
            cls.rows = list(csv.DictReader(f))

    def test_checks_pass(self):
        self.assertEqual(self.result.returncode, 0, self.result.stderr)
        out = self.result.stdout
        self.assertRegex(out, r"checks: train_vs_c=ok cases=7 worst_loss_rel=\S+ "
                              r"worst_grad_rel=\S+ worst_step_rel=\S+")
        for name in ("stage_vae", "stage_decoder", "stage_glp", "decoder", "backbone",
                     "vit", "vae"):
            self.assertIn("debian: name=%s " % name, out)
        for name in ("stage_vae", "stage_decoder", "stage_glp"):
            line = next(l for l in out.splitlines() if "debian: name=%s " % name in l)
            self.assertRegex(line, r"grad_norm=\S+ adamw\.\S+=\S+ .*no_grad=0")
        self.assertRegex(out, r"debian: optimizer adamw=for-loop clip=default "
                              r"ema=foreach_mul_add zero=set_to_none")

    def test_rows(self):
        by = {}
        for r in self.rows:
            by.setdefault((r["case"], r["metric"]), {})[r["peer"]] = r
        for case in base.CASES:
            rows = by[(case, "median_ms")]
            self.assertIn("debian", rows, case)
            self.assertGreater(float(rows["debian"]["peer_value"]), 0.0)
            self.assertEqual(rows["fastest: debian"]["peer_value"],
                             rows["debian"]["peer_value"])
            self.assertRegex(rows["fastest: debian"]["note"], "target peer/C >= 1.5x: "
                                                              "(met|missed)")
            self.assertNotIn("bad", rows)  # its check failed: no figures
            self.assertIn("debian", by[(case, "backward_ms")])
            self.assertGreater(float(by[(case, "samples_per_s")]["debian"]["peer_value"]),
                               0.0)
        for case in base.STAGES:
            for metric in ("loss_backward_ms", "optimizer_ms"):
                row = by[(case, metric)]["debian"]
                self.assertGreater(float(row["peer_value"]), 0.0, (case, metric))
                self.assertGreater(float(row["value"]), 0.0, (case, metric))
        peers = {r["peer"]: r for r in self.rows if r["case"] == "peer"}
        self.assertEqual(peers["debian"]["value"], "1")
        self.assertEqual(peers["bad"]["value"], "0")
        self.assertIn("loss differs", peers["bad"]["note"])

    def test_failed_peer_reported(self):
        self.assertRegex(self.result.stdout, r"FAILED, figures void: .*loss differs")

    def edited(self, name, edit):
        """A copy of the kept inputs with inputs.json changed by edit(meta)."""
        directory = os.path.join(TMP, name)
        shutil.copytree(self.inputs, directory)
        path = os.path.join(directory, "inputs.json")
        with open(path) as f:
            meta = json.load(f)
        edit(meta)
        with open(path, "w") as f:
            json.dump(meta, f)
        return directory

    def test_wrong_loss_fails(self):
        def edit(meta):
            for e in meta["cases"]["stage_vae"]:
                if e["name"] == "loss":
                    e["value"] *= 1.01
        run = torch_script(self.edited("wrong-loss", edit),
                           os.path.join(self.inputs, "model.safetensors"),
                           "--cases", "stage_vae")
        self.assertEqual(run.returncode, 1, run.stdout + run.stderr)
        self.assertRegex(run.stdout, r"fail case=check error=CheckFailed: stage_vae: "
                                     r"loss .* relative error")

    def test_wrong_grad_norm_fails(self):
        def edit(meta):
            for e in meta["cases"]["stage_vae"]:
                if e["name"] == "grad_norm":
                    e["value"] *= 1.01
        run = torch_script(self.edited("wrong-norm", edit),
                           os.path.join(self.inputs, "model.safetensors"),
                           "--cases", "stage_vae")
        self.assertEqual(run.returncode, 1, run.stdout + run.stderr)
        self.assertRegex(run.stdout, r"fail case=check error=CheckFailed: stage_vae: "
                                     r"gradient norm .* relative error")

    def test_wrong_step_fails(self):
        name = "vae.encoder.conv_in.weight"

        def edit(meta):
            entries = meta["cases"]["stage_vae"]
            # C's parameter after its AdamW step read from its gradient's offset
            after = next(e for e in entries if e["name"] == "adamw." + name)
            grad = next(e for e in entries if e["kind"] == "grad" and e["name"] == name)
            after["offset"] = grad["offset"]
        run = torch_script(self.edited("wrong-step", edit),
                           os.path.join(self.inputs, "model.safetensors"),
                           "--cases", "stage_vae")
        self.assertEqual(run.returncode, 1, run.stdout + run.stderr)
        self.assertRegex(run.stdout, r"fail case=check error=CheckFailed: stage_vae: "
                                     r"vae.encoder.conv_in.weight after one AdamW step "
                                     r"differs")

    def test_wrong_gradient_fails(self):
        def edit(meta):
            grads = [e for e in meta["cases"]["vit"] if e["kind"] == "grad"]
            # the qkv weight's gradient read from the merger's offset
            qkv = next(e for e in grads if e["name"] == "encoder.blocks.0.attn.qkv.weight")
            out = next(e for e in grads if e["name"] == "out")
            qkv["offset"] = out["offset"]
        run = torch_script(self.edited("wrong-grad", edit),
                           os.path.join(self.inputs, "model.safetensors"),
                           "--cases", "vit")
        self.assertEqual(run.returncode, 1, run.stdout + run.stderr)
        self.assertRegex(run.stdout, r"fail case=check error=CheckFailed: vit: "
                                     r"encoder.blocks.0.attn.qkv.weight differs")


if __name__ == "__main__":
    unittest.main()
