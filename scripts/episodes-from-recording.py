#!/usr/bin/env python3
"""Converts recorded video-action episodes into a pan-data directory of
external recordings (episode files, format version 2: docs/dataset.md,
"Bring your own data").

    /usr/bin/python3 scripts/episodes-from-recording.py RECORDING_DIR \\
        --world NAME --frames-per-step K --out OUT_DIR [--size HxW] [--quiet]

RECORDING_DIR holds one entry per episode, converted in name order:
  NAME/          a directory with actions.txt (T lines, UTF-8, one action
                 per line, each at most 256 bytes) and the frames as
                 frame-00000.png, frame-00001.png, ... (T*K+1 images
                 numbered from 0 without gaps; RGB, or anything Pillow
                 converts to RGB)
  NAME.npz       numpy arrays `frames` (uint8, (T*K+1, H, W, 3), RGB) and
                 `actions` (T strings: a unicode or UTF-8 bytes array)
Frame 0 is the frame before action 0; step t shows frames 1+t*K..(t+1)*K.
Other entries are skipped with a note. Every episode must have the same
frame size, 32..256 on each side, or --size HxW resizes every frame
(Pillow, Lanczos). OUT_DIR gets episode-000000.pan, episode-000001.pan, ...
(episode i has seed i, not interpreted) and sources.txt (episode file, tab,
source entry); it must not hold episode files already. Everything is
checked before the first file is written; an error exits 1 naming the
source file. Needs numpy, Pillow and msgpack (Debian python3-numpy,
python3-pil, python3-msgpack) and agents/python (found from this script's
place). Exit codes: 0 ok, 1 bad input or failure, 2 usage.
"""
import argparse
import os
import re
import sys

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "agents", "python"))
from pan import dataset  # noqa: E402

FRAME_NAME = re.compile(r"frame-(\d{5,})\.png\Z")


class InputError(Exception):
    """A recording that cannot be converted; the message names the file."""


def parse_size(text):
    m = re.fullmatch(r"(\d+)x(\d+)", text)
    if not m:
        raise argparse.ArgumentTypeError(f"expected HxW, e.g. 64x64, found '{text}'")
    h, w = int(m.group(1)), int(m.group(2))
    if not (dataset.MIN_SIZE <= h <= dataset.MAX_SIZE and
            dataset.MIN_SIZE <= w <= dataset.MAX_SIZE):
        raise argparse.ArgumentTypeError(
            f"expected {dataset.MIN_SIZE}..{dataset.MAX_SIZE} on each side, "
            f"found {h}x{w}")
    return h, w


def read_actions_txt(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e}") from e
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: not UTF-8: {e}") from e
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the last line
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def frame_files(directory):
    """The directory's frame-NNNNN.png paths in order; gaps are errors."""
    numbers = {}
    for name in os.listdir(directory):
        m = FRAME_NAME.match(name)
        if not m:
            continue
        n = int(m.group(1))
        if name != f"frame-{n:05d}.png":
            raise InputError(f"{os.path.join(directory, name)}: expected the "
                             f"name frame-{n:05d}.png")
        numbers[n] = name
    for n in range(len(numbers)):
        if n not in numbers:
            raise InputError(f"{directory}: frame-{n:05d}.png is missing "
                             f"({len(numbers)} frame files, numbered up to "
                             f"{max(numbers)})")
    return [os.path.join(directory, numbers[n]) for n in range(len(numbers))]


