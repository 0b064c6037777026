#!/usr/bin/env python3
"""agents/python/examples/ppo_tabletop.py: stable-baselines3's PPO, unchanged,
trained on pan's tabletop over a real pan-server, then measured against the
uniformly random policy on held-out seeds.

Contract
- The env is gymnasium.make("pan/Tabletop-v0", endpoint=E, task=TASK,
  max_episode_steps=T) (or "pan/WorldModel-v0" with model=NAME for
  --model / --model-file), wrapped by pan.wrappers: CanonicalActions
  (Discrete(426) over the canonical tabletop texts) and LastFrame (the last
  frame, Box (64, 64, 3) uint8), for PPO("CnnPolicy") (SB3's NatureCNN).
  --goal adds GoalObservation (Dict "image" + "goal", the 49-float
  encoding of info["task"]) for PPO("MultiInputPolicy"), for tasks whose
  goal changes between episodes. Defaults are the measured configuration
  of docs/agents.md "Standard RL libraries": TASK "put the red circle in
  the top left corner" (one place goal over random tables: the object
  starts where the table has it, or in the opposite corner when it is
  missing; blockers are common), T = 10, 60,000 steps.
- Training: --timesteps env steps over --n-envs envs (DummyVecEnv; env i's
  first episode has seed --seed + i, later ones the server's seed stream,
  64-bit values that do not meet the held-out range) on the task's own
  reward (1 on success), plus GoalCostReward(--shaping) when > 0 (the true
  state's goal cost; world envs only, ignored for a model, whose latent
  is no state). Evaluation: episode j of both policies has seed
  --eval-seed + j (default 1,000,000 on); PPO deterministic (argmax; also
  reported with sampled actions), the random policy uniform over the same
  Discrete actions from numpy's Generator(--seed). Success =
  info["success"] when the episode ends (the task terminates on success;
  TimeLimit truncates at T).
- Output: a summary on stdout (success rates with Wilson 95% intervals,
  the difference with a normal-approximation 95% interval, episodes,
  budget, wall times, commit, machine); --json PATH writes the same as
  JSON. Progress on stderr. --require-margin M exits 1 unless the PPO
  success minus the random one is >= M.
- Server: --endpoint E uses a running pan-server; without it the example
  starts its own (`pan-server --bind tcp://127.0.0.1:* --ready-file`,
  binary from --server, $PAN_SERVER or build/env/tools/pan-server;
  --model-file FILE adds `--model pan=FILE`) and stops it with SIGTERM.
- Exit status 0; 1 on a failed run or a missed --require-margin; 2 on a
  usage error.
"""

