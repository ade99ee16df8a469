"""Proving a repository end to end: knowledge base -> Prover (repl backend over a
scripted fake REPL process, verification through a fake `lake` on PATH) -> stored
attempts and proofs; Pass@1; the CLI; the lifelong prove stage; a tiny T5 generator
with premise retrieval."""

from __future__ import annotations

import json
import pickle
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from lean_project import fake_repl_command, index_project, make_project, set_lean_rules, use_fake_lake

from leanagent.cli import main
from prover.driver import ProveRequest, prove_repository
from prover.generator import AutomationConfig
from prover.lean.interface import ToolchainMissing
from prover.proving import BackendSpec, ProofTask, Prover, ProverConfig
from prover.search import SearchConfig

TACTICS = ("rfl", "simp", "decide")
PLACEHOLDER_AXIOMS = {"axioms": {"Demo.about_placeholder": ["propext", "sorryAx"]},
                      "sorry_sources": {"Demo.about_placeholder": ["Demo.placeholder"]}}


@pytest.fixture
def demo(tmp_path: Path, store, home: Path, monkeypatch: pytest.MonkeyPatch):
    root = make_project(tmp_path / "demo")
    repo = index_project(store, home, root)
    use_fake_lake(monkeypatch, tmp_path, PLACEHOLDER_AXIOMS)
    return root, repo


def _config(tmp_path: Path, **rules) -> ProverConfig:
    return ProverConfig(generator=AutomationConfig(tactics=TACTICS),
                        backend=BackendSpec(options={"command": fake_repl_command(tmp_path / "repl", **rules)}),
                        search=SearchConfig(timeout=30, tactic_timeout=10))


def test_a_repository_is_proved_and_every_result_stored(demo, store, tmp_path) -> None:
    root, repo = demo
    summary = prove_repository(store, repo, config=_config(tmp_path), request=ProveRequest())
    c = summary.counts
    assert (c["attempted"], c["proved"], c["failed"], c["errors"]) == (4, 3, 1, 0)
    assert c["depends_on_sorry"] == 1 and c["by_stop_reason"] == {"exhausted": 1, "proved": 3}
    # the placeholder-dependent proof is counted beside Pass@1, never inside it
    assert c["proved_clean"] == 2 and c["pass_at_1"] == 50.0 and c["pass_at_1_depends_on_sorry"] == 25.0
    # ... and the report's theorem table shows the flag with the status
    from leanagent.report.data import ReportData

    (table,) = [t for t in ReportData(store).repository(repo)["tables"] if t["id"] == "theorems"]
    shown = {row[1]: row[4] for row in table["rows"]}
    assert shown["Demo.about_placeholder"] == "proved_by_agent (depends on sorry)"
    assert shown["Demo.easy"] == "proved_by_agent" and shown["Demo.hard"] == "sorry"
    rows = {r["full_name"]: r for r in store.proof_attempts.find(repo=repo)}
    assert set(rows) == {"Demo.easy", "Demo.attr_thm", "Demo.about_placeholder", "Demo.hard"}
    easy = rows["Demo.easy"]
    assert (easy["status"], easy["stop_reason"], easy["verification"], easy["proof"]) == \
        ("proved", "proved", "accepted", "rfl")
    assert easy["purpose"] == "sorry" and easy["backend"] == "repl" and easy["generator"] == "automation"
    assert easy["lean_version"] == "4.9.0" and easy["nodes_expanded"] == 1 and easy["lean_calls"] >= 2
    assert easy["seconds"] >= easy["lean_seconds"] > 0 and easy["started_at"] <= easy["finished_at"]
    assert easy["details"]["verification"]["axioms"] == ["propext"]
    assert rows["Demo.attr_thm"]["proof"] == "simp\nrfl" and rows["Demo.attr_thm"]["nodes_expanded"] == 2
    hard = rows["Demo.hard"]
    assert (hard["status"], hard["stop_reason"], hard["verification"], hard["proof"]) == \
        ("failed", "exhausted", None, None)
    assert hard["details"]["search"]["tactic_errors"] == 3
    proofs = store.conn.execute("SELECT theorem_id, attempt_id, depends_on_sorry, proof FROM proofs "
                                "ORDER BY id").fetchall()
    assert len(proofs) == 3
    by_attempt = {r["id"]: r for r in rows.values()}
    assert {by_attempt[a]["full_name"]: bool(d) for _, a, d, _ in proofs} == \
        {"Demo.easy": False, "Demo.attr_thm": False, "Demo.about_placeholder": True}
    status = {t["full_name"]: t["status"] for t in store.theorems(repo)}
    assert status["Demo.easy"] == status["Demo.attr_thm"] == status["Demo.about_placeholder"] == "proved_by_agent"
    assert status["Demo.hard"] == "sorry"
    assert (root / "Demo" / "Basic.lean").read_text().count("sorry") == 5  # the source is untouched
    # nothing left to prove but `hard`: a second run attempts only it
    again = prove_repository(store, repo, config=_config(tmp_path), request=ProveRequest())
    assert again.counts["attempted"] == 1


