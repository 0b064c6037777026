#!/usr/bin/env python3
"""tests/python/test_py_agents.py: the Python agents against a real
pan-server.

- The random agent (python3 -m pan.agents.random) is reproducible: two runs
  with the same seed print the same bytes; it runs on tabletop and rooms.
- The scripted agent solves >= 90% of 20 random tabletop goals ("put the
  <colour> <shape> in the <place>", seeds 0..19), using only directional
  moves "move the <colour> <shape> <dir> by <n>" (never "... to the
  <place>"), every one understood; it also solves goals whose corner holds
  another object first (a blocker put there with "add ... to the top left
  corner"). Its command line runs and reports JSON.
Usage: test_py_agents.py PATH_TO_PAN_SERVER (PYTHONPATH=agents/python)
"""

import json
import os
import re
import subprocess
import sys
import unittest

from pan_test_server import PanServer, server_path
from pan.agents.scripted import play_episode
from pan.agents.tabletop import COLOURS, SHAPES, Planner, read_state
from pan.env import PanEnv

SERVER = None
MOVE = re.compile(r"^move the (\w+) (\w+) (left|right|up|down) by (\d+)$")


def setUpModule():
    global SERVER
    SERVER = PanServer()


def tearDownModule():
    rc = SERVER.stop()
    if rc != 0:
        raise AssertionError(f"pan-server exited {rc} on SIGTERM, expected 0")


def agent(module, *args):
    p = subprocess.run([sys.executable, "-m", module, "--endpoint",
                        SERVER.endpoint, *args], capture_output=True,
                       text=True, env=dict(os.environ), timeout=120)
    return p.returncode, p.stdout, p.stderr


class Recorder:
    """Wraps env.step to record the actions the agent sends."""

    def __init__(self, env):
        self.env, self.actions, self.infos = env, [], []
        self.step = env.step
        env.step = self._step

    def _step(self, action):
        out = self.step(action)
        self.actions.append(action)
        self.infos.append(out[4])
        return out


class Agents(unittest.TestCase):
    def test_random_agent_reproducible(self):
        args = ["--episodes", "3", "--seed", "11", "--max-episode-steps",
                "12", "--json"]
        rc1, out1, err1 = agent("pan.agents.random", *args)
        rc2, out2, err2 = agent("pan.agents.random", *args)
        self.assertEqual((rc1, rc2), (0, 0), err1 + err2)
        self.assertEqual(out1, out2)
        lines = [json.loads(x) for x in out1.splitlines()]
        self.assertEqual(len(lines), 4)
        self.assertEqual([e["seed"] for e in lines[:3]], [11, 12, 13])
        for e in lines[:3]:
            self.assertLessEqual(e["steps"], 12)
            self.assertTrue(e["task"].startswith("put the "))
            self.assertEqual(e["understood"], e["steps"])  # train samples
        self.assertEqual(lines[3]["summary"]["episodes"], 3)
        rc, out, err = agent("pan.agents.random", "--world", "rooms",
                             "--episodes", "2", "--max-episode-steps", "5")
        self.assertEqual(rc, 0, err)
        self.assertIn("random agent: 2 episodes", out)
        rc, out, err = agent("pan.agents.random", "--episodes", "0")
        self.assertEqual(rc, 2)

    def test_scripted_agent_success_rate(self):
        env = PanEnv(endpoint=SERVER.endpoint, obs_mode="latent",
                     task="random")
        self.addCleanup(env.close)
        planner = Planner(64, 64)
        rec = Recorder(env)
        results = [play_episode(env, planner, seed) for seed in range(20)]
        wins = sum(r["success"] for r in results)
        failed = [r for r in results if not r["success"]]
        self.assertGreaterEqual(wins, 18, f"failures: {failed}")
        places = {r["task"].split(" in the ")[1] for r in results}
        self.assertGreaterEqual(len(places), 4, places)  # goals vary
        for action, info in zip(rec.actions, rec.infos):
            m = MOVE.match(action)
            self.assertIsNotNone(m, action)
            self.assertIn(m.group(1), COLOURS)
            self.assertIn(m.group(2), SHAPES)
            self.assertTrue(info["understood"], (action, info["message"]))

    def test_scripted_agent_clears_blockers(self):
        env = PanEnv(endpoint=SERVER.endpoint, obs_mode="latent",
                     task="put the red circle in the top left corner")
        self.addCleanup(env.close)
        planner = Planner(64, 64)
        solved = blocked = 0
        for seed in range(6):
            obs, info = env.reset(seed=seed)
            table = read_state(obs["latent"], 64, 64)
            pair = next((c, s) for c in COLOURS for s in SHAPES
                        if (c, s) not in table.objects)
            obs, _, _, _, info = env.step(
                f"add a {pair[0]} {pair[1]} to the top left corner")
            if not info["understood"] or "nothing changed" in info["message"]:
                continue
            blocked += 1  # the goal's corner is taken: clear it first
            goal = (("red", "circle"), "top left corner")
            while True:
                action = planner.next_action(
                    read_state(obs["latent"], 64, 64), goal)
                obs, _, term, trunc, info = env.step(action or "wait")
                if term or trunc:
                    break
            solved += info["success"]
        self.assertGreaterEqual(blocked, 3)
        self.assertEqual(solved, blocked)

    def test_scripted_cli(self):
        rc, out, err = agent("pan.agents.scripted", "--episodes", "3",
                             "--seed", "100", "--json", "--require", "0.5")
        self.assertEqual(rc, 0, err)
        lines = [json.loads(x) for x in out.splitlines()]
        self.assertEqual(len(lines), 4)
        self.assertEqual(lines[3]["summary"]["agent"], "scripted agent")
        rc, out, err = agent("pan.agents.scripted", "--task", "none")
        self.assertEqual(rc, 2)


if __name__ == "__main__":
    server_path()
    unittest.main(verbosity=2)
