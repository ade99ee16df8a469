"""Writing one repository into the knowledge base, in one transaction.

Every source (export importer, static indexer, LeanDojo tracer) drives an `Ingest`::

    with store.ingest(repo_info) as w:
        for f in files:    w.add_file(f)        # FileRecord: imports + premises
        for t in theorems: w.add_theorem(t)     # TheoremRecord: steps, links, sorries
    # committed here; any exception (or a kill) leaves the database unchanged

Why it is written this way:

* Speed: a Mathlib-scale import writes ~1.5 M rows. Row ids are allocated here (we hold
  the write lock from the first statement on) so that rows can be buffered and written
  with ``executemany`` in dependency order, instead of one round trip per row.
* Sharing: a dependency file whose (path, content hash) is already stored is linked, not
  copied, and its theorems are not written again.
* Links name premises the way LeanDojo does (file + a position inside the declaration);
  they are resolved here against the premises of that file, so every source gets the
  same resolution rule. Unresolved links are kept (premise_id NULL) so exports round-trip.
"""

from __future__ import annotations

import bisect
import dataclasses
import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .clock import utcnow
from .errors import AlreadyImported, InputError
from .records import (
    DeclarationSorries,
    Diagnostic,
    FileRecord,
    LinkRecord,
    Pos,
    RepoInfo,
    TheoremRecord,
    is_dependency_path,
    package_of,
    redact_url,
)

if TYPE_CHECKING:
    from .store import Store
    from .supersede import Supersede

_FLUSH_ROWS = 50_000
# Difficulty is e^S (LeanAgent); cap S so that it stays a finite float.
_MAX_EXP = 700


@dataclass
class IngestSummary:
    repo_id: int
    name: str
    url: str
    commit: str
    files: int = 0
    shared_files_reused: int = 0
    premises: int = 0
    theorems: int = 0
    dependency_theorems: int = 0
    shared_theorems_skipped: int = 0
    theorems_with_sorry: int = 0
    #: Own theorems whose proof was never looked at for `sorry` (term-mode proofs of an
    #: export without sources); they show as "not_inspected", not "proven".
    theorems_not_inspected: int = 0
    tactic_steps: int = 0
    links: int = 0
    links_resolved: int = 0
    sorry_declarations: int = 0
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["diagnostics"] = [x.__dict__ for x in self.diagnostics]
        return d


@dataclass
class _FileState:
    file_id: int
    reused: bool
    is_dependency: bool
    # premises sorted by start: parallel lists for bisect
    starts: list[tuple[int, int]] | None = None
    entries: list[tuple[tuple[int, int], tuple[int, int], str, int]] | None = None


