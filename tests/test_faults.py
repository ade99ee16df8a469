"""Faults of the environment become messages (exit 1), never tracebacks, and never touch
stored data: a damaged database, a read-only home, a full disk, impossible paths."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from factories import generate_export

from database.store import Store
from leanagent.cli import main

REPO_ROOT = Path(__file__).resolve().parents[1]


def _run(home: Path, *args: str, readonly: bool = False) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LEANAGENT_HOME": str(home), "PYTHONDONTWRITEBYTECODE": "1"}
    cmd = [sys.executable, "-m", "leanagent", *args]
    if readonly and os.geteuid() == 0:
        # root ignores permissions: give the command its own mount namespace in which the
        # home is a read-only bind mount (gone when the command ends)
        cmd = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
               'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"', str(home), *cmd]
    return subprocess.run(cmd, env=env, cwd=REPO_ROOT, capture_output=True, text=True, check=False)


def _no_traceback(r: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in r.stderr, r.stderr


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def filled_home(tmp_path: Path, fixtures: Path) -> Path:
    home = tmp_path / "home"
    r = _run(home, "add", str(fixtures / "exports/leanagent_toy"))
    assert r.returncode == 0, r.stderr
    return home


# -- a damaged database ------------------------------------------------------------------------


def _damage_a_page(db: Path) -> None:
    """Overwrite one b-tree page in the middle of the file with garbage (a bad sector)."""
    with sqlite3.connect(db) as conn:
        page = conn.execute("PRAGMA page_size").fetchone()[0]
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.close()
    assert pages > 4
    with db.open("r+b") as fh:
        fh.seek(page * (pages // 2))
        fh.write(bytes((i * 37 + 11) % 256 for i in range(page)))


def test_a_damaged_page_is_refused_before_writing(filled_home: Path, fixtures: Path) -> None:
    db = filled_home / "leanagent.db"
    _damage_a_page(db)
    before = _digest(db)
    r = _run(filled_home, "add", str(fixtures / "exports/official_toy"))
    _no_traceback(r)
    assert r.returncode == 1
    assert "damaged" in r.stderr and "recover" in r.stderr and ".damaged" in r.stderr
    assert _digest(db) == before  # not written into


def test_a_truncated_database_is_a_message(filled_home: Path, fixtures: Path) -> None:
    db = filled_home / "leanagent.db"
    with db.open("r+b") as fh:
        fh.truncate(db.stat().st_size // 3)
    before = _digest(db)
    for args in (["repos"], ["theorems", "1"], ["add", str(fixtures / "exports/official_toy")]):
        r = _run(filled_home, *args)
        _no_traceback(r)
        assert r.returncode == 1, (args, r.stderr)
        assert "damaged" in r.stderr or "malformed" in r.stderr, r.stderr
    assert _digest(db) == before


def test_garbage_instead_of_a_database(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "leanagent.db").write_bytes(b"this is not a database" * 500)
    for args in (["repos"], ["train"], ["runs"]):
        r = _run(home, *args)
        _no_traceback(r)
        assert r.returncode == 1 and "damaged" in r.stderr, (args, r.stderr)


# -- a read-only home ----------------------------------------------------------------------------


def _can_make_readonly() -> str | None:
    """Why a read-only home cannot be made here, or None."""
    if os.geteuid() != 0:
        return None  # permissions do it
    if shutil.which("unshare") is None:
        return "running as root (who ignores permissions) and unshare(1) is missing"
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"], capture_output=True)
    if probe.returncode != 0:
        return "running as root (who ignores permissions) without the right to make a mount namespace"
    return None


@pytest.fixture
def readonly_home(filled_home: Path) -> Iterator[Path]:
    """The filled home, read-only for the commands run on it: permissions 0555/0444, and
    for root a read-only bind mount in the command's own mount namespace."""
    reason = _can_make_readonly()
    if reason:
        pytest.skip(f"cannot make a read-only home: {reason}")
    for p in filled_home.rglob("*"):
        p.chmod(0o444 if p.is_file() else 0o555)
    filled_home.chmod(0o555)
    try:
        yield filled_home
    finally:
        for p in [filled_home, *filled_home.rglob("*")]:
            p.chmod(p.stat().st_mode | stat.S_IWUSR)


