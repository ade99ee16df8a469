"""Starting, joining and stopping Ray around one leanagent command.

`ray_runtime(settings, want_ray=...)` is the only place leanagent calls `ray.init` and
`ray.shutdown`. It yields a `Runtime` saying where work goes:

* ``in-process`` -- no Ray (``--ray-address off``, or small work with no address);
* ``local``      -- a Ray that this call started on this machine and stops on exit,
  with its processes and its temporary directory removed;
* ``cluster``    -- a cluster joined through an address (disconnected on exit, never
  stopped: it is not ours);
* ``reused``     -- Ray was already initialised in this process (a test fixture, or a
  program embedding leanagent): it is used as it is and left running.

Why the environment is set here and not at import: Ray writes ``~/.ray/auth_token``
for every local ``ray.init`` unless ``RAY_AUTH_MODE=disabled``, and reports usage
unless ``RAY_USAGE_STATS_ENABLED=0`` (both measured with Ray 2.60; Ray's
``_private/authentication/authentication_token_setup.py``). A local Ray that leanagent
starts listens on this machine only, so token auth buys nothing there; a value the user
set is kept. Ray's session directory holds Unix sockets (a path limit of ~107 bytes),
so it goes under the system temporary directory, never under the leanagent home or
``~``, and it is removed afterwards: Ray itself leaves every ``session_*`` behind.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from database.errors import ConfigError

from .settings import RaySettings

log = logging.getLogger(__name__)

RuntimeMode = Literal["in-process", "local", "cluster", "reused"]

#: How long `ray.shutdown()` gets to take its processes down before the ones still
#: alive are killed (they are identified by this run's own temporary directory).
STOP_GRACE_SECONDS = 10.0

_ENV_DEFAULTS = {"RAY_USAGE_STATS_ENABLED": "0"}
_LOCAL_ENV_DEFAULTS = {"RAY_AUTH_MODE": "disabled"}


class RayUnavailable(ConfigError):
    """Ray is needed (an address was given) but not installed or not reachable."""


@dataclass
class Runtime:
    """Where this command's parallel work runs. ``ray`` is the module when active."""

    mode: RuntimeMode
    settings: RaySettings
    address: str | None = None
    temp_dir: Path | None = None
    ray: Any = field(default=None, repr=False)

    @property
    def active(self) -> bool:
        return self.mode != "in-process"

    @property
    def is_client(self) -> bool:
        """Connected through Ray Client (ray://): the driver is not a node of the
        cluster, so its local files are not visible to tasks."""
        if not self.active:
            return False
        from ray.util.client import ray as client_ray

        return bool(client_ray.is_connected())

    def resources(self) -> dict[str, float]:
        """The cluster's total resources ({} in process)."""
        if not self.active:
            return {}
        return {k: float(v) for k, v in self.ray.cluster_resources().items()}

    def cpus(self) -> int:
        """CPUs that parallel work can use: the cluster's, or this machine's in process."""
        if not self.active:
            return os.cpu_count() or 1
        return max(1, int(self.resources().get("CPU", 1)))

    def gpus(self) -> float:
        return self.resources().get("GPU", 0.0) if self.active else 0.0

    def driver_node_id(self) -> str | None:
        """The Ray node this process runs on (None in process or through Ray Client)."""
        if not self.active or self.is_client:
            return None
        return str(self.ray.get_runtime_context().get_node_id())

    def describe(self) -> str:
        if self.mode == "in-process":
            return "in this process (no Ray)"
        if self.mode == "local":
            return f"local Ray ({self.cpus()} CPUs, temporary directory {self.temp_dir})"
        if self.mode == "reused":
            return f"the Ray already running in this process ({self.cpus()} CPUs)"
        return f"Ray cluster at {self.address} ({self.cpus()} CPUs, {self.gpus():g} GPUs)"


def _import_ray(required: bool, settings: RaySettings) -> Any | None:
    try:
        import ray
    except ImportError as exc:
        if required:
            raise RayUnavailable(
                f"Ray is not installed but {settings.source} asks for it ({settings.address}): "
                "pip install 'leanagent[ray]', or use --ray-address off"
            ) from exc
        return None
    return ray


def _set_env_defaults(defaults: dict[str, str]) -> None:
    for key, value in defaults.items():
        os.environ.setdefault(key, value)


def _processes_under(temp_dir: Path) -> list[Any]:
    """This Ray's processes: those whose command line names its temporary directory
    (GCS, raylet, dashboard, log monitor), and their descendants (the workers, whose
    command lines Ray rewrites to ``ray::...``)."""
    import psutil

    key = str(temp_dir)
    roots = []
    for p in psutil.process_iter(["cmdline"]):
        with contextlib.suppress(psutil.Error):
            if any(key in arg for arg in (p.info["cmdline"] or [])):
                roots.append(p)
    found = {p.pid: p for p in roots}
    for p in roots:
        with contextlib.suppress(psutil.Error):
            for child in p.children(recursive=True):
                found.setdefault(child.pid, child)
    found.pop(os.getpid(), None)
    return list(found.values())


def _stop_local(ray: Any, temp_dir: Path, remove_dir: bool) -> None:
    try:
        procs = _processes_under(temp_dir)
    except ImportError:  # psutil missing: rely on ray.shutdown alone
        procs = []
    ray.shutdown()
    if procs:
        import psutil

        _, alive = psutil.wait_procs(procs, timeout=STOP_GRACE_SECONDS)
        for p in alive:
            with contextlib.suppress(psutil.Error):
                log.warning("Ray process %s (%s) outlived ray.shutdown(); killing it", p.pid, p.name())
                p.kill()
        psutil.wait_procs(alive, timeout=STOP_GRACE_SECONDS)
    if remove_dir:
        shutil.rmtree(temp_dir, ignore_errors=True)


