"""Superseding a repository's data in place (database.supersede), on a real SQLite file."""

from __future__ import annotations

import pytest

from database.errors import AlreadyImported
from database.records import (
    FileRecord,
    LinkRecord,
    PremiseRecord,
    RepoInfo,
    SorryRecord,
    StepRecord,
    TheoremRecord,
)
from database.supersede import Supersede, SupersedeConflict

URL, COMMIT = "https://example.com/o/toy", "a" * 40


def _static(store):
    """Static-looking data: two own files (one the trace will not cover), a link from the
    uncovered file into the covered one."""
    info = RepoInfo(URL, "o/toy", COMMIT, tracer="static", tracer_version="static 2", lean_version="v4.9.0")
    with store.ingest(info) as w:
        w.add_file(FileRecord("Toy/A.lean", [], [PremiseRecord("Toy.f", "def f := 1", "def", (1, 1), (1, 11))], "s:a"))
        w.add_file(FileRecord("Toy/Scratch.lean", ["Toy/A.lean"], [], "s:b"))
        w.add_theorem(TheoremRecord("Toy/A.lean", "Toy.t", (3, 1), (3, 30), statement="theorem t : f = 1",
                                    sorries=[]))
        w.add_theorem(TheoremRecord("Toy/A.lean", "Toy.gone", (5, 1), (5, 30), statement="theorem gone : True",
                                    status="sorry"))
        w.add_theorem(TheoremRecord("Toy/Scratch.lean", "Toy.s", (1, 1), (1, 40), statement="theorem s : f = 1",
                                    links=[LinkRecord("Toy.f", "Toy/A.lean", (1, 5), None, "static:exact")]))
    return w.repo_id


def _traced(store, *, with_gone: bool = True):
    info = RepoInfo(URL, "o/toy", COMMIT, tracer="leandojo", tracer_version="lean-dojo 4.20.0",
                    lean_version="v4.9.0")
    plan = Supersede(frozenset({"static"}), frozenset({"Toy/A.lean"}))
    with store.ingest(info, plan) as w:
        # the traced premise range differs from the static one; links must still resolve
        w.add_file(FileRecord("Toy/A.lean", [], [PremiseRecord("Toy.f", "def f := 1", "commanddeclaration",
                                                               (1, 1), (1, 12))], "leandojo:x"))
        w.add_theorem(TheoremRecord("Toy/A.lean", "Toy.t", (3, 1), (3, 30), statement="theorem t : f = 1",
                                    steps=[StepRecord("rfl", "rfl", "⊢ f = 1", "no goals")], num_steps=1))
        if with_gone:
            w.add_theorem(TheoremRecord("Toy/A.lean", "Toy.gone", (6, 1), (6, 30), statement="theorem gone : True",
                                        sorries=[SorryRecord(6, 25, "source")]))
    return w


def _ids(store, sql, *args):
    return [r[0] for r in store.conn.execute(sql, args)]


def test_traced_data_replaces_static_data_of_covered_files_in_place(store):
    rid = _static(store)
    old_t = _ids(store, "SELECT id FROM theorems WHERE full_name = 'Toy.t'")[0]
    old_gone = _ids(store, "SELECT id FROM theorems WHERE full_name = 'Toy.gone'")[0]
    old_premise = _ids(store, "SELECT id FROM premises WHERE full_name = 'Toy.f'")[0]
    store.conn.execute("INSERT INTO proofs (theorem_id, proof, checked_by, found_at) VALUES (?, 'by trivial', "
                       "'repl', 'now')", (old_gone,))
    store.conn.execute("UPDATE theorems SET status = 'proved_by_agent' WHERE id = ?", (old_gone,))
    store.conn.execute("INSERT INTO split_assignments VALUES ('leanagent/random', ?, ?, 'test')", (rid, old_t))
    store.conn.commit()

    w = _traced(store)
    repos = store.repositories()
    assert [r.id for r in repos] == [rid]  # one identity
    repo = repos[0]
    assert repo.tracer == "leandojo"
    assert repo.metadata["superseded"]["tracer"] == "static"
    assert repo.metadata["superseded"]["files_replaced"] == 1
    assert repo.metadata["superseded"]["files_kept"] == 1
    names = {t["full_name"]: t for t in store.theorems(repo)}
    assert set(names) == {"Toy.t", "Toy.gone", "Toy.s"}  # Scratch.lean keeps its static theorem
    assert names["Toy.t"]["num_steps"] == 1
    new_t, new_gone = names["Toy.t"]["id"], names["Toy.gone"]["id"]
    # ids are never reused: an index over the old premises cannot pass for the new ones
    assert new_t > old_gone and _ids(store, "SELECT id FROM premises WHERE full_name = 'Toy.f'")[0] > old_premise
    # the agent's proof and its status followed the theorem; the split too
    assert _ids(store, "SELECT theorem_id FROM proofs") == [new_gone]
    assert names["Toy.gone"]["status"] == "proved_by_agent"
    assert _ids(store, "SELECT theorem_id FROM split_assignments") == [new_t]
    # the kept theorem's link into the replaced file points at the new premise
    link = store.conn.execute("SELECT premise_id FROM premise_links WHERE full_name = 'Toy.f' AND step_id IS NULL"
                              ).fetchone()[0]
    assert link == _ids(store, "SELECT id FROM premises WHERE full_name = 'Toy.f'")[0]
    assert store.conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert any("superseded the static data of 1 files" in d.message for d in w.summary.diagnostics)


def test_orphaned_proof_aborts_and_leaves_everything_as_it_was(store, home):
    _static(store)
    gone = _ids(store, "SELECT id FROM theorems WHERE full_name = 'Toy.gone'")[0]
    store.conn.execute("INSERT INTO proofs (theorem_id, proof, checked_by, found_at) VALUES (?, 'p', 'repl', 'x')",
                       (gone,))
    store.conn.commit()
    before = {t: store.conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
              for t in ("theorems", "premises", "files", "premise_links", "proofs")}
    with pytest.raises(SupersedeConflict, match=r"Toy.gone .*nothing was changed"):
        _traced(store, with_gone=False)
    after = {t: store.conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in before}
    assert after == before
    assert store.repositories()[0].tracer == "static"


def test_only_named_tracers_are_superseded(store):
    info = RepoInfo(URL, "o/toy", COMMIT, tracer="export")
    with store.ingest(info) as w:
        w.add_file(FileRecord("Toy/A.lean", [], [], "e:a"))
    with pytest.raises(AlreadyImported):
        _traced(store)
    # and without a plan, a second import of the same commit is refused as before
    with pytest.raises(AlreadyImported):
        store.ingest(RepoInfo(URL, "o/toy", COMMIT, tracer="static")).__enter__()
