"""Record types that every source produces and the ingest writer consumes.

A *source* (the LeanDojo-export importer, the static indexer, a LeanDojo tracer) turns a
repository into these records; `database.ingest` stores them. Sources never write SQL
and the writer never cares which source produced a record: that is the seam that keeps
tracers interchangeable.

Positions are LeanDojo's: ``(line, column)``, both 1-based, columns counted in Unicode
code points, end positions exclusive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, Literal

Pos = tuple[int, int]

# What a theorem's proof is, as far as a source can tell.
ProofStyle = Literal["tactic", "term", "equations", "where", "none"]
Status = Literal["proven", "sorry", "proved_by_agent"]

#: Prefixes of dependency paths, relative to a repository root. Lean core is copied by
#: the LeanDojo tracer to `.lake/packages/lean4/...`; repositories from before Lake's
#: move to `.lake/` (Lean < 4.3) keep packages in `lake-packages/`.
DEPENDENCY_PREFIXES = (".lake/", "lake-packages/")


def is_dependency_path(path: str) -> bool:
    return path.startswith(DEPENDENCY_PREFIXES)


def package_of(path: str) -> str | None:
    """Name of the dependency package a path belongs to, or None for the repo's own files."""
    for prefix in (".lake/packages/", "lake-packages/"):
        if path.startswith(prefix):
            rest = path[len(prefix) :]
            return rest.split("/", 1)[0] or None
    return None


def repo_name_from_url(url: str) -> str:
    """`owner/name` for a hosted git URL (https, ssh or scp-like), the last path part for a
    local path: one naming rule for every tracer."""
    u = url.rstrip("/")
    if u.endswith(".git"):
        u = u[:-4]
    m = re.match(r"^(?:https?://|ssh://)?(?:[^@/]+@)?[^/:]+[/:]([^/]+/[^/]+)$", u)
    if m and not u.startswith("/"):
        return m.group(1)
    return PurePosixPath(u).name or u


_USERINFO = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^@/?#]*)@")


def redact_url(url: str) -> str:
    """``url`` without credentials: ``https://TOKEN@host/x`` -> ``https://host/x``.

    Everything a URL's userinfo holds over http(s) is a credential (a token is often
    given as the user name), so all of it goes (for every scheme but ssh); for ssh the
    user name is how one logs in (``ssh://git@host``) and stays, a password does not.
    Applied before a URL is stored, printed or exported; a local path or scp-like
    ``git@host:x`` is unchanged.
    """
    m = _USERINFO.match(url)
    if m is None:
        return url
    rest = url[m.end():]
    if m.group("scheme").lower() != "ssh://":
        return m.group("scheme") + rest
    user = m.group("user").split(":", 1)[0]
    return f"{m.group('scheme')}{user}@{rest}" if user else m.group("scheme") + rest


@dataclass(frozen=True)
class RepoInfo:
    """Identity and provenance of one repository at one commit."""

    url: str
    name: str
    commit: str
    lean_version: str | None = None
    tracer: str = "unknown"  # "export", "static", "leandojo", ...
    tracer_version: str | None = None
    path: str | None = None  # local source checkout, if any
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class PremiseRecord:
    full_name: str
    code: str
    kind: str
    start: Pos
    end: Pos


@dataclass
class FileRecord:
    """One Lean file: its imports (paths) and the premises it defines.

    ``content_hash`` identifies the file's content: two repositories that hold a
    dependency file with the same path and hash share one stored copy.
    """

    path: str
    imports: list[str]
    premises: list[PremiseRecord]
    content_hash: str
    num_lines: int | None = None


@dataclass
class LinkRecord:
    """A reference from a proof (or one tactic step of it) to a premise.

    The premise is named by where it is defined (``def_path`` and a position inside its
    declaration, as LeanDojo's annotations do); the writer resolves it to a stored
    premise. ``resolution`` records how the source found the link (e.g. ``leandojo``
    for Lean's own annotations, ``static:exact`` for the static indexer).
    """

    full_name: str
    def_path: str
    def_pos: Pos
    def_end_pos: Pos | None
    resolution: str


@dataclass
class StepRecord:
    tactic: str
    annotated_tactic: str | None = None
    state_before: str | None = None
    state_after: str | None = None
    links: list[LinkRecord] = field(default_factory=list)
    #: Source position of the step, when known (the static indexer knows it).
    start: Pos | None = None
    #: Nested structure of the step (sub-blocks), as the static indexer sees it.
    structure: list[Any] | dict[str, Any] | None = None


@dataclass
class SorryRecord:
    """One `sorry` token. ``line``/``col`` are absolute file positions when known."""

    line: int | None
    col: int | None
    context: str  # "statement", "proof", "tactic", "term", "body"


@dataclass
class TheoremRecord:
    """A declaration written `theorem` or `lemma` (LeanDojo's notion of a theorem)."""

    file_path: str
    full_name: str
    start: Pos
    end: Pos
    statement: str | None = None
    kind: str = "theorem"
    proof_style: ProofStyle | None = None
    steps: list[StepRecord] = field(default_factory=list)
    #: Number of proof steps used by the curriculum (LeanDojo traced steps, or the
    #: static indexer's count of top-level tactics).
    num_steps: int = 0
    #: Theorem-level premise links (the static indexer's, where no steps carry them).
    links: list[LinkRecord] = field(default_factory=list)
    sorries: list[SorryRecord] = field(default_factory=list)
    #: What was inspected to look for `sorry`: "source" (the declaration's text) or
    #: "tactics" (only traced tactic text: term-mode proofs could not be checked).
    sorry_checked: str = "source"
    status: Status | None = None  # derived from `sorries` when None


@dataclass
class DeclarationSorries:
    """A declaration that is not a theorem (def, instance, a project's own command...)
    whose statement or body holds `sorry`."""

    file_path: str
    full_name: str
    kind: str
    start: Pos
    sorries: list[SorryRecord]


@dataclass
class Diagnostic:
    """Something a source could not fully understand; stored and shown to the user."""

    file_path: str | None
    line: int | None
    message: str
    severity: str = "warning"
