"""The reaper of a local Ray whose driver died without stopping it.

A local Ray started by `leanagent.distributed.runtime` is stopped by the command that
started it -- unless that process is killed outright (SIGKILL, the out-of-memory
killer), when nothing in it runs. Ray's GCS and raylet then go, but not everything:
measured with Ray 2.60, its ``RuntimeEnvAgent`` and ``DashboardAgent`` stayed alive
(re-parented to init) after the driver was SIGKILLed, and a proving worker's Lean
backend, which runs in a session of its own (`prover.lean.processes`), is no child of
anything that Ray kills. So the runtime starts this small process beside its Ray: it
watches its parent, the driver, and keeps a list of that Ray's processes (every process
whose command line names Ray's temporary directory, and all their descendants, with
their start times so that a reused pid is never touched). When the driver is gone it
kills what is left on the list, each with its process group when it leads one, and
removes the temporary directory if leanagent created it. When the driver stops Ray
itself, it stops the reaper first.

Its settings come on stdin, not on its command line: the driver's own clean-up finds
Ray's processes by the temporary directory in their command lines, and must not find
the reaper among them.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import sys
import time
from pathlib import Path

#: Seconds between two looks at the driver and Ray's processes.
POLL_SECONDS = 1.0


def _scan(temp_dir: str, seen: dict[int, float]) -> None:
    from .runtime import _processes_under

    for p in _processes_under(Path(temp_dir)):
        with contextlib.suppress(Exception):
            seen.setdefault(p.pid, p.create_time())


def _kill(seen: dict[int, float]) -> None:
    import psutil

    procs = []
    for pid, started in seen.items():
        with contextlib.suppress(psutil.Error, OSError):
            p = psutil.Process(pid)
            if p.create_time() != started:
                continue  # the pid was reused: not ours
            if os.getpgid(pid) == pid:
                os.killpg(pid, signal.SIGKILL)
            else:
                p.kill()
            procs.append(p)
    psutil.wait_procs(procs, timeout=10)


def main() -> int:
    settings = json.loads(sys.stdin.readline())
    driver, temp_dir, remove = int(settings["driver"]), str(settings["temp_dir"]), bool(settings["remove"])
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C is the driver's to handle
    seen: dict[int, float] = {}
    while os.getppid() == driver:
        _scan(temp_dir, seen)
        time.sleep(POLL_SECONDS)
    _scan(temp_dir, seen)  # what is still findable, then everything ever seen
    _kill(seen)
    if remove:
        shutil.rmtree(temp_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
