#!/usr/bin/env python3
"""tests/python/test_py_multi.py: pan.multi.PanMultiVectorEnv, one vector
env over several real pan-server processes.

- Equivalence: 7 envs over 3 servers (3+2+2) and over 2 servers with
  envs_per_server [1, 6] step for step equal to PanVectorEnv(7) on one
  server with the same seed and actions: obs, rewards, flags, infos (masks
  included), through autoresets (next_step and same_step, whose final_obs
  / final_info are merged too), reset_mask resets and render().
- Concurrency: the servers really work at once: each server's STATS
  counts one STEP per multi-env step, and a step over 2 servers whose
  requests each take a sleep-free world step is not serialised (checked by
  request counts, never by timings).
- Errors, each changing nothing: a bad endpoints list, envs_per_server
  that does not sum, too few envs for the servers, servers of different
  spaces or an unknown world (the sessions already opened are closed:
  STATS sessions 0), an
  unreachable endpoint (timeout; the reachable server's session closed),
  a wrong action count, a bad seed, a bad reset_mask.
- gymnasium.make_vec("pan/Tabletop-v0", endpoint=[EP, EP]) gives a
  PanMultiVectorEnv. Runs under the project's venv (real gymnasium).
Usage: test_py_multi.py PATH_TO_PAN_SERVER (PYTHONPATH=agents/python)
"""

import unittest
from contextlib import closing

import gymnasium
import numpy as np

from pan_test_server import PanServer, server_path
from pan.client import Client, PanError
from pan.multi import PanMultiVectorEnv, split_envs
from pan.vector import PanVectorEnv
import pan.registration  # noqa: F401  (the ids)

SERVERS = []
ACTIONS = ["move the red circle left", "move the blue square up",
           "push the green triangle right", "wait", "move the red circle down",
           "nudge the blue square left", "move the green triangle up"]


def setUpModule():
    server_path()
    for _ in range(3):
        SERVERS.append(PanServer())
    SERVERS.append(PanServer("--max-text-bytes", "128"))  # other spaces


def tearDownModule():
    for s in SERVERS:
        assert s.stop() == 0, f"pan-server exit status, log {s.log_path}"


def sessions_open(endpoint):
    with Client(endpoint, 5000) as c:
        return c.call("STATS")[0]["sessions"]


def assert_infos_equal(test, a, b, where):
    test.assertEqual(sorted(a), sorted(b), f"{where}: info keys")
    for k in a:
        if isinstance(a[k], dict):
            assert_infos_equal(test, a[k], b[k], f"{where}.{k}")
        elif a[k].dtype == object:
            test.assertEqual(len(a[k]), len(b[k]), f"{where}.{k}")
            for x, y in zip(a[k], b[k]):
                if isinstance(x, dict):
                    test.assertEqual(sorted(x), sorted(y), f"{where}.{k}")
                    for kk in x:
                        np.testing.assert_array_equal(x[kk], y[kk],
                                                      f"{where}.{k}.{kk}")
                else:
                    test.assertEqual(x, y, f"{where}.{k}")
        else:
            test.assertEqual(a[k].dtype, b[k].dtype, f"{where}.{k} dtype")
            np.testing.assert_array_equal(a[k], b[k], f"{where}.{k}")


def assert_obs_equal(a, b, where):
    assert sorted(a) == sorted(b), where
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], f"{where}: obs {k}")


class Equivalence(unittest.TestCase):
    def run_pair(self, multi_kw, mode, steps=60):
        n = 7
        kw = dict(world="tabletop", obs_mode="full", autoreset_mode=mode,
                  max_episode_steps=9, render_mode="rgb_array",
                  task="put the red circle in the top left corner")
        with closing(PanVectorEnv(n, endpoint=SERVERS[0].endpoint,
                                  **kw)) as one, \
                PanMultiVectorEnv(n, **multi_kw, **kw) as many:
            self.assertEqual(many.single_observation_space,
                             one.single_observation_space)
            self.assertEqual(many.observation_space, one.observation_space)
            self.assertEqual(many.metadata["autoreset_mode"],
                             one.metadata["autoreset_mode"])
            o1, i1 = one.reset(seed=123)
            o2, i2 = many.reset(seed=123)
            assert_obs_equal(o1, o2, "reset")
            assert_infos_equal(self, i1, i2, "reset")
            ended = 0
            for t in range(steps):
                acts = [ACTIONS[(t + i) % len(ACTIONS)] for i in range(n)]
                r1 = one.step(acts)
                r2 = many.step(acts)
                assert_obs_equal(r1[0], r2[0], f"step {t}")
                for j in (1, 2, 3):
                    self.assertEqual(r1[j].dtype, r2[j].dtype)
                    np.testing.assert_array_equal(r1[j], r2[j], f"step {t}")
                assert_infos_equal(self, r1[4], r2[4], f"step {t}")
                ended += int(np.sum(r1[2] | r1[3]))
                if t == 20:  # a partial reset
                    mask = np.array([i % 3 == 1 for i in range(n)])
                    a, ia = one.reset(seed=[900 + i for i in range(n)],
                                      options={"reset_mask": mask})
                    b, ib = many.reset(seed=[900 + i for i in range(n)],
                                       options={"reset_mask": mask})
                    assert_obs_equal(a, b, "masked reset")
                    assert_infos_equal(self, ia, ib, "masked reset")
            self.assertGreater(ended, n, "episodes ended (autoreset covered)")
            f1, f2 = one.render(), many.render()
            self.assertEqual(len(f1), len(f2))
            for x, y in zip(f1, f2):
                np.testing.assert_array_equal(x, y)

    def test_three_servers_next_step(self):
        self.run_pair({"endpoints": [s.endpoint for s in SERVERS[:3]]},
                      "next_step")

    def test_two_servers_uneven_same_step(self):
        self.run_pair({"endpoints": [SERVERS[1].endpoint, SERVERS[2].endpoint],
                       "envs_per_server": [1, 6]}, "same_step")

    def test_each_server_gets_one_batched_request_per_step(self):
        eps = [s.endpoint for s in SERVERS[:2]]
        with PanMultiVectorEnv(4, eps, obs_mode="latent") as env:
            env.reset(seed=1)
            sids = [e.session_id for e in env.envs]
            before = [e.client.call("STATS")[0]["ops"] for e in env.envs]
            for _ in range(5):
                env.step(["wait"] * 4)
            after = [e.client.call("STATS")[0]["ops"] for e in env.envs]
            for b, a in zip(before, after):
                self.assertEqual(a["STEP"] - b["STEP"], 5, (b, a))
            self.assertEqual(len(set(sids)), 2)
            self.assertEqual(env.metadata["envs_per_server"], [2, 2])
            self.assertEqual(env.metadata["endpoints"], eps)
            self.assertEqual(len(env.sample_actions()), 4)


