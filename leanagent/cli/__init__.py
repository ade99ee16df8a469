"""The `leanagent` command line: a thin layer over the library.

Conventions (as sqlite-utils): JSON on stdout with ``--json``, messages on stderr;
exit 0 on success, 1 on a handled error (any `LeanAgentError`), 2 on a usage error.
Command modules register themselves on `main` below; each only parses arguments, calls
one library function and formats its result. Heavy libraries are imported inside the
commands that need them, so `leanagent --help` stays fast.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from database.errors import LeanAgentError
from database.home import Home

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
        return Store(self.home.db_path, readonly=readonly)


pass_app = click.make_pass_decorator(App)


def handle_errors(fn: F) -> F:
    """Map library errors to exit status 1 with their message (which names the fix)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except LeanAgentError as exc:
            raise click.ClickException(str(exc)) from exc

    return cast(F, wrapper)


def emit_json(obj: Any) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


def info(message: str) -> None:
    click.echo(message, err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="leanagent")
@click.option(
    "--home",
    "home",
    type=click.Path(file_okay=False),
    default=None,
    help="Directory for the database, indexes, checkpoints, clones and reports "
    "[env: LEANAGENT_HOME; default: ~/.local/share/leanagent].",
)
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug).")
@click.pass_context
def main(ctx: click.Context, home: str | None, verbose: int) -> None:
    """leanagent: a lifelong-learning theorem-proving agent for Lean 4."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    ctx.obj = App(home_flag=home, verbose=verbose)


def _register() -> None:
    # Each module adds its commands to `main`; importing them is cheap (no torch).
    from . import (
        doctor,  # noqa: F401
        kb,  # noqa: F401
        lifelong,  # noqa: F401
        prove,  # noqa: F401
        report,  # noqa: F401
        retrieval,  # noqa: F401
    )


_register()
