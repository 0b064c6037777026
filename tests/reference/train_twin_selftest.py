#!/usr/bin/python3
"""tests/reference/train_twin_selftest.py: the training twin against itself.

On train_reference.TINY (float64, random weights), each check can fail:
- gradcheck: torch.autograd.gradcheck (float64, numerical central
  differences against autograd) of each stage's loss (vae, decoder first
  and pair, glp over R = 5 rounds with eviction) with respect to a few
  parameters (small ones exactly, large ones with fast_mode's random
  projections) and inputs (images, eps; x1, x0, state latents; z0, chunks).
- teacher forcing: train_twin.teacher_forced (one masked pass) equals the
  KV-cache path (model_twin.KVCache + backbone_step, round by round, the
  same state tokens) to nMSE < 1e-20 over R = 6 rounds with max_rounds 3
  (inside and past eviction); with the KV-cache predictions as p_r its
  outputs reproduce them (the fixed point the trainer relies on); the
  rounds past the limit differ from a run with max_rounds 10 (eviction
  really happens) and the earlier ones do not.
- stop-gradient, checked three ways: (a) the loss has no autograd path to
  the prev inputs (their .grad stays None after backward); (b) with p_r =
  the KV-cache predictions, glp_loss and glp_loss_unrolled (p_r in the
  graph) have the same value but different backbone gradients; (c) a
  directional central difference of the loss with p_r held fixed matches
  glp_loss's gradient (and the unrolled loss's difference, p_r recomputed
  from the perturbed weights, matches the unrolled gradient, not it);
  (d) gradcheck with respect to the prev inputs fails (the numerical
  derivative is not zero, autograd's is).
- dropped conditions: the loss does not move when a dropped condition's
  action bytes or state latent change, does move when decoder.null_state /
  null_action change, and their gradients are zero without dropped
  conditions and non-zero with them.
- the cond frame has no loss: changing its target x1_0 - x0_0 while keeping
  its input (1-σ) x1_0 + σ x0_0 leaves the loss unchanged (to 1e-14),
  while changing x1_0 alone moves it.
- weights: every stage's L(w) = (1/B) sum_b w_b L_b with L_b from one-item
  calls (items independent), and L(w) != L(1).
- VAE moments: mean * scaling_factor == model_twin's encode.

Usage: train_twin_selftest.py   (exit 0 ok, 1 on a failure, 2 without torch)
"""
import copy
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_twin as tt  # noqa: E402  (exits 2 without torch)
import model_twin as mt  # noqa: E402
import train_reference as tr  # noqa: E402
import torch  # noqa: E402
from torch.autograd import gradcheck  # noqa: E402


def _rel(a, b):
    return abs(a - b) / max(abs(b), 1e-300)


def _nmse(a, b):
    return ((a - b).pow(2).sum() / b.pow(2).sum()).item()


def _model(seed, cfg=None):
    return tr.make_model(cfg or tr.TINY, seed)[1]


def _check(failures, ok, message):
    if not ok:
        failures.append(message)


# ---- fixed inputs ----------------------------------------------------------------

def _vae_inputs(pm, inp):
    fr = pm.cfg["frame"]
    images = inp.rand(2, fr["channels"], fr["height"], fr["width"], low=-1.0, high=1.0)
    return images.double(), inp.randn(2, *tr.latent_shape(pm.cfg)).double()


def _decoder_inputs(pm, inp, kind, dropped):
    k_frames = pm.cfg["frame"]["chunk_frames"]
    n = 1 + (k_frames if kind == "first" else 2 * k_frames)
    batch, count = len(dropped), len(dropped[0])
    shape = tr.latent_shape(pm.cfg)
    x1 = inp.randn(batch, n, *shape).double()
    x0 = inp.randn(batch, n, *shape).double()
    k = inp.rand(batch, high=1.0 if kind == "first" else 0.5)
    zs = inp.randn(batch, count, *shape).double()
    actions = [[bytes(inp.action(2 + b + 3 * c).tolist()) for c in range(count)]
               for b in range(batch)]
    return x1, x0, k, actions, torch.tensor(dropped, dtype=torch.int32), zs


