"""pan.client: the protocol v1 client (docs/protocol.md) over ZeroMQ + msgpack.

Contract
- Client(endpoint, timeout_ms) owns one DEALER socket connected to a
  pan-server. call(op, **fields) sends one request and returns (header,
  frames): the reply's msgpack header as a dict and its blob frames (a list
  of zmq.Frame, received with copy=False). numpy arrays among the fields are
  sent as tensors (their own blob frames); numpy scalars become plain ints,
  floats and bools.
- Every request gets a fresh id (uint64). Replies whose id is not the one
  awaited (late replies to a request that timed out, or replies to raw
  messages) are dropped and counted in Client.dropped. A call that gets no
  reply within timeout_ms raises PanTimeoutError; the socket stays usable.
- A reply with ok=false raises the PanError subclass of its code
  (InvalidArgumentError, NotFoundError, ...; PanError.code holds the code
  string, PanError.message the server's message). A reply that breaks the
  protocol (not msgpack, wrong version, a tensor whose blob is missing or
  has the wrong size, a dtype or shape other than expected) raises
  ProtocolError.
- Tensors are decoded with numpy.frombuffer over the frames' buffers:
  no copy. The arrays do not own their data (their base is the frame's
  memoryview, which keeps the frame alive) and must be treated as
  read-only.
- Session wraps the session ops (MAKE, RESET, STEP, SAMPLE, RENDER, FORK,
  RESTORE, ROLLOUT, RELEASE, CLOSE, PING, STATS) and decodes their replies
  into numpy arrays and plain dicts, checking dtypes and shapes against the
  session's spaces. PanEnv (pan.env) and PanVectorEnv (pan.vector) are built
  on it.
- Thread safety: none; use one Client per thread (ZeroMQ sockets are not
  thread-safe).
- Needs Debian's python3-zmq, python3-msgpack and python3-numpy.
"""

import itertools
import os
import time

import msgpack
import numpy as np
import zmq

PROTOCOL_VERSION = (1, 0)
DEFAULT_ENDPOINT = "tcp://127.0.0.1:5555"
DEFAULT_TIMEOUT_MS = 30000
MAX_RANK = 8

# protocol dtype -> numpy dtype (little-endian, as on the wire)
DTYPES = {
    "u1": np.dtype("u1"), "b1": np.dtype("?"),
    "i4": np.dtype("<i4"), "u4": np.dtype("<u4"),
    "i8": np.dtype("<i8"), "u8": np.dtype("<u8"),
    "f4": np.dtype("<f4"), "f8": np.dtype("<f8"),
}
_NP_TO_PROTOCOL = {np.dtype(v).newbyteorder("<"): k for k, v in DTYPES.items()}

INFO_KEYS = ("is_reset", "autoreset", "seed", "episode_step", "understood",
             "action_kind", "canonical", "message", "heldout", "task",
             "success")
_INFO_TYPES = {"is_reset": bool, "autoreset": bool, "seed": int,
               "episode_step": int, "understood": bool, "action_kind": str,
               "canonical": str, "message": str, "heldout": bool, "task": str,
               "success": bool}


# ---- errors ----------------------------------------------------------------

class PanError(Exception):
    """An error reply (code: the protocol's code string) or a client-side
    failure (PanTimeoutError, ProtocolError)."""

    code = "UNKNOWN"

    def __init__(self, code, message):
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")


class InvalidArgumentError(PanError):
    code = "INVALID_ARGUMENT"


class FailedPreconditionError(PanError):
    code = "FAILED_PRECONDITION"


class NotFoundError(PanError):
    code = "NOT_FOUND"


class ResourceExhaustedError(PanError):
    code = "RESOURCE_EXHAUSTED"


class UnimplementedError(PanError):
    code = "UNIMPLEMENTED"


class VersionMismatchError(PanError):
    code = "VERSION_MISMATCH"


class UnavailableError(PanError):
    code = "UNAVAILABLE"


class InternalError(PanError):
    code = "INTERNAL"


class PanTimeoutError(PanError, TimeoutError):
    """No reply within the client's timeout (client side; code "TIMEOUT")."""
    code = "TIMEOUT"


