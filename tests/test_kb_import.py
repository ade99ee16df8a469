"""Importing the three LeanDojo export variants into a real SQLite knowledge base."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from database.errors import AlreadyImported, SchemaTooNew
from database.leandojo_export import ExportImportConfig, import_export, inspect_export
from database.records import repo_name_from_url
from database.schema import LATEST_VERSION
from database.store import Store


def _ids(rows):
    return {r["full_name"]: r for r in rows}


def test_variants_are_detected(fixtures: Path) -> None:
    ex = fixtures / "exports"
    assert inspect_export(ex / "leanagent_toy").variant == "leanagent"
    assert inspect_export(ex / "official_toy").variant == "official"
    assert inspect_export(ex / "v2_merged").variant == "v2-merged"


def test_leanagent_export(store: Store, fixtures: Path) -> None:
    [s] = import_export(store, fixtures / "exports/leanagent_toy")
    repo = store.find_repository("toy-lean")
    assert (repo.url, repo.commit, repo.tracer, repo.tracer_version) == (
        "https://github.com/example-org/toy-lean",
        "0123456789abcdef0123456789abcdef01234567",
        "export",
        "4.20.0",
    )
    summary = store.repository_summary(repo)
    assert summary["theorems"] == 3  # own theorems only
    assert summary["dependency_theorems"] == 1  # mul_comm, in .lake/packages/mathlib
    assert summary["files"] == 2 and summary["dependency_files"] == 2
    assert summary["premises"] == 5 and summary["dependency_premises"] == 3
    assert summary["tactic_steps"] == 3
    thms = _ids(store.theorems(repo))
    assert set(thms) == {"Toy.add_swap", "Toy.αβ_lemma", "Toy.term_sorry"}
    # `exact not_sorry_lemma` is not a sorry; the later `sorry` step is.
    assert thms["Toy.αβ_lemma"]["status"] == "sorry"
    assert thms["Toy.add_swap"]["status"] == "proven"
    assert thms["Toy.add_swap"]["difficulty"] == pytest.approx(2.718281828)
    assert thms["Toy.αβ_lemma"]["difficulty"] is None
    # Without the source, a term-mode proof cannot be inspected: said, not guessed.
    assert thms["Toy.term_sorry"]["sorry_checked"] == "tactics"
    assert any("could not be checked" in d["message"] for d in store.diagnostics(repo))
    with_deps = _ids(store.theorems(repo, include_dependencies=True))
    assert with_deps["mul_comm"]["is_dependency"] is True
    # The annotation into Lean core resolves to the premise whose range holds def_pos;
    # the one naming a premise absent from the corpus is kept, unresolved.
    links = store.conn.execute(
        "SELECT l.full_name, p.full_name FROM premise_links l LEFT JOIN premises p ON p.id = l.premise_id "
        "ORDER BY l.id"
    ).fetchall()
    assert links == [("Nat.add_comm", "Nat.add_comm"), ("CommMagma.mul_comm", None)]
    assert s.links == 2 and s.links_resolved == 1
    # The definition with `sorry` in its body is listed, with its kind.
    sorries = {(x["full_name"], x["kind"], x["file"], x["line"]) for x in store.sorries(repo)}
    assert sorries == {
        ("Toy.αβ_lemma", "theorem", "Toy/Arith.lean", 16),
        ("Toy.unfinished", "def", "Toy/Basic.lean", 8),
    }
    # Both split schemes of the export are recorded.
    splits = dict(
        store.conn.execute(
            "SELECT scheme || '/' || split, COUNT(*) FROM split_assignments GROUP BY scheme, split"
        ).fetchall()
    )
    assert splits == {
        "export/random/train": 2,
        "export/random/val": 1,
        "export/random/test": 1,
        "export/novel_premises/train": 2,
        "export/novel_premises/val": 1,
        "export/novel_premises/test": 1,
    }


def test_source_checkout_finds_term_mode_sorries_exactly(store: Store, fixtures: Path) -> None:
    import_export(
        store,
        fixtures / "exports/leanagent_toy",
        ExportImportConfig(source=fixtures / "exports/toy_source"),
    )
    repo = store.find_repository("example-org/toy-lean")
    thms = _ids(store.theorems(repo))
    assert thms["Toy.term_sorry"]["status"] == "sorry"
    assert thms["Toy.term_sorry"]["proof_style"] == "term"
    assert thms["Toy.add_swap"]["proof_style"] == "tactic"
    assert thms["Toy.add_swap"]["sorry_checked"] == "source"
    got = {
        (x["full_name"], x["line"], tuple((s["line"], s["col"]) for s in x["sorries"])) for x in store.sorries(repo)
    }
    # Sorries in comments and strings of the file do not count; positions are exact.
    assert got == {
        ("Toy.αβ_lemma", 16, ((17, 26),)),
        ("Toy.term_sorry", 19, ((19, 31),)),
        ("Toy.unfinished", 8, ((8, 35),)),
    }
    assert not any("could not be checked" in d["message"] for d in store.diagnostics(repo))


def test_official_export(store: Store, fixtures: Path) -> None:
    import_export(store, fixtures / "exports/official_toy")
    repo = store.find_repository("official-toy")
    assert repo.commit == "89abcdef0123456789abcdef0123456789abcdef"
    thms = _ids(store.theorems(repo, include_dependencies=True))
    assert set(thms) == {"Official.«weird name»", "Official.x₁_le", "Official.sorried", "Batteries.ne_of_lt'"}
    # official exports carry no theorem_statement: the corpus holds the statement
    assert thms["Official.«weird name»"]["statement"] == "theorem «weird name» : True"
    assert thms["Batteries.ne_of_lt'"]["is_dependency"] is True
    assert thms["Official.sorried"]["status"] == "sorry"
    s = store.repository_summary(repo)
    assert (s["theorems"], s["theorems_with_sorry"], s["dependency_theorems"]) == (3, 1, 1)
    # the dependency's url (batteries) did not become a repository of its own
    assert [r.name for r in store.repositories()] == ["example-org/official-toy"]


def test_v2_merged_export_shares_dependency_files(store: Store, fixtures: Path) -> None:
    summaries = import_export(store, fixtures / "exports/v2_merged")
    assert [s.name for s in summaries] == ["example-org/alpha", "example-org/beta"]
    alpha, beta = store.find_repository("alpha"), store.find_repository("beta")
    assert alpha.lean_version == "v4.19.0"
    a, b = store.repository_summary(alpha), store.repository_summary(beta)
    assert (a["files"], a["theorems"], a["dependency_files"]) == (2, 1, 1)
    assert (b["files"], b["theorems"], b["dependency_files"]) == (1, 1, 1)
    # Init/Core.lean is stored once and linked to both
    (n,) = store.conn.execute("SELECT COUNT(*) FROM files WHERE path LIKE '%Init/Core.lean'").fetchone()
    assert n == 1
    # "(l, c)" string positions (LeanDojo-v2) are read too; both links resolve
    assert summaries[0].links == summaries[0].links_resolved == 2


def test_dependency_files_shared_across_imports(store: Store, fixtures: Path, tmp_path: Path) -> None:
    import shutil

    import_export(store, fixtures / "exports/leanagent_toy")
    # The same repository traced at another commit: same dependency files.
    other = tmp_path / "other"
    shutil.copytree(fixtures / "exports/leanagent_toy", other)
    meta = (other / "metadata.json").read_text().replace("0123456789abcdef0123", "fedcba9876543210fedc")
    (other / "metadata.json").write_text(meta)
    [s] = import_export(store, other)
    assert s.shared_files_reused == 2 and s.shared_theorems_skipped == 1
    dep_copies = store.conn.execute("SELECT COUNT(*) FROM files WHERE is_dependency = 1").fetchone()[0]
    assert dep_copies == 2
    own_copies = store.conn.execute("SELECT COUNT(*) FROM files WHERE is_dependency = 0").fetchone()[0]
    assert own_copies == 4
    r2 = store.find_repository("toy-lean@fedcba98")
    assert store.repository_summary(r2)["dependency_theorems"] == 1
    with pytest.raises(Exception, match="matches 2 repositories"):
        store.find_repository("toy-lean")


def test_same_repository_twice_is_a_noop(store: Store, fixtures: Path) -> None:
    import_export(store, fixtures / "exports/leanagent_toy")
    before = store.conn.execute("SELECT COUNT(*) FROM theorems").fetchone()
    with pytest.raises(AlreadyImported, match="already in the database"):
        import_export(store, fixtures / "exports/leanagent_toy")
    assert store.conn.execute("SELECT COUNT(*) FROM theorems").fetchone() == before


def test_schema_version_and_newer_database_refused(home: Path) -> None:
    path = home / "kb.db"
    with Store(path) as s:
        assert s.schema_version() == LATEST_VERSION
        mode = s.conn.execute("PRAGMA journal_mode").fetchone()[0]
        assert mode == "wal"
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_version VALUES (?, 'from the future', 'x')", (LATEST_VERSION + 1,))
    conn.commit()
    conn.close()
    with pytest.raises(SchemaTooNew, match="upgrade leanagent"):
        Store(path)


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://github.com/owner/repo", "owner/repo"),
        ("https://github.com/owner/repo.git/", "owner/repo"),
        ("git@github.com:owner/repo.git", "owner/repo"),
        ("ssh://git@host.example/owner/repo", "owner/repo"),
        ("/home/me/lean/my-project", "my-project"),
    ],
)
def test_repo_name_from_url(url: str, name: str) -> None:
    assert repo_name_from_url(url) == name
