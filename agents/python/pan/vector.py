"""pan.vector: PanVectorEnv, N environments served by pan-server as one
batch, with gymnasium's VectorEnv API (1.1 semantics).

Contract
- PanVectorEnv(num_envs, world, ..., autoreset_mode) opens one session of
  N envs (MAKE). autoreset_mode: "next_step" (default), "same_step",
  "disabled", gymnasium's names ("NextStep", ...), or an AutoresetMode
  member (gymnasium.vector.AutoresetMode when gymnasium imports, else this
  module's stand-in with the same values). metadata: the server's, plus
  "autoreset_mode" (the AutoresetMode member) and "render_fps" (as
  PanEnv). When gymnasium imports, PanVectorEnv
  subclasses gymnasium.vector.VectorEnv and its spaces are gymnasium's:
  single_action_space Text, action_space batch_space(Text, N) (a Tuple of N
  Texts), single_observation_space Dict of Boxes, observation_space the
  batched Dict (leading N).
- The server runs the autoreset logic (docs/protocol.md); this class maps
  its replies to gymnasium's return values: obs a dict of arrays
  ("frames" u1 (N, K, H, W, 3), "latent" f4 (N, Q, D)) read without copies
  (read-only); rewards float64 (N,), terminations / truncations bool (N,)
  as SyncVectorEnv returns them; infos a dict of arrays with "_key" bool
  masks, batched by gymnasium's own VectorEnv._add_info when it imports
  (else this module's copy, add_info): bools -> bool arrays, ints -> int64,
  the episode seed -> uint64, strs -> object arrays. So a PanVectorEnv and
  gymnasium's SyncVectorEnv over N PanEnvs (same seeds, actions and
  autoreset mode) return the same values, except info "autoreset" (true on
  a next-step autoreset here; the PanEnvs' own resets say false). In
  same_step mode an env that ended adds infos["final_obs"] (object array of
  one-env obs dicts) and infos["final_info"] (a nested info dict with its
  own masks), masked by "_final_obs" / "_final_info".
- reset(seed=None | int | N ints, options={"task": str, "reset_mask":
  np.ndarray bool (N,)}): with a mask only those envs reset and only they
  have infos; the others keep their state and last obs. An int seed also
  seeds VectorEnv.np_random (gymnasium's super().reset(seed=seed)).
- step(actions: N strs) -> (obs, rewards, terminations, truncations,
  infos). NEXT_STEP: the step after an env ended resets it (its action is
  ignored, reward 0, both flags false, info["autoreset"] true).
  DISABLED: stepping an ended env raises FailedPreconditionError and
  changes nothing; reset it with a reset_mask.
- render() -> tuple of N (H, W, 3) uint8 arrays (render_mode "rgb_array")
  or None. fork(envs=None) -> uint64 array of state ids; restore(envs,
  state_ids) -> (obs, infos); rollout(state_ids, actions, frames=False) ->
  dict of arrays (see pan.env); release(ids) -> count;
  sample_actions(split="train") -> tuple of N strs (SAMPLE).
- Errors: arguments are checked before anything is sent (ValueError,
  TypeError); server errors raise pan.client.PanError subclasses.
- Thread safety: none.
"""

from enum import Enum

import numpy as np

from pan.client import (DEFAULT_ENDPOINT, DEFAULT_TIMEOUT_MS, Client,
                        Session)
from pan.env import RENDER_FPS, _SessionOps, check_action, check_seed, gym_info
from pan.spaces import GYMNASIUM, batch_space, from_description


class _AutoresetModeStandin(Enum):
    """gymnasium.vector.AutoresetMode (1.1), duck-typed."""

    NEXT_STEP = "NextStep"
    SAME_STEP = "SameStep"
    DISABLED = "Disabled"


class _VectorEnvStandin:
    """gymnasium.vector.VectorEnv, duck-typed (used only when gymnasium does
    not import)."""

    metadata = {}
    spec = None
    render_mode = None
    closed = False

    def close(self, **kwargs):
        if self.closed:
            return
        self.close_extras(**kwargs)
        self.closed = True

    def close_extras(self, **kwargs):
        pass

    @property
    def unwrapped(self):
        return self

    def __del__(self):
        if not getattr(self, "closed", True):
            self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __repr__(self):
        return f"{type(self).__name__}(num_envs={self.num_envs})"


