#!/usr/bin/env python3
"""tests/python/test_py_protocol.py: protocol v1 conformance from Python
(docs/protocol.md) against a real pan-server, with pan.client.

- Every op (HELLO, DESCRIBE, MAKE, RESET, STEP, SAMPLE, RENDER, FORK,
  RESTORE, ROLLOUT, RELEASE, CLOSE, PING, STATS): reply fields, their types,
  tensor dtypes and shapes, infos' keys in order, ids echoed.
- Errors: each code the doc lists for a bad request, raised as the matching
  PanError subclass; a failed request changes nothing; one session's errors
  leave another alone; id nil when the request's id cannot be read.
- Client behaviour: pipelining, stale replies dropped, timeouts, zero-copy
  tensors, a REQ socket.
The server is started here (--bind tcp://127.0.0.1:* --ready-file) and must
exit 0 on SIGTERM.
Usage: test_py_protocol.py PATH_TO_PAN_SERVER (PYTHONPATH=agents/python)
"""

import math
import unittest

import msgpack
import numpy as np
import zmq

from pan_test_server import PanServer, server_path
from pan import client as pc
from pan.client import Client, PanError, Session

SERVER = None
OPS = ["HELLO", "DESCRIBE", "MAKE", "RESET", "STEP", "SAMPLE", "RENDER",
       "FORK", "RESTORE", "ROLLOUT", "RELEASE", "CLOSE", "PING", "STATS"]
LIMITS = ["max_message_bytes", "max_header_bytes", "max_blobs",
          "max_text_bytes", "max_sessions", "max_envs_per_session",
          "max_batch", "max_horizon", "max_snapshots", "max_reply_bytes",
          "session_ttl_ms"]
CHARSET = "".join(chr(c) for c in range(0x20, 0x7f))
ACTION = "move the red circle to the top left corner"


def setUpModule():
    global SERVER
    SERVER = PanServer()


def tearDownModule():
    rc = SERVER.stop()
    if rc != 0:
        raise AssertionError(f"pan-server exited {rc} on SIGTERM, expected 0")


class Base(unittest.TestCase):
    def setUp(self):
        self.c = Client(SERVER.endpoint, timeout_ms=20000)
        self.addCleanup(self.c.close)  # cleanups run last-in first-out

    def make(self, n=2, **kw):
        s = Session(self.c)
        s.make(num_envs=n, **kw)
        self.addCleanup(s.close)
        return s

    def assert_code(self, code, op, **fields):
        with self.assertRaises(PanError) as cm:
            self.c.call(op, **fields)
        self.assertEqual(cm.exception.code, code, str(cm.exception))
        self.assertIsInstance(cm.exception, pc.ERRORS[code])
        self.assertTrue(cm.exception.message)
        return cm.exception

    def raw(self, header, blobs=()):
        """Sends a raw header (dict or bytes); returns the reply header."""
        data = header if isinstance(header, bytes) else msgpack.packb(header)
        self.c.send_raw([data, *blobs])
        h, _ = self.c.recv_raw()
        return h


