"""tests/bench/test_bench_train.py: pan-bench-train --quick --no-torch on a
tiny config (seconds): exit 0, every case's line (the stages' as whole
optimizer steps, with their loss + backward and the rest apart), the tables
(times with samples/s, the optimizer steps, the 2-hour projection, GFLOP/s
against the sgemm peak, memory) and the --csv rows in the harness's
columns (benchmarks/bench_csv.c); a bad option is a usage error (exit 2)
and a missing checkpoint a failure (exit 1).

    test_bench_train.py SOURCE_DIR BUILD_DIR PAN_INIT
"""

import csv
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

BENCH = PAN_INIT = None  # set by configure(): from the command line
TMP = tempfile.mkdtemp(prefix="pan-bench-train-test-")
# A tiny model whose S = Q (the decoder and glp stages need it): 32x32
# frames, two VAE levels, one layer per part.
TINY = ["frame.height=32", "frame.width=32", "frame.chunk_frames=2",
        "vae.channel_mult=[1,2]", "vae.base_channels=8", "vae.norm_groups=4",
        "encoder.dim=32", "encoder.heads=2", "encoder.layers=1", "encoder.mlp_dim=64",
        "backbone.dim=64", "backbone.layers=1", "backbone.intermediate=128",
        "decoder.dim=32", "decoder.heads=2", "decoder.layers=1", "decoder.mlp_dim=64",
        "decoder.freq_dim=32"]
CASES = ["stage vae + AdamW step, 16 images",
         "stage decoder + AdamW step, 8 pair windows",
         "stage glp + AdamW step, 2 sequences x 4 rounds", "decoder, 8 pair windows",
         "backbone, 4 sequences x 6 rounds", "ViT h, 32 latents",
         "VAE encoder+decoder, 16 images"]
STAGES = CASES[:3]  # whole optimizer steps
BATCH = {CASES[0]: 16, CASES[1]: 8, CASES[2]: 2}  # images, windows, sequences
SPLIT = CASES[3:]  # forward and backward timed apart


def configure(argv, script):
    """BUILD_DIR and PAN_INIT from argv[1:4] (removed); SOURCE_DIR unused here."""
    global BENCH, PAN_INIT
    if len(argv) < 4:
        raise SystemExit("usage: %s SOURCE_DIR BUILD_DIR PAN_INIT" % script)
    source, build, PAN_INIT = (os.path.abspath(a) for a in argv[1:4])
    del argv[1:4]
    BENCH = os.path.join(build, "benchmarks", "pan-bench-train")
    return source, build


def tiny_checkpoint():
    path = os.path.join(TMP, "tiny.safetensors")
    if not os.path.exists(path):
        argv = [PAN_INIT, "--out", path, "--seed", "1"]
        for s in TINY:
            argv += ["--set", s]
        subprocess.run(argv, check=True, capture_output=True)
    return path


def tearDownModule():
    shutil.rmtree(TMP, ignore_errors=True)


