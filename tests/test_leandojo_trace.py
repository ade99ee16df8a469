"""`leanagent add --tracer leandojo`: the real lean-dojo in the real worker process.

Lean cannot run here, so the worker gets a stand-in for lean-dojo's Lean step and GitHub
call (tests/leandojo_site/sitecustomize.py, fed by tests/leandojo_fixture.py); lean-dojo's
parsing, XML cache, loading and checks and leanagent's conversion and ingest all run.
The failure test runs lean-dojo untouched against a `lake` that fails.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import leandojo_fixture as F
import pytest
from click.testing import CliRunner

from database.store import Store
from leanagent.cli import main

# Never import lean_dojo here: it would create ~/.cache/lean_dojo in the test process.
pytestmark = pytest.mark.skipif(not F.HAS_LEANDOJO, reason=F.NO_LEANDOJO)

SITE = Path(__file__).parent / "leandojo_site"


def write_tool(bin_dir: Path, name: str, script: str) -> Path:
    bin_dir.mkdir(parents=True, exist_ok=True)
    p = bin_dir / name
    p.write_text("#!/bin/sh\n" + script + "\n")
    p.chmod(p.stat().st_mode | stat.S_IEXEC)
    return p


@pytest.fixture
def toy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    project = tmp_path / "toy"
    sha = F.write_project(project)
    bin_dir = tmp_path / "bin"
    # Present for the tracer's "is there a toolchain" check; the stand-in never calls them.
    write_tool(bin_dir, "lake", 'echo "fake lake: must not run" >&2; exit 99')
    write_tool(bin_dir, "lean", 'echo "fake lean: must not run" >&2; exit 99')
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("NUM_PROCS", "1")
    return project, sha


@pytest.fixture
def fake_extract(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    extract = tmp_path / "extract"
    F.write_extract_outputs(extract)
    lean4_sha = F.write_fake_lean4(tmp_path / "lean4")
    monkeypatch.setenv("PYTHONPATH", str(SITE))
    monkeypatch.setenv("LEANAGENT_TEST_FAKE_EXTRACT", str(extract))
    monkeypatch.setenv("LEANAGENT_TEST_FAKE_LEAN4", f"{tmp_path / 'lean4'}@{lean4_sha}")
    return extract


def _add(home: Path, *args: str):
    return CliRunner().invoke(main, ["--home", str(home), "add", *args], catch_exceptions=False)


def test_trace_stores_goal_states_premises_and_links(toy, fake_extract, home: Path, tmp_path: Path):
    project, sha = toy
    res = _add(home, str(project), "--tracer", "leandojo", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["status"] == "added"
    with Store(home / "leanagent.db", readonly=True) as store:
        (repo,) = store.repositories()
        assert (repo.tracer, repo.commit, repo.lean_version) == ("leandojo", sha, "v4.20.0")
        assert (repo.tracer_version or "").startswith("lean-dojo 4.20.0")
        thms = {t["full_name"]: t for t in store.theorems(repo, include_dependencies=True)}
        # Lean core's theorem is left out, as in LeanDojo's exports; its premise is kept
        assert set(thms) == {"Toy.add_zero'", "Toy.double_zero", "Toy.with_sorry", "Toy.double_eq"}
        assert thms["Toy.with_sorry"]["status"] == "sorry"
        assert thms["Toy.double_eq"]["proof_style"] == "term"
        assert thms["Toy.add_zero'"]["statement"] == "theorem add_zero' (n : Nat) : n + 0 = n"
        steps = store.conn.execute(
            "SELECT t.full_name, s.tactic, s.annotated_tactic, s.state_before, s.state_after, s.line, s.col "
            "FROM tactic_steps s JOIN theorems t ON t.id = s.theorem_id ORDER BY t.full_name").fetchall()
        assert ("Toy.add_zero'", "rw [Nat.add_zero]", "rw [<a>Nat.add_zero</a>]", "n : Nat\n⊢ n + 0 = n",
                "no goals", 6, 3) in steps
        links = dict(store.conn.execute(
            "SELECT l.full_name, f.path FROM premise_links l JOIN premises p ON p.id = l.premise_id "
            "JOIN files f ON f.id = p.file_id").fetchall())
        # both links resolved to stored premises: one in Lean core, one in the project
        assert links == {"Nat.add_zero": F.INIT_PATH, "Toy.double": "Toy/Basic.lean"}
        imports = json.loads(store.conn.execute("SELECT imports FROM files WHERE path = 'Toy/Arith.lean'"
                                                ).fetchone()[0])
        assert sorted(imports) == [F.INIT_PATH, "Toy/Basic.lean"]
        sorries = {s["full_name"] for s in store.sorries(repo)}
        assert sorries == {"Toy.with_sorry", "Toy.unfinished"}
    # lean-dojo's cache is under the home, never in ~/.cache; the log is kept, scratch is not
    assert (home / "leandojo" / "cache" / f"gitpython-toy-{sha}" / "toy").is_dir()
    assert not (tmp_path / "user-home" / ".cache" / "lean_dojo").exists()
    assert len(list((home / "leandojo" / "logs").glob("*.log"))) == 1
    assert list((home / "tmp" / "leandojo").iterdir()) == []


def test_trace_supersedes_static_data_of_the_same_commit(toy, fake_extract, home: Path):
    project, _ = toy
    # A file outside the Lake build: the trace does not cover it, so it keeps its static data.
    (project / "Scratch.lean").write_text("theorem scratch : 1 = 1 := rfl\n")
    F.git(project, "add", "-A")
    F.git(project, "commit", "-q", "-m", "scratch")
    assert _add(home, str(project), "--tracer", "static").exit_code == 0
    with Store(home / "leanagent.db", readonly=True) as store:
        (static,) = store.repositories()
        assert static.tracer == "static"
    res = _add(home, str(project), "--tracer", "leandojo")
    assert res.exit_code == 0, res.output
    with Store(home / "leanagent.db", readonly=True) as store:
        (repo,) = store.repositories()
        assert repo.id == static.id and repo.tracer == "leandojo"
        names = {t["full_name"] for t in store.theorems(repo)}
        assert "scratch" in names and "Toy.add_zero'" in names
        steps = store.conn.execute("SELECT COUNT(*) FROM tactic_steps WHERE state_before IS NOT NULL").fetchone()[0]
        assert steps == 3
    listing = CliRunner().invoke(main, ["--home", str(home), "repos"])
    assert "leandojo+static" in listing.output
    data = json.loads(CliRunner().invoke(main, ["--home", str(home), "repos", "--json"]).output)
    assert data[0]["tracer"] == "leandojo" and data[0]["superseded"]["tracer"] == "static"
    # tracing again is a no-op, like any second import of the same commit, said before tracing
    logs = len(list((home / "leandojo" / "logs").glob("*.log")))
    again = _add(home, str(project), "--tracer", "leandojo")
    assert again.exit_code == 0 and "already in the database" in again.output
    assert len(list((home / "leandojo" / "logs").glob("*.log"))) == logs


def test_tracer_failure_is_a_named_error_with_the_log_tail(toy, home: Path, tmp_path: Path):
    project, _ = toy
    # lean-dojo untouched; its `lake build` meets a lake that fails like a broken build.
    write_tool(tmp_path / "bin", "lake", 'echo "error: Toy/Arith.lean:3:0: unknown package (fake lake)" >&2; exit 1')
    res = CliRunner().invoke(main, ["--home", str(home), "add", str(project), "--tracer", "leandojo"])
    assert res.exit_code == 1
    assert "lean-dojo could not trace" in res.output
    assert "CalledProcessError" in res.output and "lake build" in res.output
    assert "unknown package (fake lake)" in res.output  # the log tail
    assert "Hint: the project does not build" in res.output
    assert "Traceback" not in res.output  # lean-dojo's log, not leanagent's worker internals
    (log,) = (home / "leandojo" / "logs").glob("*.log")
    assert "unknown package (fake lake)" in log.read_text()
    assert "Traceback" in log.read_text()  # ... which the kept log has, for a bug report
    with Store(home / "leanagent.db", readonly=True) as store:
        assert store.repositories() == []


def test_gate_refuses_an_unsupported_toolchain_before_building(toy, home: Path):
    project, _ = toy
    (project / "lean-toolchain").write_text("leanprover/lean4:v4.24.0\n")
    F.git(project, "commit", "-qam", "bump")
    res = CliRunner().invoke(main, ["--home", str(home), "add", str(project), "--tracer", "leandojo"])
    assert res.exit_code == 1
    assert "uses Lean v4.24.0" in res.output and "lean-dojo 4.20.0" in res.output
    assert "--tracer static" in res.output and "--backend repl" in res.output
    assert not (home / "leandojo" / "logs").exists()  # nothing was started


def test_missing_toolchain_and_non_git_sources_are_refused(tmp_path: Path, home: Path, monkeypatch):
    project = tmp_path / "toy"
    F.write_project(project)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    res = CliRunner().invoke(main, ["--home", str(home), "add", str(project), "--tracer", "leandojo"])
    assert res.exit_code == 1 and "lake and lean not found on PATH" in res.output and "elan" in res.output
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "A.lean").write_text("theorem a : True := trivial\n")
    res = CliRunner().invoke(main, ["--home", str(home), "add", str(plain), "--tracer", "leandojo"])
    assert res.exit_code == 1 and "not a git checkout" in res.output


def test_interrupting_a_trace_leaves_no_process_and_no_data(toy, home: Path, tmp_path: Path):
    import signal
    import subprocess
    import sys
    import time

    project, _ = toy
    pidfile = tmp_path / "lake.pid"
    # A `lake build` that runs until it is killed (and a child of its own, like lean).
    write_tool(tmp_path / "bin", "lake", f'sleep 300 & echo $! > {pidfile}.child; echo $$ > {pidfile}; wait')
    # SIGINT at its default in the CLI, however this suite was started: a background job of
    # a non-interactive shell (`bash .ci/run &`) inherits SIGINT ignored, and Python then
    # installs no KeyboardInterrupt handler, so the Ctrl-C below would never arrive.
    cli = subprocess.Popen([sys.executable, "-m", "leanagent", "--home", str(home), "add", str(project),
                            "--tracer", "leandojo"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while not (pidfile.exists() and Path(f"{pidfile}.child").exists()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert pidfile.exists(), cli.communicate(timeout=30)[0] if cli.poll() is not None else "lake never started"
    time.sleep(0.3)
    cli.send_signal(signal.SIGINT)
    out, _ = cli.communicate(timeout=60)
    assert cli.returncode != 0, out
    for p in (pidfile, Path(f"{pidfile}.child")):
        pid = int(p.read_text())
        deadline = time.monotonic() + 20
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        state = Path(f"/proc/{pid}/stat").read_text().split()[2] if Path(f"/proc/{pid}").exists() else "gone"
        assert state in ("gone", "Z"), f"{p.name} {pid} still running ({state})"
    with Store(home / "leanagent.db", readonly=True) as store:
        assert store.repositories() == []
    assert list((home / "tmp" / "leandojo").iterdir()) == []
