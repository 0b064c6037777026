#!/usr/bin/env python3
"""tests/python/test_py_vector.py: pan.vector.PanVectorEnv against a real
pan-server: gymnasium 1.1's VectorEnv semantics.

- Autoreset, all three modes, with the goal task "put the red circle in
  the top left corner" (won by "move the red circle to the top left
  corner" once the table is cleared) and truncation at a small
  max_episode_steps:
  NEXT_STEP: the ending step returns the ending obs and flags; the NEXT
    step returns the reset obs with reward 0, both flags false, its action
    ignored (info autoreset true).
  SAME_STEP: the ending step returns the reset obs with the ending reward
    and flags; infos["final_obs"] / infos["final_info"] hold the ending obs
    and info, masked by "_final_obs" / "_final_info".
  DISABLED: stepping an ended env raises FailedPreconditionError and changes
    nothing; reset_mask resets only the masked envs (only they get infos;
    the others keep their obs).
- Infos as gymnasium's dict of arrays with "_key" masks and their dtypes;
  rewards float64, flags bool arrays; spaces batched; metadata
  autoreset_mode; determinism; fork / rollout leave the live envs alone.
Usage: test_py_vector.py PATH_TO_PAN_SERVER (PYTHONPATH=agents/python)
"""

import unittest

import numpy as np

from pan_test_server import PanServer, clear_table, pad, server_path
from pan import spaces as ps
from pan.client import FailedPreconditionError
from pan.vector import AutoresetMode, PanVectorEnv

SERVER = None
GOAL = "put the red circle in the top left corner"
WIN = "move the red circle to the top left corner"
N = 3


def setUpModule():
    global SERVER
    SERVER = PanServer()


def tearDownModule():
    rc = SERVER.stop()
    if rc != 0:
        raise AssertionError(f"pan-server exited {rc} on SIGTERM, expected 0")


def assert_infos_equal(test, a, b, path="infos"):
    test.assertEqual(list(a), list(b), path)
    for key in a:
        if isinstance(a[key], dict):
            assert_infos_equal(test, a[key], b[key], f"{path}.{key}")
        elif a[key].dtype == object:
            test.assertEqual(len(a[key]), len(b[key]))
            for x, y in zip(a[key], b[key]):
                if isinstance(x, dict):
                    for k in x:
                        test.assertEqual(x[k].tobytes(), y[k].tobytes())
                else:
                    test.assertEqual(x, y, f"{path}.{key}")
        else:
            test.assertEqual(a[key].dtype, b[key].dtype, f"{path}.{key}")
            np.testing.assert_array_equal(a[key], b[key], f"{path}.{key}")


