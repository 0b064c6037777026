#!/usr/bin/env python3
"""tests/python/test_py_gym_vector.py: PanVectorEnv under the REAL
gymnasium (the venv's; ctest runs it with PAN_VENV_PYTHON) against a real
pan-server. gymnasium 1.x has no checker for vector envs, so this holds
PanVectorEnv to what gymnasium's own vector tests do:

- make_vec(id, num_envs=N) (gymnasium's default mode, and
  "vector_entry_point") is ONE PanVectorEnv session of N envs: the server
  counts one more session, and one STEP request per batched step; the
  spec's max_episode_steps (50) or make_vec's is the server's truncation;
  autoreset_mode passes through; metadata["autoreset_mode"] is
  gymnasium's AutoresetMode (make_vec warns nothing).
- Spaces pass the passive checker's space checks; the batched spaces are
  batch_space of the single ones; reset/step values have gymnasium's
  types, dtypes and shapes, every obs is in the (single and batched)
  observation space, action_space.sample() is accepted, every info key
  has its "_key" mask; reset(seed=s) seeds np_random; render() is N
  rgb_array frames.
- As gymnasium's test_vector_env_equal holds AsyncVectorEnv to
  SyncVectorEnv: in each autoreset mode (next_step, same_step, disabled
  with masked resets) PanVectorEnv equals make_vec(..., "sync") (gymnasium's
  SyncVectorEnv over N PanEnv sessions, truncated by TimeLimit) step for
  step through several episodes, with gymnasium's data_equivalence
  (exact), except the "autoreset" info key; and make_vec(..., "async").
- gymnasium's vector wrappers run on it: RecordEpisodeStatistics (episode
  lengths), DictInfoToList, and vector RecordVideo (an MP4 of the 2x2
  tiled renders).
Usage: test_py_gym_vector.py PATH_TO_PAN_SERVER
       (PYTHONPATH=agents/python:tests/python)
"""

import os
import tempfile
import time
import unittest

import numpy as np

from pan_gym_checks import GYMNASIUM as gymnasium  # noqa: E402  (fails early)
from pan_gym_checks import checked, read_mp4, without_autoreset
from pan_test_server import PanServer, server_path

import pan  # noqa: E402, F401  (registers the ids)
from pan.client import Client, NotFoundError  # noqa: E402
from pan.vector import PanVectorEnv  # noqa: E402
from gymnasium.utils.env_checker import data_equivalence  # noqa: E402
from gymnasium.utils.passive_env_checker import (  # noqa: E402
    _check_render_return, check_action_space, check_observation_space)
from gymnasium.vector import AutoresetMode  # noqa: E402
from gymnasium.vector.utils import batch_space  # noqa: E402

SERVER = None
MODES = {"next_step": AutoresetMode.NEXT_STEP,
         "same_step": AutoresetMode.SAME_STEP,
         "disabled": AutoresetMode.DISABLED}


def setUpModule():
    global SERVER
    SERVER = PanServer()


def tearDownModule():
    rc = SERVER.stop()
    if rc != 0:
        raise AssertionError(f"pan-server exited {rc} on SIGTERM, expected 0")


def make_vec(num_envs, env_id="pan/Tabletop-v0", **kw):
    return gymnasium.make_vec(env_id, num_envs=num_envs,
                              endpoint=SERVER.endpoint, **kw)


def stats():
    with Client(SERVER.endpoint) as c:
        return c.call("STATS")[0]


def steps_answered(at_least=0):
    """STATS' STEP count once it is >= at_least and steady (the server's
    workers count a request just after replying to it)."""
    last = None
    for _ in range(200):
        n = stats()["ops"]["STEP"]
        if n == last and n >= at_least:
            return n
        last = n
        time.sleep(0.02)
    return last


