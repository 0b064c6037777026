#!/usr/bin/env python3
"""tests/worlds/test_dataset_reader.py: the Python reader and viewer against
files the C writer made.

- pan-data gen writes tabletop and rooms episodes; pan.dataset reads each
  and must agree field for field with `pan-data info --json` (the C
  reader), frames by shape and CRC32.
- Re-packing the decoded body with msgpack-python gives the same bytes
  (the layout is unambiguous), and C accepts a file Python sealed.
- Truncated, corrupted (checksum), wrong-version files and bodies with a
  valid checksum but wrong fields raise DatasetError naming file and field.
- python3 -m pan.view writes a GIF (one frame per episode frame) and a PNG
  strip that PIL reads back; usage errors exit 2, unreadable files 1.
It FAILS (never skips) when numpy, msgpack or PIL is missing.
Usage: test_dataset_reader.py PATH_TO_PAN_DATA SCRATCH_DIR
(with PYTHONPATH=agents/python)
"""

import json
import os
import shutil
import struct
import subprocess
import sys
import traceback
import zlib

try:
    import msgpack
    import numpy as np
    from PIL import Image
except ImportError as e:
    print(f"FAILED: {e}. The dataset reader needs Debian's python3-numpy, "
          "python3-msgpack and python3-pil: apt-get install python3-numpy "
          "python3-msgpack python3-pil", file=sys.stderr)
    sys.exit(1)

from pan import dataset
from pan.dataset import DatasetError

PAN_DATA = sys.argv[1] if len(sys.argv) > 1 else "pan-data"
SCRATCH = sys.argv[2] if len(sys.argv) > 2 else "test_dataset_reader.scratch"
failures = []
passed = 0


def check(cond, what):
    global passed
    if cond:
        passed += 1
    else:
        failures.append(what)
        print(f"CHECK FAILED: {what}", file=sys.stderr)


def run(*args, expect=0):
    p = subprocess.run(list(args), capture_output=True, text=True)
    if p.returncode != expect:
        print(p.stdout, p.stderr, file=sys.stderr)
    check(p.returncode == expect,
          f"{' '.join(args[:4])}... exit {p.returncode}, expected {expect}")
    return p


def expect_error(path, kind, field, what):
    try:
        dataset.read_episode(path)
    except DatasetError as e:
        ok = e.kind == kind and path in str(e) and (field is None or
                                                    field in str(e))
        if not ok:
            print(f"{what}: got {e.kind}: {e}", file=sys.stderr)
        check(ok, f"{what}: DatasetError {kind} naming {field}")
        return
    except Exception:
        traceback.print_exc()
        check(False, f"{what}: raised something else than DatasetError")
        return
    check(False, f"{what}: no error")


def seal(body, version=1, flags=0):
    head = dataset.MAGIC + struct.pack("<IIQ", version, flags, len(body))
    return head + body + struct.pack("<I", zlib.crc32(head + body))


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def generate():
    tabletop = os.path.join(SCRATCH, "tabletop")
    rooms = os.path.join(SCRATCH, "rooms")
    run(PAN_DATA, "gen", "--world", "tabletop", "--episodes", "3", "--steps",
        "4", "--seed", "5", "--out", tabletop, "--quiet")
    run(PAN_DATA, "gen", "--world", "rooms", "--episodes", "1", "--steps",
        "5", "--size", "48", "--frames-per-step", "2", "--split", "any",
        "--seed", "6", "--out", rooms, "--quiet")
    files = dataset.list_episodes(tabletop) + dataset.list_episodes(rooms)
    check(len(files) == 4, "4 episode files generated")
    return files


