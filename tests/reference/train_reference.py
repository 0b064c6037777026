#!/usr/bin/python3
"""tests/reference/train_reference.py: the training-gradient fixture.

Writes, into OUTDIR, for the tiny configuration TINY below (every
structural feature, a few thousand parameters):

  train_vae.safetensors, train_decoder.safetensors, train_glp.safetensors
      pan checkpoints (f32, model_twin.save_checkpoint: pan_model_load reads
      them) of TINY with random weights (model_twin.randomize, generator
      seeds 11, 22, 33: every weight random, the decoder's zero-initialised
      ones too, so every gradient is non-trivial);
  train_reference.bin
      PANFIX01 (tests/fixture.h). Inputs are f32 / i32 / u8, outputs f64,
      computed by tests/reference/train_twin.py in float64 from the f32
      weights and inputs. Every `grad/<name>` is the f64 gradient of that
      case's `loss` with respect to parameter <name> (docs/model.md names),
      written for EVERY parameter of the configuration (zeros for those the
      loss does not reach: the C test can assert they stay zero).

Sizes of TINY: H = W = 16, channels 3, K = chunk_frames = 2, latent (z, h, w)
= (2, 8, 8), S = Q = 4 state tokens / queries, d = 16, max_action_bytes 8,
max_rounds N = 3. Shapes below use B (items), n (window frames), C
(conditions), R (rounds), m (action bytes).

Records (checkpoint in brackets):

vae/0/ [train_vae]                      stage vae, B = 2
  images f32 (B,3,16,16), eps f32 (B,2,8,8), kl_weight f32 0-D (0.1),
  weights f32 (B) (1.0, 0.5);
  loss f64 0-D; item f64 (B) (unweighted L_b), l1 f64 (B), kl f64 (B),
  mean f64 (B,2,8,8), logvar f64 (B,2,8,8), recon f64 (B,3,16,16) (x̂);
  grad/<every parameter> f64.

decoder/{c}/ [train_decoder]            stage decoder
  c = 0: kind first, B = 2, n = 1+K = 3, C = 1, item 1 dropped;
  c = 1: kind pair,  B = 3, n = 1+2K = 5, C = 2, dropped (0,0,0,1,1,0)
         (item 1 condition B, item 2 condition A).
  kind i32 0-D (0 first, 1 pair), x1 f32 (B,n,2,8,8) (frame 0 the cond
  frame), x0 f32 (B,n,2,8,8), k f32 (B) (first: in [0,1], pair: [0,0.5]),
  sigma f32 (B,n) (derived, as the loss uses it: cond_noise, k, fl32(k+0.5)),
  dropped i32 (B,C) (1: null condition), state_latents f32 (B,C,2,8,8) (the
  clean last frame of each condition's chunk; ignored when dropped),
  action/{b}/{ci} u8 (m) (ignored when dropped), weights f32 (B);
  loss f64 0-D; item f64 (B); states f64 (B,C,S,d) = h(state_latents)
  (every condition, dropped ones too); grad/<every parameter> f64.

glp/0/ [train_glp]                      stage glp, B = 2, R = 5 (> N = 3)
  rounds i32 0-D (R); z0 f32 (B,2,8,8); chunks f32 (B,R,K,2,8,8);
  action/{b}/{r} u8 (m) (a_r; lengths 0..8, one 0 and one 8);
  prev f32 (B,R-1,Q,d) (prev[b, r-1] = p_r, the no-gradient KV-cache
  predictions ŝ_r, train_twin.predictions); weights f32 (B) (1.0, 0.25);
  window/{r}/x0 f32 (B,n_r,2,8,8) (n_0 = 3: [cond, C_0]; n_r = 5: [cond,
  C_{r-1}, C_r]), window/{r}/k f32 (B), window/{r}/sigma f32 (B,n_r)
  (derived), window/{r}/dropped i32 (B,C_r) (C_0 = 1, else 2; a few set);
  loss f64 0-D; item f64 (B); window_loss f64 (B,R); states f64 (B,R,Q,d)
  (ŝ_{r+1} of the teacher-forced pass, every round); grad/<every
  parameter> f64.

backbone_tf/{e}/ [train_glp]            the teacher-forced pass alone
  e = 0: R = 5 (evictions), e = 1: R = 2 (round 1 with a 0-byte action).
  rounds i32 0-D; state/{r} f32 (n_r,d) (n_0 = S, else Q+S); action/{r}
  u8 (m); proj f32 (R,Q,d); out f64 (R,Q,d) (ŝ of every round at its
  query positions); hidden f64 (T,d) (last layer's output at every token,
  before model.norm; T = sum of the round lengths n + m + Q + 5);
  loss f64 0-D = sum(proj * out); dstate/{r} f64 (n_r,d) (d loss / d
  state tokens); grad/<every parameter> f64.

vae_encoder/0/ [train_vae]   images f32 (2,3,16,16), proj_mean f32
  (2,2,8,8), proj_logvar f32 (2,2,8,8); mean f64, logvar f64 (2,2,8,8)
  (conv_out output split, unscaled); loss f64 0-D = sum(proj_mean * mean)
  + sum(proj_logvar * logvar); grad/<every parameter> f64.
vae_decoder/0/ [train_vae]   latent f32 (2,2,8,8) (the argument of
  decode, i.e. scaling_factor * z); proj f32 (2,3,16,16); out f64
  (2,3,16,16); loss f64 0-D = sum(proj * out); dlatent f64 (2,2,8,8);
  grad/<every parameter> f64.
vit/0/ [train_decoder]       latent f32 (2,2,8,8); proj f32 (2,S,d); out
  f64 (2,S,d); loss f64 0-D; dlatent f64 (2,2,8,8); grad/<every parameter>.
dit/0/ [train_decoder]       one decoder forward over a pair window, B = 2:
  latents f32 (B,5,2,8,8) (the decoder's input x_σ), sigma f32 (B,5),
  slot i32 (5), block i32 (5), cond i32 (5) (-1 none, else a condition
  index), states f32 (B,2,Q,d), action/{b}/{ci} u8 (m), dropped i32
  (B,2) (item 1 condition 1 dropped: null state and action), proj f32
  (B,5,2,8,8) (frame 0's rows zero: no final layer needed there);
  out f64 (B,5,2,8,8) (velocity of every frame); loss f64 0-D =
  sum(proj * out); dstate f64 (B,2,Q,d) (zero where dropped);
  grad/<every parameter> f64.

Usage: train_reference.py OUTDIR     (exit 0 on success, 2 without torch)
"""
import copy
import os
import sys

