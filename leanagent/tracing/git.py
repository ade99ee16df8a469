"""Where a repository's sources come from: a local directory or a git URL.

`resolve_source` turns what the user typed after `leanagent add` into a checkout on disk
plus its identity (url, name, full commit SHA). URLs are cloned into ``home.repos``.

Everything the user typed ends up as an argument of a `git` subprocess, so values that
git could read as an option (leading ``-``) or as a command-running transport
(``ext::``, ``fd::``, ``--upload-pack=...``) are refused before git ever runs: git's own
`protocol.allow` setting is also pinned to the transports we accept, so a crafted
submodule or redirect cannot reach ``ext::`` either.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from database.errors import SourceError, UnsafeSourceError
from database.records import redact_url, repo_name_from_url

# https://host/owner/name(.git), http(s) only, optional user@ and port.
_HTTPS_URL = re.compile(r"^https?://(?:[\w.~%!$&'()*+,;=-]+@)?[A-Za-z0-9.-]+(?::\d+)?(?:/[\w.~%+@-]+)+/?$")
# scp-like git@host:owner/name(.git)
_SCP_URL = re.compile(r"^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:(?!/)[\w.~+/-]+$")
_SSH_URL = re.compile(r"^ssh://(?:[\w.-]+@)?[A-Za-z0-9.-]+(?::\d+)?(?:/[\w.~+-]+)+/?$")
# A commit, tag or branch name: git refname characters, no leading '-'.
_REV = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_./+-]*$")
_SHA = re.compile(r"^[0-9a-f]{40}$")

_GIT_ENV = {
    # Only real network/file transports; never ext:: or fd::, even via submodules.
    "GIT_ALLOW_PROTOCOL": "https:http:ssh:git",
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_CONFIG_NOSYSTEM": "1",
}


@dataclass(frozen=True)
class ResolvedSource:
    path: Path  # the checkout to index
    #: Normalized URL without credentials: the clone's, a local checkout's git remote or
    #: ``--url``; the absolute path only for a local directory with none of them.
    url: str
    name: str
    commit: str  # full SHA, or "local:<hash>" for a directory that is not a git checkout
    cloned: bool = False


def is_git_url(source: str) -> bool:
    """Whether ``source`` is a repository URL. Credentials (``https://TOKEN:pw@host/x``)
    are stripped before the check: they are no part of the repository's address, and the
    patterns above admit no password."""
    bare = redact_url(source)
    return bool(_HTTPS_URL.match(bare) or _SCP_URL.match(bare) or _SSH_URL.match(bare))


def check_safe(value: str, what: str) -> None:
    """Refuse a value that git could take as an option or a command-running transport."""
    low = value.strip().lower()
    shown = redact_url(value.strip())  # messages never echo credentials
    if not value or value != value.strip():
        raise UnsafeSourceError(f"{what} {shown!r} is empty or has surrounding spaces; give it without them")
    if low.startswith("-"):
        raise UnsafeSourceError(
            f"{what} {shown!r} starts with '-', which git would read as an option; refusing it"
        )
    if "::" in low or low.startswith(("ext:", "fd:", "file:")):
        raise UnsafeSourceError(
            f"{what} {shown!r} uses a git transport helper (ext::, fd::, file:: ...) that can run "
            "commands; give an https://, ssh:// or git@host:owner/name URL, or a local directory"
        )
    if "upload-pack" in low or "receive-pack" in low or "--config" in low:
        raise UnsafeSourceError(f"{what} {shown!r} tries to set a git option; refusing it")
    if any(c in value for c in "\n\r\0"):
        raise UnsafeSourceError(f"{what} contains a control character; refusing it")


def normalize_url(url: str) -> str:
    """LeanDojo's normalization: no trailing '/', git@github.com:x -> https://github.com/x;
    and no credentials (`database.records.redact_url`)."""
    url = redact_url(url).rstrip("/")
    m = re.match(r"^git@github\.com:(.+)$", url)
    if m:
        url = "https://github.com/" + m.group(1)
    return url.removesuffix(".git")


def _git(args: list[str], cwd: Path | None = None, timeout: float = 600, env: dict | None = None) -> str:
    env = {**os.environ, **_GIT_ENV, **(env or {})}
    try:
        out = subprocess.run(
            ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except FileNotFoundError as exc:
        raise SourceError("git is not installed: install git to add repositories from URLs") from exc
    except subprocess.TimeoutExpired as exc:
        raise SourceError(f"git {args[0]} timed out after {timeout:.0f}s") from exc
    if out.returncode != 0:
        raise SourceError(f"git {' '.join(args[:1])} failed: {_redact_text(out.stderr.strip()[-500:])}")
    return out.stdout.strip()


def run_git(args: list[str], cwd: Path | None = None, timeout: float = 600) -> str:
    """Run git with the safe environment above (transports pinned, no prompts); its
    stdout, stripped. Raises `SourceError` with git's message on failure."""
    return _git(args, cwd=cwd, timeout=timeout)


_URL_IN_TEXT = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"]+")


