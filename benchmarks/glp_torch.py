#!/usr/bin/python3
"""benchmarks/glp_torch.py: the PyTorch side of pan-bench-glp.

Loads a pan checkpoint into the twin (tests/reference/model_twin.py) in
float32 and times, with torch.set_num_threads(--threads), the workloads
pan-bench-glp times in C, each batched as a fair PyTorch implementation
would run it: one forward for the whole batch, no Python loop over envs
around a model call (the backbone step, backbone_torch.BackboneStep, still
builds each env's round embeddings in Python, as backbone_torch.py times it).
With --compile the model's tensor functions run through torch.compile
(inductor on the CPU; benchmarks/torch_peer.py): the backbone step's core,
the decoder forward (all but its tiny time embedding), the VAE decode and
the re-encoding (VAE encode + ViT); each is checked against its eager self
on the first call of every input signature.

Cases (--cases, default all four):
  env_step     one GLP env step (docs/swin_dpm.md "The GLP step loop") for B
               envs (--batch) whose history holds H = 5 rounds and whose
               decoder window is in steady state (a previous chunk exists),
               as pan-bench-glp prefills them: reset, 4 latent steps, 1
               step with frames, so round 0 has S state tokens and rounds
               1..4 Q (ŝ alone), and the decoder has run its first step
               (here one untimed batched step after reset). Timed:
               backbone_step (one round of Q + S tokens, [ŝ, h(ô)], and a
               40-byte action per env) -> ŝ
               (B, Q, d); the Swin-DPM step batched over the B envs (N/2
               decoder forwards of batch B over 2K+1 frames, N/2 over K+1;
               cfg_scale from the checkpoint, 1 = one forward); VAE decode
               of B*K latents -> u8 frames; re-encoding of the B last frames
               (VAE encode + ViT) -> h(ô) (B, S, d). Also prints the medians
               of the four parts.
  latent_step  backbone_step alone at batch B: one round of Q state tokens
               (ŝ alone, obs_mode latent) and the action, on a history of 5
               rounds in latent mode (round 0: S tokens, rounds 1..4: Q).
  rollout      64 forks x 8 latent steps: one env with that history is
               copied into 64 other cache slots (timed: the copies of its
               filled K/V region and bookkeeping), then 8 batched latent
               steps of batch 64, each feeding its ŝ
               back as the next round. Prints steps_per_s = 64*8 / median.
  decoder      one decoder forward at batch 16 over the phase-1 window
               [cond1, A, B] (2K+1 frames), for a GFLOP/s figure.
Before every repetition the KV cache and the sampler state are restored to
the prefilled snapshot (untimed), as in backbone_torch.py.

The batched decoder forward here computes docs/model.md "Decoder g" exactly
like decoder_twin.Decoder.forward, but batches the cross-attention over the
envs (the twin loops over items), runs the chunk-wise causal self-attention
as one unmasked attention per block level (queries of block b against the
frames of blocks <= b; nothing masked is computed), fuses q/k/v into one
linear, and runs the final layer only on the frames whose velocity is used.
Fresh noise comes from torch.randn (the C code's SplitMix64/Box-Muller
stream in pure Python would time the interpreter, not the model).
Self-check before timing (env_step, decoder; ~10 s): the batched sampler at
B = 2 (first step after reset, then a steady-state step; the checkpoint's
cfg_scale; the checkpoint's decoder and a randomised one, since pan-init's
decoder is adaLN-zero and predicts velocity 0) equals
decoder_twin.SwinSampler run per env with the same Rng draws, to 1e-5
relative on the chunk and on chunk - x0 (what the decoder added); the
rollout case checks that a fork steps exactly like its source. Exit 1
otherwise.

Usage:
  glp_torch.py --checkpoint FILE [--threads 2] [--batch 1,16] [--reps 10]
               [--warmup 2] [--cases env_step,latent_step,rollout,decoder]
               [--compile]
Prints a peer line (torch_peer.py), a self-check line, then one line per
case (S = the common fields: median_us=M p10_us=A p90_us=B reps=R
warmup_ms=W, W the case's untimed set-up and warm-up reps, where a
--compile peer compiles):
  peer torch=V python=P compile=inductor|off omp_wait_policy=W
  check batched_sampler=ok max_rel_err=E
  case name=env_step batch=B S backbone_us=.. dpm_us=.. vae_decode_us=..
       reencode_us=..                                              (one line)
  case name=latent_step batch=B S
  case name=rollout forks=64 steps=8 S steps_per_s=..
  case name=decoder batch=16 frames=2K+1 S
  check compiled_vs_eager=ok shapes=N max_nmse=E                (--compile)
A case that fails prints `fail case=NAME,batch=B error=...` and the others
still run; a failed self-check prints `fail case=check ...` and ends the
run (its figures would not be the model's). Exit 0 ok, 1 on any failure,
2 without torch.

Repetitions: the expensive cases (env_step at B > 1, rollout and decoder)
run min(--reps, 3) timed repetitions after min(--warmup, 1) warm-ups, so
that the default run stays near 3 minutes on 2 cores (env_step at B = 16 is
several seconds per step, the rollout a few); the reps= field of each line
says how many ran. A --compile peer runs at least one warm-up rep of every
case, and a case that compiles during its timed reps fails.
Threads: torch.set_num_threads(--threads), OPENBLAS_NUM_THREADS and
OMP_WAIT_POLICY as torch_peer.prepare sets them: for Debian's torch
PASSIVE (its spinning OpenMP threads fight OpenBLAS's over the 2 cores: a
batch-16 decoder forward took 2.6-4.8 s instead of 1.1-1.2 s; with it,
--threads 2 and one OpenMP thread time the same within 10 %), for torch 2.x
ACTIVE.
"""
import argparse
import copy
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import torch_peer  # noqa: E402

