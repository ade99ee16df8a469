"""The Ray options every heavy command takes, and how a command opens its runtime."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from leanagent.distributed.runtime import Runtime

    from . import App

F = TypeVar("F", bound=Callable[..., Any])

ADDRESS_HELP = (
    "Where heavy work runs: auto or ray://HOST:PORT joins a Ray cluster, local starts a Ray on this "
    "machine for the command, off keeps everything in this process "
    "[env: LEANAGENT_RAY_ADDRESS; HOME/config.toml [ray] address; RAY_ADDRESS inside `ray job submit`; "
    "default: this process for small work, a local Ray otherwise]."
)


def ray_address_option(fn: F) -> F:
    return click.option("--ray-address", "ray_address", default=None, metavar="ADDRESS", help=ADDRESS_HELP)(fn)


def workers_option(fn: F) -> F:
    """``--workers``: how many repositories are prepared at once (Ray tasks in flight)."""
    return click.option("--workers", type=click.IntRange(min=1), default=None,
                        help="Repositories prepared at once [default: twice the CPUs of the Ray cluster, so that "
                        "workers stay busy while the driver writes].")(fn)


@contextlib.contextmanager
def open_runtime(app: App, ray_address: str | None, *, want_ray: bool) -> Iterator[Runtime]:
    """The command's Ray runtime (see `leanagent.distributed.runtime.ray_runtime`)."""
    from leanagent.distributed.runtime import ray_runtime
    from leanagent.distributed.settings import resolve_ray_settings

    from . import info

    settings = resolve_ray_settings(ray_address, home_root=app.home.root)
    with ray_runtime(settings, want_ray=want_ray, on_event=info) as rt:
        yield rt