def _redact_text(text: str) -> str:
    """Credentials out of every URL in a message (git quotes the URL it failed on)."""
    return _URL_IN_TEXT.sub(lambda m: redact_url(m.group()), text)


def remote_url(path: Path) -> str | None:
    """The URL of a checkout's git remote (``origin``, else the only or first one),
    normalized and without credentials; None when it has none, when it is a local path,
    or when git is missing."""
    try:
        names = _git(["remote"], cwd=path).split()
    except SourceError:
        return None
    if not names:
        return None
    name = "origin" if "origin" in names else names[0]
    try:
        url = _git(["remote", "get-url", "--", name], cwd=path)
    except SourceError:
        return None
    # A remote that is another local directory identifies nothing beyond this machine.
    return normalize_url(url) if url and is_git_url(normalize_url(url)) else None


def check_url(url: str, what: str = "--url") -> str:
    """A repository URL given by the user, checked and normalized. The credentials go
    first (``https://TOKEN:pw@host/x`` -> ``https://host/x``), then the rest is checked;
    neither the value stored nor any message holds them."""
    check_safe(url, what)
    bare = redact_url(url)
    if not is_git_url(bare):
        raise SourceError(
            f"{what} {bare!r} is not a repository URL (https://host/owner/name, "
            "ssh://host/owner/name or git@host:owner/name)"
        )
    return normalize_url(bare)


def local_commit(path: Path) -> str | None:
    """HEAD of a git checkout, or None if `path` is not inside one (or git is missing)."""
    try:
        top = _git(["rev-parse", "--show-toplevel"], cwd=path)
        if Path(top).resolve() != path.resolve():
            return None  # a sub-directory of some other checkout: its HEAD says nothing
        return _git(["rev-parse", "--verify", "HEAD^{commit}"], cwd=path)
    except SourceError:
        return None


def tree_fingerprint(path: Path) -> str:
    """Identity of a directory that is not a git checkout: hash of its .lean files' paths
    and sizes and mtimes (cheap; a changed file gives a new 'commit'). Links are not
    followed (the indexer does not read through them either)."""
    h = hashlib.sha256()
    entries = []
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        for f in filenames:
            if f.endswith(".lean"):
                p = Path(dirpath, f)
                try:
                    st = p.lstat()
                except OSError:
                    continue
                entries.append((p.relative_to(path).as_posix(), st.st_size, st.st_mtime_ns))
    for rel, size, mtime in sorted(entries):
        h.update(f"{rel}\0{size}\0{mtime}\n".encode())
    return "local:" + h.hexdigest()[:40]


