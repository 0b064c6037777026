"""pan.multi: PanMultiVectorEnv, one vector env spread over several
pan-server processes (on this machine or others), with gymnasium's
VectorEnv API.

Contract
- PanMultiVectorEnv(num_envs, endpoints, envs_per_server=None, **kwargs)
  opens one PanVectorEnv session per endpoint (kwargs: PanVectorEnv's
  world, obs_mode, autoreset_mode, max_episode_steps, width, height,
  frames_per_step, render_mode, task, timeout_ms, model). The num_envs envs
  are split over the servers in endpoint order: envs_per_server (a list of
  positive ints summing to num_envs) or as evenly as possible, the first
  servers taking one more (num_envs >= len(endpoints)). Global env i is
  env i - offset(s) of server s. Every server must describe the same spaces
  (ValueError naming the endpoint otherwise); metadata is the first
  server's, plus "endpoints" and "envs_per_server".
- step(actions) and reset() send ONE batched request per server, all in
  flight at once (one thread per server, each with its own socket), and
  concatenate the replies in env order: obs a dict of arrays (copies:
  writable), rewards float64 (N,), terminations / truncations bool (N,),
  infos gymnasium's batched dict with "_key" masks (final_obs /
  final_info in same_step mode as PanVectorEnv).
- Seeds follow gymnasium and the single-server env: reset(seed=s) gives
  global env i the seed s + i, a list gives env i its own seed; so a
  PanMultiVectorEnv and a PanVectorEnv of the same num_envs, world and seed
  return the same observations, rewards and infos step for step.
  reset(options={"reset_mask": bool (N,)}) resets only those envs (servers
  with none of them are not asked); "task" as PanVectorEnv.
- render() -> tuple of N frames or None; sample_actions(split) -> tuple of
  N strs. Snapshots (fork/restore/rollout) are per server: use
  .envs[s] (the PanVectorEnv of server s) for them.
- Errors: arguments are checked before anything is sent. If opening any
  session fails, the sessions already opened are closed and the error
  (PanError, ValueError, ...) is raised. A server error during step/reset
  raises the first server's error in endpoint order; the other servers'
  requests have completed (their envs have stepped), so after such an error
  reset the whole env.
- close() closes every session (also on error paths); context manager.
- Thread safety: none (call from one thread; the worker threads are
  internal).
"""

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from pan.vector import AutoresetMode, PanVectorEnv, _VectorEnvBase
from pan.spaces import batch_space


def split_envs(num_envs, num_servers, envs_per_server=None):
    """The number of envs of each server (see the module contract)."""
    if not isinstance(num_envs, (int, np.integer)) or num_envs < 1:
        raise ValueError(f"PanMultiVectorEnv: num_envs must be an int >= 1, "
                         f"found {num_envs!r}")
    if envs_per_server is not None:
        counts = list(envs_per_server)
        if len(counts) != num_servers or any(
                not isinstance(c, (int, np.integer)) or c < 1 for c in counts):
            raise ValueError(f"PanMultiVectorEnv: envs_per_server must be "
                             f"{num_servers} ints >= 1 (one per endpoint), "
                             f"found {envs_per_server!r}")
        if sum(counts) != num_envs:
            raise ValueError(f"PanMultiVectorEnv: envs_per_server sums to "
                             f"{sum(counts)}, num_envs is {num_envs}")
        return [int(c) for c in counts]
    if num_envs < num_servers:
        raise ValueError(f"PanMultiVectorEnv: {num_envs} envs cannot cover "
                         f"{num_servers} servers (every server needs >= 1)")
    base, extra = divmod(int(num_envs), num_servers)
    return [base + (1 if s < extra else 0) for s in range(num_servers)]


def _concat(parts, counts):
    """Concatenates per-server arrays; a missing part (None) becomes
    zeros (None for object arrays) of that server's env count."""
    template = next(p for p in parts if p is not None)
    filled = []
    for p, n in zip(parts, counts):
        if p is None:
            if template.dtype == object:
                p = np.full((n, *template.shape[1:]), None, dtype=object)
            else:
                p = np.zeros((n, *template.shape[1:]), dtype=template.dtype)
        filled.append(p)
    return np.concatenate(filled, axis=0)