class Ingest:
    def __init__(self, store: Store, repo: RepoInfo, repo_id: int) -> None:
        self.store = store
        self.conn = store.conn
        self.repo = repo
        self.repo_id = repo_id
        self.summary = IngestSummary(repo_id=repo_id, name=repo.name, url=repo.url, commit=repo.commit)
        self._files: dict[str, _FileState] = {}
        self._theorem_ids: dict[tuple[str, str, int, int], int | None] = {}
        nxt = self.conn.execute
        self._next: dict[str, int] = {
            t: int(nxt(f"SELECT COALESCE(MAX(id), 0) FROM {t}").fetchone()[0]) + 1
            for t in ("files", "premises", "theorems", "tactic_steps", "premise_links", "sorries")
        }
        self._buf: dict[str, list[tuple[Any, ...]]] = {k: [] for k in _INSERT_SQL}
        self._buffered = 0

    # -- ids and buffers ---------------------------------------------------------------

    def _id(self, table: str) -> int:
        i = self._next[table]
        self._next[table] = i + 1
        return i

    def _add(self, table: str, row: tuple[Any, ...]) -> None:
        self._buf[table].append(row)
        self._buffered += 1
        if self._buffered >= _FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        for table, sql in _INSERT_SQL.items():  # dict order = dependency order
            rows = self._buf[table]
            if rows:
                self.conn.executemany(sql, rows)
                rows.clear()
        self._buffered = 0

    # -- files -------------------------------------------------------------------------

    def add_file(self, rec: FileRecord, *, where: str | None = None) -> int:
        if rec.path in self._files:
            raise InputError(f"file '{rec.path}' appears twice", file=where, field="path")
        dep = is_dependency_path(rec.path)
        if dep:
            row = self.conn.execute(
                "SELECT id FROM files WHERE owner_repo_id IS NULL AND path = ? AND content_hash = ?",
                (rec.path, rec.content_hash),
            ).fetchone()
            if row is not None:
                shared_id = int(row[0])
                self._files[rec.path] = _FileState(shared_id, reused=True, is_dependency=True)
                self._add("repo_files", (self.repo_id, shared_id, 1))
                self.summary.shared_files_reused += 1
                self.summary.files += 1
                return shared_id
        file_id = self._id("files")
        self._add(
            "files",
            (
                file_id,
                rec.path,
                rec.content_hash,
                json.dumps(rec.imports, ensure_ascii=False),
                int(dep),
                package_of(rec.path),
                rec.num_lines,
                None if dep else self.repo_id,
            ),
        )
        self._add("repo_files", (self.repo_id, file_id, int(dep)))
        entries: list[tuple[Pos, Pos, str, int]] = []
        for p in rec.premises:
            pid = self._id("premises")
            self._add(
                "premises",
                (pid, file_id, p.full_name, p.code, p.kind, p.start[0], p.start[1], p.end[0], p.end[1]),
            )
            entries.append(((p.start[0], p.start[1]), (p.end[0], p.end[1]), p.full_name, pid))
        entries.sort()
        self._files[rec.path] = _FileState(
            file_id, reused=False, is_dependency=dep, starts=[e[0] for e in entries], entries=entries
        )
        self.summary.files += 1
        self.summary.premises += len(entries)
        return file_id

    def _file_for_theorem(self, path: str) -> _FileState:
        state = self._files.get(path)
        if state is None:
            # A theorem in a file the corpus does not list (e.g. an official export
            # without corpus.jsonl). Give it its own, unshared file row: without its
            # content we cannot know it equals anyone else's copy.
            self.add_file(
                FileRecord(
                    path=path,
                    imports=[],
                    premises=[],
                    content_hash=f"untraced:{self.repo.url}@{self.repo.commit}",
                )
            )
            state = self._files[path]
        return state

    def _premise_index(self, path: str) -> _FileState | None:
        state = self._files.get(path)
        if state is None:
            return None
        if state.entries is None:  # a reused shared file: load its premises once
            rows = self.conn.execute(
                "SELECT start_line, start_col, end_line, end_col, full_name, id FROM premises "
                "WHERE file_id = ?",
                (state.file_id,),
            ).fetchall()
            entries: list[tuple[Pos, Pos, str, int]] = sorted(
                ((int(r[0]), int(r[1])), (int(r[2]), int(r[3])), str(r[4]), int(r[5])) for r in rows
            )
            state.entries = entries
            state.starts = [e[0] for e in entries]
        return state

    def resolve(self, def_path: str, def_pos: tuple[int, int], full_name: str) -> int | None:
        """The stored premise of ``def_path`` whose range contains ``def_pos``.

        When several do (a `mutual` block gives every name the same range), the one with
        the link's own name wins, else the innermost.
        """
        state = self._premise_index(def_path)
        if state is None or not state.entries or state.starts is None:
            return None
        entries = state.entries
        pos = (def_pos[0], def_pos[1])  # LeanDojo-v2 exports give lists
        i = bisect.bisect_right(state.starts, pos)
        best = None
        # Walk back over the few premises that start before pos; ranges rarely nest.
        for j in range(i - 1, max(-1, i - 9), -1):
            start, end, name, pid = entries[j]
            if start <= pos < end:
                if name == full_name:
                    return pid
                if best is None:
                    best = pid
        return best

    # -- theorems ----------------------------------------------------------------------

    def add_theorem(self, rec: TheoremRecord, *, where: str | None = None) -> int | None:
        """Store a theorem; returns its id, or None when it was skipped (already stored
        as part of a shared dependency file, or a duplicate)."""
        key = (rec.file_path, rec.full_name, rec.start[0], rec.start[1])
        if key in self._theorem_ids:
            self.add_diagnostic(
                Diagnostic(rec.file_path, rec.start[0], f"duplicate theorem {rec.full_name} skipped ({where})")
            )
            return None
        state = self._file_for_theorem(rec.file_path)
        if state.reused:
            self._theorem_ids[key] = None
            self.summary.shared_theorems_skipped += 1
            return None
        tid = self._id("theorems")
        self._theorem_ids[key] = tid
        status = rec.status or ("sorry" if rec.sorries else "proven")
        num_steps = rec.num_steps or len(rec.steps)
        difficulty = math.exp(min(num_steps, _MAX_EXP)) if status != "sorry" and num_steps > 0 else None
        self._add(
            "theorems",
            (
                tid,
                state.file_id,
                rec.full_name,
                rec.kind,
                rec.statement,
                rec.start[0],
                rec.start[1],
                rec.end[0],
                rec.end[1],
                rec.proof_style,
                status,
                num_steps,
                difficulty,
                int(state.is_dependency),
                rec.sorry_checked,
            ),
        )
        s = self.summary
        s.theorems += 1
        s.dependency_theorems += int(state.is_dependency)
        s.theorems_with_sorry += int(status == "sorry")
        s.theorems_not_inspected += int(not state.is_dependency and status == "proven"
                                        and rec.sorry_checked == "tactics" and num_steps == 0)
        for idx, step in enumerate(rec.steps):
            sid = self._id("tactic_steps")
            self._add(
                "tactic_steps",
                (
                    sid,
                    tid,
                    idx,
                    step.tactic,
                    step.annotated_tactic,
                    step.state_before,
                    step.state_after,
                    step.start[0] if step.start else None,
                    step.start[1] if step.start else None,
                    json.dumps(step.structure, ensure_ascii=False) if step.structure is not None else None,
                ),
            )
            for li, link in enumerate(step.links):
                self._add_link(tid, sid, li, link)
            s.tactic_steps += 1
        for li, link in enumerate(rec.links):
            self._add_link(tid, None, li, link)
        if rec.sorries:
            s.sorry_declarations += 1
            for sr in rec.sorries:
                self._add(
                    "sorries",
                    (
                        self._id("sorries"),
                        state.file_id,
                        tid,
                        rec.full_name,
                        rec.kind,
                        rec.start[0],
                        rec.start[1],
                        sr.line,
                        sr.col,
                        sr.context,
                    ),
                )
        return tid

    def _add_link(self, theorem_id: int, step_id: int | None, idx: int, link: LinkRecord) -> None:
        pid = self.resolve(link.def_path, link.def_pos, link.full_name)
        end = link.def_end_pos
        self._add(
            "premise_links",
            (
                self._id("premise_links"),
                theorem_id,
                step_id,
                idx,
                pid,
                link.full_name,
                link.def_path,
                link.def_pos[0],
                link.def_pos[1],
                end[0] if end else None,
                end[1] if end else None,
                link.resolution,
            ),
        )
        self.summary.links += 1
        self.summary.links_resolved += pid is not None

    def has_file(self, path: str) -> bool:
        return path in self._files

    def has_theorem(self, file_path: str, full_name: str, start: tuple[int, int]) -> bool:
        return (file_path, full_name, start[0], start[1]) in self._theorem_ids

    def theorem_id(self, file_path: str, full_name: str, start: tuple[int, int]) -> int | None:
        """Id of a theorem of this import, including one skipped because its shared file
        was already stored (looked up in the database)."""
        key = (file_path, full_name, start[0], start[1])
        if key not in self._theorem_ids:
            return None
        tid = self._theorem_ids[key]
        if tid is None:
            state = self._files[file_path]
            row = self.conn.execute(
                "SELECT id FROM theorems WHERE file_id = ? AND full_name = ? AND start_line = ? "
                "AND start_col = ?",
                (state.file_id, full_name, start[0], start[1]),
            ).fetchone()
            tid = row[0] if row else None
        return tid

    def add_declaration_sorries(self, rec: DeclarationSorries) -> None:
        """A non-theorem declaration (def, instance, a project's own command) with `sorry`."""
        state = self._file_for_theorem(rec.file_path)
        if state.reused or not rec.sorries:
            return
        self.summary.sorry_declarations += 1
        for sr in rec.sorries:
            self._add(
                "sorries",
                (
                    self._id("sorries"),
                    state.file_id,
                    None,
                    rec.full_name,
                    rec.kind,
                    rec.start[0],
                    rec.start[1],
                    sr.line,
                    sr.col,
                    sr.context,
                ),
            )

    def add_split(self, scheme: str, theorem_id: int, split: str) -> None:
        self._add("split_assignments", (scheme, self.repo_id, theorem_id, split))

    def add_diagnostic(self, diag: Diagnostic) -> None:
        self.summary.diagnostics.append(diag)
        self._add("diagnostics", (self.repo_id, diag.file_path, diag.line, diag.severity, diag.message))


