"""pan.env: PanEnv, one environment served by pan-server, with the
gymnasium.Env API.

Contract
- PanEnv(world, endpoint, ..., model=None) opens a session of ONE env on
  the server: the ground-truth `world`, or with model="NAME" a world model
  the server serves (HELLO 'models'; pan-server --model)
  (MAKE with num_envs 1 and autoreset disabled: a single env never resets
  by itself; stepping after the episode ended raises FailedPreconditionError
  until reset). close() ends the session and, unless a Client was passed
  in, closes the socket. Also a context manager.
- When gymnasium imports, PanEnv subclasses gymnasium.Env: action_space is
  gymnasium.spaces.Text(max_length, min_length, charset) and
  observation_space a gymnasium.spaces.Dict of Box(uint8, (K, H, W, 3))
  "frames" (absent in obs_mode "latent") and Box(float32, (Q, D))
  "latent"; reset() calls super().reset(seed=seed) (np_random). When it
  does not import, the same API with pan.spaces' stand-ins.
- reset(seed=None, options=None) -> (obs, info); options: {"task": str}
  ("none", "random" or a goal in words; kept for later episodes; the
  constructor's task= is the default), "initial_frame": uint8 (H, W, 3)
  (world-model envs: the episode starts from this frame). step(action: str) -> (obs, reward:
  float, terminated: bool, truncated: bool, info: dict). Observations are
  numpy arrays of exactly the declared dtypes and shapes, read straight
  from the reply's frames without copying (read-only; they stay valid
  after later steps). info holds the protocol's keys (docs/protocol.md),
  plain Python values except "seed", a numpy.uint64 (episode seeds use
  all 64 bits: as a Python int, gymnasium's vector info batching makes an
  int64 array and overflows), deterministic (no timings).
- render() -> (H, W, 3) uint8 (render_mode "rgb_array") or None.
  metadata: the server's (MAKE) plus "render_fps": RENDER_FPS (one
  render per step; what RecordVideo uses).
- fork() -> state id (int); restore(state_id) -> (obs, info);
  rollout(state_ids, actions, frames=False) -> {"reward": f4 (B, T),
  "terminated"/"truncated": bool (B, T), "latent": f4 (B, T, Q, D)[,
  "frames": u1 (B, T, K, H, W, 3)]} without touching the live env;
  release(state_ids) -> count; sample_action(split="train") -> str from
  the world's own sampler (reproducible per episode seed).
- Errors: arguments are checked before anything is sent (ValueError,
  TypeError); server errors raise pan.client.PanError subclasses and
  change nothing on the server.
- Thread safety: none (one thread per env).
"""

import numpy as np

from pan.client import (DEFAULT_ENDPOINT, DEFAULT_TIMEOUT_MS, Client,
                        Session)
from pan.spaces import GYMNASIUM, from_description

UINT64_MAX = (1 << 64) - 1
# Frames per second of a video of render() calls (one per step): four
# actions a second reads well.
RENDER_FPS = 4


class _EnvStandin:
    """gymnasium.Env, duck-typed (used only when gymnasium does not
    import)."""

    metadata = {"render_modes": []}
    render_mode = None
    spec = None
    _np_random = None
    _np_random_seed = None

    def reset(self, *, seed=None, options=None):
        if seed is not None:
            self._np_random = np.random.Generator(np.random.PCG64(
                np.random.SeedSequence(seed)))
            self._np_random_seed = seed

    @property
    def np_random(self):
        if self._np_random is None:
            seed = int(np.random.SeedSequence().entropy % (1 << 63))
            self.reset(seed=seed)
        return self._np_random

    @property
    def np_random_seed(self):
        if self._np_random_seed is None:
            self.np_random  # noqa: B018  (seeds it)
        return self._np_random_seed

    @property
    def unwrapped(self):
        return self

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


_EnvBase = GYMNASIUM.Env if GYMNASIUM is not None else _EnvStandin


def check_seed(seed, where):
    if seed is None:
        return
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) \
            or not 0 <= int(seed) <= UINT64_MAX:
        raise ValueError(f"{where}: seed must be None or an int in "
                         f"[0, 2^64), found {seed!r}")


def gym_info(info):
    """A protocol info as the envs return it: "seed" as numpy.uint64."""
    out = dict(info)
    out["seed"] = np.uint64(info["seed"])
    return out


def check_action(action, where):
    if not isinstance(action, str):
        raise TypeError(f"{where}: an action is a str, found "
                        f"{type(action).__name__}")


class _SessionOps:
    """What PanEnv and PanVectorEnv share: one server session (self._session,
    self.client, self._own_client) and the planning calls on it."""

    def _close_session(self):
        session = getattr(self, "_session", None)
        if session is not None:
            session.close()
        client = getattr(self, "client", None)
        if client is not None and getattr(self, "_own_client", False):
            client.close()

    def rollout(self, state_ids, actions, frames=False):
        """B snapshots x T actions on scratch copies (never the live envs);
        a dict of numpy arrays, see docs/protocol.md ROLLOUT."""
        state_ids, actions = _rollout_args(state_ids, actions,
                                           type(self).__name__)
        return self._session.rollout(state_ids, actions, frames=frames)

    def release(self, state_ids):
        if isinstance(state_ids, (int, np.integer)):
            state_ids = [state_ids]
        return self._session.release([int(s) for s in state_ids])

    def ping(self):
        self._session.ping()

    def stats(self):
        return self._session.stats()


