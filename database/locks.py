"""Process locks that the operating system releases when their holder dies.

A `ProcessLock` is an advisory lock (``flock``) on a small file; while it is held the
file holds who holds it (`Holder`: PID, host, start time, command line), so that a
process that finds the lock taken can name the one that has it. The kernel drops the
lock when the holding process exits for any reason, SIGKILL included, so a lock never
outlives a crashed process and nothing has to guess from a PID whether its owner is
still alive (PIDs are reused; a lock is not).

Used for a lifelong run (one process per run name, see `database.runs`) and for imports
(``store.ingest``: two imports into one database take turns instead of timing out on
SQLite's write lock).

POSIX only (``fcntl``): elsewhere the lock is refused with a message rather than
silently not taken.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .clock import utcnow
from .errors import DatabaseError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


@dataclass(frozen=True)
class Holder:
    """Who holds a lock, as it wrote itself into the lock file."""

    pid: int | None
    host: str | None
    started_at: str | None
    command: str | None

    def describe(self) -> str:
        """``process 1234 on host, since 2026-01-01T10:00:00+00:00 (leanagent run ...)``."""
        parts = [f"process {self.pid if self.pid is not None else '?'}"]
        if self.host and self.host != socket.gethostname():
            parts.append(f"on {self.host}")
        if self.started_at:
            parts.append(f"since {self.started_at}")
        text = " ".join(parts)
        return f"{text} ({self.command})" if self.command else text

    @classmethod
    def read(cls, path: Path) -> Holder:
        try:
            data: Any = json.loads(path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            data = {}
        if not isinstance(data, dict):
            data = {}
        pid = data.get("pid")
        return cls(pid=pid if isinstance(pid, int) else None, host=_str(data.get("host")),
                   started_at=_str(data.get("started_at")), command=_str(data.get("command")))


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _command_line() -> str:
    argv = [os.path.basename(sys.argv[0]) if sys.argv else "python", *sys.argv[1:]]
    text = " ".join(argv)
    return text if len(text) <= 200 else text[:197] + "..."


class LockHeld(DatabaseError):
    """The lock is held by another process (`holder` says which)."""

    def __init__(self, path: Path, holder: Holder) -> None:
        super().__init__(f"{path} is locked by {holder.describe()}")
        self.path = path
        self.holder = holder


class ProcessLock:
    """An exclusive lock on ``path``, held until `release` or the process exits.

    >>> with ProcessLock(home / "locks" / "x.lock").acquired():   # doctest: +SKIP
    ...     ...
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._fh: IO[str] | None = None

    @property
    def held(self) -> bool:
        return self._fh is not None

    def _open(self) -> IO[str]:
        if fcntl is None:  # pragma: no cover - Windows
            raise DatabaseError("process locks need a POSIX system (fcntl); this platform has none")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # "a+": never truncates a file another process holds and writes into.
            return self.path.open("a+", encoding="utf-8")
        except OSError as exc:
            raise DatabaseError(f"cannot create the lock file {self.path}: {exc.strerror or exc}") from exc

    def try_acquire(self) -> bool:
        """Take the lock if it is free; True when taken."""
        if self._fh is not None:
            return True
        fh = self._open()
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            return False
        except OSError:
            fh.close()
            raise
        self._fh = fh
        self._write_holder(fh)
        return True

    def acquire(self, *, wait: bool = False, timeout: float | None = None,
                on_wait: Callable[[Holder], None] | None = None, poll: float = 0.2) -> None:
        """Take the lock. Without ``wait`` a held lock raises `LockHeld` at once; with it,
        wait (``on_wait`` is told once who holds it) until it is free or ``timeout``
        seconds have passed (then `LockHeld`)."""
        if self.try_acquire():
            return
        if not wait:
            raise LockHeld(self.path, Holder.read(self.path))
        told = False
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.try_acquire():
            if not told and on_wait is not None:
                on_wait(Holder.read(self.path))
                told = True
            if deadline is not None and time.monotonic() >= deadline:
                raise LockHeld(self.path, Holder.read(self.path))
            time.sleep(poll)

    def release(self) -> None:
        fh, self._fh = self._fh, None
        if fh is None:
            return
        with contextlib.suppress(OSError):
            fh.truncate(0)
            fh.flush()
        fh.close()  # closing the descriptor drops the lock

    @contextlib.contextmanager
    def acquired(self, **kwargs: Any) -> Iterator[ProcessLock]:
        self.acquire(**kwargs)
        try:
            yield self
        finally:
            self.release()

    def _write_holder(self, fh: IO[str]) -> None:
        info = {"pid": os.getpid(), "host": socket.gethostname(), "started_at": utcnow(),
                "command": _command_line()}
        with contextlib.suppress(OSError):
            fh.seek(0)
            fh.truncate(0)
            fh.write(json.dumps(info))
            fh.flush()


def holder_of(path: Path) -> Holder | None:
    """Who holds the lock at ``path`` now, or None when nobody does (the file may be
    left from a process that died: its lock died with it)."""
    if fcntl is None or not Path(path).exists():  # pragma: no cover - Windows
        return None
    try:
        # Read-only is enough for flock, and works in a home one may not write to.
        with Path(path).open(encoding="utf-8") as fh:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return Holder.read(Path(path))
            # It was free: closing the file lets it go again at once.
            return None
    except OSError:
        return None