class TestHelloDescribe(Base):
    def test_hello(self):
        rid = self.c.send("HELLO", {"client": "test_py_protocol"})
        h, frames = self.c.recv_raw()
        self.assertEqual(h["id"], rid)
        self.assertEqual(h["v"], [1, 0])
        self.assertIs(h["ok"], True)
        self.assertEqual(frames, [])
        self.assertIsInstance(h["server"], str)
        self.assertEqual(h["protocol"], [1, 0])
        for key in LIMITS:
            self.assertIsInstance(h["limits"].get(key), int, key)
        self.assertEqual(h["limits"]["max_text_bytes"], 256)
        self.assertIn("tabletop", h["worlds"])
        self.assertIn("rooms", h["worlds"])
        self.assertIsInstance(h["models"], list)
        self.assertEqual(sorted(h["ops"]), sorted(OPS))

    def test_unknown_keys_ignored(self):
        h, _ = self.c.call("HELLO", future_field={"x": [1, 2]})
        self.assertEqual(h["protocol"], [1, 0])

    def check_spaces(self, spaces, frames, latent):
        a = spaces["action"]
        self.assertEqual(a["type"], "text")
        self.assertEqual(a["min_length"], 0)
        self.assertEqual(a["max_length"], 256)
        self.assertEqual(sorted(a["charset"]), sorted(CHARSET))
        self.assertEqual(len(a["charset"]), 95)
        for ch in " .,!?'-":
            self.assertIn(ch, a["charset"])
        o = spaces["observation"]
        self.assertEqual(o["type"], "dict")
        if frames is None:
            self.assertNotIn("frames", o["spaces"])
        else:
            f = o["spaces"]["frames"]
            self.assertEqual((f["type"], f["dtype"], f["shape"]),
                             ("box", "u1", list(frames)))
            self.assertEqual((f["low"], f["high"]), (0, 255))
        lat = o["spaces"]["latent"]
        self.assertEqual((lat["type"], lat["dtype"], lat["shape"]),
                         ("box", "f4", list(latent)))
        self.assertTrue(math.isinf(lat["low"]) and lat["low"] < 0)
        self.assertTrue(math.isinf(lat["high"]) and lat["high"] > 0)

    def test_describe_world(self):
        h, _ = self.c.call("DESCRIBE", world="tabletop")
        self.check_spaces(h["spaces"], (4, 64, 64, 3), (1, 73))
        m = h["metadata"]
        self.assertEqual((m["world"], m["width"], m["height"],
                          m["frames_per_step"], m["obs_mode"]),
                         ("tabletop", 64, 64, 4, "full"))
        self.assertEqual(m["render_modes"], ["rgb_array"])
        self.assertIsInstance(m["latent"], str)
        self.assertIsInstance(m["tasks"], str)
        h, _ = self.c.call("DESCRIBE", world="tabletop", width=48, height=32,
                           frames_per_step=2, obs_mode="latent")
        self.check_spaces(h["spaces"], None, (1, 73))
        h, _ = self.c.call("DESCRIBE", world="rooms", width=48, height=32,
                           frames_per_step=3)
        self.check_spaces(h["spaces"], (3, 32, 48, 3), (1, 103))

    def test_describe_session(self):
        s = self.make(3, world="rooms", autoreset_mode="same_step",
                      max_episode_steps=7)
        h, _ = self.c.call("DESCRIBE", session=s.session)
        m = h["metadata"]
        self.assertEqual((m["num_envs"], m["autoreset_mode"],
                          m["max_episode_steps"], m["world"]),
                         (3, "same_step", 7, "rooms"))
        self.check_spaces(h["spaces"], (4, 64, 64, 3), (1, 103))

    def test_describe_errors(self):
        self.assert_code("NOT_FOUND", "DESCRIBE", world="no-such-world")
        self.assert_code("NOT_FOUND", "DESCRIBE", session=12345)
        self.assert_code("INVALID_ARGUMENT", "DESCRIBE", world="tabletop",
                         width=7)
        self.assert_code("INVALID_ARGUMENT", "DESCRIBE", world="tabletop",
                         obs_mode="pixels")


