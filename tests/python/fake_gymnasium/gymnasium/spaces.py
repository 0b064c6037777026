"""A STAND-IN for gymnasium.spaces (tests only; see ../README.md)."""

import string

import numpy as np


class Space:
    def __init__(self, shape=None, dtype=None, seed=None):
        self._shape = None if shape is None else tuple(shape)
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
        seq = np.random.SeedSequence(seed)
        self._np_random = np.random.Generator(np.random.PCG64(seq))
        return [seq.entropy]

    def __contains__(self, x):
        return self.contains(x)


class Box(Space):
    def __init__(self, low, high, shape=None, dtype=np.float32, seed=None):
        dtype = np.dtype(dtype)
        shape = tuple(shape) if shape is not None else np.shape(low)
        assert all(isinstance(s, (int, np.integer)) for s in shape)
        self.low = np.broadcast_to(np.asarray(low, dtype=dtype), shape).copy()
        self.high = np.broadcast_to(np.asarray(high, dtype=dtype), shape).copy()
        super().__init__(shape, dtype, seed)

    def contains(self, x):
        return bool(isinstance(x, np.ndarray) and
                    np.can_cast(x.dtype, self.dtype) and
                    x.shape == self.shape and np.all(x >= self.low) and
                    np.all(x <= self.high))

    def sample(self, mask=None):
        if np.issubdtype(self.dtype, np.integer):
            return self.np_random.integers(self.low, self.high, endpoint=True,
                                           dtype=self.dtype)
        return self.np_random.normal(size=self.shape).astype(self.dtype)

    def __eq__(self, other):
        return isinstance(other, Box) and self.shape == other.shape and \
            self.dtype == other.dtype and \
            np.array_equal(self.low, other.low) and \
            np.array_equal(self.high, other.high)


class Text(Space):
    def __init__(self, max_length, *, min_length=1, charset=string.printable,
                 seed=None):
        assert 0 <= min_length <= max_length
        self.min_length, self.max_length = int(min_length), int(max_length)
        self._char_set = frozenset(charset)
        self._char_list = tuple(charset)
        self._char_str = "".join(sorted(tuple(charset)))
        super().__init__(None, str, seed)

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
        n = self.np_random.integers(self.min_length, self.max_length + 1)
        return "".join(self.np_random.choice(self._char_list, size=n))

    def __eq__(self, other):
        return isinstance(other, Text) and \
            self.min_length == other.min_length and \
            self.max_length == other.max_length and \
            self.character_set == other.character_set


class Dict(Space):
    def __init__(self, spaces=None, seed=None, **kwargs):
        spaces = dict(spaces or {}, **kwargs)
        self.spaces = dict(sorted(spaces.items()))
        super().__init__(None, None, seed)

    def __getitem__(self, key):
        return self.spaces[key]

    def keys(self):
        return self.spaces.keys()

    def items(self):
        return self.spaces.items()

    def contains(self, x):
        return isinstance(x, dict) and x.keys() == self.spaces.keys() and \
            all(s.contains(x[k]) for k, s in self.spaces.items())

    def sample(self, mask=None):
        return {k: s.sample() for k, s in self.spaces.items()}

    def __eq__(self, other):
        return isinstance(other, Dict) and self.spaces == other.spaces


class Tuple(Space):
    def __init__(self, spaces, seed=None):
        self.spaces = tuple(spaces)
        super().__init__(None, None, seed)

    def __getitem__(self, i):
        return self.spaces[i]

    def __len__(self):
        return len(self.spaces)

    def contains(self, x):
        return isinstance(x, tuple) and len(x) == len(self.spaces) and \
            all(s.contains(v) for s, v in zip(self.spaces, x))

    def sample(self, mask=None):
        return tuple(s.sample() for s in self.spaces)

    def __eq__(self, other):
        return isinstance(other, Tuple) and self.spaces == other.spaces
