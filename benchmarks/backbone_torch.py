#!/usr/bin/python3
"""benchmarks/backbone_torch.py: the PyTorch side of pan-bench-backbone.

Loads a pan checkpoint into the twin (tests/reference/model_twin.py) in
float32 and times one backbone step -- one round appended per env, with the
twin's own batched KV cache (model_twin.KVCache / backbone_step) -- exactly
the workload pan-bench-backbone times in C:

  history H rounds prefilled (round 0: S state tokens, later rounds Q + S,
  every round a 40-byte action), then the timed round (Q + S state tokens,
  the same action) is appended to all B envs at once; before every
  repetition the cache is restored to the prefilled snapshot (untimed), so
  every repetition appends round H to the same history.

Usage:
  backbone_torch.py --checkpoint FILE [--threads 2] [--batch 1,16]
                    [--history 5,10] [--reps 30] [--warmup 3]
Prints one line per case:
  case batch=B history=H median_us=M p10_us=A p90_us=B prefill_ms=P
Exit 0 ok, 1 on error, 2 without torch.

OMP_WAIT_POLICY defaults to PASSIVE here: Debian's torch runs its
elementwise ops on OpenMP threads and its matmuls on OpenBLAS's own
pthreads, and with spinning OpenMP workers the two fight over 2 cores (a
batch-1 step measured 440 ms instead of 23 ms on a shared machine). Set
the variable yourself to override.
"""
import argparse
import copy
import os
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads OpenMP
try:
    import torch
except ImportError as error:
    sys.stderr.write("backbone_torch.py: cannot import torch with %s (%s).\n"
                     "Install Debian's PyTorch: apt-get install python3-torch\n"
                     % (sys.executable, error))
    sys.exit(2)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "reference"))
import model_twin  # noqa: E402

ACTION = b"move the red cube onto the blue mat now."  # 40 bytes, as in C


def ints(text):
    return [int(v) for v in text.split(",") if v]


def quantile(values, q):
    values = sorted(values)
    pos = q * (len(values) - 1)
    lo = int(pos)
    if lo >= len(values) - 1:
        return values[-1]
    return values[lo] + (pos - lo) * (values[lo + 1] - values[lo])


def round_inputs(cfg, batch, r, generator):
    d = cfg["backbone"]["dim"]
    n = model_twin.state_tokens(cfg) + (cfg["backbone"]["queries"] if r > 0 else 0)
    return [(slot, torch.randn(n, d, generator=generator), ACTION)
            for slot in range(batch)]


def snapshot(cache):
    """A copy of the cache's live region and bookkeeping."""
    used = max(cache.fill)
    return (cache.k[:, :, :used].clone(), cache.v[:, :, :used].clone(),
            cache.live.clone(), list(cache.fill), list(cache.rounds),
            list(cache.next_position), copy.deepcopy(cache.live_rounds))


def restore(cache, snap):
    k, v, live, fill, rounds, positions, live_rounds = snap
    cache.k[:, :, :k.shape[2]].copy_(k)
    cache.v[:, :, :v.shape[2]].copy_(v)
    cache.live.copy_(live)
    cache.fill, cache.rounds = list(fill), list(rounds)
    cache.next_position = list(positions)
    cache.live_rounds = copy.deepcopy(live_rounds)


def run_case(pm, batch, history, reps, warmup):
    cfg = pm.cfg
    generator = torch.Generator().manual_seed(batch * 1000 + history)
    cache = model_twin.KVCache(cfg, batch, dtype=torch.float32)
    start = time.perf_counter()
    for r in range(history):
        model_twin.backbone_step(pm, cache, round_inputs(cfg, batch, r, generator))
    prefill_ms = (time.perf_counter() - start) * 1e3
    snap = snapshot(cache)
    timed = round_inputs(cfg, batch, history, generator)
    times = []
    for rep in range(warmup + reps):
        restore(cache, snap)
        t0 = time.perf_counter()
        out = model_twin.backbone_step(pm, cache, timed)
        elapsed = (time.perf_counter() - t0) * 1e6
        if not torch.isfinite(out).all():
            raise RuntimeError("non-finite backbone output")
        if rep >= warmup:
            times.append(elapsed)
    return (quantile(times, 0.5), quantile(times, 0.1), quantile(times, 0.9),
            prefill_ms)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", default="1,16")
    parser.add_argument("--history", default="5,10")
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    pm, _ = model_twin.load_checkpoint(args.checkpoint, dtype=torch.float32)
    pm.eval()
    with torch.inference_mode():
        for batch in ints(args.batch):
            for history in ints(args.history):
                median, p10, p90, prefill = run_case(pm, batch, history,
                                                     args.reps, args.warmup)
                print("case batch=%d history=%d median_us=%.1f p10_us=%.1f "
                      "p90_us=%.1f prefill_ms=%.1f"
                      % (batch, history, median, p10, p90, prefill), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
