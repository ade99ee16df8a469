"""`leanagent demo`: the main job on the bundled examples, run as a user runs it (the real
CLI in a subprocess, a temporary home, the real indexer, retriever, loop and report),
then checked by what it left in the home. `check_demo_home` is applied to broken homes
too, so that it is known to fail when the demo did not do its job."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def demo(home: Path, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "leanagent", "--home", str(home), "demo", *args],
                          capture_output=True, text=True, env=dict(os.environ), cwd=cwd, check=False)


def check_demo_home(home: Path, summary: dict, projects: list[str]) -> None:
    """What a finished demo leaves: the projects indexed with their theorems, a done run
    over them, its matrix and baselines in the run's stages, and the report's files."""
    db = home / "leanagent.db"
    assert db.is_file(), "no database"
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        repos = {name: rid for rid, name in con.execute("SELECT id, name FROM repositories")}
        assert set(projects) <= set(repos), repos
        for p in projects:
            n = con.execute("SELECT COUNT(*) FROM theorems t JOIN files f ON f.id = t.file_id "
                            "JOIN repo_files rf ON rf.file_id = f.id WHERE rf.repo_id = ? AND rf.is_dependency = 0",
                            (repos[p],)).fetchone()[0]
            assert n >= 100, (p, n)
        run = con.execute("SELECT id, status FROM runs WHERE name = ?", (summary["run"],)).fetchone()
        assert run is not None and run[1] == "done", run
        stages = con.execute("SELECT position, stage, status, info FROM run_stages WHERE run_id = ?",
                             (run[0],)).fetchall()
        evaluated = sorted(p for p, s, st, _ in stages if s == "evaluate" and st == "done")
        assert evaluated == list(range(len(projects))), evaluated
        ckpts = con.execute("SELECT COUNT(*) FROM checkpoints").fetchone()[0]
        assert ckpts >= len(projects)
        steps = con.execute("SELECT COUNT(*) FROM training_steps").fetchone()[0]
        assert steps >= len(projects)
        base = {p: json.loads(i) for p, s, st, i in stages if s == "baseline" and st == "done"}
        assert sorted(base) == list(range(len(projects)))
    finally:
        con.close()
    # the summary is what the database says, and the baselines leave room to learn
    assert sorted(summary["order"]) == sorted(projects)
    assert [len(r) for r in summary["R"]] == list(range(1, len(projects) + 1))
    for method in ("bm25", "locality", "untrained"):
        vals = summary["baselines"][method]
        assert len(vals) == len(projects) and all(v is not None and 0 <= v < 100 for v in vals), (method, vals)
        assert [base[i][method]["r10"] for i in range(len(projects))] == vals
    assert all(v is not None and 0 <= v <= 100 for row in summary["R"] for v in row)
    assert summary["metrics"], "no lifelong metrics"
    report = Path(summary["report"])
    assert report.is_file() and report.name == "index.html"
    assert report.parent.is_relative_to(home) or report.parent.exists()
    pages = {p.name for p in report.parent.glob("*.html")}
    assert len(pages) >= 1 + len(projects), pages  # the overview and a page per project at least
    assert "run" in report.read_text(encoding="utf-8").lower()


def _summary(res: subprocess.CompletedProcess[str]) -> dict:
    assert res.returncode == 0, res.stderr[-3000:]
    return json.loads(res.stdout)


def test_demo_on_two_projects_fast_and_rerun_safe(tmp_path):
    """The default suite's variant: two projects, one optimiser step each."""
    home = tmp_path / "home"
    projects = ["arith", "logic"]
    res = demo(home, "--projects", ",".join(projects), "--max-steps", "1", "--json")
    summary = _summary(res)
    check_demo_home(home, summary, projects)
    err = res.stderr
    # one display: leanagent's lines and bars, none of the libraries' own
    for leak in ("Loading weights", "huggingface", "FutureWarning", "UserWarning", "TOKENIZERS_PARALLELISM"):
        assert leak not in err, leak
    assert "indexing 2 example project(s)" in err and "[1/2]" in err and "[2/2]" in err
    # no toolchain here: the prover says so, and what to install
    if summary["prover"].startswith("skipped"):
        assert "elan" in summary["prover"]
    assert summary["examples"] == str(EXAMPLES)
    # staged copies hold real dependency files, so cross-project premises resolve
    staged = home / "demo" / "examples" / "logic" / ".lake" / "packages" / "arith"
    assert staged.is_dir() and not staged.is_symlink()

    con = sqlite3.connect(home / "leanagent.db")
    counts = [con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
              for t in ("repositories", "theorems", "checkpoints", "evaluations", "run_stages")]
    con.close()
    again = demo(home, "--projects", ",".join(projects), "--max-steps", "1", "--json")
    second = _summary(again)
    assert "already indexed" in again.stderr and "continuing it" in again.stderr
    assert second["resumed"] is True and second["R"] == summary["R"]
    con = sqlite3.connect(home / "leanagent.db")
    assert counts == [con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                      for t in ("repositories", "theorems", "checkpoints", "evaluations", "run_stages")]
    con.close()

    # The check fails on broken homes: it is not a test that cannot fail.
    broken = dict(summary, baselines={**summary["baselines"], "bm25": [100.0] * len(projects)})
    with pytest.raises(AssertionError):
        check_demo_home(home, broken, projects)  # saturated baselines: nothing to learn
    with pytest.raises(AssertionError):
        check_demo_home(home, summary, [*projects, "lists"])  # a project not indexed
    con = sqlite3.connect(home / "leanagent.db")
    con.execute("UPDATE runs SET status = 'failed'")
    con.commit()
    con.close()
    with pytest.raises(AssertionError):
        check_demo_home(home, summary, projects)  # the run did not finish
    con = sqlite3.connect(home / "leanagent.db")
    con.execute("UPDATE runs SET status = 'done'")
    con.commit()
    con.close()
    Path(summary["report"]).unlink()
    with pytest.raises(AssertionError):
        check_demo_home(home, summary, projects)  # no report


