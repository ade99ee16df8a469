"""Every exception leanagent raises on purpose, in one tree.

It lives in the bottom layer so that every package (database, curriculum, prover,
leanagent) raises and catches the same types without importing upward. The CLI maps
every `LeanAgentError` to exit status 1 and prints its message, so a message says what
happened *and* how to fix it (the flag, command or file to change).

Other modules re-export the classes of their area, so that callers can import an error
from where they meet it (``prover.retrieval.errors``, ``prover.lean.interface``,
``leanagent.lifelong``, ``leanagent.metrics``); those are the same class objects::

    LeanAgentError                  base class of everything below
    ├── ConfigError                 a flag, environment variable or config field is invalid
    │   └── ConfigFileError         leanagent.toml cannot be used (names the file and line)
    ├── DatabaseError               the database cannot be opened, migrated or written
    │   ├── SchemaTooNew            written by a newer leanagent
    │   ├── DatabaseCorrupt         the file is damaged (the message says how to recover)
    │   ├── DatabaseBusy            another process held the write lock too long
    │   └── LockHeld                a process lock is held (database.locks; names the holder)
    ├── RepositoryNotFound          a repository reference matches nothing
    ├── AmbiguousRepository         ... or several repositories
    ├── AlreadyImported             the same repository at the same commit is stored (exit 0)
    ├── SupersedeConflict           replacing a commit's data would orphan stored proofs
    ├── InputError                  malformed input data (names file, record, field)
    ├── SourceError                 a directory, git URL or export cannot be read or fetched
    │   └── UnsafeSourceError       a value that could inject options or commands into git
    ├── ExportError                 a dataset cannot be written
    ├── RetrievalError              the premise retriever cannot do what was asked
    │   ├── ModelNotFound           an encoder cannot be loaded without the network
    │   ├── CheckpointNotFound      a checkpoint id or its directory is missing
    │   ├── NoTrainingData          no (query, premise) pairs to train on
    │   └── IndexMismatch           a FAISS index does not match its manifest row
    ├── LeanEnvError                Lean cannot be used as asked
    │   ├── ToolchainMissing        no usable Lean toolchain
    │   │   └── LeanDojoNotInstalled    the optional lean-dojo package is missing
    │   ├── TheoremOpenError        a theorem's environment could not be started
    │   ├── UnsupportedLeanVersion  lean-dojo cannot trace / run Dojo on this Lean version
    │   ├── LeanDojoImportError     `import lean_dojo` failed, or ran with other settings
    │   ├── LeanDojoTraceError      lean-dojo failed to trace (carries its log tail)
    │   └── ProjectNotTraced        the Dojo backend's project has no LeanDojo trace
    ├── RunError                    a lifelong run cannot start or continue
    │   └── RunConfigMismatch       a run of that name exists with another configuration
    ├── MetricsError                an accuracy matrix or V sequence has the wrong shape
    └── DemoError                   `leanagent demo` cannot run as asked
        └── ExamplesNotFound        the bundled example projects are not where it looked
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


class LeanAgentError(Exception):
    """Base class of every error leanagent raises on purpose."""


class ConfigError(LeanAgentError):
    """A setting (flag, environment variable, config field) is missing or invalid."""


class ConfigFileError(ConfigError):
    """A configuration file is unreadable, or holds an unknown key or a bad value.

    The message starts with ``PATH:LINE:`` (``PATH:`` when no line applies) so that
    editors and terminals can jump to the place to fix.
    """

    def __init__(self, path: Path, line: int | None, message: str) -> None:
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {message}")
        self.path = path
        self.line = line
        self.reason = message


class DatabaseError(LeanAgentError):
    """The database cannot be opened, migrated or written."""


class SchemaTooNew(DatabaseError):
    """The database was written by a newer leanagent than this one."""


class RepositoryNotFound(LeanAgentError):
    """A repository named on the command line is not in the database."""


class AmbiguousRepository(LeanAgentError):
    """A repository name matches several repositories (e.g. one per commit)."""


class AlreadyImported(LeanAgentError):
    """The same repository at the same commit is already in the database.

    Not a failure for the user: the CLI reports it and exits 0.
    """

    def __init__(self, name: str, url: str, commit: str) -> None:
        super().__init__(
            f"{name} at commit {commit[:12]} is already in the database ({url}); nothing to do."
        )
        self.name = name
        self.url = url
        self.commit = commit


class SupersedeConflict(LeanAgentError):
    """Replacing a repository's data of one commit (e.g. static data by a LeanDojo trace)
    would orphan stored proofs or proof attempts; nothing was changed."""


class InputError(LeanAgentError):
    """Malformed input data. The message names the file, the record and the field."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        record: int | str | None = None,
        field: str | None = None,
    ) -> None:
        where = []
        if file is not None:
            where.append(str(file))
        if record is not None:
            where.append(f"record {record}")
        if field is not None:
            where.append(f"field '{field}'")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)
        self.file = file
        self.record = record
        self.field = field
        self.detail = message


class SourceError(LeanAgentError):
    """A source (directory, git URL, export) cannot be read or fetched."""


class UnsafeSourceError(SourceError):
    """A source string could inject options or commands into git."""


class ExportError(LeanAgentError):
    """A LeanDojo-format dataset cannot be written (nothing to export, the destination
    exists, the stored data is inconsistent)."""


# -- the retriever ------------------------------------------------------------------------


class RetrievalError(LeanAgentError):
    """Base class of retriever errors."""


