"""Read-only queries the report and dashboard need, one function per question.

Nothing here writes. Every function works on a database at any schema version this
leanagent knows: tables added by a later migration (proof attempts, training curves)
read as empty on an older database, which `Store(readonly=True)` does not migrate.
Own and dependency rows are always counted apart (``is_dependency``), as in
`Store.repository_summary`.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .store import Repository, Store


def has_table(store: Store, name: str) -> bool:
    row = store.conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone()
    return row is not None


def _loads(text: str | None) -> Any:
    try:
        return json.loads(text or "{}")
    except ValueError:
        # A malformed JSON column is shown as stored rather than failing the whole page.
        return {"unparsed": text}


def counts_by_repo(store: Store) -> dict[int, dict[str, int]]:
    """Per repository: theorems, sorry theorems, agent-proved theorems, sorry
    declarations, theorems with a stored proof, proof attempts and diagnostics, each
    as ``own_*`` and ``dep_*`` (diagnostics: repository-wide)."""
    out: dict[int, dict[str, int]] = {}

    def put(repo_id: int, is_dep: int, **values: int) -> None:
        side = "dep" if is_dep else "own"
        row = out.setdefault(repo_id, {})
        for k, v in values.items():
            row[f"{side}_{k}"] = int(v or 0)

    q = store.conn.execute
    for rid, dep, n, sorry, proved in q(
        "SELECT rf.repo_id, rf.is_dependency, COUNT(*), SUM(t.status = 'sorry'), "
        "SUM(t.status = 'proved_by_agent') FROM repo_files rf JOIN theorems t ON t.file_id = rf.file_id "
        "GROUP BY rf.repo_id, rf.is_dependency"
    ):
        put(rid, dep, theorems=n, sorry_theorems=sorry, proved_by_agent=proved)
    for rid, dep, n in q(
        "SELECT rf.repo_id, rf.is_dependency, COUNT(DISTINCT s.file_id || ':' || s.decl_line || ':' || "
        "s.decl_col || ':' || s.declaration) FROM repo_files rf JOIN sorries s ON s.file_id = rf.file_id "
        "GROUP BY rf.repo_id, rf.is_dependency"
    ):
        put(rid, dep, sorry_declarations=n)
    for rid, dep, n in q(
        "SELECT rf.repo_id, rf.is_dependency, COUNT(DISTINCT p.theorem_id) FROM proofs p "
        "JOIN theorems t ON t.id = p.theorem_id JOIN repo_files rf ON rf.file_id = t.file_id "
        "GROUP BY rf.repo_id, rf.is_dependency"
    ):
        put(rid, dep, proved_theorems=n)
    if has_table(store, "proof_attempts"):
        for rid, dep, n in q(
            "SELECT rf.repo_id, rf.is_dependency, COUNT(*) FROM proof_attempts a "
            "JOIN theorems t ON t.id = a.theorem_id JOIN repo_files rf ON rf.file_id = t.file_id "
            "GROUP BY rf.repo_id, rf.is_dependency"
        ):
            put(rid, dep, attempts=n)
    for rid, n in q("SELECT repo_id, COUNT(*) FROM diagnostics GROUP BY repo_id"):
        out.setdefault(rid, {})["diagnostics"] = int(n)
    return out


def runs(store: Store) -> list[dict[str, Any]]:
    """Every run, oldest first, with its parsed config. A run whose row says "running"
    but whose process is gone (nobody holds its lock) is "interrupted"."""
    rows = store.conn.execute("SELECT id, name, config, status, created_at, updated_at FROM runs ORDER BY id")
    return [
        {"id": i, "name": n, "config": _loads(c),
         "status": "interrupted" if s == "running" and not store.runs.is_live(n) else s,
         "created_at": ca, "updated_at": ua}
        for i, n, c, s, ca, ua in rows
    ]


def run_stages(store: Store, run_id: int) -> list[dict[str, Any]]:
    """The stage rows of one run, by position then start time."""
    rows = store.conn.execute(
        "SELECT position, repo_id, stage, status, info, started_at, finished_at FROM run_stages "
        "WHERE run_id = ? ORDER BY position, started_at",
        (run_id,),
    )
    return [
        {"position": p, "repo_id": r, "stage": s, "status": st, "info": _loads(i), "started_at": a,
         "finished_at": f}
        for p, r, s, st, i, a, f in rows
    ]


def theorem_activity(store: Store, repo: Repository) -> dict[int, dict[str, Any]]:
    """Per own theorem of ``repo`` that was attempted or proved: attempt count, the
    last attempt's status and stop reason, and the number of stored proofs."""
    out: dict[int, dict[str, Any]] = {}
    q = store.conn.execute
    if has_table(store, "proof_attempts"):
        for tid, n, status, reason in q(
            "SELECT a.theorem_id, COUNT(*), "
            "(SELECT b.status FROM proof_attempts b WHERE b.theorem_id = a.theorem_id ORDER BY b.id DESC LIMIT 1), "
            "(SELECT b.stop_reason FROM proof_attempts b WHERE b.theorem_id = a.theorem_id "
            " ORDER BY b.id DESC LIMIT 1) "
            "FROM proof_attempts a JOIN theorems t ON t.id = a.theorem_id "
            "JOIN repo_files rf ON rf.file_id = t.file_id AND rf.repo_id = ? AND rf.is_dependency = 0 "
            "GROUP BY a.theorem_id",
            (repo.id,),
        ):
            out[tid] = {"attempts": n, "last_status": status, "last_stop_reason": reason, "proofs": 0}
    for tid, n in q(
        "SELECT p.theorem_id, COUNT(*) FROM proofs p JOIN theorems t ON t.id = p.theorem_id "
        "JOIN repo_files rf ON rf.file_id = t.file_id AND rf.repo_id = ? AND rf.is_dependency = 0 "
        "GROUP BY p.theorem_id",
        (repo.id,),
    ):
        out.setdefault(tid, {"attempts": 0, "last_status": None, "last_stop_reason": None})["proofs"] = n
    return out


