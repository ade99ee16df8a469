"""Parallel proving on real Ray (local, 2 CPUs): prover actors built once from the
frozen config, theorems streamed to free workers and results written by the driver; N
workers store the same attempts as one; a worker killed mid-proof is replaced and its
theorem retried once, then recorded as failed with the reason; the run goes on; the
command line (`prove --workers`, `run --prove-workers`) uses the same pool, and a driver
interrupted or killed mid-proof leaves no Ray or Lean process behind."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import pytest

pytest.importorskip("ray")
import lean_project
from click.testing import CliRunner
from repl_helpers import FAKE_REPL

from database.home import Home
from database.store import Store
from leanagent.cli import main
from leanagent.distributed.proving import WORKER_DIED, RayProverPool, WorkerStartError, open_executor
from prover.driver import ProveRequest, prove_repository
from prover.generator import AutomationConfig, GeneratorConfig
from prover.proving import BackendSpec, ProverConfig
from prover.search import SearchConfig

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


@pytest.mark.parametrize("kills", [1, pytest.param(2, marks=pytest.mark.slow)])
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


# -- N workers store what one stores ---------------------------------------------------------------------

#: What an attempt is, apart from when it ran, how long it took and its row ids. Not
#: `lean_calls` either: the repl backend elaborates a file's header once per process and
#: counts those commands in the theorem that needed them, so the count of a theorem
#: depends on what its worker proved before (measured: Demo.attr_thm 5 calls after
#: Demo.easy in one process, 9 as a fresh worker's first theorem).
ATTEMPT = ("full_name", "purpose", "status", "stop_reason", "verification", "proof", "nodes_expanded",
           "backend", "generator", "lean_version", "checkpoint_id", "run_id")


def stored(home: Path) -> dict:
    """Every attempt, accepted proof and theorem status of the home's `demo` repository."""
    with Store(Home(home).db_path, readonly=True) as store:
        repo = store.find_repository("demo")
        attempts = sorted(tuple(r[k] for k in ATTEMPT) for r in store.proof_attempts.find(repo=repo))
        proofs = sorted((p.full_name, p.proof, p.depends_on_sorry) for p in store.proof_attempts.accepted_proofs(repo))
        statuses = {t["full_name"]: t["status"] for t in store.theorems(repo)}
    return {"attempts": attempts, "proofs": proofs, "statuses": statuses}


def _second_home(tmp_path: Path) -> tuple[Path, object]:
    home = tmp_path / "home-2"
    root = lean_project.make_project(tmp_path / "two" / "demo")
    with Store(Home(home).db_path) as s:
        lean_project.index_project(s, home, root)
    return home, root


def test_n_workers_store_the_same_attempts_as_one(demo, store, home, tmp_path, ray_local) -> None:
    _, repo, env = demo
    config = _config(tmp_path)
    one = prove_repository(store, repo, config=config, request=ProveRequest())  # in process
    home2, _ = _second_home(tmp_path)
    with Store(Home(home2).db_path) as store2, \
            open_executor(ray_local, config, workers=2, env=env) as pool:
        assert pool is not None
        two = prove_repository(store2, store2.find_repository("demo"), config=config, request=ProveRequest(),
                               executor=pool)
        pids = set(pool.worker_pids())
    assert len(pids) == 2 and os.getpid() not in pids  # proved by two actors, not here
    assert one.counts == two.counts and one.counts["proved"] == 3
    a, b = stored(home), stored(home2)
    assert a == b and len(a["attempts"]) == 4 and a["statuses"]["Demo.easy"] == "proved_by_agent"


def test_one_worker_proves_in_process_and_ray_off_refuses_more(ray_local) -> None:
    from database.errors import LeanAgentError
    from leanagent.distributed.runtime import Runtime
    from leanagent.distributed.settings import RaySettings

    with open_executor(ray_local, ProverConfig(), workers=1) as executor:
        assert executor is None
    off = Runtime("in-process", RaySettings(address="off"))
    with pytest.raises(LeanAgentError, match="use --workers 1"), open_executor(off, ProverConfig(), workers=2):
        pass