def test_a_proof_lean_rejects_is_a_failure_and_changes_nothing(demo, store, tmp_path) -> None:
    _, repo = demo
    set_lean_rules(tmp_path, {"errors": {"x = x := by\n  rfl": "type mismatch"}})
    summary = prove_repository(store, repo, config=_config(tmp_path), request=ProveRequest(theorems=("easy",)))
    assert summary.counts["failed"] == 1 and summary.counts["by_verification"] == {"rejected:lean_error": 1}
    (row,) = store.proof_attempts.find(repo=repo)
    assert (row["status"], row["stop_reason"], row["verification"], row["proof"]) == \
        ("failed", "proved", "rejected", "rfl")
    assert "type mismatch" in row["details"]["verification"]["message"]
    assert store.conn.execute("SELECT COUNT(*) FROM proofs").fetchone()[0] == 0
    assert {t["full_name"]: t["status"] for t in store.theorems(repo)}["Demo.easy"] == "sorry"


def test_pass_at_1_keeps_failures_to_start_in_the_denominator(demo, store, tmp_path) -> None:
    _, repo = demo
    config = _config(tmp_path, header_errors=["theorem uses_double"])
    summary = prove_repository(store, repo, config=config, request=ProveRequest(purpose="evaluate", split="train"))
    c = summary.counts
    assert c["attempted"] == 2 and c["proved"] == 1 and c["errors"] == 1 and c["pass_at_1"] == 50.0
    assert c["by_open_reason"] == {"statement_error": 1}
    (ev,) = store.conn.execute("SELECT method, checkpoint_id, split, num_queries, r10, details FROM evaluations "
                               "WHERE method LIKE 'pass@1:%'").fetchall()
    method, ckpt, split, n, r10, details = ev
    assert (method, ckpt, split, n, r10) == ("pass@1:automation", None, "train", 2, None)
    details = json.loads(details)
    assert details["pass_at_1"] == 50.0 and details["lean_version"] == "4.9.0"
    assert details["by_stop_reason"] == {"open_failed": 1, "proved": 1}
    # re-proving a proven theorem stores its attempt only: no proofs row, no status change
    assert store.conn.execute("SELECT COUNT(*) FROM proofs").fetchone()[0] == 0
    assert {r["purpose"] for r in store.proof_attempts.find(repo=repo)} == {"evaluate"}
    assert {t["full_name"]: t["status"] for t in store.theorems(repo)}["Demo.double_zero"] == "proven"


def test_without_a_toolchain_nothing_is_attempted(demo, store, tmp_path, monkeypatch) -> None:
    _, repo = demo
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    config = ProverConfig(backend=BackendSpec())
    with pytest.raises(ToolchainMissing, match="elan"):
        prove_repository(store, repo, config=config, request=ProveRequest())
    assert store.proof_attempts.find() == []
    # detected before any work: before even loading the generator
    from prover.generator import GeneratorConfig

    config = ProverConfig(generator=GeneratorConfig(model=str(tmp_path / "no-model"), num_premises=0))
    with pytest.raises(ToolchainMissing):
        prove_repository(store, repo, config=config, request=ProveRequest())


