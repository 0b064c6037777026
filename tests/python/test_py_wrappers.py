#!/usr/bin/env python3
"""tests/python/test_py_wrappers.py: pan.wrappers (Discrete canonical
actions, image boxes, the goal in the observation, goal-cost shaping)
under the REAL gymnasium (the venv's) against a real pan-server, through
gymnasium.make.

- canonical_actions: 426 tabletop and 19 rooms texts, distinct, the list
  pinned (count and CRC-32 of the joined texts: a change must be a new
  ACTIONS_VERSION and a docs update).
- Every canonical text is accepted by the server (understood, info
  canonical == the text, not held out) and changes the true state in some
  configuration: tabletop, for each of the 18 objects alone on the table,
  at the centre and in the top left corner (one of the two must change);
  rooms from the start of seeds 0-2.
- CanonicalActions: Discrete(n), info action_index / action_text, ints,
  numpy ints and one-element arrays; bad indices are ValueErrors before
  anything is sent; world_of reads metadata["world"] (a model env's world).
- LastFrame: Box (H, W, 3 * stack) uint8, the last frame equals render(),
  stacks across steps oldest first, reset fills with the reset frame;
  latent obs mode is a ValueError.
- GoalObservation / encode_goal: every family's layout, the latent flag,
  "" is zeros, junk a ValueError; obs["goal"] = encode_goal(info["task"])
  at reset and after steps; a Dict inner observation is merged.
- GoalCostReward: reward = task reward + (c_before - c_after) / 64 with c
  = pan.agents.goals.cost, 0 and success on the goal's step; refuses a
  model env and an observation without "latent".
- The full stack passes gymnasium's check_env and stable-baselines3's
  check_env.
Usage: test_py_wrappers.py PATH_TO_PAN_SERVER
       (PYTHONPATH=agents/python:tests/python; label e2e, not slow)
"""

import unittest
import warnings
import zlib

import numpy as np

from pan_test_server import PanServer, server_path

import gymnasium  # noqa: E402  (the venv's; ImportError fails the suite)
import pan  # noqa: E402,F401  (registers pan/...)
from pan import wrappers as pw  # noqa: E402
from pan.agents import goals  # noqa: E402
from pan.agents.tabletop import read_state  # noqa: E402

server_path()
SERVER = None
OPEN = []  # every env made here, closed before the server stops
# Pinned: (count, CRC-32 of "\n".join(texts)). Changing a list is a new
# ACTIONS_VERSION and a docs/agents.md update.
PINNED = {"tabletop": (426, 0x2020B229), "rooms": (19, 0xDA009F7B)}


def setUpModule():
    global SERVER
    SERVER = PanServer()


def tearDownModule():
    for env in OPEN:
        env.close()
    rc = SERVER.stop()
    if rc != 0:
        raise AssertionError(f"pan-server exited {rc} on SIGTERM, expected 0")


def make(env_id="pan/Tabletop-v0", **kw):
    kw.setdefault("endpoint", SERVER.endpoint)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the latent Box's infinite bounds
        env = gymnasium.make(env_id, **kw)
    OPEN.append(env)
    return env


def crc(texts):
    return zlib.crc32("\n".join(texts).encode()) & 0xFFFFFFFF


class Lists(unittest.TestCase):
    def test_pinned(self):
        self.assertEqual(pw.ACTIONS_VERSION, 1)
        for world, (count, digest) in PINNED.items():
            texts = pw.canonical_actions(world)
            self.assertIsInstance(texts, tuple)
            self.assertEqual(len(texts), count, world)
            self.assertEqual(len(set(texts)), count, world)
            self.assertEqual(crc(texts), digest, world)
        t = pw.canonical_actions("tabletop")
        self.assertEqual(t[:3], ("move red square left 1",
                                 "move red square left 2",
                                 "move red square left 4"))
        self.assertEqual(t[-1], "move orange triangle to right edge")
        self.assertNotIn("move red square up 1", t)        # held out
        self.assertEqual(pw.canonical_actions("rooms")[-3:],
                         ("turn left", "turn right", "turn around"))
        with self.assertRaises(ValueError):
            pw.canonical_actions("kitchen")


