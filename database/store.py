"""The knowledge base: one SQLite file opened through sqlite-utils.

`Store` owns the connection, applies migrations, and offers typed queries over the
repositories and their contents. Writes of a whole repository go through `Store.ingest`
(see `database.ingest`), which runs in one transaction: an import killed at any moment
leaves the database as it was.

Every other table has one owner, an accessor in this package reached from the store::

    store.checkpoints        checkpoints, training_steps   (database.checkpoints)
    store.fusion_weights     fusion_weights                (database.checkpoints)
    store.evaluations        evaluations                   (database.evaluations)
    store.faiss_indexes      faiss_indexes                 (database.indexes)
    store.runs               runs, run_stages              (database.runs)
    store.split_assignments  split_assignments             (database.splits)
    store.corpus             reads for the retriever       (database.corpus)

No SQL lives outside this package (a test checks it).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlite_utils

from .checkpoints import Checkpoints, FusionWeightsTable
from .clock import utcnow
from .corpus import CorpusReader
from .errors import AmbiguousRepository, DatabaseError, RepositoryNotFound, SchemaTooNew
from .evaluations import Evaluations
from .indexes import FaissIndexes
from .ingest import Ingest, ingest
from .proofs import ProofAttempts
from .records import RepoInfo
from .runs import Runs
from .schema import LATEST_VERSION, MIGRATIONS
from .splits import SplitAssignments

__all__ = ["Repository", "Store", "utcnow"]

if TYPE_CHECKING:
    from .supersede import Supersede


@dataclass(frozen=True)
class Repository:
    id: int
    url: str
    name: str
    commit: str
    lean_version: str | None
    tracer: str
    tracer_version: str | None
    path: str | None
    added_at: str
    metadata: dict[str, Any]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Repository:
        return cls(
            id=row["id"],
            url=row["url"],
            name=row["name"],
            commit=row["commit"],
            lean_version=row["lean_version"],
            tracer=row["tracer"],
            tracer_version=row["tracer_version"],
            path=row["path"],
            added_at=row["added_at"],
            metadata=json.loads(row["metadata"] or "{}"),
        )


class Store:
    """An open knowledge base.

    >>> store = Store(":memory:")          # doctest: +SKIP
    >>> store.repositories()               # doctest: +SKIP
    []
    """

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = str(path)
        try:
            if readonly:
                if not Path(self.path).exists():
                    raise DatabaseError(
                        f"no database at {self.path}: add a repository first with `leanagent add SOURCE`"
                    )
                conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
                self.db = sqlite_utils.Database(conn)
            else:
                if self.path != ":memory:":
                    Path(self.path).parent.mkdir(parents=True, exist_ok=True)
                self.db = sqlite_utils.Database(self.path)
        except sqlite3.Error as exc:
            raise DatabaseError(f"cannot open the database {self.path}: {exc}") from exc
        self.conn = self.db.conn
        # Wait for another writer instead of failing at once (e.g. a dashboard reading
        # while an import commits).
        self.conn.execute("PRAGMA busy_timeout = 10000")
        self.conn.execute("PRAGMA foreign_keys = ON")
        if not readonly:
            if self.path != ":memory:":
                self.db.enable_wal()
                # In WAL mode NORMAL is still safe against process crashes (a killed
                # import rolls back); it only risks the last commit on power loss.
                self.conn.execute("PRAGMA synchronous = NORMAL")
            self.migrate()
        else:
            self._check_version()

    # -- lifecycle ---------------------------------------------------------------------

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def schema_version(self) -> int:
        if "schema_version" not in self.db.table_names():
            return 0
        row = self.conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
        return int(row[0] or 0)

    def _check_version(self) -> int:
        version = self.schema_version()
        if version > LATEST_VERSION:
            raise SchemaTooNew(
                f"{self.path} has schema version {version}, but this leanagent knows only up to "
                f"{LATEST_VERSION}: upgrade leanagent (pip install -U leanagent)"
            )
        return version

    def migrate(self) -> int:
        """Apply pending migrations; return the resulting schema version."""
        version = self._check_version()
        for migration in MIGRATIONS:
            if migration.version <= version:
                continue
            try:
                with self.db.atomic():
                    if migration.version == 1:
                        self.conn.execute(
                            "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, "
                            "name TEXT NOT NULL, applied_at TEXT NOT NULL)"
                        )
                    for statement in migration.statements:
                        self.conn.execute(statement)
                    self.conn.execute(
                        "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
                        (migration.version, migration.name, utcnow()),
                    )
            except sqlite3.Error as exc:
                raise DatabaseError(
                    f"migration {migration.version} ({migration.name}) of {self.path} failed: {exc}"
                ) from exc
            version = migration.version
        return version

    @contextmanager
    def atomic(self) -> Iterator[Store]:
        with self.db.atomic():
            yield self

    def ingest(self, repo: RepoInfo, supersede: Supersede | None = None) -> AbstractContextManager[Ingest]:
        """Open a one-transaction import of ``repo``; see `database.ingest` (and
        `database.supersede` for replacing existing data of the same commit)."""
        return ingest(self, repo, supersede)

    # -- the other tables' owners ----------------------------------------------------------

    @cached_property
    def checkpoints(self) -> Checkpoints:
        return Checkpoints(self)

    @cached_property
    def fusion_weights(self) -> FusionWeightsTable:
        return FusionWeightsTable(self)

    @cached_property
    def evaluations(self) -> Evaluations:
        return Evaluations(self)

    @cached_property
    def faiss_indexes(self) -> FaissIndexes:
        return FaissIndexes(self)

    @cached_property
    def runs(self) -> Runs:
        return Runs(self)

    @cached_property
    def split_assignments(self) -> SplitAssignments:
        return SplitAssignments(self)

    @cached_property
    def corpus(self) -> CorpusReader:
        return CorpusReader(self)

    @cached_property
    def proof_attempts(self) -> ProofAttempts:
        return ProofAttempts(self)

    # -- repositories ------------------------------------------------------------------

    def repositories(self) -> list[Repository]:
        rows = self.db.query('SELECT * FROM repositories ORDER BY id')
        return [Repository.from_row(r) for r in rows]

    def get_repository(self, repo_id: int) -> Repository:
        rows = list(self.db.query("SELECT * FROM repositories WHERE id = ?", [repo_id]))
        if not rows:
            raise RepositoryNotFound(f"no repository with id {repo_id}: list them with `leanagent repos`")
        return Repository.from_row(rows[0])

    def find_repository(self, ref: str) -> Repository:
        """Find one repository by id, URL, name, ``name@commit-prefix`` or commit prefix."""
        repos = self.repositories()
        if ref.isdigit():
            for r in repos:
                if r.id == int(ref):
                    return r
        name, _, commit = ref.partition("@")
        matches = [
            r
            for r in repos
            if (r.url == name or r.url.rstrip("/") == name.rstrip("/") or r.name == name
                or r.name.split("/")[-1] == name)
            and (not commit or r.commit.startswith(commit))
        ]
        if not matches and len(ref) >= 7 and all(c in "0123456789abcdef" for c in ref.lower()):
            matches = [r for r in repos if r.commit.startswith(ref.lower())]
        if not matches:
            known = ", ".join(r.name for r in repos) or "none yet"
            raise RepositoryNotFound(
                f"no repository matches '{ref}' (known: {known}); list them with `leanagent repos`"
            )
        if len(matches) > 1:
            options = ", ".join(f"{r.name}@{r.commit[:12]}" for r in matches)
            raise AmbiguousRepository(
                f"'{ref}' matches {len(matches)} repositories ({options}): name one as NAME@COMMIT"
            )
        return matches[0]

    def find_repositories(self, refs: Sequence[str] | None) -> list[Repository]:
        """Resolve a list of references; None or empty means every repository."""
        if not refs:
            return self.repositories()
        return [self.find_repository(r) for r in refs]

    def set_repository_metadata(self, repo_id: int, metadata: dict[str, Any]) -> None:
        """Replace a repository's metadata (e.g. facts a source learns only after its
        files are written)."""
        with self.atomic():
            self.conn.execute("UPDATE repositories SET metadata = ? WHERE id = ?",
                              (json.dumps(metadata, ensure_ascii=False, default=str), repo_id))

    def repository_summary(self, repo: Repository) -> dict[str, Any]:
        """Counts of one repository. Unqualified counts are the repository's own; the
        ``dependency_*`` counts cover its dependency files (shared with other repos)."""
        q = self.conn.execute
        rid = repo.id
        files, dep_files = q(
            "SELECT COALESCE(SUM(is_dependency = 0), 0), COALESCE(SUM(is_dependency = 1), 0) "
            "FROM repo_files WHERE repo_id = ?",
            (rid,),
        ).fetchone()
        premises, dep_premises = q(
            "SELECT COALESCE(SUM(rf.is_dependency = 0), 0), COALESCE(SUM(rf.is_dependency = 1), 0) "
            "FROM repo_files rf JOIN premises p ON p.file_id = rf.file_id WHERE rf.repo_id = ?",
            (rid,),
        ).fetchone()
        theorems, with_sorry, proved, dep_theorems = q(
            "SELECT COALESCE(SUM(rf.is_dependency = 0), 0), "
            "COALESCE(SUM(rf.is_dependency = 0 AND t.status = 'sorry'), 0), "
            "COALESCE(SUM(rf.is_dependency = 0 AND t.status = 'proved_by_agent'), 0), "
            "COALESCE(SUM(rf.is_dependency = 1), 0) "
            "FROM repo_files rf JOIN theorems t ON t.file_id = rf.file_id WHERE rf.repo_id = ?",
            (rid,),
        ).fetchone()
        steps = q(
            "SELECT COUNT(*) FROM repo_files rf JOIN theorems t ON t.file_id = rf.file_id "
            "JOIN tactic_steps s ON s.theorem_id = t.id WHERE rf.repo_id = ? AND rf.is_dependency = 0",
            (rid,),
        ).fetchone()[0]
        sorry_decls = q(
            "SELECT COUNT(DISTINCT s.file_id || ':' || s.decl_line || ':' || s.decl_col || ':' || s.declaration) "
            "FROM repo_files rf JOIN sorries s ON s.file_id = rf.file_id "
            "WHERE rf.repo_id = ? AND rf.is_dependency = 0",
            (rid,),
        ).fetchone()[0]
        diagnostics = q("SELECT COUNT(*) FROM diagnostics WHERE repo_id = ?", (rid,)).fetchone()[0]
        return {
            "id": repo.id,
            "name": repo.name,
            "url": repo.url,
            "commit": repo.commit,
            "path": repo.path,
            "lean_version": repo.lean_version,
            "tracer": repo.tracer,
            "tracer_version": repo.tracer_version,
            # Set when a later import (e.g. a LeanDojo trace) replaced earlier data of this
            # commit: the earlier tracer, and how many files keep its data.
            "superseded": repo.metadata.get("superseded"),
            "added_at": repo.added_at,
            "files": files,
            "premises": premises,
            "theorems": theorems,
            "theorems_with_sorry": with_sorry,
            "theorems_proved_by_agent": proved,
            "declarations_with_sorry": sorry_decls,
            "tactic_steps": steps,
            "dependency_files": dep_files,
            "dependency_premises": dep_premises,
            "dependency_theorems": dep_theorems,
            "diagnostics": diagnostics,
        }

    # -- theorems and sorries --------------------------------------------------------

    def theorems(
        self,
        repo: Repository,
        *,
        status: str | None = None,
        include_dependencies: bool = False,
    ) -> list[dict[str, Any]]:
        sql = (
            "SELECT t.id, t.full_name, t.kind, f.path AS file, t.start_line, t.start_col, "
            "t.end_line, t.end_col, t.statement, t.proof_style, t.status, t.num_steps, "
            "t.difficulty, t.is_dependency, t.sorry_checked "
            "FROM repo_files rf JOIN files f ON f.id = rf.file_id "
            "JOIN theorems t ON t.file_id = f.id WHERE rf.repo_id = ?"
        )
        params: list[Any] = [repo.id]
        if not include_dependencies:
            sql += " AND rf.is_dependency = 0"
        if status is not None:
            sql += " AND t.status = ?"
            params.append(status)
        sql += " ORDER BY f.path, t.start_line, t.start_col"
        out = []
        for row in self.db.query(sql, params):
            row = dict(row)
            row["start"] = [row.pop("start_line"), row.pop("start_col")]
            row["end"] = [row.pop("end_line"), row.pop("end_col")]
            row["is_dependency"] = bool(row["is_dependency"])
            out.append(row)
        return out

    def sorries(self, repo: Repository, *, include_dependencies: bool = False) -> list[dict[str, Any]]:
        """Every declaration of ``repo`` whose statement or body holds `sorry`, one object
        per declaration, with the positions of its `sorry` tokens where known."""
        sql = (
            "SELECT s.declaration, s.kind, f.path, s.decl_line, s.decl_col, s.line, s.col, "
            "s.context, s.theorem_id, rf.is_dependency "
            "FROM repo_files rf JOIN files f ON f.id = rf.file_id "
            "JOIN sorries s ON s.file_id = f.id WHERE rf.repo_id = ?"
        )
        if not include_dependencies:
            sql += " AND rf.is_dependency = 0"
        sql += " ORDER BY f.path, s.decl_line, s.decl_col, s.line, s.col"
        grouped: dict[tuple[str, int, int, str], dict[str, Any]] = {}
        for (decl, kind, path, dline, dcol, line, col, context, theorem_id, is_dep) in self.conn.execute(
            sql, (repo.id,)
        ):
            key = (path, dline, dcol, decl)
            entry = grouped.get(key)
            if entry is None:
                entry = grouped[key] = {
                    "repo": repo.name,
                    "full_name": decl,
                    "kind": kind,
                    "file": path,
                    "line": dline,
                    "theorem_id": theorem_id,
                    "is_dependency": bool(is_dep),
                    "sorries": [],
                }
            entry["sorries"].append({"line": line, "col": col, "context": context})
        return list(grouped.values())

    def diagnostics(self, repo: Repository) -> list[dict[str, Any]]:
        return [
            dict(r)
            for r in self.db.query(
                "SELECT file_path, line, severity, message FROM diagnostics WHERE repo_id = ? ORDER BY id",
                [repo.id],
            )
        ]
