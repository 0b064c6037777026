#!/usr/bin/env bash
# Installs what the benchmarks' modern PyTorch peers need (docs/benchmarks.md,
# "PyTorch peers") and prints the interpreter to give them:
#   scripts/bench-deps.sh            -> prints e.g. /work/main/.venv/bin/python
# - the current PyTorch release from PyPI in the project's venv
#   (scripts/venv.sh bench: ${PAN_VENV:-.venv}; ~5 GiB with the CUDA
#   libraries of PyPI's Linux wheel, though the benchmarks use the CPU);
# - what torch.compile's inductor needs to build its CPU kernels: a C++
#   compiler (g++, with the OpenMP headers of GCC) and the headers of the
#   venv's Python (python3-dev: Python.h), from apt when missing;
# - then it compiles and runs a small function with torch.compile to prove
#   that it works, and says why when it does not.
# Progress goes to stderr; stdout is the interpreter's path alone, so
#   scripts/bench-deps.sh && scripts/bench.sh
# and pan-bench-* --peer eager=$(scripts/bench-deps.sh) both work.
# Environment: PAN_VENV (where the venv lives, as in scripts/venv.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

"$root/scripts/venv.sh" bench >&2
python=$("$root/scripts/venv.sh" --python)

# inductor's C++ toolchain and Python's headers (Debian packages)
packages=(g++ python3-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "pan: installing Debian packages for torch.compile: ${missing[*]}" >&2
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null ||
      { echo "pan: need root or sudo to install ${missing[*]}" >&2; exit 1; }
    sudo_cmd=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq >&2
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# torch.compile on the CPU, end to end (a C++ kernel built and run)
echo "pan: checking torch.compile (inductor, CPU) with $python" >&2
if ! "$python" - >&2 <<'EOF'
import sys
import sysconfig
import torch

include = sysconfig.get_path("include")
print("pan: torch %s, Python headers in %s" % (torch.__version__, include))
fn = torch.compile(lambda x: torch.nn.functional.silu(x) * 2 + 1, backend="inductor")
x = torch.randn(1000)
if not torch.allclose(fn(x), torch.nn.functional.silu(x) * 2 + 1, atol=1e-6):
    sys.exit("pan: torch.compile ran but gave a different result")
print("pan: torch.compile works")
EOF
then
  echo "pan: torch.compile does not work with $python (see above); the benchmarks'" \
       "compile peer will report the same error" >&2
  exit 1
fi
echo "$python"
