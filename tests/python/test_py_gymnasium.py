#!/usr/bin/env python3
"""tests/python/test_py_gymnasium.py: PanEnv under the REAL gymnasium (the
venv's, scripts/venv.sh; ctest runs it with PAN_VENV_PYTHON) against a real
pan-server. The vector env: test_py_gym_vector.py; the world model:
test_py_gym_model.py.

- Version: pan.__version__ == the installed distribution's version
  (importlib.metadata) == pan-server's HELLO ("pan-server X") == CMake's
  PROJECT_VERSION (PAN_PROJECT_VERSION, set by ctest); pan is imported from
  this source tree (PAN_SOURCE_DIR).
- The real package: pan.spaces, PanEnv and PanVectorEnv use gymnasium's
  classes; metadata agrees with what registration declares.
- Registration: `import pan` registers pan/Tabletop-v0, pan/Rooms-v0 and
  pan/WorldModel-v0; register_envs() again changes nothing and warns
  nothing. In a fresh interpreter `import pan.registration` and the
  "pan:" id prefix register, a bare `import gymnasium` does not (1.x loads
  no plugins). Spec flags: entry points, max_episode_steps 50,
  nondeterministic False (and true: same seed and actions, byte-identical
  results), order_enforce, the passive checker on.
- make: TimeLimit(OrderEnforcing(PassiveEnvChecker(PanEnv))), no warning;
  the session does not truncate, TimeLimit does: at 50, at N with
  make(max_episode_steps=N), never with -1. model= on a world id and
  pan/WorldModel-v0 on a server without models are ValueErrors.
- gymnasium.utils.env_checker.check_env on tabletop and rooms, render_mode
  None and "rgb_array", with and without skip_render_check, and on a
  PanEnv made directly (no spec). The only warnings allowed are the latent
  Box's infinite bounds (and, without a spec, the one saying alternative
  render modes cannot be tried).
- RecordVideo writes an MP4 whose decoded frames are the env's renders
  (reset + 10 steps, 64x64, 4 fps); "rgb_array_list" gets RenderCollection.
Usage: test_py_gymnasium.py PATH_TO_PAN_SERVER
       (PYTHONPATH=agents/python:tests/python)
"""

import importlib.metadata
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np

from pan_gym_checks import GYMNASIUM as gymnasium  # noqa: E402  (fails early)
from pan_gym_checks import LATENT_UNBOUNDED, checked, read_mp4
from pan_test_server import PanServer, server_path

import pan  # noqa: E402  (registers the ids)
import pan.registration  # noqa: E402
from pan import spaces as ps  # noqa: E402
from pan.client import Client  # noqa: E402
from pan.env import PanEnv  # noqa: E402
from pan.vector import AutoresetMode, PanVectorEnv  # noqa: E402
from gymnasium.utils.env_checker import check_env, data_equivalence  # noqa: E402

SERVER = None
IDS = ("pan/Tabletop-v0", "pan/Rooms-v0", "pan/WorldModel-v0")
NO_SPEC = "Not able to test alternative render modes"


def setUpModule():
    global SERVER
    SERVER = PanServer()


def tearDownModule():
    rc = SERVER.stop()
    if rc != 0:
        raise AssertionError(f"pan-server exited {rc} on SIGTERM, expected 0")


def make(env_id="pan/Tabletop-v0", **kw):
    return gymnasium.make(env_id, endpoint=SERVER.endpoint, **kw)


