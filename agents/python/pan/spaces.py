"""pan.spaces: the env's spaces, as gymnasium spaces when gymnasium imports,
else as small stand-ins with the same names and attributes.

Contract
- GYMNASIUM is the imported gymnasium module, or None. Box, Text, Dict,
  Tuple are gymnasium.spaces' classes when it imports, else the stand-ins
  below; batch_space is gymnasium.vector.utils.batch_space or the
  stand-in.
- The stand-ins follow gymnasium 1.x: Space(shape, dtype, seed) with
  np_random (a numpy Generator, seeded by seed()), sample(), contains() /
  `in`, ==; Box(low, high, shape, dtype) with low/high arrays of the shape;
  Text(max_length, min_length=, charset=) with character_set,
  character_list, characters; Dict(spaces) (keys sorted) and Tuple(spaces).
  They hold no server state and never talk to the server.
- from_description(spaces) builds (action space, observation space) of ONE
  env from a MAKE / DESCRIBE "spaces" map (docs/protocol.md); ValueError
  naming the field when the map is malformed.
- Thread safety: spaces are plain objects; sampling advances np_random.
"""

import numpy as np

try:  # the real thing when it is installed
    import gymnasium as GYMNASIUM
except ImportError:
    GYMNASIUM = None


# ---- stand-ins (used only when gymnasium does not import) ------------------

class Space:
    """gymnasium.spaces.Space, duck-typed."""

    def __init__(self, shape=None, dtype=None, seed=None):
        self._shape = None if shape is None else tuple(int(s) for s in shape)
        self.dtype = None if dtype is None else np.dtype(dtype)
        self._np_random = None
        if seed is not None:
            self.seed(seed)

    @property
    def shape(self):
        return self._shape

    @property
    def np_random(self):
        if self._np_random is None:
            self.seed()
        return self._np_random

    def seed(self, seed=None):
        """Seeds np_random (a fresh random seed when None); returns [seed]."""
        if seed is None:
            seed = int(np.random.SeedSequence().entropy % (1 << 63))
        if not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be a non-negative int, found {seed!r}")
        self._np_random = np.random.Generator(np.random.PCG64(int(seed)))
        return [int(seed)]

    def __contains__(self, x):
        return self.contains(x)

    def sample(self, mask=None):
        raise NotImplementedError

    def contains(self, x):
        raise NotImplementedError


class Box(Space):
    """gymnasium.spaces.Box: an array of `shape` and `dtype` in [low, high]."""

    def __init__(self, low, high, shape=None, dtype=np.float32, seed=None):
        dtype = np.dtype(dtype)
        if shape is None:
            shape = np.shape(low) if np.ndim(low) else np.shape(high)
        shape = tuple(int(s) for s in shape)
        super().__init__(shape, dtype, seed)
        self.low = np.full(shape, low, dtype=dtype) if np.ndim(low) == 0 \
            else np.asarray(low, dtype=dtype)
        self.high = np.full(shape, high, dtype=dtype) if np.ndim(high) == 0 \
            else np.asarray(high, dtype=dtype)
        if self.low.shape != shape or self.high.shape != shape:
            raise ValueError(f"Box: low {self.low.shape} and high "
                             f"{self.high.shape} must have shape {shape}")

    def contains(self, x):
        if not isinstance(x, np.ndarray):
            try:
                x = np.asarray(x, dtype=self.dtype)
            except (ValueError, TypeError):
                return False
        return bool(np.can_cast(x.dtype, self.dtype) and x.shape == self.shape
                    and np.all(x >= self.low) and np.all(x <= self.high))

    def sample(self, mask=None):
        if mask is not None:
            raise ValueError("Box.sample: masks are not supported")
        rng = self.np_random
        if np.issubdtype(self.dtype, np.integer):
            return rng.integers(self.low, self.high, endpoint=True,
                                dtype=self.dtype)
        low = np.where(np.isfinite(self.low), self.low, -1e30)
        high = np.where(np.isfinite(self.high), self.high, 1e30)
        out = rng.normal(size=self.shape)
        bounded = np.isfinite(self.low) & np.isfinite(self.high)
        out[bounded] = rng.uniform(low[bounded], high[bounded])
        return np.clip(out, low, high).astype(self.dtype)

    def __eq__(self, other):
        return (isinstance(other, Box) and self.shape == other.shape
                and self.dtype == other.dtype
                and np.array_equal(self.low, other.low)
                and np.array_equal(self.high, other.high))

    def __repr__(self):
        return f"Box({self.low.min()}, {self.high.max()}, {self.shape}, " \
               f"{self.dtype})"