@contextlib.contextmanager
def ray_runtime(
    settings: RaySettings,
    *,
    want_ray: bool,
    on_event: Callable[[str], None] | None = None,
    runtime_env: dict[str, Any] | None = None,
) -> Iterator[Runtime]:
    """Ray for the duration of the block, as `settings` say.

    ``want_ray`` is the caller's judgement that its work is large enough to pay for
    starting a local Ray (4-5 s here); it matters only when no address is set.
    """
    say = on_event or (lambda _m: None)
    mode = settings.mode
    if mode == "off" or (mode == "auto-local" and not want_ray):
        yield Runtime("in-process", settings)
        return
    # Already initialised in this process (a fixture, an embedding program): use it.
    if "ray" in sys.modules and sys.modules["ray"].is_initialized():
        yield Runtime("reused", settings, ray=sys.modules["ray"])
        return
    if mode == "join":
        yield from _join(settings, say, runtime_env)
        return
    ray = _import_ray(mode == "local", settings)
    if ray is None:
        say("Ray is not installed (pip install 'leanagent[ray]'): running in this process")
        yield Runtime("in-process", settings)
        return
    yield from _start_local(ray, settings, say, runtime_env)


def _join(settings: RaySettings, say: Callable[[str], None], runtime_env: dict[str, Any] | None
          ) -> Iterator[Runtime]:
    _set_env_defaults(_ENV_DEFAULTS)
    ray = _import_ray(True, settings)
    assert ray is not None
    try:
        ray.init(address=settings.address, namespace="leanagent", logging_level=logging.WARNING,
                 runtime_env=runtime_env, log_to_driver=True)
    except Exception as exc:  # Ray raises ConnectionError, RuntimeError, ValueError...
        raise RayUnavailable(
            f"cannot join the Ray cluster at {settings.address} (from {settings.source}): {exc}. "
            "Is the cluster up (`ray status` on its head node)? Use --ray-address off to run here."
        ) from exc
    rt = Runtime("cluster", settings, address=settings.address, ray=ray)
    say(f"ray: joined {rt.describe()}")
    try:
        yield rt
    finally:
        ray.shutdown()  # disconnects; the cluster keeps running


def _start_local(ray: Any, settings: RaySettings, say: Callable[[str], None],
                 runtime_env: dict[str, Any] | None) -> Iterator[Runtime]:
    _set_env_defaults({**_ENV_DEFAULTS, **_LOCAL_ENV_DEFAULTS})
    chosen = settings.temp_dir or (Path(os.environ["RAY_TMPDIR"]) if os.environ.get("RAY_TMPDIR") else None)
    if chosen is not None:
        chosen.mkdir(parents=True, exist_ok=True)
        temp_dir, remove = chosen.resolve(), False
    else:
        temp_dir, remove = Path(tempfile.mkdtemp(prefix="leanagent-ray-")), True
    started = time.perf_counter()
    try:
        ray.init(
            num_cpus=settings.num_cpus or os.cpu_count() or 1,
            include_dashboard=False,
            _temp_dir=str(temp_dir),
            object_store_memory=settings.object_store_memory,
            namespace="leanagent",
            logging_level=logging.WARNING,
            runtime_env=runtime_env,
        )
    except BaseException as exc:
        with contextlib.suppress(Exception):
            _stop_local(ray, temp_dir, remove)
        if isinstance(exc, Exception):
            raise RayUnavailable(f"cannot start a local Ray in {temp_dir}: {exc}") from exc
        raise
    reaper = _start_reaper(temp_dir, remove)
    rt = Runtime("local", settings, address="local", temp_dir=temp_dir, ray=ray)
    say(f"ray: started {rt.describe()} in {time.perf_counter() - started:.1f} s")
    try:
        yield rt
    finally:
        _stop_reaper(reaper)
        _stop_local(ray, temp_dir, remove)


def _start_reaper(temp_dir: Path, remove: bool) -> subprocess.Popen[bytes] | None:
    """`leanagent.distributed.reaper`, which cleans up this Ray if this process is killed
    before it can (None, with a warning, if it cannot start: Ray still runs, as before)."""
    try:
        proc = subprocess.Popen([sys.executable, "-m", "leanagent.distributed.reaper"], stdin=subprocess.PIPE,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        assert proc.stdin is not None
        proc.stdin.write((json.dumps({"driver": os.getpid(), "temp_dir": str(temp_dir), "remove": remove})
                          + "\n").encode())
        proc.stdin.close()
    except OSError as exc:
        log.warning("cannot start the reaper of the local Ray (%s): if this process is killed, Ray's "
                    "processes under %s may stay behind", exc, temp_dir)
        return None
    return proc


def _stop_reaper(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is None:
        return
    proc.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)


def task_threads() -> int:
    """Inside a Ray task or actor that runs torch: give torch as many threads as CPUs the task was
    assigned. Ray reuses worker processes, and a reused worker keeps whatever thread
    count the previous task left (measured: 1 where 2 were asked for)."""
    n = 1
    with contextlib.suppress(Exception):
        import ray

        n = max(1, int(ray.get_runtime_context().get_assigned_resources().get("CPU", 1)))
    with contextlib.suppress(ImportError):
        import torch

        torch.set_num_threads(n)
    return n
