#!/usr/bin/python3
"""benchmarks/backbone_torch.py: the PyTorch side of pan-bench-backbone.

Loads a pan checkpoint into the twin (tests/reference/model_twin.py) in
float32 and times one backbone step -- one round appended per env, with the
twin's own batched KV cache (model_twin.KVCache) -- exactly the workload
pan-bench-backbone times in C:

  history H rounds prefilled (round 0: S state tokens, later rounds Q + S,
  every round a 40-byte action), then the timed round (Q + S state tokens,
  the same action) is appended to all B envs at once; before every
  repetition the cache is restored to the prefilled snapshot (untimed), so
  every repetition appends round H to the same history.

The step is BackboneStep: model_twin.backbone_step's ops in its order, split
into the Python part (round embeddings, the cache's eviction and compaction,
index and mask tensors) and a tensor-only core (RoPE tables, the additive
mask, every layer with its K/V writes, the state head) that a --compile peer
runs through torch.compile (benchmarks/torch_peer.py). A --compile peer
prefills twice, the first time untimed (that is where it compiles); its
warmup_ms says what the untimed work cost.

Usage:
  backbone_torch.py --checkpoint FILE [--threads 2] [--batch 1,16]
                    [--history 5,10] [--reps 30] [--warmup 3] [--compile]
                    [--check B:H:FILE ...]
Prints a peer line (torch version, interpreter, compile, OpenMP wait
policy), one line per case:
  case batch=B history=H median_us=M p10_us=A p90_us=B prefill_ms=P warmup_ms=W
then, for each --check (written by pan-bench-backbone: the float32 inputs
state0 (B, S, d) and state (B, Q+S, d) of its case and C's output (B, Q, d)
after the timed round), the same step on those inputs against C's output:
  check backbone_vs_c=ok cases=N max_nmse=E          (bound 1e-6)
and with --compile the compiled core against eager (torch_peer.Compiler).
A case that fails prints `fail case=... error=...` and the others still run.
Exit 0 ok, 1 when a case or a check failed, 2 without torch.
"""
import argparse
import array
import copy
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import torch_peer  # noqa: E402

if __name__ == "__main__":
    torch_peer.prepare(sys.argv[1:])  # before torch loads OpenMP and OpenBLAS
torch = torch_peer.import_torch("backbone_torch.py")

sys.path.insert(0, os.path.join(HERE, "..", "tests", "reference"))
import model_twin  # noqa: E402

ACTION = b"move the red cube onto the blue mat now."  # 40 bytes, as in C
CHECK_NMSE = 1e-6  # the C parity tests' bound (tests/model/test_backbone_parity.c)


def ints(text):
    return [int(v) for v in text.split(",") if v]


def quantile(values, q):
    values = sorted(values)
    pos = q * (len(values) - 1)
    lo = int(pos)
    if lo >= len(values) - 1:
        return values[-1]
    return values[lo] + (pos - lo) * (values[lo + 1] - values[lo])


