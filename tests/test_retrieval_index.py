"""FAISS index: exact accessible top-k equals brute force; accessibility holds even when
inaccessible copies score as high; incremental updates; the CLI commands."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from factories import A, B, Z, make_repo, tiny_bert

from database.home import Home


def _brute(vectors: np.ndarray, q: np.ndarray, mask: np.ndarray, k: int) -> np.ndarray:
    acc = np.flatnonzero(mask)
    return acc[np.argsort(-(vectors[acc] @ q), kind="stable")[:k]]


@pytest.mark.parametrize("density", [1.0, 0.5, 0.05, 0.002, 0.0])
def test_faiss_exact_search_equals_brute_force(density):
    import faiss

    from prover.retrieval.index import PremiseIndex

    rng = np.random.default_rng(1)
    vecs = rng.standard_normal((3000, 24)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    flat = faiss.IndexFlatIP(24)
    flat.add(vecs)
    pidx = PremiseIndex(flat, np.arange(3000), "flat")
    queries = rng.standard_normal((20, 24)).astype(np.float32)
    masks = [rng.random(3000) < density for _ in queries]
    for k in (1, 10, 100):
        got = pidx.search(queries, masks, k)
        for q, m, (rows, scores) in zip(queries, masks, got, strict=True):
            want = _brute(vecs, q, m, k)
            assert rows.tolist() == want.tolist()
            np.testing.assert_allclose(scores, vecs[want] @ q, atol=1e-5)


@pytest.fixture
def tiny_home(tmp_path, store):
    make_repo(store, n_theorems=30)
    return {"home": Home(tmp_path / "home"), "model": str(tiny_bert(tmp_path / "tiny"))}


def test_retrieve_respects_accessibility_against_higher_scoring_copies(store, tiny_home):
    from prover.retrieval.api import EvalConfig, retrieve
    from prover.retrieval.checkpoints import load_encoder
    from prover.retrieval.data import Access, load_corpus

    home, cfg = tiny_home["home"], EvalConfig(model=tiny_home["model"], max_length=48, precision="fp32")
    repo = store.repositories()[0]
    corpus = load_corpus(store)
    a3 = corpus.names.index("Syn.a3")
    query = corpus.text(a3)  # scores ~1.0 with Syn.a3 and with its copies in Z and late in B
    got = retrieve(store, home, checkpoint_id=None, query=query, repo=repo, file=B, position=(100, 1), k=10,
                   config=cfg)
    access = Access(store, repo, corpus)
    mask = access.mask(access.path_to_file[B], (100, 1))
    enc = load_encoder(store, home, None, model=cfg.model, max_length=48, device="cpu")
    vecs = enc.encode(corpus.texts(), bf16=False)
    q = enc.encode([query], bf16=False)[0]
    all_rank = np.argsort(-(vecs @ q), kind="stable")
    inaccessible_above = [r for r in all_rank[:10] if not mask[r]]
    assert inaccessible_above, "the fixture must put inaccessible premises among the unrestricted top 10"
    assert [g.premise_id for g in got] == [int(corpus.ids[r]) for r in _brute(vecs, q, mask, 10)]
    assert got[0].full_name == "Syn.a3"
    assert not any(g.path == Z or g.full_name.startswith("Syn.late") for g in got)
    # From A, only D's premises and A's earlier ones: B's are not imported by A.
    got_a = retrieve(store, home, checkpoint_id=None, query=query, repo=repo, file=A, position=(20, 1), k=100,
                     config=cfg)
    assert {g.path for g in got_a} <= {A, ".lake/packages/dep/Dep/Core.lean"}
    assert sum(g.path == A for g in got_a) == 3  # a0..a2 end before line 20
    assert len(got_a) == 20 + 3


def test_index_is_incremental_and_matches_rebuild(store, tiny_home):
    from prover.retrieval.api import EvalConfig, build_index
    from prover.retrieval.index import ensure_index

    home, cfg = tiny_home["home"], EvalConfig(model=tiny_home["model"], max_length=48, precision="fp32")
    first = build_index(store, home, checkpoint_id=None, config=cfg)
    assert first.added == first.num_vectors > 0
    assert build_index(store, home, checkpoint_id=None, config=cfg).added == 0
    make_repo(store, name="second", commit="abc", n_theorems=5, seed=3)  # shares D (same hash): new A, B, Z
    second = build_index(store, home, checkpoint_id=None, config=cfg)
    n_total = store.conn.execute("SELECT COUNT(*) FROM premises").fetchone()[0]
    assert second.num_vectors == n_total and second.added == n_total - first.num_vectors
    assert store.conn.execute("SELECT COUNT(*) FROM faiss_indexes").fetchone()[0] == 1
    pidx, *_ = ensure_index(store, home, checkpoint_id=None, config=cfg)
    rebuilt, *_ = ensure_index(store, Home(home.root.parent / "fresh"), checkpoint_id=None, config=cfg)
    np.testing.assert_allclose(pidx.vectors, rebuilt.vectors, atol=1e-5)


def test_cli_train_eval_retrieve(tmp_path, fixtures):
    from leanagent.cli import main

    model = str(tiny_bert(tmp_path / "tiny"))
    runner = CliRunner()
    home = str(tmp_path / "home")
    r = runner.invoke(main, ["--home", home, "add", str(fixtures / "exports" / "leanagent_toy")])
    assert r.exit_code == 0, r.output
    common = ["--model", model, "--max-length", "48", "--precision", "fp32"]
    r = runner.invoke(main, ["--home", home, "train", "--max-steps", "2", "--json", *common])
    assert r.exit_code == 0, r.output
    cid = json.loads(r.stdout[r.stdout.index("{"):])["checkpoint_id"]
    r = runner.invoke(main, ["--home", home, "eval", "--split", "train", "--json", *common])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout[r.stdout.index("["):])
    assert {row["method"] for row in rows} == {"dense", "fused", "untrained", "bm25", "locality"}
    assert all(row["checkpoint_id"] in (cid, None) for row in rows)
    r = runner.invoke(main, ["--home", home, "retrieve", "n + m = m + n", "--repo", "1", "--k", "3",
                             "--json", *common])
    assert r.exit_code == 0, r.output
    assert 1 <= len(json.loads(r.stdout[r.stdout.index("["):])) <= 3
    r = runner.invoke(main, ["--home", home, "retrieve", "x", "--repo", "1", "--file", "Nope.lean", *common])
    assert r.exit_code == 1 and "has no file 'Nope.lean'" in r.output
