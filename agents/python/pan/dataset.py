"""pan.dataset: read, validate and write pan episode files (docs/dataset.md).

Contract
- read_episode(path) returns an Episode after checking everything, in the
  C reader's order: file size against the header's declared body length,
  magic, CRC32 (zlib), version and flags, the msgpack body, then every
  field's presence, type, range and shape. Nothing is trusted before it is
  checked. It reads format version 1 (an episode of a ground-truth world,
  with parse results and true states) and version 2 (an external
  recording: frames and actions only; Episode.results and .states are
  None, Episode.truth is False).
- write_episode(path, frames, actions, world, frames_per_step) writes an
  external recording (version 2) byte for byte as the C writer
  (pan_episode_write) writes the same episode, atomically: a temporary
  ".<name>.tmp<6 characters>" in the same directory, fsync, rename, fsync
  of the directory; on failure the temporary is removed. It validates with
  the reader's rules first and raises DatasetError (kind "invalid", or
  "io") without writing anything.
- Any problem raises DatasetError naming the file and the field, with
  `kind` mirroring the C status: "data_loss" (truncated or corrupt: size,
  magic, checksum, malformed msgpack), "unsupported" (an intact file of
  another format version), "invalid" (fields missing, unknown, of the wrong
  type, out of range or of inconsistent shape), "io" (cannot read).
- Episode.frames is a read-only numpy uint8 array (T*K+1, H, W, 3) viewing
  the file's bytes; states and results are plain dicts with the field names
  of the format. Needs numpy and msgpack (Debian python3-numpy,
  python3-msgpack).
"""

import errno
import math
import os
import re
import secrets
import string
import struct
import zlib
from dataclasses import dataclass, field as dataclass_field

import msgpack
import numpy as np

FORMAT_VERSION = 1            # an episode of a ground-truth world (truth)
FORMAT_VERSION_EXTERNAL = 2   # an external recording (no truth)
MAGIC = b"\x89PANEPI\n"
HEADER_SIZE = 24
TRAILER_SIZE = 4
MAX_STEPS = 65536
MAX_FRAME_BYTES = 0xFFFFFFFF
MAX_FILE_BYTES = (1 << 32) + (1 << 28)
MIN_SIZE, MAX_SIZE = 32, 256
MAX_FRAMES_PER_STEP = 16
MAX_OBJECTS = 16
ACTION_MAX, CANONICAL_MAX, MESSAGE_MAX, WORLD_MAX = 256, 95, 127, 31

WORLDS = ("tabletop", "rooms")
# The world name of an external recording (and not one of WORLDS).
RECORDING_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,30}\Z")
SPLITS = ("train", "heldout", "any")
KINDS = ("none", "agent", "environment")
COLOURS = ("red", "green", "blue", "yellow", "purple", "orange")
SHAPES = ("square", "circle", "triangle")

INT32 = (-(1 << 31), (1 << 31) - 1)
INT64 = (-(1 << 63), (1 << 63) - 1)
UINT64 = (0, (1 << 64) - 1)
FLOAT32_MAX = 3.4028234663852886e38


class DatasetError(Exception):
    """A file that cannot be trusted. kind: data_loss, unsupported, invalid
    or io; path: the file; field: the field, e.g. "states[3].objects[1].x"."""

    def __init__(self, kind, path, field, message):
        self.kind, self.path, self.field = kind, path, field
        where = f"field '{field}': " if field else ""
        super().__init__(f"episode {path}: {where}{message}")


@dataclass
class Episode:
    path: str
    version: int
    world: str
    seed: int
    split: str
    height: int
    width: int
    frames_per_step: int
    steps: int
    frames: np.ndarray            # uint8 (T*K+1, H, W, 3), read-only
    actions: list                 # T strings
    results: list                 # T dicts: understood, kind, heldout, ...
                                  # None for an external recording
    states: list                  # T+1 dicts: objects, brightness, ...
                                  # None for an external recording
    file_bytes: int = 0
    extra: dict = dataclass_field(default_factory=dict)

    @property
    def truth(self):
        """True for an episode of a ground-truth world (format version 1,
        results and states present), False for an external recording."""
        return self.version == FORMAT_VERSION

    def frame_before(self, t):
        """The frame the world showed when action t was taken (H, W, 3)."""
        return self.frames[t * self.frames_per_step]

    def chunk(self, t):
        """The K frames of step t (K, H, W, 3)."""
        k = self.frames_per_step
        return self.frames[1 + t * k: 1 + (t + 1) * k]


class _Pairs(list):
    """A msgpack map as its (key, value) pairs, so duplicates are seen."""