if __name__ == "__main__":
    torch_peer.prepare(sys.argv[1:])  # before torch loads OpenMP and OpenBLAS
torch = torch_peer.import_torch("glp_torch.py")
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.join(HERE, "..", "tests", "reference"))
import backbone_torch  # noqa: E402  (BackboneStep, quantile, snapshot, restore, ACTION)
import decoder_twin  # noqa: E402
import glp_env_twin  # noqa: E402
import model_twin  # noqa: E402

ACTION = backbone_torch.ACTION  # 40 bytes, as in C
HISTORY = 5
FORKS, ROLLOUT_STEPS = 64, 8
DECODER_BATCH = 16
BIG_REPS, BIG_WARMUP = 3, 1
ATTENTION_TILE = 1 << 18  # floats of attention scores per group (1 MB)
f32 = decoder_twin.f32
CheckFailed = torch_peer.CheckFailed
EAGER = torch_peer.Compiler(torch, False)


# ---- the batched decoder forward ---------------------------------------------

def split_heads(t, heads):
    """(B, T, D) -> (B*H, T, hd), contiguous."""
    batch, tokens, dim = t.shape
    return (t.reshape(batch, tokens, heads, dim // heads).transpose(1, 2)
            .reshape(batch * heads, tokens, dim // heads))


def merge_heads(t, heads):
    """(B*H, T, hd) -> (B, T, D)."""
    bh, tokens, hd = t.shape
    return t.view(bh // heads, heads, tokens, hd).transpose(1, 2).reshape(
        bh // heads, tokens, heads * hd)


def attend_heads(qh, kh, vh):
    """softmax(q k^T / sqrt(hd)) v, no mask: qh (BH, Tq, hd), kh, vh (BH,
    Tk, hd) -> (BH, Tq, hd). The scale rides in the GEMM; the (env, head)
    pairs go through in groups whose scores fit in ATTENTION_TILE floats,
    which keeps them in cache (a batch-16 forward: 1.1 s instead of 1.5)."""
    bh, tq, hd = qh.shape
    tk = kh.shape[1]
    group = max(1, ATTENTION_TILE // (tq * tk))
    out = qh.new_empty(bh, tq, hd)
    for i in range(0, bh, group):
        j = min(bh, i + group)
        scores = torch.baddbmm(qh.new_empty(j - i, tq, tk), qh[i:j],
                               kh[i:j].transpose(1, 2), beta=0.0,
                               alpha=hd ** -0.5)                   # (g, Tq, Tk)
        torch.bmm(torch.softmax(scores, dim=-1), vh[i:j], out=out[i:j])
    return out


def attend(q, k, v, heads):
    """Multi-head attention without mask: q (B, Tq, D), k, v (B, Tk, D) ->
    (B, Tq, D)."""
    return merge_heads(attend_heads(split_heads(q, heads), split_heads(k, heads),
                                    split_heads(v, heads)), heads)


def spans_of(values):
    """[(value, first, end)] of the runs of equal values in a list."""
    runs, first = [], 0
    for j in range(1, len(values) + 1):
        if j == len(values) or values[j] != values[first]:
            runs.append((values[first], first, j))
            first = j
    return runs


class BatchedDecoder:
    """decoder_twin.Decoder's forward, batched over envs. Conditions are
    given per condition index as segments [(batch slice, state (b, Q, d),
    tokens E (b, m+1, d))], every env of a segment with the same action
    length (the benchmark's actions are all 40 bytes). All of the forward
    but the time embedding (n rows) runs in core, which a compiler may
    compile."""

    def __init__(self, decoder, embed, compiler=EAGER):
        self.dec, self.embed = decoder, embed
        self.qkv = [(torch.cat([b.attn.q.weight, b.attn.k.weight, b.attn.v.weight]),
                     torch.cat([b.attn.q.bias, b.attn.k.bias, b.attn.v.bias]))
                    for b in decoder.blocks]                          # (3D, D), (3D)
        self.core = compiler.wrap(self._core, "decoder forward")

    def null_tokens(self, batch):
        """The null condition's (state (B, Q, d), E (B, 1, d))."""
        return (self.dec.null_state[None].expand(batch, -1, -1),
                self.dec.null_action[None].expand(batch, -1, -1))

    def tokens(self, states, actions):
        """One segment's (state (B, Q, d), E (B, m+1, d))."""
        dec = self.dec
        lengths = {len(a) for a in actions}
        if len(lengths) != 1:
            raise ValueError("BatchedDecoder: actions of one batch must have one "
                             "length, got %s" % sorted(lengths))
        ids = torch.tensor([list(bytes(a)) + [decoder_twin.END] for a in actions],
                           dtype=torch.long)                           # (B, m+1)
        e = self.embed[ids] + dec.action_pos[:ids.shape[1]]
        return states.to(e.dtype).reshape(len(actions), -1, e.shape[-1]), e

    def forward(self, latents, sigma, slot, block, cond, conditions, out_from):
        """latents (B, n, z, h, w) with frames ordered by block; sigma, slot,
        block, cond (n,) lists (cond -1 none, else an index into
        conditions); returns the velocity of frames out_from.. (B, n', z, h, w)."""
        if sorted(block) != list(block):
            raise ValueError("BatchedDecoder: frames must be ordered by block")
        dec = self.dec
        dtype = dec.patch_embed.weight.dtype
        c = F.silu(dec.time_mlp(dec.time_embedding(sigma, dtype)))    # (n, D)
        return self.core(latents, c, tuple(slot), tuple(block), tuple(cond), conditions,
                         out_from)

    def _core(self, latents, c, slot, block, cond, conditions, out_from):
        dec = self.dec
        z, h, w = latents.shape[2:]                                   # latents (B, n, z, h, w)
        x = (dec.patch_embed(dec.patchify(latents)) + dec.pos_embed +
             dec.frame_embed[torch.tensor(slot, dtype=torch.long)][:, None, :])
        dim = x.shape[3]                                              # x (B, n, Tf, D)
        levels = [(f0, f1) for _, f0, f1 in spans_of(block)]
        cond_runs = [(ci, f0, f1) for ci, f0, f1 in spans_of(cond) if ci >= 0]
        for module, (w_qkv, b_qkv) in zip(dec.blocks, self.qkv):
            x = self.block(module, w_qkv, b_qkv, x, c, levels, cond_runs, conditions)
        x, c = x[:, out_from:], c[out_from:]
        sh, sc = dec.final.adaLN_modulation(c)[None, :, None, :].chunk(2, dim=-1)
        out = dec.final.linear(F.layer_norm(x, (dim,), eps=dec.eps) * (1 + sc) + sh)
        return dec.unpatchify(out, z, h, w)

    def block(self, module, w_qkv, b_qkv, x, c, levels, cond_runs, conditions):
        batch, frames, tokens, dim = x.shape
        heads, eps = module.heads, module.eps
        sh1, sc1, g1, sh2, sc2, g2 = module.adaLN_modulation(c)[None, :, None, :].chunk(6, -1)
        a = torch.addcmul(sh1, F.layer_norm(x, (dim,), eps=eps), 1 + sc1)  # (B, n, Tf, D)
        qh, kh, vh = (split_heads(t.reshape(batch, frames * tokens, dim), heads)
                      for t in F.linear(a, w_qkv, b_qkv).chunk(3, dim=-1))  # (B*H, n*Tf, hd)
        # block level: queries of frames f0..f1 see the keys of frames 0..f1
        att = merge_heads(torch.cat([attend_heads(qh[:, f0 * tokens:f1 * tokens],
                                                  kh[:, :f1 * tokens], vh[:, :f1 * tokens])
                                     for f0, f1 in levels], 1), heads)
        x = torch.addcmul(x, g1, module.attn.proj(att).view(batch, frames, tokens, dim))
        cross = module.cross
        for ci, f0, f1 in cond_runs:
            qc = cross.q(module.cross_norm(x[:, f0:f1]))              # (B, r, Tf, D)
            for part, state, e in conditions[ci]:
                qr = qc[part].reshape(state.shape[0], -1, dim)
                update = (cross.action_out(attend(qr, cross.action_k(e),
                                                  cross.action_v(e), heads)) +
                          cross.state_out(attend(qr, cross.state_k(state),
                                                 cross.state_v(state), heads)))
                x[part, f0:f1] += update.view(-1, f1 - f0, tokens, dim)
        a = torch.addcmul(sh2, F.layer_norm(x, (dim,), eps=eps), 1 + sc2)
        return torch.addcmul(x, g2, module.mlp(a))


class BatchedSampler:
    """pan's no-lag Swin-DPM cycle (docs/swin_dpm.md) for B envs at once, in
    the decoder's dtype, on a BatchedDecoder `net`. reset(first (B, z, h, w), eps); step(states (B, Q,
    d), actions, x0 (B, K, z, h, w), eps (B, z, h, w)) -> chunk latents (B,
    K, z, h, w). snapshot()/restore() save and put back the window state."""

    def __init__(self, net, cfg, cfg_scale=None):
        dec = cfg["decoder"]
        self.net = net
        self.k, self.steps = cfg["frame"]["chunk_frames"], dec["steps"]
        self.cond_noise = dec["cond_noise"]
        self.scale = f32(dec["cfg_scale"] if cfg_scale is None else cfg_scale)
        self.sigmas = decoder_twin.schedule(cfg)

    def reset(self, first, eps):
        self.cond1 = self.cond2 = decoder_twin.noised_cond(first, eps, self.cond_noise)
        self.prev_traj, self.prev_condition = None, None

    def snapshot(self):
        return (self.cond1, self.cond2, self.prev_traj, self.prev_condition)

    def restore(self, snap):
        self.cond1, self.cond2, self.prev_traj, self.prev_condition = snap

    def velocity(self, window, sigma, slot, block, cond, conditions, out_from):
        """conditions[ci] = (states, actions) of the batch; CFG as
        decoder_twin.velocity: a null forward batched with the conditioned one."""
        net, batch = self.net, window.shape[0]
        if self.scale == 1.0:
            segs = [[(slice(0, batch),) + net.tokens(s, a)] for s, a in conditions]
            return net.forward(window, sigma, slot, block, cond, segs, out_from)
        segs = [[(slice(0, batch),) + net.tokens(s, a),
                 (slice(batch, 2 * batch),) + net.null_tokens(batch)]
                for s, a in conditions]
        both = net.forward(torch.cat([window, window]), sigma, slot, block, cond,
                           segs, out_from)
        v_cond, v_null = both[:batch], both[batch:]
        return v_null + self.scale * (v_cond - v_null)

    def step(self, states, actions, x0, eps):
        k, half, sig = self.k, self.steps // 2, self.sigmas
        cn = f32(self.cond_noise)
        now = (states, list(actions))
        x = x0                                                        # B = x0
        for j in range(half):                                         # phase 1
            if self.prev_traj is None:
                window = torch.cat([self.cond1[:, None], x], 1)
                v = self.velocity(window, [cn] + [sig[j]] * k,
                                  [0] + list(range(k + 1, 2 * k + 1)), [0] + [2] * k,
                                  [-1] + [0] * k, [now], 1)
            else:
                window = torch.cat([self.cond1[:, None], self.prev_traj[j], x], 1)
                v = self.velocity(window, [cn] + [sig[half + j]] * k + [sig[j]] * k,
                                  list(range(2 * k + 1)), [0] + [1] * k + [2] * k,
                                  [-1] + [0] * k + [1] * k,
                                  [self.prev_condition, now], 1 + k)
            x = x + decoder_twin.euler_dt(sig, j) * v
        traj = []
        for j in range(half, self.steps):                             # phase 2
            traj.append(x)
            window = torch.cat([self.cond2[:, None], x], 1)
            v = self.velocity(window, [cn] + [sig[j]] * k, list(range(k + 1)),
                              [0] + [1] * k, [-1] + [0] * k, [now], 1)
            x = x + decoder_twin.euler_dt(sig, j) * v
        self.cond1 = self.cond2
        self.cond2 = decoder_twin.noised_cond(x[:, -1], eps, self.cond_noise)
        self.prev_traj, self.prev_condition = traj, now
        return x


# ---- self-check ------------------------------------------------------------------

def relative_error(a, b):
    return float((a.double() - b.double()).norm() / b.double().norm().clamp_min(1e-30))


def check_sampler(model, decoder, net, label, tolerance=1e-5):
    """Batched sampler on `net` at B = 2 against decoder_twin.SwinSampler on
    `decoder` per env (same Rng draws): first step after reset, then a
    steady-state step."""
    cfg = model.cfg
    scale = f32(cfg["decoder"]["cfg_scale"])
    k, shape = cfg["frame"]["chunk_frames"], latent_shape(cfg)   # shape (z, h, w)
    q, d = cfg["backbone"]["queries"], cfg["backbone"]["dim"]
    gen = torch.Generator().manual_seed(7)
    firsts = torch.randn((2,) + shape, generator=gen)
    actions = [[ACTION, b"push the green ball left, then stop it!!"],
               [b"open the drawer slowly and look inside..", ACTION]]
    states = [torch.randn(2, q, d, generator=gen) for _ in actions]
    singles = []
    for b in range(2):
        s = decoder_twin.SwinSampler(decoder, net.embed, cfg, scale)
        s.reset(firsts[b], seed=100 + b)
        singles.append(s)
    batched = BatchedSampler(net, cfg, scale)
    rngs = [decoder_twin.Rng(100 + b) for b in range(2)]
    draw = lambda shape: torch.stack([r.normals(shape) for r in rngs]).float()  # noqa: E731
    batched.reset(firsts, draw(shape))
    worst = 0.0
    for t, (st, acts) in enumerate(zip(states, actions)):
        expect = torch.stack([singles[b].step(st[b], acts[b]) for b in range(2)])
        x0 = draw((k,) + shape)
        eps = draw(shape)
        got = batched.step(st, acts, x0, eps)
        # the chunk, and what the decoder added to the noise (x0 dominates the chunk)
        err = max(relative_error(got, expect), relative_error(got - x0, expect - x0.double()))
        if not err <= tolerance:  # also catches NaN
            raise CheckFailed("self-check %s cfg_scale=%g step %d: batched sampler "
                              "differs from decoder_twin.SwinSampler per env by %.3g "
                              "relative (bound %g)" % (label, scale, t, err, tolerance))
        worst = max(worst, err)
    return worst


def self_check(model):
    """check_sampler with the checkpoint's weights and with random ones, at
    the checkpoint's cfg_scale (the one the cases time), through the peer's
    decoder forward (compiled with --compile)."""
    cfg = model.cfg
    random_pm = model_twin.PanModel(cfg)
    model_twin.randomize(random_pm, torch.Generator().manual_seed(3))
    random_pm.eval()
    random_net = BatchedDecoder(random_pm.decoder, random_pm.model.embed_tokens.weight,
                                model.compiler)
    return max(check_sampler(model, model.pm.decoder, model.net, "checkpoint"),
               check_sampler(model, random_pm.decoder, random_net, "random"))


# ---- cases -------------------------------------------------------------------

class Model:
    """The twin's parts as the cases run them, eager or compiled: the
    backbone step, the batched decoder, the VAE decode and the re-encoding
    of frames (VAE encode + ViT)."""

    def __init__(self, pm, compiler):
        self.pm, self.cfg, self.compiler = pm, pm.cfg, compiler
        self.step = backbone_torch.BackboneStep(pm, compiler)
        self.net = BatchedDecoder(pm.decoder, pm.model.embed_tokens.weight, compiler)
        self.decode = compiler.wrap(pm.vae.decode, "VAE decode")
        self.reencode = compiler.wrap(lambda images: pm.encoder(pm.vae.encode(images)),
                                      "re-encoding")


def latent_shape(cfg):
    levels = len(cfg["vae"]["channel_mult"])
    return (cfg["vae"]["latent_channels"], cfg["frame"]["height"] // 2 ** (levels - 1),
            cfg["frame"]["width"] // 2 ** (levels - 1))


def prefill(model, cache, slots, generator):
    """HISTORY rounds in every slot, as pan-bench-glp's reset and latent
    steps leave them: round 0 S tokens, later rounds Q; random state
    tokens, the ACTION."""
    cfg = model.cfg
    d, q = cfg["backbone"]["dim"], cfg["backbone"]["queries"]
    s = model_twin.state_tokens(cfg)
    for r in range(HISTORY):
        n = s if r == 0 else q
        model.step(cache, [(slot, torch.randn(n, d, generator=generator), ACTION)
                           for slot in slots])


def timed_parts(model, start, reps, warmup, body):
    """body() -> {part: us} (it times itself); ({part: [us of each timed
    rep]}, the ms from `start` (the case's perf_counter at its set-up) to
    the first timed rep). With compile: at least one warm-up rep, and
    nothing may compile during the timed ones."""
    compiler = model.compiler
    if compiler.enabled:
        warmup = max(warmup, 1)
    parts, warm_ms = {}, None
    for rep in range(warmup + reps):
        if rep == warmup:
            warm_ms, frames = (time.perf_counter() - start) * 1e3, compiler.frames()
        part = body()
        if rep >= warmup:
            for key, value in part.items():
                parts.setdefault(key, []).append(value)
    if compiler.frames() != frames:
        raise RuntimeError("torch.compile compiled during the timed reps (%d frames)"
                           % (compiler.frames() - frames))
    return parts, warm_ms


def stats(times, warm_ms):
    q = backbone_torch.quantile
    return "median_us=%.1f p10_us=%.1f p90_us=%.1f reps=%d warmup_ms=%.1f" % (
        q(times, 0.5), q(times, 0.1), q(times, 0.9), len(times), warm_ms)


def case_env_step(model, batch, reps, warmup):
    start = time.perf_counter()
    cfg = model.cfg
    d, q = cfg["backbone"]["dim"], cfg["backbone"]["queries"]
    k, shape = cfg["frame"]["chunk_frames"], latent_shape(cfg)
    s = model_twin.state_tokens(cfg)
    gen = torch.Generator().manual_seed(batch * 1000 + HISTORY)
    cache = model_twin.KVCache(cfg, batch, dtype=torch.float32)
    prefill(model, cache, range(batch), gen)
    sampler = BatchedSampler(model.net, cfg)
    actions = [ACTION] * batch
    sampler.reset(torch.randn((batch,) + shape, generator=gen),
                  torch.randn((batch,) + shape, generator=gen))
    sampler.step(torch.randn(batch, q, d, generator=gen), actions,   # to steady state
                 torch.randn((batch, k) + shape, generator=gen),
                 torch.randn((batch,) + shape, generator=gen))
    cache_snap, sampler_snap = backbone_torch.snapshot(cache), sampler.snapshot()
    timed = [(b, torch.randn(q + s, d, generator=gen), ACTION) for b in range(batch)]
    noise = torch.Generator().manual_seed(11)

    def body():
        backbone_torch.restore(cache, cache_snap)                         # untimed
        sampler.restore(sampler_snap)
        t0 = time.perf_counter()
        predicted = model.step(cache, timed)                              # (B, Q, d)
        t1 = time.perf_counter()
        x0 = torch.randn((batch, k) + shape, generator=noise)
        eps = torch.randn((batch,) + shape, generator=noise)
        chunk = sampler.step(predicted, actions, x0, eps)                 # (B, K, z, h, w)
        t2 = time.perf_counter()
        frames = glp_env_twin.images_to_frames(
            model.decode(chunk.reshape((batch * k,) + shape)))            # (B*K, H, W, 3)
        t3 = time.perf_counter()
        last = frames.view((batch, k) + tuple(frames.shape[1:]))[:, -1]  # (B, H, W, 3)
        seen = model.reencode(glp_env_twin.frames_to_images(last, torch.float32))
        state = torch.cat([predicted, seen], 1)                           # (B, Q+S, d)
        t4 = time.perf_counter()
        if not torch.isfinite(state).all():
            raise RuntimeError("env_step: non-finite next state")
        return {"backbone": (t1 - t0) * 1e6, "dpm": (t2 - t1) * 1e6,
                "vae_decode": (t3 - t2) * 1e6, "reencode": (t4 - t3) * 1e6,
                "step": (t4 - t0) * 1e6}

    parts, warm_ms = timed_parts(model, start, reps, warmup, body)
    med = lambda key: backbone_torch.quantile(parts[key], 0.5)  # noqa: E731
    return ("case name=env_step batch=%d %s backbone_us=%.1f dpm_us=%.1f "
            "vae_decode_us=%.1f reencode_us=%.1f"
            % (batch, stats(parts["step"], warm_ms), med("backbone"), med("dpm"),
               med("vae_decode"), med("reencode")))


def case_latent_step(model, batch, reps, warmup):
    start = time.perf_counter()
    cfg = model.cfg
    d, q = cfg["backbone"]["dim"], cfg["backbone"]["queries"]
    gen = torch.Generator().manual_seed(batch * 1000 + HISTORY + 1)
    cache = model_twin.KVCache(cfg, batch, dtype=torch.float32)
    prefill(model, cache, range(batch), gen)
    snap = backbone_torch.snapshot(cache)
    timed = [(b, torch.randn(q, d, generator=gen), ACTION) for b in range(batch)]

    def body():
        backbone_torch.restore(cache, snap)
        t0 = time.perf_counter()
        out = model.step(cache, timed)                                    # (B, Q, d)
        elapsed = (time.perf_counter() - t0) * 1e6
        if not torch.isfinite(out).all():
            raise RuntimeError("latent_step: non-finite ŝ")
        return {"step": elapsed}

    parts, warm_ms = timed_parts(model, start, reps, warmup, body)
    return "case name=latent_step batch=%d %s" % (batch, stats(parts["step"], warm_ms))


def fork(cache, source, targets):
    """Copies slot `source` (its filled region and bookkeeping) into the
    slots of range `targets` (contiguous)."""
    used = cache.fill[source]
    window = slice(targets.start, targets.stop)
    cache.k[:, window, :used] = cache.k[:, source:source + 1, :used]
    cache.v[:, window, :used] = cache.v[:, source:source + 1, :used]
    cache.live[window] = cache.live[source]
    for t in targets:
        cache.fill[t], cache.rounds[t] = cache.fill[source], cache.rounds[source]
        cache.next_position[t] = cache.next_position[source]
        cache.live_rounds[t] = copy.deepcopy(cache.live_rounds[source])


def case_rollout(model, reps, warmup):
    start = time.perf_counter()
    cfg = model.cfg
    d, q = cfg["backbone"]["dim"], cfg["backbone"]["queries"]
    gen = torch.Generator().manual_seed(64064)
    source = FORKS                             # the env; its forks: slots 0..63
    cache = model_twin.KVCache(cfg, FORKS + 1, dtype=torch.float32)
    prefill(model, cache, [source], gen)
    snap = backbone_torch.snapshot(cache)
    first = torch.randn(q, d, generator=gen)   # the env's current ŝ
    # check (untimed): a fork steps exactly like its source
    fork(cache, source, range(FORKS))
    forks = model.step(cache, [(b, first, ACTION) for b in range(FORKS)])
    alone = model.step(cache, [(source, first, ACTION)])
    err = relative_error(forks, alone.expand_as(forks))
    if not err <= 1e-5:
        raise CheckFailed("rollout: forks step differently from their source "
                          "(%.3g relative, bound 1e-5)" % err)

    def body():
        backbone_torch.restore(cache, snap)
        t0 = time.perf_counter()
        fork(cache, source, range(FORKS))
        states = first[None].expand(FORKS, q, d)
        for _ in range(ROLLOUT_STEPS):
            states = model.step(cache, [(b, states[b], ACTION)
                                        for b in range(FORKS)])              # (64, Q, d)
        elapsed = (time.perf_counter() - t0) * 1e6
        if not torch.isfinite(states).all():
            raise RuntimeError("rollout: non-finite ŝ")
        return {"step": elapsed}

    parts, warm_ms = timed_parts(model, start, reps, warmup, body)
    median = backbone_torch.quantile(parts["step"], 0.5)
    return ("case name=rollout forks=%d steps=%d %s steps_per_s=%.1f"
            % (FORKS, ROLLOUT_STEPS, stats(parts["step"], warm_ms),
               FORKS * ROLLOUT_STEPS / (median * 1e-6)))


def case_decoder(model, reps, warmup):
    start = time.perf_counter()
    cfg = model.cfg
    d, q = cfg["backbone"]["dim"], cfg["backbone"]["queries"]
    k, shape = cfg["frame"]["chunk_frames"], latent_shape(cfg)
    half, sig = cfg["decoder"]["steps"] // 2, decoder_twin.schedule(cfg)
    cn = f32(cfg["decoder"]["cond_noise"])
    gen = torch.Generator().manual_seed(16)
    batch = DECODER_BATCH
    net = model.net
    window = torch.randn((batch, 2 * k + 1) + shape, generator=gen)
    segs = [[(slice(0, batch),) + net.tokens(torch.randn(batch, q, d, generator=gen),
                                             [ACTION] * batch)] for _ in range(2)]
    args = ([cn] + [sig[half]] * k + [sig[0]] * k, list(range(2 * k + 1)),
            [0] + [1] * k + [2] * k, [-1] + [0] * k + [1] * k, segs, 1 + k)

    def body():
        t0 = time.perf_counter()
        v = net.forward(window, *args)
        elapsed = (time.perf_counter() - t0) * 1e6
        if not torch.isfinite(v).all():
            raise RuntimeError("decoder: non-finite velocity")
        return {"step": elapsed}

    parts, warm_ms = timed_parts(model, start, reps, warmup, body)
    return "case name=decoder batch=%d frames=%d %s" % (batch, 2 * k + 1,
                                                        stats(parts["step"], warm_ms))


# ---- main ----------------------------------------------------------------------

CASES = ("env_step", "latent_step", "rollout", "decoder")


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--threads", type=int, default=2,
                        help="torch.set_num_threads and OPENBLAS_NUM_THREADS")
    parser.add_argument("--batch", default="1,16")
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--compile", action="store_true",
                        help="the model's tensor functions through torch.compile (inductor)")
    try:
        args = parser.parse_args(argv)
    except SystemExit as done:  # --help: 0; a bad option: 1 (2 means no torch)
        return 0 if done.code == 0 else 1
    cases = [c for c in args.cases.split(",") if c]
    unknown = [c for c in cases if c not in CASES]
    if unknown or args.reps < 1 or args.warmup < 0 or args.threads < 1:
        sys.stderr.write("glp_torch.py: expected --cases from %s, --reps >= 1, "
                         "--warmup >= 0, --threads >= 1; got cases %s, reps %d, "
                         "warmup %d, threads %d\n" % (",".join(CASES), unknown or cases,
                                                      args.reps, args.warmup, args.threads))
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
    big_reps, big_warmup = min(args.reps, BIG_REPS), min(args.warmup, BIG_WARMUP)
    try:
        pm, _ = model_twin.load_checkpoint(args.checkpoint, dtype=torch.float32)
    except (OSError, ValueError, KeyError) as error:
        torch_peer.fail_line("all", error)
        return 1
    pm.eval()
    model = Model(pm, compiler)
    runs = []
    if "env_step" in cases:
        for batch in backbone_torch.ints(args.batch):
            big = batch > 1
            runs.append(("env_step,batch=%d" % batch, case_env_step,
                         (batch, big_reps if big else args.reps,
                          big_warmup if big else args.warmup)))
    if "latent_step" in cases:
        for batch in backbone_torch.ints(args.batch):
            runs.append(("latent_step,batch=%d" % batch, case_latent_step,
                         (batch, args.reps, args.warmup)))
    if "rollout" in cases:
        runs.append(("rollout,forks=%d" % FORKS, case_rollout, (big_reps, big_warmup)))
    if "decoder" in cases:
        runs.append(("decoder,batch=%d" % DECODER_BATCH, case_decoder,
                     (big_reps, big_warmup)))
    failed = False
    with torch.inference_mode():
        if "env_step" in cases or "decoder" in cases:
            try:
                start = time.perf_counter()
                worst = self_check(model)
                print("check batched_sampler=ok max_rel_err=%.3g time_ms=%.1f"
                      % (worst, (time.perf_counter() - start) * 1e3), flush=True)
            except Exception as error:  # noqa: BLE001  (a compile failure too)
                torch_peer.fail_line("check", error)
                return 1
        for name, run, run_args in runs:
            try:
                print(run(model, *run_args), flush=True)
            except Exception as error:  # noqa: BLE001  (reported, the rest runs)
                torch_peer.fail_line(name, error)
                failed = True
    if compiler.check_line():
        print(compiler.check_line(), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