def merge_infos(infos, counts):
    """One batched info dict from the servers' batched info dicts (keys
    missing on a server get False masks)."""
    keys = []
    for info in infos:
        keys.extend(k for k in info if not k.startswith("_") and k not in keys)
    out = {}
    for key in keys:
        values = [info.get(key) for info in infos]
        if any(isinstance(v, dict) for v in values):
            out[key] = merge_infos([v if v is not None else {} for v in values],
                                   counts)
        else:
            out[key] = _concat(values, counts)
        out[f"_{key}"] = _concat(
            [info.get(f"_{key}") if info.get(f"_{key}") is not None
             else np.zeros(n, dtype=np.bool_) for info, n in zip(infos, counts)],
            counts)
    return out


def _check_endpoints(endpoints):
    if isinstance(endpoints, str) or not isinstance(endpoints, (list, tuple)) \
            or not endpoints:
        raise ValueError(f"PanMultiVectorEnv: endpoints must be a non-empty "
                         f"list of endpoint strs, found {endpoints!r}")
    for e in endpoints:
        if not isinstance(e, str) or not e:
            raise ValueError(f"PanMultiVectorEnv: endpoint {e!r} is not a "
                             "non-empty str")
    if len(set(endpoints)) != len(endpoints):
        raise ValueError(f"PanMultiVectorEnv: endpoints repeat: {endpoints} "
                         "(give one server more envs with envs_per_server)")
    return list(endpoints)


