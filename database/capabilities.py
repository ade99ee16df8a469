"""What the SQLite library linked into this Python can do (for `leanagent doctor`).

The knowledge base needs JSON1 (JSON columns are queried with ``json_extract``); FTS5 is
reported because search features may use it. Probed on a throw-away in-memory database.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class SqliteCapabilities:
    version: str
    json1: bool
    fts5: bool
    error: str | None = None  # why JSON1 is missing, when it is


def sqlite_capabilities() -> SqliteCapabilities:
    conn = sqlite3.connect(":memory:")
    try:
        try:
            conn.execute("SELECT json('{}')")
        except sqlite3.Error as exc:
            return SqliteCapabilities(sqlite3.sqlite_version, json1=False, fts5=False, error=str(exc))
        try:
            conn.execute("CREATE VIRTUAL TABLE probe USING fts5(x)")
            fts5 = True
        except sqlite3.Error:
            fts5 = False
        return SqliteCapabilities(sqlite3.sqlite_version, json1=True, fts5=fts5)
    finally:
        conn.close()


__all__ = ["SqliteCapabilities", "sqlite_capabilities"]
