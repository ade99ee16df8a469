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

import contextlib
import json
import logging
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import sqlite_utils

from .checkpoints import Checkpoints, FusionWeightsTable
from .clock import utcnow
from .corpus import CorpusReader
from .errors import (
    AmbiguousRepository,
    DatabaseCorrupt,
    DatabaseError,
    RepositoryNotFound,
    SchemaTooNew,
    from_sqlite,
    recovery_steps,
)
from .evaluations import Evaluations
from .indexes import FaissIndexes
from .ingest import Ingest, ingest
from .locks import Holder, ProcessLock
from .proofs import ProofAttempts
from .records import RepoInfo
from .runs import Runs
from .schema import LATEST_VERSION, MIGRATIONS
from .splits import SplitAssignments

__all__ = ["Repository", "Store", "utcnow"]

if TYPE_CHECKING:
    from .supersede import Supersede

log = logging.getLogger(__name__)

#: A theorem's status as shown to users. A theorem stored as proven whose `sorry` check
#: saw only traced tactic text, and which has no traced tactics (a term-mode proof from
#: an export without sources), was never inspected: it is "not_inspected", not "proven".
SHOWN_STATUS = (
    "(CASE WHEN t.status = 'proven' AND t.sorry_checked = 'tactics' AND t.num_steps = 0 "
    "THEN 'not_inspected' ELSE t.status END)"
)
#: A theorem proved by the agent only through a sorry placeholder: it has proofs, and
#: every one of them is flagged ``depends_on_sorry`` (`prover.lean.verify`).
DEPENDS_ON_SORRY = (
    "(t.status = 'proved_by_agent' AND EXISTS (SELECT 1 FROM proofs p WHERE p.theorem_id = t.id) "
    "AND NOT EXISTS (SELECT 1 FROM proofs p WHERE p.theorem_id = t.id AND p.depends_on_sorry = 0))"
)