if GYMNASIUM is not None:
    import gymnasium.vector
    _VectorEnvBase = gymnasium.vector.VectorEnv
    AutoresetMode = getattr(gymnasium.vector, "AutoresetMode", None) or \
        _AutoresetModeStandin
else:
    _VectorEnvBase = _VectorEnvStandin
    AutoresetMode = _AutoresetModeStandin

# protocol name <-> gymnasium value
_MODES = {"next_step": "NextStep", "same_step": "SameStep",
          "disabled": "Disabled"}


def autoreset_mode_name(mode):
    """The protocol name ("next_step", ...) of a mode given as a protocol
    name, a gymnasium value ("NextStep", ...) or an AutoresetMode member."""
    value = mode.value if isinstance(mode, Enum) else mode
    if isinstance(value, str):
        for name, gym_value in _MODES.items():
            if value in (name, gym_value):
                return name
    raise ValueError(f"autoreset_mode must be one of {list(_MODES)} (or "
                     f"gymnasium's AutoresetMode), found {mode!r}")


def add_info(vector_infos, env_info, env_num, num_envs):
    """gymnasium.vector.VectorEnv._add_info (1.1): adds env env_num's info
    to the batched infos; every key gets a "_key" bool mask."""
    for key, value in env_info.items():
        if key == "final_obs":
            array = vector_infos.get("final_obs")
            if array is None:
                array = np.full(num_envs, fill_value=None, dtype=object)
            array[env_num] = value
        elif isinstance(value, dict):
            array = add_info(vector_infos.get(key, {}), value, env_num,
                             num_envs)
        else:
            if key not in vector_infos:
                if type(value) in (int, float, bool) or issubclass(
                        type(value), np.number):
                    array = np.zeros(num_envs, dtype=type(value))
                elif isinstance(value, np.ndarray):
                    array = np.zeros((num_envs, *value.shape),
                                     dtype=value.dtype)
                else:
                    array = np.full(num_envs, fill_value=None, dtype=object)
            else:
                array = vector_infos[key]
            array[env_num] = value
        mask = vector_infos.get(f"_{key}", np.zeros(num_envs, dtype=np.bool_))
        mask[env_num] = True
        vector_infos[key], vector_infos[f"_{key}"] = array, mask
    return vector_infos


