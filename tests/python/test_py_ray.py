#!/usr/bin/env python3
"""tests/python/test_py_ray.py (slow): agents/python/examples/ray_rllib.py,
RLlib's PPO with 3 env runners x 2 envs on a local Ray instance, stepping
pan envs through gymnasium.make on 2 local pan-servers it starts.

Checks: exit status 0 (the servers stop with status 0); 3 healthy env
runners; 2 training iterations of 300 env steps each, sampled (>= 600);
every server got STEP requests (the runners spread over the servers) and
the servers' STEP count equals the env steps RLlib sampled (one request
per env step, none lost or repeated).
Usage: test_py_ray.py PATH_TO_PAN_SERVER (the project's venv: ray[rllib])
"""

import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.join(HERE, "..", "..", "agents", "python", "examples",
                       "ray_rllib.py")


def main():
    if len(sys.argv) != 2 or not os.access(sys.argv[1], os.X_OK):
        raise SystemExit("usage: test_py_ray.py PATH_TO_PAN_SERVER")
    with tempfile.TemporaryDirectory(prefix="pan-ray-test-") as tmp:
        out = os.path.join(tmp, "summary.json")
        proc = subprocess.run(
            [sys.executable, EXAMPLE, "--server", sys.argv[1], "--servers",
             "2", "--env-runners", "3", "--envs-per-runner", "2",
             "--iterations", "2", "--train-batch", "300", "--json", out],
            capture_output=True, text=True, timeout=600)
        sys.stdout.write(proc.stdout)
        if proc.returncode != 0:
            sys.stdout.write(proc.stderr[-4000:])
            raise SystemExit(f"FAILED: ray_rllib.py exit {proc.returncode}")
        with open(out) as f:
            s = json.load(f)
    failures = []
    if s["healthy_env_runners"] != 3:
        failures.append(f"healthy env runners {s['healthy_env_runners']}, expected 3")
    if len(s["iterations"]) != 2:
        failures.append(f"{len(s['iterations'])} iterations, expected 2")
    if s["env_steps"] < 600:
        failures.append(f"{s['env_steps']} env steps sampled, expected >= 600")
    if len(s["server_steps"]) != 2 or min(s["server_steps"]) <= 0:
        failures.append(f"STEP requests per server {s['server_steps']}: "
                        "every server must get some")
    if sum(s["server_steps"]) != s["env_steps"]:
        failures.append(f"servers counted {sum(s['server_steps'])} STEPs, "
                        f"RLlib sampled {s['env_steps']} env steps")
    if failures:
        raise SystemExit("FAILED: " + "; ".join(failures))
    print(f"OK: {s['env_steps']} env steps by 3 runners over 2 servers "
          f"{s['server_steps']} in {s['wall_s']:.1f} s")


if __name__ == "__main__":
    main()