class Text(Space):
    """gymnasium.spaces.Text: a str of min_length..max_length characters of
    charset."""

    def __init__(self, max_length, *, min_length=1, charset=None, seed=None):
        if charset is None:
            import string
            charset = string.printable
        if not 0 <= int(min_length) <= int(max_length):
            raise ValueError(f"Text: need 0 <= min_length <= max_length, "
                             f"found {min_length}, {max_length}")
        self.min_length = int(min_length)
        self.max_length = int(max_length)
        self._char_set = frozenset(charset)
        self._char_list = tuple(charset)
        self._char_str = "".join(sorted(tuple(charset)))
        super().__init__(None, str, seed)
        self.dtype = str

    @property
    def character_set(self):
        return self._char_set

    @property
    def character_list(self):
        return self._char_list

    @property
    def characters(self):
        return self._char_str

    def contains(self, x):
        return isinstance(x, str) and \
            self.min_length <= len(x) <= self.max_length and \
            all(c in self._char_set for c in x)

    def sample(self, mask=None):
        if mask is not None:
            raise ValueError("Text.sample: masks are not supported")
        n = int(self.np_random.integers(self.min_length, self.max_length + 1))
        return "".join(self.np_random.choice(self._char_list, size=n))

    def __eq__(self, other):
        return (isinstance(other, Text) and self.min_length == other.min_length
                and self.max_length == other.max_length
                and self.character_set == other.character_set)

    def __repr__(self):
        return f"Text({self.min_length}, {self.max_length}, " \
               f"characters={self.characters})"


class Dict(Space):
    """gymnasium.spaces.Dict: a dict of named sub-spaces (keys sorted)."""

    def __init__(self, spaces=None, seed=None, **kwargs):
        spaces = dict(spaces or {}, **kwargs)
        self.spaces = dict(sorted(spaces.items()))
        super().__init__(None, None, None)
        if seed is not None:
            self.seed(seed)

    def seed(self, seed=None):
        out = super().seed(seed)
        for i, space in enumerate(self.spaces.values()):
            space.seed(int(self.np_random.integers(1 << 62)) + i)
        return out

    def __getitem__(self, key):
        return self.spaces[key]

    def __iter__(self):
        return iter(self.spaces)

    def __len__(self):
        return len(self.spaces)

    def keys(self):
        return self.spaces.keys()

    def values(self):
        return self.spaces.values()

    def items(self):
        return self.spaces.items()

    def contains(self, x):
        return isinstance(x, dict) and x.keys() == self.spaces.keys() and \
            all(space.contains(x[k]) for k, space in self.spaces.items())

    def sample(self, mask=None):
        return {k: space.sample() for k, space in self.spaces.items()}

    def __eq__(self, other):
        return isinstance(other, Dict) and self.spaces == other.spaces

    def __repr__(self):
        inner = ", ".join(f"{k!r}: {v}" for k, v in self.spaces.items())
        return f"Dict({inner})"


