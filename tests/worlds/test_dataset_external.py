#!/usr/bin/env python3
"""tests/worlds/test_dataset_external.py: external recordings (format
version 2) from Python: the writer, the reader and the converter, held
against the C reader and writer.

- pan.dataset.write_episode writes a file that pan.dataset and the C
  reader (`pan-data info --json`, `pan-data check`) read back exactly;
  the C writer given the same episode (test_dataset_external --rewrite)
  writes the same bytes, and the Python writer given what C wrote too.
- The writer refuses bad inputs (built-in or bad world names, frame count,
  dtype, size, actions) and leaves no file and no temporary.
- The reader refuses, as C does, version-2 bodies with results or states,
  a built-in world, a bad name, another split, T = 0; version 3 is
  "unsupported".
- scripts/episodes-from-recording.py converts a tiny generated recording
  (PNG directories and .npz files) into episodes that `pan-data check`
  accepts and whose frames and actions are the recording's; its input
  errors exit 1 naming the source and write nothing, usage errors exit 2.
It FAILS (never skips) when numpy, msgpack or PIL is missing.
Usage: test_dataset_external.py PAN_DATA TEST_DATASET_EXTERNAL CONVERTER SCRATCH
(with PYTHONPATH=agents/python)
"""

import json
import os
import shutil
import struct
import subprocess
import sys
import zlib

try:
    import msgpack
    import numpy as np
    from PIL import Image
except ImportError as e:
    print(f"FAILED: {e}. Needs Debian's python3-numpy, python3-msgpack and "
          "python3-pil", file=sys.stderr)
    sys.exit(1)

from pan import dataset
from pan.dataset import DatasetError

if len(sys.argv) != 5:
    print(__doc__.strip().splitlines()[-2], file=sys.stderr)
    sys.exit(2)
PAN_DATA, REWRITE, CONVERTER, SCRATCH = sys.argv[1:5]
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
          f"{' '.join(os.path.basename(a) for a in args[:4])}... exit "
          f"{p.returncode}, expected {expect}")
    return p


def read(path):
    with open(path, "rb") as f:
        return f.read()


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def seal(body, version):
    head = dataset.MAGIC + struct.pack("<IIQ", version, 0, len(body))
    return head + body + struct.pack("<I", zlib.crc32(head + body))


def expect_error(path, kind, field, what):
    try:
        dataset.read_episode(path)
    except DatasetError as e:
        ok = e.kind == kind and path in str(e) and field in str(e)
        if not ok:
            print(f"{what}: got {e.kind}: {e}", file=sys.stderr)
        check(ok, f"{what}: DatasetError {kind} naming {field}")
        return
    check(False, f"{what}: no error")


def tiny(steps=3, k=2, h=32, w=40, seed=1):
    rng = np.random.default_rng(seed)
    frames = rng.integers(0, 256, (steps * k + 1, h, w, 3), dtype=np.uint8)
    actions = [f"move the red circle left {t}" for t in range(steps)]
    actions[0] = "d\xe9placer \"x\"\t\\ " + "a" * 200  # UTF-8, quotes, 217 B
    if steps > 2:
        actions[2] = ""
    return frames, actions