def resolve_source(source: str, home_repos: Path, commit: str | None = None, name: str | None = None,
                   url: str | None = None) -> ResolvedSource:
    """A local directory (used in place) or a git URL (cloned under `home_repos`).

    The repository's identity is its URL: ``url`` when given (``add --url``), else a git
    URL's own, else a local checkout's remote; only a directory with none of them is
    named by its absolute path (and cannot be exported for LeanDojo loaders)."""
    check_safe(source, "source")
    identity = check_url(url) if url is not None else None
    if commit is not None:
        check_safe(commit, "--commit")
        if not _REV.match(commit):
            raise UnsafeSourceError(f"--commit {commit!r} is not a commit SHA, tag or branch name")
    path = Path(source).expanduser()
    if path.is_dir():
        path = path.resolve()
        head = local_commit(path)
        if commit is not None:
            if head is None:
                raise SourceError(f"--commit needs a git checkout, and {path} is not one")
            wanted = _git(["rev-parse", "--verify", f"{commit}^{{commit}}"], cwd=path)
            if wanted != head:
                raise SourceError(
                    f"{path} has {head[:12]} checked out, not {commit} ({wanted[:12]}); check it out "
                    "first, or give the repository's URL to clone that commit"
                )
        identity = identity or (remote_url(path) if head is not None else None)
        rname = name or (repo_name_from_url(identity) if identity else path.name)
        return ResolvedSource(path, identity or str(path), rname, head or tree_fingerprint(path))
    if not is_git_url(source):
        raise SourceError(
            f"{redact_url(source)} is neither an existing directory nor a git URL (https://host/owner/name, "
            "ssh://host/owner/name or git@host:owner/name)"
        )
    got = clone(source, home_repos, commit, name)
    if identity is not None:
        got = ResolvedSource(got.path, identity, name or repo_name_from_url(identity), got.commit, got.cloned)
    return got


def clone(
    url: str, home_repos: Path, commit: str | None, name: str | None, *, allow_file: bool = False
) -> ResolvedSource:
    """Clone `url` into `home_repos` (reused on later calls, and fetched again every
    time, so that a branch or the default HEAD means what the remote says now) and
    check out `commit` (default: the remote's HEAD).

    Without `commit` the clone is shallow (depth 1); with one it is blobless (full
    history, file contents fetched only for the checked-out tree), since an arbitrary SHA
    cannot always be fetched shallowly. `allow_file` admits file:// URLs (tests, mirrors).

    Credentials in `url` are used for the network, never kept: the clone's directory is
    named after the URL without them, and its ``origin`` is set back to that URL once
    the checkout is done.
    """
    norm = normalize_url(url)
    rname = name or repo_name_from_url(norm)
    check_safe(rname, "--name")
    env = {"GIT_ALLOW_PROTOCOL": _GIT_ENV["GIT_ALLOW_PROTOCOL"] + (":file" if allow_file else "")}
    slug = re.sub(r"[^\w.-]+", "_", norm.split("://", 1)[-1]).strip("._") or "repo"
    dest = home_repos / slug
    home_repos.mkdir(parents=True, exist_ok=True)
    fresh = not (dest / ".git").is_dir()
    if fresh:
        tmp = home_repos / f".{slug}.partial"
        if tmp.exists():
            import shutil

            shutil.rmtree(tmp)
        how = ["--depth", "1"] if commit is None else ["--filter=blob:none"]
        # `--` ends option parsing: the URL and destination are never options.
        _git(["clone", "--quiet", "--no-checkout", *how, "--", url, str(tmp)], env=env)
        tmp.rename(dest)
    else:
        _git(["remote", "set-url", "origin", url], cwd=dest)
    try:
        default = "HEAD"
        if not fresh and commit is None:
            # The remote's HEAD now, not the commit checked out last time.
            depth = ["--depth", "1"] if (dest / ".git" / "shallow").exists() else []
            _git(["fetch", "--quiet", *depth, "origin", "HEAD"], cwd=dest, env=env)
            default = "FETCH_HEAD"
        elif not fresh:
            shallow = ["--unshallow"] if (dest / ".git" / "shallow").exists() else []
            _git(["fetch", "--quiet", "--tags", "--force", *shallow, "origin",
                  "+refs/heads/*:refs/remotes/origin/*"], cwd=dest, env=env)
        # A branch name means the remote's branch (freshly fetched), not a local branch
        # left from an earlier clone; then tags and commit SHAs.
        candidates = [f"refs/remotes/origin/{commit}", f"refs/tags/{commit}", commit] if commit else [default]
        sha = None
        for rev in candidates:
            try:
                sha = _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"], cwd=dest)
                break
            except SourceError:
                continue
        if sha is None or not _SHA.match(sha):
            raise SourceError(f"{norm} has no commit, tag or branch {commit or 'HEAD'!r}; check the name")
        _git(["checkout", "--quiet", "--force", "--detach", sha], cwd=dest, env=env)
    finally:
        if url != norm:
            _git(["remote", "set-url", "origin", norm], cwd=dest)
    return ResolvedSource(dest, norm, rname, sha, cloned=True)