def _glp_inputs(pm, inp, batch=2, rounds=5):
    z0, chunks, actions, prev, x0s, ks, dropped, weights = tr.glp_inputs(pm, inp, batch,
                                                                        rounds)
    actions = [[bytes(a.tolist()) for a in item] for item in actions]
    return (z0.double(), chunks.double(), actions, prev.double(),
            [x.double() for x in x0s], ks, dropped, weights)


# ---- gradcheck ---------------------------------------------------------------------

def _gradcheck(failures, label, pm, names, inputs, loss_of):
    """gradcheck of loss_of(*inputs) (with every `names` parameter swapped
    for a gradcheck input) w.r.t. those parameters and the inputs."""
    params = dict(pm.named_parameters())
    leaves = [params[n].detach().clone().requires_grad_(True) for n in names]
    leaves += [x.detach().clone().requires_grad_(True) for x in inputs]

    def fn(*tensors):
        stack = []
        try:
            for name, tensor in zip(names, tensors[:len(names)]):
                ctx = tt.with_parameter(pm, name, tensor)
                ctx.__enter__()
                stack.append(ctx)
            return loss_of(*tensors[len(names):])
        finally:
            for ctx in reversed(stack):
                ctx.__exit__(None, None, None)

    start = time.time()
    for index, leaf in enumerate(leaves):
        # one gradcheck per tensor: slow mode (every element) for small
        # ones, fast_mode (random projections) for large ones
        others = [t.detach() for t in leaves]

        def single(x, index=index):
            args = list(others)
            args[index] = x
            return fn(*args)
        what = names[index] if index < len(names) else "input %d" % (index - len(names))
        try:
            ok = gradcheck(single, (leaf,), eps=1e-6, atol=1e-8, rtol=1e-5,
                           fast_mode=leaf.numel() > 48, raise_exception=False)
        except Exception as error:  # noqa: BLE001
            ok = False
            what += " (%s)" % error
        _check(failures, ok, "gradcheck %s: %s" % (label, what))
    print("train_twin: gradcheck %s: %d tensors (%.1f s)"
          % (label, len(leaves), time.time() - start))


def _selftest_gradcheck(failures):
    pm = _model(11)
    inp = tr.Inputs(1)
    images, eps = _vae_inputs(pm, inp)
    _gradcheck(failures, "vae", pm,
               ["vae.encoder.conv_out.bias", "vae.encoder.down.1.block.0.nin_shortcut.weight",
                "vae.decoder.up.0.block.0.norm1.weight", "vae.decoder.conv_in.weight"],
               [images, eps],
               lambda x, e: tt.vae_loss(pm, x, e, 0.1, [1.0, 0.5])[0])
    for kind, dropped in (("first", [[0], [1]]), ("pair", [[0, 1], [1, 0]])):
        x1, x0, k, actions, drop, zs = _decoder_inputs(pm, inp, kind, dropped)
        _gradcheck(failures, "decoder " + kind, pm,
                   ["decoder.null_state", "decoder.null_action", "decoder.action_pos",
                    "decoder.blocks.1.cross.state_k.bias", "decoder.frame_embed",
                    "encoder.merger.mlp.2.bias", "encoder.blocks.0.attn.qkv.bias",
                    "model.embed_tokens.weight"],
                   [x1, x0, zs],
                   lambda a, b, c: tt.decoder_loss(pm, kind, a, b, k, actions, drop, c,
                                                   [1.0, 0.7])[0])
    z0, chunks, actions, prev, x0s, ks, dropped, weights = _glp_inputs(pm, inp)
    _gradcheck(failures, "glp", pm,
               ["model.layers.1.self_attn.k_proj.bias", "model.layers.0.input_layernorm.weight",
                "glp.query_embeddings.weight", "glp.state_head.bias", "model.norm.weight",
                "encoder.blocks.1.norm2.weight", "decoder.time_mlp.2.bias",
                "model.embed_tokens.weight"],
               [z0, chunks, x0s[2]],
               lambda a, b, c: tt.glp_loss(pm, a, b, actions, prev,
                                           x0s[:2] + [c] + x0s[3:], ks, dropped,
                                           weights)[0])