class Tuple(Space):
    """gymnasium.spaces.Tuple: a tuple of sub-spaces."""

    def __init__(self, spaces, seed=None):
        self.spaces = tuple(spaces)
        super().__init__(None, None, None)
        if seed is not None:
            self.seed(seed)

    def seed(self, seed=None):
        out = super().seed(seed)
        for i, space in enumerate(self.spaces):
            space.seed(int(self.np_random.integers(1 << 62)) + i)
        return out

    def __getitem__(self, i):
        return self.spaces[i]

    def __len__(self):
        return len(self.spaces)

    def contains(self, x):
        if isinstance(x, (list, np.ndarray)):
            x = tuple(x)
        return isinstance(x, tuple) and len(x) == len(self.spaces) and \
            all(space.contains(v) for space, v in zip(self.spaces, x))

    def sample(self, mask=None):
        return tuple(space.sample() for space in self.spaces)

    def __eq__(self, other):
        return isinstance(other, Tuple) and self.spaces == other.spaces

    def __repr__(self):
        return f"Tuple({', '.join(map(repr, self.spaces))})"


def _batch_space_standin(space, n):
    """gymnasium.vector.utils.batch_space for the stand-ins: Box gets a
    leading n, Text becomes a Tuple of n Texts, Dict batches each entry."""
    if isinstance(space, Box):
        return Box(np.repeat(space.low[np.newaxis], n, axis=0),
                   np.repeat(space.high[np.newaxis], n, axis=0),
                   dtype=space.dtype)
    if isinstance(space, Dict):
        return Dict({k: _batch_space_standin(v, n) for k, v in space.items()})
    if isinstance(space, Text):
        return Tuple([Text(space.max_length, min_length=space.min_length,
                           charset=space.characters) for _ in range(n)])
    if isinstance(space, Tuple):
        return Tuple([_batch_space_standin(s, n) for s in space.spaces])
    raise TypeError(f"batch_space: cannot batch {type(space).__name__}")


if GYMNASIUM is not None:
    from gymnasium.spaces import Box, Dict, Text, Tuple  # noqa: F811
    from gymnasium.vector.utils import batch_space
else:
    batch_space = _batch_space_standin


# ---- from the server's description -----------------------------------------

_BOX_DTYPES = {"u1": np.uint8, "f4": np.float32}


def _field(m, key, types, where):
    if not isinstance(m, dict) or key not in m:
        raise ValueError(f"spaces: '{where}.{key}' missing")
    value = m[key]
    if not isinstance(value, types) or isinstance(value, bool):
        raise ValueError(f"spaces: '{where}.{key}' has type "
                         f"{type(value).__name__}")
    return value


def box_from_description(d, where):
    if _field(d, "type", str, where) != "box":
        raise ValueError(f"spaces: '{where}.type' must be 'box'")
    dt = _field(d, "dtype", str, where)
    if dt not in _BOX_DTYPES:
        raise ValueError(f"spaces: '{where}.dtype' {dt!r} is not one of "
                         f"{sorted(_BOX_DTYPES)}")
    shape = _field(d, "shape", list, where)
    if not all(isinstance(s, int) and s > 0 for s in shape):
        raise ValueError(f"spaces: '{where}.shape' {shape!r} must hold "
                         "positive ints")
    low = _field(d, "low", (int, float), where)
    high = _field(d, "high", (int, float), where)
    return Box(low=low, high=high, shape=tuple(shape), dtype=_BOX_DTYPES[dt])


def from_description(spaces):
    """(action space, observation space) of one env from a "spaces" map."""
    action = _field(spaces, "action", dict, "spaces")
    if _field(action, "type", str, "action") != "text":
        raise ValueError("spaces: 'action.type' must be 'text'")
    text = Text(_field(action, "max_length", int, "action"),
                min_length=_field(action, "min_length", int, "action"),
                charset=_field(action, "charset", str, "action"))
    obs = _field(spaces, "observation", dict, "spaces")
    if _field(obs, "type", str, "observation") != "dict":
        raise ValueError("spaces: 'observation.type' must be 'dict'")
    inner = _field(obs, "spaces", dict, "observation")
    boxes = {}
    for key in ("frames", "latent"):
        if key in inner:
            boxes[key] = box_from_description(inner[key], f"observation.{key}")
    if "latent" not in boxes:
        raise ValueError("spaces: 'observation.spaces.latent' missing")
    unknown = set(inner) - set(boxes)
    if unknown:
        raise ValueError(f"spaces: unknown observation entries {sorted(unknown)}")
    return text, Dict(boxes)
