#!/usr/bin/python3
"""tests/train/test_pan_train_run.py: `pan-train run` as a user runs it, on
a small pan-init checkpoint (label model):

- overfitting: with data.fixed_batch each stage (vae, decoder, glp) drives
  the loss of its one batch down at least 10x within a few hundred steps;
  the run's model.safetensors says what trained it, every.eval logs the
  held-out reconstruction (and pan-eval --quick's rates for the decoder),
  and `pan-train plot` draws its curves;
- never losing work: a run SIGKILLed at random moments (checkpoints every
  step, so some kills land while a state is written) and resumed each time
  ends with a state and a model.safetensors byte-identical to an
  uninterrupted run's; SIGTERM and --stop-after stop with a checkpoint and
  resume the same way; the log holds each logged step once;
- the held-out split: every action of every batch of a run, as the world's
  parser judged it in its scene (--dump-actions), is a train-split action;
- damaged, truncated and foreign training states are refused with exit 1
  and a message naming the file and the field, and nothing in the run
  directory changes; so are an --out that already holds a run and bad
  configurations (exit 2, naming the key).

- pan-data episode directories: each stage trains on one, and on a
  user's recording converted by scripts/episodes-from-recording.py; clips
  honour the held-out split; a directory of held-out episodes, episodes of
  another frame size and a damaged episode file are refused by name.

Usage: test_pan_train_run.py PAN_INIT PAN_TRAIN PAN_DATA
"""
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "reference"))
import safetensors_io  # noqa: E402

PAN_INIT, PAN_TRAIN, PAN_DATA = sys.argv[1], sys.argv[2], sys.argv[3]
del sys.argv[1:4]
SMALL = ["frame.height=32", "frame.width=32", "frame.chunk_frames=2",
         "vae.base_channels=8", "vae.channel_mult=[1,2]",
         "encoder.dim=32", "encoder.layers=1", "encoder.heads=2",
         "encoder.mlp_dim=64",
         "backbone.dim=32", "backbone.layers=1", "backbone.heads=2",
         "backbone.kv_heads=1", "backbone.intermediate=64",
         "backbone.max_rounds=2",
         "decoder.dim=32", "decoder.layers=1", "decoder.heads=2",
         "decoder.mlp_dim=64", "decoder.freq_dim=16"]
TMP = tempfile.mkdtemp(prefix="pan-train-run-")
CKPT = os.path.join(TMP, "small.safetensors")
THREADS = ["--threads", "2"]


def setUpModule():
    cmd = [PAN_INIT, "--out", CKPT, "--seed", "3"]
    for item in SMALL:
        cmd += ["--set", item]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def tearDownModule():
    shutil.rmtree(TMP, ignore_errors=True)


def sets(**kv):
    out = ["--set", f"model.checkpoint={CKPT}"]
    for k, v in kv.items():
        out += ["--set", f"{k.replace('__', '.')}={json.dumps(v)}"]
    return out


