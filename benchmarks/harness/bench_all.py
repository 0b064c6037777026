#!/usr/bin/python3
"""benchmarks/harness/bench_all.py: one entry point that characterises a
build and a model on this machine (docs/benchmarks.md, "One entry point";
scripts/bench.sh runs it).

  bench_all.py [--model FILE] [--out DIR] [--quick] [--only LIST] [--skip LIST]
               [--threads N] [--build-dir DIR] [--no-build] [--no-pictures]
               [--timeout S] [--python PATH] [--peer NAME=PYTHON[:compile] ...]
               [--list]

Builds what it needs (cmake --build), runs the performance benchmarks and
`pan-eval --quick` on the model and on the true world (suites.py), keeps
every raw output verbatim in OUT/raw/, and writes OUT/bench.md, bench.csv
and bench.json with a header naming the date, commit, machine, libraries,
threads, load average, model and PyTorch peers (peers.py: Debian's torch,
and the venv's current torch eager and compiled) (writers.py). Without
--model the model is a fresh pan-init checkpoint (default config, seed 1):
UNTRAINED. A
benchmark that fails, times out or is missing is recorded as failed with
its stderr and the others still run; the exit status is then 1 (2 on a
usage error). Standard library only.
"""

import argparse
import os
import shlex
import shutil
import sys
import time

import checkpoint
import machine
import peers
import runner
import suites
import writers

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.dirname(os.path.dirname(HERE))


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="scripts/bench.sh",
        description="Runs pan's benchmarks and pan-eval --quick; writes "
                    "OUT/bench.md, bench.csv, bench.json and OUT/raw/.")
    p.add_argument("--model", help="checkpoint for pan-bench-glp and pan-eval "
                   "(default: a fresh pan-init checkpoint, seed 1, UNTRAINED)")
    p.add_argument("--out", help="output directory (default: "
                   "BUILD/bench/<UTC date>-<commit>)")
    p.add_argument("--quick", action="store_true",
                   help="short settings for every benchmark (pan-eval is always --quick)")
    p.add_argument("--only", help="comma-separated names or groups: %s"
                   % ",".join(suites.GROUPS))
    p.add_argument("--skip", help="comma-separated names or groups to leave out")
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                   help="threads for every benchmark that takes them (default: the cores)")
    p.add_argument("--build-dir", default=os.path.join(SOURCE_DIR, "build"))
    p.add_argument("--no-build", action="store_true",
                   help="do not run cmake; use the executables as they are")
    p.add_argument("--no-pictures", action="store_true",
                   help="pan-eval without its PNG/GIF strips and plot (text outputs only)")
    p.add_argument("--timeout", type=int, default=3600,
                   help="seconds per benchmark before it is stopped (default 3600)")
    p.add_argument("--python", default="/usr/bin/python3",
                   help="interpreter of the debian peer (default /usr/bin/python3)")
    p.add_argument("--peer", action="append", default=[], metavar="NAME=PYTHON[:compile]",
                   help="a PyTorch peer of backbone and glp (repeatable; replaces the "
                        "default peers: debian, and the venv's eager and compile when "
                        "its torch is >= 2)")
    p.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = p.parse_args(argv)
    names = lambda s: [x for x in (s or "").split(",") if x]  # noqa: E731
    args.only, args.skip = names(args.only), names(args.skip)
    unknown = [x for x in args.only + args.skip if x not in suites.GROUPS]
    if unknown:
        p.error("unknown benchmark(s) %s; known: %s" % (",".join(unknown),
                                                       ",".join(suites.GROUPS)))
    if args.threads < 1:
        p.error("--threads must be >= 1")
    if args.model and not os.path.isfile(args.model):
        p.error("--model %s: no such file" % args.model)
    try:
        args.peers = [peers.parse(spec) for spec in args.peer]
    except ValueError as error:
        p.error(str(error))
    if len({x["name"] for x in args.peers}) != len(args.peers):
        p.error("--peer: the names must differ")
    args.build_dir = os.path.abspath(args.build_dir)
    return args


def say(text):
    print("[bench] " + text, file=sys.stderr, flush=True)


def configure(args, raw_dir, runs):
    """cmake -S -B (Release) when the build directory is not configured."""
    if args.no_build or os.path.isfile(os.path.join(args.build_dir, "CMakeCache.txt")):
        return
    say("configuring %s (Release)" % args.build_dir)
    argv = [shutil.which("cmake") or "/usr/bin/cmake", "-S", SOURCE_DIR, "-B", args.build_dir,
            "-DCMAKE_BUILD_TYPE=Release"]
    runs.append(runner.run("configure", argv, raw_dir, args.timeout))


def make_model(args, ctx, runs):
    """The model path and its description, or (None, why)."""
    if args.model:
        return os.path.abspath(args.model), "given with --model"
    if not args.no_build:
        rec = runner.build(args.build_dir, ["pan-init"], ctx.raw_dir, "pan-init",
                           args.timeout)
        if rec["status"] != "ok":
            runs.append(rec)
            return None, "building pan-init failed"
    path = os.path.join(args.build_dir, "bench", "untrained-seed1.safetensors")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    argv = [os.path.join(args.build_dir, "core", "tools", "pan-init"), "--out", path,
            "--seed", "1"]
    rec = runner.run("pan-init", argv, ctx.raw_dir, args.timeout)
    runs.append(rec)
    if rec["status"] != "ok":
        return None, "pan-init failed: %s" % rec["why"]
    return path, "fresh pan-init checkpoint (default config, seed 1): `%s`" % rec["command"]


