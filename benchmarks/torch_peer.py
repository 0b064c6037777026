"""benchmarks/torch_peer.py: what makes a PyTorch script a peer of the C
benchmarks (backbone_torch.py, glp_torch.py; docs/benchmarks.md, "PyTorch
peers").

A peer is an interpreter with its torch, eager or with --compile. This
module gives the scripts:

- prepare(argv): the environment torch reads when it loads (call it before
  `import torch`): OPENBLAS_NUM_THREADS = --threads and OMP_WAIT_POLICY,
  unless set. The wait policy depends on the torch build, read from the
  installed package's metadata without importing it: Debian's 1.13 runs its
  GEMMs on OpenBLAS's own pthreads and the rest on OpenMP threads, which
  must not spin (PASSIVE; spinning workers made a batch-1 backbone step
  440 ms instead of 23 ms); PyPI's 2.x runs everything, MKL included, on
  the same OpenMP threads, which should spin between ops (ACTIVE: a batch-1
  backbone step took 9.7-11.9 ms against 21.5-25.0 ms with PASSIVE on a
  quiet machine).
  With --compile, inductor's on-disk cache (TORCHINDUCTOR_CACHE_DIR) is a
  fresh temporary directory, removed at exit, unless that variable is set:
  the reported warm-up is then always the whole compilation (with the
  cache of an earlier run it shrinks to a fraction, e.g. 290 s -> 47 s for
  glp_torch.py's self-check under load).
- import_torch(script): torch, or exit 2 with the reason.
- Compiler(enabled): wraps the model's tensor functions in torch.compile
  (inductor on the CPU) for a --compile peer, and checks every compiled
  function against its eager self on the first call of each input shape
  (nmse <= 1e-6, the bound of the C parity tests); a recompilation limit
  hit is an error, never a silent fall-back to eager.
- The lines the C side reads besides the `case` lines:
    peer torch=VERSION python=PATH compile=inductor|off omp_wait_policy=P
         inductor_cache=fresh|DIR                        (one line)
    check NAME=ok ... (the scripts' own checks)
    fail case=CASE error=ONE LINE     (that case gave no figure; the
                                       traceback is on stderr)
"""
import atexit
import os
import shutil
import sys
import tempfile
import traceback

COMPILE_NMSE = 1e-6
RECOMPILE_LIMIT = 64


def torch_major():
    """The installed torch's major version (0 when unknown), without importing it."""
    try:
        import importlib.metadata
        return int(importlib.metadata.version("torch").split(".")[0])
    except Exception:  # noqa: BLE001  (no metadata: an unusual install)
        return 0


def prepare(argv):
    """Environment for torch's thread pools; before `import torch`."""
    threads = "2"
    for i, arg in enumerate(argv):
        if arg == "--threads" and i + 1 < len(argv):
            threads = argv[i + 1]
        elif arg.startswith("--threads="):
            threads = arg[len("--threads="):]
    if threads.isdigit() and int(threads) >= 1:  # else the script reports it
        os.environ.setdefault("OPENBLAS_NUM_THREADS", threads)
    os.environ.setdefault("OMP_WAIT_POLICY", "ACTIVE" if torch_major() >= 2 else "PASSIVE")
    if "--compile" in argv and not os.environ.get("TORCHINDUCTOR_CACHE_DIR"):
        cache = tempfile.mkdtemp(prefix="pan-inductor-")
        os.environ["TORCHINDUCTOR_CACHE_DIR"] = cache
        os.environ["PAN_FRESH_INDUCTOR_CACHE"] = cache
        atexit.register(shutil.rmtree, cache, True)


def import_torch(script):
    try:
        import torch
        return torch
    except ImportError as error:
        sys.stderr.write("%s: cannot import torch with %s (%s).\n"
                         "Install Debian's PyTorch (apt-get install python3-torch) or "
                         "the current release (scripts/bench-deps.sh)\n"
                         % (script, sys.executable, error))
        sys.exit(2)


