"""`ray job submit -- leanagent run ...` against a real local Ray head that the test
starts (`ray start --head --block`) and stops: the job's leanagent joins that cluster
through the RAY_ADDRESS Ray gives it, runs, and nothing of the head is left behind."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from factories import tiny_bert
from ray_helpers import ray_processes, wait_gone

pytest.importorskip("ray")
ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


@pytest.mark.slow
def test_ray_job_submit_runs_leanagent_on_the_cluster(tmp_path: Path) -> None:
    if not (BIN / "ray").exists() or not (BIN / "leanagent").exists():
        pytest.skip("the ray and leanagent commands are not installed next to this Python")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAY_", "LEANAGENT_"))}
    env.update(PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", RAY_AUTH_MODE="disabled",
               RAY_USAGE_STATS_ENABLED="0", HOME=str(tmp_path / "user-home"), NO_PROXY="127.0.0.1,localhost")
    home = tmp_path / "home"
    model = tiny_bert(tmp_path / "tiny")
    subprocess.run([str(BIN / "leanagent"), "--home", str(home), "add", str(ROOT / "tests" / "fixtures" / "lean" / "proj")],
                   env=env, check=True, capture_output=True, timeout=120)
    # Unix sockets live in the session directory: keep its path short.
    ray_tmp = Path(tempfile.mkdtemp(prefix="la-job-"))
    gcs, dash, client, agent = _free_ports(4)
    head = subprocess.Popen(
        [str(BIN / "ray"), "start", "--head", "--block", f"--port={gcs}", f"--dashboard-port={dash}",
         "--include-dashboard=true", "--dashboard-host=127.0.0.1", "--num-cpus=2", f"--temp-dir={ray_tmp}",
         f"--ray-client-server-port={client}", f"--dashboard-agent-listen-port={agent}", "--disable-usage-stats"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    procs = []
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{dash}/api/version", timeout=2).read()
                break
            except OSError:
                if head.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the Ray head did not come up: {head.stdout.read() if head.stdout else ''}")
                time.sleep(1)
        procs = ray_processes(str(ray_tmp))
        job = subprocess.run(
            [str(BIN / "ray"), "job", "submit", "--address", f"http://127.0.0.1:{dash}", "--",
             "leanagent", "--home", str(home), "run", "--repos", "proj", "--model", str(model),
             "--max-steps", "2", "--max-length", "48", "--name", "on-the-cluster"],
            env=env, capture_output=True, text=True, timeout=600,
        )
        log = job.stdout + job.stderr
        assert job.returncode == 0, log
        assert "succeeded" in log
        assert f"ray: joined Ray cluster at 127.0.0.1:{gcs}" in log or f":{gcs} (2 CPUs" in log, log
        procs += ray_processes(str(ray_tmp))
    finally:
        head.send_signal(signal.SIGTERM)  # `ray start --block` stops its own processes
        try:
            head.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)
            head.wait(10)
    left = wait_gone(procs)
    shutil.rmtree(ray_tmp, ignore_errors=True)
    assert not left, f"processes of the Ray head survived: {[(p.pid, p.name()) for p in left]}"
    done = subprocess.run([str(BIN / "leanagent"), "--home", str(home), "metrics", "--run", "on-the-cluster",
                           "--json"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and '"proj"' in done.stdout, done.stderr
