"""Several processes at once, as users start them: writers take turns or say why, a run
is run by one process at a time, and a killed command leaves no process behind."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from database.store import Store

REPO_ROOT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent


def _env(home: Path) -> dict[str, str]:
    return {**os.environ, "LEANAGENT_HOME": str(home), "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), str(TESTS)])}


def _leanagent(home: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "leanagent", *args], env=_env(home), cwd=REPO_ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _python(home: Path, code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args], env=_env(home), cwd=REPO_ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_line(proc: subprocess.Popen[str], expected: str, timeout: float = 60) -> None:
    """Block until the process prints ``expected`` on stdout."""
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if expected in line:
            return
        if not line and proc.poll() is not None:
            break
    raise AssertionError(f"never printed {expected!r}: {proc.communicate()}")


# A process in the middle of an import: it holds the import open (the write lock) for a
# given time, like a large export being written, then commits.
_SLOW_IMPORT = """
    import sys, time
    from database.records import RepoInfo
    from database.store import Store
    db, url, commit, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    with Store(db) as store, store.ingest(RepoInfo(url=url, name="slow", commit=commit)) as w:
        print("importing", flush=True)
        time.sleep(seconds)
"""


@pytest.mark.parametrize("hold", [pytest.param(3, id="3s"), pytest.param(11, id="11s", marks=pytest.mark.slow)])
def test_an_import_waits_for_another_and_says_for_whom(tmp_path: Path, fixtures: Path, hold: int) -> None:
    """Held longer than SQLite's busy timeout used to allow (10 s, the slow case), the
    second import waited that long, then died with "database is locked"."""
    home = tmp_path / "home"
    db = home / "leanagent.db"
    Store(db).close()
    slow = _python(home, _SLOW_IMPORT, str(db), "https://example.org/slow", "a" * 40, str(hold))
    _wait_line(slow, "importing")
    second = _leanagent(home, "add", str(fixtures / "exports/official_toy"))
    _, err = second.communicate(timeout=120)
    assert slow.wait(timeout=60) == 0
    assert second.returncode == 0, err
    assert "waiting for another import" in err and f"process {slow.pid}" in err
    assert "Traceback" not in err
    with Store(db, readonly=True) as store:
        assert sorted(r.name for r in store.repositories()) == ["example-org/official-toy", "slow"]


def test_the_same_repository_added_twice_at_once_is_stored_once(tmp_path: Path, fixtures: Path) -> None:
    from leanagent.tracing.git import resolve_source

    src = tmp_path / "links"
    import shutil

    shutil.copytree(fixtures / "lean" / "links", src)
    ident = resolve_source(str(src), tmp_path / "repos")
    home = tmp_path / "home"
    db = home / "leanagent.db"
    Store(db).close()
    # The first import of that repository is still writing when the second starts.
    first = _python(home, _SLOW_IMPORT, str(db), ident.url, ident.commit, "3")
    _wait_line(first, "importing")
    second = _leanagent(home, "add", str(src), "--json")
    out, err = second.communicate(timeout=120)
    assert first.wait(timeout=60) == 0
    assert second.returncode == 0, err
    assert "Traceback" not in err and "already in the database" in err
    assert json.loads(out)["status"] == "already_imported"
    with Store(db, readonly=True) as store:
        assert len(store.repositories()) == 1


def test_processes_opening_a_fresh_home_at_once_all_succeed(tmp_path: Path) -> None:
    """Every process applies pending migrations; each must be applied once. Six
    processes open twelve fresh homes together, one after another (each race lasts
    milliseconds, so one process start buys many of them)."""
    code = """
        import sys, time
        from database.store import Store
        base, start, rounds = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
        for k in range(rounds):
            time.sleep(max(0.0, start + 0.3 * k - time.time()))  # all processes together
            Store(f"{base}/home{k}/leanagent.db").close()
        print("ok", flush=True)
    """
    rounds = 12
    start = time.time() + 3.0
    procs = [_python(tmp_path, code, str(tmp_path), str(start), str(rounds)) for _ in range(6)]
    results = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, results, strict=True):
        assert p.returncode == 0 and out.strip() == "ok", err
    for k in range(rounds):
        with Store(tmp_path / f"home{k}" / "leanagent.db", readonly=True) as store:
            rows = store.conn.execute("SELECT version FROM schema_version ORDER BY version").fetchall()
        assert [r[0] for r in rows] == list(range(1, len(rows) + 1))


# -- one process per run ------------------------------------------------------------------------

_RUN = """
    import sys, time
    from factories import FakeLearner, build_repo
    from database.store import Store
    from leanagent.lifelong import RunConfig, run_lifelong

    class Slow(FakeLearner):
        def train(self, **kw):
            print("training", flush=True)
            time.sleep(float(sys.argv[2]))
            return super().train(**kw)

    with Store(sys.argv[1]) as store:
        summary = run_lifelong(store, Slow(store), RunConfig(order="given"), name="same")
        print("done", summary.positions, flush=True)
