#!/usr/bin/python3
"""tests/reference/model_twin_selftest.py: the twin against itself.

- The incremental backbone path (model_twin.KVCache + backbone_step:
  batched over env slots, padded, evicting with max_rounds = 3, compacting
  with a small capacity, slots gathered once envs run out of rounds) equals
  the full recomputation (model_twin.backbone_full) in float64: nMSE < 1e-20
  for every env and round, with n = 0 states and m = 0 / 256 byte actions.
- The decoder (decoder_twin, small dims, K = 4, N = 8, float64): patch
  order and unpatchify; the cond and A frames' velocities do not change
  when B's latents or conditions do (and B's do); CFG at scale 1 equals the plain conditioned forward
  (also through the batched null pass) and 2.5 does not; pan's no-lag
  cycle (SwinSampler) emits at step t the chunks the canonical lagged
  Swin-DPM (canonical_swin, A and B advanced together in [cond, A, B])
  emits one cycle later, to 1e-12, over 3 chunks at cfg 1 and 2.5, with
  the same noise (the RNG replayed in docs/swin_dpm.md draw order).
- save_checkpoint / load_checkpoint round trip every tensor bit for bit
  with its metadata; the data starts at a multiple of 64 and the tensors
  lie in docs/model.md declaration order; the reader widens BF16 exactly
  and rejects trailing or missing bytes.

Usage: model_twin_selftest.py [TMPDIR]   (exit 0 ok, 1 on mismatch, 2
without torch)
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model_twin as mt  # noqa: E402  (exits 2 without torch)
import decoder_twin as dt  # noqa: E402
import numpy  # noqa: E402
import safetensors_io  # noqa: E402
import torch  # noqa: E402


def _selftest_backbone(failures):
    """Incremental (batched, padded, evicting, compacting) == full, float64."""
    cfg = mt.default_config()
    cfg["backbone"]["max_rounds"] = 3
    generator = torch.Generator().manual_seed(1)
    pm = mt.PanModel(cfg)
    mt.randomize(pm, generator)
    pm = pm.double()
    d, q, s = cfg["backbone"]["dim"], cfg["backbone"]["queries"], mt.state_tokens(cfg)
    histories = []
    for env, count in enumerate([6, 2, 4, 5]):
        rounds = []
        for r in range(count):
            n = s if r == 0 else (0 if (env, r) == (1, 1) else q + s)
            m = [0, 7, 256, 13, 40, 1][(env + r) % 6]
            rounds.append((torch.randn(n, d, generator=generator, dtype=torch.float64),
                           bytes(torch.randint(0, 256, (m,), generator=generator)
                                 .tolist())))
        histories.append(rounds)
    with torch.no_grad():
        expected = [mt.backbone_full(pm, rounds) for rounds in histories]
        # capacity 0: the worst case; 700 tokens forces compaction.
        for capacity in (0, 700):
            cache = mt.KVCache(cfg, len(histories) + 1, capacity, dtype=torch.float64)
            worst = 0.0
            for r in range(max(len(h) for h in histories)):
                # env e in slot e + 1 (slot 0 unused): contiguous until an env
                # runs out of rounds, then gathered
                batch = [(e + 1, h[r][0], h[r][1]) for e, h in enumerate(histories)
                         if r < len(h)]
                out = mt.backbone_step(pm, cache, batch)
                for b, (slot, _, _) in enumerate(batch):
                    ref = expected[slot - 1][r]
                    worst = max(worst, ((out[b] - ref).pow(2).sum() /
                                        ref.pow(2).sum()).item())
            print("model_twin: incremental vs full, capacity %d: worst nMSE %.3g"
                  % (cache.capacity, worst))
            if not worst < 1e-20:
                failures.append("incremental != full (capacity %d): nMSE %g"
                                % (cache.capacity, worst))


def _small_decoder_model(generator):
    """A PanModel with small parts (the decoder keeps K = 4, N = 8 steps)."""
    cfg = mt.default_config()
    cfg["vae"].update(base_channels=8, norm_groups=4)
    cfg["encoder"].update(dim=32, layers=1, heads=2, mlp_dim=64)
    cfg["backbone"].update(dim=64, layers=1, heads=4, kv_heads=2, intermediate=96,
                           queries=4)
    cfg["decoder"].update(dim=48, layers=2, heads=4, mlp_dim=96, freq_dim=32)
    pm = mt.PanModel(cfg)
    mt.randomize(pm, generator)
    return pm.double().eval()


def _rel(a, b):
    return ((a - b).abs().max() / b.abs().max()).item()


def _selftest_decoder(failures, generator):
    """The causal mask, CFG at scale 1, and pan's no-lag cycle == the
    canonical lagged Swin-DPM."""
    pm = _small_decoder_model(generator)
    cfg, dec, embed = pm.cfg, pm.decoder, pm.model.embed_tokens.weight
    k, q, d = (cfg["frame"]["chunk_frames"], cfg["backbone"]["queries"],
               cfg["backbone"]["dim"])
    down = 2 ** (len(cfg["vae"]["channel_mult"]) - 1)
    shape = (cfg["vae"]["latent_channels"], cfg["frame"]["height"] // down,
             cfg["frame"]["width"] // down)
    randn = lambda *s: torch.randn(*s, generator=generator,  # noqa: E731
                                   dtype=torch.float64)
    condition = lambda m: (randn(q, d), bytes(range(m)))  # noqa: E731
    window = dict(sigma=[0.055] + [0.4] * k + [0.9] * k, slot=list(range(2 * k + 1)),
                  block=[0] + [1] * k + [2] * k, cond=[-1] + [0] * k + [1] * k)
    args = lambda w: (w["sigma"], w["slot"], w["block"], w["cond"])  # noqa: E731
    latents = randn(2, 2 * k + 1, *shape)
    conds = [[condition(5), condition(0)], [condition(9), None]]
    # patch order of PAN_OP_PATCHIFY, and unpatchify its inverse
    p, patches = dec.patch, dec.patchify(latents)
    for ch, y, x in ((0, 0, 0), (1, 3, 6), (shape[0] - 1, shape[1] - 1, shape[2] - 1)):
        token, value = (y // p) * (shape[2] // p) + x // p, ch * p * p + (y % p) * p + x % p
        if patches[1, 2, token, value] != latents[1, 2, ch, y, x]:
            failures.append("patchify: latent (%d, %d, %d) not at token %d value %d"
                            % (ch, y, x, token, value))
    if not torch.equal(dec.unpatchify(patches, *shape), latents):
        failures.append("unpatchify(patchify(x)) != x")
    with torch.no_grad():
        base = dec(embed, latents, *args(window), conds)
        # B's latents and conditions changed: cond and A rows unchanged
        other = latents.clone()
        other[:, 1 + k:] = randn(2, k, *shape)
        moved = dec(embed, other, *args(window),
                    [[conds[0][0], condition(3)], [conds[1][0], condition(2)]])
        kept = _rel(moved[:, :1 + k], base[:, :1 + k])
        changed = _rel(moved[:, 1 + k:], base[:, 1 + k:])
        print("model_twin: decoder causal mask: cond/A rel. change %.3g, B %.3g"
              % (kept, changed))
        if not (kept < 1e-13 and changed > 1e-3):
            failures.append("causal mask: cond/A changed by %g, B by %g" % (kept, changed))
        # CFG: scale 1 is the plain forward; the batched null pass leaves the
        # conditioned item alone; the null item is a forward with null conditions
        plain = dec(embed, latents[:1], *args(window), conds[:1])
        one = dt.velocity(dec, embed, latents[:1], *args(window), conds[:1], 1.0)
        both = dec(embed, torch.cat([latents[:1], latents[:1]]), *args(window),
                   [conds[0], [None, None]])
        null = dec(embed, latents[:1], *args(window), [[None, None]])
        guided = both[1:] + 1.0 * (both[:1] - both[1:])
        worst = max(_rel(one, plain), _rel(guided, plain), _rel(both[1:], null))
        strong = _rel(dt.velocity(dec, embed, latents[:1], *args(window), conds[:1], 2.5),
                      plain)
        print("model_twin: CFG scale 1 vs plain forward %.3g, scale 2.5 differs by %.3g"
              % (worst, strong))
        if not (worst < 1e-13 and strong > 1e-3):
            failures.append("CFG: scale 1 differs by %g, 2.5 by %g" % (worst, strong))
        # pan's cycle against the canonical lagged schedule, 3 chunks
        for scale in (1.0, 2.5):
            first, seed, chunks = randn(*shape), 12345 + int(scale * 10), 3
            conditions = [condition(m) for m in (7, 0, 20, 4)]
            sampler = dt.SwinSampler(dec, embed, cfg, scale)
            sampler.reset(first, seed)
            pan = [sampler.step(*conditions[t]) for t in range(chunks)]
            rng = dt.Rng(seed)   # the same draws, in docs/swin_dpm.md order
            cond_reset = dt.noised_cond(first, rng.normals(shape),
                                        cfg["decoder"]["cond_noise"])
            noises, eps = [], []
            for _ in range(chunks):
                noises.append(rng.normals((k,) + shape))
                eps.append(rng.normals(shape))
            noises.append(randn(k, *shape))       # chunk 3: only started
            canonical = dt.canonical_swin(dec, embed, cfg, cond_reset, conditions,
                                          noises, eps, scale)
            worst = max(_rel(a, b) for a, b in zip(pan, canonical))
            print("model_twin: pan cycle vs canonical Swin-DPM (cfg %.1f, %d chunks): "
                  "max rel. diff %.3g, max |chunk| %.3g"
                  % (scale, chunks, worst, max(c.abs().max().item() for c in pan)))
            if not (len(canonical) == chunks and worst < 1e-12):
                failures.append("pan cycle != canonical (cfg %g): %g" % (scale, worst))


def _selftest_checkpoint(failures, directory):
    cfg = mt.default_config()
    pm = mt.PanModel(cfg)
    mt.randomize(pm, torch.Generator().manual_seed(2))
    path = os.path.join(directory, "twin_roundtrip.safetensors")
    mt.save_checkpoint(pm, path, "model_twin self-test")
    with open(path, "rb") as stream:
        data = stream.read()
    header_len = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + header_len])
    if (8 + header_len) % 64:
        failures.append("data starts at %d, not a multiple of 64" % (8 + header_len))
    by_offset = sorted((v["data_offsets"][0], k) for k, v in header.items()
                       if k != "__metadata__")
    if [k for _, k in by_offset] != mt.param_order(cfg):
        failures.append("tensors not in declaration order")
    loaded, metadata = mt.load_checkpoint(path)
    if json.loads(metadata["pan.config"]) != cfg or metadata["pan.trained"] != "false":
        failures.append("metadata round trip: %r" % metadata)
    theirs = loaded.state_dict()
    for name, value in pm.state_dict().items():
        if not torch.equal(value, theirs[name]):
            failures.append("tensor %s differs after the round trip" % name)
    # BF16 widening and the structural checks of the reader.
    values = numpy.array([1.5, -2.0, 3.140625], dtype=numpy.float32)
    bf16 = (values.view(numpy.uint32) >> 16).astype("<u2").tobytes()
    text = json.dumps({"b": {"dtype": "BF16", "shape": [3], "data_offsets": [0, 6]}})
    blob = len(text).to_bytes(8, "little") + text.encode() + bf16
    got, _ = safetensors_io.decode(blob)
    if not numpy.array_equal(got["b"], values):
        failures.append("BF16 widening gave %s" % got["b"])
    for bad in (blob + b"x", blob[:-1]):
        try:
            safetensors_io.decode(bad)
            failures.append("reader accepted a malformed file")
        except ValueError:
            pass
    os.remove(path)
    print("model_twin: safetensors round trip of %d tensors checked" % len(theirs))


def selftest(argv):
    import tempfile
    torch.manual_seed(0)
    failures = []
    _selftest_backbone(failures)
    _selftest_decoder(failures, torch.Generator().manual_seed(3))
    with tempfile.TemporaryDirectory() as directory:
        _selftest_checkpoint(failures, argv[0] if argv else directory)
    for failure in failures:
        sys.stderr.write("model_twin self-test FAILED: %s\n" % failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(selftest(sys.argv[1:]))