class MakeVec(unittest.TestCase):
    def test_one_session(self):
        for mode in (None, "vector_entry_point"):
            with self.subTest(vectorization_mode=mode):
                before = stats()["sessions"]
                made = []
                checked(self, lambda: made.append(make_vec(
                    4, vectorization_mode=mode)))
                envs = made[0]
                self.addCleanup(envs.close)
                self.assertIs(type(envs), PanVectorEnv)
                self.assertEqual(envs.num_envs, 4)
                self.assertEqual(stats()["sessions"], before + 1)
                self.assertEqual(envs.session.num_envs, 4)
                self.assertEqual(envs.spec.id, "pan/Tabletop-v0")
                self.assertEqual(envs.spec.kwargs["num_envs"], 4)
                self.assertIs(envs.metadata["autoreset_mode"],
                              AutoresetMode.NEXT_STEP)
                self.assertEqual(envs.session.metadata["max_episode_steps"],
                                 50)
                envs.reset(seed=0)
                steps = steps_answered()
                for _ in range(3):      # one STEP request per batched step
                    envs.step(envs.unwrapped.sample_actions())
                self.assertEqual(steps_answered(steps + 3), steps + 3)
                envs.close()

    def test_kwargs(self):
        envs = make_vec(2, "pan/Rooms-v0", max_episode_steps=3,
                        autoreset_mode="same_step", obs_mode="latent")
        self.addCleanup(envs.close)
        self.assertIs(envs.metadata["autoreset_mode"], AutoresetMode.SAME_STEP)
        self.assertEqual(envs.metadata["world"], "rooms")
        self.assertNotIn("frames", envs.single_observation_space.spaces)
        envs.reset(seed=1)
        for t in range(1, 4):
            _, _, _, truncations, infos = envs.step(["wait", "wait"])
        self.assertEqual(truncations.tolist(), [True, True])   # at step 3
        self.assertEqual(infos["_final_obs"].tolist(), [True, True])


class VectorContract(unittest.TestCase):
    def test_spaces_and_values(self):
        envs = make_vec(3, render_mode="rgb_array", task="random")
        self.addCleanup(envs.close)
        for space in (envs.single_observation_space, envs.observation_space):
            check_observation_space(space)
        for space in (envs.single_action_space, envs.action_space):
            check_action_space(space)
        self.assertEqual(envs.observation_space,
                         batch_space(envs.single_observation_space, 3))
        self.assertEqual(envs.action_space,
                         batch_space(envs.single_action_space, 3))

        def good(obs, infos):
            self.assertIn(obs, envs.observation_space)
            for i in range(3):
                self.assertIn({k: v[i] for k, v in obs.items()},
                              envs.single_observation_space)
            self.assertIsInstance(infos, dict)
            for key, value in infos.items():
                if not key.startswith("_"):
                    mask = infos[f"_{key}"]
                    self.assertEqual((mask.dtype, mask.shape),
                                     (np.bool_, (3,)), key)
                    self.assertEqual(len(value), 3, key)

        obs, infos = envs.reset(seed=7)
        good(obs, infos)
        self.assertEqual(envs.np_random_seed, 7)
        self.assertEqual(infos["seed"].tolist(), [7, 8, 9])
        envs.action_space.seed(3)
        for actions in (envs.action_space.sample(),
                        envs.unwrapped.sample_actions()):
            self.assertIn(tuple(actions), envs.action_space)
            obs, rewards, terminations, truncations, infos = envs.step(actions)
            good(obs, infos)
            self.assertEqual((rewards.dtype, rewards.shape), (np.float64, (3,)))
            for flags in (terminations, truncations):
                self.assertEqual((flags.dtype, flags.shape), (np.bool_, (3,)))
        frames = envs.render()
        self.assertIsInstance(frames, tuple)
        self.assertEqual(len(frames), 3)
        for frame in frames:
            checked(self, _check_render_return, "rgb_array", frame)
            self.assertEqual(frame.shape, (64, 64, 3))

    def test_close(self):
        envs = make_vec(2)
        sid = envs.session_id
        envs.close()
        envs.close()
        self.assertTrue(envs.closed)
        with Client(SERVER.endpoint) as c, self.assertRaises(NotFoundError):
            c.call("PING", session=sid)


