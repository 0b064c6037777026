#!/usr/bin/python3
"""tests/reference/model_twin.py: the PyTorch twin of pan's GLP model.

torch.nn modules that compute exactly docs/model.md: the VAE (encode to
mean * scaling_factor, decode), the vision encoder h (merge-group-major
tokens, 2-D RoPE), the Qwen2 backbone f with pan's GLP additions
(glp.query_embeddings, glp.state_head), the decoder g and its Swin-DPM
sampler (tests/reference/decoder_twin.py); the GLP env step
(docs/swin_dpm.md) is tests/reference/glp_env_twin.py. The C code (core/model/) is held to
these modules by the parity tests; tests/reference/model_reference.py writes
the fixture they read.

Contract
- PanModel(cfg) builds every parameter of docs/model.md "Parameters";
  state_dict() keys are exactly the docs/model.md names and
  param_order(cfg) lists them in declaration order (the order of the
  checkpoint's data region).
- Floats of the config (eps, theta, scaling factor) are rounded to float32,
  as the C code sees them; run the module in .double() for a reference.
- The backbone has two paths with the same semantics (docs/model.md
  "History, KV cache and eviction"):
    backbone_full(model, rounds)  one masked causal pass over every round
                                  ever appended (the parity reference);
    KVCache + backbone_step       incremental, batched over env slots with
                                  padding and masks, evicted rounds dropped
                                  (what the benchmark times).
  `rounds` items are (state (n, d) tensor, action bytes).
  backbone_hidden(model, rounds) is backbone_full's pass returning the last
  layer's output at every token (before model.norm) and the round ends;
  history_allowed(round_of, max_rounds) its (T, T) mask. Both serve the
  training twin (tests/reference/train_twin.py), as does
  VAE.moments(images) -> (mean, logvar), the conv_out output split.
- The GLP env step (GLPEnv) is in tests/reference/glp_env_twin.py.
- load_checkpoint / save_checkpoint read and write pan checkpoints
  (tests/reference/safetensors_io.py) with pan.config / pan.trained /
  pan.note metadata.
- tests/reference/model_twin_selftest.py checks incremental == full
  recomputation in float64 (evictions and compaction included), the
  decoder's causal mask, CFG, pan's Swin-DPM cycle against the canonical
  lagged one, and the safetensors round trip.
"""
import json
import math
import os
import sys

try:
    import numpy
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as error:  # never pass silently
    sys.stderr.write(
        "model_twin.py: cannot import torch with %s (%s).\n"
        "Install Debian's PyTorch: apt-get install python3-torch\n"
        % (sys.executable, error))
    sys.exit(2)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import decoder_twin  # noqa: E402
import safetensors_io  # noqa: E402

PAD, USER, ASSISTANT, STATE, QUERY, END = 256, 257, 258, 259, 260, 261


def default_config():
    """docs/model.md "Configuration" defaults."""
    return {
        "format": "pan-glp", "version": 1,
        "frame": {"height": 64, "width": 64, "channels": 3, "chunk_frames": 4},
        "tokenizer": {"vocab_size": 264, "max_action_bytes": 256},
        "vae": {"base_channels": 32, "channel_mult": [1, 2, 2], "res_blocks": 1,
                "latent_channels": 4, "norm_groups": 8, "norm_eps": 1e-6,
                "scaling_factor": 1.0},
        "encoder": {"patch": 2, "dim": 128, "layers": 4, "heads": 4,
                    "mlp_dim": 256, "merge": 2, "rope_theta": 10000.0,
                    "norm_eps": 1e-6},
        "backbone": {"dim": 256, "layers": 6, "heads": 8, "kv_heads": 2,
                     "intermediate": 688, "rope_theta": 1000000.0,
                     "norm_eps": 1e-6, "queries": 16, "max_rounds": 10},
        "decoder": {"patch": 2, "dim": 192, "layers": 6, "heads": 6,
                    "mlp_dim": 768, "freq_dim": 256, "norm_eps": 1e-6,
                    "steps": 8, "shift": 3.0, "cfg_scale": 1.0,
                    "cond_noise": 0.055},
    }


def f32(value):
    """A float as the C code sees it (rounded to float32)."""
    return float(numpy.float32(value))


def level_channels(cfg):
    vae = cfg["vae"]
    return [vae["base_channels"] * mult for mult in vae["channel_mult"]]


