"""pan.agents.scripted: the scripted tabletop agent. Each episode has a goal
task ("random" by default: a random "put the <colour> <shape> in the
<place>" per episode, read from info["task"]); every step it reads the true
state from the latent (docs/worlds.md "State vector") and asks the planner
(pan.agents.tabletop) for a directional move such as "move the red circle
left by 3", going round or clearing blockers.

Usage: python3 -m pan.agents.scripted [--episodes N] [--seed S]
       [--endpoint E] [--max-episode-steps T] [--task TASK]
       [--require RATE] [--json]
Prints one line per episode and a summary; with --require RATE the exit
status is 1 when the success rate is below RATE.
"""

import argparse
import sys

from pan.agents.common import Report, add_common_args, check_args, run_main
from pan.agents.tabletop import Planner, parse_goal, read_state
from pan.env import PanEnv

MAX_STEPS_UNLIMITED = 500  # a cap when --max-episode-steps is 0


def play_episode(env, planner, seed):
    """One episode; returns its result dict (no timings)."""
    obs, info = env.reset(seed=seed)
    goal = parse_goal(info["task"])
    ret, steps, understood, success = 0.0, 0, 0, False
    while True:
        table = read_state(obs["latent"], planner.width, planner.height)
        action = planner.next_action(table, goal)
        obs, reward, terminated, truncated, info = env.step(action or "wait")
        ret += reward
        steps += 1
        understood += info["understood"]
        success = success or info["success"]
        if terminated or truncated or steps >= MAX_STEPS_UNLIMITED:
            break
    return {"seed": seed, "return": ret, "steps": steps, "success": success,
            "understood": understood, "task": info["task"]}


def run(args, out=None):
    report = Report("scripted agent", args.json,
                    **({"out": out} if out else {}))
    with PanEnv(world="tabletop", endpoint=args.endpoint,
                obs_mode=args.obs_mode,
                max_episode_steps=args.max_episode_steps, task=args.task,
                timeout_ms=args.timeout_ms) as env:
        planner = Planner(env.metadata["width"], env.metadata["height"])
        for e in range(args.episodes):
            report.episode(**play_episode(env, planner, args.seed + e))
    return report.summary()


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python3 -m pan.agents.scripted",
        description="Scripted tabletop agent for goal tasks.")
    add_common_args(parser, episodes=20, task="random", obs_mode="latent")
    parser.add_argument("--require", type=float, default=None,
                        help="exit 1 when the success rate is below this")
    args = parser.parse_args(argv)
    check_args(parser, args)
    if args.task in (None, "", "none"):
        parser.error("the scripted agent needs a goal task (--task random "
                     "or a goal in words)")
    summary = run(args)
    if args.require is not None and summary["success_rate"] < args.require:
        print(f"success rate {summary['success_rate']:.3f} is below "
              f"--require {args.require}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    run_main(main)
