"""The Ray options every heavy command takes, and how a command opens its runtime.

Like every option they can be set in leanagent.toml (``ray-address = "auto"`` at the top
of the file applies to every command that has it) and in the environment
(``LEANAGENT_RAY_ADDRESS``); docs/configuration.md.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

if TYPE_CHECKING:
    from leanagent.distributed.runtime import Runtime

    from . import App

F = TypeVar("F", bound=Callable[..., Any])

ADDRESS_HELP = (
    "Where heavy work runs: auto or ray://HOST:PORT joins a Ray cluster, local starts a Ray on this "
    "machine for the command, off keeps everything in this process "
    "[env: LEANAGENT_RAY_ADDRESS; leanagent.toml ray-address; RAY_ADDRESS inside `ray job submit`; "
    "default: this process for small work, a local Ray otherwise]."
)
#: Ray's minimum object store (``ray.init`` refuses less).
MIN_OBJECT_STORE = 75 * 1024 * 1024

# Settings of a Ray that leanagent starts itself (ignored when joining a cluster). The
# command functions do not take them: `ray_address_option` hides them from the function
# and `open_runtime` reads them from the command's context.
_LOCAL_RAY = (
    click.option("--ray-num-cpus", "ray_num_cpus", type=click.IntRange(min=1), default=None, metavar="N",
                 help="CPUs of a Ray that leanagent starts [default: all of this machine's]."),
    click.option("--ray-temp-dir", "ray_temp_dir", type=click.Path(file_okay=False), default=None,
                 metavar="DIR", help="Session directory of a Ray that leanagent starts [env: also "
                 "LEANAGENT_RAY_TMPDIR; default: a fresh directory under the system temporary directory, "
                 "removed afterwards]. Keep it short: Ray puts Unix sockets there (~107-byte path limit)."),
    click.option("--ray-object-store-memory", "ray_object_store_memory",
                 type=click.IntRange(min=MIN_OBJECT_STORE), default=None, metavar="BYTES",
                 help="Object store of a Ray that leanagent starts [default: Ray's, 30% of memory]."),
)
_LOCAL_RAY_PARAMS = ("ray_num_cpus", "ray_temp_dir", "ray_object_store_memory")


def ray_address_option(fn: F) -> F:
    """``--ray-address`` (passed as ``ray_address``) and the settings of a local Ray."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        for name in _LOCAL_RAY_PARAMS:
            kwargs.pop(name, None)
        return fn(*args, **kwargs)

    out: Any = click.option("--ray-address", "ray_address", default=None, metavar="ADDRESS",
                            help=ADDRESS_HELP)(wrapper)
    for option in reversed(_LOCAL_RAY):
        out = option(out)
    return cast(F, out)


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
    from .configfile import value_origin

    ctx = click.get_current_context()
    temp_dir = ctx.params.get("ray_temp_dir")
    settings = resolve_ray_settings(
        ray_address, address_source=value_origin(ctx, "ray_address") if ray_address is not None else "--ray-address",
        num_cpus=ctx.params.get("ray_num_cpus"), temp_dir=Path(temp_dir) if temp_dir else None,
        object_store_memory=ctx.params.get("ray_object_store_memory"))
    with ray_runtime(settings, want_ray=want_ray, on_event=info) as rt:
        yield rt