class Source:
    """One recorded episode: scan() checks what it can without decoding
    every frame and sets scan_shape, the (H, W) it will be written at;
    load() returns (frames, actions)."""

    def __init__(self, path, k, size):
        self.path, self.k, self.size = path, k, size

    def _check_counts(self, n_frames, actions, where):
        t = len(actions)
        if t < 1:
            raise InputError(f"{where}: no actions (an episode needs at least one)")
        if t > dataset.MAX_STEPS:
            raise InputError(f"{where}: {t} actions, at most {dataset.MAX_STEPS}")
        if n_frames != t * self.k + 1:
            raise InputError(f"{where}: {n_frames} frames for {t} actions, "
                             f"expected T*K+1 = {t * self.k + 1} (K={self.k})")
        for i, a in enumerate(actions):
            n = len(a.encode("utf-8", "surrogateescape"))
            if n > dataset.ACTION_MAX or "\0" in a:
                raise InputError(f"{where}: action {i} is {n} bytes"
                                 f"{' with a NUL byte' if chr(0) in a else ''}"
                                 f", expected at most {dataset.ACTION_MAX} "
                                 "without NUL")

    def _shape(self, h, w, where):
        self.scan_shape = self.size or (h, w)
        if self.size:
            return self.size
        if not (dataset.MIN_SIZE <= h <= dataset.MAX_SIZE and
                dataset.MIN_SIZE <= w <= dataset.MAX_SIZE):
            raise InputError(f"{where}: frames are {h}x{w} (HxW), expected "
                             f"{dataset.MIN_SIZE}..{dataset.MAX_SIZE} on each "
                             "side; resize with --size HxW")
        return h, w


class DirectorySource(Source):
    def scan(self):
        actions = read_actions_txt(os.path.join(self.path, "actions.txt"))
        files = frame_files(self.path)
        self._check_counts(len(files), actions, self.path)
        shape = None
        for f in files:
            try:
                with Image.open(f) as im:
                    w, h = im.size
            except OSError as e:
                raise InputError(f"{f}: not an image Pillow reads: {e}") from e
            if shape and (h, w) != shape:
                raise InputError(f"{f}: {h}x{w} (HxW), the episode's first "
                                 f"frame is {shape[0]}x{shape[1]}")
            shape = (h, w)
        self.files, self.actions = files, actions
        return self._shape(*shape, self.path)

    def load(self):
        h, w = self.scan_shape
        frames = np.empty((len(self.files), h, w, 3), dtype=np.uint8)
        for i, f in enumerate(self.files):
            try:
                with Image.open(f) as im:
                    im = im.convert("RGB")
                    if im.size != (w, h):
                        im = im.resize((w, h), Image.Resampling.LANCZOS)
                    frames[i] = np.asarray(im, dtype=np.uint8)
            except OSError as e:
                raise InputError(f"{f}: cannot decode: {e}") from e
        return frames, self.actions


class NpzSource(Source):
    def _arrays(self):
        try:
            with np.load(self.path, allow_pickle=False) as z:
                if "frames" not in z or "actions" not in z:
                    raise InputError(f"{self.path}: expected arrays 'frames' "
                                     f"and 'actions', found {sorted(z.files)}")
                frames, actions = z["frames"], z["actions"]
        except (OSError, ValueError) as e:
            raise InputError(f"{self.path}: cannot read (an .npz of a uint8 "
                             f"'frames' and a string 'actions' array): {e}") from e
        if actions.dtype.kind == "S" and actions.ndim == 1:
            try:
                actions = [a.decode("utf-8") for a in actions]
            except UnicodeDecodeError as e:
                raise InputError(f"{self.path}: actions are not UTF-8: {e}") from e
        elif actions.dtype.kind == "U" and actions.ndim == 1:
            actions = [str(a) for a in actions]
        else:
            raise InputError(f"{self.path}: 'actions' must be a 1-D string "
                             f"array, found dtype {actions.dtype} shape "
                             f"{actions.shape}")
        if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[3] != 3:
            raise InputError(f"{self.path}: 'frames' must be uint8 "
                             f"(T*K+1, H, W, 3), found {frames.dtype} "
                             f"{frames.shape}")
        return frames, actions

    def scan(self):
        frames, actions = self._arrays()
        self._check_counts(frames.shape[0], actions, self.path)
        return self._shape(frames.shape[1], frames.shape[2], self.path)

    def load(self):
        frames, actions = self._arrays()
        h, w = self.scan_shape
        if frames.shape[1:3] != (h, w):
            frames = np.stack([np.asarray(Image.fromarray(f).resize(
                (w, h), Image.Resampling.LANCZOS)) for f in frames])
        return frames, actions