@pytest.mark.slow
def test_full_demo(tmp_path):
    """The demo as the README runs it: five projects, default settings. Its verdict (the
    trained retriever against the best baseline) is what the matrix says, and the text
    output says it in words, whichever way it goes."""
    home = tmp_path / "home"
    projects = ["arith", "logic", "lists", "orders", "algebra"]
    res = demo(home, "--json")
    summary = _summary(res)
    check_demo_home(home, summary, projects)
    verdict = summary["verdict"]
    best = [max(summary["baselines"][m][j] for m in ("bm25", "locality", "untrained")) for j in range(5)]
    assert verdict["best_baseline"] == best and verdict["final"] == summary["R"][-1]
    assert verdict["wins"] == sum(f > b for f, b in zip(summary["R"][-1], best, strict=True))
    text = demo(home)  # the finished run, shown again, in words
    assert text.returncode == 0, text.stderr
    said = "beats the baselines" if verdict["beats"] else "does NOT beat the baselines"
    assert f"the trained retriever {said}" in text.stdout


def test_examples_not_found_says_where_it_looked(tmp_path):
    res = demo(tmp_path / "home", "--examples", str(tmp_path / "nowhere"), "--no-prove")
    assert res.returncode == 1
    assert "does not hold the example project(s) arith" in res.stderr and "--examples" in res.stderr
    assert "Traceback" not in res.stderr


def test_bad_projects_are_a_usage_error(tmp_path):
    res = demo(tmp_path / "home", "--projects", "arith,geometry")
    assert res.returncode == 2
    assert "unknown example project(s) geometry" in res.stderr and "algebra" in res.stderr
    assert not (tmp_path / "home" / "leanagent.db").exists()


def test_find_examples_from_an_installed_package(tmp_path, monkeypatch):
    """A wheel does not ship examples/: then a checkout's root (the working directory)
    is used, and elsewhere the error says both places and the fix."""
    from database.errors import ExamplesNotFound
    from leanagent import demo as demo_mod

    installed = tmp_path / "site-packages" / "leanagent" / "demo.py"
    installed.parent.mkdir(parents=True)
    monkeypatch.setattr(demo_mod, "__file__", str(installed))
    monkeypatch.chdir(ROOT)
    assert demo_mod.find_examples() == ROOT / "examples"
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ExamplesNotFound) as err:
        demo_mod.find_examples()
    msg = str(err.value)
    assert str(tmp_path / "site-packages" / "examples") in msg and str(tmp_path / "examples") in msg
    assert "root of a checkout" in msg and "--examples" in msg


def test_staging_copies_dependencies_and_keeps_the_fingerprint(tmp_path):
    from leanagent.demo import stage_examples
    from leanagent.tracing.git import tree_fingerprint

    first = stage_examples(EXAMPLES, tmp_path / "stage", ["lists"])["lists"]
    packages = first / ".lake" / "packages"
    assert sorted(p.name for p in packages.iterdir()) == ["arith", "logic"]
    assert not any(p.is_symlink() for p in first.rglob("*"))
    assert (packages / "arith" / "Arith.lean").read_text() == (EXAMPLES / "arith" / "Arith.lean").read_text()
    fingerprint = tree_fingerprint(first)
    again = stage_examples(EXAMPLES, tmp_path / "stage", ["lists"])["lists"]
    assert tree_fingerprint(again) == fingerprint  # a rerun is the same repository at the same commit


def test_quiet_libraries_restores_everything():
    transformers_logging = pytest.importorskip("transformers.utils.logging")
    from huggingface_hub import utils as hub_utils

    from leanagent.demo import QUIET_ENV, quiet_libraries

    env = {k: os.environ.get(k) for k in QUIET_ENV}
    verbosity = transformers_logging.get_verbosity()
    bars = transformers_logging.is_progress_bar_enabled()
    hub_bars = hub_utils.are_progress_bars_disabled()
    with quiet_libraries():
        assert transformers_logging.get_verbosity() == transformers_logging.ERROR
        assert not transformers_logging.is_progress_bar_enabled()
        assert hub_utils.are_progress_bars_disabled()
        assert os.environ["TOKENIZERS_PARALLELISM"] == "false"
    assert {k: os.environ.get(k) for k in QUIET_ENV} == env
    assert transformers_logging.get_verbosity() == verbosity
    assert transformers_logging.is_progress_bar_enabled() == bars
    assert hub_utils.are_progress_bars_disabled() == hub_bars


def test_verdict_compares_the_last_row_with_the_best_baseline():
    from leanagent.demo import verdict

    report: dict[str, Any] = {"order": ["a", "b", "c"], "R": [[50.0], [48.0, 60.0], [47.0, 58.0, 70.0]],
              "baselines": {"bm25": [40.0, 65.0, 50.0], "locality": [30.0, 20.0, 10.0],
                            "untrained": [45.0, 50.0, 55.0]}}
    v = verdict(report)
    assert v.best_baseline == [45.0, 65.0, 55.0] and v.best_method == ["untrained", "bm25", "untrained"]
    assert v.wins == 2 and v.beats
    report["R"][-1] = [40.0, 58.0, 56.0]
    v = verdict(report)
    assert v.wins == 1 and not v.beats  # higher on one project of three, lower on average