def _type_name(v):
    if v is None:
        return "nil"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, int):
        return "an integer"
    if isinstance(v, float):
        return "a float"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, bytes):
        return "a bin"
    if isinstance(v, _Pairs):
        return "a map"
    if isinstance(v, list):
        return "an array"
    return "an ext"


class _Reader:
    def __init__(self, path):
        self.path = path

    def fail(self, kind, field, message):
        raise DatasetError(kind, self.path, field, message)

    def bad_type(self, field, expected, v):
        self.fail("invalid", field, f"expected {expected}, found {_type_name(v)}")

    def map(self, field, v, names):
        if not isinstance(v, _Pairs):
            self.bad_type(field, "a map", v)
        out = {}
        for key, value in v:
            if not isinstance(key, str):
                self.fail("invalid", field,
                          f"expected string keys, found {_type_name(key)}")
            if key not in names:
                self.fail("invalid", field, f"unknown key '{key[:40]}'")
            if key in out:
                self.fail("invalid", field, f"key '{key}' appears twice")
            out[key] = value
        for name in names:
            if name not in out:
                self.fail("invalid", f"{field}.{name}" if field else name,
                          "is missing")
        return out

    def int(self, field, v, lo, hi):
        if isinstance(v, bool) or not isinstance(v, int):
            self.bad_type(field, "an integer", v)
        if not lo <= v <= hi:
            self.fail("invalid", field,
                      f"expected an integer in {lo}..{hi}, found {v}")
        return v

    def bool(self, field, v):
        if not isinstance(v, bool):
            self.bad_type(field, "a boolean", v)
        return v

    def float(self, field, v):
        if not isinstance(v, float):
            self.bad_type(field, "a float", v)
        if not math.isfinite(v):
            self.fail("invalid", field, f"expected a finite number, found {v}")
        if abs(v) > FLOAT32_MAX or float(np.float32(v)) != v:
            self.fail("invalid", field,
                      f"expected a float32 value, found float64 {v!r}")
        return v

    def str(self, field, v, max_bytes):
        if not isinstance(v, str):
            self.bad_type(field, "a string", v)
        n = len(v.encode("utf-8", "surrogateescape"))
        if n > max_bytes:
            self.fail("invalid", field,
                      f"expected at most {max_bytes} bytes of text, found {n}")
        if "\0" in v:
            self.fail("invalid", field, "text contains a NUL byte")
        return v

    def choice(self, field, v, names, max_bytes=15):
        s = self.str(field, v, max_bytes)
        if s not in names:
            self.fail("invalid", field, f"expected {', '.join(names)}, "
                      f"found '{s}'")
        return s

    def array(self, field, v, lo, hi):
        if isinstance(v, _Pairs) or not isinstance(v, list):
            self.bad_type(field, "an array", v)
        if not lo <= len(v) <= hi:
            want = f"{lo}" if lo == hi else f"{lo}..{hi}"
            self.fail("invalid", field,
                      f"expected {want} elements, found {len(v)}")
        return v

    # -- the format's parts --

    def object(self, field, v):
        m = self.map(field, v, ("colour", "shape", "x", "y", "size", "visible"))
        return {
            "colour": self.int(f"{field}.colour", m["colour"], 0, len(COLOURS) - 1),
            "shape": self.int(f"{field}.shape", m["shape"], 0, len(SHAPES) - 1),
            "x": self.float(f"{field}.x", m["x"]),
            "y": self.float(f"{field}.y", m["y"]),
            "size": self.float(f"{field}.size", m["size"]),
            "visible": self.bool(f"{field}.visible", m["visible"]),
        }

    def state(self, field, v):
        m = self.map(field, v, ("objects", "brightness", "camera_x", "camera_y",
                                "heading", "seed", "rng", "steps"))
        objects = self.array(f"{field}.objects", m["objects"], 0, MAX_OBJECTS)
        return {
            "objects": [self.object(f"{field}.objects[{i}]", o)
                        for i, o in enumerate(objects)],
            "brightness": self.float(f"{field}.brightness", m["brightness"]),
            "camera_x": self.float(f"{field}.camera_x", m["camera_x"]),
            "camera_y": self.float(f"{field}.camera_y", m["camera_y"]),
            "heading": self.int(f"{field}.heading", m["heading"], 0, 3),
            "seed": self.int(f"{field}.seed", m["seed"], *UINT64),
            "rng": self.int(f"{field}.rng", m["rng"], *UINT64),
            "steps": self.int(f"{field}.steps", m["steps"], 0, INT64[1]),
        }

    def result(self, field, v):
        m = self.map(field, v, ("understood", "kind", "heldout", "template_id",
                                "canonical", "message"))
        return {
            "understood": self.bool(f"{field}.understood", m["understood"]),
            "kind": self.choice(f"{field}.kind", m["kind"], KINDS),
            "heldout": self.bool(f"{field}.heldout", m["heldout"]),
            "template_id": self.int(f"{field}.template_id", m["template_id"],
                                    -1, INT32[1]),
            "canonical": self.str(f"{field}.canonical", m["canonical"],
                                  CANONICAL_MAX),
            "message": self.str(f"{field}.message", m["message"], MESSAGE_MAX),
        }


