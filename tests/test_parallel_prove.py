"""Parallel proving on real Ray (local, 2 CPUs): prover actors built once from the
frozen config, theorems streamed to free workers and results written by the driver; a
worker killed mid-proof is replaced and its theorem retried once, then recorded as
failed with the reason; the run goes on."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("ray")
pytest.importorskip("prover.proving", reason="parallel proving needs the prover (prover.proving)")
lean_project = pytest.importorskip("lean_project")

from leanagent.distributed.proving import WORKER_DIED, RayProverPool, WorkerStartError  # noqa: E402
from prover.driver import ProveRequest, prove_repository  # type: ignore[import-not-found, unused-ignore]  # noqa: E402
from prover.generator import AutomationConfig, GeneratorConfig  # type: ignore[import-not-found, unused-ignore]  # noqa: E402
from prover.proving import BackendSpec, ProverConfig  # type: ignore[import-not-found, unused-ignore]  # noqa: E402
from prover.search import SearchConfig  # type: ignore[import-not-found, unused-ignore]  # noqa: E402

TACTICS = ("rfl", "simp", "decide")
SLOW_HARD = {"⊢ 1 = 2": {"simp": {"error": "simp made no progress", "sleep": 1.5},
                         "decide": {"error": "decide failed", "sleep": 1.5}}}


@pytest.fixture
def demo(tmp_path: Path, store, home: Path, monkeypatch: pytest.MonkeyPatch):
    root = lean_project.make_project(tmp_path / "demo")
    repo = lean_project.index_project(store, home, root)
    lean_project.use_fake_lake(monkeypatch, tmp_path, {})
    # Ray workers do not see this process's monkeypatched environment: hand it over.
    env = {k: os.environ[k] for k in ("PATH", "FAKE_LEAN_RULES", "FAKE_LEAN_DUMP")}
    return root, repo, env


def _config(tmp_path: Path, tactics: dict | None = None) -> ProverConfig:
    rules = {"tactics": {**lean_project.TACTICS, **(tactics or {})}}
    return ProverConfig(generator=AutomationConfig(tactics=TACTICS),
                        backend=BackendSpec(options={"command": lean_project.fake_repl_command(tmp_path / "repl",
                                                                                              **rules)}),
                        search=SearchConfig(timeout=30, tactic_timeout=10))


def _kill_worker_of(pool: RayProverPool, theorem: str, times: int, done: threading.Event) -> list[int]:
    """Kill (SIGKILL) the worker process proving `theorem`, `times` times."""
    killed: list[int] = []
    deadline = time.monotonic() + 120
    while len(killed) < times and not done.is_set() and time.monotonic() < deadline:
        for name, pid in list(pool.running()):
            if name == theorem and pid is not None and pid not in killed:
                time.sleep(0.3)  # inside the search, not before it
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
        time.sleep(0.05)
    return killed


@pytest.mark.parametrize("kills", [1, 2])
def test_a_killed_worker_is_replaced_and_its_theorem_retried_once(demo, store, tmp_path, ray_local,
                                                                  kills: int) -> None:
    _, repo, env = demo
    config = _config(tmp_path, SLOW_HARD)
    events: list[str] = []
    with RayProverPool(ray_local, config, workers=2, env=env, on_event=events.append) as pool:
        done = threading.Event()
        killed: list[int] = []
        killer = threading.Thread(target=lambda: killed.extend(_kill_worker_of(pool, "Demo.hard", kills, done)))
        killer.start()
        try:
            summary = prove_repository(store, repo, config=config, request=ProveRequest(), executor=pool)
        finally:
            done.set()
            killer.join(30)
        assert len(killed) == kills and pool.deaths == kills and pool.replacements == kills
        assert all(pid not in pool.worker_pids() for pid in killed)
    c = summary.counts
    assert c["attempted"] == 4 and c["proved"] == 3  # the run went on: every theorem has its result
    rows = {r["full_name"]: r for r in store.proof_attempts.find(repo=repo)}
    hard = rows["Demo.hard"]
    if kills == 1:  # retried on a new worker, where the search ran to its end
        assert (hard["status"], hard["stop_reason"]) == ("failed", "exhausted")
        assert any("retrying on a new worker" in e for e in events)
    else:
        assert (hard["status"], hard["stop_reason"]) == ("failed", WORKER_DIED)
        assert "died" in hard["details"]["error"] and hard["details"]["worker_deaths"] == 2
    assert {rows[n]["status"] for n in ("Demo.easy", "Demo.attr_thm", "Demo.about_placeholder")} == {"proved"}


def test_results_stream_back_from_two_workers(demo, store, tmp_path, ray_local) -> None:
    _, repo, env = demo
    config = _config(tmp_path)
    with RayProverPool(ray_local, config, workers=2, env=env) as pool:
        pids = set(pool.worker_pids()) if pool.worker_pids() else set()
        seen: list[str] = []
        summary = prove_repository(store, repo, config=config, request=ProveRequest(), executor=pool,
                                   on_outcome=lambda o, n, total: seen.append(o.task.theorem.full_name))
        pids = set(pool.worker_pids())
    assert len(pids) == 2 and os.getpid() not in pids and pool.deaths == 0
    assert sorted(seen) == ["Demo.about_placeholder", "Demo.attr_thm", "Demo.easy", "Demo.hard"]
    assert summary.counts["proved"] == 3 and summary.generator == "automation"


def test_a_worker_that_cannot_start_stops_the_run(demo, tmp_path, ray_local) -> None:
    _, _, env = demo
    config = ProverConfig(generator=GeneratorConfig(model=str(tmp_path / "no-such-model")),
                          backend=BackendSpec(options={"command": ("true",)}))
    pool = RayProverPool(ray_local, config, workers=1, env=env)
    with pytest.raises(WorkerStartError, match="could not start"):
        pool.start()
    pool.close()


def test_more_gpus_than_the_cluster_has_is_refused(tmp_path, ray_local) -> None:
    pool = RayProverPool(ray_local, ProverConfig(), workers=2, gpus_per_worker=1)
    with pytest.raises(WorkerStartError, match="no proving worker fits"):
        pool.start()