# ---- teacher forcing == KV cache -------------------------------------------------------

def _selftest_teacher_forcing(failures):
    pm = _model(33)
    cfg = pm.cfg
    inp = tr.Inputs(2)
    rounds = 6
    z0, chunks, actions, _, _, _, _, _ = _glp_inputs(pm, inp, 1, rounds)
    q, d = cfg["backbone"]["queries"], cfg["backbone"]["dim"]
    prev = inp.randn(rounds - 1, q, d).double()
    with torch.no_grad():
        forced = tt.teacher_forced(pm, z0[0], chunks[0], actions[0], prev)
        cache = mt.KVCache(cfg, 2, dtype=torch.float64)
        worst = 0.0
        for r in range(rounds):
            state = (pm.encoder(z0[0][None])[0] if r == 0 else
                     torch.cat([prev[r - 1], pm.encoder(chunks[0, r - 1, -1][None])[0]]))
            step = mt.backbone_step(pm, cache, [(1, state, actions[0][r])])[0]
            worst = max(worst, _nmse(forced[r], step))
        print("train_twin: teacher-forced vs KV cache over %d rounds (max_rounds %d): "
              "worst nMSE %.3g" % (rounds, cfg["backbone"]["max_rounds"], worst))
        _check(failures, worst < 1e-20, "teacher forced != KV cache: nMSE %g" % worst)
        preds = tt.predictions(pm, z0[0], chunks[0], actions[0])
        fixed = tt.teacher_forced(pm, z0[0], chunks[0], actions[0], preds)
        fp = max(_nmse(fixed[r], preds[r]) for r in range(rounds - 1))
        print("train_twin: teacher-forced outputs with p_r = KV predictions reproduce "
              "them: worst nMSE %.3g" % fp)
        _check(failures, fp < 1e-20, "teacher forced with predictions: nMSE %g" % fp)
        wide = copy.deepcopy(cfg)
        wide["backbone"]["max_rounds"] = 10
        other = tt.teacher_forced(_model(33, wide), z0[0], chunks[0], actions[0], prev)
        same = max(_nmse(other[r], forced[r]) for r in range(3))
        diff = min(_nmse(other[r], forced[r]) for r in range(3, rounds))
        print("train_twin: max_rounds 3 vs 10: rounds 0-2 nMSE %.3g, rounds 3-%d "
              "at least %.3g" % (same, rounds - 1, diff))
        _check(failures, same < 1e-24 and diff > 1e-8,
               "eviction: rounds 0-2 differ by %g, later by only %g" % (same, diff))


# ---- stop-gradient --------------------------------------------------------------------

