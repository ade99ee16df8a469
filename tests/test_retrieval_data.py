"""Queries per proof step for static data, splits sized in queries (random and
novel_premises), and bootstrap intervals."""

from __future__ import annotations

import random

import pytest
from factories import generate_lean_project

from database.records import FileRecord, LinkRecord, PremiseRecord, RepoInfo, StepRecord, TheoremRecord

F = "Pkg/Basic.lean"


def _static_repo(store, name="static"):
    """A static-style repository: theorem-level links, steps with text but no goal states."""
    premises = [PremiseRecord(f"Pkg.{n}", f"theorem {n} : True := trivial", "theorem", (i * 2 + 1, 1),
                              (i * 2 + 1, 30)) for i, n in enumerate(["add_le", "mul_pos", "Sub.le_sub", "neg"])]
    with store.ingest(RepoInfo(url=f"https://example.org/{name}", name=name, commit="1" * 40, tracer="static")) as w:
        w.add_file(FileRecord(F, [], premises, content_hash="h"))
        links = [LinkRecord(f"Pkg.{n}", F, (i * 2 + 1, 1), None, "static") for i, n in
                 enumerate(["add_le", "mul_pos", "Sub.le_sub", "neg"])]
        w.add_theorem(TheoremRecord(
            F, "Pkg.thm", (100, 1), (110, 1), statement="theorem thm (a b : Nat) : a ≤ a + b",
            steps=[StepRecord("intro h"), StepRecord("rw [add_le] -- uses neg in a comment only"),
                   StepRecord("exact Sub.le_sub.trans (mul_pos h)")],
            links=links))
        # a term-mode proof: no steps, one statement query
        w.add_theorem(TheoremRecord(F, "Pkg.term", (120, 1), (121, 1), statement="theorem term : True",
                                    links=links[:1]))


def test_step_queries_hold_the_statement_and_the_proof_before_the_step(store):
    from prover.retrieval.data import build_queries

    _static_repo(store)
    repo = store.repositories()[0]
    ids = {n: pid for pid, n in store.conn.execute("SELECT id, full_name FROM premises")}
    qs = build_queries(store, repo, split=None, mode="steps")
    by_text = {q.text: q for q in qs}
    step1 = by_text["theorem thm (a b : Nat) : a ≤ a + b := by intro h"]
    assert step1.positives == (ids["Pkg.add_le"],) and step1.step_id is not None
    step2 = next(q for q in qs if "rw [add_le]" in q.text)
    # written through its namespace (Sub.le_sub) and through a projection (.trans); not the step's own text
    assert set(step2.positives) == {ids["Pkg.mul_pos"], ids["Pkg.Sub.le_sub"]}
    assert "exact" not in step2.text
    # `neg` is only in a comment: no step names it, so it stays with the statement query
    rest = [q for q in qs if q.step_id is None]
    assert {q.text: q.positives for q in rest} == {
        "theorem thm (a b : Nat) : a ≤ a + b": (ids["Pkg.neg"],),
        "theorem term : True": (ids["Pkg.add_le"],),
    }
    # statement mode: one query per theorem with every premise (leanagent 0.1)
    old = build_queries(store, repo, split=None, mode="statement")
    assert len(old) == 2 and all(q.step_id is None for q in old) and len(old[0].positives) == 4


def test_long_proofs_keep_the_statement_and_the_steps_nearest_the_one_to_predict():
    from prover.retrieval.data import PROOF_CONTEXT_CHARS, STATEMENT_CHARS, step_query_text

    text = step_query_text("theorem t : " + "x" * 1000, [f"step_{i}" for i in range(200)])
    head, proof = text.split(" := by ")
    assert len(head) == STATEMENT_CHARS and proof.startswith("… ") and proof.endswith("step_199")
    assert len(proof) <= PROOF_CONTEXT_CHARS + 2
    assert step_query_text("theorem t : True", []) == "theorem t : True"


def _weights(n, seed=0):
    rng = random.Random(seed)
    return {f"t{i:03d}": rng.choice((1, 1, 2, 3, 8)) for i in range(n)}