class SameAsGymnasiumVectorisers(unittest.TestCase):
    """PanVectorEnv (server-side batching and autoreset) against gymnasium's
    own SyncVectorEnv / AsyncVectorEnv over PanEnv sessions."""

    N, T, STEPS = 3, 3, 14

    def pair(self, mode, vectorization="sync"):
        kw = dict(max_episode_steps=self.T, task="random")
        ours = make_vec(self.N, autoreset_mode=mode, **kw)
        ref = make_vec(self.N, vectorization_mode=vectorization,
                       vector_kwargs={"autoreset_mode": MODES[mode]}, **kw)
        self.addCleanup(ours.close)
        self.addCleanup(ref.close)
        self.assertEqual(type(ref).__name__, {"sync": "SyncVectorEnv",
                                              "async": "AsyncVectorEnv"}
                         [vectorization])
        self.assertEqual(ours.observation_space, ref.observation_space)
        self.assertEqual(ours.single_observation_space,
                         ref.single_observation_space)
        self.assertEqual(ours.action_space, ref.action_space)
        self.assertIs(ref.metadata["autoreset_mode"],
                      ours.metadata["autoreset_mode"])
        return ours, ref

    def same(self, a, b, what):
        self.assertTrue(data_equivalence(a, b, exact=True), what)

    def run_modes(self, vectorization, modes):
        for mode in modes:
            with self.subTest(autoreset_mode=mode, vectorization=vectorization):
                ours, ref = self.pair(mode, vectorization)
                (o1, i1), (o2, i2) = ours.reset(seed=20), ref.reset(seed=20)
                self.same(o1, o2, "reset obs")
                self.same(without_autoreset(i1), without_autoreset(i2),
                          "reset infos")
                ended = 0
                for t in range(self.STEPS):
                    actions = ours.unwrapped.sample_actions()
                    a, b = ours.step(actions), ref.step(actions)
                    for x, y, what in zip(a[:4], b[:4], ("obs", "rewards",
                                          "terminations", "truncations")):
                        self.same(x, y, f"step {t} {what}")
                    self.same(without_autoreset(a[4]), without_autoreset(b[4]),
                              f"step {t} infos")
                    done = a[2] | a[3]
                    ended += int(done.sum())
                    if mode == "next_step" and "autoreset" in a[4]:
                        self.assertTrue((a[4]["autoreset"] ==
                                         a[4]["is_reset"]).all())
                    if mode == "disabled" and done.any():
                        (o1, i1) = ours.reset(options={"reset_mask": done})
                        (o2, i2) = ref.reset(options={"reset_mask": done})
                        self.same(o1, o2, f"masked reset {t} obs")
                        self.same(without_autoreset(i1), without_autoreset(i2),
                                  f"masked reset {t} infos")
                self.assertGreaterEqual(ended, 2 * self.N, "too few episodes")

    def test_sync_every_mode(self):
        self.run_modes("sync", ("next_step", "same_step", "disabled"))

    def test_async(self):
        self.run_modes("async", ("next_step",))


class VectorWrappers(unittest.TestCase):
    def test_record_episode_statistics(self):
        from gymnasium.wrappers.vector import (DictInfoToList,
                                               RecordEpisodeStatistics)
        envs = RecordEpisodeStatistics(make_vec(2, max_episode_steps=4))
        self.addCleanup(envs.close)
        envs.reset(seed=5)
        for t in range(1, 5):
            _, _, _, truncations, infos = envs.step(("wait", "wait"))
        self.assertEqual(truncations.tolist(), [True, True])
        self.assertEqual(infos["_episode"].tolist(), [True, True])
        self.assertEqual(infos["episode"]["l"].tolist(), [4, 4])
        self.assertEqual(infos["episode"]["r"].tolist(), [0.0, 0.0])
        listed = DictInfoToList(make_vec(2))
        self.addCleanup(listed.close)
        _, infos = listed.reset(seed=5)
        self.assertEqual([i["seed"] for i in infos], [5, 6])
        self.assertEqual(len(infos), 2)

    def test_record_video(self):
        from gymnasium.wrappers.vector import RecordVideo
        tmp = tempfile.TemporaryDirectory(prefix="pan-video-")
        self.addCleanup(tmp.cleanup)
        folder = os.path.join(tmp.name, "videos")
        envs = RecordVideo(make_vec(4, render_mode="rgb_array",
                                    max_episode_steps=5),
                           video_folder=folder, name_prefix="tabletop4",
                           episode_trigger=lambda episode: episode == 0)
        envs.reset(seed=9)

        def tiled():
            f = envs.unwrapped.render()
            return np.concatenate([np.concatenate(f[:2], axis=1),
                                   np.concatenate(f[2:], axis=1)], axis=0)
        renders = [tiled()]
        for t in range(6):      # 5 steps, then the next-step autoreset
            envs.step(envs.unwrapped.sample_actions())
            if t < 5:
                renders.append(tiled())
        envs.close()
        self.assertEqual(os.listdir(folder), ["tabletop4-episode-0.mp4"])
        meta, frames = read_mp4(os.path.join(folder, "tabletop4-episode-0.mp4"))
        self.assertEqual((meta["codec"], tuple(meta["size"]), meta["fps"]),
                         ("h264", (128, 128), 4))
        self.assertEqual(len(frames), len(renders))
        for i, (frame, render) in enumerate(zip(frames, renders)):
            err = np.abs(frame.astype(np.int16) - render).mean()
            self.assertLess(err, 8.0, f"frame {i}: mean error {err:.1f}")


if __name__ == "__main__":
    server_path()
    unittest.main(verbosity=2)
