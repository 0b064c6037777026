"""tests/python/pan_test_server.py: starts and stops a real pan-server for
the Python suites.

- server_path() is the pan-server binary: the first command-line argument
  (removed from sys.argv so unittest does not see it) or $PAN_SERVER.
- PanServer() runs `pan-server --bind tcp://127.0.0.1:* --ready-file
  DIR/ready --quiet` in a fresh temporary directory, waits for the ready
  file (the bound endpoint) and exposes .endpoint. stop() sends SIGTERM
  and returns the exit status (the suites require 0). The server's output
  goes to DIR/server.log, shown when it fails to start.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np

_SERVER = None


def server_path():
    global _SERVER
    if _SERVER is None:
        if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
            _SERVER = sys.argv.pop(1)
        else:
            _SERVER = os.environ.get("PAN_SERVER", "")
        if not _SERVER or not os.access(_SERVER, os.X_OK):
            raise SystemExit(f"FAILED: pan-server binary not found ({_SERVER!r}); "
                             "pass its path as the first argument or set "
                             "PAN_SERVER")
    return _SERVER


class PanServer:
    def __init__(self, *extra_args, start_timeout=30.0):
        self.dir = tempfile.mkdtemp(prefix="pan-pytest-")
        ready = os.path.join(self.dir, "ready")
        self.log_path = os.path.join(self.dir, "server.log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [server_path(), "--bind", "tcp://127.0.0.1:*", "--ready-file",
             ready, "--quiet", *extra_args],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + start_timeout
        self.endpoint = None
        while time.monotonic() < deadline:
            if os.path.exists(ready):
                with open(ready) as f:
                    text = f.read()
                if text.endswith("\n"):
                    self.endpoint = text.strip()
                    break
            if self.proc.poll() is not None:
                break
            time.sleep(0.01)
        if self.endpoint is None:
            self.proc.kill()
            self.proc.wait()
            self.log.close()
            with open(self.log_path, "rb") as f:
                log = f.read().decode(errors="replace")
            raise RuntimeError(f"pan-server did not start (exit "
                               f"{self.proc.returncode}); log:\n{log}")
        if not self.endpoint.startswith("tcp://127.0.0.1:") or \
                self.endpoint.endswith(":*"):
            raise RuntimeError(f"ready file holds {self.endpoint!r}, expected "
                               "the bound tcp://127.0.0.1:PORT")

    def alive(self):
        return self.proc.poll() is None

    def stop(self, timeout=30.0):
        """SIGTERM, wait, return the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self.log.close()
                raise RuntimeError("pan-server ignored SIGTERM for "
                                   f"{timeout} s")
        self.log.close()
        rc = self.proc.returncode
        if rc == 0:
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            with open(self.log_path, "rb") as f:
                sys.stderr.write(f.read().decode(errors="replace"))
        return rc


def clear_table(latent, keep=("red", "circle")):
    """The actions that remove every visible tabletop object but `keep`
    (from a (.., 73) true-state latent), so that a move of `keep` cannot be
    blocked: "remove the green square", ..."""
    from pan.agents.tabletop import read_state
    table = read_state(np.asarray(latent), 64, 64)
    return [f"remove the {c} {s}" for (c, s) in sorted(table.objects)
            if (c, s) != tuple(keep)]


def pad(rows, filler="wait"):
    """Pads per-env action lists to one length with `filler`; returns the
    steps as lists of N actions."""
    n = max((len(r) for r in rows), default=0)
    rows = [list(r) + [filler] * (n - len(r)) for r in rows]
    return [list(step) for step in zip(*rows)]