def test_writer_round_trip():
    frames, actions = tiny()
    path = os.path.join(SCRATCH, "py.pan")
    n = dataset.write_episode(path, frames, actions, "kitchen-cam_0", 2, seed=9)
    data = read(path)
    check(n == len(data), "write_episode returns the file size")
    check(struct.unpack_from("<I", data, 8)[0] == 2, "version field 2")
    ep = dataset.read_episode(path)
    check(ep.version == 2 and not ep.truth and ep.results is None and
          ep.states is None, "Python reads version 2 without truth")
    check(ep.world == "kitchen-cam_0" and ep.seed == 9 and ep.split == "any"
          and ep.steps == 3 and ep.frames_per_step == 2, "meta")
    check(np.array_equal(ep.frames, frames) and ep.actions == actions,
          "frames and actions")
    check(np.array_equal(ep.chunk(1), frames[3:5]), "chunk")
    # the C reader
    js = json.loads(run(PAN_DATA, "info", path, "--json").stdout or "{}")
    check(js.get("version") == 2 and js.get("truth") is False and
          js.get("results", 1) is None and js.get("states", 1) is None,
          "C: version 2, no truth")
    check(js.get("world") == "kitchen-cam_0" and js.get("seed") == 9 and
          js.get("split") == "any" and js.get("steps") == 3 and
          js.get("config") == {"height": 32, "width": 40,
                               "frames_per_step": 2}, "C: meta agrees")
    check(js.get("actions") == actions, "C: actions agree")
    check(js.get("frames") == {"shape": [7, 32, 40, 3],
                               "crc32": zlib.crc32(frames.tobytes())},
          "C: frames agree")
    text = run(PAN_DATA, "info", path).stdout
    check("external recording" in text, "pan-data info says external recording")
    out = run(PAN_DATA, "check", path).stdout
    check("external recording" in out, "pan-data check says external recording")
    # the C writer, given the same episode, writes the same bytes
    again = os.path.join(SCRATCH, "c.pan")
    run(REWRITE, "--rewrite", path, again)
    check(os.path.exists(again) and read(again) == data,
          "C writer gives the Python writer's bytes")
    # and a body packed by msgpack-python as documented is the same
    obj = msgpack.unpackb(data[24:-4], raw=False)
    check(list(obj) == ["world", "seed", "split", "config", "steps",
                        "actions", "frames"], "key order")
    check(seal(msgpack.packb(obj, use_bin_type=True, use_single_float=True),
               2) == data, "msgpack-python re-packs the body byte for byte")
    # non-contiguous frames are written as their values
    strided = np.zeros((7, 32, 80, 3), dtype=np.uint8)[:, :, ::2]
    strided[...] = frames
    other = os.path.join(SCRATCH, "strided.pan")
    dataset.write_episode(other, strided, actions, "kitchen-cam_0", 2, seed=9)
    check(read(other) == data, "strided frames: same bytes")
    # the frames' bin header: at least 2 frames of 32x32 (6,144 bytes) make
    # bin16 the smallest that occurs (above); 65,536 bytes and more bin32
    large = os.path.join(SCRATCH, "large.pan")
    f1, a1 = tiny(steps=4, k=4, h=64, w=64)
    dataset.write_episode(large, f1, a1, "s", 4)
    check(read(large)[-4 - f1.nbytes - 5] == 0xc6, "bin32 frames")
    run(REWRITE, "--rewrite", large, again)
    check(read(again) == read(large), "bin32 frames: C writes the same bytes")


def test_c_written():
    """A version-2 file written by C, re-written by Python: same bytes."""
    frames, actions = tiny(steps=4, k=3, h=48, w=33, seed=4)
    src = os.path.join(SCRATCH, "src.pan")
    dataset.write_episode(src, frames, actions, "x", 3, seed=2**64 - 1)
    c = os.path.join(SCRATCH, "c2.pan")
    run(REWRITE, "--rewrite", src, c)
    ep = dataset.read_episode(c)
    py = os.path.join(SCRATCH, "py2.pan")
    dataset.write_episode(py, ep.frames, ep.actions, ep.world,
                          ep.frames_per_step, seed=ep.seed)
    check(read(py) == read(c), "Python writer gives the C writer's bytes")


