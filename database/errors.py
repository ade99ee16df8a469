"""The exception hierarchy of leanagent.

It lives in the bottom layer so that every package (database, curriculum, prover,
leanagent) can raise and catch the same types without importing upward. The CLI maps
every ``LeanAgentError`` to exit status 1 and prints its message, so messages must say
what happened *and* how to fix it.
"""

from __future__ import annotations


class LeanAgentError(Exception):
    """Base class of every error leanagent raises on purpose."""


class ConfigError(LeanAgentError):
    """A setting (flag, environment variable, config file) is missing or invalid."""


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
