"""Child processes that do not outlive their parent.

A pool worker (the static indexer's parsers) waits for work on a pipe; when its parent
is killed with SIGKILL nobody tells it to stop, and it lives on under PID 1, idle,
holding whatever the parent had open (the database among them). `die_with_parent`, run
as the worker's initializer, prevents that:

* on Linux the kernel sends the worker SIGKILL when its parent thread exits
  (``prctl(PR_SET_PDEATHSIG)``, see prctl(2));
* everywhere, a daemon thread polls the parent PID and exits the worker when the parent
  is gone (reparented workers see another PID).

Both check once right away, for a parent that died before the worker got to run.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

#: From <linux/prctl.h>.
_PR_SET_PDEATHSIG = 1
#: How often the portable watchdog looks at the parent PID.
WATCH_INTERVAL = 1.0


def _set_parent_death_signal() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    with contextlib.suppress(OSError, AttributeError, TypeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return int(libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)) == 0
    return False


def _watch(parent_pid: int, interval: float) -> None:
    while True:
        time.sleep(interval)
        if os.getppid() != parent_pid:
            os._exit(1)  # the parent is gone: nothing is waiting for our results


def die_with_parent(parent_pid: int, interval: float = WATCH_INTERVAL) -> None:
    """Make this (child) process exit when the process ``parent_pid`` ends."""
    _set_parent_death_signal()
    if os.getppid() != parent_pid:  # it already ended
        os._exit(1)
    threading.Thread(target=_watch, args=(parent_pid, interval), name="parent-watchdog", daemon=True).start()