def test_writer_refuses():
    d = os.path.join(SCRATCH, "refuse")
    os.makedirs(d)
    path = os.path.join(d, "x.pan")
    frames, actions = tiny()

    def case(field, what, **kw):
        args = dict(frames=frames, actions=actions, world="cam",
                    frames_per_step=2)
        args.update(kw)
        try:
            dataset.write_episode(path, **args)
        except DatasetError as e:
            ok = e.kind == "invalid" and field in str(e)
            if not ok:
                print(f"{what}: {e.kind}: {e}", file=sys.stderr)
            check(ok, f"writer refuses {what} naming {field}")
            return
        check(False, f"writer refuses {what}")

    case("world", "tabletop", world="tabletop")
    case("world", "rooms", world="rooms")
    case("world", "upper case", world="Cam")
    case("world", "leading dash", world="-cam")
    case("world", "empty name", world="")
    case("world", "32 characters", world="a" * 32)
    case("world", "a space", world="a b")
    case("frames", "one frame too many", frames=np.concatenate([frames, frames[:1]]))
    case("frames", "float frames", frames=frames.astype(np.float32))
    case("frames", "grey frames", frames=frames[..., 0])
    case("frames", "RGBA frames", frames=np.concatenate(
        [frames, frames[..., :1]], axis=3))
    case("config.height", "height 31", frames=frames[:, :31])
    case("config.width", "width 257", frames=np.zeros((7, 32, 257, 3), np.uint8))
    case("config.frames_per_step", "K 0", frames_per_step=0)
    case("config.frames_per_step", "K 17", frames_per_step=17)
    case("steps", "no actions", actions=[], frames=frames[:1])
    case("actions[1]", "257-byte action", actions=[actions[0], "a" * 257, ""])
    case("actions[1]", "NUL in action", actions=[actions[0], "a\0b", ""])
    case("actions[1]", "a non-string action", actions=[actions[0], 5, ""])
    case("actions[1]", "a lone surrogate", actions=[actions[0], "\udc80", ""])
    case("seed", "negative seed", seed=-1)
    case("seed", "seed 2^64", seed=2**64)
    check(os.listdir(d) == [], "no file and no temporary after refusals")
    try:
        dataset.write_episode(os.path.join(d, "missing", "x.pan"), frames,
                              actions, "cam", 2)
        check(False, "missing directory refused")
    except DatasetError as e:
        check(e.kind == "io", "missing directory: io")


def test_reader_refuses():
    frames, actions = tiny()
    good = os.path.join(SCRATCH, "good.pan")
    dataset.write_episode(good, frames, actions, "cam", 2)
    body = read(good)[24:-4]
    bad = os.path.join(SCRATCH, "bad.pan")

    def case(mutate, field, what, version=2, kind="invalid"):
        obj = msgpack.unpackb(body, raw=False)
        mutate(obj)
        write(bad, seal(msgpack.packb(obj, use_bin_type=True,
                                      use_single_float=True), version))
        expect_error(bad, kind, field, what)
        p = run(PAN_DATA, "info", bad, expect=1)  # and C refuses it
        check(field in p.stderr, f"{what}: C names {field}")

    case(lambda o: o.update(results=[]), "results", "results present")
    case(lambda o: o.update(states=[]), "states", "states present")
    case(lambda o: o.update(world="tabletop"), "world", "built-in tabletop")
    case(lambda o: o.update(world="rooms"), "world", "built-in rooms")
    case(lambda o: o.update(world="Cam"), "world", "bad name")
    case(lambda o: o.update(split="train"), "split", "split train")
    case(lambda o: o.update(split="heldout"), "split", "split heldout")
    case(lambda o: o.update(steps=0, actions=[],
                            frames=o["frames"][:32 * 40 * 3]), "steps", "T = 0")
    case(lambda o: None, "version", "version 3", version=3, kind="unsupported")
    case(lambda o: None, "results", "version-2 body, version-1 header",
         version=1)
    # a version-1 file keeps being read with its truth
    v1 = os.path.join(SCRATCH, "v1")
    run(PAN_DATA, "gen", "--world", "tabletop", "--episodes", "1", "--steps",
        "2", "--size", "32", "--frames-per-step", "1", "--out", v1, "--quiet")
    ep = dataset.read_episode(os.path.join(v1, "episode-000000.pan"))
    check(ep.truth and ep.version == 1 and len(ep.results) == 2 and
          len(ep.states) == 3, "version 1 read with truth")


