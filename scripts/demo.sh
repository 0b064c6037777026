#!/usr/bin/env bash
# The demo on the shipped defaults: installs what is missing, builds (build/),
# runs pan-demo (the model's kernels on every backend), then serves tabletop
# and rooms with pan-server and lets the C agents play over ZeroMQ.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target pan-demo pan-server pan-scripted-agent \
  pan-random-agent
./build/examples/pan-demo "$@"

echo
echo "== pan-server: the ground-truth worlds served over ZeroMQ =="
ready=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$ready"' EXIT
./build/env/tools/pan-server --bind 'tcp://127.0.0.1:*' --ready-file "$ready/endpoint" &
server=$!
for _ in $(seq 100); do [[ -s "$ready/endpoint" ]] && break; sleep 0.05; done
endpoint=$(cat "$ready/endpoint")
./build/agents/c/pan-scripted-agent --endpoint "$endpoint" --episodes 5 --seed 1
./build/agents/c/pan-random-agent --endpoint "$endpoint" --world rooms --episodes 2 --seed 1
kill -TERM "$server"
wait "$server"
