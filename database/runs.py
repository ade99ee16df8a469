"""Lifelong runs: the ``runs`` and ``run_stages`` tables, and the only code that writes or
reads them.

A run is one row (its name, configuration as JSON, status); its progress is one
``run_stages`` row per (position, stage), whose ``info`` JSON holds the stage's results.
A stage is marked finished in one transaction together with whatever else its results
need written (``also``), so a process killed at any moment leaves either the whole
result or none of it (see `leanagent.lifelong`).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .clock import utcnow

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