class ModelNotFound(RetrievalError):
    """An encoder name or path cannot be loaded without the network."""


class CheckpointNotFound(RetrievalError):
    """A checkpoint id is not in the database or its directory is missing."""


class NoTrainingData(RetrievalError):
    """The requested repositories have no (query, premise) pairs in their train split."""


class IndexMismatch(RetrievalError):
    """A stored FAISS index does not match its manifest row or the checkpoint."""


# -- Lean backends (see prover.lean.interface) ----------------------------------------------


class LeanEnvError(LeanAgentError):
    """Lean cannot be used as asked (base class of the backend errors)."""


class ToolchainMissing(LeanEnvError):
    """No usable Lean toolchain (``lake``/``lean``/the REPL binary) was found.

    Raised before any work starts; the message says exactly what to install.
    """


class TheoremOpenError(LeanEnvError):
    """A theorem's environment could not be started (its file does not elaborate, the
    statement cannot be found, the process died while starting...).

    Search records such a theorem as a failure with `reason` (never drops it from the
    denominator of Pass@1, as ReProver does)."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class LeanDojoNotInstalled(ToolchainMissing):
    """The optional lean-dojo package is not installed (``pip install 'leanagent[leandojo]'``)."""


class UnsupportedLeanVersion(LeanEnvError):
    """The project's Lean version is one the installed lean-dojo cannot handle; the message
    names the version, the supported range, the evidence, and what to use instead."""

    def __init__(self, message: str, *, lean_version: str | None, leandojo_version: str | None) -> None:
        super().__init__(message)
        self.lean_version = lean_version
        self.leandojo_version = leandojo_version


class LeanDojoImportError(LeanEnvError):
    """Importing lean_dojo failed (git missing, GitHub unreachable with a token set, a
    setting it rejects), or it was imported earlier in this process with other settings."""


class LeanDojoTraceError(LeanEnvError):
    """lean-dojo failed to trace a repository. ``log_tail`` holds the last lines of its
    output, ``log_path`` the whole log, ``returncode`` the worker's exit status."""

    def __init__(self, message: str, *, log_tail: str, log_path: Path, returncode: int | None) -> None:
        super().__init__(message)
        self.log_tail = log_tail
        self.log_path = log_path
        self.returncode = returncode


class ProjectNotTraced(LeanEnvError):
    """The project has no LeanDojo trace in leanagent's lean-dojo cache."""


# -- the lifelong loop and its metrics --------------------------------------------------------


class RunError(LeanAgentError):
    """A lifelong run cannot start or continue."""


class RunConfigMismatch(RunError):
    """A run with this name exists with a different configuration."""


class MetricsError(LeanAgentError):
    """The accuracy matrix or the V sequence has the wrong shape."""


class DemoError(LeanAgentError):
    """`leanagent demo` cannot run as asked (the message says what to change)."""


class ExamplesNotFound(DemoError):
    """The bundled example projects are not where the demo looked (it names the places)."""


# -- SQLite faults, as messages ----------------------------------------------------------------


class DatabaseCorrupt(DatabaseError):
    """The database file is damaged (SQLite's integrity check fails): leanagent refuses
    to write to it. The message says how to keep a copy and recover."""


class DatabaseBusy(DatabaseError):
    """Another process held the database's write lock for longer than we waited."""


def recovery_steps(path: str) -> str:
    """What to do with a damaged database at ``path`` (also in the README, "Recovering
    a damaged database")."""
    return (
        f"keep a copy first (cp {path} {path}.damaged), then either recover what SQLite can "
        f"still read (sqlite3 {path}.damaged .recover | sqlite3 recovered.db; check it with "
        "sqlite3 recovered.db 'PRAGMA integrity_check' and move it into place), or move the file "
        "away and add your repositories again; see the README, 'Recovering a damaged database'"
    )


def from_sqlite(exc: Exception, path: str | None = None, *, doing: str = "use") -> DatabaseError:
    """A `DatabaseError` that says what a SQLite error means for the user and what to do.

    SQLite reports faults of the environment (a read-only or full disk, a damaged file,
    a lock held too long) as ``sqlite3.OperationalError`` / ``sqlite3.DatabaseError``;
    these are not bugs, so the CLI shows this message instead of a traceback.
    """
    text = str(exc)
    low = text.lower()
    where = path or "the database"
    if "malformed" in low or "not a database" in low or "corrupt" in low or "integrity" in low:
        return DatabaseCorrupt(f"{where} is damaged ({text}): {recovery_steps(where)}")
    if "readonly" in low or "read-only" in low or "unable to open" in low or "attempt to write" in low:
        return DatabaseError(
            f"cannot {doing} {where} ({text}): its directory or file is read-only or missing. Commands "
            "that only read (repos, theorems, sorries, runs, metrics, dashboard, report --out DIR) work on a "
            "read-only home; to write, "
            "make the home writable or pass another with --home"
        )
    if "locked" in low or "busy" in low:
        return DatabaseBusy(
            f"{where} is locked by another process ({text}): wait for the other leanagent command to "
            "finish (see `leanagent runs` for lifelong runs), then try again"
        )
    if "full" in low or "disk i/o" in low or "no space" in low:
        return DatabaseError(
            f"cannot {doing} {where} ({text}): the disk is full or failing; free some space and try "
            "again (nothing was half-written: the last change was rolled back)"
        )
    return DatabaseError(f"cannot {doing} {where}: {text}")