class Registration(unittest.TestCase):
    def test_make_vec_with_endpoint_list(self):
        eps = [s.endpoint for s in SERVERS[:2]]
        env = gymnasium.make_vec("pan/Tabletop-v0", num_envs=3,
                                 vectorization_mode="vector_entry_point",
                                 endpoint=eps, obs_mode="latent",
                                 envs_per_server=[2, 1])
        try:
            self.assertIsInstance(env.unwrapped, PanMultiVectorEnv)
            self.assertEqual(env.unwrapped.counts, [2, 1])
            obs, infos = env.reset(seed=3)
            self.assertIn(obs, env.observation_space)
            self.assertEqual(list(infos["seed"]), [3, 4, 5])
            obs, r, term, trunc, infos = env.step(["wait"] * 3)
            self.assertEqual(r.shape, (3,))
        finally:
            env.close()


class Errors(unittest.TestCase):
    def test_bad_arguments(self):
        eps = [s.endpoint for s in SERVERS[:2]]
        for bad in ([], "tcp://127.0.0.1:1", [eps[0], eps[0]], [eps[0], 3]):
            with self.assertRaises(ValueError, msg=bad):
                PanMultiVectorEnv(2, bad)
        with self.assertRaisesRegex(ValueError, "sums to 3"):
            PanMultiVectorEnv(4, eps, envs_per_server=[1, 2])
        with self.assertRaisesRegex(ValueError, "one per endpoint"):
            PanMultiVectorEnv(3, eps, envs_per_server=[3])
        with self.assertRaisesRegex(ValueError, "cannot cover"):
            PanMultiVectorEnv(1, eps)
        self.assertEqual(split_envs(7, 3), [3, 2, 2])
        for s in SERVERS:
            self.assertEqual(sessions_open(s.endpoint), 0)

    def test_failures_close_what_opened(self):
        # a server whose action space differs (--max-text-bytes 128)
        eps = [SERVERS[0].endpoint, SERVERS[3].endpoint]
        with self.assertRaisesRegex(ValueError, "describes spaces"):
            PanMultiVectorEnv(2, eps)
        with self.assertRaises(PanError):
            PanMultiVectorEnv(2, eps[:1] + [SERVERS[1].endpoint],
                              world="no such world")
        for s in SERVERS:
            self.assertEqual(sessions_open(s.endpoint), 0)

    def test_unreachable_server(self):
        eps = [SERVERS[0].endpoint, "tcp://127.0.0.1:9"]
        with self.assertRaises(PanError) as ctx:
            PanMultiVectorEnv(2, eps, timeout_ms=500)
        self.assertEqual(ctx.exception.code, "TIMEOUT")
        self.assertEqual(sessions_open(SERVERS[0].endpoint), 0)

    def test_bad_calls_change_nothing(self):
        eps = [s.endpoint for s in SERVERS[:2]]
        with PanMultiVectorEnv(3, eps, obs_mode="latent") as env, \
                closing(PanVectorEnv(3, endpoint=SERVERS[2].endpoint,
                                     obs_mode="latent")) as ref:
            with self.assertRaisesRegex(ValueError, "reset every env"):
                env.reset(options={"reset_mask": np.ones(3, dtype=bool)})
            o, _ = env.reset(seed=5)
            r, _ = ref.reset(seed=5)
            for bad in (["wait"] * 2, "wait", None):
                with self.assertRaises((ValueError, TypeError)):
                    env.step(bad)
            for bad in (-1, 1.5, [1, 2], "x", (1 << 64) - 2):
                with self.assertRaises((ValueError, TypeError), msg=bad):
                    env.reset(seed=bad)
            for bad in (np.zeros(3, dtype=bool), np.ones(2, dtype=bool),
                        [True, False, True]):
                with self.assertRaises(ValueError):
                    env.reset(options={"reset_mask": bad})
            with self.assertRaises((PanError, ValueError)):  # too long
                env.step(["x" * 100000] * 3)
            o, *_ = env.step(["wait"] * 3)
            r, *_ = ref.step(["wait"] * 3)
            np.testing.assert_array_equal(o["latent"], r["latent"])


if __name__ == "__main__":
    server_path()
    unittest.main(verbosity=2)
