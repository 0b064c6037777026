"""tests/bench/test_bench_peers.py: the PyTorch peers of pan-bench-backbone
and of the harness (bench.h's bench_peers, benchmarks/torch_peer.py,
benchmarks/harness/peers.py), cheaply.

    test_bench_peers.py SOURCE_DIR BUILD_DIR [VENV_PYTHON]

Without VENV_PYTHON (the default suite; Debian's python3-torch only):
- pan-bench-backbone --reps 1 --batch 1 with three peers: debian (/usr/bin/python3),
  a missing interpreter, and Debian's torch asked for torch.compile (1.13
  has none): exit 0; debian has a figure for every case, its ratio rows,
  the fastest rows and its check against C's own outputs (nmse <= 1e-6);
  the missing one and the compile one are recorded as failed with the
  reason ("not found", "torch.compile needs torch >= 2.0"), the table
  still prints.
- a stand-in peer (a shell script speaking torch_peer.py's protocol)
  whose check fails: its figures are void (no rows), the reason is kept.
- the harness (--only backbone --quick --no-build) with a stand-in peer:
  the header lists the peers and their torch versions, the rows carry the
  peer column, bench.md has the per-peer summary; and peers.defaults()
  adds the venv's eager and compile peers only when its torch is >= 2.
With VENV_PYTHON (optional: -DPAN_TEST_BENCH_VENV=ON, the venv of
scripts/bench-deps.sh): pan-bench-backbone --reps 1, all four cases, with that
interpreter eager and with torch.compile: both have every figure, pass
the check against C and, compiled, the check against eager; the compile
warm-up is reported.
"""

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

if len(sys.argv) < 3:
    raise SystemExit("usage: test_bench_peers.py SOURCE_DIR BUILD_DIR [VENV_PYTHON]")
SOURCE, BUILD = (os.path.abspath(a) for a in sys.argv[1:3])
VENV_PYTHON = sys.argv[3] if len(sys.argv) > 3 else None
del sys.argv[1:4 if VENV_PYTHON else 3]
BACKBONE = os.path.join(BUILD, "benchmarks", "pan-bench-backbone")
HARNESS = os.path.join(SOURCE, "benchmarks", "harness")
TMP = tempfile.mkdtemp(prefix="pan-bench-peers-test-")
CASES = [(1, 5), (1, 10)]           # the quick tests' (--batch 1 --history 5,10)
ALL_CASES = [(1, 5), (1, 10), (16, 5), (16, 10)]

# A stand-in interpreter: ignores the script, speaks torch_peer.py's lines.
FAKE = """#!/bin/sh
[ "$1" = "-c" ] && exit 1  # the harness asking for torch.__version__
echo "peer torch=9.9.9 python=$0 compile=off omp_wait_policy=PASSIVE"
for c in "batch=1 history=5" "batch=1 history=10" "batch=16 history=5" \\
         "batch=16 history=10"; do
  echo "case $c median_us=1000000.0 p10_us=900000.0 p90_us=1100000.0 prefill_ms=5.0 warmup_ms=7.0"
done
%s
"""
FAKE_OK = FAKE % 'echo "check backbone_vs_c=ok cases=2 max_nmse=0"'
FAKE_BAD = FAKE % ('echo "fail case=check error=CheckFailed: the twin differs from C"\n'
                   'exit 1')


def tearDownModule():
    shutil.rmtree(TMP, ignore_errors=True)


def script(name, text):
    path = os.path.join(TMP, name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o755)
    return path


def backbone(csv_name, *peers, cases=("1", "5,10"), timeout=600):
    """pan-bench-backbone --reps 1 at --batch, --history `cases` with these
    --peer specs: (stdout, its CSV rows, the peer rows by name)."""
    out = os.path.join(TMP, csv_name)
    argv = [BACKBONE, "--reps", "1", "--warmup", "0", "--threads", "2", "--csv", out,
            "--batch", cases[0], "--history", cases[1]]
    for spec in peers:
        argv += ["--peer", spec]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise AssertionError("pan-bench-backbone exited %d\nstdout: %s\nstderr: %s"
                             % (p.returncode, p.stdout, p.stderr[-4000:]))
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    peers_rows = {r["peer"]: r for r in rows if r["case"] == "peer"}
    return p.stdout, rows, peers_rows


