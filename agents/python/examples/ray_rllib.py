#!/usr/bin/env python3
"""agents/python/examples/ray_rllib.py: RLlib's PPO, unchanged, with several
env runners, each stepping pan envs through gymnasium.make on one or more
pan-server processes.

Contract
- Servers: --endpoints EP[,EP...] uses running pan-servers (on this machine
  or others: give their tcp:// endpoints; pan-server --bind tcp://0.0.0.0:PORT
  on the far side); without it the example starts --servers N local ones
  (`pan-server --bind tcp://127.0.0.1:* --ready-file`, binary from
  --server, $PAN_SERVER or build/env/tools/pan-server) and stops them with
  SIGTERM at the end.
- Envs: every env runner (a Ray actor process; --env-runners of them, with
  --envs-per-runner envs each) builds its envs with
  gymnasium.make("pan/Tabletop-v0" or "pan/Rooms-v0", endpoint=E,
  obs_mode="latent", task=--task, max_episode_steps=--episode-steps),
  wrapped by pan.wrappers.CanonicalActions (Discrete over the world's
  canonical texts), GoalObservation (the goal's encoding beside the latent),
  GoalCostReward (a potential-based shaping by the goal's dense cost)
  and gymnasium's FlattenObservation (a float32 vector: RLlib's default MLP
  takes it). Env j of runner r (r = 1..R, j = 0..) talks to server
  ((r - 1) * envs_per_runner + j) mod S, so the runners spread over the
  servers. Every env opens its own session.
- Training: PPOConfig on RLlib's new API stack, --iterations train() calls
  of --train-batch env steps each, the learner on the driver. Ray runs a
  local instance (ray.init(num_cpus=--cpus)) unless --ray-address joins an
  existing cluster (then its runners may sit on other machines: each must
  reach the endpoints).
- Output: one line per iteration (env steps sampled, episode return mean,
  env steps/s), then a summary; --json PATH writes it as JSON, including
  each server's STEP count from its STATS (server-wide counts: how the
  runners' requests spread).
- Exit status 0; 1 on a failed run; 2 on a usage error.
"""

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--endpoints", help="running pan-servers, comma-separated "
                   "(default: start --servers local ones)")
    p.add_argument("--servers", type=int, default=2,
                   help="local pan-servers to start (default 2)")
    p.add_argument("--server", default=os.environ.get(
        "PAN_SERVER", os.path.join(ROOT, "build", "env", "tools", "pan-server")),
        help="pan-server binary when starting them")
    p.add_argument("--world", default="tabletop", choices=("tabletop", "rooms"))
    p.add_argument("--task", default="structured: place")
    p.add_argument("--episode-steps", type=int, default=20)
    p.add_argument("--env-runners", type=int, default=2)
    p.add_argument("--envs-per-runner", type=int, default=2)
    p.add_argument("--iterations", type=int, default=3)
    p.add_argument("--train-batch", type=int, default=800)
    p.add_argument("--cpus", type=int, default=os.cpu_count() or 2,
                   help="CPUs of the local Ray instance")
    p.add_argument("--ray-address", help="join this Ray cluster instead")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", help="write the summary here")
    args = p.parse_args(argv)
    for name in ("servers", "env_runners", "envs_per_runner", "iterations",
                 "train_batch", "episode_steps", "cpus"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1")
    return args


def start_servers(binary, count, tmp):
    if not os.access(binary, os.X_OK):
        raise SystemExit(f"ray_rllib.py: pan-server binary {binary!r} not "
                         "found (build it, or pass --server / --endpoints)")
    procs, endpoints = [], []
    for i in range(count):
        ready = os.path.join(tmp, f"ready{i}")
        log = open(os.path.join(tmp, f"server{i}.log"), "wb")
        proc = subprocess.Popen([binary, "--bind", "tcp://127.0.0.1:*",
                                 "--ready-file", ready, "--quiet"],
                                stdout=log, stderr=subprocess.STDOUT)
        procs.append(proc)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            if os.path.exists(ready):
                with open(ready) as f:
                    text = f.read()
                if text.endswith("\n"):
                    endpoints.append(text.strip())
                    break
            time.sleep(0.01)
        else:
            stop_servers(procs)
            raise SystemExit(f"ray_rllib.py: pan-server {i} did not start "
                             f"(log {log.name})")
    return procs, endpoints


def stop_servers(procs):
    status = []
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            status.append(p.wait(timeout=30))
        except subprocess.TimeoutExpired:
            p.kill()
            status.append(p.wait())
    return status


def env_creator(config):
    """RLlib's env creator: runs inside each env runner process."""
    import gymnasium
    from gymnasium.wrappers import FlattenObservation

    import pan.registration  # noqa: F401  (the ids)
    from pan.wrappers import (CanonicalActions, GoalCostReward,
                              GoalObservation)

    endpoints = config["endpoints"]
    runner = max(int(getattr(config, "worker_index", 1)), 1)
    # RLlib's new stack builds a runner's envs with gymnasium.make_vec from
    # one EnvContext (vector_index 0 for all): count them in this process
    made = getattr(env_creator, "made", 0)
    env_creator.made = made + 1
    slot = (runner - 1) * config["envs_per_runner"] + made
    env_id = {"tabletop": "pan/Tabletop-v0", "rooms": "pan/Rooms-v0"}[
        config["world"]]
    env = gymnasium.make(env_id, endpoint=endpoints[slot % len(endpoints)],
                         obs_mode="latent", task=config["task"],
                         max_episode_steps=config["episode_steps"])
    env = GoalCostReward(CanonicalActions(env))
    return FlattenObservation(GoalObservation(env))


def step_counts(endpoints):
    from pan.client import Client
    counts = []
    for e in endpoints:
        with Client(e, 5000) as c:
            counts.append(int(c.call("STATS")[0]["ops"].get("STEP", 0)))
    return counts


def commit():
    try:
        return subprocess.run(["git", "-C", ROOT, "rev-parse", "--short=12",
                               "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def run(args, endpoints):
    import ray
    from ray.rllib.algorithms.ppo import PPOConfig
    from ray.tune.registry import register_env

    if args.ray_address:
        ray.init(address=args.ray_address, log_to_driver=False)
    else:
        ray.init(num_cpus=args.cpus, include_dashboard=False,
                 log_to_driver=False)
    try:
        register_env("pan", env_creator)
        cpus = 0 if args.ray_address else \
            min(1.0, args.cpus / (args.env_runners + 1))
        config = (PPOConfig()
                  .environment("pan", env_config={
                      "endpoints": endpoints, "world": args.world,
                      "task": args.task, "episode_steps": args.episode_steps,
                      "envs_per_runner": args.envs_per_runner})
                  .env_runners(num_env_runners=args.env_runners,
                               num_envs_per_env_runner=args.envs_per_runner,
                               num_cpus_per_env_runner=cpus)
                  .learners(num_learners=0)
                  .training(train_batch_size_per_learner=args.train_batch,
                            minibatch_size=min(256, args.train_batch),
                            num_epochs=4, lr=3e-4)
                  .debugging(seed=args.seed))
        algo = config.build_algo()
        iterations = []
        start = time.monotonic()
        try:
            for i in range(args.iterations):
                t = time.monotonic()
                result = algo.train()
                runners = result.get("env_runners", {})
                row = {
                    "iteration": i + 1,
                    "env_steps_lifetime": int(runners.get(
                        "num_env_steps_sampled_lifetime", 0)),
                    "episode_return_mean": runners.get("episode_return_mean"),
                    "episodes_lifetime": int(runners.get(
                        "num_episodes_lifetime", 0)),
                    "seconds": time.monotonic() - t,
                }
                iterations.append(row)
                ret = row["episode_return_mean"]
                print(f"iteration {row['iteration']}: "
                      f"{row['env_steps_lifetime']} env steps, "
                      f"{row['episodes_lifetime']} episodes, return mean "
                      f"{'-' if ret is None else f'{ret:.3f}'}, "
                      f"{row['seconds']:.1f} s", flush=True)
            healthy = algo.env_runner_group.num_healthy_remote_workers()
        finally:
            algo.stop()
        wall = time.monotonic() - start
    finally:
        ray.shutdown()
    return iterations, wall, healthy


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    tmp = tempfile.mkdtemp(prefix="pan-ray-")
    procs = []
    if args.endpoints:
        endpoints = [e for e in args.endpoints.split(",") if e]
    else:
        procs, endpoints = start_servers(args.server, args.servers, tmp)
    status = 1
    try:
        before = step_counts(endpoints)
        iterations, wall, healthy = run(args, endpoints)
        after = step_counts(endpoints)
        steps = iterations[-1]["env_steps_lifetime"] if iterations else 0
        summary = {
            "world": args.world, "task": args.task,
            "endpoints": endpoints, "env_runners": args.env_runners,
            "healthy_env_runners": healthy,
            "envs_per_runner": args.envs_per_runner,
            "iterations": iterations, "env_steps": steps,
            "wall_s": wall, "env_steps_per_s": steps / wall if wall else 0.0,
            "server_steps": [a - b for a, b in zip(after, before)],
            "commit": commit(), "machine": platform.node(),
            "cpus": os.cpu_count(),
        }
        print(f"summary: {steps} env steps by {healthy} env runners x "
              f"{args.envs_per_runner} envs over {len(endpoints)} servers in "
              f"{wall:.1f} s ({summary['env_steps_per_s']:.0f} env steps/s); "
              f"STEP requests per server {summary['server_steps']}")
        if args.json:
            with open(args.json, "w") as f:
                json.dump(summary, f, indent=1)
        status = 0
    finally:
        if procs:
            codes = stop_servers(procs)
            if any(codes):
                print(f"ray_rllib.py: pan-server exit statuses {codes}",
                      file=sys.stderr)
                status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
