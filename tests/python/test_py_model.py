#!/usr/bin/env python3
"""tests/python/test_py_model.py: the GLP world model served by
`pan-server --model` to the unchanged Python client (pan.env.PanEnv,
pan.vector.PanVectorEnv, pan.client.Session).

The checkpoint is a pan-init one (UNTRAINED random weights) with a narrow
decoder so the suite stays quick; the server must label it untrained.
Checks: HELLO lists the model; MAKE/DESCRIBE metadata (model, trained
false, note); spaces (frames (K, H, W, 3), latent (Q, D)); reset shows the
first frame K times; steps are deterministic for a seed; fork / restore
replay exactly; rollout (latent and with frames) equals stepping the
restored env; latent obs mode has no frames; an unknown model is
NotFoundError and world + model InvalidArgumentError.
Usage: test_py_model.py PATH_TO_PAN_SERVER PATH_TO_PAN_INIT
"""

import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np

PAN_INIT = sys.argv.pop(2) if len(sys.argv) > 2 else os.environ.get("PAN_INIT", "")

from pan_test_server import PanServer, server_path  # noqa: E402
from pan.client import (Client, InvalidArgumentError, NotFoundError,  # noqa: E402
                        Session, UnimplementedError)
from pan.env import PanEnv  # noqa: E402
from pan.vector import PanVectorEnv  # noqa: E402

server_path()  # takes argv[1] before unittest reads the command line
SERVER = None
TMP = None
NARROW = ["decoder.dim=96", "decoder.layers=2", "decoder.heads=4",
          "decoder.mlp_dim=256", "decoder.freq_dim=64"]


def setUpModule():
    global SERVER, TMP
    TMP = tempfile.mkdtemp(prefix="pan-model-")
    path = os.path.join(TMP, "tiny.safetensors")
    args = [PAN_INIT, "--out", path, "--seed", "3"]
    for item in NARROW:
        args += ["--set", item]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    SERVER = PanServer("--model", path, "--model-threads", "2")


def tearDownModule():
    rc = SERVER.stop()
    if rc != 0:
        raise AssertionError(f"pan-server exited {rc} on SIGTERM, expected 0")


