#!/usr/bin/python3
"""tests/reference/model_reference.py: the model parity fixture.

Writes, into OUTDIR,
  model.safetensors     a pan checkpoint (f32) of the docs/model.md default
                        configuration except backbone.max_rounds = 4 and
                        a narrower decoder (SMALL_DECODER: the same code
                        paths at a fifteenth of the cost), with
                        random weights (torch.manual_seed(0)): linear/conv
                        N(0, 1/fan_in), embeddings N(0, 0.02^2), norm weights
                        1 + 0.1 N(0,1) and every bias 0.05 N(0,1), so that a
                        dropped bias or norm weight is caught; the decoder's
                        zero-initialised weights are random too
                        (model_twin.randomize);
  model_reference.bin   PANFIX01 (tests/fixture.h): inputs (f32/u8/i32) and
                        the twin's outputs (f64, computed in float64 from the
                        f32 weights and inputs) for
    frames/0/{frames u8 (2,64,64,3), expected (2,3,64,64)}
    vae_encode/0/{images f32 (2,3,64,64), expected (2,4,16,16)}
    vae_decode/0/{latent f32 (2,4,16,16), expected (2,3,64,64)}
    vit/0/{latent f32 (2,4,16,16), expected (2,16,256)}
    backbone/envs i32 0-D; backbone/{e}/rounds i32 0-D;
    backbone/{e}/{r}/{state f32 (n,256), action u8 (m), expected (16,256)}
      env 0: 7 rounds (evictions with N = 4), env 1: 3, env 2: 5;
      n = 16 in round 0, else 32 (env 1 round 2: n = 0); m in 1..60 with
      one m = 0 (env 2 round 1) and one m = 256 (env 0 round 3); expected
      from the full recomputation (model_twin.backbone_full).
    decoder/{c}/{latents f32 (B,n,4,16,16), sigma f32 (n), slot i32 (n),
      block i32 (n), cond i32 (n) (-1: none, else a condition index),
      conds i32 0-D (C), state/{b}/{i} f32 (16,256), action/{b}/{i} u8 (m),
      null/{b}/{i} i32 0-D (1: the null condition; its state (zeros) and
      action (0 bytes) are then present but unused), expected f64
      (B,n,4,16,16) the velocity of every frame}
      case 0: window [cond, A (4), B (4)], n = 9, B = 2, C = 2: item 0's
      B condition has a 0-byte action, item 1's A action has 256 bytes
      and its B condition is null; case 1: [cond, B] with B in slots 5..8,
      block 2, n = 5, B = 1, C = 1; sigma: cond_noise, then U[0, 1)
    swin/{c}/{cfg_scale f32 0-D (case 0: 1.0, case 1: 2.5), seed i32 0-D,
      first f32 (4,16,16) the clean latent of the first frame, steps i32
      0-D (3), {t}/state f32 (16,256), {t}/action u8 (m) (m = 0 at t = 1),
      {t}/expected f64 (4,4,16,16) the chunk latent emitted at step t}
      (docs/swin_dpm.md: reset draws the cond frame's noise, each step
      the chunk's x0 and the next cond frame's noise)
    env/0/{seed i32 0-D, frame u8 (64,64,3) (gradients and a checker),
      steps i32 0-D (3), reset_latent f64 (16,256) = h(o_1),
      {t}/action u8 (m), {t}/latent f64 (16,256) ŝ_{t+1}, {t}/chunk f64
      (4,4,16,16), {t}/frames u8 (4,64,64,3)}: the GLP env step
      (glp_env_twin.GLPEnv, frames mode, cfg_scale 1). The frames are
      rounded from float64; a float32 computation flips a few pixels by 1
      (the f32 twin: 1 to 6 of 49152 per step), which also nudges the
      next round's h(ô): compare frames with a tolerance of 1.

Usage: model_reference.py OUTDIR     (exit 0 on success, 2 without torch)
"""
import copy
import os
import sys

try:
    import torch
except ImportError as error:  # CI must install it: never pass silently
    sys.stderr.write(
        "model_reference.py: cannot import torch with %s (%s).\n"
        "Install Debian's PyTorch: apt-get install python3-torch\n"
        % (sys.executable, error))
    sys.exit(2)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import glp_env_twin  # noqa: E402
import model_twin  # noqa: E402
from ops_reference import write_panfix  # noqa: E402

ENV_ROUNDS = [7, 3, 5]
SWIN_CFG_SCALES = [1.0, 2.5]
CHUNK_STEPS = 3