class ProtocolError(PanError):
    """A reply that breaks docs/protocol.md (client side; code "PROTOCOL")."""
    code = "PROTOCOL"


ERRORS = {cls.code: cls for cls in (
    InvalidArgumentError, FailedPreconditionError, NotFoundError,
    ResourceExhaustedError, UnimplementedError, VersionMismatchError,
    UnavailableError, InternalError)}


def error_from_reply(error):
    """The PanError (subclass) for a reply's "error" map."""
    if not isinstance(error, dict) or not isinstance(error.get("code"), str) \
            or not isinstance(error.get("message"), str):
        return ProtocolError("PROTOCOL", f"error reply: expected a map with "
                             f"str 'code' and 'message', found {error!r}")
    cls = ERRORS.get(error["code"], PanError)
    return cls(error["code"], error["message"])


# ---- tensors ---------------------------------------------------------------

def decode_tensor(t, frames, name, dtype=None, shape=None):
    """The numpy array of tensor map `t` (blob `t["frame"]` of `frames`, 1 =
    the first blob, or inline `t["data"]`), without copying. dtype: the
    protocol dtype required (or None); shape: the shape required, None
    entries match any size. ProtocolError naming `name` otherwise."""
    if not isinstance(t, dict):
        raise ProtocolError("PROTOCOL", f"tensor '{name}': expected a map, "
                            f"found {type(t).__name__}")
    dt = t.get("dtype")
    if dt not in DTYPES:
        raise ProtocolError("PROTOCOL", f"tensor '{name}': dtype {dt!r} is "
                            f"not one of {sorted(DTYPES)}")
    if dtype is not None and dt != dtype:
        raise ProtocolError("PROTOCOL", f"tensor '{name}': expected dtype "
                            f"{dtype}, found {dt}")
    shp = t.get("shape")
    if not isinstance(shp, list) or len(shp) > MAX_RANK or not all(
            isinstance(s, int) and not isinstance(s, bool) and s >= 0
            for s in shp):
        raise ProtocolError("PROTOCOL", f"tensor '{name}': shape must be a "
                            f"list of at most {MAX_RANK} uints, found {shp!r}")
    shp = tuple(shp)
    if shape is not None and (len(shape) != len(shp) or any(
            want is not None and want != got for want, got in zip(shape, shp))):
        want = tuple("*" if s is None else s for s in shape)
        raise ProtocolError("PROTOCOL", f"tensor '{name}': expected shape "
                            f"{want}, found {shp}")
    npdt = DTYPES[dt]
    nbytes = int(np.prod(shp, dtype=np.int64)) * npdt.itemsize
    if "frame" in t:
        idx = t["frame"]
        if not isinstance(idx, int) or isinstance(idx, bool) or not \
                1 <= idx <= len(frames):
            raise ProtocolError("PROTOCOL", f"tensor '{name}': frame {idx!r} "
                                f"is not a blob of this reply (1..{len(frames)})")
        buf = frames[idx - 1]
        buf = buf.buffer if isinstance(buf, zmq.Frame) else memoryview(buf)
    elif "data" in t and isinstance(t["data"], bytes):
        buf = memoryview(t["data"])
    else:
        raise ProtocolError("PROTOCOL", f"tensor '{name}': neither 'frame' "
                            "nor bin 'data'")
    if buf.nbytes != nbytes:
        raise ProtocolError("PROTOCOL", f"tensor '{name}': {dt} {shp} needs "
                            f"{nbytes} bytes, the blob has {buf.nbytes}")
    arr = np.frombuffer(buf, dtype=npdt).reshape(shp)
    if dt == "b1" and arr.size and arr.view(np.uint8).max() > 1:
        raise ProtocolError("PROTOCOL", f"tensor '{name}': b1 bytes must be "
                            "0 or 1")
    return arr


