"""Pass@1 is measured on the retriever's own split: `leanagent prove --evaluate` takes the
data options of `train` / `eval` with their defaults, and a run's prove stage re-proves
the test theorems of the run's data configuration -- the theorems its retriever was
measured on and never trained on -- not leanagent 0.1's split. Real SQLite store, real
git checkout of a generated Lean project indexed by the static tracer, the scripted fake
REPL and the fake `lake` (tests/) in place of Lean."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from factories import generate_lean_project, tiny_bert
from lean_project import git, use_fake_lake
from repl_helpers import FAKE_REPL

from database.evaluations import Evaluation
from database.home import Home
from leanagent.cli import main
from prover.generator import AutomationConfig
from prover.proving import BackendSpec, ProverConfig
from prover.retrieval.config import LEGACY_DATA, SPLIT_SCHEME, DataConfig
from prover.search import SearchConfig

NOVEL = DataConfig(split="novel_premises")


@pytest.fixture(scope="module")
def encoder(tmp_path_factory) -> str:
    return str(tiny_bert(tmp_path_factory.mktemp("enc") / "tiny"))


@pytest.fixture
def gen(tmp_path: Path, store, home: Path, monkeypatch: pytest.MonkeyPatch):
    """A generated project of 60 theorems (3 modules) in a git checkout, indexed; the fake
    REPL knows every proven theorem's goal and closes every other one with `rfl`."""
    from leanagent.tracing import AddRequest, add_source

    root = tmp_path / "gen"
    generate_lean_project(root, theorems=60, files=3, seed=4)
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "init")
    add_source(store, AddRequest(source=str(root), name="gen"), Home(home))
    repo = store.find_repository("gen")
    proven = [t["full_name"] for t in store.theorems(repo, status="proven")]
    goals = {name: f"⊢ goal {i}" for i, name in enumerate(proven)}
    tactics = {goal: {"rfl": {"finished": True}} for i, goal in enumerate(goals.values()) if i % 2 == 0}
    directory = tmp_path / "repl"
    directory.mkdir()
    scenario = directory / "scenario.json"
    scenario.write_text(json.dumps({"counter": str(directory / "launches"),
                                    "launches": [{"mode": "script", "theorems": goals, "tactics": tactics}]}))
    use_fake_lake(monkeypatch, tmp_path)
    command = (sys.executable, str(FAKE_REPL), "--scenario", str(scenario))
    return repo, command


def _ids(store, repo, data: DataConfig, split: str) -> set[int]:
    return set(store.split_assignments.theorem_ids(data.scheme, repo.id, split))


def _test_of(store, repo, data: DataConfig) -> set[int]:
    """The test theorems of ``data``'s split, made as `train` would make it."""
    from prover.retrieval.api import ensure_splits

    ensure_splits(store, repo, data)
    return _ids(store, repo, data, "test")


def _legacy_test(store, repo) -> set[int]:
    return _test_of(store, repo, LEGACY_DATA)


def _cli(home: Path, *args: str):
    return CliRunner().invoke(main, ["--home", str(home), *args], catch_exceptions=False)


def _evaluate(home: Path, command: tuple[str, ...], *options: str) -> dict:
    res = _cli(home, "prove", "gen", "--evaluate", "--backend-option", f"command={' '.join(command)}",
               "--tactics", "rfl", "--timeout", "30", *options, "--json")
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def _attempted(out: dict) -> set[int]:
    return {r["theorem_id"] for r in out["results"]}