def make_recording(root, rng):
    """Two PNG-directory episodes (one with RGBA and grey PNGs), one .npz
    episode and a stray file; returns [(frames, actions)] in name order."""
    os.makedirs(root)
    episodes = []
    for name, steps in (("a-walk", 2), ("b-turn", 3)):
        d = os.path.join(root, name)
        os.makedirs(d)
        frames = rng.integers(0, 256, (steps * 2 + 1, 36, 44, 3), dtype=np.uint8)
        for i, f in enumerate(frames):
            im = Image.fromarray(f)
            if name == "b-turn" and i == 1:
                im = im.convert("RGBA")  # converted back to the same RGB
            if name == "b-turn" and i == 2:
                im = im.convert("L")
                frames[i] = np.asarray(im.convert("RGB"))
            im.save(os.path.join(d, f"frame-{i:05d}.png"))
        actions = [f"{name} step {t} \u00e9" for t in range(steps)]
        with open(os.path.join(d, "actions.txt"), "w", encoding="utf-8",
                  newline="") as f:
            f.write("\r\n".join(actions[:-1]) + ("\r\n" if steps > 1 else "")
                    + actions[-1])  # CRLF, and no final newline
        episodes.append((frames, actions))
    frames = rng.integers(0, 256, (4 * 2 + 1, 36, 44, 3), dtype=np.uint8)
    actions = ["open the door", "", "look left", "wait"]
    np.savez_compressed(os.path.join(root, "c-npz.npz"), frames=frames,
                        actions=np.array(actions))
    episodes.append((frames, actions))
    write(os.path.join(root, "README"), b"not an episode\n")
    return episodes


