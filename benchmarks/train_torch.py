#!/usr/bin/python3
"""benchmarks/train_torch.py: the PyTorch side of pan-bench-train.

Loads the checkpoint pan-bench-train saved (its weights, adaLN-zero tensors
made small and random) into the twin (tests/reference/model_twin.py) in
float32 and times, with torch.set_num_threads(--threads), the same cases on
the same inputs, which pan-bench-train wrote to --inputs DIR (inputs.json +
inputs.bin: raw little-endian f32; the format is
benchmarks/bench_train_io.c's): for a stage one whole optimizer step, for
a part forward + loss.backward():

  stage_vae      train_twin.vae_loss on the 16 images and eps
  stage_decoder  docs/training.md stage decoder on the 8 pair windows:
                 h(state latents) batched, one batched decoder forward
  stage_glp      stage glp on 2 sequences x 4 rounds: h batched over every
                 state latent, one batched teacher-forced backbone pass,
                 the R windows as one batched `first` forward and one
                 batched `pair` forward
  decoder        the decoder over the 8 pair windows (every frame's
                 velocity), loss = sum(out * dout), states requiring grad
  backbone       the teacher-forced pass over 4 sequences x 6 rounds,
                 loss = sum(ŝ * dout), state tokens requiring grad
  vit            h over 32 latents, loss = sum(tokens * dout)
  vae            VAE encoder on the images + decoder on the latents,
                 loss = sum(moments * dmoments) + sum(recon * drecon)

A stage's optimizer step is pan-train's (C: pan_trainer_step) in PyTorch's
idioms (Stepper): optimizer.zero_grad(set_to_none=True), the loss,
loss.backward(), torch.nn.utils.clip_grad_norm_(the stage's parameters,
clip; foreach=True where it has the argument, torch >= 2), AdamW
(torch.optim.AdamW over the parameters whose names start with C's
train_prefixes, two param groups: weight decay on tensors of >= 2 dims,
none on the rest; fused=True where the CPU has it (torch >= 2.4), else
the per-tensor loop, foreach=False, which beat foreach=True on the CPU:
make_adamw), then the EMA of every parameter of the model (as C's, over
the whole parameter block) with torch._foreach_lerp_ (torch >= 2) or
torch._foreach_mul_ + torch._foreach_add_ (1.13). lr, betas, eps, weight
decay, clip and EMA decay are C's (numbers of the case). An `optimizer`
line says which idioms ran.

Batched as a fair implementation would run them: the twin's decoder_loss
and glp_loss loop over items (the twin's Decoder takes one noise level per
frame for the whole batch), so the decoder forward here is the twin's
Decoder.forward with per-item noise levels (adaLN rows per item), the
conditions' action tokens padded with a key mask, the block-causal
self-attention as one unmasked attention per block level (nothing masked
computed), and q/k/v fused; the backbone pass is model_twin.backbone_hidden
over padded sequences with the history mask per sequence. Every module and
parameter is the twin's (model_twin.PanModel); autograd does the backward.
Attention: the twin's baddbmm/softmax/bmm under 1.13; under torch >= 2
F.scaled_dot_product_attention (its fused CPU kernels, forward and
backward), as a 2.x implementation would.

Check (before timing, untimed, through the compiled code with --compile):
every case's loss against C's (stages; relative error <= LOSS_REL), or its
outputs against C's (parts), and a few gradients (relative L2 error <=
GRAD_REL), all before any optimizer step; for a stage then that run's
optimizer step: the gradient norm before clipping against C's (<=
GRAD_REL) and the checked parameters after the step against C's after
its step (relative L2 error <= STEP_REL); the stage's weights are put back
afterwards (and after its timing). A failure prints `fail case=check ...`
and ends the run (its figures would not be the model's). Per case a
`checkcase` line says what was compared (no_grad=N: trained parameters
that got no gradient, which torch's AdamW skips and C's steps with a zero
gradient).

Timing: min(--reps, PEER_REPS) timed reps after --warmup (a --compile
peer at least 1). A part: before each rep the gradients are set to None
(untimed); forward (the loss) and loss.backward() are timed apart. A
stage: the whole step is timed (median_us), forward and backward apart
as for a part, lossgrad_us = forward + backward, optim_us = zero_grad +
clipping + AdamW + EMA.
--compile wraps each case's loss function in torch.compile (inductor;
torch_peer.Compiler, checked against eager on the first call); the
backward then runs AOTAutograd's compiled backward graph. Compilation
happens in the check run and the warm-up (warmup_ms); a case that compiles
during its timed reps fails.

Usage:
  train_torch.py --inputs DIR --checkpoint FILE [--threads 2] [--reps 10]
                 [--warmup 2] [--cases LIST] [--compile]
Prints a peer line (torch_peer.py), an `optimizer ...` line (with a stage
case), `checkcase name=.. ...` lines, one `check train_vs_c=ok ...` line,
then per case:
  case name=N median_us=M p10_us=A p90_us=B fwd_us=F bwd_us=G
       [lossgrad_us=L optim_us=O] reps=R warmup_ms=W      (one line)
Exit 0 ok, 1 on any failure, 2 without torch.
"""
import argparse
import inspect
import json
import math
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import torch_peer  # noqa: E402