def step_rows(rows, peer):
    return {r["case"]: r for r in rows
            if r["metric"] == "step_median_ms" and r["peer"] == peer}


def case_name(batch, history):
    return "batch %d, history %d: one round (93 tokens)" % (batch, history)


class DebianAndFailures(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.out, cls.rows, cls.peers = backbone(
            "three.csv", "debian=/usr/bin/python3", "missing=%s/no-python" % TMP,
            "debian-compile=/usr/bin/python3:compile")

    def test_debian_figures(self):
        mine = step_rows(self.rows, "debian")
        fastest = step_rows(self.rows, "fastest: debian")
        for batch, history in CASES:
            row = mine[case_name(batch, history)]
            self.assertGreater(float(row["value"]), 0)       # C
            self.assertGreater(float(row["peer_value"]), 0)  # the twin
            self.assertIn("debian (torch 1.13", row["note"])
            best = fastest[case_name(batch, history)]
            self.assertEqual(best["peer_value"], row["peer_value"])
            self.assertRegex(best["note"], r"target peer/C >= \d\.\dx: (met|missed)")
        warm = [r for r in self.rows if r["metric"] == "warmup_ms" and r["peer"] == "debian"]
        self.assertEqual(len(warm), len(CASES))

    def test_debian_checked_against_c(self):
        row = self.peers["debian"]
        self.assertEqual(row["value"], "1")
        self.assertIn("backbone_vs_c=ok cases=1", row["note"])  # batch 1 history 5
        self.assertIn("OMP_WAIT_POLICY=PASSIVE", row["note"])

    def test_failed_peers_recorded(self):
        self.assertEqual(self.peers["missing"]["value"], "0")
        self.assertIn("not found", self.peers["missing"]["note"])
        self.assertEqual(self.peers["debian-compile"]["value"], "0")
        self.assertIn("torch.compile needs torch >= 2.0", self.peers["debian-compile"]["note"])
        for name in ("missing", "debian-compile"):
            self.assertEqual(step_rows(self.rows, name), {}, name)

    def test_table(self):
        self.assertRegex(self.out, r"\| +debian \| +missing \| +debian-compile \| +fastest / C")
        self.assertIn("failed: ", self.out)
        self.assertIn("torch.compile needs torch >= 2.0", self.out)


class VoidedByCheck(unittest.TestCase):
    def test_failed_check_voids_figures(self):
        good = script("fake-good", FAKE_OK)
        bad = script("fake-bad", FAKE_BAD)
        out, rows, peers = backbone("fake.csv", "good=" + good, "bad=" + bad)
        self.assertEqual(len(step_rows(rows, "good")), len(CASES))
        self.assertEqual(step_rows(rows, "bad"), {})
        self.assertEqual(peers["bad"]["value"], "0")
        self.assertIn("the twin differs from C", peers["bad"]["note"])
        self.assertIn("FAILED, figures void", out)
        # the fake's 1 s is slower than C: the fastest is the good one
        self.assertEqual(len(step_rows(rows, "fastest: good")), len(CASES))


class Harness(unittest.TestCase):
    def test_peers_in_header_rows_and_md(self):
        fake = script("fake-harness", FAKE_OK)
        out = os.path.join(TMP, "harness")
        p = subprocess.run([sys.executable, os.path.join(HARNESS, "bench_all.py"),
                            "--only", "backbone", "--quick", "--no-build", "--build-dir",
                            BUILD, "--threads", "2", "--out", out, "--peer",
                            "fake=" + fake], capture_output=True, text=True, timeout=600)
        self.assertEqual(p.returncode, 0, p.stderr[-3000:])
        with open(os.path.join(out, "bench.json")) as f:
            doc = json.load(f)
        peers = doc["header"]["peers"]
        self.assertEqual([(x["name"], x["python"], x["compile"]) for x in peers],
                         [("fake", fake, False)])
        self.assertIn("torch", peers[0])  # the fake cannot be asked: None
        fast = [r for r in doc["rows"] if r["peer"] == "fake" and
                r["metric"] == "step_median_ms"]
        self.assertEqual(len(fast), len(ALL_CASES))
        for r in fast:
            self.assertAlmostEqual(r["ratio"], r["peer_value"] / r["value"])
        with open(os.path.join(out, "bench.md")) as f:
            md = f.read()
        self.assertIn("| PyTorch peers | fake: torch not importable under %s, eager |"
                      % fake, md)
        self.assertIn("| case | C | fake | fastest / C |", md)
        self.assertIn("**", md.split("| case | C | fake | fastest / C |")[1])

    def test_default_peers(self):
        sys.path.insert(0, HARNESS)
        import peers
        venv = os.path.join(TMP, "venv")
        os.makedirs(os.path.join(venv, "bin"), exist_ok=True)
        python = os.path.join(venv, "bin", "python")
        old = os.environ.get("PAN_VENV")
        os.environ["PAN_VENV"] = venv
        try:
            listed, note = peers.defaults(SOURCE, "/usr/bin/python3")
            self.assertEqual([x["name"] for x in listed], ["debian"])
            self.assertIn("does not exist", note)
            for version, names in (("1.13.1", ["debian"]),
                                   ("2.15.0+cpu", ["debian", "eager", "compile"])):
                script(os.path.join("venv", "bin", "python"),
                       "#!/bin/sh\necho %s\n" % version)
                listed, note = peers.defaults(SOURCE, "/usr/bin/python3")
                self.assertEqual([x["name"] for x in listed], names, version)
            self.assertEqual([(x["python"], x["compile"]) for x in listed[1:]],
                             [(python, False), (python, True)])
            self.assertIsNone(note)
        finally:
            if old is None:
                del os.environ["PAN_VENV"]
            else:
                os.environ["PAN_VENV"] = old
        with self.assertRaises(ValueError):
            peers.parse("no-equals-sign")
        self.assertEqual(peers.parse("c=/x/python:compile")["compile"], True)


class Venv(unittest.TestCase):
    """Run alone, and only when VENV_PYTHON is given."""

    def test_eager_and_compile(self):
        if not os.access(VENV_PYTHON, os.X_OK):
            self.fail("%s (PAN_VENV_PYTHON) does not exist: run scripts/bench-deps.sh or "
                      "configure with -DPAN_TEST_BENCH_VENV=OFF" % VENV_PYTHON)
        out, rows, peers = backbone("venv.csv", "eager=" + VENV_PYTHON,
                                    "compile=%s:compile" % VENV_PYTHON,
                                    cases=("1,16", "5,10"), timeout=1800)
        for name in ("eager", "compile"):
            self.assertEqual(peers[name]["value"], "1", peers[name]["note"])
            self.assertIn("backbone_vs_c=ok cases=2", peers[name]["note"])
            self.assertEqual(len(step_rows(rows, name)), len(ALL_CASES), name)
        self.assertIn("compiled_vs_eager=ok", peers["compile"]["note"])
        self.assertIn("torch.compile", peers["compile"]["note"])
        warm = [r for r in rows if r["metric"] == "warmup_ms" and r["peer"] == "compile"]
        self.assertEqual(len(warm), len(ALL_CASES))
        self.assertIn("compilation", warm[0]["note"])


if __name__ == "__main__":
    classes = [Venv] if VENV_PYTHON else [DebianAndFailures, VoidedByCheck, Harness]
    loader = unittest.TestLoader()
    suite = unittest.TestSuite(loader.loadTestsFromTestCase(c) for c in classes)
    sys.exit(0 if unittest.TextTestRunner(verbosity=2).run(suite).wasSuccessful() else 1)