class PanEnv(_SessionOps, _EnvBase):
    """One pan environment over ZeroMQ (see the module contract)."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": RENDER_FPS}

    def __init__(self, world="tabletop", endpoint=DEFAULT_ENDPOINT,
                 obs_mode="full", max_episode_steps=50, width=None,
                 height=None, frames_per_step=None, render_mode=None,
                 task=None, timeout_ms=DEFAULT_TIMEOUT_MS, client=None,
                 model=None):
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"PanEnv: render_mode must be None or "
                             f"'rgb_array', found {render_mode!r}")
        if task is not None and not isinstance(task, str):
            raise TypeError(f"PanEnv: task must be a str, found {task!r}")
        self.render_mode = render_mode
        self.task = task
        self._own_client = client is None
        self.client = Client(endpoint, timeout_ms) if client is None else client
        self._session = Session(self.client)
        try:
            self._session.make(world=world, num_envs=1, obs_mode=obs_mode,
                               autoreset_mode="disabled",
                               max_episode_steps=max_episode_steps,
                               width=width, height=height,
                               frames_per_step=frames_per_step, model=model)
            self.action_space, self.observation_space = \
                from_description(self._session.spaces)
        except BaseException:
            self.close()
            raise
        self.metadata = dict(self._session.metadata)
        self.metadata.setdefault("render_modes", ["rgb_array"])
        self.metadata["render_fps"] = RENDER_FPS

    # -- helpers
    @property
    def session_id(self):
        return self._session.session

    @property
    def session(self):
        """The pan.client.Session under this env (raw ops)."""
        return self._session

    @staticmethod
    def _one(obs):
        return {key: value[0] for key, value in obs.items()}

    # -- gymnasium.Env
    def reset(self, *, seed=None, options=None):
        check_seed(seed, "PanEnv.reset")
        options = dict(options or {})
        task = options.pop("task", None)
        initial = options.pop("initial_frame", None)
        if options:
            raise ValueError(f"PanEnv.reset: unknown options "
                             f"{sorted(options)} (accepted: 'task', "
                             f"'initial_frame')")
        if task is not None and not isinstance(task, str):
            raise TypeError(f"PanEnv.reset: options['task'] must be a str, "
                            f"found {task!r}")
        if task is None:
            task = self.task
        super().reset(seed=None if seed is None else int(seed))
        obs, infos = self._session.reset(
            seed=None if seed is None else int(seed), task=task,
            initial_frames=None if initial is None
            else np.asarray(initial)[None])
        self.task = task
        return self._one(obs), gym_info(infos[0])

    def step(self, action):
        check_action(action, "PanEnv.step")
        obs, reward, terminated, truncated, infos, _ = \
            self._session.step([action])
        return (self._one(obs), float(reward[0]), bool(terminated[0]),
                bool(truncated[0]), gym_info(infos[0]))

    def render(self):
        if self.render_mode is None:
            return None
        return self._session.render(env=0)

    def close(self):
        self._close_session()

    # -- planning helpers
    def fork(self):
        """Snapshot of the env's whole state; returns its id."""
        return self._session.fork([0])[0]

    def restore(self, state_id):
        """Sets the env to a snapshot (which stays); returns (obs, info)."""
        obs, infos = self._session.restore([0], [int(state_id)])
        return self._one(obs), gym_info(infos[0])

    def sample_action(self, split="train"):
        """A random action from the world's sampler (SAMPLE op)."""
        return self._session.sample(split)[0]


def _rollout_args(state_ids, actions, where):
    """Normalises rollout arguments: state_ids (B,), actions (B, T) strs;
    one int id with a flat list of strs is B = 1."""
    if isinstance(state_ids, (int, np.integer)):
        state_ids = [state_ids]
        if actions and all(isinstance(a, str) for a in actions):
            actions = [actions]
    state_ids = list(state_ids)
    for s in state_ids:
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool) \
                or not 0 <= int(s) <= UINT64_MAX:
            raise ValueError(f"{where}.rollout: a state id is a uint64, "
                             f"found {s!r}")
    state_ids = [int(s) for s in state_ids]
    actions = [list(row) for row in actions]
    if len(actions) != len(state_ids) or not state_ids:
        raise ValueError(f"{where}.rollout: need one action row per state id "
                         f"(B >= 1), found {len(state_ids)} ids and "
                         f"{len(actions)} rows")
    T = len(actions[0])
    for b, row in enumerate(actions):
        if len(row) != T or T < 1:
            raise ValueError(f"{where}.rollout: every action row must have "
                             f"the same length T >= 1; row {b} has {len(row)}")
        for a in row:
            check_action(a, f"{where}.rollout")
    return state_ids, actions