def encode_tensor(array, blobs):
    """Appends `array`'s bytes (C order, little-endian) to blobs and returns
    its tensor map."""
    array = np.asarray(array)
    dt = array.dtype.newbyteorder("<") if array.dtype.byteorder != "|" \
        else array.dtype
    if dt not in _NP_TO_PROTOCOL:
        raise ValueError(f"tensor: numpy dtype {array.dtype} has no protocol "
                         f"dtype ({sorted(DTYPES)})")
    array = np.ascontiguousarray(array, dtype=dt)
    blobs.append(array.tobytes())
    return {"dtype": _NP_TO_PROTOCOL[dt], "shape": list(array.shape),
            "frame": len(blobs)}


def _encode(value, blobs):
    if isinstance(value, np.ndarray):
        return encode_tensor(value, blobs)
    if isinstance(value, (np.bool_, np.integer, np.floating)):
        return value.item()
    if isinstance(value, dict):
        return {k: _encode(v, blobs) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v, blobs) for v in value]
    return value


# ---- the transport ---------------------------------------------------------

class Client:
    """One DEALER socket to a pan-server (see the module contract)."""

    def __init__(self, endpoint=DEFAULT_ENDPOINT, timeout_ms=DEFAULT_TIMEOUT_MS,
                 context=None):
        if not isinstance(timeout_ms, int) or timeout_ms <= 0:
            raise ValueError(f"Client: timeout_ms must be a positive int, "
                             f"found {timeout_ms!r}")
        self.endpoint = endpoint
        self.timeout_ms = timeout_ms
        self.dropped = 0
        self._ctx = context or zmq.Context.instance()
        self._sock = self._ctx.socket(zmq.DEALER)
        self._sock.setsockopt(zmq.LINGER, 0)
        self._sock.connect(endpoint)
        # ids start at a random point so two clients of one server rarely
        # share ids (not required: replies are routed per connection)
        self._ids = itertools.count(int.from_bytes(os.urandom(4), "little") + 1)

    @property
    def closed(self):
        return self._sock is None

    def close(self):
        if self._sock is not None:
            self._sock.close(linger=0)
            self._sock = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _socket(self):
        if self._sock is None:
            raise ValueError("Client: the client is closed")
        return self._sock

    def send(self, op, fields=None, request_id=None):
        """Sends one request without waiting; returns its id."""
        blobs = []
        rid = next(self._ids) if request_id is None else request_id
        header = {"v": list(PROTOCOL_VERSION), "id": rid, "op": op}
        header.update(_encode(dict(fields or {}), blobs))
        self._socket().send_multipart([msgpack.packb(header, use_bin_type=True)]
                                      + blobs, copy=False)
        return rid

    def send_raw(self, parts):
        """Sends raw frames (bytes) as they are (conformance tests)."""
        self._socket().send_multipart(list(parts))

    def recv_raw(self, timeout_ms=None):
        """The next reply as (header dict, frames), whatever its id."""
        sock = self._socket()
        timeout = self.timeout_ms if timeout_ms is None else timeout_ms
        if not sock.poll(timeout, zmq.POLLIN):
            raise PanTimeoutError("TIMEOUT", f"no reply from {self.endpoint} "
                                  f"within {timeout} ms")
        parts = sock.recv_multipart(copy=False)
        try:
            header = msgpack.unpackb(parts[0].buffer, raw=False)
        except Exception as e:  # msgpack raises several exception types
            raise ProtocolError("PROTOCOL", f"reply header is not msgpack: "
                                f"{e}") from None
        if not isinstance(header, dict):
            raise ProtocolError("PROTOCOL", "reply header: expected a map, "
                                f"found {type(header).__name__}")
        v = header.get("v")
        if not isinstance(v, list) or len(v) != 2 or v[0] != PROTOCOL_VERSION[0]:
            raise ProtocolError("PROTOCOL", f"reply header: v must be [1, x], "
                                f"found {v!r}")
        if not isinstance(header.get("ok"), bool):
            raise ProtocolError("PROTOCOL", "reply header: 'ok' must be a "
                                f"bool, found {header.get('ok')!r}")
        return header, parts[1:]

    def recv(self, request_id, timeout_ms=None):
        """The reply to request_id (others are dropped); raises its error."""
        timeout = self.timeout_ms if timeout_ms is None else timeout_ms
        deadline = time.monotonic() + timeout / 1000.0
        while True:
            left = max(0, int((deadline - time.monotonic()) * 1000))
            try:
                header, frames = self.recv_raw(left)
            except PanTimeoutError:
                raise PanTimeoutError(
                    "TIMEOUT", f"request {request_id}: no reply from "
                    f"{self.endpoint} within {timeout} ms") from None
            if header.get("id") != request_id:
                self.dropped += 1
                continue
            if not header["ok"]:
                raise error_from_reply(header.get("error"))
            return header, frames

    def call(self, op, **fields):
        """Sends `op` with `fields` and returns the reply (header, frames)."""
        return self.recv(self.send(op, fields))


