"""tests/bench/test_bench_harness.py: the benchmark harness end to end
(benchmarks/harness/bench_all.py, the code behind scripts/bench.sh).

    test_bench_harness.py SOURCE_DIR BUILD_DIR PAN_INIT

- `--only worlds --quick --no-build` with a small pan-init checkpoint as
  --model: exit 0; bench.json, bench.csv and bench.md are valid and agree;
  the header names the date, commit, dirty flag, machine (CPU, cores, RAM,
  kernel, Debian), library versions, torch, threads, load average and the
  model (path, crc32, sha256, trained = false, UNTRAINED in the markdown);
  the worlds rows are positive rates; the wall time and others' CPU share
  are recorded; the raw
  output is kept verbatim.
- A failing benchmark (a stand-in pan-bench-ops that exits 3 with a message)
  and a missing one (no pan-bench-server) are recorded as failed with their
  stderr, the real pan-bench-worlds after them still runs, and the exit
  status is 1.
"""

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import zlib

if len(sys.argv) < 4:
    raise SystemExit("usage: test_bench_harness.py SOURCE_DIR BUILD_DIR PAN_INIT")
SOURCE, BUILD, PAN_INIT = (os.path.abspath(a) for a in sys.argv[1:4])
del sys.argv[1:4]
HARNESS = os.path.join(SOURCE, "benchmarks", "harness", "bench_all.py")
TMP = tempfile.mkdtemp(prefix="pan-bench-test-")


def tearDownModule():
    shutil.rmtree(TMP, ignore_errors=True)


def harness(*args, expect):
    p = subprocess.run([sys.executable, HARNESS, *args], capture_output=True, text=True,
                       timeout=300)
    if p.returncode != expect:
        raise AssertionError("bench_all.py %s exited %d, expected %d\nstdout: %s\n"
                             "stderr: %s" % (" ".join(args), p.returncode, expect,
                                             p.stdout, p.stderr))
    return p


def load(out):
    with open(os.path.join(out, "bench.json")) as f:
        doc = json.load(f)
    with open(os.path.join(out, "bench.csv"), newline="") as f:
        table = list(csv.DictReader(f))
    with open(os.path.join(out, "bench.md")) as f:
        md = f.read()
    return doc, table, md


