#!/usr/bin/env bash
# The demo on the shipped defaults: installs what is missing, builds (build/),
# runs pan-demo.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target pan-demo
./build/examples/pan-demo "$@"