def test_the_config_and_tasks_are_plain_picklable_data(demo, store, tmp_path) -> None:
    from prover.driver import proof_tasks

    config = _config(tmp_path)
    tasks = proof_tasks(store, demo[1], ProveRequest())
    assert pickle.loads(pickle.dumps(config)) == config
    assert pickle.loads(pickle.dumps(tasks)) == tasks
    with Prover(config) as prover:
        outcome = prover.prove(tasks[0])
        assert isinstance(outcome.task, ProofTask) and outcome.accepted
        assert pickle.loads(pickle.dumps(outcome)).search == outcome.search
        env = prover.backend(tasks[0].theorem.project)
        assert env is prover.backend(tasks[0].theorem.project)  # warm: one backend, one process
        prover.prove(tasks[1])
        assert env.stats.restarts == 0 and (tmp_path / "repl" / "launches").read_text() == "1"


# -- the command line ------------------------------------------------------------------------------------


def _cli(home: Path, *args: str):
    return CliRunner().invoke(main, ["--home", str(home), *args], catch_exceptions=False)


def test_leanagent_prove_and_write_back(demo, home, tmp_path) -> None:
    root, _ = demo
    command = " ".join(fake_repl_command(tmp_path / "repl"))
    res = _cli(home, "prove", "demo", "--backend-option", f"command={command}", "--tactics", ",".join(TACTICS),
               "--timeout", "30", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["attempted"] == 4 and out["proved"] == 3 and out["generator"] == "automation"
    assert {r["theorem"]: r["status"] for r in out["results"]}["Demo.hard"] == "failed"
    assert "✓ Demo.easy" in res.stderr and "3 of 4 proved (1 only through a sorry placeholder)," in res.stderr
    # the listing shows which proofs hold only through a sorry placeholder, in text and JSON
    listed = {t["full_name"]: t for t in json.loads(_cli(home, "theorems", "demo", "--json").stdout)}
    assert listed["Demo.about_placeholder"]["status"] == "proved_by_agent"
    assert listed["Demo.about_placeholder"]["depends_on_sorry"] is True
    assert listed["Demo.easy"]["depends_on_sorry"] is False and listed["Demo.hard"]["depends_on_sorry"] is False
    lines = {line.split()[-3]: line for line in _cli(home, "theorems", "demo").stdout.splitlines()}
    assert lines["Demo.about_placeholder"].startswith("proved_by_agent (depends on sorry) ")
    assert lines["Demo.easy"].startswith("proved_by_agent ") and "depends" not in lines["Demo.easy"]
    res = _cli(home, "write-back", "demo", "--branch", "proofs", "--json")
    assert res.exit_code == 0, res.output
    wb = json.loads(res.stdout)
    assert wb["branch"] == "proofs" and wb["files"] == ["Demo/Basic.lean"] and wb["depends_on_sorry"] == 1
    assert Path(wb["patch"]).is_file() and Path(wb["patch"]).is_relative_to(home / "reports")
    assert (root / "Demo" / "Basic.lean").read_text().count("sorry") == 2  # the doc comment and `hard`
    # it says that the checkout stays on the new branch, what that does to `prove`, and how to go back
    assert wb["note"] in res.stderr and "left on branch proofs" in wb["note"]
    assert "stops with source_changed" in wb["note"] and f"`git -C {root} checkout main`" in wb["note"]
    res = _cli(home, "write-back", "demo", "--branch", "again")
    assert res.exit_code == 1 and "changed since it was indexed" in res.output
    # ... which is true: `hard` (below the inserted proofs) cannot be attempted on the new branch
    args = ("prove", "demo", "--theorem", "Demo.hard", "--backend-option", f"command={command}", "--tactics",
            ",".join(TACTICS), "--json")
    (row,) = json.loads(_cli(home, *args).stdout)["results"]
    assert (row["status"], row["open_reason"]) == ("error", "source_changed")
    subprocess.run(["git", "-C", str(root), "checkout", "-q", "main"], check=True)  # as the note says
    (row,) = json.loads(_cli(home, *args).stdout)["results"]
    assert row["open_reason"] is None and row["stop_reason"] == "exhausted"


def test_prove_usage_shows_repo_as_optional() -> None:
    res = CliRunner().invoke(main, ["prove", "--help"], prog_name="leanagent")
    assert res.exit_code == 0 and "Usage: leanagent prove [OPTIONS] [REPO]\n" in res.output


def test_leanagent_prove_without_a_toolchain_exits_1_saying_what_to_install(demo, home, tmp_path,
                                                                          monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    res = _cli(home, "prove", "demo")
    assert res.exit_code == 1
    assert "elan" in res.output and "leanprover/lean4:v4.9.0" in res.output and "lake build" in res.output


def test_leanagent_prove_evaluate(demo, home, tmp_path) -> None:
    command = " ".join(fake_repl_command(tmp_path / "repl"))
    res = _cli(home, "prove", "demo", "--evaluate", "--split", "train", "--backend-option", f"command={command}",
               "--tactics", "rfl,simp", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["purpose"] == "evaluate" and out["attempted"] == 2 and out["pass_at_1"] == 100.0
    assert "Pass@1 100.0%" in res.stderr


# -- the lifelong loop's prove stage -------------------------------------------------------------------------


def test_the_lifelong_prove_stage(demo, store, home, tmp_path, monkeypatch) -> None:
    from factories import FakeLearner

    from database.home import Home
    from leanagent.lifelong import RunConfig, run_lifelong, run_report
    from leanagent.prove_stage import LifelongProving

    stage = LifelongProving(_config(tmp_path), Home(home))
    run_lifelong(store, FakeLearner(store), RunConfig(order="given"), name="with-lean", prove=stage)
    rows = store.proof_attempts.find()
    assert len(rows) == 4 and {r["run_id"] for r in rows} == {1} and all(r["checkpoint_id"] for r in rows)
    assert run_report(store, "with-lean")["prove"] == ["3 of 4 sorry theorem(s) proved"]
    # no toolchain: skipped, and the stage says why in the installer's words
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    no_lean = LifelongProving(ProverConfig(), Home(home))
    run_lifelong(store, FakeLearner(store), RunConfig(order="given", seed=1), name="no-lean", prove=no_lean)
    status, info = store.conn.execute("SELECT status, info FROM run_stages WHERE stage = 'prove' AND run_id = 2"
                                      ).fetchone()
    assert status == "skipped" and json.loads(info)["reason"].startswith("skipped: the repl backend needs")
    assert "elan" in run_report(store, "no-lean")["prove"][0]


# -- a learned generator with premise retrieval ----------------------------------------------------------------


@pytest.mark.slow
def test_a_tiny_t5_with_retrieved_premises(demo, store, home, tmp_path) -> None:
    from factories import tiny_bert
    from tiny_models import tiny_t5

    from database.home import Home
    from prover.generator import GeneratorConfig
    from prover.proving import RetrievalSpec
    from prover.retrieval.api import EvalConfig, build_index

    encoder = str(tiny_bert(tmp_path / "bert"))
    build_index(store, Home(home), checkpoint_id=None, config=EvalConfig(model=encoder, device="cpu", precision="fp32"))
    config = ProverConfig(
        generator=GeneratorConfig(model=str(tiny_t5(tmp_path / "t5")), num_candidates=4, max_new_tokens=8,
                                  num_premises=3, device="cpu"),
        backend=BackendSpec(options={"command": fake_repl_command(tmp_path / "repl")}),
        search=SearchConfig(timeout=30, max_expansions=2),
        retrieval=RetrievalSpec(home=str(home), model=encoder, device="cpu"))
    with Prover(config) as prover:
        summary = prove_repository(store, demo[1], config=config, prover=prover,
                                   request=ProveRequest(theorems=("easy",)))
        assert prover.generator.stats.premises_in_inputs > 0  # type: ignore[attr-defined]
    (row,) = store.proof_attempts.find()
    # a random model proves nothing: it stops at the expansion budget, honestly recorded
    assert summary.counts["proved"] == 0 and row["stop_reason"] in ("max_expansions", "exhausted")
    assert row["generator"] == f"hf:{(tmp_path / 't5').name}" and row["generator_seconds"] > 0
    assert row["details"]["precision"] == {"name": "fp32", "reason": "default on cpu: bf16 is not assumed fast on a CPU"}
    assert row["details"]["search"]["retrieval_seconds"] > 0