class Success(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = os.path.join(TMP, "tiny.safetensors")
        subprocess.run([PAN_INIT, "--out", cls.model, "--seed", "2",
                        "--set", "backbone.layers=1"], check=True,
                       stdout=subprocess.DEVNULL)
        cls.out = os.path.join(TMP, "ok")
        harness("--only", "worlds", "--quick", "--no-build", "--build-dir", BUILD,
                "--model", cls.model, "--threads", "2", "--out", cls.out, expect=0)
        cls.doc, cls.table, cls.md = load(cls.out)

    def test_header(self):
        h = self.doc["header"]
        self.assertEqual(self.doc["format"], "pan-bench 1")
        self.assertRegex(h["date_utc"], r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$")
        self.assertRegex(h["git"]["commit"], r"^[0-9a-f]{40}$")
        self.assertIn(h["git"]["dirty"], (True, False))
        m = h["machine"]
        for key in ("cpu", "cores", "ram_gib", "kernel", "debian"):
            self.assertTrue(m[key], key)
        for key in ("openblas", "onednn", "zeromq", "msgpack"):
            self.assertTrue(h["libraries"][key], key)  # the build links them
        self.assertIn("torch", h)
        self.assertEqual(h["threads"], 2)
        self.assertEqual(len(h["load_average_start"]), 3)
        self.assertEqual(len(h["load_average_end"]), 3)
        self.assertTrue(h["quick"])
        self.assertGreater(h["wall_s"], 0)

    def test_model(self):
        model = self.doc["header"]["model"]
        self.assertEqual(model["path"], self.model)
        self.assertIs(model["trained"], False)
        with open(self.model, "rb") as f:
            data = f.read()
        self.assertEqual(model["crc32"], "%08x" % zlib.crc32(data))
        self.assertRegex(model["sha256"], r"^[0-9a-f]{64}$")
        self.assertEqual(model["config"]["backbone"]["layers"], 1)
        self.assertIn("UNTRAINED", self.md)

    def test_rows(self):
        runs = self.doc["runs"]
        self.assertEqual([r["name"] for r in runs], ["worlds"])
        self.assertEqual(runs[0]["status"], "ok")
        self.assertGreater(runs[0]["wall_s"], 0)
        share = runs[0]["others_cpu_share"]  # others' CPU while it ran (/proc/stat)
        self.assertTrue(share is not None and 0 <= share <= 1, share)
        rates = [r for r in self.doc["rows"] if r["metric"] == "rate_median"]
        self.assertEqual(len(rates), 10)  # 2 worlds x 5 figures
        for r in rates:
            self.assertEqual(r["benchmark"], "worlds")
            self.assertGreater(r["value"], 0, r["case"])
        self.assertTrue(any(r["case"] == "tabletop 64x64 K=4: generate" and
                            r["unit"] == "frames/s" for r in rates))
        wall = [r for r in self.doc["rows"] if r["metric"] == "wall_s"]
        self.assertEqual(wall[0]["value"], runs[0]["wall_s"])

    def test_csv_and_md_agree(self):
        self.assertEqual(len(self.table), len(self.doc["rows"]))
        commit = self.doc["header"]["git"]["commit"]
        for line, row in zip(self.table, self.doc["rows"]):
            self.assertEqual(line["commit"], commit)
            self.assertEqual(line["case"], row["case"])
            self.assertAlmostEqual(float(line["value"]), row["value"], places=3)
        self.assertIn(commit[:12], self.md)
        self.assertIn(self.doc["header"]["machine"]["cpu"], self.md)
        self.assertIn("| tabletop 64x64 K=4: generate | rate_median |", self.md)

    def test_raw_kept(self):
        with open(os.path.join(self.out, "raw", "worlds.txt")) as f:
            raw = f.read()
        self.assertIn("tabletop 64x64 K=4, 1 thread, 3 runs", raw)
        self.assertTrue(os.path.isfile(os.path.join(self.out, "raw", "worlds.csv")))


class Failures(unittest.TestCase):
    def test_failed_and_missing_are_recorded(self):
        fake = os.path.join(TMP, "fake-build", "benchmarks")
        os.makedirs(fake)
        os.symlink(os.path.join(BUILD, "benchmarks", "pan-bench-worlds"),
                   os.path.join(fake, "pan-bench-worlds"))
        ops = os.path.join(fake, "pan-bench-ops")
        with open(ops, "w") as f:
            f.write("#!/bin/sh\necho 'ops went wrong' >&2\nexit 3\n")
        os.chmod(ops, 0o755)
        out = os.path.join(TMP, "fail")
        harness("--only", "ops,server,worlds", "--quick", "--no-build", "--build-dir",
                os.path.dirname(fake), "--out", out, expect=1)
        doc, table, md = load(out)
        runs = {r["name"]: r for r in doc["runs"]}
        self.assertEqual(runs["ops"]["status"], "failed")
        self.assertEqual(runs["ops"]["exit_code"], 3)
        self.assertIn("ops went wrong", runs["ops"]["stderr_tail"])
        self.assertEqual(runs["server"]["status"], "failed")
        self.assertIn("not found", runs["server"]["why"])
        self.assertEqual(runs["worlds"]["status"], "ok")
        self.assertTrue(any(r["benchmark"] == "worlds" and r["metric"] == "rate_median"
                            for r in doc["rows"]))
        self.assertIsNone(doc["header"]["model"])
        self.assertIn("## Failures", md)
        self.assertIn("ops went wrong", md)
        self.assertTrue(any(r["benchmark"] == "ops" and r["metric"] == "wall_s" and
                            r["note"].startswith("FAILED") for r in table))


if __name__ == "__main__":
    unittest.main(verbosity=2)