def fresh_python(code):
    """Runs code in a fresh interpreter (this one, same PYTHONPATH)."""
    env = dict(os.environ, PAN_ENDPOINT=SERVER.endpoint)
    r = subprocess.run([sys.executable, "-c", code], env=env, text=True,
                       capture_output=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError(f"fresh interpreter failed:\n{code}\n{r.stderr}")
    return r.stdout.strip()


class Versions(unittest.TestCase):
    def test_one_version(self):
        cmake = os.environ.get("PAN_PROJECT_VERSION")
        source = os.environ.get("PAN_SOURCE_DIR")
        self.assertTrue(cmake and source, "run through ctest: it sets "
                        "PAN_PROJECT_VERSION and PAN_SOURCE_DIR from CMake")
        here = os.path.realpath(os.path.join(source, "agents", "python", "pan"))
        self.assertEqual(os.path.dirname(os.path.realpath(pan.__file__)), here)
        installed = importlib.metadata.version("pan-world-model")
        self.assertEqual(installed, pan.__version__,
                         "the venv's pan-world-model is stale: reinstall it "
                         "(.venv/bin/pip install -e agents/python)")
        with Client(SERVER.endpoint) as c:
            hello, _ = c.call("HELLO")
        self.assertEqual(hello["server"], f"pan-server {pan.__version__}")
        self.assertEqual(cmake, pan.__version__)


class RealGymnasium(unittest.TestCase):
    def test_classes(self):
        self.assertIs(ps.GYMNASIUM, gymnasium)
        self.assertIs(ps.Text, gymnasium.spaces.Text)
        self.assertIs(ps.Box, gymnasium.spaces.Box)
        self.assertIs(ps.Dict, gymnasium.spaces.Dict)
        self.assertIs(ps.batch_space, gymnasium.vector.utils.batch_space)
        self.assertIs(AutoresetMode, gymnasium.vector.AutoresetMode)
        self.assertTrue(issubclass(PanEnv, gymnasium.Env))
        self.assertTrue(issubclass(PanVectorEnv, gymnasium.vector.VectorEnv))

    def test_spaces_and_metadata(self):
        env = PanEnv(endpoint=SERVER.endpoint, render_mode="rgb_array")
        self.addCleanup(env.close)
        self.assertEqual(env.action_space.max_length, 256)
        self.assertEqual(env.action_space.min_length, 0)
        self.assertEqual(len(env.action_space.character_set), 95)
        self.assertEqual(env.observation_space["frames"],
                         gymnasium.spaces.Box(0, 255, (4, 64, 64, 3), np.uint8))
        self.assertEqual(env.observation_space["latent"].shape, (1, 73))
        self.assertEqual(env.observation_space["latent"].dtype, np.float32)
        self.assertEqual(pan.registration.METADATA, PanEnv.metadata)
        for key, value in PanEnv.metadata.items():
            self.assertEqual(env.metadata[key], value)


class Registration(unittest.TestCase):
    def test_registered_specs(self):
        for env_id in IDS:
            spec = gymnasium.spec(env_id)
            self.assertEqual(spec.entry_point, "pan.registration:make_env")
            self.assertEqual(spec.vector_entry_point,
                             "pan.registration:make_vector_env")
            self.assertEqual(spec.max_episode_steps, 50)
            self.assertIs(spec.nondeterministic, False)
            self.assertIs(spec.order_enforce, True)
            self.assertIs(spec.disable_env_checker, False)
        self.assertEqual(gymnasium.spec("pan/Tabletop-v0").kwargs,
                         {"world": "tabletop"})
        self.assertEqual(gymnasium.spec("pan/Rooms-v0").kwargs,
                         {"world": "rooms"})
        self.assertEqual(gymnasium.spec("pan/WorldModel-v0").kwargs, {})

    def test_idempotent(self):
        before = {i: gymnasium.registry[i] for i in IDS}
        self.assertEqual(checked(self, pan.registration.register_envs), [])
        self.assertEqual(pan.registration.register_envs(), IDS)
        for i in IDS:
            self.assertIs(gymnasium.registry[i], before[i])

    def test_fresh_interpreters(self):
        listing = ("print(sorted(i for i in gymnasium.registry "
                   "if i.startswith('pan/')))")
        self.assertEqual(fresh_python("import gymnasium\n" + listing), "[]")
        want = str(sorted(IDS))
        self.assertEqual(fresh_python(
            "import pan.registration, gymnasium\n" + listing), want)
        self.assertEqual(fresh_python(
            "import pan, gymnasium\n" + listing), want)
        self.assertEqual(fresh_python(
            "import os, gymnasium\n"
            "e = gymnasium.make('pan:pan/Rooms-v0', "
            "endpoint=os.environ['PAN_ENDPOINT'])\n"
            "print(e.unwrapped.metadata['world'])\ne.close()"), "rooms")

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, "pan/WorldModel-v0"):
            make(model="glp")
        with self.assertRaisesRegex(ValueError, r"serves \[\]"):
            make("pan/WorldModel-v0")


