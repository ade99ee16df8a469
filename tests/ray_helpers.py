"""Helpers for tests that run real Ray (local, 2 CPUs): the session runtime and the
checks that nothing of it is left behind."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest


def ray_processes(marker: str) -> list[psutil.Process]:
    """Processes whose command line holds `marker` (a Ray temporary directory), and
    their descendants (Ray workers rewrite their command line to ``ray::...``)."""
    roots = []
    for p in psutil.process_iter(["cmdline"]):
        with contextlib.suppress(psutil.Error):
            if any(marker in a for a in (p.info["cmdline"] or [])):
                roots.append(p)
    found = {p.pid: p for p in roots}
    for p in roots:
        with contextlib.suppress(psutil.Error):
            for c in p.children(recursive=True):
                found.setdefault(c.pid, c)
    found.pop(os.getpid(), None)
    return list(found.values())


def wait_gone(procs: list[psutil.Process], timeout: float = 15.0) -> list[psutil.Process]:
    deadline = time.monotonic() + timeout
    alive = [p for p in procs if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    while alive and time.monotonic() < deadline:
        time.sleep(0.2)
        alive = [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    return alive


def default_ray_sessions() -> set[str]:
    root = Path("/tmp/ray")
    return {p.name for p in root.glob("session_*")} if root.is_dir() else set()


def session_ray(user_home: Path) -> Iterator[object]:
    from leanagent.distributed.runtime import ray_runtime
    from leanagent.distributed.settings import RaySettings

    before = default_ray_sessions()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(user_home))
        mp.setenv("RAY_AUTH_MODE", "disabled")
        mp.setenv("RAY_USAGE_STATS_ENABLED", "0")
        for var in ("RAY_ADDRESS", "LEANAGENT_RAY_ADDRESS", "RAY_TMPDIR"):
            mp.delenv(var, raising=False)
        with ray_runtime(RaySettings(address="local", num_cpus=2), want_ray=True) as rt:
            temp_dir = rt.temp_dir
            assert temp_dir is not None
            procs = ray_processes(str(temp_dir))
            yield rt
            procs += ray_processes(str(temp_dir))
    left = wait_gone(procs)
    assert not left, f"Ray processes outlived the session: {[(p.pid, p.name()) for p in left]}"
    assert not temp_dir.exists(), f"Ray's temporary directory {temp_dir} was left behind"
    assert default_ray_sessions() == before, "a Ray session directory appeared under /tmp/ray"
    assert not (user_home / ".ray").exists(), "Ray wrote ~/.ray (an auth token?)"
