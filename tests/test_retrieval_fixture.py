"""Tests of the retriever's data layer: queries, accessibility, splits, serialisation, BM25
(on the synthetic repository of `factories.make_repo`)."""

from __future__ import annotations

import pytest
from factories import A, B, D, make_repo

# -- tests of the data layer --------------------------------------------------------------


def test_queries_from_steps_and_statements(store):
    from prover.retrieval.data import build_queries

    make_repo(store, name="steps", n_theorems=10)
    make_repo(store, name="static", n_theorems=10, style="statement", commit="beef")
    steps, static = store.repositories()
    qs = build_queries(store, steps, scheme="x", split=None)
    assert len(qs) == 10 and all(q.step_id is not None for q in qs)
    assert all("goal" not in q.text and "⊢" in q.text for q in qs)  # "1 goal" header stripped
    qt = build_queries(store, static, scheme="x", split=None)
    assert len(qt) == 10 and all(q.step_id is None and q.text.startswith("theorem") for q in qt)
    assert all(1 <= len(q.positives) <= 2 for q in qs + qt)


def test_accessibility_mask(store):
    from prover.retrieval.data import Access, load_corpus

    make_repo(store, n_theorems=3)
    repo = store.repositories()[0]
    corpus = load_corpus(store)
    acc = Access(store, repo, corpus)
    paths = {fid: p for p, fid in acc.path_to_file.items()}
    mask = acc.mask(acc.path_to_file[B], (100, 1))
    got = {(paths[int(corpus.file_ids[i])], corpus.names[i]) for i in range(len(corpus)) if mask[i]}
    files = {p for p, _ in got}
    assert files == {D, A, B}  # Z is not imported; D through A, transitively
    assert {n for p, n in got if p == B} == {f"Syn.b{i}" for i in range(5)}  # "late" lemmas end after
    # Premise ending exactly at the position is accessible; one ending after is not.
    b0 = corpus.row(next(int(corpus.ids[i]) for i in range(len(corpus)) if corpus.names[i] == "Syn.b0"))
    end = (int(corpus.end_line[b0]), int(corpus.end_col[b0]))
    assert acc.mask(acc.path_to_file[B], end)[b0]
    assert not acc.mask(acc.path_to_file[B], (end[0], end[1] - 1))[b0]


def test_splits_are_deterministic_idempotent_and_own_only(store, tmp_path):
    from database.store import Store
    from prover.retrieval.api import SPLIT_SCHEME, ensure_splits
    from prover.retrieval.config import LEGACY_DATA

    make_repo(store, n_theorems=12)
    repo = store.repositories()[0]
    spec = LEGACY_DATA  # leanagent 0.1's split, stored under its old name
    ensure_splits(store, repo, spec)
    ensure_splits(store, repo, spec)
    rows = store.conn.execute(
        "SELECT t.full_name, sa.split FROM split_assignments sa JOIN theorems t ON t.id = sa.theorem_id "
        "WHERE scheme = ?", (SPLIT_SCHEME,)).fetchall()
    assert len(rows) == 12  # own theorems once each; the dependency file has none
    counts = {s: sum(1 for _, x in rows if x == s) for s in ("train", "val", "test")}
    assert counts["val"] >= 1 and counts["test"] >= 1 and counts["train"] >= 8
    other = Store(tmp_path / "other.db")
    make_repo(other, n_theorems=12)
    ensure_splits(other, other.repositories()[0], spec)
    rows2 = other.conn.execute(
        "SELECT t.full_name, sa.split FROM split_assignments sa JOIN theorems t ON t.id = sa.theorem_id"
    ).fetchall()
    other.close()
    assert sorted(rows) == sorted(rows2)


def test_premise_serialisation_marks_name():
    from prover.retrieval.model import format_premise, format_state

    assert format_premise("Nat.add_comm", "protected theorem Nat.add_comm : a + b = b + a") == \
        "protected theorem <a>Nat.add_comm</a> : a + b = b + a"
    assert format_premise("Toy.double", "def double (n : Nat) : Nat := n + n") == \
        "def <a>double</a> (n : Nat) : Nat := n + n"
    assert format_premise("Foo.bar", "theorem _root_.Foo.bar : True") == "theorem <a>Foo.bar</a> : True"
    assert format_state("2 goals\nx : Nat\n⊢ x = x") == "x : Nat\n⊢ x = x"


def test_bm25_matches_rank_bm25():
    from rank_bm25 import BM25Okapi

    from prover.retrieval.lexical import BM25, tokenize

    docs = [tokenize(t) for t in ["theorem add_comm a b : a + b = b + a", "def double n := n + n",
                                   "lemma mul_comm : a * b = b * a", "theorem foo : True", "x x x y"]]
    ref = BM25Okapi(docs)
    ours = BM25(docs)
    for q in (["add", "comm"], ["a", "b", "a"], ["x"], ["missing"], ["true", "n"]):
        assert ours.scores(q) == pytest.approx(ref.get_scores(q))
