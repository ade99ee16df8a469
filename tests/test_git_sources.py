"""Sources for the static tracer: local checkouts and git URLs (real git, temp repos)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from database.errors import SourceError, UnsafeSourceError
from database.home import Home
from database.store import Store
from leanagent.tracing import AddRequest, add_source
from leanagent.tracing.git import check_safe, clone, is_git_url, normalize_url, resolve_source

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main", *args],
        cwd=cwd, check=True, capture_output=True, text=True,
    ).stdout.strip()


@pytest.fixture
def lean_repo(tmp_path: Path, fixtures: Path) -> tuple[Path, str, str]:
    root = tmp_path / "src" / "links"
    shutil.copytree(fixtures / "lean" / "links", root)
    _git(root, "init", "-q")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "first")
    first = _git(root, "rev-parse", "HEAD")
    (root / "Links" / "New.lean").write_text("theorem brand_new : 7 = 7 := rfl\n")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "second")
    _git(root, "tag", "v1")
    return root, first, _git(root, "rev-parse", "HEAD")


@pytest.mark.parametrize(
    "value",
    [
        "--upload-pack=touch /tmp/x",
        "-oProxyCommand=x",
        "ext::sh -c touch% /tmp/x",
        "fd::17",
        "file::///etc",
        "https://example.com/a --upload-pack=x",
        "https://example.com/a\n--config",
        " https://example.com/a",
    ],
)
def test_injection_is_refused(value: str, tmp_path: Path) -> None:
    with pytest.raises(UnsafeSourceError):
        check_safe(value, "source")
    with pytest.raises(UnsafeSourceError):
        resolve_source(value, tmp_path / "repos")
    assert not (tmp_path / "repos").exists()


def test_unsafe_commit_is_refused(lean_repo, tmp_path: Path) -> None:
    root, _, _ = lean_repo
    for bad in ("--output=/tmp/x", "HEAD;rm", "a b"):
        with pytest.raises(UnsafeSourceError):
            resolve_source(str(root), tmp_path / "repos", commit=bad)


def test_url_forms() -> None:
    assert is_git_url("https://github.com/owner/name")
    assert is_git_url("https://github.com/owner/name.git")
    assert is_git_url("git@github.com:owner/name.git")
    assert is_git_url("ssh://git@host.example/owner/name")
    assert not is_git_url("file:///tmp/x") and not is_git_url("ext::sh") and not is_git_url("owner/name")
    assert normalize_url("git@github.com:owner/name.git") == "https://github.com/owner/name"
    assert normalize_url("https://github.com/owner/name/") == "https://github.com/owner/name"


def test_local_checkout_records_head(lean_repo, store: Store, home: Path) -> None:
    root, first, head = lean_repo
    [s] = add_source(store, AddRequest(source=str(root)), Home(home))
    assert s.commit == head and s.url == str(root.resolve())
    assert store.conn.execute("SELECT COUNT(*) FROM theorems WHERE full_name = 'brand_new'").fetchone()[0] == 1
    with pytest.raises(SourceError, match="checked out"):
        resolve_source(str(root), home / "repos", commit=first)


def test_clone_shallow_then_a_given_commit(lean_repo, tmp_path: Path) -> None:
    root, first, head = lean_repo
    url = root.as_uri()
    repos = tmp_path / "home" / "repos"
    got = clone(url, repos, None, None, allow_file=True)
    assert got.commit == head and got.cloned and (got.path / "Links" / "New.lean").is_file()
    assert (got.path / ".git" / "shallow").exists()  # depth 1
    older = clone(url, repos, first[:10], None, allow_file=True)
    assert older.commit == first and older.path == got.path
    assert not (older.path / "Links" / "New.lean").exists()
    tagged = clone(url, repos, "v1", "mine", allow_file=True)
    assert tagged.commit == head and tagged.name == "mine"
    with pytest.raises(SourceError, match="no commit"):
        clone(url, repos, "no-such-branch", None, allow_file=True)


def test_file_urls_need_explicit_permission(lean_repo, tmp_path: Path) -> None:
    root, _, _ = lean_repo
    with pytest.raises(UnsafeSourceError):
        resolve_source(root.as_uri(), tmp_path / "repos")
    with pytest.raises(SourceError):
        clone(root.as_uri(), tmp_path / "repos", None, None)  # git itself refuses file://