class VectorTest(unittest.TestCase):
    def venv(self, mode="next_step", **kw):
        kw.setdefault("endpoint", SERVER.endpoint)
        kw.setdefault("task", GOAL)
        env = PanVectorEnv(N, autoreset_mode=mode, **kw)
        self.addCleanup(env.close)
        return env

    def start(self, env, seed=30):
        """Reset, clear every table but the red circle; returns obs."""
        obs, infos = env.reset(seed=seed)
        rows = [clear_table(obs["latent"][i]) for i in range(N)]
        for actions in pad(rows):
            obs, r, term, trunc, infos = env.step(actions)
            self.assertFalse(term.any() or trunc.any())
        return obs, infos

    def test_spaces_metadata_types(self):
        env = self.venv()
        self.assertIs(env.metadata["autoreset_mode"], AutoresetMode.NEXT_STEP)
        self.assertEqual(env.num_envs, N)
        self.assertIsInstance(env.single_action_space, ps.Text)
        self.assertIsInstance(env.action_space, ps.Tuple)
        self.assertEqual(len(env.action_space), N)
        self.assertEqual(env.observation_space["frames"].shape,
                         (N, 4, 64, 64, 3))
        self.assertEqual(env.observation_space["latent"].dtype, np.float32)
        self.assertEqual(env.single_observation_space["latent"].shape, (1, 73))
        obs, infos = env.reset(seed=7)
        self.assertTrue(env.observation_space.contains(obs))
        self.assertEqual(infos["seed"].dtype, np.uint64)
        self.assertEqual(infos["seed"].tolist(), [7, 8, 9])
        self.assertEqual(infos["_seed"].tolist(), [True] * N)
        self.assertEqual(infos["episode_step"].dtype, np.int64)
        self.assertEqual(infos["is_reset"].dtype, np.bool_)
        self.assertEqual(infos["task"].dtype, object)
        self.assertEqual(list(infos["task"]), [GOAL] * N)
        obs, rew, term, trunc, infos = env.step(env.sample_actions())
        self.assertEqual((rew.dtype, rew.shape), (np.float64, (N,)))
        self.assertEqual((term.dtype, trunc.dtype), (np.bool_, np.bool_))
        self.assertNotIn("final_obs", infos)
        self.assertFalse(obs["frames"].flags.owndata)
        frames = self.venv(render_mode="rgb_array")
        frames.reset(seed=1)
        shots = frames.render()
        self.assertEqual(len(shots), N)
        self.assertEqual(shots[0].shape, (64, 64, 3))
        for mode, member in (("same_step", AutoresetMode.SAME_STEP),
                             ("SameStep", AutoresetMode.SAME_STEP),
                             (AutoresetMode.DISABLED, AutoresetMode.DISABLED)):
            e = self.venv(mode, obs_mode="latent")
            self.assertIs(e.metadata["autoreset_mode"], member)
            self.assertEqual(e.metadata["obs_mode"], "latent")
        with self.assertRaises(ValueError):
            PanVectorEnv(2, endpoint=SERVER.endpoint, autoreset_mode="never")

    def test_next_step(self):
        env = self.venv("next_step")
        obs, infos = self.start(env)
        step0 = infos["episode_step"].copy()
        obs, rew, term, trunc, infos = env.step([WIN, "wait", "wait"])
        self.assertEqual(rew.tolist(), [1.0, 0.0, 0.0])
        self.assertEqual(term.tolist(), [True, False, False])
        self.assertEqual(trunc.tolist(), [False] * N)
        self.assertFalse(infos["is_reset"][0])       # the ending obs itself
        self.assertTrue(infos["success"][0])
        ending = obs["latent"][0].copy()
        obs, rew, term, trunc, infos = env.step([WIN, "wait", "wait"])
        self.assertEqual(rew.tolist(), [0.0] * N)
        self.assertEqual(term.tolist(), [False] * N)
        self.assertEqual(trunc.tolist(), [False] * N)
        self.assertEqual(infos["autoreset"].tolist(), [True, False, False])
        self.assertEqual(infos["is_reset"].tolist(), [True, False, False])
        self.assertEqual(infos["episode_step"][0], 0)  # its action ignored
        self.assertEqual(infos["episode_step"][1], step0[1] + 2)
        self.assertFalse(np.array_equal(obs["latent"][0], ending))
        f = obs["frames"][0]
        self.assertTrue(all(np.array_equal(f[k], f[0]) for k in range(4)))
        self.assertNotIn("final_obs", infos)
        # the next episode runs normally
        obs, rew, term, trunc, infos = env.step(["wait"] * N)
        self.assertEqual(infos["episode_step"][0], 1)
        self.assertFalse(infos["autoreset"].any())

    def test_same_step(self):
        env = self.venv("same_step")
        twin = self.venv("next_step")
        self.start(env)
        self.start(twin)
        obs, rew, term, trunc, infos = env.step([WIN, "wait", "wait"])
        tobs, trew, tterm, ttrunc, tinfos = twin.step([WIN, "wait", "wait"])
        self.assertEqual(rew.tolist(), [1.0, 0.0, 0.0])
        self.assertEqual(term.tolist(), [True, False, False])
        self.assertEqual(infos["_final_obs"].tolist(), [True, False, False])
        self.assertEqual(infos["_final_info"].tolist(), [True, False, False])
        self.assertEqual(list(infos["final_obs"][1:]), [None, None])
        final = infos["final_obs"][0]
        self.assertEqual(sorted(final), ["frames", "latent"])
        self.assertEqual(final["frames"].shape, (4, 64, 64, 3))
        self.assertEqual(final["latent"].shape, (1, 73))
        # the ending obs/info are what next_step mode shows at that step
        self.assertEqual(final["latent"].tobytes(), tobs["latent"][0].tobytes())
        self.assertEqual(final["frames"].tobytes(), tobs["frames"][0].tobytes())
        fi = infos["final_info"]
        self.assertEqual(fi["_success"].tolist(), [True, False, False])
        self.assertTrue(fi["success"][0])
        self.assertEqual(fi["episode_step"][0], tinfos["episode_step"][0])
        self.assertEqual(fi["seed"].dtype, np.uint64)
        # the returned obs and info are the reset's
        self.assertEqual(infos["is_reset"].tolist(), [True, False, False])
        self.assertEqual(infos["episode_step"][0], 0)
        self.assertFalse(infos["autoreset"].any())
        tobs, *_ , tinfos = twin.step(["wait"] * N)   # twin resets now
        self.assertEqual(obs["latent"][0].tobytes(), tobs["latent"][0].tobytes())
        self.assertEqual(infos["seed"][0], tinfos["seed"][0])
        obs, rew, term, trunc, infos = env.step(["wait"] * N)
        self.assertEqual(infos["episode_step"][0], 1)
        self.assertNotIn("final_obs", infos)

    def test_disabled_and_reset_mask(self):
        env = self.venv("disabled")
        obs, _ = self.start(env)
        obs, rew, term, trunc, infos = env.step([WIN, "wait", "wait"])
        self.assertEqual(term.tolist(), [True, False, False])
        ended = {k: v.copy() for k, v in obs.items()}
        fork = env.fork()
        with self.assertRaises(FailedPreconditionError):
            env.step(["wait"] * N)
        # nothing changed: rollouts from fresh forks equal the old ones
        again = env.fork()
        a = env.rollout(fork[1:], [["wait"]] * 2)
        b = env.rollout(again[1:], [["wait"]] * 2)
        np.testing.assert_array_equal(a["latent"], b["latent"])
        obs, infos = env.reset(options={"reset_mask":
                                        np.array([True, False, False])})
        self.assertEqual(infos["_is_reset"].tolist(), [True, False, False])
        self.assertEqual(infos["_seed"].tolist(), [True, False, False])
        self.assertTrue(infos["is_reset"][0])
        for k in ended:  # envs not reset keep their last obs
            np.testing.assert_array_equal(obs[k][1:], ended[k][1:])
        obs, rew, term, trunc, infos = env.step(["wait"] * N)
        self.assertEqual(infos["episode_step"][0], 1)
        with self.assertRaises(ValueError):
            env.reset(options={"reset_mask": np.zeros(N, dtype=bool)})
        with self.assertRaises(ValueError):
            env.reset(options={"reset_mask": [True] * N})

    def test_reset_mask_cancels_next_step_autoreset(self):
        env = self.venv("next_step")
        self.start(env)
        env.step([WIN, "wait", "wait"])
        obs, infos = env.reset(seed=[100, 101, 102], options={
            "reset_mask": np.array([True, False, False])})
        self.assertEqual(infos["seed"][0], 100)
        self.assertEqual(infos["_seed"].tolist(), [True, False, False])
        obs, rew, term, trunc, infos = env.step(["wait"] * N)
        self.assertFalse(infos["autoreset"][0])
        self.assertEqual(infos["episode_step"][0], 1)

    def test_truncation(self):
        for mode in ("next_step", "same_step"):
            env = self.venv(mode, max_episode_steps=2, obs_mode="latent",
                            task="none")
            env.reset(seed=3)
            _, _, term, trunc, _ = env.step(["wait"] * N)
            self.assertFalse(trunc.any())
            _, _, term, trunc, infos = env.step(["wait"] * N)
            self.assertEqual(trunc.tolist(), [True] * N, mode)
            self.assertFalse(term.any())
            if mode == "same_step":
                self.assertTrue(infos["_final_obs"].all())
                self.assertEqual(infos["final_info"]["episode_step"].tolist(),
                                 [2] * N)
                self.assertEqual(infos["episode_step"].tolist(), [0] * N)
            else:
                _, rew, term, trunc, infos = env.step(["wait"] * N)
                self.assertTrue(infos["autoreset"].all())
                self.assertFalse(trunc.any())
                self.assertEqual(infos["episode_step"].tolist(), [0] * N)
                self.assertTrue(all(new != old for new, old in
                                    zip(infos["seed"].tolist(), (3, 4, 5))))

    def test_determinism(self):
        def run(mode):
            env = self.venv(mode, task="random")
            obs, infos = env.reset(seed=[4, 40, 400])
            trace = [(obs["frames"].tobytes(), obs["latent"].tobytes(),
                      infos)]
            for _ in range(12):
                obs, rew, term, trunc, infos = env.step(env.sample_actions())
                trace.append((obs["frames"].tobytes(),
                              obs["latent"].tobytes(), rew.tobytes(),
                              term.tobytes(), trunc.tobytes(), infos))
            return trace
        for mode in ("next_step", "same_step"):
            t1, t2 = run(mode), run(mode)
            self.assertEqual(len(t1), len(t2))
            for x, y in zip(t1, t2):
                self.assertEqual(x[:-1], y[:-1])
                assert_infos_equal(self, x[-1], y[-1])

    def test_fork_rollout(self):
        env, twin = self.venv(), self.venv()
        for e in (env, twin):
            self.start(e)
        ids = env.fork()
        self.assertEqual((ids.dtype, ids.shape), (np.uint64, (N,)))
        one = env.fork([2])
        out = env.rollout(list(ids) + list(one),
                          [[WIN, "wait"]] * (N + 1), frames=False)
        self.assertEqual(out["reward"].shape, (N + 1, 2))
        self.assertEqual(out["reward"][:, 0].tolist(), [1.0] * (N + 1))
        self.assertNotIn("frames", out)
        a = env.step(["wait", WIN, "wait"])
        b = twin.step(["wait", WIN, "wait"])
        self.assertEqual(a[0]["latent"].tobytes(), b[0]["latent"].tobytes())
        for x, y in zip(a[1:4], b[1:4]):
            np.testing.assert_array_equal(x, y)
        assert_infos_equal(self, a[4], b[4])
        obs, infos = env.restore([0, 1], ids[:2])
        self.assertEqual(infos["_seed"].tolist(), [True, True, False])
        self.assertEqual(env.release(np.concatenate([ids, one])), N + 1)


if __name__ == "__main__":
    server_path()
    unittest.main(verbosity=2)