if __name__ == "__main__":
    torch_peer.prepare(sys.argv[1:])  # before torch loads OpenMP and OpenBLAS
torch = torch_peer.import_torch("train_torch.py")
import numpy  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.join(HERE, "..", "tests", "reference"))
import decoder_twin  # noqa: E402
import model_twin  # noqa: E402
import train_twin  # noqa: E402

LOSS_REL = 1e-5   # f32 against C's f32 in another order: observed <= 2e-6 (default config)
GRAD_REL = 1e-4   # observed <= 3.4e-6
STEP_REL = 1e-5   # parameters after one AdamW step: observed <= 6.6e-7 (default config)
PEER_REPS = 5
CASES = ("stage_vae", "stage_decoder", "stage_glp", "decoder", "backbone", "vit", "vae")
SDPA = hasattr(F, "scaled_dot_product_attention")
CheckFailed = torch_peer.CheckFailed


# ---- the inputs ------------------------------------------------------------------

def load_inputs(directory):
    """{case: {"tensors": {name: tensor}, "grads": {...}, "numbers": {...},
    "actions": {name: [bytes]}, "flags": {name: [bool]}}}."""
    with open(os.path.join(directory, "inputs.json")) as f:
        meta = json.load(f)
    if meta.get("format") != "pan-bench-train-inputs 1":
        raise ValueError("%s/inputs.json: expected format 'pan-bench-train-inputs 1', "
                         "found %r" % (directory, meta.get("format")))
    data = numpy.fromfile(os.path.join(directory, meta["bin"]), dtype="<f4")
    cases = {}
    for name, entries in meta["cases"].items():
        case = {"tensors": {}, "grads": {}, "numbers": {}, "actions": {}, "flags": {},
                "strings": {}}
        for e in entries:
            kind = e["kind"]
            if kind in ("tensor", "grad"):
                count = int(numpy.prod(e["shape"])) if e["shape"] else 1
                if e["offset"] + count > data.shape[0]:
                    raise ValueError("%s: case %s tensor %s ends at %d floats, the file "
                                     "has %d" % (directory, name, e["name"],
                                                 e["offset"] + count, data.shape[0]))
                t = torch.from_numpy(data[e["offset"]:e["offset"] + count].copy())
                case["tensors" if kind == "tensor" else "grads"][e["name"]] = \
                    t.reshape(e["shape"])
            elif kind == "number":
                case["numbers"][e["name"]] = e["value"]
            elif kind == "actions":
                case["actions"][e["name"]] = [bytes(a) for a in e["value"]]
            elif kind == "flags":
                case["flags"][e["name"]] = [bool(v) for v in e["value"]]
            elif kind == "strings":
                case["strings"][e["name"]] = [str(v) for v in e["value"]]
        cases[name] = case
    return cases


# ---- attention -------------------------------------------------------------------

