"""What the commands print: stored strings cannot drive the terminal; bounds are checked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from factories import make_repo, tiny_bert

from database.records import FileRecord, PremiseRecord, RepoInfo, SorryRecord, TheoremRecord
from database.store import Store
from leanagent.cli import main

REPO_ROOT = Path(__file__).resolve().parents[1]
TITLE = "\x1b]0;pwned\x07"  # sets the terminal's title
CLEAR = "\x1b[2J"  # clears the screen
BIDI = "\u202e"  # right-to-left override


def _run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LEANAGENT_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "leanagent", *args], env=env, cwd=REPO_ROOT, capture_output=True,
                          text=True, check=False)


@pytest.fixture
def hostile_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    name = f"evil{TITLE}repo"
    with Store(home / "leanagent.db") as store, store.ingest(
            RepoInfo(url="https://example.org/evil", name=name, commit="e" * 40, tracer="test")) as w:
        path = f"Evil{CLEAR}/X{BIDI}.lean"
        w.add_file(FileRecord(path, [], [PremiseRecord(f"«p{TITLE}»", "def p := 1", "def", (1, 1), (1, 11))],
                              content_hash="h"))
        w.add_theorem(TheoremRecord(file_path=path, full_name=f"«thm{TITLE}»", start=(3, 1), end=(3, 30),
                                    statement="theorem t : True", sorries=[SorryRecord(3, 20, "term")]))
    return home


@pytest.mark.parametrize("command", [["repos"], ["theorems", "1"], ["sorries"], ["sorries", "1"]])
def test_human_output_escapes_control_characters(hostile_home: Path, command: list[str]) -> None:
    r = CliRunner().invoke(main, ["--home", str(hostile_home), *command])
    assert r.exit_code == 0, r.output
    for text in (r.stdout, r.stderr):
        assert "\x1b" not in text and "\x07" not in text and BIDI not in text
    assert "\\x1b]0;pwned\\x07" in r.stdout  # shown, visibly, not executed
    if command[0] != "repos":
        assert "\\u202e" in r.stdout


def test_json_output_stays_exact(hostile_home: Path) -> None:
    repos = json.loads(_run(hostile_home, "repos", "--json").stdout)
    assert repos[0]["name"] == f"evil{TITLE}repo"
    thms = json.loads(_run(hostile_home, "theorems", "1", "--json").stdout)
    assert thms[0]["full_name"] == f"«thm{TITLE}»" and thms[0]["file"] == f"Evil{CLEAR}/X{BIDI}.lean"


def test_error_messages_escape_control_characters(hostile_home: Path) -> None:
    r = _run(hostile_home, "theorems", f"nope{TITLE}")
    assert r.returncode == 1
    assert "\x1b" not in r.stderr and "no repository matches" in r.stderr and "\\x1b" in r.stderr


def test_add_name_is_escaped(tmp_path: Path, fixtures: Path) -> None:
    r = _run(tmp_path / "home", "add", str(fixtures / "exports/official_toy"), "--name", f"x{TITLE}")
    assert r.returncode == 0, r.stderr
    assert "\x1b" not in r.stderr and "\\x1b]0;pwned" in r.stderr


# -- bounds -------------------------------------------------------------------------------------


def test_positions_and_repository_lists_are_checked(tmp_path: Path) -> None:
    runner = CliRunner()
    home = ["--home", str(tmp_path / "home")]
    for argv in (["retrieve", "x", "--repo", "1", "--file", "A.lean", "--line", "-5"],
                 ["retrieve", "x", "--repo", "1", "--file", "A.lean", "--line", "1", "--col", "0"],
                 ["retrieve", "x", "--repo", "1", "--k", "-1"],
                 ["run", "--repos", ","],
                 ["export", str(tmp_path / "out"), "--repos", " , "],
                 ["eval", "--methods", ","]):
        r = runner.invoke(main, [*home, *argv])
        assert r.exit_code == 2, (argv, r.output)  # a usage error, before anything runs
    assert not (tmp_path / "out").exists()


def test_retrieve_reads_a_long_query_from_stdin(tmp_path: Path) -> None:
    model = str(tiny_bert(tmp_path / "tiny"))
    home = tmp_path / "home"
    with Store(home / "leanagent.db") as store:
        info = make_repo(store, n_dep=5, n_a=5, n_theorems=10)
    word = info["own"][0][1]
    # longer than a command line can carry on Linux (MAX_ARG_STRLEN is 128 KiB per argument)
    query = (f"{word} " * 40_000).strip()
    common = ["--home", str(home), "retrieve", "--repo", "syn", "--base", "--model", model, "--max-length", "32",
              "--precision", "fp32", "--json", "--k", "3"]
    runner = CliRunner()
    piped = runner.invoke(main, [*common, "-"], input=query)
    assert piped.exit_code == 0, piped.output
    # the same first tokens (the encoder keeps 32), short enough for a command line
    direct = runner.invoke(main, [*common, " ".join([word] * 100)])
    assert direct.exit_code == 0, direct.output
    assert json.loads(piped.stdout) == json.loads(direct.stdout)
    empty = runner.invoke(main, [*common, "-"], input="   ")
    assert empty.exit_code == 2 and "empty" in empty.output