def _envelope(r, data):
    """Checks header, size, checksum, version; returns the body bytes."""
    if len(data) < HEADER_SIZE + TRAILER_SIZE:
        r.fail("data_loss", None, f"file is {len(data)} bytes, expected at "
               f"least {HEADER_SIZE + TRAILER_SIZE} (header and checksum): "
               "truncated")
    if data[:8] != MAGIC:
        r.fail("data_loss", "magic", "not a pan episode file (bad magic bytes)")
    version, flags, body_length = struct.unpack_from("<IIQ", data, 8)
    held = len(data) - HEADER_SIZE - TRAILER_SIZE
    if body_length != held:
        r.fail("data_loss", "body_length", f"header declares {body_length} "
               f"body bytes, the file holds {held} (file of {len(data)} "
               "bytes): truncated or corrupt")
    stored = struct.unpack_from("<I", data, len(data) - TRAILER_SIZE)[0]
    computed = zlib.crc32(memoryview(data)[:len(data) - TRAILER_SIZE])
    if stored != computed:
        r.fail("data_loss", "crc32", f"stored 0x{stored:08x}, computed "
               f"0x{computed:08x}: corrupt")
    if version not in (FORMAT_VERSION, FORMAT_VERSION_EXTERNAL):
        r.fail("unsupported", "version", f"format version {version}, this "
               f"reader reads versions {FORMAT_VERSION} and "
               f"{FORMAT_VERSION_EXTERNAL}")
    if flags != 0:
        r.fail("unsupported", "flags", f"0x{flags:08x}, version "
               f"{version} defines none (0)")
    return version, memoryview(data)[HEADER_SIZE:HEADER_SIZE + body_length]


def _unpack(r, body):
    try:
        return msgpack.unpackb(body, raw=False, unicode_errors="surrogateescape",
                               strict_map_key=False, use_list=True,
                               object_pairs_hook=_Pairs)
    except Exception as e:  # malformed msgpack of any kind
        r.fail("data_loss", "body", f"malformed msgpack: {e}")


def _load(path):
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size > MAX_FILE_BYTES:
                raise DatasetError("data_loss", path, None, f"file is {size} "
                                   f"bytes, over the format's limit of "
                                   f"{MAX_FILE_BYTES}")
            data = f.read(size + 1)
    except OSError as e:
        raise DatasetError("io", path, None, f"cannot read: {e}") from e
    if len(data) != size:
        raise DatasetError("data_loss", path, None,
                           "file changed size while being read")
    return data


# The body's keys in the writers' order; version 2 has all but the truth.
BODY_KEYS = ("world", "seed", "split", "config", "steps", "actions",
             "results", "states", "frames")
TRUTH_KEYS = ("results", "states")


def _recording_world(r, v):
    world = r.str("world", v, WORLD_MAX)
    if not RECORDING_NAME.match(world):
        r.fail("invalid", "world", "expected the name of a recording "
               f"([a-z0-9][a-z0-9_-]{{0,30}}), found '{world}'")
    if world in WORLDS:
        r.fail("invalid", "world", f"'{world}' is a built-in world; its "
               f"episodes keep their truth (format version {FORMAT_VERSION}), "
               f"an external recording (version {FORMAT_VERSION_EXTERNAL}) "
               "needs another name")
    return world


