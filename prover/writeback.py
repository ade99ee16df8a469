"""Writing accepted proofs back into a repository's source, on a new git branch.

Each proof replaces its theorem's proof (``:= by`` and the tactics, indented two spaces
past the declaration's line), files are edited bottom-up so earlier positions stay
valid, and everything is committed on a new branch of the checkout with a patch file
beside it. Refused, with nothing written, when

* a file changed since it was indexed (its content hash differs, or -- for sources
  indexed from an export, whose hash is not the file's -- a statement is not at its
  indexed position any more): re-add the repository and prove again;
* a file has uncommitted changes (they would end up in the commit);
* the branch already exists.

Nothing is ever pushed.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from database.errors import LeanAgentError
from database.proofs import StoredProof

from .lean.source import SourceError, SourceFile, replace_proof, statement_matches

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class WriteBackError(LeanAgentError):
    """Proofs cannot be written back as asked; nothing was changed."""


@dataclass(frozen=True)
class WriteBackResult:
    branch: str
    previous: str  # the branch (or commit) the checkout was on
    commit: str
    patch: Path
    files: tuple[str, ...]
    proofs: tuple[str, ...]  # theorem names written
    checks: dict[str, str] = field(default_factory=dict)  # file -> how "unchanged since indexing" was checked

    def checkout_note(self, root: Path) -> str:
        """What the new branch means for later proving, and how to go back (see
        docs/proving.md, "Write-back"): the index describes the files as they were."""
        files = ", ".join(self.files)
        return (f"the checkout {root} is left on branch {self.branch}: while it is, `leanagent prove` of a theorem "
                f"below an inserted proof in {files} stops with source_changed (the index describes these files "
                f"as they were); go back first with `git -C {root} checkout {self.previous}`, or merge the branch "
                "and `leanagent add` the checkout again")


def _git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=check)
    except FileNotFoundError as exc:
        raise WriteBackError("git is not installed: write-back needs it") from exc
    except subprocess.CalledProcessError as exc:
        raise WriteBackError(f"`git {' '.join(args)}` failed in {root}: {exc.stderr.strip() or exc.stdout.strip()}") \
            from exc


def default_branch_name(now: datetime | None = None) -> str:
    return "leanagent/proofs-" + (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")


def write_back(root: Path, proofs: Sequence[StoredProof], *, patch: Path, branch: str | None = None,
               message: str | None = None) -> WriteBackResult:
    """Write ``proofs`` into the checkout at ``root`` on a new branch; see the module doc."""
    if not proofs:
        raise WriteBackError("there is no accepted proof to write back (prove some with `leanagent prove`)")
    root = Path(root).resolve()
    inside = _git(root, "rev-parse", "--is-inside-work-tree", check=False)
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        raise WriteBackError(f"{root} is not a git checkout: write-back commits on a new branch")
    top = Path(_git(root, "rev-parse", "--show-toplevel").stdout.strip())
    branch = branch or default_branch_name()
    if _git(root, "check-ref-format", "--branch", branch, check=False).returncode != 0:
        raise WriteBackError(f"'{branch}' is not a valid branch name")
    if _git(root, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}", check=False).returncode == 0:
        raise WriteBackError(f"the branch {branch} already exists in {top}: pass another with --branch")

    by_file: dict[str, list[StoredProof]] = {}
    for p in proofs:
        by_file.setdefault(p.file, []).append(p)
    new_texts: dict[Path, bytes] = {}
    checks: dict[str, str] = {}
    for file, items in sorted(by_file.items()):
        path = root / file
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise WriteBackError(f"cannot read {path}: {exc}; nothing was written") from exc
        if _SHA256.match(items[0].content_hash):
            if hashlib.sha256(data).hexdigest() != items[0].content_hash:
                raise WriteBackError(f"{file} changed since it was indexed (its content hash differs): re-add the "
                                     "repository with `leanagent add` and prove again; nothing was written")
            checks[file] = "content hash"
        else:
            checks[file] = "statements at their indexed positions (the indexed hash is not the file's)"
        status = _git(root, "status", "--porcelain", "--", file).stdout.strip()
        if status:
            raise WriteBackError(f"{file} has uncommitted changes ({status.split()[0]}): commit or stash them "
                                 "first; nothing was written")
        text = data.decode("utf-8")
        for p in sorted(items, key=lambda x: x.start, reverse=True):
            src = SourceFile(text)
            try:
                decl = src.declaration(p.start, p.end)
            except SourceError as exc:
                raise WriteBackError(f"{file}: {p.full_name} is not where it was indexed ({exc}); nothing was "
                                     "written") from exc
            if p.statement and not statement_matches(src, decl, p.statement):
                raise WriteBackError(f"{file}: the statement of {p.full_name} changed since indexing; nothing was "
                                     "written")
            # One block: the stored proof's lines keep their relative indentation.
            text = replace_proof(src, decl, [p.proof])
        new_texts[path] = text.encode("utf-8")

    previous = _git(root, "rev-parse", "--abbrev-ref", "HEAD").stdout.strip()
    if previous == "HEAD":
        previous = _git(root, "rev-parse", "HEAD").stdout.strip()
    originals = {path: path.read_bytes() for path in new_texts}
    _git(root, "checkout", "-q", "-b", branch)
    try:
        for path, data in new_texts.items():
            path.write_bytes(data)
        rel = [str(path.relative_to(top)) for path in new_texts]
        _git(top, "add", "--", *rel)
        identity: list[str] = []
        if not _git(top, "config", "user.email", check=False).stdout.strip():
            identity = ["-c", "user.name=leanagent", "-c", "user.email=leanagent@localhost"]
        names = [p.full_name for p in proofs]
        msg = message or ("leanagent: proofs of " + ", ".join(names[:5]) + (" and more" if len(names) > 5 else "")
                          + "\n\nEach proof was accepted by Lean in its file (whole-file check, standard axioms "
                          "only) before being written.")
        _git(top, *identity, "commit", "-q", "-m", msg, "--", *rel)
        commit = _git(top, "rev-parse", "HEAD").stdout.strip()
        patch.parent.mkdir(parents=True, exist_ok=True)
        patch.write_text(_git(top, "format-patch", "-1", "--stdout", commit).stdout, encoding="utf-8")
    except BaseException:
        for path, data in originals.items():
            path.write_bytes(data)
        _git(top, "checkout", "-q", previous, check=False)
        _git(top, "branch", "-q", "-D", branch, check=False)
        raise
    return WriteBackResult(branch, previous, commit, patch, tuple(sorted(by_file)), tuple(names), checks)
