"""The knowledge-base commands as a user runs them: real processes, real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from leanagent.cli import main
from leanagent.config import resolve_home


def run(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "LEANAGENT_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "leanagent", *args], capture_output=True, text=True, env=env, check=False
    )


def test_add_repos_theorems_sorries_end_to_end(fixtures: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    export = str(fixtures / "exports/leanagent_toy")
    r = run(home, "add", export, "--source", str(fixtures / "exports/toy_source"), "--json")
    assert r.returncode == 0, r.stderr
    assert "added example-org/toy-lean" in r.stderr
    added = json.loads(r.stdout)
    assert added["status"] == "added" and added["repositories"][0]["theorems"] == 4

    again = run(home, "add", export)
    assert again.returncode == 0
    assert "already in the database" in again.stderr and "nothing to do" in again.stderr

    repos = json.loads(run(home, "repos", "--json").stdout)
    assert len(repos) == 1
    repo = repos[0]
    for key in ("name", "url", "commit", "path", "files", "premises", "theorems", "theorems_with_sorry",
                "tactic_steps"):
        assert key in repo
    assert repo["name"] == "example-org/toy-lean"
    assert (repo["theorems"], repo["theorems_with_sorry"], repo["tactic_steps"]) == (3, 2, 3)
    assert repo["path"] == str(fixtures / "exports/toy_source")

    thms = json.loads(run(home, "theorems", "toy-lean", "--status", "sorry", "--json").stdout)
    assert sorted(t["full_name"] for t in thms) == ["Toy.term_sorry", "Toy.αβ_lemma"]
    proven = json.loads(run(home, "theorems", "toy-lean", "--status", "proven", "--json").stdout)
    assert [t["full_name"] for t in proven] == ["Toy.add_swap"]
    assert json.loads(run(home, "theorems", "toy-lean", "--status", "proved", "--json").stdout) == []

    sorries = json.loads(run(home, "sorries", "--json").stdout)
    assert [(s["full_name"], s["kind"], s["file"], s["line"]) for s in sorries] == [
        ("Toy.αβ_lemma", "theorem", "Toy/Arith.lean", 16),
        ("Toy.term_sorry", "theorem", "Toy/Arith.lean", 19),
        ("Toy.unfinished", "def", "Toy/Basic.lean", 8),
    ]
    assert json.loads(run(home, "sorries", "example-org/toy-lean", "--json").stdout) == sorries


def test_exit_codes_and_streams(fixtures: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    usage = run(home, "theorems")  # missing argument
    assert usage.returncode == 2 and usage.stdout == ""
    bad_option = run(home, "repos", "--nope")
    assert bad_option.returncode == 2
    missing = run(home, "theorems", "nothing-here")
    assert missing.returncode == 1
    assert "leanagent add" in missing.stderr and missing.stdout == ""
    assert run(home, "add", str(fixtures / "exports/official_toy")).returncode == 0
    unknown = run(home, "theorems", "nothing-here", "--json")
    assert unknown.returncode == 1 and "no repository matches 'nothing-here'" in unknown.stderr
    assert unknown.stdout == ""


def test_home_flag_env_and_nothing_written_elsewhere(fixtures: Path, tmp_path: Path, monkeypatch) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    flag_home = tmp_path / "flag-home"
    env_home = tmp_path / "env-home"
    monkeypatch.setenv("LEANAGENT_HOME", str(env_home))
    runner = CliRunner()
    res = runner.invoke(main, ["--home", str(flag_home), "add", str(fixtures / "exports/official_toy")])
    assert res.exit_code == 0, res.output
    assert (flag_home / "leanagent.db").exists()
    assert not env_home.exists()  # the flag wins
    res = runner.invoke(main, ["add", str(fixtures / "exports/official_toy")])
    assert res.exit_code == 0
    assert (env_home / "leanagent.db").exists()
    assert list(cwd.iterdir()) == []
    assert not (tmp_path / "user-home").exists()  # nothing under ~
    # read-only commands on an empty home create nothing
    empty = tmp_path / "empty-home"
    assert runner.invoke(main, ["--home", str(empty), "repos", "--json"]).output.strip() == "[]"
    assert not empty.exists()


def test_default_home_is_documented_path(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert resolve_home().root == (tmp_path / ".local/share/leanagent").resolve()
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert resolve_home().root == (tmp_path / "xdg/leanagent").resolve()


def test_cli_stays_light(tmp_path: Path) -> None:
    """`leanagent --help` must not import the ML stack, nor the store (sqlite-utils and
    numpy are most of the start-up time: `database/__init__` is lazy for that); nor may
    reading a configuration file, or `leanagent config`."""
    (tmp_path / "leanagent.toml").write_text("[run]\nepochs = 3\n")
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from leanagent.cli import main\n"
        "r = CliRunner().invoke(main, ['--help'])\n"
        "assert r.exit_code == 0, r.output\n"
        f"for args in (['config', '--json'], ['run', '--help']):\n"
        f"    r = CliRunner().invoke(main, ['--home', {str(tmp_path)!r}, *args])\n"
        "    assert r.exit_code == 0 and 'epochs' in r.output, r.output\n"
        "heavy = [m for m in ('torch', 'transformers', 'faiss', 'ray', 'lean_dojo', 'sqlite_utils', 'numpy',\n"
        "                     'jinja2', 'plotly') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def _command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for name, cmd in sorted(group.commands.items()):
        out.append((*prefix, name))
        if isinstance(cmd, click.Group):
            out.extend(_command_paths(cmd, (*prefix, name)))
    return out


COMMANDS = _command_paths(main)


def _resolve(path: tuple[str, ...]) -> click.Command:
    cmd: click.Command = main
    for name in path:
        assert isinstance(cmd, click.Group)
        cmd = cmd.commands[name]
    return cmd


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    """Every registered command (and sub-command) says what it does, names its arguments
    and documents each of its options."""
    cmd = _resolve(path)
    summary = (cmd.help or "").strip()
    assert len(summary.split()) >= 5, f"`leanagent {' '.join(path)}` has no real description"
    for param in cmd.params:
        if isinstance(param, click.Argument):
            name = param.human_readable_name.strip("[]")  # an optional argument's metavar may be `[REPO]`
            assert name in summary, f"the description does not mention {name}"
        elif isinstance(param, click.Option):
            assert (param.help or "").strip(), f"option {'/'.join(param.opts)} of {' '.join(path)} has no help"
    res = CliRunner().invoke(main, [*path, "--help"])
    assert res.exit_code == 0, res.output
    assert summary.splitlines()[0][:40] in " ".join(res.output.split())


@pytest.mark.parametrize("name", sorted(main.commands))
def test_readme_documents_every_command(name: str) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert f"`leanagent {name}" in readme, f"README.md does not document `leanagent {name}`"
