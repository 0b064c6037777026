"""pan.wrappers: gymnasium wrappers that give pan's envs the spaces standard
RL libraries expect (Discrete actions, image boxes, a goal vector).

Contract
- canonical_actions(world) -> tuple of str: the FIXED, documented list of
  canonical action texts of a world (docs/agents.md "Standard RL
  libraries"). Stable: the order and the texts change only with a new
  list version (ACTIONS_VERSION). Every text is the world's own canonical
  form (info["canonical"] repeats it when understood) and none is held out
  (info["heldout"] is false), so a world model sees only train-split
  actions. tabletop (426): for each object in state-vector order (colour
  red green blue yellow purple orange, then shape square circle triangle):
  "move <c> <s> <left|right|up|down> <1|2|4>", "move <c> <s> all the way
  <dir>" (the six held-out (colour, shape, direction) combinations left
  out: 4 texts each), then "move <c> <s> to <place>" for the 9 places in
  the world's order. rooms (19): "go <north|east|south|west> <1|3|6|10>",
  then "turn left", "turn right", "turn around". A text naming an object
  that is not on the table is understood as nothing (info["understood"]
  false; the world does not change, the step counts).
- world_of(env) -> "tabletop" | "rooms": env.unwrapped.metadata["world"]
  (a world-model env reports the world behind it).
- CanonicalActions(env, actions=None): action_space Discrete(n) over
  `actions` (default canonical_actions(world_of(env))); step(i) sends
  actions[i]; info gains "action_index" (int) and "action_text" (the text
  sent). .actions is the tuple. ValueError for an index outside [0, n).
- LastFrame(env, stack=1): observation = the last `stack` frames of the
  env's frame stream, oldest first, concatenated along channels: Box(0,
  255, (H, W, 3 * stack), uint8) (channels last: what stable-baselines3's
  CnnPolicy takes; it transposes to channels first itself). Each step adds
  its K frames to the stream (K = frames_per_step; stack <= K shows only
  the last step's motion); a reset fills the stream with the reset frame.
  The env's observation must hold "frames" (obs_mode "full"), else
  ValueError. Arrays are fresh copies (writable).
- GoalObservation(env, key="image"): observation = Dict(<key>: the inner
  observation (or, if the inner space is a Dict, its entries), "goal":
  Box(0, 1, (GOAL_SIZE,), float32)) with "goal" = encode_goal(info["task"])
  read at reset (a goal is fixed for its episode). The server gives the
  goal only as text (info["task"]); goal images and goal latents stay
  inside the server (a world-model env's "latent: ..." reward is -d
  against its goal latent), so the goal here is the text's encoding.
- GoalCostReward(env, scale=1.0): reward + scale * (c_before - c_after) /
  norm, c = the goal's dense cost (pan.agents.goals.cost: env/task.h's
  pan_task_cost, 0 exactly when the goal holds) of the true state decoded
  from the latent, norm = min(W, H) pixels (tabletop) or 16 cells (rooms,
  one room); info gains "goal_cost" (c_after) and "shaping" (the added
  term). Shaping by a potential, so the best policies are unchanged up to
  discounting; success, termination and the env's own reward stay the
  task's. Ground-truth world envs only, below LastFrame (it reads
  obs["latent"]): ValueError for a world-model env (its latent is not a
  state; its "latent: ..." tasks give the dense reward -d themselves) and
  for an observation without "latent".
- encode_goal(text) -> float32 (GOAL_SIZE,): "" (no task) is all zeros;
  otherwise pan.agents.goals.parse_goal(text) laid out as GOAL_LAYOUT
  (family one-hot; three object slots of colour and shape one-hots, a
  group goal's colour in slot 0; place; relation; axis; the "latent: "
  flag). ValueError for text that is not a goal.
- Every wrapper records its constructor arguments
  (gymnasium.utils.RecordConstructorArgs), so env.spec describes the
  stack and gymnasium.make(env.spec) rebuilds it.
- Errors: ImportError naming the install command when gymnasium is
  missing; ValueError / TypeError for bad arguments, before any request.
- Thread safety: none (one thread per env), as the env itself.
"""

import collections

import numpy as np

