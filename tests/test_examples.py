"""The bundled example projects (`examples/`), indexed as a user would index them.

They are five Lake projects that import each other through path dependencies; the
static indexer sees a dependency's sources through `.lake/packages/<name>`, which in
the checkout is a symlink to the sibling project (where `lake` would put a git
dependency). No Lean toolchain is needed here: `test_examples_lean.py` builds them
where one exists.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from leanagent.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
#: Dependency order: each project requires every earlier one it imports.
PROJECTS = ("arith", "logic", "lists", "orders", "algebra")
REQUIRES = {
    "arith": [],
    "logic": ["arith"],
    "lists": ["arith", "logic"],
    "orders": ["arith", "logic", "lists"],
    "algebra": ["arith", "logic", "lists"],
}


def _cli(home: Path, *args: str) -> str:
    r = CliRunner().invoke(main, ["--home", str(home), *args], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return r.stdout


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, sqlite3.Connection]]:
    home = tmp_path_factory.mktemp("examples-home")
    for name in PROJECTS:
        _cli(home, "add", str(EXAMPLES / name), "--json")
    conn = sqlite3.connect(home / "leanagent.db")
    yield home, conn
    conn.close()


def _repo_id(conn: sqlite3.Connection, name: str) -> int:
    return conn.execute("SELECT id FROM repositories WHERE name = ?", (name,)).fetchone()[0]


def _own_theorems(conn: sqlite3.Connection, name: str) -> list[int]:
    return [r[0] for r in conn.execute(
        "SELECT t.id FROM theorems t JOIN repo_files rf ON rf.file_id = t.file_id "
        "WHERE rf.repo_id = ? AND rf.is_dependency = 0", (_repo_id(conn, name),))]


def test_every_import_resolves_and_nothing_is_diagnosed(indexed: tuple[Path, sqlite3.Connection]) -> None:
    _, conn = indexed
    for name in PROJECTS:
        meta = json.loads(conn.execute("SELECT metadata FROM repositories WHERE name = ?", (name,)).fetchone()[0])
        assert meta.get("unresolved_imports") is None, (name, meta.get("unresolved_imports"))
        assert sorted(r["name"] for r in meta["requires"]) == sorted(REQUIRES[name])
        diags = conn.execute("SELECT file_path, line, message FROM diagnostics WHERE repo_id = ?",
                             (_repo_id(conn, name),)).fetchall()
        assert diags == [], (name, diags)


def test_sizes_sorries_and_premise_links(indexed: tuple[Path, sqlite3.Connection]) -> None:
    home, conn = indexed
    repos = {r["name"]: r for r in json.loads(_cli(home, "repos", "--json"))}
    total = linked = 0
    for name in PROJECTS:
        own = _own_theorems(conn, name)
        ids = ",".join(map(str, own))
        with_links = conn.execute(
            f"SELECT COUNT(DISTINCT theorem_id) FROM premise_links WHERE theorem_id IN ({ids})").fetchone()[0]
        unresolved = conn.execute(
            f"SELECT COUNT(*) FROM premise_links WHERE theorem_id IN ({ids}) AND premise_id IS NULL").fetchone()[0]
        assert unresolved == 0, name
        assert repos[name]["theorems"] == len(own) >= 60, name
        assert repos[name]["theorems_with_sorry"] >= 4, name
        # a learnable share: most proofs name premises
        assert with_links >= len(own) // 3, (name, with_links, len(own))
        total += len(own)
        linked += with_links
    assert total >= 300 and linked >= 300, (total, linked)


def test_readme_table_matches_the_index(indexed: tuple[Path, sqlite3.Connection]) -> None:
    home, conn = indexed
    repos = {r["name"]: r for r in json.loads(_cli(home, "repos", "--json"))}
    rows = re.findall(r"^\| `(\w+)` \| ([^|]+) \| (\d+) \| (\d+) \| (\d+) \| (\d+) \|", (EXAMPLES / "README.md").read_text(),
                      re.M)
    assert [r[0] for r in rows] == list(PROJECTS)
    for name, requires, files, theorems, naming, with_sorry in rows:
        own = _own_theorems(conn, name)
        linked = conn.execute(f"SELECT COUNT(DISTINCT theorem_id) FROM premise_links WHERE theorem_id IN "
                              f"({','.join(map(str, own))}) AND premise_id IS NOT NULL").fetchone()[0]
        lib = EXAMPLES / name / name.capitalize()
        assert (int(files), int(theorems), int(naming), int(with_sorry)) == (
            len(list(lib.rglob("*.lean"))), repos[name]["theorems"], linked, repos[name]["theorems_with_sorry"]), name
        assert [d.strip() for d in requires.split(",") if d.strip() != "—"] == REQUIRES[name]


def test_projects_use_their_dependencies(indexed: tuple[Path, sqlite3.Connection]) -> None:
    _, conn = indexed
    for name in PROJECTS[1:]:
        ids = ",".join(map(str, _own_theorems(conn, name)))
        used = {r[0].split("/")[2] for r in conn.execute(
            f"SELECT DISTINCT l.def_path FROM premise_links l WHERE l.theorem_id IN ({ids}) "
            "AND l.def_path LIKE '.lake/packages/%'")}
        assert used == set(REQUIRES[name]), (name, used)


def test_lake_configuration_is_consistent() -> None:
    toolchains = set()
    for name in PROJECTS:
        root = EXAMPLES / name
        toolchains.add((root / "lean-toolchain").read_text().strip())
        lakefile = (root / "lakefile.lean").read_text()
        assert re.search(rf"^package {name} where", lakefile, re.M)
        required = re.findall(r'^require (\w+) from "\.\." / "(\w+)"$', lakefile, re.M)
        assert [a for a, b in required if a == b] == REQUIRES[name]
        manifest = json.loads((root / "lake-manifest.json").read_text())
        assert manifest["name"] == name
        assert [(p["name"], p["type"], p["dir"]) for p in manifest["packages"]] == [
            (d, "path", f"../{d}") for d in REQUIRES[name]]
        pkgs = root / ".lake" / "packages"
        linked = sorted(p.name for p in pkgs.iterdir()) if pkgs.exists() else []
        assert linked == sorted(REQUIRES[name])
        for d in linked:
            assert os.readlink(pkgs / d) == f"../../../{d}"
            assert (pkgs / d / "lakefile.lean").is_file()
        # the library root imports every module, so `lake build` checks every file
        lib = name.capitalize()
        modules = sorted(p.relative_to(root).with_suffix("").as_posix().replace("/", ".")
                         for p in (root / lib).rglob("*.lean"))
        assert sorted(re.findall(r"^import (\S+)$", (root / f"{lib}.lean").read_text(), re.M)) == modules
    assert len(toolchains) == 1


_IDENT = re.compile(r"(?<![\w.'])([A-Za-z_][\w']*)")
_COMMENT_BLOCK = re.compile(r"/-.*?-/", re.S)


def test_no_declaration_is_used_where_lean_cannot_see_it(indexed: tuple[Path, sqlite3.Connection]) -> None:
    """Without Lean, a forgotten `import` would only show when a user builds the project:
    every identifier spelling the short name of an example declaration must refer to one
    declared earlier in its file or in a file it imports (transitively)."""
    _, conn = indexed
    problems = []
    for name in PROJECTS:
        rid = _repo_id(conn, name)
        files = {p: (fid, json.loads(imp or "[]")) for fid, p, imp in conn.execute(
            "SELECT f.id, f.path, f.imports FROM files f JOIN repo_files rf ON rf.file_id = f.id "
            "WHERE rf.repo_id = ?", (rid,))}
        declared: dict[str, list[tuple[str, int]]] = {}
        for path, (fid, _) in files.items():
            for full, line in conn.execute("SELECT full_name, start_line FROM premises WHERE file_id = ?", (fid,)):
                declared.setdefault(full.rsplit(".", 1)[-1], []).append((path, line))
        for path in files:
            if path.startswith(".lake/"):
                continue
            seen: set[str] = set()
            todo = list(files[path][1])
            while todo:
                p = todo.pop()
                if p not in seen:
                    seen.add(p)
                    todo.extend(files[p][1])
            text = _COMMENT_BLOCK.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), (EXAMPLES / name / path).read_text())
            for lineno, line in enumerate(text.splitlines(), 1):
                if line.startswith("import "):
                    continue
                for m in _IDENT.finditer(line.split("--", 1)[0]):
                    where = declared.get(m.group(1))
                    if where and not any(p in seen or (p == path and at <= lineno) for p, at in where):
                        problems.append(f"{name}/{path}:{lineno}: {m.group(1)}")
    assert problems == []


def test_toy_export_with_its_source_still_imports(tmp_path: Path) -> None:
    out = json.loads(_cli(tmp_path / "home", "add", str(EXAMPLES / "toy-lean-export"),
                          "--source", str(EXAMPLES / "toy-lean"), "--json"))
    repo = out["repositories"][0]
    assert out["status"] == "added" and repo["name"] == "example-org/toy-lean"
    assert repo["theorems"] == 4 and repo["tactic_steps"] > 0