# ---- decoding helpers shared by the session ops ---------------------------

def _need(header, key, types, op):
    if key not in header:
        raise ProtocolError("PROTOCOL", f"{op} reply: field '{key}' missing")
    value = header[key]
    if not isinstance(value, types) or (isinstance(value, bool)
                                        and bool not in _tuple(types)):
        raise ProtocolError("PROTOCOL", f"{op} reply: field '{key}' has type "
                            f"{type(value).__name__}")
    return value


def _tuple(types):
    return types if isinstance(types, tuple) else (types,)


def decode_info(info, where):
    """Checks an info map (docs/protocol.md "Observations and infos") and
    returns it as a plain dict with the protocol's keys in order (extra keys
    such as final_obs are left to the caller)."""
    if not isinstance(info, dict):
        raise ProtocolError("PROTOCOL", f"{where}: expected an info map, "
                            f"found {type(info).__name__}")
    out = {}
    for key in INFO_KEYS:
        if key not in info:
            raise ProtocolError("PROTOCOL", f"{where}: info key '{key}' "
                                "missing")
        value, want = info[key], _INFO_TYPES[key]
        if type(value) is not want:
            raise ProtocolError("PROTOCOL", f"{where}: info '{key}' must be "
                                f"{want.__name__}, found {type(value).__name__}")
        out[key] = value
    return out


