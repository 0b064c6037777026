#!/usr/bin/env python3
"""tests/python/test_py_gymnasium.py: the gymnasium branch of pan.env and
pan.vector, exercised with the STAND-IN package tests/python/fake_gymnasium
(real gymnasium cannot be installed here: no Debian package, no PyPI; see
fake_gymnasium/README.md). This checks that when `import gymnasium`
succeeds, pan uses gymnasium's classes with gymnasium 1.1's names and
signatures; it does not prove compatibility with the real package.

- pan.spaces re-exports gymnasium.spaces' Box, Text, Dict, Tuple and
  gymnasium.vector.utils.batch_space.
- PanEnv is a gymnasium.Env: its spaces are gymnasium spaces, reset()
  calls super().reset(seed=seed) (the stand-in records it and seeds
  np_random), observations are inside observation_space.
- PanVectorEnv is a gymnasium.vector.VectorEnv: metadata["autoreset_mode"]
  is gymnasium.vector.AutoresetMode, which it also accepts; batched spaces
  come from gymnasium's batch_space; close() goes through VectorEnv.close.
Usage: test_py_gymnasium.py PATH_TO_PAN_SERVER (PYTHONPATH=agents/python)
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "fake_gymnasium"))

import gymnasium  # noqa: E402  (the stand-in)
import numpy as np  # noqa: E402

from pan_test_server import PanServer, server_path  # noqa: E402
from pan import spaces as ps  # noqa: E402
from pan.client import NotFoundError  # noqa: E402
from pan.env import PanEnv  # noqa: E402
from pan.vector import AutoresetMode, PanVectorEnv  # noqa: E402

SERVER = None


def setUpModule():
    global SERVER
    SERVER = PanServer()


def tearDownModule():
    rc = SERVER.stop()
    if rc != 0:
        raise AssertionError(f"pan-server exited {rc} on SIGTERM, expected 0")


class GymnasiumBranch(unittest.TestCase):
    def test_standin_is_used(self):
        self.assertTrue(getattr(gymnasium, "PAN_TEST_STANDIN", False))
        self.assertIs(ps.GYMNASIUM, gymnasium)
        self.assertIs(ps.Text, gymnasium.spaces.Text)
        self.assertIs(ps.Box, gymnasium.spaces.Box)
        self.assertIs(ps.Dict, gymnasium.spaces.Dict)
        self.assertIs(ps.batch_space, gymnasium.vector.utils.batch_space)
        self.assertIs(AutoresetMode, gymnasium.vector.AutoresetMode)

    def test_env(self):
        env = PanEnv(endpoint=SERVER.endpoint)
        self.addCleanup(env.close)
        self.assertIsInstance(env, gymnasium.Env)
        self.assertIsInstance(env.action_space, gymnasium.spaces.Text)
        self.assertEqual(env.action_space.max_length, 256)
        self.assertEqual(env.action_space.min_length, 0)
        self.assertIn(" ", env.action_space.character_set)
        self.assertIsInstance(env.observation_space, gymnasium.spaces.Dict)
        self.assertIsInstance(env.observation_space["frames"],
                              gymnasium.spaces.Box)
        self.assertEqual(env.observation_space["frames"].dtype, np.uint8)
        self.assertEqual(env.observation_space["latent"].dtype, np.float32)
        obs, info = env.reset(seed=5)
        self.assertEqual(env.reset_seeds, [5])      # super().reset(seed=5)
        self.assertEqual(env._np_random_seed, 5)
        first = env.np_random.integers(1 << 30)
        env.reset(seed=5)
        self.assertEqual(env.np_random.integers(1 << 30), first)
        env.reset()
        self.assertEqual(env.reset_seeds, [5, 5, None])
        self.assertTrue(env.observation_space.contains(obs))
        obs, reward, terminated, truncated, info = env.step("wait")
        self.assertIs(type(reward), float)
        self.assertIs(type(terminated), bool)
        self.assertIs(type(truncated), bool)
        self.assertTrue(env.observation_space.contains(obs))
        self.assertTrue(env.action_space.contains(env.sample_action()))

    def test_vector_env(self):
        env = PanVectorEnv(2, endpoint=SERVER.endpoint,
                           autoreset_mode=gymnasium.vector.AutoresetMode
                           .SAME_STEP)
        self.assertIsInstance(env, gymnasium.vector.VectorEnv)
        self.assertIs(env.metadata["autoreset_mode"],
                      gymnasium.vector.AutoresetMode.SAME_STEP)
        self.assertIsInstance(env.action_space, gymnasium.spaces.Tuple)
        self.assertIsInstance(env.action_space[1], gymnasium.spaces.Text)
        self.assertEqual(env.observation_space["latent"].shape, (2, 1, 73))
        obs, infos = env.reset(seed=1)
        self.assertTrue(env.observation_space.contains(obs))
        obs, rew, term, trunc, infos = env.step(env.sample_actions())
        self.assertEqual(rew.dtype, np.float64)
        sid = env.session_id
        client = env.client
        env.close()
        self.assertTrue(env.closed)
        self.assertTrue(client.closed)
        from pan.client import Client
        probe = Client(SERVER.endpoint, timeout_ms=20000)
        self.addCleanup(probe.close)
        with self.assertRaises(NotFoundError):   # the session is gone
            probe.call("PING", session=sid)


if __name__ == "__main__":
    server_path()
    unittest.main(verbosity=2)