def test_converter():
    rng = np.random.default_rng(7)
    rec = os.path.join(SCRATCH, "recording")
    episodes = make_recording(rec, rng)
    out = os.path.join(SCRATCH, "episodes")
    py = sys.executable
    p = run(py, CONVERTER, rec, "--world", "my-robot", "--frames-per-step",
            "2", "--out", out)
    check("skipping" in p.stderr and "README" in p.stderr, "stray file noted")
    files = dataset.list_episodes(out)
    check([os.path.basename(f) for f in files] ==
          [f"episode-{i:06d}.pan" for i in range(3)], "three episode files")
    for i, (path, (frames, actions)) in enumerate(zip(files, episodes)):
        ep = dataset.read_episode(path)
        check(np.array_equal(ep.frames, frames), f"episode {i}: frames")
        check(ep.actions == actions, f"episode {i}: actions")
        check(ep.world == "my-robot" and ep.seed == i and not ep.truth,
              f"episode {i}: meta")
    with open(os.path.join(out, "sources.txt")) as f:
        check(f.read() == "episode-000000.pan\ta-walk\nepisode-000001.pan\t"
              "b-turn\nepisode-000002.pan\tc-npz.npz\n", "sources.txt")
    # the C reader accepts every file
    p = run(PAN_DATA, "check", out)
    check("3 valid, 0 invalid" in p.stdout and "external recording" in
          p.stdout and "2..4 steps" in p.stdout, "pan-data check of the output")
    # a second run into the same directory is refused
    run(py, CONVERTER, rec, "--world", "my-robot", "--frames-per-step", "2",
        "--out", out, expect=1)
    # --size resizes (Pillow); the output is the same size everywhere
    sized = os.path.join(SCRATCH, "sized")
    run(py, CONVERTER, rec, "--world", "r", "--frames-per-step", "2",
        "--out", sized, "--size", "32x48", "--quiet")
    ok = True
    for path in dataset.list_episodes(sized):
        ep = dataset.read_episode(path)
        ok = ok and ep.frames.shape[1:] == (32, 48, 3)
    check(ok and len(dataset.list_episodes(sized)) == 3, "--size 32x48")
    run(PAN_DATA, "check", "--quiet", sized)

    # input errors: exit 1 naming the source, nothing written
    def refused(mutate, what, needle, k="2"):
        broken = os.path.join(SCRATCH, "broken")
        shutil.rmtree(broken, ignore_errors=True)
        shutil.copytree(rec, broken)
        mutate(broken)
        dest = os.path.join(SCRATCH, "broken-out")
        shutil.rmtree(dest, ignore_errors=True)
        p = run(py, CONVERTER, broken, "--world", "cam", "--frames-per-step",
                k, "--out", dest, expect=1)
        check(needle in p.stderr, f"{what}: message names {needle}")
        check(not os.path.exists(dest) or not os.listdir(dest),
              f"{what}: nothing written")

    refused(lambda b: os.remove(os.path.join(b, "b-turn", "frame-00002.png")),
            "a missing frame", "frame-00002.png")
    refused(lambda b: os.remove(os.path.join(b, "b-turn", "frame-00006.png")),
            "a frame too few", "b-turn")
    refused(lambda b: os.remove(os.path.join(b, "a-walk", "actions.txt")),
            "no actions.txt", "actions.txt")
    refused(lambda b: write(os.path.join(b, "a-walk", "actions.txt"),
                            b"one\ntwo\nthree\n"), "an action too many", "a-walk")
    refused(lambda b: write(os.path.join(b, "a-walk", "actions.txt"),
                            b"\xff\n\n"), "actions not UTF-8", "UTF-8")
    refused(lambda b: Image.new("RGB", (40, 36)).save(
        os.path.join(b, "a-walk", "frame-00001.png")),
        "a frame of another size", "frame-00001.png")
    refused(lambda b: write(os.path.join(b, "a-walk", "frame-00003.png"),
                            b"not a png"), "a broken PNG", "frame-00003.png")
    refused(lambda b: np.savez(os.path.join(b, "c-npz.npz"),
                               frames=np.zeros((9, 36, 44, 3), np.float32),
                               actions=np.array(["a"] * 4)),
            "float npz frames", "c-npz.npz")
    refused(lambda b: np.savez(os.path.join(b, "c-npz.npz"),
                               frames=np.zeros((9, 36, 44, 3), np.uint8)),
            "npz without actions", "actions")
    refused(lambda b: np.savez(os.path.join(b, "d.npz"),
                               frames=np.zeros((3, 40, 44, 3), np.uint8),
                               actions=np.array(["a"])),
            "episodes of different sizes", "--size")
    refused(lambda b: None, "K that does not fit", "K=3", k="3")
    tiny_rec = os.path.join(SCRATCH, "tiny-rec")
    os.makedirs(os.path.join(tiny_rec, "e"))
    for i in range(3):
        Image.new("RGB", (20, 20)).save(os.path.join(tiny_rec, "e",
                                                     f"frame-{i:05d}.png"))
    write(os.path.join(tiny_rec, "e", "actions.txt"), b"a\nb\n")
    p = run(py, CONVERTER, tiny_rec, "--world", "cam", "--frames-per-step",
            "1", "--out", os.path.join(SCRATCH, "tiny-out"), expect=1)
    check("--size" in p.stderr, "frames under 32 pixels: suggests --size")
    run(py, CONVERTER, tiny_rec, "--world", "cam", "--frames-per-step", "1",
        "--out", os.path.join(SCRATCH, "tiny-out"), "--size", "32x32")
    # usage errors exit 2
    for bad in (["--world", "tabletop", "--frames-per-step", "2"],
                ["--world", "Cam", "--frames-per-step", "2"],
                ["--world", "cam", "--frames-per-step", "0"],
                ["--world", "cam", "--frames-per-step", "2", "--size", "16x16"],
                ["--frames-per-step", "2"]):
        run(py, CONVERTER, rec, "--out", os.path.join(SCRATCH, "u"), *bad,
            expect=2)
    check(not os.path.exists(os.path.join(SCRATCH, "u")),
          "usage errors write nothing")


def main():
    shutil.rmtree(SCRATCH, ignore_errors=True)
    os.makedirs(SCRATCH)
    test_writer_round_trip()
    test_c_written()
    test_writer_refuses()
    test_reader_refuses()
    test_converter()
    print(f"test_dataset_external: {passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
