"""How leanagent reaches Ray: one setting, resolved in one place.

The address comes from, in order: the ``--ray-address`` option (which the CLI fills from
the flag, ``LEANAGENT_<COMMAND>_RAY_ADDRESS`` / ``LEANAGENT_RAY_ADDRESS``, or the
``ray-address`` key of ``leanagent.toml``: docs/configuration.md), the variable
``LEANAGENT_RAY_ADDRESS`` (for callers other than the CLI), and Ray's own
``RAY_ADDRESS`` (which ``ray job submit`` sets for the job it starts, so that a
submitted ``leanagent run`` joins the cluster it was submitted to; a dashboard URL
there, as Ray's job CLI also accepts, is ignored). Values:

* unset     -- leanagent decides: small work runs in this process, larger work on a
  local Ray that leanagent starts and stops around the command;
* ``local`` -- always a local Ray started and stopped by leanagent;
* ``off``   -- never Ray: everything in this process, serially;
* ``auto``  -- join the Ray cluster this machine belongs to (``ray start`` ran here);
* ``ray://HOST:PORT`` -- join a remote cluster through Ray Client;
* ``HOST:PORT`` -- join a cluster by its GCS address (from a node of that cluster).

Nothing here imports Ray: resolving settings is cheap and happens for every command.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from database.errors import ConfigError

ADDRESS_ENV = "LEANAGENT_RAY_ADDRESS"
TEMP_DIR_ENV = "LEANAGENT_RAY_TMPDIR"
#: Ray's own variable; `ray job submit` sets it in the job's environment.
RAY_ADDRESS_ENV = "RAY_ADDRESS"

Mode = Literal["auto-local", "local", "off", "join"]

_HOST_PORT = re.compile(r"^(?:\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$")
_CLIENT = re.compile(r"^ray://(?:\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)(?::\d{1,5})?/?$")


@dataclass(frozen=True)
class RaySettings:
    """Where Ray work goes. ``address`` None means "leanagent decides" (see module doc).

    ``num_cpus`` and ``object_store_memory`` apply only to a Ray that leanagent starts;
    ``temp_dir`` is that Ray's temporary/session directory (None: a fresh directory
    under the system temporary directory, removed when Ray stops).
    """

    address: str | None = None
    num_cpus: int | None = None
    temp_dir: Path | None = None
    object_store_memory: int | None = None
    #: Where the address came from, for messages ("--ray-address", "LEANAGENT_RAY_ADDRESS", ...).
    source: str = "default"

    def __post_init__(self) -> None:
        if self.address is not None:
            check_address(self.address, self.source)
        if self.num_cpus is not None and self.num_cpus < 1:
            raise ConfigError(f"ray num_cpus must be >= 1 (got {self.num_cpus} from {self.source})")
        if self.object_store_memory is not None and self.object_store_memory < 75 * 1024 * 1024:
            raise ConfigError("ray object_store_memory must be at least 78643200 bytes (75 MiB), Ray's minimum")

    @property
    def mode(self) -> Mode:
        if self.address is None:
            return "auto-local"
        if self.address == "local":
            return "local"
        if self.address == "off":
            return "off"
        return "join"

    def with_address(self, address: str | None, source: str) -> RaySettings:
        return replace(self, address=address, source=source)


def check_address(address: str, source: str = "--ray-address") -> None:
    """Refuse an address Ray would misread, with the fix in the message."""
    if address in ("local", "off", "auto"):
        return
    if address.startswith(("http://", "https://")):
        raise ConfigError(
            f"{source} {address!r} is a dashboard / job-submission address: `ray job submit --address` "
            "takes that one; leanagent needs the cluster itself: auto (on a cluster node), "
            "ray://HOST:10001 (Ray Client) or HOST:6379 (the GCS address)"
        )
    if _CLIENT.match(address) or _HOST_PORT.match(address):
        return
    raise ConfigError(
        f"{source} {address!r} is not a Ray address: use auto, local, off, ray://HOST:PORT or HOST:PORT"
    )


def resolve_ray_settings(
    address: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    num_cpus: int | None = None,
    temp_dir: Path | None = None,
    object_store_memory: int | None = None,
    address_source: str = "--ray-address",
) -> RaySettings:
    """Settings from the values given (the CLI's options) and the environment.

    ``address_source`` names where ``address`` came from, for messages (the CLI passes
    the flag, the variable or the configuration file's line)."""
    env = os.environ if environ is None else environ
    chosen, source = None, "default"
    for value, name in (
        (address, address_source),
        (env.get(ADDRESS_ENV), ADDRESS_ENV),
        (env.get(RAY_ADDRESS_ENV), RAY_ADDRESS_ENV),
    ):
        if value is None or not str(value).strip():
            continue
        if name == RAY_ADDRESS_ENV and str(value).startswith(("http://", "https://")):
            # Ray's job CLI reads a dashboard URL from RAY_ADDRESS too; that one is not
            # for us (inside a submitted job Ray replaces it with the GCS address).
            continue
        chosen, source = str(value).strip(), name
        break
    tmp = temp_dir or (Path(env[TEMP_DIR_ENV]) if env.get(TEMP_DIR_ENV) else None)
    return RaySettings(
        address=chosen,
        num_cpus=num_cpus,
        temp_dir=tmp.expanduser() if tmp is not None else None,
        object_store_memory=object_store_memory,
        source=source,
    )
