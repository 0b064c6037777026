"""pan.agents.common: the command line and the report shared by the agents.

Contract
- add_common_args(parser) adds --endpoint, --episodes, --seed,
  --max-episode-steps, --task, --obs-mode, --timeout-ms, --json.
- Report collects episode results and prints one line per episode and a
  summary; with json=True each is one JSON object per line (keys: episode,
  seed, return, steps, success, understood, task; then {"summary": ...}).
  Output depends only on the episodes (no timings), so a run is
  reproducible byte for byte.
- run_main(main) runs an agent's main: PanError or OSError -> message on
  stderr and exit status 1.
"""

import json
import sys

from pan.client import DEFAULT_ENDPOINT, PanError


def add_common_args(parser, episodes, task, obs_mode):
    parser.add_argument("--endpoint", default=DEFAULT_ENDPOINT,
                        help=f"pan-server endpoint (default {DEFAULT_ENDPOINT})")
    parser.add_argument("--episodes", type=int, default=episodes,
                        help=f"episodes to play (default {episodes})")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the first episode; episode e uses "
                             "seed + e (default 0)")
    parser.add_argument("--max-episode-steps", type=int, default=50,
                        help="truncation (default 50)")
    parser.add_argument("--task", default=task,
                        help=f"task: none, random or a goal in words "
                             f"(default {task})")
    parser.add_argument("--obs-mode", choices=("full", "latent"),
                        default=obs_mode,
                        help=f"observations (default {obs_mode})")
    parser.add_argument("--timeout-ms", type=int, default=30000,
                        help="reply timeout per request (default 30000)")
    parser.add_argument("--json", action="store_true",
                        help="JSON lines instead of text")


def check_args(parser, args):
    if args.episodes < 1:
        parser.error("--episodes must be >= 1")
    if args.seed < 0:
        parser.error("--seed must be >= 0")
    if args.max_episode_steps < 0:
        parser.error("--max-episode-steps must be >= 0")
    if args.timeout_ms < 1:
        parser.error("--timeout-ms must be >= 1")


class Report:
    def __init__(self, name, json_lines=False, out=sys.stdout):
        self.name, self.json, self.out = name, json_lines, out
        self.episodes = []

    def episode(self, **result):
        result = {"episode": len(self.episodes), **result}
        self.episodes.append(result)
        if self.json:
            print(json.dumps(result, sort_keys=True), file=self.out)
        else:
            print(f"episode {result['episode']:3d} seed {result['seed']}: "
                  f"return {result['return']:.3f}  steps {result['steps']:3d}"
                  f"  success {'yes' if result['success'] else 'no '}  "
                  f"understood {result['understood']}/{result['steps']}"
                  + (f"  task \"{result['task']}\"" if result["task"] else ""),
                  file=self.out)
        self.out.flush()

    def summary(self):
        n = len(self.episodes)
        wins = sum(1 for e in self.episodes if e["success"])
        s = {"agent": self.name, "episodes": n,
             "mean_return": sum(e["return"] for e in self.episodes) / n,
             "mean_steps": sum(e["steps"] for e in self.episodes) / n,
             "successes": wins, "success_rate": wins / n}
        if self.json:
            print(json.dumps({"summary": s}, sort_keys=True), file=self.out)
        else:
            print(f"{self.name}: {n} episodes, mean return "
                  f"{s['mean_return']:.3f}, success {wins}/{n} "
                  f"({100.0 * s['success_rate']:.1f}%), mean steps "
                  f"{s['mean_steps']:.1f}", file=self.out)
        self.out.flush()
        return s


def run_main(main):
    try:
        sys.exit(main())
    except PanError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
    except OSError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
