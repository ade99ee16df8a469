"""The runtime leanagent starts Ray with: small work stays in process (Ray is not even
imported); a local Ray it starts is stopped with every process and its temporary
directory gone, also when the command is interrupted; ~/.ray is never written."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from ray_helpers import ray_processes, wait_gone

pytest.importorskip("ray")

SCRIPT = r"""
import json, os, sys, time
from leanagent.distributed.runtime import ray_runtime
from leanagent.distributed.settings import RaySettings

with ray_runtime(RaySettings(), want_ray=False) as rt:
    assert rt.mode == "in-process" and "ray" not in sys.modules, (rt.mode, "ray" in sys.modules)
with ray_runtime(RaySettings(address="local", num_cpus=2), want_ray=True) as rt:
    @rt.ray.remote
    def pid():
        return os.getpid()
    worker = rt.ray.get(pid.remote())
    print(json.dumps({"mode": rt.mode, "temp_dir": str(rt.temp_dir), "worker": worker,
                      "auth": os.environ.get("RAY_AUTH_MODE"), "cpus": rt.cpus()}), flush=True)
    if sys.argv[1] == "hang":
        time.sleep(600)
print("exited", flush=True)
"""


def _start(tmp_path: Path, mode: str) -> tuple[subprocess.Popen, dict]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    env["HOME"] = str(tmp_path / "user-home")
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, mode], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, cwd=tmp_path)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.wait(30)
        pytest.fail(f"the script failed: {proc.stderr.read() if proc.stderr else ''}")
    return proc, json.loads(line)


def _assert_clean(tmp_path: Path, info: dict, procs: list[psutil.Process]) -> None:
    assert not wait_gone(procs), "Ray processes survived the command"
    assert not psutil.pid_exists(info["worker"]) or psutil.Process(info["worker"]).status() == psutil.STATUS_ZOMBIE
    assert not Path(info["temp_dir"]).exists(), "the Ray temporary directory was left behind"
    assert not (tmp_path / "user-home" / ".ray").exists(), "Ray wrote ~/.ray"


def test_local_ray_is_started_and_stopped_cleanly(tmp_path: Path) -> None:
    proc, info = _start(tmp_path, "exit")
    procs = ray_processes(info["temp_dir"])
    assert info["mode"] == "local" and info["auth"] == "disabled" and info["cpus"] == 2
    assert Path(info["temp_dir"]).name.startswith("leanagent-ray-")
    assert str(tmp_path / "user-home") not in info["temp_dir"]
    assert len(procs) >= 3  # gcs_server, raylet, the worker...
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert out.strip() == "exited"
    _assert_clean(tmp_path, info, procs)


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_an_interrupted_command_leaves_no_ray_behind(tmp_path: Path, sig: int) -> None:
    proc, info = _start(tmp_path, "hang")
    procs = ray_processes(info["temp_dir"])
    time.sleep(0.5)
    proc.send_signal(sig)
    proc.communicate(timeout=60)
    assert proc.returncode != 0
    _assert_clean(tmp_path, info, procs)