class BackboneStep:
    """model_twin.backbone_step(pm, cache, rounds) as a callable whose tensor
    work (core) may be compiled: step(cache, rounds) -> ŝ (B, Q, d), for
    rounds on a contiguous range of slots (what every case appends to). The
    core gets the cache's window of those slots, (layers, B, kv_end, Hkv,
    hd) views, and writes the round's K/V into it in place, so a compiled
    core copies back the window, never the whole cache."""

    def __init__(self, pm, compiler):
        bb = pm.cfg["backbone"]
        self.pm, self.queries = pm, bb["queries"]
        self.heads, self.kv_heads = bb["heads"], bb["kv_heads"]
        self.core = compiler.wrap(self._core, "backbone core")

    def __call__(self, cache, rounds):
        pm = self.pm
        embeds = [pm.round_embeddings(s, a) for _, s, a in rounds]
        lengths = [e.shape[0] for e in embeds]
        batch, longest = len(rounds), max(lengths)
        slots = [slot for slot, _, _ in rounds]
        lo = slots[0]
        if slots != list(range(lo, lo + batch)):
            raise ValueError("BackboneStep: the rounds' slots must be contiguous, got %s"
                             % slots)
        starts = [cache.begin_round(slot, t) for slot, t in zip(slots, lengths)]
        x = torch.zeros(batch, longest, embeds[0].shape[1], dtype=embeds[0].dtype)
        positions = torch.zeros(batch, longest, dtype=torch.long)
        for b, e in enumerate(embeds):
            x[b, :lengths[b]] = e
            positions[b] = cache.next_position[slots[b]] + torch.arange(longest)
        kv_end = max(s + t for s, t in zip(starts, lengths))
        start = torch.tensor(starts)[:, None, None]
        i = torch.arange(longest)[None, :, None]
        j = torch.arange(kv_end)[None, None, :]
        # old live keys, or the env's own round causally; a padding query row
        # sees its round's keys up to itself (finite, ignored).
        allowed = ((j < start) & cache.live[lo:lo + batch, :kv_end][:, None, :]) | \
                  ((j >= start) & (j <= start + i))                   # (B, T, kv_end)
        new_b = torch.cat([torch.full((t,), b, dtype=torch.long)
                           for b, t in enumerate(lengths)])
        new_t = torch.cat([torch.arange(t) for t in lengths])
        new_pos = torch.tensor(starts)[new_b] + new_t
        last = torch.tensor(lengths)[:, None] - self.queries + \
            torch.arange(self.queries)[None]                          # (B, Q)
        out = self.core(x, positions, allowed, cache.k[:, lo:lo + batch, :kv_end],
                        cache.v[:, lo:lo + batch, :kv_end], new_b, new_t, new_pos, last)
        for slot, t in zip(slots, lengths):
            cache.commit_round(slot, t)
        return out

    def _core(self, x, positions, allowed, keys_all, values_all, new_b, new_t, new_pos,
              last):
        """x (B, T, d) round embeddings, positions (B, T), allowed (B, T, kv_end),
        keys_all/values_all (layers, B, kv_end, Hkv, hd) the slots' window of
        the cache, which gets the round's K/V at (new_b, new_pos)."""
        pm = self.pm
        batch = x.shape[0]
        bias = model_twin.attention_bias(allowed, self.heads, self.kv_heads).to(x.dtype)
        rope = pm.rope_table(positions, x.dtype)
        for index, layer in enumerate(pm.model.layers):
            keys, values = keys_all[index], values_all[index]   # (B, kv_end, Hkv, hd)

            def attend(q, k, v, keys=keys, values=values):
                keys[new_b, new_pos] = k[new_b, new_t]
                values[new_b, new_pos] = v[new_b, new_t]
                return model_twin.attention(q, keys, values, bias=bias)
            x = layer(x, rope, attend)
        rows = x[torch.arange(batch)[:, None], last]                  # (B, Q, d)
        return pm.state_head(rows)


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


def prefill(step, cfg, batch, history, seed):
    """A cache holding `history` rounds in `batch` slots; the timed round's
    inputs, and the prefill's wall time in ms."""
    generator = torch.Generator().manual_seed(seed)
    cache = model_twin.KVCache(cfg, batch, dtype=torch.float32)
    start = time.perf_counter()
    for r in range(history):
        step(cache, round_inputs(cfg, batch, r, generator))
    elapsed = (time.perf_counter() - start) * 1e3
    return cache, round_inputs(cfg, batch, history, generator), elapsed


def run_case(step, compiler, pm, batch, history, reps, warmup):
    """Median, p10, p90 (us) of the timed step, its prefill (ms) and the
    untimed warm-up (ms: the warm-up reps; with compile also the first,
    compiling prefill, and at least one warm-up rep)."""
    seed = batch * 1000 + history
    start = time.perf_counter()
    if compiler.enabled:
        prefill(step, pm.cfg, batch, history, seed)
        warmup = max(warmup, 1)
    warm_ms = (time.perf_counter() - start) * 1e3
    cache, timed, prefill_ms = prefill(step, pm.cfg, batch, history, seed)
    snap = snapshot(cache)
    times, frames = [], compiler.frames()
    for rep in range(warmup + reps):
        restore(cache, snap)
        t0 = time.perf_counter()
        out = step(cache, timed)
        elapsed = (time.perf_counter() - t0) * 1e6
        if not torch.isfinite(out).all():
            raise RuntimeError("non-finite backbone output")
        if rep >= warmup:
            times.append(elapsed)
        else:
            warm_ms += elapsed * 1e-3
            frames = compiler.frames()
    if compiler.frames() != frames:
        raise RuntimeError("torch.compile compiled during the timed reps (%d frames)"
                           % (compiler.frames() - frames))
    return (quantile(times, 0.5), quantile(times, 0.1), quantile(times, 0.9),
            prefill_ms, warm_ms)