def train(args, check=True):
    p = subprocess.run([PAN_TRAIN, "run", *THREADS, "--quiet", *args],
                       capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError(f"pan-train run {args} exited {p.returncode}: "
                             f"{p.stderr}")
    return p


def log_of(run):
    with open(os.path.join(run, "log.jsonl")) as f:
        return [json.loads(line) for line in f if line.strip()]


def states_of(run):
    return sorted(n for n in os.listdir(run)
                  if n.startswith("state-") and n.endswith(".safetensors"))


def tensors_of(path):
    w, meta = safetensors_io.read(path)
    return {k: v.tobytes() for k, v in w.items()}, meta


def snapshot(run):
    out = {}
    for name in sorted(os.listdir(run)):
        with open(os.path.join(run, name), "rb") as f:
            out[name] = f.read()
    return out


class Overfit(unittest.TestCase):
    """One fixed batch, a constant rate: the loss must fall 10x."""

    def overfit(self, stage, steps, lr, **extra):
        run = os.path.join(TMP, f"overfit-{stage}")
        t0 = time.time()
        train(["--out", run] + sets(stage=stage, steps=steps, batch=2,
                                     data__fixed_batch=True,
                                     optimizer__lr=lr, optimizer__min_lr=lr,
                                     optimizer__warmup=0, optimizer__clip=0,
                                     optimizer__weight_decay=0,
                                     every__log=1, every__checkpoint=steps,
                                     every__eval=steps if stage != "glp" else 0,
                                     **extra))
        log = log_of(run)
        evals = [e for e in log if "eval_psnr_db" in e]
        log = [e for e in log if "loss" in e]
        self.assertEqual([e["step"] for e in log], list(range(1, steps + 1)))
        if stage != "glp":  # every.eval: once, at the end, after the losses
            self.assertEqual([e["step"] for e in evals], [steps])
            self.assertTrue(0 < evals[0]["eval_psnr_db"] < 99)
            self.assertTrue(0 <= evals[0]["eval_objects_found"] <= 1)
            has_fidelity = "eval_fidelity_heldout" in evals[0]
            self.assertEqual(has_fidelity, stage == "decoder")
            if has_fidelity:
                self.assertTrue(os.path.isfile(os.path.join(
                    run, f"eval-{steps:09d}", "report.json")))
        first, last = log[0]["loss"], min(e["loss"] for e in log[-10:])
        sys.stderr.write(f"overfit {stage}: loss {first:.4g} -> {last:.4g} "
                         f"({first / last:.1f}x) in {steps} steps, "
                         f"{time.time() - t0:.1f} s\n")
        self.assertGreaterEqual(first / last, 10.0, stage)
        w, meta = tensors_of(os.path.join(run, "model.safetensors"))
        self.assertEqual(meta["pan.trained"], "true")
        self.assertEqual(meta["pan.stage"], stage)
        self.assertEqual(meta["pan.steps"], str(steps))
        png = os.path.join(TMP, f"curves-{stage}.png")
        p = subprocess.run([PAN_TRAIN, "plot", run, "--out", png],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(png, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")

    def test_vae(self):
        self.overfit("vae", 200, 3e-3, kl_weight=1e-4)

    def test_decoder(self):
        self.overfit("decoder", 300, 3e-3, window="pair")

    def test_glp(self):
        self.overfit("glp", 300, 3e-3, rounds=2)


RESUME_ARGS = dict(stage="glp", steps=40, batch=2, rounds=3, seed=11,
                   every__checkpoint=1, every__log=2, optimizer__warmup=3)


class Resume(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ref = os.path.join(TMP, "resume-ref")
        t0 = time.time()
        train(["--out", cls.ref] + sets(**RESUME_ARGS))
        cls.seconds = time.time() - t0

    def assert_same_end(self, run):
        self.assertEqual(states_of(run), states_of(self.ref))
        last = states_of(run)[-1]
        got, gmeta = tensors_of(os.path.join(run, last))
        want, wmeta = tensors_of(os.path.join(self.ref, last))
        self.assertEqual(list(got), list(want))
        for k in want:
            self.assertEqual(got[k], want[k], f"{last}: tensor {k} differs")
        for key in ("pan.step", "pan.cursor", "pan.rng", "pan.run", "pan.config"):
            self.assertEqual(gmeta[key], wmeta[key], key)
        with open(os.path.join(run, "model.safetensors"), "rb") as f:
            a = f.read()
        with open(os.path.join(self.ref, "model.safetensors"), "rb") as f:
            b = f.read()
        self.assertEqual(a, b, "model.safetensors differs")
        steps = [e["step"] for e in log_of(run)]
        self.assertEqual(steps, [e["step"] for e in log_of(self.ref)],
                         f"{run}/log.jsonl: {log_of(run)}")

    def test_sigkill_at_random_moments(self):
        run = os.path.join(TMP, "resume-kill")
        rng = random.Random(20261208)
        kills, started = 0, False
        window = max(0.1, self.seconds / 10)
        for attempt in range(200):
            args = ["--resume", run] if started else ["--out", run] + sets(**RESUME_ARGS)
            p = subprocess.Popen([PAN_TRAIN, "run", *THREADS, "--quiet", *args],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            started = True
            try:
                p.wait(timeout=rng.uniform(0.02, window))
            except subprocess.TimeoutExpired:
                window *= 1.05  # a slow machine still finishes
                p.send_signal(signal.SIGKILL)
                p.wait()
                kills += 1
                p.stderr.close()
                if not states_of(run):  # killed before the first state
                    shutil.rmtree(run)
                    started = False
                continue
            err = p.stderr.read().decode()
            p.stderr.close()
            self.assertEqual(p.returncode, 0, err)
            break
        else:
            self.fail("the run did not finish within 200 attempts")
        sys.stderr.write(f"resume: {kills} kills, {attempt} resumes\n")
        self.assertGreaterEqual(kills, 3)
        self.assertFalse([n for n in os.listdir(run) if ".tmp." in n],
                         "a temporary file was left behind")
        self.assertLessEqual(len(states_of(run)), 2)
        self.assert_same_end(run)

    def test_sigterm_and_stop_after(self):
        run = os.path.join(TMP, "resume-term")
        p = train(["--out", run, "--stop-after", "3"] + sets(**RESUME_ARGS))
        self.assertEqual(states_of(run)[-1], "state-000000003.safetensors")
        self.assertEqual([e["step"] for e in log_of(run)], [2])
        p = subprocess.Popen([PAN_TRAIN, "run", *THREADS, "--resume", run],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True)
        time.sleep(min(1.0, self.seconds / 3))
        p.send_signal(signal.SIGTERM)
        err = p.communicate(timeout=120)[1]
        self.assertEqual(p.returncode, 0, err)
        if "stopped at step" in err:
            self.assertIn("--resume", err)
            train(["--resume", run])
        self.assert_same_end(run)


class Heldout(unittest.TestCase):
    def check(self, name, expect_count, **kw):
        run = os.path.join(TMP, f"heldout-{name}")
        dump = os.path.join(TMP, f"heldout-{name}.txt")
        train(["--out", run, "--dump-actions", dump] + sets(**kw))
        with open(dump) as f:
            lines = f.read().splitlines()
        if expect_count is not None:
            self.assertEqual(len(lines), expect_count)
        bad = [line for line in lines if not line.startswith("0 ")]
        self.assertEqual(bad, [], f"{name}: held-out or unparsed actions")
        self.assertGreater(len(lines), 0)
        sys.stderr.write(f"heldout {name}: {len(lines)} actions, all train split\n")

    def test_glp_tabletop(self):
        self.check("glp", 12 * 2 * 3 * 2, stage="glp", steps=12, batch=3,
                   rounds=2, accumulate=2, every__checkpoint=12)

    def test_decoder_rooms(self):
        self.check("decoder-rooms", None, stage="decoder", steps=20, batch=4,
                   data__world="rooms", every__checkpoint=20)


def episodes(name, *args):
    out = os.path.join(TMP, name)
    subprocess.run([PAN_DATA, "gen", "--world", "tabletop", "--steps", "6",
                    "--out", out, "--size", "32", "--frames-per-step", "2",
                    "--quiet", "--threads", "1", *args],
                   check=True, stdout=subprocess.DEVNULL)
    return out


class Episodes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = episodes("episodes-train", "--episodes", "8", "--split", "any")

    def test_each_stage(self):
        for stage in ("vae", "decoder", "glp"):
            runs = []
            for k in range(2):
                run = os.path.join(TMP, f"episodes-{stage}-{k}")
                dump = os.path.join(TMP, f"episodes-{stage}-{k}.txt")
                train(["--out", run, "--dump-actions", dump] +
                      sets(stage=stage, steps=6, batch=2, rounds=3,
                           data__source="episodes", data__dir=self.dir,
                           every__checkpoint=6))
                with open(os.path.join(run, "model.safetensors"), "rb") as f:
                    runs.append(f.read())
                with open(dump) as f:
                    lines = f.read().splitlines()
                # split "any" holds held-out actions: clips never do
                self.assertEqual([x for x in lines if not x.startswith("0 ")], [])
                self.assertEqual(len(lines) > 0, stage != "vae")
                self.assertTrue(all(e["loss"] > 0 for e in log_of(run)))
            self.assertEqual(runs[0], runs[1], f"{stage}: not deterministic")

    def test_own_recording(self):
        """A user's recording (.npz: frames + action texts) converted with
        scripts/episodes-from-recording.py trains each stage."""
        import numpy
        rec = os.path.join(TMP, "recording")
        os.makedirs(rec, exist_ok=True)
        rng = numpy.random.default_rng(4)
        for i in range(3):
            T, K = 5, 2
            frames = rng.integers(0, 256, (T * K + 1, 32, 32, 3), dtype=numpy.uint8)
            actions = numpy.array([f"robot arm moves {['left', 'up'][t % 2]} {t}"
                                   for t in range(T)])
            numpy.savez(os.path.join(rec, f"ep{i}.npz"), frames=frames, actions=actions)
        out = os.path.join(TMP, "recording-pan")
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                              "scripts", "episodes-from-recording.py")
        subprocess.run([sys.executable, script, rec, "--world", "myrobot",
                        "--frames-per-step", "2", "--out", out, "--quiet"], check=True)
        for stage in ("vae", "decoder", "glp"):
            run = os.path.join(TMP, f"recording-{stage}")
            dump = os.path.join(TMP, f"recording-{stage}.txt")
            train(["--out", run, "--dump-actions", dump] +
                  sets(stage=stage, steps=3, batch=2, rounds=2,
                       data__source="episodes", data__dir=out, every__checkpoint=3))
            with open(dump) as f:
                lines = f.read().splitlines()
            self.assertTrue(all(x.startswith("0 robot arm moves ") for x in lines))
            # steps x batch clips of 0 (vae), 1 or 2 (decoder: first or pair
            # windows) or `rounds` (glp) actions
            want = {"vae": (0, 0), "decoder": (6, 12), "glp": (12, 12)}[stage]
            self.assertTrue(want[0] <= len(lines) <= want[1], (stage, len(lines)))
            self.assertEqual([e["step"] for e in log_of(run)], [3])

    def test_refused(self):
        held = episodes("episodes-held", "--episodes", "3", "--split", "heldout")
        p = train(["--out", os.path.join(TMP, "ep-held")] +
                  sets(stage="glp", rounds=2, data__source="episodes",
                       data__dir=held), check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn(held, p.stderr)
        self.assertIn("no train-split clip", p.stderr)
        big = os.path.join(TMP, "episodes-64")
        subprocess.run([PAN_DATA, "gen", "--world", "rooms", "--steps", "2",
                        "--episodes", "1", "--out", big, "--quiet"],
                       check=True, stdout=subprocess.DEVNULL)
        p = train(["--out", os.path.join(TMP, "ep-big")] +
                  sets(stage="vae", data__source="episodes", data__dir=big),
                  check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("episode-000000.pan: frames 64x64 with 4 per step", p.stderr)
        bad = os.path.join(TMP, "episodes-bad")
        shutil.copytree(self.dir, bad)
        victim = os.path.join(bad, "episode-000003.pan")
        with open(victim, "r+b") as f:
            f.seek(100)
            byte = f.read(1)
            f.seek(100)
            f.write(bytes([byte[0] ^ 1]))
        p = train(["--out", os.path.join(TMP, "ep-bad")] +
                  sets(stage="vae", data__source="episodes", data__dir=bad),
                  check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn(victim, p.stderr)
        p = train(["--out", os.path.join(TMP, "ep-none")] +
                  sets(stage="vae", data__source="episodes",
                       data__dir=os.path.join(TMP, "no-such-dir")), check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("no-such-dir", p.stderr)


class Refused(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.run_dir = os.path.join(TMP, "refused")
        train(["--out", cls.run_dir] + sets(stage="vae", steps=4, batch=1,
                                             every__checkpoint=2))
        cls.states = states_of(cls.run_dir)

    def damaged(self, mutate, want):
        run = os.path.join(TMP, "refused-copy")
        shutil.rmtree(run, ignore_errors=True)
        shutil.copytree(self.run_dir, run)
        newest = os.path.join(run, self.states[-1])
        with open(newest, "rb") as f:
            data = bytearray(f.read())
        with open(newest, "wb") as f:
            f.write(mutate(data))
        before = snapshot(run)
        p = train(["--resume", run], check=False)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn(newest, p.stderr)
        self.assertIn(want, p.stderr)
        self.assertIn(self.states[-2], p.stderr)  # names the previous state
        self.assertEqual(snapshot(run), before, "the run directory changed")

    def test_truncated(self):
        self.damaged(lambda d: d[:len(d) // 2], "")

    def test_flipped_data_byte(self):
        def flip(d):
            d[-100] ^= 0x40
            return d
        self.damaged(flip, "crc32")

    def test_flipped_step(self):
        def flip(d):
            i = d.index(b'"pan.step"') + len(b'"pan.step"')
            while not chr(d[i]).isdigit():
                i += 1
            d[i] = ord("x")
            return d
        self.damaged(flip, "pan.step")

    def test_state_of_another_run(self):
        other = os.path.join(TMP, "other.safetensors")
        subprocess.run([PAN_INIT, "--out", other, "--seed", "1"] +
                       sum((["--set", s] for s in SMALL + ["vae.base_channels=16"]), []),
                       check=True, stdout=subprocess.DEVNULL)
        run = os.path.join(TMP, "refused-other")
        shutil.rmtree(run, ignore_errors=True)
        train(["--out", run, "--set", f"model.checkpoint={other}",
               "--set", "stage=vae", "--set", "steps=1", "--set", "batch=1"])
        foreign = os.path.join(run, "state-000000001.safetensors")
        with open(foreign, "rb") as f:
            data = f.read()
        self.damaged(lambda d: bytearray(data), "'pan.run' is not this run's")

    def test_model_checkpoint_is_not_a_state(self):
        p = train(["--resume", CKPT], check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn(CKPT, p.stderr)
        self.assertIn("'pan.format'", p.stderr)
        self.assertIn("not a training state", p.stderr)

    def test_existing_run_and_usage(self):
        p = train(["--out", self.run_dir] + sets(stage="vae"), check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("already holds a training state", p.stderr)
        self.assertIn("--resume", p.stderr)
        empty = os.path.join(TMP, "empty-run")
        os.makedirs(empty, exist_ok=True)
        p = train(["--resume", empty], check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("holds no training state", p.stderr)
        for args, want in [
                (sets(optimizer__lrr=1), "optimizer.lrr: unknown key"),
                (sets(batch=0), "batch: expected an integer in 1..4096"),
                (["--set", "stage=\"vae\""], "model.checkpoint: required"),
                (["--resume", self.run_dir, "--set", "batch=2"], "--resume takes"),
                (["--bogus"], "unknown option")]:
            out = [] if "--resume" in args else ["--out", os.path.join(TMP, "x")]
            p = train(out + args, check=False)
            self.assertEqual(p.returncode, 2, (args, p.stderr))
            self.assertIn(want, p.stderr)

    def test_one_process_per_run(self):
        run = os.path.join(TMP, "locked")
        p = subprocess.Popen([PAN_TRAIN, "run", *THREADS, "--quiet", "--out", run] +
                             sets(stage="vae", steps=100000, batch=1,
                                  every__checkpoint=1),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(200):
                if states_of(run) if os.path.isdir(run) else False:
                    break
                time.sleep(0.05)
            q = train(["--resume", run], check=False)
            self.assertEqual(q.returncode, 1, q.stderr)
            self.assertIn("in use by another pan-train run", q.stderr)
        finally:
            p.kill()
            p.wait()
        train(["--resume", run, "--stop-after", "1"])  # free again

    def test_print_config(self):
        p = subprocess.run([PAN_TRAIN, "run", "--print-config"] + sets(batch=7),
                           capture_output=True, text=True, check=True)
        c = json.loads(p.stdout)
        self.assertEqual(c["batch"], 7)
        self.assertEqual(c["model"]["checkpoint"], CKPT)
        self.assertIn("optimizer", c)


if __name__ == "__main__":
    unittest.main(verbosity=2)