def proofs_of_repo(store: Store, repo: Repository) -> list[dict[str, Any]]:
    """Proofs stored for the repository's own theorems, newest first, with the attempt
    that found each (verification and search statistics) where it is recorded."""
    with_attempts = has_table(store, "proof_attempts")
    attempt_cols = (
        "a.verification, a.stop_reason, a.nodes_expanded, a.lean_calls, a.seconds, a.backend, a.generator"
        if with_attempts
        else "NULL, NULL, NULL, NULL, NULL, NULL, NULL"
    )
    join = "LEFT JOIN proof_attempts a ON a.id = p.attempt_id " if with_attempts else ""
    depends = "p.depends_on_sorry" if with_attempts else "0"
    rows = store.conn.execute(
        f"SELECT p.id, p.theorem_id, t.full_name, f.path, t.start_line, p.proof, p.checked_by, "
        f"p.checkpoint_id, r.name, p.stats, p.found_at, {depends}, {attempt_cols} "
        "FROM proofs p JOIN theorems t ON t.id = p.theorem_id JOIN files f ON f.id = t.file_id "
        "JOIN repo_files rf ON rf.file_id = t.file_id AND rf.repo_id = ? AND rf.is_dependency = 0 "
        f"LEFT JOIN runs r ON r.id = p.run_id {join}ORDER BY p.id DESC",
        (repo.id,),
    )
    keys = ("id", "theorem_id", "theorem", "file", "line", "proof", "checked_by", "checkpoint_id", "run",
            "stats", "found_at", "depends_on_sorry", "verification", "stop_reason", "nodes_expanded",
            "lean_calls", "seconds", "backend", "generator")
    out = []
    for row in rows:
        d = dict(zip(keys, row, strict=True))
        d["stats"] = _loads(d["stats"])
        out.append(d)
    return out


def evaluations_of_repo(store: Store, repo: Repository) -> list[dict[str, Any]]:
    """Every retrieval evaluation stored for the repository, oldest first."""
    rows = store.conn.execute(
        "SELECT e.id, e.checkpoint_id, e.method, e.scheme, e.split, e.r1, e.r10, e.mrr, e.num_queries, "
        "r.name, e.created_at FROM evaluations e LEFT JOIN runs r ON r.id = e.run_id WHERE e.repo_id = ? "
        "ORDER BY e.id",
        (repo.id,),
    )
    keys = ("id", "checkpoint_id", "method", "scheme", "split", "r1", "r10", "mrr", "num_queries", "run",
            "created_at")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def proof_attempts(store: Store) -> list[dict[str, Any]]:
    """Every proof attempt, oldest first, with its theorem, the repository that owns the
    theorem's file (None for a dependency theorem) and the run's name."""
    if not has_table(store, "proof_attempts"):
        return []
    rows = store.conn.execute(
        "SELECT a.id, a.theorem_id, t.full_name, "
        "(SELECT rf.repo_id FROM repo_files rf WHERE rf.file_id = t.file_id AND rf.is_dependency = 0 LIMIT 1), "
        "r.name, a.checkpoint_id, a.purpose, a.backend, a.generator, a.lean_version, a.status, a.stop_reason, "
        "a.verification, a.nodes_expanded, a.lean_calls, a.seconds, a.generator_seconds, a.lean_seconds, "
        "a.started_at, a.finished_at "
        "FROM proof_attempts a JOIN theorems t ON t.id = a.theorem_id LEFT JOIN runs r ON r.id = a.run_id "
        "ORDER BY a.id"
    )
    keys = ("id", "theorem_id", "theorem", "repo_id", "run", "checkpoint_id", "purpose", "backend", "generator",
            "lean_version", "status", "stop_reason", "verification", "nodes_expanded", "lean_calls", "seconds",
            "generator_seconds", "lean_seconds", "started_at", "finished_at")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def checkpoints(store: Store) -> list[dict[str, Any]]:
    """Every checkpoint, oldest first, with its parsed config (what training recorded)."""
    rows = store.conn.execute(
        "SELECT id, parent_id, path, model_name, data_fingerprint, config, created_at FROM checkpoints ORDER BY id"
    )
    return [
        {"id": i, "parent_id": p, "path": path, "model_name": m, "data_fingerprint": fp, "config": _loads(c),
         "created_at": ca}
        for i, p, path, m, fp, c, ca in rows
    ]


def training_steps(store: Store) -> list[tuple[int, int, float, float | None, float | None, int | None]]:
    """(checkpoint_id, step, loss, lr, seconds, examples) for every optimiser step."""
    if not has_table(store, "training_steps"):
        return []
    return list(store.conn.execute(
        "SELECT checkpoint_id, step, loss, lr, seconds, examples FROM training_steps ORDER BY checkpoint_id, step"
    ))


def dependency_theorem_count(store: Store) -> int:
    """Dependency theorems in the database, each counted once (dependency files are shared
    between repositories)."""
    row = store.conn.execute(
        "SELECT COUNT(DISTINCT t.id) FROM repo_files rf JOIN theorems t ON t.file_id = rf.file_id "
        "WHERE rf.is_dependency = 1"
    ).fetchone()
    return int(row[0] or 0)


class DataVersionWatcher:
    """``PRAGMA data_version`` of one read-only connection, shared by request threads: it
    changes whenever another connection commits (how the dashboard notices new data)."""

    def __init__(self, db_path: str) -> None:
        self._conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, check_same_thread=False)
        self._lock = threading.Lock()

    def version(self) -> str:
        with self._lock:
            return str(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()
