#!/usr/bin/python3
"""tests/reference/model_reference.py: the model parity fixture.

Writes, into OUTDIR,
  model.safetensors     a pan checkpoint (f32) of the docs/model.md default
                        configuration except backbone.max_rounds = 4, with
                        random weights (torch.manual_seed(0)): linear/conv
                        N(0, 1/fan_in), embeddings N(0, 0.02^2), norm weights
                        1 + 0.1 N(0,1) and every bias 0.05 N(0,1), so that a
                        dropped bias or norm weight is caught;
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
import model_twin  # noqa: E402
from ops_reference import write_panfix  # noqa: E402

ENV_ROUNDS = [7, 3, 5]


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


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: model_reference.py OUTDIR\n")
        return 2
    outdir = argv[1]
    os.makedirs(outdir, exist_ok=True)
    torch.manual_seed(0)
    cfg = model_twin.default_config()
    cfg["backbone"]["max_rounds"] = 4
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
