"""benchmarks/harness/runner.py: builds and runs one benchmark, keeps its
raw output.

run() starts a command in its own process group with stdout going verbatim
to raw/<name>.txt and stderr to raw/<name>.stderr.txt (removed when empty),
measures its wall time, the load average before and after, and the CPU
time others used meanwhile (the machine's busy time from /proc/stat minus
the benchmark's own, children included: the load average counts the
benchmark itself, this does not) and the time the hypervisor gave the
VM's cores to others (steal), and returns a record: status "ok" or "failed" (missing executable, non-zero exit,
timeout: the group is terminated, then killed), the exit code and the last
lines of stderr.
Nothing raises: a failure is data for the report, and the next benchmark
runs.
"""

import os
import resource
import shlex
import shutil
import signal
import subprocess
import time

from machine import load_average

STDERR_TAIL = 40  # lines of stderr kept in bench.json / bench.md


def tail(path, lines=STDERR_TAIL):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read().splitlines()
    except OSError:
        return []
    return text[-lines:]


def _cpu_s():
    """(busy, steal) seconds of CPU time of the whole machine (all cores)
    since boot, or (None, None) without /proc/stat."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()
    except OSError:
        return None, None
    if len(fields) < 9 or fields[0] != "cpu":
        return None, None
    user, nice, system, idle, iowait, irq, softirq, steal = (int(x) for x in fields[1:9])
    tick = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq) / tick, steal / tick


def _children_cpu_s():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _stop(p):
    """Ends the process group this module started (by its id)."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        try:
            os.killpg(p.pid, sig)
        except ProcessLookupError:
            return
        try:
            p.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def run(name, argv, raw_dir, timeout, cwd=None, env=None):
    out_path = os.path.join(raw_dir, name + ".txt")
    err_path = os.path.join(raw_dir, name + ".stderr.txt")
    record = {"name": name, "command": shlex.join(argv), "status": "failed",
              "exit_code": None, "wall_s": None, "raw": os.path.basename(out_path),
              "stderr": os.path.basename(err_path),
              "load_average_before": load_average(), "load_average_after": None,
              "stderr_tail": [], "why": None, "others_cpu_share": None,
              "steal_share": None}
    if not (os.path.isfile(argv[0]) and os.access(argv[0], os.X_OK)):
        record["why"] = "executable not found: %s" % argv[0]
        with open(err_path, "w") as f:
            f.write(record["why"] + "\n")
        record["stderr_tail"] = [record["why"]]
        return record
    start = time.monotonic()
    (busy0, steal0), mine0 = _cpu_s(), _children_cpu_s()
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        try:
            p = subprocess.Popen(argv, stdout=out, stderr=err, cwd=cwd, env=env,
                                 start_new_session=True)
        except OSError as error:
            err.write(("cannot start: %s\n" % error).encode())
            record["why"] = "cannot start: %s" % error
            p = None
        if p is not None:
            try:
                record["exit_code"] = p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _stop(p)
                record["why"] = "timed out after %d s (terminated)" % timeout
                err.write(("\n[bench harness] %s\n" % record["why"]).encode())
            except KeyboardInterrupt:
                _stop(p)
                raise
    record["wall_s"] = round(time.monotonic() - start, 3)
    record["load_average_after"] = load_average()
    (busy1, steal1), mine1 = _cpu_s(), _children_cpu_s()
    if busy0 is not None and busy1 is not None and record["wall_s"] > 0:
        cores_s = record["wall_s"] * (os.cpu_count() or 1)
        others = max(0.0, (busy1 - busy0) - (mine1 - mine0))
        record["others_cpu_share"] = round(others / cores_s, 3)
        record["steal_share"] = round((steal1 - steal0) / cores_s, 3)
    if record["exit_code"] == 0:
        record["status"] = "ok"
    elif record["why"] is None:
        record["why"] = "exit status %s" % record["exit_code"]
    record["stderr_tail"] = tail(err_path)
    if os.path.getsize(err_path) == 0:  # keep only the stderr that says something
        os.remove(err_path)
        record["stderr"] = None
    return record


def build(build_dir, targets, raw_dir, name, timeout):
    """cmake --build for `targets`; a run record like run()'s (raw name
    build-<name>)."""
    argv = [shutil.which("cmake") or "/usr/bin/cmake", "--build", build_dir, "-j2",
            "--target", *targets]
    return run("build-" + name, argv, raw_dir, timeout)
