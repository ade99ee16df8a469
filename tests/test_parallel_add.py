"""Parallel `add` on real Ray (local, 2 CPUs): one task per repository, the driver alone
writes, one transaction per repository; the database equals a serial add's; a failing
source is recorded with its reason and the others are added."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from fake_github import FakeGitHub, git, lean_project, publish

from database.home import Home
from database.source_attempts import attempts
from database.store import Store
from leanagent.distributed.add import AddJob, AddOutcome, add_sources
from leanagent.tracing import AddRequest, add_source

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")

ROOT = Path(__file__).resolve().parent.parent


def dump(db: Path) -> dict[str, dict]:
    """Everything stored per repository, without row ids or times."""
    conn = sqlite3.connect(db)
    q = conn.execute
    out = {}
    for rid, name, url, commit, lv, tracer, tv, path, meta in q(
            'SELECT id, name, url, "commit", lean_version, tracer, tracer_version, path, metadata FROM repositories'):
        files = sorted(q("SELECT f.path, f.content_hash, f.imports, f.is_dependency, f.package, f.num_lines "
                         "FROM repo_files rf JOIN files f ON f.id = rf.file_id WHERE rf.repo_id = ?", (rid,)))
        fids = "SELECT file_id FROM repo_files WHERE repo_id = ?"
        premises = sorted(q(f"SELECT f.path, p.full_name, p.code, p.kind, p.start_line, p.start_col, p.end_line, "
                            f"p.end_col FROM premises p JOIN files f ON f.id = p.file_id WHERE p.file_id IN ({fids})",
                            (rid,)))
        theorems = sorted(q(f"SELECT f.path, t.full_name, t.kind, t.statement, t.start_line, t.start_col, t.end_line, "
                            f"t.end_col, t.proof_style, t.status, t.num_steps, t.difficulty, t.is_dependency, "
                            f"t.sorry_checked FROM theorems t JOIN files f ON f.id = t.file_id "
                            f"WHERE t.file_id IN ({fids})", (rid,)), key=repr)
        steps = sorted(q(f"SELECT t.full_name, t.start_line, s.idx, s.tactic, s.line, s.col, s.structure "
                         f"FROM tactic_steps s JOIN theorems t ON t.id = s.theorem_id WHERE t.file_id IN ({fids})",
                         (rid,)), key=repr)
        links = sorted(q(f"SELECT t.full_name, t.start_line, l.idx, l.full_name, l.def_path, l.def_line, l.def_col, "
                         f"l.resolution, p.full_name FROM premise_links l JOIN theorems t ON t.id = l.theorem_id "
                         f"LEFT JOIN premises p ON p.id = l.premise_id WHERE t.file_id IN ({fids})", (rid,)),
                       key=repr)
        sorries = sorted(q(f"SELECT s.declaration, s.kind, s.decl_line, s.line, s.col, s.context, "
                           f"s.theorem_id IS NULL FROM sorries s WHERE s.file_id IN ({fids})", (rid,)), key=repr)
        diags = sorted(q("SELECT file_path, line, severity, message FROM diagnostics WHERE repo_id = ?", (rid,)),
                       key=repr)
        out[name] = {"repo": (url, commit, lv, tracer, tv, path, json.loads(meta)), "files": files,
                     "premises": premises, "theorems": theorems, "steps": steps, "links": links,
                     "sorries": sorries, "diagnostics": diags}
    conn.close()
    return out


@pytest.fixture
def sources(tmp_path: Path, fixtures: Path):
    with FakeGitHub(tmp_path / "served") as server:
        work = tmp_path / "work"
        work.mkdir()
        git(work, "init", "-q")
        lean_project(work, "v4.9.0", ["from_git_one", "from_git_two"])
        git(work, "add", ".")
        git(work, "commit", "-q", "-m", "init")
        publish(work, server.root, "eve/served")
        yield [str(fixtures / "lean" / "proj"), str(fixtures / "lean" / "links"), str(fixtures / "lean" / "realistic"),
               str(ROOT / "examples" / "toy-lean"), server.clone_url("eve/served"), str(tmp_path / "no-such-dir")]


def test_parallel_add_equals_serial_and_survives_a_failure(tmp_path: Path, sources: list[str], ray_local) -> None:
    serial_home = Home(tmp_path / "serial")
    with Store(serial_home.db_path) as store:
        for src in sources[:-1]:
            add_source(store, AddRequest(source=src), serial_home)
    home = Home(tmp_path / "parallel")
    seen: list[AddOutcome] = []
    with Store(home.db_path) as store:
        outcomes = add_sources(store, [AddJob(AddRequest(source=s)) for s in sources], home, ray_local,
                               on_outcome=seen.append)
        assert seen == outcomes
        status = {o.source: o for o in outcomes}
        assert len(outcomes) == len(sources)
        bad = status[sources[-1]]
        assert bad.status == "failed" and "neither an existing directory nor a git URL" in (bad.reason or "")
        assert all(o.status == "added" and o.where == "ray" for o in outcomes if o is not bad)
        rows = attempts(store)
        assert len(rows) == len(sources) and {r["status"] for r in rows} == {"added", "failed"}
        assert [r["reason"] for r in rows if r["status"] == "failed"] == [bad.reason]
        assert all(r["repo_id"] is not None for r in rows if r["status"] == "added")
    par, ser = dump(home.db_path), dump(serial_home.db_path)
    # The clone lives in each home's repos/: the recorded path is the only difference.
    for name in par:
        if par[name]["repo"][0].startswith("http"):
            par[name]["repo"] = (*par[name]["repo"][:5], None, *par[name]["repo"][6:])
            ser[name]["repo"] = (*ser[name]["repo"][:5], None, *ser[name]["repo"][6:])
    assert par == ser
    assert sum(len(v["theorems"]) for v in par.values()) > 20

    with Store(home.db_path) as store:
        again = add_sources(store, [AddJob(AddRequest(source=s)) for s in sources[:-1]], home, ray_local)
        assert {o.status for o in again} == {"already"}
        assert len(store.repositories()) == len(sources) - 1


def test_cli_add_many_reports_each_and_exits_1_when_one_failed(tmp_path: Path, sources: list[str],
                                                                ray_local) -> None:
    from leanagent.cli import main

    home = tmp_path / "home"
    r = CliRunner().invoke(main, ["--home", str(home), "add", sources[0], sources[-1], sources[1], "--json"])
    assert r.exit_code == 1
    report = json.loads(r.stdout)
    assert (report["status"], report["added"], report["failed"]) == ("partial", 2, 1)
    assert "1 of 3 sources failed" in r.stderr and "no-such-dir" in r.stderr
    assert "added lean-proj" in r.stderr or "added proj" in r.stderr
    r = CliRunner().invoke(main, ["--home", str(home), "add", sources[0], "--commit", "abc", sources[1]])
    assert r.exit_code == 2 and "apply to a single SOURCE" in r.stderr