def compare_with_c(path):
    ep = dataset.read_episode(path)
    js = json.loads(run(PAN_DATA, "info", path, "--json").stdout)
    check(ep.world == js["world"] and ep.seed == js["seed"] and
          ep.split == js["split"] and ep.steps == js["steps"],
          f"{path}: meta agrees with C")
    check([ep.height, ep.width, ep.frames_per_step] ==
          [js["config"]["height"], js["config"]["width"],
           js["config"]["frames_per_step"]], f"{path}: config agrees")
    check(list(ep.frames.shape) == js["frames"]["shape"] and
          ep.frames.dtype == np.uint8, f"{path}: frames shape")
    check(zlib.crc32(ep.frames.tobytes()) == js["frames"]["crc32"],
          f"{path}: frames CRC32 agrees with C")
    check(ep.actions == js["actions"], f"{path}: actions agree")
    check(ep.results == js["results"], f"{path}: results agree")
    same = len(ep.states) == len(js["states"]) == ep.steps + 1
    for mine, theirs in zip(ep.states, js["states"]):
        for key in ("heading", "seed", "rng", "steps"):
            same = same and mine[key] == theirs[key]
        for key in ("brightness", "camera_x", "camera_y"):
            same = same and np.float32(mine[key]) == np.float32(theirs[key])
        same = same and len(mine["objects"]) == len(theirs["objects"])
        for a, b in zip(mine["objects"], theirs["objects"]):
            same = same and all(a[k] == b[k] for k in
                                ("colour", "shape", "visible"))
            same = same and all(np.float32(a[k]) == np.float32(b[k])
                                for k in ("x", "y", "size"))
    check(same, f"{path}: states agree with C")
    check(ep.chunk(0).shape == (ep.frames_per_step, ep.height, ep.width, 3),
          "chunk shape")
    check(np.array_equal(ep.frame_before(1), ep.frames[ep.frames_per_step]),
          "frame_before")
    return ep


def body_of(path):
    with open(path, "rb") as f:
        data = f.read()
    return data, data[dataset.HEADER_SIZE:-dataset.TRAILER_SIZE]


def test_repack(path):
    data, body = body_of(path)
    obj = msgpack.unpackb(body, raw=False)
    again = msgpack.packb(obj, use_bin_type=True, use_single_float=True)
    check(again == body, "msgpack-python re-packs the body byte for byte")
    sealed = os.path.join(SCRATCH, "python-sealed.pan")
    write(sealed, seal(again))
    check(open(sealed, "rb").read() == data, "Python's seal equals C's file")
    run(PAN_DATA, "info", sealed)


def test_corruption(path):
    data, body = body_of(path)
    bad = os.path.join(SCRATCH, "bad.pan")
    cuts = list(range(0, 40)) + list(range(40, len(data), 211)) + [len(data) - 1]
    for cut in cuts:
        write(bad, data[:cut])
        expect_error(bad, "data_loss", None, f"cut at {cut}")
    for at in list(range(0, 32)) + list(range(32, len(data), 307)):
        for pattern in (0x01, 0xFF):
            flipped = bytearray(data)
            flipped[at] ^= pattern
            write(bad, bytes(flipped))
            expect_error(bad, "data_loss", None, f"byte {at} ^ {pattern:#x}")
    write(bad, data + b"\0")
    expect_error(bad, "data_loss", "body_length", "appended byte")
    write(bad, seal(body, version=3))
    expect_error(bad, "unsupported", "version", "version 3")
    write(bad, seal(body, version=2))  # a version-1 body is not version 2
    expect_error(bad, "invalid", "results", "version-1 body, version-2 header")
    write(bad, seal(body, flags=1))
    expect_error(bad, "unsupported", "flags", "flags 1")
    write(bad, seal(b"\xdd\xff\xff\xff\xff"))
    expect_error(bad, "data_loss", "body", "array32 that lies")
    write(bad, seal(b"\x80\xc0"))
    expect_error(bad, "data_loss", "body", "trailing bytes")
    expect_error(os.path.join(SCRATCH, "nope.pan"), "io", None, "missing file")