class TestSessionOps(Base):
    def test_make(self):
        h, frames = self.c.call("MAKE", world="tabletop", num_envs=2)
        self.addCleanup(self.c.call, "CLOSE", session=h["session"])
        self.assertEqual(frames, [])
        self.assertIsInstance(h["session"], int)
        self.assertEqual(h["num_envs"], 2)
        self.assertEqual(h["metadata"]["num_envs"], 2)
        self.assertEqual(h["metadata"]["autoreset_mode"], "next_step")
        self.assertEqual(h["metadata"]["max_episode_steps"], 50)
        h2, _ = self.c.call("MAKE", world="tabletop")
        self.addCleanup(self.c.call, "CLOSE", session=h2["session"])
        self.assertNotEqual(h["session"], h2["session"])
        self.assertEqual(h2["num_envs"], 1)

    def test_make_errors(self):
        self.assert_code("NOT_FOUND", "MAKE", world="atlantis")
        self.assert_code("INVALID_ARGUMENT", "MAKE", world="tabletop",
                         num_envs=0)
        self.assert_code("RESOURCE_EXHAUSTED", "MAKE", world="tabletop",
                         num_envs=100000)
        self.assert_code("INVALID_ARGUMENT", "MAKE", world="tabletop",
                         autoreset_mode="sometimes")
        self.assert_code("INVALID_ARGUMENT", "MAKE", world="tabletop",
                         num_envs="two")
        with self.assertRaises(PanError) as cm:  # no world model yet
            self.c.call("MAKE", model="no-such-checkpoint.pan")
        self.assertIn(cm.exception.code, ("NOT_FOUND", "UNIMPLEMENTED"))

    def test_reset_step(self):
        s = self.make(2)
        self.assert_code("FAILED_PRECONDITION", "STEP", session=s.session,
                         actions=["wait", "wait"])
        h, frames = self.c.call("RESET", session=s.session, seed=11)
        self.assertEqual(len(frames), 2)
        obs = s.decode_obs(h["obs"], frames, "obs", 2)
        self.assertEqual(obs["frames"].shape, (2, 4, 64, 64, 3))
        self.assertEqual(obs["frames"].dtype, np.uint8)
        self.assertEqual(obs["latent"].shape, (2, 1, 73))
        self.assertEqual(obs["latent"].dtype, np.float32)
        for k in range(1, 4):  # a reset obs repeats its first frame
            np.testing.assert_array_equal(obs["frames"][:, k],
                                          obs["frames"][:, 0])
        self.assertEqual(len(h["infos"]), 2)
        for i, info in enumerate(h["infos"]):
            self.assertEqual(list(info), list(pc.INFO_KEYS))
            pc.decode_info(info, "reset")
            self.assertEqual((info["is_reset"], info["autoreset"],
                              info["seed"], info["episode_step"],
                              info["understood"], info["action_kind"]),
                             (True, False, 11 + i, 0, False, "none"))
        h, frames = self.c.call("STEP", session=s.session,
                                actions=["move the red circle left by 3",
                                         "xyzzy plugh"])
        obs = s.decode_obs(h["obs"], frames, "obs", 2)
        self.assertEqual(len(h["reward"]), 2)
        for key in ("reward",):
            self.assertTrue(all(isinstance(r, float) for r in h[key]))
        for key in ("terminated", "truncated"):
            self.assertTrue(all(isinstance(v, bool) for v in h[key]), key)
        i0, i1 = h["infos"]
        self.assertEqual(list(i0), list(pc.INFO_KEYS))
        self.assertEqual((i0["is_reset"], i0["episode_step"]), (False, 1))
        self.assertEqual(i1["understood"], False)
        self.assertEqual(i1["canonical"], "")
        self.assertTrue(i1["message"].startswith("not understood"))
        self.assertIn(i0["action_kind"], ("agent", "environment", "none"))
        # seeds: an array of N, then nil (each env's next seed)
        h, _ = self.c.call("RESET", session=s.session, seed=[5, 900])
        self.assertEqual([i["seed"] for i in h["infos"]], [5, 900])
        h, _ = self.c.call("RESET", session=s.session)
        self.assertTrue(all(i["is_reset"] for i in h["infos"]))

    def test_reset_options(self):
        s = self.make(3)
        goal = "put the red circle in the top left corner"
        h, _ = self.c.call("RESET", session=s.session, seed=1,
                           options={"task": goal})
        self.assertTrue(all(i["task"] == goal for i in h["infos"]))
        h, frames = self.c.call("RESET", session=s.session, seed=4,
                                options={"reset_mask": [False, True, False]})
        self.assertEqual([i is None for i in h["infos"]], [True, False, True])
        self.assertEqual(h["infos"][1]["seed"], 5)
        self.assertEqual(h["infos"][1]["task"], goal)  # the task is kept
        # the mask as a b1 tensor
        h, _ = self.c.call("RESET", session=s.session, seed=4, options={
            "reset_mask": np.array([True, False, True])})
        self.assertEqual([i is None for i in h["infos"]], [False, True, False])
        self.assert_code("INVALID_ARGUMENT", "RESET", session=s.session,
                         options={"reset_mask": [False, False, False]})
        self.assert_code("INVALID_ARGUMENT", "RESET", session=s.session,
                         options={"reset_mask": [True]})
        self.assert_code("INVALID_ARGUMENT", "RESET", session=s.session,
                         options={"reset_mask": np.array([1, 0, 1], np.uint8)})
        self.assert_code("INVALID_ARGUMENT", "RESET", session=s.session,
                         options={"task": "make me a sandwich"})
        self.assert_code("INVALID_ARGUMENT", "RESET", session=s.session,
                         seed=[1, 2])
        self.assert_code("INVALID_ARGUMENT", "RESET", session=s.session,
                         seed=-3)

    def test_sample(self):
        s = self.make(2)
        self.c.call("RESET", session=s.session, seed=3)
        a, _ = self.c.call("SAMPLE", session=s.session)
        self.c.call("RESET", session=s.session, seed=3)
        b, _ = self.c.call("SAMPLE", session=s.session, split="train")
        self.assertEqual(a["actions"], b["actions"])
        self.assertEqual(len(a["actions"]), 2)
        for split in ("heldout", "any"):
            h, _ = self.c.call("SAMPLE", session=s.session, split=split)
            self.assertTrue(all(isinstance(x, str) and 0 < len(x) <= 256
                                for x in h["actions"]))
        h, _ = self.c.call("STEP", session=s.session,
                           actions=self.c.call("SAMPLE", session=s.session,
                                               split="heldout")[0]["actions"])
        self.assertTrue(all(i["heldout"] and i["understood"]
                            for i in h["infos"]))
        self.assert_code("INVALID_ARGUMENT", "SAMPLE", session=s.session,
                         split="test")

    def test_render(self):
        s = self.make(2, width=48, height=32)
        self.c.call("RESET", session=s.session, seed=2)
        h, frames = self.c.call("STEP", session=s.session,
                                actions=["move the red circle left by 2"] * 2)
        obs = s.decode_obs(h["obs"], frames, "obs", 2)
        h, frames = self.c.call("RENDER", session=s.session)
        img = pc.decode_tensor(h["frames"], frames, "frames", "u1",
                               (2, 32, 48, 3))
        np.testing.assert_array_equal(img, obs["frames"][:, -1])
        h, frames = self.c.call("RENDER", session=s.session, env=1)
        one = pc.decode_tensor(h["frames"], frames, "frames", "u1",
                               (32, 48, 3))
        np.testing.assert_array_equal(one, img[1])
        self.assert_code("INVALID_ARGUMENT", "RENDER", session=s.session,
                         env=2)

    def test_fork_restore_rollout_release(self):
        s = self.make(2, obs_mode="latent")
        self.c.call("RESET", session=s.session, seed=8)
        h, _ = self.c.call("FORK", session=s.session)
        ids = h["state_ids"]
        self.assertEqual(len(ids), 2)
        self.assertTrue(all(isinstance(i, int) for i in ids))
        h, _ = self.c.call("FORK", session=s.session, envs=[1])
        self.assertEqual(len(h["state_ids"]), 1)
        extra = h["state_ids"][0]
        self.assertNotIn(extra, ids)
        h, frames = self.c.call("ROLLOUT", session=s.session, state_ids=ids,
                                actions=[["wait"] * 3, [ACTION] * 3])
        out = {k: pc.decode_tensor(h[k], frames, k, dt, shp) for k, dt, shp
               in (("reward", "f4", (2, 3)), ("terminated", "b1", (2, 3)),
                   ("truncated", "b1", (2, 3)),
                   ("latent", "f4", (2, 3, 1, 73)))}
        self.assertNotIn("frames", h)
        self.assertEqual(out["terminated"].dtype, np.bool_)
        h, frames = self.c.call("ROLLOUT", session=s.session,
                                state_ids=[extra], actions=[["wait"]],
                                frames=True)
        pc.decode_tensor(h["frames"], frames, "frames", "u1",
                         (1, 1, 4, 64, 64, 3))
        h, frames = self.c.call("RESTORE", session=s.session, envs=[0],
                                state_ids=[extra])
        s.decode_obs(h["obs"], frames, "obs", 2)
        self.assertIsNone(h["infos"][1])
        self.assertEqual(h["infos"][0]["seed"], 9)  # env 1's snapshot
        self.assert_code("NOT_FOUND", "RESTORE", session=s.session, envs=[0],
                         state_ids=[987654321])
        self.assert_code("INVALID_ARGUMENT", "RESTORE", session=s.session,
                         envs=[0, 1], state_ids=[extra])
        self.assert_code("INVALID_ARGUMENT", "ROLLOUT", session=s.session,
                         state_ids=ids, actions=[["wait"], ["wait", "wait"]])
        self.assert_code("INVALID_ARGUMENT", "ROLLOUT", session=s.session,
                         state_ids=ids[:1], actions=[[]])
        self.assert_code("RESOURCE_EXHAUSTED", "ROLLOUT", session=s.session,
                         state_ids=ids[:1], actions=[["wait"] * 100000])
        # RELEASE: an unknown id frees none
        before = self.c.call("STATS", session=s.session)[0]["session"]
        self.assertEqual(before["snapshots"], 3)
        self.assert_code("NOT_FOUND", "RELEASE", session=s.session,
                         state_ids=[ids[0], 424242])
        h, _ = self.c.call("STATS", session=s.session)
        self.assertEqual(h["session"]["snapshots"], 3)
        h, _ = self.c.call("RELEASE", session=s.session, state_ids=ids)
        self.assertEqual(h["released"], 2)
        h, _ = self.c.call("STATS", session=s.session)
        self.assertEqual(h["session"]["snapshots"], 1)

    def test_ping_stats_close(self):
        s = self.make(1)
        h, _ = self.c.call("PING")
        h, _ = self.c.call("PING", session=s.session)
        h, _ = self.c.call("STATS", session=s.session)
        for key, kind in (("uptime_s", float), ("sessions", int),
                          ("requests", int), ("errors", int), ("ops", dict),
                          ("latency_us", dict), ("session", dict)):
            self.assertIsInstance(h[key], kind, key)
        self.assertIn("p50", h["latency_us"])
        self.assertIn("p99", h["latency_us"])
        for key in ("num_envs", "snapshots", "requests", "idle_ms"):
            self.assertIn(key, h["session"])
        self.assertGreaterEqual(h["sessions"], 1)
        h, _ = self.c.call("CLOSE", session=s.session)
        sid = s.session
        s.session = None
        self.assert_code("NOT_FOUND", "PING", session=sid)
        self.assert_code("NOT_FOUND", "RESET", session=sid)
        self.assert_code("NOT_FOUND", "CLOSE", session=sid)


