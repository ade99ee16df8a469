"""Data for real consumers, and an export that deletes nothing but an earlier export:
LeanAgent's ``./.lake`` paths resolve, uninspected proofs say so, a static export says
what LeanDojo loaders get from it (and offers what it can honestly), identities are
portable, and the static indexer's known artefacts are gone or diagnosed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from database.leandojo_export import import_export
from database.store import Store
from leanagent.cli import main
from leanagent.tracing.static.parser import parse_text

REPO_ROOT = Path(__file__).resolve().parents[1]
# File names documented in docs/data-formats.md (a contract with users' scripts).
MARKER = ".leanagent-export"
PAIRS_FILE = "premise_pairs.jsonl"


def _cli(home: Path, *args: str, input: str | None = None):
    return CliRunner().invoke(main, ["--home", str(home), *args], input=input)


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c",
                           "init.defaultBranch=main", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


# -- export --force deletes only an earlier export ------------------------------------------------------


def test_force_replaces_only_an_earlier_export(tmp_path: Path, fixtures: Path) -> None:
    home = tmp_path / "home"
    assert _cli(home, "add", str(fixtures / "exports/official_toy")).exit_code == 0
    unrelated = tmp_path / "thesis"
    unrelated.mkdir()
    (unrelated / "chapter1.tex").write_text("months of work")
    r = _cli(home, "export", str(unrelated), "--force")
    assert r.exit_code == 1 and "not a leanagent export" in r.output
    assert (unrelated / "chapter1.tex").read_text() == "months of work"
    for dest in (home, tmp_path, home / ".." / "home"):  # the home, what contains it, the same by another name
        r = _cli(home, "export", str(dest), "--force")
        assert r.exit_code == 1 and "the leanagent home" in r.output, (dest, r.output)
    assert (home / "leanagent.db").is_file()
    afile = tmp_path / "file.json"
    afile.write_text("{}")
    assert _cli(home, "export", str(afile), "--force").exit_code == 2 and afile.read_text() == "{}"  # click refuses a file
    link = tmp_path / "link"
    link.symlink_to(unrelated, target_is_directory=True)
    assert _cli(home, "export", str(link), "--force").exit_code == 1 and (unrelated / "chapter1.tex").exists()
    # an earlier export (it has the marker) is replaced
    out = tmp_path / "out"
    assert _cli(home, "export", str(out)).exit_code == 0 and (out / MARKER).is_file()
    marker = json.loads((out / MARKER).read_text())
    assert (marker["format"], marker["version"]) == ("leanagent-export", 1)
    assert "random/train.json" in marker["files"] and "metadata.json" in marker["files"]
    assert sorted(marker["files"]) == sorted(p.relative_to(out).as_posix() for p in out.rglob("*")
                                             if p.is_file() and p.name != MARKER)
    r = _cli(home, "export", str(out), "--force")
    assert r.exit_code == 0, r.output
    assert (out / "random" / "train.json").is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]  # no leftovers
    # ... but not when something else was put beside it: that is never deleted
    (out / "notes.txt").write_text("mine")
    (out / "random" / "extra.json").write_text("[]")
    r = _cli(home, "export", str(out), "--force")
    assert r.exit_code == 1 and "notes.txt" in r.output and "random/extra.json" in r.output
    assert "move those out of it" in r.output and (out / "notes.txt").read_text() == "mine"
    (out / "notes.txt").unlink()
    (out / "random" / "extra.json").unlink()
    # a marker that is empty, not JSON, another format or without its file list is no marker
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("months of work")
    for text in ("", "not json", '{"format": "other", "version": 1, "files": []}',
                 '{"format": "leanagent-export", "version": 99, "files": ["thesis.tex"]}',
                 '{"format": "leanagent-export", "version": 1}',
                 '{"format": "leanagent-export", "version": 1, "files": ["../x"]}',
                 '{"exporter": "leanagent", "repositories": []}'):  # an older marker: no file list
        (mine / MARKER).write_text(text)
        r = _cli(home, "export", str(mine), "--force")
        assert r.exit_code == 1 and "--force will not replace it" in r.output, (text, r.output)
        assert (mine / "thesis.tex").read_text() == "months of work"
    # a valid marker does not cover what it does not list
    (mine / MARKER).write_text('{"format": "leanagent-export", "version": 1, "files": ["metadata.json"]}')
    r = _cli(home, "export", str(mine), "--force")
    assert r.exit_code == 1 and "thesis.tex" in r.output and (mine / "thesis.tex").is_file()
    assert _cli(home, "export", str(out), "--force").exit_code == 0  # the export itself, again


# -- LeanAgent's ./.lake definition paths ---------------------------------------------------------------


def test_leanagent_dot_slash_def_paths_resolve(tmp_path: Path) -> None:
    """Shaped like LeanAgent's records: of 12 premise annotations, 10 name their file
    ``./.lake/...`` (as Lean reports it) while the corpus says ``.lake/...``."""
    core = ".lake/packages/lean4/src/lean/Init/Core.lean"
    mathlib = ".lake/packages/mathlib/Mathlib/Algebra/Basic.lean"
    own = "Toy/Main.lean"
    corpus = [
        {"path": core, "imports": [], "premises": [
            {"full_name": f"Core.c{i}", "code": f"theorem c{i} : True", "start": [10 * i + 1, 1],
             "end": [10 * i + 5, 1], "kind": "commanddeclaration"} for i in range(6)]},
        {"path": mathlib, "imports": [core], "premises": [
            {"full_name": f"Alg.m{i}", "code": f"theorem m{i} : True", "start": [10 * i + 1, 1],
             "end": [10 * i + 5, 1], "kind": "commanddeclaration"} for i in range(5)]},
        {"path": own, "imports": [mathlib], "premises": [
            {"full_name": "Toy.helper", "code": "def helper := 1", "start": [1, 1], "end": [1, 16],
             "kind": "commanddeclaration"}]},
    ]
    anns = ([{"full_name": f"Core.c{i}", "def_path": "./" + core, "def_pos": [10 * i + 1, 9],
              "def_end_pos": [10 * i + 1, 11]} for i in range(6)]
            + [{"full_name": f"Alg.m{i}", "def_path": "./" + mathlib, "def_pos": [10 * i + 1, 9],
                "def_end_pos": [10 * i + 1, 11]} for i in range(4)]
            + [{"full_name": "Alg.m4", "def_path": mathlib, "def_pos": [41, 9], "def_end_pos": [41, 11]},
               {"full_name": "Toy.helper", "def_path": own, "def_pos": [1, 5], "def_end_pos": [1, 11]}])
    thm = {"url": "https://github.com/o/toy", "commit": "a" * 40, "file_path": "./" + own, "full_name": "Toy.t",
           "theorem_statement": "theorem t : True", "start": [5, 1], "end": [7, 1],
           "traced_tactics": [{"tactic": "simp", "annotated_tactic": ["simp", anns], "state_before": "⊢ True",
                               "state_after": "no goals"}]}
    root = tmp_path / "export"
    (root / "random").mkdir(parents=True)
    (root / "corpus.jsonl").write_text("".join(json.dumps(c) + "\n" for c in corpus))
    (root / "traced_files.jsonl").write_text(json.dumps({"traced_file_path": own}) + "\n")
    (root / "metadata.json").write_text(json.dumps({"from_repo": {"url": thm["url"], "commit": thm["commit"]}}))
    for split, items in (("train", [thm]), ("val", []), ("test", [])):
        (root / "random" / f"{split}.json").write_text(json.dumps(items))
    with Store(tmp_path / "kb.db") as store:
        [summary] = import_export(store, root)
        assert (summary.links_resolved, summary.links) == (12, 12)
        paths = {r[0] for r in store.conn.execute("SELECT DISTINCT def_path FROM premise_links")}
        assert paths == {core, mathlib, own}  # stored as LeanDojo writes them
        assert store.conn.execute("SELECT COUNT(*) FROM files WHERE path LIKE './%'").fetchone()[0] == 0


# -- not inspected ------------------------------------------------------------------------------------


def test_uninspected_term_proofs_say_so_everywhere(tmp_path: Path, fixtures: Path) -> None:
    home = tmp_path / "home"
    r = _cli(home, "add", str(fixtures / "exports/leanagent_toy"))
    assert r.exit_code == 0
    assert "caveat: 1 theorems without traced tactics" in r.output and "not_inspected" in r.output
    r = _cli(home, "theorems", "toy-lean")
    line = next(ln for ln in r.output.splitlines() if "Toy.term_sorry" in ln)
    assert line.startswith("not_inspected") and "proven" not in line
    proven = json.loads(_cli(home, "theorems", "toy-lean", "--status", "proven", "--json").stdout)
    assert "Toy.term_sorry" not in {t["full_name"] for t in proven}
    unchecked = json.loads(_cli(home, "theorems", "toy-lean", "--status", "not-inspected", "--json").stdout)
    assert [t["full_name"] for t in unchecked] == ["Toy.term_sorry"]
    [repo] = json.loads(_cli(home, "repos", "--json").stdout)
    assert repo["theorems_not_inspected"] == 1
    # with the sources it is inspected (and found to hold `sorry`)
    home2 = tmp_path / "home2"
    _cli(home2, "add", str(fixtures / "exports/leanagent_toy"), "--source", str(fixtures / "exports/toy_source"))
    assert json.loads(_cli(home2, "theorems", "toy-lean", "--status", "not-inspected", "--json").stdout) == []


# -- static exports and portable identity ---------------------------------------------------------------


@pytest.fixture
def checkout(tmp_path: Path, fixtures: Path) -> Path:
    root = tmp_path / "links"
    shutil.copytree(fixtures / "lean" / "links", root)
    _git(root, "init", "-q")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "first")
    return root


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_a_static_export_says_what_loaders_get_and_holds_premise_pairs(tmp_path: Path, checkout: Path) -> None:
    home = tmp_path / "home"
    _git(checkout, "remote", "add", "origin", "https://github.com/example-org/links.git")
    assert _cli(home, "add", str(checkout)).exit_code == 0
    [repo] = json.loads(_cli(home, "repos", "--json").stdout)
    assert repo["url"] == "https://github.com/example-org/links" and repo["name"] == "example-org/links"
    r = _cli(home, "export", str(tmp_path / "out"), "--json")
    assert r.exit_code == 0, r.output
    assert "0 training examples" in r.output  # said on stderr ...
    result = json.loads(r.stdout)
    assert result["theorems_without_tactics"] == result["theorems"] > 0  # ... and in --json
    assert any("0 training examples" in w and PAIRS_FILE in w for w in result["warnings"])
    out = tmp_path / "out"
    records = json.loads((out / "random" / "train.json").read_text())
    assert all(rec["traced_tactics"] == [] for rec in records)  # no goal state invented
    pairs = [json.loads(line) for line in (out / PAIRS_FILE).read_text().splitlines()]
    assert len(pairs) == result["premise_pairs"] > 0
    corpus = {json.loads(line)["path"]: json.loads(line) for line in (out / "corpus.jsonl").read_text().splitlines()}
    for pair in pairs:
        assert pair["theorem_statement"] and pair["premises"]
        assert set(pair["split"]) == {"random", "novel_premises"}
        for p in pair["premises"]:  # every premise is a corpus premise, found by path and range
            assert any(q["full_name"] == p["full_name"] and q["start"] == p["start"]
                       for q in corpus[p["path"]]["premises"])
    uses_secret = next(p for p in pairs if p["full_name"] == "A.uses_secret")
    assert [p["full_name"] for p in uses_secret["premises"]] == ["A.secret"]
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["from_repo"]["url"] == "https://github.com/example-org/links"


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_a_local_path_is_never_exported(tmp_path: Path, checkout: Path, fixtures: Path) -> None:
    home = tmp_path / "home"
    assert _cli(home, "add", str(checkout)).exit_code == 0  # no remote: known by its path only
    r = _cli(home, "export", str(tmp_path / "out"))
    assert r.exit_code == 1 and "--url" in r.output and not (tmp_path / "out").exists()
    # --url gives it an identity (a new repository record: its URL is part of it)
    r = _cli(home, "add", str(checkout), "--url", "https://github.com/example-org/links")
    assert r.exit_code == 0, r.output
    r = _cli(home, "export", str(tmp_path / "out"), "--repos", "example-org/links")
    assert r.exit_code == 0, r.output
    urls = {rec["url"] for rec in json.loads((tmp_path / "out" / "random" / "train.json").read_text())}
    assert urls == {"https://github.com/example-org/links"}
    assert str(checkout) not in (tmp_path / "out" / "metadata.json").read_text()
    # a directory that is not a git checkout has no commit a loader accepts
    plain = tmp_path / "plain"
    shutil.copytree(fixtures / "lean" / "links", plain)
    home3 = tmp_path / "home3"
    assert _cli(home3, "add", str(plain), "--url", "https://github.com/example-org/plain").exit_code == 0
    r = _cli(home3, "export", str(tmp_path / "out3"))
    assert r.exit_code == 1 and "not a git checkout" in r.output
    assert _cli(home3, "add", str(plain), "--url", "file:///etc").exit_code == 1


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_a_url_with_credentials_is_accepted_without_them(tmp_path: Path, checkout: Path) -> None:
    from leanagent.tracing.git import check_url, is_git_url

    assert check_url("https://TOK:pw@github.com/x/proj") == "https://github.com/x/proj"
    assert check_url("https://TOK@github.com/x/proj.git") == "https://github.com/x/proj"
    assert check_url("ssh://git:pw@host.org/x/proj") == "ssh://git@host.org/x/proj"
    assert is_git_url("https://TOK:pw@github.com/x/proj")  # a clone source with a token is a URL too
    home = tmp_path / "home"
    r = _cli(home, "add", str(checkout), "--url", "https://TOK:pw@github.com/x/proj")
    assert r.exit_code == 0, r.output
    assert "TOK" not in r.output and "pw@" not in r.output
    r = _cli(home, "repos", "--json")
    assert [x["url"] for x in json.loads(r.stdout)] == ["https://github.com/x/proj"]
    stored = [p.read_bytes() for p in home.glob("leanagent.db*")]  # the database and any WAL beside it
    assert stored and not any(b"TOK" in b for b in stored)
    # still refused when what is left is no repository URL, and the message has no credentials
    r = _cli(home, "add", str(checkout), "--url", "https://TOK:pw@github.com")
    assert r.exit_code == 1 and "not a repository URL" in r.output and "TOK" not in r.output


# -- the static indexer's artefacts ------------------------------------------------------------------


def _decls(text: str) -> list[tuple[str, str | None]]:
    return [(d.kind, d.full_name) for d in parse_text(text, "X.lean").decls]


def test_extends_at_column_one_continues_the_class() -> None:
    text = "class Bar (α : Type)\nextends Inhabited α where\n  x : α\n\ntheorem t : 1 = 1 := rfl\n"
    assert _decls(text) == [("class", "Bar"), ("theorem", "t")]
    bar = parse_text(text, "X.lean").decls[0]
    assert bar.end == (3, 8)  # the whole class, fields included


def test_alias_without_a_name_for_one_direction() -> None:
    text = "namespace Set\ntheorem foo_iff : True ↔ True := Iff.rfl\nalias ⟨_, mpx⟩ := foo_iff\nend Set\n"
    assert _decls(text) == [("theorem", "Set.foo_iff"), ("alias", "Set.mpx")]


def test_anonymous_instance_names_are_unique_as_lean_makes_them() -> None:
    text = "class C (n : Nat) : Prop\n" + "".join(f"instance : C {i} := ⟨⟩\n" for i in range(3))
    names = [n for k, n in _decls(text) if k == "instance"]
    assert names == ["instC", "instC_1", "instC_2"]


def test_an_unterminated_comment_or_string_is_diagnosed() -> None:
    pf = parse_text("theorem a : 1 = 1 := rfl\n/- never closed\ntheorem b : 2 = 2 := rfl\n", "X.lean")
    assert [d.full_name for d in pf.decls] == ["a"]
    assert any(line == 2 and "unterminated block comment" in msg for line, msg in pf.diagnostics)
    pf = parse_text('def s := "never closed\ntheorem b : 2 = 2 := rfl\n', "X.lean")
    assert any("unterminated string" in msg for _, msg in pf.diagnostics)


def test_nul_bytes_do_not_fold_a_sorry_into_the_previous_theorem() -> None:
    pf = parse_text("theorem a : 1 = 1 := rfl\n\x00theorem b : 2 = 2 := by sorry\n", "X.lean")
    assert [(d.full_name, bool(d.sorries)) for d in pf.decls] == [("a", False), ("b", True)]
    assert any("NUL" in msg for _, msg in pf.diagnostics)


def test_export_cli_in_a_subprocess_reports_warnings(tmp_path: Path, checkout: Path) -> None:
    """The same warning as a user sees it, from a real process."""
    _git(checkout, "remote", "add", "origin", "https://github.com/example-org/links")
    env = {**os.environ, "LEANAGENT_HOME": str(tmp_path / "home")}
    subprocess.run([sys.executable, "-m", "leanagent", "add", str(checkout)], env=env, cwd=REPO_ROOT, check=True,
                   capture_output=True)
    r = subprocess.run([sys.executable, "-m", "leanagent", "export", str(tmp_path / "out")], env=env,
                       cwd=REPO_ROOT, capture_output=True, text=True)
    assert r.returncode == 0 and "warning: no exported theorem has traced tactics" in r.stderr