def state_tokens(cfg):
    levels = len(cfg["vae"]["channel_mult"])
    step = 2 ** (levels - 1) * cfg["encoder"]["patch"] * cfg["encoder"]["merge"]
    return (cfg["frame"]["height"] // step) * (cfg["frame"]["width"] // step)


def max_round_tokens(cfg):
    q = cfg["backbone"]["queries"]
    return q + state_tokens(cfg) + cfg["tokenizer"]["max_action_bytes"] + q + 5


# ---- shared pieces -------------------------------------------------------

class RMSNorm(nn.Module):
    """rms(x; w) = x * rsqrt(mean(x^2) + eps) * w over the last dim."""

    def __init__(self, dim, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = f32(eps)

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def rope_table(positions, dim, theta, dtype):
    """(cos, sin), each (B, T, 1, D), of Hugging Face rotate-half RoPE over D
    values for positions (B, T): angle pos * theta^(-2i/D), in float64."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, dim, 2, dtype=torch.float64) / dim))
    freqs = positions.to(torch.float64)[..., None] * inv_freq   # (B, T, D/2)
    emb = torch.cat((freqs, freqs), dim=-1)[:, :, None, :]      # (B, T, 1, D)
    return emb.cos().to(dtype), emb.sin().to(dtype)


def apply_rope(x, table):
    """x (B, T, H, D) rotated by a rope_table."""
    cos, sin = table
    return x * cos + rotate_half(x) * sin


def rope1(x, positions, theta):
    """Hugging Face rotate-half RoPE. x (B, T, H, D), positions (B, T)."""
    return apply_rope(x, rope_table(positions, x.shape[-1], theta, x.dtype))


def rope2(x, rows, cols, theta):
    """2-D RoPE: first D/2 values by row, second D/2 by column."""
    half = x.shape[-1] // 2
    return torch.cat((rope1(x[..., :half], rows, theta),
                      rope1(x[..., half:], cols, theta)), dim=-1)


def attention_bias(allowed, heads, kv_heads):
    """An additive mask for attention(bias=...): allowed (B, Tq, Tk) bool,
    every row seeing a key -> (B*Hkv, g*Tq, Tk) of 0 / -inf, g = H/Hkv;
    built once and reused by every layer."""
    batch, tq, tk = allowed.shape
    group = heads // kv_heads
    bias = torch.zeros((batch, tq, tk)).masked_fill_(~allowed, float("-inf"))
    return (bias[:, None, None].expand(batch, kv_heads, group, tq, tk)
            .reshape(batch * kv_heads, group * tq, tk))


def attention(q, k, v, allowed=None, bias=None):
    """softmax(q k^T / sqrt(D) + mask) v with GQA (query head h reads kv head
    h / (H/Hkv)). q (B, Tq, H, D); k, v (B, Tk, Hkv, D); the mask is either
    allowed (B, Tq, Tk) bool (a row that sees no key gives 0), or bias from
    attention_bias (every row sees a key), or none. Returns (B, Tq, H, D)."""
    batch, tq, heads, dim = q.shape
    tk, kv_heads = k.shape[1], k.shape[2]
    group = heads // kv_heads
    qh = (q.reshape(batch, tq, kv_heads, group, dim).permute(0, 2, 3, 1, 4)
          .reshape(batch * kv_heads, group * tq, dim))          # (B*Hkv, g*Tq, D)
    kh = k.permute(0, 2, 3, 1).reshape(batch * kv_heads, dim, tk)  # (B*Hkv, D, Tk)
    vh = v.permute(0, 2, 1, 3).reshape(batch * kv_heads, tk, dim)  # (B*Hkv, Tk, D)
    scale = 1.0 / math.sqrt(dim)
    if bias is not None:
        scores = torch.baddbmm(bias.to(q.dtype), qh, kh, alpha=scale)  # (B*Hkv, g*Tq, Tk)
    else:
        scores = torch.bmm(qh, kh) * scale
    if allowed is not None:
        scores = scores.view(batch, kv_heads, group, tq, tk).masked_fill(
            ~allowed[:, None, None], float("-inf")).view(batch * kv_heads, group * tq, tk)
    weights = torch.softmax(scores, dim=-1)
    if allowed is not None:
        weights = torch.nan_to_num(weights, nan=0.0)
    out = torch.bmm(weights, vh)                                # (B*Hkv, g*Tq, D)
    return (out.view(batch, kv_heads, group, tq, dim).permute(0, 3, 1, 2, 4)
            .reshape(batch, tq, heads, dim))


# ---- VAE -----------------------------------------------------------------

class ResBlock(nn.Module):
    def __init__(self, cin, cout, groups, eps):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin, eps=f32(eps))
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.norm2 = nn.GroupNorm(groups, cout, eps=f32(eps))
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.nin_shortcut = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x):
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(F.silu(self.norm2(h)))
        return (self.nin_shortcut(x) if self.nin_shortcut is not None else x) + h


class Resample(nn.Module):
    """down.{i}.downsample / up.{i}.upsample: holds `conv`."""

    def __init__(self, channels, stride):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, stride=stride, padding=1)
        self.stride = stride

    def forward(self, x):
        if self.stride == 1:  # upsample
            x = F.interpolate(x, scale_factor=2, mode="nearest")
        return self.conv(x)


class Level(nn.Module):
    def __init__(self, blocks, resample):
        super().__init__()
        self.block = nn.ModuleList(blocks)
        if resample is not None:
            setattr(self, resample[0], resample[1])
        self.resample_name = resample[0] if resample is not None else None

    def forward(self, x):
        for block in self.block:
            x = block(x)
        if self.resample_name is not None:
            x = getattr(self, self.resample_name)(x)
        return x


class Mid(nn.Module):
    def __init__(self, channels, groups, eps):
        super().__init__()
        self.block_1 = ResBlock(channels, channels, groups, eps)

    def forward(self, x):
        return self.block_1(x)


class VAEEncoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        vae, ch = cfg["vae"], level_channels(cfg)
        levels, groups, eps = len(ch), vae["norm_groups"], vae["norm_eps"]
        self.conv_in = nn.Conv2d(cfg["frame"]["channels"], ch[0], 3, padding=1)
        down = []
        for i in range(levels):
            blocks = [ResBlock(ch[i - 1] if (j == 0 and i > 0) else ch[i], ch[i],
                               groups, eps) for j in range(vae["res_blocks"])]
            resample = ("downsample", Resample(ch[i], 2)) if i < levels - 1 else None
            down.append(Level(blocks, resample))
        self.down = nn.ModuleList(down)
        self.mid = Mid(ch[-1], groups, eps)
        self.norm_out = nn.GroupNorm(groups, ch[-1], eps=f32(eps))
        self.conv_out = nn.Conv2d(ch[-1], 2 * vae["latent_channels"], 3, padding=1)

    def forward(self, x):
        x = self.conv_in(x)
        for level in self.down:
            x = level(x)
        return self.conv_out(F.silu(self.norm_out(self.mid(x))))


class VAEDecoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        vae, ch = cfg["vae"], level_channels(cfg)
        levels, groups, eps = len(ch), vae["norm_groups"], vae["norm_eps"]
        self.conv_in = nn.Conv2d(vae["latent_channels"], ch[-1], 3, padding=1)
        self.mid = Mid(ch[-1], groups, eps)
        up = []
        for i in range(levels):
            blocks = [ResBlock(ch[i + 1] if (j == 0 and i < levels - 1) else ch[i],
                               ch[i], groups, eps) for j in range(vae["res_blocks"])]
            resample = ("upsample", Resample(ch[i], 1)) if i > 0 else None
            up.append(Level(blocks, resample))
        self.up = nn.ModuleList(up)  # up.{i}, run from L-1 down to 0
        self.norm_out = nn.GroupNorm(groups, ch[0], eps=f32(eps))
        self.conv_out = nn.Conv2d(ch[0], cfg["frame"]["channels"], 3, padding=1)

    def forward(self, z):
        x = self.mid(self.conv_in(z))
        for level in reversed(self.up):
            x = level(x)
        return self.conv_out(F.silu(self.norm_out(x)))


class VAE(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.encoder = VAEEncoder(cfg)
        self.decoder = VAEDecoder(cfg)
        self.latent_channels = cfg["vae"]["latent_channels"]
        self.scaling_factor = f32(cfg["vae"]["scaling_factor"])

    def encode(self, images):
        """images (N, C, H, W) -> latent (N, z, h, w) = mean * scaling."""
        return self.encoder(images)[:, :self.latent_channels] * self.scaling_factor

    def moments(self, images):
        """images (N, C, H, W) -> (mean, logvar), each (N, z, h, w): the
        encoder's conv_out output split (mean first; no scaling, no clamp),
        for the training losses (docs/training.md, stage vae)."""
        out = self.encoder(images)
        return out[:, :self.latent_channels], out[:, self.latent_channels:]

    def decode(self, latent):
        return self.decoder(latent / self.scaling_factor)


# ---- vision encoder h ------------------------------------------------------

class VitAttention(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)


class GatedMLP(nn.Module):
    def __init__(self, dim, hidden, bias):
        super().__init__()
        self.gate_proj = nn.Linear(dim, hidden, bias=bias)
        self.up_proj = nn.Linear(dim, hidden, bias=bias)
        self.down_proj = nn.Linear(hidden, dim, bias=bias)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class VitBlock(nn.Module):
    def __init__(self, enc):
        super().__init__()
        self.norm1 = RMSNorm(enc["dim"], enc["norm_eps"])
        self.attn = VitAttention(enc["dim"])
        self.norm2 = RMSNorm(enc["dim"], enc["norm_eps"])
        self.mlp = GatedMLP(enc["dim"], enc["mlp_dim"], bias=True)
        self.heads, self.theta = enc["heads"], f32(enc["rope_theta"])

    def forward(self, x, rows, cols):
        batch, tokens, dim = x.shape
        hd = dim // self.heads
        q, k, v = self.attn.qkv(self.norm1(x)).view(batch, tokens, 3, self.heads,
                                                    hd).unbind(2)
        q, k = rope2(q, rows, cols, self.theta), rope2(k, rows, cols, self.theta)
        x = x + self.attn.proj(attention(q, k, v).reshape(batch, tokens, dim))
        return x + self.mlp(self.norm2(x))


class Merger(nn.Module):
    def __init__(self, enc, out_dim):
        super().__init__()
        width = enc["merge"] ** 2 * enc["dim"]
        self.ln_q = RMSNorm(enc["dim"], enc["norm_eps"])
        self.mlp = nn.Sequential(nn.Linear(width, width), nn.GELU(),
                                 nn.Linear(width, out_dim))
        self.width = width

    def forward(self, x):
        y = self.ln_q(x)
        return self.mlp(y.reshape(y.shape[0], -1, self.width))


class VisionEncoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        enc = cfg["encoder"]
        self.patch, self.merge = enc["patch"], enc["merge"]
        self.patch_embed = nn.Linear(cfg["vae"]["latent_channels"] * self.patch ** 2,
                                     enc["dim"])
        self.blocks = nn.ModuleList(VitBlock(enc) for _ in range(enc["layers"]))
        self.merger = Merger(enc, cfg["backbone"]["dim"])

    def patches(self, latent):
        """(N, z, h, w) -> patches (N, T, z*p*p) merge-group major, rows (T,),
        cols (T,)."""
        n, z, h, w = latent.shape
        p, m = self.patch, self.merge
        gh, gw = h // p, w // p
        grid = (latent.reshape(n, z, gh, p, gw, p).permute(0, 2, 4, 1, 3, 5)
                .reshape(n, gh, gw, z * p * p))
        order = lambda t: (t.reshape(t.shape[0], gh // m, m, gw // m, m, -1)  # noqa: E731
                           .permute(0, 1, 3, 2, 4, 5).reshape(t.shape[0], gh * gw, -1))
        rows = torch.arange(gh)[:, None].expand(gh, gw)
        cols = torch.arange(gw)[None, :].expand(gh, gw)
        return (order(grid), order(rows[None, :, :, None])[0, :, 0],
                order(cols[None, :, :, None])[0, :, 0])

    def forward(self, latent):
        patches, rows, cols = self.patches(latent)
        x = self.patch_embed(patches)
        rows = rows[None].expand(x.shape[0], -1)
        cols = cols[None].expand(x.shape[0], -1)
        for block in self.blocks:
            x = block(x, rows, cols)
        return self.merger(x)


# ---- backbone f --------------------------------------------------------------

class Qwen2Attention(nn.Module):
    def __init__(self, bb):
        super().__init__()
        hd = bb["dim"] // bb["heads"]
        self.q_proj = nn.Linear(bb["dim"], bb["heads"] * hd)
        self.k_proj = nn.Linear(bb["dim"], bb["kv_heads"] * hd)
        self.v_proj = nn.Linear(bb["dim"], bb["kv_heads"] * hd)
        self.o_proj = nn.Linear(bb["heads"] * hd, bb["dim"], bias=False)


class Qwen2Layer(nn.Module):
    def __init__(self, bb):
        super().__init__()
        self.input_layernorm = RMSNorm(bb["dim"], bb["norm_eps"])
        self.self_attn = Qwen2Attention(bb)
        self.post_attention_layernorm = RMSNorm(bb["dim"], bb["norm_eps"])
        self.mlp = GatedMLP(bb["dim"], bb["intermediate"], bias=False)
        self.heads, self.kv_heads = bb["heads"], bb["kv_heads"]
        self.theta = f32(bb["rope_theta"])

    def forward(self, x, rope, attend):
        """x (B, T, d), rope a rope_table of the tokens' positions (theta =
        backbone rope_theta); attend(q, k, v) -> (B, T, H, hd) supplies the
        keys (the new ones, a cache, ...) and the mask."""
        batch, tokens, dim = x.shape
        hd = dim // self.heads
        a = self.input_layernorm(x)
        attn = self.self_attn
        q = apply_rope(attn.q_proj(a).view(batch, tokens, self.heads, hd), rope)
        k = apply_rope(attn.k_proj(a).view(batch, tokens, self.kv_heads, hd), rope)
        v = attn.v_proj(a).view(batch, tokens, self.kv_heads, hd)
        x = x + attn.o_proj(attend(q, k, v).reshape(batch, tokens, self.heads * hd))
        return x + self.mlp(self.post_attention_layernorm(x))


class Qwen2Model(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        bb = cfg["backbone"]
        self.embed_tokens = nn.Embedding(cfg["tokenizer"]["vocab_size"], bb["dim"])
        self.layers = nn.ModuleList(Qwen2Layer(bb) for _ in range(bb["layers"]))
        self.norm = RMSNorm(bb["dim"], bb["norm_eps"])


class GLPHead(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        bb = cfg["backbone"]
        self.query_embeddings = nn.Embedding(bb["queries"], bb["dim"])
        self.state_head = nn.Linear(bb["dim"], bb["dim"])


class PanModel(nn.Module):
    """Every parameter of docs/model.md: vae.*, encoder.*, model.*, glp.*,
    decoder.* (decoder_twin.Decoder)."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.vae = VAE(cfg)
        self.encoder = VisionEncoder(cfg)
        self.model = Qwen2Model(cfg)
        self.glp = GLPHead(cfg)
        self.decoder = decoder_twin.Decoder(cfg)

    def round_embeddings(self, state, action):
        """USER STATE s.. a.. END ASSISTANT QUERY q..: (T_r, d)."""
        embed = self.model.embed_tokens.weight
        ids = lambda values: embed[torch.tensor(values, dtype=torch.long)]  # noqa: E731
        state = state.to(embed.dtype).reshape(-1, embed.shape[1])
        return torch.cat([ids([USER, STATE]), state, ids(list(bytes(action))),
                          ids([END, ASSISTANT, QUERY]),
                          self.glp.query_embeddings.weight], dim=0)

    def rope_table(self, positions, dtype):
        bb = self.cfg["backbone"]
        return rope_table(positions, bb["dim"] // bb["heads"], f32(bb["rope_theta"]),
                          dtype)

    def state_head(self, x):
        return self.glp.state_head(self.model.norm(x))


def history_allowed(round_of, window):
    """(T, T) bool attention mask of docs/model.md "History, KV cache and
    eviction" for tokens of rounds `round_of` (T,) (non-decreasing from 0):
    a token sees its own round causally, round 0, and rounds
    max(1, r-N+2) .. r-1, N = max_rounds = `window`."""
    total = round_of.shape[0]
    i, j = torch.arange(total)[:, None], torch.arange(total)[None, :]
    ri, rj = round_of[:, None], round_of[None, :]
    return ((ri == rj) & (j <= i)) | ((rj < ri) & ((rj == 0) | (rj >= ri - window + 2)))


def backbone_hidden(pm, rounds):
    """The one masked causal pass of backbone_full: rounds [(state, action),
    ...] -> (x (T, d), the last layer's output at every token, before
    model.norm; ends, the list of each round's end index), positions
    0..T-1 (absolute since reset)."""
    window = pm.cfg["backbone"]["max_rounds"]
    embeds = [pm.round_embeddings(s, a) for s, a in rounds]
    round_of = torch.cat([torch.full((e.shape[0],), r, dtype=torch.long)
                          for r, e in enumerate(embeds)])
    total = round_of.shape[0]
    allowed = history_allowed(round_of, window)
    x = torch.cat(embeds)[None]
    rope = pm.rope_table(torch.arange(total)[None], x.dtype)
    for layer in pm.model.layers:
        x = layer(x, rope, lambda q, k, v: attention(q, k, v, allowed[None]))
    ends = torch.cumsum(torch.tensor([e.shape[0] for e in embeds]), 0)
    return x[0], ends.tolist()


def backbone_full(pm, rounds):
    """Full recomputation for one env: rounds [(state, action), ...] ->
    [ŝ after round r: (Q, d)] from one masked causal pass."""
    queries = pm.cfg["backbone"]["queries"]
    x, ends = backbone_hidden(pm, rounds)
    return [pm.state_head(x[end - queries:end]) for end in ends]


class KVCache:
    """Per-slot backbone history: K (after RoPE) and V of every layer,
    (layers, slots, capacity, kv_heads, hd), a key mask (slots, capacity),
    and each live round's (index, start, length). Mirrors
    core/model/backbone/kv_cache.h: eviction hides tokens, compaction (when a round
    does not fit at the end, or dead tokens outnumber live ones) moves the
    live ones to the front."""

    def __init__(self, cfg, slots, capacity=0, dtype=torch.float32):
        bb = cfg["backbone"]
        hd = bb["dim"] // bb["heads"]
        self.window = bb["max_rounds"]
        # at most N live rounds (round 0 included), each of the longest length
        self.capacity = capacity or self.window * max_round_tokens(cfg)
        shape = (bb["layers"], slots, self.capacity, bb["kv_heads"], hd)
        self.k = torch.zeros(shape, dtype=dtype)
        self.v = torch.zeros(shape, dtype=dtype)
        self.live = torch.zeros(slots, self.capacity, dtype=torch.bool)
        self.fill = [0] * slots
        self.rounds = [0] * slots       # appended since reset
        self.next_position = [0] * slots
        self.live_rounds = [[] for _ in range(slots)]  # [round, start, length]

    def bytes_per_slot(self):
        return 2 * self.k[:, 0].numel() * self.k.element_size()

    def reset(self, slot):
        self.live[slot] = False
        self.fill[slot] = self.rounds[slot] = self.next_position[slot] = 0
        self.live_rounds[slot] = []

    def begin_round(self, slot, tokens):
        """Evicts what round r pushes out, compacts if needed; returns the
        start index of `tokens` reserved slots."""
        r = self.rounds[slot]
        kept = []
        for entry in self.live_rounds[slot]:
            if entry[0] != 0 and entry[0] < r - self.window + 2:
                self.live[slot, entry[1]:entry[1] + entry[2]] = False
            else:
                kept.append(entry)
        self.live_rounds[slot] = kept
        live_tokens = sum(e[2] for e in kept)
        dead = self.fill[slot] - live_tokens
        if self.fill[slot] + tokens > self.capacity or dead > live_tokens:
            index = torch.nonzero(self.live[slot, :self.fill[slot]])[:, 0]
            self.k[:, slot, :live_tokens] = self.k[:, slot, index]
            self.v[:, slot, :live_tokens] = self.v[:, slot, index]
            self.live[slot] = False
            self.live[slot, :live_tokens] = True
            start = 0
            for entry in kept:
                entry[1], start = start, start + entry[2]
            self.fill[slot] = live_tokens
        if self.fill[slot] + tokens > self.capacity:
            raise RuntimeError("KVCache: round of %d tokens does not fit slot %d "
                               "(%d live of %d)" % (tokens, slot, live_tokens,
                                                    self.capacity))
        return self.fill[slot]

    def commit_round(self, slot, tokens):
        start = self.fill[slot]
        self.live[slot, start:start + tokens] = True
        self.live_rounds[slot].append([self.rounds[slot], start, tokens])
        self.fill[slot] += tokens
        self.rounds[slot] += 1
        self.next_position[slot] += tokens


def backbone_step(pm, cache, rounds):
    """Appends one round to each env: rounds [(slot, state, action), ...]
    with distinct slots -> ŝ (B, Q, d). Tokens are padded to the longest
    round; each env attends to its own cache slot through a mask."""
    queries = pm.cfg["backbone"]["queries"]
    embeds = [pm.round_embeddings(s, a) for _, s, a in rounds]
    lengths = [e.shape[0] for e in embeds]
    batch, longest = len(rounds), max(lengths)
    slots = [slot for slot, _, _ in rounds]
    starts = [cache.begin_round(slot, t) for slot, t in zip(slots, lengths)]
    x = torch.zeros(batch, longest, embeds[0].shape[1], dtype=embeds[0].dtype)
    positions = torch.zeros(batch, longest, dtype=torch.long)
    for b, e in enumerate(embeds):
        x[b, :lengths[b]] = e
        positions[b] = cache.next_position[slots[b]] + torch.arange(longest)
    kv_end = max(s + t for s, t in zip(starts, lengths))
    slot_index = torch.tensor(slots)
    start = torch.tensor(starts)[:, None, None]
    i = torch.arange(longest)[None, :, None]
    j = torch.arange(kv_end)[None, None, :]
    # old live keys, or the env's own round causally; a padding query row
    # sees its round's keys up to itself (finite, ignored).
    allowed = ((j < start) & cache.live[slot_index, :kv_end][:, None, :]) | \
              ((j >= start) & (j <= start + i))                       # (B, T, kv_end)
    bb = pm.cfg["backbone"]
    bias = attention_bias(allowed, bb["heads"], bb["kv_heads"]).to(x.dtype)
    rope = pm.rope_table(positions, x.dtype)
    new_b = torch.cat([torch.full((t,), b, dtype=torch.long) for b, t in enumerate(lengths)])
    new_t = torch.cat([torch.arange(t) for t in lengths])
    new_slot = slot_index[new_b]
    new_pos = torch.tensor(starts)[new_b] + new_t
    contiguous = slots == list(range(slots[0], slots[0] + batch))

    def attend_layer(index):
        keys, values = cache.k[index], cache.v[index]   # (slots, cap, Hkv, hd)

        def attend(q, k, v):
            keys[new_slot, new_pos] = k[new_b, new_t]
            values[new_slot, new_pos] = v[new_b, new_t]
            if contiguous:
                window = slice(slots[0], slots[0] + batch)
                return attention(q, keys[window, :kv_end], values[window, :kv_end],
                                 bias=bias)
            return attention(q, keys[slot_index, :kv_end], values[slot_index, :kv_end],
                             bias=bias)
        return attend

    for index, layer in enumerate(pm.model.layers):
        x = layer(x, rope, attend_layer(index))
    for slot, t in zip(slots, lengths):
        cache.commit_round(slot, t)
    last = torch.tensor(lengths)[:, None] - queries + torch.arange(queries)[None]
    rows = x[torch.arange(batch)[:, None], last]                  # (B, Q, d)
    return pm.state_head(rows)


# ---- checkpoints ---------------------------------------------------------------

def _resblock_names(prefix, cin, cout):
    names = [prefix + n for n in ("norm1.weight", "norm1.bias", "conv1.weight",
                                  "conv1.bias", "norm2.weight", "norm2.bias",
                                  "conv2.weight", "conv2.bias")]
    if cin != cout:
        names += [prefix + "nin_shortcut.weight", prefix + "nin_shortcut.bias"]
    return names


def param_order(cfg):
    """Every parameter name in docs/model.md declaration order."""
    ch = level_channels(cfg)
    levels, blocks = len(ch), cfg["vae"]["res_blocks"]
    names = ["vae.encoder.conv_in.weight", "vae.encoder.conv_in.bias"]
    for i in range(levels):
        for j in range(blocks):
            names += _resblock_names("vae.encoder.down.%d.block.%d." % (i, j),
                                     ch[i - 1] if (j == 0 and i > 0) else ch[i], ch[i])
        if i < levels - 1:
            names += ["vae.encoder.down.%d.downsample.conv.%s" % (i, s)
                      for s in ("weight", "bias")]
    names += _resblock_names("vae.encoder.mid.block_1.", ch[-1], ch[-1])
    names += ["vae.encoder.norm_out.weight", "vae.encoder.norm_out.bias",
              "vae.encoder.conv_out.weight", "vae.encoder.conv_out.bias",
              "vae.decoder.conv_in.weight", "vae.decoder.conv_in.bias"]
    names += _resblock_names("vae.decoder.mid.block_1.", ch[-1], ch[-1])
    for i in reversed(range(levels)):
        for j in range(blocks):
            names += _resblock_names("vae.decoder.up.%d.block.%d." % (i, j),
                                     ch[i + 1] if (j == 0 and i < levels - 1) else ch[i],
                                     ch[i])
        if i > 0:
            names += ["vae.decoder.up.%d.upsample.conv.%s" % (i, s)
                      for s in ("weight", "bias")]
    names += ["vae.decoder.norm_out.weight", "vae.decoder.norm_out.bias",
              "vae.decoder.conv_out.weight", "vae.decoder.conv_out.bias",
              "encoder.patch_embed.weight", "encoder.patch_embed.bias"]
    for i in range(cfg["encoder"]["layers"]):
        names += ["encoder.blocks.%d.%s" % (i, n) for n in (
            "norm1.weight", "attn.qkv.weight", "attn.qkv.bias", "attn.proj.weight",
            "attn.proj.bias", "norm2.weight", "mlp.gate_proj.weight",
            "mlp.gate_proj.bias", "mlp.up_proj.weight", "mlp.up_proj.bias",
            "mlp.down_proj.weight", "mlp.down_proj.bias")]
    names += ["encoder.merger.ln_q.weight", "encoder.merger.mlp.0.weight",
              "encoder.merger.mlp.0.bias", "encoder.merger.mlp.2.weight",
              "encoder.merger.mlp.2.bias", "model.embed_tokens.weight"]
    for i in range(cfg["backbone"]["layers"]):
        names += ["model.layers.%d.%s" % (i, n) for n in (
            "input_layernorm.weight", "self_attn.q_proj.weight",
            "self_attn.k_proj.weight", "self_attn.v_proj.weight",
            "self_attn.q_proj.bias", "self_attn.k_proj.bias", "self_attn.v_proj.bias",
            "self_attn.o_proj.weight", "post_attention_layernorm.weight",
            "mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight")]
    names += ["model.norm.weight", "glp.query_embeddings.weight",
              "glp.state_head.weight", "glp.state_head.bias"]
    return names + decoder_twin.decoder_param_order(cfg)


def ordered_parameters(pm):
    """[(name, tensor)] in declaration order; checks the module's names."""
    state = pm.state_dict()
    order = param_order(pm.cfg)
    if set(order) != set(state) or len(order) != len(state):
        raise RuntimeError("model_twin: module names differ from docs/model.md: "
                           "missing %s, extra %s"
                           % (sorted(set(order) - set(state)),
                              sorted(set(state) - set(order))))
    return [(name, state[name]) for name in order]


def save_checkpoint(pm, path, note, trained=False):
    metadata = {"pan.config": json.dumps(pm.cfg),
                "pan.trained": "true" if trained else "false", "pan.note": note}
    safetensors_io.write(path, ordered_parameters(pm), metadata)


def load_checkpoint(path, dtype=torch.float32):
    """(PanModel with the file's weights, metadata)."""
    tensors, metadata = safetensors_io.read(path)
    if "pan.config" not in metadata:
        raise ValueError("%s: no pan.config in __metadata__" % path)
    pm = PanModel(json.loads(metadata["pan.config"]))
    state = pm.state_dict()
    for name, target in state.items():
        if name not in tensors:
            raise ValueError("%s: tensor '%s' missing" % (path, name))
        if tuple(tensors[name].shape) != tuple(target.shape):
            raise ValueError("%s: tensor '%s' has shape %s, config says %s"
                             % (path, name, list(tensors[name].shape),
                                list(target.shape)))
    extra = set(tensors) - set(state)
    if extra:
        raise ValueError("%s: tensors the config does not name: %s"
                         % (path, sorted(extra)))
    pm.load_state_dict({n: torch.from_numpy(numpy.array(a)) for n, a in tensors.items()})
    return pm.to(dtype), metadata


def randomize(pm, generator=None):
    """The fixture's weights: linear/conv N(0, 1/fan_in), embeddings
    N(0, 0.02^2), norm weights 1 + 0.1 N(0,1), every bias 0.05 N(0,1).
    The decoder's zero-initialised weights are random too (parity must see
    them): adaLN_modulation and final.linear N(0, (0.5/sqrt(fan_in))^2),
    cross.state_out N(0, 1/fan_in); decoder.action_pos and null_action
    N(0, 0.02^2) like the token embeddings they add to, pos_embed and
    frame_embed N(0, 0.5^2), null_state N(0, 1) like a predicted state."""
    state = dict(pm.named_parameters())
    scales = {"decoder.pos_embed": 0.5, "decoder.frame_embed": 0.5,
              "decoder.action_pos": 0.02, "decoder.null_action": 0.02,
              "decoder.null_state": 1.0, "model.embed_tokens.weight": 0.02,
              "glp.query_embeddings.weight": 0.02}
    with torch.no_grad():
        for name in param_order(pm.cfg):
            p = state[name]
            noise = torch.randn(p.shape, generator=generator, dtype=torch.float32)
            if name.endswith(".bias"):
                p.copy_(0.05 * noise)
            elif name in scales:
                p.copy_(scales[name] * noise)
            elif p.dim() == 1:  # norm weights
                p.copy_(1.0 + 0.1 * noise)
            elif "adaLN_modulation" in name or name == "decoder.final.linear.weight":
                p.copy_(0.5 * noise / math.sqrt(p[0].numel()))
            else:
                p.copy_(noise / math.sqrt(p[0].numel()))
