#!/usr/bin/env python3
"""benchmarks/multi_server.py: throughput of one vector env spread over 1, 2
and 4 local pan-server processes (pan.multi.PanMultiVectorEnv; one server is
also timed as a plain PanVectorEnv, the baseline).

For each server count S and obs mode (latent, full), N envs in all (default
64) are split over S servers (each its own process, --workers 1); after a
warm-up, `--steps` batched steps with fixed action texts are timed. Prints
a table: servers, obs, env-steps/s (N x steps / time), ms per batched step
(median and p90 over the steps), and the speed-up over one server; with
--json FILE the rows also go to FILE with the machine, commit and load.

It reports; it never fails on a slow figure. Run it on a quiet machine:
the servers, the client and the ZeroMQ I/O threads share the cores, so
beyond the core count more servers cannot add throughput.

Usage: multi_server.py [--server build/env/tools/pan-server] [--envs 64]
       [--steps 300] [--servers 1,2,4] [--world tabletop] [--obs latent,full]
       [--model FILE [--model-threads 1]] [--json FILE]
(PYTHONPATH=agents/python, or the project's venv where pan is installed)
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "agents", "python"))

from pan.multi import PanMultiVectorEnv  # noqa: E402
from pan.vector import PanVectorEnv  # noqa: E402

ACTIONS = ["move the red circle left", "move the blue square up",
           "push the green triangle right", "wait"]


def start_server(binary, tmp, index, extra):
    ready = os.path.join(tmp, f"ready{index}")
    proc = subprocess.Popen([binary, "--bind", "tcp://127.0.0.1:*",
                             "--ready-file", ready, "--quiet",
                             "--workers", "1", *extra])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if os.path.exists(ready):
            with open(ready) as f:
                text = f.read()
            if text.endswith("\n"):
                return proc, text.strip()
        if proc.poll() is not None:
            break
        time.sleep(0.01)
    proc.kill()
    raise SystemExit(f"multi_server.py: {binary} did not start")


def time_env(env, n, steps, warmup):
    env.reset(seed=1)
    actions = [ACTIONS[i % len(ACTIONS)] for i in range(n)]
    for _ in range(warmup):
        env.step(actions)
    times = []
    start = time.perf_counter()
    for _ in range(steps):
        t = time.perf_counter()
        env.step(actions)
        times.append(time.perf_counter() - t)
    total = time.perf_counter() - start
    return n * steps / total, np.median(times) * 1e3, \
        np.percentile(times, 90) * 1e3


def machine():
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f
                       if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short=12",
                                 "HEAD"], capture_output=True, text=True,
                                check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return {"cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(),
            "commit": commit, "date": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                    time.gmtime())}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--server", default=os.path.join(
        ROOT, "build", "env", "tools", "pan-server"))
    ap.add_argument("--envs", type=int, default=64)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--warmup", type=int, default=30)
    ap.add_argument("--servers", default="1,2,4")
    ap.add_argument("--world", default="tabletop")
    ap.add_argument("--obs", default="latent,full")
    ap.add_argument("--model", help="a checkpoint: time the world-model env "
                    "(pan-server --model m=FILE) instead of the world")
    ap.add_argument("--model-threads", type=int, default=1,
                    help="threads per model env in each server (default 1)")
    ap.add_argument("--json")
    args = ap.parse_args()
    counts = [int(c) for c in args.servers.split(",")]
    if not os.access(args.server, os.X_OK):
        ap.error(f"--server {args.server} is not an executable pan-server")
    if min(counts) < 1 or args.envs < max(counts):
        ap.error("--servers must be >= 1 each and <= --envs")
    info = machine()
    info["load_before"] = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory(prefix="pan-multi-bench-") as tmp:
        extra = [] if args.model is None else [
            "--model", f"m={args.model}", "--model-threads",
            str(args.model_threads)]
        procs = [start_server(args.server, tmp, i, extra)
                 for i in range(max(counts))]
        endpoints = [e for _, e in procs]
        try:
            what = args.world if args.model is None else \
                f"world-model ({os.path.basename(args.model)}, " \
                f"{args.model_threads} thread(s) per env)"
            print(f"# {args.envs} {what} envs, {args.steps} timed steps;"
                  f" commit {info['commit']}; {info['cpu']}, "
                  f"{info['cores']} cores; load {info['load_before'][0]:.2f}")
            print(f"{'servers':>7} {'obs':>6} {'class':>18} {'env-steps/s':>12}"
                  f" {'p50_ms':>8} {'p90_ms':>8} {'speed-up':>8}")
            for obs in args.obs.split(","):
                base = None
                configs = [(1, "PanVectorEnv")] + \
                    [(c, "PanMultiVectorEnv") for c in counts]
                for c, cls in configs:
                    kw = dict(world=args.world, obs_mode=obs,
                              max_episode_steps=0, timeout_ms=600000)
                    if args.model is not None:
                        kw = dict(model="m", obs_mode=obs, max_episode_steps=0,
                                  timeout_ms=600000)
                    if cls == "PanVectorEnv":
                        env = PanVectorEnv(args.envs, endpoint=endpoints[0],
                                           **kw)
                    else:
                        env = PanMultiVectorEnv(args.envs, endpoints[:c], **kw)
                    try:
                        rate, p50, p90 = time_env(env, args.envs, args.steps,
                                                  args.warmup)
                    finally:
                        env.close()
                    if base is None:
                        base = rate
                    row = {"servers": c, "obs": obs, "class": cls,
                           "env_steps_per_s": rate, "p50_ms": p50,
                           "p90_ms": p90, "speedup": rate / base}
                    rows.append(row)
                    print(f"{c:>7} {obs:>6} {cls:>18} {rate:>12,.0f} "
                          f"{p50:>8.2f} {p90:>8.2f} {rate / base:>7.2f}x")
        finally:
            for p, _ in procs:
                p.terminate()
            for p, _ in procs:
                p.wait(timeout=30)
    info["load_after"] = os.getloadavg()
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": info, "envs": args.envs,
                       "steps": args.steps, "world": args.world,
                       "model": args.model,
                       "model_threads": args.model_threads,
                       "rows": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