class Make(unittest.TestCase):
    def test_wrappers_and_time_limit(self):
        seen = []
        checked(self, lambda: seen.append(make("pan/Rooms-v0",
                                               render_mode="rgb_array")))
        env = seen[0]
        self.addCleanup(env.close)
        chain = []
        e = env
        while hasattr(e, "env"):
            chain.append(type(e).__name__)
            e = e.env
        self.assertEqual(chain, ["TimeLimit", "OrderEnforcing",
                                 "PassiveEnvChecker"])
        self.assertIs(type(env.unwrapped), PanEnv)
        self.assertEqual(env.spec.max_episode_steps, 50)
        self.assertEqual(env.unwrapped.session.metadata["max_episode_steps"], 0)

        def episode():
            env.reset(seed=1)
            env.render()
            for t in range(1, 51):
                _, _, terminated, truncated, _ = env.step("wait")
                self.assertFalse(terminated)
                if truncated:
                    return t
            return None
        self.assertEqual(checked(self, episode), [])   # passive checker quiet
        self.assertEqual(episode(), 50)

    def test_max_episode_steps_override(self):
        for steps, want in ((3, 3), (-1, None)):
            env = make(max_episode_steps=steps)
            self.addCleanup(env.close)
            env.reset(seed=2)
            ended = None
            for t in range(1, 61):
                if env.step("wait")[3]:
                    ended = t
                    break
            self.assertEqual(ended, want, f"max_episode_steps={steps}")
            self.assertEqual("TimeLimit" in str(env), steps > 0)

    def test_deterministic(self):
        """spec.nondeterministic is False: the same seed and actions give
        byte-identical observations, rewards, flags and infos."""
        a, b = make(task="random"), make(task="random")
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        ra, rb = a.reset(seed=40), b.reset(seed=40)
        self.assertTrue(data_equivalence(ra, rb, exact=True))
        for _ in range(12):
            action = a.unwrapped.sample_action()
            ra, rb = a.step(action), b.step(action)
            self.assertTrue(data_equivalence(ra, rb, exact=True))
        self.assertIs(type(ra[2]), bool)
        self.assertIs(type(ra[4]["seed"]), np.uint64)


class CheckEnv(unittest.TestCase):
    def test_check_env_worlds(self):
        for env_id in ("pan/Tabletop-v0", "pan/Rooms-v0"):
            for render_mode in (None, "rgb_array"):
                for skip in (False, True):
                    with self.subTest(env_id=env_id, render_mode=render_mode,
                                      skip_render_check=skip):
                        env = make(env_id, render_mode=render_mode)
                        try:
                            checked(self, check_env, env.unwrapped,
                                    skip_render_check=skip,
                                    allowed=LATENT_UNBOUNDED)
                        finally:
                            env.close()

    def test_check_env_without_spec(self):
        env = PanEnv(world="rooms", endpoint=SERVER.endpoint,
                     render_mode="rgb_array", obs_mode="latent")
        self.addCleanup(env.close)
        texts = checked(self, check_env, env,
                        allowed=LATENT_UNBOUNDED + (NO_SPEC,))
        self.assertTrue(any(NO_SPEC in t for t in texts))


class Rendering(unittest.TestCase):
    def test_record_video(self):
        from gymnasium.wrappers import RecordVideo
        tmp = tempfile.TemporaryDirectory(prefix="pan-video-")
        self.addCleanup(tmp.cleanup)
        folder = os.path.join(tmp.name, "videos")
        env = RecordVideo(make(render_mode="rgb_array", max_episode_steps=10),
                          video_folder=folder, name_prefix="tabletop",
                          episode_trigger=lambda episode: episode == 0)
        env.reset(seed=3)
        renders = [env.unwrapped.render().copy()]
        truncated = False
        while not truncated:
            _, _, _, truncated, _ = env.step(env.unwrapped.sample_action())
            renders.append(env.unwrapped.render().copy())
        env.close()
        self.assertEqual(os.listdir(folder), ["tabletop-episode-0.mp4"])
        meta, frames = read_mp4(os.path.join(folder, "tabletop-episode-0.mp4"))
        self.assertEqual(meta["codec"], "h264")
        self.assertEqual(tuple(meta["size"]), (64, 64))
        self.assertEqual(meta["fps"], 4)
        self.assertEqual(len(frames), len(renders))   # reset + 10 steps
        self.assertEqual(len(renders), 11)
        for i, (frame, render) in enumerate(zip(frames, renders)):
            err = np.abs(frame.astype(np.int16) - render).mean()
            self.assertLess(err, 8.0, f"frame {i}: mean error {err:.1f}")
        moved = [i for i in range(1, 11)
                 if not np.array_equal(renders[i], renders[i - 1])]
        self.assertTrue(moved, "the episode never changed the frame")

    def test_render_collection(self):
        env = make("pan/Rooms-v0", render_mode="rgb_array_list")
        self.addCleanup(env.close)
        self.assertIn("RenderCollection", str(env))
        env.reset(seed=4)
        env.step("go north 2")
        env.step("turn left")
        frames = env.render()
        self.assertEqual(len(frames), 3)
        for f in frames:
            self.assertEqual((f.shape, f.dtype), ((64, 64, 3), np.uint8))


if __name__ == "__main__":
    server_path()
    unittest.main(verbosity=2)