def test_fields(path):
    """Bodies with a valid checksum but wrong fields."""
    _, body = body_of(path)
    bad = os.path.join(SCRATCH, "field.pan")

    def case(mutate, field, what, kind="invalid"):
        obj = msgpack.unpackb(body, raw=False)
        mutate(obj)
        write(bad, seal(msgpack.packb(obj, use_bin_type=True,
                                      use_single_float=True)))
        if kind is None:
            dataset.read_episode(bad)
            run(PAN_DATA, "info", bad)  # C accepts it too
            check(True, what)
        else:
            expect_error(bad, kind, field, what)
            run(PAN_DATA, "info", bad, expect=1)  # and C refuses it

    case(lambda o: o.update(seed="x"), "seed", "seed as text")
    case(lambda o: o.update(world="chess"), "world", "unknown world")
    case(lambda o: o.update(split="test"), "split", "unknown split")
    case(lambda o: o.pop("frames"), "frames", "frames missing")
    case(lambda o: o.update(frames=o["frames"][:-1]), "frames", "frames short")
    case(lambda o: o.update(steps=o["steps"] + 1), "frames", "steps too many")
    case(lambda o: o["actions"].append("wait"), "actions", "one action more")
    case(lambda o: o.update(extra=1), "extra", "unknown key")
    case(lambda o: o["config"].update(height=31), "config.height", "height 31")
    case(lambda o: o["results"][1].update(template_id=True),
         "results[1].template_id", "bool for an integer")
    case(lambda o: o["results"][0].update(kind="magic"), "results[0].kind",
         "unknown kind")
    case(lambda o: o["states"][1]["objects"][0].update(colour=9),
         "states[1].objects[0].colour", "colour 9")
    case(lambda o: o["states"][0].update(heading=4), "states[0].heading",
         "heading 4")
    case(lambda o: o["states"][2]["objects"].__setitem__(
        slice(None), o["states"][2]["objects"] * 17), "states[2].objects",
        "too many objects")
    case(lambda o: o["actions"].__setitem__(0, "a" * 257), "actions[0]",
         "action too long")
    case(lambda o: o["actions"].__setitem__(0, "a" * 256), None,
         "action of 256 bytes", kind=None)
    case(lambda o: o["actions"].__setitem__(1, "d\xe9placer"), None,
         "non-ASCII action", kind=None)
    case(lambda o: o["states"][0]["objects"].clear(), None, "no objects",
         kind=None)

    # float64 values: exact float32 values pass, others do not
    obj = msgpack.unpackb(body, raw=False)
    obj["states"][0]["objects"][0]["x"] = 2.5
    write(bad, seal(msgpack.packb(obj, use_bin_type=True)))  # float64
    check(dataset.read_episode(bad).states[0]["objects"][0]["x"] == 2.5,
          "float64 2.5 accepted")
    obj["states"][0]["objects"][0]["x"] = 0.1
    write(bad, seal(msgpack.packb(obj, use_bin_type=True)))
    expect_error(bad, "invalid", "states[0].objects[0].x", "float64 0.1")
    run(PAN_DATA, "info", bad, expect=1)

    # a duplicate key needs a hand-packed map
    obj = msgpack.unpackb(body, raw=False)
    packer = msgpack.Packer(use_bin_type=True, use_single_float=True)
    raw = packer.pack_map_header(len(obj) + 1)
    for key, value in obj.items():
        raw += packer.pack(key) + packer.pack(value)
    raw += packer.pack("seed") + packer.pack(1)
    write(bad, seal(raw))
    expect_error(bad, "invalid", "twice", "duplicate key")
    run(PAN_DATA, "info", bad, expect=1)


def test_view(path, ep):
    gif = os.path.join(SCRATCH, "episode.gif")
    png = os.path.join(SCRATCH, "episode.png")
    run(sys.executable, "-m", "pan.view", path, "--gif", gif, "--png", png)
    check(os.path.exists(gif) and os.path.exists(png), "view wrote both")
    if os.path.exists(gif):
        with Image.open(gif) as im:
            check(im.format == "GIF" and
                  im.n_frames == ep.steps * ep.frames_per_step + 1,
                  f"GIF has one frame per episode frame ({im.n_frames})")
            check(im.size[0] == ep.width * 4, "GIF scale 4")
    if os.path.exists(png):
        with Image.open(png) as im:
            check(im.format == "PNG" and im.mode == "RGB", "PNG strip")
            k = ep.frames_per_step
            check(im.size[0] == 8 + (k + 1) * ep.width * 2 + (k - 1) * 2 + 8,
                  f"PNG strip width {im.size[0]}")
            check(im.size[1] > ep.steps * ep.height * 2, "PNG one row per step")
    run(sys.executable, "-m", "pan.view", path, expect=2)
    run(sys.executable, "-m", "pan.view", path, "--png", png, "--scale", "0",
        expect=2)
    run(sys.executable, "-m", "pan.view", os.path.join(SCRATCH, "nope.pan"),
        "--png", png, expect=1)


def main():
    shutil.rmtree(SCRATCH, ignore_errors=True)
    os.makedirs(SCRATCH)
    files = generate()
    episodes = [compare_with_c(f) for f in files]
    if files:
        check([e.world for e in episodes] == ["tabletop"] * 3 + ["rooms"],
              "worlds")
        test_repack(files[0])
        test_repack(files[-1])
        test_corruption(files[0])
        test_fields(files[0])
        test_view(files[-1], episodes[-1])
    print(f"test_dataset_reader: {passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
