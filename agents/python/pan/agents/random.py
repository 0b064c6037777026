"""pan.agents.random: the random agent: each step's action is drawn from the
world's own sampler (the SAMPLE op, per-env sampler stream seeded by the
episode seed), so the same --seed gives the same episodes, byte for byte.

Usage: python3 -m pan.agents.random [--world tabletop|rooms]
       [--split train|heldout|any] [--episodes N] [--seed S] [--endpoint E]
       [--max-episode-steps T] [--task TASK] [--obs-mode full|latent] [--json]
Prints one line per episode (return, steps, success, understood actions)
and a summary.
"""

import argparse

from pan.agents.common import Report, add_common_args, check_args, run_main
from pan.env import PanEnv


def run(args, out=None):
    report = Report("random agent", args.json, **({"out": out} if out else {}))
    with PanEnv(world=args.world, endpoint=args.endpoint,
                obs_mode=args.obs_mode,
                max_episode_steps=args.max_episode_steps,
                task=args.task, timeout_ms=args.timeout_ms) as env:
        for e in range(args.episodes):
            seed = args.seed + e
            _, info = env.reset(seed=seed)
            ret, steps, understood, success = 0.0, 0, 0, False
            while True:
                action = env.sample_action(args.split)
                _, reward, terminated, truncated, info = env.step(action)
                ret += reward
                steps += 1
                understood += info["understood"]
                success = success or info["success"]
                if terminated or truncated or (
                        args.max_episode_steps == 0 and steps >= 1000):
                    break
            report.episode(seed=seed, **{"return": ret}, steps=steps,
                           success=success, understood=understood,
                           task=info["task"])
    return report.summary()


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python3 -m pan.agents.random",
        description="Random agent: actions from the world's sampler.")
    parser.add_argument("--world", default="tabletop",
                        choices=("tabletop", "rooms"))
    parser.add_argument("--split", default="train",
                        choices=("train", "heldout", "any"),
                        help="sampler split (default train)")
    add_common_args(parser, episodes=5, task=None, obs_mode="full")
    args = parser.parse_args(argv)
    check_args(parser, args)
    if args.task is None and args.world == "tabletop":
        args.task = "random"
    run(args)
    return 0


if __name__ == "__main__":
    run_main(main)
