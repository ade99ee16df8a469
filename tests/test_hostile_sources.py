"""A repository is input, not trusted code: links out of it, FIFOs, devices and huge files
are not read, and credentials in a URL are never stored, printed or exported."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from database.records import RepoInfo
from database.store import Store
from leanagent.tracing.static import StaticIndexConfig, index_repository

REPO_ROOT = Path(__file__).resolve().parents[1]


def _repo(tmp_path: Path, fixtures: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(fixtures / "lean" / "links", root)
    return root


def _dump(store: Store) -> str:
    """Everything the database holds, as one string (to look for leaked text)."""
    out: list[str] = []
    for table in ("repositories", "files", "premises", "theorems", "tactic_steps", "sorries", "diagnostics"):
        out.extend(json.dumps(row, default=str) for row in store.conn.execute(f"SELECT * FROM {table}"))
    return "\n".join(out)


def test_symbolic_links_out_of_the_repository_are_not_read(tmp_path: Path, fixtures: Path, store: Store) -> None:
    outside = tmp_path / "outside"
    (outside / "pkg").mkdir(parents=True)
    (outside / "secret.txt").write_text("root:x:0:0:SECRET_PASSWD_LINE:/root:/bin/bash\n")
    (outside / "Leak.lean").write_text("theorem leaked_outside_theorem : 1 = 1 := rfl\n")
    (outside / "pkg" / "Evil.lean").write_text("theorem evil_package_theorem : 2 = 2 := rfl\n")
    root = _repo(tmp_path, fixtures)
    (root / "Passwd.lean").symlink_to(outside / "secret.txt")
    (root / "Leak.lean").symlink_to(outside / "Leak.lean")
    (root / "LinkedDir").symlink_to(outside / "pkg", target_is_directory=True)
    (root / ".lake" / "packages").mkdir(parents=True)
    (root / ".lake" / "packages" / "evil").symlink_to(outside / "pkg", target_is_directory=True)
    # a link that stays inside the repository is fine
    (root / "Alias.lean").symlink_to(root / "Links" / "A.lean")

    summary = index_repository(store, root, RepoInfo(url="https://example.org/r", name="r", commit="c" * 40))
    dump = _dump(store)
    assert "SECRET_PASSWD_LINE" not in dump
    assert "leaked_outside_theorem" not in dump and "evil_package_theorem" not in dump
    paths = {row[0] for row in store.conn.execute("SELECT path FROM files")}
    assert "Alias.lean" in paths
    assert not paths & {"Passwd.lean", "Leak.lean", "LinkedDir/Evil.lean", ".lake/packages/evil/Evil.lean"}
    reasons = {d.file_path: d.message for d in summary.diagnostics}
    assert "outside the repository" in reasons["Passwd.lean"] and "outside the repository" in reasons["Leak.lean"]
    assert "not followed" in reasons["LinkedDir"] and "not followed" in reasons[".lake/packages/evil"]


def test_add_shows_where_a_diagnostic_is_without_an_unknown_line(tmp_path: Path, fixtures: Path) -> None:
    from click.testing import CliRunner

    from leanagent.cli import main

    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "Leak.lean").write_text("theorem t : 1 = 1 := rfl\n")
    root = _repo(tmp_path, fixtures)
    (root / "Leak.lean").symlink_to(tmp_path / "outside" / "Leak.lean")  # skipped: a file, but no line
    (root / "Links" / "Bad.lean").write_text("theorem ok : 1 = 1 := rfl\n/- never closed\n")  # file and line
    r = CliRunner().invoke(main, ["--home", str(tmp_path / "home"), "add", str(root)])
    assert r.exit_code == 0, r.output
    lines = [line.strip() for line in r.stderr.splitlines()]
    assert any(line.startswith("warning: Leak.lean: ") and "outside the repository" in line for line in lines), lines
    assert any(re.match(r"warning: Links/Bad\.lean:\d+: ", line) for line in lines), lines
    assert ":None:" not in r.stderr


@pytest.mark.parametrize("declared_dir, follow, indexed", [
    ("../outside/pkg", True, True),     # a sibling checkout the manifest names: Lake builds it, so do we
    ("../outside/other", True, False),  # the manifest names another directory: the link is not followed
    ("../outside/pkg", False, False),   # a cloned URL: its manifest never leads out of the clone
])
def test_a_link_to_a_declared_path_dependency_is_followed_only_for_local_checkouts(
        tmp_path: Path, fixtures: Path, store: Store, declared_dir: str, follow: bool, indexed: bool) -> None:
    (tmp_path / "outside" / "pkg").mkdir(parents=True)
    (tmp_path / "outside" / "pkg" / "Dep.lean").write_text("theorem sibling_dependency_theorem : 2 = 2 := rfl\n")
    root = _repo(tmp_path, fixtures)
    (root / "lake-manifest.json").write_text(json.dumps(
        {"version": "1.1.0", "packagesDir": ".lake/packages", "name": "r",
         "packages": [{"type": "path", "name": "dep", "dir": declared_dir, "inherited": False}]}))
    (root / ".lake" / "packages").mkdir(parents=True)
    (root / ".lake" / "packages" / "dep").symlink_to(tmp_path / "outside" / "pkg", target_is_directory=True)

    index_repository(store, root, RepoInfo(url="https://example.org/r", name="r", commit="c" * 40),
                     StaticIndexConfig(follow_path_dependencies=follow))
    paths = {row[0] for row in store.conn.execute("SELECT path FROM files")}
    assert (".lake/packages/dep/Dep.lean" in paths) is indexed
    assert ("sibling_dependency_theorem" in _dump(store)) is indexed


def test_fifos_devices_and_huge_files_are_skipped_not_read(tmp_path: Path, fixtures: Path) -> None:
    root = _repo(tmp_path, fixtures)
    os.mkfifo(root / "Pipe.lean")  # reading it would block forever
    (root / "Zero.lean").symlink_to("/dev/zero")  # reading it would never end
    (root / "Huge.lean").write_text("-- " + "x" * 3000 + "\ntheorem in_huge_file : 1 = 1 := rfl\n")
    with Store(tmp_path / "kb.db") as store:
        started = time.monotonic()
        summary = index_repository(store, root, RepoInfo(url="https://example.org/r", name="r", commit="c" * 40),
                                   StaticIndexConfig(max_file_bytes=2000, workers=1))
        assert time.monotonic() - started < 30
        reasons = {d.file_path: d.message for d in summary.diagnostics}
        assert "FIFO" in reasons["Pipe.lean"]
        assert "outside the repository" in reasons["Zero.lean"]  # /dev/zero is not in the repository
        assert "more than the 2,000" in reasons["Huge.lean"]
        assert store.conn.execute("SELECT COUNT(*) FROM theorems WHERE full_name = 'in_huge_file'").fetchone()[0] == 0
        paths = {row[0] for row in store.conn.execute("SELECT path FROM files")}
        assert not paths & {"Pipe.lean", "Zero.lean", "Huge.lean"}  # nothing of them was read: not stored
        assert "Links/A.lean" in paths  # the rest is indexed


def test_a_device_inside_the_repository_is_skipped(tmp_path: Path) -> None:
    from database.source_files import Skipped, read_source

    with pytest.raises(Skipped, match="device"):
        read_source(Path("/dev/zero"), within=Path("/dev"))


def test_add_of_a_repository_with_a_fifo_finishes(tmp_path: Path, fixtures: Path) -> None:
    """End to end: the command returns (it used to hang on the FIFO forever)."""
    root = _repo(tmp_path, fixtures)
    os.mkfifo(root / "Pipe.lean")
    env = {**os.environ, "LEANAGENT_HOME": str(tmp_path / "home")}
    done = subprocess.run([sys.executable, "-m", "leanagent", "add", str(root)], env=env, cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Pipe.lean" in done.stderr and "FIFO" in done.stderr


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c",
                           "init.defaultBranch=main", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_credentials_in_a_url_are_never_kept(tmp_path: Path, fixtures: Path) -> None:
    from database.export_writer import ExportConfig, export_dataset
    from leanagent.tracing.git import clone

    src = _repo(tmp_path, fixtures)
    _git(src, "init", "-q")
    _git(src, "add", ".")
    _git(src, "commit", "-q", "-m", "first")
    token = "ghp_SECRETTOKEN123"
    url = f"file://{token}@localhost{src}"
    repos = tmp_path / "home" / "repos"
    got = clone(url, repos, None, None, allow_file=True)
    assert token not in got.url and token not in str(got.path)
    assert token not in (got.path / ".git" / "config").read_text()
    with Store(tmp_path / "home" / "leanagent.db") as store:
        # whatever a source hands the writer, the stored URL has no credentials
        index_repository(store, got.path, RepoInfo(url=f"https://{token}:x@github.com/o/r", name="o/r",
                                                   commit=got.commit, path=str(got.path)))
        assert all(token not in row[0] for row in store.conn.execute("SELECT url FROM repositories"))
        assert store.find_repository("o/r").url == "https://github.com/o/r"
        export_dataset(store, store.repositories(), tmp_path / "out", ExportConfig())
    for f in (tmp_path / "out").rglob("*"):
        if f.is_file():
            assert token not in f.read_text(), f
    # git's own error messages, which quote the URL, are redacted too
    from database.errors import SourceError

    with pytest.raises(SourceError) as err:
        clone(f"file://{token}@localhost{tmp_path}/missing", tmp_path / "other", None, None, allow_file=True)
    assert token not in str(err.value)