def _selftest_stop_gradient(failures):
    pm = _model(33)
    inp = tr.Inputs(3)
    z0, chunks, actions, _, x0s, ks, dropped, weights = _glp_inputs(pm, inp)
    prev = torch.stack([tt.predictions(pm, z0[b], chunks[b], actions[b])
                        for b in range(z0.shape[0])])            # float64
    args = (x0s, ks, dropped, weights)
    # (a) no autograd path into the prev inputs
    leaf = prev.clone().requires_grad_(True)
    pm.zero_grad(set_to_none=True)
    loss_sg, _ = tt.glp_loss(pm, z0, chunks, actions, leaf, *args)
    loss_sg.backward()
    _check(failures, leaf.grad is None, "stop-gradient: prev received a gradient")
    name = "model.layers.0.mlp.down_proj.weight"
    param = dict(pm.named_parameters())[name]
    g_sg = param.grad.clone()
    # (b) same value, different gradient without the stop-gradient
    pm.zero_grad(set_to_none=True)
    loss_un, _ = tt.glp_loss_unrolled(pm, z0, chunks, actions, *args)
    loss_un.backward()
    g_un = param.grad.clone()
    value = _rel(loss_un.item(), loss_sg.item())
    gdiff = _nmse(g_un, g_sg)
    print("train_twin: stop-gradient: loss with p_r fixed vs unrolled rel. %.3g; "
          "%s gradient nMSE between them %.3g" % (value, name, gdiff))
    _check(failures, value < 1e-13, "stop-gradient: the values differ by %g" % value)
    _check(failures, gdiff > 1e-6, "stop-gradient: gradients agree (%g)" % gdiff)
    # (c) directional central differences
    u = torch.randn(param.shape, generator=torch.Generator().manual_seed(5),
                    dtype=torch.float64)
    step = 1e-5

    def at(offset, unrolled):
        with torch.no_grad():
            param.add_(offset * u)
            try:
                if unrolled:
                    return tt.glp_loss_unrolled(pm, z0, chunks, actions, *args)[0].item()
                return tt.glp_loss(pm, z0, chunks, actions, prev, *args)[0].item()
            finally:
                param.sub_(offset * u)
    fd_sg = (at(step, False) - at(-step, False)) / (2 * step)
    fd_un = (at(step, True) - at(-step, True)) / (2 * step)
    an_sg, an_un = (g_sg * u).sum().item(), (g_un * u).sum().item()
    # (d) gradcheck with respect to prev must FAIL: the numerical derivative
    # is not zero (the loss depends on p_r), autograd's is (no path)
    # (on 4 values of p_1: a failing gradcheck computes the whole Jacobian)
    def with_p(values):
        p = torch.cat([values, prev.reshape(-1)[4:]]).reshape(prev.shape)
        return tt.glp_loss(pm, z0, chunks, actions, p, *args)[0]
    dep = gradcheck(with_p, (prev.reshape(-1)[:4].clone().requires_grad_(True),),
                    eps=1e-6, atol=1e-8, rtol=1e-5, raise_exception=False)
    _check(failures, not dep, "stop-gradient: gradcheck w.r.t. prev passed")
    print("train_twin: stop-gradient: gradcheck w.r.t. p_r %s (expected: fails)"
          % ("passes" if dep else "fails"))
    print("train_twin: stop-gradient directional derivative: p_r fixed fd %.10g "
          "autograd %.10g; unrolled fd %.10g autograd %.10g"
          % (fd_sg, an_sg, fd_un, an_un))
    _check(failures, _rel(fd_sg, an_sg) < 1e-6 and _rel(fd_un, an_un) < 1e-6
           and _rel(an_sg, an_un) > 1e-4,
           "stop-gradient: fd %g / %g, autograd %g / %g" % (fd_sg, fd_un, an_sg, an_un))


# ---- dropped conditions, cond frame, weights -------------------------------------------

def _selftest_conditions(failures):
    pm = _model(22)
    inp = tr.Inputs(4)
    params = dict(pm.named_parameters())
    for kind, dropped in (("first", [[0], [1]]), ("pair", [[0, 1], [1, 0]])):
        x1, x0, k, actions, drop, zs = _decoder_inputs(pm, inp, kind, dropped)
        with torch.no_grad():
            base = tt.decoder_loss(pm, kind, x1, x0, k, actions, drop, zs)[0].item()
            zs2, actions2 = zs.clone(), [list(a) for a in actions]
            for b, row in enumerate(dropped):
                for c, flag in enumerate(row):
                    if flag:
                        zs2[b, c] = torch.randn(zs.shape[2:], dtype=torch.float64)
                        actions2[b][c] = b"other bytes"[:5]
            moved = tt.decoder_loss(pm, kind, x1, x0, k, actions2, drop, zs2)[0].item()
            changes = []
            for name in ("decoder.null_state", "decoder.null_action"):
                with tt.with_parameter(pm, name, params[name] + 0.3):
                    changes.append(abs(tt.decoder_loss(pm, kind, x1, x0, k, actions, drop,
                                                       zs)[0].item() - base))
        print("train_twin: %s dropped condition: its inputs move the loss by %.3g; "
              "null_state / null_action by %.3g / %.3g" % (kind, abs(moved - base), *changes))
        _check(failures, moved == base and min(changes) > 1e-9,
               "%s dropped: inputs move %g, nulls %s" % (kind, abs(moved - base), changes))
        for flags in (dropped, [[0] * len(dropped[0])] * len(dropped)):
            pm.zero_grad(set_to_none=True)
            loss, _ = tt.decoder_loss(pm, kind, x1, x0, k, actions,
                                      torch.tensor(flags, dtype=torch.int32), zs)
            loss.backward()
            norms = [0.0 if params[n].grad is None else params[n].grad.abs().max().item()
                     for n in ("decoder.null_state", "decoder.null_action")]
            any_dropped = any(any(row) for row in flags)
            _check(failures, (min(norms) > 0) if any_dropped else (max(norms) == 0),
                   "%s null gradients %s with dropped %s" % (kind, norms, flags))
        # cond frame: a new target x1_0 - x0_0 with the same input
        sigma = float(tt.window_sigmas(pm.cfg, kind, k)[0, 0])
        delta = torch.randn(x1.shape[2:], dtype=torch.float64)
        x1b, x0b, x1c = x1.clone(), x0.clone(), x1.clone()
        x1b[:, 0] += delta
        x0b[:, 0] -= (1.0 - sigma) / sigma * delta
        x1c[:, 0] += delta
        with torch.no_grad():
            same = tt.decoder_loss(pm, kind, x1b, x0b, k, actions, drop, zs)[0].item()
            other = tt.decoder_loss(pm, kind, x1c, x0, k, actions, drop, zs)[0].item()
        print("train_twin: %s cond frame: new target, same input: rel. change %.3g; "
              "new input: %.3g" % (kind, _rel(same, base), _rel(other, base)))
        _check(failures, _rel(same, base) < 1e-14 and _rel(other, base) > 1e-6,
               "%s cond frame: target moves the loss by %g (input by %g)"
               % (kind, _rel(same, base), _rel(other, base)))


