"""tests/eval/test_eval_cli.py: pan-eval end to end, as CI runs it.

    test_eval_cli.py PAN_EVAL PAN_SERVER PAN_INIT

- `pan-eval --truth --quick` on tabletop and rooms writes report.json,
  report.md and the pictures, and scores 100% (the judges' validation).
- `pan-eval --model FILE --quick` on the untrained default model
  (pan-init's default config) writes its report, with fidelity 0.
- A small checkpoint served by a real pan-server and judged through
  `--server` gives exactly the numbers of the in-process run (same seeds,
  same code, same thread count), planning included.

ctest runs the classes as separate tests (eval_cli_truth, ...), so each has
its own timeout: `test_eval_cli.py PAN_EVAL PAN_SERVER PAN_INIT Truth`.
- Usage errors exit 2 and failures exit 1, with a message.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "python"))

if len(sys.argv) < 4:
    raise SystemExit("usage: test_eval_cli.py PAN_EVAL PAN_SERVER PAN_INIT")
PAN_EVAL, PAN_SERVER, PAN_INIT = sys.argv[1:4]
del sys.argv[1:4]
os.environ["PAN_SERVER"] = PAN_SERVER
import pan_test_server  # noqa: E402
from pan_test_server import PanServer  # noqa: E402

pan_test_server._SERVER = PAN_SERVER  # argv[1] is the test class, not the server

TMP = tempfile.mkdtemp(prefix="pan-eval-test-")
SMALL = ["--fidelity-cases", "4", "--stepwise-cases", "4", "--rollout-cases", "1",
         "--rollout-steps", "3", "--planning-tasks", "2", "--no-pictures", "--quiet"]


def tearDownModule():
    shutil.rmtree(TMP, ignore_errors=True)


def run_eval(*args, expect=0):
    p = subprocess.run([PAN_EVAL, *args], capture_output=True, text=True, timeout=600)
    if p.returncode != expect:
        raise AssertionError(f"pan-eval {' '.join(args)} exited {p.returncode}, expected "
                             f"{expect}\nstdout: {p.stdout}\nstderr: {p.stderr}")
    return p


def report(out):
    with open(os.path.join(out, "report.json")) as f:
        return json.load(f)


def numbers(r):
    """The judged numbers of a report, without who/where/when."""
    keep = {k: r[k] for k in ("fidelity", "stepwise", "consistency", "smoothness")}
    plan = r["planning"]
    keep["planning"] = {k: plan[k]["success"] for k in ("random", "nomodel", "pick", "cem",
                                                         "oracle")}
    return json.dumps(keep, sort_keys=True)


class Truth(unittest.TestCase):
    def check_truth(self, world):
        out = os.path.join(TMP, f"truth-{world}")
        run_eval("--truth", "--world", world, "--quick", "--out", out, "--quiet")
        r = report(out)
        self.assertEqual(r["world"], world)
        for split in ("train", "heldout"):
            self.assertEqual(r["fidelity"][split]["pass"]["mean"], 1.0)
            self.assertEqual(r["fidelity"][split]["pass"]["n"], 36)
            self.assertEqual(r["stepwise"][split]["mean"], 1.0)
        self.assertEqual(r["smoothness"]["ratio"], 1.0)
        self.assertEqual(r["consistency"]["later_weighted"]["ssim"]["mean"], 1.0)
        if world == "rooms":
            self.assertEqual(r["revisit"]["pass"]["mean"], 1.0)
        for name in ("report.md", "rollout-0.png", "rollout-0.gif", "rollout-1.gif"):
            self.assertTrue(os.path.getsize(os.path.join(out, name)) > 100, name)
        with open(os.path.join(out, "rollout-0.gif"), "rb") as f:
            self.assertEqual(f.read(6), b"GIF89a")
        with open(os.path.join(out, "rollout-0.png"), "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
        with open(os.path.join(out, "report.md")) as f:
            md = f.read()
        self.assertIn("70.3%", md)  # PAN's published numbers beside ours
        self.assertIn("different setting", md)
        self.assertIn(r["commit"], md)
        try:
            import matplotlib  # noqa: F401
            self.assertTrue(os.path.getsize(os.path.join(out, "consistency.png")) > 1000)
            self.assertIn("consistency.png", r["pictures"])
        except ImportError:
            print("matplotlib missing: plot not checked")

    def test_tabletop(self):
        self.check_truth("tabletop")

    def test_rooms(self):
        self.check_truth("rooms")


NARROW = ["decoder.dim=96", "decoder.layers=2", "decoder.heads=4", "decoder.mlp_dim=256",
          "decoder.freq_dim=64"]


def init_model(name, *settings):
    path = os.path.join(TMP, name)
    args = [PAN_INIT, "--out", path, "--seed", "1"]
    for item in settings:
        args += ["--set", item]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    return path


class Untrained(unittest.TestCase):
    """The untrained default model (pan-init's default config), --quick."""

    @classmethod
    def setUpClass(cls):
        cls.model = init_model("glp.safetensors")

    def test_quick_default_model(self):
        out = os.path.join(TMP, "untrained")
        run_eval("--model", self.model, "--quick", "--out", out, "--quiet")
        r = report(out)
        self.assertIn("UNTRAINED", r["subject"])
        self.assertIn("crc32", r["subject"])
        self.assertIsNotNone(r["model_config"])
        for split in ("train", "heldout"):
            self.assertEqual(r["fidelity"][split]["pass"]["mean"], 0.0)
            self.assertLessEqual(r["stepwise"][split]["mean"], 0.6)
        self.assertTrue(r["planning"]["measured"])
        self.assertEqual(r["planning"]["tasks_per_planner"], 4)


class Server(unittest.TestCase):
    """A narrow-decoder checkpoint, in-process and over pan-server."""

    @classmethod
    def setUpClass(cls):
        cls.model = init_model("tiny.safetensors", *NARROW)

    def test_server_equals_in_process(self):
        local = os.path.join(TMP, "local")
        run_eval("--model", self.model, "--out", local, "--threads", "2", *SMALL)
        server = PanServer("--model", f"glp={self.model}", "--model-threads", "2")
        try:
            remote = os.path.join(TMP, "remote")
            run_eval("--server", server.endpoint, "--out", remote, *SMALL)
        finally:
            self.assertEqual(server.stop(), 0)
        a, b = report(local), report(remote)
        self.assertIn("server", b["subject"])
        self.assertIn("glp", b["subject"])
        self.assertTrue(a["planning"]["measured"] and b["planning"]["measured"])
        self.assertEqual(numbers(a), numbers(b))


class Errors(unittest.TestCase):
    def test_usage(self):
        p = run_eval("--quick", expect=2)
        self.assertIn("exactly one of", p.stderr)
        p = run_eval("--truth", "--frozen", "--out", TMP, expect=2)
        p = run_eval("--truth", "--world", "moon", "--out", TMP, expect=2)
        self.assertIn("tabletop or rooms", p.stderr)
        p = run_eval("--truth", "--rollout-steps", "65", "--out", TMP, expect=2)
        self.assertIn("1..64", p.stderr)

    def test_failures(self):
        p = run_eval("--model", "/nonexistent.safetensors", "--out", TMP, expect=1)
        self.assertIn("nonexistent", p.stderr)
        p = run_eval("--server", "tcp://127.0.0.1:1", "--timeout", "300", "--out", TMP,
                     expect=1)
        self.assertIn("127.0.0.1:1", p.stderr)


if __name__ == "__main__":
    unittest.main()
