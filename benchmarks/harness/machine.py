"""benchmarks/harness/machine.py: what a benchmark run was measured on.

The header of bench.md/csv/json (docs/benchmarks.md, "One entry point"):
the date, the git commit and whether the tree was dirty, the machine (CPU,
cores, RAM, kernel, Debian, virtualised or not), the Debian versions of the
libraries the build links (dpkg), the torch version of the PyTorch peers,
the build's type and compiler, and the load average. Standard library only;
a fact that cannot be read is recorded as None, never guessed.
"""

import datetime
import os
import platform
import subprocess

# The libraries whose versions decide the figures, by Debian package.
# OpenBLAS: the build links the OpenMP variant (libopenblas0-openmp).
PACKAGES = {
    "openblas": "libopenblas0-openmp",
    "openblas_pthread": "libopenblas0-pthread",
    "onednn": "libdnnl2",
    "zeromq": "libzmq5",
    "msgpack": "libmsgpackc2",
    "jansson": "libjansson4",
    "python3_torch": "python3-torch",
    "python3_numpy": "python3-numpy",
}


def _run(argv, cwd=None, timeout=60, strip=str.strip):
    """stdout of argv (stripped), or None when it cannot run or fails."""
    try:
        p = subprocess.run(argv, cwd=cwd, capture_output=True, text=True,
                           timeout=timeout)
    except (OSError, subprocess.SubprocessError):
        return None
    return strip(p.stdout) if p.returncode == 0 else None


def _read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return None


def now_utc():
    return datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M:%S UTC")


def load_average():
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


def git_state(source_dir):
    """Commit, dirty flag (tracked files changed) and what is changed."""
    commit = _run(["git", "rev-parse", "HEAD"], cwd=source_dir)
    tracked = _run(["git", "status", "--porcelain", "--untracked-files=no"],
                   cwd=source_dir, strip=str.rstrip)  # "XY path": keep column 1
    untracked = _run(["git", "ls-files", "--others", "--exclude-standard"],
                     cwd=source_dir)
    changed = [line[3:] for line in (tracked or "").splitlines() if line]
    return {
        "commit": commit,
        "commit_short": commit[:12] if commit else None,
        "subject": _run(["git", "log", "-1", "--format=%s"], cwd=source_dir),
        "dirty": bool(changed) if tracked is not None else None,
        "changed_files": changed,
        "untracked_files": len((untracked or "").splitlines()),
    }


def _cpuinfo():
    text = _read("/proc/cpuinfo") or ""
    fields = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    flags = set(fields.get("flags", "").split())
    isa = [f for f in ("avx2", "fma", "avx512f", "avx512_bf16", "amx_tile")
           if f in flags]
    return fields.get("model name"), isa, "hypervisor" in flags


def _mem_gib():
    for line in (_read("/proc/meminfo") or "").splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 1048576, 1)
    return None


def _dpkg_versions():
    out = {}
    for key, package in PACKAGES.items():
        out[key] = _run(["dpkg-query", "-W", "-f", "${Version}", package]) or None
    return out


def _torch_version(python):
    return _run([python, "-c", "import torch; print(torch.__version__)"],
                timeout=120)


def _build_info(build_dir):
    cache = _read(os.path.join(build_dir, "CMakeCache.txt")) or ""
    info = {"dir": build_dir, "type": None, "c_compiler": None}
    for line in cache.splitlines():
        if line.startswith("CMAKE_BUILD_TYPE:"):
            info["type"] = line.split("=", 1)[1] or None
        elif line.startswith("CMAKE_C_COMPILER:"):
            info["c_compiler"] = line.split("=", 1)[1] or None
    if info["c_compiler"]:
        version = _run([info["c_compiler"], "--version"])
        info["c_compiler_version"] = version.splitlines()[0] if version else None
    return info


def machine():
    cpu, isa, virtual = _cpuinfo()
    debian = _read("/etc/debian_version")
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "isa": isa,
        "virtualised": virtual,
        "ram_gib": _mem_gib(),
        "kernel": platform.release(),
        "debian": debian.strip() if debian else None,
        "hostname": platform.node(),
    }


def header(source_dir, build_dir, python, threads):
    """Every fact of the header except the model and the end-of-run ones."""
    return {
        "date_utc": now_utc(),
        "git": git_state(source_dir),
        "machine": machine(),
        "libraries": _dpkg_versions(),
        "torch": _torch_version(python),
        "python": python,
        "build": _build_info(build_dir),
        "threads": threads,
        "load_average_start": load_average(),
    }


def summary(h):
    """One line naming the machine, for tables and the CSV."""
    m = h["machine"]
    return "%s, %s cores%s, %s GiB, Linux %s, Debian %s" % (
        m["cpu"], m["cores"], " (VM)" if m["virtualised"] else "",
        m["ram_gib"], m["kernel"], m["debian"])