class EveryActionWorks(unittest.TestCase):
    """Accepted, canonical, train split, and changes the state somewhere."""

    def check(self, env, text, snapshots):
        base = env.unwrapped
        changed = False
        for sid in snapshots:
            before, _ = base.restore(sid)
            obs, _, _, _, info = base.step(text)
            self.assertTrue(info["understood"], (text, info["message"]))
            self.assertEqual(info["canonical"], text)
            self.assertFalse(info["heldout"], text)
            self.assertEqual(info["action_kind"], "agent", text)
            if not np.array_equal(obs["latent"], before["latent"]):
                changed = True
        self.assertTrue(changed, f"{text!r} changed no configuration")

    def test_tabletop(self):
        env = make(task="none", max_episode_steps=-1)
        self.addCleanup(env.close)
        base = env.unwrapped
        obs, _ = env.reset(seed=5)
        for (c, s) in sorted(read_state(np.asarray(obs["latent"]), 64,
                                        64).objects):
            obs, *_ = env.step(f"remove the {c} {s}")
        self.assertEqual(float(np.asarray(obs["latent"])[0, 0:72:4].sum()), 0.0)
        empty = base.fork()
        texts = pw.canonical_actions("tabletop")
        for c in pw.COLOURS:
            for s in pw.SHAPES:
                base.restore(empty)
                _, _, _, _, info = base.step(f"add a {c} {s} at the centre")
                self.assertTrue(info["understood"], info["message"])
                centre = base.fork()
                base.step(f"move {c} {s} to top left corner")
                corner = base.fork()
                mine = [t for t in texts if t.startswith(f"move {c} {s} ")]
                self.assertEqual(len(mine), 25 - 4 * sum(
                    (c, s) == h[:2] for h in pw.TABLETOP_HELDOUT))
                for text in mine:
                    self.check(env, text, (centre, corner))
                base.release([centre, corner])

    def test_rooms(self):
        env = make("pan/Rooms-v0", max_episode_steps=-1)
        self.addCleanup(env.close)
        base = env.unwrapped
        starts = []
        for seed in range(3):
            env.reset(seed=seed)
            starts.append(base.fork())
        for text in pw.canonical_actions("rooms"):
            self.check(env, text, starts)


