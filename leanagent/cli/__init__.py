"""The `leanagent` command line: a thin layer over the library.

Conventions (as sqlite-utils): JSON on stdout with ``--json``, messages on stderr;
exit 0 on success, 1 on a handled error (any `LeanAgentError`, and faults of the
environment: a read-only, full or damaged database or disk), 2 on a usage error. Only a
bug gives a traceback. Human output escapes control characters (`text`); JSON is exact.
Command modules register themselves on `main` below; each only parses arguments, calls
one library function and formats its result. Heavy libraries are imported inside the
commands that need them, so `leanagent --help` stays fast. Every option can also be set
from ``leanagent.toml`` or the environment (`configfile`: no code needed in a command).
"""

from __future__ import annotations

import errno
import functools
import json
import logging
import os
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from database.errors import LeanAgentError, from_sqlite
from database.home import Home
from leanagent.config import CONFIG_ENV

from .configfile import CONFIG_PARAM, ConfiguredGroup
from .text import terminal_safe

if TYPE_CHECKING:
    from database.store import Store

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class App:
    """Per-invocation state handed to every command (no globals)."""

    home_flag: str | None
    verbose: int = 0
    _home: Home | None = field(default=None, repr=False)

    @property
    def home(self) -> Home:
        if self._home is None:
            from leanagent.config import resolve_home

            self._home = resolve_home(self.home_flag)
        return self._home

    def store(self, *, readonly: bool = False) -> Store:
        from database.store import Store

        if not readonly:
            self.home.ensure()
        return Store(self.home.db_path, readonly=readonly, notify=info)


pass_app = click.make_pass_decorator(App)


def handle_errors(fn: F) -> F:
    """Map library errors and faults of the environment to exit status 1 with a message
    that names the fix; anything else is a bug and keeps its traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except BrokenPipeError:
            # Whoever read our output stopped (`leanagent metrics | head`): nothing to report.
            # As the Python docs' "Note on SIGPIPE" advises, point stdout at devnull so that
            # the interpreter's final flush does not fail a second time.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(1)
        except LeanAgentError as exc:
            raise click.ClickException(terminal_safe(str(exc))) from exc
        except (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError):
            raise  # our bug, not the user's
        except sqlite3.DatabaseError as exc:  # OperationalError included: locked, full, read-only, damaged
            raise click.ClickException(terminal_safe(str(from_sqlite(exc)))) from exc
        except OSError as exc:
            raise click.ClickException(terminal_safe(os_error_message(exc))) from exc

    return cast(F, wrapper)


_OS_HINTS = {
    errno.ENOSPC: "the disk is full: free some space and try again",
    errno.EDQUOT: "the disk quota is exhausted: free some space and try again",
    errno.EROFS: "the file system is read-only: pass a writable directory (--home, or another destination)",
    errno.EACCES: "permission denied: pass a directory you can write to",
    errno.EPERM: "operation not permitted: pass a directory you can write to",
    errno.ENOTDIR: "a part of the path is a file, not a directory",
    errno.ENOENT: "no such file or directory",
    errno.EISDIR: "it is a directory",
}


def os_error_message(exc: OSError) -> str:
    """What an `OSError` (a disk, permission or path problem) means, naming the file."""
    where = " -> ".join(str(f) for f in (exc.filename, exc.filename2) if f is not None)
    hint = _OS_HINTS.get(exc.errno or -1, exc.strerror or str(exc))
    return f"{where}: {hint}" if where else f"{exc.strerror or exc}: {hint}"


def emit_json(obj: Any) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


def info(message: str) -> None:
    """A message for the user on stderr (control characters escaped)."""
    click.echo(terminal_safe(message), err=True)


@click.group(cls=ConfiguredGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="leanagent")
@click.option(
    "--home",
    "home",
    # Not file_okay=False: `resolve_home` checks the flag, LEANAGENT_HOME and the file's
    # `home` alike, and `leanagent doctor` reports a bad one instead of refusing to start.
    type=click.Path(),
    metavar="DIRECTORY",
    default=None,
    help="Directory for the database, indexes, checkpoints, clones and reports "
    "[env: LEANAGENT_HOME; default: ~/.local/share/leanagent].",
)
@click.option(
    "--config",
    CONFIG_PARAM,
    envvar=CONFIG_ENV,
    type=click.Path(dir_okay=False),
    default=None,
    metavar="FILE",
    help="Configuration file to read instead of HOME/leanagent.toml [env: LEANAGENT_CONFIG].",
)
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug).")
@click.pass_context
def main(ctx: click.Context, home: str | None, config_file: str | None, verbose: int) -> None:
    """leanagent: a lifelong-learning theorem-proving agent for Lean 4.

    Every option of every command can also be set in HOME/leanagent.toml (or --config
    FILE) and in the environment (LEANAGENT_<COMMAND>_<OPTION>); a flag wins over the
    environment, which wins over the file. `leanagent config` shows what is in effect and
    where each value comes from.
    """
    # config_file was read by ConfiguredGroup before parsing (it supplies the defaults).
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    ctx.obj = App(home_flag=home, verbose=verbose)


def _register() -> None:
    # Each module adds its commands to `main`; importing them is cheap (no torch).
    from . import (
        config_cmd,  # noqa: F401
        crawl,  # noqa: F401
        demo,  # noqa: F401
        doctor,  # noqa: F401
        kb,  # noqa: F401
        lifelong,  # noqa: F401
        prove,  # noqa: F401
        report,  # noqa: F401
        retrieval,  # noqa: F401
    )


_register()
