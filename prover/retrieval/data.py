"""What the retriever learns from and searches over, read from the knowledge base.

* The **corpus** is every premise in the database (ids ascending), as numpy columns so
  that accessibility masks over 200k premises cost well under a millisecond.
* A **query** is the goal state before a tactic step (LeanDojo data: steps with
  ``state_before`` and step-level links); for static data (theorem-level links, steps
  without goal states) it is the statement plus the proof text before a step that names
  premises, or the statement alone (`build_queries`, `DataConfig.queries`). Its positives
  are the premises its links resolved to; queries without any are skipped (as LeanAgent
  does).
* **Accessibility** (ReProver's rule, kept by LeanAgent; docs/method.md, "Retrieval"):
  a premise is accessible from position ``pos`` of file F if it is in F and ends at or
  before ``pos``, or lies in a file F imports transitively. Imports are paths, resolved
  within the repository's files.
* **Splits** are per repository over its OWN theorems that have queries (so that a small
  repository still gets non-empty val and test sets), sized in queries, random or
  novel_premises, stored in ``split_assignments`` under `DataConfig.scheme`.

The rows come from the knowledge base's read accessor (``store.corpus``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from database.lean_text import IDENT, blank_non_code, split_name, strip_guillemets
from database.splits import split_random, split_weighted

from .config import SPLIT_SCHEME, DataConfig
from .model import format_premise, format_state

if TYPE_CHECKING:
    from database.store import Repository, Store

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]


@dataclass
class Corpus:
    ids: IntArray  # [N] premise ids, ascending
    file_ids: IntArray  # [N]
    end_line: IntArray  # [N]
    end_col: IntArray  # [N]
    start_line: IntArray  # [N]
    start_col: IntArray  # [N]
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

    def texts(self, rows: list[int] | IntArray | None = None) -> list[str]:
        if rows is None:
            return [self.text(i) for i in range(len(self.ids))]
        return [self.text(int(i)) for i in rows]


def load_corpus(store: Store, *, min_id: int = 0) -> Corpus:
    """All premises with id > ``min_id``, ids ascending."""
    rows = store.corpus.premises(min_id=min_id)

    def column(i: int) -> IntArray:
        return np.asarray([r[i] for r in rows], dtype=np.int64)

    return Corpus(
        ids=column(0), file_ids=column(1), start_line=column(2), start_col=column(3), end_line=column(4),
        end_col=column(5), names=[r.full_name for r in rows], codes=[r.code for r in rows],
        file_paths=store.corpus.file_paths(),
    )


def corpus_fingerprint(ids: IntArray) -> str:
    return hashlib.sha256(np.ascontiguousarray(ids, dtype=np.int64).tobytes()).hexdigest()


class Access:
    """Accessibility masks over a corpus for one repository."""

    def __init__(self, store: Store, repo: Repository, corpus: Corpus) -> None:
        self.corpus = corpus
        rows = store.corpus.repo_files(repo.id)
        self.path_to_file = {f.path: f.file_id for f in rows}
        # Imports that name no file of the repository (e.g. Lean core not exported) are
        # ignored: there are no premises behind them to make accessible.
        self._imports = {
            f.file_id: [self.path_to_file[p] for p in f.imports if p in self.path_to_file] for f in rows
        }
        self.repo_files = np.array(sorted(self.path_to_file.values()), dtype=np.int64)
        self.in_repo = np.isin(corpus.file_ids, self.repo_files)
        self._closure: dict[int, IntArray] = {}

    def imported(self, file_id: int) -> IntArray:
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

    def mask(self, file_id: int | None, pos: tuple[int, int] | None) -> BoolArray:
        """[N] bool: premises accessible from ``pos`` in ``file_id`` (whole repository
        when file_id is None; the whole file when pos is None)."""
        c = self.corpus
        if file_id is None:
            return self.in_repo.copy()
        m: BoolArray = np.isin(c.file_ids, self.imported(file_id))
        same: BoolArray = c.file_ids == file_id
        if pos is None:
            return m | same
        line, col = pos
        before: BoolArray = (c.end_line < line) | ((c.end_line == line) & (c.end_col <= col))
        return m | (same & before)

    def locality_key(self, file_id: int, pos: tuple[int, int]) -> FloatArray:
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
        d: FloatArray = np.full(len(c), 1e9)
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


#: Characters of a statement kept at the head of a step query, and of the proof before the
#: step kept after it (its end: the steps nearest the one to predict). Lean text is about
#: 3 characters per MiniLM token, so a query fits the default 128-token limit.
STATEMENT_CHARS = 240
PROOF_CONTEXT_CHARS = 200


def step_query_text(statement: str, before: list[str]) -> str:
    """The query for a proof step of static data: the statement, then the proof text
    before the step (its last `PROOF_CONTEXT_CHARS` characters). Both are known when the
    prover is about to write that step, so the query is honest; the step itself is not
    part of it."""
    head = " ".join(statement.split())[:STATEMENT_CHARS]
    proof = " ".join(" ".join(before).split())
    if len(proof) > PROOF_CONTEXT_CHARS:
        proof = "… " + proof[-PROOF_CONTEXT_CHARS:]
    return f"{head} := by {proof}" if proof else head


def _name_forms(full_name: str) -> set[str]:
    """How a proof may write a reference to ``full_name``: any dot-suffix (namespaces are
    opened or the reference is inside them), without guillemets."""
    parts = [strip_guillemets(p) for p in split_name(full_name)]
    return {".".join(parts[i:]) for i in range(len(parts))}


def _written_names(text: str) -> set[str]:
    """Identifiers written in ``text`` (comments and strings blanked), with every
    dot-prefix of each (``h.trans`` and ``Foo.bar.le`` may resolve through a prefix)."""
    out: set[str] = set()
    for m in IDENT.finditer(blank_non_code(text)):
        parts = [strip_guillemets(p) for p in split_name(m.group(0))]
        for k in range(1, len(parts) + 1):
            out.add(".".join(parts[:k]))
    return out


def build_queries(store: Store, repo: Repository, *, scheme: str = SPLIT_SCHEME, split: str | None,
                  mode: str = "statement") -> list[Query]:
    """Queries of ``repo``'s theorems assigned to ``split`` under ``scheme`` (all of its
    own theorems when split is None).

    Step-level data (goal states, LeanDojo): one query per step, its goal state. Otherwise
    ``mode`` decides (see `DataConfig`): ``statement``, one query per theorem with all its
    premises; ``steps``, one query per proof step whose text names a premise the theorem
    uses (`step_query_text`; positives: those premises), plus one statement query for the
    premises no step names (term-mode proofs, references inside ``where`` clauses...)."""
    material = store.corpus.query_material(repo.id, scheme=scheme, split=split)
    theorems = material.theorems
    step_pos: dict[int, list[int]] = {}
    step_info: dict[int, tuple[int, str]] = {}
    for sid, tid, state, pid in material.step_links:
        text = format_state(state)
        if not text:
            continue
        step_info[sid] = (tid, text)
        if pid not in step_pos.setdefault(sid, []):
            step_pos[sid].append(pid)
    out: list[Query] = []
    with_steps = set()
    for sid, (tid, text) in step_info.items():
        anchor = theorems[tid]
        with_steps.add(tid)
        out.append(Query(tid, sid, anchor.file_id, (anchor.line, anchor.col), text, tuple(step_pos[sid])))
    thm_links: dict[int, dict[int, str]] = {}
    for tid, pid, name in material.theorem_links:
        thm_links.setdefault(tid, {}).setdefault(pid, name)
    texts: dict[int, list[tuple[int, str]]] = {}
    if mode == "steps":
        for sid, tid, _idx, tactic in material.step_texts:
            texts.setdefault(tid, []).append((sid, tactic))
    for tid, links in thm_links.items():
        if tid in with_steps:
            continue
        anchor = theorems[tid]
        if not anchor.statement:
            continue
        pos = (anchor.line, anchor.col)
        left = dict(links)
        steps = texts.get(tid, [])
        forms = {pid: _name_forms(name) for pid, name in links.items()}
        for k, (sid, tactic) in enumerate(steps):
            written = _written_names(tactic)
            named = tuple(pid for pid in links if forms[pid] & written)
            if not named:
                continue
            text = step_query_text(anchor.statement, [t for _, t in steps[:k]])
            out.append(Query(tid, sid, anchor.file_id, pos, text, named))
            for pid in named:
                left.pop(pid, None)
        if left:
            out.append(Query(tid, None, anchor.file_id, pos, anchor.statement.strip(), tuple(left)))
    out.sort(key=lambda q: (q.theorem_id, q.step_id or 0))
    return out


def ensure_splits(store: Store, repo: Repository, data: DataConfig) -> None:
    """Split ``repo``'s own theorems under ``data.scheme``, once (see `DataConfig`).

    Theorems with queries are split, sized by their query counts; theorems without any,
    and theorems added after the split was made, train, so earlier val/test sets never
    change."""
    scheme = data.scheme
    existing = store.split_assignments.theorem_ids(scheme, repo.id)
    own = store.corpus.own_theorems(repo.id)
    missing = [t for t in own if t.id not in existing]
    if not missing:
        return
    if existing:
        store.split_assignments.assign(scheme, repo.id, [(t.id, "train") for t in missing])
        return
    queries = build_queries(store, repo, scheme=scheme, split=None, mode=data.queries)
    count: dict[int, int] = {}
    used: dict[int, set[int]] = {}
    for q in queries:
        count[q.theorem_id] = count.get(q.theorem_id, 0) + 1
        used.setdefault(q.theorem_id, set()).update(q.positives)
    # Keys are source positions, not row ids, so that the split is the same in any
    # database holding this repository.
    keys = {(t.path, t.full_name, t.line, t.col): t.id for t in own if t.id in count}
    if data.legacy:
        assigned = split_random(list(keys), data.split_config())  # leanagent 0.1's split, unchanged
    else:
        weights = {k: count[tid] for k, tid in keys.items()}
        total = sum(weights.values())
        num_test = max(round(total * data.test_fraction), min(data.min_test_queries,
                                                               int(total * data.max_test_fraction)))
        num_val = round(total * data.val_fraction)
        names = {k: [str(p) for p in sorted(used[tid])] for k, tid in keys.items()}
        assigned = split_weighted(list(keys), weights, num_val=num_val, num_test=num_test, seed=data.seed,
                                  premises_used=names if data.split == "novel_premises" else None)
    by_id = {keys[k]: s for k, s in assigned.items()}
    store.split_assignments.assign(scheme, repo.id, [(t.id, by_id.get(t.id, "train")) for t in own])


def data_fingerprint(repos: list[Repository], examples: list[tuple[str, int]]) -> str:
    h = hashlib.sha256()
    for r in repos:
        h.update(f"{r.url}@{r.commit};".encode())
    for text, pid in examples:
        h.update(hashlib.sha1(text.encode()).digest())
        h.update(int(pid).to_bytes(8, "little", signed=True))
    return h.hexdigest()
