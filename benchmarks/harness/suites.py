"""benchmarks/harness/suites.py: the benchmarks the harness runs.

Each entry names its CMake targets, its command line (full or --quick
settings, the harness's thread count, the model) and where its rows come
from: the benchmark's own `--csv FILE` (benchmarks/bench_csv.c) for the
performance benchmarks, pan-eval's report.json for the evaluation. The
order is the run order: the quick, cheap ones first.

  name        group     what
  worlds      worlds    pan-bench-worlds: world generation, 1 thread
  server      server    pan-bench-server: in-process vs over ZeroMQ
  ops         ops       pan-bench-ops: every op on every backend
  backbone    backbone  pan-bench-backbone: backbone step vs PyTorch
  glp         glp       pan-bench-glp: world-model env vs PyTorch (the model)
  train       train     pan-bench-train: training forward + backward vs PyTorch
                        autograd (the model, adaLN-zero tensors made random)
  eval-model  eval      pan-eval --quick on the model
  eval-truth  eval      pan-eval --truth --quick (validates the judges)
"""

import csv
import dataclasses
import os

import eval_rows


@dataclasses.dataclass
class Context:
    source_dir: str
    build_dir: str
    out_dir: str
    raw_dir: str
    threads: int
    quick: bool
    peers: list               # NAME=PYTHON[:compile] of backbone's and glp's peers
    model: str = None         # checkpoint path for glp and eval-model
    pictures: bool = True     # pan-eval's PNG/GIF strips and plot


@dataclasses.dataclass
class Suite:
    name: str
    group: str
    targets: list
    argv: object              # Context -> list of str
    rows: object              # (Suite, Context) -> list of row dicts
    peer: str = None          # whose figure the peer_value column holds, when the
                              # row's own peer column is empty
    uses_model: bool = False
    about: str = ""


def _bin(ctx, *parts):
    return os.path.join(ctx.build_dir, *parts)


def _csv_path(ctx, name):
    return os.path.join(ctx.raw_dir, name + ".csv")


def _number(text):
    if text is None or text == "":
        return None
    try:
        return float(text)
    except ValueError:
        return None


def csv_rows(suite, ctx):
    """Rows of a benchmark's --csv file (bench.h's columns)."""
    with open(_csv_path(ctx, suite.name), newline="") as f:
        return [{"case": r["case"], "metric": r["metric"], "value": _number(r["value"]),
                 "unit": r["unit"], "peer": r.get("peer") or None,
                 "peer_value": _number(r["peer_value"]), "note": r["note"]}
                for r in csv.DictReader(f)]


def _eval_dir(ctx, name):
    return os.path.join(ctx.out_dir, name)


def report_rows(suite, ctx):
    return eval_rows.rows(os.path.join(_eval_dir(ctx, suite.name), "report.json"))


def _worlds(ctx):
    return [_bin(ctx, "benchmarks", "pan-bench-worlds"), "--runs",
            "3" if ctx.quick else "7", "--csv", _csv_path(ctx, "worlds")]


def _server(ctx):
    argv = [_bin(ctx, "benchmarks", "pan-bench-server"), "--csv", _csv_path(ctx, "server")]
    return argv + (["--requests", "500", "--warmup", "50"] if ctx.quick else [])


def _ops(ctx):
    argv = [_bin(ctx, "benchmarks", "pan-bench-ops"), "--threads", str(ctx.threads),
            "--csv", _csv_path(ctx, "ops")]
    return argv + (["--quick"] if ctx.quick else [])


def _peers(ctx):
    return [a for spec in ctx.peers for a in ("--peer", spec)] or ["--no-torch"]


def _backbone(ctx):
    argv = [_bin(ctx, "benchmarks", "pan-bench-backbone"), "--threads", str(ctx.threads),
            *_peers(ctx), "--csv", _csv_path(ctx, "backbone")]
    return argv + (["--reps", "5", "--warmup", "1"] if ctx.quick else [])


def _glp(ctx):
    argv = [_bin(ctx, "benchmarks", "pan-bench-glp"), "--threads", str(ctx.threads),
            *_peers(ctx), "--checkpoint", ctx.model, "--csv", _csv_path(ctx, "glp")]
    return argv + (["--reps", "3", "--warmup", "1"] if ctx.quick else [])


def _train(ctx):
    argv = [_bin(ctx, "benchmarks", "pan-bench-train"), "--threads", str(ctx.threads),
            *_peers(ctx), "--checkpoint", ctx.model, "--csv", _csv_path(ctx, "train")]
    return argv + (["--quick"] if ctx.quick else [])


def _eval(subject):
    def argv(ctx):
        name = "eval-" + subject
        cmd = [_bin(ctx, "benchmarks", "eval", "pan-eval")]
        cmd += ["--model", ctx.model] if subject == "model" else ["--truth"]
        cmd += ["--quick", "--out", _eval_dir(ctx, name), "--threads", str(ctx.threads)]
        return cmd + ([] if ctx.pictures else ["--no-pictures"])
    return argv


SUITES = [
    Suite("worlds", "worlds", ["pan-bench-worlds"], _worlds, csv_rows,
          about="world generation throughput, 1 thread"),
    Suite("server", "server", ["pan-bench-server"], _server, csv_rows,
          about="the env in-process vs over ZeroMQ (loopback, 1 worker)"),
    Suite("ops", "ops", ["pan-bench-ops"], _ops, csv_rows,
          about="every op on every backend at the model's shapes"),
    Suite("backbone", "backbone", ["pan-bench-backbone"], _backbone, csv_rows,
          peer="PyTorch",
          about="one backbone round vs the PyTorch twin (its own default-config "
                "random weights, seed 1, UNTRAINED; not the model below)"),
    Suite("glp", "glp", ["pan-bench-glp"], _glp, csv_rows, peer="PyTorch",
          uses_model=True, about="the world-model env on the model vs the PyTorch twin"),
    Suite("train", "train", ["pan-bench-train"], _train, csv_rows, peer="PyTorch",
          uses_model=True,
          about="training forward + backward (stage losses and parts) on the model "
                "vs PyTorch autograd"),
    Suite("eval-model", "eval", ["pan-eval"], _eval("model"), report_rows,
          uses_model=True, about="pan-eval --quick on the model (tabletop)"),
    Suite("eval-truth", "eval", ["pan-eval"], _eval("truth"), report_rows,
          about="pan-eval --truth --quick: the judges' validation, 100% expected"),
]

GROUPS = sorted({s.group for s in SUITES} | {s.name for s in SUITES})


def select(only, skip):
    """The suites named (by name or group) in `only` minus those in `skip`."""
    def hit(s, names):
        return s.name in names or s.group in names
    chosen = [s for s in SUITES if not only or hit(s, only)]
    return [s for s in chosen if not hit(s, skip or [])]
