#!/usr/bin/env bash
# Installs the Debian packages pan needs, only those that are missing.
#   scripts/install-deps.sh          build dependencies
#   scripts/install-deps.sh --test   build + test dependencies (PyTorch oracle,
#                                    python3-venv for scripts/venv.sh)
#   scripts/install-deps.sh --venv   only python3 and python3-venv (scripts/venv.sh)
# Environment:
#   PAN_SKIP_TORCH=1   with --test, leave out python3-torch (on a minimal
#                      Debian 12 root it pulls in ~270 more packages, ~190 MiB
#                      of .debs). scripts/test.sh then skips, naming them, the
#                      tests that need it.
# The list is checked for completeness on a minimal Debian 12 root by
# scripts/check-fresh.sh (ocl-icd-opencl-dev: oneDNN's CMake config needs
# OpenCL; libgif-dev: pan-eval's GIFs, benchmarks/eval).
set -euo pipefail

packages=(build-essential cmake pkg-config libopenblas-dev libopenblas-openmp-dev libdnnl-dev
          libmsgpack-dev libzmq3-dev zlib1g-dev libpng-dev libjansson-dev ocl-icd-opencl-dev
          libgif-dev)
if [[ "${1:-}" == "--venv" ]]; then
  packages=(python3 python3-venv)
elif [[ "${1:-}" == "--test" ]]; then
  packages+=(python3 python3-venv python3-numpy python3-msgpack python3-zmq python3-pil python3-matplotlib)
  if [[ "${PAN_SKIP_TORCH:-0}" == 1 ]]; then
    echo "pan: PAN_SKIP_TORCH=1: not installing python3-torch (the PyTorch parity tests will be skipped)"
  else
    packages+=(python3-torch)
  fi
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "pan: installing Debian packages: ${missing[*]}"
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "pan: need root or sudo to install ${missing[*]}" >&2; exit 1; }
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
