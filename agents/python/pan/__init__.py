"""pan: Python side of the pan world model.

pan.dataset reads and validates episode files written by `pan-data gen`
(format: docs/dataset.md); pan.view turns an episode into a GIF or a PNG
strip (`python3 -m pan.view EPISODE --gif out.gif`).

Agents talk to `pan-server` (docs/protocol.md) through pan.client (the
protocol client: Client, Session, PanError and its subclasses), pan.env
(PanEnv, a gymnasium.Env when gymnasium is installed), pan.vector
(PanVectorEnv, gymnasium's VectorEnv semantics) and pan.spaces; the agents
are `python3 -m pan.agents.random` and `python3 -m pan.agents.scripted`
(docs/agents.md). `from pan import PanEnv` works too: those names are
imported on first use, so reading datasets does not need ZeroMQ.

When gymnasium imports, importing pan also registers pan/Tabletop-v0,
pan/Rooms-v0 and pan/WorldModel-v0 (pan.registration; it needs neither
ZeroMQ nor a server), so `gymnasium.make("pan/Tabletop-v0")` works after
`import pan`, and `gymnasium.make("pan:pan/Tabletop-v0")` without it.
"""

# The release; the same as CMakeLists.txt project(VERSION) and pan-server's
# HELLO (tests/python hold them together).
__version__ = "0.1.0"

_LAZY = {"PanEnv": "pan.env", "PanVectorEnv": "pan.vector",
         "AutoresetMode": "pan.vector", "Client": "pan.client",
         "Session": "pan.client", "PanError": "pan.client"}


try:  # gymnasium 1.x loads no plugins: pan registers its ids itself
    import gymnasium as _gymnasium  # noqa: F401
except ImportError:
    pass
else:
    from pan import registration as _registration  # noqa: F401


def __getattr__(name):
    if name in _LAZY:
        import importlib
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'pan' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_LAZY))
