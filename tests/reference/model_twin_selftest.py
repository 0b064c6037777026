#!/usr/bin/python3
"""tests/reference/model_twin_selftest.py: the twin against itself.

- The incremental backbone path (model_twin.KVCache + backbone_step:
  batched over env slots, padded, evicting with max_rounds = 3, compacting
  with a small capacity, slots gathered once envs run out of rounds) equals
  the full recomputation (model_twin.backbone_full) in float64: nMSE < 1e-20
  for every env and round, with n = 0 states and m = 0 / 256 byte actions.
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
    with tempfile.TemporaryDirectory() as directory:
        _selftest_checkpoint(failures, argv[0] if argv else directory)
    for failure in failures:
        sys.stderr.write("model_twin self-test FAILED: %s\n" % failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(selftest(sys.argv[1:]))
