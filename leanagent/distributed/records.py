"""A repository's records made away from the database, and written by the driver.

Ray tasks never open the knowledge base: SQLite has one writer, and a task may run on
another machine. A task that indexes a repository drives a `RecordingSink` (the same
calls a tracer makes on `database.ingest.Ingest`) and returns the `PreparedRepository`;
the driver replays it through `write_prepared`, which is one `store.ingest`
transaction, so the stored result is exactly what the tracer would have written in
process.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from database.records import (
    DeclarationSorries,
    Diagnostic,
    FileRecord,
    RepoInfo,
    TheoremRecord,
    is_dependency_path,
)

if TYPE_CHECKING:
    from database.ingest import Ingest, IngestSummary
    from database.store import Store

Event = tuple[str, Any]


class RecordSink(Protocol):
    """What a tracer writes to: `database.ingest.Ingest`, or a `RecordingSink`."""

    def add_file(self, rec: FileRecord) -> object: ...

    def add_theorem(self, rec: TheoremRecord) -> object: ...

    def add_declaration_sorries(self, rec: DeclarationSorries) -> object: ...

    def add_diagnostic(self, diag: Diagnostic) -> object: ...


class RecordingSink:
    """Collects what a tracer would write, in call order."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def add_file(self, rec: FileRecord) -> None:
        self.events.append(("file", rec))

    def add_theorem(self, rec: TheoremRecord) -> None:
        self.events.append(("theorem", rec))

    def add_declaration_sorries(self, rec: DeclarationSorries) -> None:
        self.events.append(("declaration_sorries", rec))

    def add_diagnostic(self, diag: Diagnostic) -> None:
        self.events.append(("diagnostic", diag))


@dataclass
class PreparedRepository:
    """One repository ready to write: its identity and its records, in order."""

    info: RepoInfo
    events: list[Event] = field(default_factory=list)
    #: Seconds spent preparing, by phase (``clone``, ``walk_back``, ``index``), for reports.
    timings: dict[str, float] = field(default_factory=dict)

    def own_theorems(self) -> int:
        return sum(1 for kind, rec in self.events
                   if kind == "theorem" and not is_dependency_path(rec.file_path))

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for kind, _ in self.events:
            out[kind] = out.get(kind, 0) + 1
        return out


def write_prepared(
    store: Store, prepared: PreparedRepository, *, before_commit: Callable[[Ingest], object] | None = None
) -> IngestSummary:
    """Write `prepared` in one transaction (raises `AlreadyImported` as `store.ingest`).

    ``before_commit`` runs inside the same transaction after the records (e.g. to
    record how the repository was found), so both are stored or neither.
    """
    with store.ingest(prepared.info) as w:
        for kind, rec in prepared.events:
            if kind == "file":
                w.add_file(rec)
            elif kind == "theorem":
                w.add_theorem(rec)
            elif kind == "declaration_sorries":
                w.add_declaration_sorries(rec)
            elif kind == "diagnostic":
                w.add_diagnostic(rec)
            else:
                raise ValueError(f"unknown prepared record kind {kind!r}")
        if before_commit is not None:
            w.flush()
            before_commit(w)
    return w.summary
