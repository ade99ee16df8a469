"""Replacing a repository's data with better data of the same commit, in place.

A repository indexed statically and later traced with LeanDojo at the same commit stays
one repository (same row, same id: runs, evaluations and splits keep pointing at it).
The traced import *supersedes* the static data of every file it covers: those files'
premises, theorems, tactic steps, links and sorries are deleted and the traced ones
written instead; files the trace does not cover (not part of the Lake build, say) keep
their static data. All of it happens inside the import's one transaction.

What points at the replaced theorems is carried over to their successors, matched by
(file, full name, start) and then by (file, full name): agent proofs and proof attempts,
split assignments, the ``proved_by_agent`` status. A proof or proof attempt whose theorem
has no successor makes the import fail (`SupersedeConflict`) rather than lose it. Links of
kept theorems into replaced files are resolved again against the new premises.

`Supersede` says what an import may replace; `database.ingest.ingest` calls `retire`
before writing and `Retired.carry_over` after.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import SupersedeConflict

if TYPE_CHECKING:
    from .ingest import Ingest
    from .records import RepoInfo
    from .store import Store


@dataclass(frozen=True)
class Supersede:
    """An import may replace the data of the same (url, commit) written by one of
    `tracers`, for the files in `paths` (the files the new import writes)."""

    tracers: frozenset[str]
    paths: frozenset[str]


@dataclass
class Retired:
    """What `retire` removed, to be carried over once the new records are written."""

    repo_id: int
    previous: dict[str, Any]  # the replaced repositories row, for the metadata
    # old theorem id -> (path, full_name, start_line, start_col, status)
    theorems: dict[int, tuple[str, str, int, int, str]] = field(default_factory=dict)
    proof_refs: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # table -> (row id, old tid)
    splits: list[tuple[str, int, str]] = field(default_factory=list)  # (scheme, old tid, split)
    dangling_links: list[tuple[int, str, int, int, str]] = field(default_factory=list)
    files_replaced: int = 0
    files_kept: int = 0

    def carry_over(self, store: Store, writer: Ingest) -> None:
        conn = store.conn
        new: dict[tuple[str, str, int, int], int] = {}
        by_name: dict[tuple[str, str], list[int]] = {}
        for tid, path, name, line, col in conn.execute(
            "SELECT t.id, f.path, t.full_name, t.start_line, t.start_col FROM repo_files rf "
            "JOIN files f ON f.id = rf.file_id JOIN theorems t ON t.file_id = f.id WHERE rf.repo_id = ?",
            (self.repo_id,),
        ):
            new[(path, name, line, col)] = tid
            by_name.setdefault((path, name), []).append(tid)

        def successor(old: int) -> int | None:
            path, name, line, col, _ = self.theorems[old]
            tid = new.get((path, name, line, col))
            if tid is not None:
                return tid
            cands = by_name.get((path, name), [])
            return cands[0] if len(cands) == 1 else None

        orphans = []
        for table, rows in self.proof_refs.items():
            for row_id, old in rows:
                tid = successor(old)
                if tid is None:
                    path, name, line, _, _ = self.theorems[old]
                    orphans.append(f"{name} ({path}:{line}, {table} row {row_id})")
                    continue
                conn.execute(f"UPDATE {table} SET theorem_id = ? WHERE id = ?", (tid, row_id))
        if orphans:
            shown = "; ".join(orphans[:10]) + (f"; and {len(orphans) - 10} more" if len(orphans) > 10 else "")
            raise SupersedeConflict(
                f"the new data has no theorem matching {len(orphans)} stored proofs or proof attempts "
                f"({shown}): nothing was changed. Add the traced data into another home (--home DIR) "
                "to compare, or keep the existing data."
            )
        for old, (_, _, _, _, status) in self.theorems.items():
            tid = successor(old)
            if tid is not None and status == "proved_by_agent":
                conn.execute("UPDATE theorems SET status = 'proved_by_agent' WHERE id = ? AND status = 'sorry'",
                             (tid,))
        splits: list[tuple[str, int, int, str]] = []
        for scheme, old, split in self.splits:
            tid = successor(old)
            if tid is not None:
                splits.append((scheme, self.repo_id, tid, split))
        conn.executemany(
            "INSERT OR IGNORE INTO split_assignments (scheme, repo_id, theorem_id, split) VALUES (?, ?, ?, ?)", splits
        )
        for link_id, def_path, line, col, name in self.dangling_links:
            conn.execute("UPDATE premise_links SET premise_id = ? WHERE id = ?",
                         (writer.resolve(def_path, (line, col), name), link_id))
        from .records import Diagnostic

        writer.add_diagnostic(Diagnostic(
            None, None,
            f"superseded the {self.previous['tracer']} data of {self.files_replaced} files "
            f"({self.files_kept} own files not covered keep it)", severity="info",
        ))
        writer.flush()


def _ids(conn: Any, sql: str, params: tuple[Any, ...]) -> list[int]:
    return [r[0] for r in conn.execute(sql, params)]


def _in(ids: list[int]) -> str:
    return ",".join(str(int(i)) for i in ids) or "NULL"


def retire(store: Store, repo_id: int, repo: RepoInfo, plan: Supersede) -> Retired:
    """Delete the data `plan` replaces from repository `repo_id` and update its row to
    describe `repo`; return what must be carried over. Runs inside the import's transaction."""
    conn = store.conn
    cols = [d[0] for d in conn.execute("SELECT * FROM repositories WHERE id = ?", (repo_id,)).description]
    previous = dict(zip(cols, conn.execute("SELECT * FROM repositories WHERE id = ?", (repo_id,)).fetchone(),
                        strict=True))
    previous["metadata"] = json.loads(previous.get("metadata") or "{}")
    out = Retired(repo_id, previous)
    linked = conn.execute(
        "SELECT f.id, f.path, f.owner_repo_id FROM repo_files rf JOIN files f ON f.id = rf.file_id "
        "WHERE rf.repo_id = ?", (repo_id,),
    ).fetchall()
    replaced = [(fid, owner) for fid, path, owner in linked if path in plan.paths]
    out.files_replaced = len(replaced)
    out.files_kept = sum(1 for _, _, owner in linked if owner == repo_id) - sum(
        1 for _, owner in replaced if owner == repo_id)
    own = [fid for fid, owner in replaced if owner == repo_id]
    shared = [fid for fid, owner in replaced if owner is None]
    conn.execute(f"DELETE FROM repo_files WHERE repo_id = ? AND file_id IN ({_in(shared)})", (repo_id,))
    # A shared file no other repository links any more is garbage: delete it like an own file.
    orphaned = [fid for fid in shared
                if conn.execute("SELECT 1 FROM repo_files WHERE file_id = ? LIMIT 1", (fid,)).fetchone() is None]
    doomed = own + orphaned
    files = _in(doomed)
    theorems = conn.execute(
        f"SELECT t.id, f.path, t.full_name, t.start_line, t.start_col, t.status FROM theorems t "
        f"JOIN files f ON f.id = t.file_id WHERE t.file_id IN ({files})"
    ).fetchall()
    out.theorems = {r[0]: (r[1], r[2], r[3], r[4], r[5]) for r in theorems}
    tids = _in(list(out.theorems))
    for table in ("proofs", "proof_attempts"):
        out.proof_refs[table] = [(r[0], r[1]) for r in conn.execute(
            f"SELECT id, theorem_id FROM {table} WHERE theorem_id IN ({tids})")]
    out.splits = [(r[0], r[1], r[2]) for r in conn.execute(
        f"SELECT scheme, theorem_id, split FROM split_assignments WHERE repo_id = ? AND theorem_id IN ({tids})",
        (repo_id,))]
    premises = _in(_ids(conn, f"SELECT id FROM premises WHERE file_id IN ({files})", ()))
    out.dangling_links = [(r[0], r[1], r[2], r[3], r[4]) for r in conn.execute(
        f"SELECT id, def_path, def_line, def_col, full_name FROM premise_links WHERE premise_id IN ({premises}) "
        f"AND theorem_id NOT IN ({tids})")]
    conn.execute(f"UPDATE premise_links SET premise_id = NULL WHERE premise_id IN ({premises})")
    conn.execute(f"DELETE FROM split_assignments WHERE theorem_id IN ({tids})")
    conn.execute(f"DELETE FROM premise_links WHERE theorem_id IN ({tids})")
    conn.execute(f"DELETE FROM tactic_steps WHERE theorem_id IN ({tids})")
    conn.execute(f"DELETE FROM sorries WHERE file_id IN ({files}) OR theorem_id IN ({tids})")
    conn.execute(f"DELETE FROM theorems WHERE id IN ({tids})")
    conn.execute(f"DELETE FROM premises WHERE file_id IN ({files})")
    conn.execute(f"DELETE FROM repo_files WHERE file_id IN ({files})")
    conn.execute(f"DELETE FROM files WHERE id IN ({files})")
    placeholders = ",".join("?" for _ in plan.paths) or "NULL"
    conn.execute(f"DELETE FROM diagnostics WHERE repo_id = ? AND file_path IN ({placeholders})",
                 (repo_id, *sorted(plan.paths)))
    meta = dict(repo.metadata)
    meta["superseded"] = {
        "tracer": previous["tracer"],
        "tracer_version": previous["tracer_version"],
        "added_at": previous["added_at"],
        "files_replaced": out.files_replaced,
        "files_kept": out.files_kept,
    }
    conn.execute(
        'UPDATE repositories SET name = ?, lean_version = COALESCE(?, lean_version), tracer = ?, '
        "tracer_version = ?, path = COALESCE(?, path), metadata = ? WHERE id = ?",
        (repo.name, repo.lean_version, repo.tracer, repo.tracer_version, repo.path,
         json.dumps(meta, ensure_ascii=False, default=str), repo_id),
    )
    return out


__all__ = ["Retired", "Supersede", "SupersedeConflict", "retire"]