class ModelEnv(unittest.TestCase):
    def env(self, **kw):
        e = PanEnv(endpoint=SERVER.endpoint, model="tiny", timeout_ms=120000, **kw)
        self.addCleanup(e.close)
        return e

    def test_hello_and_metadata(self):
        with Client(SERVER.endpoint) as c:
            hello, _ = c.call("HELLO")
            self.assertEqual(hello["models"], ["tiny"])
        e = self.env()
        meta = e._session.metadata
        self.assertEqual(meta["model"], "tiny")
        self.assertIs(meta["model_trained"], False)
        self.assertIn("untrained", meta["model_note"])
        self.assertIn("UNTRAINED", meta["latent"])
        self.assertEqual(e._session.frames_shape, (4, 64, 64, 3))
        self.assertEqual(e._session.latent_shape, (16, 256))

    def test_reset_step_deterministic(self):
        a, b = self.env(render_mode="rgb_array"), self.env()
        obs_a, info = a.reset(seed=11)
        obs_b, _ = b.reset(seed=11)
        self.assertTrue(info["is_reset"])
        frames = obs_a["frames"]
        for k in range(1, 4):
            np.testing.assert_array_equal(frames[k], frames[0])
        np.testing.assert_array_equal(obs_a["latent"], obs_b["latent"])
        self.assertTrue(np.isfinite(obs_a["latent"]).all())
        for action in ["move the red circle left 2", "wait", "turn the lights off"]:
            sa = a.step(action)
            sb = b.step(action)
            np.testing.assert_array_equal(sa[0]["frames"], sb[0]["frames"])
            np.testing.assert_array_equal(sa[0]["latent"], sb[0]["latent"])
            self.assertEqual(sa[0]["frames"].dtype, np.uint8)
            self.assertFalse(np.array_equal(sa[0]["frames"][0], frames[0]))
        np.testing.assert_array_equal(a.render(), sa[0]["frames"][-1])

    def test_fork_restore_rollout(self):
        e = self.env()
        e.reset(seed=5)
        e.step("wait")
        sid = e.fork()
        first = e.step("move the blue square up 3")[0]
        second = e.step("wait")[0]
        e.restore(sid)
        again = e.step("move the blue square up 3")[0]
        np.testing.assert_array_equal(first["frames"], again["frames"])
        np.testing.assert_array_equal(first["latent"], again["latent"])
        out = e.rollout([sid, sid], [["move the blue square up 3", "wait"]] * 2,
                        frames=True)
        for row in range(2):
            np.testing.assert_array_equal(out["frames"][row, 0], first["frames"])
            np.testing.assert_array_equal(out["frames"][row, 1], second["frames"])
            np.testing.assert_array_equal(out["latent"][row, 1], second["latent"])
        e.release([sid])

    def test_latent_mode_vector(self):
        v = PanVectorEnv(3, endpoint=SERVER.endpoint, model="tiny",
                         obs_mode="latent", timeout_ms=120000)
        self.addCleanup(v.close)
        obs, _ = v.reset(seed=1)
        self.assertNotIn("frames", obs)
        self.assertEqual(obs["latent"].shape, (3, 16, 256))
        obs, reward, term, trunc, _ = v.step(["wait"] * 3)
        self.assertEqual(obs["latent"].shape, (3, 16, 256))
        self.assertEqual(reward.shape, (3,))
        sid = v._session.fork([0])
        with self.assertRaises(UnimplementedError):   # no decoder in latent mode
            v._session.rollout(sid, [["wait"]], frames=True)
        out = v._session.rollout(sid * 2, [["wait", "wait"]] * 2)
        np.testing.assert_array_equal(out["latent"][0], out["latent"][1])

    def test_goal_latent_task(self):
        e = self.env()
        _, info = e.reset(seed=8, options={"task": "latent: random"})
        self.assertTrue(info["task"].startswith("latent: put the "))
        _, reward, term, _, info = e.step("wait")
        self.assertLess(reward, 0.0)   # -|ŝ - h(goal image)|^2 / |h(goal image)|^2
        self.assertTrue(np.isfinite(reward))
        self.assertFalse(term)        # an untrained model is far from it
        sid = e.fork()
        again = e.rollout([sid], [["wait"]])
        self.assertTrue(np.isfinite(again["reward"]).all())
        with PanEnv(endpoint=SERVER.endpoint, world="tabletop") as w:
            with self.assertRaises(InvalidArgumentError):
                w.reset(seed=1, options={"task": "latent: random"})

    def test_initial_frame(self):
        # the world's own first frame for seed 6, given as the initial frame,
        # must start exactly the episode reset(seed=6) starts
        a, b = self.env(), self.env()
        obs_a, _ = a.reset(seed=6)
        first = np.array(obs_a["frames"][0])
        obs_b, _ = b.reset(seed=6, options={"initial_frame": first})
        np.testing.assert_array_equal(obs_b["latent"], obs_a["latent"])
        np.testing.assert_array_equal(a.step("wait")[0]["frames"],
                                      b.step("wait")[0]["frames"])
        other = np.full((64, 64, 3), 200, np.uint8)
        obs_c, _ = b.reset(seed=6, options={"initial_frame": other})
        np.testing.assert_array_equal(obs_c["frames"][3], other)
        self.assertFalse(np.array_equal(obs_c["latent"], obs_a["latent"]))
        with self.assertRaises(InvalidArgumentError):   # wrong shape
            b._session.reset(seed=1, initial_frames=np.zeros((1, 32, 64, 3), np.uint8))
        with PanEnv(endpoint=SERVER.endpoint, world="tabletop") as w:
            with self.assertRaises(InvalidArgumentError):  # worlds: no
                w.reset(seed=1, options={"initial_frame": first})

    def test_errors(self):
        with Client(SERVER.endpoint) as c:
            s = Session(c)
            with self.assertRaises(NotFoundError):
                s.make(model="nope")
            with self.assertRaises(InvalidArgumentError):
                c.call("MAKE", world="tabletop", model="tiny")


if __name__ == "__main__":
    unittest.main(verbosity=2)