def _selftest_weights(failures):
    pm = _model(22)
    inp = tr.Inputs(5)
    images, eps = _vae_inputs(pm, inp)
    x1, x0, k, actions, drop, zs = _decoder_inputs(pm, inp, "pair", [[0, 0], [0, 1]])
    z0, chunks, gactions, prev, x0s, ks, dropped, _ = _glp_inputs(pm, inp)
    w = [mt.f32(0.3), mt.f32(1.7)]   # the weights are f32 inputs
    one = lambda t, b: t[b:b + 1]  # noqa: E731
    stages = {
        "vae": lambda sel, weights: tt.vae_loss(pm, sel(images), sel(eps), 0.1, weights),
        "decoder": lambda sel, weights: tt.decoder_loss(
            pm, "pair", sel(x1), sel(x0), sel(k), sel(actions), sel(drop), sel(zs), weights),
        "glp": lambda sel, weights: tt.glp_loss(
            pm, sel(z0), sel(chunks), sel(gactions), sel(prev), [sel(x) for x in x0s],
            [sel(x) for x in ks], [sel(x) for x in dropped], weights),
    }
    with torch.no_grad():
        for stage, loss_of in stages.items():
            full = loss_of(lambda t: t, w)[0].item()
            plain = loss_of(lambda t: t, None)[0].item()
            singles = [loss_of(lambda t, b=b: one(t, b), None)[0].item() for b in range(2)]
            expect = sum(wb * lb for wb, lb in zip(w, singles)) / 2
            print("train_twin: %s weights: L(w) %.12g, (1/B) sum w_b L_b %.12g, L(1) %.12g"
                  % (stage, full, expect, plain))
            _check(failures, _rel(full, expect) < 1e-13 and _rel(full, plain) > 1e-6,
                   "%s weights: %g vs %g (unweighted %g)" % (stage, full, expect, plain))
        mean, _ = tt.vae_moments(pm, images)
        err = _rel((mean * pm.vae.scaling_factor - pm.vae.encode(images)).abs().max().item()
                   + 1.0, 1.0)
        _check(failures, err < 1e-15, "VAE moments: mean * scaling != encode (%g)" % err)


def main():
    torch.manual_seed(0)
    failures = []
    start = time.time()
    _selftest_teacher_forcing(failures)
    _selftest_stop_gradient(failures)
    _selftest_conditions(failures)
    _selftest_weights(failures)
    _selftest_gradcheck(failures)
    print("train_twin: self-test done in %.1f s" % (time.time() - start))
    for failure in failures:
        sys.stderr.write("train_twin self-test FAILED: %s\n" % failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