try:
    import gymnasium
    from gymnasium import spaces
except ImportError as e:  # pragma: no cover - depends on the interpreter
    raise ImportError("pan.wrappers needs gymnasium: pip install -e "
                      "'agents/python[gym]' (or scripts/venv.sh gym)") from e

from pan.agents.goals import cost as goal_cost
from pan.agents.goals import decode_state, parse_goal
from pan.agents.tabletop import COLOURS, SHAPES

ACTIONS_VERSION = 1

TABLETOP_DIRECTIONS = ("left", "right", "up", "down")
TABLETOP_CELLS = (1, 2, 4)
# The world's place order (env/tabletop/tabletop_templates.c tt_place_names).
TABLETOP_PLACES = ("top left corner", "top right corner",
                   "bottom left corner", "bottom right corner", "centre",
                   "top edge", "bottom edge", "left edge", "right edge")
# Held-out (colour, shape, direction) of directional moves (docs/worlds.md
# "Held-out split"; tt_heldout_combos): left out of the list.
TABLETOP_HELDOUT = {("purple", "triangle", "left"), ("orange", "circle", "up"),
                    ("green", "square", "down"), ("yellow", "triangle", "right"),
                    ("blue", "circle", "left"), ("red", "square", "up")}
ROOMS_DIRECTIONS = ("north", "east", "south", "west")
# 1, 3, 6, 10 combine to every distance and avoid the held-out (direction,
# distance) pairs (north 7, east 5, south 2, west 4).
ROOMS_CELLS = (1, 3, 6, 10)
ROOMS_TURNS = ("left", "right", "around")

FAMILIES = ("place", "relation", "group", "line", "landmark")
RELATIONS = ("next to", "to the left of", "to the right of", "above", "below")
AXES = ("row", "column")
_SLOT = len(COLOURS) + len(SHAPES)
# name -> (offset, size) inside the goal vector.
GOAL_LAYOUT = {}
_offset = 0
for _name, _size in (("family", len(FAMILIES)), ("object0", _SLOT),
                     ("object1", _SLOT), ("object2", _SLOT),
                     ("place", len(TABLETOP_PLACES)),
                     ("relation", len(RELATIONS)), ("axis", len(AXES)),
                     ("latent", 1)):
    GOAL_LAYOUT[_name] = (_offset, _size)
    _offset += _size
GOAL_SIZE = _offset
del _offset, _name, _size


def _tabletop_actions():
    out = []
    for c in COLOURS:
        for s in SHAPES:
            for d in TABLETOP_DIRECTIONS:
                if (c, s, d) in TABLETOP_HELDOUT:
                    continue
                out += [f"move {c} {s} {d} {n}" for n in TABLETOP_CELLS]
            out += [f"move {c} {s} all the way {d}" for d in TABLETOP_DIRECTIONS
                    if (c, s, d) not in TABLETOP_HELDOUT]
            out += [f"move {c} {s} to {p}" for p in TABLETOP_PLACES]
    return tuple(out)


def _rooms_actions():
    out = [f"go {d} {n}" for d in ROOMS_DIRECTIONS for n in ROOMS_CELLS]
    out += [f"turn {t}" for t in ROOMS_TURNS]
    return tuple(out)


_ACTIONS = {"tabletop": _tabletop_actions(), "rooms": _rooms_actions()}


def canonical_actions(world):
    """The fixed canonical action list of `world` (see the contract)."""
    if world not in _ACTIONS:
        raise ValueError(f"canonical_actions: world must be one of "
                         f"{sorted(_ACTIONS)}, found {world!r}")
    return _ACTIONS[world]


def world_of(env):
    """The world an env runs (a world-model env: the world behind it)."""
    meta = getattr(env.unwrapped, "metadata", None) or {}
    world = meta.get("world")
    if world not in _ACTIONS:
        raise ValueError(f"world_of: the env's metadata['world'] is "
                         f"{world!r}, expected one of {sorted(_ACTIONS)}")
    return world