def find_sources(recording, k, size, quiet):
    sources = []
    for name in sorted(os.listdir(recording)):
        path = os.path.join(recording, name)
        if name.startswith("."):
            continue
        if os.path.isdir(path):
            sources.append(DirectorySource(path, k, size))
        elif name.endswith(".npz") and os.path.isfile(path):
            sources.append(NpzSource(path, k, size))
        elif not quiet:
            print(f"episodes-from-recording: skipping {path} (neither a "
                  "directory nor an .npz file)", file=sys.stderr)
    return sources


def convert(args):
    if not os.path.isdir(args.recording):
        raise InputError(f"{args.recording}: not a directory")
    if os.path.isdir(args.out) and dataset.list_episodes(args.out):
        raise InputError(f"{args.out}: already holds episode files; choose a "
                         "new or empty directory")
    sources = find_sources(args.recording, args.frames_per_step, args.size,
                           args.quiet)
    if not sources:
        raise InputError(f"{args.recording}: no episodes (directories or "
                         ".npz files)")
    # First pass: every count, name and size, before anything is written.
    for s in sources:
        s.scan()
        if s.scan_shape != sources[0].scan_shape:
            raise InputError(
                f"{s.path}: frames are {s.scan_shape[0]}x{s.scan_shape[1]}, "
                f"{sources[0].path} has {sources[0].scan_shape[0]}x"
                f"{sources[0].scan_shape[1]}; give --size HxW for one size")
    os.makedirs(args.out, exist_ok=True)
    listing = []
    total_steps = 0
    for i, s in enumerate(sources):
        frames, actions = s.load()
        name = f"episode-{i:06d}.pan"
        try:
            dataset.write_episode(os.path.join(args.out, name), frames,
                                  actions, args.world, args.frames_per_step,
                                  seed=i)
        except dataset.DatasetError as e:
            raise InputError(f"{s.path}: {e}") from e
        listing.append(f"{name}\t{os.path.basename(s.path)}\n")
        total_steps += len(actions)
        if not args.quiet:
            print(f"episodes-from-recording: {name} <- {s.path} "
                  f"({len(actions)} steps, {frames.shape[0]} frames)",
                  file=sys.stderr)
    with open(os.path.join(args.out, "sources.txt"), "w") as f:
        f.writelines(listing)
    h, w = sources[0].scan_shape
    print(f"episodes-from-recording: {len(sources)} episodes, {total_steps} "
          f"steps, {h}x{w} K={args.frames_per_step}, world '{args.world}' in "
          f"{args.out}", file=sys.stderr)


def main(argv):
    p = argparse.ArgumentParser(
        prog="episodes-from-recording.py",
        description="Converts recorded episodes (frame PNGs + actions.txt, "
        "or .npz) into pan episode files (format version 2).")
    p.add_argument("recording", help="directory of recorded episodes")
    p.add_argument("--world", required=True,
                   help="the recording's name, [a-z0-9][a-z0-9_-]{0,30}, not "
                   "tabletop or rooms")
    p.add_argument("--frames-per-step", type=int, required=True,
                   help="K, frames after each action (1..16)")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--size", type=parse_size,
                   help="resize every frame to HxW (32..256 each)")
    p.add_argument("--quiet", action="store_true", help="only the summary")
    args = p.parse_args(argv[1:])
    if not 1 <= args.frames_per_step <= dataset.MAX_FRAMES_PER_STEP:
        p.error(f"--frames-per-step: expected 1..{dataset.MAX_FRAMES_PER_STEP}, "
                f"found {args.frames_per_step}")
    if not dataset.RECORDING_NAME.match(args.world) or args.world in dataset.WORLDS:
        p.error(f"--world: expected [a-z0-9][a-z0-9_-]{{0,30}} and not a "
                f"built-in world ({', '.join(dataset.WORLDS)}), found "
                f"'{args.world}'")
    try:
        convert(args)
    except (InputError, OSError) as e:
        print(f"episodes-from-recording: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
