"""pan.agents.planner: planners over imagined rollouts, over the Python
client (the C core is agents/c/planner.h; docs/agents.md "Planners").

Usage: python3 -m pan.agents.planner [--endpoint E] [--world tabletop|rooms]
       [--model NAME] [--planner random|nomodel|pick|cem]
       [--cost detector|latent] [--tasks N] [--family F] [--seed S]
       [--samples N] [--topk N] [--iters N] [--horizon N] [--smoothing F]
       [--k N] [--budget N] [--timeout-ms MS] [--quiet]

Contract
- The same planners and grammar as the C core: RANDOM (uniform over the
  templated grammar), NOMODEL (one draw of the goal-relevant proposal: the
  object slot on the goal's objects), PICK (k proposals, each simulated
  one step, the cheapest executed), CEM (per-slot categorical
  distributions per step, `samples` sequences of `horizon` steps, `topk`
  elites refit with `smoothing`, `iters` iterations; the first action of
  the best sequence is executed; score min_t (cost_t + 0.01 t)).
- Acting: tasks "structured: <family>" in the TRUE world session (seeds
  S..S+N-1); imagining in that session itself (the oracle, FORK/ROLLOUT
  of the live session) or, with --model, in a model session reset from
  the true world's current frame before every decision (RESET
  initial_frames, the episode's seed, task "latent: structured: <family>").
- Cost: Python has no detector. For a world session the state is read
  from the true-state latent of each imagined step (exact; both --cost
  values mean this); for a model session --cost latent uses the goal-
  latent distance d = -reward of each step, and --cost detector is
  refused. Costs are pan.agents.goals (the rooms cost there ignores walls).
- Budget: Python has not the reference search that sets each goal's
  budget (pan_task_budget); --budget (default 10, the largest budget) is
  the number of actions per task.
- Output: one line per task (no timings: the same seed prints the same
  lines) and a summary (success rate with a 95% Wilson interval, mean
  actions, decisions/s, imagined env steps/s). Exit 0; 1 on a server error;
  2 on a usage error.
"""

import argparse
import math
import sys
import time

import numpy as np

from pan.agents import goals as G
from pan.agents.common import run_main
from pan.client import DEFAULT_ENDPOINT, Client, Session

TT_DIRS = ("left", "right", "up", "down")
TT_PLACES = ("top left corner", "top right corner", "bottom left corner",
             "bottom right corner", "centre", "top edge", "bottom edge",
             "left edge", "right edge")
TT_RELATIONS = ("next to", "left of", "right of", "above", "below")
COMPASS = ("north", "east", "south", "west")
TURNS = ("left", "right", "around")
STEP_PENALTY = 0.01
KINDS = ("random", "nomodel", "pick", "cem")