class QuickNoTorch(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.csv_path = os.path.join(TMP, "train.csv")
        cls.result = subprocess.run([BENCH, "--quick", "--no-torch", "--threads", "2",
                                  "--checkpoint", tiny_checkpoint(), "--csv",
                                  cls.csv_path], capture_output=True, text=True,
                                 timeout=300)
        with open(cls.csv_path, newline="") as f:
            cls.rows = list(csv.DictReader(f))

    def test_exit_and_cases(self):
        self.assertEqual(self.result.returncode, 0, self.result.stderr)
        out = self.result.stdout
        self.assertIn("2 reps after 1 warm-up", out)
        self.assertIn("zero tensors made small and random", out)
        for case in CASES:
            self.assertIn(case, out)
        for case in SPLIT:
            line = next(l for l in out.splitlines() if l.strip().startswith(case))
            self.assertIn("forward", line, line)
        for case in STAGES:
            line = next(l for l in out.splitlines() if l.strip().startswith(case))
            self.assertRegex(line, r"\(loss \+ backward [0-9.]+, zero \+ clip \+ AdamW "
                                   r"\+ EMA [0-9.]+\)")
        self.assertIn("C samples/s", out)
        self.assertIn("stage rows: one optimizer step as pan-train's", out)
        self.assertIn("optimizer steps: ms of loss + backward / zero + clip + AdamW + EMA",
                      out)
        self.assertRegex(out, r"optimizer \(stage rows\): AdamW moments 2 x")
        self.assertRegex(out, r"sgemm peak \(1024\^3, x W\^T\): [0-9.]+ GFLOP/s")
        self.assertRegex(out, r"decoder backward: [0-9.]+ GFLOP/s = [0-9]+% of peak "
                              r"\(target >= 40%: (met|MISSED)\)")
        self.assertRegex(out, r"gradient block: [0-9.]+ MiB \(170531 parameters\)")
        self.assertRegex(out, r"peak RSS of this process: [0-9.]+ MiB")

    def test_projection(self):
        out = self.result.stdout
        self.assertIn("2-hour projection, compute only: 7200 s / C's median step", out)
        self.assertIn("drawing the data (world episodes, VAE encoding", out)
        block = out.split("2-hour projection", 1)[1].split("\n\n", 1)[0]
        for case, unit in zip(STAGES, ("images", "windows", "sequences")):
            self.assertRegex(block, re.escape(case) + r" +[0-9.]+ ms/step +[0-9]+ steps "
                                    r"+[0-9]+ " + unit)

    def test_csv(self):
        self.assertEqual(list(self.rows[0].keys()),
                         ["case", "metric", "value", "unit", "peer", "peer_value", "note"])
        by = {(r["case"], r["metric"]): r for r in self.rows}
        for case in CASES:
            for metric in ("median_ms", "p10_ms", "p90_ms", "gflops", "pct_peak",
                           "activation_mib_per_sample"):
                row = by.get((case, metric))
                self.assertIsNotNone(row, (case, metric))
                self.assertGreater(float(row["value"]), 0.0, row)
            self.assertEqual(by[(case, "median_ms")]["peer"], "")  # no peers
            self.assertGreater(float(by[(case, "samples_per_s")]["value"]), 0.0)
        for case in STAGES:
            self.assertIn("optimizer step", by[(case, "median_ms")]["note"])
            step_ms = float(by[(case, "median_ms")]["value"])
            lossgrad = float(by[(case, "loss_backward_ms")]["value"])
            optim = float(by[(case, "optimizer_ms")]["value"])
            self.assertGreater(lossgrad, 0.0)
            self.assertGreater(optim, 0.0)
            self.assertLessEqual(lossgrad, step_ms * 1.0001 + 0.01)
            self.assertAlmostEqual(float(by[(case, "samples_per_s")]["value"]),
                                   BATCH[case] / (step_ms / 1e3), delta=0.01 *
                                   BATCH[case] / (step_ms / 1e3))
            steps = float(by[(case, "steps_2h")]["value"])
            self.assertAlmostEqual(steps, 7200.0 / (step_ms / 1e3), delta=0.01 * steps)
            self.assertAlmostEqual(float(by[(case, "samples_2h")]["value"]),
                                   steps * BATCH[case], delta=0.01 * steps * BATCH[case])
            self.assertIn("compute only", by[(case, "steps_2h")]["note"])
        for case in SPLIT:
            self.assertNotIn((case, "steps_2h"), by)
        for case in SPLIT:
            for metric in ("forward_ms", "backward_ms", "gflops_backward",
                           "pct_peak_backward"):
                self.assertGreater(float(by[(case, metric)]["value"]), 0.0)
        self.assertRegex(by[("decoder, 8 pair windows", "pct_peak_backward")]["note"],
                         "target >= 40%: (met|missed)")
        t = {r["metric"]: float(r["value"]) for r in self.rows
             if r["case"] in ("memory (C)", "sgemm")}
        self.assertGreater(t["sgemm_peak_gflops"], 0.0)
        self.assertAlmostEqual(t["grad_block_mib"], 170531 * 4 / 1048576.0, delta=0.1)
        self.assertGreater(t["peak_rss_mib"], 0.0)
        self.assertFalse([r for r in self.rows if r["case"] == "peer"])


class Errors(unittest.TestCase):
    def test_usage(self):
        run = subprocess.run([BENCH, "--bogus"], capture_output=True, text=True)
        self.assertEqual(run.returncode, 2)
        self.assertIn("usage: pan-bench-train", run.stderr)

    def test_missing_checkpoint(self):
        run = subprocess.run([BENCH, "--no-torch", "--checkpoint",
                              os.path.join(TMP, "none.safetensors")],
                             capture_output=True, text=True)
        self.assertEqual(run.returncode, 1)
        self.assertIn("none.safetensors", run.stderr)


if __name__ == "__main__":
    configure(sys.argv, "test_bench_train.py")
    unittest.main()