def test_prove_evaluate_re_proves_the_test_split_that_train_held_out(gen, store, home, encoder) -> None:
    repo, command = gen
    # `leanagent train` with its defaults makes the split and trains on its train part
    res = _cli(home, "train", "--model", encoder, "--max-length", "32", "--max-steps", "1", "--batch-size", "4",
               "--precision", "fp32", "--json")
    assert res.exit_code == 0, res.output
    default = DataConfig()
    test, train = _ids(store, repo, default, "test"), _ids(store, repo, default, "train")
    assert len(test) >= 10 and train  # the default split exists because `train` made it
    out = _evaluate(home, command)
    assert (out["scheme"], out["split"]) == (default.scheme, "test")
    assert _attempted(out) == test and not _attempted(out) & train
    assert out["attempted"] == len(test) and 0 < out["proved"] < len(test)  # Pass@1 is a real measurement
    legacy = _legacy_test(store, repo)
    assert legacy and legacy != test  # leanagent 0.1's split, which the prover used before, is another set
    (ev,) = store.evaluations.find(method="pass@1:automation")
    assert (ev.scheme, ev.split, ev.num_queries) == (default.scheme, "test", len(test))
    assert ev.details["retriever_trained_on"] == [] and ev.details["split_leak"] is None  # automation: no retriever
    attempts = store.proof_attempts.find(repo=repo)
    assert {a["details"]["scheme"] for a in attempts} == {default.scheme}
    assert {a["details"]["split"] for a in attempts} == {"test"}
    # a retriever trained on this split is no leak; measured on another split, it is named as one
    from prover.driver import ProveRequest, split_leak, trained_schemes

    ckpt = json.loads(res.stdout)["checkpoint_id"]
    assert trained_schemes(store, ckpt) == [default.scheme]
    assert split_leak(store, ProveRequest(purpose="evaluate", checkpoint_id=ckpt)) is None
    leak = split_leak(store, ProveRequest(purpose="evaluate", data=NOVEL, checkpoint_id=ckpt))
    assert leak is not None and f"trained on split scheme {default.scheme}, not {NOVEL.scheme}" in leak


def test_prove_evaluate_takes_the_data_options_of_train(gen, store, home) -> None:
    repo, command = gen
    out = _evaluate(home, command, "--split-scheme", "novel_premises")
    novel = _ids(store, repo, NOVEL, "test")
    assert out["scheme"] == NOVEL.scheme and _attempted(out) == novel
    assert novel != _test_of(store, repo, DataConfig())  # the random split's test theorems are others
    out = _evaluate(home, command, "--split-seed", "7", "--test-fraction", "0.3", "--split", "val")
    seeded = DataConfig(seed=7, test_fraction=0.3)
    assert (out["scheme"], out["split"]) == (seeded.scheme, "val")
    _test_of(store, repo, DataConfig())
    assert _attempted(out) == _ids(store, repo, seeded, "val") != _ids(store, repo, DataConfig(), "val")
    # leanagent 0.1's split is still reachable, by its settings, under its old name
    out = _evaluate(home, command, "--queries", "statement", "--val-fraction", "0.1", "--test-fraction", "0.1",
                    "--min-test-queries", "0", "--max-test-fraction", "0.1")
    assert out["scheme"] == SPLIT_SCHEME and _attempted(out) == _ids(store, repo, LEGACY_DATA, "test")
    schemes = {(e.scheme, e.split) for e in store.evaluations.find(method="pass@1:automation")}
    assert schemes == {(NOVEL.scheme, "test"), (seeded.scheme, "val"), (SPLIT_SCHEME, "test")}
    # a bad value is a usage error naming the flag, before anything is attempted
    res = _cli(home, "prove", "gen", "--evaluate", "--min-test-queries", "-1")
    assert res.exit_code == 2 and "min_test_queries must be >= 0, got -1 (--min-test-queries)" in res.output


def test_the_data_options_of_prove_are_trains(gen) -> None:
    """The same shared option group (flags, help, defaults) as `train` and `eval`."""
    from leanagent.cli.options import GROUPS

    flags = {o.flag for o in GROUPS["data"]}
    for name in ("prove", "train", "eval"):
        command = main.commands[name]
        params = {p.opts[0]: p for p in command.params if p.opts and p.opts[0] in flags}
        assert set(params) == flags and all(p.default is None for p in params.values()), name
    help_of = {name: {p.opts[0]: p.help for p in main.commands[name].params if p.opts and p.opts[0] in flags}
               for name in ("prove", "train")}
    assert help_of["prove"] == help_of["train"]