class Grammar:
    """Slots per template (tabletop: move / place / relation; rooms: go /
    turn); values are indices. Objects: the visible objects in (colour,
    shape) order."""

    def __init__(self, world, width, height, objects=()):
        self.rooms = world == "rooms"
        if self.rooms:
            self.sizes = {"template": 2, "dir": 4, "dist": 10, "turn": 3}
            self.uses = (("dir", "dist"), ("turn",))
            self.objects = []
            return
        order = {(c, s): i for i, (c, s) in enumerate(
            (c, s) for c in G.COLOURS for s in G.SHAPES)}
        self.objects = sorted(objects, key=order.get)
        cell = min(width, height) / 8.0
        n = len(self.objects)
        self.sizes = {"template": 3, "object": n, "dir": 4,
                      "dist": min(20, math.ceil(max(width, height) / cell)),
                      "place": 9, "rel": 5, "other": n}
        self.uses = (("object", "dir", "dist"), ("object", "place"),
                     ("object", "rel", "other"))

    def uniform(self):
        d = {s: np.full(n, 1.0 / n) if n else np.zeros(0)
             for s, n in self.sizes.items()}
        if not self.rooms and len(self.objects) < 2:
            d["template"] = np.array([0.5, 0.5, 0.0])
        return d

    def goal_proposal(self, goal):
        d = self.uniform()
        if self.rooms:
            d["template"] = np.array([1.0, 0.0])
            return d
        named = [self._named(goal, o) for o in self.objects]
        if any(named):
            w = np.array(named, dtype=float)
            d["object"] = w / w.sum()
        return d

    @staticmethod
    def _named(goal, obj):
        if goal.kind == "group":
            return obj[0] == goal.colour
        return obj in goal.objects

    def sample(self, dist, rng):
        if not self.rooms and not self.objects:
            return None
        a = {"template": _draw(dist["template"], rng)}
        for slot in self.uses[a["template"]]:
            p = dist[slot]
            if slot == "other":
                p = p.copy()
                p[a["object"]] = 0.0
            a[slot] = _draw(p, rng)
        return a

    def text(self, a):
        if a is None:
            return "wait"
        t = a["template"]
        if self.rooms:
            return (f"go {COMPASS[a['dir']]} {a['dist'] + 1}" if t == 0
                    else f"turn {TURNS[a['turn']]}")
        c, s = self.objects[a["object"]]
        if t == 0:
            return f"move {c} {s} {TT_DIRS[a['dir']]} {a['dist'] + 1}"
        if t == 1:
            return f"move {c} {s} to {TT_PLACES[a['place']]}"
        c2, s2 = self.objects[a["other"]]
        return f"move {c} {s} {TT_RELATIONS[a['rel']]} {c2} {s2}"


def _draw(p, rng):
    total = float(p.sum())
    if not total > 0.0:
        candidates = np.flatnonzero(np.ones(len(p)))
        return int(rng.choice(candidates))
    u = rng.random() * total
    acc = 0.0
    last = 0
    for i, w in enumerate(p):
        if w <= 0.0:
            continue
        last = i
        acc += w
        if u < acc:
            return i
    return last


def refit(dist, elites, smoothing):
    for slot in dist:
        values = [a[slot] for a in elites if a is not None and slot in a]
        if not values:
            continue
        freq = np.bincount(values, minlength=len(dist[slot])).astype(float)
        dist[slot] = (1.0 - smoothing) * freq / len(values) + \
            smoothing * dist[slot]


class SessionSim:
    """FORK / ROLLOUT / RELEASE of env 0 of a session; never steps it."""

    def __init__(self, session, latent_is_state, goal_latent):
        self.session = session
        self.latent_is_state = latent_is_state
        self.goal_latent = goal_latent

    def fork(self):
        return self.session.fork([0])[0]

    def rollout(self, state_id, rows):
        return self.session.rollout([state_id] * len(rows), rows)

    def release(self, state_id):
        self.session.release([state_id])