try:
    import torch
except ImportError as error:  # CI must install it: never pass silently
    sys.stderr.write(
        "train_reference.py: cannot import torch with %s (%s).\n"
        "Install Debian's PyTorch: apt-get install python3-torch\n"
        % (sys.executable, error))
    sys.exit(2)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model_twin  # noqa: E402
import train_twin  # noqa: E402
from ops_reference import write_panfix  # noqa: E402


def tiny_config():
    """Every structural feature at toy sizes: GQA (4 heads, 2 kv), 2 layers
    everywhere, a 2-level VAE (nin_shortcut in encoder and decoder), merge
    2, K = 2, max_rounds 3, a scaling factor != 1."""
    cfg = model_twin.default_config()
    cfg["frame"].update(height=16, width=16, channels=3, chunk_frames=2)
    cfg["tokenizer"].update(vocab_size=262, max_action_bytes=8)
    cfg["vae"].update(base_channels=4, channel_mult=[1, 2], res_blocks=1,
                      latent_channels=2, norm_groups=2, scaling_factor=0.5)
    cfg["encoder"].update(patch=2, dim=8, layers=2, heads=2, mlp_dim=16, merge=2)
    cfg["backbone"].update(dim=16, layers=2, heads=4, kv_heads=2, intermediate=24,
                           queries=4, max_rounds=3)
    cfg["decoder"].update(patch=2, dim=16, layers=2, heads=2, mlp_dim=32, freq_dim=8)
    return cfg


TINY = tiny_config()
SEEDS = {"vae": 11, "decoder": 22, "glp": 33}


def make_model(cfg, seed):
    """(f32 PanModel with model_twin.randomize weights, its float64 copy)."""
    pm = model_twin.PanModel(cfg)
    model_twin.randomize(pm, torch.Generator().manual_seed(seed))
    return pm, copy.deepcopy(pm).double()


class Inputs:
    """f32 inputs from one generator."""

    def __init__(self, seed):
        self.g = torch.Generator().manual_seed(seed)

    def randn(self, *shape, scale=1.0):
        return torch.randn(shape, generator=self.g, dtype=torch.float32) * scale

    def rand(self, *shape, low=0.0, high=1.0):
        return low + (high - low) * torch.rand(shape, generator=self.g,
                                                dtype=torch.float32)

    def action(self, m):
        return torch.randint(0, 256, (m,), generator=self.g, dtype=torch.uint8)


