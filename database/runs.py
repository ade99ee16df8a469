"""Lifelong runs: the ``runs`` and ``run_stages`` tables, and the only code that writes or
reads them.

A run is one row (its name, configuration as JSON, status); its progress is one
``run_stages`` row per (position, stage), whose ``info`` JSON holds the stage's results.
A stage is marked finished in one transaction together with whatever else its results
need written (``also``), so a process killed at any moment leaves either the whole
result or none of it (see `leanagent.lifelong`).

A run in progress holds its *run lock* (`Runs.lock`: a `database.locks.ProcessLock` in
``HOME/locks/``), which the operating system releases when the process ends, however
it ends. A second process continuing the same run is refused with the first one's PID
and start time; a run whose row still says ``running`` but whose lock nobody holds was
interrupted (killed, crashed) and is shown as such (`Runs.shown_status`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .clock import utcnow
from .errors import RunError
from .locks import LockHeld, ProcessLock, holder_of

if TYPE_CHECKING:
    from .store import Store


@dataclass(frozen=True, kw_only=True)
class Run:
    """One ``runs`` row."""

    id: int
    name: str
    config: dict[str, Any]
    status: str
    created_at: str
    updated_at: str

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True, kw_only=True)
class Stage:
    """One ``run_stages`` row."""

    position: int
    repo_id: int
    stage: str
    status: str
    info: dict[str, Any]
    started_at: str | None
    finished_at: str | None

    @property
    def finished(self) -> bool:
        return self.status in ("done", "skipped")

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _run(row: Sequence[Any]) -> Run:
    return Run(id=int(row[0]), name=str(row[1]), config=json.loads(row[2] or "{}"), status=str(row[3]),
               created_at=str(row[4]), updated_at=str(row[5]))


_RUN_COLUMNS = "id, name, config, status, created_at, updated_at"


class Runs:
    """The ``runs`` and ``run_stages`` tables (``store.runs``)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    # -- who is running a run ---------------------------------------------------------------

    def lock_path(self, name: str) -> Path | None:
        """The lock file of the run called ``name`` (None for an in-memory database)."""
        if self._store.path == ":memory:":
            return None
        slug = re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:60]
        digest = hashlib.sha256(name.encode()).hexdigest()[:10]
        return Path(self._store.path).resolve().parent / "locks" / f"run-{slug}-{digest}.lock"

    def lock(self, name: str) -> ProcessLock | None:
        """Take the run lock of ``name`` for this process; `RunError` naming the holder
        when another process has it. Release it with ``.release()`` (or let the process
        end)."""
        path = self.lock_path(name)
        if path is None:
            return None
        lock = ProcessLock(path)
        try:
            # A moment's wait: someone listing runs probes the lock for an instant.
            lock.acquire(wait=True, timeout=1.0)
        except LockHeld as exc:
            raise RunError(
                f"run '{name}' is already running in {exc.holder.describe()}: wait for it to finish (or stop "
                "that process), or start another run with --name NEW; `leanagent runs` shows its progress"
            ) from exc
        return lock

    def is_live(self, name: str) -> bool:
        """Whether some process holds the run lock of ``name`` now."""
        path = self.lock_path(name)
        return path is not None and holder_of(path) is not None

    def shown_status(self, run: Run) -> str:
        """The run's status, with ``running`` only while a process really runs it:
        a run left ``running`` by a process that died is ``interrupted``."""
        if run.status == "running" and not self.is_live(run.name):
            return "interrupted"
        return run.status

    # -- runs ----------------------------------------------------------------------------

    def get(self, name: str) -> Run | None:
        row = self._store.conn.execute(f"SELECT {_RUN_COLUMNS} FROM runs WHERE name = ?", (name,)).fetchone()
        return None if row is None else _run(row)

    def get_by_id(self, run_id: int) -> Run | None:
        row = self._store.conn.execute(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,)).fetchone()
        return None if row is None else _run(row)

    def latest(self) -> Run | None:
        """The most recently updated run."""
        row = self._store.conn.execute(
            f"SELECT {_RUN_COLUMNS} FROM runs ORDER BY updated_at DESC, id DESC LIMIT 1"
        ).fetchone()
        return None if row is None else _run(row)

    def all(self) -> list[Run]:
        """Every run, oldest first."""
        return [_run(r) for r in self._store.conn.execute(f"SELECT {_RUN_COLUMNS} FROM runs ORDER BY id")]

    def create(self, name: str, config: dict[str, Any]) -> int:
        now = utcnow()
        with self._store.atomic():
            cur = self._store.conn.execute(
                "INSERT INTO runs (name, config, status, created_at, updated_at) VALUES (?, ?, 'created', ?, ?)",
                (name, json.dumps(config, sort_keys=True), now, now),
            )
        return int(cur.lastrowid or 0)

    def set_config(self, run_id: int, config: dict[str, Any]) -> None:
        with self._store.atomic():
            self._store.conn.execute("UPDATE runs SET config = ? WHERE id = ?",
                                     (json.dumps(config, sort_keys=True), run_id))

    def set_status(self, run_id: int, status: str) -> None:
        with self._store.atomic():
            self._store.conn.execute("UPDATE runs SET status = ?, updated_at = ? WHERE id = ?",
                                     (status, utcnow(), run_id))

    # -- stages ----------------------------------------------------------------------------

    def stages(self, run_id: int) -> list[Stage]:
        """Every stage row of a run, by position (then stage name)."""
        return [
            Stage(position=int(pos), repo_id=int(repo_id), stage=str(stage), status=str(status),
                  info=json.loads(info or "{}"), started_at=started, finished_at=finished)
            for pos, repo_id, stage, status, info, started, finished in self._store.conn.execute(
                "SELECT position, repo_id, stage, status, info, started_at, finished_at FROM run_stages "
                "WHERE run_id = ? ORDER BY position, stage",
                (run_id,),
            )
        ]

    def mark_running(self, run_id: int, position: int, repo_id: int, stage: str) -> None:
        with self._store.atomic():
            self._store.conn.execute(
                "INSERT INTO run_stages (run_id, position, repo_id, stage, status, started_at) "
                "VALUES (?, ?, ?, ?, 'running', ?) ON CONFLICT (run_id, position, stage) "
                "DO UPDATE SET status = 'running', started_at = excluded.started_at",
                (run_id, position, repo_id, stage, utcnow()),
            )

    def mark_finished(
        self,
        run_id: int,
        position: int,
        repo_id: int,
        stage: str,
        info: dict[str, Any],
        *,
        status: str = "done",
        also: Callable[[], None] | None = None,
    ) -> None:
        """Record a finished stage and its results; ``also`` runs in the same transaction
        (e.g. tagging the evaluations the stage made)."""
        now = utcnow()
        conn = self._store.conn
        with self._store.atomic():
            conn.execute(
                "INSERT INTO run_stages (run_id, position, repo_id, stage, status, info, started_at, finished_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, position, stage) "
                "DO UPDATE SET status = excluded.status, info = excluded.info, finished_at = excluded.finished_at",
                (run_id, position, repo_id, stage, status, json.dumps(info, sort_keys=True, default=str), now, now),
            )
            conn.execute("UPDATE runs SET updated_at = ? WHERE id = ?", (now, run_id))
            if also is not None:
                also()