def encode_goal(text):
    """info["task"] as a float32 (GOAL_SIZE,) vector (GOAL_LAYOUT)."""
    if not isinstance(text, str):
        raise TypeError(f"encode_goal: a goal is a str, found "
                        f"{type(text).__name__}")
    v = np.zeros(GOAL_SIZE, dtype=np.float32)
    if text.strip() == "":
        return v
    goal = parse_goal(text)

    def put(name, index):
        offset, size = GOAL_LAYOUT[name]
        assert 0 <= index < size
        v[offset + index] = 1.0

    put("family", FAMILIES.index(goal.kind))
    for i, (colour, shape) in enumerate(goal.objects):
        offset = GOAL_LAYOUT[f"object{i}"][0]
        v[offset + COLOURS.index(colour)] = 1.0
        v[offset + len(COLOURS) + SHAPES.index(shape)] = 1.0
    if goal.kind == "group":
        v[GOAL_LAYOUT["object0"][0] + COLOURS.index(goal.colour)] = 1.0
    if goal.place is not None:
        put("place", TABLETOP_PLACES.index(goal.place))
    if goal.relation is not None:
        put("relation", RELATIONS.index(goal.relation))
    if goal.axis is not None:
        put("axis", AXES.index(goal.axis))
    if goal.latent:
        put("latent", 0)
    return v


class CanonicalActions(gymnasium.ActionWrapper, gymnasium.utils.RecordConstructorArgs):
    """Discrete(n) over a fixed list of action texts (module contract)."""

    def __init__(self, env, actions=None):
        gymnasium.utils.RecordConstructorArgs.__init__(self, actions=actions)
        gymnasium.ActionWrapper.__init__(self, env)
        if actions is None:
            actions = canonical_actions(world_of(env))
        actions = tuple(actions)
        if not actions:
            raise ValueError("CanonicalActions: the action list is empty")
        for a in actions:
            if not isinstance(a, str) or not a.strip():
                raise ValueError(f"CanonicalActions: every action must be a "
                                 f"non-empty str, found {a!r}")
        if len(set(actions)) != len(actions):
            raise ValueError("CanonicalActions: the action list has "
                             "duplicates")
        self.actions = actions
        self.action_space = spaces.Discrete(len(actions))

    def index(self, action):
        """The action as an int in [0, n) (an int, numpy integer or a
        one-element integer array, as RL libraries pass it)."""
        if isinstance(action, np.ndarray) and action.size == 1 and \
                np.issubdtype(action.dtype, np.integer):
            action = action.reshape(()).item()
        if not isinstance(action, (int, np.integer)) or \
                isinstance(action, bool) or \
                not 0 <= int(action) < len(self.actions):
            raise ValueError(f"CanonicalActions: an action is an int in "
                             f"[0, {len(self.actions)}), found {action!r}")
        return int(action)

    def action(self, action):
        return self.actions[self.index(action)]

    def step(self, action):
        index = self.index(action)
        text = self.actions[index]
        obs, reward, terminated, truncated, info = self.env.step(text)
        info = dict(info)
        info["action_index"] = index
        info["action_text"] = text
        return obs, reward, terminated, truncated, info


def _frames_space(env, where):
    space = env.observation_space
    frames = space.spaces.get("frames") if isinstance(space, spaces.Dict) \
        else None
    if frames is None or len(frames.shape) != 4 or frames.shape[-1] != 3:
        raise ValueError(f"{where}: the env's observation needs 'frames' "
                         f"(K, H, W, 3) (obs_mode 'full'), found {space}")
    return frames.shape


class LastFrame(gymnasium.Wrapper, gymnasium.utils.RecordConstructorArgs):
    """The last `stack` frames as one (H, W, 3 * stack) uint8 image."""

    def __init__(self, env, stack=1):
        gymnasium.utils.RecordConstructorArgs.__init__(self, stack=stack)
        gymnasium.Wrapper.__init__(self, env)
        if not isinstance(stack, (int, np.integer)) or isinstance(stack, bool) \
                or stack < 1:
            raise ValueError(f"LastFrame: stack must be an int >= 1, found "
                             f"{stack!r}")
        _, h, w, _ = _frames_space(env, "LastFrame")
        self.stack = int(stack)
        self.observation_space = spaces.Box(0, 255, (h, w, 3 * self.stack),
                                            np.uint8)
        self._frames = collections.deque(maxlen=self.stack)

    def _image(self):
        if self.stack == 1:
            return np.array(self._frames[0], dtype=np.uint8)
        return np.concatenate(list(self._frames), axis=-1)

    def reset(self, *, seed=None, options=None):
        obs, info = self.env.reset(seed=seed, options=options)
        self._frames.clear()
        for _ in range(self.stack):
            self._frames.append(obs["frames"][-1])
        return self._image(), info

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        for frame in obs["frames"][-self.stack:]:
            self._frames.append(frame)
        return self._image(), reward, terminated, truncated, info


