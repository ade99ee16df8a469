"""Read-only views of the knowledge base that the premise retriever learns from and
searches over (``store.corpus``): every premise, each repository's files and imports,
and the raw material of retrieval queries (goal states or statements and the premises
their links resolved to).

The tables themselves are written by `database.ingest`; this module only reads them,
with plain rows that the retriever turns into numpy columns (``prover.retrieval.data``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from .store import Store


class PremiseRow(NamedTuple):
    id: int
    file_id: int
    start_line: int
    start_col: int
    end_line: int
    end_col: int
    full_name: str
    code: str


class RepoFile(NamedTuple):
    file_id: int
    path: str
    imports: list[str]  # paths of imported files, as stored


class TheoremKey(NamedTuple):
    """A theorem's identity by source position (stable across databases)."""

    id: int
    path: str
    full_name: str
    line: int
    col: int


class TheoremAnchor(NamedTuple):
    file_id: int
    line: int
    col: int
    statement: str | None


class StepLink(NamedTuple):
    step_id: int
    theorem_id: int
    state_before: str
    premise_id: int


class TheoremLink(NamedTuple):
    theorem_id: int
    premise_id: int
    full_name: str  # the name the link resolved to (the premise's full name)


class StepText(NamedTuple):
    """A tactic step without a goal state (static data): its text and place in the proof."""

    step_id: int
    theorem_id: int
    idx: int
    tactic: str


@dataclass(frozen=True)
class QueryMaterial:
    """What retrieval queries are built from, for a set of theorems: where each theorem
    is, its tactic steps with goal states and resolved step-level links, its resolved
    theorem-level links, and the text of its steps that have no goal state; all in id
    order (steps by theorem and index), links in their stored order."""

    theorems: dict[int, TheoremAnchor]
    step_links: list[StepLink]
    theorem_links: list[TheoremLink]
    step_texts: list[StepText]


class CorpusReader:
    """Reads for the retriever (``store.corpus``)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def premises(self, *, min_id: int = 0) -> list[PremiseRow]:
        """All premises with id > ``min_id``, ids ascending."""
        return [PremiseRow(*r) for r in self._store.conn.execute(
            "SELECT id, file_id, start_line, start_col, end_line, end_col, full_name, code "
            "FROM premises WHERE id > ? ORDER BY id",
            (min_id,),
        )]

    def file_paths(self) -> dict[int, str]:
        return {int(i): str(p) for i, p in self._store.conn.execute("SELECT id, path FROM files")}

    def repo_files(self, repo_id: int) -> list[RepoFile]:
        """A repository's files (own and dependencies) with their imports."""
        return [
            RepoFile(int(fid), str(path), json.loads(imports or "[]"))
            for fid, path, imports in self._store.conn.execute(
                "SELECT f.id, f.path, f.imports FROM repo_files rf JOIN files f ON f.id = rf.file_id "
                "WHERE rf.repo_id = ?",
                (repo_id,),
            )
        ]

    def own_theorems(self, repo_id: int) -> list[TheoremKey]:
        """The repository's own theorems (not its dependencies')."""
        return [TheoremKey(*r) for r in self._store.conn.execute(
            "SELECT t.id, f.path, t.full_name, t.start_line, t.start_col FROM repo_files rf "
            "JOIN theorems t ON t.file_id = rf.file_id JOIN files f ON f.id = t.file_id "
            "WHERE rf.repo_id = ? AND rf.is_dependency = 0",
            (repo_id,),
        )]

    def query_material(self, repo_id: int, *, scheme: str, split: str | None) -> QueryMaterial:
        """Query material of the repository's theorems assigned to ``split`` under
        ``scheme`` (all of its own theorems when ``split`` is None)."""
        conn = self._store.conn
        params: tuple[Any, ...]
        if split is None:
            sel = ("SELECT t.id FROM repo_files rf JOIN theorems t ON t.file_id = rf.file_id "
                   "WHERE rf.repo_id = ? AND rf.is_dependency = 0")
            params = (repo_id,)
        else:
            sel = "SELECT theorem_id FROM split_assignments WHERE scheme = ? AND repo_id = ? AND split = ?"
            params = (scheme, repo_id, split)
        theorems = {
            int(r[0]): TheoremAnchor(int(r[1]), int(r[2]), int(r[3]), r[4])
            for r in conn.execute(
                f"SELECT t.id, t.file_id, t.start_line, t.start_col, t.statement FROM theorems t "
                f"WHERE t.id IN ({sel}) ORDER BY t.id",
                params,
            )
        }
        steps = [StepLink(*r) for r in conn.execute(
            f"SELECT s.id, s.theorem_id, s.state_before, l.premise_id FROM tactic_steps s "
            f"JOIN premise_links l ON l.step_id = s.id WHERE s.theorem_id IN ({sel}) "
            f"AND l.premise_id IS NOT NULL AND s.state_before IS NOT NULL ORDER BY s.id, l.idx",
            params,
        )]
        links = [TheoremLink(*r) for r in conn.execute(
            f"SELECT theorem_id, premise_id, full_name FROM premise_links WHERE theorem_id IN ({sel}) "
            f"AND step_id IS NULL AND premise_id IS NOT NULL ORDER BY theorem_id, idx",
            params,
        )]
        texts = [StepText(*r) for r in conn.execute(
            f"SELECT id, theorem_id, idx, tactic FROM tactic_steps WHERE theorem_id IN ({sel}) "
            f"AND state_before IS NULL ORDER BY theorem_id, idx",
            params,
        )]
        return QueryMaterial(theorems, steps, links, texts)
