"""The ``source_attempts`` table: one row per attempt to add a source, any outcome.

`leanagent add` and `leanagent crawl` write it (the driver only, inside the same
transaction as the repository when one is added); the crawler reads it to skip, on a
rerun, what is already done.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any, Literal

from .store import Store, utcnow

AttemptStatus = Literal["added", "already", "failed", "skipped"]


@dataclass(frozen=True)
class SourceAttempt:
    source: str  # as given: a URL, a directory, an export
    origin: Literal["add", "crawl"]
    status: AttemptStatus
    url: str | None = None  # normalised, when known
    name: str | None = None
    commit: str | None = None
    tracer: str | None = None
    reason: str | None = None  # why it failed or was skipped
    retryable: bool = False  # a rerun should try it again (transient failure)
    repo_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)
    started_at: str | None = None
    finished_at: str | None = None


def record_attempt(conn: sqlite3.Connection, attempt: SourceAttempt) -> int:
    """Insert `attempt` on `conn` (inside the caller's transaction, if one is open)."""
    now = utcnow()
    cur = conn.execute(
        'INSERT INTO source_attempts (source, url, name, "commit", origin, tracer, status, reason, retryable, '
        "repo_id, details, started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            attempt.source, attempt.url, attempt.name, attempt.commit, attempt.origin, attempt.tracer,
            attempt.status, attempt.reason, int(attempt.retryable), attempt.repo_id,
            json.dumps(attempt.details, ensure_ascii=False, default=str),
            attempt.started_at or now, attempt.finished_at or now,
        ),
    )
    return int(cur.lastrowid or 0)


def add_attempt(store: Store, attempt: SourceAttempt) -> int:
    """Insert `attempt` in its own transaction."""
    with store.atomic():
        return record_attempt(store.conn, attempt)


def latest_attempts(store: Store) -> dict[str, dict[str, Any]]:
    """The newest attempt per URL (or per source when the URL is unknown)."""
    out: dict[str, dict[str, Any]] = {}
    for row in store.db.query(
        'SELECT id, source, url, name, "commit", origin, tracer, status, reason, retryable, repo_id, details, '
        "started_at, finished_at FROM source_attempts ORDER BY id"
    ):
        row = dict(row)
        row["retryable"] = bool(row["retryable"])
        row["details"] = json.loads(row["details"] or "{}")
        out[row["url"] or row["source"]] = row
    return out


def attempts(store: Store, *, status: AttemptStatus | None = None, limit: int | None = None
             ) -> list[dict[str, Any]]:
    """Attempts, newest first."""
    sql = ('SELECT id, source, url, name, "commit", origin, tracer, status, reason, retryable, repo_id, '
           "details, started_at, finished_at FROM source_attempts")
    params: list[Any] = []
    if status is not None:
        sql += " WHERE status = ?"
        params.append(status)
    sql += " ORDER BY id DESC"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    rows = []
    for row in store.db.query(sql, params):
        row = dict(row)
        row["retryable"] = bool(row["retryable"])
        row["details"] = json.loads(row["details"] or "{}")
        rows.append(row)
    return rows
