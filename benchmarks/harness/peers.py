"""benchmarks/harness/peers.py: the PyTorch peers of the backbone and glp
benchmarks (docs/benchmarks.md, "PyTorch peers").

A peer is NAME=PYTHON[:compile], as pan-bench-backbone and pan-bench-glp
take it (--peer): an interpreter whose torch runs the twin eagerly, or with
torch.compile. The harness's default peers:
  debian   /usr/bin/python3 (Debian's python3-torch; --python changes it)
and, when the project's venv ($PAN_VENV, else SOURCE/.venv) has a python
whose torch is >= 2 (scripts/bench-deps.sh installs it):
  eager    VENV/bin/python
  compile  VENV/bin/python:compile
Each peer's torch.__version__ is asked of its interpreter for the header.
"""

import os
import subprocess

COMPILE = ":compile"


def parse(spec):
    """{"name", "python", "compile", "spec"} of NAME=PYTHON[:compile]; raises
    ValueError."""
    name, eq, python = spec.partition("=")
    if not eq or not name or not python or any(c in name for c in " ,\t"):
        raise ValueError("--peer %s: expected NAME=PYTHON or NAME=PYTHON:compile "
                         "(a name without spaces or commas)" % spec)
    compiled = python.endswith(COMPILE) and len(python) > len(COMPILE)
    if compiled:
        python = python[:-len(COMPILE)]
    return {"name": name, "python": python, "compile": compiled, "spec": spec}


def torch_version(python):
    """torch.__version__ under `python`, or None (no interpreter, no torch)."""
    try:
        p = subprocess.run([python, "-c", "import torch; print(torch.__version__)"],
                           capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = p.stdout.split()
    return lines[-1] if p.returncode == 0 and lines else None


def venv_python(source_dir):
    venv = os.environ.get("PAN_VENV") or os.path.join(source_dir, ".venv")
    return os.path.join(venv, "bin", "python")


def defaults(source_dir, python):
    """(peers, note): Debian's, and the venv's eager and compile peers when
    its torch is >= 2; the note says why the venv's are missing, if they are."""
    peers = [parse("debian=%s" % python)]
    venv = venv_python(source_dir)
    if not os.access(venv, os.X_OK):
        return peers, "no venv peers: %s does not exist (scripts/bench-deps.sh makes it)" % venv
    version = torch_version(venv)
    if not version:
        return peers, "no venv peers: %s cannot import torch (scripts/bench-deps.sh)" % venv
    try:
        major = int(version.split(".")[0])
    except ValueError:
        major = 0
    if major < 2:
        return peers, "no venv peers: %s has torch %s, not >= 2" % (venv, version)
    return peers + [parse("eager=%s" % venv), parse("compile=%s%s" % (venv, COMPILE))], None


def describe(peers):
    """The peers with their torch versions (one query per interpreter)."""
    versions = {}
    out = []
    for p in peers:
        if p["python"] not in versions:
            versions[p["python"]] = torch_version(p["python"])
        out.append(dict(p, torch=versions[p["python"]]))
    return out


def label(p):
    return "%s: torch %s under %s, %s" % (
        p["name"], p.get("torch") or "not importable", p["python"],
        "torch.compile (inductor)" if p["compile"] else "eager")
