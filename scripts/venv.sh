#!/usr/bin/env bash
# Makes or updates the project's Python virtual environment and installs the
# Python side of pan into it (pip install -e agents/python[...]), with the
# PyPI packages of the groups asked for. The system Python is never touched;
# the C build never needs any of this.
#   scripts/venv.sh [GROUP...]     default group: gym
#   scripts/venv.sh --python       print the venv's interpreter path and exit
# Groups:
#   gym    gymnasium 1.x and moviepy (RecordVideo): the test suite's group
#   rl     + stable-baselines3 (and the PyTorch it pulls in, ~5 GiB with its
#          CUDA libraries: PyPI's Linux wheel; the CPU is what pan uses)
#   ray    + ray[rllib] and PyTorch
#   bench  + the current PyTorch release: the benchmarks' modern peer
#          (Debian's python3-torch stays the parity tests' float64 oracle)
#   plots  + matplotlib
# Environment:
#   PAN_VENV   where the venv lives (default: .venv at the repository root)
# Each group installed is stamped in the venv, so a second call asking only for
# installed groups (and the same agents/python/pyproject.toml) runs no pip.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${PAN_VENV:-$root/.venv}

if [[ "${1:-}" == "--python" ]]; then
  echo "$venv/bin/python"
  exit 0
fi
groups=("$@")
[[ ${#groups[@]} -eq 0 ]] && groups=(gym)
extras=()
for g in "${groups[@]}"; do
  case "$g" in
    gym|rl|ray|plots) extras+=("$g") ;;
    bench) ;;
    *) echo "scripts/venv.sh: unknown group '$g' (expected gym, rl, ray, bench or plots)" >&2
       exit 2 ;;
  esac
done

# Debian's python3 with its venv module (python3-venv); nothing else from apt.
"$root/scripts/install-deps.sh" --venv

# One stamp per group, pyproject.toml and pan.__version__ (the installed
# metadata carries both): a call whose groups are all stamped runs no pip.
pyproject_key=$( (cat "$root/agents/python/pyproject.toml"
                  grep '^__version__' "$root/agents/python/pan/__init__.py") |
                sha256sum | cut -c1-16)
all_stamped=1
for g in "${groups[@]}"; do
  [[ -e "$venv/.pan-installed-$g-$pyproject_key" ]] || all_stamped=0
done
if [[ -x "$venv/bin/python" && $all_stamped == 1 ]]; then
  exit 0
fi

if [[ ! -x "$venv/bin/python" ]]; then
  echo "pan: creating the Python venv $venv"
  /usr/bin/python3 -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip --disable-pip-version-check -q)
"${pip[@]}" install --upgrade pip
spec="$root/agents/python"
if [[ ${#extras[@]} -gt 0 ]]; then
  spec="$spec[$(IFS=,; echo "${extras[*]}")]"
fi
echo "pan: installing into $venv (groups: ${groups[*]}): pip install -e $spec"
"${pip[@]}" install -e "$spec"
for g in "${groups[@]}"; do
  if [[ $g == bench ]]; then
    "${pip[@]}" install --upgrade torch
  fi
done
for g in "${groups[@]}"; do
  touch "$venv/.pan-installed-$g-$pyproject_key"
done