def test_an_old_pass_at_1_on_leanagent_0_1s_split_still_reads(gen, store, home) -> None:
    """Evaluations written before (scheme leanagent/random) keep their meaning: a new
    measurement on the default split is stored beside them, never over them."""
    repo, command = gen
    old = Evaluation(checkpoint_id=None, method="pass@1:automation", repo_id=repo.id, scheme=SPLIT_SCHEME,
                     split="test", num_queries=5, details={"pass_at_1": 40.0, "attempted": 5})
    store.evaluations.record(old)
    store.conn.commit()
    _evaluate(home, command)
    rows = {e.scheme: e for e in store.evaluations.find(method="pass@1:automation", repo_id=repo.id)}
    assert set(rows) == {SPLIT_SCHEME, DataConfig().scheme}
    assert rows[SPLIT_SCHEME].details == {"pass_at_1": 40.0, "attempted": 5} and rows[SPLIT_SCHEME].num_queries == 5
    from database.report_reads import evaluations_of_repo

    assert {e["scheme"] for e in evaluations_of_repo(store, repo)} == {SPLIT_SCHEME, DataConfig().scheme}


def _prover(command: tuple[str, ...]) -> ProverConfig:
    return ProverConfig(generator=AutomationConfig(tactics=("rfl",)), backend=BackendSpec(options={"command": command}),
                        search=SearchConfig(timeout=30, tactic_timeout=10))


def test_the_run_prove_stage_evaluates_on_the_runs_own_split(gen, store, home, encoder) -> None:
    from leanagent.lifelong import RetrieverLearner, RunConfig, run_lifelong
    from leanagent.prove_stage import LifelongProving
    from prover.retrieval.config import EvalConfig, TrainConfig

    repo, command = gen
    data = NOVEL
    config = RunConfig(order="given",
                       train=TrainConfig(model=encoder, max_length=32, precision="fp32", max_steps=1, batch_size=4,
                                         data=data),
                       eval=EvalConfig(model=encoder, max_length=32, precision="fp32", data=data))
    learner = RetrieverLearner.create(store, Home(home), config)
    stage = LifelongProving(_prover(command), Home(home), evaluate=True)
    run_lifelong(store, learner, config, name="novel", prove=stage)
    test, train = _ids(store, repo, data, "test"), _ids(store, repo, data, "train")
    attempts = [a for a in store.proof_attempts.find(repo=repo) if a["purpose"] == "evaluate"]
    attempted = {a["theorem_id"] for a in attempts}
    assert attempted == test and len(test) >= 10 and not attempted & train
    assert {a["details"]["scheme"] for a in attempts} == {data.scheme} and {a["run_id"] for a in attempts} == {1}
    assert test != _legacy_test(store, repo)
    # the checkpoint whose retriever the stage used was trained on this very scheme
    (ev,) = store.evaluations.find(method="pass@1:automation", run_id=1)
    assert ev.scheme == data.scheme and ev.num_queries == len(test)
    assert ev.details["retriever_trained_on"] == [data.scheme] and ev.details["split_leak"] is None
    status, info = store.conn.execute("SELECT status, info FROM run_stages WHERE stage = 'prove'").fetchone()
    info = json.loads(info)
    assert status == "done" and info["scheme"] == data.scheme
    assert [(e["attempted"], e["scheme"]) for e in info["evaluate"]] == [(len(test), data.scheme)]


def test_a_run_stored_before_data_settings_existed_proves_on_leanagent_0_1s_split(store) -> None:
    from leanagent.prove_stage import run_data

    run_id = store.runs.create("old", {"strategy": "progressive", "order": "given", "seed": 3407, "epochs": 1})
    assert run_data(store, run_id) == LEGACY_DATA and run_data(store, run_id).scheme == SPLIT_SCHEME
    new = store.runs.create("new", {"strategy": "progressive", "order": "given", "seed": 3407,
                                    "train": {"data": {"split": "novel_premises"}},
                                    "eval": {"data": {"split": "novel_premises"}}})
    assert run_data(store, new) == NOVEL
