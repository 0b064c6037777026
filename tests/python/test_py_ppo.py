#!/usr/bin/env python3
"""tests/python/test_py_ppo.py (slow): stable-baselines3's PPO, unchanged,
learns pan's tabletop through gymnasium.make and pan.wrappers, over a real
pan-server, and beats the random policy on held-out seeds; the same
example then runs against a served world model (an UNTRAINED pan-init
checkpoint: only that it runs is checked).

- test_ppo_beats_random runs agents/python/examples/ppo_tabletop.py as a
  user would (its own process, --json): task "put the red circle in the
  top left corner" (a fixed place goal over random tables), the last frame
  only (CnnPolicy), the task's sparse reward, TRAIN_STEPS env steps, seed
  SEED; 200 held-out episodes (seeds 1,000,000-1,000,199) per policy, 10
  steps each. Asserted (bounds near the measured figures, docs/agents.md
  "Standard RL libraries"): PPO (argmax) success >= PPO_MIN, random <=
  RANDOM_MAX, PPO - random >= MARGIN. A PPO that does not learn (or a
  wrapper that breaks the image, the actions or the success flag) fails.
- test_sb3_env_checker: stable-baselines3's check_env on the wrapped
  tabletop envs (the image-and-goal Dict, the image alone).
- test_model_env_runs: the example with --model on the served checkpoint
  for a few hundred steps; exit 0 and a well-formed summary.
Usage: test_py_ppo.py PATH_TO_PAN_SERVER PATH_TO_PAN_INIT
       (PYTHONPATH=agents/python:tests/python; labels slow, e2e)
"""

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

PAN_INIT = sys.argv.pop(2) if len(sys.argv) > 2 else os.environ.get("PAN_INIT", "")

from pan_test_server import PanServer, server_path  # noqa: E402

server_path()
HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.join(HERE, "..", "..", "agents", "python", "examples",
                       "ppo_tabletop.py")
TASK = "put the red circle in the top left corner"
TRAIN_STEPS = 60000
SEED = 0
PPO_MIN = 0.20
RANDOM_MAX = 0.06
MARGIN = 0.18
NARROW = ["decoder.dim=96", "decoder.layers=2", "decoder.heads=4",
          "decoder.mlp_dim=256", "decoder.freq_dim=64"]
SERVER = None
TMP = None


def setUpModule():
    global SERVER, TMP
    if not os.access(PAN_INIT, os.X_OK):
        raise SystemExit(f"FAILED: pan-init not found ({PAN_INIT!r}); pass it "
                         "as the second argument or set PAN_INIT")
    TMP = tempfile.mkdtemp(prefix="pan-ppo-test-")
    path = os.path.join(TMP, "tiny.safetensors")
    args = [PAN_INIT, "--out", path, "--seed", "3"]
    for item in NARROW:
        args += ["--set", item]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    SERVER = PanServer("--model", f"tiny={path}", "--model-threads", "1")


def tearDownModule():
    rc = SERVER.stop()
    shutil.rmtree(TMP, ignore_errors=True)
    if rc != 0:
        raise AssertionError(f"pan-server exited {rc} on SIGTERM, expected 0")


def run_example(*args, timeout):
    """Runs the example with --json; returns (summary dict, stdout)."""
    out = os.path.join(TMP, f"run-{time.monotonic_ns()}.json")
    cmd = [sys.executable, EXAMPLE, "--endpoint", SERVER.endpoint,
           "--json", out, *args]
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    sys.stderr.write(f"{' '.join(cmd[2:])}\n  exit {p.returncode} after "
                     f"{time.monotonic() - t0:.0f} s\n{p.stdout}")
    if p.returncode != 0:
        sys.stderr.write(p.stderr[-4000:])
    assert p.returncode == 0, f"the example exited {p.returncode}"
    with open(out) as f:
        return json.load(f), p.stdout


class PPO(unittest.TestCase):
    def check_rate(self, r, episodes):
        self.assertEqual(r["episodes"], episodes)
        self.assertTrue(0.0 <= r["rate"] <= 1.0)
        self.assertEqual(r["successes"], round(r["rate"] * episodes))
        lo, hi = r["ci95"]
        self.assertTrue(0.0 <= lo <= r["rate"] <= hi <= 1.0)

    def test_ppo_beats_random(self):
        s, stdout = run_example("--task", TASK, "--shaping", "0",
                                "--timesteps", str(TRAIN_STEPS), "--seed",
                                str(SEED), "--eval-episodes", "200",
                                timeout=840)
        self.assertEqual(s["env"], "pan/Tabletop-v0")
        self.assertEqual((s["actions"], s["policy"]), (426, "CnnPolicy"))
        self.assertGreaterEqual(s["timesteps"], TRAIN_STEPS)
        self.assertEqual(s["eval_seeds"], [1_000_000, 1_000_199])
        for key in ("ppo", "random", "ppo_sampled"):
            self.check_rate(s[key], 200)
        ppo, rnd = s["ppo"]["rate"], s["random"]["rate"]
        self.assertIn("ppo", stdout)
        self.assertGreaterEqual(ppo, PPO_MIN, "PPO did not learn")
        self.assertLessEqual(rnd, RANDOM_MAX, "the random policy got lucky")
        self.assertGreaterEqual(ppo - rnd, MARGIN)

    def test_sb3_env_checker(self):
        """stable-baselines3's own env checker accepts the wrapped envs."""
        import gymnasium
        import pan  # noqa: F401  (registers pan/...)
        from pan import wrappers as pw
        from stable_baselines3.common.env_checker import check_env as sb3_check

        def make(task):
            return gymnasium.make("pan/Tabletop-v0", endpoint=SERVER.endpoint,
                                  task=task)
        for stack in (1, 2):
            env = pw.GoalObservation(pw.LastFrame(pw.GoalCostReward(
                pw.CanonicalActions(make("structured: place"))), stack))
            self.addCleanup(env.close)
            sb3_check(env, warn=False)
        img = pw.LastFrame(pw.CanonicalActions(make("random")))
        self.addCleanup(img.close)
        sb3_check(img, warn=False)

    def test_model_env_runs(self):
        s, _ = run_example("--model", "tiny", "--task", TASK, "--goal",
                           "--timesteps", "128", "--n-envs", "2",
                           "--n-steps", "64", "--batch-size", "64",
                           "--n-epochs", "1", "--eval-episodes", "4",
                           "--max-episode-steps", "5", timeout=600)
        self.assertEqual((s["env"], s["model"]), ("pan/WorldModel-v0", "tiny"))
        self.assertEqual((s["shaping"], s["policy"]), (0.0, "MultiInputPolicy"))
        self.assertGreaterEqual(s["timesteps"], 128)
        for key in ("ppo", "random", "ppo_sampled"):
            self.check_rate(s[key], 4)
        self.assertTrue(1 <= s["ppo_mean_steps"] <= 5)
        self.assertTrue(math.isfinite(s["train_wall_s"]))


if __name__ == "__main__":
    unittest.main()