import argparse
import json
import math
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--endpoint", help="a running pan-server (default: start one)")
    p.add_argument("--server", default=os.environ.get(
        "PAN_SERVER", os.path.join(ROOT, "build", "env", "tools", "pan-server")),
        help="pan-server binary when starting one")
    p.add_argument("--model", help="a world model the server serves "
                   "(pan/WorldModel-v0 with model=NAME)")
    p.add_argument("--model-file", help="a checkpoint (e.g. from pan-init): "
                   "the started server serves it as model 'pan'")
    p.add_argument("--task", default="put the red circle in the top left corner",
                   help="the episodes' task spec (default %(default)r)")
    p.add_argument("--timesteps", type=int, default=60000)
    p.add_argument("--n-envs", type=int, default=8)
    p.add_argument("--max-episode-steps", type=int, default=10)
    p.add_argument("--stack", type=int, default=1, help="LastFrame stack")
    p.add_argument("--frames-per-step", type=int, default=None,
                   help="K frames per step from the server (default: the "
                   "server's, 4; a model takes only its own)")
    p.add_argument("--shaping", type=float, default=0.0,
                   help="GoalCostReward scale during training (0: the task's "
                   "sparse reward only; world envs only, 0 for a model)")
    p.add_argument("--goal", action="store_true",
                   help="add the goal to the observation (GoalObservation, "
                   "MultiInputPolicy); default: the image only (CnnPolicy)")
    p.add_argument("--n-steps", type=int, default=128, help="PPO rollout length per env")
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--n-epochs", type=int, default=4)
    p.add_argument("--learning-rate", type=float, default=1e-3)
    p.add_argument("--gamma", type=float, default=0.9)
    p.add_argument("--ent-coef", type=float, default=0.01)
    p.add_argument("--eval-episodes", type=int, default=200)
    p.add_argument("--eval-seed", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1, help="torch threads")
    p.add_argument("--verbose", type=int, default=0, help="SB3's verbosity")
    p.add_argument("--timeout-ms", type=int, default=60000)
    p.add_argument("--json", help="write the summary as JSON to this path")
    p.add_argument("--save", help="save the trained PPO model (zip) here")
    p.add_argument("--require-margin", type=float,
                   help="exit 1 unless PPO success - random success >= this")
    args = p.parse_args(argv)
    if args.model and args.model_file:
        p.error("--model and --model-file are exclusive")
    if args.model_file and args.endpoint:
        p.error("--model-file starts a server: it takes no --endpoint")
    if args.frames_per_step is not None and args.frames_per_step < 1:
        p.error("--frames-per-step must be >= 1")
    for name in ("timesteps", "n_envs", "max_episode_steps", "stack",
                 "n_steps", "batch_size", "n_epochs",
                 "eval_episodes", "threads"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1")
    return args


class Server:
    """A pan-server of our own: bound to a free loopback port."""

    def __init__(self, binary, model_file=None, start_timeout=60.0):
        if not os.access(binary, os.X_OK):
            raise SystemExit(f"ppo_tabletop: pan-server not found at "
                             f"{binary!r} (build it, pass --server or set "
                             f"PAN_SERVER, or give --endpoint)")
        self.dir = tempfile.mkdtemp(prefix="pan-ppo-")
        ready = os.path.join(self.dir, "ready")
        cmd = [binary, "--bind", "tcp://127.0.0.1:*", "--ready-file", ready,
               "--quiet"]
        if model_file:
            cmd += ["--model", f"pan={model_file}", "--model-threads", "1"]
        self.log = open(os.path.join(self.dir, "server.log"), "wb")
        self.proc = subprocess.Popen(cmd, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + start_timeout
        self.endpoint = None
        while time.monotonic() < deadline and self.proc.poll() is None:
            if os.path.exists(ready):
                with open(ready) as f:
                    text = f.read()
                if text.endswith("\n"):
                    self.endpoint = text.strip()
                    break
            time.sleep(0.02)
        if self.endpoint is None:
            self.stop()
            raise RuntimeError(f"pan-server did not start; log in {self.dir}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        if self.proc.returncode == 0:
            shutil.rmtree(self.dir, ignore_errors=True)
        return self.proc.returncode


def make_env(args, endpoint, model, shaping=0.0):
    """The wrapped env (module contract); shaping > 0 adds GoalCostReward
    (training only: evaluation counts successes)."""
    import gymnasium
    import pan  # noqa: F401  (registers pan/...)
    from pan.wrappers import (CanonicalActions, GoalCostReward,
                              GoalObservation, LastFrame)
    kwargs = dict(endpoint=endpoint, task=args.task,
                  max_episode_steps=args.max_episode_steps,
                  frames_per_step=args.frames_per_step,
                  timeout_ms=args.timeout_ms)
    if model:
        env = gymnasium.make("pan/WorldModel-v0", model=model, **kwargs)
    else:
        env = gymnasium.make("pan/Tabletop-v0", **kwargs)
    env = CanonicalActions(env)
    if shaping:
        env = GoalCostReward(env, scale=shaping)
    env = LastFrame(env, stack=args.stack)
    if args.goal:
        env = GoalObservation(env)
    return env


def wilson(k, n, z=1.96):
    """Wilson score interval of k successes in n."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (max(0.0, c - h), min(1.0, c + h))


def rate(successes):
    k, n = int(sum(successes)), len(successes)
    lo, hi = wilson(k, n)
    return {"successes": k, "episodes": n, "rate": k / n if n else 0.0,
            "ci95": [lo, hi]}


def evaluate(env, act, seeds):
    """Runs one episode per seed with act(obs) -> int; per-episode records."""
    out = []
    for seed in seeds:
        obs, info = env.reset(seed=int(seed))
        ret, steps, done = 0.0, 0, False
        while not done:
            obs, r, terminated, truncated, info = env.step(act(obs))
            ret += r
            steps += 1
            done = terminated or truncated
        out.append({"seed": int(seed), "success": bool(info["success"]),
                    "steps": steps, "return": ret, "task": info["task"]})
    return out


def machine():
    name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    name = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": name, "cores": os.cpu_count(),
            "load_avg": list(os.getloadavg()), "python": platform.python_version()}


def commit():
    try:
        rev = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short=12", "HEAD"],
                             capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain",
                                "--untracked-files=no"], capture_output=True,
                               text=True, check=True).stdout.strip() != ""
        return rev + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def train_and_measure(args, endpoint, model):
    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.vec_env import DummyVecEnv

    torch.set_num_threads(args.threads)

    class Progress(BaseCallback):
        def __init__(self):
            super().__init__()
            self.wins, self.returns, self.t0 = [], [], time.monotonic()
            self.ret = np.zeros(args.n_envs)
            self.next_print = 0

        def _on_step(self):
            self.ret += self.locals["rewards"]
            for i, (d, info) in enumerate(zip(self.locals["dones"],
                                              self.locals["infos"])):
                if d:
                    self.wins.append(bool(info.get("success", False)))
                    self.returns.append(float(self.ret[i]))
                    self.ret[i] = 0.0
            if self.num_timesteps >= self.next_print:
                self.next_print += max(args.n_envs * args.n_steps, 2048)
                recent = self.wins[-200:]
                dt = time.monotonic() - self.t0
                sys.stderr.write(
                    f"step {self.num_timesteps}/{args.timesteps} | episodes "
                    f"{len(self.wins)} | success (last {len(recent)}) "
                    f"{(sum(recent) / len(recent) if recent else 0):.3f} | "
                    f"return {np.mean(self.returns[-200:] or [0]):.3f} | "
                    f"{self.num_timesteps / max(dt, 1e-9):.0f} steps/s\n")
                sys.stderr.flush()
            return True

    t0 = time.monotonic()
    shaping = 0.0 if model else args.shaping
    venv = DummyVecEnv([lambda: make_env(args, endpoint, model, shaping)
                        for _ in range(args.n_envs)])
    venv.seed(args.seed)
    policy = "MultiInputPolicy" if args.goal else "CnnPolicy"
    ppo = PPO(policy, venv, n_steps=args.n_steps, batch_size=args.batch_size,
              n_epochs=args.n_epochs, learning_rate=args.learning_rate,
              gamma=args.gamma, ent_coef=args.ent_coef, seed=args.seed,
              device="cpu", verbose=args.verbose)
    progress = Progress()
    ppo.learn(total_timesteps=args.timesteps, callback=progress)
    train_s = time.monotonic() - t0
    venv.close()
    if args.save:
        ppo.save(args.save)

    env = make_env(args, endpoint, model)
    seeds = [args.eval_seed + j for j in range(args.eval_episodes)]
    t1 = time.monotonic()
    ppo_eps = evaluate(env, lambda o: int(ppo.predict(o, deterministic=True)[0]),
                       seeds)
    ppo_sampled = evaluate(env, lambda o: int(ppo.predict(o, deterministic=False)[0]),
                           seeds)
    rng = np.random.default_rng(args.seed)
    n = int(env.action_space.n)
    rnd_eps = evaluate(env, lambda o: int(rng.integers(n)), seeds)
    eval_s = time.monotonic() - t1
    env.close()

    a, b = rate([e["success"] for e in ppo_eps]), rate([e["success"] for e in rnd_eps])
    diff = a["rate"] - b["rate"]
    se = math.sqrt(a["rate"] * (1 - a["rate"]) / a["episodes"] +
                   b["rate"] * (1 - b["rate"]) / b["episodes"])
    return {
        "env": "pan/WorldModel-v0" if model else "pan/Tabletop-v0",
        "model": model, "task": args.task,
        "observation": "image (64x64x3)" + (" + goal (49)" if args.goal else ""),
        "actions": n, "policy": policy, "shaping": shaping,
        "timesteps": progress.num_timesteps, "n_envs": args.n_envs,
        "max_episode_steps": args.max_episode_steps,
        "ppo_hparams": {k: getattr(args, k) for k in (
            "n_steps", "batch_size", "n_epochs", "learning_rate", "gamma",
            "ent_coef", "seed", "stack", "frames_per_step")},
        "train_episodes": len(progress.wins),
        "train_success_last_200": (sum(progress.wins[-200:]) /
                                   max(1, len(progress.wins[-200:]))),
        "eval_seeds": [seeds[0], seeds[-1]],
        "ppo": a, "random": b,
        "ppo_sampled": rate([e["success"] for e in ppo_sampled]),
        "difference": {"value": diff, "ci95": [diff - 1.96 * se, diff + 1.96 * se]},
        "ppo_mean_steps": float(np.mean([e["steps"] for e in ppo_eps])),
        "random_mean_steps": float(np.mean([e["steps"] for e in rnd_eps])),
        "train_wall_s": train_s, "eval_wall_s": eval_s,
        "train_steps_per_s": progress.num_timesteps / max(train_s, 1e-9),
        "torch_threads": args.threads, "commit": commit(), "machine": machine(),
    }


def print_summary(r):
    def line(name, x):
        return (f"{name:>11}: success {x['successes']}/{x['episodes']} = "
                f"{100 * x['rate']:.1f}% (95% CI {100 * x['ci95'][0]:.1f}-"
                f"{100 * x['ci95'][1]:.1f}%)")
    d = r["difference"]
    print(f"{r['env']}{' model ' + r['model'] if r['model'] else ''}, task "
          f"{r['task']!r}, {r['observation']}, Discrete({r['actions']}), "
          f"{r['policy']}, {r['max_episode_steps']} steps per episode, "
          f"training shaping {r['shaping']:g}")
    print(f"trained {r['timesteps']} steps ({r['train_episodes']} episodes, "
          f"{r['n_envs']} envs) in {r['train_wall_s']:.0f} s "
          f"({r['train_steps_per_s']:.0f} steps/s); evaluation "
          f"{r['eval_wall_s']:.0f} s on held-out seeds {r['eval_seeds'][0]}-"
          f"{r['eval_seeds'][1]}")
    print(line("ppo", r["ppo"]))
    print(line("random", r["random"]))
    print(line("ppo sampled", r["ppo_sampled"]) + " (actions sampled from "
          "the policy instead of its argmax)")
    print(f"difference {100 * d['value']:+.1f} points (95% CI "
          f"{100 * d['ci95'][0]:+.1f} to {100 * d['ci95'][1]:+.1f}); commit "
          f"{r['commit']}, {r['machine']['cpu']}, {r['machine']['cores']} cores, "
          f"load {r['machine']['load_avg'][0]:.1f}")


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    server = None
    model = args.model
    try:
        endpoint = args.endpoint
        if endpoint is None:
            server = Server(args.server, args.model_file)
            endpoint = server.endpoint
            if args.model_file:
                model = "pan"
        result = train_and_measure(args, endpoint, model)
    finally:
        if server is not None:
            rc = server.stop()
            if rc != 0:
                sys.stderr.write(f"ppo_tabletop: pan-server exited {rc}\n")
    print_summary(result)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
            f.write("\n")
    if args.require_margin is not None and \
            result["difference"]["value"] < args.require_margin:
        print(f"FAILED: PPO beats random by {result['difference']['value']:.3f}, "
              f"required >= {args.require_margin}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
