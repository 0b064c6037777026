#!/usr/bin/python3
"""tests/reference/decoder_twin.py: the PyTorch twin of pan's decoder g and
its Causal Swin-DPM sampler (model twin, part 2).

torch.nn modules and functions that compute exactly docs/model.md "Decoder
g" and docs/swin_dpm.md (schedule, classifier-free guidance, random
numbers, pan's no-lag cycle). model_twin.PanModel holds a Decoder as its
`decoder` attribute; the GLP env step (VAE + encoder + backbone + this
sampler) is glp_env_twin.GLPEnv.

Contract
- Decoder(cfg) holds every `decoder.*` parameter (names without the
  prefix); decoder_param_order(cfg) lists them, with the prefix, in
  docs/model.md declaration order.
- Decoder.forward(embed, latents, sigma, slot, block, cond, conditions):
  one forward over a window, batched. latents (B, n, z, h, w); sigma (n,)
  floats; slot, block, cond (n,) ints (cond -1: no condition, else an
  index into the item's condition list); conditions[b] a list of (state
  (Q, d), action bytes) or None (the null condition); embed the backbone's
  model.embed_tokens.weight (V, d). Returns the velocity (B, n, z, h, w) of
  every frame. Run the module in .double() for a reference.
- velocity(...) adds classifier-free guidance (cfg_scale != 1: a second,
  batched forward with every condition null).
- Rng is core/rng.h: SplitMix64 + Box-Muller, the spare kept across
  calls, every normal rounded to f32. schedule(cfg) is the f32 sigma_i.
- SwinSampler runs pan's cycle for one env: reset(first latent, seed),
  step(state, action) -> chunk latent (K, z, h, w) emitted at this step;
  canonical_swin is the lagged schedule as PAN states it, which the
  self-test holds pan's cycle to.
"""
import math

import numpy
import torch
import torch.nn as nn
import torch.nn.functional as F

END = 261  # tokenizer special (model_twin.END)


def f32(value):
    """A float as the C code sees it (rounded to float32)."""
    return float(numpy.float32(value))


def decoder_sizes(cfg):
    """(Tf tokens per frame, P values per patch, K chunk frames)."""
    dec, z = cfg["decoder"], cfg["vae"]["latent_channels"]
    levels = len(cfg["vae"]["channel_mult"])
    lh = cfg["frame"]["height"] // 2 ** (levels - 1)
    lw = cfg["frame"]["width"] // 2 ** (levels - 1)
    p = dec["patch"]
    return (lh // p) * (lw // p), z * p * p, cfg["frame"]["chunk_frames"]


# ---- the network -------------------------------------------------------------

class SelfAttention(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.q = nn.Linear(dim, dim)
        self.k = nn.Linear(dim, dim)
        self.v = nn.Linear(dim, dim)
        self.proj = nn.Linear(dim, dim)


class CrossAttention(nn.Module):
    """Two streams: the action's token embeddings and the predicted state."""

    def __init__(self, dim, cond_dim):
        super().__init__()
        self.q = nn.Linear(dim, dim)
        self.action_k = nn.Linear(cond_dim, dim)
        self.action_v = nn.Linear(cond_dim, dim)
        self.action_out = nn.Linear(dim, dim)
        self.state_k = nn.Linear(cond_dim, dim)
        self.state_v = nn.Linear(cond_dim, dim)
        self.state_out = nn.Linear(dim, dim)


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x), approximate="tanh"))


def heads_attention(q, k, v, heads, allowed=None):
    """softmax(q k^T / sqrt(hd)) v per head. q (..., Tq, D), k, v (..., Tk,
    D) (leading dims broadcast); allowed (Tq, Tk) bool or None. Returns
    (..., Tq, D)."""
    *lead, tq, dim = q.shape
    hd = dim // heads
    qh = q.reshape(*lead, tq, heads, hd).transpose(-2, -3)     # (..., H, Tq, hd)
    kh = k.reshape(*k.shape[:-1], heads, hd).transpose(-2, -3)  # (..., H, Tk, hd)
    vh = v.reshape(*v.shape[:-1], heads, hd).transpose(-2, -3)
    scores = qh @ kh.transpose(-1, -2) / math.sqrt(hd)         # (..., H, Tq, Tk)
    if allowed is not None:
        scores = scores.masked_fill(~allowed, float("-inf"))
    out = torch.softmax(scores, dim=-1) @ vh                   # (..., H, Tq, hd)
    return out.transpose(-2, -3).reshape(*lead, tq, dim)