def backbone_inputs(cfg):
    """[[(state f32 (n, d), action bytes), ...] per env]."""
    d = cfg["backbone"]["dim"]
    q, s = cfg["backbone"]["queries"], model_twin.state_tokens(cfg)
    envs = []
    for e, count in enumerate(ENV_ROUNDS):
        rounds = []
        for r in range(count):
            n = s if r == 0 else (0 if (e, r) == (1, 2) else q + s)
            m = int(torch.randint(1, 61, ()).item())
            if (e, r) == (2, 1):
                m = 0
            if (e, r) == (0, 3):
                m = cfg["tokenizer"]["max_action_bytes"]
            state = torch.randn(n, d, dtype=torch.float32)
            action = torch.randint(0, 256, (m,), dtype=torch.uint8)
            rounds.append((state, action))
        envs.append(rounds)
    return envs


def random_action(low, high):
    m = int(torch.randint(low, high + 1, ()).item())
    return torch.randint(0, 256, (m,), dtype=torch.uint8)


def decoder_records(ref, cfg, case):
    """decoder/{case}/...: one window forward, every frame's velocity."""
    k, z = cfg["frame"]["chunk_frames"], cfg["vae"]["latent_channels"]
    q, d = cfg["backbone"]["queries"], cfg["backbone"]["dim"]
    lh, lw = latent_size(cfg)
    cn = [cfg["decoder"]["cond_noise"]]
    if case == 0:   # [cond, A, B], two items; item 1's B condition null
        batch, sigma = 2, cn + torch.rand(2 * k).tolist()
        slot, block = list(range(2 * k + 1)), [0] + [1] * k + [2] * k
        cond, nulls = [-1] + [0] * k + [1] * k, {(1, 1)}
        lengths = {(0, 0): None, (0, 1): 0, (1, 0): cfg["tokenizer"]["max_action_bytes"]}
    else:           # [cond, B], B in slots K+1..2K, block 2
        batch, sigma = 1, cn + torch.rand(k).tolist()
        slot, block = [0] + list(range(k + 1, 2 * k + 1)), [0] + [2] * k
        cond, nulls, lengths = [-1] + [0] * k, set(), {(0, 0): None}
    count = max(cond) + 1
    sigma = torch.tensor(sigma, dtype=torch.float32)
    latents = torch.randn(batch, len(slot), z, lh, lw, dtype=torch.float32)
    prefix = "decoder/%d/" % case
    records = [(prefix + "latents", latents), (prefix + "sigma", sigma),
               (prefix + "slot", torch.tensor(slot, dtype=torch.int32)),
               (prefix + "block", torch.tensor(block, dtype=torch.int32)),
               (prefix + "cond", torch.tensor(cond, dtype=torch.int32)),
               (prefix + "conds", torch.tensor(count, dtype=torch.int32))]
    conditions = []
    for b in range(batch):
        items = []
        for c in range(count):
            null = (b, c) in nulls
            state = torch.zeros(q, d) if null else torch.randn(q, d, dtype=torch.float32)
            m = lengths.get((b, c))
            action = (torch.zeros(0, dtype=torch.uint8) if null or m == 0 else
                      random_action(1, 60) if m is None else
                      torch.randint(0, 256, (m,), dtype=torch.uint8))
            records += [(prefix + "state/%d/%d" % (b, c), state),
                        (prefix + "action/%d/%d" % (b, c), action),
                        (prefix + "null/%d/%d" % (b, c),
                         torch.tensor(int(null), dtype=torch.int32))]
            items.append(None if null else (state.double(), bytes(action.tolist())))
        conditions.append(items)
    expected = ref.decoder(ref.model.embed_tokens.weight, latents.double(),
                           sigma.tolist(), slot, block, cond, conditions)
    return records + [(prefix + "expected", expected)]


def swin_records(ref, cfg, case):
    """swin/{case}/...: CHUNK_STEPS chunks of pan's cycle from a clean first
    latent, given states and actions."""
    q, d = cfg["backbone"]["queries"], cfg["backbone"]["dim"]
    lh, lw = latent_size(cfg)
    scale, seed = SWIN_CFG_SCALES[case], 1000 + case
    first = torch.randn(cfg["vae"]["latent_channels"], lh, lw, dtype=torch.float32)
    prefix = "swin/%d/" % case
    records = [(prefix + "cfg_scale", torch.tensor(scale, dtype=torch.float32)),
               (prefix + "seed", torch.tensor(seed, dtype=torch.int32)),
               (prefix + "first", first),
               (prefix + "steps", torch.tensor(CHUNK_STEPS, dtype=torch.int32))]
    sampler = model_twin.decoder_twin.SwinSampler(ref.decoder, ref.model.embed_tokens.weight,
                                                  cfg, scale)
    sampler.reset(first.double(), seed)
    for t in range(CHUNK_STEPS):
        state = torch.randn(q, d, dtype=torch.float32)
        action = random_action(0 if t == 1 else 1, 0 if t == 1 else 60)
        chunk = sampler.step(state.double(), bytes(action.tolist()))
        records += [(prefix + "%d/state" % t, state), (prefix + "%d/action" % t, action),
                    (prefix + "%d/expected" % t, chunk)]
    return records


