#!/usr/bin/env bash
# Installs the Debian packages pan needs, only those that are missing.
#   scripts/install-deps.sh          build dependencies
#   scripts/install-deps.sh --test   build + test dependencies (PyTorch oracle)
set -euo pipefail

packages=(build-essential cmake pkg-config libopenblas-dev libopenblas-openmp-dev libdnnl-dev
          libmsgpack-dev libzmq3-dev zlib1g-dev libpng-dev libjansson-dev)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(python3 python3-numpy python3-torch python3-msgpack python3-zmq python3-pil)
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
