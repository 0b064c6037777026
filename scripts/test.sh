#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds (build/), runs ctest.
# Extra arguments go to ctest (e.g. -L unit).
# The gymnasium suites (tests/python) run under the project's Python venv:
# configured with -DPAN_VENV_PYTHON=$(scripts/venv.sh --python), and made or
# updated with `scripts/venv.sh gym` (gymnasium and moviepy from PyPI) when
# a test that ctest is about to run uses that interpreter, so `-L unit`
# (scripts/check-fresh.sh -- -L unit) needs neither PyPI nor the venv. The
# selection is ctest's own (--show-only with the same arguments).
# Environment:
#   PAN_SKIP_TORCH=1   do not install python3-torch and leave out, with a
#                      message naming them, the tests that need it: those that
#                      run a PyTorch twin in tests/reference/ and those that
#                      require a fixture one of them writes (ctest -E; an -E
#                      of yours is combined with it). Everything else (build,
#                      unit, e2e, the backend parity suite) still runs.
#                      scripts/check-fresh.sh uses it.
#   PAN_VENV           where the venv lives (scripts/venv.sh; default .venv)
#   PAN_SLOW=1         also run the suites labelled `slow` (PPO from
#                      stable-baselines3, RLlib with several env runners:
#                      minutes each), and install the venv's rl and ray groups
#                      for them (PyTorch from PyPI, ~5 GiB). Without it
#                      ctest gets -LE slow (unless you pass an -LE yourself).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
venv_python=$(scripts/venv.sh --python)
[[ $venv_python == /* ]] || venv_python=$PWD/$venv_python  # ctest runs in build/
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DPAN_VENV_PYTHON="$venv_python" >/dev/null
cmake --build build -j"$(nproc)"

args=("$@")
if [[ "${PAN_SKIP_TORCH:-0}" == 1 ]]; then
  torch_tests=$(ctest --test-dir build --show-only=json-v1 | python3 -c '
import json, os, sys
tests = json.load(sys.stdin)["tests"]
props = lambda t: {p["name"]: p["value"] for p in t.get("properties", [])}
torch = {t["name"] for t in tests
         if any("/tests/reference/" in os.path.normpath(a) for a in t.get("command", []))}
while True:  # and whatever requires a fixture set up by one of them
    fixtures = {f for t in tests if t["name"] in torch for f in props(t).get("FIXTURES_SETUP", [])}
    more = {t["name"] for t in tests if fixtures & set(props(t).get("FIXTURES_REQUIRED", []))}
    if more <= torch:
        break
    torch |= more
print(" ".join(sorted(torch)))')
  if [[ -n "$torch_tests" ]]; then
    echo "pan: PAN_SKIP_TORCH=1: SKIPPING the tests that need python3-torch: $torch_tests"
    exclude="^($(tr ' ' '|' <<<"$torch_tests"))\$"
    args=()  # ctest takes one -E: fold the caller's into ours
    while [[ $# -gt 0 ]]; do
      if [[ ( $1 == -E || $1 == --exclude-regex ) && $# -ge 2 ]]; then
        exclude="($2)|$exclude"
        shift 2
      else
        args+=("$1")
        shift
      fi
    done
    args+=(-E "$exclude")
  fi
fi

venv_groups=(gym)
if [[ "${PAN_SLOW:-0}" == 1 ]]; then
  venv_groups=(gym rl ray)
else
  has_le=0
  for a in "${args[@]}"; do
    [[ $a == -LE || $a == --label-exclude ]] && has_le=1
  done
  if [[ $has_le == 0 ]]; then
    echo "pan: leaving out the suites labelled slow (PAN_SLOW=1 runs them)"
    args+=(-LE slow)
  fi
fi

# The venv, when a selected test runs its interpreter (PAN_VENV_PYTHON).
if ctest --test-dir build --show-only=json-v1 "${args[@]}" | PAN_PY="$venv_python" python3 -c '
import json, os, sys
tests = json.load(sys.stdin)["tests"]
sys.exit(0 if any(os.environ["PAN_PY"] in t.get("command", []) for t in tests) else 1)'; then
  scripts/venv.sh "${venv_groups[@]}"
fi
ctest --test-dir build --output-on-failure -j"$(nproc)" "${args[@]}"