"""


def test_a_run_is_run_by_one_process_at_a_time(tmp_path: Path) -> None:
    from factories import build_repo

    home = tmp_path / "home"
    db = home / "leanagent.db"
    with Store(db) as store:
        build_repo(store, "Alpha", n_theorems=10)
    first = _python(home, _RUN, str(db), "30")
    _wait_line(first, "training")
    second = _python(home, _RUN, str(db), "0")
    out, err = second.communicate(timeout=120)
    assert second.returncode != 0
    assert "RunError" in err and "already running in process" in err and str(first.pid) in err
    assert "training" not in out  # it did not start a second training
    # `runs` sees it running; killed, it is interrupted, and the next process continues it
    listed = subprocess.run([sys.executable, "-m", "leanagent", "runs", "--json"], env=_env(home), cwd=REPO_ROOT,
                            capture_output=True, text=True, check=True)
    assert json.loads(listed.stdout)[0]["status"] == "running"
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    listed = subprocess.run([sys.executable, "-m", "leanagent", "runs", "--json"], env=_env(home), cwd=REPO_ROOT,
                            capture_output=True, text=True, check=True)
    assert json.loads(listed.stdout)[0]["status"] == "interrupted"
    third = _python(home, _RUN, str(db), "0")
    out, err = third.communicate(timeout=120)
    assert third.returncode == 0, err
    assert "done 1" in out


# -- no orphans ------------------------------------------------------------------------------------


def _big_repo(root: Path, files: int = 16, theorems: int = 400) -> Path:
    """Enough Lean text (~50 KB a file) for the indexer to use its process pool."""
    (root / "Big").mkdir(parents=True)
    for f in range(files):
        body = "\n".join(f"theorem big_{f}_{t} (n : Nat) : n + {t} = {t} + n := by\n  omega\n"
                         for t in range(theorems))
        (root / "Big" / f"F{f}.lean").write_text(body)
    return root


def test_parser_workers_die_with_a_killed_add(tmp_path: Path) -> None:
    src = _big_repo(tmp_path / "big")
    home = tmp_path / "home"
    add = _leanagent(home, "add", str(src))
    parent = psutil.Process(add.pid)
    workers: list[psutil.Process] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and add.poll() is None and not workers:
        workers = parent.children(recursive=True)
        time.sleep(0.01)
    assert workers, "the import never started its parser pool"
    time.sleep(0.2)
    workers = parent.children(recursive=True)
    add.send_signal(signal.SIGKILL)
    add.wait(timeout=30)
    try:
        _, alive = psutil.wait_procs(workers, timeout=10)
        alive = [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        assert not alive, f"workers outlived the killed import: {[p.pid for p in alive]}"
    finally:
        for p in workers:  # never leave them behind, even when the test fails
            with contextlib.suppress(psutil.NoSuchProcess):
                p.kill()


def test_die_with_parent_watchdog(tmp_path: Path) -> None:
    """The portable half (a thread watching the parent PID) on its own, without the
    Linux death signal: a grandchild whose parent is killed exits."""
    code = """
        import os, sys, time
        from leanagent import processes
        processes._set_parent_death_signal = lambda: False   # only the watchdog
        parent = os.getpid()  # taken before the fork, as the product's callers do: a getppid()
        pid = os.fork()       # in the child would name the reaper if the parent died first
        if pid == 0:
            processes.die_with_parent(parent, interval=0.05)
            time.sleep(60)
            os._exit(0)
        print(pid, flush=True)
        time.sleep(60)
    """
    proc = _python(tmp_path, code)
    assert proc.stdout is not None
    child = psutil.Process(int(proc.stdout.readline()))
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    # An orphan that exited is a zombie until PID 1 reaps it, and some init processes
    # (this VM's) reap late: exited is what the watchdog promises, so a zombie counts.
    deadline = time.monotonic() + 10
    while _running(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _running(child):
        child.kill()
        pytest.fail("the child outlived its parent")


def _running(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