def heads(t, n):
    """(B, T, D) -> (B, H, T, hd)."""
    b, tokens, dim = t.shape
    return t.reshape(b, tokens, n, dim // n).transpose(1, 2)


def unheads(t):
    """(B, H, T, hd) -> (B, T, D)."""
    b, n, tokens, hd = t.shape
    return t.transpose(1, 2).reshape(b, tokens, n * hd)


def attend(q, k, v, bias=None):
    """softmax(q k^T / sqrt(hd) + bias) v: q (B, H, Tq, hd), k, v (B, H, Tk,
    hd), bias additive (B, 1, Tq or 1, Tk) or None."""
    if SDPA:
        return F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
    scale = q.shape[-1] ** -0.5
    scores = torch.matmul(q, k.transpose(-1, -2)) * scale
    if bias is not None:
        scores = scores + bias
    return torch.matmul(torch.softmax(scores, dim=-1), v)


# ---- the batched training decoder -----------------------------------------------

def condition(dec, embed, states, actions, dropped):
    """One condition index of a batch: (state (B, Q, d), tokens E (B, A, d),
    key bias (B, 1, 1, A)); a dropped item gets the null condition (null_state,
    the one token null_action), actions padded with a key mask."""
    batch = len(actions)
    lengths = [1 if dropped[b] else len(actions[b]) + 1 for b in range(batch)]
    width = max(lengths)
    ids = torch.zeros(batch, width, dtype=torch.long)
    for b in range(batch):
        if not dropped[b]:
            ids[b, :lengths[b]] = torch.tensor(list(actions[b]) + [decoder_twin.END])
    e = embed[ids] + dec.action_pos[:width][None]
    drop = torch.tensor(dropped)
    null_e = torch.cat([dec.null_action, dec.null_action.new_zeros(width - 1,
                                                                  dec.null_action.shape[1])])
    e = torch.where(drop[:, None, None], null_e[None], e)
    state = torch.where(drop[:, None, None], dec.null_state[None],
                        states.reshape(batch, -1, e.shape[-1]))
    valid = torch.arange(width)[None] < torch.tensor(lengths)[:, None]
    bias = torch.zeros(batch, width).masked_fill(~valid, float("-inf"))
    return state, e, bias[:, None, None, :]


def runs(values):
    """[(value, first, end)] of the runs of equal values."""
    out, first = [], 0
    for j in range(1, len(values) + 1):
        if j == len(values) or values[j] != values[first]:
            out.append((values[first], first, j))
            first = j
    return out


def decoder_forward(pm, latents, sigma, slot, block, cond, conditions):
    """The twin's Decoder.forward with a noise level per item: latents (B, n,
    z, h, w), sigma numpy (B, n), slot/block/cond (n,) lists (frames ordered
    by block, conditioned frames last), conditions[ci] = condition(...).
    Returns the velocity of every frame (B, n, z, h, w)."""
    dec = pm.decoder
    batch, frames, z, h, w = latents.shape
    dtype = dec.patch_embed.weight.dtype
    x = (dec.patch_embed(dec.patchify(latents)) + dec.pos_embed +
         dec.frame_embed[torch.tensor(slot, dtype=torch.long)][:, None, :])  # (B, n, Tf, D)
    tokens, dim = x.shape[2], x.shape[3]
    t = dec.time_mlp(dec.time_embedding(numpy.asarray(sigma, dtype=numpy.float64)
                                        .reshape(-1).tolist(), dtype))
    c = F.silu(t).reshape(batch, frames, 1, -1)                       # (B, n, 1, D)
    levels = [(f0, f1) for _, f0, f1 in runs(block)]
    cond_runs = [(ci, f0, f1) for ci, f0, f1 in runs(cond) if ci >= 0]
    ln = lambda v: F.layer_norm(v, (dim,), eps=dec.eps)  # noqa: E731
    nh = dec.heads
    for m in dec.blocks:
        sh1, sc1, g1, sh2, sc2, g2 = m.adaLN_modulation(c).chunk(6, dim=-1)
        a = (ln(x) * (1 + sc1) + sh1).reshape(batch, frames * tokens, dim)
        w_qkv = torch.cat([m.attn.q.weight, m.attn.k.weight, m.attn.v.weight])
        b_qkv = torch.cat([m.attn.q.bias, m.attn.k.bias, m.attn.v.bias])
        q, k, v = (heads(p, nh) for p in F.linear(a, w_qkv, b_qkv).chunk(3, dim=-1))
        att = torch.cat([attend(q[:, :, f0 * tokens:f1 * tokens], k[:, :, :f1 * tokens],
                                v[:, :, :f1 * tokens]) for f0, f1 in levels], 2)
        x = x + g1 * m.attn.proj(unheads(att)).view(batch, frames, tokens, dim)
        parts = [x.new_zeros(batch, cond_runs[0][1], tokens, dim)] if cond_runs else []
        for ci, f0, f1 in cond_runs:
            state, e, bias = conditions[ci]
            qc = heads(m.cross.q(m.cross_norm(x[:, f0:f1])).reshape(batch, -1, dim), nh)
            ua = attend(qc, heads(m.cross.action_k(e), nh), heads(m.cross.action_v(e), nh),
                        bias)
            us = attend(qc, heads(m.cross.state_k(state), nh),
                        heads(m.cross.state_v(state), nh))
            parts.append((m.cross.action_out(unheads(ua)) + m.cross.state_out(unheads(us)))
                         .view(batch, f1 - f0, tokens, dim))
        if parts:
            x = x + torch.cat(parts, 1)
        x = x + g2 * m.mlp(ln(x) * (1 + sc2) + sh2)
    sh, sc = dec.final.adaLN_modulation(c).chunk(2, dim=-1)
    out = dec.final.linear(ln(x) * (1 + sc) + sh)                     # (B, n, Tf, P)
    return dec.unpatchify(out, z, h, w)


def window_items(pm, kind, x1, x0, k, conditions):
    """Per item the window loss of docs/training.md: mean over frames 1..n-1
    of (v - (x1 - x0))^2, batched; (B,)."""
    slot, block, cond, _ = train_twin.window_layout(pm.cfg, kind)
    sigma = train_twin.window_sigmas(pm.cfg, kind, k)                  # numpy (B, n)
    s = torch.from_numpy(sigma)[:, :, None, None, None]
    xs = (1.0 - s) * x1 + s * x0
    v = decoder_forward(pm, xs, sigma, slot, block, cond, conditions)
    return (v[:, 1:] - (x1 - x0)[:, 1:]).pow(2).flatten(1).mean(1)


# ---- the batched teacher-forced backbone ----------------------------------------

def backbone_batched(pm, sequences):
    """model_twin.backbone_hidden over several sequences at once (padded,
    the history mask per sequence; a padding row sees itself) and the state
    head at each round's queries: sequences [[(state, action)]] -> ŝ
    (sum of rounds, Q, d), sequences then rounds."""
    bb = pm.cfg["backbone"]
    queries = bb["queries"]
    embeds, round_of, ends = [], [], []
    for rounds in sequences:
        e = [pm.round_embeddings(s, a) for s, a in rounds]
        embeds.append(torch.cat(e))
        round_of.append(torch.cat([torch.full((t.shape[0],), r, dtype=torch.long)
                                   for r, t in enumerate(e)]))
        ends.append(torch.cumsum(torch.tensor([t.shape[0] for t in e]), 0).tolist())
    longest = max(t.shape[0] for t in embeds)
    batch, dim = len(sequences), embeds[0].shape[1]
    x = torch.stack([F.pad(t, (0, 0, 0, longest - t.shape[0])) for t in embeds])
    allowed = torch.eye(longest, dtype=torch.bool).repeat(batch, 1, 1)
    for b, ro in enumerate(round_of):
        n = ro.shape[0]
        allowed[b, :n, :n] = model_twin.history_allowed(ro, bb["max_rounds"])
    bias = model_twin.attention_bias(allowed, bb["heads"], bb["kv_heads"]).to(x.dtype)
    rope = pm.rope_table(torch.arange(longest)[None].expand(batch, -1), x.dtype)
    for layer in pm.model.layers:
        x = layer(x, rope, lambda q, k, v: model_twin.attention(q, k, v, bias=bias))
    rows = torch.cat([torch.arange(e - queries, e) + b * longest
                      for b, seq_ends in enumerate(ends) for e in seq_ends])
    return pm.state_head(x.reshape(-1, dim)[rows]).reshape(-1, queries, dim)


# ---- the cases: each returns (loss function, {name: tensor to check}) -------------

def split_rows(flat, counts):
    out, at = [], 0
    for n in counts:
        out.append(flat[at:at + n])
        at += n
    return out


def case_stage_vae(pm, inp):
    t, n = inp["tensors"], inp["numbers"]
    return lambda: train_twin.vae_loss(pm, t["images"], t["eps"], n["kl_weight"])[0], {}, []


def case_stage_decoder(pm, inp):
    t, acts = inp["tensors"], inp["actions"]["actions"]
    drop = inp["flags"]["actions_dropped"]
    embed = pm.model.embed_tokens.weight
    batch = t["x1"].shape[0]

    def loss():
        zs = t["state_latents"]
        states = pm.encoder(zs.reshape((-1,) + tuple(zs.shape[2:])))
        states = states.reshape((batch, 2) + tuple(states.shape[1:]))
        conds = [condition(pm.decoder, embed, states[:, c], acts[c::2], drop[c::2])
                 for c in range(2)]
        return window_items(pm, "pair", t["x1"], t["x0"], t["k"], conds).mean()
    return loss, {}, []


def case_stage_glp(pm, inp):
    t, acts = inp["tensors"], inp["actions"]["actions"]
    flags = inp["flags"]
    z0, chunks, prev = t["z0"], t["chunks"], t["prev"]
    batch, rounds = chunks.shape[:2]
    embed = pm.model.embed_tokens.weight
    act = [[acts[b * rounds + r] for r in range(rounds)] for b in range(batch)]

    def loss():
        lat = torch.cat([z0[:, None], chunks[:, :rounds - 1, -1]], 1)  # (B, R, z, h, w)
        h = pm.encoder(lat.reshape((-1,) + tuple(lat.shape[2:])))
        h = h.reshape((batch, rounds) + tuple(h.shape[1:]))            # (B, R, S, d)
        seqs = [[(h[b, 0], act[b][0])] +
                [(torch.cat([prev[b, r - 1].detach(), h[b, r]]), act[b][r])
                 for r in range(1, rounds)] for b in range(batch)]
        s = backbone_batched(pm, seqs).reshape((batch, rounds) + tuple(prev.shape[2:]))
        d0 = flags["dropped_0"]
        first = window_items(
            pm, "first", torch.cat([z0[:, None], chunks[:, 0]], 1), t["x0_0"], t["k_0"],
            [condition(pm.decoder, embed, s[:, 0], [a[0] for a in act], d0)])  # (B,)
        x1s, x0s, ks, ca, cb = [], [], [], [[], [], []], [[], [], []]
        for r in range(1, rounds):
            cond = z0 if r == 1 else chunks[:, r - 2, -1]
            x1s.append(torch.cat([cond[:, None], chunks[:, r - 1], chunks[:, r]], 1))
            x0s.append(t["x0_%d" % r])
            ks.append(t["k_%d" % r])
            dr = flags["dropped_%d" % r]
            ca[0].append(s[:, r - 1])
            ca[1] += [a[r - 1] for a in act]
            ca[2] += dr[0::2]
            cb[0].append(s[:, r])
            cb[1] += [a[r] for a in act]
            cb[2] += dr[1::2]
        conds = [condition(pm.decoder, embed, torch.cat(c[0]), c[1], c[2])
                 for c in (ca, cb)]
        pair = window_items(pm, "pair", torch.cat(x1s), torch.cat(x0s), torch.cat(ks),
                            conds).reshape(rounds - 1, batch)           # (R-1, B)
        return torch.cat([first[None], pair]).mean(0).mean()
    return loss, {}, []


def case_decoder(pm, inp):
    t, acts = inp["tensors"], inp["actions"]["actions"]
    drop = inp["flags"]["actions_dropped"]
    states = t["states"].clone().requires_grad_(True)
    slot, block, cond, _ = train_twin.window_layout(pm.cfg, "pair")
    sigma = t["sigmas"].numpy()
    embed = pm.model.embed_tokens.weight
    outs = {}

    def loss():
        conds = [condition(pm.decoder, embed, states[:, c], acts[c::2], drop[c::2])
                 for c in range(2)]
        out = decoder_forward(pm, t["latents"], sigma, slot, block, cond, conds)
        outs["out"] = out
        return (out * t["dout"]).sum()
    return loss, {"out": lambda: outs["out"], "dstates": lambda: states.grad}, [states]


def case_backbone(pm, inp):
    t, acts = inp["tensors"], inp["actions"]["actions"]
    rounds = int(inp["numbers"]["rounds"])
    counts = [int(v) for v in t["n_state"].tolist()]
    states = t["states"].clone().requires_grad_(True)
    outs = {}

    def loss():
        rows = split_rows(states, counts)
        seqs = [[(rows[i], acts[i]) for i in range(s, s + rounds)]
                for s in range(0, len(counts), rounds)]
        out = backbone_batched(pm, seqs)
        outs["out"] = out
        return (out * t["dout"]).sum()
    return loss, {"out": lambda: outs["out"], "dstates": lambda: states.grad}, [states]


def case_vit(pm, inp):
    t = inp["tensors"]
    outs = {}

    def loss():
        out = pm.encoder(t["latent"])
        outs["out"] = out
        return (out * t["dout"]).sum()
    return loss, {"out": lambda: outs["out"]}, []


def case_vae(pm, inp):
    t = inp["tensors"]
    latent = t["latent"].clone().requires_grad_(True)
    outs = {}

    def loss():
        moments = pm.vae.encoder(t["images"])
        recon = pm.vae.decode(latent)
        outs["moments"], outs["recon"] = moments, recon
        return (moments * t["dmoments"]).sum() + (recon * t["drecon"]).sum()
    return loss, {"moments": lambda: outs["moments"], "recon": lambda: outs["recon"],
                  "dlatent": lambda: latent.grad}, [latent]


# ---- the optimizer step of a stage ---------------------------------------------

def make_adamw(groups, lr, betas, eps):
    """(torch.optim.AdamW, "fused"|"for-loop"): the fastest implementation
    this torch has on the CPU. Fused where it exists (torch >= 2.4), else
    the per-tensor loop: on the CPU foreach=True was 2.7x slower (stage
    glp's 11.5M parameters, 2 threads: 1.13 179 ms foreach against 64 ms
    for-loop; 2.15 137 ms foreach, 50 ms for-loop, 15 ms fused)."""
    try:
        return (torch.optim.AdamW(groups, lr=lr, betas=betas, eps=eps, fused=True),
                "fused")
    except (TypeError, RuntimeError, ValueError):
        pass  # no fused AdamW (on the CPU) in this torch
    return (torch.optim.AdamW(groups, lr=lr, betas=betas, eps=eps, foreach=False),
            "for-loop")


class Stepper:
    """pan-train's optimizer step (C: pan_trainer_step) around a stage's
    loss: zero, (the caller's loss + backward), clip, AdamW on the trained
    parameters, EMA of every parameter. Keeps a copy of the trained
    parameters for restore()."""

    def __init__(self, pm, inp):
        n = inp["numbers"]
        prefixes = tuple(inp["strings"]["train_prefixes"])
        named = list(pm.named_parameters())
        self.trained = [(k, p) for k, p in named if k.startswith(prefixes)]
        self.params = [p for _, p in self.trained]
        groups = [{"params": [p for p in self.params if p.dim() >= 2],
                   "weight_decay": n["weight_decay"]},
                  {"params": [p for p in self.params if p.dim() < 2],
                   "weight_decay": 0.0}]
        self.opt, self.adamw = make_adamw(groups, n["lr"], (n["beta1"], n["beta2"]),
                                          n["eps"])
        self.clip = n["clip"]
        self.clip_kw = ({"foreach": True} if "foreach" in inspect.signature(
            torch.nn.utils.clip_grad_norm_).parameters else {})
        self.decay = n["ema"]
        self.live = [p.detach() for _, p in named]
        self.ema = [t.clone() for t in self.live]
        self.lerp = hasattr(torch, "_foreach_lerp_")
        self.saved = [p.detach().clone() for p in self.params]

    def describe(self):
        return ("optimizer adamw=%s clip=%s ema=%s zero=set_to_none"
                % (self.adamw, "foreach" if self.clip_kw else "default",
                   "foreach_lerp" if self.lerp else "foreach_mul_add"))

    def zero(self):
        self.opt.zero_grad(set_to_none=True)

    def update(self):
        """Clip, AdamW, EMA; the gradient norm before clipping (a tensor)."""
        norm = torch.nn.utils.clip_grad_norm_(self.params, self.clip, **self.clip_kw)
        self.opt.step()
        with torch.no_grad():
            if self.lerp:
                torch._foreach_lerp_(self.ema, self.live, 1.0 - self.decay)
            else:
                torch._foreach_mul_(self.ema, self.decay)
                torch._foreach_add_(self.ema, self.live, alpha=1.0 - self.decay)
        return norm

    def restore(self):
        with torch.no_grad():
            for p, saved in zip(self.params, self.saved):
                p.copy_(saved)


def check_step(name, stepper, inp):
    """The check run's optimizer step against C's: the gradient norm before
    clipping and the parameters after the step; restores the weights.
    Returns (parts of the checkcase line, the worst relative error)."""
    no_grad = sum(1 for p in stepper.params if p.grad is None)
    norm = float(stepper.update())
    want = inp["numbers"]["grad_norm"]
    err = abs(norm - want) / max(abs(want), 1e-30)
    parts, worst = ["grad_norm=%.2g" % err], 0.0
    if not err <= GRAD_REL:
        raise CheckFailed("%s: gradient norm %.9g, C's %.9g: relative error %.3g > %g"
                          % (name, norm, want, err, GRAD_REL))
    params = dict(stepper.trained)
    for key, ref in inp["tensors"].items():
        if not key.startswith("adamw."):
            continue
        pname = key[len("adamw."):]
        if pname not in params:
            raise CheckFailed("%s: C stepped %s, which this stage does not train here"
                              % (name, pname))
        err = rel(params[pname], ref)
        parts.append("%s=%.2g" % (key, err))
        worst = max(worst, err)
        if not err <= STEP_REL:
            raise CheckFailed("%s: %s after one AdamW step differs from C's by %.3g "
                              "relative (L2; bound %g)" % (name, pname, err, STEP_REL))
    parts.append("no_grad=%d" % no_grad)
    stepper.restore()
    return parts, worst


# ---- check and timing -------------------------------------------------------------

def rel(got, want):
    got, want = got.detach().double(), want.double()
    den = float(want.norm())
    num = float((got - want).norm())
    return num / den if den > 0 else (0.0 if num == 0 else float("inf"))


def zero_grads(pm, extra):
    for p in pm.parameters():
        p.grad = None
    for t in extra:
        t.grad = None


def check_case(name, pm, fn, probes, inp, stepper=None):
    """The check run (untimed): loss or outputs and a few gradients against
    C's, then a stage's optimizer step (check_step); raises CheckFailed.
    Returns the worst (loss or output, gradient, parameter) errors."""
    params = dict(pm.named_parameters())
    loss = fn()
    loss.backward()
    parts, worst_loss, worst_grad = [], 0.0, 0.0
    want = inp["numbers"].get("loss")
    if want is not None:
        err = abs(float(loss.detach()) - want) / max(abs(want), 1e-30)
        parts.append("loss_rel=%.2g" % err)
        worst_loss = err
        if not err <= LOSS_REL:
            raise CheckFailed("%s: loss %.9g, C's %.9g: relative error %.3g > %g"
                              % (name, float(loss.detach()), want, err, LOSS_REL))
    for key, ref in inp["grads"].items():
        got = probes[key]() if key in probes else params[key].grad
        if got is None:
            raise CheckFailed("%s: %s has no gradient here; C's has norm %.3g"
                              % (name, key, float(ref.norm())))
        err = rel(got, ref)
        is_out = key in ("out", "moments", "recon")
        bound = LOSS_REL if is_out else GRAD_REL
        parts.append("%s=%.2g" % (key, err))
        if is_out:
            worst_loss = max(worst_loss, err)
        else:
            worst_grad = max(worst_grad, err)
        if not err <= bound:
            raise CheckFailed("%s: %s differs from C's by %.3g relative (L2; bound %g)"
                              % (name, key, err, bound))
    worst_step = 0.0
    if stepper is not None:
        more, worst_step = check_step(name, stepper, inp)
        parts += more
    print("checkcase name=%s %s" % (name, " ".join(parts)), flush=True)
    return worst_loss, worst_grad, worst_step


def quantile(values, q):
    s = sorted(values)
    pos = q * (len(s) - 1)
    lo = int(math.floor(pos))
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def time_case(name, pm, fn, extra, compiler, reps, warmup, check_ms, stepper=None):
    """The timed reps (with a stepper: whole optimizer steps; the weights
    put back afterwards); warmup_ms = the check run's ms + the warm-up
    reps'."""
    if compiler.enabled:
        warmup = max(warmup, 1)
    fwd, bwd, total, optim = [], [], [], []
    warm_ms, frames, start = None, None, time.perf_counter()
    for rep in range(warmup + reps):
        if rep == warmup:
            warm_ms = check_ms + (time.perf_counter() - start) * 1e3
            frames = compiler.frames()
        if stepper is None:
            zero_grads(pm, extra)
        t0 = time.perf_counter()
        if stepper is not None:
            stepper.zero()
        t1 = time.perf_counter()
        loss = fn()
        t2 = time.perf_counter()
        loss.backward()
        t3 = time.perf_counter()
        if stepper is not None:
            stepper.update()
        t4 = time.perf_counter()
        if not math.isfinite(float(loss.detach())):
            raise RuntimeError("%s: non-finite loss" % name)
        if rep >= warmup:
            fwd.append((t2 - t1) * 1e6)
            bwd.append((t3 - t2) * 1e6)
            optim.append((t1 - t0 + t4 - t3) * 1e6)
            total.append((t4 - t0) * 1e6)
    if stepper is not None:
        stepper.restore()
    if compiler.frames() != frames:
        raise RuntimeError("torch.compile compiled during the timed reps (%d frames)"
                           % (compiler.frames() - frames))
    step = ""
    if stepper is not None:
        step = " lossgrad_us=%.1f optim_us=%.1f" % (
            quantile([f + b for f, b in zip(fwd, bwd)], 0.5), quantile(optim, 0.5))
    return ("case name=%s median_us=%.1f p10_us=%.1f p90_us=%.1f fwd_us=%.1f "
            "bwd_us=%.1f%s reps=%d warmup_ms=%.1f"
            % (name, quantile(total, 0.5), quantile(total, 0.1), quantile(total, 0.9),
               quantile(fwd, 0.5), quantile(bwd, 0.5), step, len(total), warm_ms))


BUILDERS = {"stage_vae": case_stage_vae, "stage_decoder": case_stage_decoder,
            "stage_glp": case_stage_glp, "decoder": case_decoder,
            "backbone": case_backbone, "vit": case_vit, "vae": case_vae}


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--inputs", required=True)
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--compile", action="store_true")
    try:
        args = parser.parse_args(argv)
    except SystemExit as done:
        return 0 if done.code == 0 else 1
    cases = [c for c in args.cases.split(",") if c]
    if any(c not in CASES for c in cases) or args.reps < 1 or args.warmup < 0:
        sys.stderr.write("train_torch.py: expected --cases from %s, --reps >= 1, "
                         "--warmup >= 0\n" % ",".join(CASES))
        return 1
    torch.set_num_threads(args.threads)
    try:
        compiler = torch_peer.Compiler(torch, args.compile)
    except RuntimeError as error:
        print("peer torch=%s python=%s compile=unavailable" % (torch.__version__,
                                                              sys.executable))
        torch_peer.fail_line("all", error)
        return 1
    print(torch_peer.peer_line(torch, compiler), flush=True)
    try:
        pm, _ = model_twin.load_checkpoint(args.checkpoint, dtype=torch.float32)
        inputs = load_inputs(args.inputs)
    except (OSError, ValueError, KeyError) as error:
        torch_peer.fail_line("all", error)
        return 1
    pm.train()
    reps = min(args.reps, PEER_REPS)
    prepared, worst, described = [], [0.0, 0.0, 0.0], False
    for name in cases:
        if name not in inputs:
            continue
        start = time.perf_counter()
        try:
            fn, probes, extra = BUILDERS[name](pm, inputs[name])
            stepper = Stepper(pm, inputs[name]) if name.startswith("stage_") else None
            if stepper is not None and not described:
                print(stepper.describe(), flush=True)
                described = True
            fn = compiler.wrap(fn, name) if compiler.enabled else fn
            zero_grads(pm, extra)
            errs = check_case(name, pm, fn, probes, inputs[name], stepper)
            worst = [max(w, e) for w, e in zip(worst, errs)]
            prepared.append((name, fn, extra, stepper,
                             (time.perf_counter() - start) * 1e3))
        except Exception as error:  # noqa: BLE001  (a compile failure too)
            torch_peer.fail_line("check", error)
            return 1
    print("check train_vs_c=ok cases=%d worst_loss_rel=%.2g worst_grad_rel=%.2g "
          "worst_step_rel=%.2g bounds=%g,%g,%g" % (len(prepared), worst[0], worst[1],
                                                   worst[2], LOSS_REL, GRAD_REL, STEP_REL),
          flush=True)
    failed = False
    for name, fn, extra, stepper, check_ms in prepared:
        try:
            print(time_case(name, pm, fn, extra, compiler, reps, args.warmup, check_ms,
                            stepper), flush=True)
        except Exception as error:  # noqa: BLE001  (reported, the rest runs)
            torch_peer.fail_line(name, error)
            failed = True
    if compiler.check_line():
        print(compiler.check_line(), flush=True)
    return 1 if failed else 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
