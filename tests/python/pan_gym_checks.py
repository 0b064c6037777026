"""tests/python/pan_gym_checks.py: what the gymnasium suites
(test_py_gymnasium, test_py_gym_vector, test_py_gym_model) share. They run
under the venv's Python (PAN_VENV_PYTHON, scripts/venv.sh) with the REAL
gymnasium; nothing here stands in for it.

- GYMNASIUM: the imported gymnasium. Importing this module exits with a
  FAILED message naming scripts/venv.sh when gymnasium (>= 1.0) or moviepy
  does not import, or when the gymnasium found is not an installed
  distribution (a stand-in package on the path).
- checked(case, fn, *args, allowed=(), **kwargs): runs fn (one of
  gymnasium's checkers) recording every warning; the test fails on a
  warning whose text holds none of the `allowed` strings. Returns the
  warnings' texts.
- LATENT_UNBOUNDED: the two warnings check_env gives for the latent Box,
  whose bounds are -inf..inf because the server declares them so (a true
  state or a model latent has no finite bound in the protocol).
- without_autoreset(infos): batched infos without "autoreset" /
  "_autoreset" (nested too): the one key where PanVectorEnv (server-side
  autoreset) and gymnasium's SyncVectorEnv over PanEnvs differ by design.
- read_mp4(path) -> ({"codec", "size": (W, H), "fps"}, list of (H, W, 3)
  uint8 frames), decoded by ffmpeg (imageio-ffmpeg's, the one moviepy
  writes with); fails unless the file is an MP4 (an "ftyp" box at offset
  4) with a video stream.
"""

import importlib.metadata
import os
import re
import subprocess
import sys
import warnings

import numpy as np


def _fail(msg):
    raise SystemExit(f"FAILED: {msg}. Make the venv with scripts/venv.sh "
                     "(pip install -e 'agents/python[gym]') and run this "
                     "suite with its interpreter (PAN_VENV_PYTHON).")


try:
    import gymnasium as GYMNASIUM
    import moviepy  # noqa: F401  (RecordVideo's writer)
except ImportError as e:
    _fail(f"{e} (interpreter {sys.executable})")
try:
    _dist = importlib.metadata.distribution("gymnasium")
except importlib.metadata.PackageNotFoundError:
    _fail(f"gymnasium imported from {GYMNASIUM.__file__} is not an installed "
          "distribution")
if os.path.realpath(str(_dist.locate_file("gymnasium/__init__.py"))) != \
        os.path.realpath(GYMNASIUM.__file__):
    _fail(f"gymnasium imported from {GYMNASIUM.__file__}, but the installed "
          f"distribution {_dist.version} is elsewhere")
if int(GYMNASIUM.__version__.split(".")[0]) < 1:
    _fail(f"gymnasium {GYMNASIUM.__version__} is older than 1.0")

LATENT_UNBOUNDED = (
    "A Box observation space minimum value is -infinity",
    "A Box observation space maximum value is infinity",
)


def checked(case, fn, *args, allowed=(), **kwargs):
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        fn(*args, **kwargs)
    texts = [str(w.message) for w in seen]
    unexpected = [t for t in texts if not any(a in t for a in allowed)]
    case.assertEqual(unexpected, [], f"{getattr(fn, '__name__', fn)} warned")
    return texts


def without_autoreset(infos):
    return {k: without_autoreset(v) if isinstance(v, dict) else v
            for k, v in infos.items() if k not in ("autoreset", "_autoreset")}


def read_mp4(path):
    with open(path, "rb") as f:
        head = f.read(12)
    if len(head) < 12 or head[4:8] != b"ftyp":
        raise AssertionError(f"{path}: not an MP4 file (first bytes {head!r})")
    import imageio_ffmpeg  # moviepy's ffmpeg
    exe = imageio_ffmpeg.get_ffmpeg_exe()
    info = subprocess.run([exe, "-hide_banner", "-i", path], text=True,
                          capture_output=True).stderr  # exits 1: no output
    m = re.search(r"Video: (\w+).*?, (\d+)x(\d+)[, \[].*?([\d.]+) fps", info)
    if m is None:
        raise AssertionError(f"{path}: ffmpeg finds no video stream:\n{info}")
    w, h = int(m.group(2)), int(m.group(3))
    meta = {"codec": m.group(1), "size": (w, h), "fps": float(m.group(4))}
    raw = subprocess.run([exe, "-v", "error", "-i", path, "-f", "rawvideo",
                          "-pix_fmt", "rgb24", "-"], capture_output=True,
                         check=True).stdout
    if len(raw) % (h * w * 3):
        raise AssertionError(f"{path}: {len(raw)} bytes of frames")
    frames = list(np.frombuffer(raw, dtype=np.uint8).reshape(-1, h, w, 3))
    return meta, frames
