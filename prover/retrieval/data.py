"""What the retriever learns from and searches over, read from the knowledge base.

* The **corpus** is every premise in the database (ids ascending), as numpy columns so
  that accessibility masks over 200k premises cost well under a millisecond.
* A **query** is the goal state before a tactic step (LeanDojo data: steps with
  ``state_before`` and step-level links) or the theorem statement (static data:
  theorem-level links, ``step_id`` NULL). Its positives are the premises its links
  resolved to; queries without any are skipped (as LeanAgent does).
* **Accessibility** (reference §7.4): a premise is accessible from position ``pos`` of
  file F if it is in F and ends at or before ``pos``, or lies in a file F imports
  transitively. Imports are paths, resolved within the repository's files.
* **Splits** are per repository over its OWN theorems that have queries (so that a small
  repository still gets non-empty val and test sets), stored in ``split_assignments``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from database.splits import SplitConfig, split_random

from .model import format_premise, format_state

if TYPE_CHECKING:
    from database.store import Repository, Store

    from .api import SplitSpec


@dataclass
class Corpus:
    ids: np.ndarray  # [N] int64 premise ids, ascending
    file_ids: np.ndarray  # [N] int64
    end_line: np.ndarray  # [N] int64
    end_col: np.ndarray  # [N] int64
    start_line: np.ndarray  # [N] int64
    start_col: np.ndarray  # [N] int64
    names: list[str]
    codes: list[str]
    file_paths: dict[int, str]
    _row: dict[int, int] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.ids)

    def row(self, premise_id: int) -> int:
        if not self._row:
            self._row = {int(p): i for i, p in enumerate(self.ids)}
        return self._row[premise_id]

    def text(self, i: int) -> str:
        return format_premise(self.names[i], self.codes[i])

    def texts(self, rows: list[int] | np.ndarray | None = None) -> list[str]:
        rows = range(len(self.ids)) if rows is None else rows
        return [self.text(int(i)) for i in rows]


def load_corpus(store: Store, *, min_id: int = 0) -> Corpus:
    """All premises with id > ``min_id``, ids ascending."""
    rows = store.conn.execute(
        "SELECT id, file_id, start_line, start_col, end_line, end_col, full_name, code "
        "FROM premises WHERE id > ? ORDER BY id",
        (min_id,),
    ).fetchall()
    paths = dict(store.conn.execute("SELECT id, path FROM files").fetchall())
    cols = list(zip(*rows, strict=True)) if rows else [[] for _ in range(8)]
    arr = [np.asarray(c, dtype=np.int64) for c in cols[:6]]
    return Corpus(
        ids=arr[0], file_ids=arr[1], start_line=arr[2], start_col=arr[3], end_line=arr[4],
        end_col=arr[5], names=list(cols[6]), codes=list(cols[7]), file_paths=paths,
    )


def corpus_fingerprint(ids: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(ids, dtype=np.int64).tobytes()).hexdigest()


class Access:
    """Accessibility masks over a corpus for one repository."""

    def __init__(self, store: Store, repo: Repository, corpus: Corpus) -> None:
        self.corpus = corpus
        rows = store.conn.execute(
            "SELECT f.id, f.path, f.imports FROM repo_files rf JOIN files f ON f.id = rf.file_id "
            "WHERE rf.repo_id = ?",
            (repo.id,),
        ).fetchall()
        self.path_to_file = {path: fid for fid, path, _ in rows}
        # Imports that name no file of the repository (e.g. Lean core not exported) are
        # ignored: there are no premises behind them to make accessible.
        self._imports = {
            fid: [self.path_to_file[p] for p in json.loads(imports or "[]") if p in self.path_to_file]
            for fid, _, imports in rows
        }
        self.repo_files = np.array(sorted(self.path_to_file.values()), dtype=np.int64)
        self.in_repo = np.isin(corpus.file_ids, self.repo_files)
        self._closure: dict[int, np.ndarray] = {}

    def imported(self, file_id: int) -> np.ndarray:
        """Ids of the files ``file_id`` imports transitively (not itself), sorted."""
        cached = self._closure.get(file_id)
        if cached is not None:
            return cached
        seen: set[int] = set()
        stack = list(self._imports.get(file_id, ()))
        while stack:  # iterative DFS: import chains can be thousands deep in Mathlib
            f = stack.pop()
            if f in seen or f == file_id:
                continue
            seen.add(f)
            stack.extend(self._imports.get(f, ()))
        out = np.array(sorted(seen), dtype=np.int64)
        self._closure[file_id] = out
        return out

    def mask(self, file_id: int | None, pos: tuple[int, int] | None) -> np.ndarray:
        """[N] bool: premises accessible from ``pos`` in ``file_id`` (whole repository
        when file_id is None; the whole file when pos is None)."""
        c = self.corpus
        if file_id is None:
            return self.in_repo.copy()
        m = np.isin(c.file_ids, self.imported(file_id))
        same = c.file_ids == file_id
        if pos is None:
            return m | same
        line, col = pos
        before = (c.end_line < line) | ((c.end_line == line) & (c.end_col <= col))
        return m | (same & before)

    def locality_key(self, file_id: int, pos: tuple[int, int]) -> np.ndarray:
        """[N] float, smaller = nearer: the same file's premises by distance before the
        theorem, then imported files by import depth (BFS), later premises first."""
        c = self.corpus
        depth = {file_id: 0}
        frontier = [file_id]
        while frontier:
            nxt = []
            for f in frontier:
                for g in self._imports.get(f, ()):
                    if g not in depth:
                        depth[g] = depth[f] + 1
                        nxt.append(g)
            frontier = nxt
        max_line = float(c.end_line.max(initial=0)) + 1.0
        d = np.full(len(c), 1e9)
        for f, k in depth.items():
            sel = c.file_ids == f
            if k == 0:
                d[sel] = np.maximum(pos[0] - c.end_line[sel], 0)
            else:
                d[sel] = k * 1e6 + (max_line - c.end_line[sel])
        return d


@dataclass(frozen=True)
class Query:
    theorem_id: int
    step_id: int | None
    file_id: int
    pos: tuple[int, int]
    text: str
    positives: tuple[int, ...]  # premise ids


def build_queries(store: Store, repo: Repository, *, scheme: str, split: str | None) -> list[Query]:
    """Queries of ``repo``'s theorems assigned to ``split`` (all of its own theorems when
    split is None). Step queries where the theorem has them, else its statement."""
    if split is None:
        sel = ("SELECT t.id FROM repo_files rf JOIN theorems t ON t.file_id = rf.file_id "
               "WHERE rf.repo_id = ? AND rf.is_dependency = 0")
        params: tuple = (repo.id,)
    else:
        sel = "SELECT theorem_id FROM split_assignments WHERE scheme = ? AND repo_id = ? AND split = ?"
        params = (scheme, repo.id, split)
    theorems = {
        r[0]: r[1:]
        for r in store.conn.execute(
            f"SELECT t.id, t.file_id, t.start_line, t.start_col, t.statement FROM theorems t "
            f"WHERE t.id IN ({sel}) ORDER BY t.id",
            params,
        )
    }
    step_pos: dict[int, list[int]] = {}
    step_info: dict[int, tuple[int, str]] = {}
    for sid, tid, state, pid in store.conn.execute(
        f"SELECT s.id, s.theorem_id, s.state_before, l.premise_id FROM tactic_steps s "
        f"JOIN premise_links l ON l.step_id = s.id WHERE s.theorem_id IN ({sel}) "
        f"AND l.premise_id IS NOT NULL AND s.state_before IS NOT NULL ORDER BY s.id, l.idx",
        params,
    ):
        text = format_state(state)
        if not text:
            continue
        step_info[sid] = (tid, text)
        if pid not in step_pos.setdefault(sid, []):
            step_pos[sid].append(pid)
    out: list[Query] = []
    with_steps = set()
    for sid, (tid, text) in step_info.items():
        file_id, line, col, _ = theorems[tid]
        with_steps.add(tid)
        out.append(Query(tid, sid, file_id, (line, col), text, tuple(step_pos[sid])))
    thm_pos: dict[int, list[int]] = {}
    for tid, pid in store.conn.execute(
        f"SELECT theorem_id, premise_id FROM premise_links WHERE theorem_id IN ({sel}) "
        f"AND step_id IS NULL AND premise_id IS NOT NULL ORDER BY theorem_id, idx",
        params,
    ):
        if pid not in thm_pos.setdefault(tid, []):
            thm_pos[tid].append(pid)
    for tid, pids in thm_pos.items():
        if tid in with_steps:
            continue
        file_id, line, col, statement = theorems[tid]
        if not statement:
            continue
        out.append(Query(tid, None, file_id, (line, col), statement.strip(), tuple(pids)))
    out.sort(key=lambda q: (q.theorem_id, q.step_id or 0))
    return out


def ensure_splits(store: Store, repo: Repository, spec: SplitSpec) -> None:
    existing = {
        r[0] for r in store.conn.execute(
            "SELECT theorem_id FROM split_assignments WHERE scheme = ? AND repo_id = ?", (spec.scheme, repo.id)
        )
    }
    own = store.conn.execute(
        "SELECT t.id, f.path, t.full_name, t.start_line, t.start_col FROM repo_files rf "
        "JOIN theorems t ON t.file_id = rf.file_id JOIN files f ON f.id = t.file_id "
        "WHERE rf.repo_id = ? AND rf.is_dependency = 0",
        (repo.id,),
    ).fetchall()
    missing = [r for r in own if r[0] not in existing]
    if not missing:
        return
    rows: list[tuple[str, int, int, str]] = []
    if existing:
        # Theorems added later never move earlier val/test sets: they train.
        rows = [(spec.scheme, repo.id, r[0], "train") for r in missing]
    else:
        evaluable = {q.theorem_id for q in build_queries(store, repo, scheme=spec.scheme, split=None)}
        # Keys are source positions, not row ids, so that the split is the same in any
        # database holding this repository.
        keys = {(r[1], r[2], r[3], r[4]): r[0] for r in own if r[0] in evaluable}
        assigned = split_random(
            list(keys), SplitConfig(seed=spec.seed, val_fraction=spec.val_fraction,
                                    test_fraction=spec.test_fraction)
        )
        by_id = {keys[k]: s for k, s in assigned.items()}
        rows = [(spec.scheme, repo.id, r[0], by_id.get(r[0], "train")) for r in own]
    with store.atomic():
        store.conn.executemany(
            "INSERT OR IGNORE INTO split_assignments (scheme, repo_id, theorem_id, split) VALUES (?, ?, ?, ?)",
            rows,
        )


def data_fingerprint(repos: list[Repository], examples: list[tuple[str, int]]) -> str:
    h = hashlib.sha256()
    for r in repos:
        h.update(f"{r.url}@{r.commit};".encode())
    for text, pid in examples:
        h.update(hashlib.sha1(text.encode()).digest())
        h.update(int(pid).to_bytes(8, "little", signed=True))
    return h.hexdigest()
