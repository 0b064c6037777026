"""A STAND-IN for gymnasium, for tests/python/test_py_gymnasium.py only
(see ../README.md): gymnasium 1.1's Env, spaces and vector names, minimal."""

import numpy as np

__version__ = "0.0+pan-test-stand-in"
PAN_TEST_STANDIN = True


class Env:
    """gymnasium.Env: reset(seed) seeds np_random; records the seeds."""

    metadata = {"render_modes": []}
    render_mode = None
    spec = None
    _np_random = None
    _np_random_seed = None
    reset_seeds = None  # the seeds Env.reset received (per instance)

    def reset(self, *, seed=None, options=None):
        if self.reset_seeds is None:
            self.reset_seeds = []
        self.reset_seeds.append(seed)
        if seed is not None:
            seq = np.random.SeedSequence(seed)
            self._np_random = np.random.Generator(np.random.PCG64(seq))
            self._np_random_seed = seq.entropy

    def step(self, action):
        raise NotImplementedError

    def render(self):
        raise NotImplementedError

    def close(self):
        pass

    @property
    def np_random(self):
        if self._np_random is None:
            self.reset(seed=int(np.random.SeedSequence().entropy % (1 << 63)))
        return self._np_random

    @property
    def unwrapped(self):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *args):
        self.close()
        return False


from gymnasium import spaces, vector  # noqa: E402,F401
