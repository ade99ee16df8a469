"""Proof attempts and accepted proofs (tables ``proof_attempts`` and ``proofs``,
migration 2): `ProofAttempts` (``store.proof_attempts``) is the one writer of both, and
holds the queries that read them.

One `ProofAttempts.record` call is one transaction: the attempt row; for a proof of a
``sorry`` theorem that Lean accepted in its file, the ``proofs`` row pointing at it and
the theorem's status moving to ``proved_by_agent``. A process killed at any moment
leaves either all of it or none of it. Evaluation attempts (re-proving theorems that
already have a proof, for Pass@1) keep their proof in ``proof_attempts.proof`` and
never touch ``proofs`` or a theorem's status.

Column meanings (what the report and dashboard read):

* ``status`` -- ``proved``: Lean accepted the proof in context (``verification`` is
  ``accepted``); ``failed``: no proof, or one Lean rejected (``verification`` is
  ``rejected``); ``error``: the attempt could not be made or judged (the theorem did not
  open, Lean could not continue, or the check itself failed: ``verification`` ``error``);
* ``stop_reason`` -- why search stopped (`prover.search.StopReason`);
* ``verification`` -- ``accepted`` / ``rejected`` / ``error``; NULL when search found
  no proof to check;
* ``proof`` -- the tactics found, one per line, as searched (also when rejected);
* ``details`` -- JSON: the search statistics, the open failure's reason and message,
  the verification's reason, message and axioms, the generator's precision.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import DatabaseError

if TYPE_CHECKING:
    from .store import Repository, Store

PURPOSES = ("sorry", "evaluate")
STATUSES = ("proved", "failed", "error")
VERIFICATIONS = ("accepted", "rejected", "error")


@dataclass(frozen=True, kw_only=True)
class AttemptRecord:
    """One finished attempt on one theorem, as the driver writes it."""

    theorem_id: int
    purpose: str
    backend: str
    generator: str
    status: str
    stop_reason: str
    started_at: str
    finished_at: str
    run_id: int | None = None
    checkpoint_id: int | None = None
    lean_version: str | None = None
    verification: str | None = None
    proof: str | None = None
    nodes_expanded: int = 0
    lean_calls: int = 0
    seconds: float = 0.0
    generator_seconds: float = 0.0
    lean_seconds: float = 0.0
    details: Mapping[str, Any] = field(default_factory=dict)
    depends_on_sorry: bool = False
    checked_by: str | None = None  # how the accepted proof was checked (e.g. "lake env lean 4.9.0")

    def __post_init__(self) -> None:
        if self.purpose not in PURPOSES:
            raise DatabaseError(f"proof attempt purpose must be one of {PURPOSES}, not {self.purpose!r}")
        if self.status not in STATUSES:
            raise DatabaseError(f"proof attempt status must be one of {STATUSES}, not {self.status!r}")
        if self.verification is not None and self.verification not in VERIFICATIONS:
            raise DatabaseError(f"verification must be one of {VERIFICATIONS}, not {self.verification!r}")
        if self.status == "proved" and (self.verification != "accepted" or not self.proof):
            raise DatabaseError("a proved attempt needs a proof that verification accepted")
        if self.verification == "accepted" and self.status != "proved":
            raise DatabaseError("an accepted proof is a proved attempt")


@dataclass(frozen=True)
class RecordedAttempt:
    attempt_id: int
    proof_id: int | None  # the `proofs` row, for an accepted proof of a sorry theorem
    status_changed: bool  # the theorem moved from `sorry` to `proved_by_agent`


@dataclass(frozen=True)
class StoredProof:
    """An accepted proof of a sorry theorem, with where its theorem is."""

    proof_id: int
    theorem_id: int
    full_name: str
    file: str
    content_hash: str
    statement: str | None
    start: tuple[int, int]
    end: tuple[int, int]
    proof: str
    depends_on_sorry: bool
    found_at: str


class ProofAttempts:
    """The ``proof_attempts`` and ``proofs`` tables (``store.proof_attempts``)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def record(self, attempt: AttemptRecord) -> RecordedAttempt:
        """Write one attempt (and, for an accepted proof of a sorry theorem, its proof and the
        theorem's new status) in one transaction."""
        a = attempt
        with self._store.atomic():
            cur = self._store.conn.execute(
                "INSERT INTO proof_attempts (theorem_id, run_id, checkpoint_id, purpose, backend, generator, "
                "lean_version, status, stop_reason, verification, proof, nodes_expanded, lean_calls, seconds, "
                "generator_seconds, lean_seconds, details, started_at, finished_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (a.theorem_id, a.run_id, a.checkpoint_id, a.purpose, a.backend, a.generator, a.lean_version, a.status,
                 a.stop_reason, a.verification, a.proof, a.nodes_expanded, a.lean_calls, a.seconds,
                 a.generator_seconds, a.lean_seconds, json.dumps(dict(a.details), sort_keys=True, default=str),
                 a.started_at, a.finished_at),
            )
            attempt_id = int(cur.lastrowid or 0)
            proof_id = None
            changed = False
            if a.status == "proved" and a.purpose == "sorry":
                stats = {k: a.details[k] for k in ("search", "verification") if k in a.details}
                cur = self._store.conn.execute(
                    "INSERT INTO proofs (theorem_id, proof, checked_by, checkpoint_id, run_id, stats, found_at, "
                    "attempt_id, depends_on_sorry) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (a.theorem_id, a.proof, a.checked_by or f"{a.backend} (lean {a.lean_version or '?'})",
                     a.checkpoint_id, a.run_id, json.dumps(stats, sort_keys=True, default=str), a.finished_at,
                     attempt_id, int(a.depends_on_sorry)),
                )
                proof_id = int(cur.lastrowid or 0)
                changed = self._store.conn.execute(
                    "UPDATE theorems SET status = 'proved_by_agent' WHERE id = ? AND status = 'sorry'",
                    (a.theorem_id,),
                ).rowcount == 1
        return RecordedAttempt(attempt_id, proof_id, changed)

    def find(self, *, run_id: int | None = None, theorem_id: int | None = None, repo: Repository | None = None,
             purpose: str | None = None) -> list[dict[str, Any]]:
        """Attempt rows (``details`` parsed), oldest first, with the theorem's name and file."""
        sql = ("SELECT a.*, t.full_name, f.path AS file FROM proof_attempts a JOIN theorems t ON t.id = a.theorem_id "
               "JOIN files f ON f.id = t.file_id")
        where: list[str] = []
        params: list[Any] = []
        if repo is not None:
            sql += " JOIN repo_files rf ON rf.file_id = f.id"
            where.append("rf.repo_id = ?")
            params.append(repo.id)
        for column, value in (("a.run_id", run_id), ("a.theorem_id", theorem_id), ("a.purpose", purpose)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY a.id"
        out = []
        for row in self._store.db.query(sql, params):
            row = dict(row)
            row["details"] = json.loads(row["details"] or "{}")
            out.append(row)
        return out

    def accepted_proofs(self, repo: Repository) -> list[StoredProof]:
        """The newest accepted proof of each of the repository's own theorems, by file and
        position."""
        rows = self._store.conn.execute(
            "SELECT p.id, t.id, t.full_name, f.path, f.content_hash, t.statement, t.start_line, t.start_col, "
            "t.end_line, t.end_col, p.proof, p.depends_on_sorry, p.found_at FROM proofs p "
            "JOIN theorems t ON t.id = p.theorem_id JOIN files f ON f.id = t.file_id "
            "JOIN repo_files rf ON rf.file_id = f.id AND rf.repo_id = ? AND rf.is_dependency = 0 "
            "WHERE p.id = (SELECT MAX(p2.id) FROM proofs p2 WHERE p2.theorem_id = t.id) "
            "ORDER BY f.path, t.start_line, t.start_col",
            (repo.id,),
        ).fetchall()
        return [StoredProof(r[0], r[1], r[2], r[3], r[4], r[5], (r[6], r[7]), (r[8], r[9]), r[10], bool(r[11]), r[12])
                for r in rows]