class PanMultiVectorEnv(_VectorEnvBase):
    """N pan environments over several servers as one batch (see the module
    contract)."""

    def __init__(self, num_envs, endpoints, envs_per_server=None, **kwargs):
        self.closed = True  # until every session is open
        self.envs = []
        self._pool = None
        self.endpoints = _check_endpoints(endpoints)
        self.counts = split_envs(num_envs, len(self.endpoints),
                                 envs_per_server)
        if "client" in kwargs:
            raise ValueError("PanMultiVectorEnv: pass endpoints, not a client")
        self.num_envs = int(num_envs)
        self.offsets = np.cumsum([0] + self.counts).tolist()
        self._pool = ThreadPoolExecutor(max_workers=len(self.endpoints),
                                        thread_name_prefix="pan-multi")
        try:
            # sequentially: a server that refuses shows its own error
            for endpoint, n in zip(self.endpoints, self.counts):
                self.envs.append(PanVectorEnv(n, endpoint=endpoint, **kwargs))
            first = self.envs[0]
            for endpoint, env in zip(self.endpoints[1:], self.envs[1:]):
                if env.single_observation_space != first.single_observation_space \
                        or env.single_action_space != first.single_action_space:
                    raise ValueError(
                        f"PanMultiVectorEnv: server {endpoint} describes "
                        f"spaces {env.single_observation_space} / "
                        f"{env.single_action_space}, server "
                        f"{self.endpoints[0]} {first.single_observation_space}"
                        f" / {first.single_action_space}")
        except BaseException:
            self.closed = False
            self.close()
            raise
        self.closed = False
        self.render_mode = first.render_mode
        self.autoreset_mode = first.autoreset_mode
        self.single_action_space = first.single_action_space
        self.single_observation_space = first.single_observation_space
        self.action_space = batch_space(self.single_action_space,
                                        self.num_envs)
        self.observation_space = batch_space(self.single_observation_space,
                                             self.num_envs)
        self.metadata = dict(first.metadata)
        self.metadata["endpoints"] = list(self.endpoints)
        self.metadata["envs_per_server"] = list(self.counts)
        self.metadata["autoreset_mode"] = self.autoreset_mode
        self._last_obs = [None] * len(self.envs)

    def _part(self, values, s):
        return values[self.offsets[s]:self.offsets[s + 1]]

    def _run(self, calls):
        """calls: {server index: thunk}; runs them concurrently and returns
        {server index: result}; raises the first failure in server order."""
        if len(calls) == 1:
            (s, f), = calls.items()
            return {s: f()}
        futures = {s: self._pool.submit(f) for s, f in calls.items()}
        results, error = {}, None
        for s in sorted(futures):
            try:
                results[s] = futures[s].result()
            except BaseException as e:  # wait for all before raising
                if error is None:
                    error = e
        if error is not None:
            raise error
        return results

    def _concat_obs(self, parts):
        return {k: np.concatenate([p[k] for p in parts], axis=0)
                for k in parts[0]}

    # -- gymnasium.vector.VectorEnv
    def reset(self, *, seed=None, options=None):
        if seed is None:
            seeds = [None] * len(self.envs)
        elif isinstance(seed, (list, tuple, np.ndarray)):
            if len(seed) != self.num_envs:
                raise ValueError(f"PanMultiVectorEnv.reset: {len(seed)} seeds "
                                 f"for {self.num_envs} envs")
            seeds = [list(self._part(list(seed), s))
                     for s in range(len(self.envs))]
        elif isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
            if seed < 0 or int(seed) + self.num_envs - 1 >= 1 << 64:
                raise ValueError(f"PanMultiVectorEnv.reset: seed {seed} (+ "
                                 f"{self.num_envs - 1}) is not a uint64")
            seeds = [[int(seed) + i for i in range(self.offsets[s],
                                                   self.offsets[s + 1])]
                     for s in range(len(self.envs))]
        else:
            raise TypeError(f"PanMultiVectorEnv.reset: seed must be None, an "
                            f"int or {self.num_envs} ints, found {seed!r}")
        options = dict(options or {})
        mask = options.pop("reset_mask", None)
        if mask is not None and (not isinstance(mask, np.ndarray) or
                                 mask.dtype != np.bool_ or
                                 mask.shape != (self.num_envs,)):
            raise ValueError(f"PanMultiVectorEnv.reset: options['reset_mask']"
                             f" must be a numpy bool array of shape "
                             f"({self.num_envs},), found {mask!r}")
        if mask is not None and not mask.any():
            raise ValueError("PanMultiVectorEnv.reset: options['reset_mask'] "
                             "must have at least one True")
        if mask is not None and any(o is None for o in self._last_obs):
            raise ValueError("PanMultiVectorEnv.reset: reset every env once "
                             "before a reset_mask")
        calls = {}
        for s, env in enumerate(self.envs):
            opts = dict(options)
            if mask is not None:
                part = self._part(mask, s)
                if not part.any():
                    continue
                opts["reset_mask"] = np.ascontiguousarray(part)
            calls[s] = (lambda env=env, sd=seeds[s], o=opts:
                        env.reset(seed=sd, options=o))
        results = self._run(calls)
        infos = []
        for s in range(len(self.envs)):
            if s in results:
                self._last_obs[s] = results[s][0]
                infos.append(results[s][1])
            else:
                infos.append({})
        return self._concat_obs(self._last_obs), merge_infos(infos,
                                                             self.counts)

    def step(self, actions):
        actions = list(actions) if not isinstance(actions, str) else None
        if actions is None or len(actions) != self.num_envs:
            raise ValueError(f"PanMultiVectorEnv.step: need a sequence of "
                             f"{self.num_envs} action strs")
        calls = {s: (lambda env=env, a=self._part(actions, s): env.step(a))
                 for s, env in enumerate(self.envs)}
        results = [r for _, r in sorted(self._run(calls).items())]
        self._last_obs = [r[0] for r in results]
        return (self._concat_obs(self._last_obs),
                np.concatenate([r[1] for r in results]),
                np.concatenate([r[2] for r in results]),
                np.concatenate([r[3] for r in results]),
                merge_infos([r[4] for r in results], self.counts))

    def render(self):
        if self.render_mode is None:
            return None
        results = self._run({s: env.render for s, env in enumerate(self.envs)})
        return tuple(f for s in sorted(results) for f in results[s])

    def sample_actions(self, split="train"):
        """N random actions from each server's world sampler (SAMPLE)."""
        results = self._run({s: (lambda env=env: env.sample_actions(split))
                             for s, env in enumerate(self.envs)})
        return tuple(a for s in sorted(results) for a in results[s])

    def close_extras(self, **kwargs):
        for env in self.envs:
            try:
                env.close()
            except Exception:  # close the others whatever one does
                pass
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def close(self, **kwargs):
        if self.closed:
            return
        self.close_extras(**kwargs)
        self.closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __repr__(self):
        return (f"PanMultiVectorEnv(num_envs={self.num_envs}, "
                f"endpoints={self.endpoints})")


__all__ = ["PanMultiVectorEnv", "split_envs", "merge_infos", "AutoresetMode"]