def test_random_split_by_weight_reaches_its_targets_and_is_deterministic():
    from database.splits import split_weighted

    w = _weights(200)
    a = split_weighted(list(w), w, num_val=40, num_test=150, seed=7)
    assert a == split_weighted(list(reversed(list(w))), w, num_val=40, num_test=150, seed=7)
    got = {s: sum(w[k] for k, x in a.items() if x == s) for s in ("train", "val", "test")}
    assert 150 <= got["test"] < 150 + 8 and 40 <= got["val"] < 40 + 8
    assert a != split_weighted(list(w), w, num_val=40, num_test=150, seed=8)
    # tiny inputs: at least one of each where there are three theorems, never nothing to train on
    tiny = split_weighted(["a", "b", "c"], {"a": 5, "b": 5, "c": 5}, num_val=1, num_test=1, seed=0)
    assert sorted(tiny.values()) == ["test", "train", "val"]


def test_novel_premises_split_holds_out_premises_no_training_theorem_uses():
    from database.splits import split_weighted

    rng = random.Random(1)
    used = {f"t{i:03d}": rng.sample([f"p{j}" for j in range(60)], rng.randint(1, 3)) for i in range(300)}
    w = _weights(300)
    a = split_weighted(list(used), w, num_val=30, num_test=100, seed=3, premises_used=used)
    train_premises = {p for k, s in a.items() if s == "train" for p in used[k]}
    held = [k for k, s in a.items() if s != "train"]
    assert sum(w[k] for k in held if a[k] == "test") >= 1 and sum(w[k] for k in held) >= 130
    assert all(any(p not in train_premises for p in used[k]) for k in held)


def test_the_test_split_grows_to_min_test_queries_within_its_cap(store, tmp_path):
    from leanagent.tracing.static import StaticIndexConfig, index_repository
    from prover.retrieval.api import ensure_splits
    from prover.retrieval.config import DataConfig
    from prover.retrieval.data import build_queries

    generate_lean_project(tmp_path / "p", theorems=300, files=10, seed=2)
    index_repository(store, tmp_path / "p", RepoInfo(url="gen", name="gen", commit="2" * 40),
                     StaticIndexConfig(workers=1))
    repo = store.repositories()[0]
    total = len(build_queries(store, repo, split=None, mode="steps"))
    for cfg, want in ((DataConfig(min_test_queries=150), max(150, round(0.2 * total))),
                      (DataConfig(min_test_queries=0), round(0.2 * total)),
                      (DataConfig(min_test_queries=10_000, max_test_fraction=0.3), int(0.3 * total))):
        ensure_splits(store, repo, cfg)
        n_test = len(build_queries(store, repo, scheme=cfg.scheme, split="test", mode="steps"))
        assert want <= n_test <= want + 12, (cfg, total, n_test)  # whole theorems: a few over
    schemes = {r[0] for r in store.conn.execute("SELECT DISTINCT scheme FROM split_assignments")}
    assert len(schemes) == 3  # each setting its own stored split, never a reused one


def test_bootstrap_interval_brackets_the_mean_and_narrows_with_more_queries():
    from prover.retrieval.stats import bootstrap_interval, paired_interval

    rng = random.Random(0)
    small = [100.0 * (rng.random() < 0.6) for _ in range(50)]
    large = [100.0 * (rng.random() < 0.6) for _ in range(2000)]
    ci_small, ci_large = bootstrap_interval(small), bootstrap_interval(large)
    assert ci_small is not None and ci_large is not None
    lo, hi = ci_small
    assert lo < sum(small) / 50 < hi and hi - lo > 15
    lo2, hi2 = ci_large
    assert hi2 - lo2 < (hi - lo) / 3
    assert bootstrap_interval(small) == (lo, hi)  # seeded
    assert bootstrap_interval([42.0] * 10) == (42.0, 42.0)
    assert bootstrap_interval([]) is None
    diff = paired_interval([x + 5 for x in small], small)
    assert diff == (5.0, 5.0)
    with pytest.raises(ValueError):
        paired_interval([1.0], [1.0, 2.0])
