"""Child processes for Lean: started in their own session (so that ``lake`` and the
Lean process it spawns are killed together), never left behind.

`lake env X` runs X as a *child* of lake, so killing only the process we started would
orphan Lean; every kill here goes to the whole process group.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO


def spawn(command: Sequence[str], *, cwd: Path, stderr: IO[bytes]) -> subprocess.Popen[bytes]:
    """Start ``command`` in ``cwd`` with pipes for stdin/stdout, ``stderr`` to a file,
    in a new session. Raises FileNotFoundError / PermissionError as Popen does."""
    return subprocess.Popen(
        list(command),
        cwd=str(cwd),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=stderr,
        start_new_session=True,
        bufsize=0,
    )


def kill_tree(proc: subprocess.Popen[bytes], *, grace: float = 0.0) -> int | None:
    """Kill ``proc`` and everything in its process group; reap it; return its exit code.

    The group id is the leader's pid; Linux does not hand that id to a new process while
    any member of the group is alive, so signalling it after the leader died still
    reaches only what this process started."""
    if proc.poll() is None and grace > 0:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # the group outlives its leader: kill it anyway
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
    try:
        return proc.wait(timeout=10)
    except subprocess.TimeoutExpired:  # pragma: no cover - a zombie that SIGKILL did not end
        return None


def tree_rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and its descendants, in MiB (0 if it is gone)."""
    import psutil

    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total / (1024 * 1024)


def describe_exit(code: int | None) -> str:
    if code is None:
        return "did not exit"
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
        hint = " (killed: probably out of memory)" if -code == signal.SIGKILL else ""
        return f"killed by {name}{hint}"
    if code == 137:
        return "exit status 137 (killed: probably out of memory)"
    return f"exit status {code}"


@dataclass(frozen=True)
class Completed:
    returncode: int | None
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool


def run(command: Sequence[str], *, cwd: Path, timeout: float) -> Completed:
    """Run ``command`` to completion (or kill its whole group after ``timeout`` s)."""
    start = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(list(command), cwd=str(cwd), stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                start_new_session=True)
        timed_out = False
        try:
            code: int | None = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            kill_tree(proc)
            code = None
        except BaseException:
            kill_tree(proc)
            raise
        out.seek(0)
        err.seek(0)
        return Completed(code, out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"),
                         time.monotonic() - start, timed_out)
