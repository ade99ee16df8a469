"""A stale or broken state never changes what a number means: clones are fetched again,
fusion weights belong to the repositories they were tuned on (and need enough of them),
nothing untrained becomes "the latest", records say what happened, a dead run is not
"running", and a run's stored paths survive moving the home."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from factories import FakeLearner, build_repo, make_repo, tiny_bert

from database.home import Home
from database.store import Store
from leanagent.cli import main

git = pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c",
                           "init.defaultBranch=main", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


@git
def test_a_clone_is_fetched_again(tmp_path: Path, fixtures: Path) -> None:
    from leanagent.tracing.git import clone

    src = tmp_path / "src"
    shutil.copytree(fixtures / "lean" / "links", src)
    _git(src, "init", "-q")
    _git(src, "add", ".")
    _git(src, "commit", "-q", "-m", "one")
    first = _git(src, "rev-parse", "HEAD")
    repos = tmp_path / "home" / "repos"
    assert clone(src.as_uri(), repos, None, None, allow_file=True).commit == first
    (src / "Links" / "Later.lean").write_text("theorem later_one : 1 = 1 := rfl\n")
    _git(src, "add", ".")
    _git(src, "commit", "-q", "-m", "two")
    second = _git(src, "rev-parse", "HEAD")
    again = clone(src.as_uri(), repos, None, None, allow_file=True)
    assert again.commit == second and (again.path / "Links" / "Later.lean").is_file()
    # a branch is the remote's branch now, not the local one the first clone left
    (src / "Links" / "Third.lean").write_text("theorem third_one : 3 = 3 := rfl\n")
    _git(src, "add", ".")
    _git(src, "commit", "-q", "-m", "three")
    assert clone(src.as_uri(), repos, "main", None, allow_file=True).commit == _git(src, "rev-parse", "HEAD")
    assert clone(src.as_uri(), repos, first[:10], None, allow_file=True).commit == first


def test_eval_and_train_on_an_empty_database_are_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    for argv in (["eval", "--methods", "bm25"], ["train"], ["run"]):
        r = runner.invoke(main, ["--home", str(tmp_path / "home"), *argv])
        assert r.exit_code == 1 and "no repositories" in r.output, (argv, r.output)
    with Store(tmp_path / "home" / "leanagent.db") as store:
        assert store.conn.execute("SELECT COUNT(*) FROM fusion_weights").fetchone()[0] == 0
        assert store.checkpoints.latest_id() is None


@pytest.fixture(scope="module")
def encoder(tmp_path_factory) -> str:
    return str(tiny_bert(tmp_path_factory.mktemp("enc") / "tiny"))


def test_fusion_weights_need_enough_validation_queries(tmp_path: Path, encoder: str) -> None:
    from prover.retrieval.api import EvalConfig, evaluate_retriever

    home = Home(tmp_path / "home").ensure()
    with Store(home.db_path) as store:
        make_repo(store, n_dep=5, n_a=5, n_theorems=20)
        repo = store.repositories()[0]
        cfg = EvalConfig(model=encoder, max_length=32, precision="fp32")  # the default minimum (30)
        res = evaluate_retriever(store, home, checkpoint_id=None, repos=[repo], split="test",
                                 methods=("dense", "fused"), config=cfg)
        fused = res[(repo.id, "fused")]
        assert fused["r10"] is None and fused["fusion"] is None and "not tuned" in fused["note"]
        assert store.conn.execute("SELECT COUNT(*) FROM fusion_weights").fetchone()[0] == 0
        assert store.evaluations.find(method="fused") == []  # no row that looks like a result
        assert res[(repo.id, "dense")]["r10"] is not None


def test_fusion_weights_are_keyed_by_the_repositories_they_were_tuned_on(tmp_path: Path, encoder: str) -> None:
    from prover.retrieval.api import EvalConfig, evaluate_retriever
    from prover.retrieval.checkpoints import read_fusion

    home = Home(tmp_path / "home").ensure()
    with Store(home.db_path) as store:
        make_repo(store, name="one", n_dep=5, n_a=5, n_theorems=30, seed=1)
        make_repo(store, name="two", n_dep=5, n_a=5, n_theorems=30, seed=2, commit="beef")
        one, two = store.repositories()
        cfg = EvalConfig(model=encoder, max_length=32, precision="fp32", min_fusion_queries=2)
        evaluate_retriever(store, home, checkpoint_id=None, repos=[one], split="test", methods=("fused",),
                           config=cfg)
        assert read_fusion(store, None, model=encoder, max_length=32, repos=[one]) is not None
        # weights tuned on `one` are not reused for `one` + `two`: those get their own
        assert read_fusion(store, None, model=encoder, max_length=32, repos=[one, two]) is None
        res = evaluate_retriever(store, home, checkpoint_id=None, repos=[one, two], split="test",
                                 methods=("fused",), config=cfg)
        tuned = res[(one.id, "fused")]["fusion"]
        assert tuned["tuned_on"] == ["one@c0ffee", "two@beef"]
        assert store.conn.execute("SELECT COUNT(*) FROM fusion_weights").fetchone()[0] == 2


def test_training_records_whether_the_optimizer_was_resumed(tmp_path: Path, encoder: str) -> None:
    from prover.retrieval.api import TrainConfig, train_retriever
    from prover.retrieval.checkpoints import checkpoint_dir

    home = Home(tmp_path / "home").ensure()
    with Store(home.db_path) as store:
        make_repo(store, n_dep=5, n_a=5, n_theorems=20)
        repos = store.repositories()
        cfg = TrainConfig(model=encoder, max_length=32, precision="fp32", max_steps=1, batch_size=4)
        parent = train_retriever(store, home, repos=repos, parent_checkpoint_id=None, config=cfg)
        resumed = train_retriever(store, home, repos=repos, parent_checkpoint_id=parent, config=cfg,
                                  resume_optimizer=True)
        assert store.checkpoints.get(resumed).config["optimizer_resumed"] is True
        (checkpoint_dir(home, store.checkpoints.get(parent)) / "training_state.pt").unlink()
        not_resumed = train_retriever(store, home, repos=repos, parent_checkpoint_id=parent, config=cfg,
                                      resume_optimizer=True)
        assert store.checkpoints.get(not_resumed).config["optimizer_resumed"] is False


def test_train_with_zero_epochs_registers_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with Store(home / "leanagent.db") as store:
        build_repo(store, "Alpha", n_theorems=10)
    r = CliRunner().invoke(main, ["--home", str(home), "train", "--epochs", "0"])
    assert r.exit_code == 2 and "epochs" in r.output
    with Store(home / "leanagent.db") as store:
        assert store.checkpoints.latest_id() is None


def test_a_failed_run_is_not_left_running(store: Store) -> None:
    from leanagent.lifelong import RunConfig, run_lifelong

    build_repo(store, "Alpha", n_theorems=10)

    class Broken(FakeLearner):
        def index(self, *, checkpoint_id):
            raise RuntimeError("disk gone")

    with pytest.raises(RuntimeError):
        run_lifelong(store, Broken(store), RunConfig(order="given"), name="r")
    run = store.runs.get("r")
    assert run is not None and run.status == "failed" and store.runs.shown_status(run) == "failed"
    with pytest.raises(KeyboardInterrupt):
        run_lifelong(store, FakeLearner(store, fail_at=("evaluate", 1)), RunConfig(order="given"), name="r")
    assert store.runs.get("r").status == "interrupted"  # type: ignore[union-attr]
    # a row left "running" by a process that died (SIGKILL: nothing could update it)
    store.runs.set_status(run.id, "running")
    assert store.runs.shown_status(store.runs.get("r")) == "interrupted"  # type: ignore[arg-type]
    assert run_lifelong(store, FakeLearner(store), RunConfig(order="given"), name="r").status == "done"


def test_run_stages_store_paths_relative_to_the_home(tmp_path: Path, encoder: str) -> None:
    """EWC's Fisher and the index, as a run records them, still resolve after the home
    moved (the next step's training reads the Fisher path from the stage)."""
    from leanagent.lifelong import RetrieverLearner, RunConfig
    from prover.retrieval.api import EvalConfig, TrainConfig

    old = Home(tmp_path / "old").ensure()
    config = RunConfig(ewc=True, train=TrainConfig(model=encoder, max_length=32, precision="fp32", max_steps=1,
                                                   batch_size=4),
                       eval=EvalConfig(model=encoder, max_length=32, precision="fp32"))
    with Store(old.db_path) as store:
        make_repo(store, n_dep=5, n_a=5, n_theorems=20)
        repos = store.repositories()
        learner = RetrieverLearner.create(store, old, config)
        ckpt = learner.train(repos=repos, parent=None, resume_optimizer=False, fisher_path=None)
        fisher = learner.fisher(checkpoint_id=ckpt, repos=repos)
        index = learner.index(checkpoint_id=ckpt)
    assert not Path(fisher).is_absolute() and not Path(index["path"]).is_absolute()
    assert (old.root / fisher).is_file() and (old.root / index["path"]).is_dir()
    moved = Home(tmp_path / "moved")
    old.root.rename(moved.root)
    with Store(moved.db_path) as store:
        learner = RetrieverLearner.create(store, moved, config)
        child = learner.train(repos=store.repositories(), parent=ckpt, resume_optimizer=True, fisher_path=fisher)
        record = store.checkpoints.get(child).config
    assert record["ewc_lambda"] == config.ewc_lambda and record["fisher_path"] == str(moved.root / fisher)
    assert record["optimizer_resumed"] is True
    json.dumps(record)  # stored as JSON
