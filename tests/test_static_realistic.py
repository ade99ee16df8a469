"""The static indexer on a realistic multi-file Lean 4 project, run as a user runs it.

`tests/fixtures/lean/realistic` mixes Mathlib style (attribute lists over two lines,
`calc`, `conv`, `induction … with`, `obtain`/`rcases` patterns, `show … from`, `‹_›`), a
competition archive (`problem`/`determine`, `proof_wanted`, `alias`), metaprogramming
(`syntax`, `macro_rules`, `elab`, quotations, interpolated strings, `#guard_msgs`), the
module system, `#exit`, `mutual` with `termination_by`, structures with `extends` and
defaults, `instance (priority := low)`, `_root_`, `protected`, `private`, `open … in`,
guillemet names and a dependency under `.lake/packages/mathlite`. Every expected value
below was checked by hand against the Lean source.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from database.records import RepoInfo
from database.store import Store
from leanagent.tracing.static import StaticIndexConfig, index_repository

THEOREMS = {  # full name: (kind, proof style, steps, status, keyword line)
    "Realistic.Algebra.double_zero": ("theorem", "term", 0, "proven", 33),
    "Realistic.Algebra.double_succ": ("lemma", "term", 0, "proven", 35),
    "Realistic.Algebra.double_eq_twice": ("theorem", "tactic", 1, "proven", 37),
    "Realistic.Algebra.double_add": ("theorem", "tactic", 1, "proven", 45),
    "Realistic.Algebra.double_le_double": ("lemma", "tactic", 2, "proven", 52),
    "Realistic.Algebra.double_calc": ("theorem", "tactic", 1, "proven", 56),
    "Realistic.Algebra.double_conv": ("theorem", "tactic", 1, "proven", 60),
    "Realistic.Algebra.exists_double": ("theorem", "tactic", 3, "proven", 65),
    "Realistic.Algebra.pair_le": ("theorem", "tactic", 2, "proven", 70),
    "Realistic.Algebra.fun_pattern": ("theorem", "term", 0, "proven", 74),
    "Realistic.Algebra.show_from": ("theorem", "term", 0, "proven", 76),
    "Realistic.Algebra.assumption_term": ("theorem", "term", 0, "proven", 79),
    "Realistic.Algebra.with_focus": ("theorem", "tactic", 3, "proven", 81),
    "Realistic.Algebra.one_liner": ("theorem", "tactic", 2, "proven", 86),
    "Realistic.Algebra.chained": ("theorem", "tactic", 1, "proven", 88),
    "Realistic.Algebra.long_simp": ("theorem", "tactic", 1, "proven", 90),
    "Realistic.Algebra.todo_lemma": ("theorem", "tactic", 1, "sorry", 94),
    "Realistic.Algebra.term_todo": ("theorem", "term", 0, "sorry", 97),
    "Realistic.Algebra.Order.point_add_x": ("theorem", "term", 0, "proven", 59),
    "Realistic.Algebra.Order.point_where": ("theorem", "where", 0, "proven", 61),
    "Realistic.Algebra.Order.even_zero": ("theorem", "tactic", 1, "proven", 64),
    "Realistic.Algebra.Order.small_zero": ("theorem", "term", 0, "proven", 67),
    "Realistic.Algebra.Order.tree_leaf": ("theorem", "term", 0, "proven", 69),
    "Realistic.Algebra.Order.Point.ext'": ("theorem", "tactic", 3, "proven", 71),
    "Nat.double_le_of_le": ("theorem", "term", 0, "proven", 76),
    "Realistic.Algebra.Order.secret_helper": ("theorem", "term", 0, "proven", 79),
    "Realistic.Algebra.Order.uses_secret": ("theorem", "tactic", 2, "proven", 81),
    "Realistic.Algebra.Order.Point.ext_again": ("theorem", "term", 0, "proven", 87),
    "Imo2001.warmup": ("theorem", "tactic", 1, "proven", 29),
    "Imo2001.uses_alias": ("theorem", "term", 0, "proven", 32),
    "Realistic.Meta.meta_fact": ("theorem", "tactic", 1, "proven", 50),
    "Realistic.Meta.succ_pos'": ("theorem", "term", 0, "proven", 53),
    "Realistic.Meta.quoted_is_data": ("theorem", "tactic", 2, "proven", 55),
    "Realistic.Misc.«my lemma»": ("theorem", "term", 0, "proven", 10),
    "Realistic.Misc.uses_guillemets": ("theorem", "term", 0, "proven", 12),
    "Realistic.Misc.sub_scripts": ("theorem", "term", 0, "proven", 14),
    "Realistic.Misc.f'_pos": ("theorem", "term", 0, "proven", 18),
    "Realistic.Misc.heavy": ("theorem", "tactic", 1, "proven", 21),
    "Realistic.Misc.opened_in": ("theorem", "term", 0, "proven", 25),
    "Realistic.Misc.two_sorries_one_line": ("theorem", "term", 0, "sorry", 35),
    "Realistic.Misc.have_in_statement": ("theorem", "term", 0, "sorry", 37),
    "Realistic.Misc.shadowed": ("theorem", "term", 0, "proven", 39),
    "Realistic.Misc.via_protected": ("theorem", "term", 0, "proven", 42),
    "Realistic.Misc.not_via_protected": ("theorem", "tactic", 1, "proven", 44),
    "Realistic.Misc.dotted_name": ("theorem", "term", 0, "proven", 49),
    "Realistic.Module.exposed_pos": ("theorem", "tactic", 2, "proven", 21),
    "Realistic.Module.exposed_eq": ("theorem", "term", 0, "proven", 25),
}

SORRIES = [  # (declaration, kind, file, declaration line, [(line, col, context)])
    ("Realistic.Algebra.todo_lemma", "theorem", "Realistic/Algebra/Basic.lean", 94, [(95, 3, "tactic")]),
    ("Realistic.Algebra.term_todo", "theorem", "Realistic/Algebra/Basic.lean", 97, [(97, 41, "term")]),
    ("Imo2001.answer", "determine", "Realistic/Compete/Imo.lean", 16, [(16, 27, "body")]),
    ("Imo2001.imo2001_p1", "problem", "Realistic/Compete/Imo.lean", 18, [(19, 3, "body")]),
    ("Realistic.Misc.two_sorries_one_line", "theorem", "Realistic/Misc.lean", 35,
     [(35, 64, "term"), (35, 71, "term")]),
    ("Realistic.Misc.have_in_statement", "theorem", "Realistic/Misc.lean", 37, [(37, 56, "statement")]),
]

LINKS = {  # theorem: [(premise, resolution)] in order of first use; theorems not listed have none
    "Realistic.Algebra.double_eq_twice": [("Realistic.Algebra.double_succ", "static:namespace"),
                                          ("Mathlite.twice_eq", "static:open")],
    "Realistic.Algebra.double_add": [("Realistic.Algebra.double_succ", "static:namespace")],
    "Realistic.Algebra.double_le_double": [("Realistic.Algebra.double_eq_twice", "static:namespace"),
                                           ("Mathlite.twice_mono", "static:open")],
    "Realistic.Algebra.double_calc": [("Realistic.Algebra.double", "static:namespace")],
    "Realistic.Algebra.exists_double": [("Realistic.Algebra.double_eq_twice", "static:namespace"),
                                        ("Mathlite.twice_eq", "static:open")],
    "Realistic.Algebra.pair_le": [("Realistic.Algebra.double_le_double", "static:namespace")],
    "Realistic.Algebra.show_from": [("Realistic.Algebra.double", "static:namespace"),
                                    ("Realistic.Algebra.double_le_double", "static:namespace")],
    "Realistic.Algebra.assumption_term": [("Realistic.Algebra.double_le_double", "static:namespace")],
    "Realistic.Algebra.one_liner": [("Realistic.Algebra.double", "static:namespace")],
    "Realistic.Algebra.long_simp": [("Realistic.Algebra.double_zero", "static:namespace")],
    "Realistic.Algebra.Order.even_zero": [("Realistic.Algebra.Order.isEven", "static:namespace")],
    "Realistic.Algebra.Order.small_zero": [("Realistic.Algebra.Order.Small.zero", "static:namespace")],
    "Nat.double_le_of_le": [("Realistic.Algebra.double_le_double", "static:namespace")],
    "Realistic.Algebra.Order.uses_secret": [("Realistic.Algebra.Order.secret_helper", "static:namespace")],
    "Realistic.Algebra.Order.Point.ext_again": [("Realistic.Algebra.Order.Point.ext'", "static:namespace")],
    "Imo2001.uses_alias": [("Imo2001.double_zero'", "static:namespace")],
    "Realistic.Misc.«my lemma»": [("Realistic.Algebra.double_zero", "static:open")],
    "Realistic.Misc.uses_guillemets": [("Realistic.Misc.«my lemma»", "static:namespace")],
    "Realistic.Misc.sub_scripts": [("Realistic.Algebra.double_le_double", "static:open")],
    "Realistic.Misc.via_protected": [("Mathlite.Nat.le_succ'", "static:open")],
    "Realistic.Module.exposed_pos": [("Realistic.Module.exposed", "static:namespace")],
    "Mathlite.twice_eq": [("Mathlite.twice", "static:namespace")],
    "Mathlite.twice_mono": [("Mathlite.twice_eq", "static:namespace")],
    "Mathlite.le_refl'": [("Mathlite.Preord.le_refl", "static:namespace")],
}


def _run(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "LEANAGENT_HOME": str(home)}
    r = subprocess.run([sys.executable, "-m", "leanagent", *args], capture_output=True, text=True, env=env,
                       check=False)
    assert r.returncode == 0, r.stderr
    return r


def test_realistic_project_through_the_cli(fixtures: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    root = fixtures / "lean" / "realistic"
    added = json.loads(_run(home, "add", str(root), "--json").stdout)["repositories"][0]
    assert (added["files"], added["premises"], added["theorems"], added["dependency_theorems"]) == (8, 78, 52, 5)
    assert (added["links"], added["links_resolved"], added["theorems_with_sorry"]) == (28, 28, 4)
    assert added["diagnostics"] == []

    [repo] = json.loads(_run(home, "repos", "--json").stdout)
    assert (repo["lean_version"], repo["tracer"], repo["files"], repo["dependency_files"]) == (
        "v4.22.0", "static", 6, 2)

    thms = json.loads(_run(home, "theorems", "realistic", "--json").stdout)
    got = {t["full_name"]: (t["kind"], t["proof_style"], t["num_steps"], t["status"], t["start"][0]) for t in thms}
    assert got == THEOREMS
    # never theorems: project commands, declarations after `#exit`, commented-out code
    for name in ("Imo2001.imo2001_p1", "Imo2001.answer", "Imo2001.imo2001_p3", "after_exit", "commented_out"):
        assert not any(n.endswith(name.split(".")[-1]) for n in got)

    sorries = json.loads(_run(home, "sorries", "realistic", "--json").stdout)
    got_sorries = [(s["full_name"], s["kind"], s["file"], s["line"],
                    [(x["line"], x["col"], x["context"]) for x in s["sorries"]]) for s in sorries]
    assert sorted(got_sorries) == sorted(SORRIES)


def test_realistic_project_records(fixtures: Path, tmp_path: Path) -> None:
    store = Store(tmp_path / "kb.db")
    root = fixtures / "lean" / "realistic"
    index_repository(store, root, RepoInfo(url=str(root), name="realistic", commit="e" * 40), StaticIndexConfig())
    q = store.conn.execute
    files = dict(q("SELECT path, imports FROM files"))
    assert json.loads(files["Realistic/Module.lean"]) == [  # public import, import all, meta import
        "Realistic/Algebra/Basic.lean", "Realistic/Algebra/Order.lean", "Realistic/Meta/Tactics.lean"]
    assert json.loads(files["Realistic/Algebra/Basic.lean"]) == [".lake/packages/mathlite/Mathlite/Algebra.lean"]
    meta = json.loads(q("SELECT metadata FROM repositories").fetchone()[0])
    assert meta["unresolved_imports"] == {"Mathlib.Tactic.Ring": 1, "Lean": 1}
    assert meta["manifest_packages"][0]["rev"] == "fedcba9876543210fedcba9876543210fedcba98"

    kinds = dict(q("SELECT full_name, kind FROM premises"))
    assert {k: kinds[k] for k in ("Imo2001.answer", "Imo2001.imo2001_p1", "Imo2001.imo2001_p3",
                                  "Imo2001.double_le_mp", "Imo2001.double_le_mpr",
                                  "Realistic.Algebra.Order.instInhabitedPoint",
                                  "Realistic.Algebra.Order.instAddPoint", "Realistic.Algebra.Order.Small",
                                  "Realistic.Algebra.Order.ColoredPoint", "Realistic.Module.metaHelper",
                                  "Realistic.Misc.chosen", "Realistic.Misc.hidden_def")} == {
        "Imo2001.answer": "determine", "Imo2001.imo2001_p1": "problem", "Imo2001.imo2001_p3": "proof_wanted",
        "Imo2001.double_le_mp": "alias", "Imo2001.double_le_mpr": "alias",
        "Realistic.Algebra.Order.instInhabitedPoint": "instance",
        "Realistic.Algebra.Order.instAddPoint": "instance", "Realistic.Algebra.Order.Small": "class",
        "Realistic.Algebra.Order.ColoredPoint": "structure", "Realistic.Module.metaHelper": "def",
        "Realistic.Misc.chosen": "def", "Realistic.Misc.hidden_def": "def"}
    # metaprograms declare nothing; nothing after #exit exists
    assert not [k for k in kinds if k.startswith("Realistic.Meta.") and k.split(".")[-1] not in (
        "greeting", "describe", "meta_fact", "succ_pos'", "quoted_is_data")]
    assert "after_exit" not in kinds and "commented_out" not in kinds
    spans = {r[0]: r[1:] for r in q("SELECT full_name, start_line, start_col, end_line, end_col FROM premises")}
    assert spans["Realistic.Algebra.double_zero"] == (31, 1, 33, 42)  # the two-line attribute list included
    assert spans["Realistic.Algebra.Order.isOdd"] == (43, 3, 46, 24)  # inside `mutual`, with termination_by
    assert spans["Realistic.Algebra.Order.ackermann"] == (49, 1, 57, 10)  # decreasing_by block included
    code = dict(q("SELECT full_name, code FROM premises"))
    assert code["Realistic.Algebra.double_zero"] == "@[simp,\n  norm_cast]\ntheorem double_zero : double 0 = 0"

    links: dict[str, list] = {}
    for thm, link, how, pid in q(
        "SELECT t.full_name, l.full_name, l.resolution, l.premise_id FROM premise_links l "
        "JOIN theorems t ON t.id = l.theorem_id ORDER BY t.id, l.idx"
    ):
        assert pid is not None  # every link points at a stored premise
        links.setdefault(thm, []).append((link, how))
    assert links == LINKS

    # a `calc` step: its steps once, with their own `by` blocks (not repeated beside the calc)
    [structure] = q("SELECT s.structure FROM tactic_steps s JOIN theorems t ON t.id = s.theorem_id "
                    "WHERE t.full_name = 'Realistic.Algebra.double_calc'").fetchone()
    blocks = json.loads(structure)
    assert [b["opener"] for b in blocks] == ["calc"]
    assert [(s["tactic"], s["line"], s["col"]) for s in blocks[0]["steps"]] == [
        ("double n + 0 = double n := by simp", 57, 8), ("_ = double m := by rw [h]", 58, 5)]
    assert q("SELECT COUNT(*) FROM diagnostics").fetchone()[0] == 0
    store.close()