# Insert statements in foreign-key dependency order (flush relies on it).
_INSERT_SQL: dict[str, str] = {
    "files": "INSERT INTO files (id, path, content_hash, imports, is_dependency, package, num_lines, "
    "owner_repo_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    "repo_files": "INSERT OR IGNORE INTO repo_files (repo_id, file_id, is_dependency) VALUES (?, ?, ?)",
    "premises": "INSERT INTO premises (id, file_id, full_name, code, kind, start_line, start_col, end_line, "
    "end_col) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "theorems": "INSERT INTO theorems (id, file_id, full_name, kind, statement, start_line, start_col, "
    "end_line, end_col, proof_style, status, num_steps, difficulty, is_dependency, sorry_checked) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "tactic_steps": "INSERT INTO tactic_steps (id, theorem_id, idx, tactic, annotated_tactic, state_before, "
    "state_after, line, col, structure) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "premise_links": "INSERT INTO premise_links (id, theorem_id, step_id, idx, premise_id, full_name, "
    "def_path, def_line, def_col, def_end_line, def_end_col, resolution) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "sorries": "INSERT INTO sorries (id, file_id, theorem_id, declaration, kind, decl_line, decl_col, line, "
    "col, context) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "split_assignments": "INSERT OR REPLACE INTO split_assignments (scheme, repo_id, theorem_id, split) "
    "VALUES (?, ?, ?, ?)",
    "diagnostics": "INSERT INTO diagnostics (repo_id, file_path, line, severity, message) VALUES (?, ?, ?, ?, ?)",
}


#: SQLite's page cache while an import writes, in KiB. The default (2 MiB) is far smaller
#: than the indexes an import updates (premise_links alone has three, plus a foreign-key
#: lookup per row into theorems, tactic_steps and premises), so each insert re-read
#: B-tree pages from the OS: measured on a 100k-theorem export, SQLite's CPU time fell
#: by ~15% with 256 MiB. Memory stays bounded (the cache never exceeds this).
_IMPORT_CACHE_KIB = 256 * 1024


@contextmanager
def _page_cache(store: Store) -> Iterator[None]:
    """A larger page cache for the duration of an import, then the connection's own."""
    conn = store.conn
    before = int(conn.execute("PRAGMA cache_size").fetchone()[0])
    # cache_size is pages when positive, KiB when negative: compare in KiB.
    page_kib = int(conn.execute("PRAGMA page_size").fetchone()[0]) / 1024
    current_kib = before * page_kib if before > 0 else -before
    if current_kib >= _IMPORT_CACHE_KIB:
        yield
        return
    conn.execute(f"PRAGMA cache_size = -{_IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        conn.execute(f"PRAGMA cache_size = {before}")


@contextmanager
def ingest(store: Store, repo: RepoInfo, supersede: Supersede | None = None) -> Iterator[Ingest]:
    """One transaction that adds ``repo``; raises `AlreadyImported` if (url, commit) exists,
    unless `supersede` allows replacing the existing data (see `database.supersede`).

    The import lock (`Store.importing`) makes a second import into the same database
    wait for the first; the (url, commit) check runs again once the write lock is held,
    so the same repository added twice at once is stored once and the other import
    reports it as already there."""
    url = redact_url(repo.url)
    if url != repo.url:
        repo = dataclasses.replace(repo, url=url)

    def existing() -> Any:
        return store.conn.execute(
            'SELECT id, name, tracer FROM repositories WHERE url = ? AND "commit" = ?', (repo.url, repo.commit)
        ).fetchone()

    row = existing()
    if row is not None and (supersede is None or row[2] not in supersede.tracers):
        raise AlreadyImported(row[1], repo.url, repo.commit)
    with store.importing(), store.atomic(), _page_cache(store):
        row = existing()
        if row is not None and (supersede is None or row[2] not in supersede.tracers):
            raise AlreadyImported(row[1], repo.url, repo.commit)
        # Links and rows are flushed in batches; checking foreign keys at commit lets a
        # batch reference rows of the same transaction in any order.
        store.conn.execute("PRAGMA defer_foreign_keys = ON")
        retired = None
        if row is None:
            cur = store.conn.execute(
                'INSERT INTO repositories (url, name, "commit", lean_version, tracer, tracer_version, path, '
                "added_at, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    repo.url,
                    repo.name,
                    repo.commit,
                    repo.lean_version,
                    repo.tracer,
                    repo.tracer_version,
                    repo.path,
                    utcnow(),
                    json.dumps(repo.metadata, ensure_ascii=False, default=str),
                ),
            )
            # From here on this connection holds the write lock, so the ids Ingest
            # allocates from MAX(id) cannot collide with another writer's.
            writer = Ingest(store, repo, int(cur.lastrowid or 0))
        else:
            from .supersede import retire

            # Take the write lock, then allocate ids above everything stored *before*
            # deleting: a replaced premise's id is never reused, so an index built over
            # the old premises cannot pass for one over the new.
            store.conn.execute("UPDATE repositories SET metadata = metadata WHERE id = ?", (row[0],))
            writer = Ingest(store, repo, row[0])
            assert supersede is not None
            retired = retire(store, row[0], repo, supersede)
        yield writer
        writer.flush()
        if retired is not None:
            retired.carry_over(store, writer)