def one_line(error):
    text = "%s: %s" % (type(error).__name__, error)
    return " ".join(text.split())[:400]


def fail_line(case, error):
    """Reports a case that gave no figure: one line on stdout for the C side,
    the traceback on stderr."""
    traceback.print_exc(file=sys.stderr)
    print("fail case=%s error=%s" % (case, one_line(error)), flush=True)


def nmse(got, ref):
    """sum (ref - got)^2 / sum ref^2 in float64 (0 when both are 0)."""
    ref, got = ref.double(), got.double()
    den = float((ref * ref).sum())
    num = float(((ref - got) ** 2).sum())
    return num / den if den > 0 else (0.0 if num == 0 else float("inf"))


class CheckFailed(RuntimeError):
    pass


def signature(value):
    """What a call's compiled code depends on: tensor shapes and dtypes, and
    the Python values (ints, slices, lists) around them."""
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return ("tensor", tuple(value.shape), str(value.dtype))
    if isinstance(value, (list, tuple)):
        return tuple(signature(v) for v in value)
    if isinstance(value, slice):
        return ("slice", value.start, value.stop, value.step)
    return repr(value)


class Compiler:
    """torch.compile for a --compile peer; identity otherwise."""

    def __init__(self, torch, enabled):
        self.torch, self.enabled = torch, enabled
        self.worst, self.checked = 0.0, 0
        if not enabled:
            return
        if not hasattr(torch, "compile"):
            raise RuntimeError("torch.compile needs torch >= 2.0; this is torch %s"
                               % torch.__version__)
        import torch._dynamo as dynamo
        config = dynamo.config
        for name in ("recompile_limit", "cache_size_limit"):
            if hasattr(config, name):
                setattr(config, name, RECOMPILE_LIMIT)
        for name in ("fail_on_recompile_limit_hit", "fail_on_cache_limit_hit"):
            if hasattr(config, name):
                setattr(config, name, True)
        self.counters = dynamo.utils.counters

    def describe(self):
        return "inductor" if self.enabled else "off"

    def frames(self):
        """Frames dynamo has compiled so far (0 without compile)."""
        return self.counters["frames"]["total"] if self.enabled else 0

    def wrap(self, fn, name):
        """fn, or torch.compile(fn) checked against fn on the first call of
        each input-shape signature. fn must return a tensor and may write
        into its inputs only what it writes on every call (the backbone's K/V
        rows): running it twice is then the same as once."""
        if not self.enabled:
            return fn
        compiled = self.torch.compile(fn, backend="inductor")
        seen = set()

        def run(*args):
            key = signature(args)
            if key in seen:
                return compiled(*args)
            expect = fn(*args)
            got = compiled(*args)
            err = nmse(got, expect)
            if not err <= COMPILE_NMSE:  # also catches NaN
                raise CheckFailed("%s: torch.compile's output differs from eager's: "
                                  "nmse %.3g (bound %g), inputs %s"
                                  % (name, err, COMPILE_NMSE, str(key)[:200]))
            seen.add(key)
            self.worst, self.checked = max(self.worst, err), self.checked + 1
            return got
        return run

    def check_line(self):
        """The check line of the compiled functions, or None without compile."""
        if not self.enabled:
            return None
        return "check compiled_vs_eager=ok shapes=%d max_nmse=%.3g" % (self.checked,
                                                                        self.worst)


def peer_line(torch, compiler):
    cache = os.environ.get("TORCHINDUCTOR_CACHE_DIR", "default")
    if cache == os.environ.get("PAN_FRESH_INDUCTOR_CACHE"):
        cache = "fresh"
    return "peer torch=%s python=%s compile=%s omp_wait_policy=%s%s" % (
        torch.__version__, sys.executable, compiler.describe(),
        os.environ.get("OMP_WAIT_POLICY", "unset"),
        " inductor_cache=%s" % cache if compiler.enabled else "")
