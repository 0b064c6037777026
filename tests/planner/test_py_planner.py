#!/usr/bin/env python3
"""tests/planner/test_py_planner.py: the Python planner
(pan.agents.planner) and the goal families in Python (pan.agents.goals)
against a real pan-server:
- pan.agents.goals parses every sampled goal and its predicate on the
  decoded true-state latent agrees with the env's info["success"] on every
  step of random and planned episodes;
- the oracle CEM solves tabletop structured tasks far more often than the
  random planner (bounds near the observed rates, printed);
- the same seed prints the same task lines;
- the planner runs against a served untrained pan-init model (latent cost,
  re-synced with RESET initial_frames) without error.
Usage: test_py_planner.py PATH_TO_PAN_SERVER PATH_TO_PAN_INIT
"""

import io
import os
import subprocess
import sys
import tempfile
import unittest

PAN_INIT = sys.argv.pop(2) if len(sys.argv) > 2 else os.environ.get("PAN_INIT", "")

from pan_test_server import PanServer, server_path  # noqa: E402
from pan.agents import goals as G  # noqa: E402
from pan.agents import planner as P  # noqa: E402
from pan.env import PanEnv  # noqa: E402

server_path()
SERVER = None


def setUpModule():
    global SERVER
    SERVER = PanServer()


def tearDownModule():
    rc = SERVER.stop()
    if rc != 0:
        raise AssertionError(f"pan-server exited {rc} on SIGTERM, expected 0")


def args_for(**kw):
    base = dict(endpoint=SERVER.endpoint, world="tabletop", model=None,
                planner="cem", cost="latent", tasks=10, family="random",
                seed=0, samples=100, topk=10, iters=3, horizon=2,
                smoothing=0.15, k=8, budget=10, timeout_ms=60000, quiet=False)
    base.update(kw)
    return type("Args", (), base)


class Goals(unittest.TestCase):
    def test_predicate_matches_env(self):
        checked = 0
        for world, family in (("tabletop", "random"), ("rooms", "landmark")):
            with PanEnv(world=world, endpoint=SERVER.endpoint,
                        obs_mode="latent", max_episode_steps=12,
                        task=f"structured: {family}") as env:
                for seed in range(12):
                    obs, info = env.reset(seed=seed)
                    goal = G.parse_goal(info["task"])
                    self.assertEqual(goal.text, info["task"])
                    for _ in range(12):
                        state = G.decode_state(world, obs["latent"])
                        self.assertEqual(G.holds(goal, state), info["success"])
                        self.assertEqual(G.cost(goal, state) == 0.0,
                                         info["success"])
                        checked += 1
                        obs, _, term, trunc, info = env.step(
                            env.sample_action())
                        if term or trunc:
                            break
        # and on planned episodes, which end in success
        wins = 0
        with PanEnv(world="tabletop", endpoint=SERVER.endpoint,
                    obs_mode="latent", max_episode_steps=10,
                    task="structured: random") as env:
            planner = P.Planner("cem", "tabletop")
            sim = P.SessionSim(env.session, latent_is_state=True,
                               goal_latent=False)
            for seed in range(100, 110):
                obs, info = env.reset(seed=seed)
                goal = G.parse_goal(info["task"])
                planner.begin(goal, seed)
                for _ in range(10):
                    state = G.decode_state("tabletop", obs["latent"])
                    self.assertEqual(G.holds(goal, state), info["success"])
                    checked += 1
                    obs, _, term, trunc, info = env.step(
                        planner.decide(sim, list(state.objects)))
                    if term or trunc:
                        break
                state = G.decode_state("tabletop", obs["latent"])
                self.assertEqual(G.holds(goal, state), info["success"])
                wins += info["success"]
        self.assertGreaterEqual(wins, 8)
        print(f"\n  goals.holds == info['success'] on {checked} states "
              f"({wins} planned episodes ending in success)")

    def test_parse(self):
        g = G.parse_goal("latent: the red circle is left of the green "
                         "triangle")
        self.assertTrue(g.latent)
        self.assertEqual(g.relation, "to the left of")
        with self.assertRaises(ValueError):
            G.parse_goal("the red circle is next to the red circle")
        with self.assertRaises(ValueError):
            G.parse_goal("put the red circle next to the green triangle")


class Planners(unittest.TestCase):
    def run_planner(self, **kw):
        out = io.StringIO()
        summary = P.run(args_for(**kw), out=out)
        text = out.getvalue()
        print("\n  " + text.strip().splitlines()[-1])
        return summary, text

    def test_oracle_beats_random(self):
        cem, _ = self.run_planner(tasks=20)
        rnd, _ = self.run_planner(tasks=20, planner="random")
        # observed 20/20 (CEM) and 2/20 (random)
        self.assertGreaterEqual(cem["successes"], 18)
        self.assertLessEqual(rnd["successes"], 5)
        pick, _ = self.run_planner(tasks=20, planner="pick")
        self.assertGreater(pick["successes"], rnd["successes"])  # observed 11

    def test_reproducible(self):
        _, a = self.run_planner(tasks=5, seed=30)
        _, b = self.run_planner(tasks=5, seed=30)
        _, c = self.run_planner(tasks=5, seed=31)
        lines = lambda t: [x for x in t.splitlines() if x.startswith("task")]
        self.assertEqual(lines(a), lines(b))
        self.assertNotEqual(lines(a), lines(c))

    def test_model(self):
        tmp = tempfile.mkdtemp(prefix="pan-pyplanner-")
        path = os.path.join(tmp, "tiny.safetensors")
        cmd = [PAN_INIT, "--out", path, "--seed", "3"]
        for item in ("decoder.dim=96", "decoder.layers=2", "decoder.heads=4",
                     "decoder.mlp_dim=256", "decoder.freq_dim=64",
                     "backbone.layers=2", "encoder.layers=2",
                     "decoder.steps=2"):
            cmd += ["--set", item]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        srv = PanServer("--model", f"tiny={path}", "--model-threads", "1")
        try:
            out = io.StringIO()
            s = P.run(args_for(endpoint=srv.endpoint, model="tiny", tasks=1,
                               samples=6, topk=2, iters=2, horizon=2,
                               budget=2), out=out)
            self.assertEqual(s["tasks"], 1)
            self.assertIn("imagining in the model tiny", out.getvalue())
            print("\n  " + out.getvalue().strip().splitlines()[-1])
        finally:
            self.assertEqual(srv.stop(), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