def latent_shape(cfg):
    down = 2 ** (len(cfg["vae"]["channel_mult"]) - 1)
    return (cfg["vae"]["latent_channels"], cfg["frame"]["height"] // down,
            cfg["frame"]["width"] // down)


def grad_records(prefix, pm):
    return [(prefix + "grad/" + name, g)
            for name, g in train_twin.parameter_grads(pm).items()]


def i32(value):
    return torch.tensor(value, dtype=torch.int32)


# ---- stages --------------------------------------------------------------------

def vae_records(ref, inp):
    cfg, prefix = ref.cfg, "vae/0/"
    fr = cfg["frame"]
    images = inp.rand(2, fr["channels"], fr["height"], fr["width"], low=-1.0, high=1.0)
    eps = inp.randn(2, *latent_shape(cfg))
    kl_weight = torch.tensor(0.1, dtype=torch.float32)
    weights = torch.tensor([1.0, 0.5])
    ref.zero_grad(set_to_none=True)
    loss, info = train_twin.vae_loss(ref, images, eps, kl_weight.item(), weights)
    loss.backward()
    records = [(prefix + "images", images), (prefix + "eps", eps),
               (prefix + "kl_weight", kl_weight), (prefix + "weights", weights),
               (prefix + "loss", loss)]
    records += [(prefix + key, info[key]) for key in
                ("item", "l1", "kl", "mean", "logvar", "recon")]
    return records + grad_records(prefix, ref)


DECODER_CASES = [  # kind, B, dropped (B, C), weights
    ("first", 2, [[0], [1]], [1.0, 2.0]),
    ("pair", 3, [[0, 0], [0, 1], [1, 0]], [0.5, 1.0, 1.5]),
]
ACTION_LENGTHS = [3, 0, 8, 5, 1, 7, 2, 6, 4]


def decoder_records(ref, inp, case):
    cfg = ref.cfg
    kind, batch, dropped, weights = DECODER_CASES[case]
    k_frames = cfg["frame"]["chunk_frames"]
    n = 1 + (k_frames if kind == "first" else 2 * k_frames)
    count = len(dropped[0])
    prefix = "decoder/%d/" % case
    shape = latent_shape(cfg)
    x1 = inp.randn(batch, n, *shape)
    x0 = inp.randn(batch, n, *shape)
    k = inp.rand(batch, high=1.0 if kind == "first" else 0.5)
    # the true next state: the clean last frame of each condition's chunk
    last = [n - 1] if kind == "first" else [k_frames, 2 * k_frames]
    state_latents = torch.stack([x1[:, j] for j in last], dim=1)
    actions = [[inp.action(ACTION_LENGTHS[(3 * b + c + case) % 9]) for c in range(count)]
               for b in range(batch)]
    dropped_t = torch.tensor(dropped, dtype=torch.int32)
    weights_t = torch.tensor(weights, dtype=torch.float32)
    ref.zero_grad(set_to_none=True)
    loss, info = train_twin.decoder_loss(ref, kind, x1, x0, k, actions, dropped_t,
                                         state_latents, weights_t)
    loss.backward()
    records = [(prefix + "kind", i32(train_twin.KINDS.index(kind))),
               (prefix + "x1", x1), (prefix + "x0", x0), (prefix + "k", k),
               (prefix + "sigma", torch.from_numpy(info["sigma"])),
               (prefix + "dropped", dropped_t), (prefix + "state_latents", state_latents),
               (prefix + "weights", weights_t)]
    for b in range(batch):
        for c in range(count):
            records.append((prefix + "action/%d/%d" % (b, c), actions[b][c]))
    records += [(prefix + "loss", loss), (prefix + "item", info["item"]),
                (prefix + "states", info["states"])]
    return records + grad_records(prefix, ref)


GLP_ROUNDS = 5
GLP_ACTION_LENGTHS = [[4, 0, 8, 2, 6], [1, 5, 3, 7, 2]]
GLP_DROPPED = {(1, 0, 0), (2, 1, 1), (4, 0, 1)}   # (round, item, condition)


def glp_inputs(ref, inp, batch=2, rounds=GLP_ROUNDS):
    """(z0, chunks, actions, prev, x0s, ks, dropped, weights) of glp/0."""
    cfg = ref.cfg
    k_frames, shape = cfg["frame"]["chunk_frames"], latent_shape(cfg)
    z0 = inp.randn(batch, *shape)
    chunks = inp.randn(batch, rounds, k_frames, *shape)
    actions = [[inp.action(GLP_ACTION_LENGTHS[b % 2][r % 5]) for r in range(rounds)]
               for b in range(batch)]
    x0s, ks, dropped = [], [], []
    for r in range(rounds):
        n = 1 + (k_frames if r == 0 else 2 * k_frames)
        count = 1 if r == 0 else 2
        x0s.append(inp.randn(batch, n, *shape))
        ks.append(inp.rand(batch, high=1.0 if r == 0 else 0.5))
        dropped.append(torch.tensor([[int((r, b, c) in GLP_DROPPED) for c in range(count)]
                                     for b in range(batch)], dtype=torch.int32))
    prev = torch.stack([train_twin.predictions(ref, z0[b], chunks[b], actions[b]).float()
                        for b in range(batch)])
    weights = torch.tensor([1.0, 0.25][:batch] + [1.0] * max(0, batch - 2))
    return z0, chunks, actions, prev, x0s, ks, dropped, weights


def glp_records(ref, inp):
    prefix = "glp/0/"
    z0, chunks, actions, prev, x0s, ks, dropped, weights = glp_inputs(ref, inp)
    ref.zero_grad(set_to_none=True)
    loss, info = train_twin.glp_loss(ref, z0, chunks, actions, prev, x0s, ks, dropped,
                                     weights)
    loss.backward()
    batch, rounds = chunks.shape[:2]
    records = [(prefix + "rounds", i32(rounds)), (prefix + "z0", z0),
               (prefix + "chunks", chunks), (prefix + "prev", prev),
               (prefix + "weights", weights)]
    for b in range(batch):
        for r in range(rounds):
            records.append((prefix + "action/%d/%d" % (b, r), actions[b][r]))
    for r in range(rounds):
        kind = "first" if r == 0 else "pair"
        sigma = train_twin.window_sigmas(ref.cfg, kind, ks[r])
        records += [(prefix + "window/%d/x0" % r, x0s[r]),
                    (prefix + "window/%d/k" % r, ks[r]),
                    (prefix + "window/%d/sigma" % r, torch.from_numpy(sigma)),
                    (prefix + "window/%d/dropped" % r, dropped[r])]
    records += [(prefix + "loss", loss), (prefix + "item", info["item"]),
                (prefix + "window_loss", info["window"]), (prefix + "states", info["states"])]
    return records + grad_records(prefix, ref)


# ---- the teacher-forced backbone and the parts -----------------------------------

def backbone_records(ref, inp, case):
    cfg = ref.cfg
    q, d, s = cfg["backbone"]["queries"], cfg["backbone"]["dim"], model_twin.state_tokens(cfg)
    rounds = 5 if case == 0 else 2
    lengths = [6, 2, 8, 0, 3] if case == 0 else [5, 0]
    prefix = "backbone_tf/%d/" % case
    states = [inp.randn(s if r == 0 else q + s, d) for r in range(rounds)]
    actions = [inp.action(lengths[r]) for r in range(rounds)]
    proj = inp.randn(rounds, q, d)
    leaves = [st.double().requires_grad_(True) for st in states]
    ref.zero_grad(set_to_none=True)
    out, hidden = train_twin.backbone_sequence(
        ref, [(leaf, bytes(a.tolist())) for leaf, a in zip(leaves, actions)])
    loss = (proj.double() * out).sum()
    loss.backward()
    records = [(prefix + "rounds", i32(rounds)), (prefix + "proj", proj)]
    for r in range(rounds):
        records += [(prefix + "state/%d" % r, states[r]), (prefix + "action/%d" % r, actions[r])]
    records += [(prefix + "out", out), (prefix + "hidden", hidden), (prefix + "loss", loss)]
    records += [(prefix + "dstate/%d" % r, leaves[r].grad) for r in range(rounds)]
    return records + grad_records(prefix, ref)


def vae_part_records(ref, inp):
    cfg = ref.cfg
    fr, shape = cfg["frame"], latent_shape(cfg)
    images = inp.rand(2, fr["channels"], fr["height"], fr["width"], low=-1.0, high=1.0)
    pm_, pl = inp.randn(2, *shape), inp.randn(2, *shape)
    ref.zero_grad(set_to_none=True)
    mean, logvar = train_twin.vae_moments(ref, images)
    loss = (pm_.double() * mean).sum() + (pl.double() * logvar).sum()
    loss.backward()
    prefix = "vae_encoder/0/"
    records = [(prefix + "images", images), (prefix + "proj_mean", pm_),
               (prefix + "proj_logvar", pl), (prefix + "mean", mean),
               (prefix + "logvar", logvar), (prefix + "loss", loss)]
    records += grad_records(prefix, ref)
    latent = inp.randn(2, *shape)
    proj = inp.randn(2, fr["channels"], fr["height"], fr["width"])
    leaf = latent.double().requires_grad_(True)
    ref.zero_grad(set_to_none=True)
    out = ref.vae.decode(leaf)
    loss = (proj.double() * out).sum()
    loss.backward()
    prefix = "vae_decoder/0/"
    records += [(prefix + "latent", latent), (prefix + "proj", proj), (prefix + "out", out),
                (prefix + "loss", loss), (prefix + "dlatent", leaf.grad)]
    return records + grad_records(prefix, ref)


def vit_records(ref, inp):
    cfg = ref.cfg
    latent = inp.randn(2, *latent_shape(cfg))
    proj = inp.randn(2, model_twin.state_tokens(cfg), cfg["backbone"]["dim"])
    leaf = latent.double().requires_grad_(True)
    ref.zero_grad(set_to_none=True)
    out = ref.encoder(leaf)
    loss = (proj.double() * out).sum()
    loss.backward()
    prefix = "vit/0/"
    records = [(prefix + "latent", latent), (prefix + "proj", proj), (prefix + "out", out),
               (prefix + "loss", loss), (prefix + "dlatent", leaf.grad)]
    return records + grad_records(prefix, ref)


def dit_records(ref, inp):
    cfg = ref.cfg
    q, d = cfg["backbone"]["queries"], cfg["backbone"]["dim"]
    slot, block, cond, count = train_twin.window_layout(cfg, "pair")
    n, batch = len(slot), 2
    latents = inp.randn(batch, n, *latent_shape(cfg))
    k = inp.rand(batch, high=0.5)
    sigma = torch.from_numpy(train_twin.window_sigmas(cfg, "pair", k))
    states = inp.randn(batch, count, q, d)
    actions = [[inp.action(m) for m in lengths] for lengths in ([4, 0], [8, 2])]
    dropped = torch.tensor([[0, 0], [0, 1]], dtype=torch.int32)
    proj = inp.randn(batch, n, *latent_shape(cfg))
    proj[:, 0] = 0.0
    leaf = states.double().requires_grad_(True)
    ref.zero_grad(set_to_none=True)
    embed = ref.model.embed_tokens.weight
    outs = []
    for b in range(batch):
        conditions = [None if dropped[b, c] else (leaf[b, c], bytes(actions[b][c].tolist()))
                      for c in range(count)]
        outs.append(ref.decoder(embed, latents[b:b + 1].double(), sigma[b].double().tolist(),
                                slot, block, cond, [conditions])[0])
    out = torch.stack(outs)
    loss = (proj.double() * out).sum()
    loss.backward()
    prefix = "dit/0/"
    records = [(prefix + "latents", latents), (prefix + "sigma", sigma),
               (prefix + "slot", torch.tensor(slot, dtype=torch.int32)),
               (prefix + "block", torch.tensor(block, dtype=torch.int32)),
               (prefix + "cond", torch.tensor(cond, dtype=torch.int32)),
               (prefix + "states", states), (prefix + "dropped", dropped),
               (prefix + "proj", proj)]
    for b in range(batch):
        for c in range(count):
            records.append((prefix + "action/%d/%d" % (b, c), actions[b][c]))
    records += [(prefix + "out", out), (prefix + "loss", loss), (prefix + "dstate", leaf.grad)]
    return records + grad_records(prefix, ref)


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: train_reference.py OUTDIR\n")
        return 2
    outdir = argv[1]
    os.makedirs(outdir, exist_ok=True)
    torch.manual_seed(0)
    records = []
    for stage, seed in SEEDS.items():
        pm, ref = make_model(TINY, seed)
        model_twin.save_checkpoint(pm, os.path.join(outdir, "train_%s.safetensors" % stage),
                                   "untrained: random weights of "
                                   "tests/reference/train_reference.py, seed %d" % seed)
        inp = Inputs(100 + seed)
        if stage == "vae":
            records += vae_records(ref, inp)
            records += vae_part_records(ref, inp)
        elif stage == "decoder":
            for case in range(len(DECODER_CASES)):
                records += decoder_records(ref, inp, case)
            records += vit_records(ref, inp)
            records += dit_records(ref, inp)
        else:
            records += glp_records(ref, inp)
            for case in range(2):
                records += backbone_records(ref, inp, case)
    names = set()
    for name, value in records:
        if len(name.encode("utf-8")) > 127 or name in names:
            sys.stderr.write("train_reference.py: bad or duplicate name %s\n" % name)
            return 1
        names.add(name)
        if value.dtype == torch.float64 and not torch.isfinite(value).all():
            sys.stderr.write("train_reference.py: %s is not finite\n" % name)
            return 1
    write_panfix(os.path.join(outdir, "train_reference.bin"),
                 [(name, value.detach()) for name, value in records])
    print("train_reference.py: wrote %d records (%d parameters per gradient set) to %s"
          % (len(records), len(model_twin.param_order(TINY)), outdir))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