class DiTBlock(nn.Module):
    def __init__(self, dec, cond_dim):
        super().__init__()
        dim = dec["dim"]
        self.adaLN_modulation = nn.Linear(dim, 6 * dim)
        self.attn = SelfAttention(dim)
        self.cross_norm = nn.LayerNorm(dim, eps=f32(dec["norm_eps"]))
        self.cross = CrossAttention(dim, cond_dim)
        self.mlp = Mlp(dim, dec["mlp_dim"])
        self.heads, self.eps = dec["heads"], f32(dec["norm_eps"])

    def forward(self, x, c, allowed, cross_terms):
        """x (B, n, Tf, D); c (n, D) = silu(t); allowed (n*Tf, n*Tf);
        cross_terms(q, block) -> the cross-attention update (B, n, Tf, D)."""
        batch, frames, tokens, dim = x.shape
        mod = self.adaLN_modulation(c)[None, :, None, :]     # (1, n, 1, 6D)
        sh1, sc1, g1, sh2, sc2, g2 = mod.chunk(6, dim=-1)
        ln = lambda t: F.layer_norm(t, (dim,), eps=self.eps)  # noqa: E731
        a = (ln(x) * (1 + sc1) + sh1).reshape(batch, frames * tokens, dim)
        att = heads_attention(self.attn.q(a), self.attn.k(a), self.attn.v(a),
                              self.heads, allowed)
        x = x + g1 * self.attn.proj(att).view(batch, frames, tokens, dim)
        x = x + cross_terms(self.cross.q(self.cross_norm(x)), self)
        a = ln(x) * (1 + sc2) + sh2
        return x + g2 * self.mlp(a)


class FinalLayer(nn.Module):
    def __init__(self, dim, patch_values):
        super().__init__()
        self.adaLN_modulation = nn.Linear(dim, 2 * dim)
        self.linear = nn.Linear(dim, patch_values)