class Planner:
    def __init__(self, kind, world, width=64, height=64, samples=100, topk=10,
                 iters=3, horizon=2, smoothing=0.15, k=8, seed=0,
                 cost="detector"):
        if kind not in KINDS:
            raise ValueError(f"planner {kind!r}: expected one of {KINDS}")
        if not (1 <= topk <= samples and iters >= 1 and horizon >= 1 and
                0.0 <= smoothing < 1.0 and k >= 1):
            raise ValueError("planner: expected 1 <= topk <= samples, iters "
                             ">= 1, horizon >= 1, 0 <= smoothing < 1, k >= 1")
        self.kind, self.world, self.cost_kind = kind, world, cost
        self.width, self.height = width, height
        self.samples, self.topk, self.iters = samples, topk, iters
        self.horizon, self.smoothing, self.k, self.seed = (horizon, smoothing,
                                                           k, seed)
        self.decisions = self.imagined = 0
        self.seconds = 0.0
        self.goal = None
        self.rng = None

    def begin(self, goal, episode_seed):
        self.goal = goal
        self.rng = np.random.default_rng([self.seed, episode_seed])

    def _costs(self, sim, out):
        """(B, T) costs of a rollout."""
        if sim.latent_is_state:
            lat = out["latent"]
            B, T = lat.shape[:2]
            c = np.zeros((B, T))
            for b in range(B):
                for t in range(T):
                    s = G.decode_state(self.world, lat[b, t], self.width,
                                       self.height)
                    c[b, t] = G.cost(self.goal, s, self.width, self.height)
            return c
        d = np.maximum(-np.asarray(out["reward"], dtype=float), 0.0)
        term = np.asarray(out["terminated"])
        for t in range(1, d.shape[1]):  # a row that ended keeps its d
            d[:, t] = np.where(term[:, t - 1], d[:, t - 1], d[:, t])
        return d

    def _imagine(self, sim, state_id, rows):
        out = sim.rollout(state_id, rows)
        self.imagined += len(rows) * len(rows[0])
        return self._costs(sim, out)

    def decide(self, sim, objects):
        if self.goal is None:
            raise ValueError("planner: begin() first")
        g = Grammar(self.world, self.width, self.height, objects)
        t0 = time.perf_counter()
        try:
            if self.kind in ("random", "nomodel"):
                d = g.uniform() if self.kind == "random" else \
                    g.goal_proposal(self.goal)
                return g.text(g.sample(d, self.rng))
            if not sim.latent_is_state and not sim.goal_latent:
                raise ValueError("planner: a model simulator needs its "
                                 "session to run the goal-latent task")
            state_id = sim.fork()
            try:
                return (self._pick(g, sim, state_id) if self.kind == "pick"
                        else self._cem(g, sim, state_id))
            finally:
                sim.release(state_id)
        finally:
            self.decisions += 1
            self.seconds += time.perf_counter() - t0

    def _pick(self, g, sim, state_id):
        d = g.goal_proposal(self.goal)
        texts = [g.text(g.sample(d, self.rng)) for _ in range(self.k)]
        costs = self._imagine(sim, state_id, [[a] for a in texts])[:, 0]
        return texts[int(np.argmin(costs))]

    def _cem(self, g, sim, state_id):
        H = self.horizon
        dists = [g.uniform() for _ in range(H)]
        best_text, best_score = "wait", None
        for it in range(self.iters):
            seqs = [[g.sample(dists[h], self.rng) for h in range(H)]
                    for _ in range(self.samples)]
            texts = [[g.text(a) for a in seq] for seq in seqs]
            costs = self._imagine(sim, state_id, texts)
            scores = (costs + STEP_PENALTY * np.arange(H)).min(axis=1)
            order = np.argsort(scores, kind="stable")
            if best_score is None or scores[order[0]] < best_score:
                best_score = float(scores[order[0]])
                best_text = texts[order[0]][0]
            if best_score == 0.0 or it == self.iters - 1:
                break
            for h in range(H):
                refit(dists[h], [seqs[i][h] for i in order[:self.topk]],
                      self.smoothing)
        return best_text


def wilson(k, n, z=1.96):
    if n == 0:
        return 0.0, 1.0
    p = k / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return max(0.0, centre - half), min(1.0, centre + half)


