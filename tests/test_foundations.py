"""Configuration validation, the per-table accessors, migrations of stored data, the
`runs` / `checkpoints` commands and `--repos` parsing, on real SQLite files."""

from __future__ import annotations

import ast
import json
import sqlite3
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from factories import TOPICS, FakeLearner, build_repo

from database.errors import CheckpointNotFound, ConfigError, RunConfigMismatch
from database.evaluations import Evaluation
from database.schema import MIGRATIONS
from database.splits import SplitConfig
from database.store import Store
from leanagent.cli import main
from leanagent.lifelong import RunConfig, run_lifelong
from prover.retrieval.config import LEGACY_DATA, EvalConfig, TrainConfig

ROOT = Path(__file__).resolve().parents[1]


# -- configuration -------------------------------------------------------------------------


@pytest.mark.parametrize(("cls", "field", "value", "flag"), [
    (TrainConfig, "batch_size", 0, "--batch-size"),
    (TrainConfig, "epochs", 0, "--epochs"),
    (TrainConfig, "grad_accum", 0, "--grad-accum"),
    (TrainConfig, "lr", -1.0, "--lr"),
    (TrainConfig, "max_steps", 0, "--max-steps"),
    (TrainConfig, "temperature", 0.0, "--temperature"),
    (TrainConfig, "num_in_file_negatives", 4, "--num-in-file-negatives"),
    (TrainConfig, "device", "gpu", "--device"),
    (TrainConfig, "max_length", 0, "--max-length"),
    (EvalConfig, "batch_size", 0, "--encode-batch-size"),
    (EvalConfig, "index_kind", "annoy", "--index-kind"),
    (EvalConfig, "num_retrieved", 0, "--num-retrieved"),
])
def test_configs_validate_at_construction(cls, field, value, flag):
    with pytest.raises(ConfigError, match=f"{field} must be .*{flag}"):
        cls(**{field: value})


def test_split_config_validates():
    assert SplitConfig(val_fraction=0.1, test_fraction=0.1).sizes(100) == (10, 10)
    with pytest.raises(ConfigError, match="below 1"):
        SplitConfig(val_fraction=0.5, test_fraction=0.5)
    with pytest.raises(ConfigError, match=r"val_fraction must be in \[0, 1\)"):
        SplitConfig(val_fraction=-0.1)


def test_run_config_composes_and_keeps_one_source_of_each_setting():
    run = RunConfig(train=TrainConfig(lr=3e-3, epochs=2, device="cpu"))
    ident = run.as_json()
    assert ident["train"]["lr"] == 3e-3 and ident["train"]["epochs"] == 2
    assert "device" not in ident["train"] and "progress" not in ident["eval"]  # where it runs is not identity
    assert RunConfig.from_json(json.loads(json.dumps(ident))).as_json() == ident
    assert run.default_name() == "progressive-easy-count-single-rehearse0.5-e2"
    with pytest.raises(ConfigError, match="untrained baseline"):
        RunConfig(train=TrainConfig(model="/some/model"))  # eval keeps the default model
    with pytest.raises(ConfigError, match="--ewc"):
        RunConfig(train=TrainConfig(ewc_lambda=0.5))


@pytest.mark.parametrize(("args", "flag"), [
    (["train", "--batch-size", "0"], "--batch-size"),
    (["train", "--epochs", "0"], "--epochs"),
    (["eval", "--encode-batch-size", "0"], "--encode-batch-size"),
    (["run", "--lr", "-1"], "--lr"),
    (["retrieve", "q", "--repo", "Alpha", "--k", "-3"], "--k"),
])
def test_bad_option_values_are_usage_errors_before_any_work(tmp_path, args, flag):
    home = tmp_path / "home"
    with Store(home / "leanagent.db") as store:
        build_repo(store, "Alpha", n_theorems=6)
    res = CliRunner().invoke(main, ["--home", str(home), *args])
    assert res.exit_code == 2, res.output
    assert flag in res.output
    with Store(home / "leanagent.db", readonly=True) as store:
        assert store.checkpoints.all() == [] and store.runs.all() == []


def test_retrieve_refuses_non_positive_k_in_the_library(tmp_path):
    from database.home import Home
    from prover.retrieval.api import retrieve

    with Store(tmp_path / "db.sqlite") as store:
        build_repo(store, "Alpha", n_theorems=2)
        with pytest.raises(ConfigError, match="k must be >= 1"):
            retrieve(store, Home(tmp_path), checkpoint_id=None, query="x", repo=store.repositories()[0], k=-3,
                     config=EvalConfig())