class TestErrors(Base):
    def test_bad_headers(self):
        h = self.raw(b"\xc1 not msgpack")
        self.assertIs(h["ok"], False)
        self.assertIsNone(h["id"])
        self.assertEqual(h["error"]["code"], "INVALID_ARGUMENT")
        h = self.raw([1, 2, 3])
        self.assertEqual(h["error"]["code"], "INVALID_ARGUMENT")
        h = self.raw({"id": 5, "op": "HELLO"})
        self.assertEqual((h["id"], h["error"]["code"]), (5, "VERSION_MISMATCH"))
        h = self.raw({"v": [2, 0], "id": 6, "op": "HELLO"})
        self.assertEqual((h["id"], h["error"]["code"]), (6, "VERSION_MISMATCH"))
        h = self.raw({"v": [1, 0], "id": 7, "op": "TELEPORT"})
        self.assertEqual((h["id"], h["error"]["code"]), (7, "UNIMPLEMENTED"))
        h = self.raw({"v": [1, 0], "id": 8, "op": 3})
        self.assertEqual((h["id"], h["error"]["code"]), (8, "INVALID_ARGUMENT"))
        h = self.raw({"v": [1, 0], "id": 9, "op": "HELLO"}, [b"stray blob"])
        self.assertEqual((h["id"], h["error"]["code"]), (9, "INVALID_ARGUMENT"))
        # a declared length far beyond the bytes present
        h = self.raw(b"\x83\xa1v\x92\x01\x00\xa2id\x0a\xa2op\xdb\xff\xff\xff\xf0")
        self.assertEqual(h["error"]["code"], "INVALID_ARGUMENT")
        self.assertTrue(SERVER.alive())

    def test_failed_request_changes_nothing(self):
        a = self.make(1)
        b = self.make(1)
        for s in (a, b):
            self.c.call("RESET", session=s.session, seed=21)
        self.c.call("STEP", session=a.session, actions=["wait"])
        h0, _ = self.c.call("FORK", session=a.session)
        bad = [("STEP", {"actions": ["x" * 257]}),
               ("STEP", {"actions": ["wait", "wait"]}),
               ("STEP", {"actions": [7]}),
               ("STEP", {"actions": [b"wait"]}),
               ("RESET", {"seed": "seven"}),
               ("ROLLOUT", {"state_ids": h0["state_ids"], "actions": [[1]]}),
               ("FORK", {"envs": [5]})]
        for op, fields in bad:
            with self.assertRaises(PanError, msg=f"{op} {fields}") as cm:
                self.c.call(op, session=a.session, **fields)
            self.assertEqual(cm.exception.code, "INVALID_ARGUMENT",
                             f"{op} {fields}: {cm.exception}")
        # an action that is a msgpack str but not UTF-8
        packed = msgpack.packb({"v": [1, 0], "id": 99, "op": "STEP",
                                "session": a.session, "actions": ["\x01\x02"]})
        packed = packed.replace(b"\xa2\x01\x02", b"\xa2\xff\xfe")
        h = self.raw(packed)
        self.assertEqual((h["id"], h["error"]["code"]), (99, "INVALID_ARGUMENT"))
        # a's env is where it was: stepping it matches a fresh replay in b
        ha, fa = self.c.call("STEP", session=a.session, actions=[ACTION])
        self.c.call("STEP", session=b.session, actions=["wait"])
        hb, fb = self.c.call("STEP", session=b.session, actions=[ACTION])
        self.assertEqual(ha["infos"], hb["infos"])
        self.assertEqual(bytes(fa[0].buffer), bytes(fb[0].buffer))
        self.assertEqual(bytes(fa[1].buffer), bytes(fb[1].buffer))
        self.assertEqual(ha["infos"][0]["episode_step"], 2)

    def test_sessions_independent(self):
        a = self.make(1)
        self.c.call("RESET", session=a.session, seed=1)
        other = Client(SERVER.endpoint, timeout_ms=20000)
        self.addCleanup(other.close)
        b = Session(other)
        b.make(num_envs=1)
        self.addCleanup(b.close)
        other.call("RESET", session=b.session, seed=1)
        for _ in range(5):  # b misbehaves
            with self.assertRaises(PanError):
                other.call("STEP", session=b.session, actions=["x" * 300])
        self.assert_code("NOT_FOUND", "STEP", session=12345,
                         actions=["wait"])
        h, _ = self.c.call("STEP", session=a.session, actions=[ACTION])
        h2, _ = other.call("STEP", session=b.session, actions=[ACTION])
        self.assertEqual(h["infos"], h2["infos"])