def run(args, out=sys.stdout):
    client = Client(args.endpoint, args.timeout_ms)
    world = Session(client)
    model = Session(client) if args.model else None
    try:
        world.make(world=args.world, obs_mode="full" if args.model else
                   "latent", autoreset_mode="disabled", max_episode_steps=0)
        meta = world.metadata
        width, height = meta["width"], meta["height"]
        if model is not None:
            if args.cost != "latent":
                raise ValueError("--model needs --cost latent in Python (no "
                                 "detector here)")
            model.make(model=args.model, obs_mode="latent",
                       autoreset_mode="disabled", max_episode_steps=0)
        sim = SessionSim(model or world, latent_is_state=model is None,
                         goal_latent=model is not None)
        planner = Planner(args.planner, args.world, width, height,
                          args.samples, args.topk, args.iters, args.horizon,
                          args.smoothing, args.k, args.seed, args.cost)
        spec = f"structured: {args.family}"
        wins = used_total = 0
        for i in range(args.tasks):
            seed = args.seed + i
            obs, infos = world.reset(seed=seed, task=spec)
            goal = G.parse_goal(infos[0]["task"])
            planner.begin(goal, seed)
            actions, success = [], False
            while len(actions) < args.budget and not success:
                state = G.decode_state(args.world, obs["latent"][0], width,
                                       height)
                if model is not None:
                    frame = np.ascontiguousarray(obs["frames"][0, -1][None])
                    _, minfo = model.reset(seed=seed, task="latent: " + spec,
                                           initial_frames=frame)
                    if minfo[0]["task"] != "latent: " + goal.text:
                        raise ValueError(f"the model's goal "
                                         f"{minfo[0]['task']!r} is not the "
                                         f"world's {goal.text!r}")
                action = planner.decide(sim, list(state.objects))
                obs, _, term, _, _, _ = world.step([action])
                actions.append(action)
                success = term[0]
            wins += success
            used_total += len(actions)
            if not args.quiet:
                print(f"task {i:3d} seed {seed} {goal.kind:<8} budget "
                      f"{args.budget:2d} used {len(actions):2d} success "
                      f"{'yes' if success else 'no '} goal \"{goal.text}\" "
                      f"actions: {'; '.join(actions)}", file=out)
        lo, hi = wilson(wins, args.tasks)
        secs = max(planner.seconds, 1e-9)
        summary = {"tasks": args.tasks, "successes": wins,
                   "mean_actions": used_total / args.tasks,
                   "decisions_per_s": planner.decisions / secs,
                   "imagined_steps_per_s": planner.imagined / secs}
        print(f"summary: {args.planner} planner (Python), {args.cost} cost, "
              f"imagining in {'the model ' + args.model if args.model else 'the true world (oracle)'}, "
              f"{args.world} structured: {args.family}: success "
              f"{wins}/{args.tasks} = {100.0 * wins / args.tasks:.1f}% (95% "
              f"CI {100 * lo:.1f}-{100 * hi:.1f}%), mean actions "
              f"{summary['mean_actions']:.2f}, {planner.decisions} decisions, "
              f"{summary['decisions_per_s']:.1f} decisions/s, "
              f"{summary['imagined_steps_per_s']:.0f} imagined env steps/s",
              file=out)
        out.flush()
        return summary
    finally:
        if model is not None:
            model.close()
        world.close()
        client.close()


def main(argv=None):
    p = argparse.ArgumentParser(prog="python3 -m pan.agents.planner",
                                description="Planners over imagined rollouts")
    p.add_argument("--endpoint", default=DEFAULT_ENDPOINT)
    p.add_argument("--world", default="tabletop", choices=("tabletop", "rooms"))
    p.add_argument("--model", default=None,
                   help="imagine in this served model (default: the true "
                        "world, the oracle)")
    p.add_argument("--planner", default="cem", choices=KINDS)
    p.add_argument("--cost", default="latent", choices=("detector", "latent"))
    p.add_argument("--tasks", type=int, default=20)
    p.add_argument("--family", default="random",
                   choices=("random", "place", "relation", "group", "line",
                            "landmark"))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--samples", type=int, default=100)
    p.add_argument("--topk", type=int, default=10)
    p.add_argument("--iters", type=int, default=3)
    p.add_argument("--horizon", type=int, default=2)
    p.add_argument("--smoothing", type=float, default=0.15)
    p.add_argument("--k", type=int, default=8)
    p.add_argument("--budget", type=int, default=10)
    p.add_argument("--timeout-ms", type=int, default=60000)
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)
    if args.tasks < 1 or args.budget < 1 or args.seed < 0:
        p.error("--tasks and --budget must be >= 1, --seed >= 0")
    if not 1 <= args.topk <= args.samples:
        p.error("--topk must be in 1..--samples")
    if args.model and args.world != "tabletop":
        p.error("--model imagines tabletop only")
    try:
        run(args)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    run_main(main)
