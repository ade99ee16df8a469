"""Curriculum: difficulty, buckets, orderings (on a real SQLite knowledge base)."""

from __future__ import annotations

import math

import pytest

from curriculum import (
    CurriculumConfig,
    classify,
    difficulty,
    learning_progress,
    order_repositories,
    progress_history,
    repository_difficulties,
    theorem_buckets,
)
from database.errors import ConfigError
from database.records import FileRecord, RepoInfo, SorryRecord, TheoremRecord


def add_repo(store, name, steps, *, sorry=0, dep_steps=(), dep_hash="h"):
    """A repository whose own theorems have the given step counts (0 = term proof),
    plus ``sorry`` sorry theorems and dependency theorems with ``dep_steps``."""
    with store.ingest(RepoInfo(url=f"https://example.org/{name}", name=name, commit="c" * 40)) as w:
        w.add_file(FileRecord(path=f"{name}/A.lean", imports=[], premises=[], content_hash=name))
        for i, s in enumerate(steps):
            w.add_theorem(TheoremRecord(file_path=f"{name}/A.lean", full_name=f"{name}.t{i}",
                                        start=(i + 1, 1), end=(i + 1, 9), num_steps=s))
        for i in range(sorry):
            w.add_theorem(TheoremRecord(file_path=f"{name}/A.lean", full_name=f"{name}.s{i}",
                                        start=(1000 + i, 1), end=(1000 + i, 9),
                                        sorries=[SorryRecord(1000 + i, 5, "proof")]))
        if dep_steps:
            dep = ".lake/packages/mathlib/M.lean"
            w.add_file(FileRecord(path=dep, imports=[], premises=[], content_hash=dep_hash))
            for i, s in enumerate(dep_steps):
                w.add_theorem(TheoremRecord(file_path=dep, full_name=f"M.t{i}", start=(i + 1, 1),
                                            end=(i + 1, 9), num_steps=s))
    return store.find_repository(name)


def test_difficulty_values():
    assert difficulty(3, "proven") == pytest.approx(math.e ** 3)
    assert difficulty(0, "proven") is None
    assert difficulty(5, "sorry") == math.inf
    assert difficulty(5000, "proven") == math.inf  # no OverflowError
    assert classify(1, "proven", (2.0, 4.0)) == "easy"
    assert classify(3, "proven", (2.0, 4.0)) == "medium"
    assert classify(5, "proven", (2.0, 4.0)) == "hard"
    assert classify(0, "proven", (2.0, 4.0)) == "undefined"
    assert classify(1, "sorry", (2.0, 4.0)) == "sorry"


def test_buckets_over_own_theorems_sorry_and_undefined_apart(store):
    repo = add_repo(store, "R", [1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 0], sorry=2)
    (d,) = repository_difficulties(store, [repo])
    # numpy percentiles of 1..9 at 33 / 67: 3.64 and 6.36
    assert d.thresholds == pytest.approx((3.64, 6.36))
    assert d.counts == {"easy": 3, "medium": 3, "hard": 3, "sorry": 2, "undefined": 2}
    buckets = theorem_buckets(store, repo)
    assert sorted(buckets.values()).count("easy") == 3
    # LeanAgent's redistribution: n // 3 to each, remainder to hard
    (r,) = repository_difficulties(store, [repo], CurriculumConfig(undefined="redistribute"))
    assert r.counts == {"easy": 3, "medium": 3, "hard": 5, "sorry": 2, "undefined": 0}
    assert r.redistributed == 2


def test_no_defined_difficulty_does_not_crash(store):
    repo = add_repo(store, "Term", [0, 0, 0], sorry=1)
    (d,) = repository_difficulties(store, [repo])
    assert d.thresholds is None
    assert d.counts["undefined"] == 3 and d.counts["sorry"] == 1


def test_own_basis_versus_leanagent_basis(store):
    # Small has few, very short proofs; Big has many own theorems and a big dependency.
    small = add_repo(store, "Small", [1, 1, 2, 2])
    big = add_repo(store, "Big", [5, 6, 7, 8, 9, 10], dep_steps=[1] * 30)
    own = order_repositories(store, [small, big], "easy-count")
    # each repository's own percentiles: Small has 2 easy (<= 1.99 steps), Big 2
    assert [p.name for p in own] == ["Small", "Big"]
    leanagent = order_repositories(
        store, [small, big], "easy-count", CurriculumConfig(basis="global", include_dependencies=True)
    )
    # with dependencies and a global basis, the Mathlib-like dependency dominates
    assert [p.name for p in leanagent] == ["Big", "Small"]
    assert "dependencies included" in leanagent[0].reason
    assert leanagent[0].key["easy"] == 30


def test_orderings_record_reasons(store):
    a = add_repo(store, "A", [1, 2])
    b = add_repo(store, "B", [1, 2, 3, 4, 5])
    c = add_repo(store, "C", [1, 2, 3])
    repos = [a, b, c]
    given = order_repositories(store, repos, "given")
    assert [p.name for p in given] == ["A", "B", "C"]
    assert given[1].reason == "added #2 to the knowledge base"
    size = order_repositories(store, repos, "size")
    assert [p.name for p in size] == ["B", "C", "A"]
    assert size[0].reason.startswith("5 theorems")
    r1 = order_repositories(store, repos, "random", CurriculumConfig(seed=1))
    r2 = order_repositories(store, repos, "random", CurriculumConfig(seed=1))
    assert [p.name for p in r1] == [p.name for p in r2]
    assert "seed 1" in r1[0].reason
    orders = {tuple(p.name for p in order_repositories(store, repos, "random", CurriculumConfig(seed=s)))
              for s in range(20)}
    assert len(orders) > 1  # the seed matters
    with pytest.raises(ConfigError, match="unknown repository order"):
        order_repositories(store, repos, "alphabetical")


def test_progress_teacher_uses_stored_evaluations(store):
    a = add_repo(store, "A", [1, 2])
    b = add_repo(store, "B", [1, 2, 3, 4])
    c = add_repo(store, "C", [1, 2, 3])
    now = "2024-01-01T00:00:00+00:00"
    ckpt = store.conn.execute(
        "INSERT INTO checkpoints (path, model_name, created_at) VALUES ('x', 'm', ?)", (now,)).lastrowid
    for repo, r10, method, cid in [(a, 10.0, "untrained", None), (b, 20.0, "untrained", None),
                                   (a, 30.0, "dense", ckpt), (b, 25.0, "dense", ckpt),
                                   (c, 99.0, "bm25", None)]:
        store.conn.execute(
            "INSERT INTO evaluations (checkpoint_id, method, repo_id, scheme, split, r10, num_queries, "
            "created_at) VALUES (?, ?, ?, 'random', 'val', ?, 5, ?)", (cid, method, repo.id, r10, now))
    history = progress_history(store, [a.id, b.id, c.id], [None, ckpt])
    assert history == {a.id: [10.0, 30.0], b.id: [20.0, 25.0], c.id: []}
    assert learning_progress(history[a.id]) == 20.0
    placed = order_repositories(store, [a, b, c], "progress", history=history)
    assert [p.name for p in placed] == ["A", "B", "C"]
    assert "+20.00" in placed[0].reason
    assert "no learning progress measured yet (0 measurements)" in placed[2].reason


def test_config_validation():
    with pytest.raises(ConfigError, match="basis"):
        CurriculumConfig(basis="dependencies")  # type: ignore[arg-type]  # invalid on purpose: the runtime check
    with pytest.raises(ConfigError, match="percentiles"):
        CurriculumConfig(percentiles=(70.0, 30.0))
