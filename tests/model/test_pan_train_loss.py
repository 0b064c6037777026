#!/usr/bin/python3
"""tests/model/test_pan_train_loss.py: `pan-train loss` as a user runs it
(label parity): on a small pan-init checkpoint, for each stage (vae,
decoder with both window kinds, glp past the eviction limit):

- the same arguments give the same loss, bit for bit, and the gradients
  file holds every parameter of the checkpoint with its shape;
- the gradient reaches exactly the parts the stage trains (the frozen VAE
  gets none in stages decoder and glp);
- perturbing one parameter of the checkpoint by +-eps (the batch's data,
  latents and glp's previous predictions, made by the unperturbed model:
  --data-checkpoint) moves the loss by
  eps times its gradient: for the largest-gradient element of each part's
  largest-gradient tensor, (L(w + eps) - L(w - eps)) / (2 eps) matches the written
  gradient within REL (central differences on the f32 model: observed
  errors below 1%, dominated by the f32 forward's rounding);
- bad arguments exit 2 and a missing checkpoint exits 1, naming it.

Usage: test_pan_train_loss.py PAN_INIT PAN_TRAIN
"""
import os
import re
import subprocess
import sys
import tempfile
import unittest

import numpy

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "reference"))
import safetensors_io  # noqa: E402

PAN_INIT, PAN_TRAIN = sys.argv[1], sys.argv[2]
del sys.argv[1:3]
SMALL = ["frame.height=32", "frame.width=32", "frame.chunk_frames=2",
         "vae.base_channels=8", "vae.channel_mult=[1,2]",
         "encoder.dim=32", "encoder.layers=2", "encoder.heads=2",
         "encoder.mlp_dim=64",
         "backbone.dim=64", "backbone.layers=2", "backbone.heads=4",
         "backbone.kv_heads=2", "backbone.intermediate=128",
         "backbone.max_rounds=3",
         "decoder.dim=64", "decoder.layers=2", "decoder.heads=2",
         "decoder.mlp_dim=128", "decoder.freq_dim=32"]
EPS = 1e-2
REL = 0.03
# the parts each stage must reach (and the VAE, frozen, must not) and the
# parts whose top-gradient tensor is perturbed
REACHED = {"vae": {"vae"}, "decoder": {"decoder", "encoder", "model"},
           "glp": {"decoder", "encoder", "model", "glp"}}
TMP = tempfile.mkdtemp(prefix="pan-train-loss-")
CKPT = os.path.join(TMP, "small.safetensors")


def setUpModule():
    cmd = [PAN_INIT, "--out", CKPT, "--seed", "5"]
    for item in SMALL:
        cmd += ["--set", item]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    # pan-init zero-initialises adaLN, the decoder's final layer and the
    # state stream's output (docs/model.md), so at init no gradient reaches
    # past the final layer; small random values there make every part
    # reachable, as after a few training steps.
    w, meta = safetensors_io.read(CKPT)
    rng = numpy.random.default_rng(5)
    for key, value in w.items():
        if not value.any():
            w[key] = rng.normal(0.0, 0.05, value.shape).astype(numpy.float32)
    safetensors_io.write(CKPT, list(w.items()), meta)


def run(args, ckpt=CKPT, check=True):
    p = subprocess.run([PAN_TRAIN, "loss", "--checkpoint", ckpt, "--threads",
                        "2", *args], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError(f"pan-train loss {args} exited {p.returncode}: "
                             f"{p.stderr}")
    return p


def loss_of(p):
    m = re.fullmatch(r"loss (\S+)\n", p.stdout)
    assert m, f"unexpected output {p.stdout!r}"
    return float(m.group(1))


class Loss(unittest.TestCase):
    def stage(self, name, args):
        grads = os.path.join(TMP, f"{name}.grads")
        base = ["--seed", "7", "--batch", "2", *args]
        first = run(base + ["--grads", grads])
        again = run(base)
        self.assertEqual(loss_of(first), loss_of(again), "not deterministic")
        g, meta = safetensors_io.read(grads)
        w, wmeta = safetensors_io.read(CKPT)
        self.assertEqual(list(g), list(w))
        for key in w:
            self.assertEqual(g[key].shape, w[key].shape, key)
        self.assertEqual(float(meta["pan.loss"]), loss_of(first))
        part = {k: k.split(".")[0] for k in g}
        reached = {part[k] for k in g if g[k].any()}
        kind = name.split("-")[0]
        self.assertEqual(reached, REACHED[kind], name)
        if kind != "vae":  # the frozen VAE: its change does not move the loss
            p = {k: v.copy() for k, v in w.items()}
            p["vae.encoder.conv_in.weight"] += 0.1
            path = os.path.join(TMP, f"{name}-vae.safetensors")
            safetensors_io.write(path, list(p.items()), wmeta)
            self.assertEqual(loss_of(run(base + ["--data-checkpoint", CKPT],
                                         ckpt=path)), loss_of(first))
        # per reached part, its tensor with the largest gradient
        top = {}
        for k in g:
            m = float(numpy.abs(g[k]).max())
            if m > 0 and (part[k] not in top or m > top[part[k]][1]):
                top[part[k]] = (k, m)
        for key, _ in top.values():
            i = int(numpy.abs(g[key]).ravel().argmax())
            want = float(g[key].ravel()[i])
            moved = []
            for sign in (1.0, -1.0):
                p = {k: v.copy() for k, v in w.items()}
                p[key].ravel()[i] += sign * EPS
                path = os.path.join(TMP, f"{name}-{sign:+.0f}.safetensors")
                safetensors_io.write(path, list(p.items()), wmeta)
                moved.append(loss_of(run(base + ["--data-checkpoint", CKPT],
                                         ckpt=path)))
            got = (moved[0] - moved[1]) / (2 * EPS)
            sys.stderr.write(f"{name}: {key}[{i}] gradient {want:.6g}, "
                             f"central difference {got:.6g}\n")
            self.assertLessEqual(abs(got - want), REL * abs(want) + 1e-5,
                                 f"{name}: {key}[{i}]")

    def test_vae(self):
        self.stage("vae", ["--stage", "vae", "--kl-weight", "0.01"])

    def test_decoder_pair(self):
        self.stage("decoder-pair", ["--stage", "decoder", "--window", "pair"])

    def test_decoder_first(self):
        self.stage("decoder-first", ["--stage", "decoder", "--window", "first"])

    def test_glp(self):
        self.stage("glp", ["--stage", "glp", "--rounds", "4"])

    def test_bad_arguments(self):
        for args in (["--stage", "nope"], ["--stage", "glp", "--rounds", "0"],
                     ["--stage", "vae", "--kl-weight", "-1"], [],
                     ["--stage", "decoder", "--window", "triple"]):
            p = run(args, check=False)
            self.assertEqual(p.returncode, 2, args)
            self.assertIn("pan-train", p.stderr)
        p = run(["--stage", "vae"], ckpt=os.path.join(TMP, "missing"), check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("missing", p.stderr)


if __name__ == "__main__":
    unittest.main()