class PanVectorEnv(_SessionOps, _VectorEnvBase):
    """N pan environments over ZeroMQ as one batch (see the module
    contract)."""

    def __init__(self, num_envs, world="tabletop", endpoint=DEFAULT_ENDPOINT,
                 obs_mode="full", autoreset_mode="next_step",
                 max_episode_steps=50, width=None, height=None,
                 frames_per_step=None, render_mode=None, task=None,
                 timeout_ms=DEFAULT_TIMEOUT_MS, client=None, model=None):
        if not isinstance(num_envs, (int, np.integer)) or num_envs < 1:
            raise ValueError(f"PanVectorEnv: num_envs must be an int >= 1, "
                             f"found {num_envs!r}")
        mode = autoreset_mode_name(autoreset_mode)
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"PanVectorEnv: render_mode must be None or "
                             f"'rgb_array', found {render_mode!r}")
        if task is not None and not isinstance(task, str):
            raise TypeError(f"PanVectorEnv: task must be a str, found {task!r}")
        self.num_envs = int(num_envs)
        self.render_mode = render_mode
        self.task = task
        self.autoreset_mode = AutoresetMode(_MODES[mode])
        self.closed = False
        self._own_client = client is None
        self.client = Client(endpoint, timeout_ms) if client is None else client
        self._session = Session(self.client)
        try:
            self._session.make(world=world, num_envs=self.num_envs,
                               obs_mode=obs_mode, autoreset_mode=mode,
                               max_episode_steps=max_episode_steps,
                               width=width, height=height,
                               frames_per_step=frames_per_step, model=model)
            self.single_action_space, self.single_observation_space = \
                from_description(self._session.spaces)
        except BaseException:
            self.close()
            raise
        self.action_space = batch_space(self.single_action_space,
                                        self.num_envs)
        self.observation_space = batch_space(self.single_observation_space,
                                             self.num_envs)
        self.metadata = dict(self._session.metadata)
        self.metadata.setdefault("render_modes", ["rgb_array"])
        self.metadata["render_fps"] = RENDER_FPS
        self.metadata["autoreset_mode"] = self.autoreset_mode

    @property
    def session_id(self):
        return self._session.session

    @property
    def session(self):
        """The pan.client.Session under this env (raw ops)."""
        return self._session

    def _batch_infos(self, infos, finals=None):
        out = {}
        for i, info in enumerate(infos):
            if finals is not None and finals[i] is not None:
                final_obs, final_info = finals[i]
                self._add(out, {"final_obs": final_obs,
                                "final_info": gym_info(final_info)}, i)
            if info is not None:
                self._add(out, gym_info(info), i)
        return out

    def _add(self, out, info, i):
        # gymnasium's own VectorEnv._add_info when it imports (what
        # SyncVectorEnv batches with), else this module's copy of it
        if GYMNASIUM is not None:
            return self._add_info(out, info, i)
        return add_info(out, info, i, self.num_envs)

    # -- gymnasium.vector.VectorEnv
    def reset(self, *, seed=None, options=None):
        if isinstance(seed, (list, tuple, np.ndarray)):
            if len(seed) != self.num_envs:
                raise ValueError(f"PanVectorEnv.reset: {len(seed)} seeds for "
                                 f"{self.num_envs} envs")
            for s in seed:
                if s is None:
                    raise ValueError("PanVectorEnv.reset: a seed list must "
                                     "hold ints (the protocol has no per-env "
                                     "None); pass seed=None for all")
                check_seed(s, "PanVectorEnv.reset")
            seed = [int(s) for s in seed]
        else:
            check_seed(seed, "PanVectorEnv.reset")
            seed = None if seed is None else int(seed)
        options = dict(options or {})
        task = options.pop("task", None)
        mask = options.pop("reset_mask", None)
        if options:
            raise ValueError(f"PanVectorEnv.reset: unknown options "
                             f"{sorted(options)} (accepted: 'task', "
                             "'reset_mask')")
        if task is not None and not isinstance(task, str):
            raise TypeError(f"PanVectorEnv.reset: options['task'] must be a "
                            f"str, found {task!r}")
        if mask is not None:
            if not isinstance(mask, np.ndarray) or mask.dtype != np.bool_ \
                    or mask.shape != (self.num_envs,):
                raise ValueError(f"PanVectorEnv.reset: options['reset_mask'] "
                                 f"must be a numpy bool array of shape "
                                 f"({self.num_envs},), found {mask!r}")
            if not mask.any():
                raise ValueError("PanVectorEnv.reset: options['reset_mask'] "
                                 "must have at least one True")
        if task is None:
            task = self.task
        if GYMNASIUM is not None and isinstance(seed, int):
            super().reset(seed=seed)  # VectorEnv.np_random, as gymnasium's
        obs, infos = self._session.reset(seed=seed, task=task, reset_mask=mask)
        self.task = task
        return obs, self._batch_infos(infos)

    def step(self, actions):
        actions = list(actions) if not isinstance(actions, str) else None
        if actions is None or len(actions) != self.num_envs:
            raise ValueError(f"PanVectorEnv.step: need a sequence of "
                             f"{self.num_envs} action strs")
        for a in actions:
            check_action(a, "PanVectorEnv.step")
        obs, reward, terminated, truncated, infos, finals = \
            self._session.step(actions)
        return (obs, np.array(reward, dtype=np.float64),
                np.array(terminated, dtype=np.bool_),
                np.array(truncated, dtype=np.bool_),
                self._batch_infos(infos, finals))

    def render(self):
        if self.render_mode is None:
            return None
        frames = self._session.render()
        return tuple(frames[i] for i in range(self.num_envs))

    def close_extras(self, **kwargs):
        self._close_session()

    # -- planning helpers
    def fork(self, envs=None):
        """Snapshots of envs (all when None); uint64 array of state ids."""
        if envs is not None:
            envs = [int(e) for e in envs]
        return np.array(self._session.fork(envs), dtype=np.uint64)

    def restore(self, envs, state_ids):
        """Sets envs[j] to snapshot state_ids[j]; returns (obs, infos) with
        infos for the restored envs only."""
        envs = [int(e) for e in envs]
        state_ids = [int(s) for s in state_ids]
        if len(envs) != len(state_ids):
            raise ValueError(f"PanVectorEnv.restore: {len(envs)} envs and "
                             f"{len(state_ids)} state ids")
        obs, infos = self._session.restore(envs, state_ids)
        return obs, self._batch_infos(infos)

    def sample_actions(self, split="train"):
        """N random actions from the world's sampler (SAMPLE op)."""
        return tuple(self._session.sample(split))