def read_episode(path):
    """Reads and validates one episode file; raises DatasetError."""
    path = os.fspath(path)
    r = _Reader(path)
    data = _load(path)
    version, body = _envelope(r, data)
    truth = version == FORMAT_VERSION
    root = _unpack(r, body)
    if not truth and isinstance(root, _Pairs):
        for key, _ in root:
            if key in TRUTH_KEYS:
                r.fail("invalid", key, f"present in a format version "
                       f"{version} file (an external recording has no "
                       "ground truth; an episode with truth is version "
                       f"{FORMAT_VERSION})")
    top = r.map("", root, BODY_KEYS if truth else
                tuple(k for k in BODY_KEYS if k not in TRUTH_KEYS))
    if truth:
        world = r.choice("world", top["world"], WORLDS, WORLD_MAX)
    else:
        world = _recording_world(r, top["world"])
    seed = r.int("seed", top["seed"], *UINT64)
    split = r.choice("split", top["split"], SPLITS)
    if not truth and split != "any":
        r.fail("invalid", "split", f"an external recording (format version "
               f"{version}) has split any, found {split}")
    config = r.map("config", top["config"], ("height", "width", "frames_per_step"))
    h = r.int("config.height", config["height"], MIN_SIZE, MAX_SIZE)
    w = r.int("config.width", config["width"], MIN_SIZE, MAX_SIZE)
    k = r.int("config.frames_per_step", config["frames_per_step"], 1,
              MAX_FRAMES_PER_STEP)
    steps = r.int("steps", top["steps"], 0 if truth else 1, MAX_STEPS)
    n_frames = steps * k + 1
    frame_bytes = n_frames * h * w * 3
    if frame_bytes > MAX_FRAME_BYTES:
        r.fail("invalid", "frames", f"{n_frames} frames of {h}x{w} take "
               f"{frame_bytes} bytes, more than the format's {MAX_FRAME_BYTES}")
    frames = top["frames"]
    if not isinstance(frames, bytes):
        r.bad_type("frames", "a bin", frames)
    if len(frames) != frame_bytes:
        r.fail("invalid", "frames", f"expected {frame_bytes} bytes "
               f"((T*K+1)*H*W*3 with T={steps} K={k} H={h} W={w}), found "
               f"{len(frames)}")
    actions = r.array("actions", top["actions"], steps, steps)
    actions = [r.str(f"actions[{t}]", a, ACTION_MAX) for t, a in enumerate(actions)]
    results = states = None
    if truth:
        results = r.array("results", top["results"], steps, steps)
        results = [r.result(f"results[{t}]", x) for t, x in enumerate(results)]
        states = r.array("states", top["states"], steps + 1, steps + 1)
        states = [r.state(f"states[{t}]", s) for t, s in enumerate(states)]
    pixels = np.frombuffer(frames, dtype=np.uint8).reshape(n_frames, h, w, 3)
    return Episode(path=path, version=version, world=world, seed=seed,
                   split=split, height=h, width=w, frames_per_step=k,
                   steps=steps, frames=pixels, actions=actions,
                   results=results, states=states, file_bytes=len(data))


def list_episodes(directory):
    """The episode files (*.pan, not hidden) of a directory, sorted."""
    names = sorted(n for n in os.listdir(directory)
                   if n.endswith(".pan") and not n.startswith("."))
    return [os.path.join(directory, n) for n in names]


def iter_episodes(directory):
    """Reads the episodes of a directory one at a time, in name order."""
    for path in list_episodes(directory):
        yield read_episode(path)


# ---- writing external recordings (format version 2) ----

def _bin_header(n):
    """The smallest msgpack bin header of n bytes (bin8, bin16, bin32)."""
    if n < 1 << 8:
        return b"\xc4" + struct.pack(">B", n)
    if n < 1 << 16:
        return b"\xc5" + struct.pack(">H", n)
    return b"\xc6" + struct.pack(">I", n)


def _check_recording(path, frames, actions, world, frames_per_step, seed):
    """The reader's rules for a version-2 episode, on the writer's inputs.
    Returns (frames as a C-ordered uint8 array, actions as str)."""
    r = _Reader(path)
    if not isinstance(world, str):
        r.bad_type("world", "a string", world)
    _recording_world(r, world)
    if isinstance(seed, bool) or not isinstance(seed, int):
        r.bad_type("seed", "an integer", seed)
    r.int("seed", seed, *UINT64)
    if isinstance(frames_per_step, bool) or not isinstance(frames_per_step, int):
        r.bad_type("config.frames_per_step", "an integer", frames_per_step)
    k = r.int("config.frames_per_step", frames_per_step, 1, MAX_FRAMES_PER_STEP)
    if isinstance(actions, (str, bytes)):
        r.bad_type("actions", "a sequence of strings", actions)
    actions = list(actions)
    steps = len(actions)
    if not 1 <= steps <= MAX_STEPS:
        r.fail("invalid", "steps", f"expected 1..{MAX_STEPS} actions (an "
               f"external recording), found {steps}")
    for t, a in enumerate(actions):
        if not isinstance(a, str):
            r.bad_type(f"actions[{t}]", "a string", a)
        try:
            a.encode("utf-8")
        except UnicodeEncodeError as e:
            r.fail("invalid", f"actions[{t}]", f"not encodable as UTF-8: {e}")
        r.str(f"actions[{t}]", a, ACTION_MAX)
    if not isinstance(frames, np.ndarray):
        r.bad_type("frames", "a numpy array", frames)
    if frames.dtype != np.uint8:
        r.fail("invalid", "frames", f"expected dtype uint8, found {frames.dtype}")
    want = steps * k + 1
    if frames.ndim != 4 or frames.shape[0] != want or frames.shape[3] != 3:
        r.fail("invalid", "frames", f"expected shape ({want}, H, W, 3) "
               f"(T*K+1 frames with T={steps} K={k}, RGB), found "
               f"{tuple(frames.shape)}")
    h, w = frames.shape[1], frames.shape[2]
    for name, v in (("config.height", h), ("config.width", w)):
        r.int(name, int(v), MIN_SIZE, MAX_SIZE)
    if frames.nbytes > MAX_FRAME_BYTES:
        r.fail("invalid", "frames", f"{want} frames of {h}x{w} take "
               f"{frames.nbytes} bytes, more than the format's "
               f"{MAX_FRAME_BYTES}")
    return np.ascontiguousarray(frames), actions


