"""pan.registration: pan's environments in gymnasium's registry.

Contract
- register_envs() registers these ids in gymnasium.registry and returns
  them (a tuple):
    pan/Tabletop-v0    PanEnv(world="tabletop")
    pan/Rooms-v0       PanEnv(world="rooms")
    pan/WorldModel-v0  PanEnv(model=NAME), a world model the server serves
                       (pan-server --model NAME=FILE); without model= the
                       server's only model (HELLO "models"), ValueError when
                       it serves none or several.
  Idempotent: an id already registered is left alone (no "Overriding"
  warning). Importing this module registers, and so does `import pan`
  when gymnasium imports. gymnasium 1.x reads no plugin entry points
  (0.x's load_plugin_envs is gone), so a fresh interpreter needs one of
  `import pan`, `import pan.registration` or the module-prefixed id
  `gymnasium.make("pan:pan/Tabletop-v0", ...)`.
- kwargs of make / make_vec are PanEnv's / PanVectorEnv's: endpoint,
  timeout_ms, client, obs_mode, width, height, frames_per_step,
  render_mode, task, model, world (and autoreset_mode for make_vec).
- Episode length. spec.max_episode_steps is 50, the server's default.
  gymnasium.make wraps the env in TimeLimit(50) (make(...,
  max_episode_steps=N) changes it, -1 removes it), and the env's session is
  made with max_episode_steps=0 (the server never truncates), so that
  TimeLimit alone decides and an override really changes the length.
  make_vec has no TimeLimit: it passes max_episode_steps (the spec's 50
  unless given) to PanVectorEnv and the server truncates.
- make_vec(id, num_envs=N) uses the spec's vector_entry_point (gymnasium's
  default when one exists, or vectorization_mode="vector_entry_point"):
  ONE PanVectorEnv session of N envs, batched steps; endpoint=[EP, ...]
  (a list) spreads them over several servers: pan.multi.PanMultiVectorEnv,
  one batched request per server per step. "sync" / "async" give
  gymnasium's SyncVectorEnv / AsyncVectorEnv over N PanEnv sessions.
- Spec flags: nondeterministic=False for all three ids: a seed and the
  same actions give byte-identical observations, rewards and infos, for
  the worlds and for a served model (the model's noise is seeded by the
  episode seed; tests/python/test_py_gymnasium.py checks both through
  gymnasium's check_env). disable_env_checker=False (gymnasium's default:
  PassiveEnvChecker looks at the first reset, step and render only) and
  order_enforce=True.
- Errors: ImportError (naming the install command) without gymnasium;
  ValueError for a world id given model= (use pan/WorldModel-v0).
"""

try:
    import gymnasium
except ImportError as e:  # pragma: no cover - depends on the interpreter
    raise ImportError("pan.registration needs gymnasium: pip install -e "
                      "'agents/python[gym]' (or scripts/venv.sh)") from e

MAX_EPISODE_STEPS = 50
# What gymnasium.make reads from the entry point before making the env
# (render modes; the same as pan.env.PanEnv.metadata, a test holds them).
METADATA = {"render_modes": ["rgb_array"], "render_fps": 4}

# id -> the spec's kwargs (world=None is the world-model env)
ENVS = {"pan/Tabletop-v0": {"world": "tabletop"},
        "pan/Rooms-v0": {"world": "rooms"},
        "pan/WorldModel-v0": {}}


def _target(world, model, kwargs, where):
    """(world, model) for PanEnv / PanVectorEnv: a world id names its world,
    the world-model id its model (default: the server's only one)."""
    if world is not None and model is not None:
        raise ValueError(f"{where}: world={world!r} and model={model!r}: the "
                         "world ids take no model; use pan/WorldModel-v0 "
                         "with model=NAME")
    if world is None and model is None:
        model = _served_model(kwargs)
    return world, model


def _served_model(kwargs):
    from pan.client import DEFAULT_ENDPOINT, DEFAULT_TIMEOUT_MS, Client
    endpoint = kwargs.get("endpoint", DEFAULT_ENDPOINT)
    client = kwargs.get("client")
    own = client is None
    if own:
        client = Client(endpoint, kwargs.get("timeout_ms", DEFAULT_TIMEOUT_MS))
    try:
        hello, _ = client.call("HELLO", client="pan.registration")
    finally:
        if own:
            client.close()
    models = hello.get("models", [])
    if not isinstance(models, list) or len(models) != 1:
        raise ValueError(f"pan/WorldModel-v0: pass model=NAME; the server at "
                         f"{endpoint} serves {models!r} (HELLO 'models'; "
                         "pan-server --model NAME=FILE)")
    return models[0]


def make_env(world=None, model=None, **kwargs):
    """gymnasium.make's entry point: a PanEnv whose session does not
    truncate (TimeLimit does; see the module contract)."""
    from pan.env import PanEnv
    world, model = _target(world, model, kwargs, "gymnasium.make")
    kwargs.setdefault("max_episode_steps", 0)
    return PanEnv(world=world, model=model, **kwargs)


make_env.metadata = METADATA


def make_vector_env(num_envs=1, world=None, model=None, **kwargs):
    """gymnasium.make_vec's vector entry point: one PanVectorEnv session of
    num_envs envs (the server truncates at max_episode_steps); with
    endpoint=[EP, ...] a PanMultiVectorEnv, one session per server
    (envs_per_server= as pan.multi)."""
    endpoint = kwargs.get("endpoint")
    multi = isinstance(endpoint, (list, tuple))
    if multi:
        first = dict(kwargs, endpoint=endpoint[0] if endpoint else None)
        world, model = _target(world, model, first, "gymnasium.make_vec")
    else:
        world, model = _target(world, model, kwargs, "gymnasium.make_vec")
    kwargs.setdefault("max_episode_steps", MAX_EPISODE_STEPS)
    if multi:
        from pan.multi import PanMultiVectorEnv
        endpoints = kwargs.pop("endpoint")
        return PanMultiVectorEnv(num_envs, endpoints, world=world,
                                 model=model, **kwargs)
    from pan.vector import PanVectorEnv
    return PanVectorEnv(num_envs, world=world, model=model, **kwargs)


def register_envs():
    """Registers pan's ids (idempotent); returns them."""
    for env_id, kwargs in ENVS.items():
        if env_id in gymnasium.registry:
            continue
        gymnasium.register(
            id=env_id,
            entry_point="pan.registration:make_env",
            vector_entry_point="pan.registration:make_vector_env",
            max_episode_steps=MAX_EPISODE_STEPS,
            nondeterministic=False,
            order_enforce=True,
            disable_env_checker=False,
            kwargs=dict(kwargs))
    return tuple(ENVS)


register_envs()
