"""An import killed at any moment leaves the database as it was; a rerun completes."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from factories import generate_export


def _counts(db: Path) -> tuple:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        return tuple(
            conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
            for t in ("repositories", "files", "premises", "theorems", "tactic_steps", "premise_links")
        )
    finally:
        conn.close()


@pytest.mark.slow
def test_sigkill_during_import_leaves_database_unchanged(tmp_path: Path, fixtures: Path) -> None:
    export = generate_export(tmp_path / "export", theorems=15_000, files=300, premises=6_000)
    home = tmp_path / "home"
    env = {**os.environ, "LEANAGENT_HOME": str(home)}
    cmd = [sys.executable, "-m", "leanagent", "add"]
    # The database already holds a repository, which must survive untouched.
    subprocess.run([*cmd, str(fixtures / "exports/official_toy")], env=env, check=True, capture_output=True)
    db = home / "leanagent.db"
    before = _counts(db)

    # Kill points are set by progress, not by time (this machine is noisy): the
    # uncommitted import grows the WAL file; the full import writes ~45 MB of pages.
    wal = db.with_name(db.name + "-wal")
    for kill_at in (64 * 1024, 16 * 1024 * 1024):  # early (corpus), then well into the theorems
        proc = subprocess.Popen([*cmd, str(export)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            if wal.exists() and wal.stat().st_size >= kill_at:
                break
            time.sleep(0.005)
        assert proc.poll() is None, "import finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL
        assert _counts(db) == before  # nothing of the killed import is visible

    done = subprocess.run([*cmd, str(export), "--json"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    # 5 steps per theorem with 1, 2, 1, 2, 1 annotations: 7 links per theorem
    assert _counts(db) == (
        before[0] + 1,
        before[1] + 300,
        before[2] + 6_000,
        before[3] + 15_000,
        before[4] + 75_000,
        before[5] + 105_000,
    )