def run_suite(suite, args, ctx, model_why):
    """The run record and rows of one benchmark; never raises."""
    if suite.uses_model and not ctx.model:
        rec = {"name": suite.name, "command": "", "status": "failed", "exit_code": None,
               "wall_s": None, "raw": suite.name + ".txt", "stderr": None,
               "stderr_tail": [], "why": "no model: %s" % model_why}
        return rec, []
    if not args.no_build:
        b = runner.build(args.build_dir, suite.targets, ctx.raw_dir, suite.name,
                         args.timeout)
        if b["status"] != "ok":
            b.update(name=suite.name, why="build failed (%s): see raw/%s%s" % (
                b["why"], b["raw"], " and raw/%s" % b["stderr"] if b["stderr"] else ""))
            b["stderr_tail"] = runner.tail(os.path.join(ctx.raw_dir, b["raw"]), 20) + \
                b["stderr_tail"]
            return b, []
    rec = runner.run(suite.name, suite.argv(ctx), ctx.raw_dir, args.timeout,
                     cwd=SOURCE_DIR)
    rows = []
    if rec["status"] == "ok":
        try:
            rows = suite.rows(suite, ctx)
        except (OSError, ValueError, KeyError) as error:
            rec.update(status="failed", why="its machine-readable output is unreadable: "
                       "%s" % error)
    if suite.group == "eval":
        rec["report"] = suites.eval_rows.identity(
            os.path.join(ctx.out_dir, suite.name, "report.json"))
    for row in rows:
        row["benchmark"] = suite.name
        if not row.get("peer"):
            row["peer"] = suite.peer if row.get("peer_value") is not None else None
        v, pv = row.get("value"), row.get("peer_value")
        row["ratio"] = pv / v if v and pv is not None else None
    if suite.peer and rec["status"] == "ok":
        failed = ["%s (%s)" % (r["peer"], r["note"]) for r in rows
                  if r["case"] == "peer" and r["metric"] == "ok" and r["value"] == 0]
        if not any(r["peer_value"] is not None for r in rows):
            failed.insert(0, "no %s figures at all (see raw/%s)" % (
                suite.peer, rec["stderr"] or rec["raw"]))
        if failed:
            rec["warning"] = "; ".join(failed)
    return rec, rows


def wall_row(rec):
    note = "ok" if rec["status"] == "ok" else "FAILED: %s" % rec["why"]
    return {"benchmark": rec["name"], "case": "(run)", "metric": "wall_s",
            "value": rec["wall_s"], "unit": "s", "peer": None, "peer_value": None,
            "ratio": None, "note": note}


def main(argv):
    args = parse_args(argv)
    chosen = suites.select(args.only, args.skip)
    if args.list:
        for s in suites.SUITES:
            print("%-11s %-9s %s" % (s.name, s.group, s.about))
        return 0
    if not chosen:
        print("bench: nothing selected", file=sys.stderr)
        return 2
    start = time.monotonic()
    peer_note = None
    if not any(s.peer for s in chosen):
        args.peers, peer_note = [], "no benchmark with PyTorch peers selected"
    elif not args.peers:
        args.peers, peer_note = peers.defaults(SOURCE_DIR, args.python)
    header = machine.header(SOURCE_DIR, args.build_dir,
                            args.peers[0]["python"] if args.peers else args.python,
                            args.threads)
    header["peers"] = peers.describe(args.peers)
    header["peers_note"] = peer_note
    header["quick"] = args.quick
    header["command"] = shlex.join([os.path.relpath(sys.argv[0], SOURCE_DIR)] + argv)
    stamp = header["date_utc"][:19].replace("-", "").replace(":", "").replace(" ", "-")
    out_dir = os.path.abspath(args.out or os.path.join(
        args.build_dir, "bench", "%s-%s" % (stamp, header["git"]["commit_short"] or "nogit")))
    raw_dir = os.path.join(out_dir, "raw")
    os.makedirs(raw_dir, exist_ok=True)
    ctx = suites.Context(SOURCE_DIR, args.build_dir, out_dir, raw_dir, args.threads,
                         args.quick, [x["spec"] for x in args.peers],
                         pictures=not args.no_pictures)
    runs, rows = [], []
    document = {"format": writers.FORMAT, "header": header, "runs": runs, "rows": rows}
    say("writing %s" % out_dir)
    configure(args, raw_dir, runs)
    model_why = "not needed"
    if args.model or any(s.uses_model for s in chosen):
        ctx.model, model_why = make_model(args, ctx, runs)
        if ctx.model:
            header["model"] = checkpoint.describe(ctx.model, model_why)
    header.setdefault("model", None)
    code = 0
    try:
        for s in chosen:
            say("%s: %s ..." % (s.name, s.about))
            rec, new = run_suite(s, args, ctx, model_why)
            runs.append(rec)
            rows.extend(new)
            rows.append(wall_row(rec))
            say("%s: %s, %s s%s" % (s.name, rec["status"] if rec["status"] == "ok"
                                   else "FAILED (%s)" % rec["why"], rec["wall_s"],
                                   "; " + rec["warning"] if rec.get("warning") else ""))
            header["load_average_end"] = machine.load_average()
            header["wall_s"] = round(time.monotonic() - start, 1)
            writers.write_all(out_dir, document, suites.SUITES)
    except KeyboardInterrupt:
        say("interrupted; the report holds the benchmarks run so far")
        code = 130
    header["date_end_utc"] = machine.now_utc()
    header["load_average_end"] = machine.load_average()
    header["git"]["commit_end"] = machine.git_state(SOURCE_DIR)["commit"]
    header["wall_s"] = round(time.monotonic() - start, 1)
    paths = writers.write_all(out_dir, document, suites.SUITES)
    failed = [r["name"] for r in runs if r["status"] != "ok"]
    say("wrote %s (%s s)%s" % (", ".join(paths.values()), header["wall_s"],
                               "; FAILED: " + ", ".join(failed) if failed else ""))
    return code or (1 if failed else 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
