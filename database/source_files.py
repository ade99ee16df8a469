"""Reading files of a checkout nobody vetted.

A repository (a local directory, a clone of a URL, the ``--source`` of an export) is
input, not trusted code: a committed symbolic link can point anywhere
(``X.lean -> /etc/passwd``, ``.lake/packages/evil -> /``), a "file" can be a FIFO that
blocks a reader forever or ``/dev/zero``, and a real file can be 50 MB of one line.
`read_source` reads only a regular file whose resolved path stays inside the directory
it belongs to, and at most `MAX_SOURCE_BYTES`; anything else raises `Skipped` with the
reason, which the caller reports (the indexers store it as a diagnostic).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

#: Largest source file read (Mathlib's largest file is well under 1 MB; Lean core's
#: under 2 MB). Bigger ones are skipped and reported, so one huge file cannot stall an
#: import or exhaust memory.
MAX_SOURCE_BYTES = 8 * 1024 * 1024


class Skipped(Exception):
    """A file that is not read; ``reason`` says why (for a diagnostic)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def is_within(path: str | os.PathLike[str], root: str | os.PathLike[str]) -> bool:
    """Whether the resolved ``path`` is ``root`` or inside it (both resolved)."""
    p, r = os.path.realpath(path), os.path.realpath(root)
    return p == r or p.startswith(r.rstrip(os.sep) + os.sep)


def read_source(path: Path, *, within: Path, limit: int = MAX_SOURCE_BYTES) -> bytes:
    """The bytes of ``path`` if it is a regular file inside ``within`` (after resolving
    symbolic links) of at most ``limit`` bytes; else `Skipped`."""
    real = os.path.realpath(path)
    if not is_within(real, within):
        raise Skipped("a symbolic link to a file outside the repository: not read")
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below).
        fd = os.open(real, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise Skipped(f"cannot read file: {exc.strerror or exc}") from exc
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = ("a FIFO" if stat.S_ISFIFO(st.st_mode) else "a device" if stat.S_ISCHR(st.st_mode)
                    or stat.S_ISBLK(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode) else "not a file")
            raise Skipped(f"{kind}, not a regular file: not read")
        if st.st_size > limit:
            raise Skipped(f"{st.st_size:,} bytes, more than the {limit:,} read from one file: skipped")
        chunks: list[bytes] = []
        total = 0
        while total <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:  # it grew while being read
            raise Skipped(f"more than the {limit:,} bytes read from one file: skipped")
        return b"".join(chunks)
    except OSError as exc:
        raise Skipped(f"cannot read file: {exc.strerror or exc}") from exc
    finally:
        os.close(fd)