def test_reading_a_readonly_home_works(readonly_home: Path) -> None:
    for args, expected in ((["repos"], "example-org/toy-lean"), (["theorems", "toy-lean"], "Toy.add_swap"),
                           (["runs"], "no runs yet")):
        r = _run(readonly_home, *args, readonly=True)
        assert r.returncode == 0, (args, r.stderr)
        assert expected in r.stdout + r.stderr, (args, r.stdout, r.stderr)


def test_writing_a_readonly_home_is_a_message(readonly_home: Path, fixtures: Path) -> None:
    r = _run(readonly_home, "add", str(fixtures / "exports/official_toy"), readonly=True)
    _no_traceback(r)
    assert r.returncode == 1 and "read-only" in r.stderr, r.stderr


# -- a full disk, impossible paths --------------------------------------------------------------------


def test_a_full_disk_is_a_message_and_changes_nothing(filled_home: Path, fixtures: Path, monkeypatch) -> None:
    """SQLite's own limit on the file's size stands in for the disk: the same error
    ("database or disk is full") on the same write path."""
    from leanagent import cli

    opened = cli.App.store

    def small_disk(self, *, readonly: bool = False):
        store = opened(self, readonly=readonly)
        pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
        store.conn.execute(f"PRAGMA max_page_count = {pages}")
        return store

    monkeypatch.setattr(cli.App, "store", small_disk)
    db = filled_home / "leanagent.db"
    with sqlite3.connect(db) as conn:
        count = conn.execute("SELECT COUNT(*) FROM theorems").fetchone()[0]
    export = generate_export(filled_home.parent / "big", theorems=400, files=20, premises=400)
    r = CliRunner().invoke(main, ["--home", str(filled_home), "add", str(export)])
    assert r.exit_code == 1, r.output
    assert isinstance(r.exception, SystemExit), r.exception  # a message, not an uncaught OperationalError
    assert "disk is full" in r.output
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM theorems").fetchone()[0] == count


def test_impossible_paths_are_messages(tmp_path: Path, filled_home: Path) -> None:
    afile = tmp_path / "a-file"
    afile.write_text("x")
    cases = [
        (["--home", str(afile / "sub"), "repos"], "is a file, not a directory"),
        (["--home", str(afile / "sub"), "add", "x"], "is a file, not a directory"),
        (["--home", str(filled_home), "export", "/proc/self/x"], "cannot write"),
        (["--home", str(filled_home), "export", str(afile / "x")], "cannot write"),
    ]
    for argv, expected in cases:
        r = subprocess.run([sys.executable, "-m", "leanagent", *argv], cwd=REPO_ROOT, capture_output=True,
                           text=True, check=False)
        _no_traceback(r)
        assert r.returncode == 1 and expected in r.stderr, (argv, r.stderr)


def test_sqlite_errors_and_os_errors_become_messages() -> None:
    """The mapping itself: locked, full, read-only and damaged each name the fix."""
    from database.errors import DatabaseBusy, DatabaseCorrupt, from_sqlite
    from leanagent.cli import os_error_message

    assert isinstance(from_sqlite(sqlite3.OperationalError("database is locked"), "x.db"), DatabaseBusy)
    assert isinstance(from_sqlite(sqlite3.DatabaseError("database disk image is malformed"), "x.db"),
                      DatabaseCorrupt)
    assert "read-only" in str(from_sqlite(sqlite3.OperationalError("attempt to write a readonly database")))
    assert "disk is full" in str(from_sqlite(sqlite3.OperationalError("database or disk is full")))
    assert "disk is full" in os_error_message(OSError(28, "No space left on device", "/x/y"))
    assert "/x/y" in os_error_message(OSError(13, "Permission denied", "/x/y"))


def test_a_fresh_store_in_an_unwritable_place_is_a_message(tmp_path: Path) -> None:
    from database.errors import DatabaseError

    with pytest.raises(DatabaseError):
        Store("/proc/self/leanagent.db")