class Wrappers(unittest.TestCase):
    def test_canonical_actions(self):
        env = pw.CanonicalActions(make(task="random"))
        self.addCleanup(env.close)
        self.assertEqual(env.action_space, gymnasium.spaces.Discrete(426))
        self.assertEqual(pw.world_of(env), "tabletop")
        env.reset(seed=3)
        for a in (7, np.int64(8), np.array([9]), np.array(10)):
            _, _, _, _, info = env.step(a)
            i = int(np.asarray(a).reshape(()))
            self.assertEqual(info["action_index"], i)
            self.assertEqual(info["action_text"], env.actions[i])
            self.assertEqual(info["episode_step"], 1 + list(
                (7, 8, 9, 10)).index(i))
        for bad in (-1, 426, 1.0, True, "wait", np.array([1, 2])):
            with self.assertRaises(ValueError):
                env.step(bad)
        _, _, _, _, info = env.step(0)   # nothing was sent for the bad ones
        self.assertEqual(info["episode_step"], 5)
        rooms = pw.CanonicalActions(make("pan/Rooms-v0"))
        self.addCleanup(rooms.close)
        self.assertEqual(rooms.action_space.n, 19)
        custom = pw.CanonicalActions(make(), actions=["wait", "lights off"])
        self.addCleanup(custom.close)
        self.assertEqual(custom.action_space.n, 2)
        for bad in ([], ["wait", "wait"], ["", "wait"], [3]):
            with self.assertRaises(ValueError):
                pw.CanonicalActions(custom.env, actions=bad)

    def test_world_of_model_metadata(self):
        class Stub(gymnasium.Env):
            def __init__(self, metadata):
                self.metadata = metadata
                self.action_space = gymnasium.spaces.Text(8)
                self.observation_space = gymnasium.spaces.Dict(
                    latent=gymnasium.spaces.Box(0, 1, (16, 256)))
        model = Stub({"world": "tabletop", "model": "glp", "width": 64,
                      "height": 64})
        self.assertEqual(pw.world_of(model), "tabletop")
        self.assertEqual(pw.CanonicalActions(model).action_space.n, 426)
        with self.assertRaises(ValueError):     # a model's latent is no state
            pw.GoalCostReward(model)
        with self.assertRaises(ValueError):
            pw.world_of(Stub({"world": None}))

    def test_last_frame(self):
        env = pw.LastFrame(make(render_mode="rgb_array", task="random"))
        self.addCleanup(env.close)
        self.assertEqual(env.observation_space,
                         gymnasium.spaces.Box(0, 255, (64, 64, 3), np.uint8))
        obs, _ = env.reset(seed=1)
        self.assertTrue(env.observation_space.contains(obs))
        self.assertTrue(obs.flags.writeable)
        np.testing.assert_array_equal(obs, env.render())
        obs, *_ = env.step(env.unwrapped.sample_action())
        np.testing.assert_array_equal(obs, env.render())

        class Keep(gymnasium.Wrapper):          # the raw obs under LastFrame
            def reset(self, **kw):
                self.last = self.env.reset(**kw)[0]
                return self.last, {}

            def step(self, action):
                out = self.env.step(action)
                self.last = out[0]
                return out
        inner = Keep(make(task="put the red circle in the top left corner"))
        stack = pw.LastFrame(inner, stack=6)
        self.addCleanup(stack.close)
        self.assertEqual(stack.observation_space.shape, (64, 64, 18))
        obs, _ = stack.reset(seed=7)
        first = np.array(inner.last["frames"][-1])
        for k in range(6):
            np.testing.assert_array_equal(obs[..., 3 * k:3 * k + 3], first)
        _, _, _, _, info = stack.step("move the biggest thing left")
        self.assertFalse(info["understood"])
        obs2, *_ = stack.step("move red circle right 1")
        raw = np.array(inner.last["frames"])
        self.assertFalse(np.array_equal(raw[-1], first))
        # frames of step 1 (4 repeats of `first`), then step 2's 4: the last
        # 6 are step 1's last 2 and step 2's 4, oldest first
        for k in range(2):
            np.testing.assert_array_equal(obs2[..., 3 * k:3 * k + 3], first)
        for k in range(4):
            np.testing.assert_array_equal(obs2[..., 6 + 3 * k:9 + 3 * k],
                                          raw[k])
        with self.assertRaises(ValueError):
            pw.LastFrame(make(obs_mode="latent"))
        for bad in (0, -1, 1.5, True):
            with self.assertRaises(ValueError):
                pw.LastFrame(stack.env, stack=bad)

    def test_encode_goal(self):
        L = pw.GOAL_LAYOUT
        self.assertEqual(pw.GOAL_SIZE, 49)
        self.assertFalse(pw.encode_goal("").any())

        def on(v):
            return sorted(int(i) for i in np.flatnonzero(v))

        def at(name, i):
            return L[name][0] + i

        v = pw.encode_goal("put the blue circle in the centre")
        self.assertEqual(v.dtype, np.float32)
        self.assertEqual(on(v), [at("family", 0), at("object0", 2),
                                 at("object0", 6 + 1), at("place", 4)])
        v = pw.encode_goal("the red square is to the left of the green triangle")
        self.assertEqual(on(v), [at("family", 1), at("object0", 0),
                                 at("object0", 6), at("object1", 1),
                                 at("object1", 8), at("relation", 1)])
        v = pw.encode_goal("all the purple objects are together")
        self.assertEqual(on(v), [at("family", 2), at("object0", 4)])
        v = pw.encode_goal("the red square, the green circle and the blue "
                           "triangle are in a column")
        self.assertEqual(on(v), [at("family", 3), at("object0", 0),
                                 at("object0", 6), at("object1", 1),
                                 at("object1", 7), at("object2", 2),
                                 at("object2", 8), at("axis", 1)])
        v = pw.encode_goal("latent: the camera is at the orange triangle")
        self.assertEqual(on(v), [at("family", 4), at("object0", 5),
                                 at("object0", 8), at("latent", 0)])
        for bad in ("make tea", "put the pink circle in the centre"):
            with self.assertRaises(ValueError):
                pw.encode_goal(bad)
        with self.assertRaises(TypeError):
            pw.encode_goal(None)

    def test_goal_observation(self):
        env = pw.GoalObservation(pw.LastFrame(pw.CanonicalActions(
            make(task="structured: random"))))
        self.addCleanup(env.close)
        self.assertEqual(sorted(env.observation_space.spaces), ["goal", "image"])
        kinds = set()
        for seed in range(8):
            obs, info = env.reset(seed=seed)
            self.assertTrue(env.observation_space.contains(obs))
            np.testing.assert_array_equal(obs["goal"], pw.encode_goal(info["task"]))
            kinds.add(goals.parse_goal(info["task"]).kind)
            obs, *_ , info = env.step(0)
            np.testing.assert_array_equal(obs["goal"], pw.encode_goal(info["task"]))
        self.assertGreaterEqual(len(kinds), 3)
        merged = pw.GoalObservation(make(task="random"))
        self.addCleanup(merged.close)
        self.assertEqual(sorted(merged.observation_space.spaces),
                         ["frames", "goal", "latent"])
        obs, info = merged.reset(seed=0)
        self.assertTrue(obs["goal"].any())
        notask = pw.GoalObservation(pw.LastFrame(make("pan/Rooms-v0")))
        self.addCleanup(notask.close)
        obs, _ = notask.reset(seed=0)
        self.assertFalse(obs["goal"].any())
        for bad in ("", "goal", 3):
            with self.assertRaises(ValueError):
                pw.GoalObservation(notask.env, key=bad)
        with self.assertRaises(ValueError):
            pw.GoalObservation(merged)

    def test_goal_cost_reward(self):
        goal = "put the red circle in the top left corner"
        env = pw.GoalCostReward(make(task=goal))
        self.addCleanup(env.close)
        obs, info = env.reset(seed=7)
        g = goals.parse_goal(info["task"])

        def c(o):
            return goals.cost(g, goals.decode_state("tabletop", o["latent"]))
        before = c(obs)
        self.assertGreater(before, 0)
        obs, r, term, _, info = env.step("move red circle right 1")
        after = c(obs)
        self.assertAlmostEqual(info["goal_cost"], after)
        self.assertAlmostEqual(r, (before - after) / 64.0)
        obs, r, term, _, info = env.step("move red circle to top left corner")
        self.assertTrue(term and info["success"])
        self.assertEqual(info["goal_cost"], 0.0)
        self.assertAlmostEqual(r, 1.0 + after / 64.0)
        with self.assertRaises(ValueError):
            pw.GoalCostReward(pw.LastFrame(make()))

    def test_checkers(self):
        # gymnasium's checker here (the gym venv group); stable-baselines3's
        # checker runs in the slow python_ppo suite, whose venv has SB3.
        from gymnasium.utils.env_checker import check_env
        for stack in (1, 2):
            env = pw.GoalObservation(pw.LastFrame(pw.GoalCostReward(
                pw.CanonicalActions(make(task="structured: place"))), stack))
            self.addCleanup(env.close)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                check_env(env, skip_render_check=True)


if __name__ == "__main__":
    unittest.main()