class Session:
    """One server session (MAKE ... CLOSE): typed ops over a Client.

    After make(): session (id), num_envs, spaces and metadata (the MAKE
    reply's maps), and the per-env shapes frames_shape (K, H, W, 3) or None
    in latent mode, latent_shape (Q, D)."""

    def __init__(self, client):
        self.client = client
        self.session = None
        self.num_envs = 0
        self.spaces = None
        self.metadata = None
        self.frames_shape = None
        self.latent_shape = None

    # -- creation and description
    def make(self, world="tabletop", num_envs=1, obs_mode="full",
             autoreset_mode="next_step", max_episode_steps=50, width=None,
             height=None, frames_per_step=None, model=None):
        fields = {"num_envs": num_envs, "obs_mode": obs_mode,
                  "autoreset_mode": autoreset_mode,
                  "max_episode_steps": max_episode_steps}
        if model is not None:
            fields["model"] = model
        else:
            fields["world"] = world
        for key, value in (("width", width), ("height", height),
                           ("frames_per_step", frames_per_step)):
            if value is not None:
                fields[key] = value
        header, _ = self.client.call("MAKE", **fields)
        self.session = _need(header, "session", int, "MAKE")
        self.num_envs = _need(header, "num_envs", int, "MAKE")
        if self.num_envs != num_envs:
            raise ProtocolError("PROTOCOL", f"MAKE reply: num_envs "
                                f"{self.num_envs}, requested {num_envs}")
        self._set_spaces(_need(header, "spaces", dict, "MAKE"),
                         _need(header, "metadata", dict, "MAKE"))
        return header

    def _set_spaces(self, spaces, metadata):
        try:
            obs = spaces["observation"]["spaces"]
            self.latent_shape = tuple(obs["latent"]["shape"])
            self.frames_shape = tuple(obs["frames"]["shape"]) \
                if "frames" in obs else None
        except (KeyError, TypeError) as e:
            raise ProtocolError("PROTOCOL", f"MAKE reply: spaces lack {e}") \
                from None
        self.spaces, self.metadata = spaces, metadata

    def call(self, op, **fields):
        if self.session is None:
            raise ValueError(f"{op}: the session is closed (or was never made)")
        return self.client.call(op, session=self.session, **fields)

    # -- observations
    def decode_obs(self, obs, frames, where, n=None):
        """{"frames": u1 (n, K, H, W, 3), "latent": f4 (n, Q, D)} (no frames
        in latent mode); n None decodes one env's obs (no leading axis)."""
        if not isinstance(obs, dict):
            raise ProtocolError("PROTOCOL", f"{where}: expected an obs map")
        lead = () if n is None else (n,)
        out = {}
        if self.frames_shape is not None:
            if "frames" not in obs:
                raise ProtocolError("PROTOCOL", f"{where}: obs lacks frames")
            out["frames"] = decode_tensor(obs["frames"], frames,
                                          f"{where}.frames", "u1",
                                          lead + self.frames_shape)
        out["latent"] = decode_tensor(obs.get("latent"), frames,
                                      f"{where}.latent", "f4",
                                      lead + self.latent_shape)
        return out

    def _infos(self, header, op):
        infos = _need(header, "infos", list, op)
        if len(infos) != self.num_envs:
            raise ProtocolError("PROTOCOL", f"{op} reply: {len(infos)} infos "
                                f"for {self.num_envs} envs")
        return infos

    def _decode_infos(self, header, frames, op, allow_nil):
        out = []
        for i, info in enumerate(self._infos(header, op)):
            if info is None and allow_nil:
                out.append(None)
                continue
            out.append(decode_info(info, f"{op} reply infos[{i}]"))
        return out

    def _flags(self, header, key, op, kind):
        values = _need(header, key, list, op)
        if len(values) != self.num_envs or not all(
                type(v) is kind or (kind is float and type(v) is int)
                for v in values):
            raise ProtocolError("PROTOCOL", f"{op} reply: '{key}' must be "
                                f"{self.num_envs} {kind.__name__}s")
        return values

    # -- the ops
    def reset(self, seed=None, task=None, reset_mask=None, initial_frames=None):
        """seed: None, an int (env i gets seed + i) or N ints. reset_mask:
        None or N bools (a list, or a numpy bool array sent as a b1 tensor).
        initial_frames: None or uint8 (N, H, W, 3), world-model sessions
        only: the frames the episodes start from (docs/protocol.md).
        Returns (obs batch, infos: N dicts or None for envs not reset)."""
        fields = {}
        if seed is not None:
            fields["seed"] = seed
        options = {}
        if task is not None:
            options["task"] = task
        if reset_mask is not None:
            options["reset_mask"] = reset_mask
        if initial_frames is not None:
            frames = np.asarray(initial_frames)
            if frames.dtype != np.uint8 or frames.ndim != 4:
                raise ValueError(f"RESET: initial_frames must be uint8 (N, H, "
                                 f"W, 3), found {frames.dtype} {frames.shape}")
            options["initial_frames"] = frames
        if options:
            fields["options"] = options
        header, frames = self.call("RESET", **fields)
        obs = self.decode_obs(_need(header, "obs", dict, "RESET"), frames,
                              "RESET reply obs", self.num_envs)
        return obs, self._decode_infos(header, frames, "RESET", True)

    def step(self, actions):
        """Returns (obs, reward, terminated, truncated, infos, finals):
        reward a list of floats, flags lists of bools, infos N dicts, finals
        N entries None or (final_obs of one env, final_info) (same_step)."""
        header, frames = self.call("STEP", actions=list(actions))
        op = "STEP"
        obs = self.decode_obs(_need(header, "obs", dict, op), frames,
                              "STEP reply obs", self.num_envs)
        reward = [float(r) for r in self._flags(header, "reward", op, float)]
        terminated = self._flags(header, "terminated", op, bool)
        truncated = self._flags(header, "truncated", op, bool)
        infos, finals = [], []
        for i, raw in enumerate(self._infos(header, op)):
            where = f"STEP reply infos[{i}]"
            infos.append(decode_info(raw, where))
            if "final_obs" in raw or "final_info" in raw:
                if "final_obs" not in raw or "final_info" not in raw:
                    raise ProtocolError("PROTOCOL", f"{where}: final_obs and "
                                        "final_info come together")
                finals.append((self.decode_obs(raw["final_obs"], frames,
                                               f"{where}.final_obs"),
                               decode_info(raw["final_info"],
                                           f"{where}.final_info")))
            else:
                finals.append(None)
        return obs, reward, terminated, truncated, infos, finals

    def sample(self, split="train"):
        header, _ = self.call("SAMPLE", split=split)
        actions = _need(header, "actions", list, "SAMPLE")
        if len(actions) != self.num_envs or not all(
                isinstance(a, str) for a in actions):
            raise ProtocolError("PROTOCOL", f"SAMPLE reply: expected "
                                f"{self.num_envs} strings")
        return actions

    def render(self, env=None):
        """(N, H, W, 3) uint8, or (H, W, 3) for one env."""
        fields = {} if env is None else {"env": env}
        header, frames = self.call("RENDER", **fields)
        if self.frames_shape is not None:
            hw = self.frames_shape[1:]
        else:
            hw = (self.metadata["height"], self.metadata["width"], 3)
        shape = tuple(hw) if env is not None else (self.num_envs,) + tuple(hw)
        return decode_tensor(_need(header, "frames", dict, "RENDER"), frames,
                             "RENDER reply frames", "u1", shape)

    def fork(self, envs=None):
        fields = {} if envs is None else {"envs": [int(e) for e in envs]}
        header, _ = self.call("FORK", **fields)
        ids = _need(header, "state_ids", list, "FORK")
        want = self.num_envs if envs is None else len(fields["envs"])
        if len(ids) != want or not all(type(i) is int for i in ids):
            raise ProtocolError("PROTOCOL", f"FORK reply: expected {want} "
                                "uint64 state ids")
        return ids

    def restore(self, envs, state_ids):
        header, frames = self.call("RESTORE", envs=[int(e) for e in envs],
                                   state_ids=[int(s) for s in state_ids])
        obs = self.decode_obs(_need(header, "obs", dict, "RESTORE"), frames,
                              "RESTORE reply obs", self.num_envs)
        return obs, self._decode_infos(header, frames, "RESTORE", True)

    def rollout(self, state_ids, actions, frames=False):
        """Returns {"reward": f4 (B, T), "terminated", "truncated": bool
        (B, T), "latent": f4 (B, T, Q, D)[, "frames": u1 (B, T, K, H, W,
        3)]}."""
        state_ids = [int(s) for s in state_ids]
        actions = [list(row) for row in actions]
        header, blobs = self.call("ROLLOUT", state_ids=state_ids,
                                  actions=actions, frames=bool(frames))
        B = len(state_ids)
        T = len(actions[0]) if actions else 0
        out = {}
        for key, dt, shape in (("reward", "f4", (B, T)),
                               ("terminated", "b1", (B, T)),
                               ("truncated", "b1", (B, T)),
                               ("latent", "f4", (B, T) + self.latent_shape)):
            out[key] = decode_tensor(_need(header, key, dict, "ROLLOUT"),
                                     blobs, f"ROLLOUT reply {key}", dt, shape)
        if frames:
            kshape = self.frames_shape or (
                self.metadata["frames_per_step"], self.metadata["height"],
                self.metadata["width"], 3)
            out["frames"] = decode_tensor(
                _need(header, "frames", dict, "ROLLOUT"), blobs,
                "ROLLOUT reply frames", "u1", (B, T) + tuple(kshape))
        return out

    def release(self, state_ids):
        header, _ = self.call("RELEASE", state_ids=[int(s) for s in state_ids])
        return _need(header, "released", int, "RELEASE")

    def ping(self):
        self.call("PING")

    def stats(self):
        header, _ = self.call("STATS")
        return header

    def close(self):
        """CLOSE (idempotent; a session the server already dropped is fine)."""
        if self.session is None:
            return
        try:
            if not self.client.closed:
                self.client.call("CLOSE", session=self.session)
        except (NotFoundError, PanTimeoutError, UnavailableError):
            pass
        finally:
            self.session = None