def env_records(ref, cfg):
    """env/0/...: reset from a u8 frame, then CHUNK_STEPS GLP env steps."""
    height, width = cfg["frame"]["height"], cfg["frame"]["width"]
    y = torch.arange(height)[:, None].expand(height, width)
    x = torch.arange(width)[None, :].expand(height, width)
    checker = ((x // 16 + y // 16) % 2) * 180 + 40
    frame = torch.stack([(x * 4) % 256, (y * 4) % 256, checker], dim=-1).to(torch.uint8)
    seed = 77
    env = glp_env_twin.GLPEnv(ref)
    records = [("env/0/seed", torch.tensor(seed, dtype=torch.int32)),
               ("env/0/frame", frame),
               ("env/0/steps", torch.tensor(CHUNK_STEPS, dtype=torch.int32)),
               ("env/0/reset_latent", env.reset(frame, seed))]
    for t in range(CHUNK_STEPS):
        action = random_action(1, 40)
        latent, chunk, frames = env.step(bytes(action.tolist()))
        records += [("env/0/%d/action" % t, action), ("env/0/%d/latent" % t, latent),
                    ("env/0/%d/chunk" % t, chunk), ("env/0/%d/frames" % t, frames)]
    return records


# Several heads and layers, every stream, the default schedule; small widths.
SMALL_DECODER = {"dim": 96, "layers": 2, "heads": 4, "mlp_dim": 256, "freq_dim": 64}


def latent_size(cfg):
    down = 2 ** (len(cfg["vae"]["channel_mult"]) - 1)
    return cfg["frame"]["height"] // down, cfg["frame"]["width"] // down


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: model_reference.py OUTDIR\n")
        return 2
    outdir = argv[1]
    os.makedirs(outdir, exist_ok=True)
    torch.manual_seed(0)
    cfg = model_twin.default_config()
    cfg["backbone"]["max_rounds"] = 4
    cfg["decoder"].update(SMALL_DECODER)
    pm = model_twin.PanModel(cfg)
    model_twin.randomize(pm)
    model_twin.save_checkpoint(pm, os.path.join(outdir, "model.safetensors"),
                               "untrained: random weights of "
                               "tests/reference/model_reference.py, "
                               "torch.manual_seed(0)")
    ref = copy.deepcopy(pm).double().eval()
    fr = cfg["frame"]
    shape = (2, fr["height"], fr["width"], fr["channels"])  # (N, H, W, C) u8
    z = cfg["vae"]["latent_channels"]
    down = 2 ** (len(cfg["vae"]["channel_mult"]) - 1)
    lh, lw = fr["height"] // down, fr["width"] // down
    records = []
    with torch.no_grad():
        frames = torch.randint(0, 256, shape, dtype=torch.uint8)
        images64 = frames.permute(0, 3, 1, 2).double() / 127.5 - 1.0
        records += [("frames/0/frames", frames), ("frames/0/expected", images64)]
        images = (frames.permute(0, 3, 1, 2).float() / 127.5 - 1.0).contiguous()
        records += [("vae_encode/0/images", images),
                    ("vae_encode/0/expected", ref.vae.encode(images.double()))]
        latent = torch.randn(2, z, lh, lw, dtype=torch.float32)
        records += [("vae_decode/0/latent", latent),
                    ("vae_decode/0/expected", ref.vae.decode(latent.double()))]
        latent = torch.randn(2, z, lh, lw, dtype=torch.float32)
        records += [("vit/0/latent", latent),
                    ("vit/0/expected", ref.encoder(latent.double()))]
        envs = backbone_inputs(cfg)
        records.append(("backbone/envs", torch.tensor(len(envs), dtype=torch.int32)))
        for e, rounds in enumerate(envs):
            records.append(("backbone/%d/rounds" % e,
                            torch.tensor(len(rounds), dtype=torch.int32)))
            outputs = model_twin.backbone_full(
                ref, [(s.double(), bytes(a.tolist())) for s, a in rounds])
            for r, ((state, action), out) in enumerate(zip(rounds, outputs)):
                records += [("backbone/%d/%d/state" % (e, r), state),
                            ("backbone/%d/%d/action" % (e, r), action),
                            ("backbone/%d/%d/expected" % (e, r), out)]
        for case in range(2):
            records += decoder_records(ref, cfg, case)
        for case in range(len(SWIN_CFG_SCALES)):
            records += swin_records(ref, cfg, case)
        records += env_records(ref, cfg)
    for name, value in records:
        if value.dtype == torch.float64 and not torch.isfinite(value).all():
            sys.stderr.write("model_reference.py: %s is not finite\n" % name)
            return 1
    write_panfix(os.path.join(outdir, "model_reference.bin"), records)
    print("model_reference.py: wrote %d records and %d tensors to %s"
          % (len(records), len(model_twin.param_order(cfg)), outdir))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
