#!/usr/bin/env python3
"""tests/python/test_py_gym_model.py: pan/WorldModel-v0, the world model
served by `pan-server --model`, under the REAL gymnasium (the venv's;
ctest runs it with PAN_VENV_PYTHON). The checkpoint is an UNTRAINED
pan-init one with a narrow decoder (as test_py_model.py), which is enough:
the checks are about the API and determinism, not about what it predicts.

- make("pan/WorldModel-v0") without model= takes the server's only model
  (HELLO); an unknown model is NotFoundError.
- gymnasium's check_env passes on it (render_mode "rgb_array" with the
  render checks, and None with skip_render_check); since the spec says
  nondeterministic=False, check_env also asserts that seeded resets and a
  step are reproducible.
- nondeterministic=False is true beyond check_env: two sessions with the
  same seed and actions give byte-identical results for several steps, and
  env 0 of a batched session equals a session of its own.
- make_vec(..., num_envs=2) is one PanVectorEnv session, equal step for
  step (through a next-step autoreset) to gymnasium's SyncVectorEnv over two
  PanEnv sessions.
Usage: test_py_gym_model.py PATH_TO_PAN_SERVER PATH_TO_PAN_INIT
       (PYTHONPATH=agents/python:tests/python)
"""

import os
import subprocess
import sys
import tempfile
import unittest

PAN_INIT = sys.argv.pop(2) if len(sys.argv) > 2 else os.environ.get("PAN_INIT", "")

from pan_gym_checks import GYMNASIUM as gymnasium  # noqa: E402  (fails early)
from pan_gym_checks import LATENT_UNBOUNDED, checked, without_autoreset  # noqa: E402
from pan_test_server import PanServer, server_path  # noqa: E402

import pan  # noqa: E402, F401  (registers the ids)
from pan.client import NotFoundError  # noqa: E402
from pan.vector import PanVectorEnv  # noqa: E402
from gymnasium.utils.env_checker import check_env, data_equivalence  # noqa: E402

server_path()  # takes argv[1] before unittest reads the command line
SERVER = None
TMP = None
NARROW = ["decoder.dim=96", "decoder.layers=2", "decoder.heads=4",
          "decoder.mlp_dim=256", "decoder.freq_dim=64"]
ID = "pan/WorldModel-v0"
TIMEOUT_MS = 120000
ACTIONS = ["move the red circle left by 2", "wait", "lights off",
           "move the blue square up by 3"]


def setUpModule():
    global SERVER, TMP
    if not PAN_INIT or not os.access(PAN_INIT, os.X_OK):
        raise SystemExit(f"FAILED: pan-init not found ({PAN_INIT!r}); pass it "
                         "as the second argument or set PAN_INIT")
    TMP = tempfile.TemporaryDirectory(prefix="pan-gym-model-")
    path = os.path.join(TMP.name, "tiny.safetensors")
    args = [PAN_INIT, "--out", path, "--seed", "3"]
    for item in NARROW:
        args += ["--set", item]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    SERVER = PanServer("--model", path, "--model-threads", "2")


def tearDownModule():
    rc = SERVER.stop()
    TMP.cleanup()
    if rc != 0:
        raise AssertionError(f"pan-server exited {rc} on SIGTERM, expected 0")


def make(**kw):
    return gymnasium.make(ID, endpoint=SERVER.endpoint, timeout_ms=TIMEOUT_MS,
                          **kw)


def make_vec(num_envs, **kw):
    return gymnasium.make_vec(ID, num_envs=num_envs, endpoint=SERVER.endpoint,
                              timeout_ms=TIMEOUT_MS, **kw)


class WorldModelEnv(unittest.TestCase):
    def test_default_model(self):
        env = make()
        self.addCleanup(env.close)
        self.assertEqual(env.unwrapped.metadata["model"], "tiny")
        self.assertEqual(env.spec.max_episode_steps, 50)
        self.assertIs(env.spec.nondeterministic, False)
        with self.assertRaises(NotFoundError):
            make(model="nope")

    def test_check_env(self):
        for render_mode, skip in (("rgb_array", False), (None, True)):
            with self.subTest(render_mode=render_mode, skip_render_check=skip):
                env = make(render_mode=render_mode)
                try:
                    checked(self, check_env, env.unwrapped,
                            skip_render_check=skip, allowed=LATENT_UNBOUNDED)
                finally:
                    env.close()

    def test_deterministic(self):
        a, b = make(), make()
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        batched = make_vec(2, autoreset_mode="disabled")
        self.addCleanup(batched.close)
        ra, rb = a.reset(seed=21), b.reset(seed=21)
        obs, _ = batched.reset(seed=21)
        self.assertTrue(data_equivalence(ra, rb, exact=True))
        for key in ra[0]:
            self.assertTrue(data_equivalence(obs[key][0], ra[0][key],
                                             exact=True), key)
        for action in ACTIONS:
            ra, rb = a.step(action), b.step(action)
            self.assertTrue(data_equivalence(ra, rb, exact=True), action)
            obs, rewards, _, _, _ = batched.step([action, "wait"])
            for key in ra[0]:
                self.assertTrue(data_equivalence(obs[key][0], ra[0][key],
                                                 exact=True), key)
            self.assertEqual(rewards[0], ra[1])

    def test_make_vec_same_as_sync(self):
        ours = make_vec(2, max_episode_steps=2)
        ref = make_vec(2, max_episode_steps=2, vectorization_mode="sync")
        self.addCleanup(ours.close)
        self.addCleanup(ref.close)
        self.assertIs(type(ours), PanVectorEnv)
        self.assertEqual(ours.session.num_envs, 2)
        self.assertEqual(type(ref).__name__, "SyncVectorEnv")
        (o1, i1), (o2, i2) = ours.reset(seed=4), ref.reset(seed=4)
        self.assertTrue(data_equivalence(o1, o2, exact=True))
        self.assertTrue(data_equivalence(without_autoreset(i1),
                                         without_autoreset(i2), exact=True))
        for t in range(4):      # steps 1, 2 (truncated), 3 (autoreset), 4
            actions = (ACTIONS[t], ACTIONS[-1 - t])
            a, b = ours.step(actions), ref.step(actions)
            for x, y in zip(a[:4], b[:4]):
                self.assertTrue(data_equivalence(x, y, exact=True), t)
            self.assertTrue(data_equivalence(without_autoreset(a[4]),
                                             without_autoreset(b[4]),
                                             exact=True), t)
            if t == 1:
                self.assertEqual(a[3].tolist(), [True, True])
            if t == 2:
                self.assertEqual(a[4]["autoreset"].tolist(), [True, True])


if __name__ == "__main__":
    unittest.main(verbosity=2)