class GoalObservation(gymnasium.Wrapper, gymnasium.utils.RecordConstructorArgs):
    """Dict(<key>: the observation, "goal": encode_goal(info["task"]))."""

    def __init__(self, env, key="image"):
        gymnasium.utils.RecordConstructorArgs.__init__(self, key=key)
        gymnasium.Wrapper.__init__(self, env)
        if not isinstance(key, str) or not key or key == "goal":
            raise ValueError(f"GoalObservation: key must be a non-empty str "
                             f"other than 'goal', found {key!r}")
        inner = env.observation_space
        entries = dict(inner.spaces) if isinstance(inner, spaces.Dict) \
            else {key: inner}
        if "goal" in entries:
            raise ValueError("GoalObservation: the observation already has "
                             "a 'goal' entry")
        entries["goal"] = spaces.Box(0.0, 1.0, (GOAL_SIZE,), np.float32)
        self.key = key
        self.observation_space = spaces.Dict(entries)
        self._goal = np.zeros(GOAL_SIZE, dtype=np.float32)

    def _observe(self, obs):
        out = dict(obs) if isinstance(obs, dict) else {self.key: obs}
        out["goal"] = self._goal.copy()
        return out

    def reset(self, *, seed=None, options=None):
        obs, info = self.env.reset(seed=seed, options=options)
        self._goal = encode_goal(info.get("task", ""))
        return self._observe(obs), info

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        return self._observe(obs), reward, terminated, truncated, info


class GoalCostReward(gymnasium.Wrapper, gymnasium.utils.RecordConstructorArgs):
    """Dense shaping from the goal's cost on the true state (contract)."""

    def __init__(self, env, scale=1.0):
        gymnasium.utils.RecordConstructorArgs.__init__(self, scale=scale)
        gymnasium.Wrapper.__init__(self, env)
        meta = getattr(env.unwrapped, "metadata", None) or {}
        if meta.get("model") is not None:
            raise ValueError(f"GoalCostReward: the env is the world model "
                             f"{meta['model']!r}, whose latent is not a true "
                             "state; use a 'latent: ...' task (reward -d)")
        self.world = world_of(env)
        space = env.observation_space
        if not isinstance(space, spaces.Dict) or "latent" not in space.spaces:
            raise ValueError(f"GoalCostReward: the observation needs "
                             f"'latent' (wrap below LastFrame), found {space}")
        if not isinstance(scale, (int, float)) or isinstance(scale, bool) \
                or not np.isfinite(scale):
            raise ValueError(f"GoalCostReward: scale must be a finite number, "
                             f"found {scale!r}")
        self.scale = float(scale)
        self.width, self.height = int(meta["width"]), int(meta["height"])
        self.norm = float(min(self.width, self.height)) \
            if self.world == "tabletop" else 16.0
        self._goal, self._cost = None, 0.0

    def _cost_of(self, obs):
        if self._goal is None:
            return 0.0
        state = decode_state(self.world, np.asarray(obs["latent"]),
                             self.width, self.height)
        return goal_cost(self._goal, state, self.width, self.height)

    def reset(self, *, seed=None, options=None):
        obs, info = self.env.reset(seed=seed, options=options)
        task = info.get("task", "")
        self._goal = parse_goal(task) if task.strip() else None
        self._cost = self._cost_of(obs)
        return obs, info

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        now = self._cost_of(obs)
        shaping = self.scale * (self._cost - now) / self.norm
        self._cost = now
        info = dict(info)
        info["goal_cost"] = now
        info["shaping"] = shaping
        return obs, float(reward) + shaping, terminated, truncated, info
