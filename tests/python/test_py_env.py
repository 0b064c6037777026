#!/usr/bin/env python3
"""tests/python/test_py_env.py: pan.env.PanEnv against a real pan-server
(duck-typed branch: gymnasium is not installed here; test_py_gymnasium.py
covers the gymnasium branch with a stand-in).

- Spaces as declared (Text with the 95-character charset, Box uint8 frames,
  Box float32 latent); observations inside them, dtypes exact, zero-copy;
  reward a Python float, flags Python bools.
- Determinism over the wire: same seed and actions -> identical obs bytes
  and infos; another seed -> other observations.
- Goal task: the known winning action terminates with reward 1; truncation
  at max_episode_steps; stepping an ended env fails and changes nothing.
- fork / restore / rollout: the live env is untouched by rollouts; a
  rollout row equals restore + the same steps; no autoreset inside a row;
  release.
- render, sample_action, latent obs mode, rooms, argument errors, close.
Usage: test_py_env.py PATH_TO_PAN_SERVER (PYTHONPATH=agents/python)
"""

import unittest

import numpy as np

from pan_test_server import PanServer, clear_table, server_path
from pan import spaces as ps
from pan.client import FailedPreconditionError, NotFoundError
from pan.env import PanEnv

SERVER = None
GOAL = "put the red circle in the top left corner"
WIN = "move the red circle to the top left corner"
ACTIONS = ["move the red circle left by 2", "turn off the lights",
           "xyzzy", "wait", "push the blue square all the way up",
           "add a green triangle to the centre", "remove the green triangle"]


def setUpModule():
    global SERVER
    SERVER = PanServer()


def tearDownModule():
    rc = SERVER.stop()
    if rc != 0:
        raise AssertionError(f"pan-server exited {rc} on SIGTERM, expected 0")


def base_of(arr):
    while isinstance(arr, np.ndarray):
        arr = arr.base
    return arr


