"""A STAND-IN for gymnasium.vector.utils.batch_space (tests only)."""

from copy import deepcopy

import numpy as np

from gymnasium.spaces import Box, Dict, Text, Tuple


def batch_space(space, n=1):
    if isinstance(space, Box):
        return Box(np.repeat(space.low[np.newaxis], n, axis=0),
                   np.repeat(space.high[np.newaxis], n, axis=0),
                   shape=(n,) + space.shape, dtype=space.dtype)
    if isinstance(space, Dict):
        return Dict({k: batch_space(s, n) for k, s in space.items()})
    if isinstance(space, Text):
        return Tuple(tuple(deepcopy(space) for _ in range(n)))
    raise TypeError(f"stand-in batch_space: {type(space).__name__}")
