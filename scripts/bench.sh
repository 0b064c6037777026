#!/usr/bin/env bash
# Characterises this build and a model on this machine: builds what it needs,
# runs every benchmark and pan-eval --quick, writes OUT/bench.md, bench.csv,
# bench.json and OUT/raw/ (docs/benchmarks.md, "One entry point").
#   scripts/bench.sh [--model FILE] [--out DIR] [--quick]
#                    [--only ops,worlds,server,backbone,glp,eval]
#                    [--peer NAME=PYTHON[:compile] ...] [--help]
# Without --model the model is a fresh pan-init checkpoint: UNTRAINED.
# backbone and glp run the PyTorch twin under each peer: Debian's torch and,
# when the venv (scripts/bench-deps.sh) has torch >= 2, that torch eager and
# with torch.compile.
# Exit status 1 when any benchmark failed (the others still ran).
# Needs the build's Debian packages (scripts/install-deps.sh --test).
set -euo pipefail
cd "$(dirname "$0")/.."
exec /usr/bin/python3 benchmarks/harness/bench_all.py "$@"