class Decoder(nn.Module):
    """docs/model.md "Decoder g": parameters `decoder.*`."""

    def __init__(self, cfg):
        super().__init__()
        dec, d = cfg["decoder"], cfg["backbone"]["dim"]
        tf, pv, k = decoder_sizes(cfg)
        dim = dec["dim"]
        self.patch_embed = nn.Linear(pv, dim)
        self.pos_embed = nn.Parameter(torch.zeros(tf, dim))
        self.frame_embed = nn.Parameter(torch.zeros(2 * k + 1, dim))
        self.time_mlp = nn.Sequential(nn.Linear(dec["freq_dim"], dim), nn.SiLU(),
                                      nn.Linear(dim, dim))
        self.action_pos = nn.Parameter(
            torch.zeros(cfg["tokenizer"]["max_action_bytes"] + 1, d))
        self.null_state = nn.Parameter(torch.zeros(cfg["backbone"]["queries"], d))
        self.null_action = nn.Parameter(torch.zeros(1, d))
        self.blocks = nn.ModuleList(DiTBlock(dec, d) for _ in range(dec["layers"]))
        self.final = FinalLayer(dim, pv)
        self.patch, self.freq_dim = dec["patch"], dec["freq_dim"]
        self.heads, self.eps = dec["heads"], f32(dec["norm_eps"])

    def patchify(self, latents):
        """(B, n, z, h, w) -> (B, n, Tf, P): token r*(w/p)+c, value
        ch*p*p + dy*p + dx (PAN_OP_PATCHIFY, no merge grouping)."""
        b, n, z, h, w = latents.shape
        p = self.patch
        return (latents.reshape(b, n, z, h // p, p, w // p, p)
                .permute(0, 1, 3, 5, 2, 4, 6).reshape(b, n, (h // p) * (w // p), z * p * p))

    def unpatchify(self, out, z, h, w):
        """(B, n, Tf, P) -> (B, n, z, h, w), the inverse of patchify."""
        b, n = out.shape[:2]
        p = self.patch
        return (out.reshape(b, n, h // p, w // p, z, p, p)
                .permute(0, 1, 4, 2, 5, 3, 6).reshape(b, n, z, h, w))

    def time_embedding(self, sigma, dtype):
        """sigma (n,) -> e (n, F) = [cos(1000 σ ω), sin(1000 σ ω)], float64."""
        half = self.freq_dim // 2
        omega = torch.exp(-math.log(10000.0) *
                          torch.arange(half, dtype=torch.float64) / half)
        arg = 1000.0 * torch.tensor(sigma, dtype=torch.float64)[:, None] * omega
        return torch.cat([arg.cos(), arg.sin()], dim=-1).to(dtype)

    def condition_tokens(self, embed, condition):
        """(state (Q, d), E (m+1, d)) of a condition; None -> the null one."""
        if condition is None:
            return self.null_state, self.null_action
        state, action = condition
        ids = torch.tensor(list(bytes(action)) + [END], dtype=torch.long)
        tokens = embed[ids] + self.action_pos[:ids.shape[0]]
        return state.to(tokens.dtype).reshape(-1, tokens.shape[1]), tokens

    def forward(self, embed, latents, sigma, slot, block, cond, conditions):
        batch, frames, z, h, w = latents.shape
        dtype = self.patch_embed.weight.dtype
        x = (self.patch_embed(self.patchify(latents.to(dtype))) + self.pos_embed +
             self.frame_embed[torch.tensor(slot, dtype=torch.long)][:, None, :])
        t = self.time_mlp(self.time_embedding(sigma, dtype))
        c = F.silu(t)                                              # (n, D)
        tokens = x.shape[2]
        blk = torch.tensor(block, dtype=torch.long).repeat_interleave(tokens)
        allowed = blk[:, None] >= blk[None, :]                     # (n*Tf, n*Tf)
        # per item and condition: the frames it conditions and its tokens
        groups = []
        for b in range(batch):
            for index, condition in enumerate(conditions[b]):
                rows = [j for j in range(frames) if cond[j] == index]
                if rows:
                    groups.append((b, rows, self.condition_tokens(embed, condition)))

        def cross_terms(q, blk_module):
            cross = blk_module.cross
            update = torch.zeros_like(q)
            for b, rows, (state, action) in groups:
                qr = q[b, rows]                                    # (r, Tf, D)
                a = heads_attention(qr, cross.action_k(action), cross.action_v(action),
                                    self.heads)
                s = heads_attention(qr, cross.state_k(state), cross.state_v(state),
                                    self.heads)
                update[b, rows] = cross.action_out(a) + cross.state_out(s)
            return update

        for module in self.blocks:
            x = module(x, c, allowed, cross_terms)
        sh, sc = self.final.adaLN_modulation(c)[None, :, None, :].chunk(2, dim=-1)
        out = self.final.linear(F.layer_norm(x, (x.shape[-1],), eps=self.eps) *
                                (1 + sc) + sh)                     # (B, n, Tf, P)
        return self.unpatchify(out, z, h, w)


def decoder_param_order(cfg):
    """Every `decoder.*` name in docs/model.md declaration order."""
    wb = lambda p: [p + ".weight", p + ".bias"]  # noqa: E731
    names = wb("decoder.patch_embed") + ["decoder.pos_embed", "decoder.frame_embed"]
    names += wb("decoder.time_mlp.0") + wb("decoder.time_mlp.2")
    names += ["decoder.action_pos", "decoder.null_state", "decoder.null_action"]
    for i in range(cfg["decoder"]["layers"]):
        for part in ("adaLN_modulation", "attn.q", "attn.k", "attn.v", "attn.proj",
                     "cross_norm", "cross.q", "cross.action_k", "cross.action_v",
                     "cross.action_out", "cross.state_k", "cross.state_v",
                     "cross.state_out", "mlp.fc1", "mlp.fc2"):
            names += wb("decoder.blocks.%d.%s" % (i, part))
    return names + wb("decoder.final.adaLN_modulation") + wb("decoder.final.linear")


def velocity(decoder, embed, latents, sigma, slot, block, cond, conditions,
             cfg_scale):
    """docs/swin_dpm.md classifier-free guidance: cfg_scale 1 runs the
    conditioned forward alone; otherwise v_null + s (v_cond - v_null), the
    null forward (every condition null) batched with the conditioned one."""
    scale = f32(cfg_scale)
    if scale == 1.0:
        return decoder(embed, latents, sigma, slot, block, cond, conditions)
    nulls = [[None] * len(items) for items in conditions]
    both = decoder(embed, torch.cat([latents, latents]), sigma, slot, block, cond,
                   list(conditions) + nulls)
    v_cond, v_null = both[:latents.shape[0]], both[latents.shape[0]:]
    return v_null + scale * (v_cond - v_null)


# ---- schedule and random numbers ------------------------------------------

def schedule(cfg):
    """σ_i = s u_i / (1 + (s - 1) u_i), u_i = 1 - i/N, i = 0..N, computed in
    double and rounded to f32 once."""
    steps, shift = cfg["decoder"]["steps"], f32(cfg["decoder"]["shift"])
    sigmas = []
    for i in range(steps + 1):
        u = 1.0 - i / steps
        sigmas.append(f32(shift * u / (1.0 + (shift - 1.0) * u)))
    return sigmas


def euler_dt(sigmas, i):
    """(float)(σ_i - σ_{i+1}) of the f32 schedule."""
    return f32(sigmas[i] - sigmas[i + 1])


MASK64 = (1 << 64) - 1


class Rng:
    """core/rng.h: SplitMix64 (state = seed) and Box-Muller normals in
    double, both values of a pair used in order (the spare survives across
    calls); normals(n) rounds each to f32."""

    def __init__(self, seed):
        self.state = seed & MASK64
        self.spare = None

    def next_u64(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def normal(self):
        if self.spare is not None:
            value, self.spare = self.spare, None
            return value
        u1 = ((self.next_u64() >> 11) + 1) * 2.0 ** -53
        u2 = (self.next_u64() >> 11) * 2.0 ** -53
        r = math.sqrt(-2.0 * math.log(u1))
        angle = 6.283185307179586476925286766559 * u2
        self.spare = r * math.sin(angle)
        return r * math.cos(angle)

    def normals(self, shape):
        """A float64 tensor of f32-rounded normals, C order."""
        count = int(numpy.prod(shape))
        values = numpy.array([self.normal() for _ in range(count)], dtype=numpy.float32)
        return torch.from_numpy(values.astype(numpy.float64)).reshape(shape)


def noised_cond(latent, eps, cond_noise):
    """(1 - cond_noise) z + cond_noise ε: the conditioning frame."""
    noise = f32(cond_noise)
    return (1.0 - noise) * latent + noise * eps


# ---- pan's no-lag cycle ------------------------------------------------------

class SwinSampler:
    """docs/swin_dpm.md "pan's cycle" for one env, in float64."""

    def __init__(self, decoder, embed, cfg, cfg_scale=None):
        dec = cfg["decoder"]
        self.decoder, self.embed = decoder, embed
        self.k, self.steps = cfg["frame"]["chunk_frames"], dec["steps"]
        self.cond_noise = dec["cond_noise"]
        self.cfg_scale = dec["cfg_scale"] if cfg_scale is None else cfg_scale
        self.sigmas = schedule(cfg)

    def reset(self, first, seed):
        """first (z, h, w) the clean latent of o_1; draws its ε."""
        self.rng = Rng(seed)
        cond = noised_cond(first.double(), self.rng.normals(tuple(first.shape)),
                           self.cond_noise)
        self.cond1 = self.cond2 = cond
        self.prev_traj, self.prev_condition = None, None

    def _v(self, latents, sigma, slot, block, cond, conditions):
        return velocity(self.decoder, self.embed, latents[None], sigma, slot, block,
                        cond, [conditions], self.cfg_scale)[0]

    def step(self, state, action):
        """Chunk t's latent (K, z, h, w) from ŝ_{t+1} (Q, d) and a_t."""
        k, half, sig = self.k, self.steps // 2, self.sigmas
        shape = tuple(self.cond1.shape)
        x = self.rng.normals((k,) + shape)                 # B = x0
        condition = (state, bytes(action))
        cn = f32(self.cond_noise)
        for j in range(half):                              # phase 1
            if self.prev_traj is None:
                window = torch.cat([self.cond1[None], x])
                v = self._v(window, [cn] + [sig[j]] * k, [0] + list(range(k + 1, 2 * k + 1)),
                            [0] + [2] * k, [-1] + [0] * k, [condition])
            else:
                window = torch.cat([self.cond1[None], self.prev_traj[j], x])
                v = self._v(window, [cn] + [sig[half + j]] * k + [sig[j]] * k,
                            list(range(2 * k + 1)), [0] + [1] * k + [2] * k,
                            [-1] + [0] * k + [1] * k, [self.prev_condition, condition])
            x = x + euler_dt(sig, j) * v[1 + (0 if self.prev_traj is None else k):]
        traj = []
        for j in range(half, self.steps):                  # phase 2
            traj.append(x)
            window = torch.cat([self.cond2[None], x])
            v = self._v(window, [cn] + [sig[j]] * k, list(range(k + 1)), [0] + [1] * k,
                        [-1] + [0] * k, [condition])
            x = x + euler_dt(sig, j) * v[1:]
        eps = self.rng.normals(shape)
        self.cond1 = self.cond2
        self.cond2 = noised_cond(x[-1], eps, self.cond_noise)
        self.prev_traj, self.prev_condition = traj, condition
        return x


def canonical_swin(decoder, embed, cfg, cond_reset, conditions, noises, cond_eps,
                   cfg_scale=None):
    """The lagged schedule as PAN states it: cycle c runs N/2 Euler
    steps on A = chunk c-1 (σ_{N/2}..σ_N) and B = chunk c (σ_0..σ_{N/2}) in
    one window [cond, A, B] with cond the last frame of chunk c-2, both
    updated, and emits A. conditions[c] = (state, action) of chunk c,
    noises[c] its x0 (K, z, h, w), cond_eps[c] the ε of its last frame;
    cond_reset the noised first frame (chunks -2 and -1). Chunk len(noises)
    - 1 is only started. Returns the emitted chunks 0 .. len(noises) - 2."""
    k, steps = cfg["frame"]["chunk_frames"], cfg["decoder"]["steps"]
    half, sig = steps // 2, schedule(cfg)
    scale = cfg["decoder"]["cfg_scale"] if cfg_scale is None else cfg_scale
    cn = f32(cfg["decoder"]["cond_noise"])
    conds = {-2: cond_reset, -1: cond_reset}   # noised last frame of chunk c
    a, emitted = None, []
    for c in range(len(noises)):
        b = noises[c].clone()
        cond = conds[c - 2]
        for j in range(half):
            if a is None:
                latents = torch.cat([cond[None], b])
                v = velocity(decoder, embed, latents[None], [cn] + [sig[j]] * k,
                             [0] + list(range(k + 1, 2 * k + 1)), [0] + [2] * k,
                             [-1] + [0] * k, [[conditions[c]]], scale)[0]
                b = b + euler_dt(sig, j) * v[1:]
            else:
                latents = torch.cat([cond[None], a, b])
                v = velocity(decoder, embed, latents[None],
                             [cn] + [sig[half + j]] * k + [sig[j]] * k,
                             list(range(2 * k + 1)), [0] + [1] * k + [2] * k,
                             [-1] + [0] * k + [1] * k,
                             [[conditions[c - 1], conditions[c]]], scale)[0]
                a = a + euler_dt(sig, half + j) * v[1:1 + k]
                b = b + euler_dt(sig, j) * v[1 + k:]
        if c >= 1:
            emitted.append(a)
            conds[c - 1] = noised_cond(a[-1], cond_eps[c - 1], cfg["decoder"]["cond_noise"])
        a = b
    return emitted