def read_floats(path, count):
    values = array.array("f")
    with open(path, "rb") as f:
        values.fromfile(f, count)
        if f.read(1):
            raise ValueError("%s: more than the %d floats expected" % (path, count))
    return torch.tensor(values, dtype=torch.float32)


def check_against_c(step, pm, spec):
    """spec 'B:H:FILE': the step on C's inputs, nmse against C's output."""
    parts = spec.split(":", 2)
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        raise ValueError("--check %s: expected B:H:FILE" % spec)
    batch, history, path = int(parts[0]), int(parts[1]), parts[2]
    cfg = pm.cfg
    d, q, s = cfg["backbone"]["dim"], cfg["backbone"]["queries"], model_twin.state_tokens(cfg)
    sizes = (batch * s * d, batch * (q + s) * d, batch * q * d)
    try:
        flat = read_floats(path, sum(sizes))
    except EOFError:
        raise ValueError("%s: fewer than the %d floats of batch %d (state0, state, "
                         "output)" % (path, sum(sizes), batch)) from None
    state0, state, expect = torch.split(flat, sizes)
    state0, state = state0.view(batch, s, d), state.view(batch, q + s, d)
    cache = model_twin.KVCache(cfg, batch, dtype=torch.float32)
    for r in range(history + 1):  # H prefill rounds, then the timed one
        inputs = state0 if r == 0 else state
        out = step(cache, [(b, inputs[b], ACTION) for b in range(batch)])
    err = torch_peer.nmse(out.reshape(-1), expect)
    if not err <= CHECK_NMSE:
        raise torch_peer.CheckFailed(
            "batch %d history %d: the twin's output differs from C's (%s): nmse %.3g "
            "(bound %g)" % (batch, history, path, err, CHECK_NMSE))
    return err


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", default="1,16")
    parser.add_argument("--history", default="5,10")
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--compile", action="store_true",
                        help="run the step's tensor core through torch.compile (inductor)")
    parser.add_argument("--check", action="append", default=[], metavar="B:H:FILE",
                        help="C's inputs and output of a case (pan-bench-backbone)")
    try:
        args = parser.parse_args(argv)
    except SystemExit as done:  # --help: 0; a bad option: 1 (2 means no torch)
        return 0 if done.code == 0 else 1
    torch.set_num_threads(args.threads)
    try:
        compiler = torch_peer.Compiler(torch, args.compile)
    except RuntimeError as error:
        print("peer torch=%s python=%s compile=unavailable" % (torch.__version__,
                                                              sys.executable))
        torch_peer.fail_line("all", error)
        return 1
    print(torch_peer.peer_line(torch, compiler), flush=True)
    pm, _ = model_twin.load_checkpoint(args.checkpoint, dtype=torch.float32)
    pm.eval()
    step = BackboneStep(pm, compiler)
    failed = False
    with torch.inference_mode():
        for batch in ints(args.batch):
            for history in ints(args.history):
                try:
                    median, p10, p90, prefill_ms, warm_ms = run_case(
                        step, compiler, pm, batch, history, args.reps, args.warmup)
                except Exception as error:  # noqa: BLE001  (reported, the rest runs)
                    torch_peer.fail_line("batch=%d,history=%d" % (batch, history), error)
                    failed = True
                    continue
                print("case batch=%d history=%d median_us=%.1f p10_us=%.1f "
                      "p90_us=%.1f prefill_ms=%.1f warmup_ms=%.1f"
                      % (batch, history, median, p10, p90, prefill_ms, warm_ms), flush=True)
        if args.check:
            try:
                worst = max(check_against_c(step, pm, spec) for spec in args.check)
                print("check backbone_vs_c=ok cases=%d max_nmse=%.3g"
                      % (len(args.check), worst), flush=True)
            except Exception as error:  # noqa: BLE001
                torch_peer.fail_line("check", error)
                failed = True
    if compiler.check_line():
        print(compiler.check_line(), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