def status_label(row: Mapping[str, Any]) -> str:
    """The status as shown to a person: ``proved_by_agent (depends on sorry)`` when
    the theorem's only proofs hold through a sorry placeholder."""
    return f"{row['status']} (depends on sorry)" if row.get("depends_on_sorry") else str(row["status"])


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

    def __init__(self, path: str | Path, *, readonly: bool = False, busy_timeout: float = 60.0,
                 notify: Callable[[str], None] | None = None) -> None:
        """Open (and, unless ``readonly``, create and migrate) the database at ``path``.

        ``busy_timeout``: seconds a write waits for another process's write lock before
        giving up with `DatabaseBusy`. ``notify`` receives messages for the user (e.g.
        that this import waits for another one); by default they are logged.
        """
        self.path = str(path)
        self.readonly = readonly
        self._notify = notify
        self._import_lock: ProcessLock | None = None
        self._import_depth = 0
        try:
            if readonly:
                self.db = sqlite_utils.Database(self._connect_readonly())
            else:
                existed = self.path != ":memory:" and Path(self.path).is_file() and Path(self.path).stat().st_size > 0
                if self.path != ":memory:":
                    Path(self.path).parent.mkdir(parents=True, exist_ok=True)
                self.db = sqlite_utils.Database(self.path)
            self.conn = self.db.conn
            # Wait for another writer instead of failing at once (e.g. two commands
            # recording results while an import commits).
            self.conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            self.conn.execute("PRAGMA foreign_keys = ON")
            if readonly:
                self._check_version()
                return
            if existed:
                # Once per process that writes: a damaged file is refused before anything
                # is written into it (SQLite would otherwise write around a bad page and
                # report success).
                self._quick_check()
            if self.path != ":memory:":
                self._enable_wal(busy_timeout)
                # In WAL mode NORMAL is still safe against process crashes (a killed
                # import rolls back); it only risks the last commit on power loss.
                self.conn.execute("PRAGMA synchronous = NORMAL")
            self.migrate()
        except sqlite3.Error as exc:
            with contextlib.suppress(Exception):
                self.db.conn.close()
            raise from_sqlite(exc, self.path, doing="read" if readonly else "open") from exc
        except OSError as exc:
            raise DatabaseError(f"cannot open the database {self.path}: {exc.strerror or exc}") from exc

    def _enable_wal(self, timeout: float) -> None:
        """WAL mode (persistent in the file, so usually already on). Switching needs an
        exclusive lock, and SQLite refuses it at once -- without its busy handler --
        while another process opening a fresh home holds one: retry until ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                if str(self.conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                    self.conn.execute("PRAGMA journal_mode = wal")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc).lower() or time.monotonic() >= deadline:
                    raise
                time.sleep(0.02)

    def _connect_readonly(self) -> sqlite3.Connection:
        path = Path(self.path)
        if not path.exists():
            raise DatabaseError(f"no database at {self.path}: add a repository first with `leanagent add SOURCE`")
        uri = f"file:{quote(str(path.resolve()))}?mode=ro"
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
        try:
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            return conn
        except sqlite3.OperationalError as exc:
            conn.close()
            if "unable to open" not in str(exc).lower():
                raise
        # A WAL database in a read-only directory: SQLite cannot create the shared-memory
        # file readers need. With no unfinished write-ahead log the file itself is
        # complete, and nobody can write it here, so it can be opened as immutable.
        wal = path.with_name(path.name + "-wal")
        if wal.exists() and wal.stat().st_size > 0:
            raise DatabaseError(
                f"{self.path} is in a read-only directory and has unfinished changes in {wal.name} that "
                "cannot be read without writing: make the home writable once (any leanagent command then "
                "folds them in), or copy the home somewhere writable"
            )
        conn = sqlite3.connect(uri + "&immutable=1", uri=True, check_same_thread=False)
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        return conn

    def _quick_check(self) -> None:
        rows = [r[0] for r in self.conn.execute("PRAGMA quick_check(5)").fetchall()]
        if rows != ["ok"]:
            raise DatabaseCorrupt(
                f"{self.path} is damaged (SQLite's quick_check: {'; '.join(map(str, rows))[:300]}); leanagent "
                f"will not write to it: {recovery_steps(self.path)}"
            )

    def notify(self, message: str) -> None:
        """Tell the user something (the CLI prints it on stderr)."""
        if self._notify is not None:
            self._notify(message)
        else:
            log.warning("%s", message)

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
        """Apply pending migrations; return the resulting schema version.

        Each migration runs in its own write transaction, and the version is read again
        once the write lock is held: two processes opening a fresh home at once apply
        each migration exactly once (the second finds it done)."""
        version = self._check_version()
        for migration in MIGRATIONS:
            if migration.version <= version:
                continue
            try:
                with self.atomic():
                    version = self._check_version()
                    if migration.version <= version:
                        continue
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
                raise from_sqlite(exc, self.path, doing=f"apply migration {migration.version} ({migration.name}) to"
                                  ) from exc
            version = migration.version
        return version

    @contextmanager
    def atomic(self) -> Iterator[Store]:
        """One write transaction (a savepoint when nested).

        ``BEGIN IMMEDIATE`` takes the write lock when the transaction starts, waiting up
        to the busy timeout for another writer; a deferred ``BEGIN`` would take it only
        at the first write, and fail at once, without waiting, when another process
        committed after this transaction's first read."""
        conn = self.conn
        if conn.in_transaction:
            with self.db.atomic():
                yield self
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            conn.rollback()
            raise
        else:
            try:
                conn.execute("COMMIT")
            except BaseException:
                conn.rollback()
                raise

    @contextmanager
    def importing(self) -> Iterator[Store]:
        """Hold this database's import lock (re-entrant): imports into one database take
        turns, the later one waiting and saying for whom, instead of one of them timing
        out on SQLite's write lock while the other writes for minutes."""
        if self.path == ":memory:":
            yield self
            return
        if self._import_depth == 0:
            lock = ProcessLock(Path(self.path + ".import-lock"))

            def waiting(holder: Holder) -> None:
                self.notify(f"waiting for another import into {self.path} to finish: {holder.describe()}")

            lock.acquire(wait=True, on_wait=waiting)
            self._import_lock = lock
        self._import_depth += 1
        try:
            yield self
        finally:
            self._import_depth -= 1
            if self._import_depth == 0 and self._import_lock is not None:
                self._import_lock.release()
                self._import_lock = None

    def imported_name(self, url: str, commit: str) -> str | None:
        """The name of the repository stored at (url, commit), or None."""
        row = self.conn.execute('SELECT name FROM repositories WHERE url = ? AND "commit" = ?', (url, commit)
                                ).fetchone()
        return None if row is None else str(row[0])

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
        theorems, with_sorry, proved, not_inspected, dep_theorems = q(
            "SELECT COALESCE(SUM(rf.is_dependency = 0), 0), "
            "COALESCE(SUM(rf.is_dependency = 0 AND t.status = 'sorry'), 0), "
            "COALESCE(SUM(rf.is_dependency = 0 AND t.status = 'proved_by_agent'), 0), "
            f"COALESCE(SUM(rf.is_dependency = 0 AND {SHOWN_STATUS} = 'not_inspected'), 0), "
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
            "theorems_not_inspected": not_inspected,
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
        """The theorems of ``repo``. ``status`` is the shown status (`SHOWN_STATUS`):
        ``proven``, ``sorry``, ``proved_by_agent`` or ``not_inspected``."""
        sql = (
            "SELECT t.id, t.full_name, t.kind, f.path AS file, t.start_line, t.start_col, "
            f"t.end_line, t.end_col, t.statement, t.proof_style, {SHOWN_STATUS} AS status, t.num_steps, "
            f"t.difficulty, t.is_dependency, t.sorry_checked, {DEPENDS_ON_SORRY} AS depends_on_sorry "
            "FROM repo_files rf JOIN files f ON f.id = rf.file_id "
            "JOIN theorems t ON t.file_id = f.id WHERE rf.repo_id = ?"
        )
        params: list[Any] = [repo.id]
        if not include_dependencies:
            sql += " AND rf.is_dependency = 0"
        if status is not None:
            sql += f" AND {SHOWN_STATUS} = ?"
            params.append(status)
        sql += " ORDER BY f.path, t.start_line, t.start_col"
        out = []
        for row in self.db.query(sql, params):
            row = dict(row)
            row["start"] = [row.pop("start_line"), row.pop("start_col")]
            row["end"] = [row.pop("end_line"), row.pop("end_col")]
            row["is_dependency"] = bool(row["is_dependency"])
            row["depends_on_sorry"] = bool(row["depends_on_sorry"])
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
