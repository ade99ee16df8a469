"""The static indexer end to end: real fixture projects -> a real SQLite knowledge base."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from database.home import Home
from database.ingest import IngestSummary
from database.records import RepoInfo
from database.store import Store
from leanagent.tracing import AddRequest, add_source, choose_tracer
from leanagent.tracing.static import StaticIndexConfig, index_repository


def _links(store: Store) -> dict[str, list[tuple[str, str, str | None]]]:
    out: dict[str, list] = {}
    rows = store.conn.execute(
        "SELECT t.full_name, l.full_name, l.resolution, p.full_name FROM theorems t "
        "LEFT JOIN premise_links l ON l.theorem_id = t.id LEFT JOIN premises p ON p.id = l.premise_id "
        "ORDER BY t.id, l.idx"
    )
    for thm, link, how, premise in rows:
        out.setdefault(thm, [])
        if link is not None:
            out[thm].append((link, how, premise))
    return out


def _index(store: Store, root: Path, **kw) -> IngestSummary:
    repo = RepoInfo(url=str(root), name=root.name, commit="c" * 40)
    return index_repository(store, root, repo, StaticIndexConfig(**kw))


def test_premise_links_are_exact(store: Store, fixtures: Path) -> None:
    _index(store, fixtures / "lean" / "links")
    links = _links(store)
    assert links["A.uses_secret"] == [("A.secret", "static:namespace", "A.secret")]
    assert links["c1"] == [("A.base", "static:open", "A.base")]
    assert links["c2"] == []  # protected: not reachable through `open A` by its last component
    assert links["c3"] == [("A.prot", "static:exact", "A.prot")]
    assert links["c4"] == []  # private to another file
    assert links["c5"] == []  # that file is not imported
    assert links["c6"] == []  # a hypothesis shadows the declaration
    assert links["c7"] == [("A.iff_thm", "static:open+proj", "A.iff_thm")]
    assert links["c8"] == []  # declared later in the file
    assert links["c9"] == [("later", "static:exact", "later")]
    assert links["c10"] == []  # A.base and B.base both open: ambiguous
    assert links["c11"] == [("B.base", "static:exact", "B.base")]
    assert links["c12"] == []  # bound by fun / ∀
    assert links["c13"] == [("A.base", "static:exact", "A.base")]
    assert links["A.c14"] == []  # namespace A gives A.base, open B gives B.base
    # def positions point at the declaration name (LeanDojo's def_pos)
    row = store.conn.execute(
        "SELECT def_path, def_line, def_col, def_end_line, def_end_col FROM premise_links WHERE full_name = 'A.base'"
    ).fetchone()
    assert row == ("Links/A.lean", 3, 9, 3, 13)


def test_fixture_project(store: Store, fixtures: Path, home: Path) -> None:
    root = fixtures / "lean" / "proj"
    [summary] = add_source(store, AddRequest(source=str(root)), Home(home))
    assert choose_tracer(AddRequest(source=str(root))) == "static"
    repo = store.conn.execute(
        "SELECT url, lean_version, tracer, tracer_version, path, metadata FROM repositories"
    ).fetchone()
    assert repo[0] == str(root.resolve()) and repo[1] == "v4.9.0" and repo[2] == "static"
    assert "static indexer" in repo[3] and repo[4] == str(root.resolve())
    meta = json.loads(repo[5])
    assert meta["package"] == "proj"
    assert meta["manifest_packages"][0]["rev"] == "0123456789abcdef0123456789abcdef01234567"
    assert meta["unresolved_imports"] == {"Mathlib.Tactic": 1}
    files = dict(store.conn.execute("SELECT path, imports FROM files"))
    assert sorted(files) == ["Proj/Basic.lean", "Proj/Main.lean", "Proj/Syntax.lean"]  # not the lakefile
    assert json.loads(files["Proj/Main.lean"]) == ["Proj/Basic.lean"]
    assert json.loads(files["Proj/Syntax.lean"]) == ["Proj/Basic.lean", "Proj/Main.lean"]
    thms = {
        r[0]: r[1:]
        for r in store.conn.execute(
            "SELECT full_name, kind, proof_style, num_steps, status, start_line, start_col FROM theorems"
        )
    }
    assert thms["Proj.double_zero"] == ("theorem", "term", 0, "proven", 11, 9)
    assert thms["Proj.double_add"] == ("theorem", "tactic", 2, "proven", 18, 1)
    assert thms["Proj.Main.uses_double"] == ("lemma", "tactic", 1, "proven", 10, 1)
    assert thms["Proj.Main.tactic_nested"][2] == 1  # `induction … with | …` is one step
    assert thms["Proj.Main.eqns"][1] == "equations"
    assert thms["Proj.Syntax.where_style"][1] == "where"
    assert thms["Proj.Syntax.many_steps"][2] == 4
    assert thms["Proj.Syntax.two_sorries"][1:4] == ("tactic", 3, "sorry")
    assert thms["rootThm"][0] == "theorem"
    assert "imo_fake" not in thms and "wanted_thing" not in thms and "after_exit" not in thms
    assert "hidden" not in thms and "fake" not in thms  # inside comments
    sorries = sorted(store.conn.execute("SELECT declaration, kind, line, col, context FROM sorries"))
    assert sorries == [
        ("Proj.Main.term_sorry", "theorem", 28, 38, "term"),
        ("Proj.Main.uses_sorry", "def", 37, 25, "body"),
        ("Proj.Main.with_sorry", "theorem", 26, 19, "tactic"),
        ("Proj.Syntax.sorry_in_stmt", "theorem", 108, 45, "statement"),
        ("Proj.Syntax.two_sorries", "theorem", 106, 22, "tactic"),
        ("Proj.Syntax.two_sorries", "theorem", 106, 35, "tactic"),
        ("answer", "determine", 157, 27, "body"),
        ("example", "example", 39, 30, "body"),
        ("example", "example", 103, 37, "body"),
        ("imo_fake", "problem", 155, 42, "body"),
    ]
    kinds = dict(store.conn.execute("SELECT full_name, kind FROM premises"))
    assert kinds["imo_fake"] == "problem" and kinds["wanted_thing"] == "theorem_wanted"
    assert kinds["double_alias"] == "alias" and kinds["Proj.Syntax.instInhabitedNat"] == "instance"
    assert kinds["Proj.Syntax.instNamed"] == "instance" and kinds["Proj.Syntax.Tree"] == "inductive"
    code = dict(store.conn.execute("SELECT full_name, code FROM premises"))
    assert code["Proj.double_zero"] == "@[simp] theorem double_zero : double 0 = 0"
    assert code["Proj.double"] == "def double (n : Nat) : Nat := n + n"
    starts = {r[0]: r[1:] for r in store.conn.execute("SELECT full_name, start_line, start_col, end_line, "
                                                        "end_col FROM premises")}
    assert starts["Proj.Syntax.strs"] == (18, 1, 21, 105)  # docstring, attributes, modifiers included
    links = _links(store)
    assert links["Proj.double_add"] == [("Proj.double", "static:namespace", "Proj.double")]
    assert links["Proj.Main.tactic_nested"] == [("Proj.double_zero", "static:namespace", "Proj.double_zero")]
    assert links["Proj.Main.local_shadow"] == []
    assert links["Proj.Syntax.point_ext"] == [("Proj.Point.ext'", "static:namespace", "Proj.Point.ext'")]
    assert links["Proj.Syntax.calls_prot"] == [("Proj.Syntax.Nat.myProt", "static:namespace",
                                                  "Proj.Syntax.Nat.myProt")]
    assert links["Proj.Syntax.uses_not_sorry"] == [("Proj.Syntax.not_sorry_lemma", "static:namespace",
                                                      "Proj.Syntax.not_sorry_lemma")]
    steps = store.conn.execute(
        "SELECT s.tactic, s.line, s.col, s.structure FROM tactic_steps s JOIN theorems t ON t.id = s.theorem_id "
        "WHERE t.full_name = 'Proj.Main.two_steps' ORDER BY s.idx"
    ).fetchall()
    assert [s[:3] for s in steps] == [("subst h", 14, 3), ("· rfl", 15, 3)]
    assert json.loads(steps[1][3]) == [
        {"opener": "·", "line": 15, "col": 5, "steps": [{"tactic": "rfl", "line": 15, "col": 5}]}
    ]
    assert summary.theorems == store.conn.execute("SELECT COUNT(*) FROM theorems").fetchone()[0]


def test_dependencies_are_shared_and_invalid_utf8_reported(tmp_path: Path, fixtures: Path) -> None:
    store = Store(tmp_path / "kb.db")
    roots = []
    for name in ("one", "two"):
        root = tmp_path / name
        shutil.copytree(fixtures / "lean" / "links", root)
        dep = root / ".lake" / "packages" / "deplib" / "Dep"
        dep.mkdir(parents=True)
        (dep / "Core.lean").write_text("namespace Dep\n\ntheorem core_fact : 0 = 0 := rfl\n\nend Dep\n")
        (root / ".lake" / "build").mkdir()
        (root / ".lake" / "build" / "Junk.lean").write_text("theorem junk : True := trivial\n")
        (root / "Links" / "UsesDep.lean").write_bytes(
            b"import Dep.Core\n\ntheorem uses_dep : 0 = 0 := by\n  exact Dep.core_fact\n-- caf\xe9\n"
        )
        roots.append(root)
    s1 = _index(store, roots[0])
    repo2 = RepoInfo(url=str(roots[1]), name="two", commit="d" * 40)
    s2 = index_repository(store, roots[1], repo2, StaticIndexConfig(workers=1))
    assert s1.shared_files_reused == 0 and s2.shared_files_reused == 1
    assert s1.dependency_theorems == 1 and s2.shared_theorems_skipped == 1
    paths = [r[0] for r in store.conn.execute("SELECT path FROM files WHERE is_dependency = 1")]
    assert paths == [".lake/packages/deplib/Dep/Core.lean"]  # stored once
    assert not store.conn.execute("SELECT 1 FROM files WHERE path LIKE '%Junk%'").fetchall()
    assert (
        store.conn.execute(
            "SELECT l.resolution, p.full_name FROM premise_links l JOIN premises p ON p.id = l.premise_id "
            "JOIN theorems t ON t.id = l.theorem_id WHERE t.full_name = 'uses_dep' "
            "AND t.file_id IN (SELECT file_id FROM repo_files WHERE repo_id = 2)"
        ).fetchall()
        == [("static:exact", "Dep.core_fact")]
    )
    diags = store.conn.execute("SELECT file_path, line, message FROM diagnostics WHERE repo_id = 1").fetchall()
    assert ("Links/UsesDep.lean", 5, "invalid UTF-8 (decoded with replacement characters)") in diags
    assert store.conn.execute("PRAGMA foreign_key_check").fetchall() == []
    store.close()


def test_parallel_and_serial_give_the_same_records(tmp_path: Path, fixtures: Path) -> None:
    from leanagent.tracing.static.indexer import discover, pool_workers

    root = tmp_path / "both"  # enough files for the process pool to be used
    shutil.copytree(fixtures / "lean" / "realistic", root)
    shutil.copytree(fixtures / "lean" / "proj" / "Proj", root / "Proj")
    shutil.copytree(fixtures / "lean" / "links" / "Links", root / "Links")
    paths = discover(root).paths
    assert pool_workers(StaticIndexConfig(workers=2, parallel_min_bytes=0), 10**9, len(paths)) == 2
    dumps = []
    for workers in (1, 2):
        store = Store(tmp_path / f"kb{workers}.db")
        _index(store, root, workers=workers, parallel_min_bytes=0)
        dumps.append([
            store.conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()
            for t in ("files", "premises", "theorems", "tactic_steps", "premise_links", "sorries", "diagnostics")
        ])
        store.close()
    assert dumps[0][2] and dumps[0][4]  # theorems and links were produced
    assert dumps[0] == dumps[1]


def test_git_url_is_refused_before_git_runs(store: Store, home: Path) -> None:
    from database.errors import UnsafeSourceError

    with pytest.raises(UnsafeSourceError, match="option"):
        add_source(store, AddRequest(source="--upload-pack=touch /tmp/pwned"), Home(home))
    with pytest.raises(UnsafeSourceError, match="ext::"):
        add_source(store, AddRequest(source="ext::sh -c touch% /tmp/pwned"), Home(home))