class TestClient(Base):
    def test_pipelining(self):
        s = self.make(1)
        self.c.call("RESET", session=s.session, seed=2)
        ids = [self.c.send("STEP", {"session": s.session,
                                    "actions": ["wait"]}) for _ in range(4)]
        steps = []
        for rid in ids:
            h, _ = self.c.recv(rid)
            steps.append(h["infos"][0]["episode_step"])
        self.assertEqual(steps, [1, 2, 3, 4])

    def test_stale_replies_dropped(self):
        self.c.send("HELLO", {})                 # never read by call()
        self.c.send_raw([b"\xc1"])               # reply with a nil id
        dropped = self.c.dropped
        h, _ = self.c.call("PING")
        self.assertEqual(self.c.dropped, dropped + 2)
        self.assertNotIn("server", h)

    def test_timeout(self):
        ctx = zmq.Context.instance()
        silent = ctx.socket(zmq.ROUTER)        # a peer that answers late
        silent.setsockopt(zmq.LINGER, 0)
        silent.setsockopt(zmq.RCVTIMEO, 20000)
        port = silent.bind_to_random_port("tcp://127.0.0.1")
        self.addCleanup(silent.close)
        c = Client(f"tcp://127.0.0.1:{port}", timeout_ms=200)
        self.addCleanup(c.close)
        with self.assertRaises(pc.PanTimeoutError) as cm:
            c.call("HELLO")
        self.assertIsInstance(cm.exception, TimeoutError)
        self.assertEqual(cm.exception.code, "TIMEOUT")
        peer, late = silent.recv_multipart()
        late = msgpack.unpackb(late)
        self.assertEqual(late["op"], "HELLO")
        # the next request: the peer answers the timed-out one first
        rid = c.send("PING")
        peer2, req = silent.recv_multipart()
        req = msgpack.unpackb(req)
        self.assertEqual((peer2, req["id"], req["op"]), (peer, rid, "PING"))
        for answered in (late["id"], rid):
            silent.send_multipart([peer, msgpack.packb(
                {"v": [1, 0], "id": answered, "ok": True,
                 "answers": answered})])
        h, _ = c.recv(rid, timeout_ms=20000)
        self.assertEqual(h["answers"], rid)
        self.assertEqual(c.dropped, 1)

    def test_zero_copy(self):
        s = self.make(2)
        obs, _ = s.reset(seed=3)
        for key, dtype in (("frames", np.uint8), ("latent", np.float32)):
            arr = obs[key]
            self.assertEqual(arr.dtype, dtype)
            self.assertFalse(arr.flags.owndata, key)
            base = arr
            while isinstance(base, np.ndarray):
                base = base.base
            self.assertIsInstance(base, memoryview, key)
            self.assertIsInstance(base.obj, zmq.Frame, key)

    def test_decode_tensor_checks(self):
        blob = [np.arange(6, dtype="<f4").tobytes()]
        t = {"dtype": "f4", "shape": [2, 3], "frame": 1}
        self.assertEqual(pc.decode_tensor(t, blob, "t").shape, (2, 3))
        for bad, dt, shp in (({**t, "shape": [4]}, None, None),
                             ({**t, "frame": 2}, None, None),
                             ({**t, "dtype": "f2"}, None, None),
                             (t, "u1", None), (t, None, (3, 2)),
                             ({"dtype": "b1", "shape": [2],
                               "data": b"\x00\x02"}, None, None)):
            with self.assertRaises(pc.ProtocolError):
                pc.decode_tensor(bad, blob, "t", dt, shp)
        inline = {"dtype": "b1", "shape": [2], "data": b"\x01\x00"}
        self.assertEqual(pc.decode_tensor(inline, [], "t").tolist(),
                         [True, False])

    def test_req_socket(self):
        sock = zmq.Context.instance().socket(zmq.REQ)
        sock.setsockopt(zmq.LINGER, 0)
        sock.setsockopt(zmq.RCVTIMEO, 20000)
        self.addCleanup(sock.close)
        sock.connect(SERVER.endpoint)
        sock.send(msgpack.packb({"v": [1, 0], "id": 77, "op": "HELLO"}))
        h = msgpack.unpackb(sock.recv())
        self.assertEqual((h["id"], h["ok"]), (77, True))


if __name__ == "__main__":
    server_path()
    unittest.main(verbosity=2)
