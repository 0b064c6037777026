#!/usr/bin/env bash
# The demo on the shipped defaults: installs what is missing, builds (build/),
# runs pan-demo (the model's kernels on every backend), then serves tabletop,
# rooms and an untrained GLP world model with pan-server and lets the C
# agents play over ZeroMQ.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target pan-demo pan-server pan-scripted-agent \
  pan-random-agent pan-init
./build/examples/pan-demo "$@"

echo
echo "== pan-server: the ground-truth worlds served over ZeroMQ =="
ready=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$ready"' EXIT
# The world model: a pan-init checkpoint, UNTRAINED (random weights; no
# trained weights exist yet), served next to the worlds as model 'glp'.
./build/core/tools/pan-init --out "$ready/glp.safetensors" --seed 1
./build/env/tools/pan-server --bind 'tcp://127.0.0.1:*' --ready-file "$ready/endpoint" \
  --model "glp=$ready/glp.safetensors" &
server=$!
for _ in $(seq 100); do [[ -s "$ready/endpoint" ]] && break; sleep 0.05; done
endpoint=$(cat "$ready/endpoint")
./build/agents/c/pan-scripted-agent --endpoint "$endpoint" --episodes 5 --seed 1
./build/agents/c/pan-random-agent --endpoint "$endpoint" --world rooms --episodes 2 --seed 1
echo
echo "== the GLP world model (UNTRAINED random weights) as an env: the random agent =="
./build/agents/c/pan-random-agent --endpoint "$endpoint" --model glp --episodes 2 \
  --max-episode-steps 4 --seed 1 --timeout 120000
kill -TERM "$server"
wait "$server"