def test_the_lifelong_prove_stage_on_the_pool(demo, store, home, tmp_path, ray_local) -> None:
    from factories import FakeLearner

    from leanagent.lifelong import RunConfig, run_lifelong, run_report
    from leanagent.prove_stage import LifelongProving

    _, _, env = demo
    stage = LifelongProving(_config(tmp_path), Home(home), workers=2, runtime=ray_local, env=env)
    run_lifelong(store, FakeLearner(store), RunConfig(order="given"), name="pool", prove=stage)
    rows = store.proof_attempts.find()
    assert len(rows) == 4 and {r["run_id"] for r in rows} == {1} and all(r["checkpoint_id"] for r in rows)
    assert run_report(store, "pool")["prove"][0] == "3 of 4 sorry theorem(s) proved"
    info = store.runs.stages(1)
    prove = next(s for s in info if s.stage == "prove")
    assert prove.info["workers"] == 2 and prove.info["generator"] == "automation"


# -- the command line ----------------------------------------------------------------------------------------


def _cli(home: Path, *args: str):
    return CliRunner().invoke(main, ["--home", str(home), *args], catch_exceptions=False)


def _leanagent(home: Path, *args: str, path: str | None = None) -> subprocess.Popen:
    """`leanagent` in a process of its own, as a user runs it (its own local Ray)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAY_", "LEANAGENT_"))}
    env.update(RAY_USAGE_STATS_ENABLED="0", RAY_AUTH_MODE="disabled", HOME=str(home.parent / "user"))
    if path is not None:
        env["PATH"] = path
    return subprocess.Popen([sys.executable, "-m", "leanagent", "--home", str(home), *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture
def ray_dir():
    """A temporary directory for a command's own local Ray, removed afterwards. Not under
    tmp_path: Ray puts Unix sockets there (a ~107-byte path limit)."""
    top = Path(tempfile.mkdtemp(prefix="la-ray-"))
    yield top / "ray"
    shutil.rmtree(top, ignore_errors=True)


@pytest.mark.slow  # a command with its own local Ray, ~17 s
def test_leanagent_prove_with_workers_stores_what_one_worker_stores(demo, home, tmp_path, ray_dir) -> None:
    command = " ".join(lean_project.fake_repl_command(tmp_path / "repl"))
    common = ("--backend-option", f"command={command}", "--tactics", ",".join(TACTICS), "--timeout", "30", "--json")
    res = _cli(home, "prove", "demo", *common)  # --workers 1: in process
    assert res.exit_code == 0, res.output
    home2, _ = _second_home(tmp_path)
    temp = ray_dir
    proc = _leanagent(home2, "prove", "demo", *common, "--workers", "2", "--ray-address", "local",
                      "--ray-num-cpus", "2", "--ray-temp-dir", str(temp))
    out, err = proc.communicate(timeout=240)
    assert proc.returncode == 0, err
    assert "proving with 2 worker(s) on local Ray" in err and "3 of 4 proved" in err
    assert json.loads(out)["proved"] == json.loads(res.stdout)["proved"] == 3
    a, b = stored(home), stored(home2)
    assert a == b
    assert not ray_leftovers(temp)


def test_without_a_toolchain_workers_stop_before_ray_starts(demo, home, tmp_path, ray_dir) -> None:
    temp = ray_dir
    proc = _leanagent(home, "prove", "demo", "--workers", "2", "--ray-address", "local", "--ray-temp-dir", str(temp),
                      path=str(tmp_path / "no-bin"))
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1
    assert "elan" in err and "leanprover/lean4:v4.9.0" in err  # the in-process message
    assert "ray:" not in err and not temp.exists()  # no Ray was started


def test_run_with_prove_workers_and_ray_off_is_a_usage_error(home) -> None:
    res = _cli(home, "run", "--prove-workers", "2", "--ray-address", "off")
    assert res.exit_code == 2 and "--prove-workers" in res.output and "Ray is off" in res.output


def test_leandojo_backend_without_lean_dojo_or_lean_says_what_to_install(demo, home, tmp_path,
                                                                         monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))  # lean-dojo is installed, but no lake, lean or git
    res = _cli(home, "prove", "demo", "--backend", "leandojo")
    assert res.exit_code == 1 and "Install elan" in res.output and "lake" in res.output
    monkeypatch.setattr("prover.lean.leandojo.installed_leandojo_version", lambda: None)
    res = _cli(home, "prove", "demo", "--backend", "leandojo")
    assert res.exit_code == 1 and "pip install 'leanagent[leandojo]'" in res.output
    with Store(Home(home).db_path, readonly=True) as s:
        assert s.proof_attempts.find() == []


# -- nothing is left behind -----------------------------------------------------------------------------------


def ray_leftovers(temp: Path) -> list[str]:
    from ray_helpers import ray_processes, wait_gone

    return [f"{p.pid} {p.name()}" for p in wait_gone(ray_processes(str(temp)))]


def _tree(pid: int) -> set[psutil.Process]:
    try:
        return set(psutil.Process(pid).children(recursive=True))
    except psutil.Error:
        return set()


SLOW_TACTIC = 60.0


@pytest.mark.slow  # a command with its own local Ray, stopped mid-proof: ~18 s each
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "crash"])
def test_a_driver_stopped_mid_proof_leaves_no_process(demo, home, tmp_path, sig) -> None:
    # Demo.hard's tactics take a minute in the fake Lean: its worker is busy when the driver stops.
    slow = {"⊢ 1 = 2": {"simp": {"error": "no progress", "sleep": SLOW_TACTIC},
                        "decide": {"error": "no", "sleep": SLOW_TACTIC}}}
    command = " ".join(lean_project.fake_repl_command(tmp_path / "repl", tactics={**lean_project.TACTICS, **slow}))
    # No --ray-temp-dir: the Ray's directory is leanagent's own, to be removed even after a SIGKILL.
    proc = _leanagent(home, "prove", "demo", "--backend-option", f"command={command}", "--tactics",
                      ",".join(TACTICS), "--tactic-timeout", "120", "--workers", "2", "--ray-address", "local",
                      "--ray-num-cpus", "2")
    seen: set[psutil.Process] = set()
    deadline = time.monotonic() + 180
    try:
        while time.monotonic() < deadline:
            seen |= _tree(proc.pid)
            lean = [p for p in seen if _is_fake_lean(p)]
            with Store(Home(home).db_path, readonly=True) as s:
                done = len(s.proof_attempts.find())
            if done == 3 and lean:
                break
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.2)
        else:
            pytest.fail("the three quick theorems were not stored in time")
        time.sleep(1.0)  # Demo.hard is now inside its 60 s tactic
        seen |= _tree(proc.pid)
        proc.send_signal(sig)
        t0 = time.monotonic()
        _, err = proc.communicate(timeout=SLOW_TACTIC)
        stopping = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
    found = re.search(r"temporary directory (\S+)\)", err)
    assert found, err
    temp = Path(found.group(1))
    alive = [p for p in seen if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    deadline = time.monotonic() + 20
    while (alive or temp.exists()) and time.monotonic() < deadline:
        time.sleep(0.25)
        alive = [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    try:
        assert not alive, f"left behind: {[(p.pid, p.name(), ' '.join(p.cmdline())[:80]) for p in alive]}"
        assert not ray_leftovers(temp)
        assert not temp.exists(), f"Ray's temporary directory {temp} was left behind"
    finally:
        for p in alive:
            p.kill()
    # what was stored before the stop is whole: three results, nothing for the theorem in flight
    with Store(Home(home).db_path, readonly=True) as s:
        rows = s.proof_attempts.find()
    assert sorted(r["full_name"] for r in rows) == ["Demo.about_placeholder", "Demo.attr_thm", "Demo.easy"]
    if sig == signal.SIGINT:
        assert proc.returncode != 0
        # it did not wait for the proof in flight: the busy worker's Lean was killed
        assert stopping < SLOW_TACTIC / 4, f"Ctrl-C took {stopping:.0f} s"


def _is_fake_lean(p: psutil.Process) -> bool:
    try:
        return str(FAKE_REPL) in " ".join(p.cmdline())
    except psutil.Error:
        return False