class EnvTest(unittest.TestCase):
    def env(self, **kw):
        kw.setdefault("endpoint", SERVER.endpoint)
        env = PanEnv(**kw)
        self.addCleanup(env.close)
        return env

    def test_spaces_and_types(self):
        env = self.env()
        self.assertNotIn("gymnasium", type(env).__mro__[1].__module__)
        a = env.action_space
        self.assertIsInstance(a, ps.Text)
        self.assertEqual((a.min_length, a.max_length), (0, 256))
        self.assertEqual(len(a.character_set), 95)
        self.assertTrue(set(" .,!?'-") <= a.character_set)
        self.assertTrue(a.contains(WIN))
        self.assertFalse(a.contains("é"))
        o = env.observation_space
        self.assertIsInstance(o, ps.Dict)
        self.assertEqual(list(o.keys()), ["frames", "latent"])
        self.assertEqual((o["frames"].shape, o["frames"].dtype),
                         ((4, 64, 64, 3), np.uint8))
        self.assertEqual((o["latent"].shape, o["latent"].dtype),
                         ((1, 73), np.float32))
        obs, info = env.reset(seed=3)
        self.assertTrue(o.contains(obs))
        self.assertEqual(obs["frames"].dtype, np.uint8)
        self.assertEqual(obs["latent"].dtype, np.float32)
        self.assertEqual(info["seed"], 3)
        self.assertIs(info["is_reset"], True)
        obs, reward, terminated, truncated, info = env.step(ACTIONS[0])
        self.assertIs(type(reward), float)
        self.assertIs(type(terminated), bool)
        self.assertIs(type(truncated), bool)
        self.assertTrue(o.contains(obs))
        self.assertEqual(info["episode_step"], 1)
        self.assertTrue(info["understood"])
        self.assertEqual(env.metadata["render_modes"], ["rgb_array"])
        self.assertEqual(env.metadata["world"], "tabletop")

    def test_zero_copy_and_lifetime(self):
        env = self.env()
        obs0, _ = env.reset(seed=1)
        kept = {k: v.copy() for k, v in obs0.items()}
        for key in ("frames", "latent"):
            self.assertFalse(obs0[key].flags.owndata)
            self.assertIsInstance(base_of(obs0[key]), memoryview)
        env.step(ACTIONS[0])
        env.step(ACTIONS[1])
        for key in kept:  # earlier observations stay valid and unchanged
            np.testing.assert_array_equal(obs0[key], kept[key])

    def run_episode(self, env, seed, actions):
        obs, info = env.reset(seed=seed)
        trace = [(obs["frames"].tobytes(), obs["latent"].tobytes(), info)]
        for a in actions:
            obs, r, term, trunc, info = env.step(a)
            trace.append((obs["frames"].tobytes(), obs["latent"].tobytes(),
                          r, term, trunc, info))
        return trace

    def test_determinism(self):
        e1, e2 = self.env(task="random"), self.env(task="random")
        t1 = self.run_episode(e1, 42, ACTIONS)
        t2 = self.run_episode(e2, 42, ACTIONS)
        self.assertEqual(t1, t2)
        # sampled actions are reproducible too
        for env in (e1, e2):
            env.reset(seed=9)
        s1 = [e1.sample_action() for _ in range(5)]
        s2 = [e2.sample_action() for _ in range(5)]
        self.assertEqual(s1, s2)
        t3 = self.run_episode(e2, 43, ACTIONS)
        self.assertNotEqual(t1[0][1], t3[0][1])

    def test_goal_task_and_truncation(self):
        env = self.env(task=GOAL, max_episode_steps=6)
        obs, info = env.reset(seed=5)
        self.assertEqual(info["task"], GOAL)
        self.assertFalse(info["success"])
        for action in clear_table(obs["latent"]):  # nothing in the way
            _, r, term, trunc, info = env.step(action)
            self.assertTrue(info["understood"], info["message"])
            self.assertEqual((r, term, trunc), (0.0, False, False))
        _, r, term, trunc, info = env.step(WIN)
        self.assertEqual((r, term, trunc, info["success"]),
                         (1.0, True, False, True))
        with self.assertRaises(FailedPreconditionError):
            env.step("wait")
        _, info = env.reset(seed=6)          # the task is kept
        self.assertEqual(info["task"], GOAL)
        flags = [env.step("wait")[2:4] for _ in range(6)]
        self.assertEqual(flags, [(False, False)] * 5 + [(False, True)])
        with self.assertRaises(FailedPreconditionError):
            env.step("wait")
        obs, info = env.reset(seed=5, options={"task": "none"})
        self.assertEqual(info["task"], "")
        for action in clear_table(obs["latent"]) + [WIN]:
            _, r, term, _, info = env.step(action)
            self.assertEqual((r, term), (0.0, False))

    def test_rollout_leaves_live_env_untouched(self):
        env, twin = self.env(task=GOAL), self.env(task=GOAL)
        for e in (env, twin):
            obs, _ = e.reset(seed=17)
            for action in clear_table(obs["latent"]) + ["wait"]:
                e.step(action)
        steps = env.step("wait")[4]["episode_step"]
        twin.step("wait")
        sid = env.fork()
        sid2 = env.fork()
        self.assertNotEqual(sid, sid2)
        rows = [["wait", WIN, "wait"], ACTIONS[1:4], [WIN, WIN, WIN]]
        out = env.rollout([sid, sid2, sid], rows, frames=True)
        self.assertEqual(out["reward"].shape, (3, 3))
        self.assertEqual(out["reward"].dtype, np.float32)
        self.assertEqual(out["terminated"].dtype, np.bool_)
        self.assertEqual(out["truncated"].dtype, np.bool_)
        self.assertEqual(out["latent"].shape, (3, 3, 1, 73))
        self.assertEqual(out["frames"].shape, (3, 3, 4, 64, 64, 3))
        # no autoreset in a row: after success reward 0, flags stay, obs repeat
        self.assertEqual(out["reward"][2].tolist(), [1.0, 0.0, 0.0])
        self.assertEqual(out["terminated"][2].tolist(), [True, True, True])
        np.testing.assert_array_equal(out["latent"][2, 1], out["latent"][2, 0])
        np.testing.assert_array_equal(out["frames"][2, 2], out["frames"][2, 0])
        # the live env goes on exactly like its twin
        a = env.step(ACTIONS[4])
        b = twin.step(ACTIONS[4])
        self.assertEqual(a[0]["frames"].tobytes(), b[0]["frames"].tobytes())
        self.assertEqual(a[0]["latent"].tobytes(), b[0]["latent"].tobytes())
        self.assertEqual(a[1:], b[1:])
        # a row equals restore + the same steps
        for b_, row in enumerate(rows):
            obs, info = env.restore([sid, sid2, sid][b_])
            self.assertEqual(info["episode_step"], steps)
            for t, action in enumerate(row):
                obs, r, term, trunc, info = env.step(action)
                self.assertEqual(r, float(out["reward"][b_, t]))
                self.assertEqual((term, trunc),
                                 (bool(out["terminated"][b_, t]),
                                  bool(out["truncated"][b_, t])))
                self.assertEqual(obs["latent"].tobytes(),
                                 out["latent"][b_, t].tobytes())
                self.assertEqual(obs["frames"].tobytes(),
                                 out["frames"][b_, t].tobytes())
                if term or trunc:
                    break
        self.assertEqual(env.release([sid, sid2]), 2)
        with self.assertRaises(NotFoundError):
            env.release(sid)
        with self.assertRaises(NotFoundError):
            env.restore(sid)

    def test_render_and_modes(self):
        env = self.env(render_mode="rgb_array", width=48, height=32,
                       frames_per_step=2)
        obs, _ = env.reset(seed=2)
        self.assertEqual(obs["frames"].shape, (2, 32, 48, 3))
        obs, *_ = env.step(ACTIONS[0])
        frame = env.render()
        self.assertEqual((frame.shape, frame.dtype), ((32, 48, 3), np.uint8))
        np.testing.assert_array_equal(frame, obs["frames"][-1])
        self.assertIsNone(self.env().render())
        lat = self.env(obs_mode="latent")
        self.assertEqual(list(lat.observation_space.keys()), ["latent"])
        obs, _ = lat.reset(seed=2)
        self.assertEqual(list(obs), ["latent"])
        rooms = self.env(world="rooms")
        obs, info = rooms.reset(seed=4)
        self.assertEqual(obs["latent"].shape, (1, 103))
        obs, r, term, trunc, info = rooms.step("go north 2")
        self.assertTrue(info["understood"])
        self.assertTrue(rooms.sample_action("heldout"))

    def test_standin_spaces(self):
        import pan
        self.assertIs(pan.PanEnv, PanEnv)
        self.assertIsNone(ps.GYMNASIUM)
        env = self.env()
        a, o = env.action_space, env.observation_space
        self.assertEqual(a.seed(7), [7])
        o.seed(7)
        first = (a.sample(), o.sample())
        self.assertEqual(a.seed(7), [7])
        o.seed(7)
        again = (a.sample(), o.sample())
        self.assertEqual(first[0], again[0])
        self.assertTrue(a.contains(first[0]))
        self.assertIn(first[0], a)
        for key in ("frames", "latent"):
            np.testing.assert_array_equal(first[1][key], again[1][key])
            self.assertEqual(first[1][key].dtype, o[key].dtype)
        self.assertTrue(o.contains(first[1]))
        self.assertFalse(o.contains({"latent": first[1]["latent"]}))
        self.assertFalse(o["frames"].contains(
            first[1]["frames"].astype(np.float64)))
        self.assertFalse(a.contains("x" * 257))
        batched = ps.batch_space(o, 3)
        self.assertEqual(batched["frames"].shape, (3, 4, 64, 64, 3))
        self.assertEqual(len(ps.batch_space(a, 3).sample()), 3)

    def test_argument_errors(self):
        with self.assertRaises(ValueError):
            PanEnv(endpoint=SERVER.endpoint, render_mode="human")
        env = self.env()
        env.reset(seed=1)
        with self.assertRaises(TypeError):
            env.step(5)
        with self.assertRaises(ValueError):
            env.reset(seed=-1)
        with self.assertRaises(ValueError):
            env.reset(options={"reset_mask": [True]})
        with self.assertRaises(ValueError):
            env.rollout([1, 2], [["wait"]])
        env.close()
        env.close()
        with self.assertRaises(ValueError):
            env.step("wait")


if __name__ == "__main__":
    server_path()
    unittest.main(verbosity=2)