def _temporary(path):
    """Creates "<dir>/.<name>.tmp<6 characters>" exclusively (the C
    writer's temporaries, which pan-data check recognises); (fd, name)."""
    head, name = os.path.split(path)
    letters = string.ascii_letters + string.digits
    for _ in range(100):
        tail = "".join(secrets.choice(letters) for _ in range(6))
        tmp = os.path.join(head, f".{name}.tmp{tail}")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name for {path}")


def write_episode(path, frames, actions, world, frames_per_step, *, seed=0):
    """Writes an external recording (format version 2) to `path`.

    frames: numpy uint8 (T*K+1, H, W, 3), RGB, H and W in 32..256 (frame 0
    before action 0; step t shows frames 1+t*K .. (t+1)*K). actions: T
    strings (1 <= T <= 65536, each at most 256 UTF-8 bytes, no NUL).
    world: the recording's name, [a-z0-9][a-z0-9_-]{0,30}, not a built-in
    world. frames_per_step: K, 1..16. seed: any uint64, stored and not
    interpreted (default 0). Returns the file's size in bytes. Raises
    DatasetError ("invalid" before anything is written, "io")."""
    path = os.fspath(path)
    frames, actions = _check_recording(path, frames, actions, world,
                                       frames_per_step, seed)
    h, w = int(frames.shape[1]), int(frames.shape[2])
    # The C writer's body: a 7-key map in BODY_KEYS order less the truth,
    # smallest integer encodings, str for text, bin for the frames.
    packer = msgpack.Packer(use_bin_type=True, use_single_float=True)
    head = packer.pack_map_header(7)
    for key, value in (("world", world), ("seed", seed), ("split", "any"),
                       ("config", {"height": h, "width": w,
                                   "frames_per_step": frames_per_step}),
                       ("steps", len(actions)), ("actions", actions)):
        head += packer.pack(key) + packer.pack(value)
    head += packer.pack("frames") + _bin_header(frames.nbytes)
    body_length = len(head) + frames.nbytes
    header = MAGIC + struct.pack("<IIQ", FORMAT_VERSION_EXTERNAL, 0,
                                 body_length)
    pixels = memoryview(frames).cast("B")
    crc = zlib.crc32(pixels, zlib.crc32(head, zlib.crc32(header)))
    try:
        fd, tmp = _temporary(path)
    except OSError as e:
        raise DatasetError("io", path, None, f"cannot create a temporary: "
                           f"{e}") from e
    try:
        with os.fdopen(fd, "wb") as f:
            for part in (header, head, pixels, struct.pack("<I", crc)):
                f.write(part)
            f.flush()
            os.fchmod(f.fileno(), 0o644)
            os.fsync(f.fileno())
        os.rename(tmp, path)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise DatasetError("io", path, None, f"writing {tmp}: {e}") from e
    try:
        dfd = os.open(os.path.dirname(path) or ".", os.O_RDONLY)
    except OSError:
        dfd = None  # as the C writer: no directory to sync
    if dfd is not None:
        try:
            os.fsync(dfd)
        except OSError as e:  # accepted where a directory cannot be synced
            if e.errno not in (errno.EINVAL, errno.EROFS):
                raise DatasetError("io", path, None, "fsync of the directory: "
                                   f"{e}") from e
        finally:
            os.close(dfd)
    return len(header) + body_length + TRAILER_SIZE