# -- --repos ----------------------------------------------------------------------------------


def _commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, cmd in sorted(group.commands.items()):
        yield (*prefix, name), cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, (*prefix, name))


REPOS_COMMANDS = [(path, cmd) for path, cmd in _commands(main)
                  if any(isinstance(p, click.Option) and "--repos" in p.opts for p in cmd.params)]


def test_repos_option_is_on_every_command_that_selects_repositories():
    assert {" ".join(p) for p, _ in REPOS_COMMANDS} >= {"export", "train", "eval", "run"}


@pytest.mark.parametrize(("path", "cmd"), REPOS_COMMANDS, ids=lambda x: " ".join(x) if isinstance(x, tuple) else "")
def test_repos_accepts_commas_and_repetition(path, cmd):
    required = ["x" for p in cmd.params if isinstance(p, click.Argument) and p.required]
    for argv in (["--repos", "a,b", "--repos", "c"], ["--repos", "a", "--repos", "b,c"], ["--repos", " a , b,c,"]):
        ctx = cmd.make_context(" ".join(path), [*required, *argv])
        assert ctx.params["repo_refs"] == ("a", "b", "c")


def test_eval_and_export_select_the_same_repositories_either_way(tmp_path):
    home = tmp_path / "home"
    with Store(home / "leanagent.db") as store:
        for i, name in enumerate(TOPICS):
            build_repo(store, name, n_theorems=10, seed=i)
    runner = CliRunner()
    base = ["--home", str(home), "eval", "--base", "--methods", "bm25,locality", "--json"]
    a = json.loads(runner.invoke(main, [*base, "--repos", "Alpha,Gamma"]).stdout)
    b = json.loads(runner.invoke(main, [*base, "--repos", "Alpha", "--repos", "Gamma"]).stdout)
    assert sorted({r["repo"] for r in a}) == ["Alpha", "Gamma"]
    assert [(r["repo"], r["method"], r["r10"]) for r in a] == [(r["repo"], r["method"], r["r10"]) for r in b]
    out = runner.invoke(main, ["--home", str(home), "export", str(tmp_path / "x"), "--repos", "Beta,Gamma", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["repositories"] == ["Beta", "Gamma"]


# -- accessors -------------------------------------------------------------------------------------


def test_evaluations_accessor_replaces_and_filters(store):
    build_repo(store, "Alpha", n_theorems=2)
    rid = store.repositories()[0].id
    ev = Evaluation(checkpoint_id=None, method="bm25", repo_id=rid, scheme="s", split="test", r10=10.0, num_queries=3)
    store.evaluations.record(ev)
    store.evaluations.record(Evaluation(**{**ev.as_dict(), "id": None, "created_at": None, "r10": 20.0}))
    ckpt = store.checkpoints.add(parent_id=None, path="p", model_name="m", data_fingerprint=None, config={})
    store.evaluations.record(Evaluation(checkpoint_id=ckpt, method="pass@1", repo_id=rid, scheme="s", split="test",
                                        num_queries=7, details={"proved": 2}))
    assert [e.r10 for e in store.evaluations.find(method="bm25")] == [20.0]  # replaced, not duplicated
    assert [e.method for e in store.evaluations.find(checkpoint_id=None)] == ["bm25"]  # None is SQL NULL
    assert len(store.evaluations.find()) == 2  # no filter: any checkpoint
    (proving,) = store.evaluations.find(checkpoint_id=ckpt)
    assert proving.details == {"proved": 2} and proving.r10 is None and proving.num_queries == 7
    run_id = store.runs.create("r", {})
    store.evaluations.tag_run(run_id, [ckpt])
    assert [e.method for e in store.evaluations.find(run_id=run_id)] == ["pass@1"]
    assert [e.method for e in store.evaluations.find(run_id=None)] == ["bm25"]
    with pytest.raises(ConfigError):
        Evaluation(checkpoint_id=None, method="", repo_id=rid, scheme="s", split="test", num_queries=0)


def test_checkpoint_accessor_and_curve_are_one_transaction(store):
    from database.checkpoints import TrainingStep

    steps = [TrainingStep(step=1, loss=2.0, lr=1e-4, seconds=0.5, examples=8),
             TrainingStep(step=1, loss=1.0, lr=1e-4, seconds=0.9, examples=16)]  # duplicate step: refused
    with pytest.raises(sqlite3.IntegrityError):
        store.checkpoints.add(parent_id=None, path="p", model_name="m", data_fingerprint=None, config={}, steps=steps)
    assert store.checkpoints.all() == []  # the row went with its curve
    cid = store.checkpoints.add(parent_id=None, path="p", model_name="m", data_fingerprint=None, config={"a": 1},
                                steps=steps[:1])
    child = store.checkpoints.add(parent_id=cid, path="q", model_name="m", data_fingerprint=None, config={})
    assert [c.id for c in store.checkpoints.lineage(child)] == [cid, child]
    assert store.checkpoints.training_steps(cid) == steps[:1] and store.checkpoints.latest_id() == child
    with pytest.raises(CheckpointNotFound, match="leanagent checkpoints"):
        store.checkpoints.get(99)


def _v2_database(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")
    for m in MIGRATIONS[:2]:
        for statement in m.statements:
            conn.execute(statement)
        conn.execute("INSERT INTO schema_version VALUES (?, ?, 't')", (m.version, m.name))
    fusion = {"w_bm25": 0.1, "w_loc": 0.05, "val_r10": 50.0, "val_r10_dense": 40.0, "val_r10_gain": 10.0,
              "val_queries": 4, "tuned_on": ["a@1"]}
    conn.execute("INSERT INTO checkpoints (parent_id, path, model_name, config, created_at) VALUES "
                 "(NULL, 'p', 'm', ?, 't')", (json.dumps({"steps": 3, "fusion": fusion}),))
    conn.commit()
    conn.close()


def test_migration_3_moves_checkpoint_fusion_weights_into_their_table(tmp_path):
    db = tmp_path / "old.db"
    _v2_database(db)
    with Store(db) as store:
        assert store.schema_version() == MIGRATIONS[-1].version  # 3 and any later migration applied
        assert store.checkpoints.get(1).config == {"steps": 3}
        w = store.fusion_weights.for_checkpoint(1)
        assert w is not None and (w.w_bm25, w.w_loc, w.val_r10_gain, w.tuned_on) == (0.1, 0.05, 10.0, ("a@1",))
        # migration 5 keeps them for the record, under a key no lookup asks for: they were
        # not tuned on a known set of repositories (and here on 4 queries only)
        assert store.fusion_weights.get("ckpt-1", [("a", "1")]) is None
        assert store.conn.execute("SELECT repos_key FROM fusion_weights").fetchall() == [("legacy",)]


def test_runs_stored_in_the_old_flat_layout_continue(store):
    build_repo(store, "Alpha", n_theorems=8)
    flat = {"strategy": "progressive", "order": "given", "data": "single", "replay": 0, "ewc": False,
            "ewc_lambda": 0.1, "epochs": 1, "seed": 3407, "model": None, "max_steps": 2, "batch_size": None,
            "max_length": None, "curriculum": {"basis": "own", "include_dependencies": False,
                                                "undefined": "separate", "percentiles": [33.0, 67.0], "seed": 3407}}
    run_id = store.runs.create("old", flat)
    # leanagent 0.1's settings then (its defaults, no rehearsal; today's CPU-sized ones differ): the run
    # continues with them, and today's defaults are refused rather than mixed in
    config = RunConfig(order="given", matrix="dense", rehearsal=0.0,
                       train=TrainConfig(max_steps=2, batch_size=8, premise_tower="shared", length_buckets=False,
                                         data=LEGACY_DATA, precision="bf16", max_length=256, epochs=1),
                       eval=EvalConfig(data=LEGACY_DATA, precision="bf16", max_length=256))
    with pytest.raises(RunConfigMismatch, match=r"train\.premise_tower"):
        run_lifelong(store, FakeLearner(store), RunConfig(order="given", train=TrainConfig(max_steps=2)), name="old")
    with pytest.raises(RunConfigMismatch, match=r"train\.lr"):
        run_lifelong(store, FakeLearner(store), RunConfig(order="given", train=TrainConfig(max_steps=2, lr=1.0)),
                     name="old")
    summary = run_lifelong(store, FakeLearner(store), config, name="old")
    assert summary.run_id == run_id
    assert store.runs.get("old").config == config.as_json()  # rewritten in the current layout


# -- one owner per table ---------------------------------------------------------------------------


def _sql_calls(path: Path) -> list[str]:
    """Calls that run SQL (``.execute``, ``.executemany``, ``.executescript``, ``.query``
    on a connection or database) in a module, as ``line: source``."""
    tree = ast.parse(path.read_text(), str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in (
            "execute", "executemany", "executescript", "query"
        ) and ast.unparse(node.func.value).endswith(("conn", "db", "connection")):
            out.append(f"{node.lineno}: {ast.unparse(node)[:80]}")
    return out


@pytest.mark.parametrize("package", ["leanagent", "prover", "curriculum"])
def test_no_sql_outside_the_database_package(package):
    """Each table has one owner, an accessor in database/ (see database.store): the other
    layers call it instead of writing SQL."""
    found = {str(p.relative_to(ROOT)): calls for p in sorted((ROOT / package).rglob("*.py"))
             if (calls := _sql_calls(p))}
    assert found == {}, "SQL outside database/: add or extend an accessor in database/ instead"


def test_the_sql_detector_sees_sql():
    assert _sql_calls(ROOT / "database" / "runs.py")  # it finds the accessors' own SQL


# -- runs and checkpoints commands -------------------------------------------------------------------


@pytest.fixture
def run_home(tmp_path):
    home = tmp_path / "home"
    with Store(home / "leanagent.db") as store:
        for i, name in enumerate(TOPICS):
            build_repo(store, name, n_theorems=10, seed=i)
        run_lifelong(store, FakeLearner(store), RunConfig(order="given"), name="mine")
    return home


def test_runs_list_and_show(run_home):
    runner = CliRunner()
    listed = json.loads(runner.invoke(main, ["--home", str(run_home), "runs", "list", "--json"]).stdout)
    assert [(r["name"], r["status"], r["positions"], r["positions_done"], r["repositories"]) for r in listed] == [
        ("mine", "done", 3, 3, list(TOPICS))]
    assert json.loads(runner.invoke(main, ["--home", str(run_home), "runs", "--json"]).stdout) == listed
    text = runner.invoke(main, ["--home", str(run_home), "runs"])
    assert text.exit_code == 0 and "mine" in text.output and "3/3" in text.output
    shown = json.loads(runner.invoke(main, ["--home", str(run_home), "runs", "show", "mine", "--json"]).stdout)
    assert shown["config"]["order"] == "given" and shown["checkpoints"] == listed[0]["checkpoints"]
    stages = [(s["position"], s["stage"]) for s in shown["stages"]]
    assert stages[:8] == [(0, "plan"), (0, "data"), (0, "baseline"), (0, "train"), (0, "index"),
                          (0, "evaluate"), (0, "prove"), (1, "plan")]
    assert runner.invoke(main, ["--home", str(run_home), "runs", "show", "mine"]).exit_code == 0
    missing = runner.invoke(main, ["--home", str(run_home), "runs", "show", "nope"])
    assert missing.exit_code == 1 and "no run named 'nope'" in missing.output and "mine" in missing.output


def test_checkpoints_list_and_show(run_home):
    runner = CliRunner()
    listed = json.loads(runner.invoke(main, ["--home", str(run_home), "checkpoints", "--json"]).stdout)
    assert [(c["id"], c["parent_id"]) for c in listed] == [(1, None), (2, 1), (3, 2)]
    shown = json.loads(runner.invoke(main, ["--home", str(run_home), "checkpoints", "show", "3", "--json"]).stdout)
    assert shown["lineage"] == [1, 2, 3]
    assert {e["split"] for e in shown["evaluations"]} == {"test", "val"} and shown["training_steps"] == []
    assert runner.invoke(main, ["--home", str(run_home), "checkpoints", "list"]).exit_code == 0
    assert runner.invoke(main, ["--home", str(run_home), "checkpoints", "show", "2"]).exit_code == 0
    missing = runner.invoke(main, ["--home", str(run_home), "checkpoints", "show", "9"])
    assert missing.exit_code == 1 and "no checkpoint with id 9" in missing.output


def test_runs_and_checkpoints_on_an_empty_home_create_nothing(tmp_path):
    empty = tmp_path / "empty"
    for cmd in (["runs", "--json"], ["checkpoints", "--json"]):
        res = CliRunner().invoke(main, ["--home", str(empty), *cmd])
        assert res.exit_code == 0 and res.output.strip() == "[]"
    assert not empty.exists()
